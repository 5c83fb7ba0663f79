"""Renderer: every request field on tiny StyleGAN3 / StyleGAN2 networks, checked against direct calls
of the generator and hooks of the test's own, converted with the documented 8-bit formula."""

import dataclasses
import functools
import http.server
import threading

import numpy as np
import pytest
import torch

from sg3 import networks_stylegan2, networks_stylegan3
from sg3.errors import CheckpointError
from sg3.transforms import make_transform
from viz.render import ops as render_ops
from viz.protocol import (LatentArgs, LayerArgs, NetworkArgs, NoiseArgs, PerformanceArgs, RenderArgs, RenderResult,
    StyleMixArgs, TransformArgs, TruncationArgs)
from viz.render.worker import RenderWorker
from viz.render.renderer import Renderer, RenderError, default_load, resolve_device
from tests.reference import load_reference

Z_DIM = 8


pytestmark = pytest.mark.usefixtures('one_thread')


def perturb(G: torch.nn.Module, seed: int) -> torch.nn.Module:
    """Give an untrained network non-trivial w_avg, biases and an output range about [-1, 1]."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        G.mapping.w_avg.copy_(torch.randn(G.w_dim, generator=gen))
        for name, p in G.named_parameters():
            if name.endswith('bias') or name.endswith('noise_strength'):
                p.add_(torch.randn(p.shape, generator=gen) * 0.3)
    return G.eval().requires_grad_(False)


def build_sg3(**kwargs) -> torch.nn.Module:
    torch.manual_seed(1)
    G = networks_stylegan3.Generator(z_dim=Z_DIM, c_dim=0, w_dim=8, img_resolution=16, img_channels=3,
        channel_base=512, channel_max=16, num_layers=4, **kwargs)
    G = perturb(G, 2)
    with torch.no_grad():
        G.synthesis.L4_16_3.weight.mul_(20)
    return G


def build_sg2() -> torch.nn.Module:
    torch.manual_seed(3)
    G = networks_stylegan2.Generator(z_dim=Z_DIM, c_dim=3, w_dim=8, img_resolution=16, img_channels=3,
        channel_base=256, channel_max=16)
    return perturb(G, 4)


class Loader:
    """load_fn for the renderer: tiny networks by name, counting calls."""

    def __init__(self) -> None:
        self.nets = {'tiny:sg3': build_sg3(), 'tiny:sg2': build_sg2()}
        self.calls: list[tuple] = []

    def __call__(self, source, device, key, progress=None):
        self.calls.append((source, device, key))
        if source not in self.nets:
            raise CheckpointError(f'network {source!r}: no such file or built-in; expected a path, URL or builtin:NAME')
        return self.nets[source].to(device)


@pytest.fixture(scope='module')
def loader():
    return Loader()


@pytest.fixture()
def renderer(loader):
    loader.calls.clear()
    return Renderer(load_fn=loader)


SG3 = NetworkArgs(source='tiny:sg3')
SG2 = NetworkArgs(source='tiny:sg2')
CPU = PerformanceArgs(device='cpu')


def request(network=SG3, **parts) -> RenderArgs:
    return RenderArgs(network=network, performance=CPU, **parts)


def z_of(seed: int) -> torch.Tensor:
    return torch.from_numpy(np.random.RandomState(seed).randn(1, Z_DIM).astype(np.float32))


def matrix(xf: TransformArgs) -> np.ndarray:
    """The user's transform as the render side builds it."""
    return make_transform((xf.x, xf.y), xf.angle_deg, xf.scale)


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """The documented conversion, written out independently: [1, 3, H, W] -> [H, W, 3]."""
    v = np.floor(x[0].double().numpy() * 127.5 + 128)
    return np.clip(v, 0, 255).astype(np.uint8).transpose(1, 2, 0)


def assert_image(result: RenderResult, expected: np.ndarray) -> None:
    assert result.error is None, result.error
    assert result.image.dtype == np.uint8 and result.image.shape == expected.shape and result.image.flags.c_contiguous
    diff = np.abs(result.image.astype(int) - expected.astype(int))
    assert diff.max() <= 1 and (diff > 0).mean() < 0.01  # Equal up to rounding at .5 boundaries.


