"""Which implementation the ops use: 'ref' (plain, the oracle), 'fast', or 'auto' (fast where it
applies on the tensor's device, else ref). A process-wide default (initially from the environment
variable SG3_OPS_IMPL, else 'auto') plus per-thread overrides. Also per thread: the precision of the
modulated convolutions (float32 as the network's, or a lower one for previews).

On CUDA and MPS nobody has measured which path is faster for which shapes, so 'auto' measures it: the first
call of an op for a device and shape class times both paths (a few runs each, synchronised) and every later
call of that class takes the faster (`measured`). The choices and times are kept (`measured_choices`), for
the benchmarks to print."""

import contextlib
import dataclasses
import os
import threading
import time
from typing import Callable

import torch

IMPLS = ('auto', 'ref', 'fast')

_default = os.environ.get('SG3_OPS_IMPL', 'auto') # The environment can set the process default.
if _default not in IMPLS:
    raise ValueError(f'environment variable SG3_OPS_IMPL={_default!r}; expected one of {IMPLS}')
_local = threading.local()

#----------------------------------------------------------------------------

def _check(impl: str) -> str:
    if impl not in IMPLS:
        raise ValueError(f'unknown op implementation {impl!r}; expected one of {IMPLS}')
    return impl

def set_default_impl(impl: str) -> None:
    """Set the implementation that ops use when called with impl='auto' (process-wide)."""
    global _default
    _default = _check(impl)

@contextlib.contextmanager
def _pushed(name: str, value):
    """Within the block, `value` is the innermost entry of this thread's stack `name`."""
    stack = _local.__dict__.setdefault(name, [])
    stack.append(value)
    try:
        yield
    finally:
        stack.pop()

def _innermost(name: str, default):
    stack = _local.__dict__.get(name)
    return stack[-1] if stack else default

def get_default_impl() -> str:
    """The implementation in effect on this thread: the innermost `use_impl`, else the process default."""
    return _innermost('impls', _default)

def use_impl(impl: str):
    """Within the block (a context manager), ops on this thread called with impl='auto' use `impl`."""
    return _pushed('impls', _check(impl))

def resolve(impl: str, x: torch.Tensor, *tensors, fast_pays: bool = True) -> str:
    """'ref' or 'fast' for one call. 'auto' picks fast on the CPU for float32/float64 without autograd,
    where the op says the fast path pays (`fast_pays`); 'fast' is honoured anywhere except where autograd
    needs the graph (the fast ops write into buffers)."""
    impl = _check(impl)
    if impl == 'auto':
        impl = get_default_impl()
    needs_grad = torch.is_grad_enabled() and any(t is not None and t.requires_grad for t in (x, *tensors))
    if impl == 'ref' or needs_grad:
        return 'ref'
    if impl == 'fast':
        return 'fast'
    return 'fast' if fast_pays and x.device.type == 'cpu' and x.dtype in (torch.float32, torch.float64) else 'ref'

#----------------------------------------------------------------------------

def use_conv_dtype(dtype: torch.dtype | None):
    """Within the block (a context manager), the modulated convolutions on this thread run in `dtype` (inputs
    and weights rounded to it, results returned in the input's dtype); None = the input's own dtype. For
    previews: bfloat16 halves the cost of the convolutions where the hardware has bfloat16 arithmetic (see
    bfloat16_support); convolutions that run as float32 Winograd stay float32 (faster still)."""
    if dtype is not None and not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
        raise ValueError(f'convolution dtype {dtype!r}: expected a floating-point torch.dtype or None')
    return _pushed('conv_dtypes', dtype)

def get_conv_dtype() -> torch.dtype | None:
    """The modulated convolutions' dtype in effect on this thread (None = the input's own)."""
    return _innermost('conv_dtypes', None)

