"""Default window sizes that fit the screen the window opens on (a 1366x768 laptop included)."""
from __future__ import annotations

from PySide6.QtGui import QGuiApplication

FRAME = (16, 48)  # room for a window manager's borders and title bar, which Qt's sizes leave out


def fit_on_screen(window, width: int, height: int) -> None:
    """Resize ``window`` to ``width`` x ``height``, or smaller so that it fits the available screen
    area with its frame (never below the window's own minimum size); a window not shown yet is
    centred on that area."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    area = screen.availableGeometry() if screen is not None else None
    if area is not None:
        width = min(width, area.width() - FRAME[0])
        height = min(height, area.height() - FRAME[1])
    least = window.minimumSizeHint()
    window.resize(max(width, least.width()), max(height, least.height()))
    if area is not None and not window.isVisible():  # placed whole on the screen, not where the pointer is
        window.move(area.left() + max(0, (area.width() - window.width() - FRAME[0]) // 2),
                    area.top() + max(0, (area.height() - window.height() - FRAME[1]) // 2))


def keep_on_screen(window) -> None:
    """Move ``window`` back onto the available screen area if it now reaches past its right or
    bottom edge (a dock docked into it widens it), narrowing it only if it is wider than that area."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is None or window.isMaximized() or window.isFullScreen():
        return
    area, frame = screen.availableGeometry(), window.frameGeometry()
    if frame.width() > area.width():
        window.resize(max(window.minimumSizeHint().width(), area.width() - FRAME[0]), window.height())
        frame = window.frameGeometry()
    x = max(area.left(), min(frame.left(), area.right() + 1 - frame.width()))
    y = max(area.top(), min(frame.top(), area.bottom() + 1 - frame.height()))
    if (x, y) != (frame.left(), frame.top()):
        window.move(x, y)
