"""A kernel in bubblewrap sees nothing but its own folder and the interpreter: each escape a student's code
tries fails, as root and as a normal user, and the same escapes get out without the sandbox.

Each escape is a copy of notebook 2 whose neuron_grads answers right only if its attempt raised OSError:
"passed" means the sandbox held, "failed" that the kernel got out (as it does with TENSORGRAD_GRADE_NO_BWRAP).
"""
import os
import pathlib
import pwd
import shutil
import socket
import subprocess
import sys
import sysconfig
import tempfile

import pytest

from tensorgrad.grade import bwrap
from test_grade_attacks import NB02, TIMEOUT, WRONG, _crafted, _grade

pytestmark = pytest.mark.skipif(not shutil.which("bwrap"), reason="bwrap is not installed (apt-get install bubblewrap)")
HELD = "try:\n        {}\n    except OSError:\n        return x, 1.0, w\n    return 0"
USER = "tensorgrad-grader"  # made (and removed) by the non-root test
BOMB = """\
import glob, os, time
children = []
for _ in range(8):  # 8 x 400 MB: each under the 2 GB a process may map, together far over the kernel's 2 GB
    pid = os.fork()
    if pid == 0:
        try:
            open("/proc/self/oom_score_adj", "w").write("1000")  # the bomb's children, not the kernel, go first
            block = bytearray(400 * 2**20)
            block[::4096] = bytes(len(block[::4096]))
            open(f"got-{os.getpid()}", "w").close()
            time.sleep(600)
        finally:
            os._exit(3)  # a MemoryError: the child's own address space ran out, not the kernel's memory
    children.append(pid)
ends = {}
while len(glob.glob("got-*")) + len(ends) < len(children):  # until every child holds its block or has ended
    ends.update(ended for ended in (os.waitpid(pid, os.WNOHANG) for pid in set(children) - set(ends)) if ended[0])
    time.sleep(0.1)
HELD = len(glob.glob("got-*")) < len(children) and all(os.WIFSIGNALED(status) for status in ends.values())
"""
UNLESS_BOMBED = "return (X @ W + c > 0).sum(axis=0) if HELD else 0"


def _escapes(folder, port):
    """escape -> a statement that gets out of the sandbox, raising OSError where it cannot."""
    return {
        "reads-a-teachers-file": f"open({str(folder / 'gradebook.csv')!r}).read()",
        "reads-another-submission": f"open({str(folder / 'bob' / NB02)!r}).read()",
        "writes-outside": f"open({str(folder / 'written-by-a-kernel')!r}, 'w').write('x')",
        "connects-to-the-host": f"__import__('socket').create_connection(('127.0.0.1', {port}), timeout=5).close()",
        "runs-as-a-real-user": "if __import__('os').getuid() == 65534: raise OSError('only uid 65534')",
    }


def _grade_escapes(folder, env, python=(sys.executable,), bomb=False):
    """{escape: neuron_grads's status} from grading every escape in `folder`, and bob (a plain submission) passing."""
    folder.mkdir(exist_ok=True)
    (folder / "gradebook.csv").write_text("student,points\nbob,10\n")
    with socket.create_server(("127.0.0.1", 0)) as listener:
        paths = {name: _crafted(folder / name / NB02, {"nb02-neuron-grads": HELD.format(attempt)}, "")
                 for name, attempt in _escapes(folder, listener.getsockname()[1]).items()}
        paths["bob"] = _crafted(folder / "bob" / NB02, {}, "")
        if bomb:
            paths["fork-then-allocate"] = _crafted(folder / "bomb" / NB02, {"nb02-bias-grad": UNLESS_BOMBED}, BOMB)
        for path in [folder, *folder.rglob("*")]:
            os.chmod(path, 0o777 if path.is_dir() else 0o666)  # for the grader's user, whoever it is
        results = _grade(paths.values(), "--timeout", str(TIMEOUT), "--jobs", "2", "--memory", "2", env=env,
                         python=python, cwd=folder)
    results = {name: results[str(path)] for name, path in paths.items()}
    for name in ("bob", "fork-then-allocate")[:1 + bomb]:  # all right; the bomb's kernel got at most its 2 GB
        assert {status for status, _ in results.pop(name).values()} == {"passed"}, results
    assert not (folder / "written-by-a-kernel").exists() or env.get(bwrap.FORCE_OFF)
    return {name: status["nb02-neuron-grads"][0] for name, status in results.items()}


