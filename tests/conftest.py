import numpy as np
import pytest


@pytest.fixture
def rng():
    """A seeded generator for every test that needs randomness."""
    return np.random.default_rng(1234)
