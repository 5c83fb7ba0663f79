"""`python -m sg3 generate`: images on disk equal the generator's output for each seed."""

import numpy as np
import pytest
import torch
from PIL import Image

import sg3
from sg3.__main__ import main
from sg3.cli_generate import parse_seeds
from sg3.errors import Sg3Error
from sg3.pipeline import seed_latent, to_uint8
from sg3.transforms import input_transform, make_transform

def test_parse_seeds():
    assert parse_seeds('0-3,7,10-11') == [0, 1, 2, 3, 7, 10, 11]
    assert parse_seeds('5') == [5]
    for bad in ['5-2', 'a', '1,,2', '-3', '1-']:
        with pytest.raises(Sg3Error, match='invalid seeds'):
            parse_seeds(bad)

def test_generate_writes_the_generators_images(tmp_path):
    rc = main(['generate', '--network', 'builtin:sg2', '--seeds', '3-4', '--trunc', '0.7', '--device', 'cpu', '--outdir', str(tmp_path)])
    assert rc == 0
    G = sg3.load_generator('builtin:sg2')
    for seed in [3, 4]:
        with torch.no_grad():
            img = G(*seed_latent(seed, G.z_dim), truncation_psi=0.7, noise_mode='const')
        saved = np.asarray(Image.open(tmp_path / f'seed{seed:04d}.png'))
        np.testing.assert_array_equal(saved, to_uint8(img[0]))

def test_generate_applies_the_input_transform(tmp_path):
    rc = main(['generate', '--network', 'builtin:sg3-t', '--seeds', '1', '--translate', '0.25,0', '--rotate', '0', '--device', 'cpu', '--outdir', str(tmp_path)])
    assert rc == 0
    G = sg3.load_generator('builtin:sg3-t')
    with torch.no_grad():
        plain = to_uint8(G(*seed_latent(1, G.z_dim))[0]).astype(np.float64)
    shifted = np.asarray(Image.open(tmp_path / 'seed0001.png')).astype(np.float64)
    # A quarter-image translation to the right: column x of the plain image appears at x + 64.
    assert np.abs(shifted[:, 96:224] - plain[:, 32:160]).mean() < 0.1 * np.abs(shifted[:, 96:224] - plain[:, 96:224]).mean()

def test_transform_helpers_match_the_reference_convention(sg3t_ref):
    out = sg3t_ref['outputs']
    np.testing.assert_allclose(make_transform((0.1, -0.05), 10), out['xf_make_transform'], atol=1e-12)
    np.testing.assert_allclose(input_transform((0.1, -0.05), 10), out['xf_input_transform'], atol=1e-12)
    # The scale multiplies the rotation block (the viewer's zoom).
    np.testing.assert_allclose(make_transform((0.25, 0), 90, scale=2), [[0, 2, 0.25], [-2, 0, 0], [0, 0, 1]], atol=1e-12)

@pytest.mark.parametrize('argv, message', [
    (['--seeds', '3-1'], 'invalid seeds'),
    (['--seeds', '0', '--translate', '1'], 'invalid translate'),
    (['--seeds', '0', '--network', 'builtin:sg2', '--rotate', '5'], 'need a StyleGAN3 network'),
    (['--seeds', '0', '--class', '2'], 'unconditional'),
    (['--seeds', '0', '--network', 'builtin:nope'], 'unknown built-in'),
    (['--seeds', '0', '--device', 'gpu'], 'unknown device'),
    (['--seeds', '0', '--trunc-cutoff', '99'], 'truncation_cutoff'),
])
def test_generate_bad_arguments_exit_with_a_clear_message(tmp_path, capsys, argv, message):
    rc = main(['generate', '--outdir', str(tmp_path / 'out'), *argv])
    assert rc == 2
    assert message in capsys.readouterr().err

def test_generate_lists_the_files_it_wrote(tmp_path, capsys):
    assert main(['generate', '--network', 'builtin:sg2', '--seeds', '5,7', '--device', 'cpu', '--outdir', str(tmp_path / 'out')]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-3:] == ['Wrote 2 images:', f'  {tmp_path / "out" / "seed0005.png"}', f'  {tmp_path / "out" / "seed0007.png"}']
    assert sorted(p.name for p in (tmp_path / 'out').iterdir()) == ['seed0005.png', 'seed0007.png']
