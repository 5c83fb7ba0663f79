"""Tensor helpers of the renderer: layer capture with early exit, the band-limited "untransform"
resampler, statistics, and conversion to an 8-bit texture image. torch + numpy only."""

from __future__ import annotations

import dataclasses
import math
import threading
from typing import Any

import numpy as np
import torch

# ----------------------------------------------------------------------------
# Layer capture.


class RenderCancelled(Exception):
    """The worker is closing; the render stops at the next layer boundary."""


class _LayerCaptured(Exception):
    """Raised inside a forward hook to stop the pass once the requested layer is done."""

    def __init__(self, output: torch.Tensor) -> None:
        super().__init__()
        self.output = output


@dataclasses.dataclass(frozen=True)
class CapturedLayer:
    name: str                                   # Unique display name ('L3_36_512', 'b16.conv0', 'b16:1').
    module: torch.nn.Module                     # The submodule that produced it.
    shape: tuple[int, ...]                      # [N, C, H, W].
    dtype: str                                  # 'float32', 'float16', ...


def run_synthesis(
    synthesis:  torch.nn.Module,                # G.synthesis.
    ws:         torch.Tensor,                   # [N, num_ws, w_dim].
    capture:    str | None = None,              # Layer name to stop at; None = run to the end.
    cancel:     threading.Event | None = None,  # Checked after every submodule.
    **kwargs: Any,                              # noise_mode, force_fp32.
) -> tuple[torch.Tensor, list[CapturedLayer]]:
    """Run the synthesis network with forward hooks on every submodule. Every 4-D tensor output becomes a
    layer (tuple outputs get ':0', ':1' suffixes), in the order the modules finish. With `capture`, the pass
    stops as soon as that layer is done (later layers are not computed) and its output is returned;
    otherwise the network's output is returned."""
    module_names = {module: name for name, module in synthesis.named_modules() if name != ''}
    layers: list[CapturedLayer] = []
    seen: set[str] = set()

    def hook(module: torch.nn.Module, _inputs: Any, outputs: Any) -> None:
        if cancel is not None and cancel.is_set():
            raise RenderCancelled()
        items = list(outputs) if isinstance(outputs, (tuple, list)) else [outputs]
        tensors = [t for t in items if isinstance(t, torch.Tensor) and t.ndim == 4]
        for idx, out in enumerate(tensors):
            name = module_names[module] + (f':{idx}' if len(tensors) > 1 else '')
            suffix = 2
            while name in seen:
                name = f'{module_names[module]}_{suffix}'
                suffix += 1
            seen.add(name)
            layers.append(CapturedLayer(name=name, module=module, shape=tuple(int(s) for s in out.shape), dtype=str(out.dtype).split('.')[-1]))
            if name == capture:
                raise _LayerCaptured(out)

    handles = [module.register_forward_hook(hook) for module in module_names]
    try:
        out = synthesis(ws, **kwargs)
    except _LayerCaptured as e:
        out = e.output
    finally:
        for handle in handles:
            handle.remove()
    return out, layers


