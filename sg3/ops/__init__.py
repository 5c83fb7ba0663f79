"""The ops of the generators: upfirdn2d, bias_act, filtered_lrelu, conv2d_resample, modulated convolution.
Each has a plain reference implementation (the oracle) and, where it pays, a fast one checked against it.

    sg3.ops.set_default_impl('ref')     # process-wide: 'auto' (default), 'ref' or 'fast'
    with sg3.ops.use_impl('ref'): ...   # this thread, within the block
    sg3.ops.configure_threads()         # all cores for intra-op work, 1 inter-op thread
    with sg3.ops.use_conv_dtype(torch.bfloat16): ...   # this thread: modulated convolutions in bfloat16 (previews)
    sg3.ops.bfloat16_support(device)    # (fast?, why): whether bfloat16 convolutions pay on this device
    sg3.ops.release_workspace()         # free the fast ops' reusable work buffers of this thread
    sg3.ops.configure_allocator()       # opt-in: keep freed memory for reuse (glibc), fewer page faults
"""

import ctypes
import os

import torch

from sg3.ops._impl import IMPLS, bfloat16_support, get_conv_dtype, get_default_impl, set_default_impl, use_conv_dtype, use_impl

__all__ = ['IMPLS', 'bfloat16_support', 'configure_allocator', 'configure_threads', 'get_conv_dtype', 'get_default_impl',
    'release_workspace', 'set_default_impl', 'use_conv_dtype', 'use_impl']

#----------------------------------------------------------------------------

def available_cores() -> int:
    """CPU cores this process may run on."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:
        return max(os.cpu_count() or 1, 1)

def configure_threads(
    num_threads:        int | None = None,  # Intra-op threads; None = every available core.
    num_interop_threads: int | None = 1,    # Inter-op threads; None = leave as is.
) -> dict:
    """Set torch's thread counts deliberately (call from the thread that renders, before heavy work).
    The inter-op count can only be set once per process, before any inter-op work; later calls keep it.
    Returns the counts in effect: {'num_threads': ..., 'num_interop_threads': ...}."""
    if num_threads is None:
        num_threads = available_cores()
    if not isinstance(num_threads, int) or num_threads < 1:
        raise ValueError(f'num_threads must be a positive integer or None, got {num_threads!r}')
    torch.set_num_threads(num_threads)
    if num_interop_threads is not None:
        if not isinstance(num_interop_threads, int) or num_interop_threads < 1:
            raise ValueError(f'num_interop_threads must be a positive integer or None, got {num_interop_threads!r}')
        if torch.get_num_interop_threads() != num_interop_threads:
            try:
                torch.set_num_interop_threads(num_interop_threads)
            except RuntimeError:
                pass # Already fixed for this process.
    return dict(num_threads=torch.get_num_threads(), num_interop_threads=torch.get_num_interop_threads())

def configure_allocator() -> bool:
    """Opt-in, process-wide: let glibc's malloc keep freed memory for reuse instead of handing large
    blocks back to the OS (no mmap for large blocks, no trimming). A generator allocates and frees the same
    large tensors every frame; on machines where each new page costs a page fault (notably virtual
    machines) this saves a fifth of the frame time. The resident size then stays at its peak.
    Returns False (and changes nothing) where the C library is not glibc."""
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version # Raises AttributeError on other C libraries.
    except (OSError, AttributeError):
        return False
    libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    m_trim_threshold, m_mmap_max = -1, -4 # From glibc's malloc.h.
    return bool(libc.mallopt(m_mmap_max, 0)) and bool(libc.mallopt(m_trim_threshold, 2 ** 31 - 1))

def release_workspace() -> int:
    """Free the work buffers the fast ops keep between calls on this thread; returns the bytes freed."""
    from sg3.ops import _workspace
    return _workspace.release()

#----------------------------------------------------------------------------
