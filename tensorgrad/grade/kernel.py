"""A student's kernel on a short leash: its own folder, a clean environment, hard limits, and a kill switch.

`Sandbox` is where one submission runs: a fresh temporary folder holding the notebook (and any data
files its assignment names), nothing else of the folder it came from, and an environment holding
only what a kernel needs. `Kernel` runs code there: each cell under a time limit, interrupted at the limit and killed after a short grace
if it does not stop; a kernel that dies or is killed raises `KernelLost`. Processes a cell leaves
running are killed when it ends (a fork loop's copies of the kernel would otherwise steal its messages). Its limits (sandbox.py):
address space, file size and processes (RLIMIT_NPROC, which Linux does not enforce for root: for
root, a pids cgroup of its own caps the kernel's processes, where one can be made). On the way out
every process of the kernel's is killed: its cgroup's, or else all below its stand-in (the kernel's
subreaper: a process that calls setsid is still below it). `close_all()` does so for every kernel
at once (Ctrl-C); a grader that is killed outright leaves it to each stand-in (sandbox.py), which
notices its pipe from the grader close. Files the kernel wrote are read by `Sandbox.read`, which
neither follows a link nor blocks, and gives up at a size and a deadline. Where bwrap works, the kernel
runs inside it (bwrap.py: only its own folder, no network, uid 65534, a pid namespace) and talks over unix
sockets; as root, a memory cgroup of its own caps the whole kernel's memory, where one can be made.
"""
import dataclasses
import errno
import functools
import json
import os
import pathlib
import queue
import secrets
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time

from .._deps import require
from . import bwrap
from .sandbox import children, descendants, kill_until_gone

GRACE = 3.0  # seconds an interrupted cell gets to stop before its kernel is killed
STARTUP = 60.0  # seconds a kernel may take to start
READ_DEADLINE = 10.0  # seconds reading a file the kernel wrote may take
KEPT_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "PYTHONPATH")  # also OPENBLAS_*, OMP_*, MKL_*
LAUNCHER = pathlib.Path(__file__).with_name("sandbox.py")
_STARTING = threading.Lock()
_LIVE, _LIVE_LOCK, STOPPING = set(), threading.Lock(), threading.Event()  # kernels running; set when interrupted


@dataclasses.dataclass
class Limits:
    """Per cell `timeout` (s); per kernel `memory` (bytes of address space of each process, and of memory of all
    its processes together where a memory cgroup can be made), `processes`
    (tasks, threads included), `file_size` (bytes a file may grow to)."""
    timeout: float = 60.0
    memory: int = 4 * 2**30
    processes: int = 64
    file_size: int = 256 * 2**20


class Unreadable(Exception):
    """A file the kernel left that the grader will not read; the message says why (after "the file ...")."""


class KernelLost(Exception):
    """The kernel died, or ignored an interrupt and was killed; `why` says which."""

    def __init__(self, why):
        super().__init__(why)
        self.why = why


@dataclasses.dataclass
class Outcome:
    """What one cell did: the error it raised ("Name: message"), characters printed, whether it was interrupted."""
    error: str | None
    printed: int
    timed_out: bool


class Cgroup:
    """A cgroup (v1 or v2) of `controller`'s of its own under the grader's, its files set from `settings` (those
    that exist: v1 and v2 name them differently); None-like (no path) if none can be made, as for a normal user."""

    def __init__(self, controller, settings):
        self.path = None
        if os.geteuid() != 0:
            return
        for parent in _cgroup_parents(controller):
            path = parent / f"tensorgrad-grade-{secrets.token_hex(6)}"
            try:
                path.mkdir()
                written = [(path / name).write_text(str(value)) for name, value in settings.items()
                           if (path / name).exists()]
                if not written:
                    raise OSError(f"none of {list(settings)} in {path}")
            except OSError:
                if path.exists():
                    path.rmdir()
                continue
            self.path = path
            return

    @property
    def procs(self):
        return [str(self.path / "cgroup.procs")] if self.path else []

    def pids(self):
        return {int(pid) for pid in (self.path / "cgroup.procs").read_text().split()} if self.path else set()

    def close(self):
        if self.path:
            kill_until_gone(self.pids)
            try:
                self.path.rmdir()
            except OSError:
                pass


