"""Result views: probabilities (one pyqtgraph BarGraphItem updated in place), preprocessing
stages, and input / reconstruction / difference side by side."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from ..core.verdict import Verdict

ACCENT = "#3d8bfd"
BAR = "#8a94a6"
LABEL = "#4a5060"
pg.setConfigOptions(antialias=True)


def percent_label(p: float) -> str:
    """A bar's label: none under 0.5% (the bar is not visible either), "<1%" rather than a rounded
    "1%" that overstates it, and ">99%" for a winner that is not quite certain."""
    if p < 0.005:
        return ""
    if p < 0.01:
        return "<1%"
    if 0.99 < p < 1.0 and round(p * 100) >= 100:
        return ">99%"
    return f"{p * 100:.0f}%"


class ProbabilityChart(pg.PlotWidget):
    def __init__(self, parent=None):
        super().__init__(parent, background=None)
        self.setMenuEnabled(False)
        self.setMouseEnabled(False, False)
        self.hideButtons()
        self.setFocusPolicy(Qt.NoFocus)  # shown, not used: Tab goes to the controls
        self.setMinimumHeight(120)  # the window must fit a 768-px-high laptop screen
        plot = self.getPlotItem()
        plot.setYRange(0, 1.25, padding=0)
        plot.setXRange(-0.6, 9.6, padding=0)
        plot.getAxis("bottom").setTicks([[(i, str(i)) for i in range(10)]])
        plot.getAxis("left").setTicks([[(v, f"{int(v * 100)}%") for v in (0, 0.5, 1.0)]])
        plot.showGrid(y=True, alpha=0.15)
        self.bars = pg.BarGraphItem(x=np.arange(10), height=np.zeros(10), width=0.72,
                                    brushes=[pg.mkBrush(BAR)] * 10, pens=[pg.mkPen(None)] * 10)
        self.addItem(self.bars)
        self.labels = []
        for i in range(10):
            label = pg.TextItem("", anchor=(0.5, 1.0), color=LABEL)
            label.setPos(i, 0)
            self.addItem(label)
            self.labels.append(label)
        self.heights = np.zeros(10)
        self._brushes = {False: pg.mkBrush(BAR), True: pg.mkBrush(ACCENT)}
        self._shown: list[tuple | None] = [None] * 10  # each label's (text, inside, height) on screen

    def show_probabilities(self, probs: np.ndarray | None, highlight: bool = True) -> None:
        heights = np.zeros(10) if probs is None else np.asarray(probs, float)
        winner = int(np.argmax(heights)) if probs is not None else -1
        self.bars.setOpts(height=heights, brushes=[self._brushes[i == winner and highlight] for i in range(10)])
        for i, (label, h) in enumerate(zip(self.labels, heights)):
            text = percent_label(h) if probs is not None else ""
            inside = h > 0.7  # above a tall bar the label would be cut off by a short chart: put it inside
            state = (text, inside, round(float(h), 2))  # a hundredth of the axis: about a pixel
            if state == self._shown[i]:
                continue  # a label re-set costs a layout of its text, for each of the ten, every answer
            self._shown[i] = state
            label.setText(text)
            label.setAnchor((0.5, 0.0) if inside else (0.5, 1.0))
            label.setColor("#ffffff" if inside else LABEL)
            label.setPos(i, h - 0.02 if inside else h + 0.02)
        self.heights = heights


def _image_view(title: str, colormap: str | None = None):
    view = pg.GraphicsLayoutWidget()
    view.setBackground(None)
    view.setFocusPolicy(Qt.NoFocus)
    view.setMinimumSize(48, 48)  # six in a row must fit a narrow window; they grow with it
    box = view.addViewBox(lockAspect=True, invertY=True, enableMouse=False)
    box.setMenuEnabled(False)
    item = pg.ImageItem(axisOrder="row-major")
    if colormap:
        item.setColorMap(pg.colormap.get(colormap))
    box.addItem(item)
    box.setRange(xRange=(0, 28), yRange=(0, 28), padding=0.02)
    caption = QLabel(title)
    caption.setAlignment(Qt.AlignCenter)
    caption.setWordWrap(True)  # "scaled to 20 px" may take two lines rather than widen the window
    return view, item, box, caption


class ImageStrip(QWidget):
    """A row of small pictures with captions; ``show`` takes name -> array."""

    def __init__(self, names: list[str], colormaps: dict[str, str] | None = None, parent=None):
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        self.items = {}
        self.boxes = {}
        self.views = {}  # name -> (picture, caption) widgets, to hide a picture that does not apply
        for col, name in enumerate(names):
            view, item, box, caption = _image_view(name, (colormaps or {}).get(name))
            grid.addWidget(view, 0, col)
            grid.addWidget(caption, 1, col)
            self.items[name] = item
            self.boxes[name] = box
            self.views[name] = (view, caption)

    def set_shown(self, names) -> None:
        """Show only these pictures (the others leave no empty box behind)."""
        for name, widgets in self.views.items():
            for widget in widgets:
                widget.setVisible(name in names)

    def show_images(self, images: dict[str, np.ndarray | None], levels: dict[str, tuple] | None = None) -> None:
        for name, item in self.items.items():
            img = images.get(name)
            if img is None or img.size == 0:
                item.clear()
                continue
            lv = (levels or {}).get(name, (0.0, 1.0))
            item.setImage(np.asarray(img, np.float32), autoLevels=False, levels=lv)
            self.boxes[name].setRange(xRange=(0, img.shape[1]), yRange=(0, img.shape[0]), padding=0.02)


class ReconstructionPanel(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.strip = ImageStrip(["model input", "reconstruction", "difference"], {"difference": "inferno"})
        self.error = QLabel("")
        self.error.setAlignment(Qt.AlignCenter)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.note.setAlignment(Qt.AlignCenter)
        layout.addWidget(self.strip)
        layout.addWidget(self.error)
        layout.addWidget(self.note)

    def show_result(self, model_input, reconstruction, error, threshold: float | None, has_decoder: bool) -> None:
        if not has_decoder or threshold is None:
            self.strip.show_images({"model input": model_input})
            self.error.setText("")
            self.note.setText("This model has no decoder, so there is no reconstruction to show." if not has_decoder
                              else "This model's decoder does not draw the digit back: it was trained to serve "
                                   "the classifier, not to rebuild the picture (the paper weighs it lightly). "
                                   "So there is no reconstruction to show, and its error is not used to judge "
                                   "\"not a digit\".")
            return
        diff = None if reconstruction is None or model_input is None else np.abs(model_input - reconstruction)
        self.strip.show_images({"model input": model_input, "reconstruction": reconstruction, "difference": diff})
        self.note.setText("")
        if error is None:
            self.error.setText("")
        else:
            limit = f" (limit {threshold:.4f})" if threshold is not None else ""
            self.error.setText(f"reconstruction error {error:.4f}{limit}")


STAGES = ["ink", "cropped", "scaled", "centred", "binarized", "enhanced"]
STAGE_TITLES = {"ink": "ink found", "cropped": "cropped", "scaled": "scaled to 20 px", "centred": "centred 28x28",
                "binarized": "binarised", "enhanced": "enhanced"}


class StagesPanel(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.strip = ImageStrip([STAGE_TITLES[s] for s in STAGES])
        self.caption = QLabel("The exact array the model received is the last picture.")
        self.caption.setAlignment(Qt.AlignCenter)
        self.caption.setWordWrap(True)
        # said on hover over the pictures or the caption, which a small window already wraps to several lines
        self.setToolTip("The first picture is the ink found: a photo's paper, its uneven light, specks "
                        "and ruled lines are left out before the digit is cropped.")
        layout.addWidget(self.strip)
        layout.addWidget(self.caption)
        self.strip.set_shown([STAGE_TITLES[s] for s in STAGES if s not in ("binarized", "enhanced")])  # until told

    def set_preprocessing(self, settings) -> None:
        """Show the stages this model's preprocessing runs (core.preprocess.PreprocessSettings) and
        say which optional ones it skips, rather than leave empty boxes for them."""
        ran = {"binarized": settings.binarize, "enhanced": settings.enhance}
        self.strip.set_shown([STAGE_TITLES[s] for s in STAGES if ran.get(s, True)])
        skipped = [{"binarized": "binarising", "enhanced": "enhancement"}[s] for s, on in ran.items() if not on]
        note = ("" if not skipped else f" This model was trained without the research paper's optional "
                f"{' and '.join(skipped)}, so the centred picture is what it reads.")
        self.caption.setText("The exact array the model received is the last picture." + note)

    def show_stages(self, stages: dict[str, np.ndarray]) -> None:
        self.strip.show_images({STAGE_TITLES[k]: v for k, v in stages.items() if k in STAGE_TITLES})


VERDICT_STYLE = {Verdict.DIGIT: "#3d8bfd", Verdict.NOT_SURE: "#e0a100", Verdict.NOT_A_DIGIT: "#e05d44",
                 Verdict.EMPTY: "#8a94a6"}


class VerdictLabel(QLabel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setAlignment(Qt.AlignCenter)
        self.setMinimumHeight(96)
        self.verdict = Verdict.EMPTY
        self.show_verdict(Verdict.EMPTY, None, 0.0)

    def show_verdict(self, verdict: Verdict, digit: int | None, confidence: float, loading: bool = False,
                     reason: str = "") -> None:
        self.verdict = verdict
        color = VERDICT_STYLE[verdict]
        if loading:
            big, small = "…", "loading model…"
        elif verdict is Verdict.DIGIT:
            big, small = str(digit), f"{confidence * 100:.1f}% sure"
        elif verdict is Verdict.NOT_SURE:
            big, small = "?", f"not sure (best guess {digit}, {confidence * 100:.0f}%)"
        elif verdict is Verdict.NOT_A_DIGIT:
            big, small = "✕", "not a digit"
            if reason:
                small += f"<br><span style='font-size:11px'>{reason}</span>"
        else:  # a blank picture says so (``reason``); an empty canvas asks for a digit
            big, small = "–", reason or "draw a digit"
        self.setText(f"<div style='font-size:56px; font-weight:600; color:{color}'>{big}</div>"
                     f"<div style='font-size:14px; color:{color}'>{small}</div>")
