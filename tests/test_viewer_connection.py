"""One connection (issue 9): profiles remembered without secrets, the keychain opt-in
(keyring with an in-memory backend, and with none), and every panel following it."""
from __future__ import annotations

from pathlib import Path

import pytest
from keyring.backend import KeyringBackend
from PySide6.QtCore import QSettings

from core.oss.credentials import Credentials
from core.oss.urls import AddressStyle
from viewer.model.connection import LOCAL_SERVE, Connection
from viewer.model.keychain import SERVICE, Keychain
from viewer.model.session import TYPED, Session

CREDS = Credentials("LTAI5tConnectionKey01", "Connection+Secret/01=")


class MemoryKeyring(KeyringBackend):
    """keyring's backend interface, kept in a dict (what a test keychain should be)."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.store.get((service, username))

    def set_password(self, service, username, password):
        self.store[(service, username)] = password

    def delete_password(self, service, username):
        self.store.pop((service, username), None)


class NoKeyring(KeyringBackend):
    """What keyring picks on a headless Linux box: nothing usable."""

    priority = 0

    def get_password(self, service, username):
        raise RuntimeError("no backend")

    def set_password(self, service, username, password):
        raise RuntimeError("no backend")

    def delete_password(self, service, username):
        raise RuntimeError("no backend")


@pytest.fixture
def ini(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def make(ini, backend=None):
    session = Session(environ={})
    return Connection(ini, session, keychain=Keychain(backend or MemoryKeyring())), session


def test_first_run_has_default_and_local_serve_profiles(ini):
    ini.setValue("urls/bucket", "legacy-bucket")      # what the URLs panel remembered
    ini.setValue("urls/https", "false")
    c, _ = make(ini)
    assert c.profile_names() == ["default", LOCAL_SERVE]
    assert c.name == "default"
    assert c.profile.bucket == "legacy-bucket" and c.profile.https is False
    c.load(LOCAL_SERVE)
    assert c.profile.endpoint == "127.0.0.1:9000" and c.signing_region() == "cn-hangzhou"


def test_address_follows_every_field(ini):
    c, _ = make(ini)
    c.update(endpoint="oss-cn-shanghai.aliyuncs.com", bucket="examplebucket", https=True)
    a = c.address()
    assert (a.style, a.host, a.scheme) == (AddressStyle.VIRTUAL,
                                           "examplebucket.oss-cn-shanghai.aliyuncs.com", "https")
    c.update(path_style=True)
    assert c.address().url("a.jpg") == \
        "https://oss-cn-shanghai.aliyuncs.com/examplebucket/a.jpg"
    c.update(domain="img.example.com")
    assert c.address().url("a.jpg") == "https://img.example.com/a.jpg"
    assert c.signing_region() == "cn-shanghai"


def test_profiles_are_remembered_without_secrets(ini, tmp_path):
    c, session = make(ini)
    c.update(bucket="prod-bucket", private=True)
    session.set_typed(CREDS.access_key_id, CREDS.access_key_secret)
    c.save_as("prod")
    ini.sync()
    again, _ = make(QSettings(ini.fileName(), QSettings.Format.IniFormat))
    assert again.name == "prod" and again.profile.bucket == "prod-bucket"
    assert again.profile.private is True
    raw = Path(ini.fileName()).read_bytes()
    assert CREDS.access_key_secret.encode() not in raw
    assert b"Connection%2BSecret" not in raw and b"Secret" not in raw


def test_keychain_opt_in_stores_and_restores_the_secret(ini):
    backend = MemoryKeyring()
    c, session = make(ini, backend)
    c.update(bucket="kc-bucket", private=True)
    session.set_typed(CREDS.access_key_id, CREDS.access_key_secret)
    messages = []
    c.message.connect(messages.append)
    c.update(keychain=True)
    assert (SERVICE, "profile:default") in backend.store
    assert "system keychain" in messages[-1]
    ini.sync()
    assert CREDS.access_key_secret.encode() not in Path(ini.fileName()).read_bytes()
    # A new run: the secret comes back from the keychain, not from the settings file.
    session2 = Session(environ={})
    Connection(QSettings(ini.fileName(), QSettings.Format.IniFormat), session2,
               keychain=Keychain(backend))
    assert session2.source == TYPED and session2.credentials() == CREDS
    c.update(keychain=False)
    assert (SERVICE, "profile:default") not in backend.store


def test_without_a_keychain_backend_the_secret_stays_for_the_session(ini):
    c, session = make(ini, NoKeyring())
    ok, why = c.keychain.status()
    assert not ok and "session only" in why
    messages = []
    c.message.connect(messages.append)
    session.set_typed(CREDS.access_key_id, CREDS.access_key_secret)
    c.update(private=True, keychain=True)
    assert "No keychain" in messages[-1]
    assert session.credentials() == CREDS        # still usable for this session
    ini.sync()
    assert CREDS.access_key_secret.encode() not in Path(ini.fileName()).read_bytes()


def test_every_panel_follows_the_connection(main_window, ini):
    win = main_window(ini, restore=False, session=Session(environ={}))
    urls = win.extra_panels["urlDock"]
    styles = win.extra_panels["styleDock"]
    remote = win.extra_panels["remoteDock"]
    editor = win.connection_bar.open_editor()
    editor.endpoint.setCurrentText("oss-cn-beijing.aliyuncs.com")
    editor.bucket.setText("shared-bucket")
    editor.key.setText("photos/cat.jpg")
    assert urls.form().bucket == "shared-bucket"
    assert urls.form().endpoint == "oss-cn-beijing.aliyuncs.com"
    assert styles.bucket_edit.text() == "shared-bucket"
    assert styles.endpoint.currentText() == "oss-cn-beijing.aliyuncs.com"
    assert remote.form().bucket == "shared-bucket" and remote.form().key == "photos/cat.jpg"
    assert win.url_bar.view.url().startswith(
        "https://shared-bucket.oss-cn-beijing.aliyuncs.com/photos/cat.jpg?x-oss-process=")
    # The panels' own location rows are hidden: one place to type them.
    assert not urls.bucket.isVisibleTo(urls) and not styles.bucket_edit.isVisibleTo(styles)
    assert not remote.bucket.isVisibleTo(remote)
    assert "shared-bucket" in urls.connection_note.label.full_text()
    editor.access.setCurrentIndex(editor.access.findData(True))
    assert remote.form().signing == "v4" and urls.form().private
    assert "shared-bucket" in win.connection_bar.summary.full_text()
    win.close()


def test_styles_panel_lists_through_the_connection(main_window, qtbot, ini, tmp_path):
    """Path-style, version and region reach the Styles panel's requests (oss-img serve)."""
    from core.oss.client import OssClient
    from core.serve.runner import serve

    (tmp_path / "root" / "style-bucket").mkdir(parents=True)
    srv = serve(tmp_path / "root", "127.0.0.1", 0, "private", CREDS, region="cn-hangzhou")
    srv.start()
    try:
        host, port = srv.server_address[:2]
        win = main_window(ini, restore=False, session=Session(environ={}))
        c = win.connection
        c.load(LOCAL_SERVE)
        c.update(endpoint=f"{host}:{port}", bucket="style-bucket", private=True,
                 version="v1")
        c.session.set_typed(CREDS.access_key_id, CREDS.access_key_secret)
        with OssClient(c.address(), CREDS, region="cn-hangzhou") as client:
            client.put_style("thumb", "image/resize,w_100")
        styles = win.extra_panels["styleDock"]
        with qtbot.waitSignal(styles.bucketFinished, timeout=10000) as done:
            assert styles.list_bucket()
        assert done.args == ["list", True], styles.bucket_error.text()
        assert styles.bucket_styles == {"thumb": "image/resize,w_100"}
        win.close()
    finally:
        srv.stop()
