"""Resolver unit tests on fake registry entries and temporary folders: no real data, no network."""

from __future__ import annotations

import gzip
import hashlib
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from drugloop.data import resolver
from drugloop.data.registry import DataFile
from drugloop.errors import DataError

CONTENT = b"drug\ttarget\tlabel\nD1\tT1\t1\n"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Env:
    cache: Path
    mirror: Path
    upstream: Path
    files: dict[str, DataFile]

    def register(
        self,
        path: str,
        stored: bytes,
        upstream: bytes | None = None,
        *,
        converted: bool = False,
        serve: bytes | None = None,
    ) -> DataFile:
        """Add a registry entry; ``upstream`` is what the URL should serve, ``serve`` what it really serves."""
        upstream = stored if upstream is None else upstream
        source = self.upstream / path.replace("/", "_")
        source.write_bytes(upstream if serve is None else serve)
        entry = DataFile(
            path=path,
            sha256=sha(stored),
            upstream_sha256=None if converted else sha(upstream),
            upstream_url=source.as_uri(),
            bytes=len(stored),
            rows=1,
            license="test",
            source="test",
        )
        self.files[path] = entry
        return entry

    def put_mirror(self, path: str, data: bytes) -> Path:
        target = self.mirror / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return target

    def put_cache(self, path: str, data: bytes) -> Path:
        target = self.cache / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return target

    def cache_files(self) -> list[Path]:
        return [p for p in self.cache.rglob("*") if p.is_file()] if self.cache.exists() else []


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Env:
    cache, mirror, upstream = tmp_path / "cache", tmp_path / "mirror", tmp_path / "upstream"
    mirror.mkdir()
    upstream.mkdir()
    files: dict[str, DataFile] = {}
    monkeypatch.setattr(resolver, "FILES", files)
    monkeypatch.setattr(resolver, "_verified", {})
    monkeypatch.setenv("DRUGLOOP_CACHE", str(cache))
    monkeypatch.setenv("DRUGLOOP_MIRROR", str(mirror))
    monkeypatch.delenv("DRUGLOOP_OFFLINE", raising=False)
    return Env(cache, mirror, upstream, files)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the resolver must not try a download here")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)


def test_entry_uses_patched_registry(env: Env) -> None:
    env.register("ds/a.txt", CONTENT)
    assert resolver.entry("ds/a.txt").sha256 == sha(CONTENT)
    with pytest.raises(DataError, match="not in the registry"):
        resolver.entry("davis/proteins.txt")


def test_mirror_hit_is_copied_into_cache_and_verified(env: Env, no_network: None) -> None:
    env.register("ds/a.txt", CONTENT)
    env.put_mirror("ds/a.txt", CONTENT)
    got = resolver.resolve("ds/a.txt")
    assert got == env.cache / "ds/a.txt"
    assert got.read_bytes() == CONTENT
    # the cache alone now serves it
    (env.mirror / "ds/a.txt").unlink()
    assert resolver.resolve("ds/a.txt") == got
    assert not [p for p in env.cache.rglob("*.part")]


def test_mirror_with_wrong_checksum_is_refused_and_nothing_cached(
    env: Env, monkeypatch: pytest.MonkeyPatch, no_network: None
) -> None:
    file = env.register("ds/a.txt", CONTENT)
    bad = CONTENT + b"tampered\n"
    env.put_mirror("ds/a.txt", bad)
    monkeypatch.setenv("DRUGLOOP_OFFLINE", "1")
    with pytest.raises(DataError) as info:
        resolver.resolve("ds/a.txt")
    message = str(info.value)
    assert "ds/a.txt" in message
    assert file.sha256 in message
    assert sha(bad) in message
    assert env.cache_files() == []


def test_missing_everywhere_offline_names_cache_and_mirror(
    env: Env, monkeypatch: pytest.MonkeyPatch, no_network: None
) -> None:
    env.register("ds/missing.txt", CONTENT)
    monkeypatch.setenv("DRUGLOOP_OFFLINE", "1")
    with pytest.raises(DataError) as info:
        resolver.resolve("ds/missing.txt")
    message = str(info.value)
    assert str(env.cache / "ds/missing.txt") in message
    assert str(env.mirror / "ds/missing.txt") in message
    assert "disabled" in message
    assert env.cache_files() == []


