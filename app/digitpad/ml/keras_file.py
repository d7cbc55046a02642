"""Reading a ``.keras`` file without TensorFlow: its graph and weights, as numpy steps.

A ``.keras`` file is a zip of ``metadata.json``, ``config.json`` (the model's config: for a
functional model, its layers in order, each with ``class_name``, ``config`` and the tensors it
reads) and ``model.weights.h5``. Keras writes each layer's weights, in the order of the model's
``layers``, to ``layers/<class name in snake case>[_<n>]/vars/<i>``, where ``_<n>`` counts earlier
layers of the same class (``keras/src/saving/saving_lib.py``: ``_save_container_state``, with
``_get_unique_name`` and ``naming.to_snake_case``); newer files also record the layer's name on
its ``vars`` group, which is checked when present.

Nothing in the file runs: only the layers :mod:`digitpad.ml.numpy_forward` implements are
accepted, with their standard Keras classes. Anything else (a custom or ``Lambda`` layer, a
nested model, a layer used twice, mixed precision, an older file layout) raises
:class:`~digitpad.ml.numpy_forward.Unsupported`, and the caller loads the file with TensorFlow.
"""
from __future__ import annotations

import io
import json
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .numpy_forward import (SUPPORTED_LAYERS, LayerSpec, NumpyForward, Step, Unsupported, compile_graph,
                            layer_output_shape)

CONFIG = "config.json"
METADATA = "metadata.json"
WEIGHTS = "model.weights.h5"
#: Keyword arguments a layer call may carry in the file without changing what it computes.
_HARMLESS_CALL_KWARGS = {"training": (None, False), "mask": (None,)}


@dataclass(frozen=True)
class KerasFileModel:
    """A ``.keras`` model read without TensorFlow, ready to run in numpy."""

    name: str
    forward: NumpyForward
    input_shape: tuple  # without the batch axis
    output_layers: dict[str, LayerSpec | None]  # output name -> the layer that computes it
    parameters: int  # every weight, as Keras's count_params()

    @property
    def output_names(self) -> list[str]:
        return self.forward.output_names


class _Graph(NamedTuple):
    """Which tensor each layer reads, by layer name (each layer makes one tensor, named after it)."""

    input_name: str
    input_shape: tuple
    reads: dict[str, tuple[str, tuple | None]]  # layer -> (the tensor it reads, that tensor's shape)
    outputs: dict[str, str]  # output name -> the layer that makes it
    declared: dict[str, tuple]  # tensor -> the shape Keras recorded for it


