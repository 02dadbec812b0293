"""The URLs panel: live URLs, signed URLs that verify (frozen clock), snippets, settings
that never hold a secret, errors shown inline."""
from __future__ import annotations

import contextlib
import io
import shlex
from urllib.parse import quote, unquote, urlsplit

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QLineEdit, QWidget

import oss2
import oss2.auth
from core.oss.credentials import Credentials, static_lookup
from core.errors import OssError
from core.oss.signing import V4_MAX_EXPIRES
from core.oss.verify import verify_presigned_v1, verify_presigned_v4
from core.oss.urls import parse_query
from tests.sdk_clock import freeze_sdk_clocks
from viewer.model.document import Document
from viewer.model.url_model import ENDPOINTS, UrlForm, UrlResults, build_urls, curl_snippet
from viewer.panels.url_panel import UrlPanel

NOW = 1700000000  # 2023-11-14T22:13:20Z
PROCESS = "image/resize,w_100/rotate,90"
KEY_ID, SECRET = "LTAI5tPanelKeyId0001", "Panel+Secret/Never=Shown0123"
STS_ID, STS_SECRET, TOKEN = "STS.NPanelKeyId9876", "StsPanelSecret0123456789", "CAIS+tok/en=ABC123xyz"


@pytest.fixture
def doc():
    d = Document()
    d.set_process_string(PROCESS)
    d.source_name = "photos/my cat+1.jpg"
    return d


def make_panel(qtbot, doc, settings, environ=None, clock=lambda: NOW):
    panel = UrlPanel(doc, settings=settings, clock=clock, environ=environ or {})
    qtbot.addWidget(panel)
    return panel


def split(url: str):
    parts = urlsplit(url)
    return parts.scheme, parts.netloc, unquote(parts.path), parse_query(parts.query)


def verify(url: str, bucket: str, key: str, creds: Credentials, now: float):
    _, _, _, query = split(url)
    fn = verify_presigned_v4 if "x-oss-signature" in query else verify_presigned_v1
    return fn("GET", bucket, key, query, {}, static_lookup(creds), now=now)


FORMS = {
    "virtual": dict(endpoint="oss-cn-hangzhou.aliyuncs.com"),
    "path": dict(endpoint="oss-cn-shanghai.aliyuncs.com", path_style=True),
    "cname": dict(endpoint="oss-cn-beijing.aliyuncs.com", domain="img.example.com"),
    "local": dict(endpoint="127.0.0.1:8080", https=False, region="cn-hangzhou"),
}


# -- the signed URL ----------------------------------------------------------------------

@pytest.mark.parametrize("version", ["v1", "v4"])
@pytest.mark.parametrize("form_name", list(FORMS))
@pytest.mark.parametrize("sts", [False, True], ids=["ak", "sts"])
def test_copied_signed_url_verifies(qtbot, doc, settings, version, form_name, sts):
    panel = make_panel(qtbot, doc, settings)
    panel.set_form(UrlForm(bucket="example-bucket", private=True, version=version,
                           expiry=600, **FORMS[form_name]))
    creds = Credentials(STS_ID, STS_SECRET, TOKEN) if sts else Credentials(KEY_ID, SECRET)
    panel.set_typed_credentials(creds.access_key_id, creds.access_key_secret,
                                creds.security_token or "")
    with qtbot.waitSignal(panel.copied) as blocker:
        assert panel.copy("signed")
    assert blocker.args == ["signed"]
    url = QGuiApplication.clipboard().text()
    scheme, host, path, query = split(url)
    assert scheme == ("http" if form_name == "local" else "https")
    key = "photos/my cat+1.jpg"
    assert path.endswith(key)
    assert query["x-oss-process"] == PROCESS
    verified = verify(url, "example-bucket", key, creds, now=NOW + 599)
    assert verified.access_key_id == creds.access_key_id
    assert verified.version == version
    # The clock really is the panel's: the URL is expired 600 s after the frozen time.
    with pytest.raises(OssError) as e:
        verify(url, "example-bucket", key, creds, now=NOW + 601)
    assert e.value.code == "AccessDenied"
    # ...and tampering with the processing breaks it.
    tampered = url.replace("w_100", "w_900")
    with pytest.raises(OssError):
        verify(tampered, "example-bucket", key, creds, now=NOW + 1)


