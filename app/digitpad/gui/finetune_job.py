"""Fine-tuning as a background job: progress, cancel, and the window stays usable."""
from __future__ import annotations

import math
import re
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from ..core.errors import DataFormatError, DataNotFoundError


def progress_text(done: int, total: int, epochs: int | None) -> str:
    """What the progress dialog says, from the progress count alone (so it never lags the bar)."""
    if total <= 0:
        return "Preparing…"
    if done >= total:
        return "Measuring the new model and saving it…"
    percent = int(done * 100 / total)
    if not epochs or epochs <= 1:
        return f"Training… {percent}%"
    epoch = min(epochs, done * epochs // total + 1)
    return f"Training: epoch {epoch} of {epochs} ({percent}%)"


def time_left(done: int, total: int, since: tuple[int, float] | None, now: float) -> str:
    """" — about N min left", from the pace since training began (``since``: the count and the
    time then); "" until that pace is known (5 s and one step in) or when training is done."""
    if since is None or done >= total:
        return ""
    steps, seconds = done - since[0], now - since[1]
    if steps <= 0 or seconds < 5:
        return ""
    left = seconds * (total - done) / steps
    return " — under a minute left" if left < 60 else f" — about {math.ceil(left / 60)} min left"


def short_digits(message: str) -> dict[int, int]:
    """The digits a "not enough samples" refusal names, with how many samples each has."""
    return {int(d): int(train) + int(test)
            for d, train, test in re.findall(r"\b(\d): (\d+) train/(\d+) test", message)}


class FinetuneJob(QObject):
    progress = Signal(int, int)
    message = Signal(str)
    finished = Signal(object)  # FinetuneReport
    failed = Signal(str)
    cancelled = Signal()  # the user cancelled: nothing was saved
    notEnough = Signal(str)  # too few samples: it never started
    mnistMissing = Signal(str)  # MNIST was not found (or not readable) where it was looked for

    def __init__(self, base_model: str, output: str, store: str | None, mnist: str | None = None, parent=None):
        super().__init__(parent)
        self.base_model, self.output, self.store, self.mnist = base_model, output, store, mnist
        self.epochs: int | None = None  # known once the configuration is resolved, before any progress
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

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        try:
            from ..ml.finetune import NotEnoughSamples, finetune  # TensorFlow loads here, off the GUI thread
            from ..ml.training import Cancelled, TrainConfig
        except Exception as exc:  # a broken TensorFlow install: said in the window, the app carries on
            self.failed.emit(f"cannot fine-tune: {type(exc).__name__}: {exc}")
            return
        try:
            if self.mnist:  # a remembered path that has gone away is said before anything else runs
                from ..core import mnist_data

                mnist_data.locate(self.mnist)
            cfg = TrainConfig(init_from=Path(self.base_model), output=Path(self.output),
                              verbose=0,  # the progress dialog says it; Keras's lines would go to the terminal
                              **({"mnist": self.mnist} if self.mnist else {}))
            self.epochs = cfg.resolved()[0].epochs
            if self._cancel.is_set():
                raise Cancelled("cancelled before it started")
            report = finetune(cfg, self.store, log=self.message.emit, progress=self.progress.emit,
                              cancelled=self._cancel.is_set)
        except Cancelled:
            self.cancelled.emit()
        except NotEnoughSamples as exc:
            self.notEnough.emit(str(exc))
        except DataNotFoundError as exc:  # the app's fine-tuning reads no other data that could be missing
            self.mnistMissing.emit(str(exc))
        except DataFormatError as exc:
            (self.mnistMissing if self._is_mnist(exc.path) else self.failed).emit(str(exc))
        except Exception as exc:  # shown in the window; the app carries on
            self.failed.emit(str(exc))
        else:
            self.finished.emit(report)

    def _is_mnist(self, path: str | None) -> bool:
        if path is None:
            return False
        if self.mnist:
            return Path(path).expanduser().resolve() == Path(self.mnist).expanduser().resolve()
        return "mnist" in Path(path).name.lower()
