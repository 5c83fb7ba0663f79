"""Our generators against NVIDIA's reference outputs for the same weights (../shared/reference)."""

import numpy as np
import pytest
import torch

SEEDS = [0, 1, 2]
PSIS = ['1.0', '0.7']

def max_abs(a, b) -> float:
    return float(np.max(np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64))))

def capture_layers(G, z) -> dict[str, np.ndarray]:
    """Output of every submodule for one forward pass, keyed like layers.npz (tuples as name[i])."""
    outputs = {}
    def hook(name):
        def fn(module, inputs, output):
            if isinstance(output, tuple):
                for idx, item in enumerate(output):
                    outputs[f'{name}[{idx}]'] = item.detach().numpy().copy()
            else:
                outputs[name] = output.detach().numpy().copy()
        return fn
    handles = [module.register_forward_hook(hook(name)) for name, module in G.named_modules() if name]
    try:
        outputs['__final_image__'] = G(z, None, noise_mode='const').numpy()
    finally:
        for handle in handles:
            handle.remove()
    return outputs

#----------------------------------------------------------------------------

@pytest.mark.parametrize('name', ['sg3t', 'sg2'])
def test_state_dict_keys_and_shapes_match_nvidia(name, request):
    ref = request.getfixturevalue(f'{name}_ref')
    G = request.getfixturevalue(f'{name}_G')
    ours = {key: tuple(value.shape) for key, value in G.state_dict().items()}
    theirs = {key: ref['weights'][key].shape for key in ref['weights'].files}
    assert ours == theirs

@pytest.mark.parametrize('seed', SEEDS)
@pytest.mark.parametrize('psi', PSIS)
def test_sg3t_ws_and_images(sg3t_ref, sg3t_G, seed, psi):
    out = sg3t_ref['outputs']
    z = torch.from_numpy(out[f'z_s{seed}'])
    ws = sg3t_G.mapping(z, None, truncation_psi=float(psi))
    assert max_abs(ws, out[f'ws_s{seed}_psi{psi}']) < 1e-5
    assert max_abs(sg3t_G.synthesis(ws), out[f'img_s{seed}_psi{psi}']) < 1e-4

    # The user's input transform (the inverse of translate (0.1, -0.05), rotate 10 degrees).
    transform = sg3t_G.synthesis.input.transform
    transform.copy_(torch.from_numpy(out['xf_input_transform']))
    try:
        assert max_abs(sg3t_G.synthesis(ws), out[f'imgxf_s{seed}_psi{psi}']) < 1e-4
    finally:
        transform.copy_(torch.eye(3))

@pytest.mark.parametrize('seed', SEEDS)
@pytest.mark.parametrize('psi', PSIS)
def test_sg2_ws_and_images(sg2_ref, sg2_G, seed, psi):
    out = sg2_ref['outputs']
    z = torch.from_numpy(out[f'z_s{seed}'])
    ws = sg2_G.mapping(z, None, truncation_psi=float(psi))
    assert max_abs(ws, out[f'ws_s{seed}_psi{psi}']) < 1e-5
    assert max_abs(sg2_G.synthesis(ws, noise_mode='const'), out[f'img_s{seed}_psi{psi}']) < 1e-4
    assert max_abs(sg2_G.synthesis(ws, noise_mode='none'), out[f'imgnonoise_s{seed}_psi{psi}']) < 1e-4

@pytest.mark.parametrize('name', ['sg3t', 'sg2'])
def test_every_layer_output(name, request):
    ref = request.getfixturevalue(f'{name}_ref')
    G = request.getfixturevalue(f'{name}_G')
    ours = capture_layers(G, torch.from_numpy(ref['outputs']['z_s0']))
    expected = ref['layers']
    assert set(expected.files) <= set(ours), f'missing layers: {sorted(set(expected.files) - set(ours))}'
    for key in expected.files:
        theirs = expected[key]
        assert ours[key].shape == theirs.shape, key
        scale = max(float(np.abs(theirs).max()), 1e-6)
        assert max_abs(ours[key], theirs) <= 1e-4 * scale, key

def test_sg3t_filters_are_designed_not_loaded(sg3t_ref):
    """A freshly constructed network designs the same filters NVIDIA's stored (before loading weights)."""
    from sg3.networks_stylegan3 import Generator
    G = Generator(**sg3t_ref['config']['init_kwargs'])
    weights = sg3t_ref['weights']
    for name in G.synthesis.layer_names:
        layer = getattr(G.synthesis, name)
        for kind in ['up_filter', 'down_filter']:
            key = f'synthesis.{name}.{kind}'
            ours = getattr(layer, kind)
            if key in weights.files:
                assert max_abs(ours, weights[key]) < 1e-7, key
            else:
                assert ours is None, key
