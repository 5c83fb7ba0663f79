"""Directions and imported latents in the renderer and its commands, driven through the view core with a real worker:
the image is the network's for w + sum s_k sigma_k d_k (computed here with sg3 directly), W+ export and import round
trip bit for bit, PCA and thumbnails run as commands, sessions and timelines carry the strengths and latents."""

import json
import time

import numpy as np
import pytest
import torch

from sg3 import directions as D, latent_files as LF
from tests.viz.render.test_analysis import Loader, seed_ws, to_uint8
from viz.core.timeline import compose, make_keyframe, Timeline
from viz.core.view_core import ViewCore
from viz.protocol import (DirectionsArgs, LatentArgs, NetworkArgs, PerformanceArgs, RenderArgs, TransformArgs,
    TruncationArgs)
from viz.render.renderer import Renderer
from viz.render.worker import RenderWorker

pytestmark = pytest.mark.usefixtures('one_thread')


@pytest.fixture()
def core(tmp_path, monkeypatch):
    monkeypatch.setenv(D.CACHE_ENV, str(tmp_path / 'cache'))
    loader = Loader()
    core = ViewCore(RenderWorker(Renderer(load_fn=loader)), config_dir=tmp_path / 'config', capture_dir=str(tmp_path / 'captures'),
        sources=('tiny:sg3',), device='cpu')
    core.loader = loader
    yield core
    core.close()


