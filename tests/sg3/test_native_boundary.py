"""The ops' boundary, under python -O as well: every argument a caller can get wrong is refused with
OpArgumentError / OpTypeError (sg3.errors) naming it, on every path; what crosses into the native kernel is
checked right before the ctypes call; the kernel cache is used only where it is private; and a seeded mix of
random valid and invalid calls: the valid ones match the reference path, the invalid ones raise our exception."""

import ctypes
import logging
import math
import os
import re
import shutil

import numpy as np
import pytest
import torch

from sg3.errors import OpArgumentError, OpTypeError
from sg3.filters import design_lowpass_filter
from sg3.ops import native
from sg3.ops.bias_act import activation_funcs, bias_act
from sg3.ops.conv2d_resample import conv2d_resample
from sg3.ops.fast_filtered_lrelu import NativeFilteredLreluPlan
from sg3.ops.filtered_lrelu import filtered_lrelu, filtered_lrelu_ref
from sg3.ops.modulated_conv import modulated_conv2d_sg3
from sg3.ops.upfirdn2d import setup_filter, upfirdn2d
from tests.sg3.oracles import bias_act_np

IMPLS = ['ref', 'fast', 'auto']
F4 = torch.tensor([1.0, 3.0, 3.0, 1.0]) / 8

def _x(shape, dtype=torch.float32, seed=0):
    return torch.as_tensor(np.random.default_rng(seed).standard_normal(shape), dtype=dtype)

def _refused(call, error, phrase):
    """`call()` raises `error` (our exception) whose message contains `phrase`."""
    assert issubclass(error, OpArgumentError)
    with pytest.raises(error) as caught:
        call()
    assert phrase in str(caught.value), str(caught.value)

#----------------------------------------------------------------------------
# Invalid arguments to the public ops: the same exception on every path.

FLRELU_VALID = dict(x=_x([1, 2, 8, 8]), fu=F4, fd=F4, b=torch.zeros(2), up=2, down=2, padding=3, gain=1.5, slope=0.2, clamp=None)
FLRELU_INVALID = [
    # (arguments changed from FLRELU_VALID, exception, phrase of its message)
    (dict(b=torch.zeros(3)),                        OpArgumentError, 'b of shape [3]: expected [2]'),
    (dict(b=torch.zeros(1)),                        OpArgumentError, 'b of shape [1]: expected [2]'),
    (dict(b=torch.zeros(2, 1)),                     OpArgumentError, 'b of shape [2, 1]: expected [2]'),
    (dict(b=torch.zeros(2, dtype=torch.float64)),   OpTypeError,     'b of dtype torch.float64: expected the dtype of x'),
    (dict(b=[0.0, 0.0]),                            OpTypeError,     'b is a list: expected a torch.Tensor'),
    (dict(x=torch.zeros(2, 8, 8)),                  OpArgumentError, 'x of shape [2, 8, 8]: expected a 4-D tensor'),
    (dict(x=torch.zeros(1, 0, 8, 8), b=None),       OpArgumentError, 'x of shape [1, 0, 8, 8]: expected a 4-D tensor [N, C, H, W] with every size >= 1'),
    (dict(x=torch.zeros(1, 2, 8, 8, dtype=torch.int32), b=None), OpTypeError, 'x of dtype torch.int32: expected a floating-point tensor'),
    (dict(x=np.zeros([1, 2, 8, 8])),                OpTypeError,     'x is a ndarray: expected a torch.Tensor'),
    (dict(up=0),                                    OpArgumentError, 'up=0: expected an integer >= 1'),
    (dict(up=2.0),                                  OpArgumentError, 'up=2.0: expected an integer >= 1'),
    (dict(up=True),                                 OpArgumentError, 'up=True: expected an integer >= 1'),
    (dict(down=-1),                                 OpArgumentError, 'down=-1: expected an integer >= 1'),
    (dict(down=[2, 2]),                             OpArgumentError, 'down=[2, 2]: expected an integer >= 1'),
    (dict(fu=torch.ones(2, 2, 2)),                  OpArgumentError, 'fu of shape [2, 2, 2]: expected filter taps'),
    (dict(fd=torch.ones(0)),                        OpArgumentError, 'fd of shape [0]: expected filter taps'),
    (dict(fu=torch.ones(4, dtype=torch.int64)),     OpTypeError,     'fu of dtype torch.int64: expected floating-point filter taps'),
    (dict(fd=[1, 3, 3, 1]),                         OpTypeError,     'fd is a list: expected a torch.Tensor'),
    (dict(fu=torch.ones(4, device='meta')),         OpArgumentError, 'fu on meta: expected the device of x (cpu)'),
    (dict(padding=[1, 2, 3]),                       OpArgumentError, 'padding=[1, 2, 3]: expected an integer, [x, y] or [x0, x1, y0, y1]'),
    (dict(padding=1.5),                             OpArgumentError, 'padding=1.5'),
    (dict(padding=[-17, 0, 0, 0]),                  OpArgumentError, 'padding (-17, 0) crops more than the 16 upsampled samples'),
    (dict(fu=torch.ones(40) / 40),                  OpArgumentError, 'fewer than the 40 filter taps'),
    (dict(fd=torch.ones(30, 1) / 30),               OpArgumentError, 'height of the upsampled x (downsampling with fd): 19 samples'),
    (dict(gain=0),                                  OpArgumentError, 'gain=0: expected a finite number > 0'),
    (dict(gain=float('nan')),                       OpArgumentError, 'gain=nan: expected a finite number > 0'),
    (dict(slope=-0.1),                              OpArgumentError, 'slope=-0.1: expected a finite number >= 0'),
    (dict(clamp=-1),                                OpArgumentError, 'clamp=-1: expected a finite number >= 0'),
    (dict(clamp=float('inf')),                      OpArgumentError, 'clamp=inf: expected a finite number >= 0'),
]