def test_signed_url_with_environment_credentials(qtbot, doc, settings):
    env = {"OSS_ACCESS_KEY_ID": STS_ID, "OSS_ACCESS_KEY_SECRET": STS_SECRET,
           "OSS_SESSION_TOKEN": TOKEN}
    panel = make_panel(qtbot, doc, settings, environ=env)
    panel.set_form(UrlForm(bucket="example-bucket", key="a/b.png", private=True))
    assert panel.cred_source.currentData() == "env"
    assert panel.copy("signed")
    url = QGuiApplication.clipboard().text()
    verify(url, "example-bucket", "a/b.png", Credentials(STS_ID, STS_SECRET, TOKEN), NOW)
    # The key id is shown masked, the secret not at all.
    assert "STS.****9876" in panel.env_info.text()
    assert STS_ID not in panel.env_info.text() and STS_SECRET not in panel.env_info.text()


def test_signed_style_url_verifies(qtbot, doc, settings):
    panel = make_panel(qtbot, doc, settings)
    panel.set_form(UrlForm(bucket="example-bucket", private=True, style="thumb.v2",
                           sign_style=True))
    panel.set_typed_credentials(KEY_ID, SECRET)
    assert panel.copy("signed")
    url = QGuiApplication.clipboard().text()
    assert split(url)[3]["x-oss-process"] == "style/thumb.v2"
    verify(url, "example-bucket", "photos/my cat+1.jpg", Credentials(KEY_ID, SECRET), NOW)


@pytest.fixture
def frozen_oss2(monkeypatch):
    freeze_sdk_clocks(monkeypatch, NOW)


@pytest.mark.parametrize("version", ["v1", "v4"])
def test_signed_url_matches_oss2(qtbot, doc, settings, frozen_oss2, version):
    """oss2, the official SDK, is the oracle: same signature for the same request."""
    panel = make_panel(qtbot, doc, settings)
    panel.set_form(UrlForm(bucket="example-bucket", private=True, version=version,
                           expiry=900))
    panel.set_typed_credentials(KEY_ID, SECRET)
    ours = split(panel.results.texts["signed"])[3]
    provider = oss2.credentials.StaticCredentialsProvider(KEY_ID, SECRET)
    auth = oss2.ProviderAuthV4(provider) if version == "v4" else oss2.ProviderAuth(provider)
    bucket = oss2.Bucket(auth, "https://oss-cn-hangzhou.aliyuncs.com", "example-bucket",
                         region="cn-hangzhou")
    theirs = split(bucket.sign_url("GET", "photos/my cat+1.jpg", 900,
                                   params={"x-oss-process": PROCESS}))[3]
    assert ours == theirs


def test_python_snippet_runs_under_oss2_and_its_url_verifies(qtbot, doc, settings,
                                                             frozen_oss2, monkeypatch):
    panel = make_panel(qtbot, doc, settings)
    panel.set_form(UrlForm(bucket="example-bucket", private=True, version="v4",
                           endpoint="oss-cn-shenzhen.aliyuncs.com"))
    panel.set_typed_credentials(STS_ID, STS_SECRET, TOKEN)
    assert panel.copy("python")
    snippet = QGuiApplication.clipboard().text()
    for secret in (STS_SECRET, TOKEN):
        assert secret not in snippet
    monkeypatch.setenv("OSS_ACCESS_KEY_ID", STS_ID)
    monkeypatch.setenv("OSS_ACCESS_KEY_SECRET", STS_SECRET)
    monkeypatch.setenv("OSS_SESSION_TOKEN", TOKEN)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(snippet, "<snippet>", "exec"), {})
    url = out.getvalue().strip()
    verify(url, "example-bucket", "photos/my cat+1.jpg",
           Credentials(STS_ID, STS_SECRET, TOKEN), NOW)


