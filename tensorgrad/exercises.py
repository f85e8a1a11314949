"""The checks behind the notebooks' exercises: a ✓ and why, or the mistake named, never the answer.

Each check prints one line (see `tensorgrad.feedback`). Where the exercise asks for a function, the
check calls it on `cases` fresh random inputs of random shapes, so a hard-coded result cannot pass;
the grader (`python -m tensorgrad.grade`) judges with the same checks, in its own process, the
answers the student's function gives to many more cases drawn from an unseen seed. An exercise left as `...` or raising NotImplementedError is reported as not attempted, never
as an error, so the rest of the notebook still runs. The expected values come from tensorgrad's own
backward pass (checked against PyTorch by the test suite). Needs numpy only.
"""
import functools
import itertools

import numpy as np

from . import losses, ops, recorder
from .check_backward import judge
from .check_grads import check_grads
from .engine import Value
from .feedback import NOT_ATTEMPTED, Mistake, NotAttempted, as_answer_array, call_student, check, diagnose, is_placeholder

ACCURACY_GOAL = 0.9  # notebook 7: the narrowest hidden layer that classifies the circles this well


def _prints(check_fn):
    """The notebook-facing check prints its Feedback; `.feedback(...)` returns it (for the grader and tests)."""
    @functools.wraps(check_fn)
    def show(*args, **kwargs):
        print(check_fn(*args, **kwargs))
    show.feedback = check_fn
    return show


class FunctionCheck:
    """The check of an exercise that asks for a function: it draws `cases` inputs from a seed and judges each answer.

    `make_case(rng)` draws one case's inputs; `judge(answer, *inputs)` raises Mistake at a wrong answer.
    Calling the check prints its Feedback (the notebook's cell); `.feedback(fn, cases, seed)` returns it.
    The grader draws the same inputs with `.inputs(cases, seed)`, has the kernel call the student's
    function on them, and judges the answers here with `.feedback` (see tensorgrad.grade.hidden).
    """

    def __init__(self, make_case, judge, success, doc=None):
        self.make_case, self.judge, self.success, self.__doc__ = make_case, judge, success, doc

    def inputs(self, cases, seed):
        rng = np.random.default_rng(seed)
        return [self.make_case(rng) for _ in range(cases)]

    def feedback(self, fn, cases=5, seed=0):
        def run():
            if is_placeholder(fn):
                raise NotAttempted
            for inputs in self.inputs(cases, seed):
                self.judge(call_student(fn, *inputs), *inputs)
        return check(run, self.success.format(cases=cases))

    def __call__(self, fn, cases=5, seed=0):
        print(self.feedback(fn, cases, seed))


def _function_check(build):
    """`build()` returns (make_case, judge, success message with a {cases} field): a FunctionCheck."""
    return FunctionCheck(*build(), doc=build.__doc__)


def _grad(fn, *arrays, seed=None):
    """Gradients of sum(seed * fn(*Values)) with respect to each array, by tensorgrad's backward."""
    values = [Value(a) for a in arrays]
    out = fn(*values)
    out.backward(seed)
    return [v.grad for v in values]


# ---- notebook 2: tracing the graph ----------------------------------------------------------------

@_function_check
def neuron_grads():
    """fn(w, x) -> (dy/dw, dy/db, dy/dx) for an active neuron y = relu(x @ w + b)."""
    def make_case(rng):
        n = int(rng.integers(2, 6))
        return rng.normal(size=n), rng.normal(size=n)

    def judge(answer, w, x):
        if not isinstance(answer, (tuple, list)) or len(answer) != 3:
            raise Mistake("return three things: dy/dw, dy/db, dy/dx")
        b = abs(x @ w) + 1.0  # keeps the neuron active: the exercise is about its linear part
        dw, db, dx = _grad(lambda w_, b_, x_: (x_ @ w_ + b_).relu(), w, b, x)
        swapped = "the derivative with respect to one factor of a product is the *other* factor"
        diagnose(answer[0], dw, "dy/dw", mistakes=[(w, swapped)])
        diagnose(answer[1], db, "dy/db")
        diagnose(answer[2], dx, "dy/dx", mistakes=[(x, swapped)])

    return (make_case, judge,
            "dy/dw = x, dy/db = 1, dy/dx = w: in a sum of products each factor's derivative is the other "
            "factor (checked on {cases} random neurons)")


