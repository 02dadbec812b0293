"""The style panel's bucket section: a bucket's styles listed, put, deleted and copied
through core.oss.client (a fake client, and the real one against a loopback server that
checks every signature), errors inline, credentials never remembered."""
from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit
from xml.sax.saxutils import escape

import pytest
from PySide6.QtCore import QSettings

from core.oss.credentials import Credentials, static_lookup
from core.errors import OssError
from core.oss.verify import verify_request
from core.oss.urls import parse_query
from core.style_library import LIMIT

from tests.style_panel_env import KEY_ID, ROTATE, SECRET, THUMB, make_panel, on_disk
from tests.style_panel_env import doc, lib_path  # noqa: F401 (fixtures)


# -- bucket (fake client) ----------------------------------------------------------------

class FakeBucket:
    def __init__(self, styles=None, fail=None):
        self.styles = dict(styles or {})
        self.fail = fail
        self.gate: threading.Event | None = None
        self.targets = []

    def factory(self, target):
        self.targets.append(target)
        return self

    def _check(self):
        if self.gate is not None:
            assert self.gate.wait(10)
        if self.fail:
            raise self.fail

    def list_styles(self):
        self._check()
        return list(self.styles.items())

    def put_style(self, name, content):
        self._check()
        self.styles[name] = content

    def delete_style(self, name):
        self._check()
        if name not in self.styles:
            raise OssError("NoSuchStyle", "The specified style does not exist.")
        del self.styles[name]


def bucket_panel(qtbot, doc, lib_path, settings, fake, **kw):
    panel = make_panel(qtbot, doc, lib_path, settings, client_factory=fake.factory, **kw)
    panel.bucket_edit.setText("example-bucket")
    panel.set_typed_credentials(KEY_ID, SECRET)
    return panel


def test_bucket_list_put_delete_copy(qtbot, doc, lib_path, settings):
    fake = FakeBucket({"remote": ROTATE})
    panel = bucket_panel(qtbot, doc, lib_path, settings, fake)
    with qtbot.waitSignal(panel.bucketFinished) as b:
        assert panel.list_bucket()
    assert b.args == ["list", True]
    assert panel.bucket_styles == {"remote": ROTATE}
    assert fake.targets[-1].credentials.access_key_secret == SECRET
    assert fake.targets[-1].bucket == "example-bucket"

    panel.save_current("thumb")
    with qtbot.waitSignal(panel.bucketFinished) as b:
        assert panel.put("thumb")
    assert b.args == ["put", True]
    assert fake.styles == {"remote": ROTATE, "thumb": THUMB}
    assert panel.remote_tree.topLevelItemCount() == 2

    with qtbot.waitSignal(panel.bucketFinished):
        assert panel.delete_remote("remote")
    assert fake.styles == {"thumb": THUMB}

    fake.styles["other"] = ROTATE
    with qtbot.waitSignal(panel.bucketFinished):
        panel.list_bucket()
    assert panel.copy_remote("other")
    assert on_disk(lib_path) == {"thumb": THUMB, "other": ROTATE}
    panel.undo_stack.undo()
    assert on_disk(lib_path) == {"thumb": THUMB}


def test_bucket_errors_are_inline(qtbot, doc, lib_path, settings):
    fake = FakeBucket(fail=OssError("AccessDenied", "You have no right to access this "
                                    "object because of bucket acl.", status=403))
    panel = bucket_panel(qtbot, doc, lib_path, settings, fake)
    with qtbot.waitSignal(panel.bucketFinished) as b:
        panel.list_bucket()
    assert b.args == ["list", False]
    assert "no right" in panel.bucket_error.text() and not panel.bucket_error.isHidden()
    assert panel.list_button.isEnabled()  # usable again


def test_bucket_needs_credentials_and_bucket(qtbot, doc, lib_path, settings):
    fake = FakeBucket()
    panel = make_panel(qtbot, doc, lib_path, settings, client_factory=fake.factory)
    with qtbot.waitSignal(panel.bucketFinished) as b:
        assert panel.list_bucket() is False
    assert b.args == ["list", False] and "bucket" in panel.bucket_error.text()
    panel.bucket_edit.setText("example-bucket")
    panel.list_bucket()
    assert "access key id and secret" in panel.bucket_error.text()
    assert fake.targets == []


def test_bucket_uses_environment_credentials(qtbot, doc, lib_path, settings):
    fake = FakeBucket()
    env = {"OSS_ACCESS_KEY_ID": KEY_ID, "OSS_ACCESS_KEY_SECRET": SECRET}
    panel = make_panel(qtbot, doc, lib_path, settings, client_factory=fake.factory,
                       environ=env)
    assert panel.cred_source.currentData() == "env"
    assert "LTAI****ey01" in panel.cred_source.currentText()
    panel.bucket_edit.setText("example-bucket")
    with qtbot.waitSignal(panel.bucketFinished):
        panel.list_bucket()
    assert fake.targets[0].credentials == Credentials(KEY_ID, SECRET)


def test_put_refused_locally_when_the_bucket_is_full(qtbot, doc, lib_path, settings):
    fake = FakeBucket({f"s{i}": THUMB for i in range(LIMIT)})
    panel = bucket_panel(qtbot, doc, lib_path, settings, fake)
    with qtbot.waitSignal(panel.bucketFinished):
        panel.list_bucket()
    assert "limit" in panel.bucket_status.text()
    panel.save_current("new-one")
    with qtbot.waitSignal(panel.bucketFinished) as b:
        assert panel.put("new-one") is False
    assert b.args == ["put", False] and "50" in panel.bucket_error.text()
    assert len(fake.styles) == LIMIT


