"""The Tk panels in a real Tk root under Xvfb, against a real ViewCore with a FakeWorker: every control used through
the widget (invoke, typed text + Return, a combobox choice, a slider moved, a handle dragged), with assertions on
what it does to the core (controller state, the request it submits, commands, captures, sessions) and on the
text shown. The last test checks that every control of every panel was used by one of the others."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
from PIL import Image

from tests.viz.fakes import sg2_summary, summary
from tests.viz.tk.harness import assert_every_control_touched
from viz.core import published
from viz.core.texts import (LAYER_COLUMNS, MODE_LABELS, NO_KEYFRAMES, PREVIEW_LABEL, PUBLISHED_PLACEHOLDER, RECENT_PLACEHOLDER,
    UNTRAINED_LABEL, format_psnr)
from viz.protocol import (AnalysisResult, CommandStatus, EquivarianceView as EqView, ExportSpectrumCommand, LayerInfo, LayerStats,
    MetricsCommand, NetworkArgs, SpectrumAverageCommand, VideoCommand)
from viz.tk.panels import (PANEL_CLASSES, CapturePanel, EquivariancePanel, LatentPanel, LayersPanel, NetworkPanel, PerformancePanel,
    SessionPanel, SpectrumPanel, StyleMixPanel, TimelinePanel, TransformPanel, TruncNoisePanel, ViewPanel)
from viz.tk.panels.latent import DRAG_SEEDS_PER_EM
from viz.tk.panels.transform import DRAG_FAST, DRAG_SLOW, OUTPUT_IID


def state(core, key):
    return core.controllers[key].state


def last(core):
    return core.worker.last_args

# ----------------------------------------------------------------------------
# Network.


def test_network_typed_source_load_button_builtins_key_and_errors(pane):
    core = pane.show(NetworkPanel).core
    assert last(core).network == NetworkArgs(source='builtin:sg3-t')
    pane.type('source', '/no/such/net.pkl')
    assert last(core).network.source == '/no/such/net.pkl'
    assert pane.shown('No such file: /no/such/net.pkl')         # The note shows, and the request still goes out.
    pane.deliver(error="network '/no/such/net.pkl': no such file")
    assert pane.shown("Cannot load: network '/no/such/net.pkl': no such file")
    pane.type('source', 'builtin:sg2', key=None)                 # Typed without Return: nothing yet.
    assert state(core, 'network').source == '/no/such/net.pkl'
    pane.press('Load')
    assert last(core).network.source == 'builtin:sg2'
    for name in ('sg3-r', 'sg3-t', 'sg2'):
        pane.press(name)
        assert last(core).network.source == f'builtin:{name}'
    pane.type('key', 'G')
    assert last(core).network == NetworkArgs(source='builtin:sg2', key='G')
    pane.type('key', ' ')
    assert last(core).network.key is None
    core.worker.post(loading='Loading builtin:sg2 on cpu...')
    pane.frame()
    assert pane.shown('Loading builtin:sg2 on cpu...')
    pane.deliver(network=sg2_summary(description=('stylegan2, 256x256', '14 ws')))
    assert pane.shown('14 ws') and not pane.shown('Cannot load')


def files(pane) -> list[str]:
    return list(pane.widget('files').get(0, 'end'))


def pick_row(pane, text: str, event: str = '<ButtonRelease-1>') -> None:
    """Select a row of the browser's listing and click it (or press a key there)."""
    widget = pane.widget('files')
    index = files(pane).index(text)
    widget.selection_clear(0, 'end')
    widget.selection_set(index)
    widget.focus_force()
    pane.root.update()
    widget.event_generate(event)
    pane.frame()


