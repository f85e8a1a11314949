"""`--out` reruns: a notebook already graded is skipped, unless its content changed (a resubmission at the same path)."""
import json

from test_grade import AXES, _cli, _copy

WRONG = [("nb04-broadcast-axes", "(0, 1), (0, 1), (1,)]", "(1,), (0, 1), (1,)]")]


def test_a_rerun_regrades_a_resubmission_at_the_same_path(tmp_path):
    out = tmp_path / "results.jsonl"
    path = _copy(tmp_path, AXES, to="alice.ipynb")
    first = json.loads(_cli("--json", "--seed", "5", "--out", out, path).stdout)[str(path)]
    assert {r["status"] for r in first} == {"passed"}
    _copy(tmp_path, AXES, WRONG, to="alice.ipynb")  # alice hands in again, at the same path
    second = json.loads(_cli("--json", "--seed", "5", "--out", out, path).stdout)[str(path)]
    assert [r["status"] for r in second] == ["failed", "passed"], second
    assert len(out.read_text().splitlines()) == 2
    again = json.loads(_cli("--json", "--out", out, path).stdout)[str(path)]
    assert again == second and len(out.read_text().splitlines()) == 2  # unchanged: not graded twice
