"""sg3.ops (upfirdn2d, bias_act, filtered_lrelu) against independent float64 numpy oracles."""

import numpy as np
import pytest
import torch

from sg3.errors import OpArgumentError
from sg3.ops import bias_act
from sg3.ops import filtered_lrelu
from sg3.ops import upfirdn2d
from tests.sg3.oracles import ACTIVATIONS
from tests.sg3.oracles import bias_act_np
from tests.sg3.oracles import filtered_lrelu_np
from tests.sg3.oracles import parse_padding
from tests.sg3.oracles import parse_scaling
from tests.sg3.oracles import upfirdn2d_np
from tests.sg3.oracles import upfirdn2d_out_size

scipy_signal = pytest.importorskip('scipy.signal')

#----------------------------------------------------------------------------
# Helpers.

def _rng(seed):
    return np.random.default_rng(seed)

def _image(shape, seed, dtype=torch.float64):
    return torch.as_tensor(_rng(seed).standard_normal(shape), dtype=dtype)

def _filter(spec, seed):
    """Non-symmetric random float32 filter: None, ('1d', K) or ('2d', (Kh, Kw))."""
    if spec is None:
        return None
    kind, size = spec
    shape = [size] if kind == '1d' else list(size)
    return torch.as_tensor(_rng(seed).uniform(0.1, 1.0, shape), dtype=torch.float32)

def _np(t):
    return None if t is None else t.detach().to(torch.float64).numpy()

def _assert_close(got, want, rtol, atol):
    got = got.detach().to(torch.float64).numpy()
    assert got.shape == want.shape, f'shape {got.shape}, expected {want.shape}'
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)

def _assert_close_scaled(got, want, tol):
    """Absolute tolerance relative to the largest magnitude: for a filter scaled by a gain in float32
    (as NVIDIA's upfirdn2d does), every tap carries a relative rounding error of about 6e-8."""
    _assert_close(got, want, rtol=0, atol=tol * np.abs(want).max())

#----------------------------------------------------------------------------
# upfirdn2d against the explicit-loop oracle.

UPFIRDN_CASES = [
    # (x shape [N, C, H, W], filter, up, down, padding)
    ((2, 3, 7, 10), None,              1,      1,      0),
    ((2, 3, 7, 10), ('1d', 1),         2,      1,      [0, 1]),
    ((1, 2, 9, 6),  ('1d', 4),         2,      1,      [2, 1]),
    ((1, 2, 9, 6),  ('1d', 5),         1,      2,      [2, 2, 1, 3]),
    ((1, 2, 5, 8),  ('1d', 12),        4,      2,      [6, 5, 7, 4]),
    ((1, 2, 11, 7), ('1d', 3),         1,      4,      [1, -1, 0, 2]),
    ((1, 1, 8, 8),  ('1d', 6),         [2, 1], [1, 2], [3, 2, 1, 1]),
    ((1, 1, 6, 9),  ('1d', 4),         [1, 4], [4, 1], [1, 2, 3, -2]),
    ((2, 2, 7, 5),  ('2d', (3, 4)),    2,      2,      [2, 1, 1, 2]),
    ((1, 2, 6, 7),  ('2d', (5, 2)),    [4, 2], [2, 1], [-1, 3, 2, -2]),
    ((1, 3, 9, 9),  ('2d', (4, 4)),    1,      1,      [-2, -1, -1, -3]),
    ((1, 1, 5, 6),  ('2d', (1, 1)),    4,      4,      [0, 3, 1, 2]),
    ((1, 1, 10, 12), ('2d', (6, 6)),   2,      [2, 4], [3, 2, 3, 2]),
    ((1, 2, 3, 4),  ('2d', (2, 3)),    [2, 4], [4, 2], 1),
]

