"""Step forms generated from core's declarations: one editor per kind, ranges and
tooltips from the declarations, unset keys stay out of the string, invalid edits are
explained inline and never reach the document."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication

from core.params import REGISTRY, Kind, b64encode_text
from viewer.model.document import Document
from viewer.panels.forms import StepForm
from viewer.panels.param_editors import (ColorEditor, EnumEditor, FlagEditor, FontEditor, IntEditor,
                                  TextEditor)
from viewer.panels.steps_model import starter_op
from viewer.panels.steps_panel import StepsPanel

EDITOR_FOR_KIND = {Kind.INT: IntEditor, Kind.FLAG: FlagEditor, Kind.ENUM: EnumEditor,
                   Kind.COLOR: ColorEditor, Kind.BASE64: TextEditor}


@pytest.fixture
def panel(qtbot):
    doc = Document()
    p = StepsPanel(doc)
    qtbot.addWidget(p)
    return p


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_action_gets_a_form_from_its_declarations(qtbot, name):
    op = starter_op(name)
    op.check()
    form = StepForm(type(op))
    qtbot.addWidget(form)
    form.set_op(op)
    for spec in type(op).SPECS:
        editor = form.editor(spec.key)
        special = name == "watermark" and spec.key == "type"
        assert isinstance(editor, FontEditor if special else EDITOR_FOR_KIND[spec.kind])
        assert spec.title in editor.toolTip() and f"<code>{spec.key}</code>" in editor.toolTip()
        if spec.help:
            assert spec.help in editor.toolTip()
        given = getattr(op, spec.key)
        if given is not None:
            assert editor.value() == given, spec.key
        if isinstance(editor, IntEditor):
            hi = editor.spin.maximum()
            assert spec.max is None or hi == spec.max
            lo = editor.spin.minimum()
            optional = not (spec.required or type(op).SINGLE_VALUE)
            blank = optional and spec.default is None
            assert spec.min is None or lo == spec.min - (1 if blank else 0)
        # Required keys (and the bare value of single-value actions) cannot be unset.
        optional = not (spec.required or type(op).SINGLE_VALUE)
        assert (form.reset_button(spec.key) is not None) == optional


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_action_has_a_valid_example_without_a_curated_one(name):
    from viewer.panels.steps_model import generic_starter

    op = generic_starter(REGISTRY[name])
    op.check()
    assert op.to_string().startswith(name)


def test_palette_offers_every_action(panel):
    assert set(panel.add_actions) == set(REGISTRY)


def test_optional_int_unset_until_set(panel):
    panel.add("crop")
    doc, form = panel.doc, panel.form
    assert doc.process_string() == "image/crop,w_200,h_200,g_center"
    x = form.editor("x")
    assert x.value() == 0 and not form.reset_button("x").isEnabled()  # default shown
    x.spin.setValue(15)
    assert doc.process_string() == "image/crop,w_200,h_200,x_15,g_center"
    assert form.reset_button("x").isEnabled()
    form.reset_button("w").click()
    assert doc.process_string() == "image/crop,h_200,x_15,g_center"
    assert form.editor("w").spin.text() == "—"


def test_typing_into_a_spin_box_merges_into_one_undo_step(qtbot, panel):
    panel.add("resize")
    doc = panel.doc
    before = doc.undo_stack.count()
    spin = panel.form.editor("w").spin
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, "250")
    assert doc.process_string() == "image/resize,w_250"
    assert doc.undo_stack.count() == before + 1
    doc.undo_stack.undo()
    assert doc.process_string() == "image/resize,w_300"


def test_colour_flag_and_enum_editors(panel):
    panel.add("resize")
    form, doc = panel.form, panel.doc
    form.editor("m").combo.setCurrentIndex(form.editor("m").combo.findData("pad"))
    form.editor("h").spin.setValue(300)
    color = form.editor("color")
    color.edit.setText("")
    from PySide6.QtTest import QTest
    QTest.keyClicks(color.edit, "ff8800")
    form.editor("limit").box.setChecked(False)
    assert doc.process_string() == "image/resize,m_pad,w_300,h_300,limit_0,color_FF8800"


def test_required_key_cannot_be_removed_and_cross_checks_are_inline(panel):
    panel.add("resize")
    form, doc = panel.form, panel.doc
    form.reset_button("w").click()  # resize needs one of w, h, l, s, p
    assert doc.process_string() == "image/resize,w_300"
    err = form._rows["w"].error
    assert err.isVisibleTo(form) and "MissingArgument" in err.text()
    form.editor("p").spin.setValue(50)  # fixing it elsewhere clears the message
    assert not err.isVisibleTo(form)
    assert doc.process_string() == "image/resize,w_300,p_50"


def test_base64_text_is_edited_decoded(qtbot, panel):
    panel.add("watermark")
    form, doc = panel.form, panel.doc
    text = form.editor("text")
    text.edit.clear()
    text.edit.setFocus()
    # CJK arrives through the input method, as from a real IME (QTest only types Latin-1).
    ime = QInputMethodEvent()
    ime.setCommitString("水印 ok")
    QApplication.sendEvent(text.edit, ime)
    assert f"text_{b64encode_text('水印 ok')}" in doc.process_string()
    assert text.hint.text().startswith(f"text_{b64encode_text('水印 ok')}")
    assert "9/64 bytes" in text.hint.text()  # 3 + 3 + 1 + 2
    qtbot.keyClicks(text.edit, "x" * 60)
    # Every keystroke up to 64 bytes applied; past that, explained and not applied.
    assert doc.steps[0].op.text == "水印 ok" + "x" * 55
    assert "InvalidArgument" in form._rows["text"].error.text()


def test_font_picker_lists_oss_fonts_and_substitutes(panel):
    from core import fonts

    panel.add("watermark")
    form, doc = panel.form, panel.doc
    font = form.editor("type")
    names = [font.combo.itemData(i) for i in range(font.combo.count())]
    assert names == list(fonts.OSS_FONT_NAMES)
    font.combo.setCurrentIndex(names.index("wqy-microhei"))
    assert "type_d3F5LW1pY3JvaGVp" in doc.process_string()
    font.combo.setCurrentIndex(names.index("fangzhengkaiti"))
    assert "proprietary" in font.hint.text()
    assert "type_ZmFuZ3poZW5na2FpdGk" in doc.process_string()


def test_wheel_does_not_change_an_unfocused_spin_box(qtbot, panel):
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    panel.add("resize")
    spin = panel.form.editor("w").spin
    ev = QWheelEvent(QPointF(5, 5), QPointF(5, 5), QPoint(0, 0), QPoint(0, 120),
                     Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                     Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(spin, ev)
    assert spin.value() == 300