@pytest.mark.parametrize('impl', IMPLS)
@pytest.mark.parametrize('change,error,phrase', FLRELU_INVALID, ids=[p for _, _, p in FLRELU_INVALID])
def test_filtered_lrelu_refuses_invalid_arguments(change, error, phrase, impl):
    _refused(lambda: filtered_lrelu(**dict(FLRELU_VALID, **change), impl=impl), error, phrase)

UPFIRDN_VALID = dict(x=_x([1, 2, 8, 9]), f=F4, up=2, down=1, padding=[2, 1], gain=4)
UPFIRDN_INVALID = [
    (dict(x=torch.zeros(2, 8, 8)),                  OpArgumentError, 'x of shape [2, 8, 8]: expected a 4-D tensor'),
    (dict(x=torch.zeros(1, 1, 4, 4, dtype=torch.bool)), OpTypeError, 'x of dtype torch.bool'),
    (dict(f=torch.ones(2, 2, 2)),                   OpArgumentError, 'f of shape [2, 2, 2]: expected filter taps'),
    (dict(f=torch.ones(3, dtype=torch.int32)),      OpTypeError,     'f of dtype torch.int32'),
    (dict(up=[2]),                                  OpArgumentError, 'up=[2]: expected an integer >= 1 or a pair [x, y] of them'),
    (dict(up=[2, 0]),                               OpArgumentError, 'up=[2, 0]'),
    (dict(down=0),                                  OpArgumentError, 'down=0'),
    (dict(down=(1, 2.5)),                           OpArgumentError, 'down=(1, 2.5)'),
    (dict(padding='same'),                          OpArgumentError, "padding='same'"),
    (dict(gain=-1),                                 OpArgumentError, 'gain=-1: expected a finite number >= 0'),
    (dict(f=torch.ones(30) / 30),                   OpArgumentError, 'width of x: 9 samples upsampled by 2 and padded by (2, 2) are 22, fewer than the 30 filter taps'),
    (dict(f=torch.ones(30, 2) / 60),                OpArgumentError, 'height of x: 8 samples upsampled by 2 and padded by (1, 1) are 18, fewer than the 30 filter taps'),
]

@pytest.mark.parametrize('impl', IMPLS)
@pytest.mark.parametrize('change,error,phrase', UPFIRDN_INVALID, ids=[p for _, _, p in UPFIRDN_INVALID])
def test_upfirdn2d_refuses_invalid_arguments(change, error, phrase, impl):
    _refused(lambda: upfirdn2d(**dict(UPFIRDN_VALID, **change), impl=impl), error, phrase)

