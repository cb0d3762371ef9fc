"""IDX files: parsing, checking, and downloading them atomically into the cache.

The private half of :mod:`aekit.data`, which re-exports what is public (``DataError``,
``parse_idx``, ``read_idx``, ``download``). Every failure is a DataError whose message names
the file or URL and says what to do.
"""
from __future__ import annotations

import gzip
import hashlib
import http.client
import math
import os
import secrets
import struct
import urllib.request
import zlib
from contextlib import contextmanager
from pathlib import Path

import numpy as np


class DataError(RuntimeError):
    """A data set is missing, corrupted or cannot be fetched; the message says what to do."""

    __module__ = "aekit.data"  # where users import it from


# --------------------------------------------------------------------------- IDX files
_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_MAX_DIMS = 32  # the most NumPy 1.x arrays may have; MNIST's files have 1 or 3
_REDO = "Delete it and load the data set again."


def _decode(content: bytes, source: str, redo: str) -> bytes:
    """The IDX bytes of a file's content, decompressed if it is gzip; damage raises DataError."""
    if content[:2] != b"\x1f\x8b":
        return content
    try:
        return gzip.decompress(content)
    except (OSError, EOFError, zlib.error) as err:
        raise DataError(
            f"{source} is not a complete gzip file ({err}); it is truncated or corrupted. {redo}"
        ) from err


def _parse(raw: bytes, source: str, redo: str) -> np.ndarray:
    if len(raw) < 4:
        raise DataError(f"{source} is too short to be an IDX file ({len(raw)} bytes). {redo}")
    if raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise DataError(f"{source} is not an IDX file (bad magic number {raw[:4]!r}). {redo}")
    ndim = raw[3]
    if ndim > _MAX_DIMS:
        raise DataError(f"{source} declares {ndim} dimensions, more than the {_MAX_DIMS} aekit "
                        f"reads; it is corrupted or not an IDX file. {redo}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{source} is truncated: its header is incomplete. {redo}")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    expected = math.prod(shape) * dtype.itemsize  # Python integers: no overflow
    if len(raw) - header != expected:
        raise DataError(
            f"{source} holds {len(raw) - header} bytes of data but its header promises "
            f"{expected} (shape {shape}); it is truncated or corrupted. {redo}"
        )
    if math.prod(side or 1 for side in shape) * dtype.itemsize > np.iinfo(np.intp).max:
        # an empty array whose other sides NumPy cannot hold
        raise DataError(f"{source} declares the shape {shape}, too large for an array; it is "
                        f"corrupted or not an IDX file. {redo}")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)


def _read(path: Path, sha256: str | None, source: str, redo: str) -> np.ndarray:
    """Read, decompress, check and parse a file: each once."""
    try:
        content = path.read_bytes()
    except OSError as err:
        raise DataError(
            f"cannot read {path} ({err}). If it is in a shared cache, ask whoever wrote it to make "
            f"it readable (chmod a+r), or set AEKIT_DATA to a folder of your own; then load again."
        ) from err
    raw = _decode(content, source, redo)
    if sha256 is not None:
        digest = hashlib.sha256(raw).hexdigest()
        if digest != sha256:
            raise DataError(
                f"{source} fails its checksum (SHA-256 {digest[:12]}..., expected "
                f"{sha256[:12]}...): it is corrupted or a different file. {redo}"
            )
    return _parse(raw, source, redo)


def parse_idx(raw: bytes, source: str = "IDX data") -> np.ndarray:
    """Parse the bytes of an IDX file (the MNIST format) into a NumPy array."""
    return _parse(raw, source, _REDO)


def read_idx(path: str | os.PathLike, sha256: str | None = None) -> np.ndarray:
    """Read an IDX file (optionally gzip-compressed), checking its decompressed SHA-256."""
    path = Path(path)
    return _read(path, sha256, str(path), _REDO)


# --------------------------------------------------------------------------- downloads
_TIMEOUT = 60  # seconds a mirror may stay silent before its download counts as failed
_RETRY = "Nothing was saved; load the data set again to retry."


class _CacheError(DataError):
    """The cache cannot be written: another mirror would not help, so it is raised at once."""


@contextmanager
def _writing(dest: Path):
    try:
        yield
    except OSError as err:
        raise _CacheError(
            f"cannot write {dest} ({err}). Free some disk space, or set AEKIT_DATA to a folder you "
            f"can write to; then load the data set again."
        ) from err


def _sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable, where the system lets a folder be synced."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # Windows cannot open a folder; its renames need no sync
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse to sync a folder; the file itself is synced
    finally:
        os.close(fd)


def _download(url: str, dest: Path, sha256: str, progress: bool) -> np.ndarray:
    """Download ``url`` to ``dest`` atomically and return the array it holds."""
    from tqdm.auto import tqdm

    with _writing(dest):
        dest.parent.mkdir(parents=True, exist_ok=True)
        # A new file like any other (0o666 less the umask, unlike mkstemp's 0o600), so a shared
        # cache stays readable; O_EXCL never opens someone else's file.
        tmp = dest.with_name(f".{dest.name}.{secrets.token_hex(8)}.part")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with open(fd, "wb", buffering=0) as out:
            with urllib.request.urlopen(url, timeout=_TIMEOUT) as response:
                total = int(response.headers.get("Content-Length") or 0) or None
                received = 0
                with tqdm(total=total, unit="B", unit_scale=True, desc=dest.name,
                          disable=not progress, leave=False) as bar:
                    while chunk := response.read(1 << 16):
                        with _writing(dest):
                            view = memoryview(chunk)
                            while view:  # a raw write may take only part of the chunk
                                view = view[out.write(view):]
                        received += len(chunk)
                        bar.update(len(chunk))
            if total is not None and received != total:
                raise DataError(f"the download from {url} stopped after {received} of {total} "
                                f"bytes (the connection closed early). {_RETRY}")
            with _writing(dest):
                os.fsync(out.fileno())
        array = _read(tmp, sha256, f"the download from {url}", _RETRY)
        with _writing(dest):
            os.replace(tmp, dest)
        _sync_folder(dest.parent)
        return array
    except http.client.HTTPException as err:  # a broken answer, not an OSError
        raise DataError(f"the download from {url} failed ({err!r}). {_RETRY}") from err
    finally:
        tmp.unlink(missing_ok=True)


def download(url: str, dest: Path, sha256: str, progress: bool = True) -> Path:
    """Download ``url`` to ``dest`` atomically, checking the decompressed SHA-256.

    The bytes go to a temporary file beside ``dest``; it is synced to disk and renamed to
    ``dest`` only after the download completed and passed its checksum, so an interrupted or
    corrupted download never leaves a partial file behind. A cache that cannot be written
    (disk full, read-only) raises DataError, as does a download that fails.
    """
    _download(url, Path(dest), sha256, progress)
    return Path(dest)
