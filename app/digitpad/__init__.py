"""DigitPad: handwritten digit recognition with a convolutional autoencoder + classifier.

Layers: ``core`` (numpy/OpenCV/stdlib only), ``ml`` (owns TensorFlow), ``gui`` (PySide6).
"""
import os as _os
from importlib import metadata as _metadata

#: A digit needs far fewer pixels; a 20000x20000 PNG of 0.5 MB would take gigabytes to decode.
MAX_IMAGE_PIXELS = 40_000_000
# OpenCV reads its decoders' limit once, when it is loaded, so it is set before any module of the
# package can import cv2 (``core.images`` reads PNG, GIF, BMP and JPEG headers itself as well).
_os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(MAX_IMAGE_PIXELS))
# A file OpenCV cannot decode is reported by DigitPad in one line; OpenCV's own log would add a
# second ("[ERROR:0@0.1] global loadsave.cpp ... can't read header") to stderr.
_os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")

try:
    __version__ = _metadata.version("digitpad")
except _metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+src"
