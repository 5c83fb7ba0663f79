"""Equivariance operators, PSNR and the EQ metrics, against simple oracles and analytic stand-ins."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from sg3 import equivariance as eq

from tests.reference import REFERENCE_DIR as REFERENCE, build_reference_generator as _reference_generator
FREQS = ((2.0, 1.0), (-1.0, 3.0), (3.5, -1.5), (0.5, -4.0))    # Cycles per image; <= 0.13 cycles/pixel at 32 px.

# ----------------------------------------------------------------------------
# Stand-in generators.


def pattern(freqs: np.ndarray, phases: np.ndarray, qx: np.ndarray, qy: np.ndarray) -> np.ndarray:
    """sum_k 0.9/K sin(2 pi (f_k . q + phase_k)) for phases [..., K] and coordinates [H, W] (float64)."""
    arg = freqs[:, 0, None, None] * qx + freqs[:, 1, None, None] * qy           # [K, H, W]
    return (0.9 / len(freqs)) * np.sin(2 * np.pi * (arg + phases[..., None, None])).sum(-3)


def pixel_centres(res: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel centres in image units ([-0.5, 0.5], y down), as StyleGAN3's input grid."""
    c = (np.arange(res) + 0.5) / res - 0.5
    y, x = np.meshgrid(c, c, indexing='ij')
    return x, y


