"""`python -m sg3 equivariance` and `python -m sg3 spectra`, run through sg3.__main__."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest
import torch

import sg3
from sg3 import equivariance as eq
from sg3 import spectra as sp
from sg3.__main__ import build_parser, main
from tests.sg3.test_equivariance import PatternGenerator
from tests.reference import build_reference_generator as _reference_generator, needs_reference



@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch) -> dict:
    """Replaces sg3.load_generator with a lookup of stand-in networks; records the calls."""
    nets: dict = {'calls': []}

    def load(source: str, device: str = 'cpu', **_kwargs) -> torch.nn.Module:
        nets['calls'].append((source, device))
        return nets[source]
    monkeypatch.setattr(sg3, 'load_generator', load)
    return nets


def test_parsers_are_registered() -> None:
    parser = build_parser()
    args = parser.parse_args(['equivariance', '--num', '3'])
    assert args.func.__name__ == 'run_equivariance' and args.kinds == 'eqt,eqt_frac,eqr' and args.seed == 0
    args = parser.parse_args(['spectra', '--layer', 'L3_36_512', '--outdir', 'x'])
    assert args.func.__name__ == 'run_spectra' and args.beta == 8 and args.interp == 4 and args.num == 100


def test_equivariance_prints_table_and_progress(network: dict, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture) -> None:
    network['pattern'] = PatternGenerator(res=16, follow=False)
    out_json = tmp_path / 'eq.json'
    rc = main(['equivariance', '--network', 'pattern', '--num', '2', '--seed', '3', '--kinds', 'eqt,eqr', '--device', 'cpu', '--json', str(out_json)])
    captured = capsys.readouterr()
    assert rc == 0 and network['calls'] == [('pattern', 'cpu')]
    expected = eq.compute_metrics(PatternGenerator(res=16, follow=False), num_samples=2, seed=3, kinds=('eqt', 'eqr'))
    rows = {line.split()[0]: line.split()[1:] for line in captured.out.splitlines()}
    assert float(rows['EQ-T'][0]) == pytest.approx(expected.psnr['eqt'], abs=0.006)
    assert float(rows['EQ-R'][0]) == pytest.approx(expected.psnr['eqr'], abs=0.006)
    assert 'EQ-T_frac' not in rows
    assert '2/2' in captured.err and 'equivariance [' in captured.err
    record = json.loads(out_json.read_text())
    assert record['psnr']['EQ-T'] == expected.psnr['eqt'] and record['num_samples'] == 2


def test_equivariance_errors(network: dict, capsys: pytest.CaptureFixture) -> None:
    assert main(['equivariance', '--kinds', 'eqt,rot']) == 2
    assert "invalid --kinds 'eqt,rot'" in capsys.readouterr().err
    network['pattern'] = PatternGenerator(res=16)
    assert main(['equivariance', '--network', 'pattern', '--num', '0']) == 2
    assert 'invalid --num 0' in capsys.readouterr().err


def test_equivariance_of_builtin_stylegan2_is_not_available(capsys: pytest.CaptureFixture) -> None:
    rc = main(['equivariance', '--network', 'builtin:sg2', '--num', '1', '--device', 'cpu'])
    assert rc == 2
    assert 'not available: StyleGAN2 networks have no input transform' in capsys.readouterr().err


@needs_reference
def test_spectra_writes_png_and_npz(network: dict, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture) -> None:
    from PIL import Image
    G = _reference_generator('sg3t-64')
    network['sg3t'] = G
    rc = main(['spectra', '--network', 'sg3t', '--layer', 'L3_36_128', '--num', '1', '--seed', '5', '--interp', '2',
        '--beta', '6', '--outdir', str(tmp_path / 'out'), '--dpi', '40', '--device', 'cpu'])
    captured = capsys.readouterr()
    assert rc == 0
    png, npz = tmp_path / 'out' / 'spectrum-L3_36_128.png', tmp_path / 'out' / 'spectrum-L3_36_128.npz'
    assert str(png) in captured.out and str(npz) in captured.out and '1/1' in captured.err
    with Image.open(png) as image:
        assert image.format == 'PNG'
    data = np.load(npz)
    expected, design = sp.average_layer_spectrum(G, 'L3_36_128', [5], beta=6, interp=2)
    np.testing.assert_allclose(data['power'], expected.power, rtol=1e-6)
    assert float(data['cutoff']) == G.synthesis.L3_36_128.out_cutoff and float(data['sampling_rate']) == 16
    assert data['power'].shape == (72, 72) and int(data['count']) == 1


def test_spectra_of_builtin_stylegan2_layer(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture) -> None:
    rc = main(['spectra', '--network', 'builtin:sg2', '--layer', 'b16.conv0', '--num', '1', '--interp', '1',
        '--outdir', str(tmp_path), '--dpi', '30', '--device', 'cpu'])
    assert rc == 0, capsys.readouterr().err
    data = np.load(tmp_path / 'spectrum-b16.conv0.npz')
    assert float(data['sampling_rate']) == 16 and np.isnan(data['cutoff']) and data['power'].shape == (16, 16)
    assert 'cutoff none' in capsys.readouterr().out


def test_spectra_errors(network: dict, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture) -> None:
    network['pattern'] = PatternGenerator(res=16)
    assert main(['spectra', '--network', 'pattern', '--layer', 'L3', '--num', '1', '--outdir', str(tmp_path)]) == 2
    assert "layer = 'L3': not a layer of this network" in capsys.readouterr().err
    assert main(['spectra', '--network', 'pattern', '--db-range', '20,-40', '--outdir', str(tmp_path)]) == 2
    assert 'invalid --db-range' in capsys.readouterr().err
    assert not any(tmp_path.iterdir())
