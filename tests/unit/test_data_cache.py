"""A cache shared by several users (a lab machine, a hub): downloads readable by all, synced to
disk before they are renamed into place, and decompressed and hashed once."""
import errno
import gzip
import hashlib
import os
import stat
from pathlib import Path

import numpy as np
import pytest

from aekit.data import DataError, load
from test_data import STEMS, fake_mnist, files_in, serve  # noqa: F401  (fake_mnist: a fixture)


@pytest.fixture
def umask():
    """Sets the process umask for one test and puts the old one back afterwards."""
    old = os.umask(0o022)
    try:
        yield os.umask
    finally:
        os.umask(old)


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)],
                         ids=["umask-022", "umask-002", "umask-077"])
def test_downloads_get_the_mode_of_a_new_file(fake_mnist, monkeypatch, umask, mask, mode):
    umask(mask)
    serve(monkeypatch, fake_mnist)
    load("mnist", progress=False)
    assert files_in(fake_mnist.cache_dir) == sorted(f"{s}.gz" for s in STEMS)
    modes = {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in fake_mnist.cache_dir.iterdir()}
    assert modes == {f"{s}.gz": oct(mode) for s in STEMS}  # 0o666 less the umask, as open() does


def test_a_cache_file_that_cannot_be_read_says_what_to_do(fake_mnist, monkeypatch):
    serve(monkeypatch, fake_mnist)
    load("mnist", progress=False)
    locked = fake_mnist.cache_dir / "t10k-labels-idx1-ubyte.gz"
    read_bytes = Path.read_bytes

    def as_another_user(self):  # root reads any file, so the refusal is injected
        if self == locked:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", as_another_user)
    with pytest.raises(DataError) as caught:
        load("mnist", progress=False)
    message = str(caught.value)
    assert f"cannot read {locked}" in message and "Permission denied" in message
    assert "chmod a+r" in message and "AEKIT_DATA" in message
    assert locked.exists()  # nothing was deleted


def test_a_download_is_synced_before_its_rename_and_the_folder_after(fake_mnist, monkeypatch):
    events = []
    fsync, replace = os.fsync, os.replace

    def recording_fsync(fd):
        info = os.fstat(fd)
        events.append(("fsync", info.st_ino, stat.S_ISDIR(info.st_mode)))
        fsync(fd)

    def recording_replace(src, dst, *args, **kwargs):
        events.append(("replace", os.stat(src).st_ino, Path(dst).name))
        replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    monkeypatch.setattr(os, "replace", recording_replace)
    serve(monkeypatch, fake_mnist)
    load("mnist", progress=False)

    folder = os.stat(fake_mnist.cache_dir).st_ino
    renames = [(i, ino, name) for i, (kind, ino, name) in enumerate(events) if kind == "replace"]
    assert sorted(name for _, _, name in renames) == sorted(f"{s}.gz" for s in STEMS)
    for i, ino, name in renames:
        assert ("fsync", ino, False) in events[:i], f"{name} was not synced before its rename"
        assert ("fsync", folder, True) in events[i + 1:], f"the folder was not synced after {name}"


def test_each_file_is_decompressed_and_hashed_once(fake_mnist, monkeypatch):
    decompressed, hashed = [], []
    decompress, sha256 = gzip.decompress, hashlib.sha256

    def counting_decompress(data, *args, **kwargs):
        out = decompress(data, *args, **kwargs)
        decompressed.append(out)
        return out

    def counting_sha256(data=b"", *args, **kwargs):
        hashed.append(bytes(data))
        return sha256(data, *args, **kwargs)

    monkeypatch.setattr(gzip, "decompress", counting_decompress)
    monkeypatch.setattr(hashlib, "sha256", counting_sha256)
    serve(monkeypatch, fake_mnist)
    every_file = sorted(fake_mnist.raws.values())

    downloaded = load("mnist", progress=False)
    assert len(fake_mnist.requests) == 4
    assert (len(decompressed), len(hashed)) == (4, 4), "decompressions and hashes of 4 downloads"
    assert sorted(decompressed) == every_file  # once each, not once to check and once to load
    assert sorted(hashed) == every_file

    decompressed.clear(), hashed.clear()
    cached = load("mnist", progress=False)  # from the cache this time
    assert len(fake_mnist.requests) == 4
    assert sorted(decompressed) == every_file and sorted(hashed) == every_file
    np.testing.assert_array_equal(cached.X_train.numpy(), downloaded.X_train.numpy())