class _Input(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer('transform', torch.eye(3))


class _PatternSynthesis(torch.nn.Module):
    def __init__(self, res: int, channels: int, follow: bool, latent_phases: bool) -> None:
        super().__init__()
        self.res = res
        self.channels = channels
        self.follow = follow
        self.latent_phases = latent_phases
        self.input = _Input()
        self.calls = 0

    def forward(self, ws: torch.Tensor, noise_mode: str = 'random', input_transform: torch.Tensor | None = None) -> torch.Tensor:
        self.calls += 1
        freqs = np.array(FREQS)
        n = ws.shape[0]
        phases = np.broadcast_to(np.linspace(0, 1, self.channels * len(FREQS)), [n, self.channels * len(FREQS)])
        if self.latent_phases:
            phases = ws[:, 0].double().cpu().numpy()
        phases = phases.reshape(n, self.channels, len(FREQS))
        m = self.input.transform if input_transform is None else input_transform
        m = np.broadcast_to(m.double().cpu().numpy() if self.follow else np.eye(3), [n, 3, 3])
        x, y = pixel_centres(self.res)
        qx = m[:, 0, 0, None, None] * x + m[:, 0, 1, None, None] * y + m[:, 0, 2, None, None]          # [N, H, W]
        qy = m[:, 1, 0, None, None] * x + m[:, 1, 1, None, None] * y + m[:, 1, 2, None, None]
        images = [pattern(freqs, phases[i], qx[i], qy[i]) for i in range(n)]
        return torch.from_numpy(np.stack(images)).float()


class _IdentityMapping(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.gain = torch.nn.Parameter(torch.ones([]))

    def forward(self, z: torch.Tensor, c: torch.Tensor, truncation_psi: float = 1, truncation_cutoff: int | None = None) -> torch.Tensor:
        return (z * self.gain)[:, None, :].repeat(1, 2, 1)


class PatternGenerator(torch.nn.Module):
    """A 'StyleGAN3' whose synthesis renders a band-limited analytic pattern at the input-transformed
    coordinates (follow=True), or ignores its input transform (follow=False)."""

    def __init__(self, res: int = 32, channels: int = 3, follow: bool = True, latent_phases: bool = True) -> None:
        super().__init__()
        self.z_dim = self.w_dim = channels * len(FREQS)
        self.c_dim = 0
        self.num_ws = 2
        self.img_resolution = res
        self.img_channels = channels
        self.architecture = 'stylegan3-t'
        self.mapping = _IdentityMapping()
        self.synthesis = _PatternSynthesis(res, channels, follow, latent_phases)


class StyleGAN2StandIn(torch.nn.Module):
    """Has mapping and synthesis but no input transform, like a StyleGAN2 generator."""

    def __init__(self) -> None:
        super().__init__()
        self.z_dim = self.w_dim = 4
        self.c_dim = 0
        self.img_resolution = 16
        self.architecture = 'stylegan2'
        self.mapping = _IdentityMapping()
        self.synthesis = torch.nn.Module()
        self.synthesis.block_resolutions = [4, 8, 16]

# ----------------------------------------------------------------------------
# Operators.


@pytest.mark.parametrize('tx, ty', [(0.1, -0.07), (-0.3, 0.25), (0.0, 0.0), (0.5, 0.02)])
def test_integer_translation_equals_roll(tx: float, ty: float) -> None:
    torch.manual_seed(0)
    x = torch.randn(2, 3, 24, 20)
    z, m = eq.apply_integer_translation(x, tx, ty)
    ix, iy = round(tx * 20), round(ty * 24)
    rolled = torch.roll(x, shifts=(iy, ix), dims=(2, 3))
    assert torch.equal(z * m, rolled * m)
    assert m.sum() == 2 * 3 * (24 - abs(iy)) * (20 - abs(ix))
    assert torch.all(z[m == 0] == 0)


def _band_limited(h: int, w: int, dx: float = 0.0, dy: float = 0.0) -> torch.Tensor:
    """A few sinusoids at most 0.16 cycles per pixel, evaluated at pixel index - (dx, dy)."""
    y, x = np.meshgrid(np.arange(h) - dy, np.arange(w) - dx, indexing='ij')
    v = 0.3 * np.sin(2 * np.pi * (0.11 * x + 0.05 * y) + 0.3)
    v += 0.3 * np.sin(2 * np.pi * (-0.07 * x + 0.13 * y) + 1.1)
    v += 0.3 * np.cos(2 * np.pi * (0.02 * x - 0.09 * y))
    return torch.from_numpy(v)[None, None].float()


@pytest.mark.parametrize('dx, dy', [(0.3, 0.7), (2.5, -1.25), (-3.9, 0.1), (4.0, 0.0)])
def test_fractional_translation_matches_analytic_shift(dx: float, dy: float) -> None:
    x = _band_limited(32, 28)
    z, m = eq.apply_fractional_translation(x, dx / 28, dy / 32)
    expected = _band_limited(32, 28, dx, dy)
    assert ((z - expected) * m).abs().max() < 1e-2
    # The mask keeps the pixels whose 6 taps (-2 .. 3 pixels around the shifted source) lie inside.
    cols = [n for n in range(28) if all(0 <= n - math.floor(dx) - k < 28 for k in range(-2, 4))]
    rows = [n for n in range(32) if all(0 <= n - math.floor(dy) - k < 32 for k in range(-2, 4))]
    assert m.sum() == len(cols) * len(rows)


def test_fractional_translation_by_whole_pixels_is_integer_translation() -> None:
    torch.manual_seed(1)
    x = torch.randn(1, 2, 16, 16)
    z, m = eq.apply_fractional_translation(x, 3 / 16, -2 / 16)
    zi, mi = eq.apply_integer_translation(x, 3 / 16, -2 / 16)
    assert torch.allclose(z * m, zi * m, atol=1e-6)
    assert torch.all(mi[m == 1] == 1)


def test_rotation_by_zero_is_identity_and_by_quarter_turns_is_rot90() -> None:
    torch.manual_seed(2)
    x = torch.rand(2, 3, 24, 24) * 2 - 1
    z0, m0 = eq.apply_fractional_rotation(x, 0.0)
    assert 0.2 < m0.mean() < 0.5
    assert ((z0 - x) * m0).abs().max() < 0.02                                   # Band-limiting of white noise only.
    for k in (1, 2, -1):
        z, m = eq.apply_fractional_rotation(x, k * math.pi / 2)
        assert ((z - torch.rot90(x, k, dims=(2, 3))) * m).abs().max() < 0.02
        assert torch.allclose(z * m, torch.rot90(z0, k, dims=(2, 3)) * m, atol=1e-5)
        assert torch.equal(m, torch.rot90(m0, k, dims=(2, 3)))


@pytest.mark.parametrize('angle', [0.3, 1.0, -2.0])
def test_rotation_of_band_limited_pattern_matches_analytic(angle: float) -> None:
    freqs = np.array(FREQS)
    phases = np.array([0.1, 0.7, 0.3, 0.5])
    x, y = pixel_centres(32)
    image = torch.from_numpy(pattern(freqs, phases, x, y))[None, None].float()
    z, m = eq.apply_fractional_rotation(image, angle)
    inv = eq.rotation_input_transform(angle).double().numpy()                  # Output pixel p shows the input at inv @ p.
    expected = pattern(freqs, phases, inv[0, 0] * x + inv[0, 1] * y, inv[1, 0] * x + inv[1, 1] * y)
    assert m.sum() > 300
    assert ((z - torch.from_numpy(expected).float()) * m).abs().max() < 5e-3
    pseudo, pm = eq.apply_fractional_pseudo_rotation(image, angle)
    assert ((pseudo - image) * pm).abs().max() < 2e-3                           # The pattern is in the passband.


def test_operators_reject_non_image_tensors() -> None:
    with pytest.raises(eq.EquivarianceError, match=r'\[N, C, H, W\]'):
        eq.apply_integer_translation(torch.zeros(3, 8, 8), 0.1, 0.1)

# ----------------------------------------------------------------------------
# Error maps and PSNR.


def test_psnr_of_identical_images_is_infinite() -> None:
    x = torch.rand(1, 3, 8, 8)
    m = torch.ones_like(x)
    error = eq.error_map(x, x.clone(), m)
    assert eq.masked_mse(error, m) == 0
    assert eq.psnr(0.0) == math.inf
    assert eq.psnr(4.0) == pytest.approx(0.0, abs=1e-12)                       # MSE = peak**2.
    assert math.isnan(eq.psnr(math.nan))
    assert math.isnan(eq.masked_mse(error, torch.zeros_like(m)))
    with pytest.raises(eq.EquivarianceError, match='mse'):
        eq.psnr(-1.0)


def test_psnr_of_gaussian_noise_is_analytic() -> None:
    gen = torch.Generator().manual_seed(3)
    a = torch.rand(2, 3, 128, 128, generator=gen) * 2 - 1
    sigma = 0.05
    b = a + sigma * torch.randn(a.shape, generator=gen)
    m = torch.zeros_like(a)
    m[:, :, 10:-10, 20:] = 1
    b = torch.where(m > 0, b, a + 10)                                           # Errors outside the mask must not count.
    value = eq.psnr(eq.masked_mse(eq.error_map(a, b, m), m))
    expected = 20 * math.log10(2) - 10 * math.log10(sigma ** 2)               # 32.04 dB.
    assert value == pytest.approx(expected, abs=0.05)                           # MSE std ~0.4 % -> 0.02 dB.

# ----------------------------------------------------------------------------
# Metrics with known answers.


def test_metrics_of_equivariant_pattern_are_very_high() -> None:
    G = PatternGenerator(follow=True)
    metrics = eq.compute_metrics(G, num_samples=3, seed=1)
    assert metrics.num_samples == 3 and not metrics.cancelled and len(metrics.draws) == 3
    assert metrics.psnr['eqt'] > 100
    assert metrics.psnr['eqt_frac'] > 50
    assert metrics.psnr['eqr'] > 50


def _predicted_mse(kind: str, draw: eq.TransformDraw, res: int = 32) -> tuple[float, float]:
    """Sum of squared errors and of mask for a generator ignoring its transform (phases fixed): the
    analytic image moved by the operator against the unmoved image."""
    freqs = np.array(FREQS)
    phases = np.linspace(0, 1, 3 * len(FREQS)).reshape(3, len(FREQS))
    x, y = pixel_centres(res)
    still = pattern(freqs, phases, x, y)
    cols = np.arange(res)
    if kind in ('eqt', 'eqt_frac'):
        tx, ty = draw.eqt if kind == 'eqt' else draw.eqt_frac
        moved = pattern(freqs, phases, x - tx, y - ty)
        if kind == 'eqt':
            ix, iy = round(tx * res), round(ty * res)
            valid_x = (cols - ix >= 0) & (cols - ix < res)
            valid_y = (cols - iy >= 0) & (cols - iy < res)
        else:
            ix, iy = math.floor(tx * res), math.floor(ty * res)
            valid_x = (cols - ix - 3 >= 0) & (cols - ix + 2 < res)
            valid_y = (cols - iy - 3 >= 0) & (cols - iy + 2 < res)
        mask = valid_y[:, None] & valid_x[None, :]
    else:
        c, s = math.cos(draw.eqr), math.sin(draw.eqr)
        sx, sy = c * x - s * y, s * x + c * y                                   # Source of each output pixel.
        moved = pattern(freqs, phases, sx, sy)
        border = 6 / res                                                        # Reach of the 47-tap upsampling filter, in input pixels.
        inside = (np.abs(sx) < 0.5 - border) & (np.abs(sy) < 0.5 - border)
        frame = (np.abs(x) < 0.5 - 5 / res) & (np.abs(y) < 0.5 - 5 / res)       # The 11-tap pseudo-rotation filter.
        mask = inside & frame
    se = float(((moved - still) ** 2 * mask).sum())
    return se, float(mask.sum() * 3)


def test_metrics_of_transform_ignoring_pattern_are_predicted() -> None:
    G = PatternGenerator(follow=False, latent_phases=False)
    metrics = eq.compute_metrics(G, num_samples=3, seed=5)
    for kind, tolerance in (('eqt', 1e-4), ('eqt_frac', 0.05), ('eqr', 0.15)):
        sums = np.array([_predicted_mse(kind, draw) for draw in metrics.draws]).sum(0)
        expected = eq.psnr(sums[0] / sums[1])
        assert 5 < expected < 25
        assert metrics.psnr[kind] == pytest.approx(expected, abs=tolerance), kind


def test_metric_draws_follow_the_paper_ranges() -> None:
    metrics = eq.compute_metrics(PatternGenerator(res=16), num_samples=40, seed=0, kinds=('eqt',))
    t_int = np.array([d.eqt for d in metrics.draws])
    t_frac = np.array([d.eqt_frac for d in metrics.draws])
    angles = np.array([d.eqr for d in metrics.draws])
    assert np.all(np.abs(t_int) <= 0.125) and np.allclose(t_int * 16, np.round(t_int * 16))
    assert np.all(np.abs(t_frac) <= 0.125) and np.abs(t_frac).max() > 0.09
    assert np.all(np.abs(angles) <= math.pi) and np.abs(angles).max() > 2.5


def test_same_seed_gives_same_numbers() -> None:
    G = PatternGenerator(follow=False)
    first = eq.compute_metrics(G, num_samples=2, seed=7, kinds=('eqt_frac', 'eqr'))
    second = eq.compute_metrics(G, num_samples=2, seed=7, kinds=('eqt_frac', 'eqr'))
    other = eq.compute_metrics(G, num_samples=2, seed=8, kinds=('eqt_frac', 'eqr'))
    assert first.psnr == second.psnr and first.draws == second.draws
    assert first.psnr != other.psnr
    only_frac = eq.compute_metrics(G, num_samples=2, seed=7, kinds=('eqt_frac',))
    assert only_frac.psnr['eqt_frac'] == first.psnr['eqt_frac']                # Kinds draw from their own streams.


def test_stylegan2_has_no_input_transform() -> None:
    G = StyleGAN2StandIn()
    with pytest.raises(eq.EquivarianceUnavailableError, match='not available: StyleGAN2 networks have no input transform'):
        eq.compute_metrics(G, num_samples=1)
    with pytest.raises(eq.EquivarianceUnavailableError):
        eq.equivariance_pair(G, torch.zeros(1, 2, 4), 'eqt', (0.1, 0.0))
    assert issubclass(eq.EquivarianceUnavailableError, ValueError)


def test_progress_cancel_and_bad_arguments() -> None:
    G = PatternGenerator(res=16)
    calls = []
    metrics = eq.compute_metrics(G, num_samples=5, kinds=('eqt',), progress=lambda done, total: calls.append((done, total)),
        cancel=lambda: len(calls) > 2)
    assert calls == [(0, 5), (1, 5), (2, 5)]
    assert metrics.cancelled and metrics.num_samples == 2 and metrics.requested == 5
    batched = eq.compute_metrics(G, num_samples=5, kinds=('eqt',), batch_size=2)
    assert batched.num_samples == 5 and [d.size for d in batched.draws] == [2, 2, 1]
    with pytest.raises(eq.EquivarianceError, match='kinds'):
        eq.compute_metrics(G, num_samples=1, kinds=('eqx',))
    with pytest.raises(eq.EquivarianceError, match='num_samples'):
        eq.compute_metrics(G, num_samples=0)


def test_the_transform_buffer_is_neither_used_nor_changed() -> None:
    G = PatternGenerator(res=16)
    user = torch.tensor([[1.0, 0.0, 0.2], [0.0, 1.0, -0.1], [0.0, 0.0, 1.0]])
    G.synthesis.input.transform.copy_(user)
    moved = eq.compute_metrics(G, num_samples=2, seed=3)
    pair = eq.equivariance_pair(G, torch.zeros(1, 2, G.w_dim), 'eqr', angle=0.4)
    assert torch.equal(G.synthesis.input.transform, user)
    G.synthesis.input.transform.copy_(torch.eye(3))
    assert eq.compute_metrics(G, num_samples=2, seed=3).mse == moved.mse
    assert torch.equal(eq.equivariance_pair(G, torch.zeros(1, 2, G.w_dim), 'eqr', angle=0.4).generated, pair.generated)

# ----------------------------------------------------------------------------
# Live pairs.


def test_pair_reuses_identity_render_and_matches_operators() -> None:
    G = PatternGenerator(follow=False)
    ws = torch.randn(1, 2, G.w_dim, generator=torch.Generator().manual_seed(0))
    first = eq.equivariance_pair(G, ws, 'eqt', (0.1, -0.05))
    assert G.synthesis.calls == 2
    assert first.translate == (3 / 32, -2 / 32)                                 # Rounded to whole pixels as EQ-T.
    second = eq.equivariance_pair(G, ws, 'eqt_frac', (0.07, 0.02), identity=first.identity)
    assert G.synthesis.calls == 3                                               # One forward pass per drag step.
    reference, mask = eq.apply_fractional_translation(first.identity, 0.07, 0.02)
    assert torch.equal(second.reference, reference) and torch.equal(second.mask, mask)
    assert torch.equal(second.generated, first.identity)                        # This stand-in ignores its transform.
    assert torch.allclose(second.error, (reference - second.generated).square() * mask)
    assert second.psnr == pytest.approx(eq.psnr(float(second.error.sum() / mask.sum())), rel=1e-6)
    rotated = eq.equivariance_pair(G, ws, 'eqr', (0.3, 0.3), angle=0.5, identity=first.identity)
    assert rotated.translate == (0.0, 0.0) and rotated.angle == 0.5
    pseudo, _ = eq.apply_fractional_pseudo_rotation(rotated.generated, 0.5)
    assert torch.allclose(rotated.compared, pseudo)
    assert (first.mode, second.mode, rotated.mode) == ('eqt', 'eqt_frac', 'eqr')
    with pytest.raises(eq.EquivarianceError, match='identity'):
        eq.equivariance_pair(G, ws, 'eqt', (0.1, 0.0), identity=torch.zeros(1, 3, 8, 8))
    with pytest.raises(eq.EquivarianceError, match="mode = 'rot'"):
        eq.equivariance_pair(G, ws, 'rot', angle=0.5)


def test_pair_of_equivariant_pattern_matches_psnr_of_moved_pattern() -> None:
    G = PatternGenerator(follow=True)
    ws = torch.randn(1, 2, G.w_dim, generator=torch.Generator().manual_seed(1))
    pair = eq.equivariance_pair(G, ws, 'eqt_frac', (0.061, -0.033))
    assert pair.psnr > 50
    still = eq.equivariance_pair(G, ws, 'eqt', (0.0, 0.0), identity=pair.identity)
    assert still.psnr == math.inf

# ----------------------------------------------------------------------------
# Real networks (reference weights of NVIDIA's implementation).


@pytest.mark.skipif(not (REFERENCE / 'sg3t-64').is_dir(), reason='reference data not available')
def test_stylegan3_translates_far_more_faithfully_than_stylegan2() -> None:
    G3 = _reference_generator('sg3t-64')
    G2 = _reference_generator('sg2-64')
    z = torch.from_numpy(np.random.RandomState(0).randn(1, 512)).float()

    # StyleGAN3: translate the Fourier input by a quarter image.
    with torch.no_grad():
        ws3 = G3.mapping(z, None)
    psnr3 = eq.equivariance_pair(G3, ws3, 'eqt', (0.25, 0.0)).psnr

    # StyleGAN2: translate its 4x4 constant input by one pixel (a quarter image).
    with torch.no_grad():
        ws2 = G2.mapping(z, None)
        orig = G2.synthesis(ws2, noise_mode='const')
        const = G2.synthesis.b4.const.clone()
        G2.synthesis.b4.const.copy_(torch.roll(const, 1, dims=-1))
        moved = G2.synthesis(ws2, noise_mode='const')
        G2.synthesis.b4.const.copy_(const)
    reference, mask = eq.apply_integer_translation(orig, 0.25, 0.0)
    psnr2 = eq.psnr(eq.masked_mse(eq.error_map(reference, moved, mask), mask))
    assert psnr3 > 50 and psnr2 < 20
    with pytest.raises(eq.EquivarianceUnavailableError, match='StyleGAN2'):
        eq.equivariance_pair(G2, ws2, 'eqt', (0.25, 0.0))


def _sequential_metrics(G: torch.nn.Module, num_samples: int, seed: int, batch_size: int) -> dict[str, float]:
    """The metric loop written plainly (as NVIDIA's): set the transform buffer, render, compare; one render at a time."""
    metrics = eq.compute_metrics(G, num_samples=num_samples, seed=seed, batch_size=batch_size, kinds=('eqt',), num_threads=1)
    z_gen = eq._stream(seed, 0)
    sums = {kind: [0.0, 0.0] for kind in eq.KINDS}
    transform = G.synthesis.input.transform
    for draw in metrics.draws:
        with torch.no_grad():
            ws = G.mapping(torch.randn([draw.size, G.z_dim], generator=z_gen), None)
            orig = G.synthesis(ws, noise_mode='const')
            for kind in eq.KINDS:
                translate = draw.eqt if kind == 'eqt' else draw.eqt_frac
                transform.copy_(eq.kind_input_transform(kind, translate, draw.eqr))
                img = G.synthesis(ws, noise_mode='const')
                transform.copy_(torch.eye(3))
                if kind == 'eqr':
                    ref, mask = eq.apply_fractional_rotation(orig, draw.eqr)
                    img, pseudo_mask = eq.apply_fractional_pseudo_rotation(img, draw.eqr)
                    mask = mask * pseudo_mask
                else:
                    shift = eq.apply_integer_translation if kind == 'eqt' else eq.apply_fractional_translation
                    ref, mask = shift(orig, *translate)
                sums[kind][0] += float(((ref - img).square() * mask).double().sum())
                sums[kind][1] += float(mask.double().sum())
    return {kind: error / count for kind, (error, count) in sums.items()}


@pytest.mark.skipif(not (REFERENCE / 'sg3t-64').is_dir(), reason='reference data not available')
@pytest.mark.parametrize('batch_size, num_threads', [(1, 1), (1, 2), (2, 3)])
def test_metrics_on_threads_equal_the_plain_loop(batch_size: int, num_threads: int) -> None:
    G = _reference_generator('sg3t-64')
    expected = _sequential_metrics(G, num_samples=3, seed=11, batch_size=batch_size)
    metrics = eq.compute_metrics(G, num_samples=3, seed=11, batch_size=batch_size, num_threads=num_threads)
    for kind in eq.KINDS:                       # float32 rounding in a batch moves the PSNR by ~0.001 dB at 70 dB.
        assert metrics.psnr[kind] == pytest.approx(eq.psnr(expected[kind]), abs=0.01), kind
    with pytest.raises(eq.EquivarianceError, match='num_threads'):
        eq.compute_metrics(G, num_samples=1, num_threads=0)


def _bandlimit_filter_fft(mat: torch.Tensor, a: int = 3, amax: int = 16, aflt: int = 64, up: int = 4,
        cutoff_in: float = 1, cutoff_out: float = 1) -> torch.Tensor:
    """The filter as NVIDIA's metric designs it: circular convolutions of full periodic grids through FFTs."""
    n = aflt * up * 2 - 1
    k = torch.arange(n, dtype=torch.float32)
    taps = torch.where(k < aflt * up, k, k - n) / up
    yi, xi = torch.meshgrid(taps, taps, indexing='ij')
    m = mat[:2, :2].tolist()
    xo, yo = xi * m[0][0] + yi * m[0][1], xi * m[1][0] + yi * m[1][1]
    fi, fo = eq._sinc(xi * cutoff_in) * eq._sinc(yi * cutoff_in), eq._sinc(xo * cutoff_out) * eq._sinc(yo * cutoff_out)
    wi, wo = eq._lanczos_window(xi, a) * eq._lanczos_window(yi, a), eq._lanczos_window(xo, a) * eq._lanczos_window(yo, a)
    f = torch.fft.irfft2(torch.fft.rfft2(fi) * torch.fft.rfft2(fo), s=[n, n])
    w = torch.fft.irfft2(torch.fft.rfft2(wi) * torch.fft.rfft2(wo), s=[n, n])
    f = torch.fft.fftshift(f * w)
    c = (aflt - amax) * up
    f = f[c:-c, c:-c]
    f = torch.nn.functional.pad(f, [0, 1, 0, 1]).reshape(amax * 2, up, amax * 2, up)
    f = f / f.sum(dim=[0, 2], keepdim=True) / (up ** 2)
    return f.reshape(amax * 2 * up, amax * 2 * up)[:-1, :-1]


@pytest.mark.parametrize('mat, kwargs', [
    (eq.rotation_matrix(0.7), dict(amax=6)),
    (eq.rotation_matrix(-2.9), dict(amax=6, up=1)),
    (eq.rotation_matrix(0.0), dict()),
    (torch.tensor([[1.3, 0.4, 0.1], [-0.2, 0.8, 0.0], [0.0, 0.0, 1.0]]), dict(amax=8, cutoff_in=0.9, cutoff_out=0.7)),
])
def test_bandlimit_filter_equals_the_fft_design(mat: torch.Tensor, kwargs: dict) -> None:
    expected = _bandlimit_filter_fft(mat, **kwargs)
    got = eq.affine_bandlimit_filter(mat, **kwargs)
    assert got.shape == expected.shape
    torch.testing.assert_close(got, expected, rtol=0, atol=2e-6 * float(expected.abs().max()))


@pytest.mark.skipif(not (REFERENCE / 'sg3t-64').is_dir(), reason='reference data not available')
def test_the_gpu_batch_of_all_transforms_equals_the_renders_one_by_one() -> None:
    """On CUDA / MPS a batch's renders run as one batch with per-sample input transforms; checked here on the CPU."""
    G = _reference_generator('sg3t-64')
    ws = G.mapping(torch.randn([2, G.z_dim], generator=torch.Generator().manual_seed(4)), None)
    matrices = [torch.eye(3), eq.translation_input_transform(0.1, -0.05), eq.rotation_input_transform(0.6)]
    batched = eq._synthesize_batched(G, ws, matrices, 'const')
    one_by_one = eq._synthesize_all(G, ws, matrices, 'const', num_threads=1)
    for a, b in zip(batched, one_by_one):
        torch.testing.assert_close(a, b, rtol=0, atol=2e-5)
