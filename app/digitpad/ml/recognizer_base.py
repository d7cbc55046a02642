"""What every recogniser does around its model, with or without TensorFlow.

A model is accepted if it takes 28x28(x1) or 784 inputs and has a 10-class output; a
reconstruction output and an ``is_digit`` output are optional; logits are turned into
probabilities. The checks, the numpy side of that arithmetic and the answer for one drawing are
here once, for :class:`~digitpad.ml.numpy_recognizer.NumpyRecognizer` (a ``.keras`` file run in
numpy) and :class:`~digitpad.ml.recognizer.Recognizer` (any model, in TensorFlow).
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable

import numpy as np

from ..core.errors import ModelFileError
from ..core.ink import Ink, ink_to_mnist
from ..core.model_info import ModelInfo
from ..core.preprocess import Preprocessed, refinished, to_mnist
from ..core.recognition import Predictions, Recognition
from .numpy_forward import Unsupported, softmax

INPUT_SHAPES = ((28, 28, 1), (28, 28), (784,))
#: Calls with at most this many drawings (each one picture, or one per width an ink is read at) are
#: drawings being recognised, not a batch job: they run in numpy (TensorFlow's per-call dispatch
#: costs more than their arithmetic).
FEW = 8


def inspect_outputs(input_shape: tuple, output_shapes: dict[str, tuple],
                    ends_in_softmax: Callable[[str], bool | None]) -> dict:
    """Which output is which, or :class:`ModelFileError` if the model does not fit DigitPad.

    ``output_shapes``: name -> shape without the batch axis, in the model's output order;
    ``ends_in_softmax(name)``: True/False when the layer says so, None for "check the numbers".
    """
    if input_shape not in INPUT_SHAPES:
        raise ModelFileError(f"input shape {input_shape} is not 28x28(x1) or 784")
    shapes = dict(output_shapes)
    classes = [n for n, s in shapes.items() if s == (10,)]
    if not classes:
        raise ModelFileError("no 10-class output (outputs: " + ", ".join(f"{n} {s}" for n, s in shapes.items()) + ")")
    digit = "digit" if "digit" in classes else classes[0]
    recons = [n for n, s in shapes.items() if s in INPUT_SHAPES and n != digit]
    recon = "reconstruction" if "reconstruction" in recons else (recons[0] if recons else None)
    likeness = "is_digit" if shapes.get("is_digit") == (1,) else None
    return {"input": input_shape, "names": list(shapes), "digit": digit, "reconstruction": recon,
            "likeness": likeness, "softmax": ends_in_softmax(digit)}


class RecognizerBase:
    """A validated model plus its sidecar; thread-confined to whoever loaded it.

    Subclasses set ``info``, ``path`` and ``_layout`` (from :func:`inspect_outputs`) and implement
    :meth:`_outputs` for one chunk of pictures.
    """

    info: ModelInfo
    path: Path | None
    _layout: dict

    # -- what a subclass provides ---------------------------------------------------------
    def _outputs(self, chunk: np.ndarray) -> dict[str, np.ndarray]:
        """(n, 28, 28) float32 -> {"digit", and "reconstruction"/"error"/"likeness" if the model has them}."""
        raise NotImplementedError

    def _parameter_count(self) -> int:
        return 0

    def trace(self, images: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, tuple[str, np.ndarray]]]:
        """(n, 28, 28) float32 -> (:meth:`_outputs`, every layer's output as ``name -> (class, array)``)
        and :attr:`penultimate` set, for looking inside the model. Raises :class:`Unsupported` when
        the model's layers cannot be seen (a SavedModel)."""
        raise Unsupported("this model's layers cannot be seen")

    penultimate: str | None = None  # the layer the classifier output reads, once traced

    def _trace_numpy(self, forward, images: np.ndarray):
        """:meth:`trace` through a :class:`~digitpad.ml.numpy_forward.NumpyForward`."""
        x = np.asarray(images, np.float32).reshape(-1, 28, 28)
        out, layers = forward.trace(x)
        self.penultimate = forward.reads(self._layout["digit"])
        return self._finish(out, x), layers

    def class_probabilities(self, images: np.ndarray) -> np.ndarray:
        """(n, 10) for (n, 28, 28) or (n, V, 28, 28) model inputs, outside the batch-job
        accounting of :meth:`predict`: what occlusion asks dozens of times per drawing."""
        x, views = as_views(images)
        return fold_views(self._digit_probabilities(x), views)

    def _digit_probabilities(self, x: np.ndarray) -> np.ndarray:
        return self._outputs(x)["digit"]

    @property
    def uses_numpy_path(self) -> bool:
        """True when few pictures at a time are recognised in numpy, without TensorFlow's dispatch."""
        raise NotImplementedError

    # -- shared -----------------------------------------------------------------------------
    def _finish(self, out: dict[str, np.ndarray], chunk: np.ndarray) -> dict[str, np.ndarray]:
        """The model's raw outputs (numpy) -> probabilities, reconstruction, its error, digit-likeness."""
        layout = self._layout
        probs = out[layout["digit"]].reshape(len(chunk), -1).astype(np.float32)
        if layout["softmax"] is False or (layout["softmax"] is None and not (
                (probs >= 0).all() and (np.abs(probs.sum(-1) - 1) < 1e-3).all())):
            probs = softmax(probs)
        result = {"digit": probs}
        if layout["reconstruction"] and layout["reconstruction"] in out:
            recon = out[layout["reconstruction"]].reshape(len(chunk), 28, 28).astype(np.float32)
            result["reconstruction"] = recon
            result["error"] = np.mean(np.square(recon - chunk), axis=(1, 2))
        if layout["likeness"] and layout["likeness"] in out:
            result["likeness"] = out[layout["likeness"]].reshape(len(chunk)).astype(np.float32)
        return result

    @staticmethod
    def _checked(path: Path, build: Callable[[], "RecognizerBase"]) -> "RecognizerBase":
        """``build()``, then a warm-up and a last check; any failure is a :class:`ModelFileError` naming ``path``."""
        try:
            rec = build()
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
        return {"name": self.info.name, "path": str(self.path) if self.path else None,
                "parameters": int(self._parameter_count()), "input": self._layout["input"],
                "outputs": self._layout["names"], "classifier_output": self._layout["digit"],
                "reconstruction_output": self._layout["reconstruction"]}

    def predict(self, images: np.ndarray, batch_size: int = 1024) -> Predictions:
        """(N, 28, 28) float32 model inputs -> probabilities (and reconstructions). (N, V, 28, 28):
        V drawings of each ink, their probabilities averaged; the rest is the first drawing's."""
        x, views = as_views(images)
        probs, recons, errors, likeness = [], [], [], []
        step = batch_size * views
        for start in range(0, len(x), step):
            out = self._outputs(x[start:start + step])
            if views > 1:
                out = {k: (fold_views(v, views) if k == "digit" else v[::views]) for k, v in out.items()}
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
        out = self.predict(pre.model_input[None])
        return Recognition(pre, out.probabilities[0],
                           None if out.reconstructions is None else out.reconstructions[0],
                           None if out.reconstruction_errors is None else float(out.reconstruction_errors[0]),
                           None if out.digit_likeness is None else float(out.digit_likeness[0]))

    def recognise_image(self, image: np.ndarray, keep_stages: bool = False) -> Recognition:
        return self._answer(to_mnist(image, self.info.preprocessing, keep_stages=keep_stages))

    def recognise_ink(self, ink: Ink, keep_stages: bool = False) -> Recognition:
        return self._answer(ink_to_mnist(ink, self.info.preprocessing, keep_stages=keep_stages))

    def recognise_like(self, other: Recognition, ink_widths: tuple[float, ...]) -> Recognition | None:
        """The answer to the ink ``other`` (drawn at ``ink_widths``) from its centred pictures, when
        it was drawn at every width this model reads ink at; else None: this model must draw it."""
        mine = self.info.preprocessing.ink_widths
        if not set(mine) <= set(ink_widths):
            return None
        drawn = other.preprocessed
        if not drawn.empty:
            pictures = [drawn, *drawn.views]
            if len(pictures) != len(ink_widths):
                return None
            picked = [pictures[list(ink_widths).index(w)] for w in mine]
            drawn = replace(picked[0], views=tuple(picked[1:]))
        pre = refinished(drawn, self.info.preprocessing)
        return None if pre is None else self._answer(pre)


def as_views(images: np.ndarray) -> tuple[np.ndarray, int]:
    """Model inputs as (N * V, 28, 28) float32, and V: 1 for (N, 28, 28) (or (N, 784)), V for (N, V, 28, 28)."""
    x = np.asarray(images, np.float32)
    views = x.shape[1] if x.ndim == 4 else 1
    return x.reshape(-1, 28, 28), views


def fold_views(probabilities: np.ndarray, views: int) -> np.ndarray:
    """Each ink's V rows of class probabilities averaged into one."""
    return probabilities if views == 1 else probabilities.reshape(-1, views, probabilities.shape[-1]).mean(axis=1)
