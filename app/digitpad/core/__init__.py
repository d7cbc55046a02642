"""Qt-free, TensorFlow-free building blocks: preprocessing, ink, data files, model metadata.

Nothing here may import PySide6 or TensorFlow; ``tests/core/test_layering.py`` checks it.
"""
