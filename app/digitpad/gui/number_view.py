"""Number mode: a drawing of several digits side by side is read as a whole number.

It is automatic: when the worker finds two or more digits in the ink (``RecognitionResult.digits``,
from :func:`digitpad.core.number_reading.read_digits`), the big answer becomes the number, each
digit gets a box on the canvas with a tab showing its reading and confidence in its verdict's
colour, and the probability chart, model input, reconstruction and preprocessing panels show one
digit: the first, until another is chosen by clicking its tab on the canvas or the digit in the big
number. With one digit the window is exactly as it always was. The judging is core's
(:func:`~digitpad.core.number_reading.judge_number`); this module only draws and forwards clicks.
"""
from __future__ import annotations

from typing import Sequence

from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QLabel

from ..core.number_reading import DigitReading, NumberJudgement, judge_number
from ..core.verdict import Thresholds, Verdict
from .panels import VERDICT_STYLE

#: Space between a digit's strokes (their centre lines) and its box, besides half the pen's width.
BOX_MARGIN = 4.0


def _ordinal_list(positions: Sequence[int]) -> str:
    """[1, 3] -> "digits 2 and 4" (people count from one)."""
    names = [str(k + 1) for k in positions]
    if len(names) == 1:
        return f"digit {names[0]}"
    return f"digits {', '.join(names[:-1])} and {names[-1]}"


def tab_text(digit: DigitReading, verdict: Verdict) -> str:
    """What the tab on a digit's box says: "4 97%", "4? 52%" (not sure), "✕" (not a digit)."""
    rec = digit.recognition
    if verdict is Verdict.NOT_A_DIGIT:
        return "✕"
    mark = "?" if verdict is Verdict.NOT_SURE else ""
    return f"{rec.digit}{mark} {rec.confidence * 100:.0f}%"


def summary_text(judgement: NumberJudgement) -> str:
    """The line under the big number: how sure, and which digits are in doubt."""
    verdicts = [j.verdict for j in judgement.judgements]
    if judgement.number is None:
        return "no number here: every part was refused as not a digit"
    parts = []
    unsure = [k for k, v in enumerate(verdicts) if v is Verdict.NOT_SURE]
    refused = [k for k, v in enumerate(verdicts) if v is Verdict.NOT_A_DIGIT]
    if unsure:
        parts.append(f"not sure of {_ordinal_list(unsure)}")
    if refused:
        which = _ordinal_list(refused).replace("digit", "part")
        parts.append(f"{which} {'is not a digit' if len(refused) == 1 else 'are not digits'} (left out)")
    if not parts:
        parts.append(f"{len(verdicts)} digits, {judgement.confidence * 100:.1f}% sure")
    return " · ".join(parts)


