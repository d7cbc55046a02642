"""Loading any digit model with TensorFlow: ``.keras`` and ``.h5`` files, SavedModel folders.

Most callers should use :func:`digitpad.ml.numpy_recognizer.load_recognizer`, which runs a plain
``.keras`` file without importing TensorFlow and comes here only for anything else. What every
recogniser shares (the checks, the answer for one drawing) is in
:mod:`digitpad.ml.recognizer_base`.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from ..core.errors import ModelFileError
from ..core.model_files import MODEL_SUFFIXES, UNTRUSTED_SAVEDMODEL, check_model_path
from ..core.model_info import ModelInfo, read_info
from ..core.recognition import Predictions, Recognition
from .numpy_forward import NumpyForward, Unsupported, compile_model
from .recognizer_base import FEW, RecognizerBase, inspect_outputs

from .quiet_tensorflow import keras, tf  # noqa: E402

__all__ = ["MODEL_SUFFIXES", "NUMPY_BATCH", "Predictions", "Recognition", "Recognizer", "UNTRUSTED_SAVEDMODEL"]

#: Up to this many pictures per call run in numpy (no TensorFlow dispatch); more go to TensorFlow.
NUMPY_BATCH = FEW


def _shape(t) -> tuple:
    return tuple(None if d is None else int(d) for d in t.shape)


def _load_keras(path: Path):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:  # Keras raises many types for corrupt/truncated/foreign files
        msg = " ".join(str(exc).split()) or type(exc).__name__
        if "safe_mode" in msg:  # Keras's advice (pass safe_mode=False) is for programmers, not users
            raise ModelFileError("holds Python code (a Lambda layer), which DigitPad never runs", path) from None
        raise ModelFileError(f"not a loadable Keras model ({msg[:400]})", path) from None


class _SavedModelAdapter:
    """A TF SavedModel folder seen through its serving signature, with Keras-like attributes."""

    def __init__(self, path: Path):
        try:
            loaded = tf.saved_model.load(str(path))
            self._fn = loaded.signatures["serving_default"]
        except Exception as exc:
            raise ModelFileError(f"not a loadable SavedModel ({str(exc).splitlines()[0][:200]})", path) from None
        self._loaded = loaded
        _, kwargs = self._fn.structured_input_signature
        if len(kwargs) != 1:
            raise ModelFileError(f"expected one input, found {len(kwargs)}", path)
        self._input_name, spec = next(iter(kwargs.items()))
        self.inputs = [spec]
        self.output_names = list(self._fn.structured_outputs)
        self.outputs = [self._fn.structured_outputs[k] for k in self.output_names]
        self.name = path.name

    def __call__(self, x, training=False):
        return self._fn(**{self._input_name: x})

    def count_params(self) -> int:
        return int(sum(np.prod(v.shape) for v in self._loaded.trainable_variables)) if hasattr(
            self._loaded, "trainable_variables") else 0


class Recognizer(RecognizerBase):
    """A loaded, validated Keras model (or SavedModel) plus its sidecar; thread-confined to whoever loaded it."""

    def __init__(self, model, info: ModelInfo, path: Path | None = None, *, numpy_forward: bool = True):
        self.model = model
        self.info = info
        self.path = path
        self._layout = self._inspect()
        self._fn = tf.function(self._forward, input_signature=[tf.TensorSpec([None, 28, 28], tf.float32)],
                               reduce_retracing=True)
        self._numpy = self._numpy_path() if numpy_forward else None
        self._tracer = None  # (Keras model of every layer's output, names, classes), built when first asked

    # -- loading ---------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | os.PathLike, *, numpy_forward: bool = True, trust: bool = False) -> "Recognizer":
        """``trust``: also open SavedModel folders, whose stored program runs when used."""
        path = Path(path)
        kind = check_model_path(path, trust)
        model = _SavedModelAdapter(path) if kind == "savedmodel" else _load_keras(path)
        info = read_info(path)
        return cls._checked(path, lambda: cls(model, info, path, numpy_forward=numpy_forward))

    def _inspect(self) -> dict:
        model = self.model
        if len(model.inputs) != 1:
            raise ModelFileError(f"expected one input, found {len(model.inputs)}")
        names = list(getattr(model, "output_names", None) or [f"output_{i}" for i in range(len(model.outputs))])
        return inspect_outputs(_shape(model.inputs[0])[1:],
                               {n: _shape(t)[1:] for n, t in zip(names, model.outputs)}, self._ends_in_softmax)

    def _ends_in_softmax(self, output_name: str) -> bool | None:
        """True/False when the last layer says so; None means "check the numbers"."""
        try:
            layer = self.model.get_layer(output_name)
        except Exception:
            try:
                layer = self.model.layers[-1] if len(self.model.outputs) == 1 else None
            except Exception:
                layer = None
        act = getattr(layer, "activation", None)
        if act is None:
            return None
        return getattr(act, "__name__", "") == "softmax"

    # -- inference -------------------------------------------------------------------------
    def _forward(self, x):
        layout = self._layout
        shaped = {(28, 28, 1): lambda t: t[..., None], (28, 28): lambda t: t,
                  (784,): lambda t: tf.reshape(t, [-1, 784])}[layout["input"]](x)
        out = self.model(shaped, training=False)
        if not isinstance(out, dict):
            out = dict(zip(layout["names"], out if isinstance(out, (list, tuple)) else [out]))
        probs = tf.cast(out[layout["digit"]], tf.float32)
        if layout["softmax"] is False:
            probs = tf.nn.softmax(probs)
        elif layout["softmax"] is None:
            is_dist = tf.logical_and(tf.reduce_all(probs >= 0),
                                     tf.reduce_all(tf.abs(tf.reduce_sum(probs, -1) - 1) < 1e-3))
            probs = tf.cond(is_dist, lambda: probs, lambda: tf.nn.softmax(probs))
        result = {"digit": probs}
        if layout["reconstruction"]:
            recon = tf.reshape(tf.cast(out[layout["reconstruction"]], tf.float32), [-1, 28, 28])
            result["reconstruction"] = recon
            result["error"] = tf.reduce_mean(tf.square(recon - x), axis=[1, 2])
        if layout["likeness"]:
            result["likeness"] = tf.reshape(tf.cast(out[layout["likeness"]], tf.float32), [-1])
        return result

    def _numpy_path(self) -> NumpyForward | None:
        """The numpy forward pass for few pictures, if it reproduces this model (checked here)."""
        try:
            forward = compile_model(self.model)
            probe = np.random.default_rng(0).random((2, 28, 28), dtype=np.float32)
            ours, theirs = self._finish(forward(probe), probe), self._run_tf(probe)
        except Exception:  # Unsupported, or anything odd about a foreign model: keep TensorFlow
            return None
        agree = ours.keys() == theirs.keys() and all(
            np.allclose(ours[k], theirs[k], rtol=1e-3, atol=1e-4) for k in ours)
        return forward if agree else None

    def _run_tf(self, chunk: np.ndarray) -> dict[str, np.ndarray]:
        return {k: v.numpy() for k, v in self._fn(tf.constant(chunk)).items()}

    def _outputs(self, chunk: np.ndarray) -> dict[str, np.ndarray]:
        if self._numpy is not None and len(chunk) <= NUMPY_BATCH:
            return self._finish(self._numpy(chunk), chunk)
        return self._run_tf(chunk)

    def _parameter_count(self) -> int:
        return self.model.count_params() if hasattr(self.model, "count_params") else 0

    def trace(self, images: np.ndarray):
        """Through the numpy path when the model has one; else a Keras model of every layer's output."""
        if self._numpy is not None:
            return self._trace_numpy(self._numpy, images)
        x = np.asarray(images, np.float32).reshape(-1, 28, 28)
        if self._tracer is None:
            self._tracer = self._build_tracer()
        model, names, kinds = self._tracer
        arrays = model(x.reshape((-1,) + tuple(self._layout["input"])), training=False)
        layers = {n: (k, np.asarray(a)) for n, k, a in zip(names, kinds, arrays)}
        return self._outputs(x), layers

    def _build_tracer(self):
        if not hasattr(self.model, "layers"):
            raise Unsupported("a SavedModel's layers cannot be seen")
        try:
            picked = [l for l in self.model.layers if type(l).__name__ != "InputLayer"
                      and not isinstance(l.output, (list, tuple, dict))]
            made_by = {id(l.output): l for l in picked}
            digit = next((l for l in picked if l.name == self._layout["digit"]), None)
            source = made_by.get(id(digit.input)) if digit is not None else None
            self.penultimate = source.name if source is not None else None
            model = keras.Model(self.model.inputs, [l.output for l in picked])
        except Exception as exc:  # a nested or shared layer: nothing to show, recognition unaffected
            raise Unsupported(f"this model's layers cannot be seen ({type(exc).__name__})") from None
        return model, [l.name for l in picked], [type(l).__name__ for l in picked]

    @property
    def uses_numpy_path(self) -> bool:
        return self._numpy is not None
