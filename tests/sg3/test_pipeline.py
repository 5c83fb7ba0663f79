"""sg3.pipeline: seed -> latent against numpy's RandomState, the synthesis run up to a layer against a full pass
with the test's own hooks and NVIDIA's layer outputs, and the 8-bit conversion against the formula in numpy."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sg3 import networks_stylegan2, networks_stylegan3, pipeline

from tests.reference import REFERENCE_DIR as REFERENCE, needs_reference


@pytest.fixture(scope='module')
def sg3() -> torch.nn.Module:
    torch.manual_seed(1)
    return networks_stylegan3.Generator(z_dim=8, c_dim=0, w_dim=8, img_resolution=16, img_channels=3,
        channel_base=512, channel_max=16, num_layers=4).eval().requires_grad_(False)


@pytest.fixture(scope='module')
def sg2() -> torch.nn.Module:
    torch.manual_seed(3)
    return networks_stylegan2.Generator(z_dim=8, c_dim=3, w_dim=8, img_resolution=16, img_channels=3,
        channel_base=256, channel_max=16).eval().requires_grad_(False)


def hooked_outputs(G: torch.nn.Module, ws: torch.Tensor, **kwargs) -> tuple[torch.Tensor, dict[str, object], list[str]]:
    """A full pass with the test's own hooks: (output, module path -> its output, paths in the order they ran)."""
    outputs, order = {}, []

    def hook(module: torch.nn.Module, _inputs: object, out: object) -> None:
        outputs.setdefault(paths[module], out)
        order.append(paths[module])
    paths = {module: path for path, module in G.synthesis.named_modules() if path}
    handles = [module.register_forward_hook(hook) for module in paths]
    try:
        with torch.no_grad():
            out = G.synthesis(ws, **kwargs)
    finally:
        for handle in handles:
            handle.remove()
    return out, outputs, order

# ----------------------------------------------------------------------------
# Seed -> latent.


@pytest.mark.parametrize('seed', [0, 7, 2 ** 32 - 1])
def test_seed_latent_is_numpys_random_state(seed: int) -> None:
    z, c = pipeline.seed_latent(seed, 512)
    assert z.dtype == torch.float32 and z.shape == (1, 512) and c.shape == (1, 0)
    np.testing.assert_array_equal(z.numpy(), np.random.RandomState(seed).randn(1, 512).astype(np.float32))


def test_conditional_class_is_drawn_after_z_or_given() -> None:
    rnd = np.random.RandomState(5)
    rnd.randn(1, 4)
    drawn = rnd.randint(10)
    z, c = pipeline.seed_latent(5, 4, 10)
    np.testing.assert_array_equal(z.numpy(), np.random.RandomState(5).randn(1, 4).astype(np.float32))
    np.testing.assert_array_equal(c.numpy(), np.eye(10, dtype=np.float32)[[drawn]])
    _z, c = pipeline.seed_latent(5, 4, 10, class_idx=3)
    np.testing.assert_array_equal(c.numpy(), np.eye(10, dtype=np.float32)[[3]])


@pytest.mark.parametrize('kwargs, message', [
    (dict(seed=-1, z_dim=4), 'seed = -1: expected an integer from 0 to 2\\*\\*32 - 1'),
    (dict(seed=2 ** 32, z_dim=4), 'seed = 4294967296'),
    (dict(seed=1.5, z_dim=4), 'seed = 1.5'),
    (dict(seed=0, z_dim=4, c_dim=3, class_idx=3), 'class 3: this network has 3 classes; expected 0 to 2'),
    (dict(seed=0, z_dim=4, class_idx=0), 'class 0: this network is unconditional'),
])
def test_bad_seeds_and_classes_are_latent_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(pipeline.LatentError, match=message):
        pipeline.seed_latent(**kwargs)

# ----------------------------------------------------------------------------
# Synthesis up to a layer.


def test_layers_are_every_image_output_in_order(sg3: torch.nn.Module, sg2: torch.nn.Module) -> None:
    ws = sg3.mapping(*pipeline.seed_latent(1, 8))
    out, layers = pipeline.run_synthesis(sg3, ws)
    full, outputs, order = hooked_outputs(sg3, ws)
    torch.testing.assert_close(out, full, rtol=0, atol=0)
    assert [layer.name for layer in layers] == ['input', *sg3.synthesis.layer_names]
    assert [layer.name for layer in layers] == [path for path in order if outputs[path].ndim == 4]
    assert all(layer.shape == tuple(outputs[layer.path].shape) and layer.dtype == 'float32' for layer in layers)

    # StyleGAN2 blocks return (x, img): two layers with ':0', ':1'.
    ws2 = sg2.mapping(*pipeline.seed_latent(1, 8, 3))
    _out, layers = pipeline.run_synthesis(sg2, ws2, noise_mode='const')
    names = [layer.name for layer in layers]
    assert names[:4] == ['b4.conv1', 'b4.torgb', 'b4:0', 'b4:1'] and names[-1] == 'b16:1'
    assert {layer.path for layer in layers if layer.name.startswith('b8:')} == {'b8'}