def capture_with_hook(G, ws, module_name, **kwargs):
    """Output of one synthesis submodule during a full forward pass (the test's own hook)."""
    captured = {}
    module = dict(G.synthesis.named_modules())[module_name]
    handle = module.register_forward_hook(lambda _m, _i, out: captured.setdefault('out', out))
    try:
        G.synthesis(ws, **kwargs)
    finally:
        handle.remove()
    return captured['out']

# ----------------------------------------------------------------------------
# Output image, network summary, layer list.


def test_default_output_equals_generator_call(renderer, loader):
    G = loader.nets['tiny:sg3']
    result = renderer.render(request(latent=LatentArgs(x=3)), stamp=7)
    assert result.stamp == 7 and result.loading is None and result.render_seconds > 0
    assert_image(result, to_uint8(G(z_of(3), None)))
    s = result.network
    assert (s.architecture, s.img_resolution, s.num_ws, s.c_dim, s.device) == ('stylegan3-t', 16, G.num_ws, 0, 'cpu')
    assert s.has_transform and not s.has_noise and s.num_params == sum(p.numel() for p in G.parameters())
    assert result.image_resolution == 16
    # Statistics of the output before conversion.
    img = G(z_of(3), None)[0]
    assert result.stats.name == 'output'
    assert result.stats.mean == pytest.approx(float(img.mean()), abs=1e-6)
    assert result.stats.max == pytest.approx(float(img.max()), abs=1e-6)
    np.testing.assert_allclose(result.stats.channel_std, img.reshape(3, -1).std(dim=1).numpy(), rtol=1e-5)


def test_layer_list_describes_every_stylegan3_layer(renderer, loader):
    G = loader.nets['tiny:sg3']
    layers = renderer.render(request()).layers
    assert [info.name for info in layers] == ['input'] + G.synthesis.layer_names
    for info in layers[1:]:
        module = getattr(G.synthesis, info.name)
        assert info.shape == (1, module.out_channels, int(module.out_size[1]), int(module.out_size[0]))
        assert info.channels == module.out_channels and info.dtype == 'float32'
        assert info.sampling_rate == module.out_sampling_rate and info.cutoff == pytest.approx(module.out_cutoff)
        assert info.stopband == pytest.approx(module.out_stopband)
        assert info.margin == (int(module.out_size[0]) - module.out_sampling_rate) // 2
    assert layers[0].sampling_rate == G.synthesis.input.sampling_rate and layers[0].margin == 10


def test_stylegan2_layer_names_and_summary(renderer, loader):
    result = renderer.render(request(network=SG2))
    names = [info.name for info in result.layers]
    assert names[:4] == ['b4.conv1', 'b4.torgb', 'b4:0', 'b4:1']
    assert names[-3:] == ['b16.torgb', 'b16:0', 'b16:1']
    # Sampled at the block's resolution, no designed cutoff, no margin.
    assert all(info.sampling_rate == int(info.name[1:].split('.')[0].split(':')[0]) and info.cutoff is None and info.margin == 0
        for info in result.layers)
    assert result.network.has_noise and not result.network.has_transform and result.network.c_dim == 3

# ----------------------------------------------------------------------------
# Latent, truncation, style mixing, class, noise.


def test_fractional_position_blends_the_four_seeds_bilinearly(renderer, loader):
    G = loader.nets['tiny:sg3']
    result = renderer.render(request(latent=LatentArgs(x=2.25, y=1.5)))
    # Seeds 102 (x=2, y=1), 103, 202, 203 with the areas of the opposite sub-rectangles.
    ws = sum(G.mapping(z_of(seed), None) * weight for seed, weight in
        [(102, 0.75 * 0.5), (103, 0.25 * 0.5), (202, 0.75 * 0.5), (203, 0.25 * 0.5)])
    assert_image(result, to_uint8(G.synthesis(ws)))


