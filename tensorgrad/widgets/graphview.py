"""GraphView: a Value's graph laid out and drawn in the browser, then updated with small messages.

Graphviz compiled to WebAssembly (`@viz-js/viz`, vendored in static/, nothing fetched at run time)
lays the DOT out in the page, so no `dot` program, subprocess or thread is needed. Python sends the
DOT once (`viz.widget_dot`: every number a fixed-width slot), then only what changed: which node is
current, which are done, and the text of the data and grad fields that changed. The front end
(static/graphview.js) writes those into the SVG it drew, pans, zooms, shows tooltips and reports
clicks back as `selected`.

The 1.19 MB Graphviz module is the `_esm` of one hidden `_VizRuntime` widget per kernel, which every
GraphView references: anywidget sends a widget's `_esm` with each instance, so putting it on
GraphView would send it again for every drawing on the page.
"""
import pathlib
import threading

import anywidget
import ipywidgets
import numpy as np
import traitlets

from .. import describe
from ..engine import Value
from ..foreign import Node, graph_of
from ..viz import FULL_ELEMENTS, full_text, is_big, node_fields, widget_dot

STATIC = pathlib.Path(__file__).parent / "static"
HEATMAP_WORDS = (" In the picture a big tensor is a heatmap: blue for positive numbers, red for negative, white for"
                 " zero, stronger the bigger the number; its card gives min and max.")
VIZ_VERSION = "3.31.0"  # @viz-js/viz, vendored by scripts/vendor_viz.py


def _runtime_esm():
    """viz.js with its export line replaced by a loader that parks one Graphviz instance on globalThis."""
    module = (STATIC / "viz.js").read_text(encoding="utf-8").rstrip()
    exports = "export { engines, formats, graphvizVersion, instance };"
    assert module.endswith(exports), "static/viz.js changed shape: rerun scripts/vendor_viz.py and check it"
    return module[:-len(exports)] + (STATIC / "viz_loader.js").read_text(encoding="utf-8")


class _VizRuntime(anywidget.AnyWidget):
    """Loads Graphviz-in-WebAssembly into the page once; GraphViews wait for it (never displayed)."""
    _esm = _runtime_esm()


_shared = []


def _runtime():
    if not _shared or _shared[0].comm is None:  # none yet, or closed (Widget.close_all)
        _shared[:] = [_VizRuntime()]
    return _shared[0]


