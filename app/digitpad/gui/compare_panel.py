"""Two models on the same drawing: the current one (A) and the one opened with Model > Compare
With… (B), each with its verdict and probabilities in the main chart's style, and where they
disagree said in one line."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ..core.verdict import Thresholds, Verdict, judge
from .panels import ProbabilityChart, VerdictLabel

DISAGREE = "#e05d44"


class ComparePanel(QWidget):
    reportWanted = Signal()  # "Report on a Set…": both models on a labelled set
    closeWanted = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.names = ["", ""]
        self.thresholds = [Thresholds(), Thresholds()]
        self.recognitions = [None, None]
        self.judgements = [None, None]
        self.titles, self.verdicts, self.charts = [], [], []
        grid = QGridLayout()
        for col, letter in enumerate("AB"):
            title = QLabel(letter)
            title.setAlignment(Qt.AlignCenter)
            title.setWordWrap(True)
            verdict = VerdictLabel()
            chart = ProbabilityChart()
            grid.addWidget(title, 0, col)
            grid.addWidget(verdict, 1, col)
            grid.addWidget(chart, 2, col)
            self.titles.append(title)
            self.verdicts.append(verdict)
            self.charts.append(chart)
        self.agreement = QLabel("Draw a digit: both models answer.")
        self.agreement.setAlignment(Qt.AlignCenter)
        self.agreement.setWordWrap(True)
        report = QPushButton("Report on a Set…")
        report.setToolTip("Both models on MNIST test, your held-out samples or a labelled file: what each got "
                          "right, what only one did, and whether the difference is more than chance")
        report.clicked.connect(self.reportWanted.emit)
        close = QPushButton("Stop Comparing")
        close.clicked.connect(self.closeWanted.emit)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(report)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(grid, 1)
        layout.addWidget(self.agreement)
        layout.addLayout(buttons)

    def set_models(self, names: tuple[str, str], thresholds: tuple[Thresholds, Thresholds]) -> None:
        self.names = list(names)
        self.thresholds = list(thresholds)
        for letter, title, name in zip("AB", self.titles, names):
            title.setText(f"<b>{letter}</b>: {name}" + (" (current)" if letter == "A" else ""))
        self._refresh()

    def show_answer(self, which: int, recognition) -> None:
        """``which``: 0 for A (the current model), 1 for B; ``recognition`` None for an empty canvas."""
        self.recognitions[which] = recognition
        self._refresh(which)

    def clear(self) -> None:
        self.recognitions = [None, None]
        self._refresh()

    def _refresh(self, which: int | None = None) -> None:
        """Both columns, or only column ``which`` (the other one's answer has not changed)."""
        for i, rec in enumerate(self.recognitions):
            if which is not None and i != which:
                continue
            if rec is None or rec.probabilities is None:
                self.judgements[i] = None
                self.verdicts[i].show_verdict(Verdict.EMPTY, None, 0)
                self.charts[i].show_probabilities(None)
                continue
            j = judge(rec.probabilities, rec.reconstruction_error, self.thresholds[i], rec.digit_likeness)
            self.judgements[i] = j
            self.verdicts[i].show_verdict(j.verdict, rec.digit, rec.confidence, reason=j.reason)
            self.charts[i].show_probabilities(rec.probabilities, highlight=j.verdict is Verdict.DIGIT)
        self.agreement.setText(self.agreement_text())
        style = f"color: {DISAGREE}; font-weight: 600" if self.disagree else ""
        if style != self.agreement.styleSheet():  # a style sheet set again is polished again
            self.agreement.setStyleSheet(style)

    @property
    def disagree(self) -> bool:
        """Different verdicts, or different digits read (two "not a digit"s agree, whatever their
        best guesses)."""
        a, b = self.judgements
        if a is None or b is None:
            return False

        def said(j, r):
            return j.verdict, (None if j.verdict is Verdict.NOT_A_DIGIT else r.digit)
        return said(a, self.recognitions[0]) != said(b, self.recognitions[1])

    def agreement_text(self) -> str:
        a, b = self.judgements
        if a is None or b is None:
            return "Draw a digit: both models answer."
        ra, rb = self.recognitions

        def said(j, r) -> str:
            return {Verdict.DIGIT: f"reads {r.digit}", Verdict.NOT_SURE: f"is not sure (best guess {r.digit})",
                    Verdict.NOT_A_DIGIT: "says not a digit"}[j.verdict]

        if not self.disagree:
            return f"They agree: both {said(a, ra).replace('reads', 'read').replace('says', 'say').replace('is not', 'are not')}."
        gap = float(np.abs(ra.probabilities - rb.probabilities).max()) * 100
        return f"They disagree: A {said(a, ra)}, B {said(b, rb)} (probabilities differ by up to {gap:.0f} points)."
