"""Live channels (core/serve/live.py) with oss2 as the client.

Expected values from the OSS documentation of PutLiveChannel, ListLiveChannel,
GetLiveChannelInfo/Stat/History, PutLiveChannelStatus (defaults FragDuration 5,
FragCount 3, PlaylistName playlist.m3u8; error pages 0044-00000013, -15, -16, -17, -18)
and from oss2's own tests/test_live_channel.py (URL shapes, paging, Idle, VOD without
segments is InvalidArgument).
"""
from __future__ import annotations

import oss2
import oss2.models
import pytest
import requests

from core.oss.credentials import Credentials
from core.serve.runner import serve

CREDS = Credentials("LTAI5tLiveChannelKey1", "Live+Channel/Secret1")
BUCKET = "live-bucket"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("live-root")
    srv = serve(root, "127.0.0.1", 0, "private", (CREDS,))
    srv.start()
    yield srv
    srv.stop()


_COUNT = iter(range(1000))


@pytest.fixture
def bucket(server):
    name = f"{BUCKET}-{next(_COUNT)}"
    b = oss2.Bucket(oss2.Auth(CREDS.access_key_id, CREDS.access_key_secret), server.url,
                    name)
    b.create_bucket()
    yield b
    for info in oss2.LiveChannelIterator(b):
        b.delete_live_channel(info.name)
    b.delete_bucket()


def _channel(playlist="", status="enabled", description="", **target):
    return oss2.models.LiveChannelInfo(
        status=status, description=description,
        target=oss2.models.LiveChannelInfoTarget(playlist_name=playlist, **target))


def test_create_get_and_urls(bucket, server):
    created = bucket.create_live_channel("cam-1", _channel("test.m3u8", description="door"))
    endpoint = server.url.removeprefix("http://")
    assert created.play_url == f"http://{bucket.bucket_name}.{endpoint}/cam-1/test.m3u8"
    assert created.publish_url == f"rtmp://{bucket.bucket_name}.{endpoint}/live/cam-1"
    got = bucket.get_live_channel("cam-1")
    assert (got.description, got.status, got.target.type, got.target.frag_duration,
            got.target.frag_count, got.target.playlist_name) == \
        ("door", "enabled", "HLS", "5", "3", "test.m3u8")
    # an empty PlaylistName is the default one
    bucket.create_live_channel("cam-2", _channel(frag_duration=10, frag_count=7))
    got = bucket.get_live_channel("cam-2")
    assert (got.target.playlist_name, got.target.frag_duration, got.target.frag_count) == \
        ("playlist.m3u8", "10", "7")


def test_list_pages_with_prefix_marker_and_max_keys(bucket):
    names = [f"ch-{i:03d}" for i in range(11)] + ["other"]
    for name in names:
        bucket.create_live_channel(name, _channel(description=name))
    first = bucket.list_live_channel(prefix="ch-", max_keys=4)
    assert [c.name for c in first.channels] == names[:4]
    assert (first.is_truncated, first.next_marker, first.max_keys) == (True, "ch-003", 4)
    assert first.channels[0].description == "ch-000" and first.channels[0].status == "enabled"
    assert first.channels[0].publish_url.endswith("/live/ch-000")
    rest = bucket.list_live_channel(prefix="ch-", marker="ch-003", max_keys=100)
    assert [c.name for c in rest.channels] == names[4:11] and not rest.is_truncated
    assert [c.name for c in oss2.LiveChannelIterator(bucket, max_keys=3)] == sorted(names)
    empty = bucket.list_live_channel(prefix="zzz")
    assert (empty.channels, empty.max_keys, empty.is_truncated) == ([], 100, False)


def test_status_stat_history_and_delete(bucket):
    bucket.create_live_channel("cam", _channel())
    assert bucket.get_live_channel_stat("cam").status == "Idle"   # nobody pushes to it
    bucket.put_live_channel_status("cam", "disabled")
    assert bucket.get_live_channel("cam").status == "disabled"
    assert bucket.get_live_channel_stat("cam").status == "Disabled"
    bucket.put_live_channel_status("cam", "enabled")
    assert bucket.get_live_channel("cam").status == "enabled"
    assert bucket.get_live_channel_history("cam").records == []
    with pytest.raises(oss2.exceptions.OssError) as err:
        bucket.put_live_channel_status("cam", "paused")
    assert err.value.code == "InvalidArgument"
    assert bucket.delete_live_channel("cam").status == 204
    for call in (bucket.get_live_channel, bucket.get_live_channel_stat,
                 bucket.delete_live_channel):
        with pytest.raises(oss2.exceptions.NoSuchLiveChannel):
            call("cam")


