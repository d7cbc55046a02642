"""A numpy + OpenCV forward pass for Keras models made of standard layers.

For one 28x28 picture TensorFlow's per-call and per-op dispatch costs more than the arithmetic
(about 2-3 ms against a fraction of a millisecond of matrix products on this class of machine),
and importing TensorFlow at all costs seconds; so a plain ``.keras`` file is run here, read by
:mod:`digitpad.ml.keras_file` without TensorFlow, and a live Keras model's few-picture calls too.

Each layer is described by a :class:`LayerSpec` (its class name, its Keras config, its weights,
the shape it reads), whether it comes from a file or from a live model, and each kind of layer
has one implementation below. Any layer or setting not handled here raises :class:`Unsupported`,
and the caller keeps TensorFlow.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Callable, Hashable

import cv2
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

Array = np.ndarray
Op = Callable[[Array], Array]


class Unsupported(Exception):
    """The model uses something this forward pass does not reproduce exactly."""


@dataclass(frozen=True)
class LayerSpec:
    """One layer, as a ``.keras`` file or a live Keras layer describes it: nothing in it runs code."""

    name: str
    class_name: str
    config: dict
    weights: tuple[Array, ...]
    input_shape: tuple  # what the layer reads, without the batch axis


@dataclass(frozen=True)
class Step:
    """``target = layer(source)``: tensors are named by any hashable key."""

    layer: LayerSpec
    source: Hashable
    target: Hashable


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


def activation_name(fn) -> str:
    """The name of a Keras activation given as a config string, a function or ``None``."""
    if fn is None:
        return "linear"
    return fn if isinstance(fn, str) else getattr(fn, "__name__", "")


def _activation(fn) -> Op:
    name = activation_name(fn)
    if name not in _ACTIVATIONS:
        raise Unsupported(f"activation {name or fn!r}")
    return _ACTIVATIONS[name]


def _weights(spec: LayerSpec, shapes: list[tuple]) -> list[Array]:
    """The layer's weights, checked against the shapes its config and input imply."""
    got = [tuple(w.shape) for w in spec.weights]
    if got != [tuple(s) for s in shapes]:
        raise Unsupported(f"layer {spec.name}: weights {got} do not fit its config (expected {shapes})")
    return [np.asarray(w, np.float32) for w in spec.weights]


def _pads(kernel: int, padding: str) -> tuple[int, int]:
    if padding == "valid":
        return 0, 0
    before = (kernel - 1) // 2
    return before, kernel - 1 - before


def _check_2d(spec: LayerSpec) -> None:
    cfg, what = spec.config, spec.class_name
    if cfg.get("data_format", "channels_last") != "channels_last":
        raise Unsupported(f"{what}: channels_first")
    if tuple(cfg.get("dilation_rate", (1, 1))) != (1, 1) or cfg.get("groups", 1) != 1:
        raise Unsupported(f"{what}: dilation or groups")
    if cfg.get("padding", "valid") not in ("same", "valid"):
        raise Unsupported(f"{what}: padding {cfg.get('padding')!r}")
    if len(spec.input_shape) != 3:
        raise Unsupported(f"{what} on a {len(spec.input_shape)}-d input")


def _kernel_and_bias(spec: LayerSpec, kernel_shape: tuple, units: int) -> tuple[Array, Array | None]:
    use_bias = spec.config.get("use_bias", True)
    w = _weights(spec, [kernel_shape] + ([(units,)] if use_bias else []))
    return w[0], (w[1] if use_bias else None)


def _conv2d(spec: LayerSpec) -> Op:
    cfg = spec.config
    _check_2d(spec)
    if tuple(cfg["strides"]) != (1, 1):
        raise Unsupported("Conv2D with strides")
    kh, kw = cfg["kernel_size"]
    cin, cout = spec.input_shape[-1], cfg["filters"]
    kernel, bias = _kernel_and_bias(spec, (kh, kw, cin, cout), cout)
    (pt, pb), (pl, pr) = _pads(kh, cfg["padding"]), _pads(kw, cfg["padding"])
    act = _activation(cfg["activation"])
    # Few input channels: gather every window once (im2col) and make one product. Many: one
    # product per kernel tap over a shifted view, which copies far less than a window gather
    # (on the shipped models' layers, 128 pictures: as fast to 6x faster from 16 channels up).
    im2col = cin < 8
    # im2col rows ordered (channel, ky, kx): the order a sliding-window view reshapes to without a transpose
    flat = np.ascontiguousarray(kernel.transpose(2, 0, 1, 3).reshape(cin * kh * kw, cout))

    def run(x: Array) -> Array:
        if kh == kw == 1:
            y = x @ kernel[0, 0]
        else:
            x = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
            n, h, wd = x.shape[0], x.shape[1] - kh + 1, x.shape[2] - kw + 1
            if im2col:
                win = sliding_window_view(x, (kh, kw), axis=(1, 2))  # (N, H, W, C, kh, kw)
                y = (win.reshape(n * h * wd, cin * kh * kw) @ flat).reshape(n, h, wd, cout)
            else:
                y = np.zeros((n, h, wd, cout), np.float32)
                for i in range(kh):
                    for j in range(kw):
                        y += x[:, i:i + h, j:j + wd] @ kernel[i, j]
        if bias is not None:
            y += bias
        return act(y)
    return run


