"""Generator behaviour beyond the reference data: the R configuration, the public surface, bad
input, built-in networks and devices."""

import numpy as np
import pytest
import torch

import sg3
from sg3.builtin import list_builtins
from sg3.errors import CheckpointError, Sg3Error
from sg3.filters import jinc_filter
from sg3.networks_stylegan2 import Generator as StyleGAN2Generator
from sg3.networks_stylegan3 import Generator as StyleGAN3Generator

TINY = dict(z_dim=16, w_dim=16, img_resolution=16, img_channels=3, channel_base=256, channel_max=16)

def tiny_sg3(**kwargs):
    torch.manual_seed(0)
    return StyleGAN3Generator(**{**TINY, 'c_dim': 0, 'mapping_kwargs': dict(num_layers=2), **kwargs}).eval()

def tiny_sg2(**kwargs):
    torch.manual_seed(0)
    return StyleGAN2Generator(**{**TINY, 'c_dim': 0, **kwargs}).eval()

#----------------------------------------------------------------------------

def test_r_config_uses_1x1_convolutions_and_radial_filters_in_non_critical_layers():
    G = tiny_sg3(conv_kernel=1, use_radial_filters=True)
    assert G.architecture == 'stylegan3-r'
    for name in G.synthesis.layer_names:
        layer = getattr(G.synthesis, name)
        assert layer.weight.shape[2:] == (1, 1)
        if layer.is_critically_sampled or layer.is_torgb:
            assert layer.down_filter is None or layer.down_filter.ndim == 1, name
        else:
            assert layer.down_filter.ndim == 2, name
            expected = jinc_filter(layer.down_taps, layer.out_cutoff, layer.out_half_width * 2, layer.tmp_sampling_rate)
            np.testing.assert_allclose(layer.down_filter.numpy(), expected, rtol=0, atol=1e-7)
    img = G(torch.randn(2, 16), None)
    assert img.shape == (2, 3, 16, 16) and torch.isfinite(img).all()

def test_layer_design_attributes_follow_the_paper(sg3t_G):
    """Cutoffs grow geometrically to f_c = res/2, f_t = f_c + f_h, 10 px margins except the last two layers."""
    synthesis = sg3t_G.synthesis
    layers = [getattr(synthesis, name) for name in synthesis.layer_names]
    assert layers[0].in_cutoff == 2 and layers[-1].out_cutoff == pytest.approx(32)
    cutoffs = [layer.out_cutoff for layer in layers[:-3]]
    ratios = np.array(cutoffs[1:]) / np.array(cutoffs[:-1])
    np.testing.assert_allclose(ratios, ratios[0])
    for idx, layer in enumerate(layers):
        assert layer.out_stopband == pytest.approx(layer.out_cutoff + layer.out_half_width)
        assert layer.out_margin == (0 if idx >= len(layers) - 2 else 10)
        assert list(layer.out_size) == [layer.out_sampling_rate + 2 * layer.out_margin] * 2
    assert synthesis.input.sampling_rate == layers[0].in_sampling_rate

def test_public_surface(sg3t_G, sg2_G):
    for G in [sg3t_G, sg2_G]:
        assert (G.z_dim, G.c_dim, G.w_dim, G.img_resolution, G.img_channels) == (512, 0, 512, 64, 3)
        assert G.mapping.w_avg.shape == (512,)
    assert sg3t_G.num_ws == 16 and sg2_G.num_ws == 10
    assert sg3t_G.has_input_transform and not sg2_G.has_input_transform
    assert sg2_G.has_noise and not sg3t_G.has_noise

def test_truncation_cutoff_truncates_only_the_first_ws(sg3t_G):
    z = torch.randn(1, 512)
    ws_full = sg3t_G.mapping(z, None)
    ws = sg3t_G.mapping(z, None, truncation_psi=0.5, truncation_cutoff=4)
    expected = sg3t_G.mapping.w_avg + 0.5 * (ws_full[:, :4] - sg3t_G.mapping.w_avg)
    torch.testing.assert_close(ws[:, :4], expected)
    torch.testing.assert_close(ws[:, 4:], ws_full[:, 4:])

