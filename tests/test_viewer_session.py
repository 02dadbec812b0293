"""One set of session credentials: typed once in the URLs panel, used by the style panel's
Bucket section and the Remote panel (against ``oss-img serve`` on loopback, which verifies
every signature); never written to the settings, never shown."""
from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QLineEdit

from core.oss.credentials import Credentials
from core.engine import Source
from core.serve.runner import serve
from tests.helpers import encode, quadrants
from viewer.model.document import Document
from viewer.model.remote_fetch import RemoteForm
from viewer.panels.remote_panel import RemotePanel
from viewer.model.session import ENV, TYPED, Session
from viewer.panels.style_panel import StyleLibraryPanel
from viewer.model.url_model import UrlForm
from viewer.panels.url_panel import UrlPanel

CREDS = Credentials("LTAI5tSessionKeyId01", "Session+Secret/Typed=Once01")
TOKEN = "CAIS+session/Token=0123"
BUCKET = "session-bkt"
IMG = encode(quadrants(40, 30))
WAIT = 20_000


@pytest.fixture(scope="module")
def private_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("session-root")
    (root / BUCKET).mkdir()
    (root / BUCKET / "cat.png").write_bytes(IMG)
    srv = serve(root, "127.0.0.1", 0, "private", (CREDS,))
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def doc():
    d = Document()
    d.set_source(Source.of(IMG), "cat.png")
    d.set_process_string("image/resize,w_20")
    return d


def type_in(qtbot, line: QLineEdit, text: str) -> None:
    line.setFocus()
    qtbot.keyClicks(line, text)


# -- the model ---------------------------------------------------------------------------

def test_environment_credentials_are_the_default_when_set():
    env = {"OSS_ACCESS_KEY_ID": CREDS.access_key_id,
           "OSS_ACCESS_KEY_SECRET": CREDS.access_key_secret, "OSS_SESSION_TOKEN": TOKEN}
    s = Session(environ=env)
    assert s.source == ENV
    assert s.credentials() == Credentials(CREDS.access_key_id, CREDS.access_key_secret, TOKEN)
    assert s.problem() is None
    assert "LTAI****Id01" in s.describe() and "STS token set" in s.describe()
    assert CREDS.access_key_secret not in s.describe() and TOKEN not in s.describe()


def test_typed_credentials_and_why_there_are_none(qtbot):
    s = Session(environ={})
    assert s.source == TYPED and s.credentials() is None
    assert "access key id and secret" in s.problem()
    with qtbot.waitSignal(s.changed):
        s.set_typed(CREDS.access_key_id, "")
    assert s.credentials() is None            # half-typed: no credentials yet
    with qtbot.waitSignal(s.changed):
        s.set_typed(CREDS.access_key_id, CREDS.access_key_secret)
    assert s.credentials() == CREDS
    with qtbot.assertNotEmitted(s.changed):
        s.set_typed(CREDS.access_key_id, CREDS.access_key_secret)   # no change, no echo
    s.set_source(ENV)
    assert s.credentials() is None and "OSS_ACCESS_KEY_ID" in s.problem()
    s.set_source(TYPED)
    assert s.credentials() == CREDS           # what was typed survives the switch
    s.set_credentials(None)
    assert s.credentials() is None and s.typed == ("", "", "")


def test_standalone_panels_keep_their_own_session(qtbot, doc, settings, tmp_path):
    a = UrlPanel(doc, settings=settings, environ={})
    b = StyleLibraryPanel(doc, library_path=tmp_path / "styles.json", settings=settings,
                          environ={})
    qtbot.addWidget(a)
    qtbot.addWidget(b)
    a.set_typed_credentials(CREDS.access_key_id, CREDS.access_key_secret)
    assert a.session is not b.session
    assert b.session.credentials() is None


def test_a_panel_gone_does_not_break_the_shared_session(qtbot, doc, settings):
    session = Session(environ={})
    panel = UrlPanel(doc, settings=settings, session=session)
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.destroyed):
        panel.deleteLater()
    session.set_typed(CREDS.access_key_id, CREDS.access_key_secret)   # no dead receiver
    assert session.credentials() == CREDS


# -- three panels, one session -----------------------------------------------------------