def test_truncation_psi_and_cutoff(renderer, loader):
    G = loader.nets['tiny:sg3']
    result = renderer.render(request(latent=LatentArgs(x=4), truncation=TruncationArgs(psi=0.5, cutoff=3)))
    assert_image(result, to_uint8(G(z_of(4), None, truncation_psi=0.5, truncation_cutoff=3)))
    # A cutoff beyond num_ws (left over from a bigger network) truncates every W.
    result = renderer.render(request(latent=LatentArgs(x=4), truncation=TruncationArgs(psi=0.5, cutoff=99)))
    assert_image(result, to_uint8(G(z_of(4), None, truncation_psi=0.5)))


def test_style_mixing_replaces_the_masked_ws(renderer, loader):
    G = loader.nets['tiny:sg3']
    mix = StyleMixArgs(enabled=True, seed=9, mask=(False, True, False, True) + (False,) * 20)
    result = renderer.render(request(latent=LatentArgs(x=1), mix=mix))
    ws = G.mapping(z_of(1), None)
    ws[:, [1, 3]] = G.mapping(z_of(9), None)[:, [1, 3]]
    assert_image(result, to_uint8(G.synthesis(ws)))
    disabled = renderer.render(request(latent=LatentArgs(x=1), mix=dataclasses.replace(mix, enabled=False)))
    assert_image(disabled, to_uint8(G(z_of(1), None)))


def test_class_selection_for_conditional_networks(renderer, loader):
    G = loader.nets['tiny:sg2']
    onehot = lambda idx: torch.eye(3)[idx : idx + 1]
    chosen = renderer.render(request(network=SG2, latent=LatentArgs(x=5, class_idx=2)))
    assert_image(chosen, to_uint8(G(z_of(5), onehot(2), noise_mode='const')))
    # No class given: drawn from the seed's RandomState after z, as NVIDIA's viewer does.
    rnd = np.random.RandomState(5)
    rnd.randn(Z_DIM)
    automatic = renderer.render(request(network=SG2, latent=LatentArgs(x=5)))
    assert_image(automatic, to_uint8(G(z_of(5), onehot(rnd.randint(3)), noise_mode='const')))
    bad = renderer.render(request(network=SG2, latent=LatentArgs(x=5, class_idx=3)))
    assert bad.image is None and 'class 3' in bad.error and '3 classes' in bad.error
    assert renderer.render(request(network=SG2, latent=LatentArgs(x=5, class_idx=0))).error is None


def test_noise_modes_and_reproducible_random_noise(renderer, loader):
    G = loader.nets['tiny:sg2']
    c = torch.eye(3)[:1]
    latent = LatentArgs(x=6, class_idx=0)
    for mode in ('const', 'none'):
        result = renderer.render(request(network=SG2, latent=latent, noise=NoiseArgs(mode=mode)))
        assert_image(result, to_uint8(G(z_of(6), c, noise_mode=mode)))
    torch.manual_seed(11)
    expected = to_uint8(G(z_of(6), c, noise_mode='random'))
    first = renderer.render(request(network=SG2, latent=latent, noise=NoiseArgs(mode='random', seed=11)))
    again = renderer.render(request(network=SG2, latent=latent, noise=NoiseArgs(mode='random', seed=11)))
    other = renderer.render(request(network=SG2, latent=latent, noise=NoiseArgs(mode='random', seed=12)))
    assert_image(first, expected)
    assert np.array_equal(first.image, again.image) and not np.array_equal(first.image, other.image)


def test_force_fp32_and_device_auto_on_cpu(renderer, loader):
    G = loader.nets['tiny:sg3']
    result = renderer.render(RenderArgs(network=SG3, latent=LatentArgs(x=3), performance=PerformanceArgs(device='auto', force_fp32=True)))
    expected_device = 'cuda' if torch.cuda.is_available() else 'mps' if torch.backends.mps.is_available() else 'cpu'
    assert result.network.device == expected_device == resolve_device('auto')
    if expected_device == 'cpu':
        assert_image(result, to_uint8(G(z_of(3), None)))

# ----------------------------------------------------------------------------
# Input transform and untransform.


