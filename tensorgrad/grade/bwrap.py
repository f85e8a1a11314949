"""Each kernel inside bubblewrap (`bwrap`, the sandbox Flatpak uses), where it works here.

The kernel sees the interpreter, its packages and the system's libraries read-only and its own sandbox
folder writable, nothing else of the machine (other submissions, the gradebook and the teacher's home are
not even there to read); it runs as uid 65534 with no network (it talks to the grader over unix sockets
in its folder), its own pid namespace (all it starts dies with it, whatever session it moved to) and dies
with its stand-in. Where bwrap is missing or cannot make a user namespace, or TENSORGRAD_GRADE_NO_BWRAP is
set, the grader says so once and kernels run with the limits of sandbox.py alone.
"""
import functools
import os
import pathlib
import shutil
import subprocess
import sys

FORCE_OFF = "TENSORGRAD_GRADE_NO_BWRAP"
ISOLATION = ["--unshare-user", "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
             "--die-with-parent", "--new-session", "--uid", "65534", "--gid", "65534"]
SYSTEM = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc/ld.so.cache", "/etc/localtime"]


def _say(text):
    print(f"tensorgrad.grade: {text}", file=sys.stderr, flush=True)


@functools.cache
def program():
    """The path of a bwrap that can sandbox a kernel here, or None (said once on stderr, with why)."""
    found = shutil.which("bwrap")
    if os.environ.get(FORCE_OFF):
        why = f"{FORCE_OFF} is set"
    elif not found:
        why = "bwrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    else:
        probe = subprocess.run([found, "--ro-bind", "/", "/", *ISOLATION, "true"],
                               stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
        if probe.returncode == 0:
            return found
        said = (probe.stderr.strip().splitlines() or [f"exit status {probe.returncode}"])[-1]
        why = f"bwrap cannot make a user namespace here ({said[:200]})"
    _say(f"no bwrap sandbox: {why}; kernels run with today's limits")
    return None


def _readable():
    """What the kernel's interpreter reads: the system's libraries, Python, and the folders its imports come from
    (the venv's, tensorgrad's own, PYTHONPATH's), never the working directory (`-m` puts it on sys.path)."""
    import tensorgrad  # its folder, wherever it lives (an editable install leaves it in a checkout)

    here = os.path.realpath(os.getcwd())
    package = os.path.realpath(os.path.dirname(tensorgrad.__file__))
    prefixes = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]
    python = [*prefixes, os.path.dirname(os.path.realpath(sys.executable)), package, *sys.path,
              *os.environ.get("PYTHONPATH", "").split(os.pathsep)]
    python = {os.path.realpath(path) for path in python if path and os.path.isdir(path)} - {here}
    inside = [os.path.realpath(prefix) + os.sep for prefix in prefixes]
    python = {path for path in python  # a checkout tensorgrad is installed from (its solved notebooks, maybe the
              if not package.startswith(path + os.sep)  # class's files) stays out: its package folder alone goes in
              or any((path + os.sep).startswith(prefix) for prefix in inside)}
    return SYSTEM + sorted(path for path in python  # a folder inside another comes with it
                           if not any(path.startswith(other + os.sep) for other in python))


def command(folder, kernel):
    """`kernel` (a command) under bwrap, `folder` its only writable place (bound where it is, so paths in it and
    the working directory below it hold inside); `kernel` itself if there is no bwrap."""
    found = program()
    if not found:
        return kernel
    mounts = ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]  # first: a venv may live under /tmp
    for path in _readable():
        if os.path.islink(path):  # /lib -> usr/lib on a merged-/usr system
            mounts += ["--symlink", os.readlink(path), path]
        elif os.path.exists(path):
            mounts += ["--ro-bind", path, path]
    folder = str(pathlib.Path(folder).resolve())
    return [found, *mounts, "--bind", folder, folder, *ISOLATION, "--", *kernel]
