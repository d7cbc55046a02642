"""Open and Save dialogs that start where the user last was (else in their Documents folder) and
remember where they went: one place, so every dialog of the app behaves the same."""
from __future__ import annotations

import os

from PySide6.QtWidgets import QFileDialog

from .settings import AppSettings


def open_file(parent, settings: AppSettings, title: str, filters: str) -> str:
    """The chosen file's path, or "" if the user cancelled."""
    path, _ = QFileDialog.getOpenFileName(parent, title, settings.dialog_folder(), filters)
    if path:
        settings.remember_dialog_path(path)
    return path


def save_file(parent, settings: AppSettings, title: str, name: str, filters: str) -> str:
    """Where to save ``name`` (proposed in the start folder), or "" if the user cancelled."""
    path, _ = QFileDialog.getSaveFileName(parent, title, os.path.join(settings.dialog_folder(), name), filters)
    if path:
        settings.remember_dialog_path(path)
    return path


def existing_folder(parent, settings: AppSettings, title: str) -> str:
    path = QFileDialog.getExistingDirectory(parent, title, settings.dialog_folder())
    if path:
        settings.remember_dialog_path(path)
    return path