def test_bias_act_setup_filter_and_convolutions_refuse_invalid_arguments():
    x = _x([2, 3, 4])
    _refused(lambda: bias_act(x, torch.zeros(3, 1)), OpArgumentError, 'b of shape [3, 1]: expected [3]')
    _refused(lambda: bias_act(x, torch.zeros(4)), OpArgumentError, 'b of shape [4]: expected [3]')
    _refused(lambda: bias_act(x, torch.zeros(3), dim=3), OpArgumentError, 'dim=3 for x of shape [2, 3, 4]: expected 0 <= dim < 3')
    _refused(lambda: bias_act(x, act='gelu'), OpArgumentError, "unknown activation 'gelu'")
    _refused(lambda: bias_act(x, act='lrelu', alpha=float('nan')), OpArgumentError, 'alpha=nan')
    _refused(lambda: bias_act(x, clamp=-1), OpArgumentError, 'clamp=-1: expected a finite number >= 0')
    _refused(lambda: bias_act([1.0, 2.0]), OpTypeError, 'x is a list')
    _refused(lambda: setup_filter(np.ones([2, 2, 2])), OpArgumentError, 'f of shape [2, 2, 2]')
    _refused(lambda: setup_filter([]), OpArgumentError, 'f of shape [0]')
    _refused(lambda: setup_filter(np.ones([3, 3]), separable=True), OpArgumentError, 'separable=True with f of shape [3, 3]')
    w = _x([4, 2, 3, 3])
    _refused(lambda: conv2d_resample(_x([1, 2, 8, 8]), w.double()), OpTypeError, 'w of dtype torch.float64')
    _refused(lambda: conv2d_resample(_x([1, 2, 8, 8]), w, up=0), OpArgumentError, 'up=0')
    _refused(lambda: modulated_conv2d_sg3(_x([1, 2, 8, 8]), w, _x([1, 3])), OpArgumentError, 's of shape [1, 3]: expected [1, 2]')
    _refused(lambda: modulated_conv2d_sg3(_x([1, 5, 8, 8]), w, _x([1, 2])), OpArgumentError, 'x of shape [1, 5, 8, 8]: expected [*, 2, *, *]')

def test_strided_inputs_are_valid_and_match_the_reference():
    x = _x([2, 3, 20, 11]).transpose(2, 3)[..., ::2] # [2, 3, 11, 10], no unit stride anywhere.
    fu = design_lowpass_filter(numtaps=12, cutoff=10, width=8, fs=64)
    fd = design_lowpass_filter(numtaps=12, cutoff=10, width=8, fs=64, radial=True)
    b = _x([6])[::2]
    args = dict(up=2, down=2, padding=[11, 10, 11, 10], clamp=1.0)
    want = filtered_lrelu(x.contiguous(), fu, fd, b.contiguous(), impl='ref', **args)
    for impl in ('fast', 'auto'):
        torch.testing.assert_close(filtered_lrelu(x, fu, fd, b, impl=impl, **args), want, rtol=0, atol=1e-5)
        torch.testing.assert_close(upfirdn2d(x, fd, up=2, padding=5, impl=impl), upfirdn2d(x.contiguous(), fd, up=2, padding=5, impl='ref'), rtol=0, atol=1e-5)

def test_non_finite_filter_taps_are_refused_by_the_fast_path():
    fu = torch.ones(3, 3)
    fu[1, 1] = math.nan
    _refused(lambda: filtered_lrelu(_x([1, 2, 8, 8]), fu, None, impl='fast', up=2, padding=1), OpArgumentError, 'fu has non-finite taps')
    _refused(lambda: upfirdn2d(_x([1, 2, 8, 8]), fu, impl='fast'), OpArgumentError, 'f has non-finite taps')

#----------------------------------------------------------------------------
# The native kernel's boundary: sg3.ops.native.filtered_lrelu checks every argument before the ctypes call.

@pytest.fixture(scope='module')
def lib():
    if native.library() is None:
        pytest.skip(native.status())
    return native.library()

@pytest.fixture(scope='module')
def plan(lib):
    fu = design_lowpass_filter(numtaps=12, cutoff=10, width=8, fs=64)
    fd = design_lowpass_filter(numtaps=12, cutoff=10, width=8, fs=64, radial=True) # Several separable terms.
    args = dict(up=2, down=2, padding=[11, 10, 11, 10], gain=np.sqrt(2), slope=0.2, clamp=0.9, flip_filter=False)
    plan = NativeFilteredLreluPlan(lib, [2, 3, 9, 10], fu, fd, **args)
    plan.reference = lambda x, b: filtered_lrelu_ref(x, fu, fd, b, **args)
    return plan