def test_vod_playlists_find_no_segments(bucket):
    bucket.create_live_channel("cam", _channel())
    with pytest.raises(oss2.exceptions.InvalidArgument):
        bucket.post_vod_playlist("cam", "vod.m3u8", start_time=1700000000,
                                 end_time=1700003600)
    with pytest.raises(oss2.exceptions.InvalidArgument):
        bucket.get_vod_playlist("cam", start_time=1700000000, end_time=1700003600)
    with pytest.raises(oss2.exceptions.NoSuchLiveChannel):
        bucket.get_vod_playlist("nope", start_time=1700000000, end_time=1700003600)


@pytest.mark.parametrize("target,ec", [
    ({"type": "DASH"}, "0044-00000013"),
    ({"frag_count": 0}, "0044-00000015"),
    ({"frag_count": 101}, "0044-00000015"),
    ({"frag_duration": 0}, "0044-00000014"),
    ({"playlist_name": "my/playlist.m3u8"}, "0044-00000016"),
    ({"playlist_name": "x" * 125 + ".m3u8"}, "0044-00000017"),
    ({"playlist_name": "abc.text"}, "0044-00000018"),
    ({"playlist_name": ".m3u8"}, None),                 # 6 characters at least
])
def test_bad_configuration(bucket, target, ec):
    info = oss2.models.LiveChannelInfo(target=oss2.models.LiveChannelInfoTarget(**target))
    with pytest.raises(oss2.exceptions.OssError) as err:
        bucket.create_live_channel("bad", info)
    assert (err.value.status, err.value.code) == (400, "InvalidArgument")
    if ec:
        assert err.value.ec == ec
    assert bucket.list_live_channel().channels == []


def test_channels_block_bucket_deletion_and_need_a_signature(bucket, server):
    bucket.create_live_channel("cam", _channel())
    with pytest.raises(oss2.exceptions.BucketNotEmpty):
        bucket.delete_bucket()
    anonymous = requests.get(f"{server.url}/{bucket.bucket_name}/cam?live", timeout=10)
    assert anonymous.status_code == 403
    assert requests.put(f"{server.url}/{bucket.bucket_name}/?live", timeout=10,
                        data=b"").status_code in (403, 405)


def test_odd_requests_get_oss_errors_not_500(tmp_path):
    """Hostile names, numbers and bodies get 4xx in OSS terms (hardening, issue 13); an
    open server, so every request reaches the live-channel code."""
    (tmp_path / "live-odd").mkdir()
    srv = serve(tmp_path, "127.0.0.1", 0, "public-read-write")
    srv.start()
    try:
        base = f"{srv.url}/live-odd/"
        huge = b"<LiveChannelConfiguration><Target><FragCount>" + b"9" * 5000 + \
            b"</FragCount></Target></LiveChannelConfiguration>"
        cases = [("PUT", "a%2Fb?live", b"<LiveChannelConfiguration/>", 400),  # '/' in a name
                 ("PUT", "ch?live", huge, 400),
                 ("PUT", "ch?live", b"<LiveChannelConfiguration><Description>\x01"
                  b"</Description></LiveChannelConfiguration>", 400),
                 ("PUT", "ch?live", b"not xml", 400),
                 ("PUT", "ch?live", b"<Other/>", 400),
                 ("GET", "?live&max-keys=" + "9" * 5000, b"", 400),
                 ("GET", "?live&max-keys=%C2%B2", b"", 400),
                 ("PUT", "?live", b"", 405),
                 ("GET", "nope?live&comp=stat", b"", 404),
                 ("PUT", "ok-ch?live", b"<LiveChannelConfiguration/>", 200),
                 ("GET", "ok-ch?vod&startTime=%C2%B2&endTime=9", b"", 400),
                 ("POST", "ok-ch/p.m3u8?vod&startTime=1&endTime=" + "9" * 5000, b"", 400),
                 ("PUT", "ok-ch?live&status=", b"", 400),
                 ("DELETE", "ok-ch?live", b"", 204)]
        for method, path, body, status in cases:
            resp = requests.request(method, base + path, data=body, timeout=10)
            assert resp.status_code == status, (method, path, resp.status_code,
                                                resp.text[:200])
    finally:
        srv.stop()