def test_network_browser_system_dialog_recent_and_published_lists(pane, tmp_path, monkeypatch):
    monkeypatch.setenv(published.BASE_ENV, 'http://127.0.0.1:9/files')
    core = pane.show(NetworkPanel).core
    assert not pane.enabled('recent') and not pane.enabled('folders')    # Nothing else loaded or opened yet.
    assert pane.shown(UNTRAINED_LABEL)
    folder = tmp_path / 'nets'
    (folder / 'sub').mkdir(parents=True)
    for name in ('b.pkl', 'a.safetensors', 'notes.txt', 'view.json'):
        (folder / name).write_bytes(b'x')
    # Tk's file dialog: the chosen file opens, and its folder is listed.
    pane.answers.append(str(folder / 'b.pkl'))
    pane.press('System dialog...')
    which, options = pane.dialogs[-1]
    assert which == 'open' and ('Networks, sessions, timelines', '*.pkl *.safetensors *.json') in options['filetypes']
    assert last(core).network.source == str(folder / 'b.pkl') and state(core, 'network').browse_dir == str(folder)
    assert files(pane) == ['../', 'sub/', 'a.safetensors    (network)', 'b.pkl    (network)', 'view.json    (session / timeline)']
    pane.press('System dialog...')                               # Cancelled: nothing changes.
    assert last(core).network.source == str(folder / 'b.pkl')
    # The listing: a click opens a file, Return on a folder enters it, Up goes back.
    pick_row(pane, 'a.safetensors    (network)')
    assert last(core).network.source == str(folder / 'a.safetensors')
    pick_row(pane, 'sub/', '<Return>')
    assert state(core, 'network').browse_dir == str(folder / 'sub') and files(pane) == ['../']
    pane.press('Up')
    assert state(core, 'network').browse_dir == str(folder)
    (folder / 'c.pkl').write_bytes(b'x')
    pane.press('Refresh')
    assert 'c.pkl    (network)' in files(pane)
    # A typed path: a folder is listed, a missing one is a note.
    pane.type('browse', 'sub')
    assert state(core, 'network').browse_dir == str(folder / 'sub')
    pane.type('browse', str(tmp_path / 'missing'))
    assert pane.shown(f'No such file or folder: {tmp_path / "missing"}')
    # Recent folders (where files were opened from), recent networks, published networks.
    pane.choose('folders', str(folder))
    assert state(core, 'network').browse_dir == str(folder)
    core.settings = core.settings.with_recent('/data/x.pkl').with_recent(str(folder / 'a.safetensors'))
    pane.frame()
    assert pane.enabled('recent') and pane.widget('recent').cget('values') == ('/data/x.pkl',)   # Not the current one.
    pane.choose('recent', '/data/x.pkl')
    assert last(core).network.source == '/data/x.pkl' and pane.text('recent') == RECENT_PLACEHOLDER
    net = published.published_networks()[2]
    pane.choose('published', net.label)
    assert last(core).network.source == 'http://127.0.0.1:9/files/stylegan3-t-ffhqu-256x256.pkl'
    assert pane.text('published') == PUBLISHED_PLACEHOLDER

# ----------------------------------------------------------------------------
# Latent, style mixing, truncation and noise.


def test_latent_seed_offsets_drag_snap_and_reset(pane):
    core = pane.show(LatentPanel).core
    pane.type('seed', '42')
    assert (last(core).latent.x, last(core).latent.y) == (42, 0)
    pane.step('seed')
    assert last(core).latent.x == 43
    pane.type('seed', 'forty')                                  # Not a number: put back.
    assert pane.text('seed') == '43' and last(core).latent.x == 43
    pane.type('offset x', '0.25')
    pane.type('offset y', '-0.125')
    assert (last(core).latent.x, last(core).latent.y) == pytest.approx((43.25, -0.125))
    pane.press('Snap')
    assert (last(core).latent.x, last(core).latent.y) == (43, 0)
    assert not pane.enabled('Snap')
    pane.drag('drag', 40, 20)
    assert (last(core).latent.x, last(core).latent.y) == pytest.approx((43 + 40 * DRAG_SEEDS_PER_EM / 13, 20 * DRAG_SEEDS_PER_EM / 13))
    assert pane.held == [True, False]                           # Dragging holds the core's interacting flag.
    pane.press('Reset')
    assert state(core, 'latent') == type(state(core, 'latent'))() and not pane.enabled('Reset')


