"""Data loading: IDX files the tests write, checksums, atomic downloads, clear errors."""
import gzip
import hashlib
import io
import struct
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import torch

from aekit import data
from aekit.data import DataError, load, parse_idx, read_idx

STEMS = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX encoding of a uint8 array: two zero bytes, type 0x08, ndim, big-endian sizes."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    return bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def write_idx(path: Path, array: np.ndarray, compress: bool) -> bytes:
    raw = idx_bytes(array)
    path.write_bytes(gzip.compress(raw) if compress else raw)
    return raw


def sha(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


# ------------------------------------------------------------------------------ IDX parsing
@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_images_and_labels(tmp_path, compress):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(5, 3, 4), dtype=np.uint8)  # not square: catches a swap
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    suffix = ".gz" if compress else ""
    raw = write_idx(tmp_path / f"images{suffix}", images, compress)
    write_idx(tmp_path / f"labels{suffix}", labels, compress)

    got = read_idx(tmp_path / f"images{suffix}", sha256=sha(raw))  # checksum of the IDX bytes
    assert got.dtype == np.uint8 and got.shape == (5, 3, 4)
    np.testing.assert_array_equal(got, images)
    np.testing.assert_array_equal(read_idx(tmp_path / f"labels{suffix}"), labels)


def test_parse_idx_big_endian_int32():
    values = np.array([[1, -2], [70000, 3]], dtype=">i4")
    raw = bytes([0, 0, 0x0C, 2]) + struct.pack(">2I", 2, 2) + values.tobytes()
    np.testing.assert_array_equal(parse_idx(raw), values.astype(np.int64))


@pytest.mark.parametrize("raw, message", [
    (b"\x01\x02\x08\x01\x00\x00\x00\x01\x07", "not an IDX file"),
    (b"\x00\x00\x08\x03\x00\x00\x00\x02", "header is incomplete"),
    (idx_bytes(np.zeros((4, 2, 2)))[:-3], "truncated or corrupted"),
    (idx_bytes(np.zeros((4, 2, 2))) + b"\x00", "truncated or corrupted"),
])
def test_parse_idx_rejects_damaged_bytes(raw, message):
    with pytest.raises(DataError, match=message):
        parse_idx(raw)


def test_checksum_failure_is_a_data_error(tmp_path):
    path = tmp_path / "labels.gz"
    write_idx(path, np.arange(10), compress=True)
    with pytest.raises(DataError, match="fails its checksum.*Delete it"):
        read_idx(path, sha256="0" * 64)


def test_truncated_gzip_is_a_data_error(tmp_path):
    path = tmp_path / "images.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.ones((20, 4, 4))))[:-12])
    with pytest.raises(DataError, match="not a complete gzip file"):
        read_idx(path)


# ------------------------------------------------------------------------------ fake data set
class FakeResponse:
    """What urllib.request.urlopen returns, serving ``payload`` in small chunks."""

    def __init__(self, payload: bytes, fail_after: int | None = None, chunk: int = 7) -> None:
        self.stream = io.BytesIO(payload)
        self.headers = {"Content-Length": str(len(payload))}
        self.fail_after, self.chunk, self.reads = fail_after, chunk, 0

    def read(self, size: int = -1) -> bytes:
        if self.fail_after is not None and self.reads >= self.fail_after:
            raise ConnectionResetError("connection reset by peer")
        self.reads += 1
        return self.stream.read(min(size, self.chunk))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.fixture
def fake_mnist(tmp_path, monkeypatch):
    """An "mnist" of 6 + 4 tiny 5x3 images whose files live wherever the test puts them.

    Its system directory and mirror point at temporary places, AEKIT_DATA at a temporary cache,
    and its checksum table holds the checksums of the files written here.
    """
    rng = np.random.default_rng(1)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (6, 5, 3), dtype=np.uint8),
        "train-labels-idx1-ubyte": np.array([0, 1, 2, 3, 4, 5], dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (4, 5, 3), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": np.array([9, 8, 7, 6], dtype=np.uint8),
    }
    raws = {stem: idx_bytes(a) for stem, a in arrays.items()}
    system, cache = tmp_path / "system", tmp_path / "cache"
    spec = dict(data._SOURCES["mnist"], system=[str(system)], mirrors=["http://mirror.test/"],
                sha256={stem: sha(raw) for stem, raw in raws.items()})
    monkeypatch.setitem(data._SOURCES, "mnist", spec)
    monkeypatch.setenv("AEKIT_DATA", str(cache))
    requests = []

    def offline(url, *args, **kwargs):
        requests.append(url)
        raise urllib.error.URLError("no network in this test")

    monkeypatch.setattr(urllib.request, "urlopen", offline)

    class Fake:
        pass

    fake = Fake()
    fake.arrays, fake.raws, fake.system, fake.cache = arrays, raws, system, cache
    fake.cache_dir = cache / "mnist"
    fake.requests = requests
    return fake


