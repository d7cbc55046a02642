"""Looking inside models: feature maps, occlusion saliency, the MNIST map and its cache."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from digitpad.core.inside_pictures import mosaic, saliency_overlay, tile_at
from digitpad.ml import inside
from digitpad.ml.numpy_recognizer import load_recognizer

ROOT = Path(__file__).resolve().parents[2]
REGION = (slice(3, 11), slice(3, 11))  # the toy model's class 3 reads only these pixels


def _drawing() -> np.ndarray:
    x = np.zeros((28, 28), np.float32)
    x[5:9, 4:10] = 1.0  # ink inside the region
    x[18:24, 17:22] = 1.0  # ink far from it: more than a patch away
    return x


@pytest.fixture(scope="module")
def toy_model(tmp_path_factory) -> Path:
    """Class 3's logit is twice the ink in REGION; every other logit is 0."""
    import keras

    inp = keras.Input((28, 28, 1))
    flat = keras.layers.Flatten()(inp)
    digit = keras.layers.Dense(10, activation="softmax", name="digit")(flat)
    model = keras.Model(inp, {"digit": digit})
    w = np.zeros((784, 10), np.float32)
    mask = np.zeros((28, 28), np.float32)
    mask[REGION] = 2.0
    w[:, 3] = mask.reshape(-1)
    model.get_layer("digit").set_weights([w, np.zeros(10, np.float32)])
    path = tmp_path_factory.mktemp("toy") / "toy.keras"
    model.save(path)
    return path


def test_saliency_lies_on_the_ink_the_answer_reads_with_the_right_sign(toy_model):
    rec = load_recognizer(toy_model)
    x = _drawing()
    assert rec.predict(x[None]).probabilities[0].argmax() == 3
    why = inside.occlusion(rec, x, 3)
    inside_region = np.zeros((28, 28), bool)
    inside_region[REGION] = True
    assert why[inside_region].sum() > 0  # the region's ink speaks for 3
    assert np.all(why[~inside_region] == 0)  # ink the model never reads gets nothing
    assert np.all(why[x == 0] == 0)  # nor does blank paper
    why_not = inside.occlusion(rec, x, 5)
    assert why_not[inside_region].sum() < 0  # that ink is why it is not a 5
    assert np.all(why_not[~inside_region] == 0)


def test_saliency_of_a_blank_picture_is_zero(toy_model):
    rec = load_recognizer(toy_model)
    assert not inside.occlusion(rec, np.zeros((28, 28), np.float32), 3).any()


@pytest.mark.parametrize("name, first, code", [("digitpad-default", ("enc_stem", (28, 28, 32)), "dec_squeeze"),
                                               ("paper", ("enc_conv1", (28, 28, 32)), "enc_pool2")])
def test_feature_maps_of_the_shipped_models(name, first, code):
    rec = load_recognizer(ROOT / "models" / f"{name}.keras")
    ins = inside.look_inside(rec, _drawing(), code)
    assert (ins.layers[0].name, ins.layers[0].shape) == first
    for layer in ins.layers:
        assert ins.maps[layer.name].shape == layer.shape
    _, traced = rec.trace(_drawing()[None])
    assert ins.code.size == traced[code][1][0].size
    assert inside.code_layer(inside.spatial_layers(traced), rec.has_reconstruction, rec.penultimate)[0] == code
    assert rec.penultimate == "cls_hidden"


def test_a_custom_classifier_maps_by_its_penultimate_layer_and_says_so(tmp_path):
    import keras

    inp = keras.Input((28, 28, 1))
    x = keras.layers.Conv2D(6, 3, activation="relu", name="c1")(inp)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Flatten()(x)
    h = keras.layers.Dense(12, activation="relu", name="features")(x)
    out = keras.layers.Dense(10, activation="softmax", name="digit")(h)
    path = tmp_path / "custom.keras"
    keras.Model(inp, out).save(path)
    rec = load_recognizer(path)
    ins = inside.look_inside(rec, _drawing(), "features")
    assert [(l.name, l.shape) for l in ins.layers] == [("c1", (26, 26, 6))]
    assert ins.code.shape == (12,)
    _, traced = rec.trace(_drawing()[None])
    layer, kind = inside.code_layer(inside.spatial_layers(traced), rec.has_reconstruction, rec.penultimate)
    assert layer == "features" and "no decoder" in kind


def _small_map(rec, model_path, n=300):
    with np.load(ROOT.parent / "shared" / "datasets" / "mnist.npz") as d:
        x, y = d["x_test"][:n], d["y_test"][:n]
    builder = inside.MapBuilder(rec, x, y, inside.fingerprint(model_path, x, y))
    while not builder.step():
        pass
    return builder.result(), x, y


