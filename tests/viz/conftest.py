"""Fixtures shared by the app's tests."""

import pytest
import torch


@pytest.fixture(scope='module')
def one_thread():
    """torch single-threaded for a module: tiny networks run fastest so, and the machine is shared."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)
