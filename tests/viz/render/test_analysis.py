"""Analysis in the renderer (issue 6): the equivariance heatmap against independent `equivariance_pair` calls,
identity-render reuse, StyleGAN2's reason, spectrum peaks and overlays against the layers' own attributes.
Background commands (metrics, averages, exports) are tested in test_commands.py, with this module's networks."""

import dataclasses
import math

import numpy as np
import pytest
import torch

from sg3 import equivariance, networks_stylegan2, networks_stylegan3, spectra
from viz.render import pictures
from viz.render import ops as render_ops
from viz.protocol import (AnalysisArgs, LatentArgs, LayerArgs, NetworkArgs, PerformanceArgs, RenderArgs, TransformArgs,
    TruncationArgs)
from viz.render.renderer import Renderer


pytestmark = pytest.mark.usefixtures('one_thread')


def build_sg3(radial: bool = False) -> torch.nn.Module:
    torch.manual_seed(1)
    kwargs = dict(conv_kernel=1, use_radial_filters=True) if radial else {}
    G = networks_stylegan3.Generator(z_dim=8, c_dim=0, w_dim=8, img_resolution=16, img_channels=3,
        channel_base=512, channel_max=16, num_layers=4, **kwargs)
    gen = torch.Generator().manual_seed(2)
    with torch.no_grad():
        G.mapping.w_avg.copy_(torch.randn(G.w_dim, generator=gen))
        for name, p in G.named_parameters():
            if name.endswith('bias') and not name.startswith('synthesis.input.'):
                p.add_(torch.randn(p.shape, generator=gen) * 0.3)
        G.synthesis.L4_16_3.weight.mul_(20)
    return G.eval().requires_grad_(False)


def build_sg2() -> torch.nn.Module:
    torch.manual_seed(3)
    G = networks_stylegan2.Generator(z_dim=8, c_dim=0, w_dim=8, img_resolution=16, img_channels=3,
        channel_base=256, channel_max=16)
    return G.eval().requires_grad_(False)


class Loader:
    def __init__(self) -> None:
        self.nets = {'tiny:sg3': build_sg3(), 'tiny:sg3r': build_sg3(radial=True), 'tiny:sg2': build_sg2()}

    def __call__(self, source, device, key, progress=None):
        return self.nets[source]


@pytest.fixture(scope='module')
def loader():
    return Loader()


def request(source='tiny:sg3', **parts) -> RenderArgs:
    return RenderArgs(network=NetworkArgs(source), performance=PerformanceArgs(device='cpu'), **parts)


def seed_ws(G, seed: int, psi: float = 1.0) -> torch.Tensor:
    """W of an integer seed as NVIDIA's viewer draws it (the renderer's documented convention)."""
    z = torch.from_numpy(np.random.RandomState(seed).randn(1, G.z_dim).astype(np.float32))
    with torch.no_grad():
        return G.mapping(z, None, truncation_psi=psi)


def panel(image: np.ndarray, panels, name: str) -> np.ndarray:
    p = next(p for p in panels if p.name == name)
    return image[p.y:p.y + p.height, p.x:p.x + p.width]


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """The viewer's documented 8-bit conversion, written out: clamp(floor(x * 127.5 + 128), 0, 255)."""
    return (x * 127.5 + 128).clamp(0, 255).to(torch.uint8).permute(1, 2, 0).numpy()


class CountingSynthesis:
    """Counts forward passes of G.synthesis."""

    def __init__(self, G) -> None:
        self.count = 0
        self._forward = G.synthesis.forward

        def forward(*args, **kwargs):
            self.count += 1
            return self._forward(*args, **kwargs)
        G.synthesis.forward = forward
        self.G = G

    def close(self) -> None:
        del self.G.synthesis.forward

# ----------------------------------------------------------------------------
# Colour map and equivariance heatmap.


def test_colour_maps_follow_matplotlib():
    import matplotlib
    for name in ('viridis', 'inferno'):
        ours = pictures.colormap(name).astype(int)
        theirs = np.rint(matplotlib.colormaps[name](np.linspace(0, 1, 256))[:, :3] * 255).astype(int)
        assert np.abs(ours - theirs).max() <= 7, name
    # Monotone lightness: viridis is perceptually ordered.
    grey = pictures.colormap('viridis').astype(float) @ [0.299, 0.587, 0.114]
    assert np.all(np.diff(grey) > -1)


