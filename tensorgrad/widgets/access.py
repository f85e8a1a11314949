"""What the training widgets share for keyboards and screen readers: one polite live region, and their styles.

`live_region()` is an anywidget holding a persistent `role="status"` element: a screen reader reads a
change of its text without moving the focus (WCAG 4.1.3). Its element stays in the page and only its
text changes (a region inserted anew is often not read), and `say` counts its messages, so the same
words said twice are heard twice. The widgets call it for what changed (a run started, paused, ended,
a quarter of it done), never once per frame.

Its `_css` (anywidget adds it to the page once) styles the widgets whose root has the class
`tensorgrad-accessible`: a focus ring in the theme's text colour (visible in light, dark and
high-contrast themes), the live region hidden from sight but not from screen readers, errors in the
theme's error colour, and no transitions under `prefers-reduced-motion`. Its module also names the
widgets' ipywidgets sliders, which ipywidgets leaves unnamed (ipywidgets#2650): each `role="slider"`
handle gets its row's label text as `aria-label` (static/name_sliders.js, which the stepper's GraphView uses too).
"""
import functools
import pathlib

from .._deps import require
from .training import describe_progress

ROOT_CLASS = "tensorgrad-accessible"
STATIC = pathlib.Path(__file__).parent / "static"

LIVE_REGION_ESM = (STATIC / "name_sliders.js").read_text(encoding="utf-8") + """
const NAMED = "ROOT_CLASS";

function nameAll() {
  for (const root of document.querySelectorAll(`.${NAMED}`)) nameSliders(root);
}

function watchSliders() {
  if (window.__tensorgradSliders) return;
  window.__tensorgradSliders = new MutationObserver(nameAll);
  window.__tensorgradSliders.observe(document.body, { childList: true, subtree: true });
  nameAll();
}

function render({ model, el }) {
  const region = document.createElement("div");
  region.className = "tg-live";
  region.setAttribute("role", "status");
  region.setAttribute("aria-live", "polite");
  region.setAttribute("aria-atomic", "true");
  const say = () => { region.textContent = (model.get("message") || {}).text || ""; };
  model.on("change:message", say);
  say();
  el.appendChild(region);
  watchSliders();
  return () => model.off("change:message", say);
}
export default { render };
""".replace("ROOT_CLASS", ROOT_CLASS)

CSS = f"""
.{ROOT_CLASS} :focus-visible {{
  outline: 2px solid var(--jp-ui-font-color0, currentColor) !important;
  outline-offset: 2px;
}}
.{ROOT_CLASS} .tg-live {{
  position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; border: 0;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap;
}}
.{ROOT_CLASS} .tg-row .widget-radio-box {{ flex-direction: row; gap: 0 1em; }}
.{ROOT_CLASS} .tg-stretch img {{ width: 100%; height: auto; }}
.{ROOT_CLASS} .tg-error {{ color: var(--jp-error-color1, #b00020); }}
.{ROOT_CLASS} .tg-summary {{ margin: 2px 0; font-size: var(--jp-content-font-size1, 13px); }}
.{ROOT_CLASS} table caption {{ text-align: left; font-weight: bold; }}
@media (prefers-reduced-motion: reduce) {{
  .{ROOT_CLASS} * {{ transition: none !important; animation: none !important; scroll-behavior: auto !important; }}
}}
"""


def live_region():
    """A new live region: `say(region, text)` makes a screen reader read `text` politely."""
    require("anywidget")
    return _live_region_class()()


def say(region, text):
    """Announce `text` through `region` (said again even when it repeats the last message)."""
    region.message = {"text": text, "n": region.message.get("n", 0) + 1}


def accessible(widget):
    """Mark a widget's root for the shared styles and the slider names; returns the widget."""
    widget.add_class(ROOT_CLASS)
    return widget


@functools.cache
def _live_region_class():  # made on first use: anywidget is imported only then
    anywidget, traitlets = require("anywidget"), require("traitlets")

    class LiveRegion(anywidget.AnyWidget):
        _esm = LIVE_REGION_ESM
        _css = CSS
        message = traitlets.Dict().tag(sync=True)

    return LiveRegion


class Announcer:
    """A live region and when it speaks during training: what the caller says (a run started, paused, ended) and,
    by itself, the progress each time a run passes a quarter of its length; never once per frame."""

    def __init__(self):
        self.region = live_region()
        self._run = None  # [first step, last step, quarters said]

    @property
    def text(self):
        return self.region.message.get("text", "")

    def say(self, text):
        say(self.region, text)

    def start(self, first, last):
        """A run from step `first` (exclusive) to `last` begins."""
        self._run = [first, last, 0]

    def progress(self, history):
        """After a frame: the step, loss and accuracy when a new quarter of the run is passed (its end is the
        caller's to say: finished, paused or stopped)."""
        if self._run is None or not history["step"]:
            return
        first, last, said = self._run
        quarter = 4 * (history["step"][-1] - first) // max(last - first, 1)
        if said < quarter < 4:
            self._run[2] = quarter
            self.say(describe_progress(history, last))
