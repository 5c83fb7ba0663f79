"""Fast filtered leaky ReLU: the same linear maps as the reference (bias, upsample, leaky ReLU, clamp,
downsample), computed as banded matrix products on strips of rows and blocks of channels.

Layout: the input is copied once into [H, N*C, W'] (rows of all channels side by side, padded with
zeros), so that a vertical pass is one matrix product on a strip of rows and a horizontal pass is a few
matrix products on blocked rows. The upsampled image only ever exists one strip at a time, small enough
to stay in the CPU caches; filters become matrices once per layer shape and are cached."""

import dataclasses

import numpy as np
import torch

from sg3.ops import _parallel as parallel
from sg3.ops import _workspace as workspace
from sg3.ops._utils import parse_padding
from sg3.ops.fast_resample import PlanCache, RowLayout, RowPass, filter_key, make_resample1d, row_tiles, run_row_tiles, separable_terms, term_tolerance

#----------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Strip:
    out_rows:   tuple[int, int]     # Output rows [o0, o1).
    up_rows:    tuple[int, int]     # Rows [a0, a1) of the upsampled image that they need.
    in_rows:    tuple[int, int]     # Input rows [b0, b1) that those need.
    up_tiles:   list                # Per upsampling term: RowTiles from input rows (absolute) to strip rows.
    down_tiles: list                # Per downsampling term: RowTiles from strip rows to output rows (relative to o0).

