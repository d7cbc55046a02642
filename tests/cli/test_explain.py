"""``digitpad explain INPUT --model M -o out.png``: one figure of what the model sees in a drawing,
run as a user runs it. The map of MNIST test is built from a 400-digit MNIST (the real one takes
10-20 s), beside a copy of the shipped model, so nothing is written into models/."""
import json
import shutil

import cv2
import numpy as np
import pytest

from support import ROOT, run_cli


def _messages(stderr: str) -> list[str]:
    """DigitPad's own lines (TensorFlow's native logger may add start-up noise)."""
    return [line for line in stderr.splitlines() if line.startswith("digitpad:")]


@pytest.fixture
def model(shipped_model, tmp_path):
    """The shipped model and its sidecar, copied: the map's cache is written beside the model."""
    folder = tmp_path / "model"
    folder.mkdir()
    shutil.copy(shipped_model, folder)
    shutil.copy(shipped_model.with_suffix(".json"), folder)
    return folder / shipped_model.name


@pytest.fixture
def small_mnist(mnist_file, tmp_path):
    path = tmp_path / "small-mnist.npz"
    with np.load(mnist_file) as d:
        np.savez(path, x_train=d["x_train"][:10], y_train=d["y_train"][:10], x_test=d["x_test"][:400],
                 y_test=d["y_test"][:400])
    return path


@pytest.fixture
def drawn(unipen_file, tmp_path):
    """A real pen-drawn digit: UNIPEN's second ink, a 2."""
    line = unipen_file.read_text().splitlines()[1]
    assert json.loads(line)["label"] == 2
    path = tmp_path / "two.json"
    path.write_text(line)
    return path


def _dark_share(band: np.ndarray) -> float:
    return float(np.mean(band.max(axis=2) < 40))


