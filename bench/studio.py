"""studio: what the training studio costs on the classroom workload — a frame with the live graph, and Pause.

The classroom run (moons, MLP 2-16-16-1 from micrograd's weights, svm + 1e-4 L2, SGD with its schedule)
is trained by a `TrainingStudio` off a kernel (widgets without a front end: the cost is the kernel's).
Per frame: the boundary and curves (the PNG), the optimiser table, and the live graph (the batch's
graph renumbered in its GraphView and the state message with the numbers that changed). Whole runs of
1,000 steps compare `fit` alone with the studio's run (graph shown, default frame pacing). Pause is
timed from the press to the end of the run, with training in its thread as in a kernel.
"""
import json
import statistics
import time

from .harness import Section, seconds, spread, timed
from .widgets import available

FRAME_TARGET, RUN_STEPS, PAUSE_TARGET = 0.015, 1000, 0.5


def _studio(steps, graph=True, background=False):
    from tensorgrad import optim
    from tensorgrad.widgets import TrainingStudio

    from .classroom import ALPHA, demo_setup, tensorgrad_model
    X, y, params = demo_setup()
    model = tensorgrad_model(params)
    optimizer = optim.SGD(model.parameters(), lr=lambda k: 1.0 - 0.9 * k / steps)
    return TrainingStudio(model, X, y, optimizer=optimizer, steps=steps, l2=ALPHA, graph=graph,
                          background=background)


def run(quick=False):
    section = Section("studio: training studio on the classroom workload (per frame, whole runs, Pause)",
                      ["what", "median (min-max)", "times"])
    for module in ("ipywidgets", "anywidget", "matplotlib"):
        found, why = available(module)
        if found is None:
            section.notes.append(f"studio: not available ({why})")
            return section
    count = 5 if quick else 30
    studio = _studio(RUN_STEPS)
    model, plot = studio.model, studio.model.plot
    model.target = 10**6  # as inside a long run: frames only when due
    for _ in range(20):
        model.step()
    plot.draw()  # the first frame with a step makes the live graph
    section.rows.append(["one training step (forward, backward, update, record)", spread(timed(model.step, count)),
                         str(count)])
    section.rows.append(["frame: boundary, curves and PNG (TrainingPlot.draw, no listeners)",
                         spread(frame := timed(_draw_without_listeners(plot), count)), str(count)])
    sent = []
    studio.live_graph.send = lambda message: sent.append(len(json.dumps(message)))
    whole = timed(lambda: (model.step(), plot.draw()), count)  # the frame as a run draws it: listeners too
    section.rows.append(["step + frame with the live graph, table and PNG sent to the widgets", spread(whole),
                         str(count)])
    section.rows.append(["live graph: bytes of state sent per frame", f"{statistics.median(sent):.0f} B "
                         f"({min(sent)}-{max(sent)})", str(len(sent))])
    section.target("frame (boundary, curves, PNG)", f"<= {seconds(FRAME_TARGET)}",
                   seconds(statistics.median(frame)), statistics.median(frame) <= FRAME_TARGET)
    section.notes.append(f"graph of {len(studio.live_graph.nodes)} values; PNG {len(plot.png) / 1000:.0f} kB; "
                         f"frames at most every {plot.min_interval} s, about 25 per run")
    if not quick:
        _whole_runs(section)
        _pause(section)
    return section


def _draw_without_listeners(plot):
    def draw():
        listeners, plot.listeners = plot.listeners, []
        try:
            plot.draw()
        finally:
            plot.listeners = listeners
    return draw


def _whole_runs(section):
    from tensorgrad.train import fit

    from .classroom import ALPHA
    fit_times, studio_times = [], []
    for _ in range(3):  # interleaved, so a burst of load hits both
        studio = _studio(RUN_STEPS)
        net, X, y, opt = studio.model.net, studio.model.X, studio.model.y, studio.model.optimizer
        began = time.perf_counter()
        fit(net, X, y, loss="svm", optimizer=opt, steps=RUN_STEPS, l2=ALPHA)
        fit_times.append(time.perf_counter() - began)
        studio = _studio(RUN_STEPS)
        began = time.perf_counter()
        studio.train()
        studio_times.append(time.perf_counter() - began)
    overhead = statistics.median(studio_times) / statistics.median(fit_times) - 1
    section.rows.append([f"{RUN_STEPS} steps: fit alone", spread(fit_times), "3"])
    section.rows.append([f"{RUN_STEPS} steps: studio run, graph shown ({overhead:+.0%})", spread(studio_times), "3"])


def _pause(section):
    latencies = []
    for _ in range(5):
        studio = _studio(10**6, background=True)
        studio.train()
        while studio.model.step_count < 50:
            time.sleep(0.005)
        began = time.perf_counter()
        studio.pause()
        studio.job.wait(30)
        latencies.append(time.perf_counter() - began)
    median = statistics.median(latencies)
    section.rows.append(["Pause pressed -> run ended and stepper opened (training thread)", spread(latencies), "5"])
    section.target("Pause responds", f"< {seconds(PAUSE_TARGET)}", seconds(median), median < PAUSE_TARGET)
