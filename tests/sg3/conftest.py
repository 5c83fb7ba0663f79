"""Fixtures for the model library's tests: NVIDIA's reference data and small networks."""

import json
import pathlib

import numpy as np
import pytest
import torch

REFERENCE_DIR = pathlib.Path(__file__).resolve().parents[2].parent / 'shared' / 'reference'

def load_reference(name: str) -> dict:
    """config, weights, outputs and layers of one reference network; skip if the folder is absent."""
    folder = REFERENCE_DIR / name
    if not folder.is_dir():
        pytest.skip(f'reference data not found at {folder} (expected ../shared/reference beside the repository)')
    return dict(
        config=json.loads((folder / 'config.json').read_text()),
        weights=np.load(folder / 'weights.npz'),
        outputs=np.load(folder / 'outputs.npz'),
        layers=np.load(folder / 'layers.npz'),
    )

def build_reference_generator(ref: dict) -> torch.nn.Module:
    """Our generator for a reference network, with NVIDIA's weights loaded."""
    from sg3.networks_stylegan2 import Generator as StyleGAN2Generator
    from sg3.networks_stylegan3 import Generator as StyleGAN3Generator
    cls = StyleGAN2Generator if ref['config']['architecture'] == 'stylegan2' else StyleGAN3Generator
    G = cls(**ref['config']['init_kwargs']).eval().requires_grad_(False)
    G.load_state_dict({key: torch.from_numpy(ref['weights'][key]) for key in ref['weights'].files})
    return G

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
