"""A numpy + OpenCV forward pass for Keras models made of standard layers.

For one 28x28 picture TensorFlow's per-call and per-op dispatch costs more than the arithmetic
(about 2-3 ms against a fraction of a millisecond of matrix products on this class of machine),
so the live answer for a single drawing runs here. Any layer or setting not handled below makes
:func:`compile_model` raise :class:`Unsupported`, and the caller keeps TensorFlow; the
:class:`~digitpad.ml.recognizer.Recognizer` also checks both paths agree before using this one.
"""
from __future__ import annotations

from typing import Callable

import cv2
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

Array = np.ndarray
Op = Callable[[Array], Array]


class Unsupported(Exception):
    """The model uses something this forward pass does not reproduce exactly."""


def softmax(x: Array) -> Array:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


_ACTIVATIONS: dict[str, Op] = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0),  # never in place: a tensor may feed two branches
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "tanh": np.tanh,
    "softmax": softmax,
}


def _activation(fn) -> Op:
    name = fn if isinstance(fn, str) else getattr(fn, "__name__", "")
    if name not in _ACTIVATIONS:
        raise Unsupported(f"activation {name!r}")
    return _ACTIVATIONS[name]


def _weights(layer) -> list[Array]:
    return [np.asarray(w, np.float32) for w in layer.get_weights()]


def _pads(kernel: int, padding: str) -> tuple[int, int]:
    if padding == "valid":
        return 0, 0
    before = (kernel - 1) // 2
    return before, kernel - 1 - before


def _check_2d(cfg: dict, what: str) -> None:
    if cfg.get("data_format", "channels_last") != "channels_last":
        raise Unsupported(f"{what}: channels_first")
    if tuple(cfg.get("dilation_rate", (1, 1))) != (1, 1) or cfg.get("groups", 1) != 1:
        raise Unsupported(f"{what}: dilation or groups")
    if cfg.get("padding", "valid") not in ("same", "valid"):
        raise Unsupported(f"{what}: padding {cfg.get('padding')!r}")


def _conv2d(layer) -> Op:
    cfg = layer.get_config()
    _check_2d(cfg, "Conv2D")
    if tuple(cfg["strides"]) != (1, 1):
        raise Unsupported("Conv2D with strides")
    w = _weights(layer)
    kernel, bias = w[0], (w[1] if cfg["use_bias"] else None)
    kh, kw, cin, cout = kernel.shape
    # rows ordered (channel, ky, kx): the order a sliding-window view reshapes to without a transpose
    flat = np.ascontiguousarray(kernel.transpose(2, 0, 1, 3).reshape(cin * kh * kw, cout))
    (pt, pb), (pl, pr) = _pads(kh, cfg["padding"]), _pads(kw, cfg["padding"])
    act = _activation(cfg["activation"])

    def run(x: Array) -> Array:
        if kh == kw == 1:
            y = x @ flat
        else:
            x = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
            win = sliding_window_view(x, (kh, kw), axis=(1, 2))  # (N, H, W, C, kh, kw)
            n, h, wd = win.shape[:3]
            cols = win.reshape(n * h * wd, cin * kh * kw)
            y = (cols @ flat).reshape(n, h, wd, cout)
        if bias is not None:
            y += bias
        return act(y)
    return run


def _conv2d_transpose(layer) -> Op:
    cfg = layer.get_config()
    _check_2d(cfg, "Conv2DTranspose")
    if cfg.get("output_padding") is not None:
        raise Unsupported("Conv2DTranspose with output_padding")
    w = _weights(layer)
    kernel, bias = w[0], (w[1] if cfg["use_bias"] else None)
    kh, kw, cout, cin = kernel.shape
    sh, sw = cfg["strides"]
    flat = np.ascontiguousarray(kernel.transpose(3, 0, 1, 2).reshape(cin, kh * kw * cout))
    act = _activation(cfg["activation"])
    same = cfg["padding"] == "same"

    def run(x: Array) -> Array:
        n, h, wd, _ = x.shape
        parts = (x.reshape(-1, cin) @ flat).reshape(n, h, wd, kh, kw, cout)
        full = np.zeros((n, (h - 1) * sh + kh, (wd - 1) * sw + kw, cout), np.float32)
        for i in range(kh):
            for j in range(kw):
                full[:, i:i + (h - 1) * sh + 1:sh, j:j + (wd - 1) * sw + 1:sw] += parts[:, :, :, i, j]
        if same:  # the adjoint of a "same" strided convolution: crop what its padding added
            top, left = max(kh - sh, 0) // 2, max(kw - sw, 0) // 2
            full = full[:, top:top + h * sh, left:left + wd * sw]
        else:
            full = full[:, :h * sh + max(kh - sh, 0), :wd * sw + max(kw - sw, 0)]
        if bias is not None:
            full += bias
        return act(full)
    return run