@pytest.mark.parametrize('flip_filter', [False, True])
@pytest.mark.parametrize('case', UPFIRDN_CASES, ids=[f'case{i}' for i in range(len(UPFIRDN_CASES))])
def test_upfirdn2d_matches_loop_oracle(case, flip_filter):
    shape, fspec, up, down, padding = case
    x = _image(shape, seed=1)
    f = _filter(fspec, seed=2)
    want = upfirdn2d_np(_np(x), _np(f), up=up, down=down, padding=padding, flip_filter=flip_filter)

    # Output size, counted independently of any closed formula.
    upx, upy = parse_scaling(up)
    downx, downy = parse_scaling(down)
    px0, px1, py0, py1 = parse_padding(padding)
    kw = 1 if f is None else f.shape[-1]
    kh = 1 if f is None else f.shape[0]
    assert want.shape[3] == upfirdn2d_out_size(shape[3], upx, px0, px1, kw, downx)
    assert want.shape[2] == upfirdn2d_out_size(shape[2], upy, py0, py1, kh, downy)

    got64 = upfirdn2d.upfirdn2d(x, f, up=up, down=down, padding=padding, flip_filter=flip_filter)
    assert got64.dtype == torch.float64
    _assert_close(got64, want, rtol=1e-12, atol=1e-12)

    got32 = upfirdn2d.upfirdn2d(x.float(), f, up=up, down=down, padding=padding, flip_filter=flip_filter)
    assert got32.dtype == torch.float32
    _assert_close(got32, want, rtol=1e-5, atol=1e-5)

@pytest.mark.parametrize('taps', [3, 4, 12])
@pytest.mark.parametrize('up,down', [(1, 1), (2, 1), (1, 2), ([4, 2], [1, 4]), ([2, 1], [2, 2])])
def test_upfirdn2d_matches_scipy_upfirdn(taps, up, down):
    # scipy.signal.upfirdn(h, x, up, down) is the full convolution of the zero-stuffed signal
    # (trailing zeros omitted); upfirdn2d gives the same with padding [K-1, K-up] per axis.
    upx, upy = parse_scaling(up)
    downx, downy = parse_scaling(down)
    x = _image([2, 2, 7, 9], seed=3)
    f = _filter(('1d', taps), seed=4)
    h = _np(f)
    want = scipy_signal.upfirdn(h, _np(x), up=upx, down=downx, axis=3)
    want = scipy_signal.upfirdn(h, want, up=upy, down=downy, axis=2)
    padding = [taps - 1, taps - upx, taps - 1, taps - upy]
    got = upfirdn2d.upfirdn2d(x, f, up=up, down=down, padding=padding)
    _assert_close(got, want, rtol=1e-12, atol=1e-12)

@pytest.mark.parametrize('mode', ['valid', 'full'])
def test_upfirdn2d_2d_filter_matches_scipy_convolve2d(mode):
    x = _image([2, 3, 8, 11], seed=5)
    f = _filter(('2d', (3, 5)), seed=6)
    padding = 0 if mode == 'valid' else [4, 4, 2, 2]
    want = np.stack([np.stack([scipy_signal.convolve2d(img, _np(f), mode=mode) for img in item]) for item in _np(x)])
    got = upfirdn2d.upfirdn2d(x, f, padding=padding)
    _assert_close(got, want, rtol=1e-12, atol=1e-12)
    want_corr = np.stack([np.stack([scipy_signal.correlate2d(img, _np(f), mode=mode) for img in item]) for item in _np(x)])
    got_corr = upfirdn2d.upfirdn2d(x, f, padding=padding, flip_filter=True)
    _assert_close(got_corr, want_corr, rtol=1e-12, atol=1e-12)

@pytest.mark.parametrize('fspec', [('1d', 5), ('2d', (3, 4))])
@pytest.mark.parametrize('gain', [4.0, 0.25, 2.5, 0.3])
def test_upfirdn2d_gain_scales_output(fspec, gain):
    # The filter is scaled by gain**(ndim/2): the overall output scales by gain for 1-D and 2-D.
    # Powers of 4 scale the float32 filter exactly; other gains round it to float32.
    x = _image([1, 2, 6, 7], seed=7)
    f = _filter(fspec, seed=8)
    kwargs = dict(up=2, down=[1, 2], padding=[2, 1, 0, 3])
    got = upfirdn2d.upfirdn2d(x, f, gain=gain, **kwargs)
    want = upfirdn2d_np(_np(x), _np(f), gain=gain, **kwargs)
    tol = 1e-13 if gain in (4.0, 0.25) else 1e-6
    _assert_close_scaled(got, want, tol)
    _assert_close_scaled(got, gain * _np(upfirdn2d.upfirdn2d(x, f, **kwargs)), tol)

def test_upfirdn2d_flip_filter_equals_flipped_filter():
    x = _image([2, 2, 7, 6], seed=9)
    for f in [_filter(('1d', 4), seed=10), _filter(('2d', (3, 5)), seed=11)]:
        kwargs = dict(up=[2, 1], down=[1, 2], padding=[1, 2, 3, 0])
        got = upfirdn2d.upfirdn2d(x, f, flip_filter=True, **kwargs)
        want = upfirdn2d.upfirdn2d(x, f.flip(list(range(f.ndim))), **kwargs)
        _assert_close(got, _np(want), rtol=1e-12, atol=1e-12)

