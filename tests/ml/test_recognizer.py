"""Model build, save/load round trip, and every way a model file can be wrong."""
import numpy as np
import pytest

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from digitpad.core.errors import ModelFileError  # noqa: E402
from digitpad.core.model_info import ModelInfo  # noqa: E402
from digitpad.core.preprocess import PreprocessSettings  # noqa: E402
from digitpad.ml.architectures import build  # noqa: E402
from digitpad.ml.recognizer import Recognizer  # noqa: E402
from digitpad.ml.training import save  # noqa: E402


@pytest.mark.parametrize("name", ["digitnet", "paper"])
def test_architectures_have_the_two_named_outputs(name):
    model = build(name)
    out = model(np.zeros((2, 28, 28, 1), np.float32))
    assert out["digit"].shape == (2, 10) and out["reconstruction"].shape == (2, 28, 28, 1)
    assert np.allclose(np.asarray(out["digit"]).sum(axis=1), 1, atol=1e-5)


def test_paper_network_matches_the_description():
    model = build("paper")
    kinds = [(l.__class__.__name__, getattr(l, "filters", getattr(l, "units", None)),
              getattr(l, "kernel_size", None)) for l in model.layers]
    assert ("Conv2D", 32, (5, 5)) in kinds and ("Conv2D", 64, (5, 5)) in kinds
    assert ("Conv2DTranspose", 64, (2, 2)) in kinds and ("Dense", 500, None) in kinds
    flatten = model.get_layer("cls_flatten")
    assert flatten.input.shape[1:] == (28, 28, 1)  # the classifier reads the reconstruction


def test_save_load_round_trip_keeps_predictions_and_sidecar(tmp_path):
    model = build("digitnet")
    info = ModelInfo(name="tiny", architecture="digitnet", preprocessing=PreprocessSettings(binarize=True),
                     metrics={"mnist_test_accuracy": 0.5}, thresholds={"confidence": 0.6})
    save(model, info, tmp_path / "tiny.keras")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.json", "tiny.keras"]
    rec = Recognizer.load(tmp_path / "tiny.keras")
    x = np.random.default_rng(0).random((4, 28, 28)).astype(np.float32)
    direct = np.asarray(model(x[..., None], training=False)["digit"])
    got = rec.predict(x)
    assert np.allclose(got.probabilities, direct, atol=1e-5)
    assert got.reconstructions.shape == (4, 28, 28) and got.reconstruction_errors.shape == (4,)
    assert rec.info.preprocessing.binarize and rec.info.thresholds == {"confidence": 0.6}
    assert rec.describe()["parameters"] == model.count_params()


def test_classifier_only_model_with_logits_and_flat_input(tmp_path):
    inp = keras.Input((784,))
    logits = keras.layers.Dense(10)(keras.layers.Dense(16, activation="relu")(inp))
    model = keras.Model(inp, logits)
    model.save(tmp_path / "flat.keras")
    rec = Recognizer.load(tmp_path / "flat.keras")
    out = rec.predict(np.random.default_rng(1).random((3, 28, 28)).astype(np.float32))
    assert not rec.has_reconstruction and out.reconstructions is None
    assert np.allclose(out.probabilities.sum(axis=1), 1, atol=1e-5) and (out.probabilities >= 0).all()


def test_h5_model_loads(tmp_path):
    inp = keras.Input((28, 28))
    model = keras.Model(inp, keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(inp)))
    model.save(tmp_path / "m.h5")
    assert Recognizer.load(tmp_path / "m.h5").predict(np.zeros((1, 28, 28))).probabilities.shape == (1, 10)


def _expect_error(path, words):
    with pytest.raises(ModelFileError) as err:
        Recognizer.load(path)
    msg = str(err.value)
    assert str(path) in msg and words in msg, msg


