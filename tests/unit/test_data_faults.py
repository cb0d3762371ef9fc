"""The fault matrix of data loading: damaged IDX files (fuzzed) and downloads that go wrong.

Every fault ends in a DataError that names the file or URL and says what to do; a valid file
parses to exactly the array that was written; a failed download leaves nothing in the cache,
and loading again afterwards works. README.md ("Fault matrix") counts the cases of each row.
"""
import errno
import gzip
import hashlib
import http.server
import math
import os
import stat
import struct
import threading
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from aekit import _idx, data
from aekit.data import DataError, load, parse_idx, read_idx
from test_data import STEMS, fake_mnist, files_in  # noqa: F401  (fake_mnist: a fixture)

# A bounded search that writes no example database into the work tree; how long examples
# take to make depends on how busy the machine is, which is no fault of the parser.
FUZZ = settings(max_examples=60, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])
SOURCE = "fuzzed.idx"
REDO = "Delete it and load the data set again."
URLOPEN = urllib.request.urlopen  # the real one; fake_mnist puts an offline stand-in there

# The IDX type byte, the big-endian dtype it stands for, and the values it holds.
TYPES = {
    0x08: (">u1", st.integers(0, 255)),
    0x09: (">i1", st.integers(-128, 127)),
    0x0B: (">i2", st.integers(-2**15, 2**15 - 1)),
    0x0C: (">i4", st.integers(-2**31, 2**31 - 1)),
    0x0D: (">f4", st.floats(width=32, allow_nan=False)),
    0x0E: (">f8", st.floats(allow_nan=False)),
}


