"""The numpy forward pass must give what Keras gives, and step aside for what it cannot do."""
import numpy as np
import pytest

import keras
from keras import layers

from digitpad.core.model_info import ModelInfo
from digitpad.core.model_files import shipped_model
from digitpad.ml.architectures import build
from digitpad.ml.numpy_forward import Unsupported, compile_model
from digitpad.ml.recognizer import Recognizer

from support import randomise_batch_norms  # noqa: E402

RNG = np.random.default_rng(0)


def _randomise_batch_norms(model):
    return randomise_batch_norms(model, RNG)


def _assert_same(model, x):
    expected = model(x, training=False)
    expected = expected if isinstance(expected, dict) else dict(zip(model.output_names, [expected]))
    got = compile_model(model)(x)
    assert got.keys() == expected.keys()
    for name, value in expected.items():
        np.testing.assert_allclose(got[name], np.asarray(value), rtol=1e-4, atol=2e-5)


@pytest.mark.parametrize("name", ["digitnet", "paper"])
def test_our_architectures_match_keras(name):
    _assert_same(_randomise_batch_norms(build(name)), RNG.random((3, 28, 28, 1), dtype=np.float32))


def test_a_zoo_of_supported_layers_matches_keras():
    inp = keras.Input((28, 28, 1))
    x = layers.Conv2D(6, (3, 5), padding="same", activation="tanh")(inp)
    x = layers.Conv2D(5, 4, padding="same", use_bias=False)(x)  # even kernel: uneven padding
    x = layers.BatchNormalization(center=False)(x)
    x = layers.ReLU()(x)
    x = layers.Conv2D(8, 3, padding="valid", activation="relu")(x)  # 28 -> 26
    x = layers.MaxPooling2D(3)(x)  # 26 -> 8, the remainder dropped
    x = layers.AveragePooling2D(2)(x)  # -> 4
    up = layers.UpSampling2D(2)(x)  # nearest
    up = layers.UpSampling2D(2, interpolation="bilinear")(up)
    up = layers.Conv2DTranspose(3, 3, strides=2, padding="valid", activation="relu")(up)  # 16 -> 33
    up = layers.Conv2DTranspose(2, 5, strides=1, padding="same", activation="sigmoid", name="picture")(up)
    y = layers.Flatten()(x)
    y = layers.Reshape((4, 32))(y)
    y = layers.Flatten()(y)
    y = layers.Dropout(0.5)(y)
    y = layers.Dense(10, name="logits")(y)
    y = layers.Activation("softmax", name="digit")(y)
    model = _randomise_batch_norms(keras.Model(inp, {"digit": y, "picture": up}))
    _assert_same(model, RNG.random((2, 28, 28, 1), dtype=np.float32))


@pytest.mark.parametrize("make", [
    lambda x: layers.Conv2D(4, 3, strides=2)(x),
    lambda x: layers.Conv2D(4, 3, dilation_rate=2)(x),
    lambda x: layers.LeakyReLU()(x),
    lambda x: layers.Conv2D(4, 3, activation="gelu")(x),
    lambda x: layers.MaxPooling2D(3, strides=2)(x),
])
def test_anything_else_is_refused_and_the_recognizer_keeps_tensorflow(make, tmp_path):
    inp = keras.Input((28, 28, 1))
    out = layers.Dense(10, activation="softmax")(layers.Flatten()(make(inp)))
    model = keras.Model(inp, out)
    with pytest.raises(Unsupported):
        compile_model(model)
    rec = Recognizer(model, ModelInfo(name="odd"))
    assert not rec.uses_numpy_path
    x = RNG.random((1, 28, 28), dtype=np.float32)
    np.testing.assert_allclose(rec.predict(x).probabilities, np.asarray(model(x[..., None])), atol=1e-5)


def test_shipped_model_gives_the_same_answers_one_at_a_time_and_in_batches():
    rec = Recognizer.load(shipped_model())
    assert rec.uses_numpy_path
    x = RNG.random((40, 28, 28), dtype=np.float32) * (RNG.random((40, 1, 1)) > 0.3)
    batch = rec.predict(x)  # TensorFlow (more than a handful)
    for i in range(0, 40, 7):
        one = rec.predict(x[i:i + 1])  # numpy
        np.testing.assert_allclose(one.probabilities[0], batch.probabilities[i], atol=1e-5)
        np.testing.assert_allclose(one.reconstructions[0], batch.reconstructions[i], atol=1e-5)
        assert abs(one.reconstruction_errors[0] - batch.reconstruction_errors[i]) < 1e-6


def test_a_tensor_feeding_two_branches_is_not_changed_by_either():
    inp = keras.Input((28, 28, 1))
    x = layers.Conv2D(4, 3, padding="same")(inp)  # negative values: a ReLU in place would clip them
    a = layers.Flatten()(layers.Activation("relu")(x))
    b = layers.Flatten()(x)
    out = layers.Dense(10, activation="softmax", name="digit")(b)
    side = layers.Dense(3, name="side")(a)
    model = keras.Model(inp, {"digit": out, "side": side})
    _assert_same(model, RNG.normal(size=(2, 28, 28, 1)).astype(np.float32))
