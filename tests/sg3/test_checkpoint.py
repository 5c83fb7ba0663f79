"""sg3.checkpoint on well-formed files: official-format pickles of every configuration (checked against
NVIDIA's reference outputs where we have them, bit for bit against the written network otherwise),
key selection, the information shown to users, and our own safetensors format with its CLI."""

import argparse
import dataclasses
import json
import os
import pathlib
import pickle
import pickletools
import stat

import numpy as np
import pytest
import torch

import sg3
from sg3 import checkpoint, cli_checkpoint
from sg3.errors import CheckpointError
from tests.sg3 import pickle_writer

from tests.reference import REFERENCE_DIR

REFERENCE = str(REFERENCE_DIR)
OFFICIAL_GLOBALS = {
    'torch_utils.persistence._reconstruct_persistent_obj', 'dnnlib.util.EasyDict', 'collections.OrderedDict',
    'torch._utils._rebuild_tensor_v2', 'torch._utils._rebuild_parameter', 'torch.storage._load_from_bytes', 'numpy.dtype',
}

#----------------------------------------------------------------------------
# Helpers.

@pytest.fixture(autouse=True, scope='module')
def single_thread():
    """These networks are tiny: one intra-op thread is fastest, and on a busy machine far faster than several."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)

def load_reference(name: str):
    folder = os.path.join(REFERENCE, name)
    if not os.path.isfile(os.path.join(folder, 'weights.npz')):
        pytest.skip(f'reference data {folder} is absent (it holds NVIDIA\'s weights and outputs for conformance)')
    with open(os.path.join(folder, 'config.json')) as f:
        config = json.load(f)
    weights = dict(np.load(os.path.join(folder, 'weights.npz')))
    outputs = dict(np.load(os.path.join(folder, 'outputs.npz')))
    return config['init_kwargs'], weights, outputs

def check_reference_outputs(G, outputs: dict, seeds=range(3)) -> None:
    """Images for the seeds and psi 1.0 / 0.7 within 1e-4 of NVIDIA's, as the reference README allows."""
    for seed in seeds:
        z = torch.from_numpy(outputs[f'z_s{seed}']).to(torch.float32)
        for psi in [1.0, 0.7]:
            img = G(z, None, truncation_psi=psi, noise_mode='const')
            np.testing.assert_allclose(img.numpy(), outputs[f'img_s{seed}_psi{psi}'], rtol=0, atol=1e-4)

def outputs_of(G, seed: int = 0) -> list[torch.Tensor]:
    """A few outputs that exercise mapping, truncation and synthesis, for bit-exact comparisons."""
    generator = torch.Generator().manual_seed(seed)
    z = torch.randn([2, G.z_dim], generator=generator)
    c = torch.nn.functional.one_hot(torch.tensor([0, G.c_dim - 1]), G.c_dim).to(torch.float32) if G.c_dim else None
    return [G(z, c, truncation_psi=1.0, noise_mode='const'), G(z, c, truncation_psi=0.7, noise_mode='const')]

def assert_same_outputs(G1, G2) -> None:
    for a, b in zip(outputs_of(G1), outputs_of(G2)):
        assert torch.equal(a, b)

def perturbed(weights: dict, seed: int) -> dict:
    """A distinct copy of a state dict (so G and G_ema differ)."""
    rng = np.random.default_rng(seed)
    return {name: value + rng.normal(0, 0.05, value.shape).astype(np.float32) for name, value in weights.items()}

def run_cli(*argv) -> int:
    parser = argparse.ArgumentParser(prog='sg3')
    cli_checkpoint.add_parsers(parser.add_subparsers(dest='command', required=True))
    args = parser.parse_args(list(argv))
    return args.func(args)

#----------------------------------------------------------------------------
# NVIDIA's reference networks, written as official pickles.

REFERENCE_CASES = [
    # (reference, architecture, numpy spelling, layout)
    ('sg3t-64', 'stylegan3-t', 'numpy1', 'snapshot-shared'),
    ('sg3t-64', 'stylegan3-t', 'numpy2', 'snapshot-distinct'),
    ('sg3t-64', 'stylegan3-t', 'numpy2', 'bare'),
    ('sg2-64',  'stylegan2',   'numpy1', 'snapshot-distinct'),
    ('sg2-64',  'stylegan2',   'numpy2', 'bare'),
    ('sg2-64',  'stylegan2',   'numpy1', 'ada-kwargs'),
]