@_function_check
def bias_grad():
    """fn(X, W, c) -> c.grad for L = relu(X @ W + c).sum()."""
    def make_case(rng):
        n, nin, units = (int(k) for k in rng.integers(2, 6, size=3))
        return rng.normal(size=(n, nin)), rng.normal(size=(nin, units)), rng.normal(size=units)

    def judge(answer, X, W, c):
        (expected,) = _grad(lambda c_: (Value(X @ W) + c_).relu().sum(), c)
        active = (X @ W + c > 0).astype(float)
        diagnose(answer, expected, "c.grad", unreduced=active, mistakes=[
            (np.full(c.shape, float(len(X))), "every row counted: only rows where the unit is active pass a gradient"),
        ])

    return (make_case, judge,
            "c was broadcast over the rows, so its gradient sums the relu gates over the rows "
            "(checked on {cases} random layers)")


# ---- notebook 3: stepping through backward ---------------------------------------------------------

@_function_check
def relu_step():
    """fn(upstream, relu_input) -> what the relu step adds to its input's gradient."""
    def make_case(rng):
        shape = tuple(int(k) for k in rng.integers(1, 5, size=2))
        return rng.normal(size=shape), rng.normal(size=shape)

    def judge(answer, upstream, x):
        (expected,) = _grad(lambda x_: x_.relu(), x, seed=upstream)
        diagnose(answer, expected, "the relu's contribution", mistakes=[
            (upstream, "the gate is missing: relu passes g only where its input is > 0, else 0"),
            (upstream * (upstream > 0), "gated on the upstream gradient: the gate is the relu's *input* > 0"),
            ((x > 0).astype(float), "the chain rule multiplies the local derivative by the upstream gradient g"),
        ])

    return (make_case, judge,
            "relu passes g where its input is positive and 0 elsewhere (checked on {cases} random inputs)")


@_function_check
def weight_grad():
    """fn(X, g) -> the gradient of w in X @ w, given the upstream gradient g."""
    def make_case(rng):
        n, nin, nout = (int(k) for k in rng.integers(2, 7, size=3))
        return rng.normal(size=(n, nin)), rng.normal(size=(n, nout))

    def judge(answer, X, g):
        (expected,) = _grad(lambda w_: Value(X, requires_grad=False) @ w_, np.zeros((X.shape[1], g.shape[1])), seed=g)
        diagnose(answer, expected, "w.grad", unreduced=X[:, :, None] * g[:, None, :])

    return (make_case, judge,
            "grad_b of a @ b is a.T @ g: each weight collects input times upstream over the batch "
            "(checked on {cases} random batches)")


# ---- notebook 4: broadcasting gradients ------------------------------------------------------------

@_prints
def broadcast_axes_answers(questions, answers):
    """answers[i]: the axes backward sums over when an operand of shape questions[i][0] became questions[i][1]."""
    def run():
        if is_placeholder(answers):
            raise NotAttempted
        if len(answers) != len(questions):
            raise Mistake(f"give one tuple of axes per question: {len(questions)} questions, {len(answers)} answers")
        for (shape, result), given in zip(questions, answers):
            given = tuple(sorted(np.atleast_1d(np.asarray(given, dtype=int)).tolist()))
            right = ops.broadcast_axes(shape, result)
            if given != right:
                raise Mistake(f"{shape} -> {result}: {_axes_hint(shape, result, given, right)}")
    return check(run, "new axes on the left and stretched size-1 axes are summed; the rest pass as they are")


