"""Fast 2-D convolution for the modulated convolutions on the CPU: 3x3 kernels through NNPACK's Winograd
transform (F(6x6, 3x3): about 3x fewer multiplications than a direct convolution, rounding errors of
about 1e-5 relative in float32), anything else through torch's own convolution."""

import torch

from sg3.ops import _workspace as workspace

_nnpack_ok = None

#----------------------------------------------------------------------------

def nnpack_available() -> bool:
    """Whether this torch build has a working NNPACK (asking also initializes it)."""
    global _nnpack_ok
    if _nnpack_ok is None:
        try:
            _nnpack_ok = bool(torch.backends.nnpack.is_available()) and hasattr(torch, '_nnpack_spatial_convolution')
        except Exception:
            _nnpack_ok = False
    return _nnpack_ok

def applies(x: torch.Tensor, w: torch.Tensor, min_pairs: int = 512) -> bool:
    """Does the Winograd path apply: CPU, float32, 3x3 kernel, NNPACK present, and large enough to pay for
    NNPACK's fixed costs (measured: at least 32x32 pixels and `min_pairs` channel pairs per group)?"""
    return (x.device.type == 'cpu' and x.dtype == torch.float32 and w.dtype == torch.float32
        and tuple(w.shape[2:]) == (3, 3) and not (x.requires_grad or w.requires_grad)
        and x.shape[2] * x.shape[3] >= 32 * 32 and w.shape[0] * w.shape[1] >= min_pairs * (x.shape[1] // w.shape[1])
        and nnpack_available())

def conv2d(
    x:          torch.Tensor,   # Input: [batch_size, in_channels, in_height, in_width].
    w:          torch.Tensor,   # Weight: [out_channels, in_channels // groups, kh, kw].
    padding:    int = 0,        # Zero padding on every side.
    groups:     int = 1,        # Grouped convolution (the modulated convolutions use one group per sample).
    band_elems: int = 8 << 20,  # Input band per NNPACK call, in elements, for inputs larger than `whole_elems`.
    whole_elems: int = 32 << 20, # Inputs up to this many elements go in one NNPACK call.
    min_pairs:  int = 512,      # Fewest channel pairs per group for NNPACK, see `applies`.
) -> torch.Tensor:
    """torch.nn.functional.conv2d(x, w, padding=padding, groups=groups), stride 1, no bias."""
    if tuple(w.shape[2:]) == (1, 1) and padding == 0 and x.device.type == 'cpu':
        return _conv1x1(x, w, groups)
    if not applies(x, w, min_pairs):
        return torch.nn.functional.conv2d(x, w, padding=padding, groups=groups)
    batch_size, in_channels = x.shape[:2]
    out_channels = w.shape[0]
    assert in_channels % groups == 0 and out_channels % groups == 0

    # One NNPACK call per group; a failure (e.g. an unsupported size) falls back to torch's convolution.
    xs = x.reshape(batch_size, groups, in_channels // groups, *x.shape[2:])
    ws = w.reshape(groups, out_channels // groups, *w.shape[1:])
    try:
        outs = [_conv2d_bands(xs[:, g], ws[g].contiguous(), padding, band_elems, whole_elems) for g in range(groups)]
    except RuntimeError:
        return torch.nn.functional.conv2d(x, w, padding=padding, groups=groups)
    return outs[0] if groups == 1 else torch.cat(outs, dim=1)

def _conv1x1(x: torch.Tensor, w: torch.Tensor, groups: int) -> torch.Tensor:
    """A 1x1 convolution as one matrix product per group: 15-20% faster than torch's convolution on the CPU
    (measured with 1024 channels at 148x148: 176 vs 151 GFLOP/s in float32)."""
    batch_size, in_channels, h, w_ = x.shape
    out_channels = w.shape[0]
    xs = x.reshape(batch_size, groups, in_channels // groups, h * w_).transpose(0, 1) # [G, N, I/G, HW]
    ws = w.reshape(groups, 1, out_channels // groups, in_channels // groups)            # [G, 1, O/G, I/G]
    out = workspace.empty([groups, batch_size, out_channels // groups, h * w_], x.device, x.dtype)
    torch.matmul(ws, xs, out=out)                                                       # [G, N, O/G, HW]
    return out.transpose(0, 1).reshape(batch_size, out_channels, h, w_)

def _conv2d_bands(x: torch.Tensor, w: torch.Tensor, padding: int, band_elems: int, whole_elems: int) -> torch.Tensor:
    """NNPACK's 3x3 convolution, large inputs in bands of rows: NNPACK keeps a work buffer as large as its
    largest call (about twice the input and output in the Winograd domain), which would hold gigabytes at
    1024 px. Inputs up to `whole_elems` go in one call: bands cost 10-20% in speed (measured at 148x148x512)."""
    batch_size, in_channels, in_h, in_w = x.shape
    out_h = in_h + 2 * padding - 2
    band = max(band_elems // max(batch_size * in_channels * (in_w + 2 * padding), 1), 8)
    if out_h <= band or x.numel() <= whole_elems:
        return torch._nnpack_spatial_convolution(x.contiguous(), w, None, [padding, padding])

    # Each band of output rows reads its input rows plus a halo of 2, zero rows beyond the image.
    out = workspace.empty([batch_size, w.shape[0], out_h, in_w + 2 * padding - 2], x.device, x.dtype)
    for r0 in range(0, out_h, band):
        r1 = min(r0 + band, out_h)
        lo, hi = r0 - padding, r1 - padding + 2
        rows = x[:, :, max(lo, 0) : min(hi, in_h)]
        rows = torch.nn.functional.pad(rows, [0, 0, max(-lo, 0), max(hi - in_h, 0)]) if lo < 0 or hi > in_h else rows.contiguous()
        out[:, :, r0:r1] = torch._nnpack_spatial_convolution(rows, w, None, [0, padding])
    return out

#----------------------------------------------------------------------------