@pytest.mark.parametrize('name, architecture, spelling, layout', REFERENCE_CASES)
def test_reference_pickle_reproduces_nvidia_outputs(tmp_path, name, architecture, spelling, layout):
    init_kwargs, weights, outputs = load_reference(name)
    if layout == 'ada-kwargs': # StyleGAN2-ADA records synthesis arguments in a nested dict.
        init_kwargs = dict(z_dim=init_kwargs['z_dim'], w_dim=init_kwargs['w_dim'], mapping_kwargs=init_kwargs['mapping_kwargs'],
            synthesis_kwargs=dict(channel_base=init_kwargs['channel_base'], channel_max=init_kwargs['channel_max'], num_fp16_res=4, conv_clamp=256),
            c_dim=0, img_resolution=init_kwargs['img_resolution'], img_channels=init_kwargs['img_channels'])
    G_ema = pickle_writer.generator_object(weights, init_kwargs, architecture)
    if layout == 'bare':
        top = G_ema
    elif layout == 'snapshot-distinct':
        top = pickle_writer.snapshot(G_ema, G=pickle_writer.generator_object(perturbed(weights, 1), init_kwargs, architecture))
    else:
        top = pickle_writer.snapshot(G_ema)
    path = tmp_path / f'{name}.pkl'
    data = pickle_writer.dumps(top, numpy_spelling=spelling, protocol=3 if layout == 'ada-kwargs' else 4)
    path.write_bytes(data)

    # The stream references exactly NVIDIA's globals, in the requested numpy spelling.
    numpy_module = 'numpy.core.multiarray' if spelling == 'numpy1' else 'numpy._core.multiarray'
    expected = OFFICIAL_GLOBALS | {f'{numpy_module}.scalar'} | ({f'{numpy_module}._reconstruct', 'numpy.ndarray'} if architecture != 'stylegan2' else set())
    if layout == 'ada-kwargs':
        expected = expected | {'builtins.set'} # Protocol 3 (Python 3.7 writers) has no opcode for sets.
    assert pickle_writer.referenced_globals(data) == expected

    loaded = checkpoint.load_network(str(path))
    assert loaded.info.architecture == architecture
    assert loaded.info.key == (None if layout == 'bare' else 'G_ema')
    assert not loaded.G.training and all(not param.requires_grad for param in loaded.G.parameters())
    assert all(tensor.dtype == torch.float32 and tensor.device.type == 'cpu' for tensor in loaded.G.state_dict().values())
    for tensor_name, value in weights.items():
        assert np.array_equal(loaded.G.state_dict()[tensor_name].numpy(), value), tensor_name
    check_reference_outputs(loaded.G, outputs, seeds=range(3) if layout == 'snapshot-distinct' else [1])
    if layout == 'snapshot-distinct':
        G = checkpoint.load_network(str(path), key='G').G
        assert np.array_equal(G.mapping.fc0.weight.numpy(), perturbed(weights, 1)['mapping.fc0.weight'])

def test_writer_follows_the_format_facts():
    """The test files have the structure the spec describes for NVIDIA's writer."""
    G, init_kwargs, architecture = pickle_writer.random_generator('stylegan3-t', c_dim=2)
    G_ema = pickle_writer.generator_object(G.state_dict(), init_kwargs, architecture)
    data = pickle_writer.dumps(pickle_writer.snapshot(G_ema, G=pickle_writer.generator_object(G.state_dict(), init_kwargs, architecture)))
    ops = [(op.name, arg) for op, arg, _ in pickletools.genops(data)]
    assert ops[0] == ('PROTO', 4)
    assert data.count(pickle_writer.PLACEHOLDER_SRC['networks'].encode()) == 1 # module_src stored once, then memo references.
    blobs = [arg for name, arg in ops if name in ('BINBYTES', 'SHORT_BINBYTES', 'BINBYTES8') and len(arg) > 100]
    assert len(blobs) >= 2 * len(G.state_dict()) # One storage per tensor, G and G_ema distinct.
    legacy_magic = pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2) + pickle.dumps(1001, protocol=2)
    assert all(blob.startswith(legacy_magic) for blob in blobs)
    easydict_ops = [ops[idx + 2:idx + 6] for idx, (name, arg) in enumerate(ops) if arg == 'EasyDict'] # Then NEWOBJ, SETITEMS.
    assert easydict_ops and all([name for name, _ in following] == ['STACK_GLOBAL', 'MEMOIZE', 'EMPTY_TUPLE', 'NEWOBJ'] for following in easydict_ops)
    state = G_ema.meta['state']
    assert list(state)[:3] == ['training', '_parameters', '_buffers'] and list(state)[-2:] == ['_init_args', '_init_kwargs']
    assert type(state['_init_kwargs']['mapping_kwargs']) is pickle_writer.EasyDict

