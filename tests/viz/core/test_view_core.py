"""The view core driven headlessly: every app action and shortcut through `act` / `shortcut`, image drags,
dropped files, the request it submits, command bookkeeping, sessions (version 2 and 1) and captures.
A stand-in worker records what the core asks of it."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from viz.core import session, shortcuts
from viz.core.controller import ImageDrag
from viz.core.view_core import ARGS_KEY, ViewCore
from tests.viz.fakes import FakeWorker, summary
from viz.protocol import (EquivarianceView, AnalysisResult, ExportSpectrumCommand, MetricsCommand, RenderArgs, RenderResult,
    SpectrumAverageCommand)

REPO = pathlib.Path(__file__).resolve().parents[3]


def answer(core: ViewCore, **fields) -> RenderResult:
    """A 32 px stand-in result for the newest request, taken by the core."""
    worker = core.worker
    stamp, args = worker.submitted[-1]
    result = worker.post(image=np.full((32, 32, 3), stamp % 256, np.uint8), image_resolution=32, render_seconds=0.01,
        **{'network': summary(source=args.network.source, img_resolution=32), **fields})
    core.update(0.0)
    return result


@pytest.fixture
def core(tmp_path):
    lines: list[str] = []
    c = ViewCore(FakeWorker(), config_dir=tmp_path / 'config', capture_dir=str(tmp_path / 'captures'), emit=lines.append)
    c.lines = lines
    return c


def test_the_core_imports_no_toolkit_and_no_torch():
    code = ('import sys, viz.core.view_core; bad = sorted(m for m in sys.modules if m.split(".")[0] in '
        '{"torch", "imgui", "glfw", "OpenGL", "tkinter", "pyopengltk", "sg3"}); print(bad); sys.exit(1 if bad else 0)')
    done = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stdout + done.stderr


def test_update_submits_only_changes_and_applies_results(core):
    worker = core.worker
    assert core.update(0.0) == RenderArgs() and len(worker.submitted) == 1
    assert core.update(0.0) is None and len(worker.submitted) == 1
    assert core.render_pending()
    result = answer(core)
    assert core.result is result and core.shown_image is result.image and not core.render_pending()
    assert core.settings.recent[0] == 'builtin:sg3-t'
    assert any(line.startswith('RENDERED stamp=1 ') for line in core.lines)
    core.act('latent', 'next_seed')
    core.update(0.0)
    worker.post(RenderResult(stamp=0, loading='Loading x...'))
    core.update(0.0)
    assert core.loading == 'Loading x...' and core.result is result


@pytest.mark.parametrize('key, shift, ctrl, check', [
    ('RIGHT', False, False, lambda c: c.controllers['latent'].state.x == 1),
    ('LEFT', False, False, lambda c: c.controllers['latent'].state.x == -1),
    ('DOWN', False, False, lambda c: c.controllers['latent'].state.y == 1),
    ('UP', False, False, lambda c: c.controllers['latent'].state.y == -1),
    ('SPACE', False, False, lambda c: c.controllers['latent'].state.anim),
    ('TAB', False, False, lambda c: not c.view.show_pane),
    ('F11', False, False, lambda c: c.presenting),
    ('F', False, False, lambda c: c.view.zoom is None),
    ('1', False, False, lambda c: c.view.zoom == 1.0),
    ('F1', False, False, lambda c: c.help_requested),
    ('H', False, False, lambda c: c.help_requested),
    ('Q', False, True, lambda c: c.quit_requested),
    ('S', True, False, lambda c: c.window_capture_pending),
])
def test_every_shortcut_has_its_effect(core, key, shift, ctrl, check):
    core.set_view(zoom=3.0)
    assert core.shortcut(key, shift=shift, ctrl=ctrl)
    assert check(core)


def test_shortcut_table_is_complete_and_unknown_keys_do_nothing(core):
    tested = {('RIGHT', False, False), ('LEFT', False, False), ('DOWN', False, False), ('UP', False, False), ('SPACE', False, False),
        ('TAB', False, False), ('F11', False, False), ('F', False, False), ('1', False, False), ('F1', False, False), ('H', False, False), ('Q', False, True),
        ('S', True, False), ('S', False, False), ('R', False, False)}
    assert {(s.key, s.shift, s.ctrl) for s in shortcuts.SHORTCUTS} == tested
    for s in shortcuts.SHORTCUTS:
        target, name = s.action.split('.')
        assert name in (ViewCore.APP_ACTIONS if target == 'app' else core.controllers[target].ACTIONS)
    assert not core.shortcut('X') and not core.shortcut('Q')  # Q needs Ctrl.


def test_reset_view_shortcut_snaps_the_latent_and_resets_the_transform(core):
    core.act('latent', 'move', 0.4, 0.3)
    core.act('transform', 'set', x=0.2, angle_deg=30.0, untransform=True)
    assert core.shortcut('R')
    assert (core.controllers['latent'].state.x, core.controllers['latent'].state.y) == (0.0, 0.0)
    t = core.controllers['transform']
    assert t.is_identity() and t.state.untransform


def test_capture_shortcut_and_action_save_the_image_with_its_request(core, tmp_path):
    assert core.capture_image() is None and core.message.error and 'Nothing to capture' in core.message.text
    core.update(0.0)
    result = answer(core)
    assert core.shortcut('S')
    files = sorted((tmp_path / 'captures').glob('image-*.png'))
    assert len(files) == 1
    with Image.open(files[0]) as im:
        assert np.array_equal(np.asarray(im.convert('RGB')), result.image)
        assert RenderArgs.from_dict(json.loads(im.text[ARGS_KEY])) == result.args
    core.act('app', 'capture_image')
    assert len(list((tmp_path / 'captures').glob('image-*.png'))) == 2
    assert any(line.startswith('CAPTURED kind=image') for line in core.lines)


def test_window_capture_goes_through_the_front_end(core, tmp_path):
    core.act('app', 'capture_window')
    assert core.window_capture_pending
    path = core.save_capture(np.zeros((10, 20, 3), np.uint8), 'window')
    assert path.name.startswith('window-') and not core.window_capture_pending
    (tmp_path / 'file').write_text('x')
    core.act('capture', 'set', folder=str(tmp_path / 'file'))
    core.act('app', 'capture_window')
    assert not core.window_capture_pending and 'is a file, not a folder' in core.message.text


def test_unknown_actions_and_bad_values_are_messages_not_crashes(core):
    before = core.controllers['latent'].state
    for target, name, args in (('latent', 'explode', ()), ('nowhere', 'x', ()), ('app', 'format_disk', ()),
            ('latent', 'set_seed', ('x',)), ('latent', 'set', ()), ('transform', 'set', ()), ('latent', 'set_seed', (1, 2, 3))):
        core.act(target, name, *args) if name != 'set' else core.act(target, name, bogus=1)
        assert core.message is not None and core.message.error, (target, name)
    assert core.controllers['latent'].state == before
    core.act('app', 'set_filter', 'blurry')
    assert core.message.text == "view.filter = 'blurry': expected nearest or linear" and core.view.filter == 'nearest'


def test_image_drags_reach_latent_and_transform(core):
    core.act('app', 'open', 'x.pkl')
    core.update(0.0)
    answer(core)
    core.image_drag(ImageDrag(dx=8, dy=0, button=0))
    core.image_drag(ImageDrag(dx=8, dy=16, button=1))
    args = core.update(0.0)
    assert args.latent.x == pytest.approx(8 * 4.0 / 32) and (args.transform.x, args.transform.y) == (0.25, 0.5)
    assert args.network.source == 'x.pkl'


def test_drop_opens_networks_and_sessions(core, tmp_path):
    saved = tmp_path / 'one.json'
    core.act('latent', 'set_seed', 42)
    assert core.save_session(str(saved))
    core.act('latent', 'set_seed', 1)
    core.drop([str(tmp_path / 'net.pkl'), str(saved)])
    assert core.network.state.source == str(tmp_path / 'net.pkl') and core.controllers['latent'].state.x == 42


def test_interaction_marks_preview_requests_and_release_renders_exactly(core):
    core.act('performance', 'set', preview_bf16=True)
    core.update(0.0)
    answer(core, network=summary(bf16_supported=True))
    core.interacting = True
    core.act('latent', 'move', 0.5, 0)
    assert core.update(0.0).performance.interacting
    core.interacting = False
    exact = core.update(0.0)
    assert exact is not None and not exact.performance.interacting and exact.latent.x == 0.5

# ----------------------------------------------------------------------------
# Commands.


def test_metrics_average_export_and_cancel_go_through_the_command_channel(core, tmp_path):
    worker = core.worker
    core.act('analysis', 'set', metrics_samples=4, metrics_seed=7, average_seeds=3)
    core.act('app', 'compute_metrics')
    _id, command, args = worker.last_command
    assert command == MetricsCommand(samples=4, seed=7) and args == core.compose_args()
    assert core.command_status('metrics').state == 'queued'
    core.act('app', 'cancel', 'metrics')
    assert worker.cancelled == [1]
    core.update(0.0)
    assert core.command_status('metrics').state == 'cancelled'
    core.act('app', 'average_spectrum')
    assert worker.last_command[1] == SpectrumAverageCommand(seeds=3)
    assert core.analysis.state.spectrum and core.analysis.state.show_average
    core.act('app', 'export_spectrum', 'npz')
    assert worker.last_command[1] == ExportSpectrumCommand(format='npz', folder=str(tmp_path / 'captures'))
    core.act('app', 'export_spectrum', 'gif')
    assert len(worker.started) == 3 and 'export format' in core.message.text
    # A second metrics run cancels the first if it still runs; statuses arrive through poll_commands.
    core.act('app', 'compute_metrics')
    core.act('app', 'compute_metrics')
    assert worker.cancelled == [1, 4]
    worker.post_status(5, 'done', done=4, total=4, psnr=(('eqt', 50.0),))
    core.update(0.0)
    assert core.command_status('metrics').psnr == (('eqt', 50.0),)
    assert any(line.startswith('COMMAND id=5 kind=metrics state=done') for line in core.lines)


def test_a_finished_average_re_renders_the_view(core):
    worker = core.worker
    core.update(0.0)
    answer(core)
    core.act('app', 'average_spectrum')
    core.update(0.0)
    count = len(worker.submitted)
    worker.post_status(1, 'done', done=8, total=8)
    core.update(0.0)
    assert len(worker.submitted) == count + 1 and worker.submitted[-1][1] == worker.submitted[-2][1]


def test_psnr_history_follows_the_heatmap(core):
    core.act('analysis', 'set_eq_mode', 'eqt')
    for psnr in (40.0, 41.0):
        core.act('latent', 'move', 0.1, 0)
        core.update(0.0)
        view = EquivarianceView(mode='eqt', translate=(0, 0), angle_deg=0, psnr=psnr, mse=0, error_max=0, scale_max=1,
            error_map=np.zeros((1, 1), np.float32), mask=np.ones((1, 1), bool))
        answer(core, analysis=AnalysisResult(equivariance=view))
    assert list(core.psnr_history) == [40.0, 41.0]
    core.act('analysis', 'set_eq_mode', 'eqr')
    core.update(0.0)
    assert list(core.psnr_history) == []

# ----------------------------------------------------------------------------
# Sessions.


def test_session_round_trip_is_exact(core, tmp_path):
    core.act('latent', 'move', 12.25, 3.5)
    core.act('mix', 'set', enabled=True, seed=9)
    core.act('mix', 'preset', 'coarse', 12)
    core.act('analysis', 'set_eq_mode', 'eqt_frac')
    core.set_view(zoom=2.0, pan=(3.0, -4.0), filter='linear')
    path = tmp_path / 'session.json'
    assert core.act('app', 'save_session', str(path))
    state, args = core.view_state(), core.compose_args()
    assert json.loads(path.read_text()) == state and state['version'] == 2
    for key in list(core.controllers):
        core.act(key, 'reset')
    core.set_view(zoom=None)
    assert core.act('app', 'load_session', str(path))
    assert core.view_state() == state and core.compose_args() == args


def test_version_1_sessions_still_load(core, tmp_path):
    v1 = {'format': 'sg3-viz-session', 'version': 1, 'widgets': {
        'network': {'source': 'builtin:sg2', 'key': None, 'browse_dir': ''},
        'latent': {'x': 5.5, 'y': 1.0, 'anim': False, 'speed': 0.25, 'class_idx': None},
        'TruncNoiseWidget': {'psi': 0.7, 'use_cutoff': False, 'cutoff': 8, 'noise_mode': 'none', 'noise_seed': 0},
        'EquivarianceWidget': {'mode': 'eqr', 'layout': 'error', 'auto_scale': True, 'scale_max': 0.01, 'samples': 9, 'seed': 2},
        'SpectrumWidget': {'enabled': False, 'beta': 4.0, 'db_low': -30.0, 'db_high': 10.0, 'channels': 'all', 'average_seeds': 6,
            'show_average': False, 'export_dir': 'figs'}},
        'app': {'zoom': 2.0, 'pan': [1, 2], 'show_pane': True, 'filter': 'linear', 'pane_width': 30.0}}
    path = tmp_path / 'v1.json'
    path.write_text(json.dumps(v1))
    assert core.load_session(str(path)), core.message.text
    args = core.compose_args()
    assert args.network.source == 'builtin:sg2' and args.latent.x == 5.5 and args.truncation.psi == 0.7
    assert (args.analysis.eq_mode, args.analysis.eq_layout, args.analysis.spectrum_beta) == ('eqr', 'error', 4.0)
    assert core.analysis.metrics_command() == MetricsCommand(samples=9, seed=2)
    assert core.capture.state.folder == 'figs' and core.view.zoom == 2.0 and core.view.pan == (1.0, 2.0)


@pytest.mark.parametrize('content, fragment', [
    ('{not json', 'not valid JSON'),
    ('[]', 'expected a JSON object with "format"'),
    ('{"format": "sg3-viz-session", "version": 9}', 'version 9 is not supported'),
    ('{"format": "sg3-viz-session", "version": 2, "controllers": {"latent": {"x": "far"}}}', 'Latent.x = \'far\': expected a finite number'),
    ('{"format": "sg3-viz-session", "version": 2, "controllers": {"latent": {"x": NaN}}}', 'NaN is not a number JSON allows'),
    ('{"format": "sg3-viz-session", "version": 2, "controllers": {"warp": {}}}', "unknown controller 'warp'"),
    ('{"format": "sg3-viz-session", "version": 2, "view": {"zoom": 1000}}', 'view.zoom = 1000'),
    ('{"format": "sg3-viz-session", "version": 2, "extra": 1}', 'unknown entry "extra"'),
    ('{"format": "sg3-viz-session", "version": 1, "widgets": {"Gizmo": {}}}', "unknown widget 'Gizmo'"),
    ('[' * 100000 + ']' * 100000, 'not valid JSON'),
])
def test_bad_session_files_name_the_problem_and_change_nothing(core, tmp_path, content, fragment):
    core.act('latent', 'set_seed', 3)
    before = core.view_state()
    path = tmp_path / 'bad.json'
    path.write_text(content)
    assert not core.load_session(str(path))
    assert core.message.error and fragment in core.message.text and str(path) in core.message.text
    assert core.view_state() == before


def test_partial_failure_rolls_back_every_controller(core, tmp_path):
    path = tmp_path / 'half.json'
    path.write_text(json.dumps({'format': 'sg3-viz-session', 'version': 2, 'controllers': {
        'latent': {'x': 99.0}, 'transform': {'scale': 0.0}}}))
    before = core.view_state()
    assert not core.load_session(str(path)) and 'scale' in core.message.text
    assert core.view_state() == before


def test_saving_into_a_missing_folder_is_an_error_and_writes_nothing(core, tmp_path):
    target = tmp_path / 'missing' / 's.json'
    assert not core.save_session(str(target))
    assert 'does not exist' in core.message.text and not (tmp_path / 'missing').exists()


def test_settings_keep_folders_view_and_rate(tmp_path):
    core = ViewCore(FakeWorker(), config_dir=tmp_path, capture_dir=str(tmp_path / 'caps'), fps_limit=30)
    core.act('network', 'set_browse_dir', str(tmp_path))
    core.act('app', 'toggle_pane')
    core.close(window_size=(800, 600))
    assert core.worker.closed
    again = ViewCore(FakeWorker(), config_dir=tmp_path)
    assert again.capture.state.folder == str(tmp_path / 'caps') and again.network.state.browse_dir == str(tmp_path)
    assert not again.view.show_pane and again.performance.state.fps_limit == 30
    assert (again.settings.window_width, again.settings.window_height) == (800, 600)


def test_dropped_timeline_files_load_as_timelines(core, tmp_path):
    core.act('app', 'make_seed_loop', '4, 5', 1.0)
    path = tmp_path / 'loop.json'
    assert core.save_timeline(str(path))
    core.act('app', 'clear_timeline')
    core.drop([str(path)])
    assert [key.controllers['latent']['x'] for key in core.timeline.keyframes] == [4.0, 5.0]
    assert 'Timeline loaded' in core.message.text


def test_editing_the_view_pauses_playback(core):
    core.act('app', 'make_seed_loop', '4, 5', 1.0)
    core.act('app', 'play')
    core.update(0.25)
    assert core.playhead.playing
    core.act('transform', 'set', angle_deg=30.0)
    assert not core.playhead.playing and 'paused' in core.message.text
    core.update(0.5)
    assert core.controllers['transform'].state.angle_deg == 30.0      # The edit stays.
    core.act('app', 'play')
    core.image_drag(ImageDrag(dx=4, dy=0, button=0))
    assert not core.playhead.playing
