"""Shared test settings: a seeded random generator and a hypothesis profile fit for a small machine."""
import numpy as np
import pytest
from hypothesis import settings

settings.register_profile("tensorgrad", max_examples=60, deadline=None)
settings.load_profile("tensorgrad")


@pytest.fixture
def rng():
    """A fresh generator with a fixed seed, so every test sees the same numbers on every run."""
    return np.random.default_rng(1337)