def settle(core, until=lambda core: True, timeout=60.0):
    """update() until the newest request has its result and until(core) holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        core.update(0.0)
        if not core.render_pending() and core.result is not None and until(core):
            return core.result
        time.sleep(0.005)
    raise AssertionError(f'no result; message {core.message}')


def image_of(G, ws):
    with torch.no_grad():
        return to_uint8(G.synthesis(ws, noise_mode='const')[0])


def test_sefa_slider_renders_w_plus_the_scaled_direction(core):
    G = core.loader.nets['tiny:sg3']
    core.act('latent', 'set_seed', 4)
    core.act('directions', 'set_basis', 'sefa')
    core.act('directions', 'set_range', 1, 4)
    result = settle(core)
    assert result.error is None and result.directions.names[0] == 'SeFa 0'
    core.act('directions', 'set_strength', 1, 2.5)
    result = settle(core)
    sefa = D.sefa(G, 1, 4)
    assert result.directions.sigmas[1] == pytest.approx(float(sefa.sigmas[1]))
    ws = seed_ws(G, 4)
    expected = ws.clone()
    expected[:, 1:4] += torch.from_numpy(2.5 * sefa.sigmas[1] * sefa.vectors[1])
    np.testing.assert_array_equal(result.image, image_of(G, expected))
    assert not np.array_equal(result.image, image_of(G, ws))


def test_export_import_round_trip_and_script_line(core, tmp_path, capsys):
    G = core.loader.nets['tiny:sg3']
    core.act('latent', 'set_seed', 2)
    core.act('directions', 'set_basis', 'sefa')
    core.act('directions', 'set_strength', 0, -1.5)
    shown = settle(core).image
    core.act('app', 'export_w')
    settle(core, lambda c: c.script is not None)
    path = core.command_status('export_w').path
    assert path.endswith('w-00001.npz') and str(tmp_path / 'captures') in path
    assert f'-m sg3 generate --network tiny:sg3 --w {path}' in core.script and core.clipboard_request == core.script
    assert core.script in capsys.readouterr().out
    with np.load(path) as data:
        assert data['w'].shape == (1, G.num_ws, G.w_dim)
    # Import: the seed's W is replaced; the edit is off, so the image is the exported one, bit for bit.
    core.act('directions', 'reset')
    core.drop([path])
    assert core.controllers['directions'].state.latents == path
    result = settle(core)
    np.testing.assert_array_equal(result.image, shown)
    np.testing.assert_array_equal(result.image, image_of(G, torch.from_numpy(LF.load_latents(path, G.num_ws, G.w_dim))))
    # A list of latents to step through.
    many = np.stack([seed_ws(G, s)[0].numpy() for s in (7, 8, 9)])
    np.save(tmp_path / 'many.npy', many)
    core.drop([str(tmp_path / 'many.npy')])
    assert settle(core).directions.latent_count == 3
    core.act('directions', 'next_latent', 3)
    core.act('directions', 'next_latent', 3)
    core.act('directions', 'next_latent', 3)
    assert core.controllers['directions'].state.latent_index == 2
    np.testing.assert_array_equal(settle(core).image, image_of(G, seed_ws(G, 9)))
    # A file of the wrong shape: the error names the file and the shape expected, the app goes on.
    np.save(tmp_path / 'bad.npy', np.zeros([3, 5, 7]))
    core.drop([str(tmp_path / 'bad.npy')])
    result = settle(core)
    assert result.image is None and 'bad.npy' in result.error and f'expected [{G.w_dim}]' in result.error


def test_pca_command_then_basis_and_thumbnails(core):
    G = core.loader.nets['tiny:sg3']
    core.act('directions', 'set', pca_samples=300)
    core.act('directions', 'set_basis', 'pca')
    assert 'not computed yet' in settle(core).directions.note
    core.act('app', 'compute_pca')
    settle(core, lambda c: c.command_status('pca').finished and c.result.directions.names)
    assert core.command_status('pca').state == 'done'
    pca = D.pca_of_samples(D.sample_w(G, 300, 0))
    np.testing.assert_allclose(np.abs(core.result.directions.sigmas[:3]), pca.sigmas[:3], rtol=1e-4)

    core.act('directions', 'set_strength', 0, 1.0)
    core.act('app', 'compute_thumbnails')
    result = settle(core, lambda c: c.command_status('thumbnails').finished and c.result.image.shape[1] == 5 * 64)
    strips = result.image
    assert strips.shape == (8 * 64, 5 * 64, 3)
    # The middle thumbnail of each row is the unedited view; the first is -2 sigma along that direction.
    from PIL import Image
    plain = image_of(G, seed_ws(G, 0))
    np.testing.assert_array_equal(strips[:64, 128:192], np.asarray(Image.fromarray(plain).resize((64, 64), Image.BOX)))
    ws = seed_ws(G, 0) + torch.from_numpy(-2.0 * pca.sigmas[1] * D.cached_pca(G, 300, 0).vectors[1])
    np.testing.assert_array_equal(strips[64:128, :64], np.asarray(Image.fromarray(image_of(G, ws)).resize((64, 64), Image.BOX)))
    core.act('directions', 'set', thumbnails=False)
    assert settle(core).image.shape[1] == G.img_resolution


def test_save_named_set_session_and_timeline_carry_strengths(core, tmp_path):
    core.act('directions', 'set_basis', 'sefa')
    core.act('directions', 'rename', 1, 'smile')
    core.act('directions', 'set_strength', 2, 0.75)
    settle(core)
    core.act('app', 'save_directions')
    settle(core, lambda c: c.command_status('save_directions').finished)
    _v, names, _s, _values, kind = LF.load_directions(core.command_status('save_directions').path, 8)
    assert names[:3] == ('SeFa 0', 'smile', 'SeFa 2') and kind == 'sefa'

    core.save_session(str(tmp_path / 's.json'))
    saved = json.loads((tmp_path / 's.json').read_text())['controllers']['directions']
    assert saved['strengths'] == [0.0, 0.0, 0.75] and saved['names'] == ['', 'smile']
    core.act('directions', 'reset')
    core.load_session(str(tmp_path / 's.json'))
    assert core.controllers['directions'].state.strengths == (0.0, 0.0, 0.75)

    # Timelines: strengths move between keyframes; the imported latent file travels with the keyframe.
    a = make_keyframe(0.0, core.view_state(), 'a')
    state = core.view_state()
    state['controllers']['directions'].update(strengths=[0.0, 0.0, 1.75], latents='/x/w.npz')
    b = make_keyframe(2.0, state, 'b')
    sample = Timeline(keyframes=(a, b), easing='linear', duration=2.0).sample(1.0)
    args = compose(sample)
    assert args.directions.strengths == pytest.approx((0.0, 0.0, 1.25)) and args.directions.latents == ''
    assert RenderArgs.from_dict(json.loads(json.dumps(args.to_dict()))).directions == args.directions
    with pytest.raises(ValueError, match='strengths'):
        DirectionsArgs(strengths=(float('nan'),))

# ----------------------------------------------------------------------------
# The command line gives the viewer's image.


def viewer_args(network: str, **directions) -> RenderArgs:
    return RenderArgs(network=NetworkArgs(source=network), latent=LatentArgs(x=5), truncation=TruncationArgs(psi=0.7),
        performance=PerformanceArgs(device='cpu'), transform=TransformArgs(x=0.125, y=-0.0625, angle_deg=10.0, scale=1.5),
        directions=DirectionsArgs(**directions))


def png(path) -> np.ndarray:
    from PIL import Image
    return np.asarray(Image.open(path))


def test_generate_directions_and_the_export_script_line_give_the_viewers_image(tiny_network, tmp_path):
    import shlex
    import sg3
    from sg3.__main__ import main
    from sg3.pipeline import seed_latent
    from viz.core.directions_actions import script_line
    G = sg3.load_generator(tiny_network, device='cpu')
    np.save(tmp_path / 'd.npy', np.random.RandomState(1).randn(3, G.w_dim).astype(np.float32))   # No spreads: both measure them.
    args = viewer_args(tiny_network, basis='file', source=str(tmp_path / 'd.npy'), first=2, last=5, strengths=(1.5, 0.0, -2.0))
    shown = Renderer().render(args)
    assert shown.error is None
    plain = Renderer().render(viewer_args(tiny_network)).image
    assert np.abs(shown.image.astype(int) - plain).mean() > 1                # The edit shows.
    assert main(['generate', '--network', tiny_network, '--seeds', '5', '--trunc', '0.7', '--directions', str(tmp_path / 'd.npy'),
        '--strengths', '0:1.5,2:-2.0', '--layers', '2-4', '--translate', '0.125,-0.0625', '--rotate', '10', '--scale', '1.5',
        '--device', 'cpu', '--outdir', str(tmp_path / 'cli')]) == 0
    np.testing.assert_array_equal(png(tmp_path / 'cli' / 'seed0005.png'), shown.image)
    # The exported W+ (the edited ws, as the export command writes them) and the script line: the same image again.
    directions = LF.direction_set(str(tmp_path / 'd.npy'), G)
    with torch.no_grad():
        ws = G.mapping(*seed_latent(5, G.z_dim), truncation_psi=0.7)
    LF.save_latents(str(tmp_path / 'w.npz'), D.apply_directions(ws, directions, (1.5, 0.0, -2.0), 2, 5).numpy())
    line = script_line(args, str(tmp_path / 'w.npz'))
    assert '--scale 1.5' in line and '--rotate 10.0' in line and '--translate 0.125,-0.0625' in line
    assert main(shlex.split(line)[3:] + ['--device', 'cpu', '--outdir', str(tmp_path / 'script')]) == 0
    np.testing.assert_array_equal(png(tmp_path / 'script' / 'w0000.png'), shown.image)


@pytest.mark.parametrize('argv, message', [
    (['--strengths', '0:1'], 'give a direction file with --directions'),
    (['--directions', 'd.npy'], '--directions needs --strengths'),
    (['--directions', 'd.npy', '--strengths', '0:x'], 'invalid strengths'),
    (['--directions', 'd.npy', '--strengths', '0:1,0:2'], 'each index once'),
    (['--directions', 'd.npy', '--strengths', '3:1'], 'holds 3 directions; expected indices 0 .. 2'),
    (['--directions', 'd.npy', '--strengths', '0:1', '--layers', '2-99'], 'expected W indices 0 ..'),
    (['--directions', 'missing.npy', '--strengths', '0:1'], 'missing.npy: no such file'),
    (['--scale', '0'], 'invalid --scale 0.0'),
])
def test_generate_bad_edit_arguments_exit_with_a_clear_message(tiny_network, tmp_path, monkeypatch, capsys, argv, message):
    import sg3
    from sg3.__main__ import main
    monkeypatch.chdir(tmp_path)
    np.save(tmp_path / 'd.npy', np.eye(3, sg3.load_generator(tiny_network).w_dim, dtype=np.float32))
    assert main(['generate', '--network', tiny_network, '--seeds', '1', '--device', 'cpu', '--outdir', str(tmp_path / 'out'), *argv]) == 2
    assert message in capsys.readouterr().err