def test_offline_accepts_true_and_yes(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    for value in ("1", "true", "YES"):
        monkeypatch.setenv("DRUGLOOP_OFFLINE", value)
        assert not resolver.downloads_allowed()
    monkeypatch.setenv("DRUGLOOP_OFFLINE", "0")
    assert resolver.downloads_allowed()


def test_converted_file_says_no_download_is_possible(env: Env, no_network: None) -> None:
    env.register("ds/converted.csv", CONTENT, converted=True)
    with pytest.raises(DataError) as info:
        resolver.resolve("ds/converted.csv")  # downloads allowed, yet none is tried
    message = str(info.value)
    assert "none possible" in message
    assert "mirror or cache" in message


def test_converted_file_from_mirror(env: Env, no_network: None) -> None:
    env.register("ds/converted.csv", CONTENT, converted=True)
    env.put_mirror("ds/converted.csv", CONTENT)
    assert resolver.resolve("ds/converted.csv").read_bytes() == CONTENT


def test_corrupted_cache_file_is_not_returned(
    env: Env, monkeypatch: pytest.MonkeyPatch, no_network: None
) -> None:
    file = env.register("ds/a.txt", CONTENT)
    env.put_cache("ds/a.txt", b"corrupted")
    monkeypatch.delenv("DRUGLOOP_MIRROR")
    monkeypatch.setenv("DRUGLOOP_OFFLINE", "1")
    with pytest.raises(DataError) as info:
        resolver.resolve("ds/a.txt")
    assert f"expected {file.sha256}" in str(info.value)
    assert sha(b"corrupted") in str(info.value)
    assert "DRUGLOOP_MIRROR not set" in str(info.value)
    ok, reason = resolver.verify("ds/a.txt")
    assert not ok and "sha256 mismatch" in reason


def test_corrupted_cache_is_repaired_from_mirror(env: Env, no_network: None) -> None:
    env.register("ds/a.txt", CONTENT)
    cached = env.put_cache("ds/a.txt", b"corrupted")
    env.put_mirror("ds/a.txt", CONTENT)
    assert resolver.resolve("ds/a.txt") == cached
    assert cached.read_bytes() == CONTENT


def test_cache_changed_after_verification_is_checked_again(
    env: Env, monkeypatch: pytest.MonkeyPatch, no_network: None
) -> None:
    env.register("ds/a.txt", CONTENT)
    env.put_mirror("ds/a.txt", CONTENT)
    cached = resolver.resolve("ds/a.txt")
    cached.write_bytes(b"x" * (len(CONTENT) + 1))  # size changes, so the memo of verified files misses
    (env.mirror / "ds/a.txt").unlink()
    monkeypatch.setenv("DRUGLOOP_OFFLINE", "1")
    with pytest.raises(DataError, match="sha256 mismatch"):
        resolver.resolve("ds/a.txt")


def test_download_plain_file(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    env.register("ds/plain.txt", CONTENT)
    monkeypatch.delenv("DRUGLOOP_MIRROR")
    got = resolver.resolve("ds/plain.txt")
    assert got == env.cache / "ds/plain.txt"
    assert got.read_bytes() == CONTENT
    assert [p.name for p in env.cache_files()] == ["plain.txt"]


def test_download_is_gzipped_when_the_mirror_stores_a_gzip(env: Env) -> None:
    upstream = CONTENT * 50
    stored = gzip.compress(upstream, compresslevel=9, mtime=0)
    file = env.register("ds/big.txt.gz", stored, upstream)
    assert file.sha256 != file.upstream_sha256
    got = resolver.resolve("ds/big.txt.gz")  # mirror folder exists but lacks the file
    assert got == env.cache / "ds/big.txt.gz"
    assert gzip.decompress(got.read_bytes()) == upstream
    # verified again from the cache alone (content check through gunzip), and nothing left behind
    resolver._verified.clear()
    assert resolver.resolve("ds/big.txt.gz", download=False) == got
    assert [p.name for p in env.cache_files()] == ["big.txt.gz"]


def test_download_with_wrong_checksum_is_refused(env: Env) -> None:
    file = env.register("ds/a.txt", CONTENT, serve=b"something else entirely\n")
    with pytest.raises(DataError) as info:
        resolver.resolve("ds/a.txt")
    message = str(info.value)
    assert file.upstream_url in message
    assert f"expected {file.upstream_sha256}" in message
    assert sha(b"something else entirely\n") in message
    assert env.cache_files() == []


def test_download_of_gzip_with_wrong_checksum_is_refused(env: Env) -> None:
    upstream = CONTENT * 50
    env.register("ds/big.txt.gz", gzip.compress(upstream, mtime=0), upstream, serve=upstream + b"extra")
    with pytest.raises(DataError, match="sha256 mismatch"):
        resolver.resolve("ds/big.txt.gz")
    assert env.cache_files() == []


def test_unreachable_url_is_reported(env: Env) -> None:
    file = env.register("ds/a.txt", CONTENT)
    Path(file.upstream_url.removeprefix("file://")).unlink()
    with pytest.raises(DataError, match="download file://"):
        resolver.resolve("ds/a.txt")
    assert env.cache_files() == []


def test_download_flag_overrides_environment(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    env.register("ds/a.txt", CONTENT)
    monkeypatch.setenv("DRUGLOOP_OFFLINE", "1")
    assert resolver.resolve("ds/a.txt", download=True).read_bytes() == CONTENT
    monkeypatch.delenv("DRUGLOOP_OFFLINE")
    env.register("ds/b.txt", CONTENT + b"b")
    with pytest.raises(DataError, match="disabled"):
        resolver.resolve("ds/b.txt", download=False)


def test_unwritable_cache_uses_verified_mirror_in_place(
    env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_network: None
) -> None:
    blocker = tmp_path / "not_a_dir"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("DRUGLOOP_CACHE", str(blocker))
    env.register("ds/a.txt", CONTENT)
    in_mirror = env.put_mirror("ds/a.txt", CONTENT)
    assert resolver.resolve("ds/a.txt") == in_mirror


def test_unwritable_cache_download_gives_data_error(
    env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not_a_dir"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("DRUGLOOP_CACHE", str(blocker))
    env.register("ds/a.txt", CONTENT)
    with pytest.raises(DataError, match="ds/a.txt"):
        resolver.resolve("ds/a.txt")


def test_verify_reports_success(env: Env) -> None:
    env.register("ds/a.txt", CONTENT)
    env.put_mirror("ds/a.txt", CONTENT)
    ok, where = resolver.verify("ds/a.txt")
    assert ok and where == str(env.cache / "ds/a.txt")