def test_latent_animation_speed_and_class(pane):
    core = pane.show(LatentPanel).core
    assert not pane.enabled('speed')
    pane.press('anim')
    assert state(core, 'latent').anim and pane.enabled('speed')
    pane.frame(dt=0.5)
    assert last(core).latent.x == pytest.approx(0.125)
    pane.slide('speed', 5.0)
    assert state(core, 'latent').speed == 5.0
    pane.press('anim')
    assert not state(core, 'latent').anim
    assert not pane.widget('class').winfo_ismapped()           # Unconditional networks: no class row.
    pane.deliver(network=summary(c_dim=10))
    assert pane.widget('class').winfo_ismapped() and pane.shown('of 10') and not pane.enabled('class')
    pane.press('choose class')
    assert last(core).latent.class_idx == 0
    pane.type('class', '25')
    assert last(core).latent.class_idx == 9                    # Clamped to the classes.
    pane.press('choose class')
    assert last(core).latent.class_idx is None


def test_style_mixing_toggles_seed_and_presets(pane):
    core = pane.show(StyleMixPanel).core
    pane.deliver(network=summary(num_ws=6))
    panel = pane.panels['Style mixing']
    assert sorted(name for name in panel.controls if name.startswith('W ')) == [f'W {i}' for i in range(6)]
    assert not pane.enabled('W 3') and not pane.enabled('seed')
    pane.press('enabled')
    assert pane.shown('No W index ticked: nothing is mixed.')
    pane.press('W 3')
    mix = last(core).mix
    assert mix.enabled and mix.mask == (False, False, False, True) and mix.indices(6) == (3,)
    assert pane.widget('W 3').instate(['selected'])
    pane.type('Style mixing/seed', '77')
    assert last(core).mix.seed == 77
    for preset, mask in (('coarse', (True, True)), ('fine', (False,) * 4 + (True, True)), ('all', (True,) * 6), ('none', ())):
        pane.press(preset)
        assert last(core).mix.mask == mask, preset
    for idx in (0, 1, 2, 4, 5):
        pane.press(f'W {idx}')
    assert last(core).mix.mask == (True, True, True, False, True, True)


def test_truncation_cutoff_and_noise(pane):
    core = pane.show(TruncNoisePanel).core
    pane.deliver(network=sg2_summary(num_ws=10))
    pane.slide('psi', -1.0)
    assert last(core).truncation.psi == -1.0 and pane.shown('psi -1.00')
    pane.press('psi:reset')
    assert last(core).truncation.psi == 1.0 and not pane.enabled('psi:reset')
    assert not pane.enabled('cutoff')
    pane.press('use_cutoff')
    assert last(core).truncation.cutoff == 8
    pane.slide('cutoff', 10)
    assert last(core).truncation.cutoff == 10 and pane.shown('first 10 ws')
    assert not pane.enabled('noise seed')
    pane.press('noise:random')
    pane.type('noise seed', '5')
    assert (last(core).noise.mode, last(core).noise.seed) == ('random', 5)
    for mode in ('none', 'const'):
        pane.press(f'noise:{mode}')
        assert last(core).noise.mode == mode
    pane.deliver(network=summary())                            # StyleGAN3: no noise inputs.
    assert not pane.enabled('noise:random') and pane.shown('no noise inputs')

# ----------------------------------------------------------------------------
# Input transform, layers.