class FilteredLreluPlan:
    """Everything about one call signature of filtered_lrelu that does not depend on the data."""

    def __init__(self, shape, fu, fd, up, down, padding, gain, slope, clamp, flip_filter, device, dtype,
        block       = 32,       # Block size of the upsampled rows (horizontal passes).
        strip_rows  = 32,       # Output rows per strip.
        up_tile     = 16,       # Rows per product of the vertical upsampling.
        down_tile   = 8,        # Rows per product of the vertical downsampling.
        work_bytes  = 6 << 20,  # Target size of one strip's work buffers.
        min_chunks  = 4,        # Blocks of planes at least, for the worker threads to share.
    ):
        batch_size, channels, in_h, in_w = shape
        px0, px1, py0, py1 = parse_padding(padding)
        self.shape = tuple(shape)
        self.device = device
        self.dtype = dtype
        self.slope = float(slope)
        self.gain = float(gain)
        self.clamp = None if clamp is None else float(clamp) / self.gain
        num_planes = batch_size * channels

        # Split both filters into separable terms; fold the upsampling gain and the activation gain in.
        up_terms = separable_terms(fu, term_tolerance(dtype))
        down_terms = separable_terms(fd, term_tolerance(dtype))
        up_gain_y = up_gain_x = float(up)
        if fu is not None and fu.ndim == 2:
            up_gain_y, up_gain_x = float(up) ** 2, 1.0
        self.terms_up = len(up_terms)
        self.terms_down = len(down_terms)

        # Describe the four 1-D passes of every term.
        vert_up = [make_resample1d(v, up, 1, py0, py1, in_h, flip_filter, up_gain_y) for v, _ in up_terms]
        horz_up = [make_resample1d(h, up, 1, px0, px1, in_w, flip_filter, up_gain_x) for _, h in up_terms]
        up_h, up_w = vert_up[0].n_out, horz_up[0].n_out
        vert_down = [make_resample1d(v, 1, down, 0, 0, up_h, flip_filter, self.gain) for v, _ in down_terms]
        horz_down = [make_resample1d(h, 1, down, 0, 0, up_w, flip_filter, 1.0) for _, h in down_terms]
        self.out_h, self.out_w = vert_down[0].n_out, horz_down[0].n_out

        # Horizontal passes: choose the input row layout so that both passes fit.
        block_in = max(block // up, 1)
        i0, _ = horz_up[0].support(0)
        start = max(-i0, 0)
        num_blocks = -(-(start + in_w) // block_in)
        while True:
            layout = RowLayout(block=block_in, num_blocks=num_blocks, start=start)
            try:
                self.passes_up = [RowPass(spec, layout) for spec in horz_up]
                self.passes_down = [RowPass(spec, self.passes_up[0].layout_out) for spec in horz_down]
                break
            except AssertionError:
                num_blocks += 1
                assert num_blocks < 4 * (in_w + 64), 'no row layout found'
        self.layout_in = layout
        self.layout_up = self.passes_up[0].layout_out
        self.layout_out = self.passes_down[0].layout_out
        assert all(p.layout_out == self.layout_up for p in self.passes_up)
        assert all(p.layout_out == self.layout_out for p in self.passes_down)
        self.mats_up = [p.tensors(device, dtype) for p in self.passes_up]
        self.mats_down = [p.tensors(device, dtype) for p in self.passes_down]
        self.margins_up = (max(p.margin_lo for p in self.passes_up), max(p.margin_hi for p in self.passes_up))
        self.margins_down = (max(p.margin_lo for p in self.passes_down), max(p.margin_hi for p in self.passes_down))

        # Vertical passes: strips of output rows, each in tiles of rows.
        self.strips = self._make_strips(vert_up, vert_down, strip_rows, up_tile, down_tile)
        self.rows_max = max(s.up_rows[1] - s.up_rows[0] for s in self.strips)
        self.strip_rows = max(s.out_rows[1] - s.out_rows[0] for s in self.strips)

        # Blocks of planes whose strip fits the work size.
        itemsize = torch.empty([], dtype=dtype).element_size()
        plane_bytes = itemsize * (self.terms_up * self.rows_max * self.layout_in.length + self.rows_max * self.layout_up.length
            + self.terms_down * self.strip_rows * self.layout_up.length + self.strip_rows * self.layout_out.length)
        chunk = max(1, min(num_planes, work_bytes // plane_bytes))
        num_chunks = max(-(-num_planes // chunk), min(num_planes, min_chunks))
        self.planes_per_chunk = -(-num_planes // num_chunks)
        self.num_chunks = num_chunks

    def _make_strips(self, vert_up, vert_down, strip_rows, up_tile, down_tile) -> list[Strip]:
        up_mats = [spec.matrix() for spec in vert_up] # [up_h, in_h]
        down_mats = [spec.matrix() for spec in vert_down] # [out_h, up_h]
        strips = []
        for o0 in range(0, self.out_h, strip_rows):
            o1 = min(o0 + strip_rows, self.out_h)
            cols = np.flatnonzero(sum(np.abs(m[o0:o1]) for m in down_mats).sum(axis=0))
            a0, a1 = int(cols[0]), int(cols[-1]) + 1
            cols = np.flatnonzero(sum(np.abs(m[a0:a1]) for m in up_mats).sum(axis=0))
            b0, b1 = int(cols[0]), int(cols[-1]) + 1
            strips.append(Strip(out_rows=(o0, o1), up_rows=(a0, a1), in_rows=(b0, b1),
                up_tiles=[row_tiles(m[a0:a1], 0, 0, up_tile, self.device, self.dtype) for m in up_mats],
                down_tiles=[row_tiles(m[o0:o1, a0:a1], 0, 0, down_tile, self.device, self.dtype) for m in down_mats]))
        return strips

    #------------------------------------------------------------------------

    def run(self, x: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
        batch_size, channels, in_h, in_w = self.shape
        num_planes = batch_size * channels
        lin, lout = self.layout_in, self.layout_out
        device, dtype = self.device, self.dtype

        # Copy the input (plus bias) into rows of all planes side by side, zero-padded.
        src = workspace.buffer('flrelu_src', in_h * num_planes * lin.length, device, dtype).view(in_h, batch_size, channels, lin.length)
        src[..., :lin.start].zero_()
        src[..., lin.start + in_w:].zero_()
        data = src[..., lin.start : lin.start + in_w]
        if b is not None:
            torch.add(x.permute(2, 0, 1, 3), b.reshape(channels, 1), out=data)
        else:
            data.copy_(x.permute(2, 0, 1, 3))
        src = src.view(in_h, num_planes * lin.length)

        # Blocks of planes are independent: run them on the worker threads.
        dst = workspace.buffer('flrelu_dst', self.out_h * num_planes * lout.length, device, dtype)
        result = torch.empty([num_planes, self.out_h, self.out_w], dtype=dtype, device=device)
        parallel.run_chunks(lambda chunk: self._run_planes(chunk, src, dst, result), self.num_chunks)
        return result.view(batch_size, channels, self.out_h, self.out_w)

    def _run_planes(self, chunk: int, src: torch.Tensor, dst: torch.Tensor, result: torch.Tensor) -> None:
        """All strips of one block of planes: src [in_h, planes * L_in] -> result[p0:p1] (via dst)."""
        num_planes = self.shape[0] * self.shape[1]
        lin, lup, lout = self.layout_in, self.layout_up, self.layout_out
        rows_max, strip_rows = self.rows_max, self.strip_rows
        p0, p1 = chunk * self.planes_per_chunk, min((chunk + 1) * self.planes_per_chunk, num_planes)
        planes = p1 - p0
        device, dtype = self.device, self.dtype

        # Work buffers of this thread, with zero margins for the blocked products.
        up_lo, up_hi = self.margins_up
        dn_lo, dn_hi = self.margins_down
        cols = planes * lin.length
        work_up = workspace.buffer('flrelu_up', up_lo + self.terms_up * rows_max * cols + up_hi, device, dtype)
        work_act = workspace.buffer('flrelu_act', rows_max * planes * lup.length, device, dtype)
        work_dv = workspace.buffer('flrelu_dv', dn_lo + self.terms_down * strip_rows * planes * lup.length + dn_hi, device, dtype)
        work_up.zero_()
        work_dv.zero_()
        up_terms = [work_up[up_lo + j * rows_max * cols : up_lo + (j + 1) * rows_max * cols].view(rows_max, cols) for j in range(self.terms_up)]
        act = work_act.view(rows_max, planes * lup.length)
        out = dst[self.out_h * p0 * lout.length : self.out_h * p1 * lout.length].view(self.out_h, planes * lout.length)
        source = src[:, p0 * lin.length : p1 * lin.length]

        for strip in self.strips:
            o0, o1 = strip.out_rows
            num_rows = strip.up_rows[1] - strip.up_rows[0]

            # Upsample vertically, then horizontally, summing the terms.
            for tiles, term in zip(strip.up_tiles, up_terms):
                run_row_tiles(tiles, source, term)
            for j, (rpass, mats) in enumerate(zip(self.passes_up, self.mats_up)):
                rpass.run(work_up, up_lo + j * rows_max * cols, num_rows * planes, act.view(-1)[: num_rows * planes * lup.length], mats, accumulate=(j > 0))

            # Leaky ReLU and clamp (the gain is in the vertical downsampling matrices).
            live = act[:num_rows]
            if self.slope != 1:
                torch.nn.functional.leaky_relu_(live, self.slope)
            if self.clamp is not None:
                live.clamp_(-self.clamp, self.clamp)

            # Downsample vertically, one block of rows per term, then horizontally into the output.
            out_rows = o1 - o0
            dv_size = out_rows * planes * lup.length
            for k, tiles in enumerate(strip.down_tiles):
                run_row_tiles(tiles, act, work_dv[dn_lo + k * dv_size : dn_lo + (k + 1) * dv_size].view(out_rows, planes * lup.length))
            for k, (rpass, mats) in enumerate(zip(self.passes_down, self.mats_down)):
                rpass.run(work_dv, dn_lo + k * dv_size, out_rows * planes, out[o0:o1].view(-1), mats, accumulate=(k > 0))

        # Crop the row padding and store these planes as [planes, H, W].
        out = out.view(self.out_h, planes, lout.length)[..., lout.start : lout.start + self.out_w]
        result[p0:p1].copy_(out.permute(1, 0, 2))

#----------------------------------------------------------------------------

_plans = PlanCache()
TUNING = dict() # Overrides of FilteredLreluPlan's tuning arguments (block, strip_rows, ...), for experiments.

def get_plan(x, fu, fd, up, down, padding, gain, slope, clamp, flip_filter) -> FilteredLreluPlan:
    """The cached plan for this call signature (filters compared by value), made on first use."""
    key = (tuple(x.shape), x.device, x.dtype, filter_key(fu), filter_key(fd), up, down,
        parse_padding(padding), float(gain), float(slope), None if clamp is None else float(clamp), bool(flip_filter))
    return _plans.get(key, lambda: FilteredLreluPlan(x.shape, fu, fd, up, down, padding, gain, slope, clamp, flip_filter, x.device, x.dtype, **TUNING))

def _bias_act_clamp(x, b, gain, slope, clamp):
    """The case without resampling (StyleGAN3's ToRGB layer): elementwise, in place on one new tensor."""
    x = x + b.reshape(1, -1, 1, 1) if b is not None else x.clone()
    if slope != 1:
        torch.nn.functional.leaky_relu_(x, float(slope))
    if gain != 1:
        x.mul_(float(gain))
    if clamp is not None:
        x.clamp_(-float(clamp), float(clamp))
    return x

def filtered_lrelu_fast(x, fu=None, fd=None, b=None, up=1, down=1, padding=0, gain=np.sqrt(2), slope=0.2, clamp=None, flip_filter=False):
    """Same arguments and result as filtered_lrelu_ref."""
    if fu is None and fd is None and up == 1 and down == 1 and parse_padding(padding) == (0, 0, 0, 0):
        return _bias_act_clamp(x, b, gain, slope, clamp)
    return get_plan(x, fu, fd, up, down, padding, gain, slope, clamp, flip_filter).run(x, b)

#----------------------------------------------------------------------------