class PidsCgroup(Cgroup):
    """Caps a kernel's processes (RLIMIT_NPROC does the job for a normal user: Linux ignores it for root)."""

    def __init__(self, limit):
        super().__init__("pids", {"pids.max": limit})


class MemoryCgroup(Cgroup):
    """Caps the memory of a kernel and all it starts together (RLIMIT_AS caps each process alone)."""

    def __init__(self, limit):
        super().__init__("memory", {"memory.max": limit, "memory.swap.max": 0,  # v2
                                    "memory.limit_in_bytes": limit, "memory.memsw.limit_in_bytes": limit})  # v1


@functools.cache
def _say_memory_is_per_process():
    print("tensorgrad.grade: no memory cgroup to be had: memory is capped per process (RLIMIT_AS), not per kernel",
          file=sys.stderr, flush=True)


def _group_members(pgid):
    """The processes in process group `pgid` (where no cgroup holds the kernel)."""
    members = set()
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if int(stat.read().rsplit(")", 1)[1].split()[2]) == pgid:
                    members.add(int(pid))
        except (OSError, ValueError, IndexError):
            continue
    return members


def _cgroup_parents(controller):
    """Where this process's cgroup of `controller` lives, in the v2 and the v1 hierarchy, if mounted."""
    root = pathlib.Path("/sys/fs/cgroup")
    try:
        lines = pathlib.Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return []
    parents = []
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "" and (root / "cgroup.controllers").exists():
            parents.append(root / path.lstrip("/"))
        elif controller in controllers.split(","):
            parents.append(root / controller / path.lstrip("/"))
    return parents


def tasks_of(uid):
    """How many tasks (threads included, as RLIMIT_NPROC counts them) the user `uid` runs."""
    count = 0
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/status") as status:
                fields = dict(line.split(":", 1) for line in status if ":" in line)
        except (OSError, ValueError):
            continue
        if int(fields["Uid"].split()[0]) == uid:
            count += int(fields["Threads"])
    return count