def test_transform_typed_dragged_animated_rounded_and_reset(pane):
    core = pane.show(TransformPanel).core
    pane.deliver(network=summary(img_resolution=64), image_resolution=64)
    pane.type('x', '0.25')
    pane.type('y', '-0.5')
    assert (last(core).transform.x, last(core).transform.y) == (0.25, -0.5)
    pane.drag('fast', 26, 13)
    assert last(core).transform.x == pytest.approx(0.25 + 26 * DRAG_FAST / 13)
    pane.drag('slow', -26)
    assert last(core).transform.x == pytest.approx(0.25 + 26 * (DRAG_FAST - DRAG_SLOW) / 13)
    pane.type('x', '0.1')
    pane.press('round')
    assert last(core).transform.x == round(0.1 * 64) / 64
    pane.type('angle', '30')
    assert last(core).transform.angle_deg == 30
    pane.drag('fast rotate', 13)
    pane.drag('slow rotate', -13)
    assert last(core).transform.angle_deg == pytest.approx(30 + (DRAG_FAST - DRAG_SLOW) * 360)
    pane.slide('scale', math.log10(2.0))
    assert last(core).transform.scale == pytest.approx(2.0)
    pane.press('scale:reset')
    assert last(core).transform.scale == 1.0 and not pane.enabled('scale:reset')
    pane.press('untransform')
    assert last(core).transform.untransform
    pane.press('anim translate')
    pane.press('anim rotate')
    pane.frame(dt=1.0)
    assert last(core).transform.angle_deg == pytest.approx(30 + (DRAG_FAST - DRAG_SLOW) * 360 + 10)
    pane.press('Reset')
    st = state(core, 'transform')
    assert (st.x, st.y, st.angle_deg, st.anim_translate, st.anim_rotate, st.untransform) == (0, 0, 0, False, False, True)
    pane.deliver(network=sg2_summary())
    assert not pane.enabled('x') and not pane.enabled('scale:reset') and pane.shown('no input transform')


def layers():
    return (LayerInfo(name='L0_36_512', shape=(1, 512, 36, 36), channels=512, dtype='float32', sampling_rate=16, cutoff=2.0, stopband=4.0, margin=10),
        LayerInfo(name='L1_36_512', shape=(1, 512, 36, 36), channels=512, dtype='float32', sampling_rate=16, cutoff=2.5, stopband=5.0, margin=10),
        LayerInfo(name='output', shape=(1, 3, 64, 64), channels=3, dtype='float32'))


def test_layers_list_view_channel_normalize_crop_gain_and_stats(pane):
    core = pane.show(LayersPanel).core
    assert pane.shown('The layer list appears after the first render.')
    stats = LayerStats(name='L1_36_512', mean=0.5, std=1.0, min=-2.0, max=3.0, channel_mean=np.arange(512, dtype=np.float32),
        channel_std=np.ones(512, np.float32), channel_min=np.zeros(512, np.float32), channel_max=np.ones(512, np.float32))
    pane.deliver(network=summary(), layers=layers(), stats=stats)
    tree = pane.widget('layers')
    assert tree.get_children() == (OUTPUT_IID, 'L0_36_512', 'L1_36_512', 'output') and tree.selection() == (OUTPUT_IID,)
    assert tuple(tree.item('L1_36_512', 'values')) == ('512', '36x36', 'float32', '16', '2.5', '5', '10')   # The imgui table's cells.
    assert [tree.heading(c, 'text') for c in ('#0', *tree['columns'])] == list(LAYER_COLUMNS)
    assert not pane.enabled('crop')                             # The output has no margins.
    pane.select('layers', 'L1_36_512')
    assert last(core).layer.name == 'L1_36_512' and pane.enabled('crop')
    pane.press('view:channel')
    pane.slide('channel', 600)
    assert (last(core).layer.view, last(core).layer.channel) == ('channel', 511) and pane.shown('channel 511 of 512')
    pane.press('view:rgb')
    assert last(core).layer.channel == 509                      # RGB shows three channels.
    pane.press('normalize')
    pane.press('crop')
    pane.slide('gain', 12)
    assert (last(core).layer.normalize, last(core).layer.crop_margins, last(core).layer.gain_db) == (True, True, 12.0)
    pane.press('gain:reset')
    assert last(core).layer.gain_db == 0.0
    assert pane.shown('L1_36_512: mean +0.5  std 1  min -2  max +3')
    pane.select('layers', OUTPUT_IID)
    assert last(core).layer.name is None
    core.act('layer', 'select', 'L9')
    pane.frame()
    assert pane.shown('Layer L9 is not in this network.')

