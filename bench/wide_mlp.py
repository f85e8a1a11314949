"""wide MLP: one SGD step of a 784-256-256-10 ReLU net on a batch of 256, softmax cross-entropy.

Here the matrix products dominate and the numpy floor runs near the machine's BLAS peak, so the ratio
measures pure engine overhead: extra copies, extra passes over the data, and dtype promotion (float32
silently turned into float64 halves the BLAS speed, so float32 is checked end to end, gradients included).
"""
import numpy as np

from . import mlp
from .harness import (FLOOR, TIMING_HEADERS, Contender, Section, ahead_of_peers, compare, median_ratio,
                      timing_rows)

SIZES, BATCH, LR = [784, 256, 256, 10], 256, 0.1
STEPS_PER_ROUND = 3
TARGET = 1.05
ZEROING_SLACK = 1.05  # timing noise allowed between ways of zeroing that do the same work


def setup(dtype):
    """A batch, its integer labels and PyTorch-style initial weights (uniform in +-1/sqrt(nin))."""
    rng = np.random.default_rng(1337)
    X = rng.standard_normal((BATCH, SIZES[0])).astype(dtype)
    labels = rng.integers(0, SIZES[-1], BATCH)
    params = []
    for nin, nout in zip(SIZES, SIZES[1:]):
        bound = 1 / np.sqrt(nin)
        params += [rng.uniform(-bound, bound, (nin, nout)).astype(dtype), rng.uniform(-bound, bound, nout).astype(dtype)]
    return X, labels, params


def floor(X, labels, params):
    params = [p.copy() for p in params]
    rows = np.arange(len(labels))

    def run():
        for _ in range(STEPS_PER_ROUND):
            logits, cache = mlp.floor_forward(params, X)
            shifted = logits - logits.max(axis=1, keepdims=True)
            e = np.exp(shifted)
            total = e.sum(axis=1, keepdims=True)
            loss = (np.log(total[:, 0]) - shifted[rows, labels]).mean()
            dlogits = e / total
            dlogits[rows, labels] -= 1
            dlogits /= len(labels)
            mlp.floor_sgd(params, mlp.floor_backward(params, cache, dlogits), LR)
        return loss, params
    return run


# How the tensorgrad variants zero the gradients: the optimiser's zero_grad(), or micrograd's assignment
ZEROING = {"zero_grad()": lambda optimizer: optimizer.zero_grad(),
           "p.grad = 0": lambda optimizer: [setattr(p, "grad", 0) for p in optimizer.params],
           "p.grad = None": lambda optimizer: [setattr(p, "grad", None) for p in optimizer.params]}
LEAN = "tensorgrad, keep_intermediate=False"


def tensorgrad_(X, labels, params, zeroing="zero_grad()", keep_intermediate=True):
    """Through the nn, losses and optim modules, as a student writes it; X goes in as a raw array (data)."""
    from tensorgrad import losses, nn, optim
    model = nn.Sequential(*[m for nin, nout in zip(SIZES, SIZES[1:]) for m in (nn.Linear(nin, nout), nn.ReLU())][:-1])
    for p, init in zip(model.parameters(), params):
        p.data = init.copy()
    optimizer = optim.SGD(model.parameters(), lr=LR)
    zero_grad = ZEROING[zeroing]

    def run():
        for _ in range(STEPS_PER_ROUND):
            logits = model(X)
            loss = losses.cross_entropy(logits, labels)
            zero_grad(optimizer)
            loss.backward(keep_intermediate=keep_intermediate)
            optimizer.step()
        return loss.data, [p.data for p in model.parameters()], _dtypes(logits, loss, model.parameters())
    return run


def _dtypes(logits, loss, params):
    """Every dtype the float32 check looks at: the output, the loss, each parameter and its gradient."""
    return {"logits": logits.dtype, "loss": loss.dtype, "parameters": {p.data.dtype for p in params},
            "gradients": {p.grad.dtype for p in params}}


def torch_(X, labels, params):
    import torch
    ps, Xt, yt = mlp.torch_params(params), torch.from_numpy(X), torch.from_numpy(labels)

    def run():
        for _ in range(STEPS_PER_ROUND):
            loss = torch.nn.functional.cross_entropy(mlp.forward(ps, Xt, torch.relu), yt)
            loss.backward()
            mlp.torch_sgd(ps, LR)
        return loss.detach().numpy(), [p.detach().numpy() for p in ps]
    return run


