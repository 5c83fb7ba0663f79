"""Seeded mutations of JSON documents and of the bytes of files, for fuzzing the readers of every file the app reads.

`cases(document, seed, count)` yields (name, bytes, path) triples: the document with one value replaced by a
hostile one (wrong types, huge and tiny numbers, NaN, 1e400, huge strings and integers, lone surrogates, deep
nesting), a key removed or added, a value wrapped; and the serialized file truncated, bit-flipped, padded,
re-encoded. `path` is the JSON path (keys and indices) of a value mutation, else None.
`array_cases(arrays, seed, count)` does the same for .npy / .npz files: shapes, dtypes (object arrays pickled), NaN / inf,
hostile header shapes and versions, archive members dropped, renamed, nested or by thousands, and the bytes damaged.
"""

from __future__ import annotations

import copy
import io
import json
import random
import re
import zipfile
from typing import Any, Iterator

import numpy as np

TYPED_VALUES = {                                 # Values of the same JSON type, at the edges: often accepted, then used.
    str: ['', ' ', 'a' * 100_000, '\ud800', '\u0000', '\u202e\u0645\U0001F600', '../../../../etc/passwd', '~/x', '~nosuchuser/x',
        'builtin:', 'http://', 'NaN', '/dev/zero', '/'],
    int: [0, -1, -2 ** 63, 2 ** 64, 10 ** 30, 2 ** 31 - 1],
    float: [0.0, -0.0, 5e-324, 1e308, -1e308, 1e-9, 1e15 + 0.3, 360.0 * 1e6],
    list: [[], [True] * 1000, [False]],
}
RAW = '\u0001RAW\u0001'                          # Placeholder whose JSON string is replaced by raw text.

HOSTILE_VALUES: list[Any] = [
    None, True, False, 0, -1, 1, 2 ** 31, -2 ** 63, 2 ** 64, 10 ** 30, 1e308, -1e308, 5e-324, -0.0, 0.5, 1e15 + 0.3,
    '', 'x', ' ', '\u0000', 'a' * 100_000, '\ud800', '\u202e\u0645', '../../../../etc/passwd', '~', 'C:\\nul', 'http://',
    [], [1, 2, 3], [None], ['x'] * 1000, {}, {'unknown': 1}, [[[[[]]]]], {'': {'': {'': None}}},
]
RAW_VALUES = ['NaN', '-Infinity', 'Infinity', '1e400', '-1e400', '1' * 5000, '[' * 50_000 + ']' * 50_000, '{"a":' * 30_000 + '1' + '}' * 30_000]


def paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path (tuple of keys and indices) to a value inside `value`, the root excluded."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            found.append(prefix + (key,))
            found += paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value[:20]):
            found.append(prefix + (index,))
            found += paths(item, prefix + (index,))
    return found


def _get(doc: Any, path: tuple) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def _parent(doc: Any, path: tuple) -> Any:
    return _get(doc, path[:-1])


def dumps(doc: Any) -> bytes:
    """JSON text with RAW placeholders ("\u0001RAW\u0001<index into RAW_VALUES>") replaced by their raw text."""
    text = json.dumps(doc, allow_nan=True)
    for index, raw in enumerate(RAW_VALUES):
        text = text.replace(json.dumps(f'{RAW}{index}'), raw)
    return text.encode('utf-8', 'surrogatepass')


