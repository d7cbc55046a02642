"""The public entry points, run as a user runs them: ``python -m digitpad ...`` in a subprocess."""
import json
import sys

import cv2
import numpy as np
import pytest

from support import run_cli


def _errors(stderr: str) -> list[str]:
    """DigitPad's own error lines (TensorFlow's native logger may add start-up noise)."""
    return [line for line in stderr.splitlines() if line.startswith("digitpad:")]


def _ink_from_mnist(img, scale=10.0):
    """A rough ink: one 2-point stroke per horizontal run of ink pixels (enough for a smoke test)."""
    from digitpad.core.skeleton import digit_skeletons
    from digitpad.core.stroke_digits import segments_to_ink

    return segments_to_ink(digit_skeletons(img[None])[0], canvas=28 * scale)


def test_evaluate_shipped_model_on_mnist_test(cli_env, shipped_model, tmp_path):
    """The headline number, through the public command (no arguments: default model, MNIST test)."""
    out = run_cli(["evaluate", "--plot", str(tmp_path / "cm.png"), "--json", str(tmp_path / "scores.json")], cli_env)
    assert out.returncode == 0, out.stderr
    assert "per-class accuracy" in out.stdout and "confusion matrix" in out.stdout
    scores = json.loads((tmp_path / "scores.json").read_text())
    assert scores["count"] == 10000
    assert scores["accuracy"] >= 0.996, scores["accuracy"]
    assert cv2.imread(str(tmp_path / "cm.png")) is not None


def test_predict_images_and_inks_in_input_order(cli_env, shipped_model, mnist_test_sample, tmp_path):
    x, y = mnist_test_sample
    paths, labels = [], []
    for i in range(12):
        if i % 3 == 0:  # dark on light, bigger, as a photo or scan would be
            img = 255 - cv2.resize(x[i], (140, 140), interpolation=cv2.INTER_CUBIC)
            p = tmp_path / f"d{i}.jpg"
        elif i % 3 == 1:
            img, p = x[i], tmp_path / f"d{i}.png"
        else:
            img, p = np.dstack([x[i]] * 3), tmp_path / f"d{i}.bmp"
        cv2.imwrite(str(p), img)
        paths.append(str(p))
        labels.append(int(y[i]))
    inks = [_ink_from_mnist(x[i]) for i in range(12, 24)]
    (tmp_path / "one.json").write_text(inks[0].to_json())
    (tmp_path / "many.jsonl").write_text("\n".join(i.to_json() for i in inks[1:]) + "\n")
    args = ["predict", *paths, str(tmp_path / "one.json"), str(tmp_path / "many.jsonl")]
    out = run_cli(args, cli_env)
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["source"] for r in rows] == paths + [str(tmp_path / "one.json")] + \
        [f"{tmp_path / 'many.jsonl'}:{k}" for k in range(1, 12)]
    expected = labels + [int(v) for v in y[12:24]]
    assert sum(r["digit"] == e for r, e in zip(rows, expected)) >= 22
    for r in rows:
        assert len(r["probabilities"]) == 10 and abs(sum(r["probabilities"]) - 1) < 1e-3
        assert r["confidence"] == pytest.approx(max(r["probabilities"]), abs=1e-6)
        assert r["reconstruction_error"] >= 0


def test_predict_from_stdin_and_blank_inputs(cli_env, shipped_model, mnist_test_sample, tmp_path):
    x, y = mnist_test_sample
    lines = [_ink_from_mnist(x[i]).to_json() for i in range(5)]
    lines.insert(2, '{"width": 100, "height": 100, "strokes": []}')
    cv2.imwrite(str(tmp_path / "blank.png"), np.full((50, 50), 255, np.uint8))
    out = run_cli(["predict", "-", str(tmp_path / "blank.png")], cli_env, input="\n".join(lines) + "\n")
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["source"] for r in rows] == ["-:1", "-:2", "-:3", "-:4", "-:5", "-:6", str(tmp_path / "blank.png")]
    assert rows[2]["empty"] and rows[2]["digit"] is None and rows[-1]["empty"]
    assert [r["digit"] for r in rows[:2] + rows[3:6]] == [int(v) for v in y[:5]]


