"""Upsample, FIR filter, downsample (upfirdn2d), in the semantics of NVIDIA's torch_utils.ops.

The reference path zero-stuffs, pads and convolves with a depthwise conv2d; it is the oracle every
faster path is checked against."""

import numpy as np
import torch

from sg3.ops import _impl
from sg3.ops import fast_upfirdn2d
from sg3.errors import OpArgumentError
from sg3.ops._utils import check_filter, check_image, check_number, filter_size, parse_padding, parse_scaling, resampled_size

#----------------------------------------------------------------------------

def setup_filter(
    f,                          # Filter taps: array-like of rank 0, 1 or 2, or None.
    normalize   = True,         # Normalize the taps to sum to 1?
    flip_filter = False,        # Flip the filter?
    gain        = 1,            # Overall gain of the filter.
    separable   = None,         # Keep a 1-D filter separable? None = only when it has 8 taps or more.
    device      = torch.device('cpu'),
) -> torch.Tensor:
    """Convert filter taps to the tensor form upfirdn2d expects: [K] (separable) or [K, K]."""
    if f is None:
        f = 1
    f = torch.as_tensor(f, dtype=torch.float32)
    if f.ndim > 2 or f.numel() == 0:
        raise OpArgumentError(f'f of shape {list(f.shape)}: expected filter taps of rank 0, 1 or 2, at least one tap')
    if f.ndim == 0:
        f = f[np.newaxis]

    # Separable?
    if separable is None:
        separable = (f.ndim == 1 and f.numel() >= 8)
    if separable and f.ndim != 1:
        raise OpArgumentError(f'separable=True with f of shape {list(f.shape)}: expected 1-D taps for a separable filter')
    if f.ndim == 1 and not separable:
        f = f.ger(f)

    # Apply normalize, flip, gain.
    if normalize:
        f /= f.sum()
    if flip_filter:
        f = f.flip(list(range(f.ndim)))
    f = f * (gain ** (f.ndim / 2))
    return f.to(device=device)

#----------------------------------------------------------------------------

def upfirdn2d(
    x:              torch.Tensor,       # Input: [batch_size, num_channels, in_height, in_width].
    f:              torch.Tensor|None,  # Filter: [filter_height, filter_width], [filter_taps] (separable), or None.
    up              = 1,                # Upsampling factor: int or [x, y].
    down            = 1,                # Downsampling factor: int or [x, y].
    padding         = 0,                # Padding after upsampling: int, [x, y] or [x0, x1, y0, y1]; negative crops.
    flip_filter     = False,            # False = convolution, True = correlation.
    gain            = 1,                # Overall scaling factor for signal magnitude.
    impl            = 'auto',           # 'auto' (fast where it applies, see sg3.ops.set_default_impl), 'ref' or 'fast'.
) -> torch.Tensor:
    """Pad, upsample by zero insertion, filter, and downsample by keeping every `down`-th sample.
    Output size per axis: (in * up + pad0 + pad1 - (taps - 1) + (down - 1)) // down. Raises OpArgumentError
    (OpTypeError for a wrong type or dtype) for arguments it does not take, on either path."""
    (upx, upy), (downx, downy), padding = check_args(x, f, up, down, padding, gain)
    impl = _impl.measured(impl, 'upfirdn2d', _impl.shape_class(x, upx, upy, downx, downy, *filter_size(f)),
        lambda choice: upfirdn2d(x, f, up, down, padding, flip_filter, gain, impl=choice), x, f)
    # The fast path pays where the reference zero-stuffs or decimates, on images of a million samples or more.
    pays = (upx, upy, downx, downy) != (1, 1, 1, 1) and x.numel() * upx * upy >= (1 << 20)
    if _impl.resolve(impl, x, f, fast_pays=pays) == 'fast':
        return fast_upfirdn2d.upfirdn2d_fast(x, f, up=(upx, upy), down=(downx, downy), padding=padding, flip_filter=flip_filter, gain=gain)
    return upfirdn2d_ref(x, f, up=up, down=down, padding=padding, flip_filter=flip_filter, gain=gain)

