"""ClickImage: a PNG picture with a text alternative that reports where it was clicked.

ipywidgets' Image tells Python nothing about clicks and has no `alt`. This anywidget shows PNG bytes
(`png`, sent as a binary buffer) with `alt` as its text alternative, and, if `clickable`, sets `click`
to where each click landed, as fractions of the picture's width and height from its top left, with
the shift key and the button (0, or 2 for a right-click) and a counter, so that two clicks on the
same spot are two changes. Turning fractions into data coordinates is the Python side's business: it
knows the axes the picture was drawn with. `picture()` is the same without clicks (a crosshair would
promise what it does not do).
"""
import functools

from .._deps import require

CLICK_IMAGE_ESM = """
function render({ model, el }) {
  const img = document.createElement("img");
  img.draggable = false;
  img.style.cssText = "max-width: 100%; display: block; background: #fff";
  if (model.get("clickable")) img.style.cursor = "crosshair";
  let url = null;
  const show = () => {
    const png = model.get("png");
    if (!png || !png.byteLength) return;
    const next = URL.createObjectURL(new Blob([png], { type: "image/png" }));
    img.src = next;
    if (url) URL.revokeObjectURL(url);
    url = next;
  };
  const describe = () => { img.alt = model.get("alt"); };
  const report = (event, button) => {
    if (!model.get("clickable")) return;
    event.preventDefault();
    const box = img.getBoundingClientRect();
    model.set("click", { x: (event.clientX - box.left) / box.width, y: (event.clientY - box.top) / box.height,
                         shift: event.shiftKey, button, n: (model.get("click").n || 0) + 1 });
    model.save_changes();
  };
  img.addEventListener("click", (event) => report(event, 0));
  img.addEventListener("contextmenu", (event) => report(event, 2));
  model.on("change:png", show);
  model.on("change:alt", describe);
  describe();
  show();
  el.appendChild(img);
  return () => { model.off("change:png", show); model.off("change:alt", describe); if (url) URL.revokeObjectURL(url); };
}
export default { render };
"""


def click_image(alt=""):
    """A new ClickImage: a PNG (`png`) described by `alt` that reports each click in `click` (x, y as fractions
    of the image's width and height from its top left, `shift`, `button` 0 or 2 for right, a counter `n`)."""
    require("anywidget")  # its install message, even once the class exists
    return _click_image_class()(alt=alt)


def picture(alt="", stretch=False):
    """A PNG picture (`png`) with a text alternative (`alt`), clicks ignored: ipywidgets' Image has no alt.
    `stretch`: as wide as its container, as ipywidgets' Image is in a column."""
    require("anywidget")
    image = _click_image_class()(alt=alt, clickable=False)
    if stretch:
        image.add_class("tg-stretch")  # (styled by access.CSS)
    return image


@functools.cache
def _click_image_class():  # made on first use: anywidget is imported only then
    anywidget, traitlets = require("anywidget"), require("traitlets")

    class ClickImage(anywidget.AnyWidget):
        _esm = CLICK_IMAGE_ESM
        png = traitlets.Bytes(b"").tag(sync=True)
        alt = traitlets.Unicode("").tag(sync=True)
        clickable = traitlets.Bool(True).tag(sync=True)
        click = traitlets.Dict().tag(sync=True)

    return ClickImage
