"""Every menu and toolbar action, declared once with its shortcut (labelme's ``new_action``)."""
from __future__ import annotations

from typing import Callable, NamedTuple

from PySide6.QtGui import QAction, QKeySequence


def new_action(parent, text: str, slot: Callable | None = None, shortcuts=(), tip: str = "",
               checkable: bool = False) -> QAction:
    action = QAction(text, parent)
    if shortcuts:
        action.setShortcuts([QKeySequence(s) for s in shortcuts])
    if tip:
        action.setStatusTip(tip)
        action.setToolTip(tip + (f" ({action.shortcut().toString()})" if shortcuts else ""))
    action.setCheckable(checkable)
    if slot is not None:
        (action.toggled if checkable else action.triggered).connect(slot)
    return action


class Actions(NamedTuple):
    open_file: QAction
    save_drawing: QAction
    open_model: QAction
    quit: QAction
    undo: QAction
    redo: QAction
    clear: QAction
    eraser: QAction
    paste: QAction
    dark_canvas: QAction
    model_info: QAction
    collect: QAction
    dataset: QAction
    finetune: QAction
    about: QAction


def make_actions(w) -> Actions:
    return Actions(
        open_file=new_action(w, "&Open Drawing or Image…", w.open_file, [QKeySequence.Open],
                             "Open an ink .json drawing or a picture to recognise"),
        save_drawing=new_action(w, "&Save Drawing…", w.save_drawing, [QKeySequence.Save],
                                "Save the strokes as an ink .json file"),
        open_model=new_action(w, "Open &Model…", w.open_model_dialog, ["Ctrl+M"],
                              "Load a .keras or .h5 model file, or a SavedModel folder"),
        quit=new_action(w, "&Quit", w.close, [QKeySequence.Quit]),
        undo=new_action(w, "&Undo Stroke", w.canvas.undo, ["Ctrl+Z"], "Undo the last stroke"),
        redo=new_action(w, "&Redo Stroke", w.canvas.redo, ["Ctrl+Shift+Z", "Ctrl+Y"], "Redo"),
        clear=new_action(w, "&Clear", w.canvas.clear, ["Esc", "Delete"], "Clear the canvas"),
        eraser=new_action(w, "&Eraser", w.canvas.set_eraser, ["E"], "Erase whole strokes", checkable=True),
        paste=new_action(w, "&Paste Image", w.paste_image, [QKeySequence.Paste], "Recognise the clipboard's picture"),
        dark_canvas=new_action(w, "&Dark Canvas", w.set_dark_canvas, ["Ctrl+D"],
                               "White ink on dark or dark ink on white (the model sees the same)",
                               checkable=True),
        model_info=new_action(w, "Model &Info…", w.show_model_info, ["Ctrl+I"], "What the loaded model is"),
        collect=new_action(w, "&Collect My Handwriting…", w.open_collection, ["Ctrl+K"],
                           "Write prompted digits to build your own labelled set"),
        dataset=new_action(w, "My &Samples…", w.open_dataset, ["Ctrl+L"], "Browse, relabel and delete samples"),
        finetune=new_action(w, "&Fine-tune on My Samples", lambda: w.start_finetune(), ["Ctrl+Shift+F"],
                            "Train the current model further on MNIST + your samples (in the background)"),
        about=new_action(w, "&About DigitPad", w.show_about, ["F1"]),
    )
