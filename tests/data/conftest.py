"""Every data test runs offline: sockets may only reach 127.0.0.1, and the cache is a temporary folder."""

from __future__ import annotations

import socket

import pytest

LOCAL_HOSTS = {"127.0.0.1", "localhost"}


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Make any connection or name lookup beyond 127.0.0.1 fail at once, as on an offline laptop."""
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def connect(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if host not in LOCAL_HOSTS:
            raise OSError(f"network blocked in tests (tried to reach {address!r})")
        return real_connect(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if host not in LOCAL_HOSTS:
            raise socket.gaierror(f"name lookup blocked in tests ({host!r})")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture(autouse=True)
def data_cache(tmp_path, monkeypatch):
    """A fresh DLKIT_DATA_DIR per test, and the full-data switch off unless a test sets it."""
    cache = tmp_path / "dlkit-cache"
    monkeypatch.setenv("DLKIT_DATA_DIR", str(cache))
    monkeypatch.delenv("DLKIT_FULL_DATA", raising=False)
    return cache
