"""Nothing a kernel leaves behind can stall the grader, and no kernel outlives it.

A notebook's hook swaps the hidden test's answers file for something that would block or flood a
naive reader (a FIFO, a device, a link, a huge sparse file, a file that keeps growing, a folder):
each costs only that exercise, at once. Processes a kernel starts, even in a session of their own,
die with it, and with the grader when it is interrupted (SIGINT) or killed (SIGKILL).
"""
import os
import pathlib
import signal
import subprocess
import sys
import time

import nbformat
import pytest

from tensorgrad.grade import bwrap
from test_grade import ROOT
from test_grade_attacks import NB02, _crafted, _grade

SWAP = """\
import glob, os, stat, threading
def _swap(result):
    for path in glob.glob("../answers-*"):
        if os.path.islink(path) or not os.path.isfile(path):
            continue  # replaced after an earlier cell (else, listed first, its error would spare the newest)
        os.remove(path)
        {}
get_ipython().events.register("post_run_cell", _swap)
"""
GROW = """def _grow():
            with open(path, "ab") as file:
                while True:
                    file.write(b" " * 4096)
                    file.flush()
        threading.Thread(target=_grow, daemon=True).start()"""
SWAPS = {  # name -> what takes the answers file's place, the start of what the grader says of it
    "fifo": ("os.mkfifo(path)", "is not a plain file"),
    "link-to-dev-zero": ('os.symlink("/dev/zero", path)', "is a link"),
    "link-to-a-teachers-file": ('os.symlink("/etc/hostname", path)', "is a link"),
    "device": ("os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 5))", "is not a plain file"),
    "folder": ("os.mkdir(path)", "is not a plain file"),
    "huge-sparse-file": ("os.truncate(open(path, 'wb').name, 200 * 2**20)", "holds 200 MB, more than the 64 MB"),
    "growing-file": (GROW, ("kept changing", "holds")),  # or, caught between two writes, not the answers at all
}


@pytest.fixture(scope="module")
def swapped(tmp_path_factory):
    folder = tmp_path_factory.mktemp("swaps")
    names = [n for n in SWAPS if n != "device" or (os.geteuid() == 0 and not bwrap.program())]  # mknod needs root
    paths = {name: _crafted(folder / name / NB02, {}, SWAP.format(SWAPS[name][0])) for name in names}
    started = time.monotonic()
    results = _grade(paths.values(), "--timeout", "20", "--jobs", "2")
    return {name: results[str(p)] for name, p in paths.items()}, time.monotonic() - started


@pytest.mark.parametrize("swap", SWAPS)
def test_what_replaces_the_answers_file_fails_only_its_exercise(swapped, swap):
    if swap not in swapped[0]:
        pytest.skip("making a device file needs root, which a kernel in bwrap never is")
    results = swapped[0][swap]
    assert results["nb02-neuron-grads"][0] == "passed", results
    status, message = results["nb02-bias-grad"]
    assert status == "failed", results
    if swap == "growing-file" and message.startswith("the hidden test could not read the answers"):
        return
    assert message.startswith("the hidden test's answers file "), results
    assert message.removeprefix("the hidden test's answers file ").startswith(SWAPS[swap][1]), results


def test_no_swap_stalls_the_class(swapped):
    assert swapped[1] < 300  # generous: the 6 notebooks take seconds; a blocked read took for ever


@pytest.mark.parametrize("cgroup", [True, False], ids=["pids-cgroup", "below-the-stand-in"])
def test_a_process_in_its_own_session_dies_with_its_cell(tmp_path, monkeypatch, cgroup):
    from tensorgrad.grade import kernel
    if not cgroup:  # a normal user's case: no cgroup, the stand-in is the orphans' subreaper
        monkeypatch.setattr(kernel.PidsCgroup, "__init__", lambda self, limit: setattr(self, "path", None))
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "empty.ipynb")
    sandbox = kernel.Sandbox(tmp_path / "empty.ipynb")
    running = kernel.Kernel(sandbox, kernel.Limits())
    try:
        marker = f"tensorgrad-stray-{tmp_path.name}"  # its pid in stray.pid is its sandbox's (bwrap's pid namespace)
        outcome = running.run(STRAY.format(marker=marker, seconds=0), 30)
        assert outcome.error is None, outcome
        assert (sandbox.work / "stray.pid").exists() and not _processes_naming(marker)
        assert running.run("print('still here')", 30).printed == len("still here\n")
    finally:
        running.close()
        sandbox.close()
    assert not _alive(running.pid)


STRAY = """\
import os, subprocess, sys, time
if os.fork() == 0:  # a daemon: in a session of its own, its parent gone
    os.setsid()
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(900)", {marker!r}])
    open("stray.pid", "w").write(str(child.pid))
    os._exit(0)
while not os.path.exists("stray.pid"):
    time.sleep(0.05)
time.sleep({seconds})
"""


def _alive(pid):
    try:
        return pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in "ZX"
    except OSError:
        return False


def _processes_naming(text):
    found = set()
    for pid in os.listdir("/proc"):
        try:
            if text.encode() in pathlib.Path(f"/proc/{pid}/cmdline").read_bytes() and _alive(int(pid)):
                found.add(int(pid))
        except (OSError, ValueError):
            continue
    return found


def _poll(condition, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM], ids=["killed", "ctrl-c", "sigterm"])
def test_no_kernel_outlives_the_grader(tmp_path, how):
    marker = f"tensorgrad-stray-{tmp_path.name}"
    sandboxes = tmp_path / "tmp"
    sandboxes.mkdir()
    path = _crafted(tmp_path / "nb" / NB02, {}, STRAY.format(marker=marker, seconds=600))
    grader = subprocess.Popen([sys.executable, "-m", "tensorgrad.grade", "--json", "--timeout", "900", str(path)],
                              cwd=ROOT, env={**os.environ, "TMPDIR": str(sandboxes)}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    try:
        assert _poll(lambda: _processes_naming(marker) and _processes_naming(str(sandboxes)), 120), \
            "the kernel or its stray never started"
        os.kill(grader.pid, how)
        grader.wait(60)
        assert _poll(lambda: not _processes_naming(marker) and not _processes_naming(str(sandboxes)), 60), \
            (_processes_naming(marker), _processes_naming(str(sandboxes)))
        if how != signal.SIGKILL:
            assert grader.returncode == 130 and "grading interrupted" in grader.stderr.read()
    finally:
        grader.kill()
        grader.wait()
        for pid in _processes_naming(marker) | _processes_naming(str(sandboxes)):
            os.kill(pid, signal.SIGKILL)


def test_a_sandbox_holds_only_the_submissions_own_files(tmp_path):
    from tensorgrad.grade import kernel
    for name in ("alice.ipynb", "bob.ipynb", "results.jsonl", "gradebook.csv", "digits.csv"):
        (tmp_path / name).write_text("{}")
    (tmp_path / "bob").mkdir()
    (tmp_path / "link.csv").symlink_to(tmp_path / "gradebook.csv")
    sandbox = kernel.Sandbox(tmp_path / "alice.ipynb", data=["digits.csv", "link.csv", "../bob.ipynb"])
    try:
        assert sorted(p.name for p in sandbox.work.iterdir()) == ["alice.ipynb", "digits.csv"]
    finally:
        sandbox.close()