# ----------------------------------------------------------------------------
# Equivariance and spectrum.


def eq_view(psnr: float, mode: str = 'eqt_frac', notes=()) -> EqView:
    return EqView(mode=mode, translate=(0.1, 0.0), angle_deg=0.0, psnr=psnr, mse=0.01, error_max=0.05, scale_max=0.05,
        error_map=np.zeros((4, 4), np.float32), mask=np.ones((4, 4), bool), notes=tuple(notes))


def test_equivariance_mode_layout_scale_psnr_and_history(pane):
    core = pane.show(EquivariancePanel).core
    pane.press('mode:eqt_frac')
    assert last(core).analysis.eq_mode == 'eqt_frac'
    pane.choose('layout', 'Error')
    assert last(core).analysis.eq_layout == 'error'
    assert not pane.enabled('scale max')
    pane.press('auto scale')
    assert last(core).analysis.eq_scale_max == pytest.approx(0.01) and pane.enabled('scale max')
    pane.slide('scale max', math.log10(4.0))
    assert last(core).analysis.eq_scale_max == pytest.approx(4.0)
    for value in (31.5, math.inf, 27.25):
        pane.deliver(network=summary(), analysis=AnalysisResult(equivariance=eq_view(value, notes=('A note.',))))
        assert pane.widget('psnr').cget('text') == f'PSNR {format_psnr(value)}'
    assert pane.shown('A note.') and pane.shown('EQ-T_frac  t = (+0.1000, +0.0000)')
    assert len(core.psnr_history) == 3
    pane.press('psnr')
    assert pane.root.clipboard_get() == '27.2500'
    for mode in ('eqr', 'eqt', 'off'):
        pane.press(f'mode:{mode}')
        assert last(core).analysis.eq_mode == mode
    assert not pane.widget('psnr').winfo_ismapped()
    pane.deliver(network=sg2_summary())
    assert pane.shown('StyleGAN2 networks have no input transform') and not pane.enabled('mode:eqt')


def test_equivariance_metrics_command_start_cancel_and_numbers(pane):
    core = pane.show(EquivariancePanel).core
    pane.type('samples', '4')
    pane.type('metrics seed', '3')
    pane.press('compute')
    command_id, command, _args = core.worker.last_command
    assert command == MetricsCommand(samples=4, seed=3) and pane.shown('Waiting to start...')
    assert pane.widget('compute').cget('text') == 'Cancel'
    pane.status(command_id, 'running', done=1, total=4, seconds=1.0)
    assert pane.shown('1 / 4, 3 s left')
    pane.press('compute')                                       # Cancel.
    assert core.worker.cancelled == [command_id]
    pane.status(command_id, 'done', done=4, total=4, seconds=2.0, psnr=(('eqt', 40.0), ('eqr', math.inf)))
    assert pane.shown('Done: 4 / 4 in 2.0 s') and pane.shown('EQ-T: 40.00 dB') and pane.shown('EQ-R: inf dB (identical)')
    assert pane.widget('compute').cget('text') == 'Compute EQ metrics'


def spectrum_view():
    """A real spectrum view of a random image on a layer with f_c 4, f_t 8 at sampling rate 16."""
    torch = pytest.importorskip('torch')
    from sg3 import spectra
    from viz.render import pictures
    spectrum = spectra.power_spectrum(torch.randn(1, 3, 16, 16, generator=torch.Generator().manual_seed(0)), sampling_rate=16)
    design = spectra.LayerDesign(name='L1', sampling_rate=16, cutoff=4.0, stopband=8.0, half_width=4.0, size=(16, 16),
        margin=0, nyquist=8.0, channels=3)
    return pictures.spectrum_view(spectrum, design, 'L1', 'this latent', None, (-40.0, 20.0))[1]


