"""Fast filtered leaky ReLU: the same linear maps as the reference (bias, upsample, leaky ReLU, clamp,
downsample), computed as banded matrix products on strips of rows and blocks of channels.

Layout: the input is copied once into [H, N*C, W'] (rows of all planes side by side, zero-padded rows
and columns), so that a vertical pass is one batched product of a small matrix with overlapping windows
of rows, and a horizontal pass is a few matrix products on blocked rows. The upsampled image only ever
exists one strip at a time, small enough to stay in the CPU caches. Strips of blocks of planes are
independent and go to worker threads. Filters become matrices once per call signature, cached."""

import numpy as np
import torch

from sg3.ops import _parallel as parallel
from sg3.ops import native
from sg3.ops import _workspace as workspace
from sg3.ops._utils import parse_padding
from sg3.ops.fast_resample import PlanCache, RowPass, RowWindows, filter_key, fit_row_layout, make_resample1d, separable_terms, term_tolerance

#----------------------------------------------------------------------------

def resample_passes(shape, fu, fd, up, down, padding, gain, flip_filter, dtype):
    """The 1-D passes of filtered_lrelu with these arguments: (vertical up, horizontal up, vertical down,
    horizontal down), lists of Resample1d with one entry per separable term of the filter. The upsampling
    gain is folded into the upsampling passes, the activation gain into the vertical downsampling ones."""
    _batch_size, _channels, in_h, in_w = shape
    px0, px1, py0, py1 = parse_padding(padding)
    up_terms = separable_terms(fu, term_tolerance(dtype), 'fu')
    down_terms = separable_terms(fd, term_tolerance(dtype), 'fd')
    up_gain_y = up_gain_x = float(up)
    if fu is not None and fu.ndim == 2:
        up_gain_y, up_gain_x = float(up) ** 2, 1.0
    vert_up = [make_resample1d(v, up, 1, py0, py1, in_h, flip_filter, up_gain_y) for v, _ in up_terms]
    horz_up = [make_resample1d(h, up, 1, px0, px1, in_w, flip_filter, up_gain_x) for _, h in up_terms]
    up_h, up_w = vert_up[0].n_out, horz_up[0].n_out
    vert_down = [make_resample1d(v, 1, down, 0, 0, up_h, flip_filter, float(gain)) for v, _ in down_terms]
    horz_down = [make_resample1d(h, 1, down, 0, 0, up_w, flip_filter, 1.0) for _, h in down_terms]
    return vert_up, horz_up, vert_down, horz_down

#----------------------------------------------------------------------------

