"""Files of directions and of W / W+ latents (.npy / .npz), read with numpy's pickle-free loader.

Direction sets:
- `.npy` of shape [K, w_dim] or [w_dim] (one direction; InterFaceGAN's boundaries are [1, w_dim]);
- `.npz` in our format (`save_directions`): `directions` [K, w_dim], `sigmas` [K], `names` [K] (text), optional
  `values` [K] and `kind`; or any other `.npz` whose arrays are named directions of shape [w_dim] or [1, w_dim].
Latents:
- `.npy` / `.npz` of shape [w_dim] (one W for every index), [num_ws, w_dim] (W+) or [N, num_ws, w_dim] (N of them;
  [1, w_dim] is one W too). In an `.npz` the array is `w` (NVIDIA's projector: `projected_w.npz`, [1, num_ws, w_dim]),
  else `ws`, else its only array. `save_latents` writes the projector's format.
Every problem is a LatentFileError naming the file and the shape or key expected. Writes go to a temporary name in
the same folder and are renamed when complete.
"""

from __future__ import annotations

import math
import os
import stat
import tokenize
import zipfile
import zlib
from typing import Any, BinaryIO

import numpy as np
from numpy.lib import format as npy_format

from sg3.directions import DirectionSet, DirectionsError
from sg3.errors import Sg3Error
from sg3.files import atomic_write

EXTENSIONS = ('.npy', '.npz')
MAX_FILE_BYTES = 256 << 20                  # Larger files (or .npz unpacking to more) are refused before reading.
MAX_MEMBERS = 4096                          # Arrays of an .npz.
LATENT_KEYS = ('w', 'ws')                   # Keys of a latent .npz, in the order they are looked for.
DIRECTION_KINDS = ('sefa', 'pca', 'pose', 'file')


class LatentFileError(Sg3Error):
    """A direction or latent file that cannot be used: missing, unreadable, wrong shape, not finite."""


# ----------------------------------------------------------------------------
# Reading arrays.


def _read_arrays(path: str) -> dict[str, np.ndarray]:
    """{name: array} of an .npz, or {'': array} of an .npy; LatentFileError for anything else. Nothing is unpickled, and
    no array is allocated before its header's shape is checked against the bytes the file holds (a hostile header
    cannot ask for terabytes, a zip bomb cannot unpack past MAX_FILE_BYTES); FIFOs and devices are never opened."""
    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower()
    if ext not in EXTENSIONS:
        raise LatentFileError(f'{path}: expected a .npy or .npz file')
    try:
        mode = os.stat(path).st_mode
        if stat.S_ISDIR(mode):
            raise LatentFileError(f'{path}: a folder; expected a .npy or .npz file')
        if not stat.S_ISREG(mode):
            raise LatentFileError(f'{path}: not a regular file (a FIFO, device or socket); expected a .npy or .npz file')
        size = os.path.getsize(path)
        if size > MAX_FILE_BYTES:
            raise LatentFileError(f'{path}: {size / 2**20:.0f} MB; expected at most {MAX_FILE_BYTES >> 20} MB')
        with open(path, 'rb') as f:
            if ext == '.npy':
                return {'': _read_npy(f, size, path)}
            with zipfile.ZipFile(f) as archive:
                return _read_npz(archive, path)
    except LatentFileError:
        raise
    except FileNotFoundError:
        raise LatentFileError(f'{path}: no such file; expected an existing .npy or .npz file') from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, NotImplementedError, RuntimeError) as e:
        # zlib.error: a damaged deflate stream; RuntimeError: an encrypted member; NotImplementedError: a compression
        # method zipfile lacks.
        raise LatentFileError(f'{path}: not a readable {ext} array file ({type(e).__name__}: {e}); expected '
            f'{"an .npy array (np.save)" if ext == ".npy" else "an .npz archive of arrays (np.savez)"}') from None


def _read_npz(archive: zipfile.ZipFile, path: str) -> dict[str, np.ndarray]:
    """The .npy members of an .npz (np.savez names them NAME.npy), each read by _read_npy within its declared size."""
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise LatentFileError(f'{path}: {len(members)} members; expected at most {MAX_MEMBERS} arrays')
    total = sum(info.file_size for info in members)
    if total > MAX_FILE_BYTES:
        raise LatentFileError(f'{path}: unpacks to {total / 2**20:.0f} MB; expected at most {MAX_FILE_BYTES >> 20} MB')
    arrays = {}
    for info in members:
        if not info.filename.endswith('.npy') or info.is_dir():
            raise LatentFileError(f'{path}: member {info.filename[:100]!r} is not a .npy array; expected an .npz of arrays (np.savez)')
        with archive.open(info) as member:
            arrays[info.filename[:-len('.npy')]] = _read_npy(member, info.file_size, f'{path} [{info.filename[:-4]}]')
    return arrays