def test_spectrum_settings_plots_markers_average_and_export(pane, tmp_path):
    core = pane.show(SpectrumPanel).core
    pane.press('show')
    assert last(core).analysis.spectrum
    pane.slide('beta', 2.5)
    pane.press('beta:reset')
    pane.slide('beta', 3.0)
    pane.type('db low', '-60')
    pane.type('db high', '-70')                                 # At least 1 dB above the bottom.
    pane.press('channels:selected')
    a = last(core).analysis
    assert (a.spectrum_beta, a.spectrum_db_low, a.spectrum_db_high, a.spectrum_channels) == (3.0, -60.0, -59.0, 'selected')
    pane.press('channels:all')
    assert not pane.enabled('png')                              # No spectrum shown yet.
    view = dataclasses.replace(spectrum_view(), stopband=10.0)  # Beyond the 0 degree slice's 0 .. 8.
    pane.deliver(network=summary(), analysis=AnalysisResult(spectrum=view))
    assert pane.shown('f_c 4  f_t 10  s/2 8 cycles per image') and pane.shown('L1, this latent')
    plots = pane.panels['Spectrum'].plots
    assert all(plot.winfo_ismapped() for plot in plots)
    lines = [plot.find_withtag('all') for plot in plots]
    assert all(len(items) >= 4 for items in lines)              # The profile, three markers, the caption.
    ticks = [plots[1].itemcget(item, 'text') for item in plots[1].find_withtag('tick')]     # The 0 degree slice: 0 .. 8, -40 .. 20 dB.
    assert ticks == ['0', '2', '4', '6', '8', '-40', '-20', '0', '20 dB']
    assert [plots[1].itemcget(item, 'text') for item in plots[1].find_withtag('edge')] == ['f_t 10 >']
    x0, _y0, x1, _y1 = plots[1].bbox('edge')
    assert x1 <= plots[1].winfo_width() and x0 >= 0             # Pinned inside the plot's right end.
    pane.type('seeds', '5')
    pane.press('average')
    command_id, command, _args = core.worker.last_command
    assert command == SpectrumAverageCommand(seeds=5) and last(core).analysis.spectrum_average
    pane.status(command_id, 'done', done=5, total=5, seconds=1.0)
    pane.press('show average')
    assert not last(core).analysis.spectrum_average
    pane.press('png')
    pane.press('npz')
    commands = [c for _i, c, _a in core.worker.started if isinstance(c, ExportSpectrumCommand)]
    assert [c.format for c in commands] == ['png', 'npz'] and commands[0].folder == str(tmp_path / 'captures')
    pane.status(core.worker.last_command[0], 'done', path=str(tmp_path / 'captures' / 'spectrum-00001.npz'))
    assert pane.shown('Saved ' + str(tmp_path / 'captures' / 'spectrum-00001.npz'))
    pane.press('show')
    assert not last(core).analysis.spectrum

# ----------------------------------------------------------------------------
# Timeline and video.


def seeds_of(core):
    return [key.controllers['latent']['x'] for key in core.timeline.keyframes]


def test_timeline_keyframes_scrubber_play_and_record(pane):
    core = pane.show(TimelinePanel).core
    assert pane.shown(NO_KEYFRAMES) and not pane.enabled('Clear') and not pane.enabled('scrub') and not pane.enabled('render')
    pane.press('Add current view')
    core.act('latent', 'set_seed', 5)
    pane.press('Add current view')
    assert seeds_of(core) == [0, 5] and [k.time for k in core.timeline.keyframes] == [0.0, 2.0]
    assert not pane.enabled('Up 1') and not pane.enabled('Down 2') and pane.shown('seed 5')
    pane.press('go 1')
    assert core.playhead.time == 0.0 and core.controllers['latent'].state.x == 0
    pane.type('time 2', '3')
    assert [k.time for k in core.timeline.keyframes] == [0.0, 3.0]
    core.act('latent', 'set_seed', 7)
    pane.press('Set 2')
    assert seeds_of(core) == [0, 7]
    pane.press('Down 1')
    assert seeds_of(core) == [7, 0]
    pane.press('Up 2')
    assert seeds_of(core) == [0, 7]
    pane.slide('scrub', 1.5)
    assert core.playhead.time == pytest.approx(1.5)
    pane.press('Add at playhead')
    assert [k.time for k in core.timeline.keyframes] == [0.0, 1.5, 3.0]
    pane.press('Delete 2')
    assert [k.time for k in core.timeline.keyframes] == [0.0, 3.0]
    pane.press('play')
    assert core.playhead.playing and pane.widget('play').cget('text') == 'Pause'
    pane.press('play')
    assert not core.playhead.playing
    pane.press('record')
    assert core.playhead.recording and pane.shown('Recording...') and pane.widget('record').cget('text') == 'Stop recording'
    pane.press('record')
    assert not core.playhead.recording and pane.shown('Recorded')
    pane.press('Clear')
    assert core.timeline.keyframes == ()