def test_predict_bad_inputs_are_named_and_the_rest_still_answered(cli_env, shipped_model, mnist_test_sample,
                                                                   tmp_path):
    x, _ = mnist_test_sample
    cv2.imwrite(str(tmp_path / "good.png"), x[0])
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n garbage")
    (tmp_path / "broken.json").write_text('{"width": 10, "height": -3, "strokes": []}')
    (tmp_path / "mixed.jsonl").write_text(_ink_from_mnist(x[1]).to_json() + "\n{oops\n")
    args = ["predict", str(tmp_path / "broken.png"), str(tmp_path / "good.png"), str(tmp_path / "broken.json"),
            str(tmp_path / "mixed.jsonl"), str(tmp_path / "absent.png")]
    out = run_cli(args, cli_env)
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    errors = _errors(out.stderr)
    assert len(errors) == 4
    assert "broken.png" in errors[0] and "not a readable image" in errors[0]
    assert "broken.json" in errors[1] and "'height' must be a positive number" in errors[1]
    assert "mixed.jsonl:2" in errors[2] and "absent.png" in errors[3]
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(rows) == 6 and "error" in rows[0] and rows[1]["digit"] == 7 and "digit" in rows[3]


@pytest.mark.parametrize("content, words", [
    (b"", "empty"), (b"PK\x03\x04 not a model", "not a zip archive"),
])
def test_bad_model_file_is_one_line_and_no_output(cli_env, tmp_path, content, words, mnist_test_sample):
    model = tmp_path / "bad.keras"
    model.write_bytes(content)
    cv2.imwrite(str(tmp_path / "d.png"), mnist_test_sample[0][0])
    for args in (["evaluate", str(model)], ["predict", "--model", str(model), str(tmp_path / "d.png")]):
        out = run_cli(args, cli_env)
        assert out.returncode == 1 and out.stdout == ""
        lines = _errors(out.stderr)
        assert len(lines) == 1 and str(model) in lines[0] and words in lines[0], out.stderr


def test_evaluate_on_a_folder_of_images(cli_env, shipped_model, mnist_test_sample, tmp_path):
    x, y = mnist_test_sample
    for i in range(30):
        cv2.imwrite(str(tmp_path / f"{y[i]}_{i:03d}.png"), 255 - x[i])
    out = run_cli(["evaluate", "--data", str(tmp_path)], cli_env)
    assert out.returncode == 0, out.stderr
    assert "on 30 digits" in out.stdout


def test_missing_mnist_is_a_clear_message(cli_env, tmp_path):
    out = run_cli(["evaluate", "--mnist", str(tmp_path / "nowhere.npz")], cli_env)
    assert out.returncode == 1 and "nowhere.npz" in out.stderr and "Traceback" not in out.stderr


