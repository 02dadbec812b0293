"""The remote panel against ``oss-img serve`` on loopback: unsigned and signed fetches,
local vs remote side by side with dimensions and the pixel difference, OSS errors inline,
settings shared with the URLs panel and free of secrets. Waits on signals, never sleeps."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from core.oss.credentials import Credentials
from core.engine import Source
from core.serve.runner import serve
from tests.helpers import encode, quadrants, solid
from tests.viewer_windows import track
from viewer.model.document import Document
from viewer.model.remote_fetch import RemoteForm, target_url
from viewer.panels.remote_panel import RemotePanel
from viewer.model.sources import ObjectsResolver, sample_path

CREDS = Credentials("LTAI5tRemotePanelKey1", "Remote+Panel/Secret=1")
STS = Credentials("STS.NRemotePanelKey02", "StsRemotePanelSecret02", "CAIS+panel/Token=2")
BUCKET = "viewer-bkt"
IMG = encode(quadrants(40, 30))
MARK = solid(12, 8, (20, 200, 60))
# Watermark objects: a bundled sample, and one that only exists beside a user's file.
LOGO_WATERMARK = "image/watermark,g_center,image_bG9nby5wbmc"       # logo.png
MARK_WATERMARK = "image/watermark,g_nw,x_3,y_3,image_bWFyay5wbmc"   # mark.png


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    r = tmp_path_factory.mktemp("remote-root")
    (r / BUCKET).mkdir()
    (r / BUCKET / "cat.png").write_bytes(IMG)
    (r / BUCKET / "other.png").write_bytes(encode(quadrants(40, 30).rotate(180)))
    # On OSS a watermark object lives in the same bucket as the image.
    (r / BUCKET / "logo.png").write_bytes(sample_path("logo.png").read_bytes())
    (r / BUCKET / "mark.png").write_bytes(MARK)
    return r


@pytest.fixture(scope="module")
def public_server(root):
    srv = serve(root, "127.0.0.1", 0, "public-read")
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def private_server(root):
    srv = serve(root, "127.0.0.1", 0, "private", (CREDS, STS))
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def doc():
    d = Document()
    d.set_source(Source.of(IMG), "cat.png")
    d.set_process_string("image/resize,w_20")
    return d


def make_panel(qtbot, doc, settings, server, **form):
    panel = track(qtbot, RemotePanel(doc, settings=settings, environ={}))
    panel.set_form(RemoteForm(endpoint=f"127.0.0.1:{server.port}", bucket=BUCKET, **form))
    return panel


def fetch(qtbot, panel):
    with qtbot.waitSignal(panel.fetched, timeout=30_000) as blocker:
        panel.fetch_button.click()
    return blocker.args[0]


def test_fetch_shows_both_sides_with_sizes_and_difference(qtbot, doc, settings, public_server):
    panel = make_panel(qtbot, doc, settings, public_server)
    outcome = fetch(qtbot, panel)
    assert outcome.remote.error is None and outcome.local.error is None
    assert (outcome.remote.width, outcome.remote.height) == (20, 15)
    assert (outcome.local.width, outcome.local.height) == (20, 15)
    assert outcome.comparison.identical            # same engine, lossless PNG
    assert panel.local_caption.text().startswith("Local: 20×15 png")
    assert panel.remote_caption.text().startswith("Remote: 20×15 png")
    assert panel.difference.text() == "Pixel-identical."
    assert not panel.remote_view.pixmap().isNull()
    assert "x-oss-process=image%2Fresize%2Cw_20" in panel.url.text()
    assert panel.fetch_button.text() == "Fetch"


def test_a_different_remote_object_shows_a_difference(qtbot, doc, settings, public_server):
    panel = make_panel(qtbot, doc, settings, public_server, key="other.png")
    outcome = fetch(qtbot, panel)
    assert outcome.comparison is not None and not outcome.comparison.identical
    assert outcome.comparison.differing > 0.9
    assert "% of pixels differ by > 8" in panel.difference.text()


def test_remote_errors_are_shown_inline(qtbot, doc, settings, public_server):
    panel = make_panel(qtbot, doc, settings, public_server, key="missing.png")
    outcome = fetch(qtbot, panel)
    assert outcome.remote.error.code == "NoSuchKey"
    assert panel.remote_caption.text() == "Remote: NoSuchKey"
    assert "The specified key does not exist." in panel.remote_view.text()
    assert outcome.local.error is None and panel.local_caption.text().startswith("Local: 20×15")
    assert outcome.comparison is None and panel.difference.text() == ""


def test_local_errors_are_shown_inline_too(qtbot, settings, public_server):
    d = Document()
    d.set_source(Source.of(b"not an image"), "cat.png")
    panel = make_panel(qtbot, d, settings, public_server)
    outcome = fetch(qtbot, panel)
    assert outcome.local.error.code == "BadRequest"
    assert outcome.remote.pil is not None  # the remote cat.png is an image


@pytest.mark.parametrize("signing", ["v4", "v1"])
@pytest.mark.parametrize("creds", [CREDS, STS], ids=["plain", "sts"])
def test_signed_fetch_from_a_private_server(qtbot, doc, settings, private_server, signing,
                                            creds):
    panel = make_panel(qtbot, doc, settings, private_server, signing=signing)
    panel.set_credentials(creds)
    outcome = fetch(qtbot, panel)
    assert outcome.remote.error is None, outcome.remote.error
    assert outcome.comparison.identical
    if creds.is_sts:   # the token is masked in the display
        from core.oss.urls import encode_query_component

        shown = panel.url.text()
        assert creds.security_token not in shown
        assert encode_query_component(creds.security_token) not in shown


def test_unsigned_fetch_from_a_private_server_shows_access_denied(qtbot, doc, settings,
                                                                    private_server):
    panel = make_panel(qtbot, doc, settings, private_server)
    outcome = fetch(qtbot, panel)
    assert outcome.remote.error.code == "AccessDenied"


def test_wrong_secret_shows_the_servers_string_to_sign(qtbot, doc, settings, private_server):
    panel = make_panel(qtbot, doc, settings, private_server, signing="v1")
    panel.set_credentials(Credentials(CREDS.access_key_id, "wrong"))
    outcome = fetch(qtbot, panel)
    assert outcome.remote.error.code == "SignatureDoesNotMatch"
    assert "Server's StringToSign:" in panel.remote_view.text()
    assert "/viewer-bkt/cat.png?x-oss-process=image/resize,w_20" in panel.remote_view.text()


def test_signing_without_credentials_says_why(qtbot, doc, settings, private_server):
    panel = make_panel(qtbot, doc, settings, private_server, signing="v4")
    assert panel.fetch() is None
    assert "No credentials" in panel.status.text()


def test_stale_notice_after_an_edit(qtbot, doc, settings, public_server):
    panel = make_panel(qtbot, doc, settings, public_server)
    fetch(qtbot, panel)
    doc.set_process_string("image/resize,w_10")
    assert "changed since this fetch" in panel.status.text()
    outcome = fetch(qtbot, panel)
    assert outcome.remote.width == 10 and panel.status.text() == ""


def test_starts_from_the_url_panels_settings_and_never_stores_secrets(qtbot, doc, settings,
                                                                      private_server):
    settings.setValue("urls/endpoint", "oss-cn-shanghai.aliyuncs.com")
    settings.setValue("urls/bucket", "shared-bucket")
    settings.setValue("urls/https", True)
    settings.setValue("urls/private", True)
    settings.setValue("urls/version", "v1")
    panel = track(qtbot, RemotePanel(doc, settings=settings, environ={}))
    form = panel.form()
    assert (form.endpoint, form.bucket, form.https, form.signing) == (
        "oss-cn-shanghai.aliyuncs.com", "shared-bucket", True, "v1")
    panel.set_form(RemoteForm(endpoint=f"127.0.0.1:{private_server.port}", bucket=BUCKET,
                              signing="v4"))
    panel.set_credentials(STS)
    fetch(qtbot, panel)
    settings.sync()
    assert settings.value("remote/bucket") == BUCKET
    assert settings.value("urls/bucket") == "shared-bucket"   # the URLs panel's own
    text = open(settings.fileName(), encoding="utf-8").read()
    assert STS.access_key_secret not in text and "CAIS" not in text
    again = track(qtbot, RemotePanel(doc, settings=settings, environ={}))
    assert again.form().bucket == BUCKET and again.form().signing == "v4"


def test_credentials_from_the_environment(qtbot, doc, settings, private_server):
    env = {"OSS_ACCESS_KEY_ID": CREDS.access_key_id,
           "OSS_ACCESS_KEY_SECRET": CREDS.access_key_secret}
    panel = track(qtbot, RemotePanel(doc, settings=settings, environ=env))
    panel.set_form(RemoteForm(endpoint=f"127.0.0.1:{private_server.port}", bucket=BUCKET,
                              signing="v4"))
    assert "LTAI****" in panel.credentials_info.text()
    assert CREDS.access_key_secret not in panel.credentials_info.text()
    assert fetch(qtbot, panel).remote.error is None


def test_no_steps_compares_the_stored_bytes(qtbot, settings, public_server, root):
    jpg = (root / BUCKET / "photo.jpg")
    jpg.write_bytes(encode(quadrants(40, 30), "JPEG", quality=70))
    d = Document()
    d.set_source(Source.of(jpg.read_bytes()), "photo.jpg")
    panel = make_panel(qtbot, d, settings, public_server)
    outcome = fetch(qtbot, panel)
    assert "x-oss-process" not in panel.url.text()
    assert outcome.local.nbytes == outcome.remote.nbytes == len(jpg.read_bytes())
    assert outcome.comparison.identical    # no JPEG re-encode on either side


def test_target_url_is_the_url_panels_url():
    form = RemoteForm(endpoint="127.0.0.1:9000", bucket="bkt", key="k.png")
    assert target_url(form, "", "image/resize,w_1", None, 0) == \
        "http://127.0.0.1:9000/bkt/k.png?x-oss-process=image%2Fresize%2Cw_1"
    signed = target_url(RemoteForm(endpoint="127.0.0.1:9000", bucket="bkt", signing="v4"),
                        "k.png", "", CREDS, 1700000000)
    assert "x-oss-credential=LTAI5tRemotePanelKey1%2F20231114%2Fcn-hangzhou%2F" in signed


# -- watermark objects for the local side --------------------------------------------------

def test_an_image_watermark_renders_locally_with_the_resolver(qtbot, settings,
                                                             public_server):
    d = Document()
    d.set_source(Source.of(IMG), "cat.png")
    d.set_process_string(LOGO_WATERMARK)
    panel = track(qtbot, RemotePanel(d, settings=settings, environ={}, resolver=ObjectsResolver()))
    panel.set_form(RemoteForm(endpoint=f"127.0.0.1:{public_server.port}", bucket=BUCKET))
    outcome = fetch(qtbot, panel)
    assert outcome.local.error is None, outcome.local.error
    assert outcome.remote.error is None, outcome.remote.error
    assert outcome.comparison.identical     # the same logo.png on both sides, lossless


def test_without_a_resolver_the_local_side_says_the_object_is_missing(qtbot, settings,
                                                                     public_server):
    d = Document()
    d.set_source(Source.of(IMG), "cat.png")
    d.set_process_string(LOGO_WATERMARK)
    panel = make_panel(qtbot, d, settings, public_server)
    outcome = fetch(qtbot, panel)
    assert outcome.local.error.code == "NoSuchKey"
    assert outcome.remote.error is None


def test_the_main_window_gives_the_remote_panel_the_previews_resolver(main_window, qtbot, tmp_path,
                                                                      public_server):
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "cat.png").write_bytes(IMG)
    (folder / "mark.png").write_bytes(MARK)   # only here: not a bundled sample
    win = main_window(QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat))
    panel = win.extra_panels["remoteDock"]
    assert panel.resolver is win.resolver
    assert win.open_path(str(folder / "cat.png"))
    assert panel.resolver is win.resolver   # followed the new source's folder
    win.process_field.set_text(MARK_WATERMARK)
    # The preview finds mark.png beside the file...
    qtbot.waitUntil(lambda: win.last_output is not None
                    and win.last_output.process == MARK_WATERMARK, timeout=30_000)
    assert win.last_error is None
    # ... and so does the Remote panel's local side.
    panel.set_form(RemoteForm(endpoint=f"127.0.0.1:{public_server.port}", bucket=BUCKET))
    outcome = fetch(qtbot, panel)
    assert outcome.local.error is None, outcome.local.error
    assert outcome.comparison.identical
    win.close()