def _axes_hint(shape, result, given, right):
    lead = len(result) - len(shape)
    if any(a < 0 or a >= len(result) for a in given):
        return f"count axes of the result {result} from the left, starting at 0"
    if set(right) - set(given):
        missing = min(set(right) - set(given))
        return ("an axis that broadcasting added on the left is missing" if missing < lead
                else "a size-1 axis of the operand that was stretched is missing")
    return "an axis where the operand already had the full size is not summed"


@_prints
def centring_grad(prediction, data):
    """prediction: x.grad for L = (x - x.mean(axis=1, keepdims=True)).sum(), x holding `data`."""
    def run():
        (expected,) = _grad(lambda x: (x - x.mean(axis=1, keepdims=True)).sum(), data)
        n = data.shape[1]
        diagnose(prediction, expected, "x.grad", mistakes=[
            (np.ones_like(data), "that is only the direct path x -> x - mean; the mean depends on x too"),
            (np.full_like(data, -1.0), "that is only the path through the mean; x also reaches L directly"),
            (np.full_like(data, 1 - 1 / n), "the mean's path reaches L once per element of the row, n times"),
        ])
    return check(run, "L is the same number whatever x is, so nudging any element changes nothing: the gradient is 0")


# ---- notebooks 5 and 6: losses with numpy -----------------------------------------------------------

def _scalar(answer, what):
    array = as_answer_array(answer, what)
    if array.shape != ():
        raise Mistake(f"{what}: expected a single number (shape ()), got shape {array.shape}: average the "
                      "per-point losses")
    return array


@_function_check
def svm_loss():
    """fn(scores, y) -> micrograd's max-margin loss, the mean of max(0, 1 - y * score)."""
    def make_case(rng):
        n = int(rng.integers(4, 12))
        return 2 * rng.normal(size=n), rng.choice([-1.0, 1.0], size=n)

    def judge(answer, scores, y):
        answer = _scalar(answer, "the loss")
        expected = losses.svm(Value(scores), y).data
        diagnose(answer, expected, "the loss", mistakes=[
            (np.mean(1 - y * scores), "max(0, ·) is missing: a point past the margin adds 0, never a negative amount"),
            (np.mean(np.maximum(0, 1 + y * scores)), "sign flipped inside: the loss is 0 once y * score >= 1"),
        ])

    return (make_case, judge,
            "each point costs max(0, 1 - y * score), averaged over the batch (checked on {cases} random batches)")


@_function_check
def cross_entropy():
    """fn(logits, labels) -> softmax cross-entropy, the mean over rows of -log softmax(row)[label]."""
    def make_case(rng):
        n, classes = int(rng.integers(2, 7)), int(rng.integers(3, 6))
        return rng.normal(size=(n, classes)), rng.integers(0, classes, size=n)

    def judge(answer, logits, labels):
        rows = np.arange(len(labels))
        per_row = -Value(logits).log_softmax(axis=1).data[rows, labels]
        columns = np.exp(logits) / np.exp(logits).sum(axis=0, keepdims=True)
        if np.shape(as_answer_array(answer, "the loss")) == per_row.shape:
            diagnose(answer, per_row, "the loss")
            raise Mistake("the loss: one number per image: average them into one")
        answer = _scalar(answer, "the loss")
        expected = losses.cross_entropy(Value(logits), labels).data
        diagnose(answer, expected, "the loss", mistakes=[
            (-np.log(columns[rows, labels]).mean(), "softmax over the wrong axis: each row (one image) sums to 1"),
        ])

    return (make_case, judge,
            "softmax each row, -log of the true class's probability, mean over the batch "
            "(checked on {cases} random batches)")


