"""Which implementation the ops use: 'ref' (plain, the oracle), 'fast', or 'auto' (fast where it
applies on the tensor's device, else ref). A process-wide default (initially from the environment
variable SG3_OPS_IMPL, else 'auto') plus per-thread overrides."""

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

def get_default_impl() -> str:
    """The implementation in effect on this thread: the innermost `use_impl`, else the process default."""
    stack = getattr(_local, 'stack', None)
    return stack[-1] if stack else _default

@contextlib.contextmanager
def use_impl(impl: str):
    """Within the block, ops on this thread called with impl='auto' use `impl`."""
    _check(impl)
    stack = getattr(_local, 'stack', None)
    if stack is None:
        stack = _local.stack = []
    stack.append(impl)
    try:
        yield
    finally:
        stack.pop()

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