def test_input_transform_is_the_inverse_of_the_user_transform_and_is_restored(renderer, loader):
    G = loader.nets['tiny:sg3']
    ref = load_reference('sg3t-64')['outputs']
    result = renderer.render(request(latent=LatentArgs(x=2), transform=TransformArgs(x=0.1, y=-0.05, angle_deg=10)))
    assert torch.equal(G.synthesis.input.transform, torch.eye(3))
    G.synthesis.input.transform.copy_(torch.from_numpy(ref['xf_input_transform']))
    try:
        expected = to_uint8(G(z_of(2), None))
    finally:
        G.synthesis.input.transform.copy_(torch.eye(3))
    assert_image(result, expected)
    assert not np.array_equal(result.image, renderer.render(request(latent=LatentArgs(x=2))).image)


def test_singular_transform_is_an_error_and_the_next_request_works(renderer, loader):
    bad = renderer.render(request(transform=TransformArgs(scale=0.0)))
    assert bad.image is None and 'scale = 0' in bad.error and 'singular' in bad.error
    assert bad.network is not None  # The network is loaded; only this render failed.
    assert torch.equal(loader.nets['tiny:sg3'].synthesis.input.transform, torch.eye(3))
    assert renderer.render(request()).error is None


def test_transform_is_ignored_for_networks_without_input_transform(renderer, loader):
    G = loader.nets['tiny:sg2']
    result = renderer.render(request(network=SG2, latent=LatentArgs(x=1, class_idx=1),
        transform=TransformArgs(x=0.3, angle_deg=20, untransform=True)))
    assert_image(result, to_uint8(G(z_of(1), torch.eye(3)[1:2], noise_mode='const')))


def test_untransform_resamples_the_output_back(renderer, loader):
    G = loader.nets['tiny:sg3']
    xf = TransformArgs(x=0.125, y=0.0625, angle_deg=30, scale=1.25)
    shown = renderer.render(request(latent=LatentArgs(x=2), transform=xf))
    back = renderer.render(request(latent=LatentArgs(x=2), transform=dataclasses.replace(xf, untransform=True)))
    G.synthesis.input.transform.copy_(torch.from_numpy(np.linalg.inv(matrix(xf))))
    try:
        out = G(z_of(2), None)
    finally:
        G.synthesis.input.transform.copy_(torch.eye(3))
    assert_image(shown, to_uint8(out))
    assert_image(back, to_uint8(render_ops.untransform(out, matrix(xf), unit=16)))
    # Untransforming the identity changes nothing.
    plain = renderer.render(request(latent=LatentArgs(x=2), transform=TransformArgs(untransform=True)))
    assert_image(plain, to_uint8(G(z_of(2), None)))

def test_untransform_of_a_layer_uses_the_layer_sampling_rate(renderer, loader):
    G = loader.nets['tiny:sg3']
    xf = TransformArgs(x=0.25, angle_deg=-20, untransform=True)
    result = renderer.render(request(latent=LatentArgs(x=2), transform=xf, layer=LayerArgs(name='L1_36_16')))
    G.synthesis.input.transform.copy_(torch.from_numpy(np.linalg.inv(matrix(xf))))
    try:
        feat = capture_with_hook(G, G.mapping(z_of(2), None), 'L1_36_16')
    finally:
        G.synthesis.input.transform.copy_(torch.eye(3))
    # 36 pixels with 16 samples per image width: the transform's unit is 16 pixels, not 36.
    assert_image(result, to_uint8(render_ops.untransform(feat, matrix(xf), unit=16)[:, :3]))


# ----------------------------------------------------------------------------
# Layer capture and layer view.


def test_captured_layer_equals_hooked_full_pass_and_later_layers_are_skipped(renderer, loader):
    G = loader.nets['tiny:sg3']
    renderer.render(request())  # Layer list known.
    calls = []
    handle = G.synthesis.L3_16_16.register_forward_hook(lambda *_: calls.append(1))
    try:
        result = renderer.render(request(latent=LatentArgs(x=8), layer=LayerArgs(name='L2_36_16')))
    finally:
        handle.remove()
    assert calls == []  # Stopped after L2.
    feat = capture_with_hook(G, G.mapping(z_of(8), None), 'L2_36_16')
    assert_image(result, to_uint8(feat[:, :3]))
    assert result.stats.name == 'L2_36_16'
    assert result.stats.min == pytest.approx(float(feat.min()), abs=1e-5)
    np.testing.assert_allclose(result.stats.channel_mean, feat[0].mean(dim=[1, 2]).numpy(), atol=1e-5)
    assert len(result.layers) == 6


