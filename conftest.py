"""Repository-wide pytest setup: how nbval compares the stored notebook outputs, and what they need."""
import functools
import os
import shutil

import pytest


def pytest_collectstart(collector):
    """Leave SVG out of nbval's comparison: Graphviz lays drawings out differently from version to version.

    PNGs and widget views are never compared by nbval; text, HTML and stderr still are.
    """
    if collector.__class__.__name__ == "IPyNbFile":
        collector.skip_compare = collector.skip_compare + ("image/svg+xml",)


@functools.cache
def _draws_graphs(path):
    text = path.read_text()
    return "draw_dot" in text or "BackwardStepper" in text


def pytest_runtest_setup(item):
    """A notebook that draws graphs needs Graphviz's dot: skipped without it, except under CI, where it fails."""
    if item.__class__.__name__ != "IPyNbCell" or not _draws_graphs(item.parent.path) or shutil.which("dot"):
        return
    message = "this notebook draws graphs with Graphviz's dot, which is not installed: apt-get install graphviz"
    if os.environ.get("CI") == "true":
        pytest.fail(message + " (under CI a missing dot is a failure: .ci/run installs it)")
    pytest.skip(message)
