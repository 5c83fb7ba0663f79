"""NVIDIA's reference data (../shared/reference beside the repository) for every test that needs it."""

import json
import pathlib

import numpy as np
import pytest
import torch

REFERENCE_DIR = pathlib.Path(__file__).resolve().parents[1].parent / 'shared' / 'reference'

needs_reference = pytest.mark.skipif(not (REFERENCE_DIR / 'sg3t-64').is_dir(),
    reason=f'reference data not found at {REFERENCE_DIR} (expected ../shared/reference beside the repository)')

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

def build_reference_generator(ref: dict | str) -> torch.nn.Module:
    """Our generator for a reference network (a load_reference dict or its name), with NVIDIA's weights."""
    from sg3.networks_stylegan2 import Generator as StyleGAN2Generator
    from sg3.networks_stylegan3 import Generator as StyleGAN3Generator
    if isinstance(ref, str):
        ref = load_reference(ref)
    cls = StyleGAN2Generator if ref['config']['architecture'] == 'stylegan2' else StyleGAN3Generator
    G = cls(**ref['config']['init_kwargs']).eval().requires_grad_(False)
    G.load_state_dict({key: torch.from_numpy(ref['weights'][key]) for key in ref['weights'].files})
    return G
