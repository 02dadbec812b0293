"""Live-channel answers element by element, over raw HTTP to an open server (the SDKs
send every optional parameter; these requests leave them out).

Expected values from the OSS API reference: ListLiveChannel (Prefix, Marker, MaxKeys,
IsTruncated, NextMarker, then per channel Name, Description, Status, LastModified,
PublishUrls/Url, PlayUrls/Url; no marker means from the first channel), GetVodPlaylist
(``GET /<ChannelName>?vod``: the path is the channel name, so a name with '/' names no
channel: 404 NoSuchLiveChannel), PutLiveChannel (a body that is not a
LiveChannelConfiguration is 400 MalformedXML; Status is enabled or disabled), and a
method a resource does not take is 405 MethodNotAllowed naming the method.
"""
from __future__ import annotations

from datetime import datetime

import pytest

from tests.helpers import one_bucket_server
from tests.server_http_helpers import call, children, error_answer, xml_answer

BUCKET = "live-answers"


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    with one_bucket_server(tmp_path_factory, BUCKET, region="cn-hangzhou") as (server, _):
        for name, description in (("cam-b", "yard"), ("cam-a", "door")):
            body = (f"<LiveChannelConfiguration><Description>{description}</Description>"
                    "<Status>enabled</Status></LiveChannelConfiguration>").encode()
            assert call(server, "PUT", f"/{BUCKET}/{name}?live", body)[0] == 200
        yield server


def test_list_without_marker_or_prefix_lists_every_channel(srv):
    root = xml_answer(call(srv, "GET", f"/{BUCKET}?live"), "ListLiveChannelResult")
    assert children(root)[:5] == ["Prefix", "Marker", "MaxKeys", "IsTruncated", "NextMarker"]
    assert [root.findtext(t) for t in ("Prefix", "Marker", "MaxKeys", "IsTruncated",
                                       "NextMarker")] == ["", "", "100", "false", ""]
    channels = root.findall("LiveChannel")
    assert [c.findtext("Name") for c in channels] == ["cam-a", "cam-b"]
    endpoint = f"127.0.0.1:{srv.port}"
    for channel, description in zip(channels, ("door", "yard")):
        name = channel.findtext("Name")
        assert children(channel) == ["Name", "Description", "Status", "LastModified",
                                     "PublishUrls", "PlayUrls"]
        assert (channel.findtext("Description"), channel.findtext("Status")) == (
            description, "enabled")
        assert channel.findtext("LastModified").endswith(".000Z")
        datetime.strptime(channel.findtext("LastModified"), "%Y-%m-%dT%H:%M:%S.000Z")
        assert channel.findtext("PublishUrls/Url") == \
            f"rtmp://{BUCKET}.{endpoint}/live/{name}"
        assert channel.findtext("PlayUrls/Url") == \
            f"http://{BUCKET}.{endpoint}/{name}/playlist.m3u8"


def test_a_marker_lists_the_channels_after_it(srv):
    root = xml_answer(call(srv, "GET", f"/{BUCKET}?live&marker=cam-a&max-keys=1"),
                      "ListLiveChannelResult")
    assert [c.findtext("Name") for c in root.findall("LiveChannel")] == ["cam-b"]
    assert (root.findtext("Marker"), root.findtext("IsTruncated")) == ("cam-a", "false")


def test_get_vod_playlist_of_a_path_with_a_slash_is_no_such_channel(srv):
    err = error_answer(call(srv, "GET", f"/{BUCKET}/cam-a/x.m3u8?vod&startTime=1"
                                        "&endTime=2"), 404, "NoSuchLiveChannel")
    assert err["ChannelName"] == "cam-a/x.m3u8"
    # the channel itself exists: without the slash the answer is the no-segment 400
    error_answer(call(srv, "GET", f"/{BUCKET}/cam-a?vod&startTime=1&endTime=2"), 400,
                 "InvalidArgument")


@pytest.mark.parametrize("method", ["DELETE", "PUT"])
def test_a_vod_playlist_takes_only_get_and_post(srv, method):
    err = error_answer(call(srv, method, f"/{BUCKET}/cam-a?vod&startTime=1&endTime=2"),
                       405, "MethodNotAllowed")
    assert err["Method"] == method


@pytest.mark.parametrize("body", [b"<Other/>", b"<Tagging><TagSet/></Tagging>"])
def test_a_body_that_is_not_a_channel_configuration_is_malformed(srv, body):
    error_answer(call(srv, "PUT", f"/{BUCKET}/cam-z?live", body), 400, "MalformedXML")
    error_answer(call(srv, "GET", f"/{BUCKET}/cam-z?live"), 404, "NoSuchLiveChannel")


@pytest.mark.parametrize("status", ["Enabled", "on", "paused"])
def test_a_status_other_than_enabled_or_disabled_is_refused(srv, status):
    body = (f"<LiveChannelConfiguration><Status>{status}</Status>"
            "</LiveChannelConfiguration>").encode()
    error_answer(call(srv, "PUT", f"/{BUCKET}/cam-z?live", body), 400, "InvalidArgument")
    error_answer(call(srv, "GET", f"/{BUCKET}/cam-z?live"), 404, "NoSuchLiveChannel")