def test_the_map_places_a_drawing_near_digits_of_its_kind_and_is_cached_per_model_file(tmp_path, mnist_file):
    model = tmp_path / "m.keras"
    shutil.copy(ROOT / "models" / "digitpad-default.keras", model)
    shutil.copy(ROOT / "models" / "digitpad-default.json", tmp_path / "m.json")
    rec = load_recognizer(model)
    latent, x, y = _small_map(rec, model)
    assert latent.coords.shape == (300, inside.COMPONENTS) and latent.layer == "dec_squeeze"
    assert latent.view.shape == (inside.COMPONENTS, 2) and latent.xy(latent.coords).shape == (300, 2)
    # an MNIST test digit's own code lands on itself, and its neighbours mostly share its label
    from digitpad.core.preprocess import to_mnist

    img = to_mnist(x[7], rec.info.preprocessing).image
    expl = inside.explain(rec, img, latent=latent)
    assert expl.neighbours[0] == 7
    assert np.mean(latent.labels[expl.neighbours] == y[7]) >= 0.75
    assert expl.layer == "enc_stem" and expl.target == int(np.argmax(expl.inside.probabilities))

    saved = inside.write_cache(model, latent)
    assert saved == model.with_name("m.keras.latent-map.npz")
    again = inside.read_cached(model, latent.fingerprint)
    assert again is not None and np.array_equal(again.coords, latent.coords) and again.layer == latent.layer
    # the model file changes (fine-tuned over, say): its fingerprint does, and the old map is not used
    with open(model, "ab") as fh:
        fh.write(b"\0")
    changed = inside.fingerprint(model, x, y)
    assert changed != latent.fingerprint and inside.read_cached(model, changed) is None
    # a damaged cache is ignored, not trusted: foreign bytes, or a truncated file (BadZipFile)
    whole = inside.write_cache(model, latent).read_bytes()
    for damaged in (b"not an npz", whole[:len(whole) // 2]):
        saved.write_bytes(damaged)
        assert inside.read_cached(model, latent.fingerprint) is None


def test_a_map_is_built_in_chunks(tmp_path):
    rec = load_recognizer(ROOT / "models" / "paper.keras")
    with np.load(ROOT.parent / "shared" / "datasets" / "mnist.npz") as d:
        x, y = d["x_test"][:inside.MAP_CHUNK * 2 + 5], d["y_test"][:inside.MAP_CHUNK * 2 + 5]
    builder = inside.MapBuilder(rec, x, y, "f")
    steps = 1
    while not builder.step():
        steps += 1
    assert steps == 3 and builder.done == len(x)


def test_mosaic_tiles_and_finds_the_channel_under_the_pointer():
    maps = np.zeros((4, 5, 7), np.float32)
    for c in range(7):
        maps[1, 2, c] = c + 1
    pic = mosaic(maps, columns=3)
    assert pic.shape == (3 * 5 - 1, 3 * 6 - 1)
    assert tile_at(6 + 2, 5 + 1, maps.shape, 3) == 4  # row 1, column 1
    assert pic[5 + 1, 6 + 2] == 1.0  # each map scaled by its own maximum
    assert tile_at(5, 0, maps.shape, 3) is None  # a gap
    assert tile_at(6 * 2 + 1, 5 * 2 + 1, maps.shape, 3) is None  # past the last channel


def test_saliency_overlay_colours_for_red_and_against_blue():
    img = np.zeros((28, 28), np.float32)
    sal = np.zeros((28, 28), np.float32)
    sal[2, 2], sal[5, 5] = 1.0, -1.0
    rgb = saliency_overlay(img, sal)
    assert rgb[2, 2, 0] > 200 and rgb[2, 2, 2] < 60  # red
    assert rgb[5, 5, 2] > 200 and rgb[5, 5, 0] < 60  # blue
    assert (rgb[0, 0] == 255).all()  # blank paper


def test_the_discriminant_plane_keeps_the_digits_apart():
    """Three clusters whose spread lies along axes 0-1 and whose centres differ along axes 2-3:
    the plane is spanned by axes 2-3, where the principal components would have shown 0-1."""
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 200)
    centres = np.array([[0, 0, 0, 0], [0, 0, 3, 0], [0, 0, 0, 3]], float)
    x = centres[labels] + rng.normal(0, 1, (600, 4)) * np.array([20, 20, 0.5, 0.5])
    plane = inside.discriminant_plane(x, labels)
    assert plane.shape == (4, 2)
    assert np.abs(plane[2:]).sum() > 10 * np.abs(plane[:2]).sum()


def test_the_answer_and_default_target_can_come_from_a_reading_of_several_drawings(toy_model):
    rec = load_recognizer(toy_model)
    own = inside.explain(rec, _drawing(), saliency=False)
    assert own.answer == own.target == int(np.argmax(own.inside.probabilities))
    other = (own.answer + 1) % 10
    given = inside.explain(rec, _drawing(), saliency=False, answer=other)
    assert given.answer == given.target == other
    assert inside.explain(rec, _drawing(), target=own.answer, saliency=False, answer=other).target == own.answer
