"""Run the browser tests N times in a row and say how many runs passed: `python scripts/stress_browser.py 20`.

Not part of CI: a flaky browser test fails only now and then, so one green run proves little. Each run
is a fresh pytest process (fresh servers, kernels and browser); its JUnit report goes to
test-artifacts/stress/run-<k>.xml, and what a failing test keeps (its screenshot, kernel traffic and server
log) to test-artifacts/stress/run-<k>/, so that a later run of the same test does not write over it.
Extra arguments go to pytest (`-k voila`, `-x`). Exit status 1 if any run failed.
"""
import collections
import pathlib
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

ROOT = pathlib.Path(__file__).resolve().parent.parent
TESTS = ["tests/test_browser.py", "tests/test_studio_browser.py", "tests/test_student_browser.py"]


def failures(report):
    """The ids of the tests that failed or errored in one JUnit report."""
    return [f"{case.get('classname')}::{case.get('name')}" for case in ET.parse(report).iter("testcase")
            if case.find("failure") is not None or case.find("error") is not None]


def keep_failures(names, since, into):
    """Move what the failing tests kept in test-artifacts/ during this run into its own folder."""
    for path in (ROOT / "test-artifacts").iterdir():
        if path.is_file() and path.stat().st_mtime >= since and any(path.name.startswith(n) for n in names):
            into.mkdir(exist_ok=True)
            shutil.move(path, into / path.name)


def main(argv):
    if not argv or not argv[0].isdigit() or int(argv[0]) < 1:
        sys.exit("usage: python scripts/stress_browser.py N [pytest arguments]")
    runs, extra = int(argv[0]), argv[1:]
    out = ROOT / "test-artifacts" / "stress"
    out.mkdir(parents=True, exist_ok=True)
    failed = collections.Counter()
    passed = 0
    for k in range(1, runs + 1):
        report = out / f"run-{k}.xml"
        started, since = time.monotonic(), time.time()
        result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}",
                                 *TESTS, *extra], cwd=ROOT, capture_output=True, text=True)
        bad = failures(report) if report.exists() else []
        if result.returncode not in (0, 5) and not bad:  # 5: nothing collected (-k matched nothing)
            bad = [f"pytest exited with {result.returncode}"]
        failed.update(bad)
        keep_failures([test.rsplit("::", 1)[-1] for test in bad], since, out / f"run-{k}")
        passed += not bad
        summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
        print(f"run {k}/{runs}: {'passed' if not bad else 'FAILED ' + ', '.join(bad)} "
              f"({time.monotonic() - started:.0f} s; {summary})", flush=True)
    print(f"{passed} of {runs} runs passed")
    for test, count in failed.most_common():
        print(f"  {test}: failed in {count} of {runs} runs")
    return 0 if passed == runs else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
