"""The bucket browser and processed URLs (issue 9), against ``oss-img serve`` on loopback:
list by prefix in pages, thumbnails through x-oss-process, open an object as the source;
a URL with x-oss-process opens the stored object and loads the cascade, opened or pasted."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData

from core.oss.credentials import Credentials
from core.serve.runner import serve
from tests.helpers import encode, quadrants
from viewer.panels import bucket_browser
from viewer.model.session import Session
from viewer.model.url_open import plan_url

CREDS = Credentials("LTAI5tBrowserKey00001", "Browser+Secret/0001=")
BUCKET = "browse"
WAIT = 15000


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    r = tmp_path_factory.mktemp("browse-root")
    (r / BUCKET / "cats").mkdir(parents=True)
    for i in range(5):
        (r / BUCKET / "cats" / f"c{i}.png").write_bytes(encode(quadrants(80 + i, 60), "PNG"))
    (r / BUCKET / "notes.txt").write_bytes(b"hello")
    (r / BUCKET / "cat.jpg").write_bytes(encode(quadrants(300, 200), "JPEG", quality=95))
    return r


@pytest.fixture(params=["public-read", "private"])
def server(request, root):
    srv = serve(root, "127.0.0.1", 0, request.param, CREDS, region="cn-hangzhou")
    srv.start()
    yield request.param, srv
    srv.stop()


@pytest.fixture
def win(main_window, server):
    acl, srv = server
    w = main_window(restore=False, session=Session(environ={}))
    host, port = srv.server_address[:2]
    c = w.connection
    c.load("local serve")
    c.update(endpoint=f"{host}:{port}", bucket=BUCKET, private=(acl == "private"))
    if acl == "private":
        c.session.set_typed(CREDS.access_key_id, CREDS.access_key_secret)
    return w      # (its teardown waits for the browser's pool: tests/viewer_windows.py)


def test_lists_pages_with_thumbnails_and_opens_one(qtbot, win, monkeypatch):
    monkeypatch.setattr(bucket_browser, "PAGE", 3)
    b = win.bucket_browser
    b.prefix.setText("cats/")
    with qtbot.waitSignal(b.thumbnailsDone, timeout=WAIT):
        with qtbot.waitSignal(b.listed, timeout=WAIT) as listed:
            b.list_button.click()
    assert listed.args == [3]
    assert b.keys() == ["cats/c0.png", "cats/c1.png", "cats/c2.png"]
    assert b.more_button.isEnabled()
    assert all(b.has_thumbnail(k) for k in b.keys())
    icon = b.items.item(0).icon().pixmap(200, 200)
    # resize,m_lfit,w_72,h_72 of an 80x60 image: 72x54 (OSS keeps the aspect ratio).
    assert max(icon.width(), icon.height()) <= bucket_browser.THUMB
    with qtbot.waitSignal(b.listed, timeout=WAIT) as more:
        b.more_button.click()
    assert more.args == [5] and not b.more_button.isEnabled()
    assert b.keys()[3:] == ["cats/c3.png", "cats/c4.png"]

    with qtbot.waitSignal(win.doc.sourceChanged, timeout=WAIT):
        b.open("cats/c4.png")
    assert win.doc.source_name == "c4.png"
    assert win.connection.profile.key == "cats/c4.png"
    assert len(b.keys()) == 5          # opening one keeps the list (only the key changed)
    assert "/browse/cats/c4.png" in win.url_bar.view.url()


def test_a_non_image_gets_no_thumbnail_request(qtbot, win):
    b = win.bucket_browser
    with qtbot.waitSignal(b.listed, timeout=WAIT):
        b.list()
    b.wait()
    assert "notes.txt" in b.keys() and not b.has_thumbnail("notes.txt")


# -- processed URLs ------------------------------------------------------------------------
def test_plan_splits_process_style_and_separator():
    p = plan_url("http://host/bucket/cat.jpg?x-oss-process=image/resize,w_150/rotate,45")
    assert p.fetch_url == "http://host/bucket/cat.jpg"
    assert p.process == "image/resize,w_150/rotate,45" and "cascade" in p.notice
    p = plan_url("https://b.oss-cn-hangzhou.aliyuncs.com/cat.jpg?x-oss-process=style%2Fthumb")
    assert p.fetch_url == "https://b.oss-cn-hangzhou.aliyuncs.com/cat.jpg"
    assert p.style == "thumb" and not p.process
    for sep in "!-_/":
        p = plan_url(f"https://img.example.com/a/cat.jpg{sep}thumb")
        assert (p.fetch_url, p.style) == ("https://img.example.com/a/cat.jpg", "thumb"), sep
    # Plain objects stay as they are, dashes and all.
    for url in ("https://h/b/my-photo.jpg", "https://h/b/dir_x/cat.jpg", "https://h/b/notes"):
        assert plan_url(url).fetch_url == url and not plan_url(url).notice
    signed = ("https://b.oss-cn-hangzhou.aliyuncs.com/cat.jpg?x-oss-process=image%2Frotate%2C90"
              "&x-oss-signature-version=OSS4-HMAC-SHA256&x-oss-signature=abc")
    p = plan_url(signed)
    assert p.fetch_url == signed and not p.process and "signed" in p.notice


@pytest.mark.parametrize("how", ["open", "paste"])
def test_processed_url_opens_the_stored_object_and_loads_the_cascade(qtbot, win, server,
                                                                      how):
    acl, srv = server
    host, port = srv.server_address[:2]
    url = (f"http://{host}:{port}/{BUCKET}/cat.jpg"
           "?x-oss-process=image/resize,w_150/rotate,90")
    if acl == "private":
        # An unsigned URL of a private bucket is refused, as OSS would: the open image
        # and the cascade stay, and the message says why.
        before = (win.doc.source, win.doc.process_string())
        with qtbot.waitSignal(win.fetcher.failed, timeout=WAIT):
            win.open_url(url)
        assert (win.doc.source, win.doc.process_string()) == before
        assert "AccessDenied" in win.source_bar.message.text()
        return
    with qtbot.waitSignal(win.fetcher.fetched, timeout=WAIT):
        if how == "open":
            win.open_url(url)
        else:
            mime = QMimeData()
            mime.setText(url)
            assert win.accept_mime(mime, "clipboard")
    # The source is the stored 300x200 object, not the processed 100x150 image ...
    assert win.doc.source is not None
    from PIL import Image
    import io
    with Image.open(io.BytesIO(win.doc.source.data)) as im:
        assert im.size == (300, 200)
    # ... the cascade is in the editor, and the user is told.
    assert win.doc.process_string() == "image/resize,w_150/rotate,90"
    assert "loaded its cascade" in win.source_bar.message.text()
    assert win.source_bar.message.isVisibleTo(win)