def test_conditional_mapping_embeds_the_label():
    G = tiny_sg3(c_dim=5)
    z = torch.randn(1, 16)
    c0, c1 = torch.eye(5)[:1], torch.eye(5)[1:2]
    assert not torch.allclose(G.mapping(z, c0), G.mapping(z, c1))
    assert G.mapping.embed.weight.shape == (16, 5) and G.mapping.fc0.weight.shape == (16, 32)
    with pytest.raises(Sg3Error, match='conditional'):
        G(z, None)
    with pytest.raises(Sg3Error, match=r'c must have shape \[1, 5\]'):
        G(z, torch.zeros(1, 3))

def test_stylegan2_noise_modes():
    G = tiny_sg2()
    for name, buffer in G.named_buffers():
        if name.endswith('noise_strength'):
            buffer.fill_(0.5)
    for name, param in G.named_parameters():
        if name.endswith('noise_strength'):
            param.data.fill_(0.5)
    ws = G.mapping(torch.randn(1, 16), None)
    const_a, const_b = G.synthesis(ws, noise_mode='const'), G.synthesis(ws, noise_mode='const')
    torch.testing.assert_close(const_a, const_b, rtol=0, atol=0)
    torch.manual_seed(1); random_a = G.synthesis(ws, noise_mode='random')
    torch.manual_seed(2); random_b = G.synthesis(ws, noise_mode='random')
    assert not torch.allclose(random_a, random_b)
    assert not torch.allclose(G.synthesis(ws, noise_mode='none'), const_a)

def test_stylegan2_ada_kwargs_build_the_same_network():
    """StyleGAN2-ADA pickles record synthesis_kwargs as a dict; the stylegan3 repository flattens them."""
    a = tiny_sg2(synthesis_kwargs=dict(channel_base=256, channel_max=16, num_fp16_res=0, conv_clamp=None))
    keys = {k: v.shape for k, v in a.state_dict().items()}
    b = tiny_sg2()
    assert keys == {k: v.shape for k, v in b.state_dict().items()}
    assert a.synthesis.b16.conv1.conv_clamp is None and b.synthesis.b16.conv1.conv_clamp == 256

@pytest.mark.parametrize('bad, message', [
    (lambda G: G(torch.randn(1, 15), None), r'z must have shape \[N, 16\]'),
    (lambda G: G(np.zeros((1, 16)), None), 'z must be a torch.Tensor'),
    (lambda G: G(torch.zeros(1, 16, dtype=torch.int64), None), 'floating-point'),
    (lambda G: G.synthesis(torch.randn(1, 3, 16)), r'ws must have shape \[N, \d+, 16\]'),
    (lambda G: G(torch.randn(1, 16), None, truncation_cutoff=99), 'truncation_cutoff'),
    (lambda G: G(torch.randn(1, 16), None, truncation_psi=float('nan')), 'truncation_psi'),
    (lambda G: G(torch.randn(1, 16), None, noise_mode='loud'), 'noise_mode'),
])
@pytest.mark.parametrize('make', [tiny_sg3, tiny_sg2])
def test_bad_input_gives_a_clear_error(make, bad, message):
    with pytest.raises(Sg3Error, match=message):
        bad(make())

#----------------------------------------------------------------------------

@pytest.mark.parametrize('name', [name for name, _ in list_builtins()])
def test_builtins_are_deterministic_and_have_contrast(name):
    G = sg3.load_generator(name)
    again = sg3.load_generator(name)
    for (key, a), (_, b) in zip(G.state_dict().items(), again.state_dict().items()):
        assert torch.equal(a, b), key
    assert G.img_resolution == 256 and not G.training
    z = torch.from_numpy(np.random.RandomState(0).randn(3, G.z_dim))
    img = G(z, None, noise_mode='const')
    assert img.shape == (3, 3, 256, 256)
    assert (img.std(dim=[2, 3]) > 0.02).all(), 'every channel of every image should vary'
    assert (img.std(dim=[1, 2, 3]) > 0.1).all(), 'every image should have contrast'
    assert img.mean(dim=[2, 3]).std(dim=0).mean() > 0.02, 'different seeds should give different colours'
    assert float(img.abs().mean()) < 1.0

def test_builtin_descriptions_say_untrained():
    for name, description in list_builtins():
        assert 'untrained' in description, name

