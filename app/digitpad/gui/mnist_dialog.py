"""Showing DigitPad where MNIST is: one file dialog that takes an ``mnist.npz`` or a folder holding
the four IDX files (the two forms ``core.mnist_data`` reads)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QDialog, QFileDialog

from ..core.mnist_data import IDX_STEMS, find_idx_file

TITLE = "Locate MNIST: an mnist.npz, or a folder with the four IDX files"


def is_idx_folder(path: str | Path) -> bool:
    folder = Path(path)
    return folder.is_dir() and all(find_idx_file(folder, stem) for stem in IDX_STEMS.values())


class MnistDialog(QFileDialog):
    """A file dialog that also accepts a folder, when the folder holds MNIST's IDX files (a plain
    file dialog would open the folder instead)."""

    def __init__(self, parent=None, start: str = ""):
        super().__init__(parent, TITLE, start, "MNIST (*.npz);;All files (*)")
        self.setOption(QFileDialog.DontUseNativeDialog)  # the native one cannot take a folder or a file
        self.setFileMode(QFileDialog.ExistingFile)
        self.setLabelText(QFileDialog.Accept, "Use")
        self.chosen: str | None = None

    def accept(self) -> None:
        picked = self.selectedFiles()
        folder = next((p for p in picked if is_idx_folder(p)), None)
        if folder is None and picked and Path(picked[0]).is_file() and Path(picked[0]).suffix != ".npz":
            here = self.directory().absolutePath()  # one of the IDX files picked: their folder is meant
            folder = here if is_idx_folder(here) else None
        if folder is not None:
            self.chosen = str(Path(folder))
            QDialog.accept(self)
            return
        super().accept()
        if self.result() == QDialog.Accepted and self.selectedFiles():
            self.chosen = self.selectedFiles()[0]

    @classmethod
    def get_path(cls, parent=None, start: str = "") -> str | None:
        """Ask; the chosen .npz or IDX folder, or None."""
        dialog = cls(parent, start)
        return dialog.chosen if dialog.exec() == QDialog.Accepted else None
