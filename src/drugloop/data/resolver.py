"""Find a registered data file: cache, then mirror folder, then upstream URL; always checksum-verified.

Peers break when a server moves; we name every file by checksum, accept any mirror laid out like the shared data
folder, and never hand out bytes we have not verified.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import shutil
import tempfile
import urllib.request
from pathlib import Path

from drugloop.data.registry import FILES, DataFile
from drugloop.errors import DataError

log = logging.getLogger(__name__)

_CHUNK = 1 << 20
_verified: dict[tuple[str, int, int], bool] = {}


def cache_dir() -> Path:
    """Where verified files are kept: ``$DRUGLOOP_CACHE``, default ``~/.cache/drugloop``."""
    return Path(os.environ.get("DRUGLOOP_CACHE") or Path.home() / ".cache" / "drugloop").expanduser()


def mirror_dir() -> Path | None:
    """A folder laid out like the shared data folder, named by ``$DRUGLOOP_MIRROR``; None when unset."""
    value = os.environ.get("DRUGLOOP_MIRROR")
    return Path(value).expanduser() if value else None


def downloads_allowed() -> bool:
    return os.environ.get("DRUGLOOP_OFFLINE", "").lower() not in {"1", "true", "yes"}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _gunzip_sha256(path: Path) -> str | None:
    digest = hashlib.sha256()
    try:
        with gzip.open(path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
    except (OSError, EOFError):
        return None
    return digest.hexdigest()


def entry(path: str) -> DataFile:
    try:
        return FILES[path]
    except KeyError:
        raise DataError(f"unknown data file {path!r}: not in the registry") from None


def _check(file: DataFile, local: Path) -> str | None:
    """None when ``local`` holds the registered content, else a short reason."""
    stat = local.stat()
    key = (str(local), stat.st_size, stat.st_mtime_ns)
    if _verified.get(key):
        return None
    actual = sha256_of(local)
    ok = actual == file.sha256
    if not ok and file.upstream_sha256 and file.upstream_sha256 != file.sha256 and file.path.endswith(".gz"):
        # a download we gzipped ourselves: bytes differ from the mirror's gzip, content must not
        ok = _gunzip_sha256(local) == file.upstream_sha256
    if ok:
        _verified[key] = True
        return None
    return f"sha256 mismatch (expected {file.sha256}, got {actual})"


def _atomic_copy(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, open(src, "rb") as inp:
            shutil.copyfileobj(inp, out, _CHUNK)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _download(file: DataFile, dest: Path, timeout: float) -> str | None:
    """Fetch the upstream URL into ``dest``; None on success, else the reason it failed."""
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".download")
    except OSError as exc:  # unwritable cache: report it like any other failed source
        return f"cannot write into the cache ({type(exc).__name__}: {exc})"
    tmp_path = Path(tmp)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(file.upstream_url, timeout=timeout) as resp:
            while chunk := resp.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
        actual = digest.hexdigest()
        if actual != file.upstream_sha256:
            return f"sha256 mismatch (expected {file.upstream_sha256}, got {actual})"
        if file.sha256 != file.upstream_sha256:  # the mirror stores a gzip of the upstream bytes
            gz_tmp = tmp_path.with_suffix(".gz")
            with open(tmp_path, "rb") as inp, gzip.GzipFile(gz_tmp, "wb", compresslevel=9, mtime=0) as out:
                shutil.copyfileobj(inp, out, _CHUNK)
            os.replace(gz_tmp, dest)
        else:
            os.replace(tmp_path, dest)
        return None
    except Exception as exc:  # network errors come in many types; all mean "not from here"
        return f"{type(exc).__name__}: {exc}"
    finally:
        tmp_path.unlink(missing_ok=True)
        tmp_path.with_suffix(".gz").unlink(missing_ok=True)


def resolve(path: str, *, download: bool | None = None, timeout: float = 20.0) -> Path:
    """Return a local, verified copy of registered file ``path`` (e.g. ``"davis/proteins.txt"``).

    Looks in the cache, then the mirror (copying a verified file into the cache), then downloads. Raises one
    DataError naming the file and every place it looked when none of them yields the right bytes.
    """
    file = entry(path)
    attempts: list[str] = []
    cached = cache_dir() / file.path
    if cached.is_file():
        reason = _check(file, cached)
        if reason is None:
            return cached
        attempts.append(f"cache {cached}: {reason}")
    else:
        attempts.append(f"cache {cached}: not present")

    mirror = mirror_dir()
    if mirror is None:
        attempts.append("mirror: DRUGLOOP_MIRROR not set")
    else:
        candidate = mirror / file.path
        if candidate.is_file():
            reason = _check(file, candidate)
            if reason is None:
                try:
                    _atomic_copy(candidate, cached)
                    return cached
                except OSError as exc:  # read-only cache: use the verified mirror file in place
                    log.warning(
                        "could not copy %s into the cache (%s); reading the mirror directly", path, exc
                    )
                    return candidate
            attempts.append(f"mirror {candidate}: {reason}")
        else:
            attempts.append(f"mirror {candidate}: not present")

    if download is None:
        download = downloads_allowed()
    if file.upstream_sha256 is None:
        attempts.append("download: none possible (a converted file that only a mirror or cache provides)")
    elif not download:
        attempts.append("download: disabled (DRUGLOOP_OFFLINE)")
    else:
        reason = _download(file, cached, timeout)
        if reason is None:
            if _check(file, cached) is None:
                return cached
            reason = "downloaded file failed verification"
        attempts.append(f"download {file.upstream_url}: {reason}")
    raise DataError(f"cannot get data file {file.path}; looked in: " + "; ".join(attempts))


def verify(path: str) -> tuple[bool, str]:
    """Resolve without downloading and say whether a verified copy exists (for ``drugloop data check``)."""
    try:
        local = resolve(path, download=False)
    except DataError as exc:
        return False, str(exc)
    return True, str(local)