def _read_npy(f: BinaryIO, size: int, where: str) -> np.ndarray:
    """One .npy array from `f` (`size` bytes from its start): header first, refusing Python objects and shapes whose
    data the bytes cannot hold, then the data (np.lib.format with allow_pickle=False)."""
    start = f.tell()
    version = npy_format.read_magic(f)
    if version not in ((1, 0), (2, 0)):
        raise LatentFileError(f'{where}: .npy format version {version[0]}.{version[1]}; expected 1.0 or 2.0')
    read_header = npy_format.read_array_header_1_0 if version == (1, 0) else npy_format.read_array_header_2_0
    try:
        shape, _fortran, dtype = read_header(f)
    except (SyntaxError, tokenize.TokenError, TypeError, ValueError) as e:   # numpy parses the header as Python literals.
        raise LatentFileError(f'{where}: unreadable .npy header ({type(e).__name__}: {e}); expected a header written by np.save') from None
    if dtype.hasobject:
        raise LatentFileError(f'{where}: an array of Python objects (dtype {dtype}), refused unread: it would need unpickling; '
            f'expected numbers')
    needed = math.prod(shape) * dtype.itemsize
    if needed > size - (f.tell() - start):
        raise LatentFileError(f'{where}: header says shape {list(shape)} of {dtype} ({needed} bytes) but the file holds '
            f'{size - (f.tell() - start)}; expected a complete array')
    f.seek(start)
    return npy_format.read_array(f, allow_pickle=False)


def _float_array(path: str, key: str, array: np.ndarray) -> np.ndarray:
    where = f'{path}' + (f' [{key}]' if key else '')
    if array.dtype.kind not in 'fiu':
        raise LatentFileError(f'{where}: dtype {array.dtype}; expected floating-point numbers')
    if not np.isfinite(array).all():
        raise LatentFileError(f'{where}: holds NaN or infinite values; expected finite numbers')
    with np.errstate(over='ignore'):
        array = array.astype(np.float32)
    if not np.isfinite(array).all():
        raise LatentFileError(f'{where}: holds values beyond the float32 range; expected magnitudes below {np.finfo(np.float32).max:.3g}')
    return array

# ----------------------------------------------------------------------------
# Latents.


def load_latents(path: str, num_ws: int, w_dim: int) -> np.ndarray:
    """[N, num_ws, w_dim] float32 (N >= 1) from a latent file; a single W is repeated over all num_ws indices."""
    arrays = _read_arrays(path)
    key = next((k for k in LATENT_KEYS if k in arrays), None)
    if key is None:
        if len(arrays) != 1:
            raise LatentFileError(f'{path}: arrays {", ".join(sorted(arrays)) or "none"}; expected one named '
                f'{" or ".join(LATENT_KEYS)} (NVIDIA projector format) or a single array')
        key = next(iter(arrays))
    array = _float_array(path, key, arrays[key])
    shape = tuple(array.shape)
    if shape in ((w_dim,), (1, w_dim)):
        return np.ascontiguousarray(np.broadcast_to(array.reshape(1, 1, w_dim), (1, num_ws, w_dim)))
    if shape == (num_ws, w_dim):
        return array[None].copy()
    if len(shape) == 3 and shape[1:] == (num_ws, w_dim) and shape[0] >= 1:
        return np.ascontiguousarray(array)
    raise LatentFileError(f'{path}{f" [{key}]" if key else ""}: shape {list(shape)}; expected [{w_dim}], [{num_ws}, {w_dim}] '
        f'or [N, {num_ws}, {w_dim}] (W or W+ for a network with num_ws = {num_ws}, w_dim = {w_dim})')


def save_latents(path: str, ws: np.ndarray) -> str:
    """W+ [1, num_ws, w_dim] (or [num_ws, w_dim]) as NVIDIA's projector writes it: .npz with `w` [1, num_ws, w_dim] float32."""
    ws = np.asarray(ws, dtype=np.float32)
    if ws.ndim == 2:
        ws = ws[None]
    if ws.ndim != 3 or not np.isfinite(ws).all():
        raise LatentFileError(f'{path}: latents of shape {list(ws.shape)}; expected finite [1, num_ws, w_dim]')
    if not str(path).lower().endswith('.npz'):
        raise LatentFileError(f'{path}: W+ is written as .npz (key w, as NVIDIA\'s projector); expected a name ending in .npz')
    return atomic_write(path, lambda f: np.savez(f, w=ws))

# ----------------------------------------------------------------------------
# Direction sets.


