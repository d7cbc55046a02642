"""DigitPad: handwritten digit recognition with a convolutional autoencoder + classifier.

Layers: ``core`` (numpy/OpenCV/stdlib only), ``ml`` (owns TensorFlow), ``gui`` (PySide6).
"""
from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("digitpad")
except _metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+src"
