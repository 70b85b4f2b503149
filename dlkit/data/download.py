"""Downloading full-size datasets: mirrors, timeouts, retries, SHA-256, atomic writes, resume.

Only the standard library (``urllib``) and tqdm. The flow for one file:

1. If the file is already in the cache folder, verify it (size, SHA-256) and use it.
2. Otherwise try each mirror in turn; each mirror gets ``retries`` attempts with
   exponential backoff (``backoff * 2**attempt`` seconds) on timeouts, dropped
   connections and 5xx errors. A 4xx answer moves straight to the next mirror.
3. Bytes go to ``<cache>/.partial/<name>.part``. After an interruption the next
   attempt asks for the rest with an HTTP ``Range`` header; a server that ignores
   it sends the whole file again and the partial file is restarted.
4. When the bytes are complete, size and SHA-256 are checked; only then is the
   file moved into place with ``os.replace`` (atomic), so the cache never holds a
   half-written or unverified file at its final name.
5. When every mirror fails, :class:`DownloadError` names the file, the URLs and
   the exact path to put a hand-downloaded copy.

The cache folder is ``$DLKIT_DATA_DIR`` or ``~/.cache/dlkit``.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from dlkit.reference._validate import check_int, check_real

ENV_DATA_DIR = "DLKIT_DATA_DIR"
ENV_FULL_DATA = "DLKIT_FULL_DATA"
USER_AGENT = "dlkit-course-data/0.1 (urllib)"
CHUNK_BYTES = 1 << 16


@dataclass(frozen=True)
class RemoteFile:
    """One file of a full-size dataset and where to get it.

    Attributes:
        filename: name in the cache, e.g. ``"train-images-idx3-ubyte.gz"``.
        subdir: folder under the cache root, e.g. ``"mnist"``.
        urls: mirrors, tried in order.
        sha256: expected SHA-256 hex digest, or None when no published value is known
            (then only ``size`` and the parser's structure checks protect the data).
        size: expected size in bytes, or None.
        what: a few words for messages, e.g. ``"MNIST training images"``.
    """

    filename: str
    subdir: str
    urls: tuple[str, ...]
    sha256: str | None
    size: int | None
    what: str = ""


class DownloadError(RuntimeError):
    """No mirror delivered a verified copy of a file (offline, server down, bad data)."""


class IntegrityError(ValueError):
    """A file's size or SHA-256 is not the published one."""


class _Retryable(Exception):
    """An attempt failed in a way that another attempt on the same mirror may fix."""


class _NextMirror(Exception):
    """This mirror cannot serve the file (4xx, wrong bytes): try the next one."""


def data_dir(create: bool = False) -> Path:
    """The cache root: ``$DLKIT_DATA_DIR`` if set, else ``~/.cache/dlkit``."""
    root = Path(os.environ.get(ENV_DATA_DIR) or Path.home() / ".cache" / "dlkit").expanduser()
    if create:
        root.mkdir(parents=True, exist_ok=True)
    return root


def use_full_data(full: bool | None = None) -> bool:
    """Resolve the full-data switch: ``full`` when given, else ``DLKIT_FULL_DATA`` (1/true/yes/on)."""
    if full is None:
        value = os.environ.get(ENV_FULL_DATA, "").strip().lower()
        if value in ("", "0", "false", "no", "off"):
            return False
        if value in ("1", "true", "yes", "on"):
            return True
        raise ValueError(f"{ENV_FULL_DATA} must be 1/0 (or true/false), got {value!r}. Unset it for offline data.")
    if not isinstance(full, bool):
        raise TypeError(f"full must be True, False or None (read {ENV_FULL_DATA}), got {full!r}.")
    return full


def cached_path(remote: RemoteFile, cache_dir: str | os.PathLike | None = None) -> Path:
    """Where ``remote`` lives (or will live) in the cache."""
    root = Path(cache_dir) if cache_dir is not None else data_dir()
    return root / remote.subdir / remote.filename


def sha256_of(path: str | os.PathLike) -> str:
    """SHA-256 hex digest of a file, read in chunks (constant memory)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path: str | os.PathLike, remote: RemoteFile) -> None:
    """Raise :class:`IntegrityError` when ``path`` has the wrong size or SHA-256."""
    size = os.path.getsize(path)
    if remote.size is not None and size != remote.size:
        raise IntegrityError(f"{path} has {size:,} bytes, expected {remote.size:,}: it is truncated or another file.")
    if remote.sha256 is not None:
        got = sha256_of(path)
        if got != remote.sha256.lower():
            raise IntegrityError(f"{path} has SHA-256 {got}, expected {remote.sha256}: the file is corrupt "
                                 "or a different version.")


def fetch(remote: RemoteFile, *, cache_dir: str | os.PathLike | None = None, timeout: float = 30.0,
          retries: int = 3, backoff: float = 1.0, progress: bool = True, keep_partial: bool = False) -> Path:
    """Return the path of a verified local copy of ``remote``, downloading it if needed.

    Args:
        remote: the file and its mirrors.
        cache_dir: cache root (default: :func:`data_dir`).
        timeout: seconds to wait for a connection or for the next bytes.
        retries: attempts per mirror (at least 1).
        backoff: seconds before the 2nd attempt; doubles after each failure.
        progress: show a tqdm progress bar.
        keep_partial: keep ``.partial/<name>.part`` after a final failure so a later
            call resumes it; by default it is deleted.

    Raises:
        IntegrityError: the file already in the cache fails verification.
        DownloadError: no mirror delivered a verified copy; the message says where to put one by hand.

    Example:
        >>> path = fetch(MNIST_FILES[0])          # doctest: +SKIP
    """
    timeout = check_real(timeout, "timeout", low=0.0, low_inclusive=False)
    retries = check_int(retries, "retries", low=1)
    backoff = check_real(backoff, "backoff", low=0.0)
    target = cached_path(remote, cache_dir)
    if target.exists():
        try:
            verify(target, remote)
        except IntegrityError as err:
            raise IntegrityError(f"{err} Delete {target} and run again to download a fresh copy.") from None
        return target

    partial = target.parent / ".partial" / (remote.filename + ".part")
    partial.parent.mkdir(parents=True, exist_ok=True)
    failures: list[str] = []
    try:
        for url in remote.urls:
            for attempt in range(retries):
                if attempt:
                    time.sleep(backoff * 2 ** (attempt - 1))
                try:
                    _download(url, partial, remote, timeout=timeout, progress=progress)
                    verify(partial, remote)
                except _Retryable as err:
                    failures.append(f"{url} (attempt {attempt + 1}/{retries}): {err}")
                    continue
                except (_NextMirror, IntegrityError) as err:
                    failures.append(f"{url}: {err}")
                    _remove(partial)
                    break
                os.replace(partial, target)
                return target
    finally:
        if not keep_partial and not target.exists():
            _remove(partial)
        try:
            partial.parent.rmdir()  # only succeeds when empty
        except OSError:
            pass
    raise DownloadError(_offline_message(remote, target, failures))


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def _download(url: str, partial: Path, remote: RemoteFile, *, timeout: float, progress: bool) -> None:
    """Append the missing bytes of ``url`` to ``partial`` (resuming with Range), or raise."""
    have = partial.stat().st_size if partial.exists() else 0
    if remote.size is not None and have >= remote.size:
        if have == remote.size:
            return  # complete already; the caller verifies it
        _remove(partial)
        have = 0
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as err:
        if err.code == 416:  # our partial file is useless to this server: start over next attempt
            _remove(partial)
            raise _Retryable(f"HTTP 416 for a resume at byte {have}; restarting") from None
        if 500 <= err.code < 600 or err.code in (408, 429):
            raise _Retryable(f"HTTP {err.code} {err.reason}") from None
        raise _NextMirror(f"HTTP {err.code} {err.reason}") from None
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise _Retryable(f"cannot connect ({reason})") from None

    with response:
        resumed = have and response.status == 206
        if resumed and not response.headers.get("Content-Range", "").startswith(f"bytes {have}-"):
            _remove(partial)
            raise _Retryable(f"server resumed at {response.headers.get('Content-Range')!r}, not byte {have}")
        if not resumed:
            have = 0  # a plain 200: the server sends the whole file
        length = response.headers.get("Content-Length")
        expected_total = have + int(length) if length is not None else remote.size
        _stream(response, partial, append=bool(resumed), start=have, total=expected_total,
                label=remote.filename, progress=progress)
    got = partial.stat().st_size
    if expected_total is not None and got < expected_total:
        raise _Retryable(f"connection closed after {got:,} of {expected_total:,} bytes")


def _stream(response, partial: Path, *, append: bool, start: int, total: int | None, label: str,
            progress: bool) -> None:
    from tqdm.auto import tqdm

    with open(partial, "ab" if append else "wb") as out, \
            tqdm(total=total, initial=start, unit="B", unit_scale=True, desc=label, disable=not progress,
                 leave=False) as bar:
        try:
            for block in iter(lambda: response.read(CHUNK_BYTES), b""):
                out.write(block)
                bar.update(len(block))
        except (socket.timeout, TimeoutError) as err:
            raise _Retryable(f"timed out after {out.tell():,} bytes ({err})") from None
        except (http.client.HTTPException, OSError) as err:
            raise _Retryable(f"connection dropped after {out.tell():,} bytes ({type(err).__name__})") from None


def _offline_message(remote: RemoteFile, target: Path, failures: list[str]) -> str:
    facts = [f"{remote.size:,} bytes" if remote.size else "", f"SHA-256 {remote.sha256}" if remote.sha256 else ""]
    facts_text = ", ".join(f for f in facts if f)
    lines = [
        f"Could not download {remote.filename}" + (f" ({remote.what})" if remote.what else "")
        + (f" [{facts_text}]" if facts_text else "") + ".",
        "Tried:",
        *[f"  - {f}" for f in failures],
        "If this machine is offline, download the file on another one from any of:",
        *[f"  {u}" for u in remote.urls],
        f"and put it, unchanged and under this exact name, at:\n  {target}",
        f"(set {ENV_DATA_DIR} to use another cache folder). Or use the offline stand-in: full=False, "
        f"or unset {ENV_FULL_DATA}.",
    ]
    return "\n".join(lines)
