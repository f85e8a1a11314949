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


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The course site, built once for every test that serves it (TENSORGRAD_TEST_SITE=DIR: one built already)."""
    import os
    import pathlib

    from site_support import build_site

    prebuilt = os.environ.get("TENSORGRAD_TEST_SITE")
    return pathlib.Path(prebuilt).resolve() if prebuilt else build_site(tmp_path_factory.mktemp("site"))