def test_bad_model_files_are_clear_errors(tmp_path):
    _expect_error(tmp_path / "missing.keras", "no such model file")
    (tmp_path / "empty.keras").write_bytes(b"")
    _expect_error(tmp_path / "empty.keras", "empty")
    (tmp_path / "junk.keras").write_bytes(b"PK\x03\x04 definitely not a model" * 10)
    _expect_error(tmp_path / "junk.keras", "not a zip archive")
    (tmp_path / "text.keras").write_text("a text file renamed")
    _expect_error(tmp_path / "text.keras", "not a .keras file")
    (tmp_path / "text.h5").write_text("a text file renamed")
    _expect_error(tmp_path / "text.h5", "not an HDF5")
    (tmp_path / "model.txt").write_text("hello")
    _expect_error(tmp_path / "model.txt", "unsupported model type")
    (tmp_path / "folder").mkdir()
    _expect_error(tmp_path / "folder", "not a SavedModel")


def test_a_model_with_a_lambda_layer_is_refused_in_words_a_user_can_act_on(tmp_path):
    witness = tmp_path / "ran"
    inp = keras.Input((28, 28))
    x = keras.layers.Lambda(lambda t, p=str(witness): t + 0.0 * float(open(p, "w").write("x")))(inp)
    out = keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(x))
    keras.Model(inp, out).save(tmp_path / "lambda.keras")
    witness.unlink()
    with pytest.raises(ModelFileError) as err:
        Recognizer.load(tmp_path / "lambda.keras")
    assert "Lambda layer" in str(err.value) and "never runs" in str(err.value)
    assert "safe_mode" not in str(err.value) and not witness.exists()


def test_truncated_model_file(tmp_path):
    model = build("paper")
    model.save(tmp_path / "full.keras")
    data = (tmp_path / "full.keras").read_bytes()
    (tmp_path / "cut.keras").write_bytes(data[: len(data) // 2])
    _expect_error(tmp_path / "cut.keras", "truncated")


def test_wrong_shapes_and_class_counts(tmp_path):
    inp = keras.Input((32, 32, 3))
    keras.Model(inp, keras.layers.Dense(10)(keras.layers.Flatten()(inp))).save(tmp_path / "rgb.keras")
    _expect_error(tmp_path / "rgb.keras", "input shape")
    inp = keras.Input((28, 28, 1))
    keras.Model(inp, keras.layers.Dense(26)(keras.layers.Flatten()(inp))).save(tmp_path / "letters.keras")
    _expect_error(tmp_path / "letters.keras", "no 10-class output")


def test_savedmodel_folder_loads_only_when_trusted(tmp_path):
    inp = keras.Input((28, 28, 1))
    model = keras.Model(inp, keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(inp)))
    model.export(str(tmp_path / "exported"), verbose=False)
    _expect_error(tmp_path / "exported", "--trust-model")
    rec = Recognizer.load(tmp_path / "exported", trust=True)
    x = np.random.default_rng(2).random((2, 28, 28)).astype(np.float32)
    assert np.allclose(rec.predict(x).probabilities, np.asarray(model(x[..., None])), atol=1e-5)
    assert not rec.has_reconstruction


def _file_writing_savedmodel(folder, target):
    """A SavedModel whose serving function writes ``target`` whenever it runs: what a hostile
    author can ship."""
    class Hostile(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 28, 28, 1], tf.float32, name="image")])
        def serve(self, image):
            tf.io.write_file(str(target), "written by the model's author")
            return {"digit": tf.nn.softmax(tf.zeros([tf.shape(image)[0], 10]))}

    module = Hostile()
    tf.saved_model.save(module, str(folder), signatures={"serving_default": module.serve})


def test_a_savedmodel_that_writes_a_file_is_refused_unless_trusted(tmp_path):
    target = tmp_path / "pwned.txt"
    _file_writing_savedmodel(tmp_path / "hostile", target)
    _expect_error(tmp_path / "hostile", "can read and write your files")
    assert not target.exists()
    Recognizer.load(tmp_path / "hostile", trust=True)  # the user said yes: it runs, as they were warned
    assert target.read_text() == "written by the model's author"


