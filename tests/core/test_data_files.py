
import os

import cv2
import numpy as np
import pytest

from digitpad.core.atomic_file import atomic_path, write_text
from digitpad.core.confusion_plot import save_confusion_png
from digitpad.core.errors import DataFormatError, DigitPadError, ImageReadError, ModelFileError
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


def _exif_rotated_jpeg(upright: np.ndarray, orientation: int) -> bytes:
    """A JPEG whose pixels are stored turned and whose EXIF says how to turn them back, as a
    phone writes it (orientation 6: the stored picture is turned 90 degrees anticlockwise)."""
    stored = cv2.rotate(upright, cv2.ROTATE_90_COUNTERCLOCKWISE)
    jpeg = cv2.imencode(".jpg", stored)[1].tobytes()
    tiff = b"MM\x00\x2a\x00\x00\x00\x08" + b"\x00\x01" + b"\x01\x12\x00\x03\x00\x00\x00\x01" \
        + orientation.to_bytes(2, "big") + b"\x00\x00" + b"\x00\x00\x00\x00"
    app1 = b"Exif\x00\x00" + tiff
    return jpeg[:2] + b"\xff\xe1" + (len(app1) + 2).to_bytes(2, "big") + app1 + jpeg[2:]


def test_a_phone_jpeg_is_read_the_way_up_its_exif_says(tmp_path):
    upright = np.full((60, 40), 255, np.uint8)
    upright[5:25, 5:35] = 0  # a dark block at the top
    (tmp_path / "phone.jpg").write_bytes(_exif_rotated_jpeg(upright, 6))
    read = read_image(tmp_path / "phone.jpg")
    assert read.shape == (60, 40)
    assert read[:30].mean() < 140 < read[30:].mean()  # the block is at the top again


@pytest.mark.parametrize("suffix", [".tif", ".webp"])
def test_the_pixel_limit_holds_for_formats_whose_header_only_opencv_reads(tmp_path, suffix):
    import subprocess
    import sys

    picture = tmp_path / f"big{suffix}"
    cv2.imwrite(str(picture), np.full((6400, 6400), 255, np.uint8))  # 41 megapixels in a few kB
    # OpenCV takes its limit when it loads: here another module of the package loads it first
    script = (f"import digitpad.core.preprocess, digitpad.core.images as im\n"
              f"try:\n    im.read_image({str(picture)!r}); print('decoded')\n"
              f"except im.ImageReadError as e:\n    print('refused', e)\n")
    env = {k: v for k, v in os.environ.items() if k != "OPENCV_IO_MAX_IMAGE_PIXELS"}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert out.stdout.startswith("refused") and f"big{suffix}: picture is too large (over 40" in out.stdout, out


def test_a_plot_is_written_in_the_format_its_name_says(tmp_path):
    s = score(np.arange(10).repeat(3), np.arange(10).repeat(3))
    for name, magic in (("cm.jpg", b"\xff\xd8"), ("cm.png", b"\x89PNG"), ("cm", b"\x89PNG")):
        save_confusion_png(s, tmp_path / name, "demo")
        assert (tmp_path / name).read_bytes().startswith(magic)
    for name in ("cm.svg", "cm.pgm"):
        with pytest.raises(DigitPadError, match=f"{name}: cannot write a picture as .{name[3:]}: name it .bmp"):
            save_confusion_png(s, tmp_path / name, "demo")
        assert not (tmp_path / name).exists()


def test_a_headerless_csv_with_a_label_that_is_not_a_digit_is_refused_by_its_row(tmp_path):
    """Before: label 10 in the first column made the last pixel column the labels, and every row
    was read as a 0."""
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (3, 784))
    pixels[:, [0, -1]] = 0  # a picture's corners are empty
    rows = lambda labels, last=False: "\n".join(",".join(map(str, [*p, l] if last else [l, *p]))
                                                for l, p in zip(labels, pixels)) + "\n"
    (tmp_path / "bad.csv").write_text(rows([7, 10, 2]))
    with pytest.raises(DataFormatError, match="labels must be digits 0-9 \\(label 2 of 3 is 10\\)"):
        load_labelled(tmp_path / "bad.csv")
    (tmp_path / "first.csv").write_text(rows([7, 1, 2]))
    (tmp_path / "last.csv").write_text(rows([7, 1, 2], last=True))
    for name in ("first.csv", "last.csv"):
        data = load_labelled(tmp_path / name)
        assert data.labels.tolist() == [7, 1, 2] and (data.images.reshape(3, -1) == pixels).all()


def test_pictures_of_complex_numbers_or_nan_are_refused_as_what_they_are(tmp_path):
    np.savez(tmp_path / "c.npz", x=np.zeros((3, 28, 28), complex), y=np.array([1, 2, 3]))
    with pytest.raises(DataFormatError, match="pictures must hold numbers of pixels, not complex128 values"):
        load_labelled(tmp_path / "c.npz")
    np.savez(tmp_path / "nan.npz", x=np.full((3, 28, 28), np.nan), y=np.array([1, 2, 3]))
    with pytest.raises(DataFormatError, match="nan.npz: pictures hold NaN or infinite values"):
        load_labelled(tmp_path / "nan.npz")
