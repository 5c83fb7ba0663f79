"""Fixtures: a ViewCore with a FakeWorker and the headless imgui harness drawing against it (view tests)."""

import pytest

from tests.viz.imgui.harness import Harness, make_core


@pytest.fixture()
def core(tmp_path):
    core = make_core(tmp_path)
    yield core
    core.close()


@pytest.fixture()
def gui(core):
    harness = Harness(core)
    yield harness
    harness.close()
