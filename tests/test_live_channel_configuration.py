"""PutLiveChannel's limits, GetLiveChannelInfo's document, the channel URLs, the history
and the VOD playlist arguments, on an open in-process service.

Expected values from the OSS API reference:
- PutLiveChannel: Description at most 128 bytes; Status enabled|disabled; Target Type
  HLS (else 0044-00000013); FragDuration and FragCount integers 1-100 (out of range
  0044-00000014 and 0044-00000015); PlaylistName 6-128 characters ending in ``.m3u8`` without '/'
  (0044-00000016 for '/', -17 over 128, -18 otherwise); defaults FragDuration 5,
  FragCount 3, PlaylistName playlist.m3u8, Type HLS, Status enabled. The answer
  ``CreateLiveChannelResult``: ``PublishUrls/Url`` ``rtmp://<bucket>.<endpoint>/live/
  <channel>``, ``PlayUrls/Url`` ``http://<bucket>.<endpoint>/<channel>/<playlist>``.
- GetLiveChannelInfo: ``LiveChannelConfiguration`` holding Description, Status and
  Target (Type, FragDuration, FragCount, PlaylistName), in that order.
- GetLiveChannelHistory: ``LiveChannelHistory`` with one LiveRecord per push (none here).
- Post/GetVodPlaylist: startTime and endTime are Unix seconds, endTime later than
  startTime; an invalid one is 400 InvalidArgument naming it.
"""
from __future__ import annotations

import pytest

from tests.service_env import error_fields, xml_document
from tests.test_live_channel_status_and_stat import BUCKET, ask, clock, listed, svc  # noqa: F401


def put(svc, name, config: str = "", target: str = "", host: str | None = None):
    body = (f"<LiveChannelConfiguration>{config}"
            + (f"<Target>{target}</Target>" if target else "")
            + "</LiveChannelConfiguration>").encode()
    return ask(svc, "PUT", name, {"live": ""}, body, host=host)


def info(svc, name):
    root = xml_document(ask(svc, "GET", name, {"live": ""}), "LiveChannelConfiguration")
    assert [c.tag for c in root] == ["Description", "Status", "Target"]
    target = root.find("Target")
    assert [c.tag for c in target] == ["Type", "FragDuration", "FragCount", "PlaylistName"]
    return ([root.findtext("Description"), root.findtext("Status")]
            + [c.text for c in target])


def test_an_empty_configuration_gets_every_default(svc):
    root = xml_document(put(svc, "cam"), "CreateLiveChannelResult")
    assert [c.tag for c in root] == ["PublishUrls", "PlayUrls"]
    assert info(svc, "cam") == ["", "enabled", "HLS", "5", "3", "playlist.m3u8"]


def test_every_setting_is_kept(svc):
    xml_document(put(svc, "cam", "<Description>door</Description><Status>disabled</Status>",
               "<Type>HLS</Type><FragDuration>100</FragDuration><FragCount>1</FragCount>"
               "<PlaylistName>a.m3u8</PlaylistName>"), "CreateLiveChannelResult")
    assert info(svc, "cam") == ["door", "disabled", "HLS", "100", "1", "a.m3u8"]
    xml_document(put(svc, "cam2", "", "<FragDuration>1</FragDuration><FragCount>100</FragCount>"
               "<PlaylistName>" + "p" * 123 + ".m3u8</PlaylistName>"),
           "CreateLiveChannelResult")
    assert info(svc, "cam2")[3:] == ["1", "100", "p" * 123 + ".m3u8"]


def test_the_urls_name_the_bucket_on_the_endpoint_the_client_used(svc):
    root = xml_document(put(svc, "cam", target="<PlaylistName>x.m3u8</PlaylistName>",
                      host=f"{BUCKET}.oss-cn-hangzhou.aliyuncs.com"),
                  "CreateLiveChannelResult")
    assert root.findtext("PublishUrls/Url") == \
        f"rtmp://{BUCKET}.oss-cn-hangzhou.aliyuncs.com/live/cam"
    assert root.findtext("PlayUrls/Url") == \
        f"http://{BUCKET}.oss-cn-hangzhou.aliyuncs.com/cam/x.m3u8"
    root = xml_document(put(svc, "cam3", host="127.0.0.1:8123"), "CreateLiveChannelResult")
    assert root.findtext("PublishUrls/Url") == f"rtmp://{BUCKET}.127.0.0.1:8123/live/cam3"
    assert root.findtext("PlayUrls/Url") == \
        f"http://{BUCKET}.127.0.0.1:8123/cam3/playlist.m3u8"


def test_a_description_of_128_bytes_is_kept_one_more_is_refused(svc):
    text = "\u00e9" * 64                                  # 128 bytes in UTF-8
    xml_document(put(svc, "cam", f"<Description>{text}</Description>"), "CreateLiveChannelResult")
    assert info(svc, "cam")[0] == text
    error_fields(put(svc, "cam2", f"<Description>{text}x</Description>"), 400,
             "InvalidArgument")
    error_fields(ask(svc, "GET", "cam2", {"live": ""}), 404, "NoSuchLiveChannel")