def test_self_test_recognises_the_shipped_samples(cli_env, shipped_model, tmp_path):
    out = run_cli(["--self-test"], cli_env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "self-test passed: 20/20" in out.stdout
    from digitpad import __version__

    assert f"DigitPad {__version__}" in out.stdout and __version__ != "0.0.0+src"  # from the package metadata
    import keras

    inp = keras.Input((28, 28, 1))  # a model that always answers 0 must fail the self-test
    dense = keras.layers.Dense(10, activation="softmax")
    model = keras.Model(inp, dense(keras.layers.Flatten()(inp)))
    dense.set_weights([np.zeros((784, 10), np.float32), np.eye(10, dtype=np.float32)[0] * 10])
    model.save(tmp_path / "zero.keras")
    bad = run_cli(["--self-test", "--model", str(tmp_path / "zero.keras")], cli_env)
    assert bad.returncode == 1 and "self-test FAILED" in bad.stdout


def test_self_test_fails_an_install_without_the_fine_tuning_banks(tmp_path, monkeypatch):
    """A bundle that lost a bank would fine-tune without it and only say so in a log line."""
    import shutil

    from digitpad import cli
    from digitpad.core import model_files

    assert cli._missing_training_banks() == []  # the source tree has both
    shutil.copy(model_files.resources_dir() / "non-digits.npz", tmp_path)
    shutil.copytree(model_files.resources_dir() / "samples", tmp_path / "samples")
    monkeypatch.setattr(model_files, "resources_dir", lambda: tmp_path)
    missing, = cli._missing_training_banks()
    assert "real-digits.npz" in missing
    np.savez(tmp_path / "real-digits.npz", x=np.zeros((2, 28, 28), np.uint8), y=np.array([1, 12]))
    missing, = cli._missing_training_banks()
    assert "real-digits.npz" in missing and "digit 0-9" in missing
    assert cli.cmd_self_test(type("Args", (), {"model": None})()) == 1  # the model is fine, the bank is not


def test_predict_y_up_inks_with_y_up(cli_env, mnist_test_sample, tmp_path):
    """Inks from a y-up tablet read upside down; --y-up mirrors them back before recognising."""
    from digitpad.core.ink import flip_y

    x, y = mnist_test_sample
    inks = [_ink_from_mnist(img) for img in x[:40]]
    (tmp_path / "upright.jsonl").write_text("".join(i.to_json() + "\n" for i in inks))
    (tmp_path / "y_up.jsonl").write_text("".join(flip_y(i).to_json() + "\n" for i in inks))

    def digits(*args):
        out = run_cli(["predict", *args], cli_env)
        assert out.returncode == 0, out.stderr
        return np.array([json.loads(line)["digit"] for line in out.stdout.splitlines()])

    upright = digits(str(tmp_path / "upright.jsonl"))
    assert np.array_equal(digits("--y-up", str(tmp_path / "y_up.jsonl")), upright)
    assert (digits(str(tmp_path / "y_up.jsonl")) == y[:40]).sum() < (upright == y[:40]).sum() - 10


def test_predict_gives_a_verdict_for_every_input_from_the_signals_the_model_has(cli_env, shipped_model,
                                                                                 mnist_test_sample, tmp_path):
    from digitpad.core.scribbles import scribble_ink

    x, y = mnist_test_sample
    letter_a = {"width": 200, "height": 200, "strokes": [[[20, 190], [100, 10], [180, 190]], [[55, 120], [145, 120]]]}
    rng = np.random.default_rng(3)
    lines = [_ink_from_mnist(x[i]).to_json() for i in range(6)] + [json.dumps(letter_a)] + \
        [scribble_ink(kind, rng).to_json() for kind in ("spiral", "loops", "hash", "random_lines")] + \
        ['{"strokes": []}']
    (tmp_path / "mixed.jsonl").write_text("\n".join(lines) + "\n")
    out = run_cli(["predict", str(tmp_path / "mixed.jsonl")], cli_env)
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["verdict"] for r in rows[:6]] == ["digit"] * 6
    assert [r["digit"] for r in rows[:6]] == [int(v) for v in y[:6]]
    refused = [r for r in rows[6:11] if r["verdict"] == "not a digit"]
    assert rows[6]["verdict"] == "not a digit" and len(refused) >= 4, rows[6:11]  # the A, and the scribbles
    assert all(r["verdict"] != "digit" for r in rows[6:11])
    assert all("digit-likeness" in r["reason"] or "reconstruction" in r["reason"] for r in refused)
    assert all(0 <= r["digit_likeness"] <= 1 for r in rows[:11])
    assert rows[11]["verdict"] == "empty"

    # a classifier-only model, without a decoder or a digit-likeness: judged by its confidence alone
    import keras

    from digitpad.core.model_info import ModelInfo
    from digitpad.ml.training import save

    plain = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10, "softmax")])
    save(plain, ModelInfo(name="plain"), tmp_path / "plain.keras")
    out = run_cli(["predict", "--model", str(tmp_path / "plain.keras"), str(tmp_path / "mixed.jsonl")], cli_env)
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert {r["verdict"] for r in rows[:11]} <= {"digit", "not sure"} and rows[11]["verdict"] == "empty"
    assert not any("digit_likeness" in r or "reconstruction_error" in r for r in rows)