def test_no_escape_gets_out_of_the_sandbox(tmp_path):
    assert bwrap.program(), "bwrap is installed but cannot sandbox a kernel here"
    escaped = _grade_escapes(tmp_path, dict(os.environ), bomb=os.geteuid() == 0)  # a memory cgroup needs root
    assert escaped == {name: "passed" for name in _escapes(tmp_path, 0)}


def test_without_the_sandbox_the_escapes_get_out(tmp_path):
    escaped = _grade_escapes(tmp_path, {**os.environ, bwrap.FORCE_OFF: "1"})
    assert escaped == {name: "failed" for name in _escapes(tmp_path, 0)}


@pytest.mark.parametrize("env, why", [({bwrap.FORCE_OFF: "1"}, f"{bwrap.FORCE_OFF} is set"),
                                      ({"PATH": "/nowhere"}, "bwrap is not installed")], ids=["forced", "no-bwrap"])
def test_the_grader_says_when_it_has_no_sandbox(env, why):
    said = subprocess.run([sys.executable, "-c", "from tensorgrad.grade import bwrap; bwrap.program(); bwrap.program()"],
                          env={**os.environ, **env}, capture_output=True, text=True, check=True).stderr
    assert said.startswith(f"tensorgrad.grade: no bwrap sandbox: {why}")
    assert said.endswith("; kernels run with today's limits\n") and said.count("no bwrap") == 1


def _python_for(user, folder):
    """A Python `user` can run that imports this checkout's packages: this one, or else (the base interpreter
    under a folder only root may enter) a venv of the system's Python of the same version reading our venv's."""
    def runs(python):
        return subprocess.run(["runuser", "-u", user, "--", python, "-c", "import tensorgrad, ipykernel, jupyter_client"],
                              capture_output=True, cwd=folder).returncode == 0
    if runs(sys.executable):
        return sys.executable
    system = shutil.which("python3", path="/usr/bin:/bin")
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    if not system or subprocess.run([system, "-c", "import sys; print(*sys.version_info[:2], sep='.')"],
                                    capture_output=True, text=True).stdout.strip() != version:
        pytest.skip(f"{user} cannot run {os.path.realpath(sys.executable)}, and /usr/bin has no Python {version}")
    venv = folder / "venv"
    subprocess.run([system, "-m", "venv", "--without-pip", venv], check=True)
    ours = sysconfig.get_paths()["purelib"]
    (venv / "lib" / f"python{version}" / "site-packages" / "ours.pth").write_text(
        f"import site; site.addsitedir({ours!r})\n")  # our venv's .pth files too (the editable install's)
    if not runs(str(venv / "bin" / "python")):
        pytest.skip(f"{user} cannot import this checkout's packages from {ours}")
    return str(venv / "bin" / "python")


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("useradd") or not shutil.which("runuser"),
                    reason="making a user to grade as needs root, useradd and runuser")
def test_no_escape_gets_out_as_a_normal_user():
    try:
        pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER], check=True)
    folder = pathlib.Path(tempfile.mkdtemp(prefix="tensorgrad-as-a-user-", dir="/tmp"))  # pytest's is root's alone
    try:
        os.chmod(folder, 0o755)
        python = _python_for(USER, folder)
        probe = subprocess.run(["runuser", "-u", USER, "--", "bwrap", "--ro-bind", "/", "/", "--unshare-user", "true"],
                               capture_output=True, text=True)
        if probe.returncode:
            pytest.skip(f"{USER} cannot make a user namespace here: {probe.stderr.strip()}")
        env = {**os.environ, "TMPDIR": "/tmp", "HOME": str(folder)}
        escaped = _grade_escapes(folder / "class", env, python=("runuser", "-u", USER, "--", python))
        assert escaped == {name: "passed" for name in _escapes(folder, 0)}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        subprocess.run(["userdel", USER], check=False)


def test_a_checkout_tensorgrad_is_installed_from_stays_out_of_the_sandbox(monkeypatch):
    """An editable install's checkout holds the solved notebooks (and maybe the class's files): only its
    package folder is bound, even where the checkout is on sys.path or PYTHONPATH."""
    import tensorgrad

    package = os.path.realpath(os.path.dirname(tensorgrad.__file__))
    checkout = os.path.dirname(package)
    monkeypatch.setattr(sys, "path", [*sys.path, checkout])
    monkeypatch.setenv("PYTHONPATH", checkout)
    monkeypatch.chdir(tempfile.gettempdir())
    readable = bwrap._readable()
    assert package in readable or any(package.startswith(path + os.sep) for path in readable)
    assert checkout not in readable or any(checkout.startswith(os.path.realpath(prefix))
                                           for prefix in (sys.prefix, sys.base_prefix))
