import dataclasses
import os
from unittest import mock

import numpy as np
import pytest


@pytest.hookimpl(trylast=True)  # after pytest's own configure, which sets up the temp folders
def pytest_configure(config):
    """Tests never write to the user's home: matplotlib would keep its font list in
    ~/.cache/matplotlib (and make ~/.config/matplotlib), and every notebook kernel would make
    ~/.ipython. Both go to one folder of the session's temporary directory instead, set before
    any test module imports matplotlib. Under pytest-xdist the main process sets it and the
    workers, and the kernels they start, inherit both: the font list is built once per session.
    A folder you set yourself (MPLCONFIGDIR, IPYTHONDIR) is kept."""
    home = config._tmp_path_factory.getbasetemp() / "home"  # pytest's tmp_path_factory
    for variable, folder in (("MPLCONFIGDIR", "matplotlib"), ("IPYTHONDIR", "ipython")):
        if variable not in os.environ:
            (home / folder).mkdir(parents=True, exist_ok=True)
            os.environ[variable] = str(home / folder)


@pytest.fixture
def rng():
    """A seeded generator for every test that needs randomness."""
    return np.random.default_rng(1234)


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory):
    """Tests never write to ~/.cache: MINIGAN_CACHE points at one folder for the whole session,
    so the quality classifier is trained once and shared by every test that needs it."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        # under pytest-xdist (`make test` runs one worker per core) the workers share one
        # folder, so the classifier is trained once, not once per worker; the cache's files
        # are written atomically, so two workers that both train it only duplicate work
        folder = tmp_path_factory.getbasetemp().parent / "minigan-cache"
        folder.mkdir(exist_ok=True)
        folder = str(folder)
    else:
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


def _shares_a_module_fixture(item) -> bool:
    """Does the test use a module-scoped fixture (a training run shared by several tests)?"""
    definitions = item._fixtureinfo.name2fixturedefs
    return any(defs and defs[-1].scope == "module" for defs in definitions.values())


def pytest_collection_modifyitems(items):
    """Executing the notebooks is slow: mark those tests. For pytest-xdist (`make test` runs
    one worker per core with `--dist loadfile`, so a module-scoped training run is computed
    once, on the worker that gets its file): the long items come first, so that no worker is
    left with a long one at the end while the other idles. The notebooks go first (each one a
    unit of its own, see pytest_xdist_make_scheduler), then the files with shared training
    runs, then the rest. (With the notebooks after those files, the suite's wall time was 44 s
    above half its CPU time; with them first, 14 s, worker start-up included.) Without xdist
    only the order changes."""
    def long_first(item):
        notebook_run = item.path.name == "test_notebooks.py" and "runs_top_to_bottom" in item.name
        return 0 if notebook_run else 1 if _shares_a_module_fixture(item) else 2

    for item in items:
        if item.path.name == "test_notebooks.py":
            item.add_marker(pytest.mark.slow)
    items.sort(key=long_first)  # stable: each module's tests keep their order


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist, called only when it runs
def pytest_xdist_make_scheduler(config, log):
    """`--dist loadfile` with one exception: each notebook's run is a unit of its own, so the two
    workers share the notebooks. As one file they were about 240 of the suite's 510 CPU seconds,
    close to half: one worker ran nothing else for most of the run, and a slower notebook would
    have set the suite's wall time on its own. The notebooks share no fixture, so nothing is
    computed twice. Other modes (-n 0, --dist load) are left to pytest-xdist."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class NotebooksApart(LoadFileScheduling):
        def _split_scope(self, nodeid):
            if "::test_notebook_runs_top_to_bottom[" in nodeid:
                return nodeid
            return super()._split_scope(nodeid)

    return NotebooksApart(config, log)
