
import numpy as np
import pytest

from digitpad.core import mnist_data
from digitpad.core.errors import DataFormatError, DataNotFoundError
from digitpad.core.idx import read_idx, write_idx

UNREACHABLE = "http://127.0.0.1:9/mnist.npz"  # discard port: refused at once, offline or not


def _tiny():
    rng = np.random.default_rng(1)
    return {"x_train": rng.integers(0, 256, (12, 28, 28), dtype=np.uint8), "y_train": np.arange(12) % 10,
            "x_test": rng.integers(0, 256, (5, 28, 28), dtype=np.uint8), "y_test": np.arange(5)}


@pytest.mark.parametrize("name", ["a-idx3-ubyte", "a-idx3-ubyte.gz"])
def test_idx_round_trip(tmp_path, name):
    arr = np.random.default_rng(0).integers(0, 256, (7, 28, 28), dtype=np.uint8)
    write_idx(tmp_path / name, arr)
    assert np.array_equal(read_idx(tmp_path / name), arr)
    with open(tmp_path / name, "rb") as fh:
        assert (fh.read(2) == b"\x1f\x8b") == name.endswith(".gz")


def test_idx_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad-idx1-ubyte"
    bad.write_bytes(b"hello world")
    with pytest.raises(DataFormatError, match="bad magic"):
        read_idx(bad)
    arr = np.arange(100, dtype=np.uint8)
    write_idx(tmp_path / "t-idx1-ubyte", arr)
    data = (tmp_path / "t-idx1-ubyte").read_bytes()
    (tmp_path / "t-idx1-ubyte").write_bytes(data[:50])
    with pytest.raises(DataFormatError, match="truncated") as err:
        read_idx(tmp_path / "t-idx1-ubyte")
    assert "t-idx1-ubyte" in str(err.value)


def _write_idx_folder(folder, data, gz):
    folder.mkdir()
    for key, stem in mnist_data.IDX_STEMS.items():
        write_idx(folder / (stem + (".gz" if gz else "")), data[key].astype(np.uint8))


@pytest.mark.parametrize("gz", [True, False])
def test_load_idx_folder(tmp_path, gz):
    data = _tiny()
    _write_idx_folder(tmp_path / "mnist", data, gz)
    loaded = mnist_data.load(tmp_path / "mnist", allow_download=False)
    assert np.array_equal(loaded.x_train, data["x_train"]) and np.array_equal(loaded.y_test, data["y_test"])


def test_search_order_env_then_keras_cache(tmp_path, monkeypatch):
    data = _tiny()
    np.savez(tmp_path / "env.npz", **data)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    (tmp_path / "keras" / "datasets").mkdir(parents=True)
    cache_data = dict(data, y_test=np.full(5, 9))
    np.savez(tmp_path / "keras" / "datasets" / "mnist.npz", **cache_data)
    monkeypatch.setenv(mnist_data.ENV_VAR, str(tmp_path / "env.npz"))
    assert mnist_data.locate(allow_download=False) == tmp_path / "env.npz"
    monkeypatch.delenv(mnist_data.ENV_VAR)
    assert (mnist_data.load(allow_download=False).y_test == 9).all()


def test_offline_with_nothing_found_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.delenv(mnist_data.ENV_VAR, raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "empty"))
    with pytest.raises(DataNotFoundError) as err:
        mnist_data.locate(url=UNREACHABLE)
    msg = str(err.value)
    assert "--mnist" in msg and "DIGITPAD_MNIST" in msg and str(tmp_path / "empty") in msg and "download" in msg
    assert not (tmp_path / "empty" / "datasets" / "mnist.npz").exists()


def test_wrong_keys_and_wrong_shapes(tmp_path):
    np.savez(tmp_path / "k.npz", images=np.zeros((2, 28, 28)))
    with pytest.raises(DataFormatError, match="missing keys"):
        mnist_data.load_path(tmp_path / "k.npz")
    bad = dict(_tiny(), x_train=np.zeros((12, 32, 32), np.uint8))
    np.savez(tmp_path / "s.npz", **bad)
    with pytest.raises(DataFormatError, match="shape"):
        mnist_data.load_path(tmp_path / "s.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(DataFormatError, match="junk.npz"):
        mnist_data.load_path(tmp_path / "junk.npz")
    with pytest.raises(DataNotFoundError):
        mnist_data.locate(tmp_path / "missing.npz")


def test_the_shared_copy_is_standard_mnist(mnist_file):
    data = mnist_data.load(mnist_file)
    assert data.x_train.shape == (60000, 28, 28) and data.x_test.shape == (10000, 28, 28)
    assert np.bincount(data.y_test).min() > 800


def test_an_idx_header_claiming_more_than_the_file_holds_is_refused_before_it_is_read(tmp_path):
    import gzip
    import struct

    header = bytes([0, 0, 0x08, 3]) + struct.pack(">3I", 4_000_000_000, 28, 28)
    (tmp_path / "lie").write_bytes(header + bytes(20 * 784))
    (tmp_path / "lie.gz").write_bytes(gzip.compress(header + bytes(20 * 784)))
    for name in ("lie", "lie.gz"):
        with pytest.raises(DataFormatError, match="header claims 3,136,000,000,000 items"):
            read_idx(tmp_path / name)