def snake_case(class_name: str) -> str:
    """Keras's ``naming.to_snake_case``: ``Conv2DTranspose`` -> ``conv2d_transpose``."""
    name = re.sub(r"\W+", "", class_name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def read_keras_file(path: str | os.PathLike) -> KerasFileModel:
    """Read ``path`` (a ``.keras`` zip) into a numpy forward pass.

    Raises :class:`Unsupported` for anything this reader does not reproduce exactly, including a
    damaged file: the TensorFlow loader then decides, and names the problem.
    """
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if CONFIG not in names or WEIGHTS not in names:  # sharded weights, or not a Keras 3 file
                raise Unsupported(f"the archive holds {sorted(names)}, not {CONFIG} and {WEIGHTS}")
            if METADATA in names:
                version = str(json.loads(archive.read(METADATA)).get("keras_version", ""))
                if not version.startswith("3."):
                    raise Unsupported(f"saved by Keras {version or 'of unknown version'}")
            config = json.loads(archive.read(CONFIG))
            weights = archive.read(WEIGHTS)
    except (OSError, zipfile.BadZipFile, ValueError, RecursionError, AttributeError) as exc:
        raise Unsupported(f"cannot read the archive ({type(exc).__name__}: {exc})") from None
    if not isinstance(config, dict):
        raise Unsupported("config.json is not an object")
    try:
        return _model(config, weights)
    except Unsupported:
        raise
    except Exception as exc:  # a config or weights file shaped unlike any Keras writes
        raise Unsupported(f"config not understood ({type(exc).__name__}: {exc})") from None


def _model(config: dict, weights: bytes) -> KerasFileModel:
    kind, registered = config.get("class_name"), config.get("registered_name")
    if registered not in (None, kind) or config.get("module") not in (
            "keras.src.models.functional", "keras.src.models.sequential", "keras", "keras.models"):
        raise Unsupported(f"model class {registered or kind} from {config.get('module')}")
    body = config["config"]
    if kind == "Functional":
        layers, graph = _functional(body)
    elif kind == "Sequential":
        layers, graph = _sequential(body)
    else:
        raise Unsupported(f"model class {kind}")
    for layer in layers:
        if layer.get("registered_name") not in (None, layer["class_name"]) or layer.get("module") != "keras.layers":
            raise Unsupported(f"layer {layer.get('name')}: {layer.get('registered_name') or layer['class_name']} "
                              f"from {layer.get('module')}")
        if layer["class_name"] != "InputLayer" and layer["class_name"] not in SUPPORTED_LAYERS:
            raise Unsupported(f"layer {layer['class_name']}")
    # a Sequential model's ``layers`` (whose order names the weights) leave its input layer out
    stored = _read_weights(weights, [layer for layer in layers if kind == "Functional"
                                     or layer["class_name"] != "InputLayer"])
    by_name = {layer["config"]["name"]: layer for layer in layers}
    if kind == "Sequential":
        graph = _sequential_shapes(graph, by_name, stored)
    specs = {name: LayerSpec(name, by_name[name]["class_name"], by_name[name]["config"], tuple(stored[name]),
                             tuple(shape))
             for name, (_, shape) in graph.reads.items()}
    steps = [Step(specs[name], source, name) for name, (source, _) in graph.reads.items()]
    forward = compile_graph(steps, graph.input_name, graph.input_shape, graph.outputs, graph.declared)
    return KerasFileModel(str(body.get("name", "")), forward, graph.input_shape,
                          {out: specs.get(layer) for out, layer in graph.outputs.items()},
                          int(sum(w.size for ws in stored.values() for w in ws)))


def _tensor_shape(shape) -> tuple:
    shape = list(shape)
    return tuple(None if d is None else int(d) for d in shape[1:])


def _input_layer(layer: dict) -> tuple:
    cfg = layer["config"]
    if cfg.get("sparse") or cfg.get("ragged") or cfg.get("dtype", "float32") != "float32":
        raise Unsupported("input that is sparse, ragged or not float32")
    return _tensor_shape(cfg["batch_shape"])


def _history(tensor) -> str:
    """The layer a serialised tensor comes from (its only output, from its only call)."""
    if not isinstance(tensor, dict) or tensor.get("class_name") != "__keras_tensor__":
        raise Unsupported("a layer reads something other than one tensor")
    layer, node, index = tensor["config"]["keras_history"]
    if node != 0 or index != 0:
        raise Unsupported(f"a layer reads output {index} of call {node} of {layer}")
    return layer


def _functional(body: dict):
    layers = body["layers"]
    inputs = body["input_layers"]
    if isinstance(inputs, list) and len(inputs) == 1 and isinstance(inputs[0], list):
        inputs = inputs[0]
    if not (isinstance(inputs, list) and len(inputs) == 3 and isinstance(inputs[0], str)):
        raise Unsupported("not a single-input model")
    input_name = inputs[0]
    input_shape, steps, declared = None, {}, {}
    for layer in layers:
        name = layer["config"]["name"]
        if layer.get("name", name) != name or name in steps:
            raise Unsupported(f"layer {name} named twice")
        nodes = layer.get("inbound_nodes") or []
        if layer["class_name"] == "InputLayer":
            if name != input_name or nodes:
                raise Unsupported(f"extra input {name}")
            input_shape = _input_layer(layer)
            continue
        if len(nodes) != 1:
            raise Unsupported(f"layer {name} called {len(nodes)} times")
        args, kwargs = nodes[0].get("args", []), nodes[0].get("kwargs", {})
        if len(args) != 1 or any(kwargs.get(k) not in _HARMLESS_CALL_KWARGS.get(k, ()) for k in kwargs):
            raise Unsupported(f"layer {name} called with {len(args)} arguments and {sorted(kwargs)}")
        source, shape = _history(args[0]), _tensor_shape(args[0]["config"]["shape"])
        steps[name] = (source, shape)
        declared[source] = shape
    if input_shape is None:
        raise Unsupported("no input layer")
    raw = body["output_layers"]
    if isinstance(raw, dict):
        outputs = {key: _history({"class_name": "__keras_tensor__", "config": {"keras_history": raw[key]}})
                   for key in sorted(raw)}  # Keras flattens a dict of outputs in key order
        if any(key != layer for key, layer in outputs.items()):  # Keras names outputs by their layers
            raise Unsupported("outputs named unlike their layers")
    else:
        raw = [raw] if raw and isinstance(raw[0], str) else raw
        outputs = {}
        for item in raw:
            layer = _history({"class_name": "__keras_tensor__", "config": {"keras_history": item}})
            if layer in outputs:
                raise Unsupported(f"output {layer} listed twice")
            outputs[layer] = layer
    return layers, _Graph(input_name, input_shape, steps, outputs, declared)


def _sequential(body: dict):
    layers = body["layers"]
    if not layers or layers[0]["class_name"] != "InputLayer":
        raise Unsupported("a Sequential model without an input layer")
    input_name = layers[0]["config"]["name"]
    steps, previous = {}, input_name
    for layer in layers[1:]:
        name = layer["config"]["name"]
        if name in steps or name == input_name:
            raise Unsupported(f"layer {name} named twice")
        steps[name] = (previous, None)  # shapes: see _sequential_shapes
        previous = name
    if not steps:
        raise Unsupported("a Sequential model without layers")
    # a Sequential model names no outputs; the TensorFlow recogniser calls its one output "output_0"
    return layers, _Graph(input_name, _input_layer(layers[0]), steps, {"output_0": previous}, {})


def _sequential_shapes(graph: _Graph, by_name: dict, stored: dict) -> _Graph:
    """A Sequential config records no tensor shapes: each layer reads what the one before made."""
    reads, shape = {}, graph.input_shape
    for name, (source, _) in graph.reads.items():
        layer = by_name[name]
        reads[name] = (source, shape)
        shape = layer_output_shape(LayerSpec(name, layer["class_name"], layer["config"], tuple(stored[name]), shape))
    return graph._replace(reads=reads)


def _read_weights(data: bytes, layers: list[dict]) -> dict[str, list[np.ndarray]]:
    """Each layer's weights, by layer name, found where Keras's saving code puts them."""
    import h5py  # imported here: only a .keras file needs it

    try:
        h5 = h5py.File(io.BytesIO(data), "r")
    except OSError as exc:
        raise Unsupported(f"{WEIGHTS} is not readable ({exc})") from None
    with h5:
        if "layers" not in h5:
            raise Unsupported(f"{WEIGHTS} has no 'layers' group (an older Keras layout)")
        groups = h5["layers"]
        counts: dict[str, int] = {}
        found, used = {}, set()
        for layer in layers:
            base = snake_case(layer["class_name"])
            group = base if base not in counts else f"{base}_{counts[base] + 1}"
            counts[base] = counts.get(base, -1) + 1
            name = layer["config"]["name"]
            values = []
            if group in groups:
                used.add(group)
                node = groups[group]
                if set(node) - {"vars"}:  # nested saveables: a layer with sub-layers or its own state
                    raise Unsupported(f"layer {name} stores {sorted(node)}")
                variables = node.get("vars")
                if variables is not None:
                    recorded = variables.attrs.get("name")
                    recorded = recorded.decode() if isinstance(recorded, bytes) else recorded
                    if recorded is not None and str(recorded) != name:
                        raise Unsupported(f"weights of {recorded} found where {name}'s were expected")
                    keys = sorted(variables, key=lambda k: int(k) if str(k).isdigit() else -1)
                    if keys != [str(i) for i in range(len(keys))]:
                        raise Unsupported(f"layer {name} stores {keys}")
                    for key in keys:
                        dataset = variables[key]
                        kind = dataset.attrs.get("dtype") or dataset.dtype  # Keras marks bfloat16 in an attribute
                        if dataset.attrs.get("dtype") is not None or dataset.dtype.kind != "f":
                            raise Unsupported(f"layer {name}: weights of type {kind}")
                        values.append(np.asarray(dataset[()], np.float32))
            found[name] = values
        unused = [g for g in groups if g not in used and len(groups[g].get("vars", {})) > 0]
        if unused:
            raise Unsupported(f"{WEIGHTS} holds weights for no layer of the config: {unused}")
    return found