def test_a_model_with_nan_weights_is_refused(tmp_path):
    model = build("paper")
    weights = model.get_weights()
    weights[-1] = np.full_like(weights[-1], np.nan)
    model.set_weights(weights)
    model.save(tmp_path / "nan.keras")
    _expect_error(tmp_path / "nan.keras", "non-finite")


def test_a_second_model_reads_from_the_first_ones_pictures_only_at_widths_they_were_drawn_at():
    from dataclasses import replace
    from pathlib import Path

    from digitpad.core.ink import Ink
    from digitpad.ml.numpy_recognizer import NumpyRecognizer, load_recognizer

    models = Path(__file__).resolve().parents[2] / "models"
    default, paper = load_recognizer(models / "digitpad-default.keras"), load_recognizer(models / "paper.keras")

    def reading_at(rec, *widths):
        settings = replace(rec.info.preprocessing, stroke_ratio=widths[0], also_ratios=widths[1:])
        return NumpyRecognizer(rec.model, ModelInfo(**{**rec.info.__dict__, "preprocessing": settings}))

    ink = Ink(400, 400, (np.array([[60, 60], [220, 60], [130, 250]], float),))
    first_model = reading_at(default, 0.14, 0.084)
    first = first_model.recognise_ink(ink, keep_stages=True)
    widths = first_model.info.preprocessing.ink_widths
    for second in (reading_at(paper, 0.14), reading_at(paper, 0.084), reading_at(default, 0.084, 0.14)):
        like = second.recognise_like(first, widths)
        assert np.allclose(like.probabilities, second.recognise_ink(ink).probabilities, atol=1e-6)
    for second in (reading_at(paper, 0.21), reading_at(default, 0.14, 0.1)):
        assert second.recognise_like(first, widths) is None  # it must draw the ink itself


def test_several_drawings_of_one_ink_are_read_as_one_answer_with_averaged_probabilities():
    from pathlib import Path

    from digitpad.ml.numpy_recognizer import load_recognizer

    rec = load_recognizer(Path(__file__).resolve().parents[2] / "models" / "digitpad-default.keras")
    rng = np.random.default_rng(3)
    x = (rng.random((5, 2, 28, 28)) > 0.85).astype(np.float32)
    out, first, second = rec.predict(x), rec.predict(x[:, 0]), rec.predict(x[:, 1])
    assert np.allclose(out.probabilities, (first.probabilities + second.probabilities) / 2, atol=1e-6)
    assert np.allclose(rec.class_probabilities(x), out.probabilities, atol=1e-6)
    # the first drawing's, up to float rounding (a batch of ten sums in another order than five)
    assert np.allclose(out.reconstructions, first.reconstructions, atol=1e-6)
    assert np.allclose(out.digit_likeness, first.digit_likeness, atol=1e-6)
    assert not np.allclose(out.reconstructions, second.reconstructions, atol=1e-3)
    small = rec.predict(x, batch_size=2)  # a batch boundary never splits an ink's drawings
    assert np.allclose(small.probabilities, out.probabilities, atol=1e-6)


def test_a_handful_of_inks_read_at_two_widths_is_not_counted_as_a_batch_job():
    from pathlib import Path

    from digitpad.ml.numpy_recognizer import load_recognizer
    from digitpad.ml.recognizer_base import FEW

    rec = load_recognizer(Path(__file__).resolve().parents[2] / "models" / "digitpad-default.keras")
    rec.predict(np.zeros((FEW, 2, 28, 28), np.float32))
    assert rec._seen == 0  # the app's number mode reads FEW at a time: never handed to TensorFlow
    rec.predict(np.zeros((FEW + 1, 2, 28, 28), np.float32))
    assert rec._seen == 2 * (FEW + 1)  # a batch job counts its pictures