def _conv2d_transpose(spec: LayerSpec) -> Op:
    cfg = spec.config
    _check_2d(spec)
    if cfg.get("output_padding") is not None:
        raise Unsupported("Conv2DTranspose with output_padding")
    kh, kw = cfg["kernel_size"]
    cin, cout = spec.input_shape[-1], cfg["filters"]
    kernel, bias = _kernel_and_bias(spec, (kh, kw, cout, cin), cout)
    sh, sw = cfg["strides"]
    flat = np.ascontiguousarray(kernel.transpose(3, 0, 1, 2).reshape(cin, kh * kw * cout))
    act = _activation(cfg["activation"])
    same = cfg["padding"] == "same"

    def run(x: Array) -> Array:
        n, h, wd, _ = x.shape
        parts = (x.reshape(-1, cin) @ flat).reshape(n, h, wd, kh, kw, cout)
        if (kh, kw) == (sh, sw):  # the tiles do not overlap: lay them side by side
            full = parts.transpose(0, 1, 3, 2, 4, 5).reshape(n, h * kh, wd * kw, cout)
        else:
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
            full = full + bias
        return act(full)
    return run


def _pool(spec: LayerSpec, reduce: Callable) -> Op:
    cfg = spec.config
    _check_2d(spec)
    _weights(spec, [])
    ph, pw = cfg["pool_size"]
    if tuple(cfg["strides"] or (ph, pw)) != (ph, pw) or cfg["padding"] != "valid":
        raise Unsupported("pooling with overlap or padding")

    def run(x: Array) -> Array:  # combine the strided views: faster than reducing a 6-d reshape
        h, w = x.shape[1] // ph * ph, x.shape[2] // pw * pw
        views = [x[:, i:h:ph, j:w:pw] for i in range(ph) for j in range(pw)]
        return reduce(views)
    return run


def _maximum(views: list[Array]) -> Array:
    out = views[0].copy()
    for v in views[1:]:
        np.maximum(out, v, out=out)
    return out


def _mean(views: list[Array]) -> Array:
    out = views[0].copy()
    for v in views[1:]:
        out += v
    return out / np.float32(len(views))


def _upsampling(spec: LayerSpec) -> Op:
    cfg = spec.config
    _check_2d(spec)
    _weights(spec, [])
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


def _batch_norm(spec: LayerSpec) -> Op:
    cfg = spec.config
    axis = cfg["axis"]
    axis = axis if isinstance(axis, int) else (axis[0] if len(axis) == 1 else None)
    rank = len(spec.input_shape) + 1
    if axis not in (-1, rank - 1) or cfg.get("renorm") or cfg.get("synchronized"):
        raise Unsupported("BatchNormalization on a non-channel axis, or with renorm")
    channels = (spec.input_shape[-1],)
    count = bool(cfg["scale"]) + bool(cfg["center"]) + 2
    w = iter(_weights(spec, [channels] * count))
    gamma = next(w) if cfg["scale"] else None
    beta = next(w) if cfg["center"] else None
    mean, var = next(w), next(w)
    mul = 1.0 / np.sqrt(var + cfg["epsilon"])
    if gamma is not None:
        mul = mul * gamma
    add = -mean * mul + (beta if beta is not None else 0.0)
    mul, add = mul.astype(np.float32), add.astype(np.float32)
    return lambda x: x * mul + add


def _dense(spec: LayerSpec) -> Op:
    cfg = spec.config
    if cfg.get("quantization_config") or cfg.get("lora_rank"):
        raise Unsupported("Dense quantised or with LoRA")
    kernel, bias = _kernel_and_bias(spec, (spec.input_shape[-1], cfg["units"]), cfg["units"])
    act = _activation(cfg["activation"])

    def run(x: Array) -> Array:
        y = x @ kernel
        if bias is not None:
            y += bias
        return act(y)
    return run


def _reshape(spec: LayerSpec) -> Op:
    _weights(spec, [])
    target = tuple(spec.config["target_shape"])
    return lambda x: x.reshape((len(x),) + target)


