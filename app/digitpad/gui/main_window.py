"""The main window: canvas on the left, the answer and its evidence on the right."""
from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (QApplication, QDockWidget, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout,
                               QLabel, QMainWindow, QMessageBox, QProgressBar, QPushButton, QSlider, QSplitter,
                               QTabWidget, QVBoxLayout, QWidget)

from .. import __version__
from ..core.errors import DigitPadError
from ..core.images import IMAGE_SUFFIXES, read_image
from ..core.ink import read_ink, write_ink
from ..core.model_files import shipped_model
from ..core.verdict import Thresholds, Verdict, judge
from . import file_dialogs
from .actions import make_actions, shortcut_table
from .canvas import InkCanvas
from .finetuning import Finetuning
from .imaging import from_qimage
from .number_view import NumberMode
from .compare_panel import ComparePanel
from .inside_panel import InsidePanel
from .panels import ProbabilityChart, ReconstructionPanel, StagesPanel, VerdictLabel
from .reports import Reports
from .settings import AppSettings
from .worker import ModelSummary, RecognitionResult, RecognitionWorker

MODEL_SUFFIXES = (".keras", ".h5", ".hdf5")


class MainWindow(QMainWindow):
    resultShown = Signal(object)  # RecognitionResult, after the views were updated
    REQUESTER = "main"  # this window's key at the recognition worker
    INSIDE = "inside"  # the Inside panel's
    COMPARED = "compared"  # the compared model's answers (Compare Models)

    def __init__(self, settings: AppSettings | None = None, model_path: str | None = None,
                 store_path: str | None = None, mnist_path: str | None = None):
        super().__init__()
        self.store_path = store_path
        self.mnist_path = mnist_path  # `digitpad --mnist PATH`; else the one located in the app (settings)
        self._store = None
        self.collection_window = None
        self.dataset_window = None
        self.finetuning = Finetuning(self)
        self.quit_question: QMessageBox | None = None  # "Stop fine-tuning and quit?", while it is asked
        self._stop_confirmed = False  # the user agreed to stop the running fine-tuning and quit
        self.last_error: str | None = None  # what the latest error dialog said (recorded in tests)
        self.last_notice: tuple[str, str] | None = None  # (title, text) of the latest information message
        self.settings = settings or AppSettings()
        self.setWindowTitle("DigitPad")
        self.setAcceptDrops(True)
        self.worker: RecognitionWorker | None = None
        self.model: ModelSummary | None = None
        self.thresholds = Thresholds()
        self._requested_model = model_path
        self.last_result: RecognitionResult | None = None
        self.verdict = Verdict.EMPTY
        self._map_asked = False  # the current model's map was asked of the worker
        self._inside_placed = False  # the Inside dock was placed beside the window once
        self._room_made = None  # (dock, the window's geometry before, after) while a dock has its room

        self.canvas = InkCanvas(brush=self.settings.brush_size, dark=self.settings.dark_canvas)
        self.canvas.inkChanged.connect(self.request_recognition)
        self.canvas.historyChanged.connect(self._update_history_actions)
        self.actions_ = make_actions(self)
        self._build_ui()
        self._build_menus()
        self._restore()
        self._update_history_actions()
        self.verdict_label.show_verdict(Verdict.EMPTY, None, 0, loading=True)

    # -- layout ---------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.addWidget(self.canvas, 1)
        tools = QHBoxLayout()
        for action in (self.actions_.undo, self.actions_.redo, self.actions_.clear, self.actions_.eraser):
            b = QPushButton(action.text().replace("&", "").replace(" Stroke", ""))
            b.setToolTip(action.toolTip())
            b.setCheckable(action.isCheckable())
            if action.isCheckable():
                b.toggled.connect(action.setChecked)
                action.toggled.connect(b.setChecked)
            else:
                b.clicked.connect(action.trigger)
                action.changed.connect(lambda b=b, a=action: b.setEnabled(a.isEnabled()))
            b.setMinimumWidth(b.fontMetrics().horizontalAdvance(b.text()) + 20)  # not the style's 80 px
            tools.addWidget(b)
        tools.addSpacing(12)
        tools.addWidget(QLabel("Brush"))
        self.brush_slider = QSlider(Qt.Horizontal)
        self.brush_slider.setRange(2, 60)
        self.brush_slider.setMinimumWidth(60)
        self.brush_slider.setValue(int(round(self.canvas.brush)))
        self.brush_slider.setToolTip("Brush size in pixels (what you see; the model's input does not depend on it)")
        self.brush_slider.valueChanged.connect(self.set_brush)
        tools.addWidget(self.brush_slider, 1)
        lv.addLayout(tools)

        right = QWidget()
        rv = QVBoxLayout(right)
        self.verdict_label = VerdictLabel()
        rv.addWidget(self.verdict_label)
        self.chart = ProbabilityChart()
        rv.addWidget(self.chart, 2)
        self.tabs = QTabWidget()
        self.reconstruction = ReconstructionPanel()
        self.stages = StagesPanel()
        self.tabs.addTab(self.reconstruction, "Reconstruction")
        self.tabs.addTab(self.stages, "Preprocessing")
        # Inside the model and Compare: docks, floating beside the window at first (the right
        # column has no room for them), dockable; each computes only while shown.
        self.inside = InsidePanel()
        self.inside_dock = self._floating_dock("Inside the Model", "inside", self.inside)
        self.inside_dock.visibilityChanged.connect(self._inside_visibility)
        self.inside.askChanged.connect(self._ask_inside)
        self.compare = ComparePanel()  # a second model's answers beside the current one's
        self.compare_dock = self._floating_dock("Compare Models", "compare", self.compare)
        self.compare.closeWanted.connect(self.stop_comparing)
        for dock in (self.inside_dock, self.compare_dock):
            dock.visibilityChanged.connect(self._give_room_back)
            # docked, a panel widens the window: it must not then reach off the screen
            dock.topLevelChanged.connect(lambda floating: floating or QTimer.singleShot(0, self._keep_on_screen))
        self.compare.reportWanted.connect(lambda: self.reports.choose(compare=True))
        self.second: ModelSummary | None = None  # the model compared with
        self.reports = Reports(self)
        self.inside.locateMnist.connect(lambda: self.finetuning.locate_mnist() and self._ask_map(again=True))
        rv.addWidget(self.tabs, 2)
        self.number_mode = NumberMode(self.canvas, self.verdict_label, self.chart, self.reconstruction, self.stages,
                                      self)  # several digits side by side: the number, shown in the verdict's place
        rv.insertWidget(rv.indexOf(self.verdict_label) + 1, self.number_mode.label)
        rv.addWidget(self._thresholds_box())

        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([600, 400])  # canvas 3 : answer 2; without it the charts' large size hints win
        self.splitter = splitter
        self.setCentralWidget(splitter)
        self.model_status = QLabel("loading model…")
        self.latency_status = QLabel("")
        self.loading_bar = QProgressBar()
        self.loading_bar.setRange(0, 0)  # busy: TensorFlow import and warm-up report no steps
        self.loading_bar.setMaximumWidth(140)
        self.statusBar().addWidget(self.model_status, 1)
        self.statusBar().addWidget(self.loading_bar)
        self.statusBar().addPermanentWidget(self.latency_status)
        from .window_sizing import fit_on_screen

        fit_on_screen(self, 1100, 680)  # a 1366x768 laptop screen included

    def _thresholds_box(self) -> QGroupBox:
        box = QGroupBox("When to say \"not sure\" / \"not a digit\"")
        form = QFormLayout(box)
        self.confidence_spin = QDoubleSpinBox()
        self.confidence_spin.setRange(0.0, 100.0)
        self.confidence_spin.setSuffix(" %")
        self.confidence_spin.setDecimals(1)
        self.confidence_spin.setToolTip("Below this confidence the app says \"not sure\"")
        self.error_spin = QDoubleSpinBox()
        self.error_spin.setRange(0.0, 1.0)
        self.error_spin.setDecimals(4)
        self.error_spin.setSingleStep(0.005)
        self.error_spin.setToolTip("Above this reconstruction error the app says \"not a digit\"")
        self.likeness_spin = QDoubleSpinBox()
        self.likeness_spin.setRange(0.0, 1.0)
        self.likeness_spin.setDecimals(4)
        self.likeness_spin.setSingleStep(0.01)
        self.likeness_spin.setToolTip("Below this digit-likeness (the model's own \"is this a digit at all\", "
                                      "learnt from letters, symbols and scribbles) the app says \"not a digit\"")
        self.signals_label = QLabel("")
        self.signals_label.setWordWrap(True)
        # Two lines kept even in a small window (the splitter does not pass height-for-width on).
        self.signals_label.setMinimumHeight(self.signals_label.fontMetrics().lineSpacing() * 2 + 2)
        self.reset_thresholds = QPushButton("Reset to calibrated")
        self.reset_thresholds.clicked.connect(self._reset_thresholds)
        form.addRow("Minimum confidence", self.confidence_spin)
        form.addRow("Minimum digit-likeness", self.likeness_spin)
        form.addRow("Maximum reconstruction error", self.error_spin)
        form.addRow(self.signals_label)
        form.addRow(self.reset_thresholds)
        for spin in (self.confidence_spin, self.error_spin, self.likeness_spin):
            self._show_threshold(spin, None)  # "—" until a model says what its thresholds are
            spin.valueChanged.connect(self._thresholds_edited)
        self.reset_thresholds.setEnabled(False)
        return box

    @staticmethod
    def _show_threshold(spin: QDoubleSpinBox, value: float | None) -> None:
        """A threshold the model uses, editable; or "—", greyed out (no model yet, or a signal it lacks)."""
        spin.blockSignals(True)
        spin.setSpecialValueText("" if value is not None else "—")  # shown while the value is the minimum
        spin.setValue(spin.minimum() if value is None else value)
        spin.setEnabled(value is not None)
        spin.blockSignals(False)

    def _build_menus(self) -> None:
        a = self.actions_
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addActions([a.open_file, a.save_drawing])
        file_menu.addSeparator()
        file_menu.addActions([a.open_model, a.open_savedmodel])
        self.recent_menu = file_menu.addMenu("Recent &Models")
        # built afresh each time it opens: a click ticks its entry before the model has loaded,
        # and a load that fails or is cancelled must not leave that tick behind
        self.recent_menu.aboutToShow.connect(self._rebuild_recent_menu)
        self._rebuild_recent_menu()
        file_menu.addSeparator()
        file_menu.addAction(a.quit)
        edit = self.menuBar().addMenu("&Edit")
        edit.addActions([a.undo, a.redo, a.clear, a.eraser])
        edit.addSeparator()
        edit.addAction(a.paste)
        view = self.menuBar().addMenu("&View")
        view.addAction(a.dark_canvas)
        view.addAction(a.inside)
        a.dark_canvas.setChecked(self.canvas.dark)
        model = self.menuBar().addMenu("&Model")
        model.addActions([a.open_model, a.open_savedmodel, a.model_info])
        model.addSeparator()
        model.addActions([a.evaluate, a.compare])
        samples = self.menuBar().addMenu("&Samples")
        samples.addActions([a.collect, a.dataset, a.finetune, a.locate_mnist])
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addActions([a.shortcuts, a.about])

    def _rebuild_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.settings.recent_models
        current = self.model.path if self.model is not None else None
        names = [Path(path).name for path in recent]
        for path, name in zip(recent, names):
            # two models of one name (run after run saves "model.keras") are told apart by folder
            act = self.recent_menu.addAction(name if names.count(name) == 1 else f"{name} — {Path(path).parent}")
            act.setToolTip(path)
            act.setCheckable(True)
            act.setChecked(path == current)  # the model in use is marked, as a window list marks its own
            act.triggered.connect(lambda _=False, p=path: self.load_model(p))
        self.recent_menu.setEnabled(bool(recent))

    def _restore(self) -> None:
        geometry, state = self.settings.window_state()
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None and self.restoreState(state):
            # The Inside dock is where the user left it, if it was open; Qt restores a closed
            # floating dock at a size and place of its own (over the window), so that one is placed anew.
            self._inside_placed = not self.inside_dock.isHidden()
            self.compare_dock.hide()  # no model to compare with yet: that is not kept between runs

    # -- worker -------------------------------------------------------------------------------
    def start_worker(self) -> None:
        """Start the recognition thread and load the model; call after the window is shown."""
        if self.worker is not None:
            return
        self.worker = RecognitionWorker(self)
        self.worker.results(self.REQUESTER).connect(self._on_result)
        self.worker.results(self.INSIDE).connect(self._on_inside_result)
        self.worker.results(self.COMPARED).connect(self._on_compared_result)
        self.worker.secondLoaded.connect(self._on_second_loaded)
        self.worker.secondFailed.connect(lambda path, msg: self._show_error("Cannot compare", msg))
        self.reports.connect(self.worker)
        self.worker.mapProgress.connect(self.inside.map_progress)
        self.worker.mapReady.connect(self._on_map_ready)
        self.worker.mapFailed.connect(self.inside.map_failed)
        self.worker.modelLoaded.connect(self._on_model_loaded)
        self.worker.modelFailed.connect(self._on_model_failed)
        self.worker.modelLoading.connect(self._on_model_loading)
        path = self._requested_model or self.settings.last_model or str(shipped_model())
        if not Path(path).exists() and path != str(shipped_model()):
            path = str(shipped_model())
        self.load_model(path)

    def load_model(self, path: str) -> None:
        if self.worker is None:
            self._requested_model = path
            return
        trust = (Path(path) / "saved_model.pb").is_file()
        if trust and not self._confirm_savedmodel(path):
            return
        self.worker.load_model(path, trust=trust)

    def _confirm_savedmodel(self, path: str) -> bool:
        """A SavedModel runs the TensorFlow program stored in it: open it only if the user trusts it."""
        text = (f"{Path(path).name} is a TensorFlow SavedModel folder. Opening it runs the TensorFlow program "
                "stored in it, which can read and write files on this computer.\n\nOpen it only if you trust "
                "whoever made it. A .keras file loads without running any code.")
        if os.environ.get("DIGITPAD_NO_DIALOGS"):  # tests: refuse, and record what would have been asked
            self.last_error = text
            return False
        answer = QMessageBox.warning(self, "Open a SavedModel?", text + "\n\nOpen it?",
                                     QMessageBox.Open | QMessageBox.Cancel, QMessageBox.Cancel)
        return answer == QMessageBox.Open

    def _on_model_loading(self, path: str) -> None:
        self.model_status.setText(f"loading {Path(path).name}…")
        self.loading_bar.show()

    def _on_model_loaded(self, summary: ModelSummary) -> None:
        self.loading_bar.hide()
        first = self.model is None
        self.model = summary
        self.settings.last_model = summary.path
        self.settings.add_recent_model(summary.path)
        self._rebuild_recent_menu()
        saved = self.settings.thresholds_for(summary.path)
        self._apply_thresholds(Thresholds.from_sidecar({**summary.info.thresholds, **(saved or {})}))
        self.stages.set_preprocessing(summary.info.preprocessing)
        self.model_status.setText(f"model: {summary.name}")
        self.setWindowTitle(f"DigitPad — {summary.name}")
        if first and self.verdict_label.text():
            self.verdict_label.show_verdict(Verdict.EMPTY, None, 0)
        self.inside.reset()
        self._map_asked = False
        if self.dataset_window is not None:  # its marks were the old model's
            self.dataset_window.forget_predictions(summary.name)
        self.request_recognition()

    def _on_model_failed(self, path: str, message: str) -> None:
        self.loading_bar.hide()
        still = f"\n\nStill using {self.model.name}." if self.model else ""
        self.model_status.setText(f"model: {self.model.name}" if self.model else "no model loaded")
        if self.model is None:
            self.verdict_label.show_verdict(Verdict.EMPTY, None, 0)
        self._show_error("Cannot open model", f"{message}{still}")

    def dialog_parent(self) -> QWidget:
        """The sample window the user is in (My Samples, Collect), else this one: a message opens
        over the window it answers (Ctrl+Shift+F there) and, closed, leaves that window in front."""
        active = QApplication.activeWindow()
        return active if active is not None and active in (self.dataset_window, self.collection_window) else self

    def _show_error(self, title: str, text: str, parent: QWidget | None = None) -> None:
        if os.environ.get("DIGITPAD_NO_DIALOGS"):  # tests and benchmarks: record, do not block
            self.last_error = text
            return
        QMessageBox.warning(parent or self.dialog_parent(), title, text)

    # -- recognition --------------------------------------------------------------------------
    def request_recognition(self) -> None:
        if self.worker is None or self.model is None:
            return
        if self.canvas.image is not None:
            self.worker.submit(self.REQUESTER, image=self.canvas.image)
        elif self.canvas.document.is_empty:
            self.worker.withdraw(self.REQUESTER)  # a late result for the old drawing will not come
            self._show_empty()
        else:
            snapshot = self.canvas.snapshot()
            self.worker.submit(self.REQUESTER, ink=snapshot, numbers=True)
            self._ask_compared(snapshot)  # the same snapshot: answered with the window's own
            self._ask_inside(snapshot)  # the same snapshot: the worker reads it once for both
            return
        self._ask_inside()
        self._ask_compared()

    # -- Compare Models: the second model answers the same snapshots ---------------------------
    def compare_with_dialog(self) -> None:
        path = file_dialogs.open_file(self, self.settings, "Compare with model",
                                      "Models (*.keras *.h5 *.hdf5);;All files (*)")
        if path:
            self.compare_with(path)

    def compare_with(self, path: str) -> None:
        if self.worker is not None:
            self.worker.load_second(path)

    def _on_second_loaded(self, summary: ModelSummary) -> None:
        self.second = summary
        self._set_compared_models()
        if not self.compare_dock.isVisible():
            if self.compare_dock.isFloating():
                self._place_beside(self.compare_dock, 540, 420)
            self.compare_dock.show()
        self.statusBar().showMessage(f"comparing with {summary.name}", 5000)
        self.request_recognition()

    def _set_compared_models(self) -> None:
        if self.second is not None and self.model is not None:
            self.compare.set_models((self.model.name, self.second.name),
                                    (self.thresholds, Thresholds.from_sidecar(self.second.info.thresholds)))

    def stop_comparing(self) -> None:
        self.compare_dock.hide()
        self.second = None
        self.compare.clear()
        if self.worker is not None:
            self.worker.withdraw(self.COMPARED)
            self.worker.drop_second()

    @property
    def comparing(self) -> bool:
        return self.second is not None and self.compare_dock.isVisible()

    def _ask_compared(self, snapshot=None) -> None:
        if self.worker is None or not self.comparing:
            return
        if self.canvas.image is not None:
            self.worker.submit(self.COMPARED, image=self.canvas.image, second=True)
        elif self.canvas.document.is_empty:
            self.worker.withdraw(self.COMPARED)
            self.compare.clear()
        else:
            self.worker.submit(self.COMPARED, ink=snapshot if snapshot is not None else self.canvas.snapshot(),
                               second=True)

    def _on_compared_result(self, result: RecognitionResult) -> None:
        if self.comparing:  # an error clears B's column rather than leave the last drawing's answer
            self.compare.show_answer(1, result.recognition)

    # -- the Inside panel: asked only while it is visible -------------------------------------
    @property
    def inside_visible(self) -> bool:
        return self.inside_dock.isVisible() and self.isVisible()

    def set_inside_shown(self, shown: bool) -> None:
        if shown and self.inside_dock.isFloating() and not self._inside_placed:
            self._inside_placed = True
            self._place_beside(self.inside_dock, 540, 640)
        self.inside_dock.setVisible(shown)

    def _floating_dock(self, title: str, name: str, widget: QWidget) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)  # saveState/restoreState keep where the user put it
        dock.setWidget(widget)
        self.addDockWidget(Qt.RightDockWidgetArea, dock)
        dock.setFloating(True)
        dock.hide()
        return dock

    def _place_beside(self, dock: QDockWidget, width: int, height: int) -> None:
        """A floating dock beside the window. On a screen too small for both, the window first
        moves left and gives up width for it (given back when the dock closes), down to its
        smallest size; only then does the dock cover part of the answer's column. Never the
        canvas, where the pen is."""
        screen = (self.screen() or QGuiApplication.primaryScreen()).availableGeometry()
        dock.resize(width, min(height, screen.height() - 40))
        self._make_room(dock, screen)
        frame = self.frameGeometry()
        x = min(frame.right() + 8, screen.right() - dock.width())
        dock.move(max(screen.left(), x), max(screen.top(), frame.top()))

    def _make_room(self, dock: QDockWidget, screen) -> None:
        frame = self.frameGeometry()
        short = frame.right() + 8 + dock.width() - screen.right()
        if short <= 0 or self.isMaximized() or self.isFullScreen():
            return
        before = self.geometry()
        left = max(0, min(short, frame.left() - screen.left()))
        narrower = max(0, min(short - left, self.width() - self.minimumSizeHint().width()))
        if not left and not narrower:
            return
        self.setGeometry(before.x() - left, before.y(), before.width() - narrower, before.height())
        self._room_made = (dock, before, self.geometry())

    def _keep_on_screen(self) -> None:
        from .window_sizing import keep_on_screen

        keep_on_screen(self)

    def _give_room_back(self, visible: bool) -> None:
        """The dock that took the window's room closed: the window as it was, unless the user
        has moved or resized it since."""
        if visible or self._room_made is None or self._room_made[0].isVisible():
            return
        dock, before, made = self._room_made
        self._room_made = None
        if self.geometry() == made:
            self.setGeometry(before)
            self._inside_placed = self._inside_placed and dock is not self.inside_dock  # next time, room again

    def _inside_visibility(self, _visible: bool) -> None:
        self.actions_.inside.setChecked(self.inside_dock.isVisible())
        if self.worker is not None and not self.inside_visible:
            self.worker.pause_map()  # hidden, the panel costs nothing; shown again, the map goes on
            self._map_asked = self.inside.latent is not None
        self._ask_inside()

    def _ask_inside(self, snapshot=None) -> None:
        """The current drawing, looked inside by the worker (its own requester, its own staleness),
        only while the panel shows; hidden, it costs recognition nothing."""
        if self.worker is None or self.model is None:
            return
        empty = self.canvas.image is None and self.canvas.document.is_empty
        if self.inside_visible:
            self._ask_map()
        if not self.inside_visible or empty:
            self.worker.withdraw(self.INSIDE)
            if empty:
                self.inside.show_explanation(None)
            return
        if self.canvas.image is not None:
            self.worker.submit(self.INSIDE, image=self.canvas.image, inside=self.inside.ask())
        else:  # while the pen is down, the cheap parts only: the answer's chart must not wait for them
            ask = dataclasses.replace(self.inside.ask(), saliency=not self.canvas.document.drawing)
            self.worker.submit(self.INSIDE, ink=snapshot if snapshot is not None else self.canvas.snapshot(), inside=ask)

    def _ask_map(self, again: bool = False) -> None:
        if self.worker is not None and self.model is not None and (again or not self._map_asked):
            self._map_asked = True
            self.worker.prepare_map(self.mnist_path or self.settings.mnist_path)

    def _on_map_ready(self, latent) -> None:
        """The drawing already looked inside before the map was ready is placed on it now."""
        self.inside.set_map(latent)
        if self.inside.explanation is not None and self.inside.explanation.placed is None:
            self._ask_inside()

    def _on_inside_result(self, result: RecognitionResult) -> None:
        if result.explanation is not None:
            self.inside.show_explanation(result.explanation)
        elif result.error or result.inside_note:
            self.inside.show_note(result.error or result.inside_note)
        else:  # nothing to look inside (a blank picture): not the last drawing's insides
            self.inside.show_explanation(None)

    @property
    def stale_dropped(self) -> int:
        """Results for this window the worker dropped as stale (bench/gui_latency.py reports it)."""
        return 0 if self.worker is None else self.worker.stale_dropped(self.REQUESTER)

    @property
    def _latest_id(self) -> int:
        # bench/gui_latency.py times each request by this id
        return 0 if self.worker is None else self.worker.latest_id(self.REQUESTER)

    def _show_empty(self) -> None:
        self.verdict = Verdict.EMPTY
        self.latency_status.setText("")  # the last drawing's timing is not this empty canvas's
        self.verdict_label.show_verdict(Verdict.EMPTY, None, 0)
        self.chart.show_probabilities(None)
        self.reconstruction.show_result(None, None, None, self.thresholds.reconstruction_error,
                                        self.model is None or self.model.has_reconstruction)
        self.stages.show_stages({})
        self.last_result = None
        self._show_number()

    def _on_result(self, result: RecognitionResult) -> None:
        """Show a result the worker found fresh for this window (it keeps the staleness check)."""
        self.last_result = result
        rec = result.recognition
        if result.error:
            self.latency_status.setText(f"error: {result.error}")
            return
        pre = rec.preprocessed
        self._show_judgement(rec)
        self.stages.show_stages(pre.stages)
        self.reconstruction.show_result(pre.image, rec.reconstruction, rec.reconstruction_error,
                                        self.thresholds.reconstruction_error, self.model.has_reconstruction)
        total = (time.perf_counter() - result.submitted) * 1000
        self.latency_status.setText(f"recognised in {result.latency_ms:.1f} ms ({total:.0f} ms end to end)")
        self._show_number()
        self.resultShown.emit(result)

    # -- thresholds -----------------------------------------------------------------------------
    def _signals(self) -> tuple[bool, bool]:
        """Which refusal signals the loaded model has: (digit-likeness, reconstruction error)."""
        calibrated = Thresholds.from_sidecar(self.model.info.thresholds) if self.model else Thresholds()
        return (bool(self.model and self.model.has_digit_likeness and calibrated.digit_likeness is not None),
                bool(self.model and self.model.has_reconstruction and calibrated.reconstruction_error is not None))

    def _apply_thresholds(self, t: Thresholds) -> None:
        self.thresholds = t
        likeness, recon = self._signals()
        for spin, value, used in ((self.confidence_spin, t.confidence * 100, self.model is not None),
                                  (self.error_spin, t.reconstruction_error, recon),
                                  (self.likeness_spin, t.digit_likeness, likeness)):
            self._show_threshold(spin, value if used else None)
        self.reset_thresholds.setEnabled(self.model is not None)
        names = ["confidence"] + (["digit-likeness"] if likeness else []) + (["reconstruction error"] if recon else [])
        self.signals_label.setText(f"This model is judged by {', '.join(names)}." if self.model else "")
        self._rejudge()

    def _thresholds_edited(self) -> None:
        likeness, recon = self._signals()
        self.thresholds = Thresholds(self.confidence_spin.value() / 100, self.error_spin.value() if recon else None,
                                     self.likeness_spin.value() if likeness else None)
        if self.model:
            self.settings.set_thresholds_for(self.model.path, self.thresholds.to_dict())
        self._rejudge()

    def _reset_thresholds(self) -> None:
        if self.model:
            self.settings.set_thresholds_for(self.model.path, None)
            self._apply_thresholds(Thresholds.from_sidecar(self.model.info.thresholds))

    def _rejudge(self) -> None:
        self._set_compared_models()  # A's thresholds are the window's
        if self.last_result is None or self.last_result.recognition is None:
            return
        self._show_judgement(self.last_result.recognition)
        self._show_number()

    def _show_judgement(self, rec) -> None:
        self.judgement = judge(rec.probabilities, rec.reconstruction_error, self.thresholds, rec.digit_likeness)
        self.verdict = self.judgement.verdict
        reason = self.judgement.reason
        if self.verdict is Verdict.EMPTY and self.canvas.image is not None:
            reason = "no ink found in this picture"
        self.verdict_label.show_verdict(self.verdict, rec.digit, rec.confidence, reason=reason)
        self.chart.show_probabilities(rec.probabilities, highlight=self.verdict is Verdict.DIGIT)
        if self.comparing:
            self.compare.show_answer(0, rec)

    def _show_number(self) -> None:
        """Number mode, over the single-digit views, while the latest drawing holds several digits
        (``self.verdict`` stays the drawing's as a whole)."""
        result = self.last_result
        digits = result.digits if result is not None and result.recognition is not None else ()
        self.number_mode.show(digits, self.thresholds, self.model is None or self.model.has_reconstruction)

    # -- files -------------------------------------------------------------------------------------
    def open_file(self) -> None:
        patterns = " ".join(f"*{s}" for s in sorted(IMAGE_SUFFIXES))
        path = file_dialogs.open_file(self, self.settings, "Open drawing or image",
                                      f"Drawings and images (*.json {patterns});;All files (*)")
        if path:
            self.open_path(path)

    def open_path(self, path: str) -> bool:
        p = Path(path)
        try:
            if p.is_dir() or p.suffix.lower() in MODEL_SUFFIXES:
                self.load_model(str(p))
            elif p.suffix.lower() == ".json":
                ink = read_ink(p)
                if ink.is_empty:  # opened, it would only clear the drawing
                    self._show_error("Cannot open file", f"{p}: the drawing holds no strokes")
                    return False
                self.canvas.load_ink(ink)
            else:
                self.canvas.show_image(read_image(p))
        except DigitPadError as exc:
            self._show_error("Cannot open file", str(exc))
            return False
        return True

    def save_drawing(self) -> None:
        if self.canvas.document.is_empty:
            self.statusBar().showMessage("Nothing to save: the canvas is empty", 4000)
            return
        path = file_dialogs.save_file(self, self.settings, "Save drawing", "drawing.json", "Ink drawing (*.json)")
        if path:  # a name typed without ".json" would not open again as a drawing
            self.save_drawing_to(path if Path(path).suffix else path + ".json")

    def save_drawing_to(self, path: str) -> bool:
        try:
            write_ink(path, self.canvas.snapshot())
        except OSError as exc:  # full disk, read-only folder: the drawing stays on the canvas
            self._show_error("Cannot save drawing", f"{path}: {exc.strerror or exc}")
            return False
        self.statusBar().showMessage(f"Saved {path}", 4000)
        return True

    def paste_image(self) -> None:
        clip = QGuiApplication.clipboard()
        image = clip.image()
        if image.isNull():
            self.statusBar().showMessage("The clipboard holds no picture", 4000)
            return
        self.canvas.show_image(from_qimage(image))

    def open_model_dialog(self) -> None:
        path = file_dialogs.open_file(self, self.settings, "Open model", "Models (*.keras *.h5 *.hdf5);;All files (*)")
        if path:
            self.load_model(path)

    def open_savedmodel_dialog(self) -> None:
        """A SavedModel is a folder, which the file dialog of Open Model cannot pick."""
        path = file_dialogs.existing_folder(self, self.settings, "Open a SavedModel folder")
        if not path:
            return
        if not (Path(path) / "saved_model.pb").is_file():
            self._show_error("Cannot open model", f"{path}: not a SavedModel folder (it holds no saved_model.pb). "
                             "Pick the folder that contains saved_model.pb, or use Open Model… for a "
                             ".keras or .h5 file.")
            return
        self.load_model(path)  # asks before running the program stored in it

    # -- drag and drop --------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls() or event.mimeData().hasImage():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        data = event.mimeData()
        if data.hasUrls():
            for url in data.urls():
                if url.isLocalFile():
                    self.open_path(url.toLocalFile())
                    break
        elif data.hasImage():
            self.canvas.show_image(from_qimage(data.imageData()))
        event.acceptProposedAction()

    # -- homemade samples --------------------------------------------------------------------------
    def store(self):
        from ..core.sample_store import SampleStore

        if self._store is None:
            try:
                self._store = SampleStore(self.store_path)
            except DigitPadError as exc:
                self._show_error("Cannot open the sample store", str(exc))
                return None
        return self._store

    def open_collection(self) -> None:
        store = self.store()
        if store is None:
            return
        if self.collection_window is None:
            from .collect import CollectionWidget

            from .window_sizing import fit_on_screen

            self.collection_window = CollectionWidget(store, self.worker, self.canvas.brush, self.canvas.dark,
                                                      settings=self.settings)
            self.collection_window.setWindowTitle("DigitPad — collect your handwriting")
            fit_on_screen(self.collection_window, 680, 680)
            self.collection_window.sampleSaved.connect(lambda _id: self.dataset_window and self.dataset_window.refresh())
            self._share_sample_keys(self.collection_window)
        self.collection_window.show()
        self.collection_window.raise_()
        self.collection_window.activateWindow()  # the keys typed next go to it, not to the main window

    def _share_sample_keys(self, window) -> None:
        """Collect (Ctrl+K), My Samples (Ctrl+L) and Fine-tune (Ctrl+Shift+F) from the sample windows
        too: the same actions, so the keys cannot differ from the menu's."""
        a = self.actions_
        window.addActions([a.collect, a.dataset, a.finetune])

    def open_dataset(self) -> None:
        store = self.store()
        if store is None:
            return
        if self.dataset_window is None:
            from .dataset_view import DatasetView
            from .window_sizing import fit_on_screen

            self.dataset_window = DatasetView(store, settings=self.settings)
            self.dataset_window.model_name = self.model.name if self.model is not None else ""
            self.dataset_window.setWindowTitle("DigitPad — my samples")
            fit_on_screen(self.dataset_window, 880, 600)
            self.dataset_window.finetuneRequested.connect(self.finetuning.start)
            self._share_sample_keys(self.dataset_window)
            if self.worker is not None:
                self.dataset_window.predictionsWanted.connect(lambda job: self.worker.predict_batch(*job))
                self.worker.batchPredicted.connect(self.dataset_window.set_predictions)
                self.worker.batchFailed.connect(self.dataset_window.predictions_failed)
            self.dataset_window.refresh()
        self.dataset_window.show()
        self.dataset_window.raise_()
        self.dataset_window.activateWindow()  # Delete then deletes samples, not the main window's drawing

    def _show_notice(self, title: str, text: str, parent: QWidget | None = None) -> None:
        """Tell something that is not an error (an information icon, not a warning)."""
        self.last_notice = (title, text)
        if not os.environ.get("DIGITPAD_NO_DIALOGS"):
            QMessageBox.information(parent or self.dialog_parent(), title, text)

    # -- small things ---------------------------------------------------------------------------
    def set_brush(self, value: int) -> None:
        self.canvas.set_brush(value)
        self.settings.brush_size = value

    def set_dark_canvas(self, dark: bool) -> None:
        self.canvas.set_dark(dark)
        self.settings.dark_canvas = dark

    def _update_history_actions(self) -> None:
        self.actions_.undo.setEnabled(self.canvas.document.can_undo())
        self.actions_.redo.setEnabled(self.canvas.document.can_redo())

    def model_info_text(self) -> str:
        """Model Info for people (``core.model_info.readable_summary``), as HTML."""
        from html import escape

        from ..core.model_info import readable_summary

        if self.model is None:
            return "No model is loaded yet."
        parts = [f"<h3>{escape(self.model.name)}</h3>"]
        for heading, lines in readable_summary(self.model.info, self.model.description,
                                               self.model.has_digit_likeness):
            if heading:
                parts.append(f"<p><b>{escape(heading)}</b></p>")
            parts.append("<ul>" + "".join(f"<li>{escape(line)}</li>" for line in lines) + "</ul>")
        return "".join(parts)

    def show_model_info(self) -> None:
        from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser

        if getattr(self, "model_info_dialog", None) is None:
            dialog = QDialog(self)
            dialog.setWindowTitle("Model info")
            layout = QVBoxLayout(dialog)
            dialog.browser = QTextBrowser()
            dialog.browser.setOpenLinks(False)
            buttons = QDialogButtonBox(QDialogButtonBox.Close)
            buttons.rejected.connect(dialog.close)
            layout.addWidget(dialog.browser)
            layout.addWidget(buttons)
            dialog.resize(620, 560)
            self.model_info_dialog = dialog
        self.model_info_dialog.browser.setHtml(self.model_info_text())
        self.model_info_dialog.show()
        self.model_info_dialog.raise_()

    def about_text(self) -> str:
        import cv2
        from PySide6 import __version__ as pyside_version
        from PySide6.QtCore import qVersion

        import sys
        tf_version = sys.modules["tensorflow"].__version__ if "tensorflow" in sys.modules else "not loaded yet"
        model = f"{self.model.name} ({self.model.path})" if self.model else "none"
        return (f"<b>DigitPad {__version__}</b><br>Handwritten digit recognition with a convolutional "
                f"autoencoder + classifier.<br><br>model: {model}<br>Qt {qVersion()}, PySide6 {pyside_version}, "
                f"TensorFlow {tf_version}, OpenCV {cv2.__version__}")

    def show_about(self) -> None:
        QMessageBox.about(self, "About DigitPad", self.about_text())

    def shortcuts_text(self) -> str:
        from html import escape

        rows = "".join(f"<tr><td>{escape(what)}</td><td>&nbsp;&nbsp;<b>{escape(keys)}</b></td></tr>"
                       for what, keys in shortcut_table(self.actions_))
        return (f"<table>{rows}</table><p>In <i>Collect My Handwriting</i>: Enter saves, Space skips, Backspace "
                "takes back the last sample, Esc clears.<br>In <i>My Samples</i>: a digit key relabels the "
                "selection, Delete deletes it, Ctrl+Z undoes either.</p>")

    def show_shortcuts(self) -> None:
        """Help > Keyboard Shortcuts: made from the actions' declarations (non-modal, like a cheat sheet)."""
        box = QMessageBox(QMessageBox.NoIcon, "Keyboard shortcuts", self.shortcuts_text(), QMessageBox.Close, self)
        box.setWindowModality(Qt.NonModal)
        box.setAttribute(Qt.WA_DeleteOnClose)
        self.shortcuts_box = box
        box.show()

    # -- quitting -------------------------------------------------------------------------------
    def quit_app(self) -> None:
        """Ctrl+Q from any DigitPad window: close them all and end the process. While a
        fine-tuning runs, ask first; if the user stops it, end once the run has stopped."""
        job = self.finetuning.job
        waiting = job is not None and self._stop_confirmed and job.is_running()
        if waiting:  # closing the last window must not end the event loop before the run has stopped
            QApplication.setQuitOnLastWindowClosed(False)
        if not self.close():  # the question is open, or the user keeps the fine-tuning
            return
        for window in QApplication.topLevelWidgets():  # dialogs and windows this one does not own
            if window is not self and window.isVisible():
                window.close()
        if not waiting:
            QApplication.quit()
            return
        # The run notices the cancel between training steps and stops without saving. Ending the
        # process under it could abort inside TensorFlow, so wait; but not for a step that cannot be
        # interrupted (preparing data in worker processes can take minutes): then end at once.
        started = time.monotonic()
        timer = QTimer(self)

        def check():
            if job.is_running() and time.monotonic() - started < self.QUIT_WAIT_S:
                return
            timer.stop()
            QApplication.setQuitOnLastWindowClosed(True)
            if job.is_running():
                self._end_process_now()
            QApplication.quit()

        timer.timeout.connect(check)
        timer.start(100)

    QUIT_WAIT_S = 15.0

    @staticmethod
    def _end_process_now() -> None:
        """The fine-tuning did not stop in time: end its worker processes and this one, skipping
        the interpreter's shutdown, which would wait for them (or abort in TensorFlow). Settings
        were saved when the window closed; model files are written atomically, so none is left
        half-written."""
        import multiprocessing
        import sys

        for child in multiprocessing.active_children():
            child.terminate()
        print("DigitPad: the fine-tuning was still preparing its data; stopped it without waiting.",
              file=sys.stderr, flush=True)
        sys.stdout.flush()
        os._exit(0)

    def _ask_stop_finetune(self) -> None:
        """Asked without blocking, so the running job keeps reporting while the user decides."""
        if self.quit_question is not None:
            self.quit_question.raise_()
            return
        box = QMessageBox(QMessageBox.Question, "Quit DigitPad", "Stop fine-tuning and quit?",
                          QMessageBox.Yes | QMessageBox.No, self)
        box.setInformativeText("The model being fine-tuned is not saved. The current model stays as it is.")
        box.button(QMessageBox.Yes).setText("Stop and Quit")
        box.button(QMessageBox.No).setText("Keep Fine-tuning")
        box.setDefaultButton(QMessageBox.No)

        def answered(_result) -> None:
            self.quit_question = None
            if box.clickedButton() is box.button(QMessageBox.Yes):
                self._stop_confirmed = True
                job = self.finetuning.job
                if job is not None:  # (it may have ended while the user read the question)
                    job.blockSignals(True)  # its "cancelled" must not open a message on the way out
                    job.cancel()
                self.quit_app()
            box.deleteLater()

        box.finished.connect(answered)
        self.quit_question = box
        box.open()

    def closeEvent(self, event) -> None:
        if self.finetuning.is_running() and not self._stop_confirmed:
            event.ignore()
            self._ask_stop_finetune()
            return
        self.settings.save_window_state(self.saveGeometry(), self.saveState())
        self.settings.sync()
        for window in (self.collection_window, self.dataset_window):  # the app is this window
            if window is not None:
                window.close()
        if self.worker is not None:
            self.worker.shutdown()
        super().closeEvent(event)
