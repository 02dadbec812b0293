"""The style library panel: save/rename/delete/apply/import/export with undo, atomic and
crash-safe storage, inline errors, and the bucket's styles through core.oss.client (a fake
client, and the real one against a loopback server that checks every signature)."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit
from xml.sax.saxutils import escape

import pytest
from PySide6.QtCore import QSettings

from core import storage
from core.oss.credentials import Credentials, static_lookup
from core.errors import OssError
from core.oss.verify import verify_request
from core.style_library import LIMIT, StyleLibrary
from core.oss.urls import parse_query
from viewer.document import Document
from viewer.style_panel import StyleLibraryPanel

from tests.viewer_windows import track

THUMB = "image/resize,w_100"
ROTATE = "image/rotate,90"
KEY_ID, SECRET = "LTAI5tStylePanelKey01", "Style+Panel/Secret=Never0123"


@pytest.fixture
def doc():
    d = Document()
    d.set_process_string(THUMB)
    return d


@pytest.fixture
def lib_path(tmp_path):
    return tmp_path / "config" / "styles.json"


def make_panel(qtbot, doc, lib_path, settings, **kw):
    kw.setdefault("environ", {})
    panel = track(qtbot, StyleLibraryPanel(doc, library_path=lib_path, settings=settings, **kw))
    return panel


def on_disk(path) -> dict:
    return json.loads(path.read_text("utf-8")) if path.exists() else {}


# -- local library -----------------------------------------------------------------------

def test_save_current_apply_and_reload(qtbot, doc, lib_path, settings):
    panel = make_panel(qtbot, doc, lib_path, settings)
    panel.name_edit.setText("thumb")
    assert panel.save_button.isEnabled()
    panel.save_button.click()
    assert panel.names() == ["thumb"] and on_disk(lib_path) == {"thumb": THUMB}
    assert panel.selected_name() == "thumb"

    doc.set_process_string(ROTATE)
    assert panel.apply("thumb")
    assert doc.process_string() == THUMB
    doc.undo_stack.undo()  # applying is a document edit, undoable there
    assert doc.process_string() == ROTATE

    again = make_panel(qtbot, doc, lib_path, settings)
    assert again.names() == ["thumb"]


def test_save_button_reflects_name_validity_and_existence(qtbot, doc, lib_path, settings):
    panel = make_panel(qtbot, doc, lib_path, settings)
    panel.name_edit.setText("bad name")
    assert not panel.save_button.isEnabled()
    assert "stylename is invalid" in panel.name_edit.toolTip()
    panel.name_edit.setText("ok.name-1")
    assert panel.save_button.isEnabled() and panel.save_button.text() == "Save current as"
    panel.save_current_from_field()
    assert panel.save_button.text() == "Replace with current"


@pytest.mark.parametrize("name", ["", "with space", "x" * 64, "semi;colon"])
def test_invalid_name_is_refused_inline(qtbot, doc, lib_path, settings, name):
    panel = make_panel(qtbot, doc, lib_path, settings)
    assert panel.save_current(name) is False
    assert panel.error_label.text() == f"The value: {name} of parameter: stylename is invalid."
    assert not panel.error_label.isHidden()
    assert not lib_path.exists() and panel.undo_stack.count() == 0


def test_empty_cascade_cannot_be_saved(qtbot, lib_path, settings):
    panel = make_panel(qtbot, Document(), lib_path, settings)
    assert panel.save_current("x") is False
    assert "empty" in panel.error_label.text()


def test_rename_delete_and_undo_redo_each_edit(qtbot, doc, lib_path, settings):
    panel = make_panel(qtbot, doc, lib_path, settings)
    panel.save_current("a")
    doc.set_process_string(ROTATE)
    panel.save_current("b")
    panel.select("a")
    panel.name_edit.setText("c")
    assert panel.rename_button.isEnabled()
    panel.rename_button.click()
    assert on_disk(lib_path) == {"b": ROTATE, "c": THUMB}
    panel.select("b")
    panel.delete_button.click()
    assert on_disk(lib_path) == {"c": THUMB}
    assert panel.undo_stack.count() == 4

    states = [{"b": ROTATE, "c": THUMB}, {"a": THUMB, "b": ROTATE}, {"a": THUMB}, {}]
    for expected in states:
        panel.undo_button.click()
        assert on_disk(lib_path) == expected
        assert panel.names() == sorted(expected)
    assert not panel.undo_button.isEnabled()
    for expected in reversed([{"c": THUMB}] + states[:-1]):
        panel.redo_button.click()
        assert on_disk(lib_path) == expected
    assert StyleLibrary(lib_path).as_dict() == {"c": THUMB}


def test_rename_to_existing_or_invalid_is_inline_error(qtbot, doc, lib_path, settings):
    panel = make_panel(qtbot, doc, lib_path, settings)
    panel.save_current("a")
    panel.save_current("b")
    assert panel.rename("a", "b") is False
    assert "already exists" in panel.error_label.text()
    assert panel.rename("a", "bad/name") is False
    assert on_disk(lib_path) == {"a": THUMB, "b": THUMB}


def test_apply_of_an_unparsable_kept_entry_is_inline_and_keeps_the_cascade(
        qtbot, doc, lib_path, settings):
    lib_path.parent.mkdir(parents=True)
    lib_path.write_text(json.dumps({"future": "image/resize,w_1|sys/saveas,o_eA"}))
    panel = make_panel(qtbot, doc, lib_path, settings)
    item = panel.tree.topLevelItem(0)
    assert item.toolTip(0)  # flagged with the parser's reason
    assert panel.apply("future") is False
    assert "Cannot apply future" in panel.error_label.text()
    assert doc.process_string() == THUMB


def test_failed_save_leaves_the_old_file_byte_identical(qtbot, doc, lib_path, settings,
                                                        monkeypatch):
    panel = make_panel(qtbot, doc, lib_path, settings)
    panel.save_current("thumb")
    before = lib_path.read_bytes()

    def disk_full(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(storage.os, "replace", disk_full)
    doc.set_process_string(ROTATE)
    assert panel.save_current("other") is False
    assert panel.save_current("thumb") is False  # replacing fails the same way
    assert panel.delete("thumb") is False
    monkeypatch.undo()
    assert lib_path.read_bytes() == before
    assert "No space left on device" in panel.error_label.text()
    assert panel.names() == ["thumb"] and panel.undo_stack.count() == 1
    assert [p.name for p in lib_path.parent.iterdir()] == ["styles.json"]


def test_failed_undo_write_is_reported_and_retried(qtbot, doc, lib_path, settings,
                                                   monkeypatch):
    panel = make_panel(qtbot, doc, lib_path, settings)
    panel.save_current("thumb")
    before = lib_path.read_bytes()
    monkeypatch.setattr(storage.os, "replace",
                        lambda *a, **k: (_ for _ in ()).throw(OSError(5, "I/O error")))
    panel.undo_stack.undo()
    assert "Could not write the library" in panel.error_label.text()
    assert lib_path.read_bytes() == before and panel.names() == ["thumb"]
    monkeypatch.undo()
    panel.undo_stack.redo()
    panel.undo_stack.undo()
    assert on_disk(lib_path) == {}


def test_corrupt_library_is_preserved_and_reported_inline(qtbot, doc, lib_path, settings):
    lib_path.parent.mkdir(parents=True)
    lib_path.write_bytes(b"{oops")
    panel = make_panel(qtbot, doc, lib_path, settings)
    assert "styles.json.corrupt-1" in panel.error_label.text()
    assert (lib_path.parent / "styles.json.corrupt-1").read_bytes() == b"{oops"
    assert panel.save_current("thumb")
    assert (lib_path.parent / "styles.json.corrupt-1").read_bytes() == b"{oops"


def test_import_export_round_trip_through_the_panel(qtbot, doc, lib_path, settings, tmp_path):
    panel = make_panel(qtbot, doc, lib_path, settings)
    panel.save_current("thumb")
    doc.set_process_string(ROTATE)
    panel.save_current("turn")
    out = tmp_path / "exported.json"
    assert panel.export_file(out)
    assert json.loads(out.read_text("utf-8")) == {"thumb": THUMB, "turn": ROTATE}

    other = make_panel(qtbot, doc, tmp_path / "other" / "styles.json", settings)
    assert other.import_file(out)
    assert other.names() == ["thumb", "turn"]
    assert on_disk(tmp_path / "other" / "styles.json") == on_disk(lib_path)
    assert "2 added" in other.status.text()
    other.undo_stack.undo()  # an import is one undoable edit
    assert other.names() == []


def test_import_reports_conflicts_and_invalid_entries_inline(qtbot, doc, lib_path, settings,
                                                             tmp_path):
    panel = make_panel(qtbot, doc, lib_path, settings)
    panel.save_current("thumb")
    src = tmp_path / "in.json"
    src.write_text(json.dumps({"thumb": ROTATE, "new": ROTATE, "bad name": THUMB,
                               "broken": "image/resize,w_0"}))
    assert panel.import_file(src)
    assert on_disk(lib_path) == {"thumb": THUMB, "new": ROTATE}
    text = panel.error_label.text()
    assert "thumb" in text and "bad name" in text and "broken" in text
    assert panel.import_file(src, replace=True)
    assert on_disk(lib_path)["thumb"] == ROTATE


def test_import_of_garbage_is_inline_error(qtbot, doc, lib_path, settings, tmp_path):
    panel = make_panel(qtbot, doc, lib_path, settings)
    src = tmp_path / "in.json"
    src.write_text("[1,2,3]")
    assert panel.import_file(src) is False
    assert "in.json" in panel.error_label.text()
    assert panel.import_file(tmp_path / "missing.json") is False


def test_export_failure_is_inline(qtbot, doc, lib_path, settings, tmp_path, monkeypatch):
    panel = make_panel(qtbot, doc, lib_path, settings)
    panel.save_current("thumb")
    target = tmp_path / "out.json"
    target.write_text("old export")
    monkeypatch.setattr(storage.os, "replace",
                        lambda *a, **k: (_ for _ in ()).throw(OSError(13, "Permission denied")))
    assert panel.export_file(target) is False
    assert "Permission denied" in panel.error_label.text()
    assert target.read_text() == "old export"


def test_limit_warning_at_fifty(qtbot, doc, lib_path, settings):
    lib = StyleLibrary(lib_path)
    lib.merge({f"s{i:02}": THUMB for i in range(LIMIT - 1)})
    panel = make_panel(qtbot, doc, lib_path, settings)
    assert panel.limit_label.isHidden()
    panel.save_current("the-fiftieth")
    assert not panel.limit_label.isHidden() and "50" in panel.limit_label.text()
    panel.undo_stack.undo()
    assert panel.limit_label.isHidden()


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


def test_delete_key_in_the_list_deletes_undoably(qtbot, doc, lib_path, settings):
    from PySide6.QtCore import Qt

    panel = make_panel(qtbot, doc, lib_path, settings)
    panel.save_current("thumb")
    panel.show()
    qtbot.waitExposed(panel)
    panel.tree.setFocus()
    qtbot.waitUntil(panel.tree.hasFocus)
    qtbot.keyClick(panel.tree, Qt.Key.Key_Delete)
    assert panel.names() == [] and on_disk(lib_path) == {}
    panel.undo_button.click()
    assert panel.names() == ["thumb"]


# -- layout ------------------------------------------------------------------------------

DOCK_WIDTH = 320   # the main window's side docks start at 330 px, frame included


def test_fits_a_side_dock_without_horizontal_scrolling(qtbot, doc, lib_path, settings):
    env = {"OSS_ACCESS_KEY_ID": "LTAI5tStylePanelEnv01", "OSS_ACCESS_KEY_SECRET": "x"}
    panel = make_panel(qtbot, doc, lib_path, settings, environ=env)
    assert panel.minimumSizeHint().width() <= DOCK_WIDTH
    # The widest states: the longest button texts, messages with long unbreakable words.
    panel.save_current("a-rather-long-style-name.for.the-banner")
    panel.name_edit.setText("a-rather-long-style-name.for.the-banner")
    assert panel.save_button.text() == "Replace with current"
    panel._show_error("Could not write /home/someone/.config/oss-style-viewer/styles.json")
    panel.bucket_error.setText("Cannot reach the server: HTTPSConnectionPool(host="
                               "'examplebucket.oss-cn-hangzhou.aliyuncs.com', port=443)")
    panel.set_typed_credentials(KEY_ID, SECRET)
    assert panel.minimumSizeHint().width() <= DOCK_WIDTH
    # A cut message is still readable whole.
    assert "port=443" in panel.bucket_error.label.toolTip()
