"""Looking inside a model at one drawing: its feature maps, what drove its answer, and where its
latent code sits among MNIST's test digits.

Everything runs through the recogniser's own forward pass (numpy for the shipped models), so it
needs no TensorFlow, and nothing is computed until the Inside panel or ``digitpad explain`` asks.

Saliency is occlusion, not gradients: each patch of ink is blanked in turn and the drop in the
digit's log-odds is spread over the ink it held. It is what the model does with the ink
removed (faithful by construction, for any model, no gradients needed) and, blanking only
patches that hold ink, it costs a few dozen forward passes.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .numpy_forward import Unsupported

#: Occlusion patch and stride in model-input pixels: 6x6 patches every 4 px (5x5 every 3 px gave
#: much the same maps, correlation 0.91, for 25% more time).
PATCH, STRIDE = 6, 4
#: Principal components kept of the latent codes: the first two are the map, all of them find neighbours.
COMPONENTS = 32
NEIGHBOURS = 8
MAP_VERSION = 2
#: Pictures per forward pass while a map is built: the worker answers drawings between chunks.
MAP_CHUNK = 100


@dataclass(frozen=True)
class Layer:
    name: str
    kind: str  # the Keras class, "Conv2D"
    shape: tuple  # (H, W, C)


def spatial_layers(layers: dict[str, tuple[str, np.ndarray]]) -> list[Layer]:
    """The layers whose output is a stack of 2-D maps, in the model's order."""
    return [Layer(name, kind, tuple(a.shape[1:])) for name, (kind, a) in layers.items() if a.ndim == 4]


def conv_layers(layers: list[Layer]) -> list[Layer]:
    """The feature maps worth showing: convolutions' outputs after their activation (``enc2_relu``
    rather than ``enc2_conv`` when a batch norm and an activation follow), pools and the
    reconstruction left out."""
    shown = [l for l in layers if l.kind in ("Conv2D", "Conv2DTranspose", "Activation", "ReLU")
             and l.shape[-1] > 1]
    names = {l.name for l in shown}
    # a conv followed by its norm and activation: show the activation only
    return [l for l in shown if not (l.kind == "Conv2D" and l.name.endswith("_conv")
                                     and l.name.removesuffix("_conv") + "_relu" in names)] or layers


@dataclass(frozen=True)
class Inside:
    """One picture seen from inside: every spatial layer's maps and the model's outputs."""

    image: np.ndarray  # (28, 28) model input
    probabilities: np.ndarray  # (10,)
    reconstruction: np.ndarray | None
    layers: list[Layer]  # the feature-map layers, in order
    maps: dict[str, np.ndarray]  # layer name -> (H, W, C)
    code: np.ndarray | None  # the latent code (flattened), when the model has a map layer


def code_layer(layers: list[Layer], has_reconstruction: bool, penultimate: str | None) -> tuple[str, str] | None:
    """Which layer places a drawing on the map, and what it is: the autoencoder's bottleneck (the
    smallest stack of maps below the input's resolution), or, for a classifier-only model, the
    layer its classifier reads."""
    if has_reconstruction:
        below = [l for l in layers if l.shape[0] * l.shape[1] < 28 * 28]
        if below:
            best = min(below, key=lambda l: int(np.prod(l.shape)))
            return best.name, "autoencoder code"
    if penultimate:
        return penultimate, "penultimate layer (the model has no decoder)"
    return None


def look_inside(rec, image: np.ndarray, code: str | None = None) -> Inside:
    """Every layer's output for one model input ``image`` (28, 28)."""
    x = np.asarray(image, np.float32).reshape(1, 28, 28)
    out, traced = rec.trace(x)
    layers = spatial_layers(traced)
    maps = {l.name: traced[l.name][1][0] for l in layers}
    vector = traced[code][1][0].reshape(-1) if code in traced else None
    return Inside(x[0], out["digit"][0], out["reconstruction"][0] if "reconstruction" in out else None,
                  conv_layers(layers), maps, vector)