def check_args(x, f, up, down, padding, gain) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int, int, int]]:
    """The checks of both paths: OpArgumentError / OpTypeError naming the argument. Returns the parsed
    (up, down, padding)."""
    check_image(x)
    check_filter(f, x)
    scale_up, scale_down = parse_scaling(up, 'up'), parse_scaling(down, 'down')
    px0, px1, py0, py1 = parse_padding(padding)
    check_number(gain, 'gain', minimum=0)
    fw, fh = filter_size(f)
    resampled_size(x.shape[3], scale_up[0], scale_down[0], px0, px1, fw, 'width of x')
    resampled_size(x.shape[2], scale_up[1], scale_down[1], py0, py1, fh, 'height of x')
    return scale_up, scale_down, (px0, px1, py0, py1)

def upfirdn2d_ref(x, f, up=1, down=1, padding=0, flip_filter=False, gain=1):
    """Reference implementation: zero-stuffing plus a depthwise convolution."""
    (upx, upy), (downx, downy), (padx0, padx1, pady0, pady1) = check_args(x, f, up, down, padding, gain)
    if f is None:
        f = torch.ones([1, 1], dtype=torch.float32, device=x.device)
    batch_size, num_channels, in_height, in_width = x.shape

    # Upsample by inserting zeros.
    x = x.reshape([batch_size, num_channels, in_height, 1, in_width, 1])
    x = torch.nn.functional.pad(x, [0, upx - 1, 0, 0, 0, upy - 1])
    x = x.reshape([batch_size, num_channels, in_height * upy, in_width * upx])

    # Pad or crop.
    x = torch.nn.functional.pad(x, [max(padx0, 0), max(padx1, 0), max(pady0, 0), max(pady1, 0)])
    x = x[:, :, max(-pady0, 0) : x.shape[2] - max(-pady1, 0), max(-padx0, 0) : x.shape[3] - max(-padx1, 0)]

    # Set up the filter: gain, dtype, and flip (conv2d correlates, so flip for a true convolution).
    f = f * (gain ** (f.ndim / 2))
    f = f.to(x.dtype)
    if not flip_filter:
        f = f.flip(list(range(f.ndim)))

    # Convolve with the filter, one channel at a time.
    f = f[np.newaxis, np.newaxis].repeat([num_channels, 1] + [1] * f.ndim)
    if f.ndim == 4:
        x = torch.nn.functional.conv2d(x, f, groups=num_channels)
    else:
        x = torch.nn.functional.conv2d(x, f.unsqueeze(2), groups=num_channels)
        x = torch.nn.functional.conv2d(x, f.unsqueeze(3), groups=num_channels)

    # Downsample by throwing away samples.
    return x[:, :, ::downy, ::downx]

#----------------------------------------------------------------------------

def upsample2d(x, f, up=2, padding=0, flip_filter=False, gain=1):
    """Upsample by `up` with filter `f`, padded so the output is exactly `up` times the input."""
    upx, upy = parse_scaling(up)
    padx0, padx1, pady0, pady1 = parse_padding(padding)
    fw, fh = filter_size(f)
    p = [
        padx0 + (fw + upx - 1) // 2,
        padx1 + (fw - upx) // 2,
        pady0 + (fh + upy - 1) // 2,
        pady1 + (fh - upy) // 2,
    ]
    return upfirdn2d(x, f, up=up, padding=p, flip_filter=flip_filter, gain=gain * upx * upy)

def downsample2d(x, f, down=2, padding=0, flip_filter=False, gain=1):
    """Downsample by `down` with filter `f`, padded so the output is exactly 1/`down` of the input."""
    downx, downy = parse_scaling(down)
    padx0, padx1, pady0, pady1 = parse_padding(padding)
    fw, fh = filter_size(f)
    p = [
        padx0 + (fw - downx + 1) // 2,
        padx1 + (fw - downx) // 2,
        pady0 + (fh - downy + 1) // 2,
        pady1 + (fh - downy) // 2,
    ]
    return upfirdn2d(x, f, down=down, padding=p, flip_filter=flip_filter, gain=gain)

#----------------------------------------------------------------------------
