"""Whole generators on the fast path against the reference path and NVIDIA's reference outputs: the
fast ops change the order of additions (and Winograd's rounding), never the numbers beyond 1e-4."""

import numpy as np
import pytest
import torch

import sg3
import sg3.ops
from sg3.networks_stylegan3 import Generator as StyleGAN3Generator

def max_abs(a, b) -> float:
    return float(np.max(np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64))))

def synthesize(G, ws, impl, **kwargs) -> torch.Tensor:
    with sg3.ops.use_impl(impl), torch.no_grad():
        return G.synthesis(ws, **kwargs)

def layer_outputs(G, ws, impl) -> dict:
    outputs = {}
    handles = [getattr(G.synthesis, name).register_forward_hook(
        lambda module, inputs, output, name=name: outputs.__setitem__(name, output.clone()))
        for name in G.synthesis.layer_names]
    try:
        synthesize(G, ws, impl, noise_mode='const')
    finally:
        for handle in handles:
            handle.remove()
    return outputs

#----------------------------------------------------------------------------

@pytest.mark.parametrize('seed', [0, 2])
def test_sg3t_fast_path_matches_nvidia_and_ref(sg3t_ref, sg3t_G, seed):
    out = sg3t_ref['outputs']
    ws = sg3t_G.mapping(torch.from_numpy(out[f'z_s{seed}']), None, truncation_psi=0.7)
    fast = synthesize(sg3t_G, ws, 'fast')
    assert max_abs(fast, out[f'img_s{seed}_psi0.7']) < 1e-4
    assert max_abs(fast, synthesize(sg3t_G, ws, 'ref')) < 1e-4

    # With the user's input transform.
    transform = sg3t_G.synthesis.input.transform
    transform.copy_(torch.from_numpy(out['xf_input_transform']))
    try:
        assert max_abs(synthesize(sg3t_G, ws, 'fast'), out[f'imgxf_s{seed}_psi0.7']) < 1e-4
    finally:
        transform.copy_(torch.eye(3))

def test_sg3t_every_layer_on_the_fast_path(sg3t_ref, sg3t_G):
    ws = sg3t_G.mapping(torch.from_numpy(sg3t_ref['outputs']['z_s0']), None)
    fast = layer_outputs(sg3t_G, ws, 'fast')
    ref = layer_outputs(sg3t_G, ws, 'ref')
    for name in sg3t_G.synthesis.layer_names:
        theirs = sg3t_ref['layers'][f'synthesis.{name}']
        scale = max(float(np.abs(theirs).max()), 1e-6)
        assert fast[name].shape == ref[name].shape == theirs.shape, name
        assert max_abs(fast[name], ref[name]) <= 2e-5 * scale, name
        assert max_abs(fast[name], theirs) <= 1e-4 * scale, name

def test_sg2_fast_path_matches_nvidia_and_ref(sg2_ref, sg2_G):
    out = sg2_ref['outputs']
    ws = sg2_G.mapping(torch.from_numpy(out['z_s1']), None, truncation_psi=1.0)
    for noise_mode, key in [('const', 'img_s1_psi1.0'), ('none', 'imgnonoise_s1_psi1.0')]:
        fast = synthesize(sg2_G, ws, 'fast', noise_mode=noise_mode)
        assert max_abs(fast, out[key]) < 1e-4
        assert max_abs(fast, synthesize(sg2_G, ws, 'ref', noise_mode=noise_mode)) < 1e-4

@pytest.mark.parametrize('config', ['r', 't-batch'])
def test_random_networks_fast_equals_ref(config):
    """Random R network (radial filters, 1x1 convolutions) and a T network with a batch of 3."""
    kwargs = dict(z_dim=64, c_dim=0, w_dim=64, img_resolution=64, img_channels=3, channel_base=4096, channel_max=64,
        mapping_kwargs=dict(num_layers=2))
    batch_size = 1
    if config == 'r':
        kwargs.update(conv_kernel=1, use_radial_filters=True, channel_base=8192, channel_max=128)
    else:
        batch_size = 3
    torch.manual_seed(5)
    G = StyleGAN3Generator(**kwargs).eval().requires_grad_(False)
    def track_magnitude(module, inputs): # As training tracks input magnitudes, so that layers keep unit scale.
        module.magnitude_ema.copy_(inputs[0].square().mean())
    hooks = [getattr(G.synthesis, name).register_forward_pre_hook(track_magnitude) for name in G.synthesis.layer_names]
    ws = G.mapping(torch.randn([batch_size, 64]), None)
    synthesize(G, ws, 'ref')
    for hook in hooks:
        hook.remove()
    ref = synthesize(G, ws, 'ref')
    fast = synthesize(G, ws, 'fast')
    assert ref.std() > 0.05 # A meaningful image, not a flat one.
    assert max_abs(fast, ref) < 1e-4

@pytest.mark.parametrize('name', ['builtin:sg3-t', 'builtin:sg3-r', 'builtin:sg2'])
def test_builtins_fast_equals_ref(name):
    G = sg3.load_generator(name)
    ws = G.mapping(torch.randn([1, G.z_dim], generator=torch.Generator().manual_seed(3)), None)
    ref = synthesize(G, ws, 'ref', noise_mode='const')
    fast = synthesize(G, ws, 'fast', noise_mode='const')
    assert max_abs(fast, ref) < 1e-4

def test_fast_path_is_the_default_on_the_cpu(sg3t_G, monkeypatch):
    from sg3.ops import fast_filtered_lrelu
    calls = []
    real = fast_filtered_lrelu.filtered_lrelu_fast
    monkeypatch.setattr(fast_filtered_lrelu, 'filtered_lrelu_fast', lambda *a, **k: calls.append(1) or real(*a, **k))
    ws = torch.zeros([1, sg3t_G.num_ws, sg3t_G.w_dim])
    with torch.no_grad():
        sg3t_G.synthesis(ws)
    assert len(calls) == len(sg3t_G.synthesis.layer_names)
    calls.clear()
    synthesize(sg3t_G, ws, 'ref')
    assert calls == []

#----------------------------------------------------------------------------

@pytest.mark.skipif(not torch.cuda.is_available(), reason='no CUDA device on this machine')
def test_fast_path_forced_on_cuda_equals_ref():
    """'auto' keeps the reference ops on CUDA; 'fast' must still run there (device-agnostic torch code)."""
    G = sg3.load_generator('builtin:sg3-r', device='cuda')
    ws = G.mapping(torch.randn([2, G.z_dim], device='cuda', generator=torch.Generator('cuda').manual_seed(4)), None)
    ref = synthesize(G, ws, 'ref', force_fp32=True)
    fast = synthesize(G, ws, 'fast', force_fp32=True)
    assert fast.device.type == 'cuda'
    assert max_abs(fast.cpu(), ref.cpu()) < 1e-4
