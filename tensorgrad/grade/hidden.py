"""The hidden tests: for each exercise, what to ask the student's kernel, and how to judge the answers.

A hidden test has two halves. `ask(seed)` draws fresh inputs in the grader and returns the calls
for the kernel (see answers.py: a target path, and either `get` or arguments) together with a
`judge(answers)` that turns the kernel's plain answers into a Feedback, computed here with the
grader's own tensorgrad. The judging reuses the notebooks' checks unchanged (same mistakes named):
the student's function is replaced by a `Replay` that gives back, for each input, what the kernel
answered, and an op by an Op whose forward and vjps are Replays. Nothing the kernel says is a verdict.

Adding an exercise's hidden test is one entry in HIDDEN, keyed by the exercise cell's grade_id:
- `Function("name", check)`: the student's function `name` called on `check.inputs(cases, seed)`
  and judged by `check.feedback` (check: a `tensorgrad.exercises.FunctionCheck`);
- `Values(["name", ...], judge)`: the values an answer cell defines, judged by judge(*values);
- `OpTest("my_op", reference)`: an Op's forward and vjps on fresh arrays, against `reference`;
- `Micrograd("exercise")`: the student's own micrograd-style `Value` class on fresh expressions.
"""
import functools
import threading

import numpy as np

from .. import exercises, opcheck
from ..feedback import FAILED, NOT_ATTEMPTED, Feedback
from ..ops import Op

CASES = 40  # random cases per hidden test of a function exercise (a check cell runs 5)
ROUNDS = 8  # fresh draws of sizes per hidden test of an op (notebook 8 checks one fixed draw)
CENTRING_DATA = np.random.default_rng(0).normal(size=(4, 3))  # nb04's x: any data of its shape has the same grad
QUESTIONS = [((5,), (2, 5)), ((2, 1), (2, 5)), ((1, 1), (2, 5)), ((5,), (3, 2, 5)), ((3, 1, 5), (3, 2, 5))]  # nb04


class Unanswered(Exception):
    """The kernel could not answer: what the hidden test asks about is not defined (not attempted)."""

    def __init__(self, feedback):
        super().__init__(feedback.message)
        self.feedback = feedback


def call(target, *args, **kwargs):
    return {"target": list(target), "args": list(args), "kwargs": kwargs}


def get(name):
    return {"target": [name], "get": True}


def value(answer):
    """A plain answer as the value it stands for; an exception object for a call that raised."""
    if isinstance(answer, dict):
        if "raised" in answer:
            name = str(answer["raised"])[:60]
            kind = NotImplementedError if name == "NotImplementedError" else type(name, (Exception,), {})
            return kind(str(answer.get("message", "")))
        if "missing" in answer:
            raise Unanswered(Feedback(NOT_ATTEMPTED, f"not attempted: {answer['missing']}"))
        if "placeholder" in answer:
            return ...
        if "type" in answer:
            return type(str(answer["type"])[:60], (), {})()  # an object of that type's name, for the message
    return answer


def _key(args, kwargs):
    parts = [(a.shape, a.dtype.str, a.tobytes()) if isinstance(a, np.ndarray) else repr(a) for a in args]
    return repr(parts) + repr(sorted(kwargs.items()))


class Replay:
    """Stands in for a student's function: for each input it was asked about, the kernel's answer.

    `skip` leading arguments are not part of the key (a vjp's g and out).
    """

    def __init__(self, skip=0):
        self.answers, self.skip = {}, skip

    def record(self, inputs, kwargs, answer):
        self.answers[_key(inputs, kwargs)] = answer

    def __call__(self, *args, **kwargs):
        answer = self.answers[_key(args[self.skip:], kwargs)]
        if isinstance(answer, BaseException):
            raise answer
        return answer


class Function:
    """The student's function `name`, called on the check's fresh inputs, judged by the check."""

    def __init__(self, name, check):
        self.name, self.check = name, check

    def ask(self, seed, cases=CASES):
        inputs = self.check.inputs(cases, seed)

        def judge(answers):
            answers = [value(a) for a in answers]
            if any(a is ... for a in answers):
                return self.check.feedback(..., cases, seed)
            replay = Replay()
            for args, answer in zip(inputs, answers):
                replay.record(args, {}, answer)
            return self.check.feedback(replay, cases, seed)
        return [call([self.name], *args) for args in inputs], judge


class Values:
    """The values an answer cell defines (`names`), judged by judge(*values) -> Feedback."""

    def __init__(self, names, judge):
        self.names, self.judge = names, judge

    def ask(self, seed, cases=CASES):
        return [get(n) for n in self.names], lambda answers: self.judge(*(value(a) for a in answers))