@pytest.mark.parametrize('mode, transform', [
    ('eqt', TransformArgs(x=3 / 16, y=-2 / 16)),
    ('eqt_frac', TransformArgs(x=0.071, y=0.033)),
    ('eqr', TransformArgs(angle_deg=23.0)),
])
def test_heatmap_equals_colour_mapped_error_map_of_an_independent_pair(loader, mode, transform):
    G = loader.nets['tiny:sg3']
    renderer = Renderer(load_fn=loader)
    args = request(latent=LatentArgs(x=5), truncation=TruncationArgs(psi=0.7), transform=transform,
        analysis=AnalysisArgs(eq_mode=mode))
    result = renderer.render(args)
    assert result.error is None, result.error
    view = result.analysis.equivariance
    assert view is not None and view.mode == mode

    # Independent pair for the same latent and transform.
    pair = equivariance.equivariance_pair(G, seed_ws(G, 5, psi=0.7), mode=mode, translate=(transform.x, transform.y),
        angle=math.radians(transform.angle_deg))
    error = pair.error[0].mean(dim=0).numpy()
    mask = (pair.mask[0] > 0).all(dim=0).numpy()
    assert view.psnr == pytest.approx(pair.psnr, rel=1e-9) and math.isfinite(view.psnr)
    assert view.error_max == pytest.approx(error[mask].max(), rel=1e-6)
    np.testing.assert_allclose(view.error_map, error, rtol=1e-6, atol=1e-12)
    np.testing.assert_array_equal(view.mask, mask)

    # The error panel is the documented colour mapping of that error map (automatic scale = its maximum).
    lut = pictures.colormap('viridis')
    expected = lut[np.rint(np.clip(error / error[mask].max(), 0, 1) * 255).astype(int)]
    expected[~mask] = pictures.MASKED_RGB
    shown = panel(result.image, view.panels, 'error')
    assert np.abs(shown.astype(int) - expected.astype(int)).max() <= 1
    assert (np.abs(shown.astype(int) - expected.astype(int)) > 0).mean() < 0.01
    assert (~mask).any() or mode == 'eqr'

    # Reference and generated panels are the pair's pictures with the viewer's 8-bit conversion.
    np.testing.assert_array_equal(panel(result.image, view.panels, 'reference'), to_uint8(pair.reference[0]))
    np.testing.assert_array_equal(panel(result.image, view.panels, 'generated'), to_uint8(pair.compared[0]))
    if mode != 'eqr':
        # The generated picture is exactly what the viewer shows for this transform without the heatmap.
        plain = renderer.render(dataclasses.replace(args, analysis=AnalysisArgs()))
        np.testing.assert_array_equal(panel(result.image, view.panels, 'generated'), plain.image)

    # Colour bar: top = scale maximum, bottom = 0.
    bar = panel(result.image, view.panels, 'colorbar')
    np.testing.assert_array_equal(bar[0, 0], lut[255])
    np.testing.assert_array_equal(bar[-1, 0], lut[0])


