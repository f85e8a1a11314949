"""The decision boundary's class colours stay apart for colour-blind eyes, and each class has a shape of its own.

Colour vision is simulated with Machado, Oliveira and Fernandes's matrices (2009, severity 1, on linear RGB)
and colours compared by their CIELAB distance (CIE76 delta E; about 2 is just noticeable): a test of
the palette as it is drawn (the regions' shading over white, the points at full strength).
"""
import itertools

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from tensorgrad import datasets  # noqa: E402
from tensorgrad.widgets.drawing import CLASS_COLOURS, SHADING, class_colormap  # noqa: E402
from tensorgrad.widgets.training import MARKERS, TrainingPlot  # noqa: E402

MACHADO = {"protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                          [-0.003882, -0.048116, 1.051998]],
           "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                            [-0.011820, 0.042940, 0.968881]],
           "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                          [0.004733, 0.691367, 0.303900]]}
SRGB_TO_XYZ = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
WHITE = np.array([0.95047, 1.0, 1.08883])


def linear(rgb):
    rgb = np.asarray(rgb, dtype=float)
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def lab(linear_rgb):
    t = SRGB_TO_XYZ @ linear_rgb / WHITE
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def closest_pair(hexes, seen_by, alpha=1.0):
    """The smallest CIELAB distance between two of the colours (blended over white at `alpha`) as `seen_by` sees them."""
    from matplotlib.colors import to_rgb
    seen = [lab(np.clip(np.asarray(seen_by) @ linear(alpha * np.array(to_rgb(h)) + 1 - alpha), 0, 1)) for h in hexes]
    return min(np.linalg.norm(a - b) for a, b in itertools.combinations(seen, 2))


@pytest.mark.parametrize("vision", sorted(MACHADO))
def test_class_colours_stay_apart_for_colour_blind_eyes_where_matplotlibs_tab10_does_not(vision):
    hexes = [h for _, h in CLASS_COLOURS]
    seen_by = MACHADO[vision]
    assert closest_pair(hexes, seen_by) > 15  # the points
    assert closest_pair(hexes, seen_by, SHADING["tensorgrad-classes"]) > 10  # the regions, as shaded
    assert closest_pair(hexes, np.eye(3), SHADING["tensorgrad-classes"]) > 10  # and for everyone else
    from matplotlib import colormaps
    from matplotlib.colors import to_hex
    if vision != "tritanopia":  # the palette used before: its green and red (or orange) merge
        assert closest_pair([to_hex(c) for c in colormaps["tab10"].colors[:len(hexes)]], seen_by) < 10


def test_a_three_class_boundary_is_drawn_in_those_colours_with_a_shape_per_class():
    X, y = datasets.spirals(60, n_classes=3, seed=0, labels="int")
    plot = TrainingPlot(lambda v: np.column_stack([v.data[:, 0], v.data[:, 1], -v.data.sum(axis=1)]), X, y,
                        min_interval=0, resolution=21)
    plot.update(1, 1.0, 0.5)
    plot.draw()
    image, points = plot.boundary.image, plot.boundary.points
    from matplotlib.colors import to_hex
    drawn = [to_hex(image.get_cmap()(image.norm(k))) for k in range(3)]
    assert drawn == [h.lower() for _, h in CLASS_COLOURS[:3]] and image.get_alpha() == 0.7
    point_colours = [to_hex(c) for c in points.to_rgba(y.astype(float))]
    assert point_colours == [drawn[int(k)] for k in y]
    shapes = {k: {len(points.get_paths()[i].vertices) for i in np.flatnonzero(y == k)} for k in range(3)}
    assert all(len(s) == 1 for s in shapes.values()) and len(set().union(*shapes.values())) == 3, shapes
    assert "blue shading and circles: class 0; orange shading and triangles: class 1; bluish green shading and " \
           "squares: class 2. The black line" in plot.legend
    assert len(set(MARKERS)) == len(MARKERS) and class_colormap(9)(8) == class_colormap(9)(1)  # past 7: shapes differ