@pytest.mark.parametrize('taps', [1, 2, 5, 12])
@pytest.mark.parametrize('flip_filter', [False, True])
def test_upfirdn2d_separable_equals_outer_product(taps, flip_filter):
    x = _image([2, 3, 9, 8], seed=12)
    f1 = _filter(('1d', taps), seed=13)
    f2 = torch.outer(f1, f1)
    kwargs = dict(up=[2, 4], down=[2, 1], padding=[taps, taps - 1, taps + 1, -1], gain=3.0, flip_filter=flip_filter)
    got1 = upfirdn2d.upfirdn2d(x, f1, **kwargs)
    got2 = upfirdn2d.upfirdn2d(x, f2, **kwargs)
    _assert_close_scaled(got1, _np(got2), 1e-6)

def test_upfirdn2d_batch_and_channels_are_independent():
    x = _image([3, 4, 6, 5], seed=14)
    f = _filter(('2d', (3, 3)), seed=15)
    kwargs = dict(up=2, down=1, padding=[1, 2, 2, 1])
    whole = upfirdn2d.upfirdn2d(x, f, **kwargs)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            single = upfirdn2d.upfirdn2d(x[n:n + 1, c:c + 1], f, **kwargs)
            _assert_close(whole[n:n + 1, c:c + 1], _np(single), rtol=1e-12, atol=1e-12)

@pytest.mark.parametrize('fspec,up,down,padding', [
    (('1d', 3), 2, 1, [1, 2, 0, 1]),
    (('2d', (3, 2)), 1, 2, [1, 1, 2, 0]),
    (('1d', 4), [2, 1], [1, 2], [2, 1, 1, 2]),
])
def test_upfirdn2d_gradcheck(fspec, up, down, padding):
    x = _image([1, 2, 5, 6], seed=16).requires_grad_(True)
    f = _filter(fspec, seed=17)
    func = lambda x: upfirdn2d.upfirdn2d(x, f, up=up, down=down, padding=padding, gain=1.5)
    assert torch.autograd.gradcheck(func, (x,), eps=1e-6, atol=1e-8)

def test_upfirdn2d_rejects_wrong_ndim():
    f = _filter(('1d', 3), seed=18)
    with pytest.raises(OpArgumentError):
        upfirdn2d.upfirdn2d(torch.zeros([2, 8, 8]), f)
    with pytest.raises(OpArgumentError):
        upfirdn2d.upfirdn2d(torch.zeros([1, 2, 8, 8]), torch.ones([2, 2, 2]))

#----------------------------------------------------------------------------
# setup_filter, upsample2d, downsample2d.

def test_setup_filter():
    # Short 1-D filters become 2-D outer products, long ones stay separable; normalised to sum 1.
    f = upfirdn2d.setup_filter([1, 3, 3, 1])
    assert f.dtype == torch.float32 and f.shape == (4, 4)
    np.testing.assert_allclose(f.numpy(), np.outer([1, 3, 3, 1], [1, 3, 3, 1]) / 64, rtol=1e-6)
    f = upfirdn2d.setup_filter(np.arange(1, 9))
    assert f.shape == (8,)
    np.testing.assert_allclose(f.numpy(), np.arange(1, 9) / 36, rtol=1e-6)
    assert upfirdn2d.setup_filter([1, 2, 3], separable=True).shape == (3,)
    assert upfirdn2d.setup_filter(np.arange(1, 9), separable=False).shape == (8, 8)
    np.testing.assert_allclose(upfirdn2d.setup_filter(None).numpy(), [[1.0]])

    # Flip, gain**(ndim/2), no normalisation.
    f = upfirdn2d.setup_filter([1, 2, 5], normalize=False, flip_filter=True, gain=4, separable=True)
    np.testing.assert_allclose(f.numpy(), [10, 4, 2], rtol=1e-6)
    f = upfirdn2d.setup_filter([[1, 2], [3, 4]], normalize=True, gain=4)
    np.testing.assert_allclose(f.numpy(), np.array([[1, 2], [3, 4]]) / 10 * 4, rtol=1e-6)

