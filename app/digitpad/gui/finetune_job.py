"""Fine-tuning as a background job: progress, cancel, and the window stays usable."""
from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal


class FinetuneJob(QObject):
    progress = Signal(int, int)
    message = Signal(str)
    finished = Signal(object)  # FinetuneReport
    failed = Signal(str)

    def __init__(self, base_model: str, output: str, store: str | None, parent=None):
        super().__init__(parent)
        self.base_model, self.output, self.store = base_model, output, store
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="digitpad-finetune", daemon=True)
        self._thread.start()

    def cancel(self) -> None:
        self._cancel.set()

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        try:
            from ..ml.finetune import finetune
            from ..ml.training import TrainConfig

            cfg = TrainConfig(init_from=Path(self.base_model), output=Path(self.output))
            report = finetune(cfg, self.store, log=self.message.emit, progress=self.progress.emit,
                              cancelled=self._cancel.is_set)
        except Exception as exc:  # shown in the window; the app carries on
            self.failed.emit(str(exc))
            return
        self.finished.emit(report)
