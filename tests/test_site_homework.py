"""No homework lost, on the built course site in headless Chromium (scripts/site/homework.js).

A student's edit survives a reload; "Download this notebook" (keyboard too) gives the edited file; the strip
above the notebook warns where the browser has not agreed to keep the site's storage; a saved copy of a notebook
the teacher has since republished says so and opens the new version beside it. The browser's answer to
navigator.storage.persist() is the browser's choice (headless Chromium says no), so the tests set it.
TENSORGRAD_TEST_SITE=DIR uses a site already built there (by `make site`) instead of building one.
"""
import hashlib
import json
import os
import pathlib
import shutil

import pytest

from browser_support import screenshot_on_failure
from site_support import TIMEOUT, offline_browser, screenshot, serve

playwright = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[test]' installs playwright")
NOTEBOOK = "04_broadcasting_gradients.ipynb"
EDIT = "# My answer\n\nEdited by the student before the reload."
# navigator.storage as a browser that does (or does not) keep the site's data, recording that the site asked
PERSISTENCE = """(keeps) => {
    window.persistAsked = 0;
    const storage = navigator.storage;
    storage.persisted = async () => keeps;
    storage.persist = async () => { window.persistAsked += 1; return keeps; };
}"""


def open_page(p, base, keeps):
    """A fresh browser (no saved work) whose storage is kept or not; yields (page, context)."""
    return _Session(p, base, keeps)


class _Session:
    def __init__(self, p, base, keeps):
        self._browser = offline_browser(p, base)
        self.context, self.elsewhere = self._browser.__enter__()
        self.context.add_init_script(f"({PERSISTENCE})({json.dumps(keeps)})")
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT)

    def close(self):
        assert self.elsewhere == [], f"requests to other origins: {self.elsewhere}"
        self._browser.__exit__(None, None, None)


@pytest.fixture
def session(request):
    """Open a session with `session(base, keeps)`; it is closed (and checked for other-origin requests) after."""
    opened = []
    with playwright.sync_playwright() as p:
        def open_session(base, keeps=False):
            opened.append(open_page(p, base, keeps))
            return opened[-1].page
        try:
            yield open_session
        finally:
            for each in opened:
                each.close()


def open_notebook(page, base, path=NOTEBOOK, ui="lab"):
    """`path` open in `ui`, its document loaded and the homework strip shown; the strip's locator."""
    page.goto(f"{base}/{ui}/index.html?path={path}")
    page.wait_for_function("""(path) => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
        return w && w.context && w.context.path === path && w.context.isReady; }""", arg=path)
    strip = page.locator(".tg-homework")
    strip.wait_for()
    return strip


def edit_and_save(page, source):
    page.evaluate("""async (source) => { const panel = window.jupyterapp.shell.currentWidget;
        panel.content.model.cells.get(0).sharedModel.setSource(source);
        await panel.context.save(); }""", source)


def first_cell(page):
    return page.evaluate("() => window.jupyterapp.shell.currentWidget.content.model.cells.get(0).sharedModel.getSource()")


def test_an_edit_survives_a_reload_and_the_download_is_the_edited_notebook(site, session):
    with serve(site) as (base, _missing):
        page = session(base, keeps=True)
        with screenshot_on_failure(page, "site-homework-download"):
            open_notebook(page, base)
            edit_and_save(page, EDIT)
            page.reload()
            strip = open_notebook(page, base)
            assert first_cell(page) == EDIT
            download = strip.get_by_role("button", name="Download this notebook")
            download.focus()
            with page.expect_download() as event:
                page.keyboard.press("Enter")  # one key, no mouse: the control is a real button
            assert event.value.suggested_filename == NOTEBOOK
            notebook = json.loads(pathlib.Path(event.value.path()).read_text())
            assert "".join(notebook["cells"][0]["source"]) == EDIT
            assert notebook["nbformat"] == 4 and len(notebook["cells"]) > 1
            status = strip.get_by_role("status")
            assert "Downloaded " + NOTEBOOK in status.inner_text()