def test_public_snippets(qtbot, doc, settings):
    panel = make_panel(qtbot, doc, settings)
    panel.set_form(UrlForm(bucket="example-bucket", key="it's a \"key\".jpg"))
    assert not panel.copy_buttons["signed"].isEnabled()
    assert panel.copy("python")
    snippet = QGuiApplication.clipboard().text()
    compile(snippet, "<snippet>", "exec")
    assert "AnonymousAuth" in snippet and repr(PROCESS) in snippet
    assert panel.copy("curl")
    argv = shlex.split(QGuiApplication.clipboard().text())
    assert argv[0] == "curl" and argv[-1] == panel.results.texts["plain"]
    assert argv[argv.index("-o") + 1] == "it's a \"key\".jpg"


def test_copy_note_says_what_was_copied_until_when_or_why_not():
    # 1700000000 s after the epoch is 2023-11-14 22:13:20 UTC; a signed URL and the curl
    # line that carries it expire, the plain URL does not.
    results = UrlResults(texts={"plain": "http://b/k", "signed": "http://b/k?Signature=x",
                                "curl": "curl ..."},
                         errors={"style": "Name a style first."}, expires_at=1_700_000_000)
    assert results.copy_note("plain", "URL") == "Copied the URL."
    for kind in ("signed", "curl"):
        assert results.copy_note(kind, kind) == (
            f"Copied the {kind} (valid until 2023-11-14 22:13:20 UTC).")
    assert results.copy_note("style", "Style URL") == (
        "Cannot copy the Style URL: Name a style first.")
    assert results.copy_note("python", "Python (oss2)") == (
        "Cannot copy the Python (oss2): not available")


def test_curl_snippet_quotes():
    assert shlex.split(curl_snippet("https://h/k?a=1&b=2", "x y.jpg"))[-3:] == [
        "-o", "x y.jpg", "https://h/k?a=1&b=2"]


# -- live preview ------------------------------------------------------------------------

def test_urls_follow_the_cascade_and_the_source(qtbot, doc, settings):
    panel = make_panel(qtbot, doc, settings)
    panel.set_form(UrlForm(bucket="example-bucket", style="thumb", separator="!"))
    plain = panel.fields["plain"]
    assert plain.text() == ("https://example-bucket.oss-cn-hangzhou.aliyuncs.com/photos/"
                            "my%20cat%2B1.jpg?x-oss-process=image%2Fresize%2Cw_100%2Frotate%2C90")
    assert panel.fields["style"].text().endswith("/photos/my%20cat%2B1.jpg!thumb")
    doc.set_process_string("image/rotate,180")
    assert plain.text().endswith("x-oss-process=image%2Frotate%2C180")
    doc.undo_stack.undo()
    assert plain.text().endswith("rotate%2C90")
    doc.source_name = "other.png"
    doc.sourceChanged.emit()
    assert "/other.png?" in plain.text()
    assert panel.key.placeholderText() == "other.png"
    panel.key.setText("explicit/key.jpg")
    assert "/explicit/key.jpg?" in plain.text()


def test_style_url_with_query_form(qtbot, doc, settings):
    panel = make_panel(qtbot, doc, settings)
    panel.set_form(UrlForm(bucket="b-1", key="k.jpg", https=False, style="small"))
    assert panel.fields["style"].text() == (
        "http://b-1.oss-cn-hangzhou.aliyuncs.com/k.jpg?x-oss-process=style%2Fsmall")


