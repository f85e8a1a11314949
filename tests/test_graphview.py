"""GraphView's Python side: the DOT it sends once, the small state messages after it, clicks coming back.

A `Browser` here merges the messages exactly as static/graphview.js does, so "going back restores"
and "only what changed" are checked on what a page would end up showing. The drawing itself is
checked in a real browser by test_browser.py.
"""
import json
import os
import re
import shutil
import sys

import numpy as np
import pytest

from tensorgrad import Value, describe
from tensorgrad.viz import _fixed_lines, draw_dot, trace

pytest.importorskip("anywidget", reason="pip install -e '.[widgets]' installs anywidget")
from tensorgrad.widgets import GraphView  # noqa: E402
from tensorgrad.widgets.stepper import BackwardStepper  # noqa: E402
from torch_ref import readme_example  # noqa: E402

SLOT = re.compile(r"@([DG])(\d+)L(\d+)@Q*")


def quick_start():
    a = Value([[-4.0, -8.0], [-2.0, -4.0]], label="a")
    b = Value([[2.0, 6.0], [4.0, 8.0]], label="b")
    return a, b, readme_example(a, b)


def chain(blocks=60):
    """The benchmark's graph: 60 blocks of tanh(x * w + b) on (2, 2) tensors, about 300 Values."""
    rng = np.random.default_rng(1337)
    x = Value(rng.standard_normal((2, 2)), label="x")
    for i in range(blocks):
        x = (x * Value(rng.standard_normal((2, 2)), label=f"w{i}") + Value(rng.standard_normal(2), label=f"b{i}")).tanh()
    return x.sum()


class Browser:
    """What the front end keeps: messages merged field by field, as graphview.js's onMessage does."""

    def __init__(self, view):
        self.current, self.done, self.fields, self.messages = None, set(), {}, []
        view.send = self.receive

    def receive(self, message):
        self.messages.append(message)
        assert message["kind"] == "state"
        self.current = message.get("current", self.current)
        self.done = set(message.get("done", self.done))
        for i, f in message.get("fields", {}).items():
            self.fields[i] = {**self.fields.get(i, {}), **f}

    def snapshot(self):
        return self.current, self.done, {i: {k: v for k, v in f.items() if v is not None} for i, f in self.fields.items()}


def opened(view):
    """A browser that has just drawn the view: it asked for everything, as a new page does."""
    browser = Browser(view)
    view._on_message(view, {"kind": "ready"}, [])
    return browser


def test_quick_start_dot_has_one_slot_per_number_line_and_names_nodes_in_trace_order():
    a, b, g = quick_start()
    view = GraphView(g)
    nodes, _ = trace(g)
    assert view.nodes == nodes and view.dot.startswith("digraph")
    names = re.findall(r"^\s*(n\d+) \[", view.dot, re.M)
    assert names == [f"n{i}" for i in range(len(nodes))]  # data-node="n<i>" in the browser comes from these
    slots = {(field, int(i), int(k)) for field, i, k in SLOT.findall(view.dot)}
    for i, v in enumerate(nodes):  # every (2, 2) tensor: two data lines, two grad lines
        lines = len(_fixed_lines(v.data, 8))
        assert {(f, j, k) for f, j, k in slots if j == i} == {(f, i, k) for f in "DG" for k in range(lines)}
    assert "-4.0000" not in view.dot  # the numbers travel in the state, never in the layout
    assert view.info[0] == {"label": "a", "shape": "(2, 2)", "dtype": "float64"}
    said = describe.names(nodes)  # unlabelled nodes are named by their op, as the words name them
    assert [i["label"] for i in view.info] == [said[v] for v in nodes] and view.info[-1]["label"].startswith("the output of the ")