class GraphView(anywidget.AnyWidget):
    """A graph drawn in the browser: `GraphView(root)` for a Value's graph, `GraphView(dot=source)` for any DOT.

    Update it with `show(current=..., done=...)`, or give it the next graph of the same shape with
    `set_root(root)` (only changed numbers travel); read the node the user clicked from `selected`
    (a Value, observable: `view.observe(callback, "selected")`). `on_key(callback)` hears the arrow
    keys pressed while the widget (or the stepper around it) has focus. `grad_of(node)` gives the
    gradient to show for a node (a stepper's, which its Values never hold); by default `node.grad`.
    `height` 0 lets the area follow the graph's shape up to 70% of the window; else it is the most it takes (px).
    `reached()` gives {node: [(step, op, gradient), ...]}, what has flowed into each node (a stepper's), which
    each node's description names. `words` (with `dot=`): the graph's description and each node's, in order.

    For screen readers the view keeps a description of the graph (`summary`) and a list of its nodes in
    words, walkable node to node by keyboard, and a polite live region saying `status`.
    """
    _esm = "".join((STATIC / name).read_text(encoding="utf-8") for name in ("name_sliders.js", "graphview.js"))
    _css = STATIC / "graphview.css"
    dot = traitlets.Unicode("").tag(sync=True)
    info = traitlets.List().tag(sync=True)  # per node: label, shape, dtype (the tooltip's heading)
    height = traitlets.Int(0).tag(sync=True)
    summary = traitlets.Unicode("").tag(sync=True)  # the graph in one paragraph (describe.graph)
    status = traitlets.Unicode("").tag(sync=True)  # what the live region says (a stepper's step)
    selected_node = traitlets.Unicode("").tag(sync=True)  # "n<i>": set by a click in the browser
    selected = traitlets.Union([traitlets.Instance(Value), traitlets.Instance(Node)],  # the clicked node
                               allow_none=True)  # (Python side only): a Value, or a foreign.Node
    _runtime = traitlets.Instance(_VizRuntime).tag(sync=True, **ipywidgets.widget_serialization)

    def __init__(self, root=None, *, dot=None, rankdir="LR", max_elements=8, max_nodes=400, height=0, grad_of=None,
                 reached=None, words=None):
        if (root is None) == (dot is None):
            raise TypeError("GraphView takes a Value to draw, or dot=DOT source text, not both")
        self.nodes, self._index, self._names, self._key_callbacks = [], {}, {}, []
        self._reached = reached or dict
        summary, self._words = words or ("A graph drawing.", [])
        self._options = {"rankdir": rankdir, "max_elements": max_elements, "max_nodes": max_nodes}
        self._shown = _nothing_shown()
        self._grad_of = grad_of or _own_grad
        self._lock = threading.RLock()  # see show
        super().__init__(dot=dot or "", height=height, summary=summary, _runtime=_runtime())
        self.on_msg(self._on_message)
        if root is not None:
            self.set_root(root)

    def set_root(self, root, current=None, done=None):
        """Draw `root`'s graph instead: a graph of the same structure (say, the next training step's)
        keeps its layout and gets only its changed numbers; a different one is laid out anew."""
        root = graph_of(root, "GraphView")  # a Value, or another engine's micrograd-style value
        nodes, digraph = widget_dot(root, **self._options)
        with self._lock:
            self.nodes, self._index, self._names = nodes, {v: i for i, v in enumerate(nodes)}, describe.names(nodes)
        self._selected_from_browser({"new": self.selected_node})  # unlocked: its observers may take their own
        with self._lock:
            if digraph.source == self.dot:
                return self.show(current, done)
            self._shown = _nothing_shown()
            self.info = [_info(v, self._names[v]) for v in nodes]
            self.summary = describe.graph(nodes) + (HEATMAP_WORDS if any(
                is_big(v.data, self._options["max_elements"]) for v in nodes) else "")
            self.dot = digraph.source  # views lay it out again, then ask for the whole state
            self._state(current, self._done_ids(done), full=True)
        return None

    def _done_ids(self, done):
        if done is None:
            return {i for i, v in enumerate(self.nodes) if v.requires_grad}
        return {self._index[v] for v in done if v in self._index}

    def show(self, current=None, done=None):
        """Make `current` the emphasised node and `done` the Values whose gradient is shown; returns the message.

        `done=None` shows every tracked gradient (as `draw_dot` does). Only what changed since the last
        call is sent: the current node, nodes that became done or pending, and fields whose numbers changed.
        Each message is a change to the one before, so working out what changed and sending it is one
        locked step: a kernel may hear this view's messages on another thread than its owner's (the `ready`
        of a view, a key) and a diff sent out of order would leave the browser with old numbers.
        """
        with self._lock:
            message = self._state(current, self._done_ids(done), full=False)
            if len(message) > 1:
                self.send(message)
        return message

    def on_key(self, callback):
        """Call `callback(key)` ("ArrowLeft" or "ArrowRight") when such a key is pressed in the widget."""
        self._key_callbacks.append(callback)

    def _state(self, current, done_ids, full):
        shown = self._shown
        current_id = f"n{self._index[current]}" if current in self._index else None
        message = {"kind": "state"}
        if full or current_id != shown["current"]:
            message["current"] = current_id
        if full or done_ids != shown["done"]:
            message["done"] = sorted(done_ids)
        changed, said, reached = {}, {}, self._reached()
        for i, v in enumerate(self.nodes):  # numbers are formatted only where the bytes changed
            grad = self._grad_of(v) if i in done_ids and v.requires_grad else None
            flows = reached.get(v, ())
            key = (i in done_ids, v.data.tobytes(), b"" if grad is None else grad.tobytes(), len(flows))
            if shown["keys"].get(i) != key:
                shown["keys"][i] = key
                now, before = _fields(v, self._options["max_elements"], grad), shown["fields"].get(i, {})
                changed[i] = {k: now.get(k) for k in now.keys() | before.keys() if now.get(k) != before.get(k)}
                shown["fields"][i] = now
                said[i] = shown["words"][i] = describe.node(v, grad, flows, self._names)
        fields = shown["fields"] if full else changed
        if fields:
            message["fields"] = {str(i): f for i, f in fields.items()}
        words = (shown["words"] if self.nodes else dict(enumerate(self._words))) if full else said
        if words:
            message["words"] = {str(i): w for i, w in words.items()}
        shown.update(current=current_id, done=done_ids)
        return message

    def _on_message(self, _widget, content, _buffers):
        if content.get("kind") == "ready":  # a view (re)drew: it needs everything, not the last change
            with self._lock:
                self.send(self._state(None if self._shown["current"] is None else
                                      self.nodes[int(self._shown["current"][1:])], self._shown["done"], full=True))
        elif content.get("kind") == "key":
            for callback in self._key_callbacks:
                callback(content.get("key"))

    @traitlets.observe("selected_node")
    def _selected_from_browser(self, change):
        name = change["new"]
        self.selected = self.nodes[int(name[1:])] if name[1:].isdigit() and int(name[1:]) < len(self.nodes) else None

    @traitlets.observe("selected")
    def _selected_from_python(self, change):
        self.selected_node = "" if change["new"] not in self._index else f"n{self._index[change['new']]}"


def _nothing_shown():
    return {"current": None, "done": set(), "fields": {}, "keys": {}, "words": {}}  # what the browser has been sent


def _info(v, name):
    """What the tooltip names a node by: the name the words call it (most nodes have no label: `describe.names`)."""
    return {"label": name, "shape": "scalar" if not v.ndim else str(v.shape), "dtype": str(v.dtype)}


def _own_grad(v):
    return v.grad


def _fields(v, max_elements, grad):
    """One node's slot contents (and tooltip texts) as the browser shows them; `grad` None: pending."""
    fields = {**node_fields(v, max_elements, grad), "dtip": _tooltip_text(v.data)}
    if fields["grad"] is not None:
        fields["gtip"] = "pending" if grad is None else _tooltip_text(grad)
        if grad is None:  # the layout keeps the slot's width: "pending" padded to it
            fields["grad"] = ["pending"] + [""] * (len(fields["grad"]) - 1)
            fields.pop("gheat", None)
    return fields


def _tooltip_text(array):
    if array.size > FULL_ELEMENTS:
        return (f"{array.size} elements: min {array.min():.4g}, mean {array.mean():.4g}, max {array.max():.4g}, "
                f"norm {np.linalg.norm(array):.4g}")
    return full_text(array)
