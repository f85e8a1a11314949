"""Fast matplotlib frames for the training widgets: a decision boundary drawn by updating its artists,
figures re-rendered by blitting, and PNG bytes written without PNG's row filters.

A widget frame is a PNG of a figure where most things stay put (axes, ticks, labels) and a few
change (the regions, the boundary line, the points, the curves). Redrawing all of it with savefig
costs 40-80 ms; drawing only what changes on a cached background, and encoding the pixels simply,
costs about 13 ms for a live plot, so frames can come often without slowing training much.
"""
import functools
import math
import struct
import zlib

import numpy as np

from ..engine import Value, no_grad
from .._deps import require


# Classes' colours: Okabe and Ito's palette ("Color Universal Design", 2008) without its black, chosen to stay
# apart for the common colour-vision deficiencies; the points also differ in shape by class (training.MARKERS).
CLASS_COLOURS = (("blue", "#0072B2"), ("orange", "#E69F00"), ("bluish green", "#009E73"), ("vermilion", "#D55E00"),
                 ("sky blue", "#56B4E9"), ("reddish purple", "#CC79A7"), ("yellow", "#F0E442"))
CLASSES_CMAP = "tensorgrad-classes"  # the colour map's name, by which the legend knows it
SHADING = {"RdBu": 0.55, CLASSES_CMAP: 0.7}  # the regions' opacity: paler hues need more to stay apart


@functools.cache
def class_colormap(classes):
    """A colour map giving class index i (0..classes-1) the i-th colour of CLASS_COLOURS, cycling past the last."""
    colors = require("matplotlib.colors", "demo")
    return colors.ListedColormap([CLASS_COLOURS[i % len(CLASS_COLOURS)][1] for i in range(classes)],
                                 name=CLASSES_CMAP)


def grid_over(X, resolution):
    """A `resolution` x `resolution` grid over the 2-D data X with a margin: (xx, yy, points (G, 2))."""
    lo, hi = X.min(axis=0), X.max(axis=0)
    margin = 0.1 * (hi - lo) + 0.1
    xx, yy = np.meshgrid(np.linspace(lo[0] - margin[0], hi[0] + margin[0], resolution),
                         np.linspace(lo[1] - margin[1], hi[1] + margin[1], resolution))
    return xx, yy, np.column_stack([xx.ravel(), yy.ravel()])


def evaluate(fn, points):
    """`fn` applied to all grid points in one batched forward pass, recording no graph: a numpy array."""
    with no_grad():
        out = fn(Value(points, requires_grad=False))
    return np.asarray(out.data if isinstance(out, Value) else out)


def png_bytes(figure):
    """The figure as PNG bytes, drawn by Agg (savefig's path costs several times as much)."""
    figure.canvas.draw()
    return _encode(figure)


def _encode(figure):
    return encode_png(np.asarray(figure.canvas.buffer_rgba())[..., :3])


def encode_png(rgb):
    """An RGB array (height, width, 3) of uint8 as PNG bytes: rows unfiltered, deflated at level 1.

    PNG's per-row filters cost more than the deflating itself, and these pictures (flat areas, lines)
    compress about as well without them: this takes a third of the time of a general encoder.
    """
    height, width, _ = rgb.shape
    rows = np.zeros((height, 1 + 3 * width), np.uint8)  # each row starts with its filter type: 0, none
    rows[:, 1:] = rgb.reshape(height, -1)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlacing
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows.tobytes(), 1))
            + chunk(b"IEND", b""))


class Frames:
    """Renders a figure again and again where only some artists change: the rest is drawn once (blitting).

    Text, tick labels above all, is most of a matplotlib frame's cost. The axes, ticks and labels are
    drawn only when `key` (what they depend on: limits, sizes) changes; other frames restore that
    background and draw only the changing `artists` on it, in order.
    """

    def __init__(self, figure, artists):
        self.figure, self.artists = figure, list(artists)
        for artist in self.artists:
            artist.set_animated(True)  # a full draw leaves them out of the background
        self._key = self._background = None

    def png(self, key=None):
        canvas = self.figure.canvas
        if self._background is None or key != self._key:
            canvas.draw()
            self._background, self._key = canvas.copy_from_bbox(self.figure.bbox), key
        else:
            canvas.restore_region(self._background)
        for artist in self.artists:
            self.figure.draw_artist(artist)
        return _encode(self.figure)


def nice_ceiling(x):
    """The smallest of 1, 2, 5 times a power of ten that is >= x (x > 0): axis limits that rarely move."""
    power = 10.0 ** math.floor(math.log10(x))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= x * (1 - 1e-12))


