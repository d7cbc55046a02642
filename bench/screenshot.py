"""Draw a digit in the real app and save a screenshot (for the README).

Run under a real X server, e.g. ``xvfb-run -s "-screen 0 1280x800x24" python bench/screenshot.py``;
it also works offscreen. Writes resources/screenshots/main-window.png (and -notdigit.png).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    from app_window import ROOT, open_main_window

    app, w = open_main_window(1180, 720)
    c = w.canvas

    def stroke(points):
        def send(kind, p, button, buttons):
            q = QPointF(*p)
            QApplication.sendEvent(c, QMouseEvent(kind, q, c.mapToGlobal(q), button, buttons, Qt.NoModifier))
        send(QEvent.MouseButtonPress, points[0], Qt.LeftButton, Qt.LeftButton)
        for p in points[1:]:
            send(QEvent.MouseMove, p, Qt.NoButton, Qt.LeftButton)
        send(QEvent.MouseButtonRelease, points[-1], Qt.LeftButton, Qt.NoButton)

    def settle():
        t = time.time()
        while time.time() - t < 1.5:
            app.processEvents()
            time.sleep(0.01)

    cx, cy, s = c.width() / 2, c.height() / 2, min(c.width(), c.height()) * 0.32
    t = np.linspace(0, 1, 40)
    # a handwritten-looking 2: an arc, a diagonal, a base line
    arc = [(cx - s * 0.7 * np.cos(np.pi * a) * 0.9, cy - s * 0.55 - s * 0.45 * np.sin(np.pi * a)) for a in t]
    diag = [(cx + s * 0.62 - s * 1.3 * a, cy - s * 0.5 + s * 1.45 * a) for a in t]
    base = [(cx - s * 0.68 + s * 1.45 * a, cy + s * 0.95 + 4 * np.sin(6 * a)) for a in t]
    stroke(arc + diag[1:] + base[1:])
    settle()
    out = ROOT / "resources" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    w.grab().save(str(out / "main-window.png"))
    c.clear()
    rng = np.random.default_rng(3)
    stroke([(cx + s * (x - 0.5) * 2, cy + s * (y - 0.5) * 2) for x, y in rng.random((30, 2))])
    settle()
    w.grab().save(str(out / "not-a-digit.png"))
    print("verdicts:", w.verdict)
    w.close()


if __name__ == "__main__":
    main()