def _flatten(spec: LayerSpec) -> Op:
    _weights(spec, [])
    if spec.config.get("data_format") not in (None, "channels_last"):
        raise Unsupported("Flatten channels_first")
    return lambda x: x.reshape(len(x), -1)


def _relu_layer(spec: LayerSpec) -> Op:
    cfg = spec.config
    _weights(spec, [])
    if cfg.get("max_value") is not None or cfg.get("negative_slope") or cfg.get("threshold"):
        raise Unsupported("ReLU with a cap, slope or threshold")
    return _ACTIVATIONS["relu"]


def _activation_layer(spec: LayerSpec) -> Op:
    _weights(spec, [])
    return _activation(spec.config["activation"])


def _dropout(spec: LayerSpec) -> Op:
    _weights(spec, [])
    return lambda x: x  # inference: Dropout passes its input through


_LAYERS: dict[str, Callable[[LayerSpec], Op]] = {
    "Conv2D": _conv2d,
    "Conv2DTranspose": _conv2d_transpose,
    "MaxPooling2D": lambda s: _pool(s, _maximum),
    "AveragePooling2D": lambda s: _pool(s, _mean),
    "UpSampling2D": _upsampling,
    "BatchNormalization": _batch_norm,
    "Dense": _dense,
    "Activation": _activation_layer,
    "ReLU": _relu_layer,
    "Flatten": _flatten,
    "Reshape": _reshape,
    "Dropout": _dropout,
}
#: The layers this forward pass runs (a ``.keras`` file with any other falls back to TensorFlow).
SUPPORTED_LAYERS = frozenset(_LAYERS)


def _dtype_name(dtype) -> str | None:
    """``"float32"`` from a Keras dtype or dtype-policy config (a string or a serialised policy)."""
    if dtype is None or isinstance(dtype, str):
        return dtype
    if isinstance(dtype, dict) and dtype.get("class_name") == "DTypePolicy":
        return (dtype.get("config") or {}).get("name")
    return getattr(dtype, "name", None)


def _compile_layer(spec: LayerSpec) -> Op:
    if spec.class_name not in _LAYERS:
        raise Unsupported(f"layer {spec.class_name}")
    if _dtype_name(spec.config.get("dtype")) not in (None, "float32"):  # mixed precision, quantised
        raise Unsupported(f"layer {spec.name}: dtype {spec.config.get('dtype')!r}")
    if any(d is None for d in spec.input_shape):
        raise Unsupported(f"layer {spec.name}: input with unknown dimensions")
    try:
        return _LAYERS[spec.class_name](spec)
    except (KeyError, TypeError, ValueError) as exc:  # a config this code does not know how to read
        raise Unsupported(f"layer {spec.name}: {type(exc).__name__} {exc}") from None


def layer_output_shape(spec: LayerSpec) -> tuple:
    """What ``spec``'s layer makes (without the batch axis) from its input shape."""
    try:
        return tuple(_compile_layer(spec)(np.zeros((1,) + tuple(spec.input_shape), np.float32)).shape[1:])
    except (ValueError, IndexError, cv2.error) as exc:
        raise Unsupported(f"layer {spec.name} does not run in numpy ({type(exc).__name__}: {exc})") from None


_blas = None


def _one_blas_thread():
    """Run the products on one BLAS thread. OpenBLAS's threads spin while they wait for each other:
    with other programs busy on a 2-core machine, 3,000 pictures took 4-9 s on two threads and
    1.3-2.5 s on one (the shipped model); a single drawing is too small to share anyway."""
    global _blas
    if _blas is None:
        try:
            from threadpoolctl import ThreadpoolController

            _blas = ThreadpoolController()
        except Exception:  # not installed, or a BLAS it does not know: leave the threads as they are
            _blas = False
    return _blas.limit(limits=1, user_api="blas") if _blas else contextlib.nullcontext()


