"""Which implementation the ops use: 'ref' (plain, the oracle), 'fast', or 'auto' (fast where it
applies on the tensor's device, else ref). A process-wide default (initially from the environment
variable SG3_OPS_IMPL, else 'auto') plus per-thread overrides. Also per thread: the precision of the
modulated convolutions (float32 as the network's, or a lower one for previews)."""

import contextlib
import os
import threading

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
