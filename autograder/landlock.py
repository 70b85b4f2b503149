"""Take away a process's right to read some folders, with Linux Landlock (no privileges needed).

The sandboxed student process imports dlkit's reference implementations and
the lesson's check module, withdraws the answers from memory, and then calls
:func:`deny_reading` on their folders, so that the submission cannot load a
fresh copy from disk either (``importlib.reload``, ``exec(open(...).read())``,
``inspect.getsource``). Landlock rules only ever allow, so "everything but
these folders" is built as a walk from ``/`` that grants every sibling along
the way to a denied folder. Child processes inherit the restriction, and it
cannot be lifted.

Stdlib only: this file runs inside the sandbox next to ``harness.py``.
Needs Linux 5.13 or later with Landlock enabled and ``no_new_privs`` set
(the harness sets it); :func:`deny_reading` says why when it cannot.
"""

from __future__ import annotations

import ctypes
import errno
import os
import struct

# System call numbers: the same on every architecture (added after the tables were unified).
_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
READ_FILE = 1 << 2
READ_DIR = 1 << 3


def abi_version() -> int:
    """The kernel's Landlock ABI version, or 0 when Landlock is unavailable."""
    libc = ctypes.CDLL(None, use_errno=True)
    version = libc.syscall(_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(_CREATE_RULESET_VERSION))
    return max(int(version), 0)


def plan(denied: list[str], root: str = "/") -> list[tuple[str, int]]:
    """The ``(path, access)`` rules that allow reading everything under ``root`` except ``denied``.

    Folders on the way to a denied folder get ``READ_DIR`` only (listing them,
    and anything beneath, stays possible); every other entry of those folders
    gets full read access. A symbolic link that leads into a denied folder is
    left out, so it opens nothing.
    """
    denied_real = {os.path.realpath(d) for d in denied}

    def leads_to_denied(path: str) -> bool:
        return any(d == path or d.startswith(path.rstrip("/") + "/") for d in denied_real)

    rules: list[tuple[str, int]] = []

    def visit(folder: str) -> None:
        rules.append((folder, READ_DIR))
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return
        for entry in entries:
            real = os.path.realpath(entry.path)
            if leads_to_denied(real):
                if not entry.is_symlink() and real not in denied_real and entry.is_dir(follow_symlinks=False):
                    visit(entry.path)
                continue
            try:
                is_dir = entry.is_dir()
            except OSError:
                continue
            rules.append((entry.path, READ_FILE | READ_DIR if is_dir else READ_FILE))

    visit(root)
    return rules


def deny_reading(denied: list[str]) -> str:
    """Forbid this process (and its future children) to read files under ``denied``.

    Returns ``""`` on success, else why not (old kernel, Landlock disabled,
    ``no_new_privs`` not set); the process is then unchanged.
    """
    if not hasattr(os, "O_PATH"):
        return "not Linux"
    libc = ctypes.CDLL(None, use_errno=True)
    if abi_version() < 1:
        return "this kernel has no Landlock (Linux 5.13 or later, with landlock in the lsm= list)"
    attr = struct.pack("=Q", READ_FILE | READ_DIR)
    ruleset = libc.syscall(_CREATE_RULESET, attr, ctypes.c_size_t(len(attr)), ctypes.c_uint32(0))
    if ruleset < 0:
        return f"landlock_create_ruleset failed: {os.strerror(ctypes.get_errno())}"
    try:
        for path, access in plan(denied):
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                rule = struct.pack("=Qi", access, fd)
                if libc.syscall(_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(_RULE_PATH_BENEATH), rule,
                                ctypes.c_uint32(0)) < 0:
                    err = ctypes.get_errno()
                    if os.path.isdir(path) or err != errno.EINVAL:  # EINVAL on odd special files: leave them out
                        return f"landlock_add_rule({path}) failed: {os.strerror(err)}"
            finally:
                os.close(fd)
        if libc.syscall(_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)) < 0:
            return f"landlock_restrict_self failed: {os.strerror(ctypes.get_errno())} (is no_new_privs set?)"
    finally:
        os.close(ruleset)
    return ""
