"""Writing outputs: modes as the umask says, one line when the disk is full, and no half export
(no partial or empty folder, no PNGs without labels.csv, no temporary left) whatever happens."""
import csv
import os
import resource
import stat
import subprocess
import sys

import numpy as np
import pytest

from support import ROOT
from digitpad.core.atomic_file import atomic_folder, atomic_path, write_text
from digitpad.core.errors import DataFormatError, DigitPadError, WriteError
from digitpad.core.sample_formats import export, import_samples
from digitpad.core.sample_store import Sample, SampleStore


def _store(path, n, start=0):
    rng = np.random.default_rng(start)
    with SampleStore(path) as store:  # noise pictures do not compress: the files are as large as they get
        store.add_many([Sample(label=i % 10, image=rng.integers(0, 256, (28, 28), dtype=np.uint8))
                        for i in range(start, start + n)])
    return path


def _listing(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_saved_files_and_folders_get_the_mode_the_umask_gives(tmp_path, umask):
    old = os.umask(umask)
    try:
        write_text(tmp_path / "a.json", "{}")
        with atomic_path(tmp_path / "b.npz") as tmp:
            tmp.write_bytes(b"x")
        with atomic_folder(tmp_path / "folder") as tmp:
            (tmp / "labels.csv").write_text("file,label\n")
    finally:
        os.umask(old)
    for name, full in (("a.json", 0o666), ("b.npz", 0o666), ("folder", 0o777)):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == full & ~umask, name  # mkstemp alone: 0600


def test_a_file_that_cannot_be_written_is_one_write_error_and_leaves_no_temporary(tmp_path):
    (tmp_path / "taken.json").mkdir()
    with pytest.raises(WriteError, match=r"taken\.json: cannot write \(Is a directory\)") as err:
        write_text(tmp_path / "taken.json", "{}")
    assert isinstance(err.value, DigitPadError) and isinstance(err.value, OSError)  # callers catching either
    (tmp_path / "file").write_text("")
    with pytest.raises(WriteError, match="cannot write"):
        write_text(tmp_path / "file" / "a.json", "{}")  # a folder that cannot exist
    assert _listing(tmp_path) == ["file", "taken.json"]


EXPORT = [sys.executable, "-m", "digitpad", "samples", "export"]


def _small_disk():
    """No file of this process may grow past 40 kB (the store's 32 kB -shm fits): writing past it
    fails as a full disk does, with no root, loop device or small file system needed."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (40_000, 40_000))


@pytest.mark.parametrize("fmt, name", [("npz", "out.npz"), ("idx", "idx"), ("png", "png")])
def test_an_export_that_runs_out_of_space_is_one_line_and_leaves_nothing(tmp_path, fmt, name):
    store = _store(tmp_path / "s.sqlite", 1000)  # the PNGs fit; labels.csv, written last, does not
    env = dict(os.environ, PYTHONPATH=str(ROOT / "app"))
    out = subprocess.run(EXPORT + [str(tmp_path / name), "--format", fmt, "--store", str(store)], env=env,
                         capture_output=True, text=True, preexec_fn=_small_disk, timeout=120)
    assert out.returncode == 1 and out.stderr == f"digitpad: error: {tmp_path / name}: cannot write (File too large)\n"
    assert _listing(tmp_path) == ["s.sqlite"]  # no partial or empty folder, no hidden temporary


def test_a_failed_export_into_a_folder_leaves_the_previous_export_there(tmp_path):
    store = _store(tmp_path / "s.sqlite", 10)
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    with SampleStore(store) as s:
        assert export(s, folder, "png") == 10
    before = {p: (folder / p).read_bytes() for p in _listing(folder) if (folder / p).is_file()}
    _store(store, 1000, start=10)
    env = dict(os.environ, PYTHONPATH=str(ROOT / "app"))
    out = subprocess.run(EXPORT + [str(folder), "--format", "png", "--store", str(store)], env=env,
                         capture_output=True, text=True, preexec_fn=_small_disk, timeout=120)
    assert out.returncode == 1 and "cannot write" in out.stderr
    assert {p: (folder / p).read_bytes() for p in _listing(folder) if (folder / p).is_file()} == before


def test_an_export_into_a_folder_replaces_the_previous_one_and_keeps_other_files(tmp_path):
    store = _store(tmp_path / "s.sqlite", 20)
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    with SampleStore(store) as s:
        export(s, folder, "png")
        s.set_deleted([1, 2, 3])
        assert export(s, folder, "png") == 17
        export(s, folder, "idx")
    with open(folder / "labels.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 17 and sorted(f"images/{p.name}" for p in (folder / "images").iterdir()) == \
        sorted(r["file"] for r in rows)  # the deleted samples' pictures went with the old export
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["notes.txt", "images", "labels.csv", "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"])
    with SampleStore(tmp_path / "back.sqlite") as back:
        assert import_samples(back, folder, "png") == (17, 0)


@pytest.mark.parametrize("fmt", ["png", "idx"])
def test_an_interrupted_export_leaves_no_folder_and_no_temporary(tmp_path, monkeypatch, fmt):
    """SIGTERM reaches the export as SystemExit (the CLI's handler), Ctrl-C as KeyboardInterrupt."""
    import digitpad.core.sample_formats as formats

    store = _store(tmp_path / "s.sqlite", 50)
    calls = []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == (20 if fmt == "png" else 3):
            raise SystemExit(143)
        return real(*args, **kwargs)

    if fmt == "png":
        real = formats.cv2.imencode
        monkeypatch.setattr(formats.cv2, "imencode", interrupted)
    else:
        real = formats.write_idx
        monkeypatch.setattr(formats, "write_idx", interrupted)
    with SampleStore(store) as s, pytest.raises(SystemExit):
        export(s, tmp_path / "out", fmt)
    assert _listing(tmp_path) == ["s.sqlite"]


def test_a_uid_is_a_file_name_only_when_it_is_a_safe_one(tmp_path):
    with SampleStore(tmp_path / "s.sqlite") as store:
        store.add_many([Sample(label=1, image=np.zeros((28, 28), np.uint8), uid=uid)
                        for uid in ("../../escaped", "ok-1", ".hidden")])
        export(store, tmp_path / "png", "png")
    assert _listing(tmp_path / "png") == ["images", "images/ok-1.png", "images/sample-1.png",
                                          "images/sample-3.png", "labels.csv"]


def test_random_bytes_named_npz_are_not_a_valid_npz(tmp_path):
    from digitpad.core.labelled_sets import load_labelled
    from digitpad.core.mnist_data import load_npz

    path = tmp_path / "noise.npz"
    path.write_bytes(np.random.default_rng(0).bytes(3000))
    for read in (load_labelled, load_npz, lambda p: import_samples(SampleStore(tmp_path / "s.sqlite"), p)):
        with pytest.raises(DataFormatError) as err:
            read(path)
        assert str(err.value) == f"{path}: not a valid .npz file (an .npz is a zip archive of arrays; this is not one)"


def test_a_link_is_kept_and_its_file_written_and_a_pipe_is_written_not_replaced(tmp_path):
    import threading

    (tmp_path / "real.json").write_text("old")
    (tmp_path / "link.json").symlink_to(tmp_path / "real.json")
    write_text(tmp_path / "link.json", "new")
    assert (tmp_path / "link.json").is_symlink() and (tmp_path / "real.json").read_text() == "new"
    os.mkfifo(tmp_path / "pipe")
    got = []
    reader = threading.Thread(target=lambda: got.append((tmp_path / "pipe").read_text()))
    reader.start()
    write_text(tmp_path / "pipe", "through the pipe")
    reader.join(10)
    assert got == ["through the pipe"] and stat.S_ISFIFO(os.stat(tmp_path / "pipe").st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.json", "pipe", "real.json"]


def test_ctrl_c_while_an_export_moves_into_its_folder_waits_until_the_folder_is_whole(tmp_path, monkeypatch):
    """Before: Ctrl+C between moving in the new images and the new labels.csv left the old sheet
    naming pictures that were gone, and a hidden old folder."""
    import signal
    import threading

    from digitpad.core import atomic_file

    idle = threading.Event()  # another thread running, as OpenCV's and TensorFlow's do: the kernel
    threading.Thread(target=idle.wait, daemon=True).start()  # may give it the signal
    folder = tmp_path / "out"
    for name, sheet in (("old", "old sheet"), ("new", "new sheet")):
        try:
            with atomic_folder(folder, last="labels.csv") as tmp:
                (tmp / "images").mkdir()
                (tmp / "images" / f"{name}.png").write_bytes(b"x")
                (tmp / "labels.csv").write_text(sheet)
                if name == "new":
                    real = atomic_file._move_in
                    def interrupting(entry, dest):  # Ctrl+C after the images are in, before the sheet
                        if entry.name == "labels.csv":
                            os.kill(os.getpid(), signal.SIGINT)  # as a terminal sends it: to the process
                        return real(entry, dest)

                    monkeypatch.setattr(atomic_file, "_move_in", interrupting)
        except KeyboardInterrupt:
            interrupted = True
        else:
            interrupted = False
    idle.set()
    assert interrupted
    assert (folder / "labels.csv").read_text() == "new sheet"
    assert sorted(p.name for p in folder.rglob("*")) == ["images", "labels.csv", "new.png"]
