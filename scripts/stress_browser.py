"""Run the browser tests N times in a row and say how many runs passed: `python scripts/stress_browser.py 20`.

Not part of CI: a flaky browser test fails only now and then, so one green run proves little. Each run
is a fresh pytest process (fresh servers, kernels and browser); its JUnit report goes to
test-artifacts/stress/run-<k>.xml, and any failure's screenshot to test-artifacts/ as usual.
Extra arguments go to pytest (`-k voila`, `-x`). Exit status 1 if any run failed.
"""
import collections
import pathlib
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
        started = time.monotonic()
        result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}",
                                 *TESTS, *extra], cwd=ROOT, capture_output=True, text=True)
        bad = failures(report) if report.exists() else []
        if result.returncode not in (0, 5) and not bad:  # 5: nothing collected (-k matched nothing)
            bad = [f"pytest exited with {result.returncode}"]
        failed.update(bad)
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
