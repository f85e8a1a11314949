"""Repository-wide pytest setup: how nbval compares the stored notebook outputs.

Notebooks need no Graphviz `dot` program: without it, drawings are laid out in the browser
(GraphView), and their outputs still compare equal (widget views and SVG are both left out).
"""


def pytest_collectstart(collector):
    """Leave SVG out of nbval's comparison: Graphviz lays drawings out differently from version to version.

    PNGs and widget views are never compared by nbval; text, HTML and stderr still are.
    """
    if collector.__class__.__name__ == "IPyNbFile":
        collector.skip_compare = collector.skip_compare + ("image/svg+xml",)