def test_predict_number_reads_each_input_as_one_number(cli_env, shipped_model, tmp_path):
    """Ink and pictures, each read as a whole number: the number, its confidence, and each digit
    with its box and verdict; an empty input is a null number with its reason."""
    from digitpad.core.ink import Ink, render

    seven = [(0, 0), (60, 0), (20, 100)]
    one = [(30, 0), (30, 100)]
    zero = [(30 + 28 * np.sin(t), 50 - 50 * np.cos(t)) for t in np.linspace(0, 2 * np.pi, 40)]
    strokes = [np.array([(x + 10 + k * 90, y + 20) for x, y in s], float) for k, s in enumerate([seven, zero, one])]
    ink = Ink(300, 140, tuple(strokes))
    (tmp_path / "n.jsonl").write_text(ink.to_json() + '\n{"strokes": []}\n')
    cv2.imwrite(str(tmp_path / "n.png"), 255 - render(ink, pen_width=9.0))
    out = run_cli(["predict", "--number", str(tmp_path / "n.jsonl"), str(tmp_path / "n.png")], cli_env)
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["source"] for r in rows] == [f"{tmp_path / 'n.jsonl'}:1", f"{tmp_path / 'n.jsonl'}:2",
                                           str(tmp_path / "n.png")]
    for r in (rows[0], rows[2]):
        assert r["number"] == "701", r
        assert [d["verdict"] for d in r["digits"]] == ["digit"] * 3
        assert r["confidence"] == pytest.approx(np.prod([d["confidence"] for d in r["digits"]]), abs=1e-5)
        boxes = [d["box"] for d in r["digits"]]
        assert all(len(b) == 4 and b[0] <= b[2] and b[1] <= b[3] for b in boxes)
        assert [b[0] for b in boxes] == sorted(b[0] for b in boxes)
    assert rows[1]["number"] is None and rows[1]["reason"] == "empty" and rows[1]["digits"] == []


def test_predict_reads_a_folder_in_name_order_and_stdin_once(cli_env, shipped_model, mnist_test_sample, tmp_path):
    x, y = mnist_test_sample
    folder = tmp_path / "scans"
    (folder / "b").mkdir(parents=True)
    cv2.imwrite(str(folder / "a.png"), 255 - x[0])
    cv2.imwrite(str(folder / "b" / "c.jpg"), 255 - x[1])
    (folder / "b" / "d.json").write_text(_ink_from_mnist(x[2]).to_json())
    (folder / "._a.png").write_bytes(b"\x00\x05\x16\x07 macOS resource fork")  # hidden: left out
    (folder / "notes.txt").write_text("not a picture")
    (tmp_path / "empty").mkdir()
    out = run_cli(["predict", str(folder), "-", "-", str(tmp_path / "empty"), "/dev/null"], cli_env,
                  input=_ink_from_mnist(x[3]).to_json() + "\n")
    assert out.returncode == 1
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["source"] for r in rows] == [str(folder / "a.png"), str(folder / "b" / "c.jpg"),
                                           str(folder / "b" / "d.json"), "-:1", "-", str(tmp_path / "empty"),
                                           "/dev/null"]
    assert [r["digit"] for r in rows[:4]] == [int(v) for v in y[:4]]
    errors = _errors(out.stderr)
    assert len(errors) == 3 and "read already" in errors[0] and "no pictures or inks in this folder" in errors[1]
    assert "/dev/null: not a regular file but a device, pipe or socket: give what it holds on standard " \
           "input, as '-'" in errors[2]


def test_predict_reads_one_pretty_printed_drawing_on_stdin_whole(cli_env, shipped_model, mnist_test_sample):
    x, y = mnist_test_sample
    pretty = json.dumps(json.loads(_ink_from_mnist(x[0]).to_json()), indent=2)
    out = run_cli(["predict", "-"], cli_env, input=pretty + "\n")
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(rows) == 1 and rows[0]["source"] == "-" and rows[0]["digit"] == int(y[0])
    broken = run_cli(["predict", "-"], cli_env, input="{nope\n" + _ink_from_mnist(x[1]).to_json() + "\n")
    rows = [json.loads(line) for line in broken.stdout.splitlines()]
    assert broken.returncode == 1 and [r["source"] for r in rows] == ["-:1", "-:2"] and rows[1]["digit"] == int(y[1])


