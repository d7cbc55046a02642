"""A .keras file read without TensorFlow answers as the TensorFlow recogniser does; anything it
cannot reproduce goes to TensorFlow; `digitpad predict` and the app's model loading import no
TensorFlow for the shipped model."""
import json
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import keras
from keras import layers

from digitpad.core.errors import ModelFileError
from digitpad.core.ink import iter_jsonl
from digitpad.core.model_files import PAPER_MODEL, shipped_model
from digitpad.core.preprocess import to_mnist_batch
from digitpad.ml import numpy_recognizer
from digitpad.ml.architectures import build
from digitpad.ml.keras_file import read_keras_file, snake_case
from digitpad.ml.numpy_forward import Unsupported
from digitpad.ml.numpy_recognizer import NumpyRecognizer, load_recognizer
from digitpad.ml.recognizer import Recognizer
from support import ROOT, randomise_batch_norms


RNG = np.random.default_rng(7)
FIELDS = ("probabilities", "reconstructions", "reconstruction_errors", "digit_likeness")


def _assert_same_predictions(ours, theirs, atol=1e-4):
    for field in FIELDS:
        a, b = getattr(ours, field), getattr(theirs, field)
        assert (a is None) == (b is None), field
        if a is not None:
            np.testing.assert_allclose(a, b, atol=atol, err_msg=field)


