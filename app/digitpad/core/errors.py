"""Errors users see: each names the file and the problem in one line."""
from __future__ import annotations

import os


class DigitPadError(Exception):
    """Base class for problems reported to the user as one clear line (never a traceback)."""

    def __init__(self, message: str, path: str | os.PathLike | None = None):
        self.path = None if path is None else os.fspath(path)
        super().__init__(f"{self.path}: {message}" if self.path else message)


class DataNotFoundError(DigitPadError):
    """A dataset could not be located anywhere we looked."""


class DataFormatError(DigitPadError):
    """A data file exists but is malformed (bad IDX magic, wrong keys, wrong shapes...)."""


class InkError(DigitPadError):
    """An ink document is not valid JSON or does not follow the ink format."""


class ImageReadError(DigitPadError):
    """An image file could not be decoded."""


class ModelFileError(DigitPadError):
    """A model file is missing, corrupt, or does not fit DigitPad (shapes, class count)."""


class WriteError(DigitPadError, OSError):
    """An output could not be written (full disk, read-only folder, no permission). Also an
    ``OSError``, so code that already catches those (saving a drawing) keeps working."""