class FilteredLreluPlan:
    """Everything about one call signature of filtered_lrelu that does not depend on the data."""

    def __init__(self, shape, fu, fd, up, down, padding, gain, slope, clamp, flip_filter, device, dtype,
        block       = 32,       # Block size of the upsampled rows (horizontal passes).
        strip_rows  = 64,       # Output rows per strip (more if all planes fit, fewer for the worker threads).
        up_tile     = 16,       # Rows per tile of the vertical upsampling.
        down_tile   = 8,        # Rows per tile of the vertical downsampling.
        work_bytes  = 6 << 20,  # Target size of one strip's work buffers.
        min_items   = 1,        # Pieces of work (strips times blocks of planes) at least, for the worker threads.
    ):
        batch_size, channels, in_h, in_w = shape
        self.shape = tuple(shape)
        self.up = up
        self.down = down
        self.device = device
        self.dtype = dtype
        self.slope = float(slope)
        self.gain = float(gain)
        self.clamp = None if clamp is None else float(clamp) / self.gain
        num_planes = batch_size * channels

        # The four 1-D passes of every separable term.
        vert_up, horz_up, vert_down, horz_down = resample_passes(shape, fu, fd, up, down, padding, gain, flip_filter, dtype)
        self.terms_up = len(vert_up)
        self.terms_down = len(vert_down)
        self.out_h, self.out_w = vert_down[0].n_out, horz_down[0].n_out

        # Horizontal passes: choose the input row layout so that both passes fit.
        def make_passes(layout):
            passes_up = [RowPass(spec, layout) for spec in horz_up]
            return passes_up, [RowPass(spec, passes_up[0].layout_out) for spec in horz_down]
        step = down // int(np.gcd(up, down)) # Input blocks of a multiple of `step`: upsampled blocks split into `down`.
        block_in = -(-max(block // up, 1) // step) * step
        self.layout_in, (self.passes_up, self.passes_down) = fit_row_layout(horz_up[0], block_in, make_passes)
        self.layout_up = self.passes_up[0].layout_out
        self.layout_out = self.passes_down[0].layout_out
        assert all(p.layout_out == self.layout_up for p in self.passes_up)
        assert all(p.layout_out == self.layout_out for p in self.passes_down)
        self.mats_up = [p.tensors(device, dtype) for p in self.passes_up]
        self.mats_down = [p.tensors(device, dtype) for p in self.passes_down]
        self.margins_up = (max(p.margin_lo for p in self.passes_up), max(p.margin_hi for p in self.passes_up))
        self.margins_down = (max(p.margin_lo for p in self.passes_down), max(p.margin_hi for p in self.passes_down))

        # Strips of output rows and blocks of planes, sized so that one strip's work buffers fit `work_bytes`:
        # all planes with taller strips when they fit, else blocks of planes with `strip_rows` rows.
        up_tile = -(-up_tile // up) * up
        unit = int(np.lcm(down_tile, up // np.gcd(up, down))) # Strips are whole down tiles and start where up tiles line up.
        itemsize = torch.empty([], dtype=dtype).element_size()
        def strip_bytes(rows, planes):
            up_rows = rows * down + len(vert_down[0].taps) + up_tile
            return itemsize * planes * (up_rows * (self.terms_up * self.layout_in.length + self.layout_up.length)
                + rows * (self.terms_down * self.layout_up.length + self.layout_out.length))
        if strip_bytes(strip_rows, num_planes) <= work_bytes:
            chunk = num_planes
            while strip_rows < self.out_h and strip_bytes(2 * strip_rows, num_planes) <= work_bytes:
                strip_rows *= 2
        else:
            chunk = max(1, int(work_bytes // strip_bytes(strip_rows, 1)))
        num_chunks = -(-num_planes // chunk)
        self.planes_per_chunk = -(-num_planes // num_chunks)
        self.num_chunks = num_chunks

        # Enough pieces of work for the worker threads. Every strip but the last has `strip_rows` rows.
        strips_wanted = -(-min_items // num_chunks)
        if -(-self.out_h // strip_rows) < strips_wanted:
            strip_rows = -(-(-(-self.out_h // strips_wanted)) // unit) * unit
        self.strip_rows = max(-(-strip_rows // unit) * unit, unit)
        self.num_strips = -(-self.out_h // self.strip_rows)
        self.num_items = self.num_chunks * self.num_strips

        # Vertical passes: tiles that share one matrix per term (the gain is in the downsampling one).
        self.windows_down = [RowWindows(spec, down_tile, 0, device, dtype) for spec in vert_down]
        self.windows_up = [RowWindows(spec, up_tile, 0, device, dtype) for spec in vert_up]
        assert self.windows_down[0].first_row == 0
        self.tiles = [self._tiles(min(self.strip_rows, self.out_h - o0)) for o0 in range(0, self.out_h, self.strip_rows)]

        # Zero rows above and below the input, for the windows that reach beyond it.
        first = self.windows_up[0].first_row
        last = max(first + (strip * self.strip_rows * down) // up + (up_tiles - 1) * self.windows_up[0].step + self.windows_up[0].width
            for strip, (up_tiles, _) in enumerate(self.tiles))
        self.pad_top = max(-first, 0)
        self.pad_bottom = max(last - in_h, 0)

    def _tiles(self, rows: int) -> tuple[int, int]:
        """(up tiles, down tiles) of a strip of `rows` output rows."""
        down_tiles = -(-rows // self.windows_down[0].tile)
        act_rows = (down_tiles - 1) * self.windows_down[0].step + self.windows_down[0].width
        return -(-act_rows // self.windows_up[0].tile), down_tiles

    #------------------------------------------------------------------------

    def run(self, x: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
        batch_size, channels, in_h, in_w = self.shape
        num_planes = batch_size * channels
        lin = self.layout_in
        device, dtype = self.device, self.dtype

        # Copy the input (plus bias) into rows of all planes side by side, zero-padded.
        rows = self.pad_top + in_h + self.pad_bottom
        src = workspace.buffer('flrelu_src', rows * num_planes * lin.length, device, dtype).view(rows, batch_size, channels, lin.length)
        src[: self.pad_top].zero_()
        src[self.pad_top + in_h :].zero_()
        inside = src[self.pad_top : self.pad_top + in_h]
        inside[..., :lin.start].zero_()
        inside[..., lin.start + in_w:].zero_()
        data = inside[..., lin.start : lin.start + in_w]
        if b is not None:
            torch.add(x.permute(2, 0, 1, 3), b.reshape(channels, 1), out=data)
        else:
            data.copy_(x.permute(2, 0, 1, 3))
        src = src.view(rows, num_planes * lin.length)

        # Strips of blocks of planes are independent: run them on the worker threads.
        result = workspace.empty([num_planes, self.out_h, self.out_w], device, dtype)
        parallel.run_chunks(lambda item: self._run_strip(item, src, result), self.num_items)
        return result.view(batch_size, channels, self.out_h, self.out_w)

    def _run_strip(self, item: int, src: torch.Tensor, result: torch.Tensor) -> None:
        """One strip of one block of planes: src [rows, planes * L_in] -> result[p0:p1, o0:o1]."""
        chunk, strip = divmod(item, self.num_strips)
        num_planes = self.shape[0] * self.shape[1]
        lin, lup, lout = self.layout_in, self.layout_up, self.layout_out
        p0, p1 = chunk * self.planes_per_chunk, min((chunk + 1) * self.planes_per_chunk, num_planes)
        planes = p1 - p0
        o0 = strip * self.strip_rows
        o1 = min(o0 + self.strip_rows, self.out_h)
        device, dtype = self.device, self.dtype

        up_tiles, down_tiles = self.tiles[strip]
        act_rows = up_tiles * self.windows_up[0].tile
        out_rows = down_tiles * self.windows_down[0].tile

        # Work buffers of this thread. The blocked products read a margin around their rows: zero it.
        up_lo, up_hi = self.margins_up
        dn_lo, dn_hi = self.margins_down
        up_size = act_rows * planes * lin.length
        dv_size = out_rows * planes * lup.length
        work_up = workspace.buffer('flrelu_up', up_lo + self.terms_up * up_size + up_hi, device, dtype)
        work_act = workspace.buffer('flrelu_act', act_rows * planes * lup.length, device, dtype)
        work_dv = workspace.buffer('flrelu_dv', dn_lo + self.terms_down * dv_size + dn_hi, device, dtype)
        out = workspace.buffer('flrelu_out', out_rows * planes * lout.length, device, dtype)
        work_up[:up_lo].zero_()
        work_up[up_lo + self.terms_up * up_size:].zero_()
        work_dv[:dn_lo].zero_()
        work_dv[dn_lo + self.terms_down * dv_size:].zero_()

        # Upsample vertically, then horizontally, summing the terms.
        source = src[:, p0 * lin.length : p1 * lin.length]
        first_row = self.pad_top + self.windows_up[0].first_row + o0 * self.down // self.up # Strips start on whole up tiles.
        for j, windows in enumerate(self.windows_up):
            windows.run(source, first_row, up_tiles, work_up[up_lo + j * up_size : up_lo + (j + 1) * up_size])
        for j, (rpass, mats) in enumerate(zip(self.passes_up, self.mats_up)):
            rpass.run(work_up, up_lo + j * up_size, act_rows * planes, work_act, mats, accumulate=(j > 0))

        # Leaky ReLU and clamp (the gain is in the vertical downsampling matrices).
        if self.slope != 1:
            torch.nn.functional.leaky_relu_(work_act, self.slope)
        if self.clamp is not None:
            work_act.clamp_(-self.clamp, self.clamp)

        # Downsample vertically, one block of rows per term, then horizontally.
        act = work_act.view(act_rows, planes * lup.length)
        for k, windows in enumerate(self.windows_down):
            windows.run(act, 0, down_tiles, work_dv[dn_lo + k * dv_size : dn_lo + (k + 1) * dv_size])
        for k, (rpass, mats) in enumerate(zip(self.passes_down, self.mats_down)):
            rpass.run(work_dv, dn_lo + k * dv_size, out_rows * planes, out, mats, accumulate=(k > 0))

        # Crop the row padding and store as [planes, rows, W].
        out = out.view(out_rows, planes, lout.length)[: o1 - o0, :, lout.start : lout.start + self.out_w]
        result[p0:p1, o0:o1].copy_(out.permute(1, 0, 2))

#----------------------------------------------------------------------------

class NativeFilteredLreluPlan:
    """The same passes run by the compiled kernel (sg3/ops/native/filtered_lrelu.c): every plane on its own,
    in strips of output rows whose upsampled rows fit `cache_bytes`; blocks of planes go to the worker
    threads. CPU, float32 only; native.filtered_lrelu checks what crosses into C."""

    def __init__(self, lib, shape, fu, fd, up, down, padding, gain, slope, clamp, flip_filter,
        cache_bytes = 1 << 20,      # Target size of one strip's upsampled rows (a core's L2 cache; measured best of 0.25-2 MB).
    ):
        batch_size, channels, in_h, in_w = shape
        self.lib = lib
        self.shape = tuple(shape)
        self.slope = float(slope)
        self.clamp = -1.0 if clamp is None else float(clamp) / float(gain) # The kernel reads < 0 as no clamp.
        vert_up, horz_up, vert_down, horz_down = resample_passes(shape, fu, fd, up, down, padding, gain, flip_filter, torch.float32)
        longest = max(len(spec.taps) for spec in vert_up + horz_up + vert_down + horz_down)
        if max(up, down) > native.MAX_FACTOR or max(len(vert_up), len(vert_down)) > native.MAX_TERMS or longest > native.MAX_TAPS:
            raise NotImplementedError(f'the native kernel takes factors up to {native.MAX_FACTOR}, {native.MAX_TERMS} separable terms '
                f'and {native.MAX_TAPS} taps per pass; got up={up}, down={down}, {len(vert_up)}/{len(vert_down)} terms, {longest} taps')
        up_h, up_w = vert_up[0].n_out, horz_up[0].n_out
        self.out_h, self.out_w = vert_down[0].n_out, horz_down[0].n_out
        k_down = max(len(spec.taps) for spec in vert_down)
        strip_rows = max(int(cache_bytes // (4 * up_w * down)) - k_down // down, 4) # Activation rows of a strip.
        self.strip_rows = -(-self.out_h // -(-self.out_h // strip_rows)) # Even strips.
        self.geometry = native.filtered_lrelu_geometry(
            up_terms=[(len(v.taps), len(h.taps)) for v, h in zip(vert_up, horz_up)],
            down_terms=[(len(v.taps), len(h.taps)) for v, h in zip(vert_down, horz_down)],
            in_h=in_h, in_w=in_w, up=up, down=down, strip_rows=self.strip_rows, up_h=up_h, up_w=up_w, out_h=self.out_h, out_w=self.out_w,
            up_pad_y=vert_up[0].pad0, up_pad_x=horz_up[0].pad0) # Every term has the same padding.
        taps = [t for v, h in zip(vert_up, horz_up) for t in v.taps + h.taps]
        taps += [t for v, h in zip(vert_down, horz_down) for t in v.taps + h.taps]
        self.taps = torch.tensor(taps, dtype=torch.float32)

    def run(self, x: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
        batch_size, channels, _in_h, _in_w = self.shape
        num_planes = batch_size * channels
        x = x.contiguous()
        b = None if b is None else b.detach().contiguous()
        y = workspace.empty([batch_size, channels, self.out_h, self.out_w], x.device, torch.float32)
        num_chunks = min(num_planes, 4 * torch.get_num_threads())
        per_chunk = -(-num_planes // num_chunks)
        def run_chunk(chunk):
            p0 = chunk * per_chunk
            count = min(per_chunk, num_planes - p0)
            if count > 0:
                native.filtered_lrelu(self.lib, x, b, y, self.geometry, self.taps, self.slope, self.clamp, first_plane=p0, num_planes=count)
        parallel.run_chunks(run_chunk, -(-num_planes // per_chunk))
        return y

#----------------------------------------------------------------------------

_plans = PlanCache()
TUNING = dict() # Overrides of FilteredLreluPlan's tuning arguments (block, strip_rows, ...), for experiments.
NATIVE_TUNING = dict() # Overrides of NativeFilteredLreluPlan's (cache_bytes).

def get_plan(x, fu, fd, up, down, padding, gain, slope, clamp, flip_filter) -> 'FilteredLreluPlan | NativeFilteredLreluPlan':
    """The cached plan for this call signature (filters compared by value), made on first use: the compiled
    kernel where it is available (CPU, float32), else the PyTorch one."""
    lib = native.library() if x.device.type == 'cpu' and x.dtype == torch.float32 and native.enabled() else None
    key = (tuple(x.shape), x.device, x.dtype, filter_key(fu), filter_key(fd), up, down,
        parse_padding(padding), float(gain), float(slope), None if clamp is None else float(clamp), bool(flip_filter), lib is not None)
    def make():
        if lib is not None:
            try:
                return NativeFilteredLreluPlan(lib, x.shape, fu, fd, up, down, padding, gain, slope, clamp, flip_filter, **NATIVE_TUNING)
            except NotImplementedError:
                pass # Beyond the kernel's limits: the PyTorch plan.
        return FilteredLreluPlan(x.shape, fu, fd, up, down, padding, gain, slope, clamp, flip_filter, x.device, x.dtype, **TUNING)
    return _plans.get(key, make)

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
