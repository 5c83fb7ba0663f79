"""Hostile and damaged files: nothing in a file ever runs, and only CheckpointError ever escapes.

Each payload would create a sentinel file if it ran. Control tests show that the same bytes do run under
an unrestricted load, so the payloads are live and the absence of the sentinel means something.
"""

import collections
import io
import json
import os
import pickle
import pickletools
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from sg3 import checkpoint
from sg3.errors import CheckpointError
from tests.sg3 import pickle_writer

LEGACY_MAGIC = 0x1950a86a20f9469cfc6c

#----------------------------------------------------------------------------
# Payloads.

class Call:
    """Pickles as a call of `func(*args)` on load: what a malicious file does."""
    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return (self.func, self.args)

class BlobStorage:
    """Pickles as `torch.storage._load_from_bytes(blob)`, with whatever bytes we choose."""
    def __init__(self, blob: bytes):
        self.blob = blob

    def __reduce__(self):
        return (torch.storage._load_from_bytes, (self.blob,))

class BlobTensor:
    """Pickles as `torch._utils._rebuild_tensor_v2` of a BlobStorage, as torch pickles a tensor."""
    def __init__(self, blob: bytes, shape: list):
        self.blob, self.shape = blob, shape

    def __reduce__(self):
        stride = tuple(int(np.prod(self.shape[i + 1:])) for i in range(len(self.shape)))
        return (torch._utils._rebuild_tensor_v2, (BlobStorage(self.blob), 0, tuple(self.shape), stride, False, collections.OrderedDict()))

def touch_command(sentinel) -> str:
    return f'touch {sentinel}'

def write_code(sentinel) -> str:
    return f'open({str(sentinel)!r}, "w").write("payload ran")'

def legacy_blob(payload) -> bytes:
    """A legacy torch.save stream (magic, protocol, sys info, object, storage keys) whose object is `payload`."""
    sys_info = dict(protocol_version=1001, little_endian=True, type_sizes=dict(short=2, int=4, long=4))
    return b''.join(pickle.dumps(part, protocol=2) for part in [LEGACY_MAGIC, 1001, sys_info, payload, []])

def zip_blob(obj) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()

@pytest.fixture(scope='module')
def network():
    G, init_kwargs, architecture = pickle_writer.random_generator('stylegan3-t')
    return G, init_kwargs

def generator_object(network, **kwargs):
    G, init_kwargs = network
    return pickle_writer.generator_object(G.state_dict(), init_kwargs, 'stylegan3-t', **kwargs)

def assert_refused(path, sentinel, *phrases: str) -> None:
    with pytest.raises(CheckpointError) as error:
        checkpoint.load_network(str(path))
    message = str(error.value)
    assert message.startswith(f'{path}: ')
    for phrase in phrases:
        assert phrase in message, message
    assert not os.path.exists(sentinel)

#----------------------------------------------------------------------------
# Globals outside the allow-list.

def test_os_system_stream_is_refused(tmp_path):
    sentinel = tmp_path / 'sentinel'
    data = b'cos\nsystem\n(V' + touch_command(sentinel).encode() + b'\ntR.' # As hand-written exploits spell it.
    path = tmp_path / 'os-system.pkl'
    path.write_bytes(data)
    assert_refused(path, sentinel, "refused to load the global 'os.system'", 'could run code')
    pickle.loads(data) # Control: an unrestricted load runs it.
    assert sentinel.exists()

@pytest.mark.parametrize('func, global_name', [
    (os.system, 'posix.system'),
    (exec, 'builtins.exec'),
    (eval, 'builtins.eval'),
    (subprocess.Popen, 'subprocess.Popen'),
])
@pytest.mark.parametrize('place', ['top', 'training_set_kwargs', 'generator_state'])
def test_reduce_to_code_is_refused(tmp_path, network, func, global_name, place):
    sentinel = tmp_path / 'sentinel'
    argument = {os.system: touch_command(sentinel), exec: write_code(sentinel), eval: f'exec({write_code(sentinel)!r})',
        subprocess.Popen: ['touch', str(sentinel)]}[func]
    payload = Call(func, argument)
    if place == 'top':
        top = payload
    elif place == 'training_set_kwargs':
        top = pickle_writer.snapshot(generator_object(network), training_set_kwargs=dict(path=payload, resolution=16))
    else:
        G_ema = generator_object(network)
        G_ema.meta['state']['use_fp16'] = payload
        top = pickle_writer.snapshot(G_ema)
    data = pickle_writer.dumps(top)
    assert global_name in pickle_writer.referenced_globals(data)
    path = tmp_path / 'hostile.pkl'
    path.write_bytes(data)
    assert_refused(path, sentinel, f"refused to load the global '{global_name}'")
    time.sleep(0.05 if func is subprocess.Popen else 0) # A started process would have touched the file by now.
    assert not sentinel.exists()