def test_reference_pickle_does_not_build_discriminator_or_augment_pipe(tmp_path, monkeypatch):
    init_kwargs, weights, _ = load_reference('sg3t-64')
    path = tmp_path / 'snapshot.pkl'
    pickle_writer.write(path, pickle_writer.snapshot(pickle_writer.generator_object(weights, init_kwargs, 'stylegan3-t')))
    materialized = []
    original = checkpoint.checkpoint_pickle.materialize
    monkeypatch.setattr(checkpoint.checkpoint_pickle, 'materialize', lambda record, storages: materialized.append(record) or original(record, storages))
    checkpoint.load_network(str(path))
    assert len(materialized) == len(weights) # Only G_ema's tensors were ever read: none of D's or augment_pipe's.

#----------------------------------------------------------------------------
# Every architecture with random weights (no reference data): bit-exact round trip.

RANDOM_CASES = [
    ('stylegan3-t', 0), ('stylegan3-t', 4), ('stylegan3-r', 0), ('stylegan3-r', 3),
    ('stylegan2', 0), ('stylegan2', 5), ('stylegan2-ada', 0), ('stylegan2-ada', 2),
]

@pytest.mark.parametrize('config, c_dim', RANDOM_CASES)
def test_random_network_round_trip_is_bit_exact(tmp_path, config, c_dim):
    G, init_kwargs, architecture = pickle_writer.random_generator(config, c_dim=c_dim, seed=c_dim)
    spelling = 'numpy1' if c_dim == 0 else 'numpy2'
    top = pickle_writer.snapshot(pickle_writer.generator_object(G.state_dict(), init_kwargs, architecture),
        D=pickle_writer.discriminator_object(img_resolution=16, c_dim=c_dim))
    path = tmp_path / f'{config}.pkl'
    pickle_writer.write(path, top, numpy_spelling=spelling)
    loaded = checkpoint.load_network(str(path))
    info = loaded.info
    assert (info.architecture, info.c_dim, info.z_dim, info.w_dim, info.img_resolution, info.img_channels) == (architecture, c_dim, 32, 32, 16, 3)
    assert info.num_ws == G.num_ws and info.num_params == sum(param.numel() for param in G.parameters())
    assert info.init_kwargs == init_kwargs
    assert_same_outputs(G, loaded.G)

    # Our format keeps the outputs bit-identical too.
    converted = tmp_path / f'{config}.safetensors'
    checkpoint.save_network(loaded.G, str(converted), training_set_kwargs=info.training_set_kwargs)
    again = checkpoint.load_network(str(converted))
    assert again.info.architecture == architecture and again.info.training_set_kwargs == info.training_set_kwargs
    assert_same_outputs(G, again.G)

def test_loading_leaves_the_global_random_state_alone(tmp_path):
    G, init_kwargs, architecture = pickle_writer.random_generator('stylegan3-t')
    path = tmp_path / 'g.pkl'
    pickle_writer.write(path, pickle_writer.generator_object(G.state_dict(), init_kwargs, architecture))
    torch.manual_seed(123)
    expected = torch.rand(4)
    torch.manual_seed(123)
    checkpoint.load_network(str(path))
    assert torch.equal(torch.rand(4), expected)

#----------------------------------------------------------------------------
# Key selection and what the viewer shows.

@pytest.fixture(scope='module')
def small_snapshot(tmp_path_factory):
    """A StyleGAN3-T snapshot with distinct G and G_ema, and the two generators."""
    G_ema, init_kwargs, architecture = pickle_writer.random_generator('stylegan3-t', seed=1)
    G, _, _ = pickle_writer.random_generator('stylegan3-t', seed=2)
    path = tmp_path_factory.mktemp('snapshot') / 'network-snapshot-000200.pkl'
    pickle_writer.write(path, pickle_writer.snapshot(pickle_writer.generator_object(G_ema.state_dict(), init_kwargs, architecture),
        G=pickle_writer.generator_object(G.state_dict(), init_kwargs, architecture)))
    return str(path), G_ema, G

