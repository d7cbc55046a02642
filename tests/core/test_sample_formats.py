"""Labelled data as other tools write it: one reader per format serves `samples import` and
`evaluate --data`, and both take the same files the same way."""
import json

import cv2
import numpy as np
import pytest

from digitpad.core.errors import DataFormatError, InkError
from digitpad.core.labelled_sets import load_labelled
from digitpad.core.sample_formats import export, import_samples, read_samples
from digitpad.core.sample_store import SampleStore

INK = {"width": 200, "height": 200, "strokes": [[[40, 40], [160, 40], [80, 180]]]}


def _digits(n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` pictures of digits drawn with a font, 28x28, white on black, and their labels."""
    labels = np.arange(n) % 10
    pictures = np.zeros((n, 28, 28), np.uint8)
    for picture, label in zip(pictures, labels):
        cv2.putText(picture, str(label), (6, 23), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 255, 2)
    return pictures, labels


def test_json_lines_and_a_labels_sheet_with_a_byte_order_mark_are_read(tmp_path):
    (tmp_path / "bom.jsonl").write_bytes(b"\xef\xbb\xbf" + json.dumps(dict(INK, label=7)).encode() + b"\n")
    assert [s.label for s in read_samples(tmp_path / "bom.jsonl")] == [7]
    assert load_labelled(tmp_path / "bom.jsonl").labels.tolist() == [7]
    folder = tmp_path / "sheet"
    folder.mkdir()
    pictures, labels = _digits(3)
    for i, picture in enumerate(pictures):
        cv2.imwrite(str(folder / f"p{i}.png"), 255 - picture)
    # Excel's "CSV UTF-8" in a locale that separates with semicolons, a padded header, "Train"
    rows = [" File ; Label ; Split "] + [f"p{i}.png;{label};Train" for i, label in enumerate(labels)]
    (folder / "labels.csv").write_bytes(b"\xef\xbb\xbf" + "\r\n".join(rows).encode())
    samples = read_samples(folder)
    assert [s.label for s in samples] == labels.tolist() and {s.split for s in samples} == {"train"}
    assert load_labelled(folder).labels.tolist() == labels.tolist()


def test_evaluate_reads_the_apps_own_picture_export(tmp_path):
    pictures, labels = _digits(12)
    with SampleStore(tmp_path / "s.sqlite") as store:
        with SampleStore(tmp_path / "src.sqlite") as src:
            np.savez(tmp_path / "d.npz", x=pictures, y=labels)
            import_samples(src, tmp_path / "d.npz")
            export(src, tmp_path / "png", "png")
        assert import_samples(store, tmp_path / "png") == (12, 0)
    data = load_labelled(tmp_path / "png")
    assert sorted(data.labels.tolist()) == sorted(labels.tolist()) and data.names[0].endswith("labels.csv:2")


def test_a_folder_of_pictures_named_or_sorted_by_digit_imports_as_evaluate_reads_it(tmp_path):
    pictures, labels = _digits(10)
    named, sorted_ = tmp_path / "named", tmp_path / "sorted"
    named.mkdir()
    for i, (picture, label) in enumerate(zip(pictures, labels)):
        cv2.imwrite(str(named / f"{label}_{i}.png"), 255 - picture)
        (sorted_ / str(label)).mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(sorted_ / str(label) / f"x{i}.jpg"), 255 - picture)
    for folder in (named, sorted_):
        with SampleStore(tmp_path / f"{folder.name}.sqlite") as store:
            assert import_samples(store, folder) == (10, 0)
            assert sorted(s.label for s in store.samples()) == sorted(load_labelled(folder).labels.tolist())


ARRAYS = {  # how other tools store the same ten digits
    "channels last": lambda x, y: (x[..., None], y),
    "channels first": lambda x, y: (x[:, None], y),
    "flattened rows": lambda x, y: (x.reshape(len(x), -1), y),
    "labels as a column": lambda x, y: (x, y[:, None]),
    "one-hot labels": lambda x, y: (x, np.eye(10, dtype=np.float32)[y]),
    "labels as text": lambda x, y: (x, y.astype(str)),
    "whole float labels": lambda x, y: (x, y.astype(np.float64)),
    "float pictures": lambda x, y: (x / np.float32(255), y),
}


@pytest.mark.parametrize("layout", ARRAYS)
def test_npz_layouts_of_other_tools_import_and_evaluate_alike(tmp_path, layout):
    pictures, labels = _digits(10)
    x, y = ARRAYS[layout](pictures, labels)
    np.savez(tmp_path / "a.npz", x=x, y=y)
    np.savez(tmp_path / "split.npz", x_train=x, y_train=y)
    assert load_labelled(tmp_path / "a.npz").labels.tolist() == labels.tolist()
    for name in ("a.npz", "split.npz"):
        samples = read_samples(tmp_path / name)
        assert [s.label for s in samples] == labels.tolist()
        assert all(s.image.shape == (28, 28) and s.image.max() > 200 for s in samples)


@pytest.mark.parametrize("labels, why", [(np.array([7.7, 1, 2]), "whole"), (np.array(["7", "x", "2"]), "0-9"),
                                         (np.array([True, False, True]), "bool"), (np.array([1, 2, 10]), "0-9")])
def test_labels_that_are_not_digits_are_one_error_for_import_and_evaluate(tmp_path, labels, why):
    np.savez(tmp_path / "bad.npz", x=_digits(3)[0], y=labels)
    for read in (load_labelled, read_samples):
        with pytest.raises(DataFormatError, match=why) as err:
            read(tmp_path / "bad.npz")
        assert "bad.npz" in str(err.value)


def test_a_blank_picture_is_named_and_nothing_is_imported(tmp_path):
    pictures, labels = _digits(5)
    for dtype in (np.uint8, np.float32):
        x = pictures.astype(dtype)
        x[3] = 0
        np.savez(tmp_path / "blank.npz", x=x, y=labels)
        with SampleStore(tmp_path / "s.sqlite") as store:
            with pytest.raises(DataFormatError, match="picture 3 .*blank"):
                import_samples(store, tmp_path / "blank.npz")
            assert store.count() == 0


def test_a_file_evaluate_cannot_read_says_what_it_reads(tmp_path):
    for name in ("one.json", "set.jsonl.gz", "seven.png"):
        (tmp_path / name).write_bytes(b"x")
        with pytest.raises(DataFormatError, match="cannot tell the format.*npz.*JSON Lines"):
            load_labelled(tmp_path / name)


def test_importing_the_same_data_again_or_a_copy_of_it_adds_nothing(tmp_path):
    pictures, labels = _digits(10)
    np.savez(tmp_path / "d.npz", x=pictures, y=labels)
    (tmp_path / "i.jsonl").write_text("".join(json.dumps(dict(INK, label=d, strokes=[[[40, 40], [160, 40 + d],
                                                                                       [80, 180]]])) + "\n"
                                              for d in range(10)))
    with SampleStore(tmp_path / "s.sqlite") as store:
        export(store, tmp_path / "empty.jsonl", "jsonl")
        for name in ("d.npz", "i.jsonl"):
            assert import_samples(store, tmp_path / name) == (10, 0)
            assert import_samples(store, tmp_path / name) == (0, 10)
            copy = tmp_path / ("copy-" + name)
            copy.write_bytes((tmp_path / name).read_bytes())
            assert import_samples(store, copy) == (0, 10)
        export(store, tmp_path / "png", "png")
        assert store.count() == 20
    with SampleStore(tmp_path / "t.sqlite") as other:
        assert import_samples(other, tmp_path / "png") == (20, 0)
        assert import_samples(other, tmp_path / "png") == (0, 20)


def test_two_same_bitmaps_at_different_places_are_two_samples(tmp_path):
    one = np.zeros((2, 16, 16), np.uint8)
    one[:, 2:14, 7:9] = 255  # a 1 as a bar, the same bytes twice
    np.savez(tmp_path / "ones.npz", x=one, y=np.array([1, 1]))
    with SampleStore(tmp_path / "s.sqlite") as store:
        assert import_samples(store, tmp_path / "ones.npz") == (2, 0)


def test_a_refusal_names_every_bad_line_at_once(tmp_path):
    good = json.dumps(dict(INK, label=3))
    lines = [good, "{nope", json.dumps(INK), good, json.dumps(dict(INK, label=12)), good]
    (tmp_path / "bad.jsonl").write_text("\n".join(lines) + "\n")
    for read in (read_samples, load_labelled):
        with pytest.raises((DataFormatError, InkError)) as err:
            read(tmp_path / "bad.jsonl")
        message = str(err.value)
        assert message.startswith(f"{tmp_path / 'bad.jsonl'}:2: not valid JSON") and "\n" not in message
        assert message.endswith("(and 2 more bad lines: 3, 5)")
    (tmp_path / "one.jsonl").write_text(json.dumps(INK) + "\n")
    with pytest.raises(DataFormatError, match=r"one.jsonl:1: no 'label' \(a digit 0-9\)$"):
        read_samples(tmp_path / "one.jsonl")


def test_a_picture_folder_names_all_its_unlabelled_files_and_skips_hidden_ones(tmp_path):
    pictures, labels = _digits(3)
    for i, (picture, label) in enumerate(zip(pictures, labels)):
        cv2.imwrite(str(tmp_path / f"{label}_{i}.png"), 255 - picture)
    (tmp_path / "._0_0.png").write_bytes(b"\x00\x05\x16\x07 macOS resource fork")
    assert load_labelled(tmp_path).labels.tolist() == labels.tolist()
    for name in ("cat.png", "dog.jpg"):
        cv2.imwrite(str(tmp_path / name), 255 - pictures[0])
    with pytest.raises(DataFormatError, match="cannot tell the label of cat.png, dog.jpg: "):
        load_labelled(tmp_path)


def test_digit_folders_take_their_nested_pictures_and_name_the_ones_outside_them(tmp_path):
    pictures, _ = _digits(4)
    (tmp_path / "3" / "batch1").mkdir(parents=True)
    (tmp_path / "7").mkdir()
    cv2.imwrite(str(tmp_path / "3" / "a.png"), 255 - pictures[3])
    cv2.imwrite(str(tmp_path / "3" / "batch1" / "b.png"), 255 - pictures[3])
    cv2.imwrite(str(tmp_path / "7" / "c.png"), 255 - pictures[3])
    assert load_labelled(tmp_path).labels.tolist() == [3, 3, 7]
    (tmp_path / "10").mkdir()
    cv2.imwrite(str(tmp_path / "10" / "d.png"), 255 - pictures[1])
    cv2.imwrite(str(tmp_path / "loose.png"), 255 - pictures[2])
    for read in (load_labelled, read_samples):
        with pytest.raises(DataFormatError, match="10/d.png, loose.png lie outside the sub-folders 0-9: move them"):
            read(tmp_path)
    (tmp_path / "10" / "d.png").unlink()
    with pytest.raises(DataFormatError, match=r"loose.png lies outside the sub-folders 0-9: move it .*folder\.$"):
        load_labelled(tmp_path)


def test_a_shuffled_copy_adds_nothing_and_a_deleted_sample_comes_back_when_imported_again(tmp_path):
    pictures, labels = _digits(30)
    np.savez(tmp_path / "a.npz", x=pictures, y=labels)
    order = np.random.default_rng(0).permutation(30)
    np.savez(tmp_path / "shuffled.npz", x_train=pictures[order], y_train=labels[order])
    with SampleStore(tmp_path / "s.sqlite") as store:
        assert import_samples(store, tmp_path / "a.npz") == (30, 0)
        assert import_samples(store, tmp_path / "shuffled.npz") == (0, 30)
        store.set_deleted([s.id for s in store.samples()[:5]])
        assert store.count() == 25
        assert import_samples(store, tmp_path / "a.npz") == (5, 25)
        assert store.count() == 30


def test_ink_imported_upside_down_then_deleted_can_be_imported_the_right_way_up(tmp_path):
    (tmp_path / "up.jsonl").write_text(json.dumps(dict(INK, label=7)) + "\n")
    with SampleStore(tmp_path / "s.sqlite") as store:
        assert import_samples(store, tmp_path / "up.jsonl") == (1, 0)
        store.set_deleted([store.samples()[0].id])
        assert import_samples(store, tmp_path / "up.jsonl", y_up=True) == (1, 0)
        assert store.count() == 1 and store.samples()[0].ink.strokes[0][0][1] == 200 - 40


def test_labels_sheets_keep_excel_quoting_and_odd_label_layouts_are_read(tmp_path):
    pictures, labels = _digits(3)
    with SampleStore(tmp_path / "s.sqlite") as store:
        np.savez(tmp_path / "d.npz", x=pictures, y=labels)
        import_samples(store, tmp_path / "d.npz", writer='Anna "Nan" O\'Neil, jr; 2nd')
        export(store, tmp_path / "png", "png")
    assert {s.writer for s in read_samples(tmp_path / "png")} == {'Anna "Nan" O\'Neil, jr; 2nd'}
    np.savez(tmp_path / "row.npz", x=pictures, y=labels[None, :])  # a row, as MATLAB stores a vector
    assert load_labelled(tmp_path / "row.npz").labels.tolist() == labels.tolist()
    np.savez(tmp_path / "bytes.npz", x=pictures, y=np.array([b"\xb7", b"1", b"2"]))
    with pytest.raises(DataFormatError, match="bytes.npz: labels must be digits 0-9"):
        read_samples(tmp_path / "bytes.npz")
    (tmp_path / "data.bin").write_bytes((tmp_path / "d.npz").read_bytes())  # an .npz by another name
    assert load_labelled(tmp_path / "data.bin").labels.tolist() == labels.tolist()


def test_training_takes_the_training_part_of_a_set_that_holds_both(tmp_path):
    from digitpad.core.training_data import ExtraSource, extra_pool

    pictures, labels = _digits(20)
    np.savez(tmp_path / "both.npz", x_train=pictures[:12], y_train=labels[:12], x_test=pictures[12:],
             y_test=labels[12:])
    pool = extra_pool([ExtraSource.parse(str(tmp_path / "both.npz"))], None, "", 0, 0, lambda m: None)
    assert pool.labels.tolist() == labels[:12].tolist()
    assert load_labelled(tmp_path / "both.npz").labels.tolist() == labels[12:].tolist()  # evaluate: test


def test_writer_and_device_names_are_one_line_of_text(tmp_path):
    docs = [dict(INK, label=1, writer="Ana\nBell\t ", device={"kind": "pen", "id": 3}),
            dict(INK, label=2, writer=12, device=None), dict(INK, label=3, writer="", device=False)]
    (tmp_path / "w.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs))
    with SampleStore(tmp_path / "s.sqlite") as store:
        import_samples(store, tmp_path / "w.jsonl", writer="fallback")
        got = sorted((s.label, s.writer, s.device) for s in store.samples())
    assert got == [(1, "Ana Bell", '{"id": 3, "kind": "pen"}'), (2, "12", ""), (3, "fallback", "false")]


def test_pixel_rows_in_csv_as_kaggle_and_the_headerless_mnist_csv_write_them(tmp_path):
    pictures, labels = _digits(10)
    rows = np.column_stack([labels, pictures.reshape(10, -1)])
    header = "label," + ",".join(f"pixel{i}" for i in range(784))
    np.savetxt(tmp_path / "kaggle.csv", rows, fmt="%d", delimiter=",", header=header, comments="")
    np.savetxt(tmp_path / "plain.csv", rows, fmt="%d", delimiter=",")
    last = np.column_stack([pictures.reshape(10, -1), labels])  # the label last, named 'class'
    np.savetxt(tmp_path / "last.csv", last, fmt="%d", delimiter=",",
               header=",".join(f"p{i}" for i in range(784)) + ",class", comments="")
    for name in ("kaggle.csv", "plain.csv", "last.csv"):
        data = load_labelled(tmp_path / name)
        assert data.labels.tolist() == labels.tolist() and np.array_equal(data.images, pictures)
        with SampleStore(tmp_path / f"{name}.sqlite") as store:
            assert import_samples(store, tmp_path / name) == (10, 0)
    np.savetxt(tmp_path / "test.csv", pictures.reshape(10, -1), fmt="%d", delimiter=",",
               header=",".join(f"pixel{i}" for i in range(784)), comments="")  # Kaggle's test: no labels
    (tmp_path / "ragged.csv").write_text("7,0,0,0\n3,0,0\n")
    for name, why in (("test.csv", "no label column"), ("ragged.csv", "not a table")):
        with pytest.raises(DataFormatError, match=f"{name}: {why}"):
            read_samples(tmp_path / name)


def test_a_28x28_picture_is_kept_only_in_mnists_form_and_blanks_are_refused(tmp_path):
    pictures, labels = _digits(4)
    np.savez(tmp_path / "ink_on_paper.npz", x=255 - pictures, y=labels)  # dark ink on white, 28x28
    stored = read_samples(tmp_path / "ink_on_paper.npz")
    assert all(s.image[:2].max() == 0 and s.image.max() > 200 for s in stored)  # light ink on black now
    for name, blank in (("white", np.full((28, 28), 255, np.uint8)), ("black", np.zeros((28, 28), np.uint8))):
        x = pictures.copy()
        x[2] = blank
        np.savez(tmp_path / f"{name}.npz", x=x, y=labels)
        with pytest.raises(DataFormatError, match="picture 2 .*blank"):
            read_samples(tmp_path / f"{name}.npz")


def test_the_same_digits_as_floats_or_as_bitmaps_of_0_and_1_are_the_same_samples(tmp_path):
    pictures, labels = _digits(10)
    np.savez(tmp_path / "u8.npz", x=pictures, y=labels)
    np.savez(tmp_path / "f01.npz", x=pictures / np.float32(255), y=labels)
    np.savez(tmp_path / "bits.npz", x=(pictures > 127).astype(np.uint8), y=labels)  # 0/1, as bitmap sets store them
    with SampleStore(tmp_path / "s.sqlite") as store:
        assert import_samples(store, tmp_path / "u8.npz") == (10, 0)
        assert import_samples(store, tmp_path / "f01.npz") == (0, 10)
        assert import_samples(store, tmp_path / "bits.npz")[0] == 10  # other pictures, but read, not blank
    assert load_labelled(tmp_path / "bits.npz").images.max() == 255


def test_pixel_csv_edge_cases(tmp_path):
    pictures, labels = _digits(10)
    flat = pictures.reshape(10, -1)
    np.savetxt(tmp_path / "last.csv", np.column_stack([flat, labels]), fmt="%d", delimiter=",")  # no header
    np.savetxt(tmp_path / "semi.csv", np.column_stack([labels, flat]), fmt="%d", delimiter=";",
               header="label;" + ";".join(f"pixel{i}" for i in range(784)), comments="")
    np.savetxt(tmp_path / "kaggle.txt", np.column_stack([labels, flat]), fmt="%d", delimiter=",")
    for name in ("last.csv", "semi.csv"):
        assert load_labelled(tmp_path / name).labels.tolist() == labels.tolist()
    assert [s.label for s in read_samples(tmp_path / "kaggle.txt", "csv")] == labels.tolist()
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "head.csv").write_text("label,pixel0,pixel1\n")
    (tmp_path / "nan.csv").write_text("label,p0,p1,p2,p3\n7,0,nan,3,4\n")
    for name, why in (("empty.csv", "empty"), ("head.csv", "a header and no rows"),
                      ("nan.csv", "a cell is not a number")):
        with pytest.raises(DataFormatError, match=f"{name}: {why}"):
            load_labelled(tmp_path / name)
    np.savez(tmp_path / "set.npz", x=pictures, y=labels)
    with pytest.raises(DataFormatError, match="not a table"):
        read_samples(tmp_path / "set.npz", "csv")  # --format csv on an npz reads nothing as a table
    with pytest.raises(DataFormatError, match="--format png reads a folder"):
        read_samples(tmp_path / "last.csv", "png")
    (tmp_path / "set.bin").write_bytes((tmp_path / "set.npz").read_bytes())
    assert [s.label for s in read_samples(tmp_path / "set.bin")] == labels.tolist()  # an npz by another name


def test_a_drawing_repeated_in_a_file_is_kept_and_names_are_printable(tmp_path):
    docs = [dict(INK, label=4, writer=w) for w in ("aaa", "Bob", "Bob")]
    docs.append(dict(INK, label=5, writer="X\x1b[2J\x1b[31mRED\x00"))
    (tmp_path / "rep.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs))
    (tmp_path / "none.jsonl").write_text("\n")
    with SampleStore(tmp_path / "s.sqlite") as store:
        assert import_samples(store, tmp_path / "rep.jsonl") == (4, 0)
        assert import_samples(store, tmp_path / "rep.jsonl") == (0, 4)
        assert sorted(s.writer for s in store.samples()) == ["Bob", "Bob", "X [2J [31mRED", "aaa"]
        with pytest.raises(DataFormatError, match="none.jsonl: holds no samples"):
            import_samples(store, tmp_path / "none.jsonl")


@pytest.mark.parametrize("fmt", ["jsonl", "npz"])
def test_exporting_onto_the_store_itself_is_refused_and_the_store_survives(tmp_path, fmt):
    from digitpad.core.errors import WriteError

    pictures, labels = _digits(5)
    np.savez(tmp_path / "d.npz", x=pictures, y=labels)
    (tmp_path / "link.sqlite").symlink_to(tmp_path / "s.sqlite")
    with SampleStore(tmp_path / "s.sqlite") as store:
        import_samples(store, tmp_path / "d.npz")
        for target in ("s.sqlite", "link.sqlite", "s.sqlite-wal"):
            with pytest.raises(WriteError, match="the sample store itself"):
                export(store, tmp_path / target, fmt)
    with SampleStore(tmp_path / "s.sqlite") as store:
        assert sorted(s.label for s in store.samples()) == sorted(labels.tolist())
