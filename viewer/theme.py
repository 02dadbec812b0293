"""The app's look: Fusion everywhere, a light or dark palette, and the style sheet that gives
inline messages (errors red, notes blue) their colours."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory


def dark_palette() -> QPalette:
    p = QPalette()
    c = QColor
    roles = {
        QPalette.ColorRole.Window: c(43, 45, 48),
        QPalette.ColorRole.WindowText: c(224, 226, 230),
        QPalette.ColorRole.Base: c(30, 31, 34),
        QPalette.ColorRole.AlternateBase: c(50, 52, 56),
        QPalette.ColorRole.ToolTipBase: c(60, 63, 68),
        QPalette.ColorRole.ToolTipText: c(232, 234, 238),
        QPalette.ColorRole.PlaceholderText: c(150, 154, 162),
        QPalette.ColorRole.Text: c(224, 226, 230),
        QPalette.ColorRole.Button: c(55, 58, 62),
        QPalette.ColorRole.ButtonText: c(224, 226, 230),
        QPalette.ColorRole.BrightText: c(255, 120, 120),
        QPalette.ColorRole.Light: c(80, 83, 88),
        QPalette.ColorRole.Midlight: c(66, 69, 74),
        QPalette.ColorRole.Mid: c(40, 42, 45),
        QPalette.ColorRole.Dark: c(25, 26, 28),
        QPalette.ColorRole.Shadow: c(0, 0, 0),
        QPalette.ColorRole.Highlight: c(255, 122, 26),
        QPalette.ColorRole.HighlightedText: c(20, 20, 20),
        QPalette.ColorRole.Link: c(255, 160, 90),
    }
    for role, color in roles.items():
        p.setColor(role, color)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text,
                 QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, c(120, 123, 130))
    return p


def light_palette() -> QPalette:
    p = QStyleFactory.create("Fusion").standardPalette()
    p.setColor(QPalette.ColorRole.Highlight, QColor(235, 100, 10))
    p.setColor(QPalette.ColorRole.HighlightedText, QColor(255, 255, 255))
    p.setColor(QPalette.ColorRole.PlaceholderText, QColor(110, 112, 118))
    return p


def is_dark(name: str) -> bool:
    if name == "dark":
        return True
    if name == "light":
        return False
    hints = QGuiApplication.styleHints()
    scheme = getattr(hints, "colorScheme", None)
    return bool(scheme) and scheme() == Qt.ColorScheme.Dark


def stylesheet(dark: bool) -> str:
    """Inline messages: one look for every error in the app, readable on both palettes.
    Tabbed docks show whole titles ("URLs", not "U..."), with scroll arrows when the
    dock is too narrow for all of them."""
    err_fg, err_bg = ("#ff8a8a", "rgba(229,72,77,0.16)") if dark else ("#b4232a",
                                                                      "rgba(229,72,77,0.10)")
    note_fg, note_bg = ("#9ecbff", "rgba(80,150,255,0.14)") if dark else ("#1d4f91",
                                                                         "rgba(80,150,255,0.10)")
    box = "border-radius:4px; padding:4px 6px;"
    # Fusion draws radio indicators from Base/Window, nearly equal in the dark
    # palette: the Info panel's Source/Output buttons were almost invisible (issue 9).
    indicators = """
    QRadioButton::indicator {
        width:13px; height:13px; border:1px solid #a3a8b0; border-radius:7px;
        background:#1e1f22; }
    QRadioButton::indicator:hover { border-color:#ff7a1a; }
    QRadioButton::indicator:checked {
        background:qradialgradient(cx:0.5, cy:0.5, radius:0.5, fx:0.5, fy:0.5,
            stop:0 #ff7a1a, stop:0.5 #ff7a1a, stop:0.6 #1e1f22, stop:1 #1e1f22); }
    QRadioButton::indicator:disabled { border-color:#5a5e66; background:#2b2d30; }
    """ if dark else ""
    return indicators + f"""
    QLabel#previewError, QLabel#processError, QLabel#formError, QLabel#infoError,
    QLabel#sourceError[error="true"] {{ color:{err_fg}; background:{err_bg}; {box} }}
    QLabel#sourceError[error="false"], QLabel#previewNotes {{ color:{note_fg};
        background:{note_bg}; {box} }}
    QLabel#fieldError {{ color:{err_fg}; }}
    QLabel#previewCaption {{ padding:2px 0; }}
    QMainWindow > QTabBar {{ qproperty-elideMode: ElideNone; qproperty-usesScrollButtons: true; }}
    QMainWindow > QTabBar::scroller {{ width: 48px; }}   /* both arrows, 24 px each */
    """


def apply_theme(app: QApplication, name: str = "system") -> None:
    app.setStyle("Fusion")  # the same widgets everywhere; palettes carry light/dark
    dark = is_dark(name)
    app.setPalette(dark_palette() if dark else light_palette())
    app.setStyleSheet(stylesheet(dark))
