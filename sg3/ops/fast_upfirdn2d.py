"""Fast upfirdn2d: polyphase resampling as banded matrix products instead of zero-stuffing and a
depthwise convolution. The input is copied once into [H, N*C, W'] (zero-padded rows of all planes side
by side); the vertical pass is a few products on tiles of rows, the horizontal pass a few products on
blocked rows; 2-D filters are split into separable terms. Same linear map as upfirdn2d_ref."""

import torch

from sg3.ops import _workspace as workspace
from sg3.ops._utils import parse_padding, parse_scaling
from sg3.ops.fast_resample import PlanCache, RowPass, filter_key, fit_row_layout, make_resample1d, row_tiles, run_row_tiles, separable_terms, term_tolerance

#----------------------------------------------------------------------------

class UpfirdnPlan:
    """Everything about one call signature of upfirdn2d that does not depend on the data."""

    def __init__(self, shape, f, up, down, padding, flip_filter, gain, device, dtype,
        block   = 16,   # Output samples per block and phase of the horizontal pass.
        tile    = 16,   # Output rows per product of the vertical pass.
    ):
        batch_size, channels, in_h, in_w = shape
        upx, upy = parse_scaling(up)
        downx, downy = parse_scaling(down)
        px0, px1, py0, py1 = parse_padding(padding)
        self.shape = tuple(shape)
        self.device = device
        self.dtype = dtype

        # Separable terms with the gain: sqrt(gain) per axis for a 1-D filter, all on one axis for a 2-D one.
        terms = separable_terms(f, term_tolerance(dtype))
        gain_y = gain_x = float(gain) ** 0.5
        if f is None or f.ndim == 2:
            gain_y, gain_x = float(gain), 1.0
        vert = [make_resample1d(v, upy, downy, py0, py1, in_h, flip_filter, gain_y) for v, _ in terms]
        horz = [make_resample1d(h, upx, downx, px0, px1, in_w, flip_filter, gain_x) for _, h in terms]
        self.num_terms = len(terms)
        self.out_h, self.out_w = vert[0].n_out, horz[0].n_out

        # Horizontal pass: blocks of `block` * down inputs give `block` * up outputs.
        make_passes = lambda layout: [RowPass(spec, layout) for spec in horz]
        self.layout_in, self.passes = fit_row_layout(horz[0], block * downx, make_passes)
        self.layout_out = self.passes[0].layout_out
        assert all(p.layout_out == self.layout_out for p in self.passes)
        self.mats = [p.tensors(device, dtype) for p in self.passes]
        self.margins = (max(p.margin_lo for p in self.passes), max(p.margin_hi for p in self.passes))

        # Vertical pass: tiles of output rows.
        self.tiles = [row_tiles(spec.matrix(), 0, 0, tile, device, dtype) for spec in vert]

    def run(self, x: torch.Tensor) -> torch.Tensor:
        batch_size, channels, in_h, in_w = self.shape
        num_planes = batch_size * channels
        lin, lout = self.layout_in, self.layout_out
        device, dtype = self.device, self.dtype

        # Copy the input into rows of all planes side by side, zero-padded.
        src = workspace.buffer('upfirdn_src', in_h * num_planes * lin.length, device, dtype).view(in_h, batch_size, channels, lin.length)
        src[..., :lin.start].zero_()
        src[..., lin.start + in_w:].zero_()
        src[..., lin.start : lin.start + in_w].copy_(x.permute(2, 0, 1, 3))
        src = src.view(in_h, num_planes * lin.length)

        # Filter vertically (one buffer per term, with zero margins), then horizontally, summing the terms.
        lo, hi = self.margins
        size = self.out_h * num_planes * lin.length
        mid = workspace.buffer('upfirdn_mid', lo + self.num_terms * size + hi, device, dtype)
        mid[:lo].zero_()
        mid[lo + self.num_terms * size:].zero_()
        out = workspace.buffer('upfirdn_out', self.out_h * num_planes * lout.length, device, dtype)
        for j, (tiles, rpass, mats) in enumerate(zip(self.tiles, self.passes, self.mats)):
            run_row_tiles(tiles, src, mid[lo + j * size : lo + (j + 1) * size].view(self.out_h, num_planes * lin.length))
            rpass.run(mid, lo + j * size, self.out_h * num_planes, out, mats, accumulate=(j > 0))

        # Crop the row padding and return to [N, C, H, W].
        out = out.view(self.out_h, batch_size, channels, lout.length)[..., lout.start : lout.start + self.out_w]
        return out.permute(1, 2, 0, 3).contiguous()

#----------------------------------------------------------------------------

_plans = PlanCache()

def get_plan(x, f, up, down, padding, flip_filter, gain) -> UpfirdnPlan:
    """The cached plan for this call signature (filters compared by value), made on first use."""
    key = (tuple(x.shape), x.device, x.dtype, filter_key(f), parse_scaling(up), parse_scaling(down),
        parse_padding(padding), bool(flip_filter), float(gain))
    return _plans.get(key, lambda: UpfirdnPlan(x.shape, f, up, down, padding, flip_filter, gain, x.device, x.dtype))

def upfirdn2d_fast(x, f, up=1, down=1, padding=0, flip_filter=False, gain=1):
    """Same arguments and result as upfirdn2d_ref."""
    return get_plan(x, f, up, down, padding, flip_filter, gain).run(x)

#----------------------------------------------------------------------------