def serve(monkeypatch, fake, payload_for=None, fail_after=None):
    """Answer urlopen with the fake files (or ``payload_for(stem)``), recording each URL."""
    def urlopen(url, *args, **kwargs):
        fake.requests.append(url)
        stem = url.rsplit("/", 1)[-1].removesuffix(".gz")
        payload = payload_for(stem) if payload_for else gzip.compress(fake.raws[stem])
        return FakeResponse(payload, fail_after=fail_after)

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_load_from_the_system_directory(fake_mnist):
    fake_mnist.system.mkdir()
    for i, (stem, array) in enumerate(fake_mnist.arrays.items()):
        compress = i % 2 == 0  # both forms are found
        write_idx(fake_mnist.system / (stem + (".gz" if compress else "")), array, compress)

    ds = load("mnist", progress=False)
    assert fake_mnist.requests == []  # nothing downloaded
    assert ds.X_train.shape == (6, 15) and ds.X_test.shape == (4, 15)
    assert ds.X_train.dtype == torch.float32 and ds.y_train.dtype == torch.int64
    assert ds.image_shape == (5, 3) and ds.input_dim == 15
    expected = fake_mnist.arrays["train-images-idx3-ubyte"].reshape(6, -1) / 255.0
    np.testing.assert_allclose(ds.X_train.numpy(), expected, rtol=1e-6)
    assert ds.y_test.tolist() == [9, 8, 7, 6]
    assert len(ds.classes) == 10

    small = load("mnist", n_train=2, n_test=3, flatten=False, progress=False)
    assert small.X_train.shape == (2, 1, 5, 3) and small.X_test.shape == (3, 1, 5, 3)
    torch.testing.assert_close(small.X_train.reshape(2, -1), ds.X_train[:2])
    assert small.y_train.tolist() == [0, 1]


def test_corrupted_system_copy_is_reported(fake_mnist):
    fake_mnist.system.mkdir()
    for stem, array in fake_mnist.arrays.items():
        write_idx(fake_mnist.system / f"{stem}.gz", array, compress=True)
    bad = fake_mnist.arrays["t10k-labels-idx1-ubyte"].copy()
    bad[0] = 0
    write_idx(fake_mnist.system / "t10k-labels-idx1-ubyte.gz", bad, compress=True)
    with pytest.raises(DataError, match="t10k-labels.*fails its checksum"):
        load("mnist", progress=False)


def test_download_goes_to_the_cache_and_is_reused(fake_mnist, monkeypatch):
    serve(monkeypatch, fake_mnist)
    ds = load("mnist", progress=False)
    assert len(fake_mnist.requests) == 4
    assert all(url.startswith("http://mirror.test/") and url.endswith(".gz") for url in fake_mnist.requests)
    assert files_in(fake_mnist.cache_dir) == sorted(f"{s}.gz" for s in STEMS)  # no leftovers
    assert ds.y_train.tolist() == [0, 1, 2, 3, 4, 5]

    again = load("mnist", progress=False)
    assert len(fake_mnist.requests) == 4  # read from the cache this time
    assert torch.equal(again.X_test, ds.X_test)


@pytest.mark.parametrize("damage", ["checksum", "truncated gzip"])
def test_bad_download_raises_and_leaves_no_file(fake_mnist, monkeypatch, damage):
    def payload(stem):
        if damage == "checksum":  # a complete, valid gzip of the wrong content
            return gzip.compress(idx_bytes(np.zeros((6, 5, 3))))
        return gzip.compress(fake_mnist.raws[stem])[:-20]

    serve(monkeypatch, fake_mnist, payload)
    message = "fails its checksum" if damage == "checksum" else "not a complete gzip"
    with pytest.raises(DataError, match=message):
        load("mnist", progress=False)
    assert fake_mnist.requests  # it did try
    assert files_in(fake_mnist.cache_dir) == []


