"""Restricted reading of NVIDIA's network pickles: nothing from the file is ever executed.

The unpickler resolves only the handful of globals that NVIDIA's format needs
(`../shared/spec/checkpoint-format.md`) and maps each of them to a harmless stand-in of ours:
persistent objects become inert `PersistentRecord`s (their `module_src` is never executed), storages
stay unread `StorageRecord`s until the caller asks for a tensor, and numpy values are rebuilt from
validated raw bytes. Every other global is refused by name. Tensors are materialized only for the
network the caller picks, each storage blob with PyTorch's weights-only loader.
"""

import collections
import dataclasses
import io
import math
import pickle
import reprlib
import zipfile

import numpy as np
import torch

#----------------------------------------------------------------------------

PERSISTENCE_VERSION = 6                     # The `version` NVIDIA's persistence writes into every object.
TORCH_SAVE_MAGIC = 0x1950a86a20f9469cfc6c   # First pickled value of a legacy `torch.save` file.
MAX_MODULE_DEPTH = 64                       # Deepest `_modules` nesting we follow before calling a file broken.

class FormatProblem(Exception):
    """The pickle is not what we expected. The caller turns it into a CheckpointError naming the file."""

def short_repr(value) -> str:
    """A bounded repr for messages about untrusted values."""
    limiter = reprlib.Repr()
    limiter.maxstring = limiter.maxother = 60
    limiter.maxlist = limiter.maxtuple = limiter.maxdict = 6
    try:
        return limiter.repr(value)
    except Exception: # repr of an untrusted record can fail in many ways; the message must not.
        return f'<{type(value).__name__}>'

#----------------------------------------------------------------------------
# Stand-ins for NVIDIA's persistence and dnnlib.

@dataclasses.dataclass(frozen=True, eq=False)
class PersistentRecord:
    """An object written by NVIDIA's `persistence` module, kept as data. Never turned into a class."""
    class_name: str     # Name of the class in its `module_src`, e.g. 'Generator', 'SynthesisLayer'.
    state:      dict    # The instance `__dict__`: `_parameters`, `_buffers`, `_modules`, `_init_kwargs`, ...

    @property
    def init_kwargs(self) -> dict:
        kwargs = self.state.get('_init_kwargs', {})
        return kwargs if isinstance(kwargs, dict) else {}

    @property
    def init_args(self) -> tuple:
        args = self.state.get('_init_args', ())
        return args if isinstance(args, (tuple, list)) else ()

    def children(self) -> dict:
        """The `_modules` entries that are persistent objects (None entries and others left out)."""
        modules = self.state.get('_modules', {})
        if not isinstance(modules, dict):
            return {}
        return {name: child for name, child in modules.items() if isinstance(name, str) and isinstance(child, PersistentRecord)}

    def __setstate__(self, state):
        raise pickle.UnpicklingError('persistent object received extra pickled state (BUILD)')

def reconstruct_persistent_obj(meta):
    """Stand-in for `torch_utils.persistence._reconstruct_persistent_obj`: checks `meta`, runs nothing."""
    if not isinstance(meta, dict):
        raise FormatProblem(f'a persistent object was described by {type(meta).__name__}, expected a dict')
    if meta.get('type') != 'class':
        raise FormatProblem(f'unknown persistent object type {short_repr(meta.get("type"))}; expected \'class\'')
    if meta.get('version') != PERSISTENCE_VERSION:
        raise FormatProblem(f'unknown persistence version {short_repr(meta.get("version"))}; '
            f'this loader reads version {PERSISTENCE_VERSION} (NVIDIA\'s StyleGAN2-ADA and StyleGAN3 code)')
    class_name = meta.get('class_name')
    state = meta.get('state')
    if not isinstance(class_name, str) or not isinstance(state, dict) or not isinstance(meta.get('module_src'), str):
        raise FormatProblem('a persistent object lacks a str class_name, a str module_src or a dict state')
    return PersistentRecord(class_name=class_name, state=state)

class EasyDict(dict):
    """Stand-in for `dnnlib.util.EasyDict`: a plain dict subclass with no behaviour of its own."""
    def __setstate__(self, state):
        raise pickle.UnpicklingError('EasyDict received extra pickled state (BUILD)')

#----------------------------------------------------------------------------
# Stand-ins for torch's tensor reduction: nothing is read until `materialize` is called.

@dataclasses.dataclass(frozen=True, eq=False)
class StorageRecord:
    blob: bytes     # A complete `torch.save` of one storage (legacy or zip format), still unread.

    def __setstate__(self, state):
        raise pickle.UnpicklingError('storage received extra pickled state (BUILD)')