def test_attribute_paths_and_persistent_ids_are_refused(tmp_path):
    sentinel = tmp_path / 'sentinel'
    path = tmp_path / 'tricks.pkl'
    def stack_global(module: str, name: str) -> bytes:
        return b'\x80\x04' + b''.join(b'\x8c' + bytes([len(s)]) + s.encode() for s in [module, name]) + b'\x93.'
    path.write_bytes(stack_global('collections', 'OrderedDict.__init__.__globals__'))
    assert_refused(path, sentinel, "refused to load the global 'collections.OrderedDict.__init__.__globals__'")
    path.write_bytes(stack_global('torch._utils', '_rebuild_tensor_v2.__globals__'))
    assert_refused(path, sentinel, 'refused to load the global')
    path.write_bytes(b'\x80\x04\x8c\x03abc\x94Q.') # BINPERSID
    assert_refused(path, sentinel, 'unexpected persistent id')

def test_numpy_object_arrays_are_refused(tmp_path, network):
    sentinel = tmp_path / 'sentinel'
    G_ema = generator_object(network)
    G_ema.meta['state']['padding'] = np.array([Call(exec, write_code(sentinel))], dtype=object)
    path = tmp_path / 'object-array.pkl'
    pickle_writer.write(path, G_ema, numpy_spelling='numpy2')
    assert_refused(path, sentinel, "numpy dtype 'O8' is not allowed")

#----------------------------------------------------------------------------
# Code hidden in storage blobs and in module_src.

@pytest.mark.parametrize('blob_format', ['legacy', 'zip'])
def test_code_hidden_in_a_storage_blob_is_refused(tmp_path, network, blob_format):
    sentinel = tmp_path / 'sentinel'
    payload = Call(os.system, touch_command(sentinel))
    blob = legacy_blob(payload) if blob_format == 'legacy' else zip_blob(payload)
    G, _ = network
    G_ema = generator_object(network, overrides={'mapping.w_avg': BlobTensor(blob, [G.w_dim])})
    path = tmp_path / 'blob.pkl'
    pickle_writer.write(path, pickle_writer.snapshot(G_ema))
    assert_refused(path, sentinel, "could not be read by PyTorch's weights-only loader")
    torch.load(io.BytesIO(blob), weights_only=False) # Control: what NVIDIA's `_load_from_bytes` does runs it.
    assert sentinel.exists()

def test_hostile_blob_in_the_discriminator_is_never_read(tmp_path, network):
    sentinel = tmp_path / 'sentinel'
    D = pickle_writer.discriminator_object()
    D.meta['state']['_buffers']['hidden'] = BlobTensor(legacy_blob(Call(os.system, touch_command(sentinel))), [4])
    path = tmp_path / 'snapshot.pkl'
    pickle_writer.write(path, pickle_writer.snapshot(generator_object(network), D=D))
    loaded = checkpoint.load_network(str(path)) # The viewer never needs D: its storages are skipped unread.
    assert loaded.info.key == 'G_ema'
    assert not sentinel.exists()
    with pytest.raises(CheckpointError, match='discriminator'):
        checkpoint.load_network(str(path), key='D')
    assert not sentinel.exists()

def test_zip_format_storage_blobs_are_read(tmp_path, network):
    G, _ = network
    w_avg = torch.linspace(-1, 1, G.w_dim)
    typed = torch.storage.TypedStorage(wrap_storage=w_avg.untyped_storage(), dtype=torch.float32, _internal=True)
    path = tmp_path / 'zip-storage.pkl'
    pickle_writer.write(path, generator_object(network, overrides={'mapping.w_avg': BlobTensor(zip_blob(typed), [G.w_dim])}))
    assert torch.equal(checkpoint.load_network(str(path)).G.mapping.w_avg, w_avg)

def test_module_src_is_never_executed(tmp_path, network):
    sentinel = tmp_path / 'sentinel'
    source = write_code(sentinel)

    # A class that exists only in its module_src: refused, and the source is never run.
    path = tmp_path / 'payload-class.pkl'
    pickle_writer.write(path, pickle_writer.PersistentObject('Payload', pickle_writer.module_state({}, {}, {}, {}, {}), source))
    assert_refused(path, sentinel, "holds a 'Payload' network, expected a Generator")

    # A genuine generator whose module_src is hostile: it loads (we never need the source) and nothing runs.
    path = tmp_path / 'payload-src.pkl'
    pickle_writer.write(path, pickle_writer.snapshot(generator_object(network, module_src=source)))
    assert checkpoint.load_network(str(path)).info.architecture == 'stylegan3-t'
    assert not sentinel.exists()
    exec(source) # Control: executing module_src, as NVIDIA's persistence does, runs it.
    assert sentinel.exists()

