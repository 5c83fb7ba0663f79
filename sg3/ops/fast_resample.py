"""Building blocks of the fast resampling paths: 1-D polyphase resampling as banded matrices, executed
as a few dense matrix products on blocked rows (horizontal passes) or on strips of rows (vertical
passes), and 2-D filters split into sums of separable terms.

Every pass here computes exactly the linear map of the reference ops (zero-stuffing, padding, FIR
filter, decimation); only the order of the additions differs."""

import collections
import dataclasses
import threading

import numpy as np
import torch

from sg3.errors import OpArgumentError

#----------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Resample1d:
    """One axis of upfirdn: out[o] = sum_i x[i] * taps[i * up + pad0 - o * down], taps outside [0, K) are 0.
    `taps` already include the flip (convolution vs. correlation) and the gain."""
    taps:   tuple   # Filter taps as used (float64 values), length K >= 1.
    up:     int     # Upsampling factor.
    down:   int     # Downsampling factor.
    pad0:   int     # Padding before the first upsampled sample (negative crops).
    n_in:   int     # Input length.
    n_out:  int     # Output length.

    def support(self, o: int) -> tuple[int, int]:
        """Range [i0, i1) of input indices (not clipped to the input) that output `o` may touch."""
        k = len(self.taps)
        base = o * self.down - self.pad0
        i0 = -((-base) // self.up) # ceil(base / up)
        i1 = (base + k - 1) // self.up + 1
        return i0, i1

    def coef(self, o: np.ndarray, i: np.ndarray) -> np.ndarray:
        """Coefficient of input `i` in output `o`, for any integers (broadcasting)."""
        taps = np.asarray(self.taps, dtype=np.float64)
        m = np.asarray(i) * self.up + self.pad0 - np.asarray(o) * self.down
        inside = (m >= 0) & (m < len(taps))
        return np.where(inside, taps[np.clip(m, 0, len(taps) - 1)], 0.0)

    def matrix(self) -> np.ndarray:
        """The dense [n_out, n_in] matrix of this resampling (zero padding outside the input)."""
        o = np.arange(self.n_out)[:, np.newaxis]
        i = np.arange(self.n_in)[np.newaxis, :]
        return self.coef(o, i)

def make_resample1d(f: np.ndarray | None, up: int, down: int, pad0: int, pad1: int, n_in: int, flip_filter: bool, gain: float) -> Resample1d:
    """The 1-D resampling of upfirdn2d along one axis: zero-stuff by `up`, pad (pad0, pad1), filter with `f`
    (None = 1 tap), keep every `down`-th sample. Raises OpArgumentError when nothing is left."""
    f = np.ones([1]) if f is None else np.asarray(f, dtype=np.float64)
    assert f.ndim == 1 and f.size >= 1
    taps = f * gain if flip_filter else f[::-1] * gain
    n_filtered = n_in * up + pad0 + pad1 - (f.size - 1)
    if n_filtered < 1:
        raise OpArgumentError(f'upsampled and padded input of length {n_in * up + pad0 + pad1} is shorter than the filter ({f.size} taps)')
    n_out = (n_filtered + down - 1) // down
    return Resample1d(taps=tuple(float(t) for t in taps), up=up, down=down, pad0=pad0, n_in=n_in, n_out=n_out)

#----------------------------------------------------------------------------
# Separable terms of 2-D filters.

def separable_terms(f: torch.Tensor | None, atol: float, name: str = 'f') -> list[tuple[np.ndarray, np.ndarray]]:
    """Split a filter into [(vertical taps, horizontal taps), ...] whose sum of outer products equals it:
    a 1-D filter is one term (f, f) as upfirdn2d applies it; a 2-D filter is split by its singular values,
    using the fewest terms whose sum matches every tap within `atol` times the largest tap. Raises
    OpArgumentError (naming the filter `name`) for non-finite taps, which have no such split."""
    if f is None:
        return [(np.ones([1]), np.ones([1]))]
    f = f.detach().to(device='cpu', dtype=torch.float64).numpy()
    if not np.isfinite(f).all():
        raise OpArgumentError(f'{name} has non-finite taps: expected finite numbers for the fast path (or use impl=\'ref\')')
    if f.ndim == 1:
        return [(f, f)]
    u, s, vt = np.linalg.svd(f)
    terms = []
    approx = np.zeros_like(f)
    for j in range(len(s)):
        terms.append((u[:, j] * s[j], vt[j]))
        approx += np.outer(u[:, j] * s[j], vt[j])
        if np.abs(f - approx).max() <= atol * np.abs(f).max():
            break
    return terms

#----------------------------------------------------------------------------
# Vertical passes: a banded matrix cut into tiles of output rows (clipped at the edges, or all alike).

@dataclasses.dataclass(frozen=True)
class RowTile:
    dst_rows:   tuple[int, int]     # Output rows [r0, r1), relative to the destination.
    src_rows:   tuple[int, int]     # Input rows [r0, r1), relative to the source.
    mat:        torch.Tensor        # [r1 - r0 (dst), r1 - r0 (src)].

def row_tiles(mat: np.ndarray, dst_offset: int, src_offset: int, tile: int, device, dtype) -> list[RowTile]:
    """Tiles of `tile` output rows of the banded matrix `mat`, each with the input rows it touches;
    rows are numbered from `dst_offset` / `src_offset` in the buffers they are read from and written to."""
    tiles = []
    for r0 in range(0, mat.shape[0], tile):
        r1 = min(r0 + tile, mat.shape[0])
        cols = np.flatnonzero(np.abs(mat[r0:r1]).sum(axis=0))
        c0, c1 = (int(cols[0]), int(cols[-1]) + 1) if cols.size else (0, 1)
        tiles.append(RowTile(dst_rows=(dst_offset + r0, dst_offset + r1), src_rows=(src_offset + c0, src_offset + c1),
            mat=torch.as_tensor(mat[r0:r1, c0:c1], dtype=dtype, device=device).contiguous()))
    return tiles

def run_row_tiles(tiles: list[RowTile], src: torch.Tensor, dst: torch.Tensor) -> None:
    """dst[tile rows] = tile.mat @ src[tile input rows] for 2-D `src` and `dst` with the same columns."""
    for tile in tiles:
        torch.mm(tile.mat, src[tile.src_rows[0] : tile.src_rows[1]], out=dst[tile.dst_rows[0] : tile.dst_rows[1]])

class RowWindows:
    """A vertical 1-D resampling in tiles of `tile` output rows that all share one matrix: tile t of a strip
    reads `width` consecutive input rows from first_row + t * step. Rows outside the input must be zeros."""

    def __init__(self, spec: Resample1d, tile: int, out_start: int, device, dtype):
        assert (tile * spec.down) % spec.up == 0 and (out_start * spec.down) % spec.up == 0
        self.tile = tile
        self.step = tile * spec.down // spec.up
        rows = np.arange(out_start, out_start + tile)
        first = min(spec.support(o)[0] for o in rows)
        last = max(spec.support(o)[1] for o in rows)
        self.first_row = first # Input row of tile 0 when the strip starts at output row `out_start`.
        self.width = last - first
        mat = spec.coef(rows[:, np.newaxis], np.arange(first, last)[np.newaxis, :])
        self.mat = torch.as_tensor(mat, dtype=dtype, device=device)

    def run(self, src: torch.Tensor, first_row: int, num_tiles: int, dst: torch.Tensor) -> None:
        """dst [num_tiles * tile, cols] = tiles of src [rows, cols] (any row stride, unit column stride)."""
        row_stride = src.stride(0)
        windows = src.as_strided([num_tiles, self.width, src.shape[1]], [self.step * row_stride, row_stride, 1],
            src.storage_offset() + first_row * row_stride)
        torch.matmul(self.mat, windows, out=dst.view(num_tiles, self.tile, src.shape[1]))

#----------------------------------------------------------------------------
# Horizontal passes: rows cut into blocks, one matrix product per neighbouring block.

@dataclasses.dataclass(frozen=True)
class RowLayout:
    """How a row of a work buffer holds a signal: `length` = `num_blocks` * `block` elements, the signal's
    sample j at position `start` + j, finite values everywhere (zeros where padding is read)."""
    block:      int     # Block size.
    num_blocks: int     # Blocks per row.
    start:      int     # Position of sample 0.

    @property
    def length(self) -> int:
        return self.block * self.num_blocks

class LayoutDoesNotFit(Exception):
    """A RowPass cannot resample rows of this layout (fit_row_layout then tries a longer one)."""

class RowPass:
    """A horizontal 1-D resampling of every row of a buffer as len(offsets) matrix products:
    output block b = sum over d of (input block b + d) @ mats[d]. Raises LayoutDoesNotFit where the
    input layout cannot hold what the outputs read."""

    def __init__(self, spec: Resample1d, layout_in: RowLayout):
        if (layout_in.block * spec.up) % spec.down != 0:
            raise LayoutDoesNotFit(f'block size {layout_in.block} times up={spec.up} is not divisible by down={spec.down}')
        self.spec = spec
        self.layout_in = layout_in
        block_out = layout_in.block * spec.up // spec.down
        best = None
        for start in range(block_out):
            offsets = self._offsets(start, block_out)
            if offsets is not None and (best is None or len(offsets) < len(best[1])):
                best = (start, offsets)
        if best is None:
            raise LayoutDoesNotFit(f'no output layout fits {spec} in {layout_in}')
        start, offsets = best
        offsets = offsets or [0] # All outputs are zero: one product with a zero matrix.
        self.layout_out = RowLayout(block=block_out, num_blocks=layout_in.num_blocks, start=start)

        # Dense block matrices, and the range of their rows that holds any non-zero.
        v = np.arange(block_out)[np.newaxis, :]
        u = np.arange(layout_in.block)[:, np.newaxis]
        self.mats = []
        self.row_ranges = []
        self.offsets = []
        for d in offsets:
            o = v - start
            i = d * layout_in.block + u - layout_in.start
            mat = spec.coef(o, i) # [block_in, block_out]
            nonzero = np.flatnonzero(np.abs(mat).sum(axis=1))
            if nonzero.size or (d == offsets[-1] and not self.offsets): # Keep one product, even of zeros.
                self.offsets.append(d)
                self.row_ranges.append((int(nonzero[0]), int(nonzero[-1]) + 1) if nonzero.size else (0, 1))
                self.mats.append(mat)
        offsets = self.offsets
        self.margin_lo = max(-min(offsets), 0) * layout_in.block
        self.margin_hi = max(max(offsets), 0) * layout_in.block

    def _offsets(self, start_out: int, block_out: int) -> list[int] | None:
        """Block offsets d that valid outputs need with this output start, or None if it does not fit."""
        spec, lin = self.spec, self.layout_in
        if start_out + spec.n_out > block_out * lin.num_blocks:
            return None
        offsets = set()
        for o in range(spec.n_out):
            i0, i1 = spec.support(o)
            if i1 <= i0:
                continue # This output lies between upsampled samples: it is 0.
            p0, p1 = lin.start + i0, lin.start + i1 - 1
            if p0 < 0 or p1 >= lin.length:
                return None
            b = (start_out + o) // block_out
            offsets.update(range(p0 // lin.block - b, p1 // lin.block - b + 1))
        return sorted(offsets)

    def tensors(self, device, dtype) -> list[torch.Tensor]:
        return [torch.as_tensor(mat[r0:r1], dtype=dtype, device=device).contiguous()
            for mat, (r0, r1) in zip(self.mats, self.row_ranges)]

    def run(self, src: torch.Tensor, src_offset: int, num_rows: int, dst: torch.Tensor, mats: list[torch.Tensor], accumulate: bool = False) -> None:
        """Resample `num_rows` rows that start at flat position `src_offset` of the 1-D buffer `src`
        (with at least margin_lo / margin_hi finite elements around them) into the contiguous `dst`."""
        block_in = self.layout_in.block
        num_blocks = num_rows * self.layout_in.num_blocks
        dst = dst.view(num_blocks, self.layout_out.block)
        for idx, (d, (r0, r1), mat) in enumerate(zip(self.offsets, self.row_ranges, mats)):
            begin = src_offset + d * block_in
            x = src[begin : begin + num_blocks * block_in].view(num_blocks, block_in)
            if r0 > 0 or r1 < block_in:
                x = x[:, r0:r1]
            if idx == 0 and not accumulate:
                torch.mm(x, mat, out=dst)
            else:
                dst.addmm_(x, mat)

def fit_row_layout(first: Resample1d, block_in: int, make_passes):
    """The first row layout (blocks of `block_in`, sample 0 where `first`'s output 0 starts reading) for which
    make_passes(layout) succeeds (RowPass raises LayoutDoesNotFit where it does not), and its result."""
    i0, _ = first.support(0)
    start = max(-i0, 0)
    fewest = -(-(start + first.n_in) // block_in)
    for num_blocks in range(fewest, fewest + 4 * (first.n_in + first.n_out + 64)):
        layout = RowLayout(block=block_in, num_blocks=num_blocks, start=start)
        try:
            return layout, make_passes(layout)
        except LayoutDoesNotFit as e:
            problem = e
    raise RuntimeError(f'sg3.ops: no row layout of blocks of {block_in} fits {first} ({problem})')

#----------------------------------------------------------------------------

class PlanCache:
    """Plans by call signature, least recently used dropped beyond `capacity`; thread-safe."""

    def __init__(self, capacity: int = 64):
        self.capacity = capacity
        self._plans = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, make):
        with self._lock:
            plan = self._plans.get(key)
            if plan is not None:
                self._plans.move_to_end(key)
                return plan
        plan = make()
        with self._lock:
            self._plans[key] = plan
            while len(self._plans) > self.capacity:
                self._plans.popitem(last=False)
        return plan

    def clear(self) -> None:
        with self._lock:
            self._plans.clear()

def filter_key(f: torch.Tensor | None):
    """A filter compared by value (shape, dtype, taps), for plan keys."""
    return None if f is None else (tuple(f.shape), str(f.dtype), tuple(f.detach().flatten().tolist()))

#----------------------------------------------------------------------------

def term_tolerance(dtype: torch.dtype) -> float:
    """Relative tolerance of separable terms: far below the rounding of the taps in this precision."""
    return 1e-6 if dtype in (torch.float16, torch.bfloat16, torch.float32) else 1e-14