@dataclasses.dataclass(frozen=True, eq=False)
class TensorRecord:
    storage:    StorageRecord   # Where the elements live.
    offset:     int             # Storage offset, in elements.
    size:       tuple           # Shape.
    stride:     tuple           # Stride, in elements.

    def __setstate__(self, state):
        raise pickle.UnpicklingError('tensor received extra pickled state (BUILD)')

def _is_int_tuple(value) -> bool:
    return isinstance(value, (tuple, list)) and all(type(item) is int and item >= 0 for item in value)

def load_from_bytes(blob):
    """Stand-in for `torch.storage._load_from_bytes`: keeps the bytes, does not load them yet."""
    if not isinstance(blob, bytes):
        raise FormatProblem(f'a storage was given as {type(blob).__name__}, expected bytes')
    return StorageRecord(blob)

def rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None, metadata=None):
    """Stand-in for `torch._utils._rebuild_tensor_v2`: validates the layout, returns a record."""
    del requires_grad, backward_hooks, metadata # Irrelevant for inference.
    if not isinstance(storage, StorageRecord):
        raise FormatProblem(f'a tensor refers to {type(storage).__name__} instead of a storage')
    if type(storage_offset) is not int or storage_offset < 0 or not _is_int_tuple(size) or not _is_int_tuple(stride) or len(size) != len(stride):
        raise FormatProblem(f'a tensor has an invalid layout: offset {short_repr(storage_offset)}, size {short_repr(size)}, stride {short_repr(stride)}')
    return TensorRecord(storage=storage, offset=storage_offset, size=tuple(size), stride=tuple(stride))

def rebuild_parameter(data, requires_grad=False, backward_hooks=None):
    """Stand-in for `torch._utils._rebuild_parameter`: a parameter is just its tensor here."""
    del requires_grad, backward_hooks
    if not isinstance(data, TensorRecord):
        raise FormatProblem(f'a parameter wraps {type(data).__name__} instead of a tensor')
    return data

#----------------------------------------------------------------------------
# Stand-ins for numpy: values rebuilt from raw bytes, only for plain numeric dtypes.

NUMERIC_DTYPES = frozenset(['b1', 'i1', 'u1', 'i2', 'u2', 'i4', 'u4', 'i8', 'u8', 'f2', 'f4', 'f8', 'c8', 'c16'])

class DtypeRecord:
    """Stand-in for `numpy.dtype(spec, align, copy)` followed by BUILD with numpy's dtype state."""
    __slots__ = ('spec', 'byteorder')

    def __init__(self, spec, align=False, copy=False):
        del align, copy
        if spec not in NUMERIC_DTYPES:
            raise FormatProblem(f'numpy dtype {short_repr(spec)} is not allowed; expected one of {sorted(NUMERIC_DTYPES)}')
        self.spec = spec
        self.byteorder = '='

    def __setstate__(self, state):
        if not isinstance(state, tuple) or len(state) < 2 or state[1] not in ('<', '>', '|', '='):
            raise FormatProblem(f'numpy dtype state {short_repr(state)} is not a plain numeric dtype')
        self.byteorder = state[1]

    def resolve(self) -> np.dtype:
        dtype = np.dtype(self.spec)
        return dtype.newbyteorder(self.byteorder) if self.byteorder in '<>' else dtype

class NdarrayType:
    """Stand-in for the `numpy.ndarray` global: only ever used as an argument of `_reconstruct`."""
    def __init__(self):
        raise FormatProblem('numpy.ndarray may only appear as an argument of _reconstruct')

@dataclasses.dataclass(eq=False)
class NdarrayRecord:
    """Stand-in for `numpy.core.multiarray._reconstruct(ndarray, (0,), b'b')`; BUILD fills `array`."""
    array: np.ndarray|None = None

    def __setstate__(self, state):
        if self.array is not None or not isinstance(state, tuple) or len(state) != 5:
            raise FormatProblem(f'numpy array state {short_repr(state)} is not (version, shape, dtype, is_fortran, data)')
        _version, shape, dtype, is_fortran, data = state
        if not _is_int_tuple(shape) or not isinstance(dtype, DtypeRecord) or not isinstance(data, bytes):
            raise FormatProblem('numpy array state has an invalid shape, dtype or data')
        dtype = dtype.resolve()
        if math.prod(shape) * dtype.itemsize != len(data):
            raise FormatProblem(f'numpy array of shape {list(shape)} and dtype {dtype} has {len(data)} bytes of data')
        self.array = np.frombuffer(data, dtype=dtype).reshape(shape, order='F' if is_fortran else 'C').copy()