def test_full_state_for_a_new_page_holds_every_number():
    a, b, g = quick_start()
    g.backward()
    view = GraphView(g)
    browser = opened(view)
    (message,) = browser.messages
    assert message["current"] is None and message["done"] == list(range(len(view.nodes)))
    assert browser.fields["0"]["data"] == _fixed_lines(a.data, 8)
    assert browser.fields["0"]["grad"] == _fixed_lines(a.grad, 16)
    assert browser.fields["1"]["gtip"] == np.array2string(b.grad, precision=4, separator=" ")
    assert browser.fields["0"]["dtip"] == "[[-4. -8.]\n [-2. -4.]]"  # the tooltip's full data


def test_each_step_names_the_current_node_and_sends_only_what_changed():
    a, b, g = quick_start()
    stepper = BackwardStepper(g)
    browser = opened(stepper.graph)
    index = {v: str(i) for i, v in enumerate(stepper.graph.nodes)}
    before = set()
    for k in range(1, stepper.num_steps + 1):
        stepper.next()
        message = browser.messages[-1]
        step = stepper.current
        assert message["current"] == "n" + index[step.node]
        reached = {index[c.parent] for c in step.contributions} | ({index[g]} if k == 1 else set())
        assert set(message["fields"]) == reached  # only the gradients this step changed
        assert all(set(f) <= {"grad", "gtip"} for f in message["fields"].values())  # data never resent
        done = {int(index[v]) for v in stepper.model.computed}
        assert browser.done == done and ("done" in message) == (done != before)
        before = done
    assert browser.fields[index[a]]["grad"] == _fixed_lines(stepper.model.grad_of(a), 8)
    assert a._grad is None  # shown, never stored


def test_per_step_message_stays_small_on_a_300_node_graph():
    root = chain()
    stepper = BackwardStepper(root)
    assert len(stepper.graph.nodes) >= 300
    browser = opened(stepper.graph)
    for k in range(1, stepper.num_steps + 1):  # every step, the big fan-in ones at the end included
        stepper.next()
        assert len(json.dumps(browser.messages[-1])) < 4096, f"step {k}: {len(json.dumps(browser.messages[-1]))} bytes"


def test_going_back_restores_what_the_page_shows():
    a, b, g = quick_start()
    stepper = BackwardStepper(g)
    browser = opened(stepper.graph)
    stepper.goto(3)
    at_three = browser.snapshot()
    stepper.goto(12)
    assert browser.snapshot() != at_three
    stepper.goto(3)
    assert browser.snapshot() == at_three
    stepper.reset()
    assert browser.current is None and browser.done == set()
    assert all(f["grad"][0] == "pending" for i, f in browser.fields.items())
    stepper.goto(3)
    assert opened(stepper.graph).snapshot() == at_three  # a page opened now agrees with one that followed along


def test_a_graph_of_the_same_structure_keeps_the_layout_and_sends_only_new_numbers():
    def step(scale):  # a training step's graph: new Values, same shapes and labels
        w = Value(np.array([[1.0, 2.0], [3.0, 4.0]]) * scale, label="w")
        loss = (w * w).sum()
        loss.label = "loss"
        loss.backward()
        return w, loss
    w, loss = step(1.0)
    view = GraphView(loss)
    browser = opened(view)
    dot = view.dot
    w2, loss2 = step(2.0)
    message = view.set_root(loss2)
    assert view.dot == dot and view.nodes[0] is w2
    assert set(message["fields"]) == {"0", "1", "2"} and "done" not in message  # new numbers, same state
    assert browser.fields["0"]["data"] == _fixed_lines(w2.data, 16)
    assert view.set_root(step(2.0)[1]) == {"kind": "state"}  # the same numbers: nothing to send
    view.set_root((w2 * 3).sum())  # another structure: laid out anew; the page then asks for the state
    assert view.dot != dot and len(browser.messages) == 2