def test_endpoint_list_is_prefilled_and_editable(qtbot, doc, settings):
    panel = make_panel(qtbot, doc, settings)
    items = [panel.endpoint.itemText(i) for i in range(panel.endpoint.count())]
    for ep in ("oss-cn-hangzhou.aliyuncs.com", "oss-cn-shanghai.aliyuncs.com",
               "oss-cn-beijing.aliyuncs.com", "oss-cn-shenzhen.aliyuncs.com",
               "oss-cn-hongkong.aliyuncs.com", "oss-ap-southeast-1.aliyuncs.com",
               "oss-us-west-1.aliyuncs.com", "oss-eu-central-1.aliyuncs.com"):
        assert ep in items
    assert items == list(ENDPOINTS)
    assert panel.endpoint.isEditable()
    panel.bucket.setText("example-bucket")
    panel.endpoint.setCurrentText("oss-cn-hangzhou-internal.aliyuncs.com")
    assert "oss-cn-hangzhou-internal" in panel.fields["plain"].text()


def test_expiry_range_depends_on_version(qtbot, doc, settings):
    panel = make_panel(qtbot, doc, settings)
    panel.set_form(UrlForm(version="v4"))
    assert panel.expiry.maximum() == V4_MAX_EXPIRES
    panel.set_form(UrlForm(version="v1", expiry=30 * 86400))
    assert panel.expiry.value() == 30 * 86400


# -- errors inline -----------------------------------------------------------------------

@pytest.mark.parametrize("form, kind, words", [
    (UrlForm(), "plain", "bucket"),
    (UrlForm(bucket="Bad_Bucket"), "plain", "bucket name"),
    (UrlForm(bucket="example-bucket", style="bad name"), "style", "stylename"),
    (UrlForm(bucket="example-bucket", private=True, endpoint="cdn.example.com"), "signed",
     "region"),
    (UrlForm(bucket="example-bucket", private=True), "signed", "secret"),
    (UrlForm(bucket="example-bucket", private=False), "signed", "Public"),
    (UrlForm(bucket="example-bucket", sign_style=True), "curl", "stylename"),
])
def test_errors_are_shown_inline_and_copy_is_refused(qtbot, doc, settings, form, kind,
                                                     words):
    panel = make_panel(qtbot, doc, settings)
    panel.set_form(form)
    panel.show()
    qtbot.waitExposed(panel)
    assert not panel.copy_buttons[kind].isEnabled()
    assert words.lower() in panel.results.errors[kind].lower()
    assert panel.error_label.isVisible() and words.lower() in panel.error_label.text().lower()
    QGuiApplication.clipboard().setText("unchanged")
    assert panel.copy(kind) is False
    assert QGuiApplication.clipboard().text() == "unchanged"
    assert "Cannot copy" in panel.status.text()


def test_empty_cascade_gives_an_unprocessed_url(qtbot, settings):
    d = Document()
    d.source_name = "x.jpg"
    panel = make_panel(qtbot, d, settings)
    panel.set_form(UrlForm(bucket="example-bucket"))
    assert panel.fields["plain"].text() == "https://example-bucket.oss-cn-hangzhou.aliyuncs.com/x.jpg"


def test_build_urls_never_raises_on_odd_input():
    for form in (UrlForm(endpoint="", bucket="b-1"), UrlForm(endpoint="::::", bucket="abc"),
                 UrlForm(bucket="abc", key="/leading"), UrlForm(bucket="abc", expiry=0,
                                                                private=True)):
        result = build_urls(form, "k.jpg", PROCESS, Credentials(KEY_ID, SECRET), None, NOW)
        assert result.errors


# -- settings and secrets ----------------------------------------------------------------

def _all_visible_text(widget: QWidget) -> str:
    parts = []
    for w in widget.findChildren(QWidget):
        parts.append(w.toolTip())
        if isinstance(w, QLabel):
            parts.append(w.text())
        if isinstance(w, QLineEdit) and w.echoMode() == QLineEdit.EchoMode.Normal:
            parts.append(w.text())
            parts.append(w.placeholderText())
    return "\n".join(parts)