def ndarray_reconstruct(cls, shape, typecode):
    del shape, typecode
    if cls is not NdarrayType:
        raise FormatProblem(f'numpy _reconstruct of {short_repr(cls)}; expected numpy.ndarray')
    return NdarrayRecord()

def numpy_scalar(dtype, data):
    """Stand-in for `numpy.core.multiarray.scalar(dtype, bytes)`."""
    if not isinstance(dtype, DtypeRecord) or not isinstance(data, bytes):
        raise FormatProblem('numpy scalar is not (dtype, bytes)')
    dtype = dtype.resolve()
    if len(data) != dtype.itemsize:
        raise FormatProblem(f'numpy scalar of dtype {dtype} has {len(data)} bytes, expected {dtype.itemsize}')
    return np.frombuffer(data, dtype=dtype)[0]

#----------------------------------------------------------------------------
# The allow-list and the unpickler.

ALLOWED_GLOBALS = {
    ('torch_utils.persistence', '_reconstruct_persistent_obj'): reconstruct_persistent_obj,
    ('dnnlib.util', 'EasyDict'):                                EasyDict,
    ('collections', 'OrderedDict'):                             collections.OrderedDict,
    ('torch._utils', '_rebuild_tensor_v2'):                     rebuild_tensor_v2,
    ('torch._utils', '_rebuild_parameter'):                     rebuild_parameter,
    ('torch.storage', '_load_from_bytes'):                      load_from_bytes,
    ('numpy', 'dtype'):                                         DtypeRecord,
    ('numpy', 'ndarray'):                                       NdarrayType,
    ('builtins', 'set'):                                        set, # Sets under pickle protocols 2 and 3 (Python 3.7 writers).
}
for _numpy_module in ['numpy.core.multiarray', 'numpy._core.multiarray']:
    ALLOWED_GLOBALS[(_numpy_module, 'scalar')] = numpy_scalar
    ALLOWED_GLOBALS[(_numpy_module, '_reconstruct')] = ndarray_reconstruct

class RestrictedUnpickler(pickle.Unpickler):
    """Resolves only ALLOWED_GLOBALS, to our stand-ins. Nothing is imported, nothing from the file runs."""

    def find_class(self, module, name):
        stand_in = ALLOWED_GLOBALS.get((module, name))
        if stand_in is None and str(module).startswith('dnnlib.tflib'):
            raise FormatProblem('this is a TensorFlow StyleGAN / StyleGAN2 pickle (dnnlib.tflib); expected a PyTorch pickle of '
                'NVIDIA\'s StyleGAN2-ADA (PyTorch) or StyleGAN3 code. NVIDIA\'s legacy.py converts TensorFlow pickles, '
                'but it runs the file\'s code: use it only on files you trust')
        if stand_in is None:
            raise FormatProblem(f'refused to load the global {short_repr(f"{module}.{name}")}: it is not part of '
                'NVIDIA\'s network pickle format, and loading it could run code from the file')
        return stand_in

    def persistent_load(self, pid):
        raise FormatProblem(f'unexpected persistent id {short_repr(pid)}; NVIDIA\'s network pickles have none')

def unpickle(file):
    """Unpickle from a binary file object with the restricted unpickler. Raises FormatProblem or whatever pickle raises."""
    return RestrictedUnpickler(file).load()

#----------------------------------------------------------------------------
# Walking a persistent network and materializing its tensors.

def network_tensors(root: PersistentRecord) -> tuple[dict, set]:
    """Return ({dotted name: TensorRecord}, {names of non-persistent buffers}) of `root` and its children."""
    tensors = {}
    optional = set()
    visited = set()

    def walk(record: PersistentRecord, prefix: str, depth: int) -> None:
        if depth > MAX_MODULE_DEPTH or id(record) in visited: # A real network holds each module once.
            raise FormatProblem(f'the module tree at {prefix or "the network"} is cyclic, shared or nested more than {MAX_MODULE_DEPTH} deep')
        visited.add(id(record))
        non_persistent = record.state.get('_non_persistent_buffers_set') or set()
        for group in ['_parameters', '_buffers']:
            entries = record.state.get(group, {})
            if not isinstance(entries, dict):
                raise FormatProblem(f'{prefix}{group} is {type(entries).__name__}, expected a dict')
            for name, value in entries.items():
                if value is None:
                    continue
                if not isinstance(name, str) or not isinstance(value, TensorRecord):
                    raise FormatProblem(f'{prefix}{group} entry {short_repr(name)} is {type(value).__name__}, expected a tensor')
                tensors[prefix + name] = value
                if group == '_buffers' and isinstance(non_persistent, (set, frozenset)) and name in non_persistent:
                    optional.add(prefix + name)
        modules = record.state.get('_modules', {})
        if not isinstance(modules, dict):
            raise FormatProblem(f'{prefix}_modules is {type(modules).__name__}, expected a dict')
        for name, child in modules.items():
            if child is None:
                continue
            if not isinstance(name, str) or not isinstance(child, PersistentRecord):
                raise FormatProblem(f'submodule {prefix}{short_repr(name)} is {type(child).__name__}, expected a persistent network object')
            walk(child, f'{prefix}{name}.', depth + 1)

    walk(root, '', 0)
    return tensors, optional