@_function_check
def per_digit_accuracy():
    """fn(predicted, labels) -> shape (10,): for each digit d, the fraction of images of d predicted as d."""
    def make_case(rng):
        labels = np.concatenate([np.arange(10), rng.integers(0, 10, size=int(rng.integers(40, 120)))])
        wrong = rng.random(labels.size) < rng.uniform(0.1, 0.5)
        return np.where(wrong, rng.integers(0, 10, size=labels.size), labels), labels

    def judge(answer, predicted, labels):
        digits = np.arange(10)[:, None]
        hits = ((predicted == labels) & (labels == digits)).sum(axis=1)
        diagnose(answer, hits / (labels == digits).sum(axis=1), "per-digit accuracy", mistakes=[
            (hits, "counts, not fractions: divide by how many test images show each digit"),
            (np.full(10, np.mean(predicted == labels)), "the overall accuracy ten times: select each digit's images"),
            (hits / np.maximum((predicted == digits).sum(axis=1), 1),
             "that divides by the images *predicted* as d; divide by the images whose label is d"),
        ])

    return (make_case, judge,
            "per digit: right answers among that digit's images (checked on {cases} random test sets)")


# ---- notebook 7: the playground ---------------------------------------------------------------------

@_prints
def narrowest_hidden_layer(hidden, accuracy):
    """hidden: the fewest units of one hidden layer reaching ACCURACY_GOAL; accuracy(units) trains and tells."""
    def run():
        if is_placeholder(hidden):
            raise NotAttempted
        try:
            units = int(hidden)
        except (TypeError, ValueError):
            raise Mistake(f"give a number of units, like 5; got {hidden!r}") from None
        if units < 1:
            raise Mistake("a hidden layer has at least one unit")
        reached = accuracy(units)
        if reached < ACCURACY_GOAL:
            raise Mistake(f"with {units} units the network reaches {reached:.0%}, under {ACCURACY_GOAL:.0%}: "
                          "it needs more half-planes")
        if units > 1 and accuracy(units - 1) >= ACCURACY_GOAL:
            raise Mistake(f"{units - 1} units also reach {ACCURACY_GOAL:.0%}: try fewer")
    return check(run, "the fewest half-planes that enclose the inner circle: one unit fewer falls short")


# ---- notebook 10: write micrograd yourself --------------------------------------------------------

def micrograd_specs(exercise, cases, seed):
    """The `cases` expressions an exercise is checked on, drawn from `seed`: plain data recorder.build reads."""
    tanh = MICROGRAD_EXERCISES[exercise][0]
    rng = np.random.default_rng(seed)
    specs = []
    for _ in range(cases):
        a, b, c = (float(rng.uniform(0.3, 1.5) * rng.choice([-1, 1])) for _ in range(3))
        d_first = bool(rng.random() < 0.5)
        k = float(rng.uniform(0.5, 2.0) * rng.choice([-1, 1]))
        specs.append({"a": a, "b": b, "c": c, "k": k, "d_first": d_first, "tanh": tanh})
    return specs


# exercise -> (tanh in the expressions, the student's backward() run first, the success message)
MICROGRAD_EXERCISES = {
    "add_mul": (False, False, "+ passes out.grad on to both children, * passes each child the other's data times "
                              "out.grad, added to what the child already holds"),
    "tanh": (True, False, "tanh's value and its local derivative 1 - t**2 are right"),
    "backward": (True, True, "backward() seeds the output with 1 and runs every closure once, each after all the "
                             "nodes that use its output"),
}


def micrograd_answers(Value, exercise, cases=5, seed=0):
    """What the student's engine does on the exercise's `cases` expressions, as plain data (recorder.answers).

    The grader runs the same recorder in the student's kernel; `judge_micrograd` judges either without
    running student code.
    """
    return recorder.answers(Value, micrograd_specs(exercise, cases, seed), MICROGRAD_EXERCISES[exercise][1])


class _Drawn:
    """A node of an expression as drawn: its value and children, built by recorder.build like a student's Value."""

    def __init__(self, data, children=()):
        self.data, self._prev = float(data), children

    def _other(self, other):
        return other if isinstance(other, _Drawn) else _Drawn(other)

    def __add__(self, other):
        return _Drawn(self.data + self._other(other).data, (self, self._other(other)))

    def __mul__(self, other):
        return _Drawn(self.data * self._other(other).data, (self, self._other(other)))

    def tanh(self):
        return _Drawn(np.tanh(self.data), (self,))