def test_a_channel_name_of_1023_bytes_is_kept_one_more_is_refused(svc):
    """A channel name follows the object naming rules: 1-1023 bytes of UTF-8."""
    name = "c" * 1023
    xml_document(put(svc, name), "CreateLiveChannelResult")
    assert info(svc, name) == ["", "enabled", "HLS", "5", "3", "playlist.m3u8"]
    error_fields(put(svc, name + "e"), 400, "InvalidArgument")
    assert list(listed(svc)) == [name]                    # the refused one was not made


@pytest.mark.parametrize("target, ec", [
    ("<FragDuration>101</FragDuration>", "0044-00000014"),
    ("<FragDuration>abc</FragDuration>", "0044-00000014"),
    ("<FragDuration>-5</FragDuration>", "0044-00000014"),
    ("<FragCount>1000</FragCount>", "0044-00000015"),
    ("<FragCount>x</FragCount>", "0044-00000015"),
    ("<Type>hls</Type>", "0044-00000013"),
    ("<PlaylistName>" + "p" * 124 + ".m3u8</PlaylistName>", "0044-00000017"),
    ("<PlaylistName>a/b.m3u8</PlaylistName>", "0044-00000016"),
    ("<PlaylistName>playlist.m3u</PlaylistName>", "0044-00000018"),
])
def test_a_target_out_of_range_is_refused_with_its_ec(svc, target, ec):
    resp = put(svc, "cam", target=target)
    error_fields(resp, 400, "InvalidArgument")
    assert resp.headers.get("x-oss-ec") == ec
    error_fields(ask(svc, "GET", "cam", {"live": ""}), 404, "NoSuchLiveChannel")


def test_the_history_of_a_channel_nobody_pushed_to_is_empty(svc):
    put(svc, "cam")
    root = xml_document(ask(svc, "GET", "cam", {"live": "", "comp": "history"}),
                  "LiveChannelHistory")
    assert list(root) == [] and (root.text or "").strip() == ""     # no LiveRecord
    err = error_fields(ask(svc, "GET", "gone", {"live": "", "comp": "history"}), 404,
                   "NoSuchLiveChannel")
    assert err["ChannelName"] == "gone"


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("times, argument", [
    ({"endTime": "2"}, "startTime"),
    ({"startTime": "1"}, "endTime"),
    ({"startTime": "x", "endTime": "2"}, "startTime"),
    ({"startTime": "1", "endTime": "1"}, "endTime"),          # not later
    ({"startTime": "5", "endTime": "4"}, "endTime"),
])
def test_vod_playlist_times_name_the_bad_argument(svc, method, times, argument):
    put(svc, "cam")
    key = "cam" if method == "GET" else "cam/vod.m3u8"
    err = error_fields(ask(svc, method, key, {"vod": "", **times}), 400, "InvalidArgument")
    assert err["ArgumentName"] == argument


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_vod_range_is_checked_once_the_channel_exists(svc, method):
    key = "cam" if method == "GET" else "cam/vod.m3u8"
    err = error_fields(ask(svc, method, key, {"vod": "", "startTime": "1", "endTime": "2"}),
                   404, "NoSuchLiveChannel")
    assert err["ChannelName"] == "cam"
    put(svc, "cam")
    err = error_fields(ask(svc, method, key, {"vod": "", "startTime": "1", "endTime": "2"}),
                   400, "InvalidArgument")
    assert "ArgumentName" not in err


def test_a_deleted_channel_is_gone_and_a_second_delete_is_no_such_channel(svc):
    put(svc, "cam")
    resp = ask(svc, "DELETE", "cam", {"live": ""})
    assert (resp.status, resp.body) == (204, b"")
    err = error_fields(ask(svc, "DELETE", "cam", {"live": ""}), 404, "NoSuchLiveChannel")
    assert err["ChannelName"] == "cam"


def test_a_page_exactly_as_long_as_max_keys_is_not_truncated(svc):
    for name in ("cam-a", "cam-b", "other"):
        put(svc, name)

    def page(**query):
        root = xml_document(ask(svc, "GET", None, {"live": "", **query}), "ListLiveChannelResult")
        return ([c.findtext("Name") for c in root.findall("LiveChannel")],
                root.findtext("IsTruncated"), root.findtext("NextMarker"),
                root.findtext("MaxKeys"), root.findtext("Prefix"))

    assert page(prefix="cam-", **{"max-keys": "2"}) == (["cam-a", "cam-b"], "false", "",
                                                        "2", "cam-")
    assert page(prefix="cam-", **{"max-keys": "1"}) == (["cam-a"], "true", "cam-a", "1",
                                                        "cam-")
    assert page(marker="cam-a", **{"max-keys": "1"}) == (["cam-b"], "true", "cam-b", "1",
                                                         "")
    assert page(marker="cam-b") == (["other"], "false", "", "100", "")


@pytest.mark.parametrize("config, target, element", [
    ("<Description>door\x01</Description>", "", "Description"),
    ("", "<PlaylistName>cam\x0c.m3u8</PlaylistName>", "PlaylistName"),
])
def test_a_control_character_is_refused_naming_the_element(svc, config, target, element):
    """An XML answer could not hold it (GetLiveChannelInfo would break): refused when it
    arrives, naming the element of the PutLiveChannel body."""
    err = error_fields(put(svc, "cam", config, target), 400, "InvalidArgument")
    assert err["ArgumentName"] == element
    error_fields(ask(svc, "GET", "cam", {"live": ""}), 404, "NoSuchLiveChannel")
