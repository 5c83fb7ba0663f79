"""Equivariance operators, error maps, PSNR and the EQ-T / EQ-T_frac / EQ-R metrics of StyleGAN3.

The definitions are those of "Alias-Free Generative Adversarial Networks" (Appendix E) and of
NVIDIA's metric code, so that the numbers are comparable with the paper:

- Translations are in units of the image size (0.125 = one eighth of the width or height); positive x
  moves the content right, positive y moves it down. Angles are in radians with the sign of NVIDIA's
  `make_transform` (the viewer's `TransformArgs` uses the same sign, in degrees).
- Every operator returns the transformed images and a mask of the pixels whose value is fully defined
  (1 = valid, 0 = reaches past the image border). Masks have the shape of the images.
- The generator receives the INVERSE of the image-space transform in `G.synthesis.input.transform`.
- PSNR uses the peak-to-peak value 2 of images in [-1, 1]: 20 log10(2) - 10 log10(MSE), with the MSE
  pooled over all samples (sum of the masked squared errors divided by the sum of the masks).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Callable, Mapping, Sequence

import numpy as np
import torch

from sg3.errors import Sg3Error
from sg3.ops._parallel import run_chunks

KINDS = ('eqt', 'eqt_frac', 'eqr')                          # Metric kinds, in the order their transforms are drawn.
LABELS = {'eqt': 'EQ-T', 'eqt_frac': 'EQ-T_frac', 'eqr': 'EQ-R'}
PEAK = 2.0                                                  # Peak-to-peak value of images in [-1, 1].


class EquivarianceError(Sg3Error):
    """An equivariance request is malformed (unknown kind, bad sample count, ...)."""


class EquivarianceUnavailableError(EquivarianceError):
    """The network has no input transform, so equivariance cannot be measured (StyleGAN2)."""

# ----------------------------------------------------------------------------
# Small helpers.


def _sinc(x: torch.Tensor) -> torch.Tensor:
    y = (x * math.pi).abs()
    return torch.where(y < 1e-30, torch.ones_like(x), torch.sin(y) / y.clamp(min=1e-30))


def _lanczos_window(x: torch.Tensor, a: float) -> torch.Tensor:
    x = x.abs() / a
    return torch.where(x < 1, _sinc(x), torch.zeros_like(x))


def _check_images(x: torch.Tensor, name: str = 'x') -> None:
    if not isinstance(x, torch.Tensor) or x.ndim != 4 or not x.is_floating_point():
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise EquivarianceError(f'{name} = {shape}: expected a floating-point tensor [N, C, H, W]')


def _shift(x: torch.Tensor, dx: int, dy: int) -> torch.Tensor:
    """Move the content of [N, C, H, W] images by whole pixels (right, down), filling with zeros."""
    _N, _C, H, W = x.shape
    out = torch.zeros_like(x)
    if abs(dx) < W and abs(dy) < H:
        src = x[:, :, max(-dy, 0) : H + min(-dy, 0), max(-dx, 0) : W + min(-dx, 0)]
        out[:, :, max(dy, 0) : H + min(dy, 0), max(dx, 0) : W + min(dx, 0)] = src
    return out


def rotation_matrix(angle: float) -> torch.Tensor:
    """Image-space rotation as a [3, 3] float32 matrix, NVIDIA's sign convention (make_transform)."""
    c, s = math.cos(angle), math.sin(angle)
    return torch.tensor([[c, s, 0], [-s, c, 0], [0, 0, 1]], dtype=torch.float32)


def translation_input_transform(tx: float, ty: float) -> torch.Tensor:
    """The [3, 3] input transform that translates the output image by (tx, ty) image sizes."""
    return torch.tensor([[1, 0, -tx], [0, 1, -ty], [0, 0, 1]], dtype=torch.float32)


def rotation_input_transform(angle: float) -> torch.Tensor:
    """The [3, 3] input transform that rotates the output image by `angle` radians."""
    return rotation_matrix(-angle)

# ----------------------------------------------------------------------------
# Translation operators (Appendix E.1 and E.2).


def apply_integer_translation(
    x:  torch.Tensor,           # Images [N, C, H, W].
    tx: float,                  # Horizontal translation in image widths, rounded to whole pixels.
    ty: float,                  # Vertical translation in image heights, rounded to whole pixels.
) -> tuple[torch.Tensor, torch.Tensor]:
    """The operator T_x of the paper: shift by whole pixels. Returns (images, mask)."""
    _check_images(x)
    _N, _C, H, W = x.shape
    ix = round(float(tx) * W)
    iy = round(float(ty) * H)
    return _shift(x, ix, iy), _shift(torch.ones_like(x), ix, iy)