def test_unknown_builtin_and_bad_device():
    with pytest.raises(CheckpointError, match="unknown built-in network 'builtin:nope'.*builtin:sg3-t"):
        sg3.load_generator('builtin:nope')
    with pytest.raises(Sg3Error, match="unknown device 'gpu'"):
        sg3.resolve_device('gpu')
    if not torch.cuda.is_available():
        with pytest.raises(Sg3Error, match='no usable CUDA'):
            sg3.resolve_device('cuda')

def test_cuda_index_must_name_a_present_device(monkeypatch):
    """cuda:N beyond the devices present (simulated: one CUDA device) or not a number is refused by name;
    the viewer shows the same message."""
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(torch.cuda, 'device_count', lambda: 1)
    assert sg3.resolve_device('cuda:0') == torch.device('cuda:0')
    for bad in ['cuda:1', 'cuda:x']:
        with pytest.raises(Sg3Error, match=f"device '{bad}': expected cuda:N with N from 0 to 0"):
            sg3.resolve_device(bad)

def test_auto_device_falls_back_to_cpu_without_accelerators():
    expected = 'cuda' if torch.cuda.is_available() else 'mps' if torch.backends.mps.is_available() else 'cpu'
    assert sg3.resolve_device('auto').type == expected

@pytest.mark.skipif(not torch.cuda.is_available(), reason='no CUDA device on this machine')
def test_cuda_matches_cpu(sg3t_G, sg3t_ref):
    G = sg3t_G.to('cuda')
    try:
        z = torch.from_numpy(sg3t_ref['outputs']['z_s0']).cuda()
        img = G(z, None, force_fp32=True).cpu().numpy()
        np.testing.assert_allclose(img, sg3t_ref['outputs']['img_s0_psi1.0'], atol=1e-3)
    finally:
        sg3t_G.to('cpu')


def test_stylegan2_constructor_and_forward_checks_hold_under_python_O():
    """What a caller or a file gives is checked with exceptions, not asserts (the suite also runs with -O)."""
    from sg3 import networks_stylegan2
    from sg3.errors import Sg3Error
    with pytest.raises(Sg3Error, match='img_resolution = 48: expected a power of two >= 4'):
        networks_stylegan2.SynthesisNetwork(w_dim=8, img_resolution=48, img_channels=3)
    with pytest.raises(Sg3Error, match="architecture 'resnet': only 'skip'"):
        networks_stylegan2.SynthesisBlock(in_channels=0, out_channels=8, w_dim=8, resolution=4, img_channels=3, is_last=False,
            architecture='resnet')
    layer = networks_stylegan2.SynthesisLayer(in_channels=4, out_channels=4, w_dim=8, resolution=8)
    with pytest.raises(Sg3Error, match="noise_mode must be one of"):
        layer(torch.zeros(1, 4, 8, 8), torch.zeros(1, 8), noise_mode='loud')

def test_per_call_input_transforms_equal_the_buffer_row_by_row():
    from sg3.errors import TransformError
    from sg3.transforms import input_transform
    G = tiny_sg3()
    ws = G.mapping(torch.randn(3, 16), None)
    mats = [torch.from_numpy(input_transform((0.1 * i, -0.05), 20.0 * i, 1 + 0.1 * i)).float() for i in range(3)]
    expected = []
    with torch.no_grad():
        for i, m in enumerate(mats):
            G.synthesis.input.transform.copy_(m)
            expected.append(G.synthesis(ws[i:i + 1], noise_mode='const'))
        G.synthesis.input.transform.copy_(torch.eye(3))
        batched = G.synthesis(ws, noise_mode='const', input_transform=torch.stack(mats))
        shared = G.synthesis(ws[1:2], noise_mode='const', input_transform=mats[1])
    torch.testing.assert_close(batched, torch.cat(expected), rtol=0, atol=1e-5)
    torch.testing.assert_close(shared, expected[1], rtol=0, atol=1e-6)
    assert torch.equal(G.synthesis.input.transform, torch.eye(3))
    with pytest.raises(TransformError, match=r'expected a tensor \[3, 3\] or \[3, 3, 3\]'):
        G.synthesis(ws, input_transform=torch.eye(3).repeat(2, 1, 1))
    with pytest.raises(TransformError, match='finite'):
        G.synthesis(ws, input_transform=torch.full([3, 3], float('nan')))