def load_directions(path: str, w_dim: int) -> tuple[np.ndarray, tuple[str, ...], np.ndarray | None, np.ndarray | None, str]:
    """(unit vectors [K, w_dim], names, sigmas [K] or None, values [K] or None, kind) of a direction file. Spreads
    not stored in the file are measured by the caller (sg3.directions.with_spreads)."""
    arrays = _read_arrays(path)
    sigmas = values = None
    kind = 'file'
    if '' in arrays or 'directions' in arrays:
        key = '' if '' in arrays else 'directions'
        vectors = _float_array(path, key, arrays[key])
        if vectors.ndim == 1:
            vectors = vectors[None]
        if vectors.ndim != 2 or vectors.shape[1] != w_dim or vectors.shape[0] < 1:
            raise LatentFileError(f'{path}{f" [{key}]" if key else ""}: shape {list(arrays[key].shape)}; expected [K, {w_dim}] '
                f'or [{w_dim}] (directions in W for w_dim = {w_dim})')
        names = _names(path, arrays.get('names'), len(vectors))
        sigmas = _optional(path, arrays, 'sigmas', len(vectors))
        values = _optional(path, arrays, 'values', len(vectors))
        if 'kind' in arrays and str(arrays['kind']) in DIRECTION_KINDS:
            kind = str(arrays['kind'])
    else:
        rows = []
        for name, array in arrays.items():
            array = _float_array(path, name, array)
            if array.shape not in ((w_dim,), (1, w_dim)):
                raise LatentFileError(f'{path} [{name}]: shape {list(array.shape)}; expected [{w_dim}] or [1, {w_dim}] '
                    f'(one named direction per array), or an array named directions [K, {w_dim}]')
            rows.append(array.reshape(w_dim))
        if not rows:
            raise LatentFileError(f'{path}: no arrays; expected directions [K, {w_dim}] or named [{w_dim}] arrays')
        vectors, names = np.stack(rows), tuple(arrays)
    norms = np.linalg.norm(vectors.astype(np.float64), axis=1)
    if (norms == 0).any():
        raise LatentFileError(f'{path}: direction {names[int(np.flatnonzero(norms == 0)[0])]!r} is all zeros; expected non-zero vectors')
    if sigmas is not None and not (sigmas > 0).all():
        raise LatentFileError(f'{path} [sigmas]: expected positive spreads')
    return (vectors / norms[:, None]).astype(np.float32), names, sigmas, values, kind


def _names(path: str, array: np.ndarray | None, count: int) -> tuple[str, ...]:
    if array is None:
        return tuple(f'd{i}' for i in range(count))
    if array.dtype.kind != 'U' or array.shape != (count,):
        raise LatentFileError(f'{path} [names]: {array.dtype} {list(array.shape)}; expected {count} strings')
    return tuple(str(n) for n in array)


def _optional(path: str, arrays: dict, key: str, count: int) -> np.ndarray | None:
    if key not in arrays:
        return None
    array = _float_array(path, key, arrays[key])
    if array.shape != (count,):
        raise LatentFileError(f'{path} [{key}]: shape {list(array.shape)}; expected [{count}] (one per direction)')
    return array


def save_directions(path: str, directions: DirectionSet, names: tuple[str, ...] | None = None) -> str:
    """Our .npz: directions, sigmas, names (renamed by `names` where given), values and kind."""
    if not str(path).lower().endswith('.npz'):
        raise LatentFileError(f'{path}: direction sets are written as .npz; expected a name ending in .npz')
    names = tuple(directions.names) if names is None else tuple(names) + tuple(directions.names[len(names):])
    arrays = dict(directions=directions.vectors.astype(np.float32), sigmas=directions.sigmas.astype(np.float32),
        names=np.array(names[:len(directions)], dtype=str), kind=np.array(directions.kind))
    if directions.values is not None:
        arrays['values'] = np.asarray(directions.values, dtype=np.float64)
    return atomic_write(path, lambda f: np.savez(f, **arrays))


def read_cached_pca(path: str, w_dim: int) -> DirectionSet | None:
    """The PCA a cache file holds, or None if it is unreadable or not a PCA of this w_dim (then it is recomputed)."""
    try:
        vectors, names, sigmas, values, kind = load_directions(path, w_dim)
    except (LatentFileError, DirectionsError):
        return None
    if kind != 'pca' or sigmas is None:
        return None
    return DirectionSet(vectors=vectors, sigmas=sigmas, names=names, values=values, kind='pca')


def direction_set(path: str, G: Any, samples: np.ndarray | None = None) -> DirectionSet:
    """A direction file as a DirectionSet for G: its spreads from the file, else measured on W samples."""
    from sg3 import directions as dirs
    vectors, names, sigmas, values, kind = load_directions(path, G.w_dim)
    if sigmas is not None:
        return DirectionSet(vectors=vectors, sigmas=sigmas, names=names, values=values, kind=kind)
    return dirs.with_spreads(vectors, names, kind, G, values=values, samples=samples)