def test_key_selection(small_snapshot, tmp_path):
    path, G_ema, G = small_snapshot
    assert_same_outputs(checkpoint.load_network(path).G, G_ema)
    assert_same_outputs(checkpoint.load_network(path, key='G_ema').G, G_ema)
    assert_same_outputs(checkpoint.load_network(path, key='G').G, G)
    with pytest.raises(CheckpointError, match=r"has no key 'G_avg'; keys present: \['G', 'D', 'G_ema', 'augment_pipe', 'training_set_kwargs'\]"):
        checkpoint.load_network(path, key='G_avg')
    with pytest.raises(CheckpointError, match='discriminator'):
        checkpoint.load_network(path, key='D')
    with pytest.raises(CheckpointError, match="key 'training_set_kwargs' holds a dict, expected a Generator"):
        checkpoint.load_network(path, key='training_set_kwargs')

    # Without G_ema, G is used.
    G_only = tmp_path / 'G-only.pkl'
    pickle_writer.write(G_only, dict(G=pickle_writer.generator_object(G.state_dict(), pickle_writer.random_generator('stylegan3-t')[1], 'stylegan3-t')))
    loaded = checkpoint.load_network(str(G_only))
    assert loaded.info.key == 'G' and loaded.info.keys == ('G',) and loaded.info.training_set_kwargs is None
    assert_same_outputs(loaded.G, G)

def test_info_and_describe(small_snapshot):
    path, G_ema, _ = small_snapshot
    info = checkpoint.load_network(pathlib.Path(path)).info
    assert info.source == path and info.path == os.path.abspath(path)
    assert info.keys == ('G', 'D', 'G_ema', 'augment_pipe', 'training_set_kwargs') and info.key == 'G_ema'
    assert info.training_set_kwargs == pickle_writer.TRAINING_SET_KWARGS
    assert info.num_ws == G_ema.num_ws == 16
    lines = info.describe()
    assert lines[0] == f'Source: {path}'
    assert 'Architecture: StyleGAN3-T' in lines
    assert 'Resolution: 16 x 16, 3 channels' in lines
    assert 'Latents: z_dim 32, w_dim 32, num_ws 16' in lines
    assert 'Conditioning: none (c_dim 0)' in lines
    assert f'Parameters: {info.num_params:,} ({info.num_params / 1e6:.1f} M)' in lines
    assert 'Keys in file: G, D, G_ema, augment_pipe, training_set_kwargs (using G_ema)' in lines
    assert any(line.startswith('Training set: ') and 'resolution 64' in line and 'xflip True' in line for line in lines)
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.c_dim = 3

#----------------------------------------------------------------------------
# Our format and the command line.

def safetensors_metadata(path) -> dict:
    """The `__metadata__` of a safetensors header, read by hand (u64 length, then JSON)."""
    with open(path, 'rb') as f:
        size = int.from_bytes(f.read(8), 'little')
        return json.loads(f.read(size))['__metadata__']

def test_cli_convert_and_info(small_snapshot, tmp_path, capsys):
    path, G_ema, _ = small_snapshot
    output = tmp_path / 'converted.safetensors'
    assert run_cli('convert', path, str(output)) == 0
    assert f'Wrote {output}' in capsys.readouterr().out
    metadata = safetensors_metadata(output)
    assert metadata['format'] == 'sg3-viz' and metadata['version'] == '1' and metadata['architecture'] == 'stylegan3-t'
    assert json.loads(metadata['init_kwargs']) == pickle_writer.random_generator('stylegan3-t')[1]
    assert json.loads(metadata['training_set_kwargs']) == pickle_writer.TRAINING_SET_KWARGS
    loaded = checkpoint.load_network(str(output))
    assert loaded.info.keys == () and loaded.info.key is None
    assert_same_outputs(loaded.G, G_ema)

    assert run_cli('info', str(output)) == 0
    out = capsys.readouterr().out
    assert 'Architecture: StyleGAN3-T' in out and 'num_ws 16' in out and 'Training set: ' in out
    assert run_cli('info', path, '--key', 'G') == 0
    assert 'Keys in file: G, D, G_ema, augment_pipe, training_set_kwargs (using G)' in capsys.readouterr().out

    # The same through `python -m sg3`, whose parser registers these subcommands.
    from sg3.__main__ import main
    assert main(['info', path, '--key', 'G']) == 0
    assert 'Keys in file: G, D, G_ema, augment_pipe, training_set_kwargs (using G)' in capsys.readouterr().out

    # User errors: a clear message on stderr and a non-zero exit code.
    assert run_cli('info', str(tmp_path / 'missing.pkl')) == 2
    assert 'missing.pkl: no such file' in capsys.readouterr().err
    assert run_cli('convert', path, str(tmp_path / 'out.pkl')) == 2
    assert 'must end in .safetensors' in capsys.readouterr().err
    assert not (tmp_path / 'out.pkl').exists()

