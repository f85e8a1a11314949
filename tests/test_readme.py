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
    assert "[[2.47040816e+01" in capsys.readouterr().out
