"""The transform preview's maths (viz.core.preview) against independent computations: NVIDIA's make_transform, and
real renders of a StyleGAN3 network by the renderer (its Fourier input layer is exactly equivariant, so the shown
image moved by the preview's map must equal the render with the new transform); when there is no preview; the
setting through the view core."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from sg3 import networks_stylegan3
from sg3.transforms import make_transform
from tests.viz.fakes import FakeWorker, summary
from viz.core import preview
from viz.core.view_core import ViewCore
from viz.protocol import (AnalysisArgs, LatentArgs, LayerArgs, NetworkArgs, NetworkSummary, PerformanceArgs, RenderArgs,
    RenderResult, TransformArgs)
from viz.render.renderer import Renderer

pytestmark = pytest.mark.usefixtures('one_thread')


def sample(image: np.ndarray, warp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """image [H, W, C] read through `warp` (texture coordinates drawn -> read) at every pixel centre, bilinearly,
    as a GPU samples a texture; and where the read falls inside the image (at least one pixel from its edge)."""
    h, w = image.shape[:2]
    v, u = np.meshgrid((np.arange(h) + 0.5) / h, (np.arange(w) + 0.5) / w, indexing='ij')
    src = np.einsum('ij,jhw->ihw', warp, np.stack([u, v, np.ones_like(u)]))
    x, y = src[0] * w - 0.5, src[1] * h - 0.5
    valid = (x >= 1) & (x <= w - 2) & (y >= 1) & (y <= h - 2)
    x0, y0 = np.clip(np.floor(x).astype(int), 0, w - 2), np.clip(np.floor(y).astype(int), 0, h - 2)
    fx, fy = np.clip(x - x0, 0, 1)[..., None], np.clip(y - y0, 0, 1)[..., None]
    img = image.astype(np.float64)
    top = img[y0, x0] * (1 - fx) + img[y0, x0 + 1] * fx
    bottom = img[y0 + 1, x0] * (1 - fx) + img[y0 + 1, x0 + 1] * fx
    return top * (1 - fy) + bottom * fy, valid


@pytest.mark.parametrize('t', [TransformArgs(), TransformArgs(x=0.1, y=-0.05), TransformArgs(angle_deg=30, scale=1.5),
    TransformArgs(x=-0.3, y=0.2, angle_deg=-120, scale=0.7)])
def test_image_transform_is_nvidias_make_transform(t):
    np.testing.assert_allclose(preview.image_transform(t), make_transform((t.x, t.y), t.angle_deg, t.scale), atol=1e-12)

# ----------------------------------------------------------------------------
# Against real renders.


@pytest.fixture(scope='module')
def renderer():
    torch.manual_seed(5)
    G = networks_stylegan3.Generator(z_dim=8, c_dim=0, w_dim=8, img_resolution=32, img_channels=3, channel_base=1024,
        channel_max=16, num_layers=4).eval().requires_grad_(False)
    return Renderer(load_fn=lambda source, device, key, progress=None: G)


def render(renderer, layer=None, **transform) -> RenderResult:
    args = RenderArgs(network=NetworkArgs(source='tiny'), performance=PerformanceArgs(device='cpu'),
        layer=LayerArgs(name=layer, normalize=layer is not None), transform=TransformArgs(**transform))
    result = renderer.render(args)
    assert result.error is None, result.error
    return result


@pytest.mark.parametrize('before, after', [
    (dict(), dict(x=0.125)),
    (dict(x=0.05, y=0.1), dict(x=-0.1, y=0.2)),
    (dict(), dict(angle_deg=25)),
    (dict(angle_deg=-10, x=0.1), dict(angle_deg=40, y=-0.1)),
    (dict(), dict(scale=1.25)),
])
def test_the_fourier_input_moved_by_the_preview_equals_its_render_with_the_new_transform(renderer, before, after):
    """The input layer is sin(2 pi (f . T p + phase)): exactly equivariant, with margins (the layer's grid spans
    (size / sampling rate) image units)."""
    shown = render(renderer, 'input', **before)
    exact = render(renderer, 'input', **after)
    # The channels are normalised by their own maximum in each render: compare without gain (the same weights).
    shown, exact = (dataclasses.replace(r, args=dataclasses.replace(r.args, layer=LayerArgs(name='input'))) for r in (shown, exact))
    warp = preview.preview_warp(shown, exact.args)
    assert warp is not None
    moved, valid = sample(shown.image, warp)
    assert valid.mean() > 0.4
    error = np.abs(moved - exact.image)[valid].mean()
    unmoved = np.abs(shown.image.astype(float) - exact.image)[valid].mean()
    assert error < 3 and error < unmoved / 5, (error, unmoved)


def test_the_output_moved_by_the_preview_is_close_to_the_translated_render(renderer):
    shown = render(renderer, **{})
    exact = render(renderer, x=0.125, y=-0.0625)
    moved, valid = sample(shown.image, preview.preview_warp(shown, exact.args))
    error = np.abs(moved - exact.image)[valid].mean()
    unmoved = np.abs(shown.image.astype(float) - exact.image)[valid].mean()
    assert error < unmoved / 3, (error, unmoved)
    # 4 px right and 2 px up: margins of 4 columns at the left and 2 rows at the bottom (1 more: bilinear reads).
    assert not valid[:, :4].any() and not valid[-2:].any() and valid[1:-3, 6:-1].all()

# ----------------------------------------------------------------------------
# When there is nothing to preview.


def result_for(args: RenderArgs, has_transform: bool = True) -> RenderResult:
    network = NetworkSummary(source='x', architecture='stylegan3-t', img_resolution=8, img_channels=3, z_dim=8, c_dim=0,
        w_dim=8, num_ws=4, num_params=1, device='cpu', has_transform=has_transform, has_noise=False)
    return RenderResult(stamp=1, image=np.zeros((8, 8, 3), np.uint8), network=network, args=args)


def test_no_preview_without_a_transform_change_alone():
    base = RenderArgs(transform=TransformArgs(x=0.1))
    moved = dataclasses.replace(base, transform=TransformArgs(x=0.2))
    assert preview.preview_warp(result_for(base), moved) is not None
    interacting = dataclasses.replace(moved, performance=PerformanceArgs(interacting=True))
    assert preview.preview_warp(result_for(base), interacting) is not None              # Dragging is not another change.
    for current in (base, dataclasses.replace(moved, latent=LatentArgs(x=1)), dataclasses.replace(moved, analysis=AnalysisArgs(eq_mode='eqt')),
            dataclasses.replace(moved, analysis=AnalysisArgs(spectrum=True)), dataclasses.replace(moved, transform=TransformArgs(x=0.2, untransform=True)),
            dataclasses.replace(moved, transform=TransformArgs(x=0.2, scale=0))):
        assert preview.preview_warp(result_for(base), current) is None, current
    for extreme in (TransformArgs(scale=1e-320), TransformArgs(scale=1e308, x=1e308), TransformArgs(scale=1e-300, angle_deg=1e300)):
        warp = preview.preview_warp(result_for(base), dataclasses.replace(moved, transform=extreme))  # Never raises.
        assert warp is None or np.isfinite(warp).all()
    assert preview.preview_warp(result_for(base, has_transform=False), moved) is None   # StyleGAN2.
    assert preview.preview_warp(None, moved) is None
    layer = dataclasses.replace(base, layer=LayerArgs(name='L2'))
    assert preview.preview_warp(result_for(layer), dataclasses.replace(layer, transform=TransformArgs(x=0.3))) is None  # No sampling rate known.

# ----------------------------------------------------------------------------
# The setting, through the view core.


def test_the_setting_is_on_by_default_and_turns_the_preview_off(tmp_path):
    worker = FakeWorker()
    core = ViewCore(worker, config_dir=tmp_path / 'config', sources=('fake:net',))
    assert core.performance.state.transform_preview
    core.update(0.0)
    worker.post(image=np.zeros((8, 8, 3), np.uint8), network=summary())
    core.poll()
    core.act('transform', 'set', x=0.25)
    core.update(0.0)
    assert core.last_args.transform.x == 0.25
    warp = core.preview_warp()
    assert warp is not None and np.allclose(warp @ [0.75, 0.5, 1], [0.5, 0.5, 1])    # The centre moved a quarter to the right.
    core.act('performance', 'set', transform_preview=False)
    assert core.preview_warp() is None
    saved = core.view_state()
    assert saved['controllers']['performance']['transform_preview'] is False
    core.act('performance', 'set', transform_preview=True)
    core.apply_view_state(saved, 'test')
    assert not core.performance.state.transform_preview
