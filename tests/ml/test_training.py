"""The one training run on a small subset, end to end: from scratch with extra pictures, ink JSON
Lines selected by a key and writing habits; fine-tuning (from a model with a store) is in
test_finetune.py."""
import json
from pathlib import Path

import numpy as np

from digitpad.ml.recognizer import Recognizer
from digitpad.ml.training import TrainConfig, train


def _inks(tmp_path, mnist_file):
    """Ink JSON Lines of 40 MNIST test digits: 20 marked part=train, 20 part=test."""
    from digitpad.core.skeleton import digit_skeletons
    from digitpad.core.stroke_digits import segments_to_ink

    with np.load(mnist_file) as d:
        x, y = d["x_test"][:40], d["y_test"][:40]
    path = tmp_path / "inks.jsonl"
    lines = []
    for i, (s, label) in enumerate(zip(digit_skeletons(x), y)):
        doc = segments_to_ink(s).to_dict()
        doc.update(label=int(label), writer=f"unipen-x-{i % 3}", part="train" if i < 20 else "test")
        lines.append(json.dumps(doc))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_training_from_scratch_writes_a_working_model_with_measured_metrics(tmp_path, mnist_file, monkeypatch):
    monkeypatch.setenv("DIGITPAD_CACHE", str(tmp_path / "cache"))
    extra = tmp_path / "extra.npz"
    with np.load(mnist_file) as d:
        np.savez(extra, x=d["x_test"][-200:], y=d["y_test"][-200:])
    inks = _inks(tmp_path, mnist_file)
    out = tmp_path / "smoke.keras"
    cfg = TrainConfig(architecture="paper", output=out, epochs=2, batch_size=32, mnist=str(mnist_file),
                      limit=1800, stroke_mix=0.3, extra=[str(extra), f"{inks}:part=train"], variants=2,
                      habits=0.05, log_dir=tmp_path / "tb", verbose=0, calibration=[f"{inks}:part=test"])
    logs = []
    rec = train(cfg, log=logs.append)
    sidecar = json.loads(out.with_suffix(".json").read_text())
    assert sidecar["metrics"] == rec.info.metrics
    # trained on 1,500 digits for 2 epochs: far better than chance, far from finished
    assert 0.3 < sidecar["metrics"]["mnist_test_accuracy"] < 0.995
    assert 0 < sidecar["thresholds"]["confidence"] < 1
    # two epochs may leave the paper's lightly weighted decoder not drawing yet: then it is not used
    error = sidecar["thresholds"]["reconstruction_error"]
    assert error is None or error > 0
    training = sidecar["training"]
    assert training["extra_digits"] == 220 and training["train_digits"] == 1500
    # every data set is named, the ink set with its selection and the credit its writers ask for
    names = [d["data"] for d in training["data"]]
    assert names[0] == "MNIST" and "extra.npz" in names and "inks.jsonl" in names and "writing habits" in names[-1]
    ink_record, = [d for d in training["data"] if d["data"] == "inks.jsonl"]
    assert ink_record["select"] == {"part": "train"} and ink_record["digits"] == ink_record["inks"] == 20
    assert "UNIPEN" in ink_record["credit"]
    assert training["epoch_mix"]["habits"] > 0 and training["variants"] == 2
    assert any("drawing 2 distorted versions of 20 inks" in line for line in logs)
    assert any((tmp_path / "tb").rglob("events.out.tfevents*"))
    # the ink width was chosen on the calibration inks, and every width tried is on record
    widths = training["reading_width"]
    from digitpad.core.preprocess import PreprocessSettings
    from digitpad.ml.reading_width import label

    chosen = PreprocessSettings.from_dict(sidecar["preprocessing"]).ink_widths
    assert len(widths) == 6 and "0.14+0.084" in widths and label(chosen) in widths
    assert sidecar["metrics"]["calibration_digits"] == 20
    assert any("ink stroke width on the calibration inks" in line for line in logs)
    loaded = Recognizer.load(out)
    assert loaded.info.architecture == "paper" and loaded.info.preprocessing.binarize
    assert any("prepared" in line for line in logs)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp.keras")]


def test_saved_models_hold_no_optimizer_state(tmp_path):
    """What inference needs, not Adam's moments: the file is about a third of a compiled save."""
    import keras

    from digitpad.core.model_info import ModelInfo
    from digitpad.ml.architectures import build
    from digitpad.ml.training import save

    model = build("digitnet")
    model.compile(optimizer=keras.optimizers.Adam(use_ema=True), loss={"digit": "categorical_crossentropy"})
    model.train_on_batch(np.zeros((2, 28, 28, 1), np.float32), {"digit": np.eye(10, dtype=np.float32)[:2]})
    model.save(tmp_path / "full.keras")
    save(model, ModelInfo(name="lean"), tmp_path / "lean.keras")
    assert (tmp_path / "lean.keras").stat().st_size < 0.4 * (tmp_path / "full.keras").stat().st_size
    lean = Recognizer.load(tmp_path / "lean.keras")
    x = np.random.default_rng(0).random((4, 28, 28)).astype(np.float32)
    expected = model(x[..., None], training=False)["digit"].numpy()
    assert np.allclose(lean.predict(x).probabilities, expected, atol=1e-5)


