"""`python -m bench`: run the workloads, print the tables, and (for a full run) rewrite bench/README.md.

A full run measures every workload with the BLAS threads the machine gives, then runs itself again in
a subprocess with one BLAS thread (OPENBLAS_NUM_THREADS=1, OMP_NUM_THREADS=1) for the workloads whose
contenders call BLAS, and prints both. On a 2-core machine a second busy process can slow a two-thread
run threefold, so the single-thread ratios are the stable ones.
"""
import argparse
import dataclasses
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import classroom, deep_graph, grading, machine, per_op, scalar, site, studio, wide_mlp, widgets
from .harness import Section

WORKLOADS = {"classroom": classroom, "per-op": per_op, "scalar": scalar, "wide-mlp": wide_mlp,
             "deep-graph": deep_graph, "widgets": widgets, "studio": studio, "grading": grading, "site": site}
# BLAS threads matter only where contenders call BLAS; the others are not run a second time
SINGLE_THREAD_WORKLOADS = ("classroom", "per-op", "wide-mlp")
README = Path(__file__).with_name("README.md")
NOTES = Path(__file__).with_name("notes.md")  # why it is fast, and the reasons behind missed targets


def parse(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="few repeats and small sizes: a smoke run, not numbers")
    parser.add_argument("--only", action="append", choices=list(WORKLOADS), metavar="WORKLOAD",
                        help=f"run only this workload (repeatable): {', '.join(WORKLOADS)}")
    parser.add_argument("--threads", choices=("both", "native", "1"), default="both",
                        help="native: the BLAS threads as configured; 1: one BLAS thread (in a subprocess); "
                             "both (default)")
    parser.add_argument("--json", metavar="PATH", help=argparse.SUPPRESS)  # how a subprocess hands back results
    return parser.parse_args(argv)


def run_workloads(names, quick, echo):
    sections = []
    for name in names:
        print(f"[bench] {name} ...", file=sys.stderr, flush=True)
        began = time.perf_counter()
        result = WORKLOADS[name].run(quick)
        print(f"[bench] {name}: {time.perf_counter() - began:.0f} s", file=sys.stderr, flush=True)
        for section in result if isinstance(result, list) else [result]:
            sections.append(section)
            if echo:
                print(markdown(section), flush=True)
    return sections


def single_thread_run(names, quick):
    """The same workloads in a fresh interpreter whose BLAS and OpenMP pools have one thread."""
    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "results.json")
        command = [sys.executable, "-m", "bench", "--threads", "native", "--json", out]
        command += ["--quick"] * quick + [arg for name in names for arg in ("--only", name)]
        root = Path(__file__).resolve().parent.parent
        subprocess.run(command, env={**os.environ, **machine.SINGLE_THREAD_ENV}, cwd=root, check=True,
                       stdout=subprocess.DEVNULL)
        with open(out) as file:
            data = json.load(file)
    return data["machine"], [Section(**s) for s in data["sections"]]


def markdown(section):
    lines = [f"### {section.title}", "", "| " + " | ".join(section.headers) + " |",
             "|" + "---|" * len(section.headers)]
    lines += ["| " + " | ".join(row) + " |" for row in section.rows]
    if section.notes:
        lines += [""] + [f"- {note}" for note in section.notes]
    return "\n".join(lines) + "\n"


def targets_table(runs):
    """One row per target: goal, then measured and verdict for each run (native, one thread)."""
    by_name = {}
    for label, sections in runs:
        for section in sections:
            for name, goal, measured, met in section.targets:
                by_name.setdefault(name, [goal, {}])[1][label] = f"{measured}: {'met' if met else '**MISSED**'}"
    labels = [label for label, _ in runs]
    lines = ["| target | goal | " + " | ".join(labels) + " |", "|" + "---|" * (2 + len(labels))]
    for name, (goal, cells) in by_name.items():
        lines.append(f"| {name} | {goal} | " + " | ".join(cells.get(label, "not run") for label in labels) + " |")
    return "\n".join(lines) + "\n"


def report(runs, quick):
    """The whole report in Markdown: machine, targets, then each run's tables."""
    parts = [targets_table([(label, sections) for label, _, sections in runs])]
    for label, lines, sections in runs:
        parts.append(f"## {label}\n\n" + "\n".join(f"- {line}" for line in lines) + "\n")
        parts += [markdown(s) for s in sections]
    if quick:
        parts.insert(0, "**--quick: few repeats and small sizes; these numbers are a smoke test, not results.**\n")
    return "\n".join(parts)


def readme(body):
    descriptions = "\n".join(f"- **{name}**: {module.__doc__.split(':', 1)[1].split(chr(10))[0].strip()}"
                             for name, module in WORKLOADS.items())
    return f"""# tensorgrad benchmarks

Generated by `python -m bench` (or `make bench`) on {datetime.date.today().isoformat()}; do not edit by hand.
Every workload runs each contender in one process, interleaved, after a warm-up, and reports the median
time (min-max) and each contender's ratio to the **numpy floor** — hand-written numpy doing the same
forward and backward with no graph — taken round by round (the median of per-round ratios). Every
contender is checked to compute the floor's numbers before its time counts.

{descriptions}

Run `python -m bench --quick` for a smoke run, `--only WORKLOAD` for one workload, `--threads native`
to skip the single-thread pass. If `OPENBLAS_CORETYPE` / `OPENBLAS_L2_SIZE` are set (some machines set
them for old OpenBLAS builds), they slow a current numpy; to benchmark without them, unset both for that
command only: `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m bench` (the kernel used is shown
below). Absolute times on a shared 2-core machine are noisy; the one-thread ratios are the stable ones.

{body}
{NOTES.read_text()}"""


def main(argv=None):
    args = parse(argv)
    names = args.only or list(WORKLOADS)
    runs = []
    if args.threads != "1":
        lines = machine.describe()
        if not args.json:
            print("\n".join(lines) + "\n")
        sections = run_workloads(names, args.quick, echo=not args.json)
        if args.json:
            with open(args.json, "w") as file:
                json.dump({"machine": lines, "sections": [dataclasses.asdict(s) for s in sections]}, file)
            return 0
        runs.append(("BLAS threads as configured", lines, sections))
    single = [name for name in names if name in SINGLE_THREAD_WORKLOADS]
    if args.threads != "native" and single:
        print("[bench] again with one BLAS thread (subprocess) ...", file=sys.stderr, flush=True)
        lines, sections = single_thread_run(single, args.quick)
        runs.append(("one BLAS thread", lines, sections))
    text = report(runs, args.quick)
    print("\n" + text)
    if not args.quick and not args.only and args.threads == "both":
        README.write_text(readme(text))
        print(f"[bench] wrote {README}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
