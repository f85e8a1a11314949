"""deep graph: a chain of 200,000 tanh nodes on a (2, 2) tensor, then one backward through all of it.

This is where a recursive topological sort hits Python's recursion limit (micrograd's does), where
per-node memory adds up, and where a graph of reference cycles outlives the last reference to it.
Backward is timed at 100k and 200k nodes (linear time doubles), the build's peak memory is traced,
and tensorgrad's graph is checked to be released by reference counting alone once dropped.
"""
import gc
import statistics
import time
import tracemalloc
import weakref

import numpy as np

from .harness import (FLOOR, Contender, Section, Timing, ahead_of_peers, compare, median_ratio, megabytes,
                      ratio_text, time_text)

NODES, QUICK_NODES = 200_000, 20_000
LINEAR_LIMIT = 2.5  # backward time of 2n nodes over n nodes: 2 is linear; noise allowed up to this


def start():
    return np.random.default_rng(1337).uniform(-2, 2, (2, 2))


def floor_build(x, n):
    """No graph: the outputs backward needs (tanh' = 1 - out**2), kept in a list."""
    outs, y = [], x
    for _ in range(n):
        y = np.tanh(y)
        outs.append(y)
    return outs


def floor_backward(outs):
    g = np.ones_like(outs[-1])
    for out in reversed(outs):
        g = g * (1 - out * out)
    return g


def tensorgrad_build(x, n):
    from tensorgrad import Value
    leaf = y = Value(x)
    for _ in range(n):
        y = y.tanh()
    return leaf, y.sum()


def torch_build(x, n):
    import torch
    leaf = y = torch.tensor(x, requires_grad=True)
    for _ in range(n):
        y = y.tanh()
    return leaf, y.sum()


def mygrad_build(x, n):
    import mygrad as mg
    leaf = y = mg.tensor(x)
    for _ in range(n):
        y = mg.tanh(y)
    return leaf, y.sum()


def _graph_backward(graph):
    leaf, root = graph
    root.backward()
    return np.asarray(leaf.grad)


BUILDS = {FLOOR: (floor_build, floor_backward), "tensorgrad": (tensorgrad_build, _graph_backward),
          "PyTorch": (torch_build, _graph_backward), "MyGrad": (mygrad_build, _graph_backward)}
ROUNDS = {"MyGrad": 1}  # ~60 us a node to build: one round is all the time budget allows
MEMORY_NODES = {"MyGrad": 10}  # traced on a chain this many times shorter (tracing slows it further)


def _contender(name, x, n, quick, label=None):
    """Times build + backward; the result holds each phase's seconds, split apart afterwards."""
    build, backward = BUILDS[name]

    def run():
        began = time.perf_counter()
        graph = build(x, n)
        built = time.perf_counter()
        grad = backward(graph)
        return built - began, time.perf_counter() - built, grad
    return Contender(label or name, lambda: run, rounds=None if quick else ROUNDS.get(name))


def phase(timings, index, what):
    """The Timings of one phase (0 build, 1 backward), ratios again taken round by round against the floor."""
    floor = [r[index] for r in timings[0].results]
    split = []
    for t in timings:
        times = [r[index] for r in t.results]
        rounds = len(times)  # a contender with fewer rounds ran in the first ones
        split.append(Timing(t.name, times, [a / b for a, b in zip(times, floor[:rounds])], t.results, what))
    return split


def peak_build_memory(name, x, n):
    """Peak bytes traced while building the chain (numpy's arrays included; PyTorch's are not traced)."""
    n //= MEMORY_NODES.get(name, 1)
    tracemalloc.start()
    try:
        graph = BUILDS[name][0](x, n)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    del graph
    return peak, n


def freed_when_dropped(x, n):
    """Build and backward a tensorgrad chain, then drop it with the cycle collector off.

    Returns how many of a sample of its nodes' arrays (data and grad, weakly referenced) are still
    alive then, out of how many, and how many objects the cycle collector finds afterwards.
    """
    gc.collect()
    gc.disable()
    try:
        _, root = tensorgrad_build(x, n)
        root.backward()
        probes, node = [], root
        for i in range(n):
            if i % 1000 == 0:
                # a 0-d node holds numpy scalars, which cannot be weakly referenced (nor leak a buffer)
                probes += [weakref.ref(a) for a in (node.data, node._grad) if isinstance(a, np.ndarray)]
            node = node._prev[0]
        del root, node
        alive = sum(p() is not None for p in probes)
    finally:
        gc.enable()
    return alive, len(probes), gc.collect()


