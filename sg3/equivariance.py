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
def _input_grid_spectra(
    a:         int,
    aflt:      int,
    up:        int,
    cutoff_in: float,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Tap positions (xi, yi) of the periodic design grid, and the spectra of the input-grid sinc
    and Lanczos window on it. These do not depend on the transform, so they are cached (read-only)."""
    n = aflt * up * 2 - 1
    k = torch.arange(n, dtype=torch.float32)
    taps = torch.where(k < aflt * up, k, k - n) / up                          # Zero first, then positive, then negative.
    yi, xi = torch.meshgrid(taps, taps, indexing='ij')
    fi = _sinc(xi * cutoff_in) * _sinc(yi * cutoff_in)
    wi = _lanczos_window(xi, a) * _lanczos_window(yi, a)
    return xi, yi, torch.fft.rfft2(fi), torch.fft.rfft2(wi)


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

    The filter is the product of two circular convolutions: of the two oriented 2-D sincs (the
    ideal low-passes of both grids) and of the two oriented 2-D Lanczos windows. Each of the `up`
    x `up` polyphase components is normalised to unit DC gain. Computed in float32 on the CPU, as
    NVIDIA's metric does. Returns [2*amax*up - 1] ** 2 float32.
    """
    assert a <= amax < aflt
    mat = torch.as_tensor(mat, dtype=torch.float32).cpu()
    assert mat.shape == (3, 3)

    # Construct 2-D tap positions in input and output coordinates (periodic grid, zero first).
    xi, yi, fi_hat, wi_hat = _input_grid_spectra(a, aflt, up, float(cutoff_in))
    n = xi.shape[0]
    m = mat[:2, :2].tolist()
    xo = xi * m[0][0] + yi * m[0][1]
    yo = xi * m[1][0] + yi * m[1][1]

    # Convolve the two oriented sinc filters, and the two oriented Lanczos windows.
    fo = _sinc(xo * cutoff_out) * _sinc(yo * cutoff_out)
    wo = _lanczos_window(xo, a) * _lanczos_window(yo, a)
    f = torch.fft.irfft2(fi_hat * torch.fft.rfft2(fo), s=[n, n])
    w = torch.fft.irfft2(wi_hat * torch.fft.rfft2(wo), s=[n, n])

    # Window, centre and crop to [-amax, amax] input pixels.
    f = torch.fft.fftshift(f * w)
    c = (aflt - amax) * up
    f = f[c:-c, c:-c]

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


def _synthesize(G: torch.nn.Module, ws: torch.Tensor, transform: torch.Tensor, matrix: torch.Tensor, noise_mode: str) -> torch.Tensor:
    """Render `ws` with the input transform set to `matrix` (the caller restores the buffer)."""
    with torch.no_grad():
        transform.copy_(matrix.to(transform.device, transform.dtype))
        img = G.synthesis(ws, noise_mode=noise_mode)
    assert img.ndim == 4 and img.shape[0] == ws.shape[0]
    return img.to(torch.float32)


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
    The input transform buffer is restored before returning.
    """
    _check_kind(mode, 'mode')
    transform = input_transform(G)
    tx, ty = (float(v) for v in translate)
    angle = float(angle)
    if mode == 'eqt':
        tx, ty = _round_translation(tx, ty, G)
    if mode == 'eqr':
        tx, ty = 0.0, 0.0
    else:
        angle = 0.0
    saved = transform.detach().clone()
    try:
        if identity is None:
            identity = _synthesize(G, ws, transform, torch.eye(3), noise_mode)
        generated = _synthesize(G, ws, transform, kind_input_transform(mode, (tx, ty), angle), noise_mode)
    finally:
        with torch.no_grad():
            transform.copy_(saved)
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
) -> EquivarianceMetrics:
    """The paper's equivariance metrics: PSNR of the pooled masked MSE over `num_samples` latents.

    Latents are untruncated (psi = 1); conditional networks get a uniformly random class. Each kind's
    transforms are drawn from their own stream, so the numbers of one kind do not depend on which
    other kinds are measured, and latents do not depend on `batch_size`. The input transform buffer
    is restored before returning.
    """
    kinds = tuple(kinds)
    if not kinds or any(kind not in KINDS for kind in kinds) or len(set(kinds)) != len(kinds):
        raise EquivarianceError(f'kinds = {kinds!r}: expected distinct values from {", ".join(KINDS)}')
    if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples < 1:
        raise EquivarianceError(f'num_samples = {num_samples!r}: expected an integer >= 1')
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise EquivarianceError(f'batch_size = {batch_size!r}: expected an integer >= 1')
    transform = input_transform(G)
    device = transform.device
    res = int(G.img_resolution)
    z_gen, c_gen, t_gen = _stream(seed, 0), _stream(seed, 1), _stream(seed, 2)

    # Sampling loop.
    sums = {kind: [0.0, 0.0] for kind in kinds}                                 # Kind -> [sum of squared errors, sum of mask].
    draws = []
    done = 0
    cancelled = False
    saved = transform.detach().clone()
    if progress is not None:
        progress(0, num_samples)
    try:
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

            # Generate the reference image, then each kind's transformed render.
            with torch.no_grad():
                ws = G.mapping(z, c.to(device))
            orig = _synthesize(G, ws, transform, torch.eye(3), noise_mode)
            for kind in kinds:
                translate = draw.eqt if kind == 'eqt' else draw.eqt_frac
                img = _synthesize(G, ws, transform, kind_input_transform(kind, translate, draw.eqr), noise_mode)
                ref, compared, mask = _apply_kind(kind, orig, img, translate, draw.eqr)
                sums[kind][0] += float(error_map(ref, compared, mask).to(torch.float64).sum())
                sums[kind][1] += float(mask.to(torch.float64).sum())
            done += n
            if progress is not None:
                progress(done, num_samples)
    finally:
        with torch.no_grad():
            transform.copy_(saved)

    # Compute PSNRs.
    mse = {kind: sums[kind][0] / sums[kind][1] if sums[kind][1] > 0 else math.nan for kind in kinds}
    return EquivarianceMetrics(kinds=kinds, psnr={kind: psnr(mse[kind]) for kind in kinds}, mse=mse, num_samples=done,
        requested=num_samples, seed=int(seed), cancelled=cancelled, draws=tuple(draws))