def _drawn_graph(spec):
    """The expression `spec` as [(data, set of child indices)], children first, the output last."""
    nodes, children = recorder.walk(recorder.build(_Drawn, spec))
    return [(n.data, set(c)) for n, c in zip(nodes, children)]


def _correspondence(recording, drawn):
    """{drawn node: recorded node} if the recording has the drawn graph's shape and leaves, else None.

    Matched from the output down, children as sets (micrograd keeps `_prev` in a set, so b * b has one
    child, and + and * may list theirs either way round); each drawn node matched to one recorded node.
    """
    got = [(float(n["data"]), set(n["children"])) for n in recording["nodes"]]
    if len(got) != len(drawn):
        return None
    pairs = {}

    def match(w, g):
        if w in pairs or g in pairs.values():
            return pairs.get(w) == g
        (want, want_children), (data, got_children) = drawn[w], got[g]
        if len(want_children) != len(got_children) or not want_children and not _near(want, data):
            return False
        pairs[w] = g
        for order in itertools.permutations(sorted(got_children)):
            kept = dict(pairs)
            if all(match(a, b) for a, b in zip(sorted(want_children), order)):
                return True
            pairs.clear()
            pairs.update(kept)
        del pairs[w]
        return False

    return pairs if match(len(drawn) - 1, len(got) - 1) else None


def _near(a, b):
    return bool(np.isclose(a, b, rtol=1e-6, atol=1e-9))


def judge_micrograd(exercise, answers, cases=5, seed=0):
    """Feedback on `micrograd_answers(Value, exercise, cases, seed)`'s plain data, run on no student code.

    Each recording must be of the expression drawn for it (the same graph, leaves and forward values):
    a missing, short or foreign recording fails, so no list a student makes up passes, only one their
    engine computes. Then check_backward's judging, expression by expression, names the first slip.
    """
    _, run_backward, success = MICROGRAD_EXERCISES[exercise]
    specs = micrograd_specs(exercise, cases, seed)

    def run():
        if not isinstance(answers, list) or not all(isinstance(a, dict) for a in answers):
            raise Mistake("the recording of your engine did not come back as data")
        for k, spec in enumerate(specs):
            if k == len(answers):
                raise Mistake(f"only {len(answers)} recordings came back for the {cases} expressions drawn: "
                              "the recording was cut short or replaced")
            answer = answers[k]
            if "not attempted" in answer:
                raise NotAttempted
            if "mistake" in answer:
                raise Mistake(str(answer["mistake"]))
            drawn = _drawn_graph(spec)
            pairs = _correspondence(answer, drawn)
            if pairs is None:
                raise Mistake(f"expression {k + 1}: the recorded graph is not the expression that was drawn (other "
                              "nodes, links or leaf values): every node must be made by your Value's operations")
            if run_backward and not answer["nodes"][-1]["grad"]:
                raise Mistake("after backward() the output's own grad is still 0: the pass starts from dL/dL")
            verdict = judge(answer)
            if verdict["mistake"] == "not attempted":
                raise NotAttempted
            if not verdict["ok"]:
                raise Mistake(verdict["message"])
            if not all(_near(drawn[w][0], answer["nodes"][g]["data"]) for w, g in pairs.items()):
                raise Mistake(f"expression {k + 1}: its forward values are not those of the expression drawn: "
                              "an operation computes another function than + , * or tanh")
        if len(answers) > cases:
            raise Mistake(f"{len(answers)} recordings came back for the {cases} expressions drawn")

    return check(run, f"{success} (checked on {cases} random expressions)")


@_prints
def micrograd_add_mul(Value, cases=5, seed=0):
    """Value's `+` and `*`: each _backward adds out.grad times the local derivative to each child."""
    return judge_micrograd("add_mul", micrograd_answers(Value, "add_mul", cases, seed), cases, seed)


