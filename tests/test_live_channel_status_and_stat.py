"""PutLiveChannelStatus, GetLiveChannelStat and the channel store, answer by answer, on an
open in-process service with a clock the test moves.

Expected values from the OSS API reference: PutLiveChannelStatus
(``PUT /<ChannelName>?live&status=enabled|disabled``, 200 with no body; a status that is
neither is 400 InvalidArgument naming the ``status`` parameter), GetLiveChannelStat
(``GET /<ChannelName>?live&comp=stat``: an XML ``LiveChannelStat`` whose ``Status`` is
``Idle`` for a channel nobody pushes to and ``Disabled`` for a disabled one),
ListLiveChannel (``LastModified``: when the channel was last modified, ISO 8601 UTC).
Every LiveChannel operation is named by its API name (PutLiveChannel,
GetLiveChannelInfo, ...): this server has no versions of a channel, so a ``versionId``
on one is 501 NotImplemented naming that operation.
"""
from __future__ import annotations

import io

import pytest

from core.serve.live import LiveChannelStore

from tests.service_env import SettableClock, error_fields, handle, one_bucket_service, xml_document

BUCKET = "live-status"
T0 = 1_700_000_000            # 2023-11-14T22:13:20Z
T1 = T0 + 3 * 3600 + 7        # 2023-11-15T01:13:27Z


@pytest.fixture
def clock():
    return SettableClock(T0)


@pytest.fixture
def svc(tmp_path, clock):
    return one_bucket_service(tmp_path, BUCKET, clock=clock)


def ask(svc, method, key=None, query=None, body=b"", host=None):
    return handle(svc, method, BUCKET, key, query, body, host=host or "")


def create(svc, name):
    resp = ask(svc, "PUT", name, {"live": ""}, b"<LiveChannelConfiguration/>")
    assert resp.status == 200, resp.body


def listed(svc):
    root = xml_document(ask(svc, "GET", None, {"live": ""}), "ListLiveChannelResult")
    return {c.findtext("Name"): (c.findtext("Status"), c.findtext("LastModified"))
            for c in root.findall("LiveChannel")}


def stat(svc, name):
    root = xml_document(ask(svc, "GET", name, {"live": "", "comp": "stat"}), "LiveChannelStat")
    assert [child.tag for child in root] == ["Status"]
    return root.findtext("Status")


def test_a_status_change_is_200_without_a_body_and_is_the_last_modification(svc, clock):
    create(svc, "cam")
    assert listed(svc) == {"cam": ("enabled", "2023-11-14T22:13:20.000Z")}
    clock.now = T1
    resp = ask(svc, "PUT", "cam", {"live": "", "status": "disabled"})
    assert (resp.status, resp.body) == (200, b"")
    assert listed(svc) == {"cam": ("disabled", "2023-11-15T01:13:27.000Z")}
    assert stat(svc, "cam") == "Disabled"
    clock.now = T1 + 60
    assert ask(svc, "PUT", "cam", {"live": "", "status": "enabled"}).status == 200
    assert listed(svc) == {"cam": ("enabled", "2023-11-15T01:14:27.000Z")}
    assert stat(svc, "cam") == "Idle"


@pytest.mark.parametrize("value", ["", "Enabled", "paused"])
def test_a_status_other_than_enabled_or_disabled_names_the_status_parameter(svc, value):
    create(svc, "cam")
    err = error_fields(ask(svc, "PUT", "cam", {"live": "", "status": value}), 400,
                   "InvalidArgument")
    assert err["ArgumentName"] == "status"
    assert listed(svc)["cam"][0] == "enabled"


def test_the_status_of_a_missing_channel_is_no_such_live_channel(svc):
    err = error_fields(ask(svc, "PUT", "nope", {"live": "", "status": "disabled"}), 404,
                   "NoSuchLiveChannel")
    assert err["ChannelName"] == "nope"
    err = error_fields(ask(svc, "GET", "nope", {"live": "", "comp": "stat"}), 404,
                   "NoSuchLiveChannel")
    assert err["ChannelName"] == "nope"


@pytest.mark.parametrize("method, query, operation", [
    ("PUT", {}, "PutLiveChannel"),
    ("PUT", {"status": "enabled"}, "PutLiveChannelStatus"),
    ("GET", {}, "GetLiveChannelInfo"),
    ("GET", {"comp": "stat"}, "GetLiveChannelStat"),
    ("GET", {"comp": "history"}, "GetLiveChannelHistory"),
    ("DELETE", {}, "DeleteLiveChannel"),
])
def test_a_version_id_on_a_channel_is_not_implemented_for_that_operation(svc, method, query,
                                                                         operation):
    create(svc, "cam")
    err = error_fields(ask(svc, method, "cam", {"live": "", **query, "versionId": "v1"},
                       b"<LiveChannelConfiguration/>" if method == "PUT" else b""),
                   501, "NotImplemented")
    assert err["Message"].split()[0] == operation
    assert listed(svc)["cam"][0] == "enabled"          # nothing was changed or deleted


@pytest.mark.parametrize("method, operation", [("GET", "GetVodPlaylist"),
                                               ("POST", "PostVodPlaylist")])
def test_a_version_id_on_a_vod_playlist_names_its_operation(svc, method, operation):
    create(svc, "cam")
    err = error_fields(ask(svc, method, "cam" if method == "GET" else "cam/v.m3u8",
                       {"vod": "", "startTime": "1", "endTime": "2", "versionId": "v1"}),
                   501, "NotImplemented")
    assert err["Message"].split()[0] == operation


NAME = "Kamera-T\u00fcr-\u6444\u50cf\u5934"


def test_a_non_ascii_channel_name_is_read_back_whatever_the_locale(tmp_path, monkeypatch):
    """The channel files are UTF-8 JSON: on a machine whose locale encoding is not UTF-8
    (here Latin-1, the text encoding ``pathlib`` asks ``io.text_encoding`` for) every
    channel is still found and listed under its own name."""
    store = LiveChannelStore(tmp_path)
    store.put(BUCKET, {"Name": NAME, "Status": "enabled"})
    store.put(BUCKET, {"Name": "ascii", "Status": "enabled"})
    real = io.text_encoding
    monkeypatch.setattr(io, "text_encoding",
                        lambda encoding, stacklevel=2: encoding or "latin-1")
    assert [c["Name"] for c in store.list(BUCKET)] == sorted([NAME, "ascii"])
    assert store.get(BUCKET, NAME)["Name"] == NAME
    monkeypatch.setattr(io, "text_encoding", real)
    assert [c["Name"] for c in store.list(BUCKET)] == sorted([NAME, "ascii"])
