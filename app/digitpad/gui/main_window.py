"""The main window: canvas on the left, the answer and its evidence on the right."""
from __future__ import annotations

import os
import time
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (QDoubleSpinBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel,
                               QMainWindow, QMessageBox, QProgressBar, QPushButton, QSlider, QSplitter,
                               QTabWidget, QVBoxLayout, QWidget)

from .. import __version__
from ..core.errors import DigitPadError
from ..core.images import IMAGE_SUFFIXES, read_image
from ..core.ink import read_ink, write_ink
from ..core.metrics import format_before_after
from ..core.model_files import shipped_model
from ..core.verdict import Thresholds, Verdict, judge
from .actions import make_actions
from .canvas import InkCanvas
from .imaging import from_qimage
from .panels import ProbabilityChart, ReconstructionPanel, StagesPanel, VerdictLabel
from .settings import AppSettings
from .worker import ModelSummary, RecognitionResult, RecognitionWorker

MODEL_SUFFIXES = (".keras", ".h5", ".hdf5")


class MainWindow(QMainWindow):
    resultShown = Signal(object)  # RecognitionResult, after the views were updated
    REQUESTER = "main"  # this window's key at the recognition worker

    def __init__(self, settings: AppSettings | None = None, model_path: str | None = None,
                 store_path: str | None = None):
        super().__init__()
        self.store_path = store_path
        self._store = None
        self.collection_window = None
        self.dataset_window = None
        self.finetune_job = None
        self.last_finetune = None  # the latest FinetuneReport
        self.last_error: str | None = None  # what the latest error dialog said (recorded in tests)
        self.settings = settings or AppSettings()
        self.setWindowTitle("DigitPad")
        self.setAcceptDrops(True)
        self.worker: RecognitionWorker | None = None
        self.model: ModelSummary | None = None
        self.thresholds = Thresholds()
        self._requested_model = model_path
        self.last_result: RecognitionResult | None = None
        self.verdict = Verdict.EMPTY

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
            tools.addWidget(b)
        tools.addSpacing(12)
        tools.addWidget(QLabel("Brush"))
        self.brush_slider = QSlider(Qt.Horizontal)
        self.brush_slider.setRange(2, 60)
        self.brush_slider.setMinimumWidth(120)
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
        rv.addWidget(self.tabs, 2)
        rv.addWidget(self._thresholds_box())

        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
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
        self.resize(1100, 680)

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
        self.reset_thresholds = QPushButton("Reset to calibrated")
        self.reset_thresholds.clicked.connect(self._reset_thresholds)
        form.addRow("Minimum confidence", self.confidence_spin)
        form.addRow("Minimum digit-likeness", self.likeness_spin)
        form.addRow("Maximum reconstruction error", self.error_spin)
        form.addRow(self.signals_label)
        form.addRow(self.reset_thresholds)
        for spin in (self.confidence_spin, self.error_spin, self.likeness_spin):
            spin.valueChanged.connect(self._thresholds_edited)
        return box

    def _build_menus(self) -> None:
        a = self.actions_
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addActions([a.open_file, a.save_drawing])
        file_menu.addSeparator()
        file_menu.addAction(a.open_model)
        self.recent_menu = file_menu.addMenu("Recent &Models")
        self._rebuild_recent_menu()
        file_menu.addSeparator()
        file_menu.addAction(a.quit)
        edit = self.menuBar().addMenu("&Edit")
        edit.addActions([a.undo, a.redo, a.clear, a.eraser])
        edit.addSeparator()
        edit.addAction(a.paste)
        view = self.menuBar().addMenu("&View")
        view.addAction(a.dark_canvas)
        a.dark_canvas.setChecked(self.canvas.dark)
        model = self.menuBar().addMenu("&Model")
        model.addActions([a.open_model, a.model_info])
        samples = self.menuBar().addMenu("&Samples")
        samples.addActions([a.collect, a.dataset, a.finetune])
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(a.about)

    def _rebuild_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.settings.recent_models
        for path in recent:
            act = self.recent_menu.addAction(Path(path).name)
            act.setToolTip(path)
            act.triggered.connect(lambda _=False, p=path: self.load_model(p))
        self.recent_menu.setEnabled(bool(recent))

    def _restore(self) -> None:
        geometry, state = self.settings.window_state()
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)

    # -- worker -------------------------------------------------------------------------------
    def start_worker(self) -> None:
        """Start the recognition thread and load the model; call after the window is shown."""
        if self.worker is not None:
            return
        self.worker = RecognitionWorker(self)
        self.worker.results(self.REQUESTER).connect(self._on_result)
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
        self.model_status.setText(f"model: {summary.name}")
        self.setWindowTitle(f"DigitPad — {summary.name}")
        if first and self.verdict_label.text():
            self.verdict_label.show_verdict(Verdict.EMPTY, None, 0)
        self.request_recognition()

    def _on_model_failed(self, path: str, message: str) -> None:
        self.loading_bar.hide()
        still = f"\n\nStill using {self.model.name}." if self.model else ""
        self.model_status.setText(f"model: {self.model.name}" if self.model else "no model loaded")
        if self.model is None:
            self.verdict_label.show_verdict(Verdict.EMPTY, None, 0)
        self._show_error("Cannot open model", f"{message}{still}")

    def _show_error(self, title: str, text: str) -> None:
        if os.environ.get("DIGITPAD_NO_DIALOGS"):  # tests and benchmarks: record, do not block
            self.last_error = text
            return
        QMessageBox.warning(self, title, text)

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
            self.worker.submit(self.REQUESTER, ink=self.canvas.snapshot())

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
        self.verdict_label.show_verdict(Verdict.EMPTY, None, 0)
        self.chart.show_probabilities(None)
        self.reconstruction.show_result(None, None, None, self.thresholds.reconstruction_error,
                                        self.model is None or self.model.has_reconstruction)
        self.stages.show_stages({})
        self.last_result = None

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
            spin.blockSignals(True)
            spin.setEnabled(used)
            if value is not None:
                spin.setValue(value)
            spin.blockSignals(False)
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
        if self.last_result is None or self.last_result.recognition is None:
            return
        self._show_judgement(self.last_result.recognition)

    def _show_judgement(self, rec) -> None:
        self.judgement = judge(rec.probabilities, rec.reconstruction_error, self.thresholds, rec.digit_likeness)
        self.verdict = self.judgement.verdict
        self.verdict_label.show_verdict(self.verdict, rec.digit, rec.confidence, reason=self.judgement.reason)
        self.chart.show_probabilities(rec.probabilities, highlight=self.verdict is Verdict.DIGIT)

    # -- files -------------------------------------------------------------------------------------
    def open_file(self) -> None:
        patterns = " ".join(f"*{s}" for s in sorted(IMAGE_SUFFIXES))
        path, _ = QFileDialog.getOpenFileName(self, "Open drawing or image", "",
                                              f"Drawings and images (*.json {patterns});;All files (*)")
        if path:
            self.open_path(path)

    def open_path(self, path: str) -> bool:
        p = Path(path)
        try:
            if p.is_dir() or p.suffix.lower() in MODEL_SUFFIXES:
                self.load_model(str(p))
            elif p.suffix.lower() == ".json":
                self.canvas.load_ink(read_ink(p))
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
        path, _ = QFileDialog.getSaveFileName(self, "Save drawing", "drawing.json", "Ink drawing (*.json)")
        if path:
            self.save_drawing_to(path)

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
        path, _ = QFileDialog.getOpenFileName(self, "Open model", "", "Models (*.keras *.h5 *.hdf5);;All files (*)")
        if path:
            self.load_model(path)

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

            self.collection_window = CollectionWidget(store, self.worker, self.canvas.brush, self.canvas.dark)
            self.collection_window.setWindowTitle("DigitPad — collect your handwriting")
            self.collection_window.resize(720, 760)
            self.collection_window.sampleSaved.connect(lambda _id: self.dataset_window and self.dataset_window.refresh())
        self.collection_window.show()
        self.collection_window.raise_()

    def open_dataset(self) -> None:
        store = self.store()
        if store is None:
            return
        if self.dataset_window is None:
            from .dataset_view import DatasetView

            self.dataset_window = DatasetView(store)
            self.dataset_window.setWindowTitle("DigitPad — my samples")
            self.dataset_window.resize(900, 640)
            self.dataset_window.finetuneRequested.connect(self.start_finetune)
            if self.worker is not None:
                self.dataset_window.predictionsWanted.connect(lambda job: self.worker.predict_batch(*job))
                self.worker.batchPredicted.connect(self.dataset_window.set_predictions)
            self.dataset_window.refresh()
        self.dataset_window.show()
        self.dataset_window.raise_()

    def start_finetune(self, output: str | None = None) -> None:
        from PySide6.QtWidgets import QProgressDialog

        from .finetune_job import FinetuneJob

        if self.model is None or self.finetune_job is not None or self.store() is None:
            return
        if output is None:
            import datetime

            stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
            output = str(self.store().path.parent / "models" / f"finetuned-{stamp}.keras")
        job = FinetuneJob(self.model.path, output, str(self.store().path), parent=self)
        dialog = QProgressDialog("Fine-tuning on your samples…", "Cancel", 0, 100, self)
        dialog.setWindowTitle("Fine-tuning")
        dialog.setMinimumDuration(0)
        dialog.setWindowModality(Qt.NonModal)  # the window stays usable
        dialog.canceled.connect(job.cancel)
        job.progress.connect(lambda done, total: (dialog.setMaximum(total), dialog.setValue(done)))
        job.message.connect(lambda m: (dialog.setLabelText(m), self.statusBar().showMessage(m, 8000)))
        job.finished.connect(lambda report: self._finetune_done(report, dialog))
        job.failed.connect(lambda msg: self._finetune_failed(msg, dialog))
        self.finetune_job = job
        self.finetune_dialog = dialog
        job.start()

    def _finetune_done(self, report, dialog) -> None:
        dialog.reset()
        self.finetune_job = None
        self.last_finetune = report
        b, a = report.before, report.after
        mine = a.get("homemade_test")
        text = (f"Your held-out samples ({mine['count']}): {b['homemade_test']['accuracy'] * 100:.2f}% → "
                f"{mine['accuracy'] * 100:.2f}%\n" if mine else
                "Your held-out samples: none (all are in the training split)\n")
        text += f"MNIST test: {b['mnist_test']['accuracy'] * 100:.2f}% → {a['mnist_test']['accuracy'] * 100:.2f}%"
        if not report.mnist_drop_ok:
            text += f"\n\nWarning: MNIST accuracy fell by {report.mnist_drop * 100:.2f} points (more than 0.2)."
        text += f"\n\nSaved {report.output}. Switching to it now."
        self.statusBar().showMessage(text.replace("\n", " "), 15000)
        if not os.environ.get("DIGITPAD_NO_DIALOGS"):
            box = QMessageBox(QMessageBox.Information, "Fine-tuning finished", text, QMessageBox.Ok, self)
            box.setDetailedText(self.last_finetune_details)  # confusion matrices behind "Show Details…"
            box.exec()
        self.load_model(report.output)
        if self.dataset_window is not None:
            self.dataset_window.forget_predictions()

    @property
    def last_finetune_details(self) -> str:
        """The latest fine-tuning's before/after confusion matrices, as under "Show Details…"."""
        r = self.last_finetune
        return "" if r is None else format_before_after(r.before, r.after)

    def _finetune_failed(self, message: str, dialog) -> None:
        dialog.reset()
        self.finetune_job = None
        self._show_error("Fine-tuning stopped", message)

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
        if self.model is None:
            return "No model is loaded yet."
        d, info = self.model.description, self.model.info
        lines = [f"<b>{d['name']}</b>", f"file: {d['path']}", f"architecture: {info.architecture}",
                 f"parameters: {d['parameters']:,}", f"input: {d['input']}",
                 f"outputs: {', '.join(d['outputs'])} (classes: {d['classifier_output']}, reconstruction: "
                 f"{d['reconstruction_output'] or 'none'})",
                 f"preprocessing: binarise {'on' if info.preprocessing.binarize else 'off'}, "
                 f"enhance {'on' if info.preprocessing.enhance else 'off'}"]
        for key, value in info.metrics.items():
            if isinstance(value, float):
                lines.append(f"{key.replace('_', ' ')}: {value * 100:.2f}%" if value <= 1 else f"{key}: {value}")
        if info.thresholds:
            lines.append("calibrated thresholds: " + ", ".join(f"{k} {v}" for k, v in info.thresholds.items()))
        if info.created:
            lines.append(f"trained: {info.created} with DigitPad {info.digitpad_version}")
        return "<br>".join(lines)

    def show_model_info(self) -> None:
        QMessageBox.information(self, "Model info", self.model_info_text())

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

    def closeEvent(self, event) -> None:
        self.settings.save_window_state(self.saveGeometry(), self.saveState())
        self.settings.sync()
        if self.worker is not None:
            self.worker.shutdown()
        super().closeEvent(event)