def test_non_secret_fields_are_remembered_and_secrets_never_written(qtbot, doc, tmp_path):
    path = tmp_path / "settings.ini"
    settings = QSettings(str(path), QSettings.Format.IniFormat)
    panel = make_panel(qtbot, doc, settings)
    form = UrlForm(endpoint="oss-eu-central-1.aliyuncs.com", bucket="example-bucket",
                   key="a/b.jpg", domain="img.example.com", https=False, region="",
                   style="thumb", separator="_", private=True, version="v1",
                   expiry=7200)
    panel.set_form(form)
    panel.set_typed_credentials(STS_ID, STS_SECRET, TOKEN)
    panel.copy("signed")
    panel.copy("python")
    panel.copy("curl")
    settings.sync()
    raw = path.read_bytes()
    assert raw, "settings were written"
    for secret in (STS_SECRET, TOKEN, "Panel+Secret"):
        assert secret.encode() not in raw
    # neither encoded in some other way
    assert quote(TOKEN, safe="").encode() not in raw
    assert STS_SECRET not in _all_visible_text(panel)

    again = make_panel(qtbot, doc, QSettings(str(path), QSettings.Format.IniFormat))
    assert again.form() == form
    assert again.secret.text() == "" and again.token.text() == ""


def test_typed_secret_fields_are_password_fields(qtbot, doc, settings):
    panel = make_panel(qtbot, doc, settings)
    assert panel.secret.echoMode() == QLineEdit.EchoMode.Password
    assert panel.token.echoMode() == QLineEdit.EchoMode.Password
    panel.set_typed_credentials(KEY_ID, SECRET, TOKEN)
    assert SECRET not in _all_visible_text(panel)
    assert TOKEN not in _all_visible_text(panel)


def test_sts_token_is_masked_in_the_preview_but_copied_whole(qtbot, doc, settings):
    panel = make_panel(qtbot, doc, settings)
    panel.set_form(UrlForm(bucket="example-bucket", private=True, version="v1"))
    panel.set_typed_credentials(STS_ID, STS_SECRET, TOKEN)
    shown = panel.fields["signed"].text()
    assert "security-token=CAIS****3xyz" in shown
    assert TOKEN not in _all_visible_text(panel)
    assert quote(TOKEN, safe="") not in _all_visible_text(panel)
    panel.copy("signed")
    assert split(QGuiApplication.clipboard().text())[3]["security-token"] == TOKEN


def test_remember_off_forgets_fields(qtbot, doc, tmp_path):
    path = tmp_path / "settings.ini"
    settings = QSettings(str(path), QSettings.Format.IniFormat)
    panel = make_panel(qtbot, doc, settings)
    panel.set_form(UrlForm(bucket="remember-me"))
    panel.remember.setChecked(False)
    panel.bucket.setText("not-this-either")
    settings.sync()
    assert b"remember-me" not in path.read_bytes()
    assert b"not-this-either" not in path.read_bytes()
    again = make_panel(qtbot, doc, QSettings(str(path), QSettings.Format.IniFormat))
    assert again.form() == UrlForm() and not again.remember.isChecked()


def test_corrupt_settings_values_fall_back_to_defaults(qtbot, doc, settings):
    settings.setValue("urls/expiry", "not a number")
    settings.setValue("urls/bucket", "kept-bucket")
    panel = make_panel(qtbot, doc, settings)
    assert panel.form().expiry == UrlForm().expiry
    assert panel.form().bucket == "kept-bucket"


def test_readable_in_a_dark_palette_and_high_dpi(qtbot, doc, settings):
    """No hard-coded colours: every label takes the palette's text colour."""
    from PySide6.QtGui import QColor, QPalette

    panel = make_panel(qtbot, doc, settings)
    dark = QPalette()
    dark.setColor(QPalette.ColorRole.Window, QColor(30, 30, 30))
    dark.setColor(QPalette.ColorRole.WindowText, QColor(230, 230, 230))
    panel.setPalette(dark)
    panel.set_form(UrlForm())
    assert panel.styleSheet() == ""
    assert all(w.styleSheet() == "" for w in panel.findChildren(QWidget))
    assert panel.error_label.palette().color(QPalette.ColorRole.WindowText) == QColor(230, 230, 230)
    assert not panel.error_icon.pixmap().isNull()
