"""The viewer's "Explain URL" tool: the report follows the fields, differing characters are
highlighted in the widget, one click loads the object and the cascade, and the main window
offers it in a menu and as a paste target. URLs come from oss2 with a frozen clock; the
error XML is what ``oss-img serve`` answers (core.oss.signing's verifier + OssError.to_xml)."""
from __future__ import annotations

from urllib.parse import urlsplit

import oss2
import oss2.credentials
import pytest
from PySide6.QtGui import QColor, QGuiApplication

from core.errors import OssError
from core.oss.credentials import Credentials, static_lookup
from core.oss.verify import verify_presigned_v4, verify_request
from core.oss.urls import parse_query
from tests.sdk_clock import freeze_sdk_clocks
from viewer.panels.explain_dialog import ExplainDialog, parse_headers
from viewer.panels.explain_view import MARK_OURS, MARK_SERVER
from viewer.model.session import Session

NOW = 1700000000
CREDS = Credentials("LTAI5tViewerExplain01", "Viewer+Explain/Secret=1")
ENV = {"OSS_ACCESS_KEY_ID": CREDS.access_key_id,
       "OSS_ACCESS_KEY_SECRET": CREDS.access_key_secret}
BUCKET = "example-bucket"


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    freeze_sdk_clocks(monkeypatch, NOW)


def oss2_url(key="photos/cat 1.jpg", region="cn-hangzhou", process="image/resize,w_20"):
    auth = oss2.ProviderAuthV4(oss2.credentials.StaticCredentialsProvider(
        CREDS.access_key_id, CREDS.access_key_secret))
    bucket = oss2.Bucket(auth, "https://oss-cn-hangzhou.aliyuncs.com", BUCKET, region=region)
    return bucket.sign_url("GET", key, 3600, params={"x-oss-process": process} if process
                           else None)


def server_error(url: str, method="GET") -> str:
    """What oss-img serve (region cn-hangzhou) answers for ``url``."""
    parts = urlsplit(url)
    key = parts.path[1:]
    from urllib.parse import unquote

    try:
        verify_request(method, BUCKET, unquote(key), parse_query(parts.query), {},
                       static_lookup(CREDS), now=NOW + 5, region="cn-hangzhou")
    except OssError as e:
        return e.to_xml("REQ1", parts.netloc)
    raise AssertionError("the request verified")


def make(qtbot, environ=ENV) -> ExplainDialog:
    dlg = ExplainDialog(Session(environ=environ), clock=lambda: NOW + 5)
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


def highlighted(dlg: ExplainDialog, colour: str) -> list[str]:
    """Text of the report's fragments painted with ``colour`` as background."""
    out = []
    block = dlg.view.document().begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            frag = it.fragment()
            if frag.isValid() and frag.charFormat().background().color() == QColor(colour):
                out.append(frag.text())
            it += 1
        block = block.next()
    return out


def test_valid_url_is_reported_valid(qtbot):
    dlg = make(qtbot)
    with qtbot.waitSignal(dlg.explained) as sig:
        dlg.url_edit.setPlainText(oss2_url())  # as typed or pasted: debounced
    report = sig.args[0]
    assert report.verdict == "valid"
    text = dlg.view.toPlainText()
    assert "VALID" in text and "photos/cat 1.jpg" in text and "resize,w_20" in text
    assert dlg.load_button.isEnabled()
    assert CREDS.access_key_secret not in dlg.view.toHtml()
    dlg.copy_button.click()
    copied = QGuiApplication.clipboard().text()
    assert copied.startswith("VALID: ") and "resize,w_20" in copied.split("step 1")[1]


def test_region_diff_highlights_the_differing_characters(qtbot):
    url = oss2_url(region="cn-beijing")
    dlg = make(qtbot)
    dlg.set_url(url, server_error(url))
    assert dlg.report.cause_ids == ["region"]
    assert "hangzhou" in highlighted(dlg, MARK_SERVER)
    assert "beijing" in highlighted(dlg, MARK_OURS)
    assert "The region in the credential scope is not the bucket's" in dlg.view.toPlainText()


def test_method_named_without_credentials(qtbot):
    url = oss2_url()
    dlg = make(qtbot, environ={})
    dlg.set_url(url, server_error(url, "HEAD"))
    assert dlg.report.cause_ids == ["method"]
    server, ours = highlighted(dlg, MARK_SERVER), highlighted(dlg, MARK_OURS)
    assert "HEAD" in server and "GET" in ours
    # the StringToSign's digest differs as a whole; nothing else is marked
    assert len(server) == len(ours) == 2 and len(server[0]) == len(ours[0]) == 64
    assert "none" in dlg.credentials_label.text()


def test_bad_error_xml_and_headers_are_shown_inline(qtbot):
    dlg = make(qtbot)
    dlg.set_url(oss2_url(), "<Error><Code>")
    assert dlg.message.isVisible() and "InvalidArgument" in dlg.message.text()
    dlg.error_edit.setPlainText("")
    dlg.headers.setText("nocolon")
    dlg.refresh()
    assert dlg.message.isVisible() and "NAME:VALUE" in dlg.message.text()
    assert parse_headers("Content-Type: image/jpeg; x-oss-meta-a:1") == {
        "Content-Type": "image/jpeg", "x-oss-meta-a": "1"}


def test_load_resigns_the_bare_object_and_hands_over_the_cascade(qtbot):
    dlg = make(qtbot)
    dlg.set_url(oss2_url())
    with qtbot.waitSignal(dlg.loadRequested) as sig:
        dlg.load_button.click()
    url, process = sig.args
    assert process == "image/resize,w_20"
    parts = urlsplit(url)
    query = parse_query(parts.query)
    assert "x-oss-process" not in query and parts.path == "/photos/cat%201.jpg"
    verified = verify_presigned_v4("GET", BUCKET, "photos/cat 1.jpg", query, {},
                                   static_lookup(CREDS), now=NOW + 5, region="cn-hangzhou")
    assert verified.access_key_id == CREDS.access_key_id


def test_load_without_credentials_gives_only_the_cascade(qtbot):
    dlg = make(qtbot, environ={})
    dlg.set_url(oss2_url())
    with qtbot.waitSignal(dlg.loadRequested) as sig:
        dlg.load_button.click()
    assert sig.args == ["", "image/resize,w_20"]
    assert dlg.load_note.isVisible() and "credentials" in dlg.load_note.text()


def test_main_window_menu_paste_target_and_load(main_window, monkeypatch):
    for k, v in ENV.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("OSS_SESSION_TOKEN", raising=False)
    win = main_window()
    opened = []
    monkeypatch.setattr(win, "open_url", opened.append)
    tool = win.explain_tool
    tool._clock = lambda: NOW + 5  # the dialog is made on first use, with this clock
    tools = [m for m in win.menuBar().actions() if m.text() == "&Tools"]
    assert tools and tool.act_explain in tools[0].menu().actions()
    url = oss2_url(process="image/resize,w_20/rotate,90")
    QGuiApplication.clipboard().setText(url)
    tool.act_paste.trigger()
    dlg = tool.dialog
    assert dlg.isVisible() and dlg.url_edit.toPlainText() == url
    assert dlg.report.verdict == "valid"
    dlg.load_button.click()
    assert win.process_field.text() == "image/resize,w_20/rotate,90"
    assert len(opened) == 1 and "x-oss-process" not in opened[0]
    win.close()
