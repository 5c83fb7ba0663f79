"""The fast paths of upfirdn2d and filtered_lrelu against the reference path and the float64 numpy
oracles; their building blocks; the implementation switch, threads and work buffers."""

import os
import pathlib
import subprocess
import sys
import threading

import numpy as np
import pytest
import torch

import sg3.ops
from sg3.filters import design_lowpass_filter
from sg3.ops import _impl, _workspace
from sg3.ops import _parallel, fast_conv, fast_filtered_lrelu, fast_upfirdn2d, native
from sg3.ops.fast_resample import make_resample1d, separable_terms
from sg3.ops.filtered_lrelu import filtered_lrelu, filtered_lrelu_ref
from sg3.ops.upfirdn2d import upfirdn2d, upfirdn2d_ref
from tests.sg3.oracles import filtered_lrelu_np, upfirdn2d_np
from tests.sg3.test_ops import _image, _rng

REPO = pathlib.Path(__file__).resolve().parents[2]

#----------------------------------------------------------------------------
# Helpers.

def _filter(spec, seed):
    """None, ('1d', K), ('2d', (Kh, Kw)) random non-symmetric taps, or ('jinc', K) a radial low-pass filter."""
    if spec is None:
        return None
    kind, size = spec
    if kind == 'jinc':
        return design_lowpass_filter(numtaps=size, cutoff=10, width=8, fs=64, radial=True)
    if kind == 'lowpass':
        return design_lowpass_filter(numtaps=size, cutoff=10, width=8, fs=64)
    shape = [size] if kind == '1d' else list(size)
    return torch.as_tensor(_rng(seed).uniform(0.1, 1.0, shape), dtype=torch.float32)

def _np(t):
    return None if t is None else t.detach().to(torch.float64).numpy()

def _max_diff(a, b) -> float:
    return float(np.max(np.abs(np.asarray(_np(a) if isinstance(a, torch.Tensor) else a) - np.asarray(_np(b) if isinstance(b, torch.Tensor) else b))))

#----------------------------------------------------------------------------
# Building blocks.

@pytest.mark.parametrize('taps,up,down,pad0,pad1,flip', [
    (12, 2, 1, 9, 8, False), (24, 4, 1, -6, -9, True), (12, 1, 2, 0, 0, False), (5, 3, 2, 2, -1, True), (1, 2, 2, 1, 0, False)])
def test_resample_matrix_is_upfirdn_of_unit_impulses(taps, up, down, pad0, pad1, flip):
    """Column i of the 1-D resampling matrix is the reference op applied to the i-th unit impulse."""
    n_in = 12
    f = _filter(('1d', taps), seed=1)
    spec = make_resample1d(_np(f), up, down, pad0, pad1, n_in, flip_filter=flip, gain=1.5)
    impulses = torch.eye(n_in, dtype=torch.float64).reshape(n_in, 1, 1, n_in)
    # upfirdn2d applies a 1-D filter on both axes with sqrt(gain) each; a 1-row image sees the x pass only,
    # times the y pass of a 1-row signal with a 1-tap filter [f_y]: use a [1, K] 2-D filter instead.
    f2 = f.reshape(1, -1).to(torch.float64)
    cols = upfirdn2d_ref(impulses, f2, up=[up, 1], down=[down, 1], padding=[pad0, pad1, 0, 0], flip_filter=flip, gain=1.5)
    want = cols.reshape(n_in, -1).T.numpy() # [n_out, n_in]
    assert spec.matrix().shape == want.shape
    np.testing.assert_allclose(spec.matrix(), want, rtol=0, atol=1e-12)

def test_separable_terms_rebuild_filters():
    jinc = _filter(('jinc', 12), seed=0)
    terms = separable_terms(jinc, atol=1e-6)
    assert 2 <= len(terms) <= 6 # A radial filter is not separable, but close to a few terms.
    rebuilt = sum(np.outer(v, h) for v, h in terms)
    assert np.abs(rebuilt - _np(jinc)).max() <= 1e-6 * np.abs(_np(jinc)).max()
    exact = separable_terms(jinc, atol=1e-14)
    assert len(exact) > len(terms)
    outer = torch.outer(_filter(('1d', 6), seed=1), _filter(('1d', 6), seed=2))
    assert len(separable_terms(outer, atol=1e-6)) == 1
    f1 = _filter(('1d', 8), seed=3)
    (v, h), = separable_terms(f1, atol=1e-6)
    np.testing.assert_array_equal(v, _np(f1))
    np.testing.assert_array_equal(h, _np(f1))

