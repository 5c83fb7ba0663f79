"""Native kernels of the fast ops, compiled on first use from the C sources in sg3/ops/native/ with the
machine's C compiler and its own vector instructions (-march=native), cached per source, compiler and CPU.

Optional: without a compiler, or when a build fails, `library()` returns None once and for all and the ops
keep their pure-PyTorch fast path. The environment variable SG3_NATIVE=0 turns the kernels off;
SG3_KERNEL_CACHE names the cache folder (default ~/.cache/sg3-viz/kernels), used only where it belongs to this
user and nobody else can write to it (a library from it runs in this process). Nothing is downloaded.

The boundary: `filtered_lrelu` checks everything that crosses into C (buffers: dtype, device, contiguity,
shape against the geometry, bias length; the geometry against the kernel's limits) right before the call,
and raises OpArgumentError / OpTypeError (sg3.errors) instead of letting C read past a buffer."""

import ctypes
import hashlib
import logging
import math
import os
import pathlib
import platform
import shutil
import stat
import subprocess
import tempfile
import threading

import torch

from sg3.errors import OpArgumentError, OpTypeError
from sg3.ops._utils import check_shape

SOURCES = [pathlib.Path(__file__).with_name('native') / 'filtered_lrelu.c']
CACHE_ENV = 'SG3_KERNEL_CACHE'
DEFAULT_CACHE = os.path.join('~', '.cache', 'sg3-viz', 'kernels')
FLAGS = ['-O3', '-ffp-contract=fast', '-fno-math-errno', '-std=gnu11', '-shared', '-fPIC']
MAX_FACTOR, MAX_TERMS, MAX_TAPS, MAX_PAD = 8, 16, 256, 1 << 30 # The kernel's limits (filtered_lrelu.c).

_lock = threading.Lock()
_library = None
_tried = False
_status = 'not built yet'
_log = logging.getLogger('sg3')

#----------------------------------------------------------------------------

def enabled() -> bool:
    """False when the environment variable SG3_NATIVE is 0 / false / off."""
    return os.environ.get('SG3_NATIVE', '1').strip().lower() not in ('0', 'false', 'off', 'no')

def status() -> str:
    """What happened to the kernels in this process: built, loaded from the cache, or why not."""
    return _status

def library() -> ctypes.CDLL | None:
    """The compiled kernels (built or loaded on the first call, thread-safe), or None where unavailable."""
    global _library, _tried, _status
    if _tried:
        return _library
    with _lock:
        if not _tried:
            try:
                _library = _load()
            except Exception as e: # Any failure means: no native kernels, the fallback path runs.
                _library = None
                _status = f'native kernels unavailable: {e}'
                _log.warning('sg3: %s; using the PyTorch fast path', _status)
            _tried = True
    return _library

def _compiler() -> str:
    cc = os.environ.get('CC') or shutil.which('cc') or shutil.which('gcc') or shutil.which('clang')
    if not cc:
        raise RuntimeError('no C compiler found (looked for $CC, cc, gcc, clang)')
    return cc

def _cpu_id() -> str:
    """Identifies the instruction set the build may use (a cache shared between machines must not mix)."""
    try:
        with open('/proc/cpuinfo', encoding='utf-8', errors='replace') as f:
            lines = [line for line in f if line.startswith(('model name', 'flags', 'Features', 'CPU part'))]
        return ''.join(sorted(set(lines)))
    except OSError:
        return platform.processor() + platform.machine()

def _load() -> ctypes.CDLL:
    global _status
    if not enabled():
        raise RuntimeError('turned off by SG3_NATIVE')
    cc = _compiler()
    version = subprocess.run([cc, '--version'], capture_output=True, text=True, timeout=30).stdout
    source = b''.join(path.read_bytes() for path in SOURCES)
    digest = hashlib.sha256(b'\0'.join([source, ' '.join(FLAGS).encode(), cc.encode(), version.encode(), _cpu_id().encode()])).hexdigest()[:20]
    path = cache_folder() / f'sg3_ops_{digest}.so'
    if path.is_file():
        lib = ctypes.CDLL(str(path))
        _status = f'native kernels loaded from {path}'
    else:
        lib = _build(cc, path)
        _status = f'native kernels built into {path}'
    _declare(lib)
    return lib

def cache_folder() -> pathlib.Path:
    """The kernel cache ($SG3_KERNEL_CACHE, else ~/.cache/sg3-viz/kernels; created private where missing) where it
    is a folder of this user that group and others cannot write to; otherwise a new private temporary folder for
    this process, with a one-line warning that names the refused folder and why."""
    folder = pathlib.Path(os.path.expanduser(os.environ.get(CACHE_ENV) or DEFAULT_CACHE))
    why = _unsafe(folder)
    if why is None:
        return folder
    private = pathlib.Path(tempfile.mkdtemp(prefix='sg3-kernels-'))
    _log.warning('sg3: kernel cache %s %s; building the kernels in %s for this process', folder, why, private)
    return private

