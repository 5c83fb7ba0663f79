"""sg3.filters (Kaiser-windowed sinc and radial jinc low-pass design) against scipy."""

from pathlib import Path

import numpy as np
import pytest
import torch

from sg3 import filters
from tests.sg3.oracles import jinc_lowpass_np
from tests.sg3.oracles import sg3_filter_specs

scipy_signal = pytest.importorskip('scipy.signal')

REFERENCE_DIR = Path(__file__).resolve().parents[2].parent / 'shared' / 'reference'

#----------------------------------------------------------------------------
# Parameter grids.

def _sg3_specs():
    """Every filter of StyleGAN3-T and -R synthesis networks at 64, 256 and 1024 px."""
    specs = []
    for res in [64, 256, 1024]:
        for config in ['t', 'r']:
            for spec in sg3_filter_specs(res, config):
                spec = dict(spec, id=f'{config}{res}-{spec["name"]}-{spec["which"]}')
                specs.append(spec)
    return specs

SG3_SPECS = _sg3_specs()
SG3_SEPARABLE = [s for s in SG3_SPECS if s['numtaps'] > 1 and not s['radial'] and s['id'][0] == 't'] # R's are the same.
SG3_RADIAL = [s for s in SG3_SPECS if s['numtaps'] > 1 and s['radial']]

def _random_specs(count, seed):
    """Random (numtaps, cutoff, width, fs), cutoff strictly inside (0, fs/2)."""
    rng = np.random.default_rng(seed)
    specs = []
    for _ in range(count):
        fs = float(rng.choice([1.0, 16.0, 64.0, 1000.0]) * rng.uniform(0.5, 2))
        cutoff = float(rng.uniform(0.05, 0.45) * fs)
        width = float(rng.uniform(0.01, 0.5) * fs)
        numtaps = int(rng.integers(2, 41))
        specs.append((numtaps, cutoff, width, fs))
    return specs

RANDOM_SPECS = _random_specs(40, seed=0)

def _unique(params):
    return sorted(set(params))

# A float64 design rounded to float32 is within one float32 ulp (at most 2**-23 relative).
FLOAT32_RTOL = 1.2e-7

# The radial filter's shape tolerance. Exact agreement (float32 rounding) is checked separately.
RADIAL_RTOL = 1e-5

#----------------------------------------------------------------------------
# Kaiser window parameters.

@pytest.mark.parametrize('a', [0.0, 5.0, 20.9, 21.0, 21.5, 30.0, 49.9, 50.0, 50.1, 60.0, 80.0, 120.0])
def test_kaiser_beta_matches_scipy(a):
    np.testing.assert_allclose(filters.kaiser_beta(a), scipy_signal.kaiser_beta(a), rtol=1e-13, atol=1e-15)

def test_kaiser_atten_matches_scipy():
    for numtaps in [2, 3, 6, 12, 24, 48, 101]:
        for width in [0.01, 0.1, 0.33, 0.5, 0.9, 1.5]:
            want = scipy_signal.kaiser_atten(numtaps, width)
            np.testing.assert_allclose(filters.kaiser_atten(numtaps, width), want, rtol=1e-13)

#----------------------------------------------------------------------------
# firwin.

def _check_firwin(numtaps, cutoff, width, fs):
    got = filters.firwin(numtaps, cutoff, width, fs)
    want = scipy_signal.firwin(numtaps, cutoff=cutoff, width=width, fs=fs)
    assert isinstance(got, np.ndarray) and got.dtype == np.float64 and got.shape == (numtaps,)
    np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-14)

@pytest.mark.parametrize('params', _unique((s['numtaps'], s['cutoff'], s['width'], s['fs']) for s in SG3_SEPARABLE))
def test_firwin_matches_scipy_on_sg3_layers(params):
    _check_firwin(*params)

def test_firwin_matches_scipy_on_random_parameters():
    for params in RANDOM_SPECS:
        _check_firwin(*params)

def test_firwin_is_symmetric_with_unit_dc_gain():
    f = filters.firwin(24, 11.3, 9.0, 64.0)
    np.testing.assert_allclose(f, f[::-1], rtol=0, atol=1e-15)
    np.testing.assert_allclose(f.sum(), 1.0, rtol=1e-12)

#----------------------------------------------------------------------------
# design_lowpass_filter.

def test_design_lowpass_filter_identity():
    assert filters.design_lowpass_filter(1, 2.0, 4.0, 16) is None
    assert filters.design_lowpass_filter(1, 2.0, 4.0, 16, radial=True) is None

@pytest.mark.parametrize('spec', SG3_SEPARABLE, ids=lambda s: s['id'])
def test_design_lowpass_filter_separable_sg3(spec):
    f = filters.design_lowpass_filter(spec['numtaps'], spec['cutoff'], spec['width'], spec['fs'], radial=False)
    want = scipy_signal.firwin(spec['numtaps'], cutoff=spec['cutoff'], width=spec['width'], fs=spec['fs'])
    assert isinstance(f, torch.Tensor) and f.dtype == torch.float32 and f.shape == (spec['numtaps'],)
    np.testing.assert_allclose(f.numpy(), want, rtol=FLOAT32_RTOL, atol=1e-12)

