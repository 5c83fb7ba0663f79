"""Fixtures: a ViewCore with a FakeWorker and the headless imgui harness drawing against it (view tests); a tiny
network file (end-to-end tests)."""

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


@pytest.fixture(scope='module')
def tiny_network(tmp_path_factory):
    """A small StyleGAN3-T network file for the end-to-end tests (tests/viz/imgui/e2e.py)."""
    from tests.viz.imgui.e2e import tiny_network_file
    return tiny_network_file(tmp_path_factory.mktemp('net'))
