"""``oss-img serve`` as a command: ``--acl`` takes one of OSS's three bucket ACLs (a
usage error otherwise, argparse's exit status 2, before anything starts); and it keeps
waitress's own loggers quiet: ``waitress`` at WARNING (no
chatter about clients that disconnect) and ``waitress.queue`` at ERROR (its "task queue
depth" warnings are the expected state of a busy server, whose limits answer 503
SlowDown on their own)."""
from __future__ import annotations

import logging

import pytest

from core.cli import build_parser, main as cli_main
from core.serve import runner


@pytest.fixture
def waitress_levels(monkeypatch):
    loggers = [logging.getLogger(n) for n in ("waitress", "waitress.queue")]
    saved = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.NOTSET)
    monkeypatch.setattr(logging, "basicConfig", lambda **kw: None)
    monkeypatch.setattr(runner.OssServer, "serve_forever", lambda self: self._close())
    for name in ("OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET", "OSS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    yield loggers
    for lg, level in zip(loggers, saved):
        lg.setLevel(level)


def test_serve_sets_waitress_loggers_quiet(tmp_path, waitress_levels, capsys):
    assert cli_main(["serve", str(tmp_path), "--port", "0", "--workers", "0",
                     "--acl", "public-read-write"]) == 0
    main, queue = waitress_levels
    assert (main.level, queue.level) == (logging.WARNING, logging.ERROR)
    assert not queue.isEnabledFor(logging.WARNING) and queue.isEnabledFor(logging.ERROR)
    assert main.isEnabledFor(logging.WARNING) and not main.isEnabledFor(logging.INFO)
    assert "oss-img serve: " in capsys.readouterr().err


@pytest.mark.parametrize("acl", ["public", "Private", "public-read-write "])
def test_acl_outside_the_three_is_a_usage_error(tmp_path, acl, waitress_levels, capsys):
    assert cli_main(["serve", str(tmp_path), "--port", "0", "--acl", acl]) == 2
    err = capsys.readouterr().err
    assert "--acl: invalid choice" in err and "oss-img serve: " not in err
    for name in ("private", "public-read", "public-read-write"):
        assert f"'{name}'" in err
        assert build_parser().parse_args(["serve", str(tmp_path), "--acl", name]).acl == name
