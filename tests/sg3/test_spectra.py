"""Power spectra, profiles, layer designs and figure export, against numpy oracles and reference data."""

from __future__ import annotations

import dataclasses
import io
import math
import pathlib

import numpy as np
import pytest
import torch

from sg3 import figures
from sg3 import spectra as sp
from tests.sg3.test_equivariance import PatternGenerator

from tests.reference import REFERENCE_DIR as REFERENCE, build_reference_generator as _reference_generator, needs_reference


@pytest.fixture(scope='module')
def sg3t() -> torch.nn.Module:
    return _reference_generator('sg3t-64')


@pytest.fixture(scope='module')
def sg2() -> torch.nn.Module:
    return _reference_generator('sg2-64')


def _numpy_spectrum(x: np.ndarray, beta: float, interp: int) -> np.ndarray:
    """Oracle: mean-removed, Kaiser-windowed (unit energy), zero-padded |FFT|^2, mean over all but the
    last two axes, centred."""
    h, w = x.shape[-2:]
    x = x - x.mean(axis=(-2, -1), keepdims=True)
    wy, wx = np.kaiser(h, beta), np.kaiser(w, beta)
    window = np.outer(wy / np.sqrt((wy ** 2).sum()), wx / np.sqrt((wx ** 2).sum()))
    power = np.abs(np.fft.fft2(x * window, s=(h * interp, w * interp))) ** 2
    return np.fft.fftshift(power.reshape(-1, h * interp, w * interp).mean(0))

# ----------------------------------------------------------------------------
# Spectra.