@_prints
def micrograd_tanh(Value, cases=5, seed=0):
    """Value.tanh: its forward value and its closure, on expressions that also use `+` and `*`."""
    return judge_micrograd("tanh", micrograd_answers(Value, "tanh", cases, seed), cases, seed)


@_prints
def micrograd_backward(Value, cases=5, seed=0):
    """Value.backward: after it, every node holds what one pass in reverse topological order gives."""
    return judge_micrograd("backward", micrograd_answers(Value, "backward", cases, seed), cases, seed)


# ---- notebook 11: backprop by hand on tensors -------------------------------------------------------

class MLPBatch:
    """A fresh random batch through notebook 11's network, in tensorgrad, every tensor labelled.

    pre = X @ W1 + b1, h = tanh(pre), logits = h @ W2 + b2, loss = cross_entropy(logits, labels). The
    sizes are drawn too (all different, so a shape tells which axis is which) and `grads` holds
    backward's answers, handed to the student's function as the upstream gradients it starts from.
    """

    def __init__(self, rng):
        n, d, hidden, classes = (int(k) for k in rng.permutation(np.arange(3, 9))[:4])
        self.X = rng.normal(size=(n, d))
        self.labels = rng.integers(0, classes, size=n)
        self.params = [rng.normal(size=(d, hidden)), rng.normal(size=hidden),
                       rng.normal(size=(hidden, classes)), rng.normal(size=classes)]
        self.loss, self.values = mlp_forward(self.X, self.labels, *self.params)
        self.loss.backward()
        self.grads = {name: v.grad.copy() for name, v in self.values.items() if v.requires_grad}
        for v in self.values.values():
            v.grad = None


def mlp_forward(X, labels, W1, b1, W2, b2):
    """Notebook 11's network on arrays: (loss, {name: Value}) with every tensor named as in the notebook."""
    values = {"X": Value(X, requires_grad=False)}
    values.update((name, Value(array)) for name, array in zip(("W1", "b1", "W2", "b2"), (W1, b1, W2, b2)))
    values["pre"] = values["X"] @ values["W1"] + values["b1"]
    values["h"] = values["pre"].tanh()
    values["logits"] = values["h"] @ values["W2"] + values["b2"]
    loss = losses.cross_entropy(values["logits"], labels)
    values["loss"] = loss
    for name, v in values.items():
        v.label = name
    return loss, values


class BackpropCheck(FunctionCheck):
    """A notebook-11 exercise: the student's function gets arrays of a fresh MLPBatch and returns gradients,
    which `check_grads` judges at the graph's own tensors, in backward order.

    `args(batch)` gives the function's arguments, `named(answer)` its answer as {tensor name: array}
    (raising Mistake when it has the wrong form), and `slips(batch)` {tensor name: [(array, message)]}
    the answers known to come from one slip.
    """

    def __init__(self, args, named, slips, success, doc=None):
        super().__init__(None, None, success, doc)
        self.args, self.named, self.slips = args, named, slips

    def batches(self, cases, seed):
        rng = np.random.default_rng(seed)
        return [MLPBatch(rng) for _ in range(cases)]

    def inputs(self, cases, seed):
        return [self.args(batch) for batch in self.batches(cases, seed)]

    def feedback(self, fn, cases=5, seed=0):
        def run():
            if is_placeholder(fn):
                raise NotAttempted
            for batch in self.batches(cases, seed):
                answers = self.named(call_student(fn, *self.args(batch)))
                slips = self.slips(batch)
                report = check_grads(batch.loss, {batch.values[k]: a for k, a in answers.items()},
                                     mistakes={batch.values[k]: m for k, m in slips.items()})
                if report.status == NOT_ATTEMPTED:
                    raise NotAttempted
                if not report.ok:
                    raise Mistake(report.message)
        return check(run, self.success.format(cases=cases))


def _backprop_check(build):
    """`build()` returns (args, named, slips, success message with a {cases} field): a BackpropCheck."""
    return BackpropCheck(*build(), doc=build.__doc__)