#----------------------------------------------------------------------------
# upfirdn2d.

UPFIRDN_CASES = [
    # (x shape, filter, up, down, padding)
    ((2, 3, 7, 10), None,               1,      1,      0),
    ((1, 2, 9, 6),  ('1d', 4),          2,      1,      [2, 1]),
    ((1, 2, 9, 6),  ('1d', 5),          1,      2,      [2, 2, 1, 3]),
    ((1, 2, 5, 8),  ('1d', 12),         4,      2,      [6, 5, 7, 4]),
    ((1, 2, 11, 7), ('1d', 3),          1,      4,      [1, -1, 0, 2]),
    ((1, 1, 8, 8),  ('1d', 6),          [2, 1], [1, 2], [3, 2, 1, 1]),
    ((2, 2, 7, 5),  ('2d', (3, 4)),     2,      2,      [2, 1, 1, 2]),
    ((1, 2, 6, 7),  ('2d', (5, 2)),     [4, 2], [2, 1], [-1, 3, 2, -2]),
    ((1, 3, 9, 9),  ('2d', (4, 4)),     1,      1,      [-2, -1, -1, -3]),
    ((1, 1, 10, 12), ('jinc', 6),       2,      [2, 4], [3, 2, 3, 2]),
    ((1, 2, 3, 4),  ('2d', (2, 3)),     [2, 4], [4, 2], 1),
    ((1, 2, 9, 8),  ('1d', 1),          [2, 4], [2, 1], [1, 0, 2, -1]), # Every kept sample of x is a stuffed zero.
    ((2, 5, 40, 33), ('lowpass', 12),   2,      1,      [6, 5, 6, 5]),
]

@pytest.mark.parametrize('flip_filter', [False, True])
@pytest.mark.parametrize('case', UPFIRDN_CASES, ids=[f'case{i}' for i in range(len(UPFIRDN_CASES))])
def test_upfirdn2d_fast_matches_oracle_and_ref(case, flip_filter):
    shape, fspec, up, down, padding = case
    x = _image(shape, seed=1)
    f = _filter(fspec, seed=2)
    kwargs = dict(up=up, down=down, padding=padding, flip_filter=flip_filter, gain=2.5)
    want = upfirdn2d_np(_np(x), _np(f), **kwargs)

    got64 = upfirdn2d(x, f, impl='fast', **kwargs)
    assert got64.dtype == torch.float64 and got64.shape == want.shape
    np.testing.assert_allclose(_np(got64), want, rtol=0, atol=1e-12 * np.abs(want).max())

    got32 = upfirdn2d(x.float(), f, impl='fast', **kwargs)
    ref32 = upfirdn2d(x.float(), f, impl='ref', **kwargs)
    assert got32.dtype == torch.float32 and got32.is_contiguous()
    assert _max_diff(got32, ref32) <= 2e-6 * np.abs(want).max()

#----------------------------------------------------------------------------
# filtered_lrelu.

FLRELU_CASES = [
    # (x shape, fu, fd, up, down, padding, kwargs)
    ((1, 3, 12, 10), ('1d', 4),         ('1d', 4),          2, 2, [2, 1, 1, 2],     dict()),
    ((2, 2, 9, 9),   ('1d', 8),         ('1d', 6),          2, 2, [5, 4, 5, 4],     dict(clamp=0.8, gain=1.7, slope=0.1)),
    ((1, 4, 8, 11),  ('1d', 12),        ('1d', 6),          4, 2, [-3, -4, -2, -5], dict(clamp=0.5)),
    ((1, 2, 10, 10), ('lowpass', 12),   ('jinc', 12),       2, 2, [11, 10, 11, 10], dict(clamp=256)),
    ((2, 3, 7, 8),   ('2d', (3, 4)),    ('2d', (4, 3)),     2, 1, [1, 2, 2, 1],     dict(slope=0.3)),
    ((1, 2, 8, 9),   None,              ('1d', 5),          1, 2, [2, 2, 1, 1],     dict(gain=1.0)),
    ((1, 2, 8, 9),   ('1d', 5),         None,               2, 1, [1, 1, 2, 2],     dict(clamp=1.0)),
    ((2, 3, 6, 5),   None,              None,               1, 1, 0,                dict(gain=1, slope=1, clamp=2.0)),
    ((1, 3, 6, 5),   None,              None,               2, 1, [1, 0, 0, 1],     dict()),
]

