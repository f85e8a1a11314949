"""The only grader code that runs in a student's kernel: call what a request names, write back plain data.

A request is a JSON list of calls. A call names its target by a path from the notebook's namespace,
`["my_sigmoid", "vjps", 0]` (a name, then attributes and indices), and either `"get": true` (the
value itself: an answer cell's variable) or `"args"` and `"kwargs"` (call it). Arguments are plain
data (see `encode`), or `{"ref": i}`, the result of call i of the same request (notebook 8 hands an
op's own forward output to its vjps). A call with `"tool": true` names code the grader sent along
(notebook 10's recorder) instead of the student's namespace. The answers, one per call, are plain data too: numbers and
arrays as .npy bytes (written and read without pickle), tuples, lists, dicts with string keys (a
recording of a student's own micrograd graph, notebook 10), strings, and tags for what is
not data: `{"raised": type, "message": ...}`, `{"missing": why}`, `{"placeholder": true}` (the name
still holds `...` or None) and `{"type": name}` for any other object.

The grader sends this file's source with every request, so the kernel needs none of the grader's
code; whatever a student patches here changes only that student's answers, and the grader judges
answers, never a verdict the kernel reports. Needs numpy and the standard library only.
"""
import base64
import io
import json

import numpy as np

MAX_ITEMS = 1_000_000  # elements in one answer array; a bigger one is reported as a type, not sent
MAX_DEPTH = 8  # nesting of tuples and lists


def encode(x, depth=0):
    """Plain JSON-able data for x; anything that is not numbers, strings or sequences becomes its type's name."""
    if x is None or isinstance(x, (bool, int, float)):
        return x
    if isinstance(x, str):
        return x[:10_000]
    if x is Ellipsis:
        return {"ellipsis": True}
    if isinstance(x, (tuple, list)) and depth < MAX_DEPTH and len(x) <= 10_000:
        return {type(x).__name__ if type(x) in (tuple, list) else "list": [encode(e, depth + 1) for e in x]}
    if type(x) is dict and depth < MAX_DEPTH and len(x) <= 10_000 and all(type(k) is str for k in x):
        return {"dict": {k[:100]: encode(v, depth + 1) for k, v in x.items()}}
    if hasattr(x, "backward") and hasattr(x, "data"):  # a Value: its numbers
        return encode(x.data, depth + 1)
    try:
        array = np.asarray(x)
        if array.dtype.kind in "biuf" and array.size <= MAX_ITEMS:
            buffer = io.BytesIO()
            np.save(buffer, array, allow_pickle=False)
            return {"npy": base64.b64encode(buffer.getvalue()).decode("ascii")}
    except Exception:  # an object numpy cannot read is reported by its type below
        pass
    return {"type": type(x).__name__}


def decode(x, refs=(), depth=0):
    """The value `encode` made plain (arrays read with allow_pickle=False); tags stay dicts."""
    if not isinstance(x, dict):
        return x
    if depth > MAX_DEPTH:
        raise ValueError("answer nested too deeply")
    if "npy" in x:
        return np.load(io.BytesIO(base64.b64decode(x["npy"])), allow_pickle=False)
    if "ellipsis" in x:
        return ...
    if "tuple" in x:
        return tuple(decode(e, refs, depth + 1) for e in x["tuple"])
    if "list" in x:
        return [decode(e, refs, depth + 1) for e in x["list"]]
    if "dict" in x and isinstance(x["dict"], dict):
        return {str(k): decode(v, refs, depth + 1) for k, v in x["dict"].items()}
    if "ref" in x:
        return refs[x["ref"]]
    return x


class _Failed:
    """A call that gave no value (its target is missing, or it raised): its tag goes back instead."""

    def __init__(self, tag):
        self.tag = tag


def _resolve(path, namespace):
    target = namespace[path[0]] if path[0] in namespace else _missing(path[0])
    for step in path[1:]:
        target = target[step] if isinstance(step, int) else getattr(target, step)
    return target


def _missing(name):
    raise NameError(f"name {name!r} is not defined")


def _call(call, namespace, tools, results):
    try:
        target = _resolve(call["target"], tools if call.get("tool") else namespace)
    except Exception as error:  # a name never defined, an attribute the object lacks
        return _Failed({"missing": f"{type(error).__name__}: {error}"[:300]})
    if call.get("get"):
        return target
    if target is None or target is Ellipsis:
        return _Failed({"placeholder": True})
    args = [decode(a, results) for a in call.get("args", [])]
    if any(isinstance(a, _Failed) for a in args):
        return _Failed({"raised": "RuntimeError", "message": "an earlier call it depends on failed"})
    kwargs = {k: decode(v, results) for k, v in call.get("kwargs", {}).items()}
    try:
        return target(*args, **kwargs)
    except (Exception, SystemExit) as error:  # the student's crash is an answer the grader judges
        try:
            message = str(error)[:300]
        except Exception:
            message = "(no message)"
        return _Failed({"raised": type(error).__name__, "message": message})


def answer(request, path, namespace, tools=None):
    """Run the calls of `request` (JSON text) in `namespace` and write their plain answers to `path`.

    A call marked `"tool": true` names its target in `tools`, the namespace of code the grader sent
    with the request (tensorgrad/recorder.py), not in the student's.
    """
    results = []
    for call in json.loads(request):
        results.append(_call(call, namespace, tools or {}, results))
    answers = [r.tag if isinstance(r, _Failed) else encode(r) for r in results]
    with open(path, "w") as file:
        json.dump(answers, file)