def first_layer(model):
    """The (2, units) weight and (units,) bias of the model's first layer, if it is a dense layer on 2-D input."""
    for module in getattr(model, "layers", [model]):
        w = getattr(module, "w", None)
        if isinstance(w, Value):
            if w.shape[0] != 2:
                return None
            b = getattr(module, "b", None)
            weights = w.data.reshape(2, -1)
            return weights, (b.data.reshape(-1) if isinstance(b, Value) else np.zeros(weights.shape[1]))
        if getattr(module, "nin", None) is not None:  # a module with weights of another kind comes first
            return None
    return None


def zero_line_segments(model, extent):
    """Each first-layer unit's line w[0] x + w[1] y + b = 0 across `extent` (x0, x1, y0, y1), as segments.

    A unit of the first layer is a straight soft edge; the network's boundary is built from these
    edges, so seeing them explains its shape. No first layer on 2-D input: no lines.
    """
    layer = first_layer(model)
    if layer is None:
        return []
    x0, x1, y0, y1 = extent
    segments = []
    for (a, c), b in zip(layer[0].T, layer[1]):
        if abs(c) >= abs(a) and c:  # closer to horizontal: y at the left and right edges
            segments.append([(x0, -(a * x0 + b) / c), (x1, -(a * x1 + b) / c)])
        elif a:
            segments.append([(-(c * y0 + b) / a, y0), (-(c * y1 + b) / a, y1)])
    return segments


class Boundary:
    """A classifier's decision regions, boundary line and data points on one matplotlib axes.

    The artists are made once and updated in place each frame (image data, line segments from
    contourpy, point offsets and colours): re-creating them, contouring above all, cost more than the
    rest of a frame. `extra` is a LineCollection callers may fill (the studio draws zero lines there).
    """

    def __init__(self, ax):
        collections = require("matplotlib.collections", "demo")
        self.ax = ax
        self.image = ax.imshow(np.zeros((2, 2)), origin="lower", aspect="auto", interpolation="bilinear")
        self.lines = ax.add_collection(collections.LineCollection([], colors="k", linewidths=1.2))
        self.extra = ax.add_collection(collections.LineCollection([], colors="0.25", linewidths=0.8,
                                                                  linestyles="--"))
        self.points = ax.scatter(np.zeros(0), np.zeros(0), s=18, edgecolors="k", linewidths=0.5)
        self.message = ax.text(0.5, 0.5, "", transform=ax.transAxes, ha="center", va="center", fontsize=9,
                               wrap=True)
        self.artists = (self.image, self.lines, self.extra, self.points, self.message)  # in drawing order

    def draw(self, model, X, y, grid):
        """Draw `model`'s regions over `grid` (xx, yy, points from `grid_over`) and the points X coloured by y."""
        contour_generator = require("contourpy", "demo").contour_generator
        xx, yy, points = grid
        scores = evaluate(model, points)
        if scores.ndim == 2 and scores.shape[1] > 1:  # several outputs: the winning class, lines between
            field = scores.argmax(axis=1).reshape(xx.shape).astype(float)
            classes = max(scores.shape[1], 0 if y is None else int(np.max(y, initial=0)) + 1)
            shade, levels, cmap, limits = field, np.arange(scores.shape[1] - 1) + 0.5, class_colormap(classes), \
                (-0.5, classes - 0.5)
            colours, point_limits = y, limits
        else:  # one score: its sign is the class; tanh keeps the shading's scale fixed from frame to frame
            field = scores.reshape(xx.shape)
            shade, levels, cmap, limits = np.tanh(field), [0.0], "RdBu", (-1, 1)
            colours = None if y is None else np.where(y > 0, 1.0, -1.0)
            point_limits = (-1.6, 1.6)  # lighter than the shading's extremes
        extent = (xx[0, 0], xx[0, -1], yy[0, 0], yy[-1, 0])
        self.image.set(data=shade, extent=extent, cmap=cmap, clim=limits, visible=True,
                       alpha=SHADING[getattr(cmap, "name", cmap)])
        contours = contour_generator(xx, yy, field)
        self.lines.set_segments([line for level in levels for line in contours.lines(level)])
        self.points.set_offsets(X.reshape(-1, 2))
        if colours is None:
            self.points.set(array=None, facecolor="k")
        else:
            self.points.set(array=np.asarray(colours, dtype=float), cmap=cmap, clim=point_limits)
        self.points.set_visible(True)
        self.message.set_text("")
        self.ax.set_xlim(extent[:2])
        self.ax.set_ylim(extent[2:])

    def hide(self, message):
        """Nothing to draw: show `message` in the axes instead."""
        for artist in (self.image, self.points):
            artist.set_visible(False)
        self.lines.set_segments([])
        self.extra.set_segments([])
        self.message.set_text(message)