@pytest.mark.parametrize('spec', SG3_RADIAL, ids=lambda s: s['id'])
def test_design_lowpass_filter_radial_sg3(spec):
    n = spec['numtaps']
    f = filters.design_lowpass_filter(n, spec['cutoff'], spec['width'], spec['fs'], radial=True)
    assert isinstance(f, torch.Tensor) and f.dtype == torch.float32 and f.shape == (n, n)
    want = jinc_lowpass_np(n, spec['cutoff'], spec['width'], spec['fs'])
    np.testing.assert_allclose(f.numpy(), want, rtol=RADIAL_RTOL, atol=1e-8)

@pytest.mark.parametrize('numtaps', [2, 3, 5, 6, 7, 12, 13])
def test_design_lowpass_filter_radial_odd_and_even(numtaps):
    # Odd sizes have a sample at r == 0, where the jinc takes its limit value `cutoff`.
    cutoff, width, fs = 5.0, 6.0, 32.0
    f = filters.design_lowpass_filter(numtaps, cutoff, width, fs, radial=True).numpy()
    assert np.all(np.isfinite(f))
    np.testing.assert_allclose(f, jinc_lowpass_np(numtaps, cutoff, width, fs), rtol=RADIAL_RTOL, atol=1e-8)
    np.testing.assert_allclose(f.sum(), 1.0, rtol=1e-5)
    np.testing.assert_allclose(f, f.T, rtol=0, atol=1e-7)
    np.testing.assert_allclose(f, f[::-1, ::-1], rtol=0, atol=1e-7)

def test_design_lowpass_filter_radial_exact_to_float32():
    # NVIDIA designs the jinc filter in float64 with scipy.special.j1 and rounds it to float32;
    # a float64-accurate J1 reproduces that to within one float32 ulp.
    specs = [(s['numtaps'], s['cutoff'], s['width'], s['fs']) for s in SG3_RADIAL]
    specs += [(n, 5.0, 6.0, 32.0) for n in [3, 7, 13]]
    worst = 0.0
    for numtaps, cutoff, width, fs in specs:
        f = filters.design_lowpass_filter(numtaps, cutoff, width, fs, radial=True).numpy().astype(np.float64)
        want = jinc_lowpass_np(numtaps, cutoff, width, fs)
        worst = max(worst, float(np.max(np.abs(f - want) / (np.abs(want) + 1e-12))))
    assert worst <= FLOAT32_RTOL, f'largest relative tap error {worst:.3g}'

def test_design_lowpass_filter_random_parameters():
    for numtaps, cutoff, width, fs in RANDOM_SPECS[:12]:
        f = filters.design_lowpass_filter(numtaps, cutoff, width, fs)
        want = scipy_signal.firwin(numtaps, cutoff=cutoff, width=width, fs=fs)
        np.testing.assert_allclose(f.numpy(), want, rtol=FLOAT32_RTOL, atol=1e-12)
        f = filters.design_lowpass_filter(numtaps, cutoff, width, fs, radial=True)
        np.testing.assert_allclose(f.numpy(), jinc_lowpass_np(numtaps, cutoff, width, fs), rtol=RADIAL_RTOL, atol=1e-8)

#----------------------------------------------------------------------------
# The real filters of NVIDIA's reference network.

def _reference_weights():
    path = REFERENCE_DIR / 'sg3t-64' / 'weights.npz'
    if not path.is_file():
        pytest.skip(f'reference data not found at {path}')
    return np.load(path)

def test_reference_l4_filters_reproduced():
    # L4_52_128 of the 64 px StyleGAN3-T: in 16 -> out 32 samples/px, tmp rate 64, up 4, down 2.
    weights = _reference_weights()
    specs = {s['which']: s for s in sg3_filter_specs(64, 't') if s['name'] == 'L4_52'}
    assert specs['up']['numtaps'] == 24 and specs['up']['fs'] == 64 and specs['up']['up'] == 4
    assert specs['down']['numtaps'] == 12 and specs['down']['down'] == 2
    for which in ['up', 'down']:
        s = specs[which]
        f = filters.design_lowpass_filter(s['numtaps'], s['cutoff'], s['width'], s['fs'], radial=False)
        want = weights[f'synthesis.L4_52_128.{which}_filter']
        np.testing.assert_allclose(f.numpy(), want, rtol=1e-6, atol=1e-8)

def test_reference_all_layer_filters_reproduced():
    weights = _reference_weights()
    checked = 0
    for s in sg3_filter_specs(64, 't'):
        keys = [k for k in weights.files if k.startswith(f'synthesis.{s["name"]}_') and k.endswith(f'.{s["which"]}_filter')]
        f = filters.design_lowpass_filter(s['numtaps'], s['cutoff'], s['width'], s['fs'], radial=s['radial'])
        if s['numtaps'] == 1:
            assert f is None and not keys
            continue
        assert len(keys) == 1, f'no single stored filter for {s["name"]} {s["which"]}: {keys}'
        np.testing.assert_allclose(f.numpy(), weights[keys[0]], rtol=1e-6, atol=1e-8)
        checked += 1
    assert checked == 28

#----------------------------------------------------------------------------
