"""Loading any digit model and running it fast: the one inference path for CLI and GUI.

A model is accepted if it takes 28x28(x1) or 784 inputs and has a 10-class output; a
reconstruction output is optional; logits are turned into probabilities.
"""
from __future__ import annotations

import os
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.errors import ModelFileError
from ..core.ink import Ink, ink_to_mnist
from ..core.model_info import ModelInfo, read_info
from ..core.preprocess import Preprocessed, to_mnist
from .numpy_forward import NumpyForward, compile_model, softmax

from .quiet_tensorflow import keras, tf  # noqa: E402

MODEL_SUFFIXES = (".keras", ".h5", ".hdf5")
#: Up to this many pictures per call run in numpy (no TensorFlow dispatch); more go to TensorFlow.
NUMPY_BATCH = 8


@dataclass(frozen=True)
class Predictions:
    probabilities: np.ndarray  # (N, 10)
    reconstructions: np.ndarray | None  # (N, 28, 28)
    reconstruction_errors: np.ndarray | None  # (N,) mean squared error per picture
    digit_likeness: np.ndarray | None = None  # (N,) the model's "is a digit at all", 0..1


@dataclass(frozen=True)
class Recognition:
    """One picture's answer, with the exact model input and its preprocessing stages."""

    preprocessed: Preprocessed
    probabilities: np.ndarray | None
    reconstruction: np.ndarray | None
    reconstruction_error: float | None
    digit_likeness: float | None = None

    @property
    def empty(self) -> bool:
        return self.preprocessed.empty

    @property
    def digit(self) -> int | None:
        return None if self.probabilities is None else int(np.argmax(self.probabilities))

    @property
    def confidence(self) -> float:
        return 0.0 if self.probabilities is None else float(np.max(self.probabilities))


def _shape(t) -> tuple:
    return tuple(None if d is None else int(d) for d in t.shape)


#: Why a SavedModel folder is refused unless its author is trusted (the CLI's ``--trust-model``,
#: a confirmation in the app).
UNTRUSTED_SAVEDMODEL = ("a TensorFlow SavedModel folder runs the TensorFlow program stored in it, which can read "
                        "and write your files; open it only if you trust its author (--trust-model), or use a "
                        ".keras file, which loads without running code")


