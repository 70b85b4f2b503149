"""dlkit.data.download against a local HTTP server: success, retries, resume, bad bytes, offline."""

from __future__ import annotations

import hashlib
import os
import socket

import pytest

from dlkit.data import download as dl
from tests.data.data_http import FileServer, Route

PAYLOAD = os.urandom(200_000)
SHA = hashlib.sha256(PAYLOAD).hexdigest()
FAST = dict(timeout=1.0, retries=3, backoff=0.0, progress=False)


def remote(*urls, sha256=SHA, size=len(PAYLOAD)) -> dl.RemoteFile:
    return dl.RemoteFile("blob.bin", "testset", tuple(urls), sha256, size, "a test blob")


def cache_files(cache) -> list[str]:
    """Every file under the cache, relative paths, partial folder included."""
    return sorted(str(p.relative_to(cache)) for p in cache.rglob("*") if p.is_file())


def test_success_writes_verified_file_atomically(data_cache):
    route = Route(PAYLOAD)
    with FileServer({"/blob.bin": route}) as srv:
        path = dl.fetch(remote(srv.url("/blob.bin")), **FAST)
    assert path == data_cache / "testset" / "blob.bin"
    assert path.read_bytes() == PAYLOAD
    assert cache_files(data_cache) == ["testset/blob.bin"]
    assert route.requests == [None]


def test_cached_file_is_reused_without_network(data_cache):
    with FileServer({"/blob.bin": Route(PAYLOAD)}) as srv:
        dl.fetch(remote(srv.url("/blob.bin")), **FAST)
    # The server is gone now; a second fetch must still work from the cache.
    assert dl.fetch(remote("http://127.0.0.1:9/blob.bin"), **FAST).read_bytes() == PAYLOAD


def test_server_error_then_retry_succeeds(data_cache):
    route = Route(PAYLOAD, plan=("500", "500", "ok"))
    with FileServer({"/blob.bin": route}) as srv:
        path = dl.fetch(remote(srv.url("/blob.bin")), **FAST)
    assert path.read_bytes() == PAYLOAD
    assert len(route.requests) == 3


def test_not_found_moves_on_to_the_next_mirror(data_cache):
    missing, good = Route(PAYLOAD, plan=("404",)), Route(PAYLOAD)
    with FileServer({"/gone.bin": missing, "/blob.bin": good}) as srv:
        path = dl.fetch(remote(srv.url("/gone.bin"), srv.url("/blob.bin")), **FAST)
    assert path.read_bytes() == PAYLOAD
    assert len(missing.requests) == 1, "a 404 is not worth retrying on the same mirror"


def test_truncated_transfer_resumes_with_range(data_cache):
    route = Route(PAYLOAD, plan=("truncate", "ok"))
    with FileServer({"/blob.bin": route}) as srv:
        path = dl.fetch(remote(srv.url("/blob.bin")), **FAST)
    assert path.read_bytes() == PAYLOAD
    assert route.requests == [None, f"bytes={len(PAYLOAD) // 2}-"]


def test_server_without_range_support_restarts_cleanly(data_cache):
    route = Route(PAYLOAD, plan=("truncate", "ok"), ranges=False)
    with FileServer({"/blob.bin": route}) as srv:
        path = dl.fetch(remote(srv.url("/blob.bin")), **FAST)
    assert path.read_bytes() == PAYLOAD  # a 200 answer to a Range request must not be appended
    assert route.requests[1] is not None


def test_always_truncated_fails_and_leaves_nothing(data_cache):
    route = Route(PAYLOAD, plan=("truncate",), ranges=False)
    with FileServer({"/blob.bin": route}) as srv, pytest.raises(dl.DownloadError) as err:
        dl.fetch(remote(srv.url("/blob.bin")), **FAST)
    assert "closed after" in str(err.value)
    assert cache_files(data_cache) == []


def test_checksum_mismatch_is_rejected_and_removed(data_cache):
    route = Route(PAYLOAD, plan=("garbage",))
    with FileServer({"/blob.bin": route}) as srv, pytest.raises(dl.DownloadError) as err:
        dl.fetch(remote(srv.url("/blob.bin")), **FAST)
    assert "SHA-256" in str(err.value) and SHA in str(err.value)
    assert len(route.requests) == 1, "wrong bytes from a mirror are not retried there"
    assert cache_files(data_cache) == []


def test_checksum_mismatch_on_one_mirror_falls_back_to_another(data_cache):
    bad, good = Route(PAYLOAD, plan=("garbage",)), Route(PAYLOAD)
    with FileServer({"/bad.bin": bad, "/blob.bin": good}) as srv:
        path = dl.fetch(remote(srv.url("/bad.bin"), srv.url("/blob.bin")), **FAST)
    assert path.read_bytes() == PAYLOAD


