"""The URL in plain sight (issue 9): under the canvas, updated with every edit and every
connection change; copies plain, style and signed URLs; the code snippets dialog."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QGuiApplication

from core.oss.credentials import Credentials
from viewer.model.connection import Connection
from viewer.model.document import Document
from viewer.model.keychain import Keychain
from viewer.model.session import Session
from viewer.panels.url_bar import ZWSP, UrlBar

CREDS = Credentials("LTAI5tUrlBarKey000001", "UrlBar+Secret/0001=")
NOW = 1_700_000_000    # 2023-11-14 22:13:20 UTC


@pytest.fixture
def bar(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    session = Session(environ={})
    conn = Connection(settings, session, keychain=Keychain(object()))
    doc = Document()
    doc.set_process_string("image/resize,w_100/rotate,90")
    b = UrlBar(doc, conn, clock=lambda: NOW)
    qtbot.addWidget(b)
    b.resize(420, 120)
    b.show()
    qtbot.waitExposed(b)
    return b


def test_without_a_bucket_it_says_how_to_get_a_url(bar):
    assert bar.view.url() == ""
    assert "bucket" in bar.view.placeholderText()
    assert not bar.buttons["plain"].isEnabled()


def test_updates_with_the_connection_and_every_edit(bar):
    c = bar.connection
    c.update(bucket="examplebucket", key="photos/cat.jpg",
             endpoint="oss-cn-hangzhou.aliyuncs.com", https=True)
    assert bar.view.url() == ("https://examplebucket.oss-cn-hangzhou.aliyuncs.com/photos/"
                              "cat.jpg?x-oss-process=image%2Fresize%2Cw_100%2Frotate%2C90")
    bar.doc.set_process_string("image/resize,w_100/rotate,180")
    assert bar.view.url().endswith("rotate%2C180")
    c.update(path_style=True)
    assert bar.view.url().startswith(
        "https://oss-cn-hangzhou.aliyuncs.com/examplebucket/photos/cat.jpg?")
    # Shown with break opportunities, copied clean.
    assert ZWSP in bar.view.toPlainText()
    bar.view.selectAll()
    assert bar.view.createMimeDataFromSelection().text() == bar.view.url()


def test_copy_plain_style_and_signed_with_expiry(bar):
    c = bar.connection
    c.update(bucket="examplebucket", key="cat.jpg", style="thumb",
             endpoint="oss-cn-hangzhou.aliyuncs.com")
    assert bar.copy("plain")
    assert QGuiApplication.clipboard().text() == bar.view.url()
    assert bar.copy("style")
    assert QGuiApplication.clipboard().text() == \
        "https://examplebucket.oss-cn-hangzhou.aliyuncs.com/cat.jpg?x-oss-process=style%2Fthumb"
    assert not bar.buttons["signed"].isEnabled()      # public connection
    c.update(private=True, expiry=600)
    c.session.set_typed(CREDS.access_key_id, CREDS.access_key_secret)
    assert bar.copy("signed")
    url = QGuiApplication.clipboard().text()
    q = parse_qs(urlsplit(url).query)
    # V4 presigned query parameters (OSS signature V4 docs): expires relative, date = now.
    assert q["x-oss-signature-version"] == ["OSS4-HMAC-SHA256"]
    assert q["x-oss-expires"] == ["600"] and q["x-oss-date"] == ["20231114T221320Z"]
    assert q["x-oss-process"] == ["image/resize,w_100/rotate,90"]
    assert "valid until 2023-11-14 22:23:20 UTC" in bar.status.full_text()


def test_the_snippets_dialog_shows_each_language(bar, qtbot):
    bar.connection.update(bucket="examplebucket", key="cat.jpg",
                          endpoint="oss-cn-hangzhou.aliyuncs.com")
    dialog = bar.show_snippets()
    qtbot.addWidget(dialog)
    dialog.language.setCurrentIndex(dialog.language.findData("dotnet"))
    assert "new GetObjectRequest(bucketName, objectName, process)" in dialog.text.toPlainText()
    assert 'var process = "image/resize,w_100/rotate,90";' in dialog.text.toPlainText()
    dialog.language.setCurrentIndex(dialog.language.findData("python-oss2"))
    assert "process='image/resize,w_100/rotate,90'" in dialog.text.toPlainText()
    bar.doc.set_process_string("image/resize,w_50")
    assert "process='image/resize,w_50'" in dialog.text.toPlainText()   # follows edits
    dialog.copy()
    assert QGuiApplication.clipboard().text() == dialog.text.toPlainText()


def test_set_document_switches_what_it_follows(bar):
    bar.connection.update(bucket="examplebucket", key="cat.jpg")
    other = Document()
    other.set_process_string("image/rotate,45")
    bar.set_document(other)
    assert bar.document() is other and bar.view.url().endswith("image%2Frotate%2C45")
    bar.doc.set_process_string("image/rotate,90")
    assert bar.view.url().endswith("image%2Frotate%2C90")


def test_snippets_never_show_the_sts_token(bar, qtbot):
    token = "CAIS+Sts/Token=1234567890"
    c = bar.connection
    c.update(bucket="examplebucket", key="cat.jpg", private=True)
    c.session.set_typed(CREDS.access_key_id, CREDS.access_key_secret, token)
    dialog = bar.show_snippets()
    qtbot.addWidget(dialog)
    dialog.language.setCurrentIndex(dialog.language.findData("curl"))
    shown = dialog.text.toPlainText()
    assert "x-oss-security-token=" in shown
    assert token not in shown and "CAIS%2BSts%2FToken%3D1234567890" not in shown
    assert CREDS.access_key_secret not in shown
    dialog.copy()
    assert "CAIS%2BSts%2FToken%3D1234567890" in QGuiApplication.clipboard().text()