def test_layer_list_is_complete_when_the_first_request_selects_a_layer(renderer, loader):
    result = renderer.render(request(layer=LayerArgs(name='input')))
    assert len(result.layers) == 6 and result.image.shape == (36, 36, 3)


def test_layer_view_channel_normalize_gain_and_margins(renderer, loader):
    G = loader.nets['tiny:sg3']
    feat = capture_with_hook(G, G.mapping(z_of(8), None), 'L1_36_16')  # [1, 16, 36, 36]
    view = lambda **kw: renderer.render(request(latent=LatentArgs(x=8), layer=LayerArgs(name='L1_36_16', **kw)))
    grey = to_uint8(feat[:, [5]])[..., 0]
    assert_image(view(view='channel', channel=5), np.repeat(grey[..., None], 3, axis=2))
    assert_image(view(view='rgb', channel=15), to_uint8(feat[:, 13:16]))  # Moved down to fit 3 channels.
    assert_image(view(view='channel', channel=99), np.repeat(to_uint8(feat[:, [15]]), 3, axis=2))
    sel = feat[:, 4:7]
    normalized = sel / sel.abs().amax(dim=[2, 3], keepdim=True)
    assert_image(view(channel=4, normalize=True, gain_db=-6), to_uint8(normalized * 10 ** (-6 / 20)))
    cropped = view(channel=4, crop_margins=True)
    assert_image(cropped, to_uint8(sel[:, :, 10:-10, 10:-10]))


def test_stylegan2_block_output_capture(renderer, loader):
    G = loader.nets['tiny:sg2']
    result = renderer.render(request(network=SG2, latent=LatentArgs(x=1, class_idx=0), layer=LayerArgs(name='b8:1')))
    _x, img = capture_with_hook(G, G.mapping(z_of(1), torch.eye(3)[:1]), 'b8', noise_mode='const')
    assert_image(result, to_uint8(img))


def test_unknown_layer_is_an_error_listing_the_layers(renderer):
    result = renderer.render(request(layer=LayerArgs(name='L99_1_1')))
    assert result.image is None and "'L99_1_1'" in result.error and 'L2_36_16' in result.error
    assert [info.name for info in result.layers][-2:] == ['L3_16_16', 'L4_16_3']    # The list to choose another one from.
    assert renderer.render(request()).error is None

# ----------------------------------------------------------------------------
# Loading, caching, errors, progress, cancel.


def test_network_and_mapping_are_cached(renderer, loader):
    G = loader.nets['tiny:sg3']
    mapping_calls = []
    handle = G.mapping.register_forward_hook(lambda *_: mapping_calls.append(1))
    try:
        for _ in range(3):
            renderer.render(request(latent=LatentArgs(x=0.5)))
        renderer.render(request(latent=LatentArgs(x=1)))  # Seed 1 is one of the blended seeds: cached.
        renderer.render(request(latent=LatentArgs(x=1), truncation=TruncationArgs(psi=0.7)))  # New psi: mapped.
    finally:
        handle.remove()
    assert loader.calls == [('tiny:sg3', 'cpu', None)]
    assert len(mapping_calls) == 3  # Seeds 0 and 1, then seed 1 at psi 0.7.


def test_load_errors_are_data_not_retried_until_the_source_changes(renderer, loader):
    bad = RenderArgs(network=NetworkArgs(source='/no/such/file.pkl'), performance=CPU)
    first = renderer.render(bad)
    assert first.image is None and first.network is None and '/no/such/file.pkl' in first.error
    again = renderer.render(dataclasses.replace(bad, latent=LatentArgs(x=3)))
    assert again.error == first.error
    assert len(loader.calls) == 1
    assert renderer.render(request()).error is None
    renderer.render(bad)
    assert len(loader.calls) == 3  # Retried after another source was asked for.


