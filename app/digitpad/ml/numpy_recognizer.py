"""Opening a model to recognise with, without importing TensorFlow when it is not needed.

:func:`load_recognizer` is how the app and the command line open a model. A plain ``.keras``
file of standard layers (the shipped models) is read by :mod:`digitpad.ml.keras_file` and run in
numpy: ready in a fraction of a second, where importing TensorFlow and building the model takes
seconds. Anything else (an ``.h5`` file, a SavedModel folder, a custom layer) goes to the
TensorFlow :class:`~digitpad.ml.recognizer.Recognizer`, as does a long batch job, where
TensorFlow's faster convolutions repay its import.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..core.errors import ModelFileError
from ..core.model_files import check_model_path
from ..core.model_info import ModelInfo, read_info
from ..core.recognition import Predictions
from .keras_file import KerasFileModel, read_keras_file
from .numpy_forward import Unsupported, activation_name
from .recognizer_base import FEW, RecognizerBase, inspect_outputs

#: ``DIGITPAD_INFERENCE=tensorflow`` always loads models with TensorFlow (the numpy path's
#: reference, for comparisons and benchmarks).
INFERENCE_ENV = "DIGITPAD_INFERENCE"
#: Once a recogniser has been asked for more than this many pictures in batches (calls of more
#: than a handful; single drawings do not count), the rest go to TensorFlow, imported then. Set
#: where numpy's extra time has grown to what loading TensorFlow costs (the ski-rental rule: never
#: more than twice the better choice made in hindsight). On the 2-core machine (2026-12-03), with the
#: shipped default, numpy took 1.19-1.32 ms a picture, TensorFlow 0.63-0.74 ms after 5.2-6.9 s to
#: import it and load the model: even after 9,300-15,600 pictures. An ink read at two widths is two
#: pictures, so ``digitpad predict`` on 3,155 inks stays in numpy (5,000 handed 3,155 inks over).
TENSORFLOW_AFTER = 10_000
#: Pictures per numpy pass: enough for efficient matrix products, few enough to bound the memory
#: of the intermediate tensors (~13 MB for the shipped models' largest layer).
NUMPY_CHUNK = 128


def load_recognizer(path: str | os.PathLike, *, trust: bool = False, tensorflow: bool | None = None):
    """Open the model at ``path`` for recognition: a :class:`NumpyRecognizer` when it can, else a
    TensorFlow :class:`~digitpad.ml.recognizer.Recognizer`. Both answer the same questions the
    same way. ``tensorflow``: force (True) or forbid (False) TensorFlow; by default (None) it is
    used only when needed, or when ``DIGITPAD_INFERENCE=tensorflow``.

    Raises :class:`ModelFileError` for a file that is missing, damaged or does not fit DigitPad.
    """
    path = Path(path)
    if tensorflow is None and os.environ.get(INFERENCE_ENV, "").strip().lower() == "tensorflow":
        tensorflow = True
    kind = check_model_path(path, trust)  # a bad file is reported before anything heavy is imported
    if tensorflow is not True and kind == "keras":
        try:
            model = read_keras_file(path)
        except Unsupported:
            model = None
        if model is not None:
            info = read_info(path)
            return RecognizerBase._checked(path, lambda: NumpyRecognizer(model, info, path))
    if tensorflow is False:
        raise ModelFileError("this model needs TensorFlow (it is not a plain .keras file of standard layers)", path)
    from .recognizer import Recognizer  # TensorFlow is imported here, only when needed

    return Recognizer.load(path, trust=trust)


class NumpyRecognizer(RecognizerBase):
    """A ``.keras`` model run in numpy; large batch jobs hand over to TensorFlow, loaded then."""

    def __init__(self, model: KerasFileModel, info: ModelInfo, path: Path | None = None):
        self.model = model
        self.info = info
        self.path = path
        probe = model.forward(np.zeros((1,) + model.input_shape, np.float32))
        self._layout = inspect_outputs(model.input_shape, {n: probe[n].shape[1:] for n in model.output_names},
                                       self._ends_in_softmax)
        self._seen = 0  # pictures asked for so far in batches
        self._tensorflow = None  # the TensorFlow recogniser once a long job asked for it (False: unavailable)
        self._digit_only = None  # the forward pass without the decoder, for occlusion

    def _ends_in_softmax(self, output_name: str) -> bool | None:
        """As the TensorFlow recogniser reads the layer: its activation, if it has one."""
        layer = self.model.output_layers.get(output_name)
        if layer is None or "activation" not in layer.config:
            return None
        return activation_name(layer.config["activation"]) == "softmax"

    def predict(self, images: np.ndarray, batch_size: int = 1024) -> Predictions:
        x = np.asarray(images, np.float32)
        if len(x) > FEW:  # more drawings than a person makes at once: a batch job, counted in pictures
            self._seen += x.size // 784
            if self._seen > TENSORFLOW_AFTER and self._tensorflow_recognizer() is not None:
                return self._tensorflow.predict(x, batch_size)
        return super().predict(x, batch_size)

    def _outputs(self, chunk: np.ndarray) -> dict[str, np.ndarray]:
        parts = [self._finish(self.model.forward(chunk[i:i + NUMPY_CHUNK]), chunk[i:i + NUMPY_CHUNK])
                 for i in range(0, len(chunk), NUMPY_CHUNK)]
        return parts[0] if len(parts) == 1 else {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}

    def _digit_probabilities(self, x: np.ndarray) -> np.ndarray:
        if self._digit_only is None:
            self._digit_only = self.model.forward.only([self._layout["digit"]])
        return np.concatenate([self._finish(self._digit_only(x[i:i + NUMPY_CHUNK]), x[i:i + NUMPY_CHUNK])["digit"]
                               for i in range(0, len(x), NUMPY_CHUNK)])

    def trace(self, images: np.ndarray):
        return self._trace_numpy(self.model.forward, images)

    def _tensorflow_recognizer(self):
        """The same model in TensorFlow, loaded on first use; None if it cannot be (numpy carries on)."""
        if self._tensorflow is None:
            self._tensorflow = False
            if self.path is not None:
                try:
                    from .recognizer import Recognizer  # imported only for a long job

                    self._tensorflow = Recognizer.load(self.path)
                except Exception:  # no TensorFlow, or the file changed since: slower, but the same answers
                    pass
        return self._tensorflow or None

    def _parameter_count(self) -> int:
        return self.model.parameters

    @property
    def uses_numpy_path(self) -> bool:
        return True

    @property
    def uses_tensorflow(self) -> bool:
        """True once a long job has brought TensorFlow in."""
        return bool(self._tensorflow)
