"""Work buffers that the fast ops reuse from call to call: fresh large allocations are slow (every new
page is a page fault), and the work of one layer is done before the next starts. One set per thread."""

import threading

import torch

_local = threading.local()

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

def release() -> int:
    """Free this thread's work buffers; return how many bytes they held."""
    buffers = getattr(_local, 'buffers', None) or {}
    freed = sum(buf.numel() * buf.element_size() for buf in buffers.values())
    buffers.clear()
    return freed

#----------------------------------------------------------------------------