@pytest.fixture(params=['native', 'torch'])
def kernels(request, monkeypatch):
    """Run a test with the compiled kernels (skipped where they cannot be built) and without them."""
    if request.param == 'torch':
        monkeypatch.setenv('SG3_NATIVE', '0')
    elif native.library() is None:
        pytest.skip(native.status())
    return request.param

@pytest.mark.parametrize('flip_filter', [False, True])
@pytest.mark.parametrize('with_bias', [True, False])
@pytest.mark.parametrize('case', FLRELU_CASES, ids=[f'case{i}' for i in range(len(FLRELU_CASES))])
def test_filtered_lrelu_fast_matches_oracle_and_ref(case, with_bias, flip_filter, kernels):
    shape, fu_spec, fd_spec, up, down, padding, kwargs = case
    x = _image(shape, seed=3) * 2
    fu = _filter(fu_spec, seed=4)
    fd = _filter(fd_spec, seed=5)
    b = _image([shape[1]], seed=6) if with_bias else None
    args = dict(up=up, down=down, padding=padding, flip_filter=flip_filter, **kwargs)
    want = filtered_lrelu_np(_np(x), _np(fu), _np(fd), _np(b), **args)

    got64 = filtered_lrelu(x, fu, fd, b, impl='fast', **args)
    assert got64.dtype == torch.float64 and got64.shape == want.shape
    np.testing.assert_allclose(_np(got64), want, rtol=0, atol=1e-12 * max(np.abs(want).max(), 1))

    x32, b32 = x.float(), (b.float() if b is not None else None)
    got32 = filtered_lrelu(x32, fu, fd, b32, impl='fast', **args)
    ref32 = filtered_lrelu(x32, fu, fd, b32, impl='ref', **args)
    assert got32.dtype == torch.float32 and got32.is_contiguous()
    assert _max_diff(got32, ref32) <= 3e-6 * max(np.abs(want).max(), 1)
    if fu is not None or fd is not None:
        plan = fast_filtered_lrelu.get_plan(x32, fu, fd, up, down, padding, args.get('gain', np.sqrt(2)),
            args.get('slope', 0.2), args.get('clamp'), flip_filter)
        assert isinstance(plan, fast_filtered_lrelu.NativeFilteredLreluPlan) == (kernels == 'native')

@pytest.mark.parametrize('shape,strip_rows,up', [((1, 3, 37, 29), 4, 2), ((2, 5, 16, 16), 1, 2), ((1, 1, 40, 9), 7, 2),
    ((1, 2, 21, 23), 5, 4)])
def test_native_kernel_in_strips_and_on_worker_threads(shape, strip_rows, up):
    """Strips of any height (uneven last strip), planes split between threads, radial (4-term) filters,
    rows wide enough for the vectorized interleaving of 2 and 4 phases."""
    if native.library() is None:
        pytest.skip(native.status())
    x = _image(shape, seed=23).float()
    b = _image([shape[1]], seed=24).float()
    fu, fd = _filter(('lowpass', 6 * up), 0), _filter(('jinc', 12), 0)
    pad = 6 * up - 1
    args = dict(up=up, down=2, padding=[pad, pad - 1, pad, pad - 1], gain=np.sqrt(2), slope=0.2, clamp=0.7)
    want = filtered_lrelu_np(_np(x.double()), _np(fu), _np(fd), _np(b.double()), flip_filter=False, **args)
    out_h = want.shape[2]
    rows = fast_filtered_lrelu.NativeFilteredLreluPlan(native.library(), x.shape, fu, fd, flip_filter=False, **args,
        cache_bytes=1).strip_rows # The smallest strips the plan makes.
    assert rows == 4
    before = torch.get_num_threads()
    try:
        results = []
        for threads in (1, 2):
            torch.set_num_threads(threads)
            plan = fast_filtered_lrelu.NativeFilteredLreluPlan(native.library(), x.shape, fu, fd, flip_filter=False, **args)
            plan.geometry.strip_rows = strip_rows # Force the strip height.
            results.append(plan.run(x, b))
    finally:
        torch.set_num_threads(before)
    assert torch.equal(results[0], results[1])
    assert results[0].shape == want.shape and out_h > strip_rows
    np.testing.assert_allclose(_np(results[0]), want, rtol=0, atol=2e-6 * np.abs(want).max())

