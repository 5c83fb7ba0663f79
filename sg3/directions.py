"""Directions in W: closed-form (SeFa), sampled (PCA on W, GANSpace), StyleGAN3's pose subspace, and the edit
w + sum_k s_k * sigma_k * d_k that the viewer and the command line both apply.

- SeFa (Shen & Zhou 2021): the eigenvectors of A^T A, where A stacks the style affines' weights [C, w_dim] of the
  chosen W indices and every row (one style output) is scaled to unit length, as the authors' code does. The
  input layer's affine of StyleGAN3 (the pose, below) and the ToRGB layers are not styles and are left out.
- PCA on W (Härkönen et al. 2020): N latents z from a seed through the mapping network (psi = 1), centred, SVD.
  Cached in the user's cache folder under a hash of the mapping weights, N and the seed (`pca_cache_dir`).
- The pose subspace of a StyleGAN3 network: `synthesis.input.affine` maps w[0] to the Fourier features' rotation
  and translation (r_c, r_s, t_x, t_y); the row space of its weight, orthonormalised, is the subspace of W that
  moves the picture. `project_out` removes it from other directions ("keep pose").
- Every direction is a unit vector d_k with a spread sigma_k: the standard deviation of w . d_k over W samples of
  the network (PCA: over its own samples), so a strength s_k moves s_k standard deviations.

Files (sg3.latent_files) hold direction sets and W / W+ latents. Imports torch, numpy and the standard library only.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from typing import Callable

import numpy as np
import torch

from sg3.errors import Sg3Error

METHODS = ('sefa', 'pca', 'pose')
SPREAD_SAMPLES = 1000                       # W samples that measure a direction's spread (seed SPREAD_SEED).
SPREAD_SEED = 0
PCA_SAMPLES = 10_000                        # GANSpace uses 10-20k.
PCA_BATCH = 1000                            # Latents per mapping call (one progress step).
CACHE_ENV = 'SG3_DIRECTIONS_CACHE'          # Folder of the PCA cache; default ~/.cache/sg3-viz/directions.
DEFAULT_CACHE = os.path.join('~', '.cache', 'sg3-viz', 'directions')
CACHE_VERSION = 1
RANK_TOLERANCE = 1e-6                       # Singular values below this times the largest are rank deficiency.


class DirectionsError(Sg3Error):
    """A direction set that cannot be made or used for this network (no affines in range, zero pose, ...)."""


class DirectionsCancelled(Sg3Error):
    """`cancel()` turned true while W samples were drawn; nothing was cached."""


@dataclasses.dataclass(frozen=True, eq=False)
class DirectionSet:
    vectors: np.ndarray                     # [K, w_dim] float32, unit rows.
    sigmas:  np.ndarray                     # [K] float32: the spread sigma_k (standard deviation of w . d_k).
    names:   tuple[str, ...]                # K names.
    values:  np.ndarray | None = None       # [K] float64: SeFa eigenvalues, PCA variances; None for other sets.
    kind:    str = 'file'                   # 'sefa' | 'pca' | 'pose' | 'file'.

    def __post_init__(self) -> None:
        assert self.vectors.ndim == 2 and self.sigmas.shape == (self.vectors.shape[0],) and len(self.names) == len(self.sigmas)

    def __len__(self) -> int:
        return int(self.vectors.shape[0])

# ----------------------------------------------------------------------------
# The affines that read W.


def style_affines(G: torch.nn.Module) -> list[tuple[int, str, torch.Tensor]]:
    """(W index, module name, weight [C, w_dim]) of every style affine that modulates a convolution, in W order.
    StyleGAN3: L{i} reads ws[i + 1] (the input reads ws[0], the last layer is ToRGB). StyleGAN2: each block's convs
    read consecutive ws; ToRGB layers are left out."""
    synthesis = G.synthesis
    found = []
    if hasattr(synthesis, 'layer_names'):
        for idx, name in enumerate(synthesis.layer_names):
            layer = getattr(synthesis, name)
            if not layer.is_torgb:
                found.append((idx + 1, f'synthesis.{name}.affine', layer.affine.weight))
        return found
    w_idx = 0
    for res in synthesis.block_resolutions:
        block = getattr(synthesis, f'b{res}')
        for conv in ('conv0', 'conv1'):
            if hasattr(block, conv):
                found.append((w_idx, f'synthesis.b{res}.{conv}.affine', getattr(block, conv).affine.weight))
                w_idx += 1
    return found


def _check_range(G: torch.nn.Module, first: int, last: int | None) -> tuple[int, int]:
    last = G.num_ws if last is None else last
    if isinstance(first, bool) or isinstance(last, bool) or not (0 <= int(first) < int(last) <= G.num_ws):
        raise DirectionsError(f'W index range [{first}, {last}): expected 0 <= first < last <= num_ws = {G.num_ws}')
    return int(first), int(last)

# ----------------------------------------------------------------------------
# Spread and the edit.


def sample_w(
    G:           torch.nn.Module,           # Generator: its mapping network is used.
    num_samples: int,                       # N.
    seed:        int = 0,                   # z = RandomState(seed).randn(N, z_dim); classes drawn after z.
    progress:    Callable[[int, int], None] | None = None,  # (done, total) after each batch.
    cancel:      Callable[[], bool] | None = None,          # Polled before each batch; True raises DirectionsCancelled.
    batch_size:  int = PCA_BATCH,
) -> np.ndarray:
    """W samples [N, w_dim] float32 (psi = 1, the first W of each)."""
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)) or num_samples < 2:
        raise DirectionsError(f'num_samples = {num_samples!r}: expected an integer >= 2')
    rnd = np.random.RandomState(seed)
    z = rnd.randn(num_samples, G.z_dim)
    c = np.zeros([num_samples, G.c_dim], dtype=np.float32)
    if G.c_dim > 0:
        c[np.arange(num_samples), rnd.randint(G.c_dim, size=num_samples)] = 1
    device = G.mapping.w_avg.device
    out = np.empty([num_samples, G.w_dim], dtype=np.float32)
    with torch.no_grad():
        for start in range(0, num_samples, batch_size):
            if cancel is not None and cancel():
                raise DirectionsCancelled(f'W sampling cancelled after {start} of {num_samples} samples')
            stop = min(start + batch_size, num_samples)
            zb = torch.from_numpy(z[start:stop]).to(device, torch.float32)
            cb = torch.from_numpy(c[start:stop]).to(device)
            out[start:stop] = G.mapping(zb, cb, truncation_psi=1)[:, 0].cpu().numpy()
            if progress is not None:
                progress(stop, num_samples)
    return out


def spreads(vectors: np.ndarray, samples: np.ndarray) -> np.ndarray:
    """[K] float32: the standard deviation of samples . d_k (ddof 1) for each unit row d_k."""
    projected = (samples.astype(np.float64) - samples.mean(axis=0, dtype=np.float64)) @ vectors.astype(np.float64).T
    return projected.std(axis=0, ddof=1).astype(np.float32)


def with_spreads(vectors: np.ndarray, names: tuple[str, ...], kind: str, G: torch.nn.Module,
        values: np.ndarray | None = None, samples: np.ndarray | None = None) -> DirectionSet:
    """A DirectionSet of unit `vectors`, their spreads measured on `samples` (default: SPREAD_SAMPLES from SPREAD_SEED)."""
    if samples is None:
        samples = sample_w(G, SPREAD_SAMPLES, SPREAD_SEED)
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    return DirectionSet(vectors=vectors, sigmas=spreads(vectors, samples), names=tuple(names), values=values, kind=kind)


def edit_offset(directions: DirectionSet, strengths: tuple[float, ...] | list[float] | np.ndarray) -> np.ndarray:
    """sum_k s_k * sigma_k * d_k [w_dim] float32; strengths beyond K are refused, missing ones are 0."""
    strengths = np.asarray(strengths, dtype=np.float64).reshape(-1)
    if strengths.size > len(directions):
        raise DirectionsError(f'{strengths.size} strengths for {len(directions)} directions: expected at most one per direction')
    if not np.isfinite(strengths).all():
        raise DirectionsError(f'strengths {strengths.tolist()}: expected finite numbers')
    k = strengths.size
    offset = (strengths * directions.sigmas[:k].astype(np.float64)) @ directions.vectors[:k].astype(np.float64)
    return offset.astype(np.float32)


def apply_directions(
    ws:         torch.Tensor,               # [N, num_ws, w_dim].
    directions: DirectionSet,
    strengths:  tuple[float, ...] | list[float] | np.ndarray,  # s_k, in units of sigma_k.
    first:      int = 0,                    # The edit applies to W indices [first, last).
    last:       int | None = None,          # None = num_ws.
) -> torch.Tensor:
    """ws with w + sum_k s_k * sigma_k * d_k on the chosen W indices (a new tensor; the one function the viewer and
    the command line share)."""
    if ws.ndim != 3 or ws.shape[2] != directions.vectors.shape[1]:
        raise DirectionsError(f'ws {list(ws.shape)}: expected [N, num_ws, {directions.vectors.shape[1]}]')
    last = ws.shape[1] if last is None else last
    if not 0 <= first < last <= ws.shape[1]:
        raise DirectionsError(f'W index range [{first}, {last}): expected 0 <= first < last <= num_ws = {ws.shape[1]}')
    out = ws.clone()
    out[:, first:last] += torch.from_numpy(edit_offset(directions, strengths)).to(ws)
    return out

# ----------------------------------------------------------------------------
# SeFa, pose, keep pose.


def _eigh_descending(m: np.ndarray, num: int | None) -> tuple[np.ndarray, np.ndarray]:
    """(eigenvalues [K], eigenvectors as rows [K, n]) of a symmetric float64 matrix, largest first (torch's LAPACK
    call: it keeps to torch's thread setting, where numpy's BLAS threads fight over a busy machine)."""
    values, vectors = torch.linalg.eigh(torch.from_numpy(np.ascontiguousarray(m, dtype=np.float64)))
    order = torch.argsort(values, descending=True)[:num]
    return values[order].numpy(), vectors[:, order].T.contiguous().numpy()


def sefa(G: torch.nn.Module, first: int = 0, last: int | None = None, num: int | None = None,
        samples: np.ndarray | None = None) -> DirectionSet:
    """SeFa directions of the style affines reading W indices [first, last), sorted by eigenvalue (largest first)."""
    first, last = _check_range(G, first, last)
    weights = [w.detach().to('cpu', torch.float64).numpy() for idx, _name, w in style_affines(G) if first <= idx < last]
    if not weights:
        raise DirectionsError(f'W indices [{first}, {last}): no style affine reads them (StyleGAN3 W 0 and the last W feed '
            f'the input and ToRGB only); expected a range with at least one convolution layer')
    a = np.concatenate(weights, axis=0)                                         # [sum C, w_dim]
    norms = np.linalg.norm(a, axis=1, keepdims=True)
    a = a[norms[:, 0] > 0] / norms[norms[:, 0] > 0]
    values, vectors = _eigh_descending(a.T @ a, num)
    names = tuple(f'SeFa {i}' for i in range(len(values)))
    return with_spreads(vectors, names, 'sefa', G, values=values, samples=samples)


def pose_subspace(G: torch.nn.Module) -> np.ndarray:
    """[R, w_dim] float32 orthonormal rows spanning the row space of synthesis.input.affine's weight (R = its rank,
    4 for a trained StyleGAN3), in the order of its outputs (r_c, r_s, t_x, t_y), by QR."""
    affine = getattr(getattr(G.synthesis, 'input', None), 'affine', None)
    if affine is None:
        raise DirectionsError(f'{getattr(G, "architecture", type(G).__name__)}: no pose subspace; it exists only in StyleGAN3 '
            f'networks (synthesis.input.affine)')
    weight = affine.weight.detach().to('cpu', torch.float64).numpy()            # [4, w_dim]
    q, r = np.linalg.qr(weight.T)
    diag = np.abs(np.diag(r))
    keep = diag > RANK_TOLERANCE * max(float(diag.max()), 1e-30)
    if not keep.any():
        raise DirectionsError('synthesis.input.affine has a zero weight (an untrained network): there is no pose subspace')
    return np.ascontiguousarray(q[:, keep].T, dtype=np.float32)


def pose(G: torch.nn.Module, samples: np.ndarray | None = None) -> DirectionSet:
    rows = pose_subspace(G)
    return with_spreads(rows, tuple(f'Pose {i}' for i in range(len(rows))), 'pose', G, samples=samples)


def project_out(directions: DirectionSet, subspace: np.ndarray, G: torch.nn.Module, samples: np.ndarray | None = None) -> DirectionSet:
    """The directions with the span of `subspace`'s orthonormal rows removed, renormalised, spreads measured again.
    A direction that lies inside the subspace is refused (nothing is left of it)."""
    v = directions.vectors.astype(np.float64)
    p = subspace.astype(np.float64)
    rest = v - (v @ p.T) @ p
    norms = np.linalg.norm(rest, axis=1)
    inside = [directions.names[i] for i in np.flatnonzero(norms < 1e-6)]
    if inside:
        raise DirectionsError(f'{", ".join(inside)}: inside the pose subspace; keep pose would leave nothing of it')
    return with_spreads(rest / norms[:, None], directions.names, directions.kind, G, values=directions.values, samples=samples)

# ----------------------------------------------------------------------------
# PCA on W, cached.


def pca_of_samples(samples: np.ndarray, num: int | None = None) -> DirectionSet:
    """Principal components of W samples [N, w_dim], largest variance first: the eigenvectors of the covariance of
    the centred samples (the right singular vectors of their SVD, found as a w_dim x w_dim problem); sigma = the
    standard deviation along each (singular value / sqrt(N - 1))."""
    x = samples.astype(np.float64)
    x = x - x.mean(axis=0)
    variances, vectors = _eigh_descending(x.T @ x / (len(x) - 1), num)
    variances = np.maximum(variances, 0.0)
    return DirectionSet(vectors=np.ascontiguousarray(vectors, dtype=np.float32), sigmas=np.sqrt(variances).astype(np.float32),
        names=tuple(f'PC {i}' for i in range(len(variances))), values=variances, kind='pca')


def pca_cache_dir(cache_dir: str | None = None) -> str:
    """`cache_dir`, else $SG3_DIRECTIONS_CACHE, else ~/.cache/sg3-viz/directions."""
    return os.path.expanduser(cache_dir or os.environ.get(CACHE_ENV) or DEFAULT_CACHE)


def mapping_digest(G: torch.nn.Module) -> str:
    """sha256 of the mapping network's tensors (names, shapes, bytes): the identity of what PCA samples."""
    h = hashlib.sha256()
    for name, tensor in sorted(G.mapping.state_dict().items()):
        data = tensor.detach().to('cpu').contiguous()
        h.update(f'{name}:{list(data.shape)}:{data.dtype};'.encode())
        h.update(data.numpy().tobytes())
    return h.hexdigest()


