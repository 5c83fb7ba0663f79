"""The control pane's views in imgui's headless context, drawn against a real ViewCore with a FakeWorker:
real mouse and keyboard input through imgui's IO, assertions on what each control does to the core
(controller state, the request it submits, captures and sessions it saves) and on the text drawn.
The equivariance and spectrum views are in test_analysis_views.py."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from PIL import Image

from tests.viz.fakes import sg2_summary, summary
from tests.viz.imgui.harness import FONT, assert_every_control_pressed
from viz.core.view_core import INFO_SECONDS
from viz.imgui.views import (VIEW_CLASSES, CaptureView, LatentView, LayersView, PerformanceView, SessionView,
    StyleMixView, TransformView, TruncNoiseView, ViewView)
from viz.imgui.views.base import Ui
from viz.protocol import LayerInfo, LayerStats, PerformanceArgs, RenderArgs, TransformArgs


def state(core, key):
    return core.controllers[key].state

# ----------------------------------------------------------------------------
# Latent.


def test_latent_seed_offset_drag_snap_reset(gui):
    core = gui.show(LatentView()).core
    gui.type_text('##seed', '42')
    assert core.worker.last_args.latent.x == 42 and core.worker.last_args.latent.y == 0
    gui.drag('Drag##latent', dx=50, dy=25)
    latent = core.worker.last_args.latent
    assert latent.x == pytest.approx(42 + 50 * 4e-2 / FONT) and latent.y == pytest.approx(25 * 4e-2 / FONT)
    gui.type_text('##frac', '0.25', fx=0.2)                    # The x offset from the seed.
    assert core.worker.last_args.latent.x == pytest.approx(42.25)
    gui.click('Snap')
    assert (core.worker.last_args.latent.x, core.worker.last_args.latent.y) == (42, 0)
    gui.click('Reset##latent')
    assert state(core, 'latent') == type(state(core, 'latent'))()


def test_latent_animation_and_speed(gui):
    core = gui.show(LatentView()).core
    gui.drag('##speed', dx=-1000)                               # Greyed out while not animating.
    assert state(core, 'latent').speed == 0.25
    gui.click('##anim')
    assert state(core, 'latent').anim
    gui.frame(dt=0.5)
    assert core.worker.last_args.latent.x == pytest.approx(0.5 * 0.25)
    gui.drag('##speed', dx=1000)
    assert state(core, 'latent').speed == 5.0
    gui.click('##anim')
    gui.frame(dt=0.5)
    assert not state(core, 'latent').anim and core.worker.last_args.latent.x == pytest.approx(0.125)


def test_latent_class_selector_only_for_conditional_networks(gui):
    core = gui.show(LatentView()).core
    gui.deliver(network=summary())
    assert not gui.drawn('##choose_class')
    gui.deliver(network=summary(c_dim=10))
    assert gui.shown('of 10')
    gui.type_text('##class', '5')                              # Greyed out until the box is ticked.
    assert state(core, 'latent').class_idx is None
    gui.click('##choose_class')
    assert core.worker.last_args.latent.class_idx == 0
    gui.type_text('##class', '25')
    assert core.worker.last_args.latent.class_idx == 9         # Clamped to the classes.
    gui.click('##choose_class')
    assert core.worker.last_args.latent.class_idx is None

# ----------------------------------------------------------------------------
# Style mixing, truncation and noise.


def test_style_mixing_toggles_seed_and_presets(gui):
    core = gui.show(StyleMixView()).core
    gui.deliver(network=summary(num_ws=6))
    assert sum(gui.drawn(f'{idx}##w{idx}') for idx in range(8)) == 6            # Each box carries its W index.
    gui.click('3##w3')                                          # Greyed out: enable mixing first.
    assert state(core, 'mix').mask == ()
    gui.click('##enabled')
    assert gui.shown('No W index ticked: nothing is mixed.')
    gui.click('3##w3')
    mix = core.worker.last_args.mix
    assert mix.enabled and mix.mask == (False, False, False, True) and mix.indices(6) == (3,)
    gui.type_text('##seed', '77')
    assert core.worker.last_args.mix.seed == 77
    for preset, mask in (('Coarse', (True, True)), ('Fine', (False,) * 4 + (True, True)), ('All', (True,) * 6), ('None', ())):
        gui.click(f'{preset}##mix')
        assert core.worker.last_args.mix.mask == mask, preset


def test_truncation_and_noise(gui):
    core = gui.show(TruncNoiseView()).core
    gui.deliver(network=sg2_summary(num_ws=10))
    gui.drag('##psi/##slider', dx=-1000)                  # Psi to the slider's minimum.
    assert core.worker.last_args.truncation.psi == -1.0
    gui.click('##psi/Reset')
    assert core.worker.last_args.truncation.psi == 1.0
    gui.drag('##cutoff', dx=-1000)                             # Greyed out until the cutoff is ticked.
    assert state(core, 'trunc_noise').cutoff == 8
    gui.click('##use_cutoff')
    assert core.worker.last_args.truncation.cutoff == 8
    gui.drag('##cutoff', dx=1000)
    assert core.worker.last_args.truncation.cutoff == 10       # At most num_ws.
    gui.type_text('##noise_seed', '3')                         # Greyed out unless the noise is random.
    assert state(core, 'trunc_noise').noise_seed == 0
    gui.click('random##noise')
    gui.type_text('##noise_seed', '5')
    assert (core.worker.last_args.noise.mode, core.worker.last_args.noise.seed) == ('random', 5)
    for mode in ('none', 'const'):
        gui.click(f'{mode}##noise')
        assert core.worker.last_args.noise.mode == mode


def test_noise_greyed_out_with_a_reason_without_noise_inputs(gui):
    from viz.imgui.views.trunc_noise import NO_NOISE_REASON
    core = gui.show(TruncNoiseView()).core
    gui.deliver(network=summary())
    gui.click('random##noise')
    assert state(core, 'trunc_noise').noise_mode == 'const'    # Disabled: the click does nothing.
    assert gui.shown(NO_NOISE_REASON)                          # Hovering the disabled controls tells why.
    gui.deliver(network=summary(has_noise=True))
    assert not gui.shown(NO_NOISE_REASON)
    # After a failed load the controls follow the network still shown (here one without noise).
    gui.deliver(network=summary(), image=np.zeros((8, 8, 3), np.uint8))
    gui.deliver(network=None, error='/missing.pkl: no such file')
    gui.click('random##noise')
    assert state(core, 'trunc_noise').noise_mode == 'const' and gui.shown(NO_NOISE_REASON)

# ----------------------------------------------------------------------------
# Input transform.


def test_transform_typed_dragged_rounded_and_reset(gui):
    core = gui.show(TransformView()).core
    gui.deliver(network=summary(img_resolution=64), image_resolution=64)
    gui.drag('Fast##translate', dx=26, dy=13)
    t = core.worker.last_args.transform
    assert (t.x, t.y) == pytest.approx((26 * 2e-2 / FONT, 13 * 2e-2 / FONT))
    gui.drag('Slow##translate', dx=-13)
    assert core.worker.last_args.transform.x == pytest.approx((26 * 2e-2 - 13 * 4e-4) / FONT)
    gui.drag('Slow##rotate', dx=13)
    assert core.worker.last_args.transform.angle_deg == pytest.approx(13 * 4e-4 * 360 / FONT)
    gui.drag('Fast##rotate', dx=-13)
    assert core.worker.last_args.transform.angle_deg == pytest.approx(13 * (4e-4 - 2e-2) * 360 / FONT)
    gui.type_text('##rotate', '30')
    assert core.worker.last_args.transform.angle_deg == 30
    gui.type_text('##translate', '0.1', fx=0.2)
    assert core.worker.last_args.transform.x == pytest.approx(0.1)
    gui.click('Whole pixels')
    t = core.worker.last_args.transform
    assert (t.x * 64, t.y * 64) == pytest.approx((round(t.x * 64), round(t.y * 64))) and t.x * 64 != pytest.approx(0.1 * 64)
    gui.drag('##scale', dx=1000)
    assert core.worker.last_args.transform.scale == 8.0
    gui.click('Untransform')
    assert core.worker.last_args.transform.untransform
    gui.click('Reset##transform')
    assert core.worker.last_args.transform == TransformArgs(untransform=True)


def test_transform_animation_and_reset(gui):
    core = gui.show(TransformView()).core
    gui.click('Reset##transform')                              # Greyed out at the identity.
    gui.click('Animate##rotate')
    assert core.worker.last_args.transform.angle_deg == 0.0   # The click's frames take no time.
    gui.frame(dt=0.5)
    assert core.worker.last_args.transform.angle_deg == pytest.approx(5.0)  # 10 degrees per second.
    gui.click('Animate##translate')
    gui.frame(dt=1.0)
    assert core.worker.last_args.transform.x == pytest.approx(0.02)
    gui.click('Reset##transform')
    gui.frame(dt=1.0)
    assert core.worker.last_args.transform == TransformArgs()
    assert not state(core, 'transform').anim_rotate and not state(core, 'transform').anim_translate


def test_transform_greyed_out_for_stylegan2(gui):
    from viz.imgui.views.transform import NO_TRANSFORM_REASON
    core = gui.show(TransformView()).core
    gui.deliver(network=sg2_summary(), image_resolution=64)
    gui.drag('Fast##translate', dx=40)
    assert core.worker.last_args.transform == TransformArgs()
    assert gui.shown(NO_TRANSFORM_REASON)

# ----------------------------------------------------------------------------
# Layers.


LAYERS = (
    LayerInfo('input', (1, 16, 36, 36), 16, 'float32', 16.0, 2.0, None, 10),
    LayerInfo('L0_36_16', (1, 16, 36, 36), 16, 'float32', 16.0, 2.0, 4.3, 10),
    LayerInfo('L1_16_3', (1, 3, 16, 16), 3, 'float32', 16.0, 8.0, 9.8, 0),
)


def layer_stats() -> LayerStats:
    return LayerStats('L0_36_16', 0.1, 0.5, -1.0, 2.0, *(np.arange(16, dtype=np.float32) + k for k in range(4)))


def test_layers_list_selection_view_channels_and_gain(gui):
    core = gui.show(LayersView()).core
    gui.deliver(network=summary(), layers=LAYERS, stats=layer_stats())
    assert '|16|36x36|float32|16|2|4.3|10|' in '|'.join(gui.texts)        # The row of L0_36_16, cell by cell.
    gui.click('Crop margins')                                  # Greyed out: the output has no margin.
    assert not state(core, 'layer').crop_margins
    gui.click('L0_36_16##layer', fx=0.1)
    assert core.worker.last_args.layer.name == 'L0_36_16'
    gui.click('One channel##view')
    gui.drag('##channel', dx=1000)
    assert (core.worker.last_args.layer.view, core.worker.last_args.layer.channel) == ('channel', 15)
    gui.click('RGB##view')
    assert core.worker.last_args.layer.channel == 13           # RGB shows three channels: 13, 14, 15.
    assert gui.shown('ch 13: mean +13')
    gui.click('Normalize')
    gui.click('Crop margins')
    assert core.worker.last_args.layer.normalize and core.worker.last_args.layer.crop_margins
    gui.drag('##gain/##slider', dx=1000)
    assert core.worker.last_args.layer.gain_db == 40.0
    gui.click('##gain/Reset')
    assert core.worker.last_args.layer.gain_db == 0.0
    for info in LAYERS:
        gui.click(f'{info.name}##layer', fx=0.1)
        assert core.worker.last_args.layer.name == info.name
    gui.click('output##layer', fx=0.1)
    assert core.worker.last_args.layer.name is None


def test_layers_unknown_selection_is_reported_and_the_list_waits_for_a_result(gui):
    core = gui.show(LayersView()).core
    assert gui.shown('The layer list appears after the first render.')
    core.act('layer', 'select', 'L9_1_1')
    gui.deliver(network=summary(), layers=LAYERS)
    assert core.worker.last_args.layer.name == 'L9_1_1' and gui.shown('Layer L9_1_1 is not in this network.')

# ----------------------------------------------------------------------------
# Performance.


def test_performance_settings_and_plots(gui):
    gui.ui = Ui(font_size=FONT, gui_frame_times=tuple(np.linspace(0.010, 0.030, 50)))
    core = gui.show(PerformanceView()).core
    assert gui.shown('GUI: mean 20.0 ms, p95 29.0 ms') and gui.shown('Render: no data')
    gui.deliver(network=summary(), render_seconds=0.25)
    gui.deliver(network=summary(), render_seconds=0.75)
    assert gui.shown('Render: mean 500.0 ms') and gui.shown('rendering on cpu')
    gui.click('Force FP32')
    assert core.worker.last_args.performance == PerformanceArgs(force_fp32=True)
    gui.click('Vsync')
    assert state(core, 'performance').vsync
    assert state(core, 'performance').transform_preview                     # The transform preview: on by default.
    gui.click('Transform preview')
    assert not state(core, 'performance').transform_preview and core.preview_warp() is None
    gui.drag('##fps/##slider', dx=-1000)
    assert state(core, 'performance').fps_limit == 5.0
    gui.click('##fps/Reset')
    assert state(core, 'performance').fps_limit == 60.0
    gui.click('##device')
    gui.click('cpu##device')
    assert core.worker.last_args.performance.device == 'cpu'
    # A device that cannot be used: the line stays, for the image still shown, with why.
    gui.deliver(network=summary(), image=np.zeros((8, 8, 3), np.uint8))
    gui.click('##device')
    gui.click('cuda##device')
    gui.deliver(network=None, error='Device cuda: CUDA is not available')
    assert gui.shown('rendering on cpu') and gui.shown('Not rendering on cuda: Device cuda: CUDA is not available')


def test_performance_bf16_preview_checkbox(gui):
    from viz.imgui.views.performance import PREVIEW_LABEL
    fast = summary(bf16_supported=True, bf16_reason='this CPU has AVX512-BF16')
    slow = summary(bf16_supported=False, bf16_reason='this CPU has no bfloat16 arithmetic')
    core = gui.show(PerformanceView()).core
    gui.deliver(network=fast)
    assert core.worker.last_args.performance == PerformanceArgs()          # Off by default.
    gui.click(PREVIEW_LABEL)
    assert core.worker.last_args.performance == PerformanceArgs(preview_bf16=True)
    assert core.view_state()['controllers']['performance']['preview_bf16'] is True
    # The hover text says what it does and why it is offered.
    gui.hover(PREVIEW_LABEL)
    assert gui.shown('Releasing renders the exact float32 image') and gui.shown('AVX512-BF16')
    gui.click(PREVIEW_LABEL)
    assert core.worker.last_args.performance == PerformanceArgs()
    # Where the device has no fast bfloat16 it is greyed with the reason and clicks do nothing ...
    core.act('performance', 'set', preview_bf16=True)
    gui.deliver(network=slow)
    assert core.compose_args().performance == PerformanceArgs()
    assert gui.shown('Unavailable: this CPU has no bfloat16 arithmetic')
    gui.click(PREVIEW_LABEL)
    assert state(core, 'performance').preview_bf16                         # ... and the choice is kept for a device that has it.
    gui.deliver(network=fast)
    assert core.worker.last_args.performance == PerformanceArgs(preview_bf16=True)

# ----------------------------------------------------------------------------
# Capture, view and session.


def test_capture_buttons_save_once_per_click(gui, tmp_path):
    core = gui.show(CaptureView()).core
    folder = tmp_path / 'captures'
    gui.click('Save image')
    assert gui.shown('Nothing to capture yet') and not folder.exists()
    image = np.random.RandomState(0).randint(0, 256, (8, 8, 3)).astype(np.uint8)
    gui.deliver(image=image, image_resolution=8)
    gui.click('Save image')
    assert sorted(p.name for p in folder.iterdir()) == ['image-00001.png']     # One file per click.
    assert gui.shown(f'Saved {folder / "image-00001.png"}')
    shown_at = core.message.shown_at
    core._clock = lambda: shown_at + INFO_SECONDS + 0.1          # A few seconds later the line is gone.
    gui.frame()
    assert not gui.shown('Saved ')
    core._clock = time.monotonic
    saved = Image.open(folder / 'image-00001.png')
    np.testing.assert_array_equal(np.asarray(saved), image)
    assert RenderArgs.from_dict(json.loads(saved.text['sg3-viz:args'])) == core.result.args
    gui.click('Save window')
    assert core.window_capture_pending                        # The front end saves the window after drawing it.
    core.window_capture_pending = False
    (tmp_path / 'file').write_text('x')
    gui.type_text('##folder', str(tmp_path / 'file'), enter=False)
    assert state(core, 'capture').folder == str(tmp_path / 'file') and gui.shown('is a file, not a folder')
    gui.click('Save window')
    assert not core.window_capture_pending                    # Greyed out while the folder is unusable.
    gui.type_text('##folder', ' ', enter=False)
    assert gui.shown('Enter a folder for captures.')


def test_view_zoom_and_filter(gui):
    gui.ui = Ui(font_size=FONT, image_text='Image 32x32, zoom 4x (fit)')
    core = gui.show(ViewView()).core
    assert gui.shown('Image 32x32, zoom 4x (fit)')
    gui.click('1:1 (1)')
    assert core.view.zoom == 1.0
    gui.click('Fit (F)')
    assert core.view.zoom is None
    gui.click('Smooth scaling')
    assert core.view.filter == 'linear'
    gui.click('Smooth scaling')
    assert core.view.filter == 'nearest'


def test_session_save_and_load(gui, tmp_path):
    core = gui.show(SessionView()).core
    path = tmp_path / 'my-session.json'
    gui.type_text('File##session', str(path), enter=False)
    assert core.session_path == str(path)
    core.act('latent', 'set_seed', 7)
    gui.click('Save session')
    data = json.loads(path.read_text())
    assert (data['version'], data['controllers']['latent']['x']) == (2, 7.0)
    assert gui.shown(f'Session saved to {path}')
    core.act('latent', 'set_seed', 3)
    gui.click('Load session')
    assert core.compose_args().latent.x == 7.0 and gui.shown(f'Session loaded from {path}')
    gui.type_text('File##session', str(tmp_path / 'missing.json'), enter=False)
    gui.click('Load session')
    assert gui.shown('cannot read session file') and core.message.error

# ----------------------------------------------------------------------------
# All views.


def test_every_view_draws_before_the_first_result(gui):
    views = [cls() for cls in VIEW_CLASSES]
    titles = [view.title for view in views]
    assert titles[:2] == ['Network', 'Latent'] and len(set(titles)) == len(titles)
    core = gui.show(*views).core
    assert core.worker.last_args == RenderArgs() and core.message is None


def test_every_control_was_pressed(request, gui, tmp_path):
    """Every control these views draw (in the states the tests reach) was pressed by one of the tests above (the network
    section's: test_network_view.py)."""
    def prepare(gui):
        core = gui.core
        core.act('mix', 'set', enabled=True)
        core.act('latent', 'set_class', 1)
        core.act('trunc_noise', 'set', use_cutoff=True, noise_mode='random')
        gui.deliver(network=summary(c_dim=10, num_ws=6, has_noise=True), layers=LAYERS, stats=layer_stats())

    assert_every_control_pressed(request, gui, [LatentView(), StyleMixView(), TruncNoiseView(), TransformView(),
        LayersView(), PerformanceView(), CaptureView(), ViewView(), SessionView()], prepare)