def test_typed_in_the_urls_panel_used_by_the_bucket_and_remote_panels(
        qtbot, doc, settings, tmp_path, private_server):
    session = Session(environ={})
    urls = UrlPanel(doc, settings=settings, session=session)
    styles = StyleLibraryPanel(doc, library_path=tmp_path / "styles.json",
                               settings=settings, session=session)
    remote = RemotePanel(doc, settings=settings, session=session)
    for w in (urls, styles, remote):
        qtbot.addWidget(w)
    urls.set_form(UrlForm(bucket=BUCKET, private=True))
    _type_credentials(qtbot, urls)

    # The style panel's fields are the same session's: bullets, same key id.
    assert styles.cred_source.currentData() == TYPED
    assert styles.key_id.text() == CREDS.access_key_id
    assert styles.secret.echoMode() == QLineEdit.EchoMode.Password
    styles.bucket_edit.setText(BUCKET)
    assert styles.target().credentials == CREDS
    assert "LTAI****Id01" in remote.credentials_info.text()
    assert CREDS.access_key_secret not in remote.credentials_info.text()

    # ... and they verify against a server that checks signatures.
    styles.endpoint.setCurrentText(f"127.0.0.1:{private_server.port}")
    styles.https.setChecked(False)
    styles.region.setText("cn-hangzhou")
    with qtbot.waitSignal(styles.bucketFinished, timeout=WAIT) as b:
        assert styles.list_bucket()
    assert b.args == ["list", True], styles.bucket_error.text()

    remote.set_form(RemoteForm(endpoint=f"127.0.0.1:{private_server.port}", bucket=BUCKET,
                               signing="v4"))
    with qtbot.waitSignal(remote.fetched, timeout=WAIT) as f:
        remote.fetch_button.click()
    assert f.args[0].remote.error is None, f.args[0].remote.error
    assert f.args[0].remote.width == 20

    # Typing a different secret in the style panel reaches the URLs panel too.
    styles.secret.selectAll()
    type_in(qtbot, styles.secret, "changed-secret")
    assert urls.credentials()[0].access_key_secret == "changed-secret"


def _type_credentials(qtbot, urls: UrlPanel) -> None:
    urls.access.setCurrentIndex(urls.access.findData(True))   # Private: signing fields on
    urls.cred_source.setCurrentIndex(urls.cred_source.findData(TYPED))
    type_in(qtbot, urls.key_id, CREDS.access_key_id)
    type_in(qtbot, urls.secret, CREDS.access_key_secret)
    assert urls.credentials() == (CREDS, None)


def test_the_main_window_shares_one_session_and_never_writes_it(main_window, qtbot, settings,
                                                               private_server):
    win = main_window(session=Session(environ={}))
    panels = win.extra_panels
    urls, styles, remote = (panels["urlDock"], panels["styleDock"], panels["remoteDock"])
    assert urls.session is styles.session is remote.session is win.session
    # In the window, credentials are typed once, in the connection editor (issue 9).
    editor = win.connection_bar.open_editor()
    editor.access.setCurrentIndex(editor.access.findData(True))
    cf = editor.credential_fields
    cf.source.setCurrentIndex(cf.source.findData(TYPED))
    type_in(qtbot, cf.key_id, CREDS.access_key_id)
    type_in(qtbot, cf.secret, CREDS.access_key_secret)
    assert urls.credentials() == (CREDS, None)
    assert styles.session.credentials() == CREDS
    assert styles.key_id.text() == CREDS.access_key_id
    assert "LTAI****Id01" in remote.credentials_info.text()

    remote.set_form(RemoteForm(endpoint=f"127.0.0.1:{private_server.port}", bucket=BUCKET,
                               key="cat.png", signing="v1"))
    with qtbot.waitSignal(remote.fetched, timeout=WAIT) as f:
        remote.fetch_button.click()
    assert f.args[0].remote.error is None, f.args[0].remote.error
    win.close()
    settings.sync()
    raw = Path(settings.fileName()).read_bytes()
    assert raw
    assert CREDS.access_key_secret.encode() not in raw
    assert b"Session+Secret" not in raw and b"Session%2BSecret" not in raw