def _native_args(plan, **changes) -> dict:
    """Valid arguments of native.filtered_lrelu for `plan`, with `changes`; a copy of the plan's geometry."""
    x = _x(plan.shape, seed=1)
    args = dict(lib=plan.lib, x=x, b=_x([plan.shape[1]], seed=2), y=torch.full([*plan.shape[:2], plan.out_h, plan.out_w], math.nan),
        geometry=native.FilteredLreluGeometry.from_buffer_copy(plan.geometry), taps=plan.taps, slope=plan.slope, clamp=plan.clamp,
        first_plane=0, num_planes=plan.shape[0] * plan.shape[1])
    return dict(args, **changes)

def _with_geometry(plan, **fields):
    geometry = native.FilteredLreluGeometry.from_buffer_copy(plan.geometry)
    for name, value in fields.items():
        if isinstance(value, tuple): # (index, value) of an array field.
            getattr(geometry, name)[value[0]] = value[1]
        else:
            setattr(geometry, name, value)
    return geometry

NATIVE_INVALID = [
    # (name, function of the plan giving the changed arguments, exception, phrase)
    ('bias too long',   lambda p: dict(b=torch.zeros(4)),                    OpArgumentError, 'b of shape [4]: expected [3]'),
    ('bias too short',  lambda p: dict(b=torch.zeros(2)),                    OpArgumentError, 'b of shape [2]: expected [3]'),
    ('bias float64',    lambda p: dict(b=torch.zeros(3, dtype=torch.float64)), OpTypeError, 'b of dtype torch.float64 on cpu: expected float32 on the CPU'),
    ('bias strided',    lambda p: dict(b=torch.zeros(6)[::2]),               OpArgumentError, 'b with strides [2]: expected a contiguous tensor'),
    ('x strided',       lambda p: dict(x=torch.zeros(2, 3, 9, 20)[..., ::2]), OpArgumentError, 'x with strides [540, 180, 20, 2]: expected a contiguous tensor'),
    ('x float64',       lambda p: dict(x=torch.zeros(2, 3, 9, 10, dtype=torch.float64)), OpTypeError, 'x of dtype torch.float64'),
    ('x taller',        lambda p: dict(x=torch.zeros(2, 3, 10, 10)),         OpArgumentError, 'x of shape [2, 3, 10, 10]: expected [*, *, 9, 10]'),
    ('x 3-D',           lambda p: dict(x=torch.zeros(3, 9, 10)),             OpArgumentError, 'x of shape [3, 9, 10]'),
    ('x on meta',       lambda p: dict(x=torch.zeros(2, 3, 9, 10, device='meta')), OpTypeError, 'x of dtype torch.float32 on meta'),
    ('x a list',        lambda p: dict(x=[0.0]),                             OpTypeError, 'x is a list'),
    ('y smaller',       lambda p: dict(y=torch.zeros(2, 3, p.out_h - 1, p.out_w)), OpArgumentError, 'y of shape'),
    ('y other batch',   lambda p: dict(y=torch.zeros(1, 3, p.out_h, p.out_w)), OpArgumentError, 'y of shape'),
    ('y transposed',    lambda p: dict(y=torch.zeros(2, 3, p.out_w, p.out_h).transpose(2, 3)), OpArgumentError, 'y with strides'),
    ('taps short',      lambda p: dict(taps=p.taps[:-1].clone()),            OpArgumentError, 'taps of shape'),
    ('taps float64',    lambda p: dict(taps=p.taps.double()),                OpTypeError, 'taps of dtype torch.float64'),
    ('planes beyond',   lambda p: dict(first_plane=4, num_planes=3),         OpArgumentError, 'planes [4, 4 + 3): expected a range within the 6 planes of x'),
    ('planes none',     lambda p: dict(num_planes=0),                        OpArgumentError, 'planes [0, 0 + 0)'),
    ('planes negative', lambda p: dict(first_plane=-1, num_planes=1),        OpArgumentError, 'planes [-1, -1 + 1)'),
    ('slope nan',       lambda p: dict(slope=math.nan),                      OpArgumentError, 'slope=nan'),
    ('clamp nan',       lambda p: dict(clamp=math.nan),                      OpArgumentError, 'clamp=nan'),
    ('up 9',            lambda p: dict(geometry=_with_geometry(p, up=9)),    OpArgumentError, 'geometry up=9: expected 1 to 8'),
    ('down 0',          lambda p: dict(geometry=_with_geometry(p, down=0)),  OpArgumentError, 'geometry down=0: expected 1 to 8'),
    ('17 terms',        lambda p: dict(geometry=_with_geometry(p, num_down_terms=17)), OpArgumentError, 'geometry num_down_terms=17: expected 1 to 16'),
    ('strips of 0',     lambda p: dict(geometry=_with_geometry(p, strip_rows=0)), OpArgumentError, 'geometry strip_rows=0'),
    ('no taps',         lambda p: dict(geometry=_with_geometry(p, up_k_y=(0, 0))), OpArgumentError, 'geometry up_k_y[0]=0 taps: expected 1 to 256'),
    ('257 taps',        lambda p: dict(geometry=_with_geometry(p, down_k_x=(1, 257))), OpArgumentError, 'geometry down_k_x[1]=257 taps'),
    ('taps miscounted', lambda p: dict(geometry=_with_geometry(p, num_taps=p.geometry.num_taps + 1)), OpArgumentError, 'geometry num_taps='),
    ('pad beyond',      lambda p: dict(geometry=_with_geometry(p, up_pad_x=2 ** 30 + 1)), OpArgumentError, 'geometry up_pad_x=1073741825'),
    ('not a geometry',  lambda p: dict(geometry=[9, 10, 2, 2]),              OpTypeError, 'geometry is a list: expected a FilteredLreluGeometry'),
]