def _unsafe(folder: pathlib.Path) -> str | None:
    """Why `folder` must not hold libraries this process loads, or None where it may."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = folder.stat()
    except OSError as e:
        return f'cannot be used ({e.strerror or e})'
    if hasattr(os, 'getuid') and info.st_uid != os.getuid():
        return f'belongs to user id {info.st_uid}, not to this user (id {os.getuid()})'
    if info.st_mode & 0o022:
        return f'is writable by group or others (mode {stat.S_IMODE(info.st_mode):#o}; expected no write permission but the owner\'s)'
    if not os.access(folder, os.W_OK | os.X_OK):
        return 'is not writable'
    return None

def _build(cc: str, path: pathlib.Path) -> ctypes.CDLL:
    """Compile into a temporary file next to `path`, then rename (concurrent builds cannot clash)."""
    fd, tmp = tempfile.mkstemp(suffix='.so', dir=path.parent)
    os.close(fd)
    try:
        errors = ''
        for arch in (['-march=native'], []): # Some compilers (or CPUs) lack -march=native.
            result = subprocess.run([cc, *FLAGS, *arch, '-o', tmp, *map(str, SOURCES)], capture_output=True, text=True, timeout=300)
            if result.returncode == 0:
                break
            errors = result.stderr.strip()
        else:
            raise RuntimeError(f'{cc} failed: {errors[-500:]}')
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return ctypes.CDLL(str(path))

def _declare(lib: ctypes.CDLL) -> None:
    size = lib.sg3_flrelu_geometry_size
    size.restype = ctypes.c_long
    size.argtypes = []
    if size() != ctypes.sizeof(FilteredLreluGeometry):
        raise RuntimeError(f'the kernel\'s geometry struct has {size()} bytes, its mirror FilteredLreluGeometry '
            f'{ctypes.sizeof(FilteredLreluGeometry)}; expected the same layout')
    fn = lib.sg3_filtered_lrelu
    fn.restype = ctypes.c_int
    fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_long, ctypes.c_long, ctypes.c_long,
        ctypes.POINTER(FilteredLreluGeometry), ctypes.c_void_p, ctypes.c_float, ctypes.c_float]

#----------------------------------------------------------------------------
# The filtered_lrelu kernel.

_Terms = ctypes.c_int * MAX_TERMS

class FilteredLreluGeometry(ctypes.Structure):
    """What sg3_filtered_lrelu needs to know besides the buffers; mirrors sg3_flrelu_geometry in
    native/filtered_lrelu.c field by field (the library's struct size is checked against it on loading)."""
    _fields_ = [
        ('in_h', ctypes.c_int), ('in_w', ctypes.c_int),             # Input plane.
        ('up', ctypes.c_int), ('down', ctypes.c_int),               # Factors, 1..MAX_FACTOR.
        ('num_up_terms', ctypes.c_int), ('num_down_terms', ctypes.c_int), # Separable terms, 1..MAX_TERMS.
        ('strip_rows', ctypes.c_int),                               # Output rows per strip.
        ('up_h', ctypes.c_int), ('up_w', ctypes.c_int),             # Upsampled plane.
        ('out_h', ctypes.c_int), ('out_w', ctypes.c_int),           # Output plane.
        ('up_pad_y', ctypes.c_int), ('up_pad_x', ctypes.c_int),     # Padding before the first upsampled row / column.
        ('num_taps', ctypes.c_int),                                 # Floats in the taps buffer: the sum of the counts below.
        ('up_k_y', _Terms), ('up_k_x', _Terms),                     # Per up term: vertical and horizontal taps.
        ('down_k_y', _Terms), ('down_k_x', _Terms),                 # Per down term: vertical and horizontal taps.
    ]

def filtered_lrelu_geometry(up_terms: list, down_terms: list, **sizes) -> FilteredLreluGeometry:
    """The geometry from the scalar fields (`sizes`: in_h, in_w, up, down, strip_rows, up_h, up_w, out_h, out_w,
    up_pad_y, up_pad_x) and the tap counts of the up and down terms [(k_y, k_x), ...]. Raises OpArgumentError for
    values beyond the kernel's limits or a C int (ctypes would silently wrap them)."""
    for what, terms in (('up terms', up_terms), ('down terms', down_terms)):
        if not 1 <= len(terms) <= MAX_TERMS:
            raise OpArgumentError(f'{len(terms)} {what}: expected 1 to {MAX_TERMS} for the native kernel')
    columns = {'up_k_y': [k for k, _ in up_terms], 'up_k_x': [k for _, k in up_terms],
        'down_k_y': [k for k, _ in down_terms], 'down_k_x': [k for _, k in down_terms]}
    values = [(f'{name}[{j}]', value) for name, column in columns.items() for j, value in enumerate(column)]
    for name, value in values + list(sizes.items()):
        if not (isinstance(value, int) and -2 ** 31 <= value < 2 ** 31):
            raise OpArgumentError(f'geometry {name}={value!r}: expected an integer that fits a C int')
    geometry = FilteredLreluGeometry(**sizes, num_up_terms=len(up_terms), num_down_terms=len(down_terms),
        num_taps=sum(value for _, value in values), **{name: _Terms(*column) for name, column in columns.items()})
    check_geometry(geometry)
    return geometry

def check_geometry(g: FilteredLreluGeometry) -> None:
    """Raise OpArgumentError unless the geometry is within the kernel's limits and its taps add up to num_taps."""
    if not isinstance(g, FilteredLreluGeometry):
        raise OpTypeError(f'geometry is a {type(g).__name__}: expected a FilteredLreluGeometry')
    limits = [('up', g.up, 1, MAX_FACTOR), ('down', g.down, 1, MAX_FACTOR), ('num_up_terms', g.num_up_terms, 1, MAX_TERMS),
        ('num_down_terms', g.num_down_terms, 1, MAX_TERMS)]
    limits += [(name, getattr(g, name), 1, 2 ** 31 - 1) for name in ('strip_rows', 'in_h', 'in_w', 'up_h', 'up_w', 'out_h', 'out_w')]
    limits += [(name, getattr(g, name), -MAX_PAD, MAX_PAD) for name in ('up_pad_y', 'up_pad_x')]
    for name, value, low, high in limits:
        if not low <= value <= high:
            raise OpArgumentError(f'geometry {name}={value}: expected {low} to {high} for the native kernel')
    counts = [(name, j, getattr(g, name)[j]) for name, n in (('up_k_y', g.num_up_terms), ('up_k_x', g.num_up_terms),
        ('down_k_y', g.num_down_terms), ('down_k_x', g.num_down_terms)) for j in range(n)]
    for name, j, k in counts:
        if not 1 <= k <= MAX_TAPS:
            raise OpArgumentError(f'geometry {name}[{j}]={k} taps: expected 1 to {MAX_TAPS} for the native kernel')
    total = sum(k for _, _, k in counts)
    if total != g.num_taps:
        raise OpArgumentError(f'geometry num_taps={g.num_taps}: expected the sum of the tap counts, {total}')

def _check_buffer(t, name: str, shape: list) -> None:
    """A float32 CPU tensor of `shape` (None matches any size) whose elements are contiguous in memory."""
    check_shape(t, shape, name)
    if t.dtype != torch.float32 or t.device.type != 'cpu':
        raise OpTypeError(f'{name} of dtype {t.dtype} on {t.device}: expected float32 on the CPU for the native kernel')
    if not t.is_contiguous():
        raise OpArgumentError(f'{name} with strides {list(t.stride())}: expected a contiguous tensor for the native kernel')

def filtered_lrelu(lib: ctypes.CDLL, x: torch.Tensor, b: torch.Tensor | None, y: torch.Tensor, geometry: FilteredLreluGeometry,
    taps: torch.Tensor, slope: float, clamp: float, first_plane: int, num_planes: int) -> None:
    """Planes [first_plane, first_plane + num_planes) of x [N, C, in_h, in_w] plus bias b [C] (or None) into y
    [N, C, out_h, out_w] by the kernel; clamp < 0: no clamping. Checks every argument before the call."""
    check_geometry(geometry)
    _check_buffer(x, 'x', [None, None, geometry.in_h, geometry.in_w])
    batch_size, channels = x.shape[:2]
    _check_buffer(y, 'y', [batch_size, channels, geometry.out_h, geometry.out_w])
    if b is not None:
        _check_buffer(b, 'b', [channels])
    _check_buffer(taps, 'taps', [geometry.num_taps])
    if not (isinstance(first_plane, int) and isinstance(num_planes, int) and 0 <= first_plane and 1 <= num_planes <= batch_size * channels - first_plane):
        raise OpArgumentError(f'planes [{first_plane}, {first_plane} + {num_planes}): expected a range within the {batch_size * channels} planes of x')
    if not (isinstance(slope, float) and math.isfinite(slope) and isinstance(clamp, float) and not math.isnan(clamp)):
        raise OpArgumentError(f'slope={slope!r}, clamp={clamp!r}: expected a finite float and a float (< 0: no clamping)')
    in_plane, out_plane = geometry.in_h * geometry.in_w, geometry.out_h * geometry.out_w
    err = lib.sg3_filtered_lrelu(x.data_ptr() + 4 * first_plane * in_plane, None if b is None else b.data_ptr(),
        y.data_ptr() + 4 * first_plane * out_plane, num_planes, channels, first_plane, ctypes.byref(geometry), taps.data_ptr(), slope, clamp)
    if err == -1:
        raise MemoryError('filtered_lrelu: the native kernel could not allocate its work buffers')
    if err != 0:
        raise RuntimeError(f'filtered_lrelu: the native kernel refused its arguments (code {err})')

#----------------------------------------------------------------------------