def _pool(layer, reduce: Callable) -> Op:
    cfg = layer.get_config()
    _check_2d(cfg, type(layer).__name__)
    ph, pw = cfg["pool_size"]
    if tuple(cfg["strides"] or (ph, pw)) != (ph, pw) or cfg["padding"] != "valid":
        raise Unsupported("pooling with overlap or padding")

    def run(x: Array) -> Array:
        n, h, w, c = x.shape
        x = x[:, :h // ph * ph, :w // pw * pw]
        return reduce(x.reshape(n, h // ph, ph, w // pw, pw, c), axis=(2, 4))
    return run


def _upsampling(layer) -> Op:
    cfg = layer.get_config()
    _check_2d(cfg, "UpSampling2D")
    fy, fx = cfg["size"]
    if cfg["interpolation"] == "nearest":
        return lambda x: x.repeat(fy, axis=1).repeat(fx, axis=2)
    if cfg["interpolation"] != "bilinear":
        raise Unsupported(f"UpSampling2D {cfg['interpolation']}")

    def run(x: Array) -> Array:  # OpenCV's bilinear uses the same half-pixel centres as TensorFlow
        n, h, w, c = x.shape
        out = np.empty((n, h * fy, w * fx, c), np.float32)
        for i in range(n):
            out[i] = cv2.resize(x[i], (w * fx, h * fy), interpolation=cv2.INTER_LINEAR).reshape(h * fy, w * fx, c)
        return out
    return run


def _batch_norm(layer) -> Op:
    cfg = layer.get_config()
    axis = cfg["axis"]
    if (axis if isinstance(axis, int) else axis[0]) not in (-1, len(layer.input.shape) - 1):
        raise Unsupported("BatchNormalization on a non-channel axis")
    w = iter(_weights(layer))
    gamma = next(w) if cfg["scale"] else None
    beta = next(w) if cfg["center"] else None
    mean, var = next(w), next(w)
    mul = 1.0 / np.sqrt(var + cfg["epsilon"])
    if gamma is not None:
        mul = mul * gamma
    add = -mean * mul + (beta if beta is not None else 0.0)
    mul, add = mul.astype(np.float32), add.astype(np.float32)
    return lambda x: x * mul + add


def _dense(layer) -> Op:
    cfg = layer.get_config()
    w = _weights(layer)
    kernel, bias = w[0], (w[1] if cfg["use_bias"] else None)
    act = _activation(cfg["activation"])

    def run(x: Array) -> Array:
        y = x @ kernel
        if bias is not None:
            y += bias
        return act(y)
    return run


def _reshape(layer) -> Op:
    target = tuple(layer.get_config()["target_shape"])
    return lambda x: x.reshape((len(x),) + target)


def _relu_layer(layer) -> Op:
    cfg = layer.get_config()
    if cfg.get("max_value") is not None or cfg.get("negative_slope") or cfg.get("threshold"):
        raise Unsupported("ReLU with a cap, slope or threshold")
    return _ACTIVATIONS["relu"]


_LAYERS: dict[str, Callable] = {
    "Conv2D": _conv2d,
    "Conv2DTranspose": _conv2d_transpose,
    "MaxPooling2D": lambda l: _pool(l, np.max),
    "AveragePooling2D": lambda l: _pool(l, np.mean),
    "UpSampling2D": _upsampling,
    "BatchNormalization": _batch_norm,
    "Dense": _dense,
    "Activation": lambda l: _activation(l.get_config()["activation"]),
    "ReLU": _relu_layer,
    "Flatten": lambda l: (lambda x: x.reshape(len(x), -1)),
    "Reshape": _reshape,
    "Dropout": lambda l: (lambda x: x),
}


class NumpyForward:
    """The model's graph as a list of numpy steps; call with the model's input, get name -> array."""

    def __init__(self, steps: list[tuple[Op, int, int]], input_id: int, input_shape: tuple,
                 outputs: dict[str, int]):
        self._steps = steps
        self._input_id = input_id
        self._input_shape = input_shape
        self._outputs = outputs

    def __call__(self, x: Array) -> dict[str, Array]:
        values = {self._input_id: np.asarray(x, np.float32).reshape((-1,) + self._input_shape)}
        for op, src, dst in self._steps:
            values[dst] = op(values[src])
        return {name: values[i] for name, i in self._outputs.items()}


def compile_model(model) -> NumpyForward:
    """Raises :class:`Unsupported` unless every layer is one this module reproduces."""
    if not hasattr(model, "layers") or len(getattr(model, "inputs", [])) != 1:
        raise Unsupported("not a single-input Keras model")
    input_id = id(model.inputs[0])
    shape = tuple(model.inputs[0].shape[1:])
    if any(d is None for d in shape):
        raise Unsupported("input with unknown dimensions")
    steps = []
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "InputLayer":
            continue
        if kind not in _LAYERS:
            raise Unsupported(f"layer {kind}")
        try:
            src, dst = layer.input, layer.output
        except (AttributeError, ValueError) as exc:  # a layer used twice, or a nested model
            raise Unsupported(f"layer {layer.name}: {exc}") from None
        if isinstance(src, (list, tuple)) or isinstance(dst, (list, tuple)):
            raise Unsupported(f"layer {layer.name} with several inputs or outputs")
        steps.append((_LAYERS[kind](layer), id(src), id(dst)))
    out = model.output
    if isinstance(out, dict):
        outputs = {name: id(t) for name, t in out.items()}
    else:
        tensors = list(out) if isinstance(out, (list, tuple)) else [out]
        outputs = {name: id(t) for name, t in zip(model.output_names, tensors)}
    known = {input_id}
    for _, src, dst in steps:  # every step must read something already computed
        if src not in known:
            raise Unsupported("graph order not understood")
        known.add(dst)
    if any(i not in known for i in outputs.values()):
        raise Unsupported("graph outputs not understood")
    return NumpyForward(steps, input_id, shape, outputs)