def test_a_click_selects_the_value_and_the_panel_lists_its_contributions():
    a, b, g = quick_start()
    stepper = BackwardStepper(g)
    stepper.finish()
    seen = []
    stepper.graph.observe(lambda change: seen.append(change["new"]), "selected")
    stepper.graph.selected_node = f"n{stepper.graph.nodes.index(a)}"  # what a click in the browser sets
    assert stepper.graph.selected is a and seen == [a]
    panel = stepper.panel.value
    contributions = re.findall(r"<li>step (\d+), <code>([^<]*)</code>", panel)
    assert sorted(op for _, op in contributions) == ["*", "+", "+", "-", "neg"]  # a + b, a * b, -a, b + a, b - a
    assert [int(k) for k, _ in contributions] == sorted(int(k) for k, _ in contributions)
    assert "Selected: a (2, 2)" in panel and "gradient so far" in panel
    stepper.graph.selected = b  # and from Python: the browser is told which node to outline
    assert stepper.graph.selected_node == f"n{stepper.graph.nodes.index(b)}"


def test_arrow_keys_step_the_stepper():
    _, _, g = quick_start()
    stepper = BackwardStepper(g)
    for key in ["ArrowRight", "ArrowRight", "ArrowLeft"]:
        stepper.graph._on_message(stepper.graph, {"kind": "key", "key": key}, [])
    assert stepper.step == 1


def test_big_tensors_send_heatmaps_of_data_and_grad():
    w = Value(np.linspace(-1, 1, 60).reshape(6, 10), label="w")
    loss = (w * w).sum()
    loss.backward()
    view = GraphView(loss)
    assert "@HD0L0@" in view.dot and "@HG0L0@" in view.dot
    fields = opened(view).fields["0"]
    assert fields["data"] == ["min   -1.0000 max    1.0000"] and fields["grad"] == ["min   -2.0000 max    2.0000"]
    data, grad = np.array(fields["dheat"]), np.array(fields["gheat"])
    assert data.shape == grad.shape == (6, 10)
    assert data[0, 0] == -9 and data[-1, -1] == 9
    np.testing.assert_array_equal(grad, np.rint(w.grad / np.abs(w.grad).max() * 9))  # 2 w, scaled to -9..9


def test_several_views_share_one_graphviz_module():
    one, two = GraphView(Value(1.0)), GraphView(dot="digraph { a -> b }")
    assert one._runtime is two._runtime
    assert len(one._esm) < 50_000 < 1_000_000 < len(one._runtime._esm)  # the 1.19 MB travel once


def test_bad_arguments():
    with pytest.raises(TypeError, match="not both"):
        GraphView()
    with pytest.raises(TypeError, match="Value"):
        GraphView(np.ones(3))


def draw_dot_in_a_kernel(tmp_path, path, dot_found):
    """What a kernel with `path` as its PATH displays for draw_dot(...) (the kernel checks `dot_found` first)."""
    nbclient, nbformat = pytest.importorskip("nbclient"), pytest.importorskip("nbformat")
    code = ("import shutil\nfrom tensorgrad import Value\nfrom tensorgrad.viz import draw_dot\n"
            f"assert (shutil.which('dot') is not None) is {dot_found}\ndraw_dot(Value([1.0, 2.0], label='x') * 2)")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": tmp_path}})
    client.km = client.create_kernel_manager()
    client.km.kernel_spec.argv[0] = sys.executable
    with client.setup_kernel(env={**os.environ, "PATH": path}):
        client.execute_cell(notebook.cells[0], 0)
    (output,) = notebook.cells[0].outputs
    assert output["output_type"] == "execute_result" and "Digraph" in output["data"]["text/plain"]
    return output["data"]


def test_draw_dot_without_dot_shows_the_widget_in_a_kernel(tmp_path):
    """Displaying draw_dot(...) in a kernel whose PATH has no `dot` gives the browser drawing, not an error."""
    data = draw_dot_in_a_kernel(tmp_path, os.path.dirname(sys.executable), dot_found=False)  # the venv's programs
    assert "application/vnd.jupyter.widget-view+json" in data and "image/svg+xml" not in data