def test_wrong_size_is_caught_without_a_checksum(data_cache):
    short = PAYLOAD[:-1]
    with FileServer({"/blob.bin": Route(short)}) as srv, pytest.raises(dl.DownloadError, match="bytes"):
        dl.fetch(remote(srv.url("/blob.bin"), sha256=None), **FAST)
    assert cache_files(data_cache) == []


def test_timeout_then_retry_succeeds(data_cache):
    route = Route(PAYLOAD, plan=("stall", "ok"), ranges=False, stall_seconds=1.5)
    with FileServer({"/blob.bin": route}) as srv:
        path = dl.fetch(remote(srv.url("/blob.bin")), **{**FAST, "timeout": 0.3})
    assert path.read_bytes() == PAYLOAD
    assert len(route.requests) == 2


def test_timeout_every_time_gives_clear_error(data_cache):
    route = Route(PAYLOAD, plan=("stall",), stall_seconds=1.0)
    with FileServer({"/blob.bin": route}) as srv, pytest.raises(dl.DownloadError, match="timed out"):
        dl.fetch(remote(srv.url("/blob.bin")), **{**FAST, "timeout": 0.2, "retries": 2})
    assert cache_files(data_cache) == []


def test_offline_message_names_file_urls_and_path(data_cache):
    urls = ("http://10.255.255.1/data/blob.bin", "https://mirror.invalid/blob.bin")
    with pytest.raises(dl.DownloadError) as err:
        dl.fetch(remote(*urls), **FAST)
    message = str(err.value)
    assert "blob.bin" in message and "a test blob" in message
    for url in urls:
        assert url in message
    assert str(data_cache / "testset" / "blob.bin") in message
    assert "DLKIT_DATA_DIR" in message
    assert cache_files(data_cache) == []


def test_hand_placed_file_is_used_offline(data_cache):
    target = dl.cached_path(remote())
    target.parent.mkdir(parents=True)
    target.write_bytes(PAYLOAD)
    assert dl.fetch(remote("http://10.255.255.1/blob.bin"), **FAST) == target


def test_corrupt_hand_placed_file_is_reported_not_deleted(data_cache):
    target = dl.cached_path(remote())
    target.parent.mkdir(parents=True)
    target.write_bytes(PAYLOAD[:-10] + b"0123456789")
    with pytest.raises(dl.IntegrityError, match="Delete"):
        dl.fetch(remote("http://10.255.255.1/blob.bin"), **FAST)
    assert target.exists()


def test_keep_partial_lets_a_later_call_resume(data_cache):
    first = Route(PAYLOAD, plan=("truncate",))
    with FileServer({"/blob.bin": first}) as srv, pytest.raises(dl.DownloadError):
        dl.fetch(remote(srv.url("/blob.bin")), **{**FAST, "retries": 1}, keep_partial=True)
    assert cache_files(data_cache) == ["testset/.partial/blob.bin.part"]
    second = Route(PAYLOAD)
    with FileServer({"/blob.bin": second}) as srv:
        path = dl.fetch(remote(srv.url("/blob.bin")), **FAST)
    assert path.read_bytes() == PAYLOAD
    assert second.requests == [f"bytes={len(PAYLOAD) // 2}-"]
    assert cache_files(data_cache) == ["testset/blob.bin"]


def test_network_is_really_blocked():
    with pytest.raises(OSError):
        socket.create_connection(("10.255.255.1", 80), timeout=0.5)


def test_use_full_data_switch(monkeypatch):
    assert dl.use_full_data(True) is True and dl.use_full_data(False) is False
    assert dl.use_full_data(None) is False
    monkeypatch.setenv("DLKIT_FULL_DATA", "1")
    assert dl.use_full_data(None) is True
    assert dl.use_full_data(False) is False, "an explicit argument beats the environment"
    monkeypatch.setenv("DLKIT_FULL_DATA", "maybe")
    with pytest.raises(ValueError, match="DLKIT_FULL_DATA"):
        dl.use_full_data(None)
    with pytest.raises(TypeError, match="full"):
        dl.use_full_data("yes")


def test_data_dir_follows_environment(data_cache, monkeypatch):
    assert dl.data_dir() == data_cache
    monkeypatch.delenv("DLKIT_DATA_DIR")
    assert dl.data_dir() == dl.Path.home() / ".cache" / "dlkit"


@pytest.mark.parametrize("kwargs, error", [({"timeout": 0}, ValueError), ({"retries": 0}, ValueError),
                                           ({"backoff": -1.0}, ValueError), ({"retries": 1.5}, TypeError)])
def test_bad_arguments(kwargs, error):
    with pytest.raises(error):
        dl.fetch(remote("http://127.0.0.1:9/x"), **kwargs)
