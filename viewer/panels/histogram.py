"""A histogram plot (pyqtgraph) of :func:`core.batch.stats.histogram` bins: the Batch
view's output bytes and savings, drawn like the HTML report's."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

from core.batch import stats


class Histogram(pg.PlotWidget):
    """Bars of a :func:`core.batch.stats.histogram`."""

    def __init__(self, title: str, unit: str, parent: QWidget | None = None) -> None:
        super().__init__(parent, background=None)
        self.setTitle(title)
        self.setLabel("bottom", unit)
        self.setLabel("left", "sources")
        self.setMouseEnabled(False, False)
        self.hideButtons()
        self.setMinimumHeight(160)
        self.bars: pg.BarGraphItem | None = None
        self.hist = stats.Histogram((), ())

    def set_values(self, values: list[float]) -> None:
        self.hist = stats.histogram(values)
        if self.bars is not None:
            self.removeItem(self.bars)
            self.bars = None
        h = self.hist
        if h.counts:
            edges = list(h.edges)
            if len(edges) == 2 and edges[0] == edges[1]:     # all values equal
                edges = [edges[0] - 0.5, edges[0] + 0.5]
            x0 = edges[:-1]
            widths = [b - a for a, b in zip(edges, edges[1:])]
            self.bars = pg.BarGraphItem(x0=x0, width=widths, height=list(h.counts),
                                        brush=QColor("#3b7dd8"), pen=QColor("#2a5ea8"))
            self.addItem(self.bars)
        self.autoRange()
