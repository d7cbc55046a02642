"""Import and export of homemade samples from the dataset view, off the GUI thread.

Reading thousands of inks means rendering each one, seconds of work: it runs in a thread with
its own connection to the store (SQLite's WAL lets the view keep reading meanwhile), and the
result or the error comes back through a signal. The file formats are core's
(:mod:`digitpad.core.sample_formats`), the same as ``digitpad samples import/export``.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from ..core.errors import DigitPadError

log = logging.getLogger(__name__)
#: Why nothing is read or written when the store's file has left its place.
STORE_GONE = "the sample store is no longer here (moved or deleted); put it back, or restart DigitPad."
#: (menu text, format, is a folder) for the export menu
EXPORTS = (("Ink JSON Lines (.jsonl)…", "jsonl", False), ("NumPy arrays, Keras keys (.npz)…", "npz", False),
           ("MNIST IDX files (folder)…", "idx", True), ("PNG pictures + labels.csv (folder)…", "png", True))


class SamplesTransfer(QObject):
    """One import or export; ``done`` carries a sentence for the user, ``failed`` the reason."""
    done = Signal(str)
    failed = Signal(str)

    def __init__(self, store_path: Path, parent=None):
        super().__init__(parent)
        self.store_path = store_path
        self._thread: threading.Thread | None = None

    def import_from(self, path: str, fmt: str | None = None, y_up: bool = False) -> None:
        def work(store) -> str:
            from ..core.sample_formats import counted, import_samples

            added, present = import_samples(store, path, fmt, y_up=y_up)
            were = "was" if present == 1 else "were"
            return (f"Imported {counted(added, 'sample')} from {Path(path).name}"
                    + (f" ({present} {were} already in the store)." if present else "."))
        self._start(work)

    def export_to(self, path: str, fmt: str) -> None:
        def work(store) -> str:
            from ..core.sample_formats import counted, export

            return f"Exported {counted(export(store, path, fmt), 'sample')} to {path}."
        self._start(work)

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _start(self, work) -> None:
        def run() -> None:
            from ..core.sample_store import SampleStore

            try:
                # A store moved or deleted while the app has it open: a new connection at its old
                # path would make an empty store there and reset the write-ahead log the open
                # connection still uses.
                if not Path(self.store_path).is_file():
                    raise DigitPadError(STORE_GONE, self.store_path)
                with SampleStore(self.store_path) as store:
                    message = work(store)
            except (DigitPadError, OSError, ValueError) as exc:
                self.failed.emit(str(exc))
                return
            except Exception as exc:  # a bug: said, logged, and the window's buttons come back
                log.exception("importing or exporting samples failed")
                self.failed.emit(f"unexpected error ({type(exc).__name__}: {exc})")
                return
            self.done.emit(message)

        self._thread = threading.Thread(target=run, name="digitpad-samples-io", daemon=True)
        self._thread.start()