@pytest.mark.parametrize('fspec', [('1d', 4), ('1d', 5), ('2d', (4, 3))])
@pytest.mark.parametrize('up', [2, [2, 4], 4])
def test_upsample2d(fspec, up):
    x = _image([1, 2, 5, 7], seed=19)
    f = _filter(fspec, seed=20)
    upx, upy = parse_scaling(up)
    fw, fh = f.shape[-1], f.shape[0]
    padding = [1, -1, 0, 2]
    got = upfirdn2d.upsample2d(x, f, up=up, padding=padding, gain=0.5)
    # NVIDIA's upsample2d: padding centred on the filter, gain multiplied by upx*upy.
    p = [padding[0] + (fw + upx - 1) // 2, padding[1] + (fw - upx) // 2,
         padding[2] + (fh + upy - 1) // 2, padding[3] + (fh - upy) // 2]
    want = upfirdn2d_np(_np(x), _np(f), up=up, padding=p, gain=0.5 * upx * upy)
    _assert_close_scaled(got, want, 1e-6)
    assert got.shape[2:] == (5 * upy + 2, 7 * upx + 0)

@pytest.mark.parametrize('fspec', [('1d', 4), ('1d', 5), ('2d', (4, 3))])
@pytest.mark.parametrize('down', [2, [4, 2]])
def test_downsample2d(fspec, down):
    x = _image([1, 2, 12, 16], seed=21)
    f = _filter(fspec, seed=22)
    downx, downy = parse_scaling(down)
    fw, fh = f.shape[-1], f.shape[0]
    padding = [0, 2, 1, 1]
    got = upfirdn2d.downsample2d(x, f, down=down, padding=padding, gain=2)
    p = [padding[0] + (fw - downx + 1) // 2, padding[1] + (fw - downx) // 2,
         padding[2] + (fh - downy + 1) // 2, padding[3] + (fh - downy) // 2]
    want = upfirdn2d_np(_np(x), _np(f), down=down, padding=p, gain=2)
    _assert_close_scaled(got, want, 1e-6)

def test_resampling_preserves_dc():
    # A constant image stays constant away from the borders with a normalised filter.
    x = torch.full([1, 1, 12, 12], 0.75, dtype=torch.float64)
    f = upfirdn2d.setup_filter([1, 3, 3, 1])
    up = upfirdn2d.upsample2d(x, f, up=2)
    assert up.shape == (1, 1, 24, 24)
    np.testing.assert_allclose(up[0, 0, 3:-3, 3:-3].numpy(), 0.75, rtol=1e-12)
    down = upfirdn2d.downsample2d(x, f, down=2)
    assert down.shape == (1, 1, 6, 6)
    np.testing.assert_allclose(down[0, 0, 1:-1, 1:-1].numpy(), 0.75, rtol=1e-12)

#----------------------------------------------------------------------------
# bias_act.

@pytest.mark.parametrize('act', list(ACTIVATIONS))
def test_bias_act_default_alpha_and_gain(act):
    x = _image([3, 4, 5], seed=23) * 3
    b = _image([4], seed=24)
    got = bias_act.bias_act(x, b, act=act)
    assert got.dtype == torch.float64
    _assert_close(got, bias_act_np(_np(x), _np(b), dim=1, act=act), rtol=1e-10, atol=1e-12)
    got32 = bias_act.bias_act(x.float(), b.float(), act=act)
    assert got32.dtype == torch.float32
    _assert_close(got32, bias_act_np(_np(x), _np(b), dim=1, act=act), rtol=1e-5, atol=1e-5)

def test_bias_act_known_values():
    # Default gains sqrt(2) for relu/lrelu/swish, 1 otherwise; lrelu default slope 0.2.
    x = torch.tensor([-2.0, 0.5], dtype=torch.float64)
    np.testing.assert_allclose(bias_act.bias_act(x, act='lrelu').numpy(), np.sqrt(2) * np.array([-0.4, 0.5]), rtol=1e-12)
    np.testing.assert_allclose(bias_act.bias_act(x, act='relu').numpy(), np.sqrt(2) * np.array([0.0, 0.5]), rtol=1e-12)
    np.testing.assert_allclose(bias_act.bias_act(x, act='tanh').numpy(), np.tanh([-2.0, 0.5]), rtol=1e-12)
    np.testing.assert_allclose(bias_act.bias_act(x).numpy(), [-2.0, 0.5], rtol=1e-12)

@pytest.mark.parametrize('dim,shape', [(0, [4, 3, 2]), (1, [2, 4, 3, 5]), (2, [2, 3, 4, 5]), (3, [2, 3, 5, 4]), (1, [5, 4])])
def test_bias_act_bias_dim(dim, shape):
    x = _image(shape, seed=25)
    b = _image([4], seed=26)
    got = bias_act.bias_act(x, b, dim=dim, act='lrelu', alpha=0.1, gain=0.5)
    _assert_close(got, bias_act_np(_np(x), _np(b), dim=dim, act='lrelu', alpha=0.1, gain=0.5), rtol=1e-12, atol=1e-12)

def test_bias_act_order_bias_act_gain_clamp():
    # Clamp comes after the gain: 3 * 2 = 6 is clamped to 5; bias comes before the activation.
    x = torch.tensor([[3.0, -3.0, 1.0]], dtype=torch.float64)
    np.testing.assert_allclose(bias_act.bias_act(x, gain=2, clamp=5).numpy(), [[5.0, -5.0, 2.0]])
    b = torch.tensor([-1.0], dtype=torch.float64)
    got = bias_act.bias_act(x.T, b, dim=1, act='relu', gain=1, clamp=1.5).numpy()
    np.testing.assert_allclose(got, [[1.5], [0.0], [0.0]])
    x = _image([2, 3, 4, 4], seed=27) * 10
    b = _image([3], seed=28)
    got = bias_act.bias_act(x, b, act='lrelu', clamp=4)
    assert got.abs().max() <= 4
    _assert_close(got, bias_act_np(_np(x), _np(b), act='lrelu', clamp=4), rtol=1e-12, atol=1e-12)

def test_bias_act_without_bias_ignores_dim():
    x = _image([2, 3, 4], seed=29)
    _assert_close(bias_act.bias_act(x, None, dim=2, act='swish'), bias_act_np(_np(x), act='swish'), rtol=1e-12, atol=1e-12)

@pytest.mark.parametrize('act,clamp', [('lrelu', None), ('tanh', None), ('swish', None), ('linear', 0.8), ('elu', None)])
def test_bias_act_gradcheck(act, clamp):
    x = (_image([2, 3, 4], seed=30) * 2).requires_grad_(True)
    b = _image([3], seed=31).requires_grad_(True)
    func = lambda x, b: bias_act.bias_act(x, b, act=act, gain=1.3, clamp=clamp)
    assert torch.autograd.gradcheck(func, (x, b), eps=1e-6, atol=1e-8)

def test_bias_act_rejects_wrong_bias_ndim():
    with pytest.raises(OpArgumentError):
        bias_act.bias_act(torch.zeros([2, 3, 4]), torch.zeros([3, 1]), act='lrelu')

#----------------------------------------------------------------------------
# filtered_lrelu.

FLRELU_CASES = [
    # (x shape, fu, fd, up, down, padding, extra kwargs)
    ((2, 3, 6, 5),  None,           None,           1, 1, 0,             {}),
    ((2, 3, 9, 7),  ('1d', 8),      ('1d', 8),      2, 2, [4, 3, 4, 3],  {}),
    ((1, 2, 6, 8),  ('1d', 8),      ('2d', (4, 4)), 4, 2, [5, 2, 3, 6],  {}),
    ((1, 2, 10, 9), None,           ('1d', 4),      1, 2, [1, 2, 2, 1],  {}),
    ((1, 2, 7, 6),  ('2d', (3, 5)), ('1d', 3),      2, 1, [2, 1, -1, 3], dict(flip_filter=True)),
    ((1, 3, 8, 8),  ('1d', 6),      ('1d', 6),      2, 2, [3, 3, 3, 3],  dict(slope=1, gain=1, clamp=0.7)),
    ((2, 2, 6, 7),  ('1d', 4),      ('2d', (2, 2)), 2, 4, [2, 1, 0, 3],  dict(gain=0.8, slope=0.05, clamp=0.5)),
]

@pytest.mark.parametrize('case', FLRELU_CASES, ids=[f'case{i}' for i in range(len(FLRELU_CASES))])
def test_filtered_lrelu_matches_oracle(case):
    shape, fuspec, fdspec, up, down, padding, kwargs = case
    x = _image(shape, seed=32) * 3
    b = _image([shape[1]], seed=33)
    fu = _filter(fuspec, seed=34)
    fd = _filter(fdspec, seed=35)
    want = filtered_lrelu_np(_np(x), _np(fu), _np(fd), _np(b), up=up, down=down, padding=padding, **kwargs)
    got = filtered_lrelu.filtered_lrelu(x, fu, fd, b, up=up, down=down, padding=padding, **kwargs)
    assert got.dtype == torch.float64
    _assert_close(got, want, rtol=1e-11, atol=1e-11)
    got32 = filtered_lrelu.filtered_lrelu(x.float(), fu, fd, b.float(), up=up, down=down, padding=padding, **kwargs)
    assert got32.dtype == torch.float32
    _assert_close(got32, want, rtol=1e-4, atol=1e-4)

def test_filtered_lrelu_clamp_bounds_output_before_downsampling():
    x = _image([1, 2, 7, 7], seed=36) * 50
    fu = _filter(('1d', 4), seed=37)
    got = filtered_lrelu.filtered_lrelu(x, fu, None, up=2, padding=[2, 1, 2, 1], clamp=1.25)
    assert got.abs().max() == pytest.approx(1.25)
    _assert_close(got, filtered_lrelu_np(_np(x), _np(fu), None, up=2, padding=[2, 1, 2, 1], clamp=1.25), rtol=1e-12, atol=1e-12)

def test_filtered_lrelu_default_arguments():
    # Defaults: gain sqrt(2), slope 0.2, no filters, no bias: a scaled leaky ReLU.
    x = _image([1, 2, 4, 5], seed=38)
    want = np.where(_np(x) >= 0, _np(x), 0.2 * _np(x)) * np.sqrt(2)
    _assert_close(filtered_lrelu.filtered_lrelu(x), want, rtol=1e-12, atol=1e-12)

def test_filtered_lrelu_batch_and_channels_are_independent():
    x = _image([2, 3, 6, 6], seed=39)
    b = _image([3], seed=40)
    fu = _filter(('1d', 4), seed=41)
    fd = _filter(('2d', (4, 4)), seed=42)
    kwargs = dict(up=2, down=2, padding=[3, 2, 3, 2])
    whole = filtered_lrelu.filtered_lrelu(x, fu, fd, b, **kwargs)
    for n in range(2):
        for c in range(3):
            single = filtered_lrelu.filtered_lrelu(x[n:n + 1, c:c + 1], fu, fd, b[c:c + 1], **kwargs)
            _assert_close(whole[n:n + 1, c:c + 1], _np(single), rtol=1e-12, atol=1e-12)

def test_filtered_lrelu_sg3_layer_geometry():
    # The real L4 configuration of a 64 px StyleGAN3-T: 36 px (+2 conv border) in, up 4, down 2,
    # 24-tap up filter, 12-tap down filter, 52 px out; padding as SynthesisLayer computes it.
    fu = _filter(('1d', 24), seed=43)
    fu = fu / fu.sum()
    fd = _filter(('1d', 12), seed=44)
    fd = fd / fd.sum()
    in_size, out_size, up, down, conv_kernel = 36, 52, 4, 2, 3
    pad_total = (out_size - 1) * down + 1 - (in_size + conv_kernel - 1) * up + 24 + 12 - 2
    pad_lo = (pad_total + up) // 2
    padding = [pad_lo, pad_total - pad_lo, pad_lo, pad_total - pad_lo]
    x = _image([1, 2, 38, 38], seed=45)
    b = _image([2], seed=46)
    got = filtered_lrelu.filtered_lrelu(x.float(), fu, fd, b.float(), up=up, down=down, padding=padding, clamp=256)
    assert got.shape == (1, 2, 52, 52)
    want = filtered_lrelu_np(_np(x), _np(fu), _np(fd), _np(b), up=up, down=down, padding=padding, clamp=256)
    _assert_close(got, want, rtol=1e-4, atol=1e-5)

@pytest.mark.parametrize('fuspec,fdspec,clamp', [(('1d', 4), ('1d', 4), None), (('2d', (3, 3)), ('2d', (4, 4)), 0.9)])
def test_filtered_lrelu_gradcheck(fuspec, fdspec, clamp):
    x = _image([1, 2, 5, 6], seed=47).requires_grad_(True)
    b = _image([2], seed=48).requires_grad_(True)
    fu = _filter(fuspec, seed=49)
    fd = _filter(fdspec, seed=50)
    func = lambda x, b: filtered_lrelu.filtered_lrelu(x, fu, fd, b, up=2, down=2, padding=[2, 1, 1, 2], clamp=clamp)
    assert torch.autograd.gradcheck(func, (x, b), eps=1e-6, atol=1e-8)

def test_filtered_lrelu_rejects_wrong_ndim():
    with pytest.raises(OpArgumentError):
        filtered_lrelu.filtered_lrelu(torch.zeros([2, 6, 6]))

#----------------------------------------------------------------------------
