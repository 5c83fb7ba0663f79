"""Tensor helpers of the renderer: the "untransform" view (sg3's band-limited resampler), statistics, and the
8-bit texture image (sg3's conversion). The synthesis run, layer designs and latents are sg3.pipeline's and
sg3.spectra's. torch + numpy only."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from sg3 import equivariance, pipeline
from sg3.transforms import invert_transform


class RenderCancelled(Exception):
    """The worker is closing; the render stops at the next layer boundary."""

# ----------------------------------------------------------------------------
# Resampling back by the user's transform ("untransform").


def untransform(
    x:    torch.Tensor,                         # [N, C, H, W] image or layer output.
    mat:  np.ndarray,                           # The user's transform [3, 3] (sg3.transforms.make_transform).
    unit: float | None = None,                  # Pixels per unit of the transform (the image width); None = W.
    a:    int = 3,                              # Lanczos window size of the resampler.
) -> torch.Tensor:
    """Resample `x` back by the user's transform: out(p) = x(mat @ p), coordinates centred on the image with
    `unit` pixels per unit, so the content returns to where the identity transform puts it. This is the
    paper's band-limited affine operator (sg3.equivariance.apply_affine_transformation) with the inverse
    transform; pixels that come from outside the image are 0. The identity returns `x` itself."""
    assert x.ndim == 4
    _N, _C, H, W = x.shape
    m = np.asarray(mat, dtype=np.float64)
    if np.array_equal(m, np.eye(3)):
        return x
    unit = float(W if unit is None else unit)
    to_image = np.diag([unit / W, unit / H, 1.0])                               # Transform units -> image widths, heights.
    op = to_image @ invert_transform(m) @ np.linalg.inv(to_image)               # The operator moves content by op.
    # Filter reach: both Lanczos windows, the input's (a pixels) and the output grid's (a / smallest scale of op),
    # at most 2a as for the paper's rotations (a wider one, when shrinking, would cost its square per pixel).
    amax = min(math.ceil(a + a / float(np.linalg.svd(op[:2, :2], compute_uv=False).min())), 2 * a)
    z, _mask = equivariance.apply_affine_transformation(x.to(torch.float32), torch.from_numpy(op), a=a, amax=amax)
    return z.to(x.dtype)

# ----------------------------------------------------------------------------
# Statistics and the texture image.


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


def to_display(x: torch.Tensor, normalize: bool = False, gain_db: float = 0.0) -> np.ndarray:
    """[C, H, W] values (C = 1 or 3) in about [-1, 1] -> [H, W, 3] uint8 for a texture: x / max|x| per channel
    if normalize, then sg3.pipeline.to_uint8 with gain g = 10 ** (gain_db / 20), so uint8 =
    clamp(floor(v * g * 127.5 + 128), 0, 255). One channel is repeated as grey."""
    assert x.ndim == 3 and x.shape[0] in (1, 3)
    v = x.to(torch.float32)
    if normalize:
        v = v / v.abs().amax(dim=[1, 2], keepdim=True).clamp(1e-8, 1e8)
    img = pipeline.to_uint8(v, gain=10 ** (gain_db / 20))
    return np.repeat(img, 3, axis=2) if img.shape[2] == 1 else img