# ------------------------------------------------------------------------------------------ saliency
def log_odds(probabilities: np.ndarray) -> np.ndarray:
    """log p / (1 - p) per class, with 1 - p summed from the other classes: a confident answer's
    p rounds to 1.0 in float32, its rivals' tiny probabilities do not."""
    p = np.clip(np.asarray(probabilities, np.float64), 1e-300, None)
    return np.log(p) - np.log(np.clip(p.sum(axis=-1, keepdims=True) - p, 1e-300, None))


def occlusion(rec, image: np.ndarray, target: int, patch: int = PATCH, stride: int = STRIDE) -> np.ndarray:
    """(28, 28) map: how much each pixel's ink speaks for ``target`` (positive) or against it
    (negative), in log-odds. A patch without ink changes nothing and is not run."""
    def log_probs(x: np.ndarray) -> np.ndarray:
        return log_odds(rec.class_probabilities(x))
    x = np.asarray(image, np.float32).reshape(28, 28)
    starts = sorted(set(range(0, 28 - patch + 1, stride)) | {28 - patch})
    boxes = [(r, c) for r in starts for c in starts if x[r:r + patch, c:c + patch].sum() > 1e-6]
    saliency = np.zeros((28, 28), np.float32)
    if not boxes:
        return saliency
    batch = np.repeat(x[None], len(boxes), axis=0)
    for i, (r, c) in enumerate(boxes):
        batch[i, r:r + patch, c:c + patch] = 0.0
    base = log_probs(x[None])[0, target]
    drops = base - log_probs(batch)[:, target]
    cover = np.zeros((28, 28), np.float32)
    for r in starts:
        for c in starts:
            cover[r:r + patch, c:c + patch] += 1
    for (r, c), drop in zip(boxes, drops):
        ink = x[r:r + patch, c:c + patch]
        saliency[r:r + patch, c:c + patch] += drop * ink / ink.sum()  # the drop, shared by the ink removed
    return saliency * (patch * patch) / cover


# ------------------------------------------------------------------------------------------- the map
@dataclass(frozen=True)
class LatentMap:
    """MNIST test's latent codes, reduced to their principal components; the first two are the map."""

    layer: str
    kind: str
    mean: np.ndarray  # (D,)
    basis: np.ndarray  # (D, K)
    coords: np.ndarray  # (N, K)
    labels: np.ndarray  # (N,)
    images: np.ndarray  # (N, 28, 28) uint8, for the neighbours' thumbnails
    explained: np.ndarray  # (K,) share of the codes' variance along each component
    fingerprint: str
    view: np.ndarray  # (K, 2): the components to the map's plane, the one that keeps the digits apart

    def xy(self, placed: np.ndarray) -> np.ndarray:
        """Map coordinates of component coordinates (one point or many)."""
        return np.asarray(placed, np.float32) @ self.view

    def place(self, code: np.ndarray) -> np.ndarray:
        return (np.asarray(code, np.float32).reshape(-1) - self.mean) @ self.basis

    def neighbours(self, placed: np.ndarray, n: int = NEIGHBOURS) -> np.ndarray:
        """Indices of the ``n`` nearest MNIST test digits, nearest first."""
        d = np.sum(np.square(self.coords - placed), axis=1)
        near = np.argpartition(d, n)[:n]
        return near[np.argsort(d[near])]


