"""Issue 17, item 3: every exception a render can raise reaches the user as an OSS error
that says where (step, key), and an unexpected one -- a bug -- also goes, with its
traceback, to the user's log file, which never holds a secret."""
from __future__ import annotations

import logging
import os

import pytest

from core import codec
from core.cascade import parse
from core.engine import Engine, Source
from core.errors import OssError
from core.params import REGISTRY
from tests.helpers import EXAMPLE
from viewer import logs
from viewer.model.render import Renderer, RenderRequest, render
from viewer.model.session import Session

WAIT = 15_000


@pytest.fixture
def example():
    return Source.of(EXAMPLE)


def test_a_bug_in_an_action_is_an_internal_error_at_its_step(qtbot, monkeypatch, caplog,
                                                              example):
    def broken(self, pic, ctx):
        raise ValueError("boom in rotate")

    monkeypatch.setattr(REGISTRY["rotate"], "apply", broken)
    renderer = Renderer(engine=Engine(cache_entries=0), debounce_ms=0)
    caplog.set_level(logging.ERROR, logger="viewer")
    with qtbot.waitSignal(renderer.failed, timeout=WAIT) as failed:
        renderer.request(RenderRequest(example, parse("image/resize,w_100/rotate,90")))
    renderer.shutdown()
    err = failed.args[0]
    assert isinstance(err, OssError)
    assert (err.code, err.status, err.step, err.action) == ("InternalError", 500, 1, "rotate")
    assert err.message == "Unexpected failure: ValueError: boom in rotate"
    # The log has the input and the whole traceback, down to the action's own frame.
    (record,) = [r for r in caplog.records if r.name == "viewer"]
    text = logging.Formatter().format(record)
    assert "the render of image/resize,w_100/rotate,90 on example.jpg" in text
    assert "Traceback (most recent call last)" in text
    assert "in broken" in text and "ValueError: boom in rotate" in text
    assert "(in step 2 of the cascade: rotate)" in text


def test_expected_oss_errors_are_not_logged(qtbot, caplog, example):
    renderer = Renderer(engine=Engine(cache_entries=0), debounce_ms=0)
    caplog.set_level(logging.ERROR, logger="viewer")
    with qtbot.waitSignal(renderer.failed, timeout=WAIT) as failed:
        renderer.request(RenderRequest(example, parse("image/crop,x_5000,w_10")))
    renderer.shutdown()
    err = failed.args[0]
    assert err.code != "InternalError" and err.step == 0
    assert not [r for r in caplog.records if r.name == "viewer"]


def test_a_large_valid_output_is_shown_not_refused_as_a_large_source(example):
    # A 4000x2670 BMP is 32 MB: the engine writes it, and showing it used to fail with
    # "ImageTooLarge: The source image is larger than 20 MB." -- a limit on sources.
    out = render(Engine(cache_entries=0),
                 RenderRequest(example, parse("image/resize,w_4000,limit_0/format,bmp")),
                 lambda: False)
    assert out.result.format == "bmp"
    assert len(out.result.data) > codec.MAX_SOURCE_BYTES
    assert (out.after.width, out.after.height) == (4000, 2670)
    # Sources keep their limit.
    with pytest.raises(OssError) as e:
        codec.decode(out.result.data)
    assert e.value.code == "ImageTooLarge"


# -- the log file -----------------------------------------------------------------------------

@pytest.fixture
def log_file(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setattr(logs, "MAX_BYTES", 4000)
    path = logs.install()
    yield path
    logs.uninstall()
    logs.clear_secret_sources()


def test_the_log_file_lives_in_the_platform_state_folder(log_file, tmp_path):
    assert log_file == logs.log_path()
    assert log_file.name == "viewer.log" and log_file.parent.name == "logs"
    assert str(log_file).startswith(str(tmp_path / "state"))  # XDG_STATE_HOME on Linux


def test_unexpected_exceptions_are_logged_with_traceback_and_no_secret(log_file, monkeypatch):
    session = Session(environ={})
    session.set_typed("LTAI5tExampleKeyId", "TopSecretValue42", "StsTokenValue77")
    logs.add_secret_source(logs.session_secrets(session))
    monkeypatch.setenv("OSS_ACCESS_KEY_SECRET", "EnvSecretValue99")

    def fail():
        url = ("https://b.oss-cn-hangzhou.aliyuncs.com/a.jpg?OSSAccessKeyId=LTAI5tExampleKeyId"
               "&Expires=1700000000&Signature=abcDEF123%3D&security-token=StsTokenValue77")
        raise RuntimeError(f"signing failed for {url} with TopSecretValue42 / EnvSecretValue99"
                           " Authorization: OSS4-HMAC-SHA256 Credential=x,Signature=deadbeef")

    try:
        fail()
    except RuntimeError as exc:
        logs.log_unexpected(exc, "a test")
    for h in logs.log.handlers:
        h.flush()
    text = log_file.read_text(encoding="utf-8")
    assert "Unexpected RuntimeError in a test" in text
    assert "Traceback (most recent call last)" in text and "in fail" in text
    for secret in ("TopSecretValue42", "StsTokenValue77", "EnvSecretValue99", "abcDEF123",
                   "deadbeef"):
        assert secret not in text
    assert "Signature=***" in text and "security-token=***" in text


def test_the_log_file_rotates(log_file):
    for i in range(150):   # about 27 KB: the fourth file onwards is dropped
        logs.log.error("line %d %s", i, "x" * 100)
    for h in logs.log.handlers:
        h.flush()
    names = sorted(p.name for p in log_file.parent.iterdir())
    assert names == ["viewer.log", "viewer.log.1", "viewer.log.2", "viewer.log.3"]
    assert all(os.path.getsize(log_file.parent / n) <= 4000 for n in names)


def test_an_exception_in_a_slot_is_logged(caplog):
    from viewer.app import _excepthook

    caplog.set_level(logging.ERROR, logger="viewer")
    try:
        raise KeyError("from a slot")
    except KeyError as e:
        _excepthook(type(e), e, e.__traceback__)
    (record,) = [r for r in caplog.records if r.name == "viewer"]
    assert "Unexpected KeyError in the user interface" in record.getMessage()
    assert record.exc_info[0] is KeyError
