"""The notebooks' headings as a screen reader lists them: one h1, the title, first; no level skipped.
Link texts say where they lead ("here" or a bare address does not)."""
import json
import re

import pytest

from browser_support import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
VAGUE = {"here", "click here", "this", "link", "this link", "more", "read more"}


def markdown_lines(path):
    """The lines of the notebook's Markdown cells, fenced code left out."""
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] == "markdown":
            fenced = False
            for line in "".join(cell["source"]).splitlines():
                fenced ^= line.lstrip().startswith("```")
                if not fenced:
                    yield line


def heading_levels(lines):
    return [len(m.group(1)) for m in (re.match(r"(#{1,6})\s", line) for line in lines) if m]


def skipped_levels(levels):
    """The (from, to) pairs where a heading goes deeper by more than one level."""
    return [(a, b) for a, b in zip(levels, levels[1:]) if b > a + 1]


def test_the_heading_check_catches_a_skipped_level_and_a_second_h1():
    levels = heading_levels(["# Title", "### too deep", "# again"])
    assert levels == [1, 3, 1] and skipped_levels(levels) == [(1, 3)] and levels.count(1) == 2


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_has_one_h1_first_and_no_skipped_heading_level(path):
    levels = heading_levels(markdown_lines(path))
    assert levels and levels[0] == 1 and levels.count(1) == 1, f"{path.name}: headings {levels}"
    assert not skipped_levels(levels), f"{path.name}: a heading level skipped in {levels}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_link_texts_say_where_they_lead(path):
    texts = [t for line in markdown_lines(path) for t in re.findall(r"(?<!!)\[([^\]]+)\]\([^)]+\)", line)]
    vague = [t for t in texts if t.strip().lower() in VAGUE or re.fullmatch(r"https?://\S+", t.strip())]
    assert not vague, f"{path.name}: links named {vague}"