def test_fixed_scale_layouts_and_identity_psnr(loader):
    renderer = Renderer(load_fn=loader)
    base = request(transform=TransformArgs(x=0.05), analysis=AnalysisArgs(eq_mode='eqt_frac', eq_scale_max=1e-3))
    side = renderer.render(base)
    view = side.analysis.equivariance
    assert view.scale_max == 1e-3
    error_only = renderer.render(dataclasses.replace(base, analysis=AnalysisArgs(eq_mode='eqt_frac', eq_scale_max=1e-3, eq_layout='error')))
    assert [p.name for p in error_only.analysis.equivariance.panels] == ['error', 'colorbar']
    np.testing.assert_array_equal(panel(error_only.image, error_only.analysis.equivariance.panels, 'error'),
        panel(side.image, view.panels, 'error'))
    expected = pictures.colormap('viridis')[np.rint(np.clip(view.error_map / 1e-3, 0, 1) * 255).astype(int)]
    expected[~view.mask] = pictures.MASKED_RGB
    assert np.abs(panel(side.image, view.panels, 'error').astype(int) - expected.astype(int)).max() <= 1
    for layout in ('reference', 'generated'):
        single = renderer.render(dataclasses.replace(base, analysis=AnalysisArgs(eq_mode='eqt_frac', eq_layout=layout)))
        np.testing.assert_array_equal(single.image, panel(side.image, view.panels, layout))
    # No transform, whole pixels: generate-then-transform and transform-then-generate agree exactly.
    same = renderer.render(request(analysis=AnalysisArgs(eq_mode='eqt')))
    assert same.analysis.equivariance.psnr == math.inf and same.analysis.equivariance.error_max == 0
    # Parts of the transform the mode leaves out are named.
    notes = renderer.render(request(transform=TransformArgs(x=0.1, angle_deg=10, scale=2), analysis=AnalysisArgs(eq_mode='eqr'))).analysis.equivariance.notes
    assert any('scale' in n for n in notes) and any('translation' in n for n in notes)


def test_dragging_the_transform_costs_one_forward_pass(loader):
    G = loader.nets['tiny:sg3']
    renderer = Renderer(load_fn=loader)
    renderer.render(request())                                  # Load; layer list known.
    counter = CountingSynthesis(G)
    try:
        first = renderer.render(request(transform=TransformArgs(x=0.01), analysis=AnalysisArgs(eq_mode='eqt_frac')))
        assert counter.count == 2 and not first.analysis.equivariance.identity_reused
        psnrs = []
        for step in range(2, 6):
            before = counter.count
            r = renderer.render(request(transform=TransformArgs(x=0.01 * step), analysis=AnalysisArgs(eq_mode='eqt_frac')))
            assert counter.count - before == 1 and r.analysis.equivariance.identity_reused
            psnrs.append(r.analysis.equivariance.psnr)
        assert len(set(psnrs)) == len(psnrs)                    # The number follows the drag.
        # Rotation mode and layouts reuse it too; another latent needs a new identity render.
        before = counter.count
        renderer.render(request(transform=TransformArgs(angle_deg=5), analysis=AnalysisArgs(eq_mode='eqr', eq_layout='error')))
        assert counter.count - before == 1
        before = counter.count
        renderer.render(request(latent=LatentArgs(x=1), transform=TransformArgs(x=0.01), analysis=AnalysisArgs(eq_mode='eqt_frac')))
        assert counter.count - before == 2
    finally:
        counter.close()


def test_stylegan2_gets_the_reason_and_its_normal_image(loader):
    renderer = Renderer(load_fn=loader)
    plain = renderer.render(request('tiny:sg2'))
    result = renderer.render(request('tiny:sg2', transform=TransformArgs(x=0.1), analysis=AnalysisArgs(eq_mode='eqt')))
    assert result.error is None
    assert result.analysis.equivariance is None
    assert 'StyleGAN2 networks have no input transform' in result.analysis.equivariance_unavailable
    np.testing.assert_array_equal(result.image, plain.image)

# ----------------------------------------------------------------------------
# Spectrum view.