def micrograd_depth_check(n):
    """micrograd sorts the graph recursively: say what a chain of n relu nodes does to its backward."""
    from micrograd.engine import Value
    y = Value(1.0)
    for _ in range(n):
        y = y.relu()
    try:
        y.backward()
    except RecursionError:
        return "micrograd: backward raises RecursionError (its topological sort recurses once per node)"
    return "micrograd: backward finished"


def run(quick=False):
    n = QUICK_NODES if quick else NODES
    x, repeats = start(), 1 if quick else 3
    for build, backward in BUILDS.values():  # first calls (imports, lazy set-up) stay out of the timed rounds
        backward(build(x, 100))
    half = f"tensorgrad, {n // 2:,} nodes"  # in the same rounds, for the linear-time check round by round
    contenders = [_contender(name, x, n, quick) for name in BUILDS]
    timings = compare(contenders + [_contender("tensorgrad", x, n // 2, quick, half)], repeats, warmup=0)
    backward, build = phase(timings, 1, "backward"), phase(timings, 0, "build")
    tg_growth = statistics.median(a[1] / b[1] for a, b in zip(timings[1].results, timings[-1].results))
    headers = ["contender", f"backward, {n:,} nodes", "ratio to floor", f"build {n:,} nodes", "build ratio to floor",
               "peak memory of the build (per node)", "rounds"]
    section = Section(f"deep graph: a chain of {n:,} tanh nodes on (2, 2), then backward", headers)
    for b, f in zip(backward, build):
        if b.name == half:
            memory = ""
        elif b.name == "PyTorch":
            memory = "not traced (C++ allocator)"
        else:
            peak, nodes = peak_build_memory(b.name, x, n)
            memory = f"{megabytes(peak)} ({peak / nodes:.0f} B)" + (f" at {nodes:,} nodes" if nodes != n else "")
        section.rows.append([b.name, time_text(b), ratio_text(b), time_text(f), ratio_text(f), memory,
                             str(len(b.seconds))])
    want = timings[0].results[0][2]
    for t in timings[1:-1]:
        agrees = np.allclose(t.results[0][2], want, rtol=1e-9, atol=1e-300)
        section.notes.append(f"{t.name}: leaf gradient {'= floor' if agrees else '!= floor: MISMATCH'}")
    section.notes.append(micrograd_depth_check(n))
    alive, probed, collected = freed_when_dropped(x, n)
    section.notes.append(f"tensorgrad, after backward, root dropped with the cycle collector off: {alive} of "
                         f"{probed} sampled node arrays (data, grad) still alive; gc.collect() then found "
                         f"{collected} unreachable objects")
    section.notes.append(f"tensorgrad: backward of {n:,} nodes took x{tg_growth:.2f} the time of {n // 2:,} (median of per-round ratios); "
                         f"backward {median_ratio(backward, 'tensorgrad'):.2f}x floor, "
                         f"build {median_ratio(build, 'tensorgrad'):.2f}x floor")
    for what, split in (("build", build), ("backward", backward)):
        ours, theirs = median_ratio(split, "tensorgrad"), median_ratio(split, "PyTorch")
        section.target(f"deep graph {what}", "tensorgrad no slower than PyTorch",
                       f"{ours:.2f}x vs {theirs:.2f}x floor", ours <= theirs)
        ahead_of_peers(section, f"deep graph {what}", split)
    section.target("deep graph linear", f"backward x2 time for x2 nodes (<= x{LINEAR_LIMIT})",
                   f"x{tg_growth:.2f}", tg_growth <= LINEAR_LIMIT)
    section.target("deep graph freed", "graph freed when dropped, by refcount alone",
                   f"{alive} of {probed} probes alive, {collected} cycles", alive == 0 and collected == 0)
    return section