def header(code: int, shape) -> bytes:
    return bytes([0, 0, code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)


@st.composite
def idx_files(draw, max_side=4):
    """(array, the bytes of its IDX file): any IDX type, 1 to 3 dimensions, sides 0..max_side."""
    code = draw(st.sampled_from(sorted(TYPES)))
    dtype, values = TYPES[code]
    shape = tuple(draw(st.lists(st.integers(0, max_side), min_size=1, max_size=3)))
    count = math.prod(shape)
    array = np.array(draw(st.lists(values, min_size=count, max_size=count)), dtype=dtype)
    array = array.reshape(shape)
    return array, header(code, shape) + array.tobytes()


def sha(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("idx")


def says_what_to_do(err: DataError, source: str) -> None:
    message = str(err)
    assert source in message, message
    assert REDO in message, message


def parsed_or_refused(raw: bytes):
    """parse_idx's answer to any bytes: exactly the array its header describes, or a DataError
    that names the file and says what to do (any other exception fails the test)."""
    try:
        got = parse_idx(raw, SOURCE)
    except DataError as err:
        says_what_to_do(err, SOURCE)
        return None
    ndim = raw[3]
    assert got.shape == struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    assert got.dtype == np.dtype(TYPES[raw[2]][0])
    assert got.tobytes() == raw[4 + 4 * ndim:]
    return got


# ------------------------------------------------------------------------------ IDX files
@FUZZ
@given(idx_files(), st.booleans())
def test_a_valid_file_parses_to_the_array_written(scratch, case, compress):
    array, raw = case
    path = scratch / ("valid.gz" if compress else "valid")
    path.write_bytes(gzip.compress(raw) if compress else raw)
    for got in (parse_idx(raw, SOURCE), read_idx(path, sha256=sha(raw))):
        assert got.shape == array.shape and got.dtype == array.dtype
        assert got.tobytes() == array.tobytes()
        np.testing.assert_array_equal(got, array)


@FUZZ
@given(idx_files(), st.sampled_from([0, 1, 2]), st.integers(0, 255))
def test_a_wrong_magic_number_is_refused(case, position, value):
    assume(value != 0 if position < 2 else value not in TYPES)
    raw = bytearray(case[1])
    raw[position] = value
    with pytest.raises(DataError, match="not an IDX file") as caught:
        parse_idx(bytes(raw), SOURCE)
    says_what_to_do(caught.value, SOURCE)


@FUZZ
@given(idx_files(), st.integers(0, 255))
def test_a_wrong_dimension_count_is_refused_or_read_as_its_header_says(scratch, case, ndim):
    array, raw = case
    assume(ndim != array.ndim)
    bad = raw[:3] + bytes([ndim]) + raw[4:]
    parsed_or_refused(bad)  # the bytes alone may happen to describe another array...
    path = scratch / "ndim"
    path.write_bytes(bad)
    with pytest.raises(DataError) as caught:  # ...which the checksum of every data set refuses
        read_idx(path, sha256=sha(raw))
    says_what_to_do(caught.value, str(path))


@FUZZ
@given(st.sampled_from(sorted(TYPES)), st.integers(0, 70),
       st.lists(st.one_of(st.integers(0, 4), st.integers(0, 2**32 - 1)), max_size=70),
       st.binary(max_size=64))
@example(0x08, 4, [65536] * 4, b"")  # 2**64 elements: an int64 product wraps round to 0
@example(0x08, 65, [1] * 65, b"\x07")  # more dimensions than NumPy arrays may have
@example(0x0D, 2, [2, 3], b"\x00" * 23)  # one byte short of six floats
@example(0x08, 4, [0, 101712, 6665036, 13605517], b"")  # empty, but the other sides overflow
def test_a_random_header_is_refused_or_read_as_it_says(code, ndim, sides, body):
    sides = (sides + [1] * ndim)[:ndim]
    parsed_or_refused(header(code, sides) + body)


@FUZZ
@given(idx_files())
def test_a_file_cut_at_any_length_is_refused(case):
    _, raw = case
    for cut in range(len(raw)):
        with pytest.raises(DataError) as caught:
            parse_idx(raw[:cut], SOURCE)
        says_what_to_do(caught.value, SOURCE)


@settings(FUZZ, max_examples=30)
@given(idx_files())
def test_a_gzip_file_cut_at_any_length_is_refused(scratch, case):
    _, raw = case
    packed, path = gzip.compress(raw), scratch / "cut.gz"
    path.write_bytes(packed)
    for cut in reversed(range(len(packed))):
        os.truncate(path, cut)  # shorter and shorter, down to empty
        with pytest.raises(DataError) as caught:
            read_idx(path, sha256=sha(raw))
        says_what_to_do(caught.value, str(path))


@FUZZ
@given(idx_files(), st.binary(min_size=1, max_size=32))
def test_extra_bytes_are_refused(scratch, case, extra):
    array, raw = case
    with pytest.raises(DataError, match="truncated or corrupted") as caught:
        parse_idx(raw + extra, SOURCE)
    says_what_to_do(caught.value, SOURCE)
    path = scratch / "extra.gz"  # gzip allows zero padding after its data: then it is intact
    path.write_bytes(gzip.compress(raw) + extra)
    try:
        got = read_idx(path, sha256=sha(raw))
    except DataError as err:
        says_what_to_do(err, str(path))
    else:
        assert extra.strip(b"\x00") == b"" and got.tobytes() == array.tobytes()


@FUZZ
@given(idx_files(), st.data())
def test_a_changed_byte_of_a_gzip_file_is_refused_or_harmless(scratch, case, draw):
    array, raw = case
    packed = bytearray(gzip.compress(raw))
    where = draw.draw(st.integers(0, len(packed) - 1))
    packed[where] ^= draw.draw(st.integers(1, 255))
    path = scratch / "changed.gz"
    path.write_bytes(bytes(packed))
    try:
        got = read_idx(path, sha256=sha(raw))
    except DataError as err:
        says_what_to_do(err, str(path))
    else:  # a byte gzip does not check (its time stamp, its system): the same data
        assert got.tobytes() == array.tobytes() and got.shape == array.shape


# ------------------------------------------------------------------------------ downloads
class Mirror:
    """An HTTP server on 127.0.0.1 that serves ``files`` and can be told to fail: ``cut`` is
    None (whole files), "headers" (close before answering) or how many bytes of a file to
    send before closing; ``length`` is whether it sends Content-Length."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files, self.cut, self.length, self.requests = files, None, True, []
        mirror = self

        class Handler(http.server.BaseHTTPRequestHandler):
            timeout = 5  # a stuck client cannot hold the server

            def do_GET(self):
                mirror.requests.append(self.path)
                body = mirror.files[self.path.rsplit("/", 1)[-1]]
                if mirror.cut == "headers":
                    return  # the connection closes with no answer
                self.send_response(200)
                if mirror.length:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body if mirror.cut is None else body[:mirror.cut])

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def mirror(fake_mnist, monkeypatch):
    """The fake MNIST served from two mirrors (paths a/ and b/) of one local server."""
    monkeypatch.setattr(urllib.request, "urlopen", URLOPEN)
    for name in [n for n in os.environ if n.lower().endswith("_proxy")]:
        monkeypatch.delenv(name)  # 127.0.0.1 is reached directly
    monkeypatch.setattr(_idx, "_TIMEOUT", 5)
    server = Mirror({f"{stem}.gz": gzip.compress(raw) for stem, raw in fake_mnist.raws.items()})
    monkeypatch.setitem(data._SOURCES["mnist"], "mirrors", [server.url + "a/", server.url + "b/"])
    try:
        yield server
    finally:
        server.close()


def fails_cleanly(fake, match: str) -> str:
    """load() raises a DataError matching ``match`` and leaves the cache empty: no partial
    file, no temporary file. Returns the message."""
    with pytest.raises(DataError, match=match) as caught:
        load("mnist", progress=False)
    assert files_in(fake.cache_dir) == []
    return str(caught.value)


def loads_again(fake) -> None:
    """Once the fault is gone, loading works and the cache holds the four files."""
    ds = load("mnist", progress=False)
    images = fake.arrays["train-images-idx3-ubyte"]
    np.testing.assert_array_equal((ds.X_train * 255).round().numpy().astype(np.uint8),
                                  images.reshape(len(images), -1))
    assert ds.y_test.tolist() == fake.arrays["t10k-labels-idx1-ubyte"].tolist()
    assert files_in(fake.cache_dir) == sorted(f"{s}.gz" for s in STEMS)


# bytes sent before the line drops: none, one, inside the gzip header, half, all but the gzip
# trailer, all but the last byte
CUTS = [0, 1, 9, 0.5, -8, -1]


@pytest.mark.parametrize("cut, length", [("headers", True)]
                         + [(c, True) for c in CUTS] + [(c, False) for c in CUTS])
def test_an_interrupted_download(fake_mnist, mirror, cut, length):
    size = len(mirror.files["train-images-idx3-ubyte.gz"])
    if cut != "headers":
        cut = int(cut * size) if isinstance(cut, float) else cut % size
    mirror.cut, mirror.length = cut, length
    if cut == "headers":
        expected = "closed connection without response"
    elif length:
        expected = f"stopped after {cut} of {size} bytes"
    else:  # without Content-Length only the file itself can tell that it is incomplete
        expected = "not a complete gzip file|fails its checksum"  # (0 or 1 byte: not gzip)
    message = fails_cleanly(fake_mnist, f"could not be downloaded.*({expected})")
    assert mirror.requests == ["/a/train-images-idx3-ubyte.gz", "/b/train-images-idx3-ubyte.gz"]
    assert "To get it" in message
    if cut != "headers":
        assert "Nothing was saved; load the data set again to retry." in message
    mirror.cut, mirror.length = None, True
    loads_again(fake_mnist)


class FullDisk:
    """A raw file that takes ``room`` more bytes, then fails as a full disk does."""

    def __init__(self, raw, room: int) -> None:
        self.raw, self.room = raw, room

    def write(self, chunk) -> int:
        if self.room == 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        written = self.raw.write(chunk[:self.room])  # a short write first, as a real one is
        self.room -= written
        return written

    def fileno(self) -> int:
        return self.raw.fileno()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.raw.close()


def cannot_write(fake, mirror, why: str, requests: int) -> None:
    message = fails_cleanly(fake, rf"cannot write .*{why}.*AEKIT_DATA to a folder you can write to")
    assert "could not be downloaded" not in message  # no reason to try the next mirror
    assert len(mirror.requests) == requests


@pytest.mark.parametrize("room", [0, 5, 0.5, "fsync"])
def test_a_full_disk(fake_mnist, mirror, monkeypatch, room):
    size = len(mirror.files["train-images-idx3-ubyte.gz"])
    fsync = os.fsync

    def full_fsync(fd):  # the data fit in the page cache, writing them to disk fails
        if stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.ENOSPC, "No space left on device")
        fsync(fd)

    def full_open(fd, mode, buffering=-1):
        space = int(room * size) if room == 0.5 else room
        return FullDisk(open(fd, mode, buffering=buffering), space)

    with monkeypatch.context() as fault:
        if room == "fsync":
            fault.setattr(os, "fsync", full_fsync)
        else:
            fault.setattr(_idx, "open", full_open, raising=False)  # shadows the built-in open
        cannot_write(fake_mnist, mirror, "No space left on device.*Free some disk space", 1)
    loads_again(fake_mnist)


@pytest.mark.parametrize("step", ["mkdir", "create", "rename"])
@pytest.mark.parametrize("code", [errno.EACCES, errno.EROFS], ids=["EACCES", "EROFS"])
def test_a_cache_that_cannot_be_written(fake_mnist, mirror, monkeypatch, step, code):
    """A read-only cache folder or file system. Tests run as root, where chmod does not stop a
    write, so the refusal is injected at the step named."""
    refusal = OSError(code, os.strerror(code))
    real = {"mkdir": os.mkdir, "create": os.open, "rename": os.replace}[step]
    in_cache = str(fake_mnist.cache)

    def refuse(path, *args, **kwargs):
        target = args[0] if step == "rename" else path
        if str(target).startswith(in_cache) and (step != "create" or str(path).endswith(".part")):
            raise refusal
        return real(path, *args, **kwargs)

    with monkeypatch.context() as fault:
        fault.setattr(os, {"mkdir": "mkdir", "create": "open", "rename": "replace"}[step], refuse)
        cannot_write(fake_mnist, mirror, os.strerror(code), 1 if step == "rename" else 0)
    loads_again(fake_mnist)
