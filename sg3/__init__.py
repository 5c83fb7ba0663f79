"""sg3: StyleGAN3 and StyleGAN2 generators that give NVIDIA's numbers, with safe checkpoint loading
and analysis tools. Imports only torch, numpy and the standard library."""

import copy
import functools

import torch

from sg3.errors import CheckpointError, Sg3Error, TransformError

__all__ = ['load_generator', 'resolve_device', 'Sg3Error', 'CheckpointError', 'TransformError']

DEVICES = ('auto', 'cpu', 'cuda', 'mps')

#----------------------------------------------------------------------------

def resolve_device(device: str | torch.device = 'auto') -> torch.device:
    """'auto' picks CUDA, then MPS, then the CPU; an explicit device must be available."""
    if isinstance(device, torch.device):
        device = str(device)
    kind = str(device).split(':')[0]
    if kind not in DEVICES:
        raise Sg3Error(f'unknown device {device!r}; expected one of {", ".join(DEVICES)} (optionally cuda:N)')
    if kind == 'auto':
        if torch.cuda.is_available():
            return torch.device('cuda')
        if torch.backends.mps.is_available():
            return torch.device('mps')
        return torch.device('cpu')
    if kind == 'cuda' and not torch.cuda.is_available():
        raise Sg3Error(f'device {device!r} was asked for, but this PyTorch has no usable CUDA device; use cpu or auto')
    if kind == 'cuda' and ':' in str(device):
        index = str(device).split(':', 1)[1]
        if not index.isdigit() or int(index) >= torch.cuda.device_count():
            raise Sg3Error(f'device {device!r}: expected cuda:N with N from 0 to {torch.cuda.device_count() - 1} (CUDA devices present)')
    if kind == 'mps' and not torch.backends.mps.is_available():
        raise Sg3Error(f'device {device!r} was asked for, but MPS is not available on this machine; use cpu or auto')
    return torch.device(device)

#----------------------------------------------------------------------------

@functools.lru_cache(maxsize=4)
def _cached_builtin(name: str) -> torch.nn.Module:
    from sg3.builtin import build_builtin
    return build_builtin(name)

def load_generator(
    source:     str,                        # 'builtin:NAME', a path to a .pkl / .safetensors file, or an http(s) URL.
    device:     str | torch.device = 'cpu', # 'cpu', 'cuda', 'mps', or 'auto'.
    key:        str | None = None,          # Which network of a training snapshot: None = G_ema (then G).
    **load_kwargs,                          # Passed to sg3.checkpoint.load_network (cache_dir, progress).
) -> torch.nn.Module:
    """A ready generator: eval mode, float32 parameters, no gradients, on the requested device."""
    from sg3.builtin import is_builtin
    if not isinstance(source, str) or not source.strip():
        raise CheckpointError(f'network source must be a built-in name, a file path or a URL, got {source!r}')
    device = resolve_device(device)
    if is_builtin(source):
        G = copy.deepcopy(_cached_builtin(source))
    else:
        from sg3.checkpoint import load_network
        G = load_network(source, key=key, **load_kwargs).G
    return G.eval().requires_grad_(False).to(device=device, dtype=torch.float32)

#----------------------------------------------------------------------------