@pytest.mark.parametrize('change,error,phrase', [case[1:] for case in NATIVE_INVALID], ids=[case[0] for case in NATIVE_INVALID])
def test_native_kernel_refuses_what_it_cannot_read(plan, change, error, phrase):
    args = _native_args(plan, **change(plan))
    _refused(lambda: native.filtered_lrelu(**args), error, phrase)

def test_native_kernel_still_matches_the_reference_after_refusals(plan):
    args = _native_args(plan)
    for p0, count in [(0, 2), (2, 4)]: # Two calls over different planes fill y.
        native.filtered_lrelu(**dict(args, first_plane=p0, num_planes=count))
    torch.testing.assert_close(args['y'], plan.reference(args['x'], args['b']), rtol=0, atol=2e-6)

def test_plan_refuses_a_bias_of_the_wrong_length_before_the_kernel(plan):
    """The bias check of filtered_lrelu is not the only one: the plan's own call checks again (python -O too)."""
    _refused(lambda: plan.run(_x(plan.shape), torch.zeros(plan.shape[1] + 5)), OpArgumentError, 'b of shape [8]: expected [3]')

def test_the_kernel_itself_refuses_a_bad_geometry(plan, lib):
    """A second line behind the Python checks: the C function returns -2 for a geometry beyond its limits."""
    args = _native_args(plan)
    x, y, taps = args['x'], args['y'], args['taps']
    for fields in [dict(up=9), dict(num_taps=plan.geometry.num_taps - 1), dict(up_pad_y=-2 ** 30 - 1), dict(num_up_terms=0), dict(out_w=0)]:
        geometry = _with_geometry(plan, **fields)
        assert lib.sg3_filtered_lrelu(x.data_ptr(), None, y.data_ptr(), 1, 3, 0, ctypes.byref(geometry), taps.data_ptr(), 0.2, -1.0) == -2, fields

def test_geometry_struct_mirrors_the_c_struct(lib):
    source = native.SOURCES[0].read_text()
    body = re.search(r'typedef struct \{([^}]*)\} sg3_flrelu_geometry;', source).group(1)
    declarations = [re.sub(r'/\*.*?\*/', '', line).strip() for line in body.splitlines()]
    c_names = [re.sub(r'\[.*\]', '', name).strip() for line in declarations if line for name in line.removeprefix('int ').rstrip(';').split(',')]
    assert c_names == [name for name, _ in native.FilteredLreluGeometry._fields_]
    assert lib.sg3_flrelu_geometry_size() == ctypes.sizeof(native.FilteredLreluGeometry)
    assert re.search(r'#define MAX_FACTOR (\d+)', source).group(1) == str(native.MAX_FACTOR)
    assert re.search(r'#define MAX_TERMS (\d+)', source).group(1) == str(native.MAX_TERMS)
    assert re.search(r'#define MAX_TAPS (\d+)', source).group(1) == str(native.MAX_TAPS)

