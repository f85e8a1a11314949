"""The README's Python examples run as shown, in order, and say what the README says they say."""
import pathlib
import re

README = (pathlib.Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_readme_examples_run(capsys):
    blocks = re.findall(r"```python\n(.*?)```", README, re.S)
    assert len(blocks) >= 5
    namespace = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)
    assert namespace["history"].accuracy[-1] == 1.0  # "print(history.accuracy[-1])  # 1.0"
    assert "relu" in namespace["dot"].source and "shape=record" in namespace["dot"].source  # the neuron drawn
    assert namespace["t"].grad.tolist() == [3.0, 12.0]  # the hand-written cube op
    assert f"{namespace['g'].data[0, 0]:.4f}" == "24.7041"  # micrograd's scalar example gives this number
    out = capsys.readouterr().out
    assert "[[2.47040816e+01" in out
    assert "6 337\n" in out and namespace["model"].num_parameters() == 337  # micrograd's demo net, counted
    assert "cannot be broadcast together" in out and "losses.l2_penalty(params)" in out  # the error names its fix
    by_hand = sum(float((p.data ** 2).sum()) for p in namespace["model"].parameters())
    assert abs(float(namespace["penalty"]) - by_hand) <= 1e-12 * by_hand  # the same sum, added in another order
