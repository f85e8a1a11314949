"""SGD and Adam step by step against torch.optim, float64, with the same parameters and gradients."""
import numpy as np
import pytest
import torch

from tensorgrad import Value
from tensorgrad.optim import SGD, Adam

SHAPES = [(3, 4), (4,), ()]


def run_both(make_ours, make_theirs, steps=6, schedule=None):
    """Feed identical random gradients to both optimisers for `steps` steps; compare parameters each time."""
    rng = np.random.default_rng(0)
    start = [rng.standard_normal(s) for s in SHAPES]
    ours = [Value(a.copy()) for a in start]
    theirs = [torch.tensor(a, requires_grad=True) for a in start]
    opt, topt = make_ours(ours), make_theirs(theirs)
    tsched = torch.optim.lr_scheduler.LambdaLR(topt, schedule) if schedule else None
    for _ in range(steps):
        grads = [rng.standard_normal(s) for s in SHAPES]
        opt.zero_grad()
        topt.zero_grad()
        for p, t, g in zip(ours, theirs, grads):
            p.grad = g
            t.grad = torch.from_numpy(g.copy())
        opt.step()
        topt.step()
        if tsched:
            tsched.step()
        for p, t in zip(ours, theirs):
            np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=1e-12, atol=1e-14)
    assert not np.allclose(ours[0].data, start[0])  # the parameters really moved


@pytest.mark.parametrize("momentum, weight_decay", [(0, 0), (0.9, 0), (0, 0.1), (0.5, 0.01)])
def test_sgd_matches_torch(momentum, weight_decay):
    run_both(lambda ps: SGD(ps, lr=0.1, momentum=momentum, weight_decay=weight_decay),
             lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=momentum, weight_decay=weight_decay))


@pytest.mark.parametrize("lr, betas, eps, weight_decay",
                         [(1e-3, (0.9, 0.999), 1e-8, 0), (0.05, (0.8, 0.99), 1e-6, 0.1), (0.01, (0.0, 0.5), 1e-3, 0)])
def test_adam_matches_torch(lr, betas, eps, weight_decay):
    run_both(lambda ps: Adam(ps, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay),
             lambda ps: torch.optim.Adam(ps, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))


def test_a_schedule_is_a_function_of_the_step_index_like_torchs_lambdalr():
    schedule = lambda k: 1.0 - 0.9 * k / 100  # micrograd's demo  # noqa: E731
    run_both(lambda ps: SGD(ps, lr=schedule), lambda ps: torch.optim.SGD(ps, lr=1.0), schedule=schedule)
    run_both(lambda ps: Adam(ps, lr=lambda k: 0.01 / (1 + k)), lambda ps: torch.optim.Adam(ps, lr=1.0),
             schedule=lambda k: 0.01 / (1 + k))


def test_current_lr_follows_the_schedule():
    p = Value(np.zeros(2))
    opt = SGD([p], lr=lambda k: 1.0 - 0.9 * k / 100)
    assert opt.current_lr() == 1.0
    for _ in range(50):
        p.grad = 1.0
        opt.step()
    assert opt.current_lr() == pytest.approx(0.55)
    np.testing.assert_allclose(p.data, -sum(1.0 - 0.9 * k / 100 for k in range(50)))


def test_a_parameter_without_gradient_is_left_alone_as_in_torch():
    used, unused = Value(np.ones(2)), Value(np.ones(2))
    opt = Adam([used, unused], lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        (used * 3).sum().backward()
        opt.step()
    np.testing.assert_array_equal(unused.data, [1, 1])
    assert opt.t == [3, 0]


def test_zero_grad_and_in_place_updates():
    p = Value(np.array([1.0, 2.0]))
    data = p.data
    opt = SGD([p], lr=0.5)
    (p * p).sum().backward()
    opt.step()
    assert p.data is data  # the same array, updated in place
    np.testing.assert_allclose(p.data, [0.0, 0.0])
    opt.zero_grad()
    np.testing.assert_array_equal(p.grad, [0, 0])


def test_bad_arguments_are_named():
    p = Value(1.0)
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match=r"takes Values.*ndarray"):
        SGD([np.zeros(2)], lr=0.1)
    with pytest.raises(ValueError, match="lr must be"):
        SGD([p], lr=-1)
    with pytest.raises(ValueError, match="momentum"):
        SGD([p], lr=0.1, momentum=1.5)
    with pytest.raises(ValueError, match="betas"):
        Adam([p], betas=(0.9, 1.0))