def lanczos_shift_filter(
    frac: float,                # Fractional part of the shift in pixels, in [0, 1).
    a:    int = 3,              # Lanczos window size: 2a taps.
) -> torch.Tensor:
    """Taps h[k], k = -(a-1) .. a, of the windowed sinc that delays a signal by `frac` pixels (sum 1)."""
    taps = torch.arange(-(a - 1), a + 1, dtype=torch.float64) - frac
    h = _sinc(taps) * _sinc(taps / a)
    return h / h.sum()


def apply_fractional_translation(
    x:  torch.Tensor,           # Images [N, C, H, W].
    tx: float,                  # Horizontal translation in image widths.
    ty: float,                  # Vertical translation in image heights.
    a:  int = 3,                # Lanczos window size (the paper uses 3).
) -> tuple[torch.Tensor, torch.Tensor]:
    """The operator T_x for sub-pixel shifts: separable Lanczos-windowed sinc. Returns (images, mask)."""
    _check_images(x)
    _N, _C, H, W = x.shape
    sx = float(tx) * W
    sy = float(ty) * H
    ix, iy = math.floor(sx), math.floor(sy)
    hx = lanczos_shift_filter(sx - ix, a).tolist()
    hy = lanczos_shift_filter(sy - iy, a).tolist()

    # Filter rows, then columns: z[n] = sum_k h[k] x[n - i - k], zero outside the image.
    y = sum(h * _shift(x, ix + k, 0) for k, h in zip(range(-(a - 1), a + 1), hx))
    z = sum(h * _shift(y, 0, iy + k) for k, h in zip(range(-(a - 1), a + 1), hy))

    # Valid where every tap reads inside the image.
    m = torch.zeros_like(x)
    mx0, mx1 = max(ix + a, 0), W + min(ix - (a - 1), 0)
    my0, my1 = max(iy + a, 0), H + min(iy - (a - 1), 0)
    if mx0 < mx1 and my0 < my1:
        m[:, :, my0:my1, mx0:mx1] = 1
    return z, m

# ----------------------------------------------------------------------------
# Band-limited affine resampling and rotation (Appendix E.3).


