"""2-D convolution with optional up/downsampling (StyleGAN2), in the semantics of NVIDIA's
torch_utils.ops.conv2d_resample: the same padding arithmetic, so results match to rounding."""

import torch

from sg3.ops import upfirdn2d as upfirdn2d_op
from sg3.errors import OpTypeError
from sg3.ops._utils import check_factor, check_image, check_shape, filter_size, parse_padding

#----------------------------------------------------------------------------

def _conv2d(x, w, stride=1, padding=0, groups=1, transpose=False, flip_weight=True):
    """conv2d or conv_transpose2d; conv2d correlates, so flip the kernel for a true convolution."""
    kh, kw = w.shape[2:]
    if not flip_weight and (kw > 1 or kh > 1):
        w = w.flip([2, 3])
    if transpose:
        return torch.nn.functional.conv_transpose2d(x, w, stride=stride, padding=padding, groups=groups)
    return torch.nn.functional.conv2d(x, w, stride=stride, padding=padding, groups=groups)

def conv2d_resample(
    x:              torch.Tensor,           # Input: [batch_size, in_channels, in_height, in_width].
    w:              torch.Tensor,           # Weight: [out_channels, in_channels // groups, kernel_height, kernel_width].
    f:              torch.Tensor|None = None, # Resampling filter from `setup_filter`, or None.
    up:             int = 1,                # Integer upsampling factor.
    down:           int = 1,                # Integer downsampling factor.
    padding         = 0,                    # Padding wrt. the upsampled image.
    groups:         int = 1,                # Grouped convolution.
    flip_weight:    bool = True,            # False = convolution, True = correlation (matches conv2d).
    flip_filter:    bool = False,           # False = convolution, True = correlation.
) -> torch.Tensor:
    """Pad, upsample, convolve, downsample: the fused order StyleGAN2's layers use."""
    check_image(x)
    check_shape(w, [None, None, None, None], 'w')
    if w.dtype != x.dtype:
        raise OpTypeError(f'w of dtype {w.dtype}: expected the dtype of x ({x.dtype})')
    up, down = check_factor(up, 'up'), check_factor(down, 'down')
    out_channels, in_channels_per_group, kh, kw = w.shape
    fw, fh = filter_size(f)
    px0, px1, py0, py1 = parse_padding(padding)

    # Adjust padding to account for up/downsampling.
    if up > 1:
        px0 += (fw + up - 1) // 2
        px1 += (fw - up) // 2
        py0 += (fh + up - 1) // 2
        py1 += (fh - up) // 2
    if down > 1:
        px0 += (fw - down + 1) // 2
        px1 += (fw - down) // 2
        py0 += (fh - down + 1) // 2
        py1 += (fh - down) // 2

    # 1x1 kernel with downsampling only: downsample first, then convolve.
    if kw == 1 and kh == 1 and (down > 1 and up == 1):
        x = upfirdn2d_op.upfirdn2d(x=x, f=f, down=down, padding=[px0, px1, py0, py1], flip_filter=flip_filter)
        return _conv2d(x=x, w=w, groups=groups, flip_weight=flip_weight)

    # 1x1 kernel with upsampling only: convolve first, then upsample.
    if kw == 1 and kh == 1 and (up > 1 and down == 1):
        x = _conv2d(x=x, w=w, groups=groups, flip_weight=flip_weight)
        return upfirdn2d_op.upfirdn2d(x=x, f=f, up=up, padding=[px0, px1, py0, py1], gain=up ** 2, flip_filter=flip_filter)

    # Downsampling only: strided convolution.
    if down > 1 and up == 1:
        x = upfirdn2d_op.upfirdn2d(x=x, f=f, padding=[px0, px1, py0, py1], flip_filter=flip_filter)
        return _conv2d(x=x, w=w, stride=down, groups=groups, flip_weight=flip_weight)

    # Upsampling (with optional downsampling): transposed strided convolution.
    if up > 1:
        if groups == 1:
            w = w.transpose(0, 1)
        else:
            w = w.reshape(groups, out_channels // groups, in_channels_per_group, kh, kw)
            w = w.transpose(1, 2)
            w = w.reshape(groups * in_channels_per_group, out_channels // groups, kh, kw)
        px0 -= kw - 1
        px1 -= kw - up
        py0 -= kh - 1
        py1 -= kh - up
        pxt = max(min(-px0, -px1), 0)
        pyt = max(min(-py0, -py1), 0)
        x = _conv2d(x=x, w=w, stride=up, padding=[pyt, pxt], groups=groups, transpose=True, flip_weight=(not flip_weight))
        x = upfirdn2d_op.upfirdn2d(x=x, f=f, padding=[px0 + pxt, px1 + pxt, py0 + pyt, py1 + pyt], gain=up ** 2, flip_filter=flip_filter)
        if down > 1:
            x = upfirdn2d_op.upfirdn2d(x=x, f=f, down=down, flip_filter=flip_filter)
        return x

    # No resampling and symmetric padding: plain conv2d.
    if up == 1 and down == 1 and px0 == px1 and py0 == py1 and px0 >= 0 and py0 >= 0:
        return _conv2d(x=x, w=w, padding=[py0, px0], groups=groups, flip_weight=flip_weight)

    # Anything else: generic path.
    x = upfirdn2d_op.upfirdn2d(x=x, f=(f if (up > 1 or down > 1) else None), up=up, down=down, padding=[px0, px1, py0, py1], gain=up ** 2, flip_filter=flip_filter)
    x = _conv2d(x=x, w=w, groups=groups, flip_weight=flip_weight)
    if down > 1:
        x = upfirdn2d_op.upfirdn2d(x=x, f=f, down=down, flip_filter=flip_filter)
    return x

#----------------------------------------------------------------------------
