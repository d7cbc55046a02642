
import cv2
import numpy as np
import pytest

from digitpad.core.atomic_file import atomic_path, write_text
from digitpad.core.confusion_plot import save_confusion_png
from digitpad.core.errors import DataFormatError, ImageReadError, ModelFileError
from digitpad.core.images import read_image
from digitpad.core.labelled_sets import load_labelled
from digitpad.core.metrics import format_scores, score
from digitpad.core.model_info import ModelInfo, read_info, sidecar_path, write_info
from digitpad.core.preprocess import PreprocessSettings


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path):
    target = tmp_path / "model.json"
    write_text(target, "old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]


def test_scores_and_confusion():
    labels = np.array([0, 1, 2, 2, 3])
    s = score(labels, np.array([0, 1, 2, 1, -1]))
    assert s.accuracy == pytest.approx(0.6)
    assert s.confusion[2, 1] == 1 and s.confusion[3, 10] == 1
    assert s.per_class[2] == pytest.approx(0.5) and np.isnan(s.per_class[9])
    text = format_scores(s, "demo")
    assert "60.00%" in text and "blank" in text


def test_confusion_png(tmp_path):
    s = score(np.arange(10).repeat(3), np.arange(10).repeat(3))
    save_confusion_png(s, tmp_path / "cm.png", "demo")
    img = cv2.imread(str(tmp_path / "cm.png"))
    assert img is not None and img.shape[0] > 400


def test_sidecar_round_trip(tmp_path):
    info = ModelInfo(name="m", architecture="paper", preprocessing=PreprocessSettings(True, True),
                     metrics={"mnist_test_accuracy": 0.99}, thresholds={"confidence": 0.5}, extra={"note": "x"})
    write_info(tmp_path / "m.keras", info)
    assert sidecar_path(tmp_path / "m.keras") == tmp_path / "m.json"
    back = read_info(tmp_path / "m.keras")
    assert back.preprocessing.binarize and back.metrics == info.metrics and back.extra == {"note": "x"}
    assert read_info(tmp_path / "other.keras").name == "other"
    (tmp_path / "b.json").write_text("{broken")
    with pytest.raises(ModelFileError, match="b.json"):
        read_info(tmp_path / "b.keras")


def test_the_ink_stroke_width_is_kept_and_checked(tmp_path):
    write_info(tmp_path / "w.keras", ModelInfo(name="w", preprocessing=PreprocessSettings(stroke_ratio=0.1)))
    assert read_info(tmp_path / "w.keras").preprocessing.stroke_ratio == 0.1
    # a sidecar from before the setting reads ink as every model did then
    (tmp_path / "old.json").write_text('{"preprocessing": {"binarize": true}}')
    assert read_info(tmp_path / "old.keras").preprocessing == PreprocessSettings(binarize=True, stroke_ratio=0.14)
    for bad in ('"thin"', "true", "0", "-0.1", "1e308", "NaN", "[0.1]"):
        (tmp_path / "bad.json").write_text('{"preprocessing": {"stroke_ratio": %s}}' % bad)
        with pytest.raises(ModelFileError, match=r"bad\.json.*stroke_ratio"):
            read_info(tmp_path / "bad.keras")


def test_image_errors_name_the_file(tmp_path):
    (tmp_path / "x.png").write_bytes(b"\x89PNG not really")
    with pytest.raises(ImageReadError, match="x.png"):
        read_image(tmp_path / "x.png")
    with pytest.raises(ImageReadError, match="cannot read"):
        read_image(tmp_path / "none.png")


def _digit_png(path, value):
    img = np.zeros((40, 40), np.uint8)
    cv2.putText(img, str(value), (8, 32), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 255, 3)
    cv2.imwrite(str(path), img)


def test_image_folders_by_name_and_by_subfolder(tmp_path):
    named = tmp_path / "named"
    named.mkdir()
    for d in (3, 5):
        _digit_png(named / f"{d}_a.png", d)
    data = load_labelled(named)
    assert sorted(data.labels.tolist()) == [3, 5] and data.images[0].shape == (40, 40)
    sorted_dir = tmp_path / "sorted"
    for d in (1, 7):
        (sorted_dir / str(d)).mkdir(parents=True)
        _digit_png(sorted_dir / str(d) / "x.png", d)
    assert load_labelled(sorted_dir).labels.tolist() == [1, 7]
    (named / "cat.png").write_bytes(cv2.imencode(".png", np.zeros((5, 5), np.uint8))[1].tobytes())
    with pytest.raises(DataFormatError, match="cat.png"):
        load_labelled(named)


def test_npz_sets(tmp_path):
    np.savez(tmp_path / "a.npz", x=np.zeros((3, 28, 28), np.uint8), y=np.array([1, 2, 3]))
    assert load_labelled(tmp_path / "a.npz").labels.tolist() == [1, 2, 3]
    np.savez(tmp_path / "b.npz", x=np.zeros((3, 28, 28), np.uint8), y=np.array([1, 2, 12]))
    with pytest.raises(DataFormatError, match="0-9"):
        load_labelled(tmp_path / "b.npz")


def test_held_out_samples_carry_their_store_ids(tmp_path):
    """Reports show a held-out digit as "#id", the number the Samples view gives it."""
    from digitpad.core.labelled_sets import held_out_samples
    from digitpad.core.sample_store import Sample, SampleStore

    with SampleStore(tmp_path / "s.sqlite") as store:
        store.add_many(Sample(label=d % 10, image=np.zeros((28, 28), np.uint8), writer="me") for d in range(100))
        test = [s.id for s in store.samples(split="test")]
    data = held_out_samples(tmp_path / "s.sqlite")
    assert data.ids.tolist() == test and len(data.labels) == len(test) > 0