def pca_cache_path(G: torch.nn.Module, num_samples: int, seed: int, cache_dir: str | None = None) -> str:
    key = f'v{CACHE_VERSION}-{mapping_digest(G)}-{G.z_dim}-{G.c_dim}-{num_samples}-{seed}'
    return os.path.join(pca_cache_dir(cache_dir), f'pca-{hashlib.sha256(key.encode()).hexdigest()[:32]}.npz')


def pca(
    G:           torch.nn.Module,
    num_samples: int = PCA_SAMPLES,
    seed:        int = 0,
    num:         int | None = None,         # Components kept (None: all w_dim).
    cache_dir:   str | None = None,         # None: pca_cache_dir().
    use_cache:   bool = True,
    progress:    Callable[[int, int], None] | None = None,
    cancel:      Callable[[], bool] | None = None,
) -> DirectionSet:
    """PCA on W, from the cache when it holds this network's (same mapping weights, N and seed), else sampled and
    then cached (written under a temporary name and renamed). A cache folder that cannot be written is not an error."""
    from sg3 import latent_files
    path = pca_cache_path(G, num_samples, seed, cache_dir) if use_cache else None
    if path is not None and os.path.isfile(path):
        cached = latent_files.read_cached_pca(path, G.w_dim)
        if cached is not None:
            if progress is not None:
                progress(num_samples, num_samples)
            return _first(cached, num)
    result = pca_of_samples(sample_w(G, num_samples, seed, progress=progress, cancel=cancel))
    if path is not None:
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            latent_files.save_directions(path, result)
        except OSError:
            pass                                # Only a cache: the result stands without it.
    return _first(result, num)