def test_unavailable_device_is_an_error():
    if torch.cuda.is_available():
        pytest.skip('CUDA present')
    result = Renderer(load_fn=Loader()).render(RenderArgs(network=SG3, performance=PerformanceArgs(device='cuda')))
    assert result.image is None and "device 'cuda'" in result.error


def test_out_of_memory_becomes_an_error_message(loader):
    G = loader.nets['tiny:sg3']
    def oom(*_):
        raise RuntimeError('CUDA out of memory. Tried to allocate 20.00 GiB')
    renderer = Renderer(load_fn=loader)
    handle = G.synthesis.L1_36_16.register_forward_hook(oom)
    try:
        result = renderer.render(request())
    finally:
        handle.remove()
    assert result.image is None and result.error.startswith('Out of memory') and 'Tried to allocate' in result.error
    assert renderer.render(request()).error is None


def test_loading_reports_progress_once(renderer):
    reports = []
    renderer.render(request(), stamp=3, progress=reports.append)
    renderer.render(request(), stamp=4, progress=reports.append)
    assert len(reports) == 1 and reports[0].stamp == 3 and 'tiny:sg3' in reports[0].loading and reports[0].image is None


def test_cancel_stops_between_layers(renderer, loader):
    G = loader.nets['tiny:sg3']
    renderer.render(request())
    cancel = threading.Event()
    later = []
    h1 = G.synthesis.L0_36_16.register_forward_hook(lambda *_: cancel.set())
    h2 = G.synthesis.L2_36_16.register_forward_hook(lambda *_: later.append(1))
    try:
        result = renderer.render(request(latent=LatentArgs(x=1)), cancel=cancel)
    finally:
        h1.remove()
        h2.remove()
    assert result.error == 'cancelled' and later == []


def test_renderer_in_the_worker(loader):
    with RenderWorker(Renderer(load_fn=loader)) as worker:
        worker.submit(request(latent=LatentArgs(x=3)))
        result = worker.wait(timeout=30)
    assert_image(result, to_uint8(loader.nets['tiny:sg3'](z_of(3), None)))

# ----------------------------------------------------------------------------
# bfloat16 preview while dragging.

PREVIEW = PerformanceArgs(device='cpu', preview_bf16=True, interacting=True)
SETTLED = PerformanceArgs(device='cpu', preview_bf16=True, interacting=False)


def test_bf16_preview_runs_only_while_interacting(renderer, loader):
    import sg3.ops
    G = loader.nets['tiny:sg3']
    supported, reason = sg3.ops.bfloat16_support('cpu')
    plain = renderer.render(request(latent=LatentArgs(x=3)))
    preview = renderer.render(RenderArgs(network=SG3, latent=LatentArgs(x=3), performance=PREVIEW))
    settled = renderer.render(RenderArgs(network=SG3, latent=LatentArgs(x=3), performance=SETTLED))
    assert (plain.network.bf16_supported, plain.network.bf16_reason) == (supported, reason) and reason
    # Not interacting (or preview off): float32, exactly the plain render.
    assert plain.precision == settled.precision == 'float32'
    np.testing.assert_array_equal(settled.image, plain.image)
    assert settled.stats.mean == plain.stats.mean and np.array_equal(settled.stats.channel_std, plain.stats.channel_std)
    if not supported:
        assert preview.precision == 'float32'
        np.testing.assert_array_equal(preview.image, plain.image)
        return
    # Interacting: the modulated convolutions ran in bfloat16 (as a direct call of the generator in that mode)...
    assert preview.precision == 'bfloat16'
    with sg3.ops.use_conv_dtype(torch.bfloat16):
        expected = G(z_of(3), None)
    assert_image(preview, to_uint8(expected))
    # ... which is close to float32 but not equal.
    diff = np.abs(preview.image.astype(int) - plain.image.astype(int))
    assert diff.max() > 0 and diff.mean() < 2
    assert preview.stats.mean != plain.stats.mean
    assert preview.stats.mean == pytest.approx(plain.stats.mean, abs=0.02)
    # The mapping cache is float32 only: the next plain render is still exact.
    np.testing.assert_array_equal(renderer.render(request(latent=LatentArgs(x=3))).image, plain.image)