def test_exponential_memo_expansion_is_refused(tmp_path, network):
    """A kwargs value that references the same list twice at every level would expand to 2**40 values."""
    value = [1]
    for _ in range(40):
        value = [value, value]
    G_ema = generator_object(network)
    G_ema.meta['state']['_init_kwargs']['mapping_kwargs']['layer_features'] = value
    path = tmp_path / 'expanding.pkl'
    pickle_writer.write(path, G_ema)
    start = time.perf_counter()
    assert_refused(path, tmp_path / 'sentinel', 'nested too deeply or too large')
    assert time.perf_counter() - start < 10

#----------------------------------------------------------------------------
# Fuzzing: truncations and byte flips over a small valid file, in a subprocess with a time limit.

FUZZ_SCRIPT = '''
import json, sys, time
import numpy as np, torch
from sg3 import checkpoint
from sg3.errors import CheckpointError
torch.set_num_threads(1)
path, out, seed, num_truncations, num_flips = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
data = open(path, 'rb').read()
structure = np.array(json.load(open(sys.argv[6])), dtype=np.int64)
rng = np.random.default_rng(seed)
cases = [data[:int(n)] for n in np.unique(np.concatenate([np.linspace(1, len(data) - 1, num_truncations // 2).astype(int),
    rng.choice(structure, num_truncations - num_truncations // 2)]))]
for idx in range(num_flips):
    mutated = bytearray(data)
    positions = rng.choice(structure, rng.integers(1, 4)) if idx % 2 == 0 else rng.integers(0, len(data), rng.integers(1, 4))
    for position in positions:
        mutated[position] = int(rng.integers(0, 256))
    cases.append(bytes(mutated))
outcomes, slowest = {}, 0.0
for idx, case in enumerate(cases):
    with open(path + '.case', 'wb') as f:
        f.write(case)
    start = time.perf_counter()
    try:
        checkpoint.load_network(path + '.case')
        kind = 'loaded'
    except CheckpointError as e:
        kind = 'CheckpointError' if str(e).startswith(path + '.case: ') else 'CheckpointError without file name: ' + str(e)[:200]
    except BaseException as e:
        kind = f'{type(e).__name__}: {str(e)[:200]}'
    slowest = max(slowest, time.perf_counter() - start)
    outcomes[kind] = outcomes.get(kind, 0) + 1
json.dump(dict(outcomes=outcomes, slowest=slowest, cases=len(cases)), open(out, 'w'))
'''

def structure_positions(data: bytes) -> list[int]:
    """Byte positions outside the big bytes payloads (tensor data): the pickle's skeleton."""
    positions, payloads = [], []
    for opcode, arg, pos in pickletools.genops(data):
        if isinstance(arg, bytes) and len(arg) > 64:
            payloads.append((pos, pos + len(arg) + 9))
    cursor = 0
    for start, end in payloads:
        positions.extend(range(cursor, start + 9))
        positions.extend(range(start + 9, min(end, start + 200))) # The storage header inside each blob.
        cursor = end
    positions.extend(range(cursor, len(data)))
    return positions

def test_fuzz_only_checkpoint_error_escapes(tmp_path):
    G, init_kwargs, architecture = pickle_writer.random_generator('stylegan3-t')
    data = pickle_writer.dumps(pickle_writer.snapshot(pickle_writer.generator_object(G.state_dict(), init_kwargs, architecture)))
    path = tmp_path / 'small.pkl'
    path.write_bytes(data)
    out = tmp_path / 'fuzz.json'
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    positions = tmp_path / 'positions.json'
    positions.write_text(json.dumps(structure_positions(data)))
    command = [sys.executable, '-c', FUZZ_SCRIPT, str(path), str(out), '0', '120', '160', str(positions)]
    subprocess.run(command, cwd=root, timeout=300, check=True) # A hang fails here rather than freezing the suite.
    result = json.loads(out.read_text())
    assert set(result['outcomes']) <= {'loaded', 'CheckpointError'}, result
    assert result['outcomes'].get('CheckpointError', 0) > result['cases'] // 2, result # The fuzz does reach the checks.
    assert result['slowest'] < 10, result

#----------------------------------------------------------------------------