def test_spectrum_peaks_at_the_input_frequency(loader):
    G = build_sg3()
    inp = G.synthesis.input
    size, rate = int(inp.size[0]), float(inp.sampling_rate)
    k = 5                                                       # Bins from DC: f = k / size cycles per pixel.
    with torch.no_grad():
        inp.freqs.copy_(torch.tensor([[k * rate / size, 0.0]]).repeat(inp.channels, 1))
    renderer = Renderer(load_fn=lambda *a, **kw: G)
    for channels in ('all', 'selected'):
        result = renderer.render(request(layer=LayerArgs(name='input', channel=3),
            analysis=AnalysisArgs(spectrum=True, spectrum_channels=channels)))
        assert result.error is None, result.error
        view = result.analysis.spectrum
        assert view.layer == 'input' and view.channel == (3 if channels == 'selected' else None)
        centre = size // 2
        row, col = np.unravel_index(np.argmax(view.db), view.db.shape)
        assert row == centre and abs(col - centre) == k
        # The picture: that bin has the top colour of the scale unless clipped lower; it is the brightest bin.
        u = view.upscale
        pixel = result.image[row * u + u // 2, col * u + u // 2]
        lut = pictures.colormap('inferno')
        expected = lut[int(np.rint((view.db[row, col] - view.db_range[0]) / (view.db_range[1] - view.db_range[0]) * 255))]
        np.testing.assert_array_equal(pixel, expected)
        # Profiles: the horizontal slice peaks at that frequency in cycles per image.
        assert view.slice0_freqs[np.argmax(view.slice0_db)] == pytest.approx(k * rate / size, rel=1e-5)
        assert view.radial_freqs[np.argmax(view.radial_db)] == pytest.approx(k * rate / size, rel=1e-5)
        assert view.slice0_db.dtype == np.float32 and view.radial_db.dtype == np.float32


@pytest.mark.parametrize('source', ['tiny:sg3', 'tiny:sg3r'])
def test_overlays_are_drawn_at_the_layer_cutoff(loader, source):
    G = loader.nets[source]
    renderer = Renderer(load_fn=loader)
    name = 'L1_36_16'
    module = getattr(G.synthesis, name)
    result = renderer.render(request(source, layer=LayerArgs(name=name), analysis=AnalysisArgs(spectrum=True)))
    assert result.error is None, result.error
    view = result.analysis.spectrum
    assert view.cutoff == module.out_cutoff and view.stopband == pytest.approx(module.out_cutoff + module.out_half_width)
    assert view.nyquist == module.out_sampling_rate / 2 and view.sampling_rate == module.out_sampling_rate
    radial = bool(module.down_radial)
    assert view.radial_filter == radial

    # Every cutoff-coloured pixel lies on the circle (radial) or square (separable) of radius f_c.
    width = int(module.out_size[0])
    u = view.upscale
    radius = module.out_cutoff / module.out_sampling_rate * width * u
    centre = (width // 2 + 0.5) * u
    ys, xs = np.nonzero(np.all(result.image == pictures.MARKER_RGB['cutoff'], axis=2))
    assert len(ys) > 4 * radius
    dx, dy = xs + 0.5 - centre, ys + 0.5 - centre
    dist = np.hypot(dx, dy) if radial else np.maximum(np.abs(dx), np.abs(dy))
    assert np.abs(dist - radius).max() <= max(1.0, u / 3) / 2 + 1e-9
    # Corners of the square are drawn only for separable filters.
    corner = (np.abs(np.abs(dx) - radius) <= 1) & (np.abs(np.abs(dy) - radius) <= 1)
    assert corner.any() != radial
    # The stopband marker lies further out.
    ys, xs = np.nonzero(np.all(result.image == pictures.MARKER_RGB['stopband'], axis=2))
    stop = np.hypot(xs + 0.5 - centre, ys + 0.5 - centre) if radial else np.maximum(np.abs(xs + 0.5 - centre), np.abs(ys + 0.5 - centre))
    assert len(ys) and np.all(stop > radius + 1)


def test_spectrum_of_the_output_equals_sg3_spectra(loader):
    G = loader.nets['tiny:sg3']
    renderer = Renderer(load_fn=loader)
    args = request(latent=LatentArgs(x=2), analysis=AnalysisArgs(spectrum=True, spectrum_beta=4.0))
    result = renderer.render(args)
    view = result.analysis.spectrum
    with torch.no_grad():
        img = G.synthesis(seed_ws(G, 2))
    expected = spectra.power_spectrum(img, beta=4.0, sampling_rate=16)
    db = spectra.to_db(expected.power, (-40.0, 20.0))
    np.testing.assert_allclose(view.db[:-1, :-1], db, atol=1e-4)
    assert view.source == 'this latent' and view.count == 1

    # With the heatmap on, the spectrum says why it is not shown.
    both = renderer.render(request(analysis=AnalysisArgs(eq_mode='eqt', spectrum=True)))
    assert both.analysis.spectrum is None and 'equivariance heatmap' in both.analysis.spectrum_note
