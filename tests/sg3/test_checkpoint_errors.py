"""The mistakes a user can make when opening a network: each is a CheckpointError whose message names the
file and says what was expected."""

import io
import os
import pickle

import numpy as np
import pytest
import torch

from sg3 import checkpoint
from sg3.errors import CheckpointError
from tests.sg3 import pickle_writer

#----------------------------------------------------------------------------

@pytest.fixture(scope='module')
def network():
    """A small StyleGAN3-T: (generator, init kwargs, official-format pickle bytes of a snapshot)."""
    G, init_kwargs, architecture = pickle_writer.random_generator('stylegan3-t')
    data = pickle_writer.dumps(pickle_writer.snapshot(pickle_writer.generator_object(G.state_dict(), init_kwargs, architecture)))
    return G, init_kwargs, data

def expect_error(path, *phrases: str) -> str:
    """Load `path`, expect a CheckpointError that starts by naming the file and contains every phrase."""
    with pytest.raises(CheckpointError) as error:
        checkpoint.load_network(str(path))
    message = str(error.value)
    assert message.startswith(f'{path}: '), message
    for phrase in phrases:
        assert phrase in message, message
    return message

#----------------------------------------------------------------------------

def test_missing_path_directory_and_empty_file(tmp_path):
    expect_error(tmp_path / 'nothing-here.pkl', 'no such file', 'expected a network .pkl or .safetensors file')
    expect_error(tmp_path, 'is a directory', 'expected a network .pkl or .safetensors file')
    (tmp_path / 'empty.pkl').write_bytes(b'')
    expect_error(tmp_path / 'empty.pkl', 'the file is empty')
    with pytest.raises(CheckpointError, match='non-empty path or URL'):
        checkpoint.load_network('')

def test_truncated_file_and_random_bytes(tmp_path, network):
    _, _, data = network
    for fraction in [0.001, 0.3, 0.7, 0.999]:
        path = tmp_path / f'truncated-{fraction}.pkl'
        path.write_bytes(data[:int(len(data) * fraction)])
        expect_error(path, 'not a readable network pickle', 'truncated or corrupted')
    path = tmp_path / 'random.pkl'
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 100_000, dtype=np.uint8).tobytes())
    expect_error(path)
    path.write_bytes(b'\x80\x04' + np.random.default_rng(1).integers(0, 256, 100_000, dtype=np.uint8).tobytes())
    expect_error(path)

def test_pickle_without_a_generator(tmp_path):
    path = tmp_path / 'other.pkl'
    path.write_bytes(pickle.dumps({'epoch': 3, 'losses': [0.5, 0.25]}))
    expect_error(path, "holds no generator: keys present ['epoch', 'losses']", "expected 'G_ema' or 'G'")
    path.write_bytes(pickle.dumps([1, 2, 3]))
    expect_error(path, 'holds a list', 'expected a network snapshot dict')

def test_plain_pytorch_state_dict(tmp_path, network):
    G, _, _ = network
    zipped = tmp_path / 'state_dict.pt'
    torch.save(G.state_dict(), zipped)
    expect_error(zipped, 'zip archive', 'torch.save', 'expected an NVIDIA network pickle (.pkl) or our .safetensors format')
    legacy = tmp_path / 'state_dict_legacy.pt'
    torch.save(G.state_dict(), legacy, _use_new_zipfile_serialization=False)
    expect_error(legacy, 'legacy torch.save file', 'plain state dict')
    pickled = tmp_path / 'state_dict.pkl'
    pickled.write_bytes(pickle.dumps(G.state_dict(), protocol=4))
    expect_error(pickled, 'plain PyTorch state dict', 'without the architecture and constructor arguments')

def test_discriminator_only(tmp_path):
    D = pickle_writer.discriminator_object()
    path = tmp_path / 'D.pkl'
    pickle_writer.write(path, D)
    expect_error(path, 'holds a discriminator', "a viewer needs a generator ('G_ema' or 'G')")
    pickle_writer.write(path, dict(D=D, augment_pipe=pickle_writer.augment_pipe_object()))
    expect_error(path, "holds only a discriminator (keys ['D', 'augment_pipe'])", "expected key 'G_ema' or 'G'")

def test_unknown_persistence_version(tmp_path, network):
    G, init_kwargs, _ = network
    path = tmp_path / 'future.pkl'
    pickle_writer.write(path, pickle_writer.generator_object(G.state_dict(), init_kwargs, 'stylegan3-t', version=7))
    expect_error(path, 'unknown persistence version 7', 'this loader reads version 6')