class Sandbox:
    """A temporary folder for one submission's kernel, holding only its own files; removed by `close()`.

    The notebook and the `data` files beside it that the assignment names (plain files, never through a link)
    are copied: nothing else of the folder it was handed in from (other submissions, a gradebook kept there).
    No assignment names data files yet: each notebook makes or downloads its own.
    """

    def __init__(self, notebook, data=()):
        self.root = pathlib.Path(tempfile.mkdtemp(prefix="tensorgrad-grade-"))
        self.work, self.home = self.root / "work", self.root / "home"
        source = pathlib.Path(notebook).resolve()
        self.work.mkdir()
        self.home.mkdir()
        shutil.copyfile(source, self.work / source.name)
        for name in data:  # a name of a file beside the notebook, not a path
            beside = source.parent / name
            if pathlib.PurePath(name).name == name and beside.is_file() and not beside.is_symlink():
                shutil.copyfile(beside, self.work / beside.name)

    def env(self):
        """Only what a kernel needs: of the grader's variables, the paths, locale and BLAS settings."""
        env = {k: v for k, v in os.environ.items() if k in KEPT_ENV or k.startswith(("OPENBLAS_", "OMP_", "MKL_"))}
        env.setdefault("PATH", os.defpath)
        env.update(HOME=str(self.home), TMPDIR=str(self.home), IPYTHONDIR=str(self.home / ".ipython"),
                   MPLCONFIGDIR=str(self.home / ".matplotlib"), MPLBACKEND="agg")
        for threads in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env.setdefault(threads, "1")  # parallel jobs share the cores
        return env

    def new_path(self, stem):
        """A fresh path in the sandbox whose name the student's code cannot guess."""
        return self.root / f"{stem}-{secrets.token_hex(8)}"

    def read(self, path, limit, seconds=READ_DEADLINE):
        """The text of a file the kernel wrote; None if there is none. Raises Unreadable (saying why) for anything
        but a plain file of at most `limit` bytes that holds still while it is read: never through a link, never
        blocking (a FIFO, a device), never longer than `seconds`."""
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY)
        except FileNotFoundError:
            return None
        except OSError as error:
            raise Unreadable(f"is a link or cannot be opened ({errno.errorcode.get(error.errno, error.errno)})") from None
        try:
            before = os.fstat(fd)
            if not stat.S_ISREG(before.st_mode):
                raise Unreadable("is not a plain file (a FIFO, a device or a folder)")
            if before.st_size > limit:
                raise Unreadable(f"holds {before.st_size / 2**20:.0f} MB, more than the {limit / 2**20:.0f} MB allowed")
            chunks, size, deadline = [], 0, time.monotonic() + seconds
            while size <= limit:
                if time.monotonic() > deadline:
                    raise Unreadable(f"took more than {seconds:g} s to read")
                chunk = os.read(fd, min(2**20, limit + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            after = os.fstat(fd)
            if size > limit or (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
                raise Unreadable("kept changing while it was read")
        finally:
            os.close(fd)
        return b"".join(chunks).decode("utf-8", errors="replace")

    def close(self):
        shutil.rmtree(self.root, ignore_errors=True)


class Kernel:
    """An IPython kernel in `sandbox`, started under `limits`; `run(code, timeout)` gives an Outcome."""

    def __init__(self, sandbox, limits):
        if STOPPING.is_set():
            raise KernelLost("was not started: the grader is stopping")
        self.sandbox = sandbox
        self.cgroup, self.memory = PidsCgroup(limits.processes), MemoryCgroup(limits.memory)
        if not self.memory.path:
            _say_memory_is_per_process()
        with _STARTING:  # free ports are picked, then bound by the kernel: two kernels at once could pick the same
            self._start(limits)

    def _start(self, limits):
        sandbox, client_module = self.sandbox, require("jupyter_client", "teacher")
        connection, jailed = f"{sandbox.new_path('kernel')}.json", bwrap.program() is not None
        key = secrets.token_hex(16).encode()
        if jailed:  # no network inside: unix sockets in the sandbox folder (short names: a socket's path has 107 bytes)
            client_module.connect.write_connection_file(connection, transport="ipc", ip=str(sandbox.root / "zmq"), key=key)
        else:
            client_module.connect.write_connection_file(connection, ip="127.0.0.1", key=key)
        own_tasks = tasks_of(os.getuid()) if os.geteuid() != 0 else 0  # RLIMIT_NPROC counts all of the user's
        rlimits = {"AS": limits.memory, "FSIZE": limits.file_size, "CORE": 0, "NPROC": own_tasks + limits.processes}
        kernel = [sys.executable, "-m", "ipykernel_launcher", "-f", connection, "--HistoryManager.enabled=False"]
        leash = {"rlimits": rlimits, "cgroups": self.cgroup.procs + self.memory.procs}
        command = [sys.executable, "-I", str(LAUNCHER), json.dumps(leash), *bwrap.command(sandbox.root, kernel)]
        log = sandbox.new_path("kernel-log")
        with open(log, "wb") as stderr:
            self.launcher = subprocess.Popen(command, cwd=sandbox.work, env=sandbox.env(), stdin=subprocess.PIPE,
                                             stdout=subprocess.PIPE, stderr=stderr, start_new_session=True)
        with _LIVE_LOCK:
            _LIVE.add(self)
        said = select.select([self.launcher.stdout], [], [], STARTUP)[0]
        self.pid = int(self.launcher.stdout.readline() or 0) if said else 0  # the kernel, or the bwrap around it
        self.spine = {self.launcher.pid, self.pid}  # the processes that hold the kernel up: never strays
        self.client = client_module.BlockingKernelClient()
        self.client.load_connection_file(connection)
        self.client.start_channels()
        answers = self._answers_on_iopub()
        if answers and jailed:  # bwrap's child is its pid namespace's init, whose only child is the kernel
            below = children()
            init = below.get(self.pid, [0])[0]
            self.pid = below.get(init, [0])[0]
            self.spine |= {init, self.pid}
        if not answers:
            self.close()
            try:
                said = (sandbox.read(log, 2**20) or "").strip().splitlines()
            except Unreadable:
                said = []
            raise KernelLost("could not start a kernel" + (f": {said[-1][:200]}" if said else "")) from None

    def _answers_on_iopub(self):
        """Wait until the kernel answers a kernel_info request on iopub: then no cell's output can be missed.

        (jupyter_client's wait_for_ready counts a kernel as dead when its heartbeat is late, as on a busy machine.)
        """
        deadline = time.monotonic() + STARTUP
        while time.monotonic() < deadline and self.alive():
            msg_id, asked = self.client.kernel_info(), time.monotonic()
            while time.monotonic() < min(asked + 2, deadline):
                try:
                    message = self._next_message(0.2)
                except queue.Empty:
                    continue
                if message and message["parent_header"].get("msg_id") == msg_id:
                    return True
        return False

    def _next_message(self, timeout):
        """The next iopub message, or None for one that is not a well-formed message (the kernel's json may be
        patched by the student); queue.Empty if none comes within `timeout` s."""
        try:
            message = self.client.get_iopub_msg(timeout=timeout)
        except queue.Empty:
            raise
        except Exception:  # a message the kernel's patched serialiser garbled
            return None
        well_formed = (isinstance(message, dict) and isinstance(message.get("parent_header"), dict)
                       and isinstance(message.get("content"), dict) and isinstance(message.get("msg_type"), str))
        return message if well_formed else None

    def alive(self):
        try:
            with open(f"/proc/{self.pid}/stat") as stat:
                return self.pid > 0 and stat.read().rsplit(")", 1)[1].split()[0] not in "ZX"
        except OSError:
            return False

    def run(self, code, timeout):
        """Run `code`; interrupt it after `timeout` s and kill the kernel (KernelLost) if it is still busy GRACE s later.

        Output is counted, never kept: a flood costs the grader no memory.
        """
        msg_id = self.client.execute(code, store_history=False, allow_stdin=False, stop_on_error=False)
        deadline, killing_at = time.monotonic() + timeout, None
        printed, error = 0, None
        while True:
            now = time.monotonic()
            if STOPPING.is_set():
                raise KernelLost("was stopped: the grader is stopping")
            if killing_at is None and now > deadline:
                self._signal(signal.SIGINT)
                self._kill_strays()  # a fork loop's copies would starve the kernel of the CPU it needs to stop
                killing_at = time.monotonic() + GRACE
            if killing_at is not None and now > killing_at:
                raise KernelLost(f"ran past its {timeout:g} s and ignored the interrupt")
            try:
                message = self._next_message(0.1)
            except queue.Empty:
                if not self.alive():
                    raise KernelLost("killed the kernel") from None
                continue
            if message is None or message["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind in ("stream", "display_data", "update_display_data", "execute_result", "error"):
                printed += len(str(content.get("text", ""))) if kind == "stream" else len(json.dumps(content))
            if kind == "error":
                error = f"{content.get('ename')}: {content.get('evalue')}"
            if kind == "status" and content.get("execution_state") == "idle":
                self._kill_strays()
                return Outcome(error, printed, timed_out=killing_at is not None)

    def _processes(self):
        """The kernel and every process it started (its cgroup's, or else all below its stand-in and in its group)."""
        if self.cgroup.path:
            return self.cgroup.pids()
        return descendants(self.launcher.pid) | _group_members(self.launcher.pid) | {self.launcher.pid}

    def _kill_strays(self):
        kill_until_gone(lambda: self._processes() - self.spine)

    def _signal(self, number):
        try:
            os.kill(self.pid, number)
        except ProcessLookupError:
            pass

    def close(self):
        """Kill the kernel and everything it started (safe to call twice, and from another thread)."""
        with _LIVE_LOCK:
            if self not in _LIVE:
                return
            _LIVE.discard(self)
        self.client.stop_channels()
        kill_until_gone(self._processes)
        self.cgroup.close()
        self.memory.close()
        self.launcher.stdin.close()  # the stand-in's signal to clean up and go, had it survived
        try:
            self.launcher.wait(GRACE)
        except subprocess.TimeoutExpired:
            self.launcher.kill()
            self.launcher.wait()
        self.launcher.stdout.close()


def close_all():
    """Kill every kernel still running (the grader was interrupted); a kernel started after this is refused."""
    STOPPING.set()
    with _LIVE_LOCK:
        live = list(_LIVE)
    for kernel in live:
        kernel.close()