def test_geometry_refuses_values_beyond_a_c_int():
    sizes = dict(in_h=9, in_w=10, up=2, down=2, strip_rows=4, up_h=20, up_w=20, out_h=5, out_w=5, up_pad_y=3, up_pad_x=3)
    assert native.filtered_lrelu_geometry([(4, 4)], [(4, 4)], **sizes).num_taps == 16
    _refused(lambda: native.filtered_lrelu_geometry([(4, 4)], [(4, 4)], **dict(sizes, in_w=2 ** 31)), OpArgumentError,
        'geometry in_w=2147483648: expected an integer that fits a C int')
    _refused(lambda: native.filtered_lrelu_geometry([(4, 4)] * 17, [(4, 4)], **sizes), OpArgumentError, '17 up terms: expected 1 to 16')
    _refused(lambda: native.filtered_lrelu_geometry([(4, 4.0)], [(4, 4)], **sizes), OpArgumentError, 'geometry up_k_x[0]=4.0')

#----------------------------------------------------------------------------
# The kernel cache: only a folder of this user that nobody else can write to.

@pytest.fixture
def cache_env(tmp_path, monkeypatch, caplog):
    """Point SG3_KERNEL_CACHE at tmp_path / 'kernels'; remove the private folders made for the fallback."""
    folder = tmp_path / 'kernels'
    monkeypatch.setenv(native.CACHE_ENV, str(folder))
    caplog.set_level(logging.WARNING, logger='sg3')
    made = []
    yield folder, made
    for path in made:
        if path != folder:
            shutil.rmtree(path, ignore_errors=True)

def _use_cache(cache_env, caplog):
    folder, made = cache_env
    caplog.clear()
    used = native.cache_folder()
    made.append(used)
    return used, [r.getMessage() for r in caplog.records if r.name == 'sg3']

def test_a_private_cache_folder_is_used_and_a_missing_one_made_private(cache_env, caplog):
    folder, _ = cache_env
    used, warnings = _use_cache(cache_env, caplog)
    assert used == folder and warnings == []
    assert folder.is_dir() and folder.stat().st_mode & 0o077 == 0
    folder.chmod(0o755) # Readable by others is fine: only writing matters.
    assert _use_cache(cache_env, caplog) == (folder, [])

def test_a_cache_folder_writable_by_others_is_refused(cache_env, caplog):
    folder, _ = cache_env
    folder.mkdir()
    folder.chmod(0o777)
    used, warnings = _use_cache(cache_env, caplog)
    assert used != folder and used.is_dir() and used.stat().st_uid == os.getuid() and used.stat().st_mode & 0o077 == 0
    assert len(warnings) == 1 and '\n' not in warnings[0]
    assert f'kernel cache {folder} is writable by group or others (mode 0o777' in warnings[0] and str(used) in warnings[0]
    folder.chmod(0o770)
    assert 'writable by group or others (mode 0o770' in _use_cache(cache_env, caplog)[1][0]

@pytest.mark.skipif(not hasattr(os, 'chown') or os.geteuid() != 0, reason='giving a folder to another user needs root')
def test_a_cache_folder_of_another_user_is_refused(cache_env, caplog):
    folder, _ = cache_env
    folder.mkdir(mode=0o700)
    os.chown(folder, 65534, -1)
    used, warnings = _use_cache(cache_env, caplog)
    assert used != folder and len(warnings) == 1
    assert f'kernel cache {folder} belongs to user id 65534, not to this user (id {os.getuid()})' in warnings[0]

def test_a_cache_path_that_is_a_file_falls_back(cache_env, caplog):
    folder, _ = cache_env
    folder.write_text('not a folder')
    used, warnings = _use_cache(cache_env, caplog)
    assert used != folder and len(warnings) == 1 and f'kernel cache {folder} cannot be used' in warnings[0]

def test_kernels_build_into_the_fallback_and_not_into_a_refused_cache(cache_env, caplog, monkeypatch):
    if native.library() is None:
        pytest.skip(native.status())
    folder, made = cache_env
    folder.mkdir()
    folder.chmod(0o777)
    monkeypatch.setattr(native, '_status', native.status()) # Restored afterwards.
    lib = native._load()
    built = native.status().removeprefix('native kernels built into ')
    made.append(os.path.dirname(built))
    assert lib.sg3_flrelu_geometry_size() == ctypes.sizeof(native.FilteredLreluGeometry)
    assert not built.startswith(str(folder)) and os.path.isfile(built) and list(folder.iterdir()) == []

#----------------------------------------------------------------------------
# A seeded random mix of valid and invalid calls through the public ops.