def test_bf16_preview_falls_back_to_float32_where_unsupported(loader, monkeypatch):
    import sg3.ops
    monkeypatch.setattr(sg3.ops, 'bfloat16_support', lambda device: (False, f'no bfloat16 on {device} here'))
    renderer = Renderer(load_fn=loader)
    plain = renderer.render(request(latent=LatentArgs(x=2)))
    preview = renderer.render(RenderArgs(network=SG3, latent=LatentArgs(x=2), performance=PREVIEW))
    assert not preview.network.bf16_supported and preview.network.bf16_reason == 'no bfloat16 on cpu here'
    assert preview.precision == 'float32'
    np.testing.assert_array_equal(preview.image, plain.image)


def test_equivariance_identity_cache_keeps_precisions_apart(renderer, loader):
    import sg3.ops
    from viz.protocol import AnalysisArgs
    if not sg3.ops.bfloat16_support('cpu')[0]:
        pytest.skip('this CPU has no fast bfloat16: the preview renders float32')
    eq = AnalysisArgs(eq_mode='eqt_frac')

    def heatmap(x, performance, renderer=renderer):
        return renderer.render(RenderArgs(network=SG3, latent=LatentArgs(x=5), transform=TransformArgs(x=x),
            performance=performance, analysis=eq))
    fresh = heatmap(0.02, CPU, Renderer(load_fn=loader))
    dragged = heatmap(0.01, PREVIEW)
    assert dragged.precision == 'bfloat16' and not dragged.analysis.equivariance.identity_reused
    released = heatmap(0.02, SETTLED)
    # The bfloat16 identity render is not reused for the full-precision frame.
    assert released.precision == 'float32' and not released.analysis.equivariance.identity_reused
    np.testing.assert_array_equal(released.image, fresh.image)
    assert released.analysis.equivariance.psnr == fresh.analysis.equivariance.psnr
    # Each precision reuses its own identity render.
    again = heatmap(0.03, PREVIEW)
    assert again.precision == 'bfloat16' and again.analysis.equivariance.identity_reused
    settled = heatmap(0.02, SETTLED)
    assert settled.analysis.equivariance.identity_reused
    np.testing.assert_array_equal(settled.image, fresh.image)
    assert again.analysis.equivariance.mse != heatmap(0.03, SETTLED).analysis.equivariance.mse

# ----------------------------------------------------------------------------
# The untransform resampler on its own.


def cosines(m: np.ndarray, n: int, unit: float) -> tuple[torch.Tensor, np.ndarray]:
    """A band-limited pattern f(m p) on an n x n grid of pixel centres p (unit pixels per transform unit, centred),
    [1, 1, n, n]; and, per pixel, how far m p lies inside the grid, in pixels."""
    u = (np.arange(n) + 0.5 - n / 2) / unit
    py, px = np.meshgrid(u, u, indexing='ij')
    qx, qy = m[0, 0] * px + m[0, 1] * py + m[0, 2], m[1, 0] * px + m[1, 1] * py + m[1, 2]
    waves = ((5.0, 3.0, 0.3), (-2.0, 6.0, 1.1), (7.0, -1.0, 2.0))              # Cycles per unit, phase.
    f = sum(np.cos(2 * np.pi * (fx * qx + fy * qy) + phase) for fx, fy, phase in waves) / len(waves)
    inside = n / 2 - np.maximum(np.abs(qx), np.abs(qy)) * unit
    return torch.from_numpy(f)[None, None].float(), inside