def mygrad_(X, labels, params):
    import mygrad as mg
    ps, Xm = mlp.mygrad_params(params), mg.tensor(X, constant=True)

    def run():
        for _ in range(STEPS_PER_ROUND):
            loss = mg.nnet.softmax_crossentropy(mlp.forward(ps, Xm, mg.nnet.relu), labels)
            loss.backward()
            mlp.mygrad_sgd(ps, LR)
        return loss.data, [p.data for p in ps]
    return run


def run_dtype(dtype, quick):
    X, labels, params = setup(dtype)
    makers = [(FLOOR, floor), ("tensorgrad", tensorgrad_), ("PyTorch", torch_), ("MyGrad", mygrad_),
              (LEAN, lambda *data: tensorgrad_(*data, keep_intermediate=False))]
    makers += [(f"tensorgrad, {zeroing}", lambda *data, zeroing=zeroing: tensorgrad_(*data, zeroing))
               for zeroing in list(ZEROING)[1:]]
    contenders = [Contender(name, lambda make=make: make(X, labels, params), scale=1 / STEPS_PER_ROUND)
                  for name, make in makers]
    timings = compare(contenders, repeats=2 if quick else 7)
    name = np.dtype(dtype).name
    section = Section(f"wide MLP, {name}: batch {BATCH}, {'-'.join(map(str, SIZES))}, one forward + backward + "
                      f"SGD step (time per step, {STEPS_PER_ROUND} steps a round)", TIMING_HEADERS,
                      timing_rows(timings))
    want_loss, want_params = timings[0].results[0][:2]
    rtol = 1e-4 if dtype == np.float32 else 1e-9
    for t in timings[1:]:
        loss, got_params = t.results[0][:2]
        agrees = np.allclose(loss, want_loss, rtol=rtol) and all(
            np.allclose(g, w, rtol=rtol, atol=rtol * 1e-2) for g, w in zip(got_params, want_params))
        kept = {str(np.asarray(loss).dtype)} | {str(p.dtype) for p in got_params}
        section.notes.append(f"{t.name}: loss and weights after {STEPS_PER_ROUND} steps "
                             f"{'= floor' if agrees else '!= floor: MISMATCH'} (rtol {rtol:g}); dtypes {sorted(kept)}")
    dtypes = timings[1].results[0][2]
    seen = {dtypes["logits"], dtypes["loss"], *dtypes["parameters"], *dtypes["gradients"]}
    end_to_end = seen == {np.dtype(dtype)}
    section.notes.append(f"tensorgrad dtypes: logits {dtypes['logits']}, loss {dtypes['loss']}, parameters "
                         f"{sorted(map(str, dtypes['parameters']))}, gradients {sorted(map(str, dtypes['gradients']))}"
                         f": {name} end to end {'yes' if end_to_end else 'NO (promoted)'}")
    ratio = median_ratio(timings, "tensorgrad")
    section.target(f"wide MLP {name}", f"tensorgrad <= {TARGET:.2f}x floor", f"{ratio:.2f}x", ratio <= TARGET)
    ahead_of_peers(section, f"wide MLP {name}", timings)
    lean = median_ratio(timings, LEAN)
    section.target(f"wide MLP {name}, lean", f"keep_intermediate=False (as in fit) <= {TARGET:.2f}x floor",
                   f"{lean:.2f}x", lean <= TARGET)
    torch_ratio = median_ratio(timings, "PyTorch")
    section.target(f"wide MLP {name} vs PyTorch", "tensorgrad faster than PyTorch",
                   f"{ratio:.2f}x vs {torch_ratio:.2f}x", ratio < torch_ratio)
    zeroings = {z: median_ratio(timings, f"tensorgrad, {z}") / ratio for z in list(ZEROING)[1:]}
    section.target(f"wide MLP {name} zeroing", f"p.grad = 0 and = None within {ZEROING_SLACK - 1:.0%} of zero_grad()",
                   ", ".join(f"{z}: {r:.2f}x" for z, r in zeroings.items()), max(zeroings.values()) <= ZEROING_SLACK)
    if dtype == np.float32:
        section.target("wide MLP float32 kept", "float32 end to end, gradients included",
                       "yes" if end_to_end else f"no: {sorted(map(str, seen))}", end_to_end)
    return section


def run(quick=False):
    return [run_dtype(np.float64, quick), run_dtype(np.float32, quick)]
