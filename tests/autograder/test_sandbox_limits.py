"""The sandbox itself: what a confined process can see, reach and use."""

from __future__ import annotations

import socket
import textwrap

import pytest

from autograder import REPO
from autograder.sandbox import Limits, Sandbox

pytestmark = pytest.mark.usefixtures("sandbox_available")


def _run(code: str, **limits) -> tuple[str, object]:
    sb = Sandbox(Limits(**{"timeout_s": 20, **limits}))
    result = sb.run(["python3", "-c", textwrap.dedent(code)])
    return result.output.decode("utf-8", "replace"), result


def test_sees_no_solutions_tests_or_host_files_and_writes_nowhere(tmp_path):
    secret = tmp_path / "gradebook.db"
    secret.write_text("secret")
    out, result = _run(f"""
        import os
        for p in [{str(REPO / 'solutions')!r}, {str(REPO / 'tests')!r}, {str(secret)!r}, "/root", "/work"]:
            print(p, os.path.exists(p), os.listdir(p) if os.path.isdir(p) else "")
        print("uid", os.getuid())
        for target in [{str(REPO / 'dlkit' / 'x')!r}, {str(tmp_path / 'x')!r}, "/home/student/x", "/usr/x"]:
            try:
                open(target, "w").write("x")
                print("WROTE", target)
            except OSError as exc:
                print("refused", target, type(exc).__name__)
    """)
    assert result.returncode == 0, out
    assert f"{REPO / 'solutions'} False" in out and f"{REPO / 'tests'} False" in out
    assert f"{secret} False" in out
    assert "uid 0" not in out and "WROTE" not in out
    assert not (tmp_path / "x").exists() and not (REPO / "dlkit" / "x").exists()


def test_no_network_to_a_local_server():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    try:
        out, _ = _run(f"""
            import socket
            try:
                socket.create_connection(("127.0.0.1", {port}), timeout=3)
                print("CONNECTED")
            except OSError as exc:
                print("refused", exc)
        """)
        server.settimeout(0.5)
        with pytest.raises(socket.timeout):
            server.accept()
    finally:
        server.close()
    assert "refused" in out and "CONNECTED" not in out


def test_fork_bomb_is_capped_and_dies_with_the_run():
    out, result = _run("""
        import os, time
        n = 0
        for _ in range(500):
            try:
                if os.fork() == 0:
                    time.sleep(60)
                    os._exit(0)
                n += 1
            except OSError:
                break
        print("children", n, flush=True)
        time.sleep(60)
    """, nproc=20, timeout_s=4)
    children = int(out.split("children", 1)[1].split()[0])
    assert children < 20
    assert result.timed_out


def test_memory_cap_and_output_cap():
    out, result = _run("""
        try:
            x = bytearray(3 * 1024**3)
            print("ALLOCATED")
        except MemoryError:
            print("memory refused")
        import sys
        for _ in range(20000):
            sys.stdout.write("y" * 1000 + "\\n")
    """, memory_mb=1024, output_bytes=10_000)
    assert "memory refused" in out and "ALLOCATED" not in out
    assert len(result.output) <= 10_000 and result.output_dropped > 10_000_000


def test_memory_cap_allows_address_space_reservations_like_a_cuda_torch():
    """A CUDA build of torch reserves gigabytes of address space (PROT_NONE) at import.
    The cap must count memory that can be written, not reservations, or no lesson would import torch."""
    out, _ = _run("""
        import mmap
        reserved = mmap.mmap(-1, 8 * 1024**3, prot=0)   # PROT_NONE: 8 GiB of address space, never usable
        print("RESERVED", len(reserved))
        try:
            x = bytearray(2 * 1024**3)
            print("ALLOCATED")
        except MemoryError:
            print("memory refused")
    """, memory_mb=1024)
    assert "RESERVED 8589934592" in out, out
    assert "memory refused" in out and "ALLOCATED" not in out


def test_refuses_without_bwrap_unless_unsafe(monkeypatch):
    import autograder.sandbox as sandbox

    monkeypatch.setattr(sandbox, "probe", lambda: (None, "no bubblewrap found"))
    with pytest.raises(sandbox.SandboxUnavailable, match="no bubblewrap"):
        sandbox.Sandbox()
    assert not sandbox.Sandbox(unsafe=True).confined