def test_draw_dot_with_dot_stays_static_svg(tmp_path):
    """In a kernel (where the widget could draw) with `dot` installed, the drawing is a static SVG."""
    dot = shutil.which("dot")
    if dot is None:
        pytest.skip("Graphviz's dot is not installed: this checks the static SVG it makes (apt-get install graphviz)")
    data = draw_dot_in_a_kernel(tmp_path, os.pathsep.join([os.path.dirname(sys.executable), os.path.dirname(dot)]),
                                dot_found=True)
    assert "image/svg+xml" in data and "application/vnd.jupyter.widget-view+json" not in data


def test_importing_the_widgets_package_leaves_anywidget_unimported():
    import subprocess
    code = "import sys, tensorgrad.widgets; print('anywidget' in sys.modules, 'ipywidgets' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]


def test_a_graph_too_big_to_draw_shows_the_note_and_the_stepper_still_steps():
    y = Value(1.0)
    for _ in range(30):
        y = -y
    stepper = BackwardStepper(y, max_nodes=10)
    assert "too big to draw readably" in stepper.graph.dot and stepper.graph.nodes == []
    browser = opened(stepper.graph)
    stepper.finish()
    assert stepper.step == 30 and "Step 30 of 30" in stepper.panel.value
    assert all("fields" not in m for m in browser.messages)  # nothing to write into a note


def test_cards_stay_compact_a_vector_is_a_strip_and_tiny_tensors_keep_their_numbers():
    b, w = Value(np.linspace(-1, 1, 16), label="b"), Value(np.linspace(0, 1, 16).reshape(16, 1), label="w")
    small = Value(np.arange(8.0).reshape(2, 4), label="small")
    loss = (b * w.reshape(16) + small.sum()).sum()
    view = GraphView(loss)
    fields = opened(view).fields
    index = {v: str(i) for i, v in enumerate(view.nodes)}
    for strip in (b, w):
        i = index[strip]
        assert f"@HD{i}L0@" in view.dot and f"@HD{i}L1@" not in view.dot  # one line high
        assert np.array(fields[i]["dheat"]).shape == (1, 16)
    assert fields[index[small]]["data"] == _fixed_lines(small.data, 8) and "dheat" not in fields[index[small]]
    widths = {len(line) for line in re.findall(r"@H?[DG]\d+L\d+@Q*", view.dot)}
    assert max(widths) <= 3 + 4 * 11  # no line wider than 4 numbers


def test_the_view_describes_its_graph_and_each_node_in_words():
    from example_graphs import batched_mlp, neuron
    small, big = GraphView(neuron()), GraphView(batched_mlp())
    assert small.summary.startswith("A computation graph of 10 values and 5 operations. Output: o, a number.")
    assert "heatmap" not in small.summary and "heatmap: blue for positive numbers, red for negative" in big.summary
    message = small._state(None, small._done_ids(None), full=True)
    assert message["words"][str(len(small.nodes) - 1)].startswith("o: a number, made by tanh from n; data 0.7071")
    stepper = BackwardStepper(neuron())
    assert stepper.graph.status.startswith("Step 0 of 5")
    stepper.next()
    assert stepper.graph.status.startswith("Step 1 of 5: tanh producing o, a number; upstream gradient 1; adds 0.5 to n's")
    said = stepper.graph.show(current=stepper.current.node, done=stepper.model.computed)
    assert len(said) == 1  # nothing changed since the step: no words travel again


def test_play_speaks_when_it_stops_not_at_every_frame(monkeypatch):
    from example_graphs import neuron
    stepper = BackwardStepper(neuron())
    monkeypatch.setattr(BackwardStepper, "PLAY_SAYS_EVERY", 1e9)  # nothing more said while playing
    stepper.play.playing = True  # the front end's play button
    stepper.play.value = 1  # its first frame speaks (nothing said during this play yet)
    assert stepper.graph.status.startswith("Step 1 of 5")
    stepper.play.value = 2
    stepper.play.value = 3
    assert stepper.graph.status.startswith("Step 1 of 5")  # frames 2 and 3: silent
    stepper.play.playing = False  # stopped: where it stopped is said
    assert stepper.graph.status.startswith("Step 3 of 5")
    stepper.next()
    assert stepper.graph.status.startswith("Step 4 of 5")