def test_non_digits_teach_the_is_digit_output_and_its_threshold_is_calibrated(tmp_path, mnist_file, monkeypatch):
    """digitnet with letters (ink JSON Lines selected by key) and scribbles as non-digits; the
    threshold comes from validation digits plus a calibration set of real ink."""
    monkeypatch.setenv("DIGITPAD_CACHE", str(tmp_path / "cache"))
    inks = _inks(tmp_path, mnist_file)
    letters = tmp_path / "letters.jsonl"
    rows = [{"width": 100, "height": 100, "strokes": [[[10, 90], [50, 10], [90, 90]], [[30, 50], [70, 50]]],
             "char": "A", "writer": "unipen-x-1", "part": part, "looks_like_digit": False}
            for part in ("train", "train", "tune")]
    rows.append({**rows[0], "char": "O", "looks_like_digit": True})
    letters.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "nd.keras"
    logs = []
    cfg = TrainConfig(output=out, epochs=1, batch_size=64, mnist=str(mnist_file), limit=1200,
                      non_digits=[f"{letters}:part=train,looks_like_digit=false"],
                      calibration=[f"{inks}:part=test"], verbose=0)
    rec = train(cfg, log=logs.append)
    assert rec.has_digit_likeness
    side = json.loads(out.with_suffix(".json").read_text())
    assert 0 < side["thresholds"]["digit_likeness"] < 1
    assert side["metrics"]["calibration_digits"] == 20
    letter_record, = [d for d in side["training"]["data"] if d["data"] == "letters.jsonl"]
    assert letter_record["non_digits"] and letter_record["pictures"] == 4  # 2 letters, 2 drawings each
    assert any("scribbles" in d["data"] for d in side["training"]["data"])
    assert side["training"]["epoch_mix"]["non_digits"] > 0
    x = np.random.default_rng(0).random((3, 28, 28)).astype(np.float32)
    likeness = Recognizer.load(out).predict(x).digit_likeness
    assert likeness.shape == (3,) and ((0 <= likeness) & (likeness <= 1)).all()


def test_thresholds_and_calibration_accuracy_come_from_inks_read_as_predict_reads_them(tmp_path, mnist_file,
                                                                                       unipen_file):
    """A model reading ink at two widths is calibrated on the averaged answers, not on one drawing."""
    from dataclasses import replace

    from digitpad.core.mnist_data import Mnist
    from digitpad.core.model_info import ModelInfo
    from digitpad.core.training_data import labelled_samples, model_pictures, ExtraSource
    from digitpad.ml import reading_width
    from digitpad.ml.numpy_recognizer import NumpyRecognizer, load_recognizer
    from digitpad.ml.training import measure

    lines = [line for line in unipen_file.read_text().splitlines() if '"part":"tune"' in line.replace(" ", "")][600:750]
    (tmp_path / "inks.jsonl").write_text("\n".join(lines) + "\n")
    calibration = labelled_samples([ExtraSource.parse(str(tmp_path / "inks.jsonl"))], lambda m: None)
    shipped = load_recognizer(Path(__file__).resolve().parents[2] / "models" / "digitpad-default.keras")
    with np.load(mnist_file) as d:
        mnist = Mnist(d["x_train"][:10], d["y_train"][:10], d["x_test"][:50], d["y_test"][:50], "small")
        x_val, y_val = d["x_test"][50:250].astype(np.float32) / 255, d["y_test"][50:250].astype(np.int64)
    inks = [s.ink for s in calibration]
    labels = np.array([s.label for s in calibration])
    results = {}
    for widths in ((0.14,), (0.14, 0.084)):
        settings = replace(shipped.info.preprocessing, stroke_ratio=widths[0], also_ratios=widths[1:])
        rec = NumpyRecognizer(shipped.model, ModelInfo(**{**shipped.info.__dict__, "preprocessing": settings}))
        x, y = model_pictures(calibration, settings)
        assert x.shape == ((150, 28, 28) if len(widths) == 1 else (150, 2, 28, 28))
        metrics, thresholds, _ = measure(rec, mnist, x_val, y_val, None, (x, y))
        right = reading_width.read_correctly(rec, inks, labels, widths)
        assert metrics["calibration_accuracy"] == round(float(right.mean()), 6)
        results[widths] = (metrics, thresholds)
    assert results[(0.14,)][0]["calibration_accuracy"] != results[(0.14, 0.084)][0]["calibration_accuracy"]
