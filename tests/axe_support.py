"""axe-core in the browser tests: the WCAG 2.2 A/AA rules run over a part of a page.

axe-core comes from the npm registry, pinned, unpacked once into test-artifacts/ (not committed: it is a
third-party file the tests use, like the browser). axe finds about half of what matters; focus order, live
regions and the words of a label have tests of their own.
"""
import os
import pathlib
import shutil
import subprocess
import tarfile
import tempfile

import pytest

AXE_VERSION = "4.14.1"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
CACHE = pathlib.Path(__file__).resolve().parent.parent / "test-artifacts" / f"axe-core-{AXE_VERSION}.min.js"


def axe_script():
    """The path of axe.min.js, fetched with `npm pack` the first time (a skip without npm; a failure under CI)."""
    if CACHE.exists():
        return CACHE
    npm = shutil.which("npm")
    if npm is None:
        message = "npm is needed to fetch axe-core for the accessibility tests"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run([npm, "pack", f"axe-core@{AXE_VERSION}", "--silent"], cwd=folder, check=True,
                       capture_output=True, timeout=300)
        with tarfile.open(next(pathlib.Path(folder).glob("axe-core-*.tgz"))) as archive:
            source = archive.extractfile("package/axe.min.js").read()
    CACHE.parent.mkdir(exist_ok=True)
    partial = CACHE.with_suffix(".part")
    partial.write_bytes(source)
    partial.replace(CACHE)
    return CACHE


def axe_violations(page, context="body"):
    """axe's WCAG 2.2 A/AA violations inside `context` (a CSS selector), each as 'rule (impact): targets'."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_script()))
    found = page.evaluate(
        """async ([context, tags]) => {
            const result = await axe.run(context, {runOnly: {type: "tag", values: tags}});
            return result.violations.map(v => `${v.id} (${v.impact}): ` +
                v.nodes.map(n => n.target.join(" ")).join(", "));
        }""", [context, WCAG_TAGS])
    return found
