"""Filtered leaky ReLU: bias, upsample, leaky ReLU, clamp, downsample — StyleGAN3's nonlinearity,
in the semantics of NVIDIA's torch_utils.ops.filtered_lrelu."""

import numpy as np
import torch

from sg3.ops import _impl
from sg3.ops import bias_act as bias_act_op
from sg3.ops import fast_filtered_lrelu
from sg3.ops import upfirdn2d as upfirdn2d_op
from sg3.errors import OpTypeError
from sg3.ops._utils import assert_shape, check_bias, check_factor, check_filter, check_image, check_number, filter_size, parse_padding, resampled_size

#----------------------------------------------------------------------------

def filtered_lrelu(
    x:              torch.Tensor,           # Input: [batch_size, num_channels, in_height, in_width].
    fu:             torch.Tensor|None = None, # Upsampling filter: [taps] separable, [h, w], or None.
    fd:             torch.Tensor|None = None, # Downsampling filter: [taps] separable, [h, w], or None.
    b:              torch.Tensor|None = None, # Bias: [num_channels], or None.
    up:             int = 1,                # Upsampling factor.
    down:           int = 1,                # Downsampling factor.
    padding         = 0,                    # Padding wrt. the upsampled image: int, [x, y] or [x0, x1, y0, y1].
    gain:           float = np.sqrt(2),     # Scale after the leaky ReLU.
    slope:          float = 0.2,            # Slope on the negative side.
    clamp:          float|None = None,      # Clamp the activation to [-clamp, +clamp], None = no clamping.
    flip_filter:    bool = False,           # False = convolution, True = correlation.
    impl:           str = 'auto',           # 'auto' (fast where it applies, see sg3.ops.set_default_impl), 'ref' or 'fast'.
) -> torch.Tensor:
    """Bias, upsample by `up` with `fu`, leaky ReLU times `gain` clamped, downsample by `down` with `fd`.
    Output size per axis: (in * up + pad0 + pad1 - (fu_taps - 1) - (fd_taps - 1) + (down - 1)) // down.
    Raises OpArgumentError (OpTypeError for a wrong type or dtype) for arguments it does not take, on either path."""
    up, down, padding = check_args(x, fu, fd, b, up, down, padding, gain, slope, clamp)
    args = dict(fu=fu, fd=fd, b=b, up=up, down=down, padding=padding, gain=gain, slope=slope, clamp=clamp, flip_filter=flip_filter)
    impl = _impl.measured(impl, 'filtered_lrelu', _impl.shape_class(x, up, down, *filter_size(fu), *filter_size(fd)),
        lambda choice: filtered_lrelu(x, **args, impl=choice), x, fu, fd, b)
    if _impl.resolve(impl, x, fu, fd, b) == 'fast':
        return fast_filtered_lrelu.filtered_lrelu_fast(x, **args)
    return filtered_lrelu_ref(x, **args)

def check_args(x, fu, fd, b, up, down, padding, gain, slope, clamp) -> tuple[int, int, tuple[int, int, int, int]]:
    """The checks of both paths: OpArgumentError / OpTypeError naming the argument. Returns the parsed
    (up, down, padding)."""
    check_image(x)
    check_filter(fu, x, 'fu')
    check_filter(fd, x, 'fd')
    check_bias(b, x)
    if b is not None and b.dtype != x.dtype:
        raise OpTypeError(f'b of dtype {b.dtype}: expected the dtype of x ({x.dtype})')
    up, down = check_factor(up, 'up'), check_factor(down, 'down')
    px0, px1, py0, py1 = parse_padding(padding)
    check_number(gain, 'gain', minimum=0, strict=True)
    check_number(slope, 'slope', minimum=0)
    if clamp is not None:
        check_number(clamp, 'clamp', minimum=0)
    (fu_w, fu_h), (fd_w, fd_h) = filter_size(fu, 'fu'), filter_size(fd, 'fd')
    up_w = resampled_size(x.shape[3], up, 1, px0, px1, fu_w, 'width of x (upsampling with fu)')
    up_h = resampled_size(x.shape[2], up, 1, py0, py1, fu_h, 'height of x (upsampling with fu)')
    resampled_size(up_w, 1, down, 0, 0, fd_w, 'width of the upsampled x (downsampling with fd)')
    resampled_size(up_h, 1, down, 0, 0, fd_h, 'height of the upsampled x (downsampling with fd)')
    return up, down, (px0, px1, py0, py1)

def filtered_lrelu_ref(x, fu=None, fd=None, b=None, up=1, down=1, padding=0, gain=np.sqrt(2), slope=0.2, clamp=None, flip_filter=False):
    """Reference implementation from upfirdn2d and bias_act: slow and memory-hungry but plain."""
    up, down, (px0, px1, py0, py1) = check_args(x, fu, fd, b, up, down, padding, gain, slope, clamp)
    fu_w, fu_h = filter_size(fu)
    fd_w, fd_h = filter_size(fd)

    # Calculate the output size.
    batch_size, channels, in_h, in_w = x.shape
    in_dtype = x.dtype
    out_w = (in_w * up + (px0 + px1) - (fu_w - 1) - (fd_w - 1) + (down - 1)) // down
    out_h = (in_h * up + (py0 + py1) - (fu_h - 1) - (fd_h - 1) + (down - 1)) // down

    # Bias, upsample, activate, downsample.
    x = bias_act_op.bias_act(x=x, b=b)
    x = upfirdn2d_op.upfirdn2d(x=x, f=fu, up=up, padding=[px0, px1, py0, py1], gain=up ** 2, flip_filter=flip_filter, impl='ref')
    x = bias_act_op.bias_act(x=x, act='lrelu', alpha=slope, gain=gain, clamp=clamp)
    x = upfirdn2d_op.upfirdn2d(x=x, f=fd, down=down, flip_filter=flip_filter, impl='ref')

    # Check the output shape and dtype.
    assert_shape(x, [batch_size, channels, out_h, out_w])
    assert x.dtype == in_dtype
    return x

#----------------------------------------------------------------------------
