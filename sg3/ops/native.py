"""Native kernels of the fast ops, compiled on first use from the C sources in sg3/ops/native/ with the
machine's C compiler and its own vector instructions (-march=native), cached per source, compiler and CPU.

Optional: without a compiler, or when a build fails, `library()` returns None once and for all and the ops
keep their pure-PyTorch fast path. The environment variable SG3_NATIVE=0 turns the kernels off;
SG3_KERNEL_CACHE names the cache folder (default ~/.cache/sg3-viz/kernels). Nothing is downloaded."""

import ctypes
import hashlib
import logging
import os
import pathlib
import platform
import shutil
import subprocess
import tempfile
import threading

SOURCES = [pathlib.Path(__file__).with_name('native') / 'filtered_lrelu.c']
CACHE_ENV = 'SG3_KERNEL_CACHE'
DEFAULT_CACHE = os.path.join('~', '.cache', 'sg3-viz', 'kernels')
FLAGS = ['-O3', '-ffp-contract=fast', '-fno-math-errno', '-std=gnu11', '-shared', '-fPIC']

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
    folder = pathlib.Path(os.path.expanduser(os.environ.get(CACHE_ENV) or DEFAULT_CACHE))
    path = folder / f'sg3_ops_{digest}.so'
    if path.is_file():
        lib = ctypes.CDLL(str(path))
        _status = f'native kernels loaded from {path}'
    else:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            folder = pathlib.Path(tempfile.mkdtemp(prefix='sg3-kernels-')) # Unwritable cache: build for this process.
            path = folder / path.name
        lib = _build(cc, path)
        _status = f'native kernels built into {path}'
    _declare(lib)
    return lib

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
    fn = lib.sg3_filtered_lrelu
    fn.restype = ctypes.c_int
    fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_long, ctypes.c_long, ctypes.c_long,
        ctypes.c_void_p, ctypes.c_void_p, ctypes.c_float, ctypes.c_float]

#----------------------------------------------------------------------------
