"""Every menu and toolbar action, declared once with its shortcut (labelme's ``new_action``)."""
from __future__ import annotations

from typing import Callable, NamedTuple

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence


def new_action(parent, text: str, slot: Callable | None = None, shortcuts=(), tip: str = "",
               checkable: bool = False, context: Qt.ShortcutContext | None = None) -> QAction:
    action = QAction(text, parent)
    if shortcuts:
        action.setShortcuts([QKeySequence(s) for s in shortcuts])
    if context is not None:
        action.setShortcutContext(context)
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
    open_savedmodel: QAction
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
    locate_mnist: QAction
    inside: QAction
    evaluate: QAction
    compare: QAction
    about: QAction
    shortcuts: QAction


def make_actions(w) -> Actions:
    return Actions(
        open_file=new_action(w, "&Open Drawing or Image…", w.open_file, [QKeySequence.Open],
                             "Open an ink .json drawing or a picture to recognise"),
        save_drawing=new_action(w, "&Save Drawing…", w.save_drawing, [QKeySequence.Save],
                                "Save the strokes as an ink .json file"),
        open_model=new_action(w, "Open &Model…", w.open_model_dialog, ["Ctrl+M"],
                              "Load a .keras or .h5 model file"),
        open_savedmodel=new_action(w, "Open SavedModel &Folder…", w.open_savedmodel_dialog, [],
                                   "Load a TensorFlow SavedModel folder (asks first: it runs the program stored "
                                   "in it)"),
        # Ctrl+Q spelt out (QKeySequence.Quit is empty on Windows and some Linux platforms) and
        # application-wide, so it also quits from the Collect and My Samples windows.
        quit=new_action(w, "&Quit", w.quit_app, ["Ctrl+Q"], "Close every DigitPad window and quit",
                        context=Qt.ApplicationShortcut),
        undo=new_action(w, "&Undo", w.canvas.undo, ["Ctrl+Z"],
                        "Undo the last stroke, erase, clear or opened picture"),
        redo=new_action(w, "&Redo", w.canvas.redo, ["Ctrl+Shift+Z", "Ctrl+Y"], "Redo"),
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
        finetune=new_action(w, "&Fine-tune on My Samples", lambda: w.finetuning.start(), ["Ctrl+Shift+F"],
                            "Train the current model further on MNIST + your samples (in the background)"),
        locate_mnist=new_action(w, "Locate &MNIST…", lambda: w.finetuning.locate_mnist(), [],
                                "Show DigitPad where MNIST is (an mnist.npz or a folder of IDX files): "
                                "fine-tuning needs it"),
        evaluate=new_action(w, "&Evaluate…", lambda: w.reports.choose(), ["Ctrl+E"],
                            "The current model on MNIST test, your held-out samples or a labelled file: "
                            "per-digit accuracy, confusion matrix, the misread digits"),
        compare=new_action(w, "&Compare With…", w.compare_with_dialog, ["Ctrl+Shift+M"],
                           "Open a second model beside the current one: both answers for every drawing"),
        inside=new_action(w, "&Inside the Model", w.set_inside_shown, ["Ctrl+Shift+I"],
                          "Feature maps, what drove the answer, and where the drawing sits among MNIST",
                          checkable=True),
        about=new_action(w, "&About DigitPad", w.show_about, ["F1"]),
        shortcuts=new_action(w, "&Keyboard Shortcuts…", w.show_shortcuts, ["Ctrl+/"], "Every shortcut of the app"),
    )


def shortcut_table(actions: Actions) -> list[tuple[str, str]]:
    """(what it does, its keys) for every action with a shortcut: the app's shortcut help, made
    from the declarations above so it cannot drift from them."""
    rows = []
    for action in actions:
        keys = [k.toString(QKeySequence.NativeText) for k in action.shortcuts()]
        if keys:
            rows.append((action.text().replace("&", "").rstrip("…"), " or ".join(keys)))
    return rows
