"""Fixtures shared by the app's tests: one torch thread, a tiny network file."""

import pytest
import torch


@pytest.fixture(scope='module')
def one_thread():
    """torch single-threaded for a module: tiny networks run fastest so, and the machine is shared."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture(scope='module')
def tiny_network(tmp_path_factory):
    """A small StyleGAN3-T network file for the end-to-end tests (tests/viz/imgui/e2e.py)."""
    from tests.viz.imgui.e2e import tiny_network_file
    return tiny_network_file(tmp_path_factory.mktemp('net'))
