"""The desktop app (PySide6 + pyqtgraph). Thin: logic lives in ``core``; TensorFlow is only
imported by the recognition worker thread, after the window is on screen."""