def test_calls_beyond_the_native_kernels_limits_take_the_pytorch_plan():
    """Factors above 8 (or more than 256 taps, 16 terms) are beyond the C kernel: same results via PyTorch."""
    if native.library() is None:
        pytest.skip(native.status())
    x = _image([1, 2, 5, 6], seed=28).float()
    fu = _filter(('1d', 18), seed=29)
    args = dict(up=9, down=1, padding=[8, 9, 8, 9], gain=1.3, slope=0.2, clamp=None, flip_filter=False)
    plan = fast_filtered_lrelu.get_plan(x, fu, None, **args)
    assert isinstance(plan, fast_filtered_lrelu.FilteredLreluPlan)
    want = filtered_lrelu_np(_np(x.double()), _np(fu), None, None, **args)
    np.testing.assert_allclose(_np(filtered_lrelu(x, fu, None, impl='fast', **args)), want, rtol=0, atol=2e-6 * np.abs(want).max())
    with pytest.raises(NotImplementedError, match='up=9'):
        fast_filtered_lrelu.NativeFilteredLreluPlan(native.library(), x.shape, fu, None, **args)

def test_native_kernels_build_where_a_compiler_exists():
    """Where a C compiler exists (CI installs one), the kernels must build: the fallback is not the norm."""
    import shutil
    if not (shutil.which('cc') or shutil.which('gcc') or shutil.which('clang')):
        pytest.skip('no C compiler on this machine')
    if not native.enabled():
        pytest.skip('SG3_NATIVE turns the kernels off in this environment')
    assert native.library() is not None, native.status()
    assert 'native kernels' in native.status()