@pytest.mark.parametrize('xf, n, unit', [
    (TransformArgs(x=0.0371, y=-0.0213, angle_deg=17.0), 64, 64),
    (TransformArgs(x=-0.1, angle_deg=-40.0, scale=1.25), 64, 64),
    (TransformArgs(y=0.05, angle_deg=100.0, scale=0.8), 64, 64),
    (TransformArgs(x=0.1, angle_deg=30.0), 52, 32),                            # A layer: 52 pixels, 32 per image.
])
def test_untransform_recovers_a_transformed_band_limited_pattern(xf, n, unit):
    m = matrix(xf)
    shown, _ = cosines(np.linalg.inv(m), n, unit)                               # What the generator shows: f moved by m.
    original, _ = cosines(np.eye(3), n, unit)
    valid = torch.from_numpy(cosines(m, n, unit)[1] > 8)                        # Sources 8 pixels inside the image.
    assert valid.float().mean() > 0.3

    def psnr(z: torch.Tensor) -> float:
        mse = float((z - original)[0, 0][valid].square().mean())
        return 10 * np.log10(4 / mse)
    assert psnr(render_ops.untransform(shown, m, unit=unit)) > 40
    assert psnr(render_ops.untransform(shown, np.linalg.inv(m), unit=unit)) < 15  # The wrong way round.


def test_untransform_of_the_identity_is_the_identity():
    x = torch.randn(2, 3, 12, 12, generator=torch.Generator().manual_seed(0))
    assert render_ops.untransform(x, np.eye(3)) is x

# ----------------------------------------------------------------------------
# The real loader: files, URLs (a local server) and built-in names.


def test_default_loader_file_url_and_unknown_builtin(loader, tmp_path, monkeypatch):
    save_network = pytest.importorskip('sg3.checkpoint').save_network  # The loader lands with the checkpoint module.
    G = loader.nets['tiny:sg2']
    path = tmp_path / 'tiny.safetensors'
    save_network(G, str(path))
    renderer = Renderer(load_fn=default_load)
    latent = LatentArgs(x=2, class_idx=1)
    expected = to_uint8(G(z_of(2), torch.eye(3)[1:2], noise_mode='const'))
    from_file = renderer.render(RenderArgs(network=NetworkArgs(source=str(path)), latent=latent, performance=CPU))
    assert_image(from_file, expected)
    assert from_file.network.architecture == 'stylegan2' and from_file.network.source == str(path)

    # Over HTTP from 127.0.0.1, with download progress reported while loading.
    monkeypatch.setenv('SG3_CACHE_DIR', str(tmp_path / 'cache'))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f'http://127.0.0.1:{server.server_address[1]}/tiny.safetensors'
        reports = []
        from_url = renderer.render(RenderArgs(network=NetworkArgs(source=url), latent=latent, performance=CPU),
            stamp=5, progress=reports.append)
        missing = renderer.render(RenderArgs(network=NetworkArgs(source=url.replace('tiny', 'gone')), performance=CPU))
    finally:
        server.shutdown()
        server.server_close()
    assert_image(from_url, expected)
    texts = [r.loading for r in reports]
    assert texts[0].startswith(f'Loading {url}') and any(t.startswith(f'Downloading {url}') and '(100%)' in t for t in texts)
    assert missing.image is None and '404' in missing.error

    unknown = renderer.render(RenderArgs(network=NetworkArgs(source='builtin:nope'), performance=CPU))
    assert unknown.image is None and "'builtin:nope'" in unknown.error and 'builtin:sg3-t' in unknown.error


def test_renderer_and_worker_import_no_gui_modules():
    import subprocess
    import sys
    code = ('import sys, viz.render.renderer, viz.render.worker, viz.render.ops, viz.protocol; '
        'bad = [m for m in sys.modules if m.split(".")[0] in ("imgui", "glfw", "OpenGL", "gui_utils")] or '
        '[m for m in sys.modules if m.startswith("viz.imgui.widgets")]; print(bad); sys.exit(1 if bad else 0)')
    done = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=str(__import__('pathlib').Path(__file__).parents[3]))
    assert done.returncode == 0, done.stdout + done.stderr


def test_unavailable_devices_are_render_errors_with_sg3s_message(monkeypatch):
    """The renderer resolves devices through sg3.resolve_device: same messages, as RenderError."""
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(torch.cuda, 'device_count', lambda: 1)
    assert resolve_device('cuda:0') == 'cuda:0'
    with pytest.raises(RenderError, match="device 'cuda:1': expected cuda:N with N from 0 to 0"):
        resolve_device('cuda:1')
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    with pytest.raises(RenderError, match="device 'cuda' was asked for, but this PyTorch has no usable CUDA device"):
        resolve_device('cuda')