def _random_tensor(rng, shape, dtype):
    """A random tensor of `shape`: contiguous, or a view with other strides (transposed, every other column)."""
    layout = rng.choice(['contiguous', 'transposed', 'strided'], p=[0.6, 0.2, 0.2])
    if layout == 'transposed' and len(shape) >= 2:
        return _x([*shape[:-2], shape[-1], shape[-2]], dtype, rng.integers(1 << 30)).transpose(-1, -2)
    if layout == 'strided':
        return _x([*shape[:-1], 2 * shape[-1]], dtype, rng.integers(1 << 30))[..., ::2]
    return _x(shape, dtype, rng.integers(1 << 30))

def _random_filter(rng):
    kind = rng.choice(['none', '1d', '2d'], p=[0.15, 0.5, 0.35])
    if kind == 'none':
        return None
    shape = [int(rng.integers(1, 9))] if kind == '1d' else [int(rng.integers(1, 7)), int(rng.integers(1, 7))]
    return torch.as_tensor(rng.uniform(-0.3, 1.0, shape), dtype=torch.float32)

def _random_padding(rng):
    kind = rng.integers(3)
    values = [int(v) for v in rng.integers(-3, 9, size=[1, 2, 4][kind])]
    return values[0] if kind == 0 else values

# Invalid changes to a random call: (op, argument, function of (rng, args) giving the value, exception).
MUTATIONS = [
    ('both', 'x', lambda rng, a: a['x'][0], OpArgumentError),
    ('both', 'x', lambda rng, a: a['x'].to(torch.int64), OpTypeError),
    ('both', 'x', lambda rng, a: a['x'].tolist(), OpTypeError),
    ('both', 'up', lambda rng, a: [0, -1, 1.5, True, None][rng.integers(5)], OpArgumentError),
    ('both', 'down', lambda rng, a: [0, -2, 2.0, 'two'][rng.integers(4)], OpArgumentError),
    ('both', 'padding', lambda rng, a: [[1, 2, 3], 'same', 0.5, [1, None]][rng.integers(4)], OpArgumentError),
    ('both', 'gain', lambda rng, a: [-1.0, math.nan, math.inf][rng.integers(3)], OpArgumentError),
    ('both', 'FILTER', lambda rng, a: torch.ones([2, 2, 2]), OpArgumentError),
    ('both', 'FILTER', lambda rng, a: torch.ones([0]), OpArgumentError),
    ('both', 'FILTER', lambda rng, a: torch.ones([3], dtype=torch.int32), OpTypeError),
    ('filtered_lrelu', 'b', lambda rng, a: torch.zeros(a['x'].shape[1] + int(rng.choice([-1, 1, 5])), dtype=a['x'].dtype), OpArgumentError),
    ('filtered_lrelu', 'b', lambda rng, a: torch.zeros(a['x'].shape[1], dtype=torch.float64 if a['x'].dtype != torch.float64 else torch.float32), OpTypeError),
    ('filtered_lrelu', 'slope', lambda rng, a: -0.5, OpArgumentError),
    ('filtered_lrelu', 'clamp', lambda rng, a: -1.0, OpArgumentError),
]

def _random_call(rng):
    """(op name, arguments, expected exception or None). Valid calls may still be refused for a size the op
    cannot make (a filter longer than the padded input): then every path must refuse them alike."""
    op = 'filtered_lrelu' if rng.random() < 0.55 else 'upfirdn2d'
    dtype = [torch.float32, torch.float64, torch.float16, torch.bfloat16][rng.choice(4, p=[0.6, 0.3, 0.05, 0.05])]
    x = _random_tensor(rng, [int(rng.integers(1, 3)), int(rng.integers(1, 5)), int(rng.integers(1, 13)), int(rng.integers(1, 13))], dtype)
    if op == 'upfirdn2d':
        factor = lambda: int(rng.integers(1, 5)) if rng.random() < 0.6 else [int(rng.integers(1, 5)), int(rng.integers(1, 5))]
        args = dict(x=x, f=_random_filter(rng), up=factor(), down=factor(), padding=_random_padding(rng),
            flip_filter=bool(rng.integers(2)), gain=float(rng.uniform(0, 3)))
    else:
        factor = lambda: int(rng.choice([1, 2, 3, 4, 9], p=[0.3, 0.35, 0.1, 0.2, 0.05])) # 9: beyond the native kernel.
        channels = x.shape[1]
        args = dict(x=x, fu=_random_filter(rng), fd=_random_filter(rng), up=factor(), down=factor(), padding=_random_padding(rng),
            b=_random_tensor(rng, [channels], dtype) if rng.random() < 0.7 else None, gain=float(rng.uniform(0.5, 2)),
            slope=float(rng.uniform(0, 0.5)), clamp=None if rng.random() < 0.5 else float(rng.uniform(0.1, 2)), flip_filter=bool(rng.integers(2)))
    if rng.random() >= 0.4:
        return op, args, None
    mutations = [m for m in MUTATIONS if m[0] in ('both', op)]
    _, name, value, error = mutations[rng.integers(len(mutations))]
    if name == 'FILTER':
        name = 'f' if op == 'upfirdn2d' else ['fu', 'fd'][rng.integers(2)]
    return op, dict(args, **{name: value(rng, args)}), error