class Micrograd:
    """The student's own micrograd-style `Value` class (notebook 10), on expressions the grader draws.

    The grader draws the expressions (exercises.micrograd_specs) and sends them as data; the kernel
    builds each with the student's `Value` and records it with tensorgrad/recorder.py, whose source
    travels with the request (a `tool` call: never a name the student could rebind). The judging here
    checks that each recording is of the expression drawn for it, then runs check_backward's judge on
    it against tensorgrad's own ops: a forged, short or foreign recording fails.
    """

    def __init__(self, exercise):
        self.exercise = exercise

    def ask(self, seed, cases=CASES):
        specs = exercises.micrograd_specs(self.exercise, cases, seed)
        run_backward = exercises.MICROGRAD_EXERCISES[self.exercise][1]
        calls = [get("Value"), {**call(["answers"], {"ref": 0}, specs, run_backward), "tool": True}]

        def judge(answers):
            value(answers[0])  # no class Value: not attempted
            recordings = value(answers[1])
            if isinstance(recordings, BaseException):
                return Feedback(FAILED, f"recording your engine raised {type(recordings).__name__}: {recordings}")
            return exercises.judge_micrograd(self.exercise, recordings, cases, seed)
        return calls, judge


class OpTest:
    """The student's Op `name`: its forward and each vjp on ROUNDS fresh draws of its cases, against `reference`."""

    def __init__(self, name, reference):
        self.name, self.reference = name, reference

    def ask(self, seed, cases=CASES):
        op_name = self.name.removeprefix("my_")
        calls, asked = [], []
        for round_seed in opcheck.round_seeds(ROUNDS, seed):
            for arrays, attrs in opcheck.draws(opcheck.CASES[op_name], round_seed):
                g = opcheck.upstream(self.reference(*map(_value, arrays), **attrs).shape)
                forward = len(calls)
                calls.append(call([self.name, "forward"], *arrays, **attrs))
                calls += [call([self.name, "vjps", k], g, {"ref": forward}, *arrays, **attrs) for k in range(len(arrays))]
                asked.append((arrays, attrs))

        def judge(answers):
            answers = iter(value(a) for a in answers)
            forward, vjps = Replay(), [Replay(skip=2) for _ in asked[0][0]]
            for arrays, attrs in asked:
                forward.record(arrays, attrs, next(answers))
                for k in range(len(arrays)):
                    vjps[k].record(arrays, attrs, next(answers))
            op = Op(op_name, forward, tuple(vjps), "")
            return opcheck.check_op_rounds(op, self.reference, ROUNDS, seed, finite_differences=False)
        return calls, judge


def _value(array):
    from ..engine import Value
    return Value(array)


_TRAINING = threading.Lock()  # parallel jobs train one at a time: matplotlib's drawing is not thread-safe


@functools.lru_cache(maxsize=None)
def playground_accuracy(units):
    """Notebook 7's accuracy(units), computed by the grader: one hidden layer of `units` on the circles."""
    from ..widgets.playground import PlaygroundModel
    with _TRAINING:
        model = PlaygroundModel(dataset="circles", hidden=str(min(units, 256)), steps=300)  # wider: as good
        model.train()
        return model.plot.history["accuracy"][-1]


HIDDEN = {
    "nb02-neuron-grads": Function("neuron_grads", exercises.neuron_grads),
    "nb02-bias-grad": Function("bias_grad", exercises.bias_grad),
    "nb03-relu-step": Function("relu_contribution", exercises.relu_step),
    "nb03-weight-grad": Function("weight_grad", exercises.weight_grad),
    "nb04-broadcast-axes": Values(["my_answers"], lambda a: exercises.broadcast_axes_answers.feedback(QUESTIONS, a)),
    "nb04-centring-grad": Values(["my_prediction"], lambda p: exercises.centring_grad.feedback(p, CENTRING_DATA)),
    "nb05-svm-loss": Function("svm_loss", exercises.svm_loss),
    "nb06-cross-entropy": Function("cross_entropy", exercises.cross_entropy),
    "nb06-per-digit": Function("per_digit_accuracy", exercises.per_digit_accuracy),
    "nb07-narrowest-layer": Values(["my_hidden"], lambda units: exercises.narrowest_hidden_layer.feedback(
        units, playground_accuracy)),
    "nb08-sigmoid": OpTest("my_sigmoid", lambda a: a.sigmoid()),
    "nb08-mean": OpTest("my_mean", lambda a, **kw: a.mean(**kw)),
    "nb08-mul": OpTest("my_mul", lambda a, b: a * b),
    "nb08-matmul": OpTest("my_matmul", lambda a, b: a @ b),
    "nb08-softmax": OpTest("my_softmax", lambda a, axis: a.softmax(axis=axis)),
    "nb10-add-mul": Micrograd("add_mul"),
    "nb10-tanh": Micrograd("tanh"),
    "nb10-backward": Micrograd("backward"),
    "nb11-dlogits": Function("softmax_ce_backward", exercises.dlogits),
    "nb11-linear": Function("linear_backward", exercises.linear_backward),
    "nb11-tanh": Function("tanh_backward", exercises.tanh_backward),
    "nb11-backward": Function("backward_pass", exercises.backward_pass),
}


def judged(answers, judge):
    """judge(answers) as Feedback; a missing target is 'not attempted', answers it cannot judge fail."""
    try:
        return judge(answers)
    except Unanswered as unanswered:
        return unanswered.feedback
    except Exception as error:  # answers are untrusted data: whatever breaks the judging fails the exercise
        return Feedback(FAILED, f"the hidden test could not judge the answers ({type(error).__name__}: {error})")