class NumpyForward:
    """The model's graph as a list of numpy steps; call with the model's input, get name -> array."""

    def __init__(self, steps: list[tuple[Op, Hashable, Hashable]], input_key: Hashable, input_shape: tuple,
                 outputs: dict[str, Hashable], layers: dict[Hashable, tuple[str, str]] | None = None):
        self._steps = steps
        self._input_key = input_key
        self.input_shape = input_shape
        self._outputs = outputs
        self.layers = layers or {}  # tensor -> (the layer that makes it, its class name)

    @property
    def output_names(self) -> list[str]:
        return list(self._outputs)

    def _values(self, x: Array) -> dict[Hashable, Array]:
        """Every tensor for input ``x``, the input included."""
        values = {self._input_key: np.asarray(x, np.float32).reshape((-1,) + self.input_shape)}
        with _one_blas_thread():
            for op, src, dst in self._steps:
                values[dst] = op(values[src])
        return values

    def __call__(self, x: Array) -> dict[str, Array]:
        values = self._values(x)
        return {name: values[key] for name, key in self._outputs.items()}

    def only(self, names: list[str]) -> "NumpyForward":
        """The same model computing just ``names``' outputs (no decoder when only the digit is needed)."""
        needed, steps = {self._outputs[n] for n in names}, []
        for op, src, dst in reversed(self._steps):
            if dst in needed:
                steps.append((op, src, dst))
                needed.add(src)
        return NumpyForward(steps[::-1], self._input_key, self.input_shape, {n: self._outputs[n] for n in names},
                            self.layers)

    def trace(self, x: Array) -> tuple[dict[str, Array], dict[str, tuple[str, Array]]]:
        """The outputs and every layer's output on the way: ``layer name -> (class name, array)``."""
        values = self._values(x)
        layers = {name: (kind, values[key]) for key, (name, kind) in self.layers.items()}
        return {name: values[key] for name, key in self._outputs.items()}, layers

    def reads(self, output: str) -> str | None:
        """The layer whose output the layer making ``output`` reads (a classifier's penultimate layer)."""
        made_by = {d: s for _, s, d in self._steps}
        src = made_by.get(self._outputs.get(output))
        while src in made_by and self.layers.get(src, ("", ""))[1] == "Dropout":  # inference passes it through
            src = made_by[src]
        return self.layers.get(src, (None,))[0]

    def shapes(self, x: Array) -> dict[Hashable, tuple]:
        """Every tensor's shape (without the batch axis) for input ``x``."""
        return {key: v.shape[1:] for key, v in self._values(x).items()}


def compile_graph(steps: list[Step], input_key: Hashable, input_shape: tuple, outputs: dict[str, Hashable],
                  declared: dict[Hashable, tuple] | None = None) -> NumpyForward:
    """A :class:`NumpyForward` for ``steps`` (in an order where each reads what is computed before).

    ``declared``: the shapes Keras recorded for tensors; a zero picture is run through and every
    shape must match, so a layer this code reads differently from Keras is caught here.
    Raises :class:`Unsupported` for anything not reproduced exactly.
    """
    input_shape = tuple(input_shape)
    if not input_shape or any(d is None for d in input_shape):
        raise Unsupported("input with unknown dimensions")
    known, ops = {input_key}, []
    for step in steps:
        if step.source not in known:  # every step must read something already computed
            raise Unsupported("graph order not understood")
        if step.target in known:
            raise Unsupported(f"tensor of layer {step.layer.name} computed twice")
        ops.append((_compile_layer(step.layer), step.source, step.target))
        known.add(step.target)
    if not outputs or any(key not in known for key in outputs.values()):
        raise Unsupported("graph outputs not understood")
    forward = NumpyForward(ops, input_key, input_shape, outputs,
                           {step.target: (step.layer.name, step.layer.class_name) for step in steps})
    try:
        shapes = forward.shapes(np.zeros((1,) + input_shape, np.float32))
    except (ValueError, IndexError, cv2.error) as exc:
        raise Unsupported(f"the graph does not run in numpy ({type(exc).__name__}: {exc})") from None
    for key, shape in (declared or {}).items():
        if key in shapes and tuple(shapes[key]) != tuple(shape):
            raise Unsupported(f"tensor {key!r}: numpy gives shape {tuple(shapes[key])}, Keras says {tuple(shape)}")
    return forward


def _shape(tensor) -> tuple:
    return tuple(None if d is None else int(d) for d in tensor.shape[1:])


def compile_model(model) -> NumpyForward:
    """The numpy forward pass of a live Keras model. Raises :class:`Unsupported` unless every
    layer is one this module reproduces."""
    if not hasattr(model, "layers") or len(getattr(model, "inputs", None) or []) != 1:
        raise Unsupported("not a single-input Keras model")
    input_key = id(model.inputs[0])
    steps, declared = [], {}
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
        spec = LayerSpec(layer.name, kind, layer.get_config(), tuple(layer.get_weights()), _shape(src))
        steps.append(Step(spec, id(src), id(dst)))
        declared[id(dst)] = _shape(dst)
    out = model.output
    if isinstance(out, dict):
        outputs = {name: id(t) for name, t in out.items()}
    else:
        tensors = list(out) if isinstance(out, (list, tuple)) else [out]
        outputs = {name: id(t) for name, t in zip(model.output_names, tensors)}
    return compile_graph(steps, input_key, _shape(model.inputs[0]), outputs, declared)
