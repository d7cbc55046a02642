"""numpy <-> Qt pictures (clipboard, drag and drop, display)."""
from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage


def to_qimage(image: np.ndarray) -> QImage:
    """Gray, RGB or RGBA uint8 (or 0..1 float) -> a QImage that owns its pixels."""
    img = np.asarray(image)
    if img.dtype != np.uint8:
        img = np.clip(np.nan_to_num(img.astype(np.float32)) * (255 if img.max() <= 1 else 1), 0, 255).astype(np.uint8)
    img = np.ascontiguousarray(img)
    h, w = img.shape[:2]
    if img.ndim == 2:
        q = QImage(img.data, w, h, w, QImage.Format_Grayscale8)
    elif img.shape[2] == 3:
        q = QImage(img.data, w, h, 3 * w, QImage.Format_RGB888)
    else:
        q = QImage(img.data, w, h, 4 * w, QImage.Format_RGBA8888)
    return q.copy()


def from_qimage(image: QImage) -> np.ndarray:
    """Any QImage -> RGBA uint8 array (alpha kept: it can carry the ink)."""
    img = image.convertToFormat(QImage.Format_RGBA8888)
    h, w = img.height(), img.width()
    buf = np.frombuffer(img.constBits(), np.uint8, count=img.sizeInBytes())
    return buf.reshape(h, img.bytesPerLine())[:, :4 * w].reshape(h, w, 4).copy()