def cached_pca(G: torch.nn.Module, num_samples: int = PCA_SAMPLES, seed: int = 0, cache_dir: str | None = None) -> DirectionSet | None:
    """The cached PCA of this network, N and seed, or None when it has not been computed (nothing is sampled)."""
    from sg3 import latent_files
    path = pca_cache_path(G, num_samples, seed, cache_dir)
    return latent_files.read_cached_pca(path, G.w_dim) if os.path.isfile(path) else None


def _first(directions: DirectionSet, num: int | None) -> DirectionSet:
    if num is None or num >= len(directions):
        return directions
    v = None if directions.values is None else directions.values[:num]
    return DirectionSet(directions.vectors[:num], directions.sigmas[:num], directions.names[:num], v, directions.kind)


def compute(G: torch.nn.Module, method: str, first: int = 0, last: int | None = None, num: int | None = None,
        keep_pose: bool = False, **pca_kwargs) -> DirectionSet:
    """The directions of `method` ('sefa' | 'pca' | 'pose'), optionally with the pose subspace projected out."""
    if method not in METHODS:
        raise DirectionsError(f'method {method!r}: expected one of {", ".join(METHODS)}')
    if method == 'sefa':
        result = sefa(G, first, last, num)
    elif method == 'pca':
        result = pca(G, num=num, **pca_kwargs)
    else:
        return pose(G)
    return project_out(result, pose_subspace(G), G) if keep_pose else result