def test_spectrum_matches_numpy_oracle() -> None:
    x = torch.randn(2, 3, 20, 24, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    for beta, interp in ((8.0, 1), (2.5, 3), (0.0, 2)):
        s = sp.power_spectrum(x, beta=beta, interp=interp)
        np.testing.assert_allclose(s.power, _numpy_spectrum(x.numpy(), beta, interp), rtol=1e-9, atol=1e-12)
        assert s.power.shape == (20 * interp, 24 * interp)
        assert s.count == 2 and s.image_size == (20, 24) and s.sampling_rate == 24


@pytest.mark.parametrize('kx, ky, interp', [(5, 3, 1), (5, 3, 4), (-7, 2, 2), (0, 9, 1)])
def test_sinusoid_peaks_at_its_bin(kx: int, ky: int, interp: int) -> None:
    n = 32
    i, j = torch.meshgrid(torch.arange(n), torch.arange(n), indexing='ij')
    x = torch.cos(2 * math.pi * (kx * j + ky * i) / n + 0.4)[None].repeat(3, 1, 1).float()
    s = sp.power_spectrum(x, beta=8, interp=interp)
    row, col = np.unravel_index(np.argmax(s.power), s.power.shape)
    assert {(s.freqs_y[row], s.freqs_x[col])} <= {(ky / n, kx / n), (-ky / n, -kx / n)}
    assert s.freqs_x_per_image[col] == pytest.approx(math.copysign(kx, s.freqs_x[col]) if kx else 0)
    assert s.power[n * interp - row, n * interp - col] == pytest.approx(s.power[row, col], rel=1e-5)  # Conjugate peak.


def test_window_has_unit_energy_and_mean_is_removed() -> None:
    gen = torch.Generator().manual_seed(1)
    x = 0.5 * torch.randn(8, 4, 32, 32, generator=gen, dtype=torch.float64)
    s = sp.power_spectrum(x + 3.0, beta=8)
    assert s.power.mean() == pytest.approx(0.25, rel=0.03)                      # White noise: power = variance.
    # A constant offset is removed before windowing: it leaves no trace.
    np.testing.assert_allclose(s.power, sp.power_spectrum(x, beta=8).power, rtol=1e-9, atol=1e-15)


def test_accumulator_averages_images() -> None:
    gen = torch.Generator().manual_seed(2)
    a = torch.randn(3, 16, 16, generator=gen)
    b = torch.randn(3, 16, 16, generator=gen)
    acc = sp.SpectrumAccumulator(beta=6, interp=2)
    for _ in range(5):
        acc.add(a)
    assert acc.count == 5
    np.testing.assert_allclose(acc.result().power, sp.power_spectrum(a, beta=6, interp=2).power, rtol=1e-12)
    pair = sp.SpectrumAccumulator(beta=6, interp=2)
    pair.add(a)
    pair.add(b[None])
    expected = (sp.power_spectrum(a, beta=6, interp=2).power + sp.power_spectrum(b, beta=6, interp=2).power) / 2
    np.testing.assert_allclose(pair.result().power, expected, rtol=1e-12)
    np.testing.assert_allclose(sp.power_spectrum(torch.stack([a, b]), beta=6, interp=2).power, expected, rtol=1e-12)
    with pytest.raises(sp.SpectrumError, match='size'):
        pair.add(torch.zeros(3, 8, 8))
    with pytest.raises(sp.SpectrumError, match='no images'):
        sp.SpectrumAccumulator().result()
    with pytest.raises(sp.SpectrumError, match='beta'):
        sp.SpectrumAccumulator(beta=-1)
    with pytest.raises(sp.SpectrumError, match=r'\[C, H, W\]'):
        sp.power_spectrum(torch.zeros(8, 8))


def test_db_conversion() -> None:
    db = sp.to_db(np.array([1.0, 100.0, 1e-3, 0.0, 1e9]), db_range=(-40, 20))
    np.testing.assert_allclose(db, [0, 20, -30, -40, 20])
    assert sp.to_db(np.array([0.0]), db_range=None)[0] == -np.inf
    with pytest.raises(sp.SpectrumError, match='db_range'):
        sp.to_db(np.ones(2), db_range=(5, 5))


def test_slices_and_radial_profile() -> None:
    x = torch.randn(2, 16, 16, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    s = sp.power_spectrum(x, beta=4, interp=2)
    uncentred = np.fft.ifftshift(s.power)
    slice0, slice45 = sp.slice_profiles(s)
    np.testing.assert_allclose(slice0.power, uncentred[0, :17])                 # DC .. +Nyquist (bin 16 = -16).
    np.testing.assert_allclose(slice45.power, uncentred[np.arange(17), np.arange(17)])
    np.testing.assert_allclose(slice0.freqs_per_image, np.arange(17) / 32 * 16)
    np.testing.assert_allclose(slice45.freqs[-1], math.sqrt(2) / 2)

    # Radial profile: mean over rings of one bin; a flat spectrum stays flat, a ring spike lands at its radius.
    flat = sp.Spectrum(power=np.ones((32, 32)), freqs_y=s.freqs_y, freqs_x=s.freqs_x, sampling_rate=16, image_size=(16, 16), count=1, beta=4, interp=2)
    profile = sp.radial_profile(flat)
    np.testing.assert_allclose(profile.power, 1)
    assert profile.freqs[0] == 0 and profile.freqs[-1] == pytest.approx(round(math.hypot(16, 16)) / 32)
    spike = np.zeros((32, 32))
    spike[16 + 3, 16 + 4] = 1                                                   # Radius 5 bins.
    ring = sp.radial_profile(dataclasses.replace(flat, power=spike))
    radius_5 = np.rint(np.hypot(*np.meshgrid(np.arange(-16, 16), np.arange(-16, 16)))) == 5
    assert ring.freqs[np.argmax(ring.power)] == 5 / 32
    assert ring.power.max() == pytest.approx(1 / radius_5.sum())

# ----------------------------------------------------------------------------
# Layers.


@needs_reference
def test_layer_designs_equal_layer_attributes(sg3t: torch.nn.Module, sg2: torch.nn.Module) -> None:
    names = sp.layer_names(sg3t)
    assert names[0] == 'input' and names[-1] == 'output' and names[1:-1] == list(sg3t.synthesis.layer_names)
    for name in sg3t.synthesis.layer_names:
        layer = getattr(sg3t.synthesis, name)
        d = sp.layer_design(sg3t, name)
        assert d.sampling_rate == layer.out_sampling_rate and d.nyquist == layer.out_sampling_rate / 2
        assert d.cutoff == layer.out_cutoff and d.half_width == layer.out_half_width
        assert d.stopband == pytest.approx(layer.out_stopband)
        assert d.size == tuple(int(v) for v in layer.out_size) and d.channels == layer.out_channels
        assert d.margin == (layer.out_size[0] - layer.out_sampling_rate) / 2
        assert d.cutoff_per_pixel == layer.out_cutoff / layer.out_sampling_rate and not d.radial
    first = sp.layer_design(sg3t, 'synthesis.L0_36_128')
    assert (first.sampling_rate, first.cutoff, first.margin) == (16, 2, 10)
    last = sp.layer_design(sg3t, 'output')
    assert (last.sampling_rate, last.cutoff, last.margin, last.size) == (64, 32, 0, (64, 64))
    source = sp.layer_design(sg3t, 'input')
    assert source.cutoff == sg3t.synthesis.input.bandwidth and source.sampling_rate == sg3t.synthesis.input.sampling_rate

    # StyleGAN2: sampling rate = block resolution, nothing designed.
    assert sp.layer_names(sg2)[:3] == ['b4.conv1', 'b4.torgb', 'b8.conv0']
    for name, res in (('b8.conv0', 8), ('b16.torgb', 16), ('b32:1', 32), ('output', 64)):
        d = sp.layer_design(sg2, name)
        assert (d.sampling_rate, d.nyquist, d.cutoff, d.stopband, d.margin) == (res, res / 2, None, None, 0)
    with pytest.raises(sp.SpectrumError, match='not a layer of this network.*L3_36_128'):
        sp.layer_design(sg3t, 'L99')


def test_average_layer_spectrum_over_seeds() -> None:
    G = PatternGenerator(res=16, latent_phases=False)                           # The same image for every seed.
    calls = []
    avg, design = sp.average_layer_spectrum(G, 'output', [0, 1, 2], beta=8, interp=2, progress=lambda d, t: calls.append((d, t)))
    x = G.synthesis(torch.zeros(1, 2, G.w_dim))
    np.testing.assert_allclose(avg.power, sp.power_spectrum(x, beta=8, interp=2).power, rtol=1e-9)
    assert avg.count == 3 and calls == [(0, 3), (1, 3), (2, 3), (3, 3)]
    assert design.sampling_rate == 16 and design.cutoff is None and avg.sampling_rate == 16
    one, _ = sp.average_layer_spectrum(G, 'output', [0, 1], channel=1, cancel=lambda: True)
    assert one.count == 1                                                       # Cancelled after the first seed.
    with pytest.raises(sp.SpectrumError, match='channel'):
        sp.average_layer_spectrum(G, 'output', [0], channel=3)

# ----------------------------------------------------------------------------
# Export.


@needs_reference
def test_figure_draws_the_layer_design(sg3t: torch.nn.Module, tmp_path: pathlib.Path) -> None:
    from matplotlib.patches import Circle, Rectangle
    x = torch.randn(1, 4, 36, 36, generator=torch.Generator().manual_seed(4))
    for name in ('L3_36_128', 'L11_84_81'):
        layer = getattr(sg3t.synthesis, name)
        design = sp.layer_design(sg3t, name)
        spectrum = sp.power_spectrum(x, beta=8, interp=2, sampling_rate=design.sampling_rate)
        fig = figures.make_spectrum_figure(spectrum, design)
        heatmap, radial_axes, slice_axes = fig.axes[:3]
        patches = {p.get_gid(): p for p in heatmap.patches}
        assert isinstance(patches['cutoff'], Rectangle)                         # StyleGAN3-T filters are separable.
        assert patches['cutoff'].get_width() / 2 == pytest.approx(layer.out_cutoff)
        assert patches['stopband'].get_width() / 2 == pytest.approx(layer.out_stopband)
        assert patches['nyquist'].get_width() / 2 == pytest.approx(layer.out_sampling_rate / 2)
        lines = {line.get_gid(): line.get_xdata()[0] for line in radial_axes.lines if line.get_gid()}
        assert lines == pytest.approx({'cutoff': layer.out_cutoff, 'stopband': layer.out_stopband, 'nyquist': layer.out_sampling_rate / 2})
        assert max(heatmap.get_xlim()) >= layer.out_stopband
    radial = dataclasses.replace(sp.layer_design(sg3t, 'L3_36_128'), radial=True)
    fig = figures.make_spectrum_figure(sp.power_spectrum(x, sampling_rate=16), radial)
    circle = [p for p in fig.axes[0].patches if p.get_gid() == 'cutoff'][0]
    assert isinstance(circle, Circle) and circle.get_radius() == 4


def test_figure_heatmap_uses_the_live_colour_map_and_names_the_network() -> None:
    from sg3.colormaps import SPECTRUM_CMAP, colormap
    x = torch.randn(1, 3, 16, 16, generator=torch.Generator().manual_seed(6))
    fig = figures.make_spectrum_figure(sp.power_spectrum(x, sampling_rate=16), None, title='net.pkl: L5')
    filled = fig.axes[0].collections[0]
    table = np.rint(filled.cmap(np.linspace(0, 1, 256))[:, :3] * 255)
    np.testing.assert_array_equal(table, colormap(SPECTRUM_CMAP))             # The table viz.render.pictures colours with.
    assert fig._suptitle.get_text().startswith('net.pkl: L5  (1 image, ')


def test_png_and_npz_export(tmp_path: pathlib.Path) -> None:
    from PIL import Image
    x = torch.randn(2, 3, 16, 16, generator=torch.Generator().manual_seed(5))
    spectrum = sp.power_spectrum(x, beta=8, interp=4, sampling_rate=16)
    design = sp.LayerDesign(name='L5', sampling_rate=16, cutoff=4.0, stopband=8.0, half_width=4.0, size=(36, 36), margin=10, nyquist=8.0, channels=3)
    png = figures.spectrum_figure(spectrum, design, tmp_path / 'out' / 'spectrum.png', dpi=50)
    with Image.open(png) as image:
        assert image.format == 'PNG' and image.size == (800, 240)
    path = figures.export_npz(spectrum, design, tmp_path / 'spectrum.npz')
    data = np.load(path)
    np.testing.assert_array_equal(data['power'], spectrum.power)
    np.testing.assert_array_equal(np.fft.fftshift(data['spectrum']), spectrum.power)   # avg_spectra.py's layout.
    assert int(data['image_size']) == 16 and float(data['cutoff']) == 4.0 and str(data['layer']) == 'L5'
    slice0, _ = sp.slice_profiles(spectrum)
    np.testing.assert_array_equal(data['slice0_power'], slice0.power)
    undesigned = np.load(figures.export_npz(spectrum, dataclasses.replace(design, cutoff=None), tmp_path / 'b.npz'))
    assert np.isnan(undesigned['cutoff'])
    # Open binary files too (the viewer writes through its atomic writer).
    png_file, npz_file = io.BytesIO(), io.BytesIO()
    figures.spectrum_figure(spectrum, design, png_file, dpi=50)
    figures.export_npz(spectrum, design, npz_file)
    assert png_file.getvalue()[:8] == b'\x89PNG\r\n\x1a\n'
    np.testing.assert_array_equal(np.load(io.BytesIO(npz_file.getvalue()))['power'], spectrum.power)