def test_cli_info_and_convert_take_builtins_refuse_to_overwrite_and_write_readable_files(tmp_path, capsys):
    assert run_cli('info', 'builtin:sg3-t') == 0
    out = capsys.readouterr().out
    assert 'Source: builtin:sg3-t' in out and 'Architecture: StyleGAN3-T' in out and 'Resolution: 256 x 256' in out
    output = tmp_path / 'demo.safetensors'
    old_mask = os.umask(0o022)
    try:
        assert run_cli('convert', 'builtin:sg3-r', str(output)) == 0
    finally:
        os.umask(old_mask)
    assert stat.S_IMODE(output.stat().st_mode) == 0o644                         # 0666 less the umask, not private.
    assert_same_outputs(checkpoint.load_network(str(output)).G, sg3.load_generator('builtin:sg3-r'))
    assert checkpoint.load_network('builtin:sg3-r').info.init_kwargs == checkpoint.load_network(str(output)).info.init_kwargs
    capsys.readouterr()
    before = output.read_bytes()
    assert run_cli('convert', 'builtin:sg2', str(output)) == 2                   # Exists: refused, left as it was.
    assert f'{output} exists; pass --force to replace it' in capsys.readouterr().err and output.read_bytes() == before
    assert run_cli('convert', 'builtin:sg2', str(output), '--force') == 0
    assert checkpoint.load_network(str(output)).info.architecture == 'stylegan2'
    assert sorted(os.listdir(tmp_path)) == ['demo.safetensors']                 # No temporary file left.
    assert run_cli('info', 'builtin:sg3-t', '--key', 'G') == 2
    assert 'a built-in network is one generator' in capsys.readouterr().err
    assert run_cli('info', 'builtin:nope') == 2
    assert "unknown built-in network 'builtin:nope'" in capsys.readouterr().err

def test_our_format_errors(tmp_path, small_snapshot):
    import safetensors.torch
    _, G_ema, _ = small_snapshot
    plain = tmp_path / 'plain.safetensors'
    safetensors.torch.save_file({name: t.contiguous() for name, t in G_ema.state_dict().items()}, str(plain))
    with pytest.raises(CheckpointError, match=r'plain.safetensors: a safetensors file without sg3-viz metadata'):
        checkpoint.load_network(str(plain))

    good = tmp_path / 'good.safetensors'
    checkpoint.save_network(G_ema, str(good))
    metadata = safetensors_metadata(good)
    tensors = safetensors.torch.load_file(str(good))
    future = tmp_path / 'future.safetensors'
    safetensors.torch.save_file(tensors, str(future), metadata=dict(metadata, version='2'))
    with pytest.raises(CheckpointError, match=r"future.safetensors: sg3-viz format version '2'; this version of sg3 reads version 1"):
        checkpoint.load_network(str(future))

    tensors['synthesis.input.weight'] = tensors['synthesis.input.weight'][:, :5].contiguous()
    del tensors['mapping.w_avg']
    tensors['mapping.extra'] = torch.zeros(3)
    broken = tmp_path / 'broken.safetensors'
    safetensors.torch.save_file(tensors, str(broken), metadata=metadata)
    with pytest.raises(CheckpointError) as error:
        checkpoint.load_network(str(broken))
    message = str(error.value)
    assert message.startswith(f'{broken}: its tensors do not match')
    assert 'missing (1): mapping.w_avg' in message and 'unexpected (1): mapping.extra' in message
    assert 'wrong shape (1): synthesis.input.weight [32, 5] (expected [32, 32])' in message

    with pytest.raises(CheckpointError, match='holds one generator'):
        checkpoint.load_network(str(good), key='G')

    truncated = tmp_path / 'truncated.safetensors'
    truncated.write_bytes(good.read_bytes()[:-100])
    with pytest.raises(CheckpointError, match=r'truncated.safetensors: not a readable safetensors file'):
        checkpoint.load_network(str(truncated))

#----------------------------------------------------------------------------

def test_sg3_load_generator_uses_the_safe_loader(small_snapshot):
    import sg3
    path, G_ema, G = small_snapshot
    assert_same_outputs(sg3.load_generator(path), G_ema)
    assert_same_outputs(sg3.load_generator(path, key='G'), G)
    with pytest.raises(CheckpointError, match="has no key 'X'"):
        sg3.load_generator(path, key='X')

#----------------------------------------------------------------------------