def _random_pictures(n):
    x = RNG.random((n, 28, 28), dtype=np.float32)
    x[: n // 3] = 0.0  # blank ones too
    x[n // 3: 2 * n // 3] *= RNG.random((n // 3 + (n % 3 > 1), 1, 1)) > 0.5
    return x


@pytest.fixture(scope="module", params=["digitpad-default.keras", PAPER_MODEL])
def both(request):
    """The shipped model read without TensorFlow, and with it."""
    path = shipped_model(request.param)
    return load_recognizer(path, tensorflow=False), Recognizer.load(path)


def test_the_shipped_models_load_without_tensorflow_and_describe_themselves_alike(both):
    fast, slow = both
    assert isinstance(fast, NumpyRecognizer) and fast.uses_numpy_path
    assert fast.describe() == slow.describe()
    assert (fast.name, fast.path, fast.info) == (slow.name, slow.path, slow.info)
    assert fast.has_reconstruction == slow.has_reconstruction
    assert fast.has_digit_likeness == slow.has_digit_likeness


def test_the_shipped_models_give_tensorflows_answers_on_random_pictures(both):
    fast, slow = both
    x = _random_pictures(120)
    _assert_same_predictions(fast.predict(x), slow.predict(x))  # more than a handful: TensorFlow runs them


def test_the_shipped_models_give_tensorflows_answers_on_real_digits(both, mnist_test_sample, unipen_file):
    fast, slow = both
    images, _ = mnist_test_sample
    x, blank = to_mnist_batch(images[:200], fast.info.preprocessing)
    _assert_same_predictions(fast.predict(x[~blank]), slow.predict(x[~blank]))
    with open(unipen_file, encoding="utf-8") as fh:
        inks = [ink for _, ink in zip(range(12), (ink for _, ink in iter_jsonl(fh, str(unipen_file))))]
    for ink in inks:  # one drawing at a time, as the app asks
        ours, theirs = fast.recognise_ink(ink, keep_stages=True), slow.recognise_ink(ink)
        assert ours.digit == theirs.digit
        np.testing.assert_allclose(ours.probabilities, theirs.probabilities, atol=1e-4)
        if theirs.reconstruction_error is not None:
            assert abs(ours.reconstruction_error - theirs.reconstruction_error) < 1e-4
        if theirs.digit_likeness is not None:
            assert abs(ours.digit_likeness - theirs.digit_likeness) < 1e-4
    x = np.stack([fast.recognise_ink(ink).preprocessed.image for ink in inks])
    _assert_same_predictions(fast.predict(np.concatenate([x, x])), slow.predict(np.concatenate([x, x])))


def _randomise_batch_norms(model):
    return randomise_batch_norms(model, RNG)


def _zoo():
    """Every supported layer, several of a kind (conv2d, conv2d_1...: Keras's weight paths)."""
    inp = keras.Input((28, 28, 1), name="image")
    x = layers.Conv2D(6, (3, 5), padding="same", activation="tanh")(inp)
    x = layers.Conv2D(20, 4, padding="same", use_bias=False)(x)  # even kernel: uneven padding; many channels
    x = layers.BatchNormalization(center=False)(x)
    x = layers.ReLU()(x)
    x = layers.Conv2D(8, 3, padding="valid", activation="relu")(x)  # 28 -> 26
    x = layers.MaxPooling2D(3)(x)  # 26 -> 8, the remainder dropped
    x = layers.BatchNormalization()(x)
    x = layers.AveragePooling2D(2)(x)  # -> 4
    up = layers.UpSampling2D(2)(x)  # nearest
    up = layers.UpSampling2D(2, interpolation="bilinear")(up)
    up = layers.Conv2DTranspose(3, 3, strides=2, padding="valid", activation="relu")(up)  # 16 -> 33
    up = layers.Conv2DTranspose(4, 2, strides=2, padding="same")(up)  # tiles side by side
    up = layers.Conv2D(2, 5, padding="same", activation="sigmoid", name="picture")(up)
    y = layers.Flatten()(x)
    y = layers.Reshape((4, 32))(y)
    y = layers.Flatten()(y)
    y = layers.Dropout(0.5)(y)
    y = layers.Dense(16, activation="relu")(y)
    y = layers.Dense(10, name="logits")(y)
    y = layers.Activation("softmax", name="digit")(y)
    return _randomise_batch_norms(keras.Model(inp, {"digit": y, "picture": up}))


def _assert_file_matches_keras(model, path):
    model.save(path)
    read = read_keras_file(path)
    x = RNG.random((3, 28, 28, 1), dtype=np.float32)
    expected = model(x, training=False)
    got = read.forward(x)
    expected = expected if isinstance(expected, dict) else {next(iter(got)): expected}
    assert sorted(got) == sorted(expected)
    for name, value in expected.items():
        np.testing.assert_allclose(got[name], np.asarray(value), rtol=1e-4, atol=2e-5, err_msg=name)
    assert read.parameters == model.count_params()
    return read


def test_every_supported_layer_is_read_from_the_file_as_keras_runs_it(tmp_path):
    read = _assert_file_matches_keras(_zoo(), tmp_path / "zoo.keras")
    assert read.output_names == ["digit", "picture"]


def test_a_sequential_model_is_read_too(tmp_path):
    model = keras.Sequential([keras.Input((28, 28)), layers.Reshape((28, 28, 1)), layers.Conv2D(4, 3),
                              layers.Flatten(), layers.Dense(10, activation="softmax")])
    _assert_file_matches_keras(model, tmp_path / "seq.keras")
    rec = load_recognizer(tmp_path / "seq.keras")
    assert isinstance(rec, NumpyRecognizer)
    assert rec.describe() == Recognizer.load(tmp_path / "seq.keras").describe()


def test_weight_paths_follow_keras_naming():
    assert [snake_case(n) for n in ("Conv2DTranspose", "UpSampling2D", "BatchNormalization", "ReLU", "InputLayer")] \
        == ["conv2d_transpose", "up_sampling2d", "batch_normalization", "re_lu", "input_layer"]


def _classifier(make, shape=(28, 28, 1)):
    inp = keras.Input(shape)
    return keras.Model(inp, layers.Dense(10, activation="softmax")(layers.Flatten()(make(inp))))


def _shared_dense(inp):
    dense = layers.Dense(1)
    return dense(dense(inp))  # one layer called twice


@pytest.mark.parametrize("make", [
    lambda x: layers.Conv2D(4, 3, strides=2)(x),
    lambda x: layers.LeakyReLU()(x),
    lambda x: layers.Conv2D(4, 3, activation="gelu")(x),
    lambda x: layers.MaxPooling2D(3, strides=2)(x),
    lambda x: layers.Conv2D(4, 3, dtype="mixed_float16")(x),
    _shared_dense,
], ids=["strides", "leaky-relu", "gelu", "overlapping-pool", "mixed-precision", "layer-used-twice"])
def test_anything_else_falls_back_to_tensorflow(make, tmp_path):
    model = _classifier(make)
    model.save(tmp_path / "odd.keras")
    with pytest.raises(Unsupported):
        read_keras_file(tmp_path / "odd.keras")
    rec = load_recognizer(tmp_path / "odd.keras")
    assert isinstance(rec, Recognizer)
    x = RNG.random((2, 28, 28), dtype=np.float32)
    np.testing.assert_allclose(rec.predict(x).probabilities, np.asarray(model(x[..., None])), atol=1e-5)
    with pytest.raises(ModelFileError, match="needs TensorFlow"):
        load_recognizer(tmp_path / "odd.keras", tensorflow=False)


def test_h5_files_and_damaged_archives_go_to_tensorflow(tmp_path):
    model = _classifier(lambda x: x)
    model.save(tmp_path / "m.h5")
    assert isinstance(load_recognizer(tmp_path / "m.h5"), Recognizer)
    with zipfile.ZipFile(tmp_path / "broken.keras", "w") as archive:
        archive.writestr("config.json", "{not json")
        archive.writestr("model.weights.h5", b"nothing")
    with pytest.raises(Unsupported):
        read_keras_file(tmp_path / "broken.keras")
    with pytest.raises(ModelFileError, match="not a loadable Keras model"):
        load_recognizer(tmp_path / "broken.keras")


def test_a_custom_layer_is_never_run_from_the_file(tmp_path):
    model = _classifier(lambda x: layers.Conv2D(4, 3)(x))
    model.save(tmp_path / "custom.keras")
    with zipfile.ZipFile(tmp_path / "custom.keras") as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(parts["config.json"])
    conv = next(layer for layer in config["config"]["layers"] if layer["class_name"] == "Conv2D")
    conv["module"], conv["registered_name"] = "evil", "Evil>Conv2D"
    parts["config.json"] = json.dumps(config)
    with zipfile.ZipFile(tmp_path / "evil.keras", "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    with pytest.raises(Unsupported, match="Evil>Conv2D"):
        read_keras_file(tmp_path / "evil.keras")
    with pytest.raises(ModelFileError):  # Keras, in safe mode, cannot find it either
        load_recognizer(tmp_path / "evil.keras")


def test_what_does_not_fit_digitpad_is_the_same_clear_error_without_tensorflow(tmp_path):
    inp = keras.Input((32, 32, 3))
    keras.Model(inp, layers.Dense(10)(layers.Flatten()(inp))).save(tmp_path / "rgb.keras")
    inp = keras.Input((28, 28, 1))
    keras.Model(inp, layers.Dense(26)(layers.Flatten()(inp))).save(tmp_path / "letters.keras")
    model = build("paper")
    weights = model.get_weights()
    weights[-1] = np.full_like(weights[-1], np.nan)
    model.set_weights(weights)
    model.save(tmp_path / "nan.keras")
    for name, words in (("rgb", "input shape"), ("letters", "no 10-class output"), ("nan", "non-finite")):
        path = tmp_path / f"{name}.keras"
        with pytest.raises(ModelFileError) as fast:
            load_recognizer(path, tensorflow=False)
        with pytest.raises(ModelFileError) as slow:
            Recognizer.load(path)
        assert str(fast.value) == str(slow.value) and words in str(fast.value) and str(path) in str(fast.value)


def test_a_long_batch_job_hands_over_to_tensorflow(monkeypatch):
    monkeypatch.setattr(numpy_recognizer, "TENSORFLOW_AFTER", 40)
    rec = load_recognizer(shipped_model())
    x = _random_pictures(30)
    first = rec.predict(x)
    assert not rec.uses_tensorflow
    for _ in range(20):
        rec.recognise_image(np.full((28, 28), 255, np.uint8))  # single drawings never count
    second = rec.predict(x)
    assert rec.uses_tensorflow
    _assert_same_predictions(first, second)
    assert rec.predict(x[:1]).probabilities.shape == (1, 10)


def test_the_environment_can_ask_for_tensorflow(monkeypatch):
    monkeypatch.setenv(numpy_recognizer.INFERENCE_ENV, "tensorflow")
    assert isinstance(load_recognizer(shipped_model()), Recognizer)


NO_TENSORFLOW = """
import sys
from digitpad.cli import main
code = main(sys.argv[1:])
heavy = sorted(m for m in ("tensorflow", "keras") if m in sys.modules)
print("HEAVY=" + ",".join(heavy))
sys.exit(code)
"""


@pytest.mark.parametrize("args", [["predict", str(ROOT / "resources" / "samples" / "3_ink_112.png")],
                                  ["--self-test"]], ids=["predict", "self-test"])
def test_the_command_line_recognises_without_importing_tensorflow(args, cli_env):
    cli_env.pop(numpy_recognizer.INFERENCE_ENV, None)
    done = subprocess.run([sys.executable, "-c", NO_TENSORFLOW, *args], env=cli_env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "HEAVY=\n" in done.stdout, done.stdout
    if args[0] == "predict":
        assert json.loads(done.stdout.splitlines()[0])["digit"] == 3


def test_the_apps_model_loading_imports_no_tensorflow(cli_env):
    """The worker's loading function, run as the app runs it (off the GUI thread)."""
    code = """
import sys
from PySide6.QtCore import QCoreApplication
from digitpad.gui.worker import RecognitionWorker
from digitpad.core.model_files import shipped_model
app = QCoreApplication([])
worker = RecognitionWorker()
loaded = []
worker.modelLoaded.connect(loaded.append)
worker.load_model(shipped_model()).result(timeout=120)
app.processEvents()
print("LOADED", type(worker._recognizer).__name__, "tensorflow" in sys.modules, "keras" in sys.modules)
worker.shutdown()
"""
    cli_env.pop(numpy_recognizer.INFERENCE_ENV, None)
    done = subprocess.run([sys.executable, "-c", code], env=cli_env, cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert "LOADED NumpyRecognizer False False" in done.stdout, done.stdout + done.stderr