def test_the_strip_warns_where_the_browser_does_not_keep_the_site_storage(site, session):
    with serve(site) as (base, _missing):
        for keeps, ui in ((False, "notebooks"), (True, "lab")):
            page = session(base, keeps=keeps)
            with screenshot_on_failure(page, f"site-homework-keeps-{keeps}"):
                strip = open_notebook(page, base, ui=ui)
                status = strip.get_by_role("status")
                page.wait_for_function("() => document.querySelector('.tg-homework').dataset.persisted")
                text = status.inner_text()
                assert "saved in this browser only" in text
                assert ("may delete it" in text) is not keeps and ("\u26a0" in text) is not keeps
                assert strip.get_attribute("data-persisted") == str(keeps).lower()
                assert page.evaluate("window.persistAsked") == (0 if keeps else 1)  # asked unless already kept
                assert strip.get_by_role("link", name="How to hand it in").get_attribute("href").endswith(
                    "index.html#your-work")
                screenshot(page, f"site-homework-{ui}-{'kept' if keeps else 'not-kept'}")
    landing = (site / "index.html").read_text()
    assert 'id="your-work"' in landing and "Clearing browser data deletes them" in landing
    assert "Download this notebook" in landing and "homework.js" in landing


def republish(folder, path, note):
    """The teacher publishes a new version of `path` (a new first cell) in the site at `folder`, as a rebuild would."""
    notebook = json.loads((folder / "files" / path).read_text())
    notebook["cells"].insert(0, {"cell_type": "markdown", "id": "republished", "metadata": {}, "source": note})
    data = (json.dumps(notebook, indent=1) + "\n").encode()
    listing_path = folder / "api" / "contents" / "all.json"
    listing = json.loads(listing_path.read_text())
    entry = next(item for item in listing["content"] if item["name"] == path)
    entry.update(hash=hashlib.sha256(data).hexdigest(), size=len(data), last_modified="2099-01-01T00:00:00Z")
    for target, content in ((folder / "files" / path, data), (listing_path, json.dumps(listing).encode())):
        target.unlink()  # a hard link to the built site: writing in place would change it too
        target.write_bytes(content)


def test_a_republished_notebook_is_not_hidden_by_the_students_copy(site, session, tmp_path):
    note = "Republished by the teacher: exercise 2 has a hint now."
    copy = tmp_path / "site"
    shutil.copytree(site, copy, copy_function=os.link)
    with serve(copy) as (base, _missing):
        page = session(base)
        with screenshot_on_failure(page, "site-homework-republished"):
            open_notebook(page, base)
            edit_and_save(page, EDIT)
            page.reload()
            open_notebook(page, base)
            page.wait_for_function("() => window.tgHomeworkChecked")  # compared with the published version
            assert page.locator(".tg-homework-republished").count() == 0  # the student's own saves are not news
            republish(copy, NOTEBOOK, note)
            page.reload()
            open_notebook(page, base)
            notice = page.locator(".tg-homework-republished")
            notice.wait_for()
            assert notice.get_attribute("role") == "status"
            assert f"published a new version of {NOTEBOOK}" in notice.inner_text()
            assert first_cell(page) == EDIT  # the student's copy is what is open
            screenshot(page, "site-homework-republished-notice")
            notice.get_by_role("button", name="Open the teacher's new version").click()
            teacher = NOTEBOOK.replace(".ipynb", " (teacher's new version).ipynb")
            page.wait_for_function("""(path) => { const w = window.jupyterapp.shell.currentWidget;
                return w && w.context && w.context.path === path && w.context.isReady; }""", arg=teacher)
            assert first_cell(page) == note
            # the student's tab (now behind) says where the new version is
            notice.locator("button", has_text="Close this notice").wait_for(state="attached")
            assert "teacher's new version is open" in notice.text_content()
            contents = page.evaluate("""async (paths) => Promise.all(paths.map(async p =>
                (await window.jupyterapp.serviceManager.contents.get(p, {content: true})).content.cells[0].source))""",
                                     [NOTEBOOK, teacher])
            assert contents == [EDIT, note]  # both kept: the student's edits and the teacher's new version
