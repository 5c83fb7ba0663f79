"""Work buffers that the fast ops reuse from call to call: fresh large allocations are slow (every new
page is a page fault), and the work of one layer is done before the next starts. One set per thread.
Outputs, which must be fresh, come from `empty`: on Linux their pages are asked for as huge pages."""

import ctypes
import sys
import threading

import torch

_local = threading.local()
_madvise = None
MADV_HUGEPAGE = 14              # From Linux's mman-common.h.
HUGE_MIN_BYTES = 4 << 20        # Smaller tensors gain nothing from 2 MB pages.

#----------------------------------------------------------------------------

def buffer(name: str, numel: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """A 1-D tensor of `numel` elements, shared by every caller that uses the same name on this thread.
    Its contents are whatever the last user left (always finite: buffers start as zeros)."""
    buffers = getattr(_local, 'buffers', None)
    if buffers is None:
        buffers = _local.buffers = {}
    key = (name, torch.device(device), dtype)
    buf = buffers.get(key)
    if buf is None or buf.numel() < numel:
        buffers.pop(key, None)
        buf = torch.zeros([numel], device=device, dtype=dtype)
        buffers[key] = buf
    return buf[:numel]

def empty(shape, device, dtype) -> torch.Tensor:
    """torch.empty for a large output of a fast op. On Linux (CPU), its memory is marked for transparent huge
    pages before anything touches it: a fresh 90 MB tensor then costs 45 page faults instead of 22,000
    (measured: allocating and filling one went from 22 to 6 ms). Where the kernel's THP setting is 'never', or
    the memory was touched before, the hint does nothing."""
    global _madvise
    out = torch.empty(shape, device=device, dtype=dtype)
    nbytes = out.numel() * out.element_size()
    if out.device.type != 'cpu' or nbytes < HUGE_MIN_BYTES or not sys.platform.startswith('linux'):
        return out
    if _madvise is None:
        try:
            _madvise = ctypes.CDLL(None, use_errno=True).madvise
            _madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        except (OSError, AttributeError):
            _madvise = False
    if _madvise:
        page = 4096
        start = (out.data_ptr() + page - 1) // page * page
        end = (out.data_ptr() + nbytes) // page * page
        _madvise(start, end - start, MADV_HUGEPAGE) # A hint: failure changes nothing.
    return out

def release() -> int:
    """Free this thread's work buffers; return how many bytes they held."""
    buffers = getattr(_local, 'buffers', None) or {}
    freed = sum(buf.numel() * buf.element_size() for buf in buffers.values())
    buffers.clear()
    return freed

#----------------------------------------------------------------------------