@pytest.mark.parametrize('name, path, index', [('L2_36_16', 'L2_36_16', None), ('synthesis.input', 'input', None)])
def test_early_exit_equals_the_full_pass_and_runs_fewer_modules(sg3: torch.nn.Module, name: str, path: str, index) -> None:
    ws = sg3.mapping(*pipeline.seed_latent(2, 8))
    _full, outputs, order = hooked_outputs(sg3, ws)
    ran = []
    handles = [module.register_forward_hook(lambda *_: ran.append(1)) for module in sg3.synthesis.modules()]
    try:
        x, layers = pipeline.run_synthesis(sg3, ws, name)
    finally:
        for handle in handles:
            handle.remove()
    torch.testing.assert_close(x, outputs[path], rtol=0, atol=0)
    assert layers[-1].path == path and len(ran) == order.index(path) + 1 < len(order)
    assert all(not module._forward_hooks for module in sg3.synthesis.modules())


def test_a_tuple_output_and_output_by_name(sg2: torch.nn.Module) -> None:
    ws = sg2.mapping(*pipeline.seed_latent(3, 8, 3))
    full, outputs, _order = hooked_outputs(sg2, ws, noise_mode='const')
    img, layers = pipeline.run_synthesis(sg2, ws, 'b8:1', noise_mode='const')
    torch.testing.assert_close(img, outputs['b8'][1], rtol=0, atol=0)
    assert layers[-1].name == 'b8:1'
    out, _layers = pipeline.run_synthesis(sg2, ws, pipeline.OUTPUT, noise_mode='const')
    torch.testing.assert_close(out, full, rtol=0, atol=0)


def test_unknown_layer_is_a_layer_error_with_the_full_list(sg2: torch.nn.Module) -> None:
    ws = sg2.mapping(*pipeline.seed_latent(3, 8, 3))
    with pytest.raises(pipeline.LayerError, match=r"layer 'b16:2': not a layer of this network; expected one of b4.conv1, .*b16:1") as info:
        pipeline.run_synthesis(sg2, ws, 'b16:2', noise_mode='const')
    assert info.value.layers[-1].name == 'b16:1'
    assert all(not module._forward_hooks for module in sg2.synthesis.modules())


def test_should_stop_ends_the_pass_between_modules(sg3: torch.nn.Module) -> None:
    ws = sg3.mapping(*pipeline.seed_latent(4, 8))
    polls = []
    with pytest.raises(pipeline.SynthesisCancelled):
        pipeline.run_synthesis(sg3, ws, should_stop=lambda: polls.append(1) or len(polls) == 3)
    assert len(polls) == 3

    class Stop(Exception):
        pass

    def stop() -> bool:
        raise Stop()
    with pytest.raises(Stop):                                                   # A callback may raise its own exception.
        pipeline.run_synthesis(sg3, ws, 'L3_16_16', should_stop=stop)
    assert all(not module._forward_hooks for module in sg3.synthesis.modules())


@needs_reference
def test_layer_outputs_match_nvidias(sg3t_G: torch.nn.Module, sg2_G: torch.nn.Module) -> None:
    layers = np.load(REFERENCE / 'sg3t-64' / 'layers.npz')
    ws = torch.from_numpy(np.load(REFERENCE / 'sg3t-64' / 'outputs.npz')['ws_s0_psi1.0']).float()
    x, _layers = pipeline.run_synthesis(sg3t_G, ws, 'L3_36_128', noise_mode='const')
    expected = layers['synthesis.L3_36_128']
    assert np.abs(x[0].numpy() - expected).max() <= 1e-4 * np.abs(expected).max()

    layers2 = np.load(REFERENCE / 'sg2-64' / 'layers.npz')
    ws2 = torch.from_numpy(np.load(REFERENCE / 'sg2-64' / 'outputs.npz')['ws_s0_psi1.0']).float()
    img16, _layers = pipeline.run_synthesis(sg2_G, ws2, 'b16:1', noise_mode='const')
    expected = layers2['synthesis.b16[1]']
    assert np.abs(img16[0].numpy() - expected).max() <= 1e-4 * np.abs(expected).max()

# ----------------------------------------------------------------------------
# 8-bit images.


def test_to_uint8_is_nvidias_formula() -> None:
    x = torch.linspace(-1.2, 1.2, 2 * 5 * 7).reshape(2, 5, 7)
    for gain in (1.0, 0.5, 3.0):
        expected = np.clip(np.floor(x.double().numpy() * gain * 127.5 + 128), 0, 255).astype(np.uint8).transpose(1, 2, 0)
        img = pipeline.to_uint8(x, gain=gain)
        assert img.dtype == np.uint8 and img.shape == (5, 7, 2) and img.flags.c_contiguous
        assert np.abs(img.astype(int) - expected).max() <= 1                    # Equal up to rounding at .5 boundaries.
    with pytest.raises(pipeline.Sg3Error, match=r'expected a tensor \[C, H, W\]'):
        pipeline.to_uint8(torch.zeros(1, 3, 4, 4))