def bfloat16_support(device) -> tuple[bool, str]:
    """(True, why) where bfloat16 convolutions run natively and faster than float32 on `device`, else
    (False, why not). CPU: AVX512-BF16 or AMX (through oneDNN); CUDA: compute capability 8.0 or newer."""
    device = torch.device(device)
    if device.type == 'cpu':
        try:
            native = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
        except (AttributeError, RuntimeError):
            native = False
        if native:
            return True, 'this CPU has native bfloat16 arithmetic (AVX512-BF16 or AMX)'
        return False, 'this CPU has no native bfloat16 arithmetic (AVX512-BF16 or AMX): bfloat16 would be slower than float32'
    if device.type == 'cuda':
        if torch.cuda.is_available() and torch.cuda.is_bf16_supported():
            return True, 'this GPU supports bfloat16'
        return False, 'this GPU has no fast bfloat16 (needs compute capability 8.0 or newer)'
    return False, f'bfloat16 previews are not offered on {device.type} devices'

#----------------------------------------------------------------------------

#----------------------------------------------------------------------------
# Measured choice on devices where the faster path is not known in advance.

MEASURED_DEVICE_TYPES = {'cuda', 'mps'}     # Device types where 'auto' times both paths (tests add 'cpu').
MEASURE_REPEATS = 3                         # Timed runs per path after one warm-up run; the fastest counts.

@dataclasses.dataclass(frozen=True)
class MeasuredChoice:
    impl:        str                        # 'ref' or 'fast': the faster.
    ref_seconds: float                      # Best time of the reference path.
    fast_seconds: float                     # Best time of the fast path (math.inf where it failed).

_choices: dict[tuple, MeasuredChoice] = {}
_choices_lock = threading.Lock()
_clock = time.perf_counter

def shape_class(x: torch.Tensor, *details) -> tuple:
    """A call's shape class: dtype, batch size rounded up to a power of two, the other dimensions, `details`."""
    batch = 1 << max(int(x.shape[0]) - 1, 0).bit_length()
    return (str(x.dtype).split('.')[-1], batch, *(int(d) for d in x.shape[1:]), *details)

def _synchronize(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
    elif device.type == 'mps':
        torch.mps.synchronize()

def _time(run: Callable[[str], object], impl: str, device: torch.device) -> float:
    """Best of MEASURE_REPEATS runs of one path after a warm-up (plans, kernels, caches); inf if it raises."""
    try:
        with use_impl(impl):
            run(impl)
            _synchronize(device)
            best = float('inf')
            for _ in range(MEASURE_REPEATS):
                start = _clock()
                run(impl)
                _synchronize(device)
                best = min(best, _clock() - start)
        return best
    except Exception:
        if impl == 'ref':
            raise
        return float('inf')

def measured(
    impl:  str,                             # The op's impl argument.
    op:    str,                             # The op's name, e.g. 'filtered_lrelu'.
    key:   tuple,                           # The call's shape class (shape_class).
    run:   Callable[[str], object],         # run('ref') / run('fast'): the call on one path.
    x:     torch.Tensor,                    # The input (its device decides).
    *tensors,                               # Other tensor arguments (autograd needs the reference).
) -> str:
    """`impl`, except 'auto' on a device type in MEASURED_DEVICE_TYPES: then the faster path for this device
    and shape class, timed at its first call. Call it first thing in the op and pass on what it returns."""
    impl = _check(impl)
    if impl != 'auto' or get_default_impl() != 'auto' or x.device.type not in MEASURED_DEVICE_TYPES:
        return impl
    if torch.is_grad_enabled() and any(t is not None and t.requires_grad for t in (x, *tensors)):
        return 'ref'
    full_key = (op, str(x.device), *key)
    with _choices_lock:
        choice = _choices.get(full_key)
    if choice is None:
        ref_seconds = _time(run, 'ref', x.device)
        fast_seconds = _time(run, 'fast', x.device)
        choice = MeasuredChoice('fast' if fast_seconds < ref_seconds else 'ref', ref_seconds, fast_seconds)
        with _choices_lock:
            choice = _choices.setdefault(full_key, choice)
    return choice.impl

def measured_choices() -> dict[tuple, MeasuredChoice]:
    """Every measured choice so far: (op, device, *shape class) -> MeasuredChoice."""
    with _choices_lock:
        return dict(_choices)

def forget_measurements() -> None:
    """Drop the measured choices (they are measured again at the next call)."""
    with _choices_lock:
        _choices.clear()

#----------------------------------------------------------------------------