# Largest difference from the reference, relative to its largest magnitude. The reference rounds the filter
# taps times the gain to float32 (as NVIDIA's does) also for float64 inputs; the fast path does not.
TOLERANCE = {torch.float32: 1e-5, torch.float64: 2e-6, torch.float16: 0.05, torch.bfloat16: 0.05}

def _outcome(func, args, impl):
    """The result, or the exception (ours only: anything else fails the test)."""
    try:
        return func(**args, impl=impl)
    except OpArgumentError as e:
        return e

def test_random_calls_match_the_reference_or_raise_our_exception(monkeypatch):
    rng = np.random.default_rng(20240611)
    ops = dict(upfirdn2d=upfirdn2d, filtered_lrelu=filtered_lrelu)
    counts = dict(valid=0, refused_size=0, refused=0)
    kernel_calls = []
    kernel = native.filtered_lrelu
    monkeypatch.setattr(native, 'filtered_lrelu', lambda *a, **k: kernel_calls.append(1) or kernel(*a, **k))
    for case in range(200):
        op, args, error = _random_call(rng)
        monkeypatch.setenv('SG3_NATIVE', '0' if rng.random() < 0.25 else '1') # The PyTorch plan for some float32 calls too.
        want = _outcome(ops[op], args, 'ref')
        what = f'case {case}: {op}({", ".join(f"{k}={v!r}" if not isinstance(v, torch.Tensor) else f"{k}={list(v.shape)}" for k, v in args.items())})'
        if error is not None:
            assert isinstance(want, error), f'{what}: expected {error.__name__}, got {want!r}'
        for impl in ('fast', 'auto'):
            got = _outcome(ops[op], args, impl)
            if isinstance(want, Exception):
                assert type(got) is type(want) and str(got) == str(want), f'{what} [{impl}]: {got!r}, reference: {want!r}'
                continue
            tol = TOLERANCE[args['x'].dtype] * max(1.0, float(want.abs().max()))
            assert got.dtype == want.dtype and got.shape == want.shape, f'{what} [{impl}]'
            torch.testing.assert_close(got, want, rtol=0, atol=tol, msg=lambda m: f'{what} [{impl}]: {m}')
        counts['valid' if not isinstance(want, Exception) else 'refused' if error else 'refused_size'] += 1
    assert counts['valid'] >= 60 and counts['refused'] >= 50, counts # The mix covers both kinds.
    assert kernel_calls or native.library() is None # And the native kernel.

def test_random_bias_act_calls_match_the_oracle_or_raise_our_exception():
    rng = np.random.default_rng(7)
    for case in range(100):
        ndim = int(rng.integers(1, 5))
        x = _random_tensor(rng, [int(v) for v in rng.integers(1, 6, size=ndim)], torch.float64)
        dim = int(rng.integers(ndim))
        args = dict(x=x, b=_x([x.shape[dim]], torch.float64, case), dim=dim, act=str(rng.choice(sorted(activation_funcs))),
            alpha=float(rng.uniform(0, 0.5)), gain=float(rng.uniform(0.5, 2)), clamp=None if rng.random() < 0.5 else float(rng.uniform(0.1, 2)))
        invalid = [('b', torch.zeros(x.shape[dim] + 1, dtype=torch.float64)), ('dim', ndim), ('act', 'gelu'), ('clamp', -0.5), ('gain', math.nan)]
        if rng.random() < 0.4:
            name, value = invalid[rng.integers(len(invalid))]
            with pytest.raises(OpArgumentError, match=re.escape(name)):
                bias_act(**dict(args, **{name: value}))
            continue
        want = bias_act_np(x.numpy(), args['b'].numpy(), dim, args['act'], args['alpha'], args['gain'], args['clamp'])
        np.testing.assert_allclose(bias_act(**args).numpy(), want, rtol=1e-12, atol=1e-12, err_msg=f'case {case}: {args}')

#----------------------------------------------------------------------------
