import dataclasses
import os
from unittest import mock

import numpy as np
import pytest


@pytest.fixture
def rng():
    """A seeded generator for every test that needs randomness."""
    return np.random.default_rng(1234)


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory):
    """Tests never write to ~/.cache: MINIGAN_CACHE points at one folder for the whole session,
    so the quality classifier is trained once and shared by every test that needs it."""
    folder = str(tmp_path_factory.mktemp("minigan-cache"))
    with mock.patch.dict(os.environ, {"MINIGAN_CACHE": folder}):
        yield folder


@pytest.fixture(scope="session", autouse=True)
def standard_checks_once():
    """gradcheck.standard_checks (every layer, loss and model, ~20 float64 gradient checks) is
    computed once per (seed, max_entries) in a session; later calls, from test_gradcheck or
    through `minigan gradcheck` in test_cli, get the same rows judged against their own
    tolerance. The numbers do not depend on the tolerance, so nothing is lost."""
    from minigan import gradcheck

    original, computed = gradcheck.standard_checks, {}

    def standard_checks(seed=0, max_entries=12, tolerance=gradcheck.DEFAULT_TOLERANCE):
        if (seed, max_entries) not in computed:
            computed[seed, max_entries] = original(seed=seed, max_entries=max_entries)
        return [dataclasses.replace(row, tolerance=tolerance) for row in computed[seed, max_entries]]

    with mock.patch.object(gradcheck, "standard_checks", standard_checks):
        yield


def pytest_collection_modifyitems(items):
    """Executing the notebooks is slow: mark those tests here (tests/test_notebooks.py is
    another helper's file)."""
    for item in items:
        if item.path.name == "test_notebooks.py":
            item.add_marker(pytest.mark.slow)