def principal_components(codes: np.ndarray, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean, basis (D, k), explained shares): a randomized SVD, fast for wide codes."""
    x = np.asarray(codes, np.float64)
    mean = x.mean(0)
    xc = x - mean
    k = min(k, *xc.shape)
    q = xc @ np.random.default_rng(seed).standard_normal((xc.shape[1], min(k + 10, xc.shape[1])))
    for _ in range(3):  # power iterations sharpen the leading components
        q, _ = np.linalg.qr(xc @ (xc.T @ np.linalg.qr(q)[0]))
    _, s, vt = np.linalg.svd(q.T @ xc, full_matrices=False)
    total = float(np.sum(np.square(xc)))
    return (mean.astype(np.float32), vt[:k].T.astype(np.float32),
            (np.square(s[:k]) / total if total else np.zeros(k)).astype(np.float32))


def discriminant_plane(coords: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(K, 2): Fisher's two linear discriminants of ``coords``, the plane where the digits lie
    furthest apart for their spread. On the default model's codes of MNIST test, a digit's 8
    nearest neighbours in it share its label 69% of the time, against 47% on the first two
    principal components (UMAP: 99%, for 450 MB of dependencies and 80-100 s of compiling the
    first time; bench notes in the README)."""
    x = np.asarray(coords, np.float64)
    classes = [c for c in np.unique(labels) if (labels == c).sum() > 1]
    if len(classes) < 3:  # too few digits for a plane: the first two components
        return np.eye(x.shape[1], 2, dtype=np.float32)
    centre = x.mean(0)
    means = np.stack([x[labels == c].mean(0) for c in classes])
    within = sum((x[labels == c] - m).T @ (x[labels == c] - m) for c, m in zip(classes, means))
    between = ((means - centre).T * np.array([(labels == c).sum() for c in classes])) @ (means - centre)
    values, vectors = np.linalg.eig(np.linalg.solve(within + 1e-6 * np.trace(within) * np.eye(len(within)), between))
    plane = vectors[:, np.argsort(-values.real)[:2]].real
    return (plane / np.linalg.norm(plane, axis=0)).astype(np.float32)


class MapBuilder:
    """Builds a :class:`LatentMap` a chunk at a time, so the worker can answer drawings in between."""

    def __init__(self, rec, images: np.ndarray, labels: np.ndarray, fingerprint: str):
        from ..core.preprocess import to_mnist_batch

        self.rec = rec
        self.raw = np.asarray(images, np.uint8)
        self.labels = np.asarray(labels, np.uint8)
        self.fingerprint = fingerprint
        self._prepare = lambda chunk: to_mnist_batch(chunk, rec.info.preprocessing)[0]  # a chunk per step
        _, traced = rec.trace(self._prepare(self.raw[:1]))
        picked = code_layer(spatial_layers(traced), rec.has_reconstruction, rec.penultimate)
        if picked is None:
            raise Unsupported("no layer to place drawings by")
        self.layer, self.kind = picked
        self._codes: list[np.ndarray] = []

    @property
    def done(self) -> int:
        return sum(len(c) for c in self._codes)

    @property
    def total(self) -> int:
        return len(self.raw)

    def step(self) -> bool:
        """One chunk; True when every code is in."""
        start = self.done
        if start < self.total:
            _, traced = self.rec.trace(self._prepare(self.raw[start:start + MAP_CHUNK]))
            codes = traced[self.layer][1]
            self._codes.append(codes.reshape(len(codes), -1).astype(np.float32))
        return self.done >= self.total

    def result(self) -> LatentMap:
        """The map, saved to the model's cache when the model has a file (see :func:`write_cache`)."""
        codes = np.concatenate(self._codes)
        mean, basis, explained = principal_components(codes, COMPONENTS)
        coords = ((codes - mean) @ basis).astype(np.float32)
        latent = LatentMap(self.layer, self.kind, mean, basis, coords, self.labels, self.raw, explained,
                           self.fingerprint, discriminant_plane(coords, self.labels))
        if self.rec.path is not None:
            write_cache(self.rec.path, latent)
        return latent


def cached_or_builder(rec, mnist: str | os.PathLike | None = None) -> "LatentMap | MapBuilder":
    """The map of MNIST test (``mnist``: where MNIST is; never downloaded) for this model from its
    cache, else a :class:`MapBuilder` to make it. Raises ``DataNotFoundError`` without MNIST and
    :class:`Unsupported` when the model has no layer to place drawings by."""
    from ..core.labelled_sets import mnist_test

    data = mnist_test(mnist, allow_download=False)
    print_ = fingerprint(rec.path, data.images, data.labels) if rec.path is not None else ""
    cached = read_cached(rec.path, print_) if rec.path is not None else None
    return cached if cached is not None else MapBuilder(rec, data.images, data.labels, print_)