def test_interrupted_download_leaves_no_file_and_a_retry_works(fake_mnist, monkeypatch):
    serve(monkeypatch, fake_mnist, fail_after=3)  # three chunks arrive, then the line drops
    with pytest.raises(DataError, match="could not be downloaded.*connection reset"):
        load("mnist", progress=False)
    assert files_in(fake_mnist.cache_dir) == []

    serve(monkeypatch, fake_mnist)  # the network is back
    ds = load("mnist", progress=False)
    np.testing.assert_array_equal((ds.X_test * 255).round().numpy().astype(np.uint8),
                                  fake_mnist.arrays["t10k-images-idx3-ubyte"].reshape(4, -1))
    assert files_in(fake_mnist.cache_dir) == sorted(f"{s}.gz" for s in STEMS)


def test_offline_without_a_copy_says_how_to_get_it(fake_mnist):
    with pytest.raises(DataError) as caught:
        load("mnist", progress=False)
    message = str(caught.value)
    assert "not on this machine" in message
    assert str(fake_mnist.system) in message and str(fake_mnist.cache_dir) in message
    assert "To get it" in message and "load('digits')" in message
    assert fake_mnist.requests == ["http://mirror.test/train-images-idx3-ubyte.gz"]
    assert files_in(fake_mnist.cache_dir) == []


def test_fashion_mnist_offline_error_names_the_debian_package(tmp_path, monkeypatch):
    spec = dict(data._SOURCES["fashion-mnist"], system=[str(tmp_path / "none")])
    monkeypatch.setitem(data._SOURCES, "fashion-mnist", spec)
    monkeypatch.setenv("AEKIT_DATA", str(tmp_path / "cache"))
    monkeypatch.setattr(urllib.request, "urlopen",
                        lambda *a, **k: (_ for _ in ()).throw(urllib.error.URLError("offline")))
    with pytest.raises(DataError, match="apt-get install dataset-fashion-mnist"):
        load("fashion-mnist", progress=False)


# ------------------------------------------------------------------------------ load() itself
def test_unknown_name_lists_the_available_ones():
    with pytest.raises(ValueError, match="unknown data set 'cifar'.*digits, fashion-mnist, mnist"):
        load("cifar")


def test_digits_are_scaled_and_split(digits):
    assert digits.name == "digits"
    assert digits.X_train.shape == (1437, 64) and digits.X_test.shape == (360, 64)
    assert digits.X_train.dtype == torch.float32
    assert float(digits.X_train.min()) == 0.0 and float(digits.X_train.max()) == 1.0
    assert digits.image_shape == (8, 8) and digits.input_dim == 64
    assert sorted(set(digits.y_train.tolist())) == list(range(10))
    # the raw values 0..16 become multiples of 1/16
    assert torch.allclose(digits.X_train * 16, (digits.X_train * 16).round(), atol=1e-5)


def test_digits_options():
    ds = load("digits", n_train=100, n_test=7, flatten=False)
    assert ds.X_train.shape == (100, 1, 8, 8) and ds.X_test.shape == (7, 1, 8, 8)
    assert len(ds.y_train) == 100 and len(ds.y_test) == 7
    assert load("Digits").name == "digits"  # names are forgiving about case


@pytest.mark.parametrize("kwargs, message", [
    ({"n_train": 0}, "n_train must be a positive integer"),
    ({"n_test": 2.5}, "n_test must be a positive integer"),
    ({"n_train": 10_000}, "more examples than the 1437 available"),
])
def test_bad_sizes_are_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        load("digits", **kwargs)


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("AEKIT_DATA", str(tmp_path / "here"))
    assert data.cache_dir() == tmp_path / "here"
    monkeypatch.delenv("AEKIT_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert data.cache_dir() == tmp_path / "xdg" / "aekit"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/usr/share/datasets/fashion-mnist").is_dir(),
                    reason="Debian's dataset-fashion-mnist package is not installed")
def test_the_real_fashion_mnist_matches_its_checksums():
    ds = load("fashion-mnist", progress=False)
    assert ds.X_train.shape == (60000, 784) and ds.X_test.shape == (10000, 784)
    assert ds.image_shape == (28, 28) and ds.classes[9] == "Ankle boot"
    assert torch.bincount(ds.y_train).tolist() == [6000] * 10
