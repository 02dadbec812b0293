"""The quality explorer: the sweep follows OSS's q/Q rules (spec 14.1), the plot is
clicked through the UI, the 0.95 target is one click, requests are cancellable and the
latest wins, and every lossy format the engine writes can be swept."""
from __future__ import annotations

import io

import pytest
from PIL import Image, ImageFilter
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QApplication

from core.cascade import parse
from core.engine import Engine, Source
from core.errors import OssError
from viewer.model import quality
from viewer.model.document import Document
from viewer.panels.quality_panel import QualityPanel

from tests.viewer_windows import track

WAIT = 30_000


def photo(w: int = 96, h: int = 64, q: int = 80) -> Source:
    """A photo-like JPEG saved at quality ``q`` (gradients and edges, so every quality
    encodes differently)."""
    im = Image.linear_gradient("L").resize((w, h)).convert("RGB")
    im.paste((200, 40, 40), (w // 4, h // 4, w // 2, h // 2))
    im = im.filter(ImageFilter.GaussianBlur(1))
    out = io.BytesIO()
    im.save(out, "JPEG", quality=q)
    return Source.of(out.getvalue())


def test_relative_q_follows_the_source_quality_for_jpg():
    # Spec 14.1: q is relative, target = source quality x q% (source 80, q_90 -> 72).
    s = quality.sweep(Engine(), photo(q=80), parse("image/resize,w_64"))
    assert (s.key, s.format) == ("q", "jpg")
    assert [p.value for p in s.points] == list(range(10, 101, 5))
    assert s.point(90).quality == 72
    assert s.point(50).quality == 40
    assert s.point(100).quality == 80 and s.point(100).score == 1.0
    sizes = [p.bytes for p in s.points]
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]


def test_absolute_Q_never_above_the_source_quality():
    # Spec 14.1: Q is absolute but never above the source's own (source 80, Q_90 -> 80):
    # every Q from 80 up is the same encoding as the reference, so SSIM is exactly 1.
    s = quality.sweep(Engine(), photo(q=80), parse("image/format,webp"))
    assert (s.key, s.format) == ("Q", "webp")
    assert s.point(60).quality == 60
    capped = [s.point(v) for v in (80, 85, 90, 100)]
    assert {p.quality for p in capped} == {80}
    assert {p.bytes for p in capped} == {s.point(100).bytes}
    assert all(p.score == 1.0 for p in capped)
    assert s.point(10).score < s.point(60).score < 1.0


@pytest.mark.parametrize("fmt", ["jpg", "webp", "avif", "heic"])
def test_every_lossy_format_can_be_swept(fmt):
    s = quality.sweep(Engine(), photo(q=95), parse(f"image/format,{fmt}"),
                      values=(20, 90))
    assert s.format == fmt
    low, high = s.points
    assert low.bytes < high.bytes and low.score < high.score <= 1.0


def test_lossless_output_is_refused_in_oss_terms():
    with pytest.raises(OssError) as e:
        quality.sweep(Engine(), photo(), parse("image/format,png"))
    assert e.value.key == "format" and "png" in e.value.message


def test_ssim_downsampling_follows_wangs_rule():
    # F = max(1, round(min(W, H) / 256)): the sample is scored pixel for pixel, 12 MP
    # (4000x3000) on 12x12 averages.
    assert quality.downsample_factor(400, 267) == 1
    assert quality.downsample_factor(4000, 3000) == 12
    assert quality.downsample_factor(1000, 384) == 2
    s = quality.sweep(Engine(), photo(800, 600), parse("image/format,jpg"), values=(50,))
    assert s.factor == 2


def test_smallest_reaching_picks_the_lowest_value_at_or_above_the_target():
    pts = tuple(quality.SweepPoint(v, v, v * 10, s) for v, s in
                ((10, 0.80), (20, 0.949), (30, 0.95), (40, 0.94), (50, 0.99)))
    s = quality.Sweep("q", "jpg", 1, 1, pts)
    assert s.smallest_reaching(0.95).value == 30
    assert s.smallest_reaching(0.999) is None


# -- the panel, driven through the UI -------------------------------------------------------

@pytest.fixture
def panel(qtbot):
    doc = Document()
    doc.set_source(photo(160, 100, q=80), "photo.jpg")
    doc.set_process_string("image/resize,w_120/format,webp")
    doc.undo_stack.clear()
    p = track(qtbot, QualityPanel(doc))      # shut down, its plot menus parented at teardown
    p.resize(360, 520)
    return p


def click_point(qtbot, panel: QualityPanel, value: int) -> None:
    """A real mouse click on the SSIM dot of ``value``."""
    point = panel.sweep.point(value)
    vb = panel.score_plot.getViewBox()
    scene = vb.mapViewToScene(QPointF(value, point.score))
    pos = panel.plot_view.mapFromScene(scene)
    qtbot.mouseClick(panel.plot_view.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def test_panel_sweeps_when_shown_and_click_sets_the_quality(qtbot, panel):
    with qtbot.waitSignal(panel.sweepFinished, timeout=WAIT) as sig:
        panel.show()
    sweep = sig.args[0]
    assert (sweep.key, sweep.format, sweep.width) == ("Q", "webp", 120)
    assert "webp" in panel.title.text()
    assert len(panel.points) == len(quality.SWEEP_VALUES)
    assert panel.markers[0].value() == 100       # no quality step: the encoder's best
    click_point(qtbot, panel, 50)
    qtbot.waitUntil(lambda: panel.doc.process_string().endswith("/quality,Q_50"))
    assert panel.doc.process_string() == "image/resize,w_120/format,webp/quality,Q_50"
    assert panel.doc.undo_stack.count() == 1
    assert panel.markers[0].value() == panel.markers[1].value() == 50
    assert "Q_50" in panel.readout.text()
    assert f"{sweep.point(50).score:.3f}" in panel.readout.text()
    # Changing only the quality does not sweep again.
    assert not panel.task.busy


def test_target_button_picks_smallest_quality_reaching_095(qtbot, panel):
    with qtbot.waitSignal(panel.sweepFinished, timeout=WAIT) as sig:
        panel.show()
    sweep = sig.args[0]
    best = sweep.smallest_reaching(0.95)
    assert best is not None and best.score >= 0.95
    assert all(p.score < 0.95 for p in sweep.points if p.value < best.value)
    assert panel.target_button.isEnabled()
    qtbot.mouseClick(panel.target_button, Qt.MouseButton.LeftButton)
    assert panel.doc.process_string().endswith(f"/quality,Q_{best.value}")


def test_latest_request_wins_and_cancel_stops(qtbot, panel):
    panel.show()
    panel.doc.set_process_string("image/resize,w_100/format,jpg")
    with qtbot.waitSignal(panel.sweepFinished, timeout=WAIT) as sig:
        panel.doc.set_process_string("image/resize,w_90/format,avif")
    assert (sig.args[0].format, sig.args[0].width) == ("avif", 90)
    # Cancel: the running sweep's result is dropped and the panel says so.
    panel.doc.set_process_string("image/resize,w_80/format,heic")
    qtbot.waitUntil(lambda: panel.task.busy)
    finished = []
    panel.sweepFinished.connect(finished.append)
    qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    assert not panel.task.busy and "Cancelled" in panel.readout.text()
    panel.pool.waitForDone(WAIT)
    QApplication.processEvents()  # a (dropped) delivery would arrive here
    assert finished == []


def test_png_output_says_quality_does_not_apply(qtbot, panel):
    panel.doc.set_process_string("image/format,png")
    panel.show()
    assert "quality applies to jpg, webp, avif, heic only" in panel.title.text()
    assert not panel.run_button.isEnabled()


def test_the_window_has_the_quality_dock_on_the_preview_engine(main_window):
    w = main_window(restore=False)
    assert not w.dock_errors
    panel = w.extra_panels["qualityDock"]
    assert isinstance(panel, QualityPanel) and panel.engine is w.renderer.engine
    assert panel.doc is w.doc
    w.close()
