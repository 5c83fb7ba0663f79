"""Fixtures for the model library's tests: NVIDIA's reference data and small networks."""

import pytest

from tests.reference import build_reference_generator, load_reference

@pytest.fixture(scope='session')
def sg3t_ref():
    return load_reference('sg3t-64')

@pytest.fixture(scope='session')
def sg2_ref():
    return load_reference('sg2-64')

@pytest.fixture(scope='session')
def sg3t_G(sg3t_ref):
    return build_reference_generator(sg3t_ref)

@pytest.fixture(scope='session')
def sg2_G(sg2_ref):
    return build_reference_generator(sg2_ref)
