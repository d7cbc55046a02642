"""The Inside panel: a layer's feature maps, what drove the answer, and where the drawing sits
among MNIST's test digits. It only shows what the worker computed for it (requester "inside");
the main window asks only while the panel is visible."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QComboBox, QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ..core.inside_pictures import DIGIT_COLOURS, mosaic, saliency_overlay, tile_at
from .imaging import to_qimage
from .worker import InsideAsk

THUMB = 36  # neighbour thumbnails, px
NEIGHBOURS = "nearest MNIST test digits"


def _picture_box(title: str) -> tuple[pg.GraphicsLayoutWidget, pg.ViewBox, pg.ImageItem, QLabel]:
    view = pg.GraphicsLayoutWidget()
    view.setBackground(None)
    view.setFocusPolicy(Qt.NoFocus)
    view.setMinimumSize(48, 48)
    box = view.addViewBox(lockAspect=True, invertY=True, enableMouse=False)
    box.setMenuEnabled(False)
    item = pg.ImageItem(axisOrder="row-major")
    box.addItem(item)
    caption = QLabel(title)
    caption.setAlignment(Qt.AlignCenter)
    caption.setWordWrap(True)
    return view, box, item, caption


class InsidePanel(QWidget):
    askChanged = Signal()  # the layer or the saliency's digit changed: ask the worker again
    locateMnist = Signal()  # the map needs MNIST and the user wants to point at it

    def __init__(self, parent=None):
        super().__init__(parent)
        self.explanation = None
        self.latent = None
        self._maps = None  # the shown layer's (H, W, C), for the hover

        self.layer_box = QComboBox()
        self.layer_box.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.layer_box.setMinimumContentsLength(10)
        self.layer_box.setToolTip("The layer whose feature maps are shown")
        self.layer_box.currentIndexChanged.connect(lambda _i: self.askChanged.emit())
        self.target_box = QComboBox()
        self.target_box.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.target_box.setMinimumContentsLength(8)
        self.target_box.addItem("the answer", None)
        for d in range(10):
            self.target_box.addItem(f"why not {d}?", d)
        self.target_box.setToolTip("Which digit the saliency explains: red ink speaks for it, blue against")
        self.target_box.currentIndexChanged.connect(lambda _i: self.askChanged.emit())
        top = QHBoxLayout()
        top.addWidget(QLabel("Layer"))
        top.addWidget(self.layer_box, 2)
        top.addSpacing(8)
        top.addWidget(QLabel("Saliency"))
        top.addWidget(self.target_box, 1)

        self.maps_view, self.maps_box, self.maps_item, self.maps_caption = _picture_box("feature maps")
        self.maps_item.setColorMap(pg.colormap.get("viridis"))
        self.maps_view.scene().sigMouseMoved.connect(self._hover_maps)
        self.saliency_view, self.saliency_box, self.saliency_item, self.saliency_caption = _picture_box("saliency")

        self.map_plot = pg.PlotWidget(background=None)
        self.map_plot.setMenuEnabled(False)
        self.map_plot.hideButtons()
        self.map_plot.setFocusPolicy(Qt.NoFocus)
        self.map_plot.setMinimumSize(100, 64)
        for axis in ("left", "bottom"):
            self.map_plot.getPlotItem().hideAxis(axis)
        self.cloud = pg.ScatterPlotItem(size=3, pen=None)
        self.you = pg.ScatterPlotItem(size=16, symbol="star", pen=pg.mkPen("k", width=1.5), brush=pg.mkBrush("#ffffff"))
        self.map_plot.addItem(self.cloud)
        self.map_plot.addItem(self.you)
        self.legend = QLabel(" ".join(f"<span style='color:{c}'>■</span>{d}" for d, c in enumerate(DIGIT_COLOURS)))
        self.legend.setAlignment(Qt.AlignCenter)

        self.neighbour_labels = []
        near = QGridLayout()
        near.setSpacing(2)
        for i in range(8):  # two rows of four: the panel must fit a narrow right-hand column
            label = QLabel()
            label.setFixedSize(THUMB, THUMB)
            label.setAlignment(Qt.AlignCenter)
            near.addWidget(label, i // 4, i % 4)
            self.neighbour_labels.append(label)
        self.neighbours_caption = QLabel(NEIGHBOURS)
        self.neighbours_caption.setAlignment(Qt.AlignCenter)
        self.neighbours_caption.setWordWrap(True)  # with eight digits named, it would widen the panel

        self.map_status = QLabel("")
        self.map_status.setWordWrap(True)
        self.locate_button = QPushButton("Locate MNIST…")
        self.locate_button.clicked.connect(self.locateMnist.emit)
        self.locate_button.hide()
        self.note = QLabel("Draw a digit to see inside the model.")
        self.note.setWordWrap(True)

        grid = QGridLayout()
        grid.addWidget(self.maps_view, 0, 0)
        grid.addWidget(self.saliency_view, 0, 1)
        grid.addWidget(self.maps_caption, 1, 0)
        grid.addWidget(self.saliency_caption, 1, 1)
        grid.addWidget(self.map_plot, 2, 0)
        right = QVBoxLayout()
        right.addStretch(1)
        right.addLayout(near)
        right.addWidget(self.neighbours_caption)
        right.addStretch(1)
        grid.addLayout(right, 2, 1)
        grid.addWidget(self.legend, 3, 0)
        grid.setRowStretch(0, 3)
        grid.setRowStretch(2, 3)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.note)
        layout.addLayout(grid, 1)
        status = QHBoxLayout()
        status.addWidget(self.map_status, 1)
        status.addWidget(self.locate_button)
        layout.addLayout(status)

    # -- what to ask ------------------------------------------------------------------------
    def ask(self) -> InsideAsk:
        return InsideAsk(self.layer_box.currentData(), self.target_box.currentData())

    def reset(self) -> None:
        """A new model: its layers are not known until it answers; its map is asked anew."""
        self.layer_box.blockSignals(True)
        self.layer_box.clear()
        self.layer_box.blockSignals(False)
        self.latent = None
        self.cloud.clear()
        self.map_status.setText("")
        self.locate_button.hide()
        self.show_explanation(None)

    # -- results ----------------------------------------------------------------------------
    def show_note(self, text: str) -> None:
        self.show_explanation(None, text)

    def show_explanation(self, expl, note: str = "Draw a digit to see inside the model.") -> None:
        self.explanation = expl
        if expl is None:
            for item in (self.maps_item, self.saliency_item, self.you):
                item.clear()
            for label in self.neighbour_labels:
                label.clear()
            self.neighbours_caption.setText(NEIGHBOURS)
            self.note.setText(note)
            self.note.show()
            self._maps = None
            return
        self.note.hide()
        self._update_layers(expl)
        if expl.layer is not None:
            maps = expl.inside.maps[expl.layer]
            picture = mosaic(maps)
            self._maps = maps
            self.maps_item.setImage(picture, autoLevels=False, levels=(0, 1))
            self.maps_box.setRange(xRange=(0, picture.shape[1]), yRange=(0, picture.shape[0]), padding=0.02)
            h, w, c = maps.shape
            self.maps_caption.setText(f"{expl.layer}: {c} maps of {h}×{w} (hover for one)")
        saliency = expl.saliency if expl.saliency is not None else np.zeros((28, 28), np.float32)
        self.saliency_item.setImage(saliency_overlay(expl.inside.image, saliency), autoLevels=False, levels=(0, 255))
        self.saliency_box.setRange(xRange=(0, 28), yRange=(0, 28), padding=0.02)
        why = f"why {expl.target}" if expl.target == expl.answer else f"why not {expl.target}"
        self.saliency_caption.setText(f"{why}: red ink speaks for it, blue against" if expl.saliency is not None
                                      else f"{why}: shown when the pen lifts")
        self._show_place(expl)

    def _update_layers(self, expl) -> None:
        names = [layer.name for layer in expl.inside.layers]
        if [self.layer_box.itemData(i) for i in range(self.layer_box.count())] == names:
            return
        self.layer_box.blockSignals(True)
        self.layer_box.clear()
        for layer in expl.inside.layers:
            h, w, c = layer.shape
            self.layer_box.addItem(f"{layer.name} ({layer.kind}, {h}×{w}×{c})", layer.name)
        self.layer_box.setCurrentIndex(max(0, names.index(expl.layer)) if expl.layer in names else 0)
        self.layer_box.blockSignals(False)

    def _hover_maps(self, pos) -> None:
        if self._maps is None:
            return
        p = self.maps_item.mapFromScene(pos)
        channel = tile_at(p.x(), p.y(), self._maps.shape)
        if channel is None:
            self.maps_view.setToolTip("")
            return
        m = self._maps[:, :, channel]
        text = f"channel {channel}: values {float(m.min()):.3g} to {float(m.max()):.3g}"
        self.maps_view.setToolTip(text)
        self.maps_caption.setText(text)

    # -- the map ---------------------------------------------------------------------------
    def map_progress(self, done: int, total: int) -> None:
        self.map_status.setText(f"Mapping MNIST test through this model: {done:,} of {total:,}…")

    def map_failed(self, message: str) -> None:
        missing = "MNIST not found" in message or "does not exist" in message
        self.map_status.setText("No map: DigitPad needs MNIST's test digits to place your drawing among them."
                                if missing else f"No map: {message}")
        self.locate_button.setVisible(missing)

    def set_map(self, latent) -> None:
        self.latent = latent
        self.locate_button.hide()
        xy = latent.xy(latent.coords)
        brushes = [pg.mkBrush(DIGIT_COLOURS[d]) for d in range(10)]
        self.cloud.setData(x=xy[:, 0], y=xy[:, 1], brush=[brushes[d] for d in latent.labels])
        share = float(latent.explained.sum()) * 100
        self.map_status.setText(f"Map: {len(latent.labels):,} MNIST test digits by this model's {latent.kind} "
                                f"({latent.layer}), {len(latent.explained)} principal components ({share:.0f}% of "
                                "the variance; the neighbours are found there) seen on the plane that keeps the "
                                "digits furthest apart.")

    def _show_place(self, expl) -> None:
        latent = self.latent
        if latent is None or expl.placed is None:
            self.you.clear()
            for label in self.neighbour_labels:
                label.clear()
            self.neighbours_caption.setText(NEIGHBOURS)  # not another model's, or drawing's, digits
            return
        x, y = latent.xy(expl.placed)
        self.you.setData(x=[float(x)], y=[float(y)])
        for label, index in zip(self.neighbour_labels, expl.neighbours):
            thumb = 255 - latent.images[index]  # dark ink on white, like the canvas
            pix = QPixmap.fromImage(to_qimage(thumb)).scaled(THUMB - 4, THUMB - 4, Qt.KeepAspectRatio,
                                                            Qt.SmoothTransformation)
            label.setPixmap(pix)
            label.setToolTip(f"MNIST test #{int(index)}: a {int(latent.labels[index])}")
        self.neighbours_caption.setText(f"{NEIGHBOURS}: "
                                        + " ".join(str(int(latent.labels[i])) for i in expl.neighbours))