def _load_keras(path: Path):
    with open(path, "rb") as fh:
        head = fh.read(8)
    if path.suffix.lower() == ".keras" and not zipfile.is_zipfile(path):
        raise ModelFileError("not a .keras file: it is not a zip archive (truncated, or another format renamed)",
                             path)
    if path.suffix.lower() in (".h5", ".hdf5") and head != b"\x89HDF\r\n\x1a\n":
        raise ModelFileError("not an HDF5 (.h5) model file (truncated, or another format renamed)", path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:  # Keras raises many types for corrupt/truncated/foreign files
        msg = " ".join(str(exc).split()) or type(exc).__name__
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


class Recognizer:
    """A loaded, validated model plus its sidecar; thread-confined to whoever loaded it."""

    def __init__(self, model, info: ModelInfo, path: Path | None = None, *, numpy_forward: bool = True):
        self.model = model
        self.info = info
        self.path = path
        self._layout = self._inspect()
        self._fn = tf.function(self._forward, input_signature=[tf.TensorSpec([None, 28, 28], tf.float32)],
                               reduce_retracing=True)
        self._numpy = self._numpy_path() if numpy_forward else None

    # -- loading ---------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | os.PathLike, *, numpy_forward: bool = True, trust: bool = False) -> "Recognizer":
        """``trust``: also open SavedModel folders, whose stored program runs when used."""
        path = Path(path)
        if not path.exists():
            raise ModelFileError("no such model file", path)
        if path.is_dir():
            if not (path / "saved_model.pb").exists():
                raise ModelFileError("folder is not a SavedModel (no saved_model.pb)", path)
            if not trust:
                raise ModelFileError(UNTRUSTED_SAVEDMODEL, path)
            model = _SavedModelAdapter(path)
        elif path.suffix.lower() in MODEL_SUFFIXES:
            if path.stat().st_size == 0:
                raise ModelFileError("model file is empty", path)
            model = _load_keras(path)
        else:
            raise ModelFileError(f"unsupported model type '{path.suffix}' (use .keras, .h5 or a SavedModel folder)",
                                 path)
        info = read_info(path)
        try:
            rec = cls(model, info, path, numpy_forward=numpy_forward)
            # warm-up, a last shape check, and no NaN: a model whose weights hold NaN answers nothing
            probe = np.random.default_rng(0).random((2, 28, 28), dtype=np.float32) * [[[0.0]], [[1.0]]]
            out = rec.predict(probe)
            if not all(v is None or np.isfinite(v).all() for v in (out.probabilities, out.reconstruction_errors,
                                                                   out.digit_likeness)):
                raise ModelFileError("the model gives non-finite answers (its weights hold NaN or infinity)")
        except ModelFileError as exc:
            raise ModelFileError(str(exc).removeprefix(f"{path}: "), path) from None
        except Exception as exc:
            raise ModelFileError(f"model fails on a 28x28 input ({str(exc).splitlines()[0][:200]})", path) from None
        return rec

    def _inspect(self) -> dict:
        model = self.model
        if len(model.inputs) != 1:
            raise ModelFileError(f"expected one input, found {len(model.inputs)}")
        in_shape = _shape(model.inputs[0])[1:]
        if in_shape not in ((28, 28, 1), (28, 28), (784,)):
            raise ModelFileError(f"input shape {in_shape} is not 28x28(x1) or 784")
        names = list(getattr(model, "output_names", None) or [f"output_{i}" for i in range(len(model.outputs))])
        shapes = {n: _shape(t)[1:] for n, t in zip(names, model.outputs)}
        classes = [n for n, s in shapes.items() if s == (10,)]
        if not classes:
            raise ModelFileError("no 10-class output (outputs: " +
                                 ", ".join(f"{n} {s}" for n, s in shapes.items()) + ")")
        digit = "digit" if "digit" in classes else classes[0]
        recons = [n for n, s in shapes.items() if s in ((28, 28, 1), (28, 28), (784,)) and n != digit]
        recon = "reconstruction" if "reconstruction" in recons else (recons[0] if recons else None)
        likeness = "is_digit" if shapes.get("is_digit") == (1,) else None
        return {"input": in_shape, "names": names, "digit": digit, "reconstruction": recon,
                "likeness": likeness, "softmax": self._ends_in_softmax(digit)}

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
            ours, theirs = self._run_numpy(forward, probe), self._run_tf(probe)
        except Exception:  # Unsupported, or anything odd about a foreign model: keep TensorFlow
            return None
        agree = ours.keys() == theirs.keys() and all(
            np.allclose(ours[k], theirs[k], rtol=1e-3, atol=1e-4) for k in ours)
        return forward if agree else None

    def _run_tf(self, chunk: np.ndarray) -> dict[str, np.ndarray]:
        return {k: v.numpy() for k, v in self._fn(tf.constant(chunk)).items()}

    def _run_numpy(self, forward: NumpyForward, chunk: np.ndarray) -> dict[str, np.ndarray]:
        """Same outputs as :meth:`_forward`, in numpy."""
        layout = self._layout
        out = forward(chunk)
        probs = out[layout["digit"]].reshape(len(chunk), -1).astype(np.float32)
        if layout["softmax"] is False or (layout["softmax"] is None and not (
                (probs >= 0).all() and (np.abs(probs.sum(-1) - 1) < 1e-3).all())):
            probs = softmax(probs)
        result = {"digit": probs}
        if layout["reconstruction"]:
            recon = out[layout["reconstruction"]].reshape(len(chunk), 28, 28).astype(np.float32)
            result["reconstruction"] = recon
            result["error"] = np.mean(np.square(recon - chunk), axis=(1, 2))
        if layout["likeness"]:
            result["likeness"] = out[layout["likeness"]].reshape(len(chunk)).astype(np.float32)
        return result

    @property
    def uses_numpy_path(self) -> bool:
        return self._numpy is not None

    @property
    def has_reconstruction(self) -> bool:
        return self._layout["reconstruction"] is not None

    @property
    def has_digit_likeness(self) -> bool:
        return self._layout["likeness"] is not None

    @property
    def name(self) -> str:
        return self.info.name

    def describe(self) -> dict:
        """Name, parameters, inputs/outputs, for the model-info view."""
        count = self.model.count_params() if hasattr(self.model, "count_params") else 0
        return {"name": self.info.name, "path": str(self.path) if self.path else None, "parameters": int(count),
                "input": self._layout["input"], "outputs": self._layout["names"],
                "classifier_output": self._layout["digit"], "reconstruction_output": self._layout["reconstruction"]}

    def predict(self, images: np.ndarray, batch_size: int = 1024) -> Predictions:
        """(N, 28, 28) float32 model inputs -> probabilities (and reconstructions)."""
        x = np.asarray(images, np.float32).reshape(-1, 28, 28)
        probs, recons, errors, likeness = [], [], [], []
        for start in range(0, max(len(x), 1), batch_size):
            chunk = x[start:start + batch_size]
            if len(chunk) == 0:
                break
            small = self._numpy is not None and len(chunk) <= NUMPY_BATCH
            out = self._run_numpy(self._numpy, chunk) if small else self._run_tf(chunk)
            probs.append(out["digit"])
            if "reconstruction" in out:
                recons.append(out["reconstruction"])
                errors.append(out["error"])
            if "likeness" in out:
                likeness.append(out["likeness"])
        if not probs:
            return Predictions(np.zeros((0, 10), np.float32), None, None)
        p = np.concatenate(probs)
        if p.shape[1:] != (10,):
            raise ModelFileError(f"classifier output has shape {p.shape[1:]}, not (10,)", self.path)
        return Predictions(p, np.concatenate(recons) if recons else None,
                           np.concatenate(errors) if errors else None,
                           np.concatenate(likeness) if likeness else None)

    # -- one picture ----------------------------------------------------------------------
    def _answer(self, pre: Preprocessed) -> Recognition:
        if pre.empty:
            return Recognition(pre, None, None, None)
        out = self.predict(pre.image[None])
        return Recognition(pre, out.probabilities[0],
                           None if out.reconstructions is None else out.reconstructions[0],
                           None if out.reconstruction_errors is None else float(out.reconstruction_errors[0]),
                           None if out.digit_likeness is None else float(out.digit_likeness[0]))

    def recognise_image(self, image: np.ndarray, keep_stages: bool = False) -> Recognition:
        return self._answer(to_mnist(image, self.info.preprocessing, keep_stages=keep_stages))

    def recognise_ink(self, ink: Ink, keep_stages: bool = False) -> Recognition:
        return self._answer(ink_to_mnist(ink, self.info.preprocessing, keep_stages=keep_stages))