def test_native_kernels_fall_back_without_a_working_compiler(tmp_path):
    """A failing compiler: a warning naming the failure, and filtered_lrelu still runs on the PyTorch path;
    a second process with a working compiler builds into the cache, a third loads from it."""
    script = (
        'import torch, numpy as np\n'
        'from sg3.ops import native, fast_filtered_lrelu as ffl\n'
        'from sg3.ops.filtered_lrelu import filtered_lrelu, filtered_lrelu_ref\n'
        'x = torch.randn([1, 2, 9, 9]); f = torch.ones([4]) / 4\n'
        'got = filtered_lrelu(x, f, f, up=2, down=2, padding=3, impl="fast")\n'
        'want = filtered_lrelu_ref(x, f, f, up=2, down=2, padding=3)\n'
        'assert (got - want).abs().max() < 1e-5\n'
        'print(type(ffl.get_plan(x, f, f, 2, 2, 3, np.sqrt(2), 0.2, None, False)).__name__)\n'
        'print(native.status())\n')
    fake_cc = tmp_path / 'fake-cc'
    fake_cc.write_text('#!/bin/sh\necho "fake-cc: broken on purpose" >&2\nexit 1\n')
    fake_cc.chmod(0o755)
    env = dict(os.environ, SG3_KERNEL_CACHE=str(tmp_path / 'kernels'), CC=str(fake_cc))
    env.pop('SG3_NATIVE', None)
    run = lambda env: subprocess.run([sys.executable, '-c', script], capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
    broken = run(env)
    assert broken.returncode == 0, broken.stderr
    assert broken.stdout.splitlines()[0] == 'FilteredLreluPlan'
    assert 'fake-cc: broken on purpose' in broken.stdout and 'fake-cc: broken on purpose' in broken.stderr
    del env['CC']
    import shutil
    if not (shutil.which('cc') or shutil.which('gcc') or shutil.which('clang')):
        return
    built, loaded = run(env), run(env)
    assert built.returncode == 0 and loaded.returncode == 0, built.stderr + loaded.stderr
    assert built.stdout.splitlines() == ['NativeFilteredLreluPlan', f'native kernels built into {next((tmp_path / "kernels").glob("*.so"))}']
    assert loaded.stdout.splitlines()[1].startswith('native kernels loaded from')

def test_filtered_lrelu_fast_leaves_inputs_alone():
    x = _image([1, 3, 10, 10], seed=7).float()
    b = _image([3], seed=8).float()
    x_copy, b_copy = x.clone(), b.clone()
    fu, fd = _filter(('lowpass', 12), 0), _filter(('lowpass', 12), 0)
    filtered_lrelu(x, fu, fd, b, up=2, down=2, padding=[9, 8, 9, 8], clamp=0.5, impl='fast')
    assert torch.equal(x, x_copy) and torch.equal(b, b_copy)

def test_work_buffers_shared_between_shapes_do_not_leak_between_calls():
    """Calls of different shapes share work buffers: a big call, a NaN call and a small call in a row."""
    fu, fd = _filter(('lowpass', 12), 0), _filter(('jinc', 12), 0)
    args = dict(up=2, down=2, padding=[11, 10, 11, 10], clamp=256)
    big = _image([1, 8, 30, 30], seed=9).float()
    small = _image([1, 3, 12, 12], seed=10).float()
    filtered_lrelu(big, fu, fd, impl='fast', **args)
    poisoned = big.clone()
    poisoned[0, 0, 5, 5] = float('nan')
    assert torch.isnan(filtered_lrelu(poisoned, fu, fd, impl='fast', **args)).any()
    got = filtered_lrelu(small, fu, fd, impl='fast', **args)
    assert torch.isfinite(got).all()
    assert _max_diff(got, filtered_lrelu_ref(small, fu, fd, **args)) < 1e-5

def test_plans_are_cached_per_signature_and_follow_filter_values():
    x = _image([1, 2, 10, 10], seed=11).float()
    fu = _filter(('lowpass', 12), 0).clone()
    args = dict(up=2, down=2, padding=[9, 8, 9, 8])
    plan = fast_filtered_lrelu.get_plan(x, fu, fu, gain=np.sqrt(2), slope=0.2, clamp=None, flip_filter=False, **args)
    again = fast_filtered_lrelu.get_plan(x, fu.clone(), fu, gain=np.sqrt(2), slope=0.2, clamp=None, flip_filter=False, **args)
    assert again is plan
    before = filtered_lrelu(x, fu, fu, impl='fast', **args)
    fu.mul_(1.5) # The user changes a filter in place: the plan must follow its values.
    after = filtered_lrelu(x, fu, fu, impl='fast', **args)
    assert _max_diff(after, filtered_lrelu_ref(x, fu, fu, **args)) < 1e-5
    assert _max_diff(after, before) > 1e-3
    plan_up = fast_upfirdn2d.get_plan(x, fu, 2, 1, [6, 5], False, 4)
    assert fast_upfirdn2d.get_plan(x, fu.clone(), 2, 1, [6, 5], False, 4) is plan_up

def test_strips_on_worker_threads_match_one_thread():
    x = _image([2, 24, 20, 20], seed=15).float()
    fu, fd = _filter(('lowpass', 12), 0), _filter(('jinc', 12), 0)
    args = dict(up=2, down=2, padding=[11, 10, 11, 10], gain=np.sqrt(2), slope=0.2, clamp=256, flip_filter=False)
    plan = fast_filtered_lrelu.FilteredLreluPlan(x.shape, fu, fd, **args, device=x.device, dtype=x.dtype, strip_rows=8, work_bytes=1 << 16)
    assert plan.num_items >= 6 and plan.num_chunks >= 2 and plan.num_strips >= 2
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = plan.run(x, None)
        torch.set_num_threads(2)
        with torch.inference_mode(): # Worker threads must follow the caller's mode.
            two = plan.run(x, None)
    finally:
        torch.set_num_threads(before)
    assert torch.equal(one, two)
    del args['flip_filter']
    assert _max_diff(one, filtered_lrelu_ref(x, fu, fd, **args)) < 1e-5

def test_run_chunks_covers_every_chunk_once_and_propagates_errors():
    seen = []
    lock = threading.Lock()
    def record(chunk):
        with lock:
            seen.append(chunk)
    _parallel.run_chunks(record, 7, num_workers=3)
    assert sorted(seen) == list(range(7))
    def fail(chunk):
        if chunk == 3:
            raise RuntimeError('chunk 3 failed')
    with pytest.raises(RuntimeError, match='chunk 3 failed'):
        _parallel.run_chunks(fail, 5, num_workers=2)

#----------------------------------------------------------------------------
# Convolution.

@pytest.mark.parametrize('shape,out_channels,kernel,groups,padding,winograd', [
    ((1, 32, 32, 32), 24, 3, 1, 2, True),
    ((1, 72, 33, 35), 96, 3, 3, 1, True), # Grouped, as the modulated convolution of 3 samples.
    ((1, 16, 12, 12), 16, 3, 1, 1, False), # Too small to pay for NNPACK.
    ((1, 8, 10, 10), 8, 1, 1, 0, False), # 1x1: one matrix product, not Winograd.
    ((1, 48, 9, 11), 6, 1, 3, 0, False), # 1x1 grouped, as StyleGAN3-R's convolutions of 3 samples.
    ((2, 12, 5, 7), 4, 1, 2, 0, False), # 1x1 grouped with a batch.
])
def test_fast_conv2d_matches_torch(shape, out_channels, kernel, groups, padding, winograd):
    x = _image(shape, seed=16).float()
    w = _image([out_channels, shape[1] // groups, kernel, kernel], seed=17).float() / np.sqrt(shape[1] // groups * kernel ** 2)
    want = torch.nn.functional.conv2d(x.double(), w.double(), padding=padding, groups=groups)
    got = fast_conv.conv2d(x, w, padding=padding, groups=groups)
    assert got.shape == want.shape and got.dtype == torch.float32
    assert _max_diff(got, want) <= 1e-4 * float(want.abs().max())
    assert fast_conv.applies(x, w) == (winograd and fast_conv.nnpack_available())
    assert not fast_conv.applies(x.double(), w.double())

@pytest.mark.parametrize('padding', [0, 1, 2])
def test_fast_conv2d_in_bands_of_rows_matches_torch(padding, monkeypatch):
    """Large inputs go through NNPACK in bands of rows (halo of 2, zero rows beyond the image)."""
    if not fast_conv.nnpack_available():
        pytest.skip('this torch has no NNPACK')
    x = _image([1, 32, 70, 37], seed=18).float()
    w = _image([40, 32, 3, 3], seed=19).float() / np.sqrt(32 * 9)
    want = torch.nn.functional.conv2d(x.double(), w.double(), padding=padding)
    def no_fallback(*args, **kwargs):
        raise AssertionError('fell back to torch.nn.functional.conv2d')
    monkeypatch.setattr(torch.nn.functional, 'conv2d', no_fallback)
    for band_elems in [32 * 41 * 16, 32 * 41 * 9, 8 << 20]: # Bands of 16, of 9 (uneven) rows, and one call.
        got = fast_conv.conv2d(x, w, padding=padding, band_elems=band_elems, whole_elems=0)
        assert got.shape == want.shape
        assert _max_diff(got, want) <= 1e-4 * float(want.abs().max())

def test_conv_dtype_rounds_the_modulated_convolutions_only_inside_the_block():
    """use_conv_dtype(bfloat16): the convolution sees bfloat16-rounded inputs and weights (matches a float64
    oracle of the rounded operands), the result comes back in float32; outside the block float32 as before."""
    from sg3.ops.modulated_conv import modulated_conv2d_sg3
    x = _image([1, 32, 12, 12], seed=20).float()
    w = _image([16, 32, 3, 3], seed=21).float()
    s = _image([1, 32], seed=22).float() + 2
    plain = modulated_conv2d_sg3(x, w, s, padding=1)
    with sg3.ops.use_conv_dtype(torch.bfloat16):
        assert sg3.ops.get_conv_dtype() == torch.bfloat16
        low = modulated_conv2d_sg3(x, w, s, padding=1)
    assert sg3.ops.get_conv_dtype() is None
    assert low.dtype == torch.float32 and low.shape == plain.shape
    assert torch.equal(modulated_conv2d_sg3(x, w, s, padding=1), plain)

    # Oracle: the same modulation in float64, operands rounded to bfloat16, convolution in float64.
    wm = w.double() * w.double().square().mean([1, 2, 3], keepdim=True).rsqrt()
    sm = s.double() * s.double().square().mean().rsqrt()
    wm = wm * sm.reshape(1, -1, 1, 1)
    wm = wm * (wm.square().sum([1, 2, 3], keepdim=True) + 1e-8).rsqrt()
    rounded = torch.nn.functional.conv2d(x.bfloat16().double(), wm.float().bfloat16().double(), padding=1)
    exact = torch.nn.functional.conv2d(x.double(), wm, padding=1)
    scale = float(exact.abs().max())
    assert _max_diff(low, rounded) <= 2e-2 * scale # bfloat16 output rounding and accumulation.
    assert _max_diff(low, exact) > 1e-4 * scale # It really ran in bfloat16...
    assert _max_diff(plain, exact) <= 1e-5 * scale # ...and float32 did not.
    with pytest.raises(ValueError, match='floating-point'):
        with sg3.ops.use_conv_dtype(torch.int8):
            pass

def test_conv_dtype_keeps_float32_where_winograd_runs():
    """Where the float32 Winograd path applies (StyleGAN3-T's 3x3 convolutions), it beats a direct bfloat16
    convolution: use_conv_dtype leaves those alone."""
    from sg3.ops.modulated_conv import modulated_conv2d_sg3
    if not fast_conv.nnpack_available():
        pytest.skip('this torch has no NNPACK')
    x = _image([1, 32, 40, 40], seed=25).float()
    w = _image([32, 32, 3, 3], seed=26).float()
    s = _image([1, 32], seed=27).float() + 2
    plain = modulated_conv2d_sg3(x, w, s, padding=1)
    with sg3.ops.use_conv_dtype(torch.bfloat16):
        assert torch.equal(modulated_conv2d_sg3(x, w, s, padding=1), plain)
        assert not torch.equal(modulated_conv2d_sg3(x, w, s, padding=1, impl='ref'), plain) # Not Winograd: bfloat16.

def test_bfloat16_support_answers_with_a_reason():
    ok, why = sg3.ops.bfloat16_support('cpu')
    assert isinstance(ok, bool) and 'bfloat16' in why
    assert sg3.ops.bfloat16_support('mps') == (False, 'bfloat16 previews are not offered on mps devices')

#----------------------------------------------------------------------------
# Choosing the implementation.

def test_impl_argument_and_switches(monkeypatch):
    calls = []
    real = fast_filtered_lrelu.filtered_lrelu_fast
    monkeypatch.setattr(fast_filtered_lrelu, 'filtered_lrelu_fast', lambda *a, **k: calls.append(1) or real(*a, **k))
    x = _image([1, 2, 8, 8], seed=12).float()
    fu = _filter(('1d', 4), 0)
    args = dict(up=2, down=2, padding=[2, 1, 2, 1])

    def uses_fast(**kwargs):
        calls.clear()
        filtered_lrelu(x, fu, fu, **args, **kwargs)
        return bool(calls)

    assert uses_fast() and uses_fast(impl='fast') and not uses_fast(impl='ref')
    with sg3.ops.use_impl('ref'):
        assert not uses_fast() and uses_fast(impl='fast')
        with sg3.ops.use_impl('auto'):
            assert uses_fast()
    assert uses_fast()
    try:
        sg3.ops.set_default_impl('ref')
        assert not uses_fast() and sg3.ops.get_default_impl() == 'ref'
    finally:
        sg3.ops.set_default_impl('auto')

    # The override is per thread.
    seen = []
    with sg3.ops.use_impl('ref'):
        worker = threading.Thread(target=lambda: seen.append(uses_fast()))
        worker.start()
        worker.join()
    assert seen == [True]

    with pytest.raises(ValueError, match='unknown op implementation'):
        filtered_lrelu(x, fu, fu, impl='quick', **args)
    with pytest.raises(ValueError, match='unknown op implementation'):
        sg3.ops.set_default_impl('gpu')

def test_auto_picks_ref_where_fast_does_not_apply():
    x = torch.zeros([1, 1, 4, 4])
    assert _impl.resolve('auto', x) == 'fast'
    assert _impl.resolve('auto', x.half()) == 'ref'
    assert _impl.resolve('auto', x.to(torch.device('meta'))) == 'ref'
    assert _impl.resolve('fast', x.to(torch.device('meta'))) == 'fast'
    assert _impl.resolve('fast', x.requires_grad_(True)) == 'ref'
    with torch.no_grad():
        assert _impl.resolve('auto', x) == 'fast'

def test_gradients_flow_through_the_reference_when_needed():
    x = _image([1, 2, 8, 8], seed=13).requires_grad_(True)
    fu = _filter(('1d', 4), 0).double()
    y = filtered_lrelu(x, fu, fu, up=2, down=2, padding=[2, 1, 2, 1])
    y.square().sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0

#----------------------------------------------------------------------------
# Threads and work buffers.

def test_configure_threads():
    before = torch.get_num_threads()
    try:
        got = sg3.ops.configure_threads(1)
        assert got['num_threads'] == 1 == torch.get_num_threads()
        got = sg3.ops.configure_threads()
        assert got['num_threads'] == sg3.ops.available_cores() == torch.get_num_threads()
        assert got['num_interop_threads'] == torch.get_num_interop_threads()
        with pytest.raises(ValueError, match='num_threads'):
            sg3.ops.configure_threads(0)
    finally:
        torch.set_num_threads(before)

def test_configure_allocator_keeps_freed_memory_for_reuse():
    """In a fresh process: after configure_allocator, frames that allocate and free the same large tensors
    reuse their pages instead of faulting new ones in (without it, every frame faults them all again)."""
    code = (
        'import resource, torch, sg3.ops\n'
        'ok = sg3.ops.configure_allocator()\n'
        'faults = []\n'
        'for frame in range(8):\n'
        '    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n'
        '    x = torch.ones(10 << 20)\n'
        '    y = x * 2\n'
        '    z = torch.ones(20 << 20) + y.sum()\n'
        '    del x, y, z\n'
        '    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)\n'
        'print(ok, *faults)\n')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout.split()
    if out[0] != 'True':
        pytest.skip('not glibc')
    faults = [int(v) for v in out[1:]]
    assert faults[0] > 40000 # 160 MiB of new 4 KiB pages in the first frame ...
    assert sum(faults[1:]) < 0.5 * 7 * faults[0] # ... and mostly reused in the next seven.

def test_release_workspace_frees_buffers_of_this_thread():
    x = _image([1, 2, 10, 10], seed=14).float()
    fu = _filter(('1d', 4), 0)
    upfirdn2d(x, fu, up=2, padding=[2, 1], impl='fast')
    assert sg3.ops.release_workspace() > 0
    assert sg3.ops.release_workspace() == 0
    buf = _workspace.buffer('test', 10, torch.device('cpu'), torch.float32)
    assert buf.numel() == 10 and torch.equal(buf, torch.zeros(10))
    sg3.ops.release_workspace()


def test_large_outputs_are_marked_for_huge_pages(monkeypatch):
    """workspace.empty: a plain empty tensor; on Linux, large CPU ones get MADV_HUGEPAGE over the whole pages
    inside them (before anything touches them), small ones nothing."""
    calls = []
    monkeypatch.setattr(_workspace, '_madvise', lambda start, length, advice: calls.append((start, length, advice)))
    monkeypatch.setattr(_workspace.sys, 'platform', 'linux')
    small = _workspace.empty([16, 16], 'cpu', torch.float32)
    assert small.shape == (16, 16) and small.dtype == torch.float32 and not calls
    big = _workspace.empty([3, 1000, 1001], 'cpu', torch.float32)
    assert big.shape == (3, 1000, 1001) and big.is_contiguous()
    (start, length, advice), = calls
    begin, end = big.data_ptr(), big.data_ptr() + big.numel() * 4
    assert advice == _workspace.MADV_HUGEPAGE and start % 4096 == 0 and length % 4096 == 0
    assert begin <= start < begin + 4096 and end - 4096 < start + length <= end
    monkeypatch.setattr(_workspace.sys, 'platform', 'darwin')
    _workspace.empty([3, 1000, 1001], 'cpu', torch.float32)
    assert len(calls) == 1

#----------------------------------------------------------------------------