def mutate_value(doc: Any, rng: random.Random) -> tuple[str, Any, tuple | None]:
    """One structural mutation of a copy of `doc`: (description, new document, path of the changed value or None)."""
    doc = copy.deepcopy(doc)
    candidates = paths(doc)
    op = rng.choice(['typed', 'typed', 'typed', 'replace', 'replace', 'raw', 'delete', 'add', 'wrap'])
    if not candidates or op == 'add':
        dicts = [p for p in candidates if isinstance(_get(doc, p), dict)]
        target = _get(doc, rng.choice(dicts)) if dicts and rng.random() < 0.8 else doc
        target[rng.choice(['unknown', 'zoom ', 'x' * 200, '', '\u0000'])] = rng.choice(HOSTILE_VALUES[:12])
        return 'add an unknown key', doc, None
    path = rng.choice(candidates)
    parent = _parent(doc, path)
    if op == 'delete':
        if isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent.pop(path[-1])
        return f'delete {path}', doc, None
    if op == 'wrap':
        parent[path[-1]] = rng.choice([[parent[path[-1]]], {'value': parent[path[-1]]}])
        return f'wrap {path}', doc, path
    if op == 'raw':
        index = rng.randrange(len(RAW_VALUES))
        parent[path[-1]] = f'{RAW}{index}'
        return f'{path} = {RAW_VALUES[index][:12]}...', doc, None    # The parser refuses it before any field is known.
    current = parent[path[-1]]
    if op == 'typed' and type(current) in TYPED_VALUES:
        value = rng.choice(TYPED_VALUES[type(current)])
        if isinstance(current, float) and rng.random() < 0.5:
            value = rng.choice([2 ** 53, -10 ** 12, 10 ** 12])         # A whole number where a float goes.
        parent[path[-1]] = copy.deepcopy(value)
        return f'{path} = {repr(value)[:30]}', doc, path
    value = rng.choice(HOSTILE_VALUES)
    parent[path[-1]] = copy.deepcopy(value)
    return f'{path} = {repr(value)[:30]}', doc, path


def mutate_bytes(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    op = rng.choice(['truncate', 'flip', 'insert', 'bom', 'utf16', 'latin1', 'garbage', 'empty', 'spaces', 'nul'])
    if op == 'truncate':
        cut = rng.randrange(len(data))
        return f'truncated at {cut}', data[:cut]
    if op == 'flip':
        out = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
        return 'bits flipped', bytes(out)
    if op == 'insert':
        at = rng.randrange(len(data))
        return 'bytes inserted', data[:at] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 16))) + data[at:]
    if op == 'bom':
        return 'UTF-8 BOM', b'\xef\xbb\xbf' + data
    if op == 'utf16':
        return 'UTF-16', data.decode('utf-8', 'replace').encode('utf-16')
    if op == 'latin1':
        return 'latin-1 bytes', data.replace(b'"', b'"\xe9', 1)
    if op == 'garbage':
        return 'random bytes', bytes(rng.randrange(256) for _ in range(rng.randint(1, 4096)))
    if op == 'empty':
        return 'empty', b''
    if op == 'spaces':
        return 'whitespace', b' \n\t' * 100
    return 'NUL bytes', b'\0' * 64


def cases(doc: Any, seed: int, count: int) -> Iterator[tuple[str, bytes, tuple | None]]:
    """`count` seeded cases: about three in four mutate the document, the rest its bytes."""
    rng = random.Random(seed)
    base = dumps(doc)
    for index in range(count):
        if rng.random() < 0.75:
            what, mutated, path = mutate_value(doc, rng)
            if rng.random() < 0.3:                               # Now and then two mutations at once.
                more, mutated, _ = mutate_value(mutated, rng)
                what, path = f'{what}; {more}', None
            yield f'#{index} {what}', dumps(mutated), path
        else:
            what, data = mutate_bytes(base, rng)
            yield f'#{index} {what}', data, None

# ----------------------------------------------------------------------------
# Array files (.npy / .npz): latents and direction sets.

HOSTILE_SHAPES = [(), (0,), (1,), (7,), (2, 3), (0, 8), (1, 1, 1, 1), (3, 0, 8), (100_000,)]
HOSTILE_DTYPES = ['complex64', 'bool', 'U5', 'S3', 'float16', 'int8', 'uint64', '>f4', '<f8', 'datetime64[s]', 'timedelta64[s]', 'object',
    [('a', '<f4'), ('b', '<f4')]]
HUGE_SHAPES = ['(1000000000000,)', '(4611686018427387904, 2)', '(1, 99999999, 512)', '(-1, 8)', '(8, "x")', '()', '[1, 2]']