def test_explain_writes_the_figure_and_caches_the_map(cli_env, model, small_mnist, drawn, tmp_path):
    models_before = sorted(p.name for p in (ROOT / "models").iterdir())
    out_png = tmp_path / "out" / "two.png"
    out = run_cli(["explain", str(drawn), "--model", str(model), "-o", str(out_png), "--mnist", str(small_mnist)],
                  cli_env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"explanation figure: {out_png}"
    notes = _messages(out.stderr)
    assert len(notes) == 1 and "mapping MNIST test's 400 digits" in notes[0], out.stderr
    img = cv2.imread(str(out_png))
    assert img is not None and img.shape[1] == 804 and 800 <= img.shape[0] <= 1000, img.shape
    assert (img == 255).all(axis=2).mean() > 0.3  # a white figure...
    red = (img[..., 2] > 150) & (img[..., 0] < 100) & (img[..., 1] < 100)
    assert red.sum() > 200  # ...with the saliency's red ink for the 2
    assert _dark_share(img[-100:-40, 24:-24]) > 0.3  # and the neighbours' MNIST thumbnails at the bottom
    assert (model.parent / (model.name + ".latent-map.npz")).is_file()  # the map cached beside the model
    assert sorted(p.name for p in (ROOT / "models").iterdir()) == models_before

    again = tmp_path / "why-not-8.png"
    out = run_cli(["explain", str(drawn), "--model", str(model), "-o", str(again), "--mnist", str(small_mnist),
                   "--target", "8"], cli_env)
    assert out.returncode == 0, out.stderr
    assert _messages(out.stderr) == []  # the cached map: no new one built
    assert cv2.imread(str(again)).shape == img.shape


@pytest.mark.parametrize("name, content, words", [
    ("absent.json", None, "cannot read"),
    ("broken.json", '{"strokes": [[[1, 2', "not valid JSON"),
    ("blank.json", '{"width": 100, "height": 100, "strokes": []}', "the input is blank"),
    ("huge.json", '{"width": 400, "height": 400, "strokes": [[[190.4, 1e308], [194.4, 1e308], [5e8, 1e308]]]}',
     "beyond"),
    ("broken.png", b"\x89PNG\r\n garbage", "not a readable image"),
    ("empty.jsonl", "", "no ink"),
    ("two.json", "OUTPUT.txt", "name the figure .png"),
])
def test_bad_input_is_one_line_and_no_figure(cli_env, model, small_mnist, drawn, tmp_path, name, content, words):
    source, output = tmp_path / name, tmp_path / "out" / "figure.png"
    if content == "OUTPUT.txt":  # a good drawing, a figure name that is not a picture's
        source, output = drawn, tmp_path / "out" / "figure.txt"
    elif isinstance(content, bytes):
        source.write_bytes(content)
    elif content is not None:
        source.write_text(content)
    out = run_cli(["explain", str(source), "--model", str(model), "-o", str(output), "--mnist", str(small_mnist)],
                  cli_env)
    assert out.returncode == 1 and out.stdout == ""
    assert "Traceback" not in out.stderr
    lines = _messages(out.stderr)
    assert len(lines) == 1 and lines[0].startswith("digitpad: error:") and words in lines[0], out.stderr
    assert (source.name if output.suffix == ".png" else output.name) in lines[0]
    assert not output.parent.exists() or list(output.parent.iterdir()) == []


def test_without_mnist_the_figure_is_written_without_neighbours(cli_env, model, drawn, tmp_path):
    env = {k: v for k, v in cli_env.items() if k != "DIGITPAD_MNIST"}
    env["KERAS_HOME"] = str(tmp_path / "no-keras")  # no Keras cache to fall back on either
    env["DIGITPAD_OFFLINE"] = "1"
    out_png = tmp_path / "two.png"
    out = run_cli(["explain", str(drawn), "--model", str(model), "-o", str(out_png),
                   "--mnist", str(tmp_path / "nowhere.npz")], env)
    assert out.returncode == 0, out.stderr
    lines = _messages(out.stderr)
    assert len(lines) == 1 and "no nearest MNIST digits" in lines[0] and "nowhere.npz" in lines[0], out.stderr
    img = cv2.imread(str(out_png))
    assert img is not None and img.shape[1] == 804 and 700 <= img.shape[0] <= 900, img.shape
    assert _dark_share(img[-100:-40, 24:-24]) < 0.05  # a line of text where the neighbours would be
    assert not (model.parent / (model.name + ".latent-map.npz")).exists()


def test_a_model_whose_layers_cannot_be_seen_is_one_line(model, drawn, tmp_path, monkeypatch, capsys):
    """A SavedModel's recogniser raises ``Unsupported`` when asked for its layers (recognition works)."""
    from digitpad import cli
    from digitpad.ml import numpy_recognizer
    from digitpad.ml.numpy_forward import Unsupported

    real = numpy_recognizer.load_recognizer

    def sealed(*args, **kwargs):
        rec = real(*args, **kwargs)

        def trace(images):
            raise Unsupported("a SavedModel's layers cannot be seen")

        rec.trace = trace
        return rec

    monkeypatch.setattr(numpy_recognizer, "load_recognizer", sealed)
    monkeypatch.delenv("DIGITPAD_MNIST", raising=False)
    output = tmp_path / "figure.png"
    assert cli.main(["explain", str(drawn), "--model", str(model), "-o", str(output)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [f"digitpad: error: {model}: cannot look inside this model (a SavedModel's layers cannot be seen)"]
    assert not output.exists()


def test_the_figure_shows_the_answer_predict_gives_an_ink_read_at_several_widths(model, small_mnist, drawn,
                                                                               tmp_path, monkeypatch):
    """The default reads ink at two widths: the figure's probabilities, verdict and saliency target
    are that averaged answer, not the main drawing's own."""
    from digitpad import cli
    from digitpad.core import explain_figure
    from digitpad.core.ink import read_ink
    from digitpad.ml.numpy_recognizer import load_recognizer

    shown = []
    monkeypatch.setattr(explain_figure, "save_figure", lambda figure, path: shown.append(figure))
    assert cli.main(["explain", str(drawn), "--model", str(model), "-o", str(tmp_path / "f.png"),
                     "--mnist", str(small_mnist)]) == 0
    rec = load_recognizer(model)
    assert len(rec.info.preprocessing.ink_widths) == 2
    answer = rec.recognise_ink(read_ink(drawn))
    own = rec.predict(answer.preprocessed.image[None]).probabilities[0]
    assert not np.allclose(own, answer.probabilities, atol=1e-4)  # the two readings do differ
    assert np.allclose(shown[0].probabilities, answer.probabilities, atol=1e-6)
    assert shown[0].target == answer.digit


@pytest.mark.parametrize("given", ["itself", "a link", "its folder"])
def test_a_figure_onto_its_own_picture_is_refused_and_the_picture_kept(mnist_test_sample, tmp_path, capsys, given):
    """``explain seven.png -o seven.png`` would replace the user's picture with the figure."""
    from digitpad.cli import main

    x, _ = mnist_test_sample
    picture = tmp_path / "seven.png"
    cv2.imwrite(str(picture), 255 - x[0])
    before = picture.read_bytes()
    source = output = picture
    if given == "a link":
        output = tmp_path / "figure.png"
        output.symlink_to(picture)
    elif given == "its folder":  # the first picture of the folder is the one explained
        source = tmp_path
    assert main(["explain", str(source), "-o", str(output)]) == 1
    err = capsys.readouterr().err
    assert err.strip() == (f"digitpad: error: {output}: is the picture to explain: the figure would overwrite it; "
                           "give -o another file")
    assert picture.read_bytes() == before
