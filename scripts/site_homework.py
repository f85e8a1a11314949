"""No homework lost: put the site's guard over a student's work (scripts/site/homework.js) into the built site.

The script goes into every JupyterLite app page (asking the browser to keep the site's storage, and in each
notebook view: where the work lives, a warning where it is not kept, "Download this notebook", and a notice
when a saved copy hides a notebook the teacher has republished) and into the landing page, which also says
how to hand work in and what deletes it. Voici apps get nothing: an app keeps no edits.
Called by scripts/build_site.py once the site is built: `install(out)`.
"""
import pathlib
import re
import shutil

SCRIPT = pathlib.Path(__file__).resolve().parent / "site" / "homework.js"
SITE_PATH = "static/tensorgrad/homework.js"
APP_PAGES = ("lab", "notebooks", "tree", "edit")
LANDING_SECTION = """<section id="your-work" aria-labelledby="your-work-title">
<h2 id="your-work-title">Your work: where it is kept and how to hand it in</h2>
<p>Your edits are saved <b>in this browser only</b>, on this device: not on a server, not in your account.
<b>Clearing browser data deletes them</b> (the browser's own setting, or Help › Clear Browser Data here); so does
closing a private window, and Safari deletes a site's data after 7 days without a visit. The site asks the browser
to keep its data; a line above each notebook says where your work is and warns when the browser has not agreed.</p>
<p><b>To hand work in</b>: in the notebook, press <b>Download this notebook</b> (in the line above the notebook) and send
the downloaded <code>.ipynb</code> file the way your teacher asks. Keep that file: it is your copy. If your teacher
publishes a new version of a notebook you have edited, the notebook says so and opens the new version beside yours.</p>
</section>
"""


def _script_tag(depth):
    return f'<script src="{"../" * depth}{SITE_PATH}" defer></script>'


def _insert_before(text, marker, addition, page):
    if marker not in text:
        raise ValueError(f"{page}: no {marker} to put the homework guard before")
    return text.replace(marker, addition + marker, 1)


def install(out):
    """Copy the script into `out` and load it from the app pages and the landing page; add the landing page's section."""
    target = out / SITE_PATH
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(SCRIPT, target)
    for app in APP_PAGES:
        page = out / app / "index.html"
        page.write_text(_insert_before(page.read_text(), "</head>", _script_tag(1), page))
    landing = out / "index.html"
    text = _insert_before(landing.read_text(), "</head>", _script_tag(0), landing)
    first_list = re.search(r"<ul>", text)  # after the introduction, before the list of notebooks
    where = first_list.start() if first_list else text.index("</body>")
    landing.write_text(text[:where] + LANDING_SECTION + text[where:])
