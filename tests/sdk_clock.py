"""Freeze the clocks the official SDKs read, so their signatures are reproducible.

Found by reading their source: oss2.auth uses ``time.time()``, ``datetime.utcnow()`` and
``utils.http_date()``; alibabacloud_oss_v2's signer.v1/v4 and presigner use
``datetime.datetime.now(tz)``.
"""
from __future__ import annotations

import datetime as _dt
from email.utils import formatdate
from types import SimpleNamespace

import alibabacloud_oss_v2.presigner as v2_presigner
import alibabacloud_oss_v2.signer.v1 as v2_signer_v1
import alibabacloud_oss_v2.signer.v4 as v2_signer_v4
import oss2.auth
import oss2.utils


def freeze_sdk_clocks(monkeypatch, now: int) -> None:
    class Frozen(_dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return _dt.datetime.fromtimestamp(now, tz or _dt.timezone.utc)

        @classmethod
        def utcnow(cls):
            return _dt.datetime.fromtimestamp(now, _dt.timezone.utc).replace(tzinfo=None)

    monkeypatch.setattr(oss2.auth, "time", SimpleNamespace(time=lambda: now))
    monkeypatch.setattr(oss2.auth, "datetime", Frozen)
    monkeypatch.setattr(oss2.utils, "http_date",
                        lambda timeval=None: formatdate(now, usegmt=True))
    fake = SimpleNamespace(datetime=Frozen, timezone=_dt.timezone, timedelta=_dt.timedelta)
    for module in (v2_signer_v1, v2_signer_v4, v2_presigner):
        monkeypatch.setattr(module, "datetime", fake)