def class_names(root: PersistentRecord) -> set:
    """Class names of `root` and all its descendants (bounded like `network_tensors`)."""
    names = set()
    stack = [(root, 0)]
    seen = set()
    while stack:
        record, depth = stack.pop()
        if id(record) in seen or depth > MAX_MODULE_DEPTH:
            continue
        seen.add(id(record))
        names.add(record.class_name)
        stack.extend((child, depth + 1) for child in record.children().values())
    return names

def _check_zip_blob(blob: bytes) -> None:
    """torch.save's zip format stores records uncompressed; refuse compressed (possibly inflating) records."""
    if not blob.startswith(b'PK\x03\x04'):
        return
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as archive:
            records = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as e:
        raise FormatProblem(f'a storage blob is a damaged zip archive ({e})') from None
    if any(record.compress_type != zipfile.ZIP_STORED or record.file_size > len(blob) for record in records):
        raise FormatProblem('a storage blob is a zip archive with compressed records; torch.save writes them uncompressed')

def materialize(record: TensorRecord, storages: dict) -> torch.Tensor:
    """Turn a TensorRecord into a CPU tensor. `storages` caches storages shared between tensors."""
    if id(record.storage) not in storages:
        _check_zip_blob(record.storage.blob)
        try:
            storage = torch.load(io.BytesIO(record.storage.blob), map_location='cpu', weights_only=True)
        except Exception as e:
            raise FormatProblem(f'a storage blob could not be read by PyTorch\'s weights-only loader: {short_repr(str(e))}') from None
        if not isinstance(storage, torch.storage.TypedStorage):
            raise FormatProblem(f'a storage blob holds {type(storage).__name__}, expected a single storage')
        storages[id(record.storage)] = (storage.dtype, storage._untyped_storage) # The typed wrapper warns on most uses.
    dtype, untyped = storages[id(record.storage)]
    if not dtype.is_floating_point:
        raise FormatProblem(f'a tensor has dtype {dtype}, expected floating point')
    numel = untyped.nbytes() // torch.empty([], dtype=dtype).element_size()
    extent = record.offset + sum((size - 1) * stride for size, stride in zip(record.size, record.stride)) + 1
    if math.prod(record.size) > 0 and extent > numel:
        raise FormatProblem(f'a tensor of size {list(record.size)} does not fit in its storage of {numel} elements')
    return torch.empty([0], dtype=dtype).set_(untyped, record.offset, record.size, record.stride)

def to_plain(value, budget: int = 100_000):
    """Plain Python (dict, list, str, numbers, None) of an unpickled value, for kwargs and metadata.

    The pickle memo lets a small file reference one object many times over; `budget` bounds the number of
    values produced, so that a file built to expand exponentially is refused rather than followed."""
    remaining = [budget]

    def convert(value, depth: int):
        remaining[0] -= 1
        if remaining[0] < 0 or depth > 32:
            raise FormatProblem('constructor arguments or metadata are nested too deeply or too large')
        if isinstance(value, dict):
            converted = {}
            for key, item in value.items():
                if not isinstance(key, (str, int, float, bool)) and key is not None:
                    raise FormatProblem(f'unexpected {type(key).__name__} key among constructor arguments or metadata')
                converted[key] = convert(item, depth + 1)
            return converted
        if isinstance(value, (list, tuple)):
            return [convert(item, depth + 1) for item in value]
        if isinstance(value, NdarrayRecord):
            return None if value.array is None else value.array.tolist()
        if isinstance(value, np.generic):
            return value.item()
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        raise FormatProblem(f'unexpected {type(value).__name__} among constructor arguments or metadata')

    return convert(value, 0)

#----------------------------------------------------------------------------