@functools.lru_cache(maxsize=8)
def _design_grid(
    a:         int,
    amax:      int,
    aflt:      int,
    up:        int,
    cutoff_in: float,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The periodic design grid and the input-grid filters as matrices (cached; read-only):

    - taps [n]: tap positions in input pixels, n = 2 * aflt * up - 1, zero first, then positive, then negative;
    - S, L [2 * amax * up - 1, n]: row i convolves (circularly, along one axis) with the input grid's 1-D sinc
      and Lanczos window and keeps output position (i - (amax * up - 1)) / up, so that a circular 2-D
      convolution with the separable sinc(x) sinc(y), kept on the centre crop, is S @ g @ S.T (L for the window).
    """
    n = aflt * up * 2 - 1
    k = torch.arange(n)
    taps = torch.where(k < aflt * up, k, k - n).to(torch.float32) / up
    kept = torch.arange(-(amax * up - 1), amax * up) % n                       # Indices of the centre crop.
    wrapped = (kept[:, None] - k[None, :]) % n                                  # [crop, n]: index of (output - input).
    sinc_row = _sinc(taps * cutoff_in)
    window_row = _lanczos_window(taps, a)
    return taps, sinc_row[wrapped].contiguous(), window_row[wrapped].contiguous()


def _window_reach(taps: torch.Tensor, m: list[list[float]], a: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Row (y) and column (x) indices of the grid where |xo| < a and |yo| < a can hold for the linear map m
    (all of them where m is nearly singular)."""
    det = m[0][0] * m[1][1] - m[0][1] * m[1][0]
    if abs(det) < 1e-6:
        every = torch.arange(taps.shape[0])
        return every, every
    reach_x = a * (abs(m[1][1]) + abs(m[0][1])) / abs(det)                     # |x| <= a * (|inv00| + |inv01|).
    reach_y = a * (abs(m[1][0]) + abs(m[0][0])) / abs(det)
    return torch.nonzero(taps.abs() <= reach_y).squeeze(1), torch.nonzero(taps.abs() <= reach_x).squeeze(1)


def affine_bandlimit_filter(
    mat:        torch.Tensor,   # Image-space transform [3, 3] (only the linear part matters).
    a:          int   = 3,      # Lanczos window size.
    amax:       int   = 16,     # Half-size of the returned filter, in input pixels.
    aflt:       int   = 64,     # Half-size of the periodic domain the filter is designed in.
    up:         int   = 4,      # Upsampling factor the filter is designed for.
    cutoff_in:  float = 1,      # Bandlimit wrt. the input grid (1 = Nyquist).
    cutoff_out: float = 1,      # Bandlimit wrt. the output grid (1 = Nyquist).
) -> torch.Tensor:
    """Oriented low-pass that band-limits wrt. both the input and the transformed output pixel grids.

    The filter is the product of two circular convolutions on a periodic grid of 2*aflt*up - 1 taps: of the
    two oriented 2-D sincs (the ideal low-passes of both grids) and of the two oriented 2-D Lanczos windows.
    Each of the `up` x `up` polyphase components is normalised to unit DC gain. NVIDIA's metric computes the
    convolutions with FFTs; only the centre crop is kept, and the input grid's filters are separable, so here
    each is two matrix products with the output grid's filter (the same numbers up to float32 rounding, about
    5x faster). Computed in float32 on the CPU. Returns [2*amax*up - 1] ** 2 float32.
    """
    assert a <= amax < aflt
    mat = torch.as_tensor(mat, dtype=torch.float32).cpu()
    assert mat.shape == (3, 3)
    taps, sinc_conv, window_conv = _design_grid(a, amax, aflt, up, float(cutoff_in))

    # Construct 2-D tap positions in output coordinates (rows: y, columns: x of the periodic grid).
    m = mat[:2, :2].tolist()
    yi, xi = taps[:, None], taps[None, :]
    xo = xi * m[0][0] + yi * m[0][1]
    yo = xi * m[1][0] + yi * m[1][1]

    # Convolve the two oriented sinc filters, and the two oriented Lanczos windows (the output window is
    # compactly supported: only the rows and columns of the grid that reach it take part).
    fo = torch.sinc(xo * cutoff_out) * torch.sinc(yo * cutoff_out)
    f = sinc_conv @ fo @ sinc_conv.T
    rows, cols = _window_reach(taps, m, a)
    wo = _lanczos_window(xo[rows][:, cols], a) * _lanczos_window(yo[rows][:, cols], a)
    w = window_conv[:, rows] @ wo @ window_conv[:, cols].T

    # Window the centre crop ([-amax, amax] input pixels).
    f = f * w

    # Normalise each polyphase component to a DC gain of 1 / up**2.
    size = amax * 2 * up
    f = torch.nn.functional.pad(f, [0, 1, 0, 1]).reshape(amax * 2, up, amax * 2, up)
    f = f / f.sum(dim=[0, 2], keepdim=True) / (up ** 2)
    f = f.reshape(size, size)[:-1, :-1]
    return f.contiguous()


def _upsample_fir(x: torch.Tensor, f: torch.Tensor, up: int, pad: int) -> torch.Tensor:
    """Upsample by inserting zeros, then convolve with `f` (gain up**2), keeping `pad` extra output
    pixels on each side: the output of NVIDIA's upsample2d(x, f, up, padding=pad). Computed in
    polyphase form, one small convolution per output phase, so the inserted zeros cost nothing."""
    N, C, H, W = x.shape
    fh, fw = f.shape
    assert fh == fw
    taps = -(-fw // up)                                                         # Taps per phase.

    # Split the filter into its up x up phases: phase (ry, rx) holds f[up*j + ry, up*i + rx].
    fpad = torch.nn.functional.pad(f * up ** 2, [0, taps * up - fw, 0, taps * up - fh])
    phases = fpad.reshape(taps, up, taps, up).permute(1, 3, 0, 2).reshape(up * up, 1, taps, taps)
    weight = phases.flip([2, 3]).to(x.dtype)

    # Full convolution of the zero-stuffed images: sample up*q + r of it is phase r at q.
    full = torch.nn.functional.conv2d(x.reshape(N * C, 1, H, W), weight, padding=taps - 1)
    full = torch.nn.functional.pixel_shuffle(full, up)                          # [N*C, 1, up*(H+taps-1), up*(W+taps-1)]

    # Output j is sample j - lead of the full convolution (zero outside it).
    lead = pad + (fw + up - 1) // 2 - (fw - 1)
    size_y = H * up + 2 * pad + (fh + up - 1) // 2 + (fh - up) // 2 - fh + 1
    size_x = W * up + 2 * pad + (fw + up - 1) // 2 + (fw - up) // 2 - fw + 1
    left = max(lead, 0)
    right_y = max(size_y - lead - full.shape[2], 0)
    right_x = max(size_x - lead - full.shape[3], 0)
    full = torch.nn.functional.pad(full, [left, right_x, left, right_y])
    start = max(-lead, 0)
    out = full[:, :, start : start + size_y, start : start + size_x]
    return out.reshape(N, C, size_y, size_x)


def _filter_same(x: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    """Convolve [N, C, H, W] images with an odd-sized 2-D filter, zero padding, same size out."""
    N, C, H, W = x.shape
    p = f.shape[0] // 2
    weight = f.flip([0, 1]).to(x.dtype)[None, None]
    y = torch.nn.functional.conv2d(x.reshape(N * C, 1, H, W), weight, padding=p)
    return y.reshape(N, C, H, W)


def apply_affine_transformation(
    x:   torch.Tensor,          # Images [N, C, H, W].
    mat: torch.Tensor,          # Image-space transform [3, 3]; translation in image sizes.
    up:  int = 4,               # Upsampling factor of the intermediate image.
    **filter_kwargs,            # Passed to affine_bandlimit_filter (a, amax, aflt, cutoff_in, cutoff_out).
) -> tuple[torch.Tensor, torch.Tensor]:
    """Band-limited affine resampling: upsample with an oriented low-pass, then sample bilinearly."""
    _check_images(x)
    N, C, H, W = x.shape
    mat = torch.as_tensor(mat, dtype=torch.float32)

    # Construct filter.
    f = affine_bandlimit_filter(mat, up=up, **filter_kwargs).to(x.device)
    assert f.ndim == 2 and f.shape[0] == f.shape[1] and f.shape[0] % 2 == 1
    p = f.shape[0] // 2

    # Construct sampling grid: output pixel -> source position in the normalised coordinates of the
    # upsampled image, which extends p / up pixels beyond the image and is offset by half a sample.
    theta = torch.linalg.inv(mat.double())
    theta[:2, 2] *= 2
    theta[0, 2] += 1 / up / W
    theta[1, 2] += 1 / up / H
    theta[0, :] *= W / (W + p / up * 2)
    theta[1, :] *= H / (H + p / up * 2)
    theta = theta[:2, :3].to(dtype=x.dtype, device=x.device).unsqueeze(0)
    grid = torch.nn.functional.affine_grid(theta, [1, 1, H, W], align_corners=False)

    # Resample images.
    y = _upsample_fir(x, f, up=up, pad=p)                                       # [N, C, H*up + 2p, W*up + 2p]
    z = torch.nn.functional.grid_sample(y.reshape(1, N * C, *y.shape[2:]), grid, mode='bilinear', padding_mode='zeros', align_corners=False)
    z = z.reshape(N, C, H, W)

    # Form mask: sources at least 2p + 1 upsampled samples inside the padded border.
    m = torch.zeros([1, 1, *y.shape[2:]], dtype=x.dtype, device=x.device)
    c = p * 2 + 1
    m[:, :, c:-c, c:-c] = 1
    m = torch.nn.functional.grid_sample(m, grid, mode='nearest', padding_mode='zeros', align_corners=False)
    return z, m.expand(N, C, H, W).contiguous()


def apply_fractional_rotation(
    x:     torch.Tensor,        # Images [N, C, H, W].
    angle: float,               # Rotation in radians.
    a:     int = 3,             # Lanczos window size.
) -> tuple[torch.Tensor, torch.Tensor]:
    """The operator R_alpha of the paper: band-limited rotation. Returns (images, mask)."""
    return apply_affine_transformation(x, rotation_matrix(float(angle)), a=a, amax=a * 2)


def apply_fractional_pseudo_rotation(
    x:     torch.Tensor,        # Images [N, C, H, W].
    angle: float,               # Rotation in radians.
    a:     int = 3,             # Lanczos window size.
) -> tuple[torch.Tensor, torch.Tensor]:
    """The operator R*_alpha: filter as a rotation by `angle` would, without rotating. (images, mask)."""
    _check_images(x)
    f = affine_bandlimit_filter(rotation_matrix(-float(angle)), a=a, amax=a * 2, up=1).to(x.device)
    y = _filter_same(x, f)
    m = torch.zeros_like(y)
    c = f.shape[0] // 2
    m[:, :, c:-c, c:-c] = 1
    return y, m

# ----------------------------------------------------------------------------
# Error maps and PSNR.


def error_map(
    a:    torch.Tensor,         # Images [N, C, H, W].
    b:    torch.Tensor,         # Images [N, C, H, W] to compare with.
    mask: torch.Tensor,         # Validity [N, C, H, W]: 1 where both are defined.
) -> torch.Tensor:
    """Per-pixel squared error (a - b)**2, zero outside the mask. [N, C, H, W]."""
    _check_images(a, 'a')
    if b.shape != a.shape or mask.shape != a.shape:
        raise EquivarianceError(f'error_map: shapes {tuple(a.shape)}, {tuple(b.shape)}, {tuple(mask.shape)}: expected three equal shapes')
    return (a - b).square() * mask


def masked_mse(
    error: torch.Tensor,        # Masked squared errors, as from error_map().
    mask:  torch.Tensor,        # The mask they were computed with.
) -> float:
    """Mean squared error over the valid pixels (NaN when no pixel is valid)."""
    count = float(mask.to(torch.float64).sum())
    return float(error.to(torch.float64).sum()) / count if count > 0 else math.nan


def psnr(
    mse: float,                 # Mean squared error of images in [-1, 1].
) -> float:
    """Peak signal-to-noise ratio in dB with peak 2: 20 log10(2) - 10 log10(mse). math.inf for 0."""
    mse = float(mse)
    if math.isnan(mse):
        return math.nan
    if mse < 0:
        raise EquivarianceError(f'mse = {mse!r}: expected a mean squared error >= 0')
    if mse == 0:
        return math.inf
    return 20 * math.log10(PEAK) - 10 * math.log10(mse)

# ----------------------------------------------------------------------------
# Generators: access to the input transform.


def input_transform(G: torch.nn.Module) -> torch.Tensor:
    """The generator's [3, 3] input transform buffer, or EquivarianceUnavailableError."""
    transform = getattr(getattr(getattr(G, 'synthesis', None), 'input', None), 'transform', None)
    if not isinstance(transform, torch.Tensor) or transform.shape != (3, 3):
        architecture = getattr(G, 'architecture', None)
        if architecture == 'stylegan2' or (architecture is None and hasattr(getattr(G, 'synthesis', None), 'block_resolutions')):
            what = 'StyleGAN2 networks have no input transform'
        else:
            what = f'this network ({architecture or type(G).__name__}) has no input transform (G.synthesis.input.transform)'
        raise EquivarianceUnavailableError(f'Equivariance not available: {what}; only StyleGAN3 generators can be translated or rotated at the input')
    return transform


def _check_kind(kind: str, name: str = 'kind') -> None:
    if kind not in KINDS:
        raise EquivarianceError(f'{name} = {kind!r}: expected one of {", ".join(KINDS)}')


def _synthesize(G: torch.nn.Module, ws: torch.Tensor, matrices: torch.Tensor, noise_mode: str) -> torch.Tensor:
    """Render `ws` [N, num_ws, w_dim] with the input transforms `matrices` ([3, 3] or [N, 3, 3]) for this call
    only: the generator's transform buffer is left as it is, so renders of several transforms can run at once."""
    with torch.no_grad():
        img = G.synthesis(ws, noise_mode=noise_mode, input_transform=matrices.to(ws.device, torch.float32))
    assert img.ndim == 4 and img.shape[0] == ws.shape[0]
    return img.to(torch.float32)


def _on_threads(fn: Callable[[int], None], count: int, num_threads: int) -> None:
    """fn(0) .. fn(count - 1) on `num_threads` threads, each call with one torch thread (also when run here):
    the numbers do not depend on the thread count."""
    if min(num_threads, count) > 1:
        run_chunks(fn, count, num_threads)
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for i in range(count):
            fn(i)
    finally:
        torch.set_num_threads(threads)


def _synthesize_batched(G: torch.nn.Module, ws: torch.Tensor, matrices: Sequence[torch.Tensor], noise_mode: str) -> list[torch.Tensor]:
    """_synthesize_all as one batch of R * N samples, each with its own input transform (GPUs)."""
    mats = torch.stack([torch.as_tensor(m, dtype=torch.float32) for m in matrices]).repeat_interleave(ws.shape[0], dim=0)
    return list(_synthesize(G, ws.repeat(len(matrices), 1, 1), mats, noise_mode).split(ws.shape[0]))


def _synthesize_all(
    G:           torch.nn.Module,
    ws:          torch.Tensor,              # [N, num_ws, w_dim] latents of the batch.
    matrices:    Sequence[torch.Tensor],    # R input transforms [3, 3], each rendered for every latent.
    noise_mode:  str,
    num_threads: int,                       # CPU: render side by side on this many threads.
) -> list[torch.Tensor]:
    """The R renders [N, C, H, W] of the batch, one per transform. On the CPU they run side by side on
    `num_threads` threads with one torch thread each, which keeps two cores busier than one synthesis on two
    torch threads (its small layers parallelise poorly); elsewhere as one batch of R * N, each sample with its
    own input transform."""
    if ws.device.type != 'cpu':
        return _synthesize_batched(G, ws, matrices, noise_mode)
    images: list[torch.Tensor | None] = [None] * len(matrices)

    def render(i: int) -> None:
        images[i] = _synthesize(G, ws, torch.as_tensor(matrices[i], dtype=torch.float32), noise_mode)
    _on_threads(render, len(matrices), num_threads)
    return images


def _apply_kind(
    kind:      str,
    orig:      torch.Tensor,
    img:       torch.Tensor,
    translate: tuple[float, float],
    angle:     float,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The paper's comparison for one kind: (reference, compared, mask)."""
    if kind == 'eqt':
        ref, mask = apply_integer_translation(orig, translate[0], translate[1])
        return ref, img, mask
    if kind == 'eqt_frac':
        ref, mask = apply_fractional_translation(orig, translate[0], translate[1])
        return ref, img, mask
    ref, ref_mask = apply_fractional_rotation(orig, angle)
    pseudo, pseudo_mask = apply_fractional_pseudo_rotation(img, angle)
    return ref, pseudo, ref_mask * pseudo_mask


def kind_input_transform(
    kind:      str,                         # 'eqt', 'eqt_frac' or 'eqr'.
    translate: tuple[float, float],         # (tx, ty) in image sizes; used by the translations.
    angle:     float,                       # Radians; used by 'eqr'.
) -> torch.Tensor:
    """The [3, 3] input transform NVIDIA's metric sets for one kind (inverse of the image transform)."""
    _check_kind(kind)
    if kind == 'eqr':
        return rotation_input_transform(angle)
    return translation_input_transform(translate[0], translate[1])

# ----------------------------------------------------------------------------
# Live comparison for the viewer.


@dataclasses.dataclass(frozen=True, eq=False)
class EquivariancePair:
    mode:      str                          # 'eqt', 'eqt_frac' or 'eqr'.
    translate: tuple[float, float]          # Translation used (image sizes; whole pixels for 'eqt').
    angle:     float                        # Rotation used (radians; 0 for the translations).
    identity:  torch.Tensor                 # [N, C, H, W] render with the identity input transform (reusable).
    reference: torch.Tensor                 # [N, C, H, W] identity render transformed by the operator.
    generated: torch.Tensor                 # [N, C, H, W] render with the transformed input.
    compared:  torch.Tensor                 # [N, C, H, W] what is compared with the reference: `generated`, pseudo-rotated for 'eqr'.
    mask:      torch.Tensor                 # [N, C, H, W] 1 where both are defined.
    error:     torch.Tensor                 # [N, C, H, W] squared error, 0 outside the mask.
    mse:       float                        # Mean of `error` over the mask.
    psnr:      float                        # dB with peak 2; math.inf when identical, NaN when nothing is valid.


def equivariance_pair(
    G:          torch.nn.Module,            # StyleGAN3 generator (anything with synthesis.input.transform).
    ws:         torch.Tensor,               # [N, num_ws, w_dim] intermediate latents.
    mode:       str = 'eqt_frac',           # 'eqt' (whole pixels), 'eqt_frac' (sub-pixel) or 'eqr' (rotation).
    translate:  tuple[float, float] = (0.0, 0.0),   # (tx, ty) in image sizes, positive = right / down.
    angle:      float = 0.0,                # Rotation in radians (NVIDIA's make_transform sign).
    identity:   torch.Tensor | None = None, # Render of `ws` with the identity transform, if already known.
    noise_mode: str = 'const',              # Passed to G.synthesis.
) -> EquivariancePair:
    """'Generate, then transform' against 'transform the input, then generate' for one latent.

    Passing the `identity` of an earlier pair with the same `ws` makes this cost one forward pass.
    The generator's input transform buffer is not used (nor changed).
    """
    _check_kind(mode, 'mode')
    input_transform(G)                                                          # EquivarianceUnavailableError for StyleGAN2.
    tx, ty = (float(v) for v in translate)
    angle = float(angle)
    if mode == 'eqt':
        tx, ty = _round_translation(tx, ty, G)
    if mode == 'eqr':
        tx, ty = 0.0, 0.0
    else:
        angle = 0.0
    if identity is None:
        identity = _synthesize(G, ws, torch.eye(3), noise_mode)
    generated = _synthesize(G, ws, kind_input_transform(mode, (tx, ty), angle), noise_mode)
    _check_images(identity, 'identity')
    if identity.shape != generated.shape:
        raise EquivarianceError(f'identity = {tuple(identity.shape)}: expected the shape of the render, {tuple(generated.shape)}')
    identity = identity.to(generated.device, torch.float32)
    reference, compared, mask = _apply_kind(mode, identity, generated, (tx, ty), angle)
    error = error_map(reference, compared, mask)
    mse = masked_mse(error, mask)
    return EquivariancePair(mode=mode, translate=(tx, ty), angle=angle, identity=identity, reference=reference,
        generated=generated, compared=compared, mask=mask, error=error, mse=mse, psnr=psnr(mse))


def _round_translation(tx: float, ty: float, G: torch.nn.Module) -> tuple[float, float]:
    """Round a translation to whole output pixels, as the EQ-T metric does."""
    res = int(G.img_resolution)
    return round(tx * res) / res, round(ty * res) / res

# ----------------------------------------------------------------------------
# Batch metrics (EQ-T, EQ-T_frac, EQ-R).


@dataclasses.dataclass(frozen=True)
class TransformDraw:
    start:    int                           # Index of the batch's first sample.
    size:     int                           # Samples in the batch (they share the transforms).
    eqt:      tuple[float, float]           # Integer translation, image sizes (whole pixels).
    eqt_frac: tuple[float, float]           # Fractional translation, image sizes.
    eqr:      float                         # Rotation angle, radians.


@dataclasses.dataclass(frozen=True)
class EquivarianceMetrics:
    kinds:       tuple[str, ...]            # Kinds measured, e.g. ('eqt', 'eqt_frac', 'eqr').
    psnr:        Mapping[str, float]        # Kind -> PSNR in dB (math.inf if exact; NaN if no sample ran).
    mse:         Mapping[str, float]        # Kind -> pooled MSE.
    num_samples: int                        # Samples measured (fewer than requested if cancelled).
    requested:   int                        # Samples asked for.
    seed:        int                        # Seed of latents and transforms.
    cancelled:   bool                       # Stopped early by `cancel`?
    draws:       tuple[TransformDraw, ...]  # The transforms used, one per batch.

    def label(self, kind: str) -> str:
        return LABELS[kind]


def _stream(seed: int, stream: int) -> torch.Generator:
    """An independent CPU random stream for (seed, stream)."""
    state = np.random.SeedSequence([int(seed), stream]).generate_state(1, np.uint64)[0]
    return torch.Generator().manual_seed(int(state) & ((1 << 63) - 1))


def compute_metrics(
    G:             torch.nn.Module,                 # StyleGAN3 generator, eval mode, on its device.
    num_samples:   int,                             # Latents to measure (the paper uses 50k).
    seed:          int = 0,                         # Seed of latents, labels and transforms.
    kinds:         Sequence[str] = KINDS,           # Which of 'eqt', 'eqt_frac', 'eqr'.
    batch_size:    int = 1,                         # Latents per forward pass; a batch shares its transforms.
    translate_max: float = 0.125,                   # Translations uniform in [-max, max] image sizes.
    rotate_max:    float = 1.0,                     # Rotations uniform in [-max, max] * pi.
    noise_mode:    str = 'const',                   # Passed to G.synthesis.
    progress:      Callable[[int, int], None] | None = None, # Called as progress(done, total) after each batch.
    cancel:        Callable[[], bool] | None = None,         # Polled before each batch; True stops early.
    num_threads:   int | None = None,               # CPU threads for the renders of a batch; None = torch's count.
) -> EquivarianceMetrics:
    """The paper's equivariance metrics: PSNR of the pooled masked MSE over `num_samples` latents.

    Latents are untruncated (psi = 1); conditional networks get a uniformly random class. Each kind's
    transforms are drawn from their own stream, so the numbers of one kind do not depend on which
    other kinds are measured, and latents do not depend on `batch_size`. A batch's reference render and
    one render per kind run together, each with its own input transform (the generator's transform
    buffer is not used), on `num_threads` threads on the CPU; so do the kinds' comparisons.
    """
    kinds = tuple(kinds)
    if not kinds or any(kind not in KINDS for kind in kinds) or len(set(kinds)) != len(kinds):
        raise EquivarianceError(f'kinds = {kinds!r}: expected distinct values from {", ".join(KINDS)}')
    if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples < 1:
        raise EquivarianceError(f'num_samples = {num_samples!r}: expected an integer >= 1')
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise EquivarianceError(f'batch_size = {batch_size!r}: expected an integer >= 1')
    if num_threads is not None and (isinstance(num_threads, bool) or not isinstance(num_threads, int) or num_threads < 1):
        raise EquivarianceError(f'num_threads = {num_threads!r}: expected an integer >= 1 or None')
    num_threads = torch.get_num_threads() if num_threads is None else num_threads
    device = input_transform(G).device
    res = int(G.img_resolution)
    z_gen, c_gen, t_gen = _stream(seed, 0), _stream(seed, 1), _stream(seed, 2)

    # Sampling loop.
    sums = {kind: [0.0, 0.0] for kind in kinds}                                 # Kind -> [sum of squared errors, sum of mask].
    draws = []
    done = 0
    cancelled = False
    if progress is not None:
        progress(0, num_samples)
    for start in range(0, num_samples, batch_size):
        if cancel is not None and cancel():
            cancelled = True
            break
        n = min(batch_size, num_samples - start)

        # Draw latents, labels and this batch's transforms.
        z = torch.randn([n, G.z_dim], generator=z_gen).to(device)
        c = torch.zeros([n, G.c_dim])
        if G.c_dim > 0:
            c[torch.arange(n), torch.randint(G.c_dim, [n], generator=c_gen)] = 1
        t_int = ((torch.rand([2], generator=t_gen, dtype=torch.float64) * 2 - 1) * translate_max * res).round() / res
        t_frac = (torch.rand([2], generator=t_gen, dtype=torch.float64) * 2 - 1) * translate_max
        angle = float((torch.rand([], generator=t_gen, dtype=torch.float64) * 2 - 1) * rotate_max * math.pi)
        draw = TransformDraw(start=start, size=n, eqt=tuple(t_int.tolist()), eqt_frac=tuple(t_frac.tolist()), eqr=angle)
        draws.append(draw)
        translates = [draw.eqt if kind == 'eqt' else draw.eqt_frac for kind in kinds]

        # Render the reference image and each kind's transformed image together, then compare per kind.
        with torch.no_grad():
            ws = G.mapping(z, c.to(device))
        matrices = [torch.eye(3)] + [kind_input_transform(kind, t, draw.eqr) for kind, t in zip(kinds, translates)]
        orig, *imgs = _synthesize_all(G, ws, matrices, noise_mode, num_threads)
        batch_sums: list[tuple[float, float] | None] = [None] * len(kinds)

        def compare(i: int) -> None:
            ref, compared, mask = _apply_kind(kinds[i], orig, imgs[i], translates[i], draw.eqr)
            batch_sums[i] = (float(error_map(ref, compared, mask).to(torch.float64).sum()), float(mask.to(torch.float64).sum()))
        _on_threads(compare, len(kinds), num_threads if device.type == 'cpu' else 1)
        for kind, (error_sum, mask_sum) in zip(kinds, batch_sums):
            sums[kind][0] += error_sum
            sums[kind][1] += mask_sum
        done += n
        if progress is not None:
            progress(done, num_samples)

    # Compute PSNRs.
    mse = {kind: sums[kind][0] / sums[kind][1] if sums[kind][1] > 0 else math.nan for kind in kinds}
    return EquivarianceMetrics(kinds=kinds, psnr={kind: psnr(mse[kind]) for kind in kinds}, mse=mse, num_samples=done,
        requested=num_samples, seed=int(seed), cancelled=cancelled, draws=tuple(draws))