def test_stale_bucket_answers_are_dropped(qtbot, doc, lib_path, settings):
    fake = FakeBucket({"old": THUMB})
    fake.gate = threading.Event()
    panel = bucket_panel(qtbot, doc, lib_path, settings, fake)
    results = []
    panel.bucketFinished.connect(lambda op, ok: results.append((op, ok)))
    panel.list_bucket()            # generation 1, held at the gate
    assert not panel.list_button.isEnabled()
    fake.styles = {"new": ROTATE}
    panel.list_bucket()            # generation 2
    fake.gate.set()
    qtbot.waitUntil(lambda: not panel._pending)
    assert results == [("list", True)]
    assert panel.bucket_styles == {"new": ROTATE}
    assert panel.list_button.isEnabled()


def test_bucket_fields_remembered_but_never_credentials(qtbot, doc, lib_path, tmp_path):
    path = tmp_path / "s.ini"
    settings = QSettings(str(path), QSettings.Format.IniFormat)
    panel = bucket_panel(qtbot, doc, lib_path, settings, FakeBucket())
    panel.endpoint.setCurrentText("oss-cn-beijing.aliyuncs.com")
    panel.region.setText("cn-beijing")
    panel.set_typed_credentials(KEY_ID, SECRET, "CAIS+token/xyz=")
    settings.sync()
    raw = path.read_bytes()
    assert b"example-bucket" in raw and b"oss-cn-beijing" in raw
    for secret in (SECRET, "CAIS+token/xyz="):
        assert secret.encode() not in raw
    again = make_panel(qtbot, doc, lib_path, QSettings(str(path), QSettings.Format.IniFormat))
    assert again.bucket_edit.text() == "example-bucket"
    assert again.endpoint.currentText() == "oss-cn-beijing.aliyuncs.com"
    assert again.secret.text() == ""


# -- bucket (real core.oss.client against a loopback server) ---------------------------------

class _StyleServer(BaseHTTPRequestHandler):
    """Just enough of OSS's style API, path-style, V4-verified with core.oss.signing."""

    styles: dict[str, str] = {}
    creds = Credentials(KEY_ID, SECRET)
    seen: list[str] = []

    def log_message(self, *args):  # keep test output quiet
        pass

    def _reply(self, status, body=b""):
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self):
        parts = urlsplit(self.path)
        bucket = unquote(parts.path).strip("/")
        query = parse_query(parts.query)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            verify_request(self.command, bucket, None, query, dict(self.headers.items()),
                           static_lookup(self.creds), now=time.time(), region="cn-hangzhou")
        except OssError as e:
            self._reply(e.status, e.to_xml().encode())
            return
        self.seen.append(f"{self.command} {bucket} {sorted(query)}")
        name = query.get("styleName")
        if self.command == "GET" and name is None:
            items = "".join(f"<Style><Name>{escape(n)}</Name><Content>{escape(c)}</Content>"
                            "</Style>" for n, c in sorted(self.styles.items()))
            self._reply(200, f"<StyleList>{items}</StyleList>".encode())
        elif self.command == "PUT":
            import xml.etree.ElementTree as ET
            self.styles[name] = ET.fromstring(body).findtext("Content")
            self._reply(200)
        elif self.command == "DELETE":
            self.styles.pop(name, None)
            self._reply(204)
        else:
            self._reply(400)

    do_GET = do_PUT = do_DELETE = _handle


@pytest.fixture
def style_server():
    _StyleServer.styles = {"remote": ROTATE}
    _StyleServer.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _StyleServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_bucket_through_core_client_on_loopback(qtbot, doc, lib_path, settings, style_server):
    panel = make_panel(qtbot, doc, lib_path, settings)  # default factory: core.oss.client
    panel.endpoint.setCurrentText(f"127.0.0.1:{style_server.server_address[1]}")
    panel.https.setChecked(False)
    panel.region.setText("cn-hangzhou")
    panel.bucket_edit.setText("example-bucket")
    panel.set_typed_credentials(KEY_ID, SECRET)
    with qtbot.waitSignal(panel.bucketFinished, timeout=10000) as b:
        panel.list_bucket()
    assert b.args == ["list", True], panel.bucket_error.text()
    assert panel.bucket_styles == {"remote": ROTATE}

    panel.save_current("thumb")
    with qtbot.waitSignal(panel.bucketFinished, timeout=10000) as b:
        panel.put("thumb")
    assert b.args == ["put", True], panel.bucket_error.text()
    assert _StyleServer.styles == {"remote": ROTATE, "thumb": THUMB}

    with qtbot.waitSignal(panel.bucketFinished, timeout=10000) as b:
        panel.delete_remote("remote")
    assert b.args == ["delete", True]
    assert _StyleServer.styles == {"thumb": THUMB}

    # A wrong secret: the server's SignatureDoesNotMatch shows up inline.
    panel.set_typed_credentials(KEY_ID, "wrong-secret")
    with qtbot.waitSignal(panel.bucketFinished, timeout=10000) as b:
        panel.list_bucket()
    assert b.args == ["list", False]
    assert "signature" in panel.bucket_error.text().lower()
    assert "wrong-secret" not in panel.bucket_error.text()