def test_unsupported_architecture(tmp_path, network):
    G, init_kwargs, _ = network
    renamed = {name.replace('synthesis.input', 'synthesis.stem'): tensor for name, tensor in G.state_dict().items()}
    path = tmp_path / 'other-architecture.pkl'
    pickle_writer.write(path, pickle_writer.generator_object(renamed, init_kwargs, 'stylegan3-t'))
    expect_error(path, 'architecture we do not support', 'expected StyleGAN3-T/-R (SynthesisInput, SynthesisLayer) or StyleGAN2 (SynthesisBlock)')

    # A StyleGAN2 whose synthesis network has the 'resnet' architecture: our generator builds only 'skip'.
    G2, kwargs2, _ = pickle_writer.random_generator('stylegan2')
    pickle_writer.write(path, pickle_writer.generator_object(G2.state_dict(), dict(kwargs2, architecture='resnet'), 'stylegan2'))
    expect_error(path, 'its constructor arguments are not supported by our StyleGAN2 generator', "architecture 'resnet'", "expected 'skip'")
    nested = dict(kwargs2, synthesis_kwargs=dict(kwargs2.get('synthesis_kwargs') or {}, architecture='orig')) # As StyleGAN2-ADA records it.
    pickle_writer.write(path, pickle_writer.generator_object(G2.state_dict(), nested, 'stylegan2'))
    expect_error(path, 'its constructor arguments are not supported by our StyleGAN2 generator', "architecture 'orig'")

    # A top-level object that is neither a generator nor a discriminator.
    pickle_writer.write(path, pickle_writer.generator_object(G.state_dict(), init_kwargs, 'stylegan3-t', class_name='Encoder'))
    expect_error(path, "holds a 'Encoder' network, expected a Generator")

def test_wrong_missing_and_unexpected_tensors(tmp_path, network):
    G, init_kwargs, _ = network
    state_dict = dict(G.state_dict())
    layer = G.synthesis.layer_names[3]
    state_dict[f'synthesis.{layer}.bias'] = torch.zeros([7])
    del state_dict['mapping.fc1.bias']
    state_dict['mapping.fc0.extra'] = torch.zeros([2])
    path = tmp_path / 'mismatch.pkl'
    pickle_writer.write(path, pickle_writer.generator_object(state_dict, init_kwargs, 'stylegan3-t'))
    expected_bias = list(G.state_dict()[f'synthesis.{layer}.bias'].shape)
    expect_error(path, 'its tensors do not match the generator its constructor arguments describe',
        'missing (1): mapping.fc1.bias', 'unexpected (1): mapping.fc0.extra', f'wrong shape (1): synthesis.{layer}.bias [7] (expected {expected_bias})')

    # A wider network than its constructor arguments say.
    pickle_writer.write(path, pickle_writer.generator_object(G.state_dict(), dict(init_kwargs, channel_max=16), 'stylegan3-t'))
    expect_error(path, 'wrong shape')

def test_non_float_tensor_is_refused(tmp_path, network):
    G, init_kwargs, _ = network
    state_dict = dict(G.state_dict(), **{'mapping.w_avg': torch.zeros([G.w_dim], dtype=torch.int64)})
    path = tmp_path / 'int-tensor.pkl'
    pickle_writer.write(path, pickle_writer.generator_object(state_dict, init_kwargs, 'stylegan3-t'))
    expect_error(path, 'dtype torch.int64, expected floating point')

#----------------------------------------------------------------------------

def test_tensorflow_pickle(tmp_path):
    path = tmp_path / 'stylegan2-ffhq-config-f.pkl'
    path.write_bytes(b'\x80\x03cdnnlib.tflib.network\nNetwork\nq\x00)\x81q\x01}q\x02b.') # As TF-era files begin.
    expect_error(path, 'TensorFlow StyleGAN / StyleGAN2 pickle', 'legacy.py', 'use it only on files you trust')

#----------------------------------------------------------------------------

def test_saving_something_that_is_not_our_generator(tmp_path):
    path = tmp_path / 'never-written.safetensors'
    with pytest.raises(CheckpointError, match=r"G is a Linear with architecture None: expected one of our generators"):
        checkpoint.save_network(torch.nn.Linear(2, 2), str(path))
    assert list(tmp_path.iterdir()) == []

#----------------------------------------------------------------------------
