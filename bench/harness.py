"""Timing contenders fairly, and the report a workload hands back.

Contenders of one workload run in the same process, interleaved: every round times each of them once,
in an order that rotates from round to round, so a burst of load from another process hits all of them
alike. Each contender's time in a round is divided by the numpy floor's time in the *same* round; the
median of those pair-by-pair ratios is far steadier on a busy machine than a ratio of two medians.
"""
import gc
import statistics
import time
from dataclasses import dataclass, field

FLOOR = "numpy floor"


@dataclass
class Contender:
    """One implementation of a workload.

    prepare() builds fresh state untimed and returns the callable to time; its return value is kept
    (for correctness checks). scale turns the timed run into the reported unit (e.g. 1/iterations, or
    100/steps to extrapolate a shortened run). rounds caps how many timed rounds a slow contender joins.
    """
    name: str
    prepare: object
    scale: float = 1.0
    rounds: int = None
    note: str = ""


@dataclass
class Timing:
    name: str
    seconds: list
    ratios: list
    results: list
    note: str = ""

    @property
    def median(self):
        return statistics.median(self.seconds)


def compare(contenders, repeats, warmup=1):
    """Time every contender `repeats` times, interleaved, after `warmup` untimed rounds.

    The first contender is the baseline every ratio is taken against (the numpy floor, in all but the
    live-plot comparison). Returns one Timing per contender, in the given order.
    """
    baseline = contenders[0].name
    timings = {c.name: Timing(c.name, [], [], [], c.note) for c in contenders}
    for round_ in range(warmup + repeats):
        timed = round_ >= warmup
        shift = round_ % len(contenders)
        times = {}
        for c in contenders[shift:] + contenders[:shift]:
            rounds_done = len(timings[c.name].seconds)
            if c.rounds is not None and (not timed or rounds_done >= c.rounds):
                continue  # slow contenders skip the warm-up and stop after their rounds
            run = c.prepare()
            gc.collect()
            start = time.perf_counter()
            result = run()
            seconds = (time.perf_counter() - start) * c.scale
            if timed:
                times[c.name] = seconds
                timings[c.name].results.append(result)
        if timed:
            floor_time = times[baseline]
            for name, seconds in times.items():
                timings[name].seconds.append(seconds)
                timings[name].ratios.append(seconds / floor_time)
    return [timings[c.name] for c in contenders]


@dataclass
class Section:
    """What one workload reports: a table, notes (checks, explanations) and target verdicts.

    Cells are already formatted text, so a section crosses a process boundary as plain JSON.
    """
    title: str
    headers: list
    rows: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    targets: list = field(default_factory=list)  # [name, goal, measured, met (bool)]

    def target(self, name, goal, measured, met):
        self.targets.append([name, goal, measured, bool(met)])


def timing_rows(timings):
    """Table rows for `timings`: median (min-max) time and median (min-max) ratio to the floor."""
    return [[t.name + (f" ({t.note})" if t.note else ""), time_text(t), ratio_text(t), str(len(t.seconds))]
            for t in timings]


def timed(fn, count):
    """The seconds each of `count` calls of `fn` takes, back to back (for costs too small to interleave)."""
    times = []
    for _ in range(count):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return times


def spread(times):
    """Durations as "median (min-max)"."""
    return f"{seconds(statistics.median(times))} ({seconds(min(times))}-{seconds(max(times))})"


def time_text(t):
    return spread(t.seconds)


def ratio_text(t):
    if t.name == FLOOR:
        return "1 (the floor)"
    return f"{statistics.median(t.ratios):.2f}x ({min(t.ratios):.2f}-{max(t.ratios):.2f})"


TIMING_HEADERS = ["contender", "median time (min-max)", "ratio to floor, pair by pair (min-max)", "rounds"]


def median_ratio(timings, name):
    return statistics.median(next(t for t in timings if t.name == name).ratios)


def head_to_head(timings, ours, theirs):
    """The median, over rounds, of ours' time over theirs' in the same round.

    Steadier than a ratio of two ratios to the floor when the floor is tiny (the scalar floor runs for
    a few microseconds, so its own noise would dominate).
    """
    by_name = {t.name: t for t in timings}
    return statistics.median(a / b for a, b in zip(by_name[ours].seconds, by_name[theirs].seconds))


def ahead_of_peers(section, workload, timings, ours="tensorgrad"):
    """Add the target 'tensorgrad faster than every other library' (its own variants and the floor aside),
    each library compared with tensorgrad round by round."""
    behind = [t.name for t in timings
              if t.name != FLOOR and not t.name.startswith(ours) and head_to_head(timings, ours, t.name) >= 1]
    section.target(f"{workload}: ahead of peers", "tensorgrad faster than every other library",
                   "yes" if not behind else "no, behind " + ", ".join(behind), not behind)


def seconds(s):
    """A duration with a unit that keeps three significant figures readable."""
    for unit, factor in (("s", 1), ("ms", 1e-3), ("us", 1e-6)):
        if s >= factor:
            return f"{s / factor:.3g} {unit}"
    return f"{s / 1e-9:.3g} ns"


def megabytes(n):
    return f"{n / 2**20:.1f} MiB"