def test_timeline_options_seed_loop_files_and_video(pane, tmp_path):
    core = pane.show(TimelinePanel).core
    pane.type('seeds', '3, 4')
    pane.type('seconds', '1.5')
    pane.press('Make')
    assert seeds_of(core)[:2] == [3, 4] and core.timeline.keyframes[1].time == 1.5
    pane.choose('easing', 'Linear')
    looped = core.timeline.loop
    pane.press('loop')
    pane.choose('latent', 'W, spherical')
    pane.type('duration', '10')
    t = core.timeline
    assert (t.easing, t.latent, t.duration) == ('linear', 'spherical', 10.0) and t.loop == (not looped)
    path = tmp_path / 'timeline.json'
    pane.type('file', str(path))
    pane.press('Save')
    assert path.is_file()
    core.act('app', 'clear_timeline')
    pane.press('Load')
    assert seeds_of(core)[:2] == [3, 4]
    pane.choose('format', 'GIF')
    assert not pane.widget('quality').winfo_ismapped() and pane.widget('fps').cget('values') == ('24 fps', '30 fps')
    pane.choose('fps', '24 fps')
    pane.choose('format', 'MP4 (H.264)')
    assert pane.widget('quality').winfo_ismapped()
    pane.slide('quality', 30)
    pane.type('scale', '2')
    pane.choose('content', 'Image area as shown')
    pane.press('render')
    command_id, command, _args = core.worker.last_command
    assert isinstance(command, VideoCommand)
    assert (command.format, command.fps, command.scale, command.quality, command.content) == ('mp4', 24, 2, 30, 'view')
    assert pane.widget('render').cget('text') == 'Cancel'
    pane.press('render')
    assert core.worker.cancelled == [command_id]
    pane.status(command_id, 'done', done=1, total=1, path=str(tmp_path / 'video-00001.mp4'))
    assert pane.shown(f'Saved {tmp_path / "video-00001.mp4"}') and pane.widget('render').cget('text') == 'Render video'

# ----------------------------------------------------------------------------
# Performance, capture, view, session.


def test_performance_fps_vsync_fp32_preview_and_device(pane):
    core = pane.show(PerformancePanel).core
    pane.slide('fps', 30)
    assert state(core, 'performance').fps_limit == 30
    pane.press('fps:reset')
    assert state(core, 'performance').fps_limit == 60
    pane.press('vsync')
    pane.press('fp32')
    assert state(core, 'performance').vsync and last(core).performance.force_fp32
    pane.choose('device', 'cpu')
    assert last(core).performance.device == 'cpu'
    pane.deliver(network=summary(bf16_supported=False, bf16_reason='no AVX512-BF16'))
    assert not pane.enabled('preview') and pane.shown('Unavailable: no AVX512-BF16')
    pane.deliver(network=summary(bf16_supported=True, bf16_reason='CPU with AVX512-BF16', device='cpu'))
    pane.press('preview')
    assert last(core).performance.preview_bf16 and pane.shown('rendering on cpu')
    assert pane.widget('preview').cget('text') == PREVIEW_LABEL
    pane.panels['Performance'].show_times()
    assert pane.shown('GUI: mean 5.0 ms')