def fingerprint(model_path: str | os.PathLike, images: np.ndarray, labels: np.ndarray) -> str:
    """The model file's bytes (every file of a folder model) and the digits mapped."""
    h = hashlib.sha256(f"digitpad-latent-map/{MAP_VERSION}/{COMPONENTS}".encode())
    path = Path(model_path)
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for f in files:
        h.update(str(f.relative_to(path)).encode() if path.is_dir() else b"")
        with open(f, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    h.update(np.ascontiguousarray(images).tobytes())
    h.update(np.ascontiguousarray(labels).tobytes())
    return h.hexdigest()


def cache_paths(model_path: str | os.PathLike, print_: str) -> list[Path]:
    """Beside the model, else (a read-only folder, a bundle) in the user's cache."""
    from ..core.training_data import cache_dir

    path = Path(model_path)
    return [path.with_name(path.name + ".latent-map.npz"), cache_dir() / f"latent-map-{print_[:24]}.npz"]


_FIELDS = ("layer", "kind", "mean", "basis", "coords", "labels", "images", "explained", "fingerprint", "view")


def read_cached(model_path: str | os.PathLike, print_: str) -> LatentMap | None:
    """The cached map if one was made from these very bytes; anything else (another model's map, a
    damaged or foreign file) is ignored and will be rebuilt. ``allow_pickle`` stays off: nothing runs."""
    for path in cache_paths(model_path, print_):
        try:
            with np.load(path, allow_pickle=False) as data:
                if str(data["fingerprint"]) != print_ or int(data["version"]) != MAP_VERSION:
                    continue
                fields = {k: data[k] for k in _FIELDS}
        except Exception:  # noqa: BLE001 - missing, truncated (BadZipFile), foreign: rebuilt, not trusted
            continue
        for key in ("layer", "kind", "fingerprint"):
            fields[key] = str(fields[key])
        m = LatentMap(**fields)
        n = len(m.labels)
        if (m.coords.shape != (n, m.basis.shape[1]) or m.images.shape != (n, 28, 28)
                or m.mean.shape != m.basis.shape[:1] or m.view.shape != (m.basis.shape[1], 2)):
            continue
        return m
    return None


def write_cache(model_path: str | os.PathLike, latent: LatentMap) -> Path | None:
    """Saved where it can be (atomically); None if nowhere is writable (the map still works, unsaved)."""
    from ..core.atomic_file import atomic_path
    from ..core.errors import WriteError

    for path in cache_paths(model_path, latent.fingerprint):
        try:
            with atomic_path(path) as tmp, open(tmp, "wb") as fh:
                np.savez_compressed(fh, version=MAP_VERSION, **{k: getattr(latent, k) for k in _FIELDS})
            return path
        except (OSError, WriteError):
            continue
    return None


# ------------------------------------------------------------------------------------ one drawing
@dataclass(frozen=True)
class Explanation:
    """What the Inside panel and ``digitpad explain`` show for one drawing."""

    inside: Inside
    layer: str | None  # the feature-map layer shown
    target: int  # the digit the saliency is for
    saliency: np.ndarray | None  # (28, 28); None when it was not asked for
    placed: np.ndarray | None  # the drawing's map coordinates (all components), if there is a map
    neighbours: np.ndarray | None  # indices into the map's digits, nearest first
    answer: int  # the digit the drawing was read as


def explain(rec, image: np.ndarray, layer: str | None = None, target: int | None = None,
            latent: LatentMap | None = None, saliency: bool = True, answer: int | None = None) -> Explanation:
    """``layer``: the feature maps to show (default: the first); ``target``: the digit the
    saliency is for (default: the answer). ``answer``: the digit the drawing was read as, when
    that is not this picture's own reading (an ink read at several widths); by default it is."""
    ins = look_inside(rec, image, latent.layer if latent is not None else None)
    names = [l.name for l in ins.layers]
    layer = layer if layer in names else (names[0] if names else None)
    answer = int(np.argmax(ins.probabilities)) if answer is None else int(answer)
    target = answer if target is None else int(target)
    placed = near = None
    if latent is not None and ins.code is not None and ins.code.size == latent.mean.size:
        placed = latent.place(ins.code)
        near = latent.neighbours(placed)
    return Explanation(ins, layer, target, occlusion(rec, ins.image, target) if saliency else None, placed, near,
                       answer)
