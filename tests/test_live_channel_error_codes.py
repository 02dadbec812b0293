"""PutLiveChannel refusals carry the EC of OSS's page for each element (OSS EC pages
0044-00000001: Description over 128 bytes; 0044-00000002: Status other than enabled or
disabled, the page's example ``abc``; 0044-00000014: FragDuration not an integer in
[1, 100], the page's example ``abc``), with 400 InvalidArgument, and no channel is made.
The limits themselves are kept: 128 bytes of Description, FragDuration 1 and 100.
GetVodPlaylist with a startTime that is missing or not a Unix time: 0044-00000304 (its
page's example ``startTime=abc``).
"""
from __future__ import annotations

import pytest

from tests.test_live_channel_configuration import info, put
from tests.service_env import error_fields
from tests.test_live_channel_status_and_stat import ask, clock, svc  # noqa: F401


@pytest.mark.parametrize("config, target, ec", [
    ("<Description>" + "a" * 129 + "</Description>", "", "0044-00000001"),
    ("<Status>abc</Status>", "", "0044-00000002"),
    ("<Status>Disabled</Status>", "", "0044-00000002"),
    ("", "<Type>HLS</Type><FragDuration>abc</FragDuration><FragCount>3</FragCount>",
     "0044-00000014"),
    ("", "<FragDuration>0</FragDuration>", "0044-00000014"),
    ("", "<FragDuration>101</FragDuration><FragCount>3</FragCount>", "0044-00000014"),
])
def test_each_refusal_has_its_pages_ec(svc, config, target, ec):
    resp = put(svc, "test-channel", config, target)
    error_fields(resp, 400, "InvalidArgument")
    assert resp.headers.get("x-oss-ec") == ec
    error_fields(ask(svc, "GET", "test-channel", {"live": ""}), 404, "NoSuchLiveChannel")


def test_the_limits_themselves_are_kept(svc):
    put(svc, "edge", "<Description>" + "a" * 128 + "</Description>"
        "<Status>disabled</Status>", "<FragDuration>1</FragDuration>")
    assert info(svc, "edge")[:4] == ["a" * 128, "disabled", "HLS", "1"]
    put(svc, "edge2", "", "<FragDuration>100</FragDuration>")
    assert info(svc, "edge2")[3] == "100"


@pytest.mark.parametrize("query", [
    {"endTime": "1472020226", "startTime": "abc"},           # the EC page's example
    {"endTime": "1472020226"},                                # missing
])
def test_get_vod_playlist_with_a_bad_start_time_is_0044_00000304(svc, query):
    put(svc, "test-channel")
    resp = ask(svc, "GET", "test-channel", {"vod": "", **query})
    err = error_fields(resp, 400, "InvalidArgument")
    assert (resp.headers.get("x-oss-ec"), err["ArgumentName"]) == ("0044-00000304", "startTime")


@pytest.mark.parametrize("method, query, name", [
    ("GET", {"startTime": "1472020000", "endTime": "abc"}, "endTime"),
    ("GET", {"startTime": "1472020000"}, "endTime"),
    ("POST", {"startTime": "abc", "endTime": "1472020226"}, "startTime"),
])
def test_other_bad_vod_times_are_named_without_that_ec(svc, method, query, name):
    """EC 0044-00000304 is the page of GetVodPlaylist's startTime only: a bad endTime, or
    PostVodPlaylist's bad startTime, is InvalidArgument naming the time, without it."""
    put(svc, "test-channel")
    key = "test-channel" if method == "GET" else "test-channel/list.m3u8"
    resp = ask(svc, method, key, {"vod": "", **query})
    err = error_fields(resp, 400, "InvalidArgument")
    assert (resp.headers.get("x-oss-ec"), err["ArgumentName"]) == (None, name)