def _returns(names):
    """`named` for a function that returns one array per name (a tuple when there are several)."""
    def named(answer):
        if len(names) == 1:
            return {names[0]: answer}
        if not isinstance(answer, (tuple, list)) or len(answer) != len(names):
            raise Mistake(f"return {len(names)} arrays, in this order: " + ", ".join(f"d{n}" for n in names))
        return dict(zip(names, answer))
    return named


def _softmax(logits):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@_backprop_check
def dlogits():
    """fn(logits, labels) -> dloss/dlogits for the mean softmax cross-entropy."""
    def slips(batch):
        p, n = _softmax(batch.values["logits"].data), len(batch.labels)
        return {"logits": [(p / n, "that is the softmax alone: the true class's -log also pulls, subtract 1 at "
                                   "each row's label"),
                           (_softmax(batch.values["logits"].data.T).T / n + batch.grads["logits"] - p / n,
                            "softmax over the wrong axis: each row (one sample) sums to 1")]}

    return (lambda b: (b.values["logits"].data.copy(), b.labels.copy()), _returns(["logits"]), slips,
            "dlogits = (softmax - onehot) / N: every row pulls its true class up, the others down, the batch "
            "mean shares it out (checked by check_grads on {cases} random batches)")


@_backprop_check
def linear_backward():
    """fn(x, W, dout) -> (dW, db, dx) for out = x @ W + b, given dout (checked at the network's second layer)."""
    def named(answer):
        dW, db, dx = _returns(["W", "b", "x"])(answer).values()
        return {"W2": dW, "b2": db, "h": dx}

    return (lambda b: (b.values["h"].data.copy(), b.values["W2"].data.copy(), b.grads["logits"].copy()), named,
            lambda b: {},
            "dW = x.T @ dout and db = dout summed over the batch (each sample adds its share), dx = dout @ W.T "
            "(checked by check_grads at the second layer of {cases} random batches)")


@_backprop_check
def tanh_backward():
    """fn(h, dh) -> dpre for h = tanh(pre), given dh."""
    def slips(batch):
        h, dh = batch.values["h"].data, batch.grads["h"]
        return {"pre": [((1 - h) * dh, "1 - h is not tanh's slope: h enters its derivative squared"),
                        (1 - h**2, "the chain rule multiplies the local derivative by the upstream gradient dh"),
                        (dh, "the local derivative is missing: tanh scales dh by 1 - h**2"),
                        ((1 - np.arctanh(np.clip(h, -1 + 1e-12, 1 - 1e-12))**2) * dh,
                         "1 - pre**2 uses tanh's input: the derivative is 1 - tanh(pre)**2, its output squared")]}

    return (lambda b: (b.values["h"].data.copy(), b.grads["h"].copy()), _returns(["pre"]), slips,
            "dpre = (1 - h**2) * dh: tanh's slope, written with its output, times the upstream gradient "
            "(checked by check_grads on {cases} random batches)")


BACKWARD_PASS_TENSORS = ("logits", "W2", "b2", "h", "pre", "W1", "b1")


def _whole_pass(answer):
    if not isinstance(answer, dict):
        raise Mistake(f"return a dict of gradients keyed by tensor name: {', '.join(BACKWARD_PASS_TENSORS)}")
    if missing := [k for k in BACKWARD_PASS_TENSORS if k not in answer]:
        raise Mistake(f"the gradient of {', '.join(map(repr, missing))} is missing from the dict")
    return {k: answer[k] for k in BACKWARD_PASS_TENSORS}


@_backprop_check
def backward_pass():
    """fn(X, labels, W1, b1, W2, b2) -> {tensor name: gradient} for the whole network, from the loss down."""
    return (lambda b: (b.X.copy(), b.labels.copy(), *(p.copy() for p in b.params)), _whole_pass, lambda b: {},
            "every gradient of the network, from dlogits down to dW1 and db1, agrees with backward() "
            "(checked by check_grads on {cases} random batches)")
