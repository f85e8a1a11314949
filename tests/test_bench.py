"""The benchmark keeps running: a quick in-process run of one workload, and the harness's bookkeeping.

Nothing here asserts on a time: a test that fails when the machine is busy tests the machine.
"""
from bench.__main__ import main
from bench.harness import FLOOR, Contender, compare


def test_quick_per_op_run_checks_every_contender_against_the_floor(capsys):
    assert main(["--quick", "--only", "per-op", "--threads", "native"]) == 0
    out = capsys.readouterr().out
    for name in (FLOOR, "tensorgrad", "PyTorch", "MyGrad", "micrograd"):
        assert f"| {name} |" in out
    for name in ("tensorgrad", "PyTorch", "MyGrad", "micrograd"):
        assert f"- {name}: output and gradients = floor" in out
    assert "MISMATCH" not in out
    assert "| per-op | tensorgrad <= 3.0x floor |" in out  # the target rows, with their verdicts
    assert "| per-op vs micrograd | tensorgrad >= 1.5x faster than micrograd |" in out
    assert "| per-op: ahead of peers | tensorgrad faster than every other library |" in out
    assert "openblas" in out.lower() or "BLAS" in out  # the machine description names the BLAS in use


def test_quick_scalar_run_checks_micrograd_s_own_expressions_against_the_hand_written_floor(capsys):
    from bench import scalar
    assert scalar.floor(1)() == ([-20.0, 24.70408163265306], [46.0, 138.83381924198252, 645.5772594752187])
    assert main(["--quick", "--only", "scalar", "--threads", "native"]) == 0
    out = capsys.readouterr().out
    for name in ("tensorgrad", "micrograd", "PyTorch", "MyGrad"):
        assert f"- {name}: outputs and gradients = floor" in out
    assert "| scalar | tensorgrad no slower than micrograd |" in out


def test_compare_interleaves_and_caps_slow_contenders():
    calls = []

    def contender(name, **options):
        return Contender(name, lambda: lambda: calls.append(name) or len(calls), **options)

    timings = compare([contender(FLOOR), contender("fast"), contender("slow", rounds=1)], repeats=3, warmup=1)
    assert [len(t.seconds) for t in timings] == [3, 3, 1]
    assert calls.count("slow") == 1  # no warm-up for a capped contender, and only its one round
    assert calls[:2] == [FLOOR, "fast"] and calls[2:5] == ["fast", "slow", FLOOR]  # the order rotates each round
    assert all(len(t.ratios) == len(t.seconds) for t in timings)
    assert timings[0].ratios == [1.0, 1.0, 1.0]


def test_quick_grading_run_grades_a_class_of_solved_copies(capsys):
    assert main(["--quick", "--only", "grading", "--threads", "native"]) == 0
    out = capsys.readouterr().out
    assert "| python -m tensorgrad.grade --jobs 2, 4 notebooks |" in out
    assert "- grading: 8/8 exercises passed" in out and "MISMATCH" not in out


def test_the_student_s_hand_written_loop_ends_on_the_floor_s_loss():
    from bench import classroom
    X, y, params = classroom.demo_setup()
    want = classroom.floor(X, y, params, 3)()
    for make in (classroom.tensorgrad_, classroom.tensorgrad_student):
        assert abs(make(X, y, params, 3)() - want) <= 1e-12 * abs(want)


def test_head_to_head_pairs_the_rounds_a_capped_contender_ran_in():
    from bench.harness import Timing, head_to_head
    ours = Timing("tensorgrad", [1.0, 2.0, 4.0], [], [])
    theirs = Timing("micrograd", [2.0, 8.0], [], [])  # capped at two rounds: the first two
    assert head_to_head([ours, theirs], "tensorgrad", "micrograd") == 0.375  # median of 0.5 and 0.25


def test_every_import_in_every_workload_resolves():
    """Workloads import their helpers lazily (inside functions), where a moved helper only fails mid-run:
    every `import` and `from ... import` in bench/ is resolved here, with tests/ and scripts/ importable."""
    import ast
    import importlib.util
    import pathlib
    import sys
    bench = pathlib.Path(__file__).resolve().parent.parent / "bench"
    for folder in ("tests", "scripts"):
        if str(bench.parent / folder) not in sys.path:
            sys.path.insert(0, str(bench.parent / folder))
    unresolved = []
    for path in sorted(bench.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    importlib.import_module(alias.name)
            elif isinstance(node, ast.ImportFrom):
                module = importlib.import_module("." * node.level + (node.module or ""), package="bench")
                unresolved += [f"{path.name}:{node.lineno}: {alias.name} from {module.__name__}"
                               for alias in node.names if not hasattr(module, alias.name) and not (
                                   hasattr(module, "__path__")  # a package's submodule
                                   and importlib.util.find_spec(f"{module.__name__}.{alias.name}"))]
    assert unresolved == []


def test_quick_site_run_builds_the_site_and_reports_its_size(capsys):
    assert main(["--quick", "--only", "site", "--threads", "native"]) == 0
    out = capsys.readouterr().out
    assert "| whole site |" in out and "| Pyodide runtime |" in out