def test_stdin_is_read_whole_only_up_to_one_inks_size(monkeypatch):
    import io

    from digitpad import cli
    from digitpad.core import ink as ink_module

    stroke = '{"width": 100, "height": 100, "strokes": [[[50, 5], [50, 95]]]}'
    pretty = "\ufeff{\n" + stroke[1:-1].replace(", ", ",\n") + "\n}\n"  # with Windows' byte-order mark
    monkeypatch.setattr(sys, "stdin", io.StringIO(pretty))
    assert [(s, kind) for s, kind, _ in cli._inputs(["-"])] == [("-", "ink")]
    # a stream whose first line is broken, longer than an ink may be: streamed line by line, the
    # first answer out long before the stream ends
    monkeypatch.setattr(ink_module, "MAX_INK_BYTES", 500)
    consumed = []

    def stream():
        for n, line in enumerate(["{nope\n"] + [stroke + "\n"] * 2000):
            consumed.append(n)
            yield line

    monkeypatch.setattr(sys, "stdin", stream())
    answers = cli._inputs(["-"])
    assert next(answers)[:2] == ("-:1", "error") and len(consumed) < 20
    assert [(s, kind) for s, kind, _ in answers] == [(f"-:{n}", "ink") for n in range(2, 2002)]


def test_a_broken_pretty_printed_drawing_on_stdin_is_one_error(monkeypatch):
    import io

    from digitpad import cli

    monkeypatch.setattr(sys, "stdin", io.StringIO('{\n  "width": 200,\n  "strokes": [[[1, 2], [3,\n'))
    read = list(cli._inputs(["-"]))
    assert len(read) == 1 and read[0][:2] == ("-", "error") and "not valid JSON" in read[0][2]


def test_predict_points_a_labelled_set_to_evaluate(cli_env, shipped_model, tmp_path):
    np.savez(tmp_path / "set.npz", x=np.zeros((2, 28, 28), np.uint8), y=np.array([1, 2]))
    out = run_cli(["predict", str(tmp_path / "set.npz")], cli_env)
    assert out.returncode == 1 and "digitpad evaluate --data" in _errors(out.stderr)[0]


def test_predict_averages_an_inks_readings_at_each_width_its_model_asks_for(cli_env, shipped_model,
                                                                           mnist_test_sample, tmp_path):
    """A sidecar's ``also_stroke_ratios``: each ink is drawn at every width and the probabilities
    averaged; a picture in the same run is read once, as it is."""
    import shutil

    x, _ = mnist_test_sample
    inks = [_ink_from_mnist(x[i]) for i in range(30, 36)]
    (tmp_path / "inks.jsonl").write_text("\n".join(i.to_json() for i in inks) + "\n")
    cv2.imwrite(str(tmp_path / "pic.png"), x[40])
    sidecar = json.loads(shipped_model.with_suffix(".json").read_text())
    answers = {}
    for name, preprocessing in (("main", {"stroke_ratio": 0.14}), ("thin", {"stroke_ratio": 0.084}),
                                ("both", {"stroke_ratio": 0.14, "also_stroke_ratios": [0.084]})):
        model = tmp_path / f"{name}.keras"
        shutil.copyfile(shipped_model, model)
        model.with_suffix(".json").write_text(json.dumps({**sidecar, "preprocessing": preprocessing}))
        out = run_cli(["predict", "--model", str(model), str(tmp_path / "pic.png"), str(tmp_path / "inks.jsonl")],
                      cli_env)
        assert out.returncode == 0, out.stderr
        answers[name] = [json.loads(line) for line in out.stdout.splitlines()]
    main, thin, both = (np.array([r["probabilities"] for r in answers[k]]) for k in ("main", "thin", "both"))
    assert np.allclose(both[1:], (main[1:] + thin[1:]) / 2, atol=2e-6)
    assert np.allclose(both[0], main[0], atol=1e-6) and np.allclose(both[0], thin[0], atol=1e-6)
    assert not np.allclose(main[1:], thin[1:], atol=1e-3)  # the widths do draw different pictures
    # the rest of the answer is the main drawing's
    assert [r["reconstruction_error"] for r in answers["both"]] == [r["reconstruction_error"] for r in answers["main"]]
