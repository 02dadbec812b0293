"""Live channels: the API surface of OSS's LiveChannel operations, stored per bucket.

PutLiveChannel, GetLiveChannelInfo, ListLiveChannel (prefix, marker, max-keys),
DeleteLiveChannel, PutLiveChannelStatus, GetLiveChannelStat and GetLiveChannelHistory
answer as OSS does. The RTMP ingest behind a channel is out of scope: nothing listens on
the publish URL, so a channel is never "Live" -- GetLiveChannelStat answers ``Idle``
(``Disabled`` for a disabled channel) and the history is empty, which is the truthful
state of a channel nobody pushes to. For the same reason PostVodPlaylist/GetVodPlaylist
find no recorded segments and answer 400 InvalidArgument, as OSS does for a time range
without any (oss2's test_live_channel.py expects exactly that). See
docs/COMPATIBILITY.md ("Live channels").

Each channel is ``ROOT/.oss-live/<bucket>/<sha1(name)>.json`` (written atomically), so
concurrent changes to different channels never overwrite each other.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from ..errors import OssError
from ..oss.urls import validate_bucket
from ..storage import atomic_write
from .config import error, iso_time, log, malformed_xml, small_int
from .listing import max_keys
from .messages import Request, Response
from .xmlio import el, read_xml, xml_doc, xml_safe

LIVE_DIR = ".oss-live"
DEFAULTS = {"Description": "", "Status": "enabled", "Type": "HLS", "FragDuration": 5,
            "FragCount": 3, "PlaylistName": "playlist.m3u8"}
STATUSES = ("enabled", "disabled")


def no_such_channel(name: str):
    return error("NoSuchLiveChannel", "The specified live channel does not exist.", 404,
                 ChannelName=name[:128])


def _invalid(message: str, ec: str | None = None, **details: str):
    return error("InvalidArgument", message, 400, ec, **details)


def parse_configuration(req: Request) -> dict:
    """The channel settings of a PutLiveChannel body, defaults filled in, checked."""
    root = read_xml(req)
    if root is None or root.tag != "LiveChannelConfiguration":
        raise malformed_xml()
    conf = dict(DEFAULTS)
    description = root.findtext("Description")
    if description is not None:
        conf["Description"] = xml_safe(description, "Description")
        if len(description.encode("utf-8")) > 128:
            raise _invalid("Description is at most 128 bytes.", "0044-00000001")
    status = root.findtext("Status")
    if status:
        if status not in STATUSES:
            raise _invalid("Status must be enabled or disabled.", "0044-00000002")
        conf["Status"] = status
    target = root.find("Target")
    if target is not None:
        kind = target.findtext("Type")
        if kind and kind != "HLS":
            raise _invalid("The Target Type must be HLS.", "0044-00000013")
        for name, ec in (("FragDuration", "0044-00000014"),
                         ("FragCount", "0044-00000015")):
            text = target.findtext(name)
            if not text:
                continue
            try:
                value = small_int(text, name, digits=3)
            except OssError:
                value = None
            if value is None or not 1 <= value <= 100:
                raise _invalid(f"{name} must be an integer from 1 to 100.", ec)
            conf[name] = value
        playlist = target.findtext("PlaylistName")
        if playlist:     # empty: the default, as OSS (oss2 sends <PlaylistName/> by default)
            if "/" in playlist:
                raise _invalid("PlaylistName must not contain '/'.", "0044-00000016")
            if len(playlist) > 128:
                raise _invalid("PlaylistName is at most 128 characters.", "0044-00000017")
            if len(playlist) < 6 or not playlist.endswith(".m3u8"):
                raise _invalid("PlaylistName must be 6-128 characters ending in .m3u8.",
                               "0044-00000018")
            conf["PlaylistName"] = xml_safe(playlist, "PlaylistName")
    return conf


class LiveChannelStore:
    """Channels per bucket under ``ROOT/.oss-live/<bucket>/``."""

    def __init__(self, root: Path) -> None:
        self.folder = root / LIVE_DIR

    def _path(self, bucket: str, name: str) -> Path:
        h = hashlib.sha1(name.encode("utf-8")).hexdigest()
        return self.folder / validate_bucket(bucket) / f"{h}.json"

    def get(self, bucket: str, name: str) -> dict | None:
        try:
            data = json.loads(self._path(bucket, name).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as e:
            log.warning("live channel %r of %s is unreadable (%s)", name, bucket, e)
            return None
        return data if isinstance(data, dict) and data.get("Name") == name else None

    def put(self, bucket: str, channel: dict) -> None:
        path = self._path(bucket, channel["Name"])
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, json.dumps(channel, ensure_ascii=False))

    def delete(self, bucket: str, name: str) -> bool:
        try:
            self._path(bucket, name).unlink()
        except FileNotFoundError:
            return False
        return True

    def list(self, bucket: str) -> list[dict]:
        """Every channel of the bucket, by name."""
        folder = self.folder / validate_bucket(bucket)
        out = []
        try:
            entries = list(os.scandir(folder))
        except FileNotFoundError:
            return []
        for entry in entries:
            if not entry.name.endswith(".json"):
                continue
            try:
                data = json.loads(Path(entry.path).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(data, dict) and isinstance(data.get("Name"), str):
                out.append(data)
        return sorted(out, key=lambda c: c["Name"])

    def drop_bucket(self, bucket: str) -> None:
        shutil.rmtree(self.folder / validate_bucket(bucket), ignore_errors=True)


class LiveOps:
    """Mixed into :class:`core.serve.service.OssService`; ``self.live`` is a
    :class:`LiveChannelStore`."""

    def _route_live(self, req: Request):
        """(operation name, handler) of a ``?live`` request on a channel."""
        m, q = req.method, req.query
        if "vod" in q:
            if m == "POST":
                return "PostVodPlaylist", self._vod_playlist
            if m == "GET":
                return "GetVodPlaylist", self._vod_playlist
            raise self._not_allowed(m)
        if m == "PUT":
            if "status" in q:
                return "PutLiveChannelStatus", self._put_live_channel_status
            return "PutLiveChannel", self._put_live_channel
        if m == "GET":
            comp = q.get("comp")
            if comp == "stat":
                return "GetLiveChannelStat", self._get_live_channel_stat
            if comp == "history":
                return "GetLiveChannelHistory", self._get_live_channel_history
            return "GetLiveChannelInfo", self._get_live_channel
        if m == "DELETE":
            return "DeleteLiveChannel", self._delete_live_channel
        raise self._not_allowed(m)

    @staticmethod
    def _channel_name(req: Request) -> str:
        name = req.key or ""
        if "/" in name or not name or len(name.encode("utf-8")) > 1023:
            raise _invalid("A live channel name is 1-1023 bytes without '/'.",
                           ChannelName=name[:128])
        return xml_safe(name, "channel name")

    def _channel(self, req: Request) -> tuple[str, dict]:
        name = self._channel_name(req)
        channel = self.live.get(req.bucket, name)
        if channel is None:
            raise no_such_channel(name)
        return name, channel

    def _urls(self, req: Request, channel: dict) -> str:
        """PublishUrls and PlayUrls as OSS forms them, ``<bucket>.<endpoint>`` with the
        endpoint the client used (nothing listens on the RTMP one)."""
        name, bucket = channel["Name"], req.bucket
        endpoint = (req.host or self.config.domain).removeprefix(f"{bucket}.")
        play = f"http://{bucket}.{endpoint}/{name}/{channel['PlaylistName']}"
        publish = f"rtmp://{bucket}.{endpoint}/live/{name}"
        return (f"<PublishUrls>{el('Url', publish)}</PublishUrls>"
                f"<PlayUrls>{el('Url', play)}</PlayUrls>")

    def _put_live_channel(self, req: Request) -> Response:
        name = self._channel_name(req)
        conf = parse_configuration(req)
        channel = {"Name": name, **conf, "LastModified": self._clock()}
        self.live.put(req.bucket, channel)
        return Response(200, {"Content-Type": "application/xml"},
                        xml_doc("CreateLiveChannelResult", self._urls(req, channel)))

    def _get_live_channel(self, req: Request) -> Response:
        _, c = self._channel(req)
        target = (el("Type", c["Type"]) + el("FragDuration", c["FragDuration"])
                  + el("FragCount", c["FragCount"]) + el("PlaylistName", c["PlaylistName"]))
        body = (el("Description", c["Description"]) + el("Status", c["Status"])
                + f"<Target>{target}</Target>")
        return Response(200, {"Content-Type": "application/xml"},
                        xml_doc("LiveChannelConfiguration", body))

    def _delete_live_channel(self, req: Request) -> Response:
        name = self._channel_name(req)
        if not self.live.delete(req.bucket, name):
            raise no_such_channel(name)
        return Response(204)

    def _put_live_channel_status(self, req: Request) -> Response:
        status = req.query.get("status", "")
        if status not in STATUSES:
            raise _invalid("status must be enabled or disabled.", ArgumentName="status")
        _, channel = self._channel(req)
        channel["Status"] = status
        channel["LastModified"] = self._clock()
        self.live.put(req.bucket, channel)
        return Response(200)

    def _get_live_channel_stat(self, req: Request) -> Response:
        _, channel = self._channel(req)
        state = "Disabled" if channel["Status"] == "disabled" else "Idle"
        return Response(200, {"Content-Type": "application/xml"},
                        xml_doc("LiveChannelStat", el("Status", state)))

    def _get_live_channel_history(self, req: Request) -> Response:
        self._channel(req)
        return Response(200, {"Content-Type": "application/xml"},
                        xml_doc("LiveChannelHistory", ""))

    def _vod_playlist(self, req: Request) -> Response:
        """Post/GetVodPlaylist: the channel and times are checked, then -- no segment was
        ever recorded here -- the answer OSS gives for a range without any."""
        name = (req.key or "").split("/", 1)[0] if req.method == "POST" else req.key or ""
        if self.live.get(req.bucket, name) is None:
            raise no_such_channel(name)
        times = []
        for param in ("startTime", "endTime"):
            try:
                value = small_int(req.query.get(param), param, digits=12)
            except OssError:
                value = None
            if value is None:     # GetVodPlaylist's bad startTime: EC page 0044-00000304
                get_start = (req.method, param) == ("GET", "startTime")
                ec = "0044-00000304" if get_start else None
                raise _invalid(f"{param} must be a Unix time in seconds.", ec,
                               ArgumentName=param)
            times.append(value)
        if not times[0] < times[1]:
            raise _invalid("endTime must be later than startTime.", ArgumentName="endTime")
        # No segment is ever recorded (this server has no RTMP ingest): OSS's answer for an
        # empty span, as aliyun-oss-csharp-sdk's LiveChannelTest asserts it (EC from ali-oss).
        raise _invalid("No ts file found in specified time span.", "0044-00000308")

    def _list_live_channels(self, req: Request) -> Response:
        q = req.query
        prefix, marker = q.get("prefix", ""), q.get("marker", "")
        limit = max_keys(q.get("max-keys"))
        chosen = [c for c in self.live.list(req.bucket)
                  if c["Name"].startswith(prefix) and c["Name"] > marker]
        truncated = len(chosen) > limit
        chosen = chosen[:limit]
        parts = [el("Prefix", prefix), el("Marker", marker), el("MaxKeys", limit),
                 el("IsTruncated", "true" if truncated else "false"),
                 el("NextMarker", chosen[-1]["Name"] if truncated else "")]
        for c in chosen:
            parts.append("<LiveChannel>" + el("Name", c["Name"])
                         + el("Description", c["Description"]) + el("Status", c["Status"])
                         + el("LastModified", iso_time(c["LastModified"]))
                         + self._urls(req, c) + "</LiveChannel>")
        return Response(200, {"Content-Type": "application/xml"},
                        xml_doc("ListLiveChannelResult", "".join(parts)))