class NumberLabel(QLabel):
    """The number in large type, each digit in its verdict's colour; a click on a digit selects it."""

    digitClicked = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setAlignment(Qt.AlignCenter)
        self.setMinimumHeight(96)  # as the verdict label it stands in for
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.LinksAccessibleByMouse)
        self.setCursor(Qt.PointingHandCursor)
        self.linkActivated.connect(lambda href: self.digitClicked.emit(int(href)))
        self.setToolTip("Click a digit here, or the tab on its box in the drawing, to see it in the chart and "
                        "the panels below")

    def show_number(self, digits: Sequence[DigitReading], judgement: NumberJudgement, selected: int) -> None:
        size = 56 if len(digits) <= 5 else max(24, 56 * 5 // len(digits))
        chars = []
        for k, (d, j) in enumerate(zip(digits, judgement.judgements)):
            char = "✕" if j.verdict is Verdict.NOT_A_DIGIT else str(d.recognition.digit)
            line = "underline" if k == selected else "none"
            chars.append(f"<a href='{k}' style='text-decoration:none'><span style='color:{VERDICT_STYLE[j.verdict]};"
                         f" text-decoration:{line}'>{char}</span></a>")
        chosen = judgement.judgements[selected]
        rec = digits[selected].recognition
        if chosen.verdict is Verdict.DIGIT:
            about = f"digit {selected + 1} of {len(digits)}, read as {rec.digit} ({rec.confidence * 100:.1f}% sure)"
        elif chosen.verdict is Verdict.NOT_SURE:
            about = (f"digit {selected + 1} of {len(digits)}, not sure (best guess {rec.digit}, "
                     f"{rec.confidence * 100:.0f}%)")
        else:
            about = f"part {selected + 1} of {len(digits)}, not a digit"
            about += f" ({chosen.reason})" if chosen.reason else ""
        overall = VERDICT_STYLE[Verdict.NOT_A_DIGIT if judgement.number is None else
                                Verdict.NOT_SURE if judgement.doubtful else Verdict.DIGIT]
        self.setText(f"<div style='font-size:{size}px; font-weight:600'>{''.join(chars)}</div>"
                     f"<div style='font-size:14px; color:{overall}'>{summary_text(judgement)}</div>"
                     f"<div style='font-size:12px'>below: {about}</div>")


class NumberMode(QObject):
    """The number shown over the single-digit views, and the boxes on the canvas.

    ``show`` is given every result's digits; it takes over the answer and the panels when there are
    two or more, and gives them back (returns False) otherwise. The canvas calls :meth:`paint` after
    drawing the ink and :meth:`press` before starting a stroke.
    """

    selectionChanged = Signal(int)

    def __init__(self, canvas, verdict_label, chart, reconstruction, stages, parent=None):
        super().__init__(parent)
        self.canvas = canvas
        self.verdict_label, self.chart, self.reconstruction, self.stages = verdict_label, chart, reconstruction, stages
        self.label = NumberLabel()
        self.label.hide()
        self.label.digitClicked.connect(self.select)
        self.digits: tuple[DigitReading, ...] = ()
        self.judgement: NumberJudgement | None = None
        self.selected = 0
        self._thresholds = Thresholds()
        self._has_decoder = True
        canvas.overlay = self

    @property
    def active(self) -> bool:
        return len(self.digits) >= 2

    @property
    def number(self) -> str | None:
        """The number shown ("" when number mode is off, None when every part was refused)."""
        return "" if not self.active else self.judgement.number

    def show(self, digits: Sequence[DigitReading], thresholds: Thresholds, has_decoder: bool) -> bool:
        was = self.active
        if not was or self.selected >= len(digits):  # a chosen digit stays chosen while it is there
            self.selected = 0
        self.digits = tuple(digits) if len(digits) >= 2 else ()
        self._thresholds, self._has_decoder = thresholds, has_decoder
        if not self.active:
            self.judgement = None
            if was:
                self.label.hide()
                self.verdict_label.show()
                self.canvas.update()
            return False
        self.judgement = judge_number(self.digits, thresholds)
        self.verdict_label.hide()
        self.label.show()
        self._show_selected()
        return True

    def select(self, k: int) -> None:
        if self.active and 0 <= k < len(self.digits) and k != self.selected:
            self.selected = k
            self._show_selected()
            self.selectionChanged.emit(k)

    def _show_selected(self) -> None:
        d = self.digits[self.selected]
        rec, verdict = d.recognition, self.judgement.judgements[self.selected].verdict
        self.label.show_number(self.digits, self.judgement, self.selected)
        self.chart.show_probabilities(rec.probabilities, highlight=verdict is Verdict.DIGIT)
        self.reconstruction.show_result(rec.preprocessed.image, rec.reconstruction, rec.reconstruction_error,
                                        self._thresholds.reconstruction_error, self._has_decoder)
        self.stages.show_stages(rec.preprocessed.stages)
        self.canvas.update()

    # -- on the canvas ------------------------------------------------------------------------------
    def _font(self) -> QFont:
        font = QFont(self.canvas.font())
        font.setPixelSize(13)
        font.setBold(True)
        return font

    def box_rect(self, k: int) -> QRectF:
        """Digit ``k``'s box on the canvas, in the widget's pixels (the canvas maps ink to them)."""
        x0, y0, x1, y1 = self.digits[k].box
        pad = (self.canvas.document.pen_width or self.canvas.brush) / 2 + BOX_MARGIN / self.canvas.scale
        return self.canvas.view.mapRect(QRectF(QPointF(x0 - pad, y0 - pad), QPointF(x1 + pad, y1 + pad)))

    def tab_rect(self, k: int) -> QRectF:
        """Digit ``k``'s tab: above its box, or below it when the box touches the top of the canvas."""
        box = self.box_rect(k)
        metrics = QFontMetricsF(self._font())
        verdict = self.judgement.judgements[k].verdict
        w, h = metrics.horizontalAdvance(tab_text(self.digits[k], verdict)) + 12, metrics.height() + 6
        y = box.top() - h if box.top() - h >= 0 else box.bottom()
        x = min(max(0.0, box.left()), max(0.0, self.canvas.width() - w))
        return QRectF(x, y, w, h)

    def paint(self, p: QPainter) -> None:
        if not self.active:
            return
        p.save()
        p.setFont(self._font())
        for k, d in enumerate(self.digits):
            verdict = self.judgement.judgements[k].verdict
            color = QColor(VERDICT_STYLE[verdict])
            chosen = k == self.selected
            p.setPen(QPen(color, 2.5 if chosen else 1.5, Qt.SolidLine if chosen else Qt.DashLine))
            fill = QColor(color)
            fill.setAlpha(28 if chosen else 0)
            p.setBrush(fill)
            p.drawRoundedRect(self.box_rect(k), 4, 4)
            tab = self.tab_rect(k)
            p.setPen(Qt.NoPen)
            p.setBrush(color if chosen else color.darker(130))
            p.drawRoundedRect(tab, 4, 4)
            p.setPen(QColor("#ffffff"))
            p.drawText(tab, Qt.AlignCenter, tab_text(d, verdict))
        p.restore()

    def press(self, pos: QPointF) -> bool:
        """A press on a digit's tab selects that digit (and draws nothing); True if it was one."""
        if not self.active:
            return False
        for k in range(len(self.digits)):
            if self.tab_rect(k).contains(pos):
                self.select(k)
                return True
        return False