def test_capture_folder_buttons_and_messages(pane, tmp_path):
    core = pane.show(CapturePanel).core
    pane.press('Save image')
    assert pane.shown('Nothing to capture yet')
    pane.deliver(image=np.full((8, 8, 3), 7, np.uint8))
    pane.press('Save image')
    saved = tmp_path / 'captures' / 'image-00001.png'
    assert np.asarray(Image.open(saved)).max() == 7 and pane.shown(f'Saved {saved}')
    pane.press('Save window')
    assert core.window_capture_pending
    pane.type('folder', str(saved))
    assert pane.shown('is a file, not a folder') and not pane.enabled('Save image')
    pane.answers.append(str(tmp_path / 'elsewhere'))
    pane.press('Choose...')
    assert state(core, 'capture').folder == str(tmp_path / 'elsewhere') and pane.enabled('Save image')


def test_view_fit_one_to_one_and_smooth(pane):
    core = pane.show(ViewPanel).core
    assert pane.shown('Image 64x64, zoom 2x (fit)')
    core.set_view(zoom=4.0, pan=(3.0, 1.0))
    pane.press('Fit (F)')
    assert (core.view.zoom, core.view.pan) == (None, (0.0, 0.0))
    pane.press('1:1 (1)')
    assert core.view.zoom == 1.0
    pane.press('Smooth scaling')
    assert core.view.filter == 'linear'
    pane.press('Smooth scaling')
    assert core.view.filter == 'nearest'


def test_session_save_load_and_dialogs(pane, tmp_path):
    core = pane.show(SessionPanel, LatentPanel).core
    path = tmp_path / 'one.json'
    pane.type('file', str(path))
    core.act('latent', 'set_seed', 5)
    pane.press('Save session')
    assert json.loads(path.read_text())['controllers']['latent']['x'] == 5 and pane.shown('Session saved to')
    core.act('latent', 'set_seed', 9)
    pane.press('Load session')
    assert last(core).latent.x == 5
    other = tmp_path / 'two.json'
    pane.answers.append(str(other))
    pane.press('Save as...')
    assert other.is_file() and pane.dialogs[-1][0] == 'save' and pane.text('file') == str(other)
    core.act('latent', 'set_seed', 11)
    pane.answers.append(str(path))
    pane.press('Session/Open...')
    assert last(core).latent.x == 5
    path.write_text('{"format": "sg3-viz-session", "version": 2, "controllers": {"latent": {"x": "five"}}}')
    pane.press('Load session')
    assert pane.shown('one.json') and last(core).latent.x == 5

# ----------------------------------------------------------------------------


def test_a_command_status_of_another_kind_leaves_the_button(pane):
    core = pane.show(EquivariancePanel).core
    core.commands[99] = CommandStatus(command_id=99, kind='average', state='running', total=3)
    core.command_ids['average'] = 99
    pane.frame()
    assert pane.widget('compute').cget('text') == 'Compute EQ metrics'


def test_every_panel_builds_before_the_first_result(pane):
    pane.show(*PANEL_CLASSES)
    assert [p.title for p in pane.panels.values()] == ['Network', 'Latent', 'Style mixing', 'Truncation & noise', 'Directions', 'Input transform',
        'Equivariance', 'Layers', 'Spectrum', 'Performance', 'Capture', 'Timeline & video', 'View', 'Session']
    assert set(MODE_LABELS) == {name.split(':')[1] for name in pane.panels['Equivariance'].controls if name.startswith('mode:')}


def test_every_control_was_used(request, pane):
    def prepare(p):
        p.deliver(network=summary(c_dim=4), layers=layers())
        p.core.act('app', 'add_keyframe')
        p.frame()
    others = [cls for cls in PANEL_CLASSES if cls.title != 'Directions']     # tests/viz/tk/test_directions_panel.py checks its own.
    assert_every_control_touched(request, pane, others, prepare)