def layer_geometry(module: torch.nn.Module, width: int) -> tuple[float | None, float | None, float | None, int]:
    """(sampling_rate, cutoff, stopband, margin) of a StyleGAN3 layer module; Nones and 0 for others."""
    rate = getattr(module, 'out_sampling_rate', getattr(module, 'sampling_rate', None))
    cutoff = getattr(module, 'out_cutoff', getattr(module, 'bandwidth', None))
    stopband = getattr(module, 'out_stopband', None)
    margin = getattr(module, 'out_margin', None)
    if margin is None:
        margin = max(int(width - rate) // 2, 0) if rate is not None else 0
    as_float = lambda v: None if v is None else float(v)
    return as_float(rate), as_float(cutoff), as_float(stopband), int(margin)

# ----------------------------------------------------------------------------
# Band-limited affine resampling ("untransform").


def _lanczos(t: torch.Tensor, a: int) -> torch.Tensor:
    """Lanczos kernel sinc(t) * sinc(t / a) on |t| < a, zero outside."""
    return torch.where(t.abs() < a, torch.sinc(t) * torch.sinc(t / a), torch.zeros_like(t))


def _separable(x: torch.Tensor, taps: torch.Tensor, transpose_stride: int = 0) -> torch.Tensor:
    """Filter [N, C, H, W] along W then H with 1-D `taps` (odd length, symmetric). With transpose_stride
    > 0, upsample by that factor (zero insertion + filter) instead; output length (L - 1) * s + K."""
    N, C, H, W = x.shape
    k = taps.to(x.dtype).to(x.device)
    y = x.reshape(N * C, 1, H, W)
    for weight in (k.view(1, 1, 1, -1), k.view(1, 1, -1, 1)):
        if transpose_stride:
            stride = (1, transpose_stride) if weight.shape[3] > 1 else (transpose_stride, 1)
            y = torch.nn.functional.conv_transpose2d(y, weight, stride=stride)
        else:
            pad = (0, weight.shape[3] // 2) if weight.shape[3] > 1 else (weight.shape[2] // 2, 0)
            y = torch.nn.functional.conv2d(y, weight, padding=pad)
    return y.reshape(N, C, y.shape[2], y.shape[3])


def untransform(
    x:      torch.Tensor,                       # [N, C, H, W] image or layer output.
    mat:    np.ndarray,                         # The user's transform [3, 3] (TransformArgs.matrix()).
    unit:   float | None = None,                # Pixels per unit of the transform (image width); None = W.
    a:      int = 3,                            # Lanczos kernel size.
    up:     int = 4,                            # Upsampling factor of the intermediate image.
) -> torch.Tensor:
    """Resample `x` back by the user's transform: out(p) = x(mat @ p), coordinates centred on the
    image with `unit` pixels per unit. The content thus returns to where the identity transform puts
    it. Band-limited: a Lanczos-filtered `up`x upsampling (each polyphase normalised to unit gain),
    then bilinear sampling; when the transform shrinks the content, a Lanczos low-pass at the new
    Nyquist limit runs first. Pixels that come from outside the image are 0."""
    assert x.ndim == 4
    N, C, H, W = x.shape
    unit = float(W if unit is None else unit)
    m = np.asarray(mat, dtype=np.float64)
    dtype = x.dtype
    x = x.to(torch.float32)

    # Low-pass first when out(p) = x(mat p) samples x more sparsely than its own grid.
    sigma = float(np.linalg.svd(m[:2, :2], compute_uv=False).max())
    if sigma > 1 + 1e-6:
        half = math.ceil(a * sigma)
        t = torch.arange(-half + 1, half, dtype=torch.float64)
        taps = _lanczos(t / sigma, a)
        x = _separable(x, taps / taps.sum())

    # Upsample by `up` with a Lanczos interpolator, each polyphase component summing to 1.
    t = torch.arange(-a * up + 1, a * up, dtype=torch.float64)
    taps = _lanczos(t / up, a)
    phases = (t.long() % up)
    sums = torch.zeros(up, dtype=torch.float64).index_add_(0, phases, taps)
    taps = taps / sums[phases]
    y = _separable(x, taps, transpose_stride=up)                             # [N, C, (H - 1) * up + K, (W - 1) * up + K]
    offset = a * up - 1                                                       # Upsampled index of source pixel 0.

    # Sampling positions: output pixel centre -> transform coordinates -> source pixel -> upsampled index.
    jj = (torch.arange(W, dtype=torch.float64) + 0.5 - W / 2) / unit
    ii = (torch.arange(H, dtype=torch.float64) + 0.5 - H / 2) / unit
    py, px = torch.meshgrid(ii, jj, indexing='ij')
    sx = m[0, 0] * px + m[0, 1] * py + m[0, 2]
    sy = m[1, 0] * px + m[1, 1] * py + m[1, 2]
    ux = (sx * unit + W / 2 - 0.5) * up + offset
    uy = (sy * unit + H / 2 - 0.5) * up + offset
    Hu, Wu = y.shape[2], y.shape[3]
    grid = torch.stack([ux * 2 / (Wu - 1) - 1, uy * 2 / (Hu - 1) - 1], dim=2).to(torch.float32).to(x.device)
    z = torch.nn.functional.grid_sample(y.reshape(1, N * C, Hu, Wu), grid.unsqueeze(0), mode='bilinear',
        padding_mode='zeros', align_corners=True)
    return z.reshape(N, C, H, W).to(dtype)

# ----------------------------------------------------------------------------
# Statistics and 8-bit conversion.


def channel_stats(x: torch.Tensor) -> dict[str, Any]:
    """Statistics of a [C, H, W] tensor: overall and per channel (float32 numpy arrays)."""
    assert x.ndim == 3
    x = x.to(torch.float32)
    flat = x.reshape(x.shape[0], -1)
    return dict(
        mean=float(x.mean()), std=float(x.std()) if x.numel() > 1 else 0.0, min=float(x.min()), max=float(x.max()),
        channel_mean=flat.mean(dim=1).cpu().numpy(),
        channel_std=(flat.std(dim=1) if flat.shape[1] > 1 else torch.zeros(flat.shape[0])).cpu().numpy(),
        channel_min=flat.min(dim=1).values.cpu().numpy(),
        channel_max=flat.max(dim=1).values.cpu().numpy(),
    )


def select_channels(x: torch.Tensor, view: str, channel: int) -> tuple[torch.Tensor, tuple[int, ...]]:
    """The channels shown: 'rgb' = 3 consecutive channels from `channel` (moved down to fit; a 1- or
    2-channel tensor shows its first channel as grey), 'channel' = one channel. x is [C, H, W]."""
    C = x.shape[0]
    if view == 'rgb' and C >= 3:
        base = max(min(channel, C - 3), 0)
        idx = (base, base + 1, base + 2)
    else:
        idx = (min(channel, C - 1),) if view == 'channel' else (0,)
    return x[list(idx)], idx


def to_uint8(x: torch.Tensor, normalize: bool = False, gain_db: float = 0.0) -> np.ndarray:
    """[C, H, W] values (C = 1 or 3) in about [-1, 1] -> [H, W, 3] uint8:
    v = x / max|x| per channel if normalize; v = v * 10 ** (gain_db / 20); uint8 = clamp(floor(v * 127.5 + 128), 0, 255).
    One channel is repeated as grey."""
    assert x.ndim == 3 and x.shape[0] in (1, 3)
    v = x.to(torch.float32)
    if normalize:
        v = v / v.abs().amax(dim=[1, 2], keepdim=True).clamp(1e-8, 1e8)
    if gain_db != 0:
        v = v * (10 ** (gain_db / 20))
    img = (v * 127.5 + 128).clamp(0, 255).to(torch.uint8)
    if img.shape[0] == 1:
        img = img.expand(3, -1, -1)
    return np.ascontiguousarray(img.permute(1, 2, 0).cpu().numpy())