def npy_bytes(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    np.lib.format.write_array(out, array, allow_pickle=True)
    return out.getvalue()


def npz_bytes(members: dict[str, bytes], compress: bool = False) -> bytes:
    """An .npz of raw member bytes (names as given: np.savez adds .npy)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def with_header_shape(data: bytes, shape: str) -> bytes:
    """An .npy whose header declares `shape` (text) over the same data, the header padded as numpy pads it."""
    length = int.from_bytes(data[8:10], 'little')
    header = data[10:10 + length].decode('latin1')
    header = re.sub(r"'shape': \([^)]*\)", f"'shape': {shape}", header).rstrip('\n').rstrip(' ')
    header += ' ' * (-(10 + len(header) + 1) % 64) + '\n'
    return data[:8] + len(header).to_bytes(2, 'little') + header.encode('latin1') + data[10 + length:]


def _mutate_array(array: np.ndarray, rng: random.Random) -> tuple[str, bytes]:
    """One array-level mutation of one array: its shape, its dtype, non-finite values, its header's shape or version."""
    op = rng.choice(['shape', 'shape', 'dtype', 'dtype', 'nonfinite', 'nonfinite', 'header', 'version', 'fortran'])
    if op == 'shape':
        grown = (array.shape[0] + 1,) + array.shape[1:] if array.ndim else (2,)
        shape = rng.choice(HOSTILE_SHAPES + [array.shape[::-1], array.shape + (1,), grown])
        return f'shape {shape}', npy_bytes(np.ones(shape, np.float32))
    if op == 'dtype':
        dtype = np.dtype(rng.choice(HOSTILE_DTYPES))
        if dtype.hasobject:
            return 'object array (pickled)', npy_bytes(np.array([{'w': 1}] * max(array.size, 1), dtype=object))
        try:
            return f'dtype {dtype}', npy_bytes(array.astype(dtype))
        except (TypeError, ValueError):
            return f'dtype {dtype}', npy_bytes(np.zeros(array.shape, dtype))
    if op == 'nonfinite':
        out = array.astype(np.float64 if rng.random() < 0.3 and array.dtype.kind == 'f' else array.dtype, copy=True)
        if out.dtype.kind == 'f' and out.size:
            with np.errstate(over='ignore'):                  # 1e300 in a float32 file is inf.
                out.flat[rng.randrange(out.size)] = rng.choice([float('nan'), float('inf'), -float('inf'), 1e300])
        return 'non-finite value', npy_bytes(out)
    data = npy_bytes(array)
    if op == 'header':
        shape = rng.choice(HUGE_SHAPES)
        return f'header shape {shape}', with_header_shape(data, shape)
    if op == 'version':
        return 'format version 9.0', data[:6] + bytes([9, 0]) + data[8:]
    return 'Fortran order', npy_bytes(np.asfortranarray(array))


def array_cases(arrays: dict[str, np.ndarray], seed: int, count: int) -> Iterator[tuple[str, bytes, str]]:
    """`count` seeded (description, file bytes, extension) cases around a valid file of `arrays` ({'': a} is an .npy):
    about half mutate one array (_mutate_array), a quarter the archive's members, the rest the file's bytes (mutate_bytes)."""
    rng = random.Random(seed)
    single = list(arrays) == ['']
    for index in range(count):
        members = {f'{name}.npy': npy_bytes(a) for name, a in arrays.items()}
        roll = rng.random()
        if roll < 0.5:
            name = rng.choice(list(arrays))
            what, members[f'{name}.npy'] = _mutate_array(arrays[name], rng)
            what = f'[{name}] {what}'
        elif roll < 0.75 and not single:
            op = rng.choice(['drop', 'rename', 'extra', 'not npy', 'folder', 'nested', 'many'])
            key = rng.choice(list(members))
            if op == 'drop':
                del members[key]
            elif op == 'rename':
                members[rng.choice(['W.npy', 'latent.npy', '.npy', 'w', '../w.npy'])] = members.pop(key)
            elif op == 'extra':
                members['extra.npy'] = npy_bytes(np.zeros(3, np.float32))
            elif op == 'not npy':
                members['readme.txt'] = b'not an array'
            elif op == 'folder':
                members['sub/'] = b''
            elif op == 'nested':
                members['inner.npy'] = npz_bytes(dict(members))
            else:
                members.update({f'm{i}.npy': npy_bytes(np.zeros(1, np.float32)) for i in range(5000)})
            what = f'{op} {key}'
        else:
            base = members['.npy'] if single else npz_bytes(members, compress=rng.random() < 0.5)
            what, data = mutate_bytes(base, rng)
            yield f'#{index} {what}', data, '.npy' if single else '.npz'
            continue
        data = members['.npy'] if single else npz_bytes(members, compress=rng.random() < 0.5)
        yield f'#{index} {what}', data, '.npy' if single else '.npz'
