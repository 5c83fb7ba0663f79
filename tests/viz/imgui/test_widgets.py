"""Widgets in imgui's headless context (no window, no GL): real mouse and keyboard input through
imgui's IO, assertions on the request part each widget returns."""

from __future__ import annotations

import dataclasses
import json
import pathlib

import imgui
import numpy as np
import pytest

from gui_utils.imgui_utils import ItemRecorder
from viz.protocol import (LatentArgs, LayerArgs, LayerInfo, LayerStats, NetworkArgs, NetworkSummary, NoiseArgs,
    PerformanceArgs, RenderArgs, RenderResult, StyleMixArgs, TransformArgs, TruncationArgs)
from viz.imgui.widgets.base import FrameContext, ImageDrag, Widget, request_parts

FONT = 13.0


class Harness:
    """One imgui context; draws a widget in a full-screen window each frame and plays input."""

    def __init__(self) -> None:
        self.context = imgui.create_context()
        io = imgui.get_io()
        io.display_size = (900, 1400)
        io.delta_time = 1 / 60
        io.ini_file_name = None
        io.fonts.get_tex_data_as_rgba32()
        for idx, key in enumerate((imgui.KEY_ENTER, imgui.KEY_BACKSPACE, imgui.KEY_TAB, imgui.KEY_A)):
            io.key_map[key] = 100 + idx
        self.recorder = ItemRecorder()
        self.recorder.install()
        self.texts: list[str] = []              # Text drawn in the last frame.
        self._text_originals = {}
        for name in ('text', 'text_wrapped', 'text_colored', 'set_tooltip'):
            original = getattr(imgui, name)
            self._text_originals[name] = original
            setattr(imgui, name, self._recording(original))

    def _recording(self, original):
        def wrapper(text, *args, **kwargs):
            self.texts.append(text)
            return original(text, *args, **kwargs)
        return wrapper

    def close(self) -> None:
        self.recorder.uninstall()
        for name, original in self._text_originals.items():
            setattr(imgui, name, original)
        imgui.destroy_context(self.context)

    def shown(self, fragment: str) -> bool:
        return any(fragment in text for text in self.texts)

    def frame(self, widget: Widget, ctx: FrameContext | None = None, **ctx_fields):
        ctx = ctx or FrameContext(font_size=FONT, **ctx_fields)
        self.texts = []
        imgui.new_frame()
        imgui.set_next_window_position(0, 0)
        imgui.set_next_window_size(900, 1400)
        imgui.begin('pane', flags=imgui.WINDOW_NO_TITLE_BAR | imgui.WINDOW_NO_MOVE)
        try:
            part = widget.draw(ctx)
        finally:
            imgui.end()
            imgui.render()
        return part

    def rect(self, label: str):
        """Screen rectangle of a control by label (recorders that prefix pushed ids: the unique 'id/label')."""
        rects = self.recorder.rects
        if label in rects:
            return rects[label]
        matches = [key for key in rects if key.endswith('/' + label)]
        assert len(matches) == 1, f'{label!r} not drawn exactly once; drawn: {sorted(rects)}'
        return rects[matches[0]]

    def centre(self, label: str, fx: float = 0.5):
        x0, y0, x1, y1 = self.rect(label)
        return x0 + (x1 - x0) * fx, (y0 + y1) / 2

    def click(self, widget: Widget, label: str, fx: float = 0.5, **ctx_fields):
        """Move to the control, press, release; returns the part of the frame after the release."""
        io = imgui.get_io()
        self.frame(widget, **ctx_fields)  # Let popups settle so the recorded rectangles are current.
        io.mouse_pos = self.centre(label, fx)
        self.frame(widget, **ctx_fields)
        io.mouse_down[0] = True
        self.frame(widget, **ctx_fields)
        io.mouse_down[0] = False
        return self.frame(widget, **ctx_fields)

    def drag(self, widget: Widget, label: str, dx: float, dy: float = 0, steps: int = 5, fx: float = 0.5, **ctx_fields):
        io = imgui.get_io()
        self.frame(widget, **ctx_fields)
        x, y = self.centre(label, fx)
        io.mouse_pos = (x, y)
        self.frame(widget, **ctx_fields)
        io.mouse_down[0] = True
        self.frame(widget, **ctx_fields)
        for step in range(1, steps + 1):
            io.mouse_pos = (x + dx * step / steps, y + dy * step / steps)
            self.frame(widget, **ctx_fields)
        io.mouse_down[0] = False
        return self.frame(widget, **ctx_fields)

    def type_text(self, widget: Widget, label: str, text: str, enter: bool = True, fx: float = 0.2, **ctx_fields):
        """Click into a text field, select all, type `text`, press Enter; returns the last part."""
        io = imgui.get_io()
        self.click(widget, label, fx=fx, **ctx_fields)
        io.key_ctrl = True
        io.keys_down[io.key_map[imgui.KEY_A]] = True
        self.frame(widget, **ctx_fields)
        io.keys_down[io.key_map[imgui.KEY_A]] = False
        io.key_ctrl = False
        for ch in text:
            io.add_input_character(ord(ch))
        part = self.frame(widget, **ctx_fields)
        if enter:
            io.keys_down[io.key_map[imgui.KEY_ENTER]] = True
            part = self.frame(widget, **ctx_fields)
            io.keys_down[io.key_map[imgui.KEY_ENTER]] = False
            part = self.frame(widget, **ctx_fields)
        return part


@pytest.fixture()
def gui():
    harness = Harness()
    yield harness
    harness.close()


def summary(**kw) -> NetworkSummary:
    fields = dict(source='builtin:sg3-t', architecture='stylegan3-t', img_resolution=256, img_channels=3, z_dim=512,
        c_dim=0, w_dim=512, num_ws=16, num_params=1000, device='cpu', has_transform=True, has_noise=False,
        description=('stylegan3-t, 256x256',))
    fields.update(kw)
    return NetworkSummary(**fields)


def result_for(args: RenderArgs, **kw) -> RenderResult:
    return RenderResult(stamp=1, args=args, **kw)


def roundtrip(widget: Widget) -> None:
    """get_state -> JSON -> set_state gives the same state."""
    before = dataclasses.asdict(widget.state)
    widget.set_state(json.loads(json.dumps(widget.get_state())))
    assert dataclasses.asdict(widget.state) == before

# ----------------------------------------------------------------------------
# Base.


def test_request_parts_and_state_validation():
    from viz.imgui.widgets.network import NetworkWidget
    w = NetworkWidget()
    assert request_parts(w, NetworkArgs()) == {'network': NetworkArgs()}
    with pytest.raises(ValueError, match=r'Network.source = 3: expected a string'):
        w.set_state({'source': 3})
    with pytest.raises(ValueError, match=r'Network.colour: unknown setting'):
        w.set_state({'colour': 'red'})

# ----------------------------------------------------------------------------
# Network.


def test_network_entry_typed_path_goes_out_with_an_inline_note(gui, tmp_path):
    from viz.imgui.widgets.network import NetworkWidget
    w = NetworkWidget()
    assert gui.frame(w) == NetworkArgs(source='builtin:sg3-t')
    part = gui.type_text(w, '##source', '/no/such/net.pkl')
    assert part == NetworkArgs(source='/no/such/net.pkl')
    # The renderer's error shows inline, and the request still goes out.
    assert gui.shown('No such file: /no/such/net.pkl')
    failed = result_for(RenderArgs(network=part), error="network '/no/such/net.pkl': no such file")
    assert gui.frame(w, result=failed) == part
    assert gui.shown("Cannot load: network '/no/such/net.pkl': no such file")
    # A loaded network is described.
    ok = result_for(RenderArgs(), network=summary(description=('stylegan3-t, 256x256', '16 ws')))
    gui.type_text(w, '##source', 'builtin:sg3-t')
    gui.frame(w, result=ok)
    assert gui.shown('16 ws') and not gui.shown('Cannot load')


def test_network_builtin_buttons_recent_and_drop(gui, tmp_path):
    from viz.imgui.widgets.network import NetworkWidget
    w = NetworkWidget()
    gui.frame(w)
    assert gui.click(w, 'sg2') == NetworkArgs(source='builtin:sg2')
    dropped = str(tmp_path / 'mine.pkl')
    assert gui.frame(w, dropped_paths=('/x/session.json', dropped)) == NetworkArgs(source=dropped)
    roundtrip(w)


def test_network_browse_lists_network_files(gui, tmp_path):
    from viz.imgui.widgets.network import NetworkWidget, list_networks
    for name in ('b.pkl', 'a.safetensors', 'notes.txt'):
        (tmp_path / name).write_bytes(b'x')
    (tmp_path / 'sub.pkl').mkdir()
    files, note = list_networks(str(tmp_path))
    assert [pathlib.Path(f).name for f in files] == ['a.safetensors', 'b.pkl'] and note is None
    assert list_networks(str(tmp_path / 'missing'))[1].startswith('Not a folder')
    w = NetworkWidget(browse_dir=str(tmp_path))
    gui.frame(w)
    gui.click(w, 'Browse folder')
    assert gui.click(w, 'b.pkl') == NetworkArgs(source=str(tmp_path / 'b.pkl'))


def test_network_recent_list_and_loading_text(gui):
    from viz.imgui.widgets.network import NetworkWidget
    w = NetworkWidget()
    recent = ('/data/a.pkl', 'builtin:sg3-t')
    loading = RenderResult(stamp=2, args=RenderArgs(), loading='Loading builtin:sg3-t on cpu...')
    gui.frame(w, recent_sources=recent, result=loading)
    assert gui.shown('Loading builtin:sg3-t on cpu...')
    gui.click(w, '##recent', recent_sources=recent)
    assert gui.click(w, '/data/a.pkl', recent_sources=recent) == NetworkArgs(source='/data/a.pkl')

# ----------------------------------------------------------------------------
# Latent.


def test_latent_seed_entry_drag_snap_reset(gui):
    from viz.imgui.widgets.latent import LatentWidget
    w = LatentWidget()
    assert gui.frame(w) == LatentArgs(x=0, y=0)
    assert gui.type_text(w, '##seed', '42') == LatentArgs(x=42, y=0)
    part = gui.drag(w, 'Drag##latent', dx=50, dy=25)
    assert part.x == pytest.approx(42 + 50 * 4e-2 / FONT) and part.y == pytest.approx(25 * 4e-2 / FONT)
    assert gui.click(w, 'Snap') == LatentArgs(x=42, y=0)
    assert gui.click(w, 'Reset##latent') == LatentArgs()


def test_latent_image_drag_keys_and_animation(gui):
    from viz.imgui.widgets.latent import LatentWidget
    w = LatentWidget()
    res = RenderResult(stamp=1, image_resolution=128)
    part = gui.frame(w, result=res, image_drag=ImageDrag(dx=32, dy=-16, button=0))
    assert (part.x, part.y) == pytest.approx((32 / 128 * 4, -16 / 128 * 4))
    part = gui.frame(w, result=res, image_drag=ImageDrag(dx=32, dy=0, button=0, shift=True))
    assert part.x == pytest.approx(1.0 + 0.1)
    assert gui.frame(w, image_drag=ImageDrag(dx=50, dy=0, button=1)).x == pytest.approx(1.1)  # Right drag is not ours.
    assert gui.frame(w, keys=frozenset({'next_seed'})) == LatentArgs(x=2, y=0)  # Snapped first: (1.1, -0.5) -> (1, 0).
    assert gui.frame(w, keys=frozenset({'next_seed_row'})) == LatentArgs(x=2, y=1)
    assert gui.frame(w, keys=frozenset({'prev_seed'})).x == 1
    gui.frame(w, keys=frozenset({'toggle_animation'}), frame_seconds=0.0)
    assert w.state.anim
    assert gui.frame(w, frame_seconds=0.5).x == pytest.approx(1 + 0.5 * 0.25)
    roundtrip(w)


def test_latent_class_selector_only_for_conditional_networks(gui):
    from viz.imgui.widgets.latent import LatentWidget
    w = LatentWidget()
    gui.frame(w, result=result_for(RenderArgs(), network=summary()))
    assert '##choose_class' not in gui.recorder.rects
    conditional = result_for(RenderArgs(), network=summary(c_dim=10))
    gui.frame(w, result=conditional)
    assert gui.shown('of 10')
    assert gui.click(w, '##choose_class', result=conditional).class_idx == 0
    assert gui.type_text(w, '##class', '25', result=conditional).class_idx == 9  # Clamped to the classes.
    assert gui.click(w, '##choose_class', result=conditional).class_idx is None

# ----------------------------------------------------------------------------
# Style mixing, truncation and noise.


def test_style_mixing_toggles(gui):
    from viz.imgui.widgets.stylemix import StyleMixWidget
    w = StyleMixWidget()
    res = result_for(RenderArgs(), network=summary(num_ws=6))
    part = gui.frame(w, result=res)
    assert part == StyleMixArgs(enabled=False, seed=0, mask=())
    assert gui.click(w, '##enabled', result=res).enabled
    part = gui.click(w, '##w3', result=res)
    assert part.mask == (False, False, False, True) and part.indices(6) == (3,)
    assert gui.type_text(w, '##seed', '77', result=res).seed == 77
    assert gui.click(w, 'Coarse##mix', result=res).mask == (True, True)
    assert gui.click(w, 'All##mix', result=res).mask == (True,) * 6
    roundtrip(w)
    with pytest.raises(ValueError, match='mask'):
        w.set_state({'mask': [1, 0]})


def test_truncation_and_noise(gui):
    from viz.imgui.widgets.trunc_noise import TruncNoiseWidget
    w = TruncNoiseWidget()
    sg2 = result_for(RenderArgs(), network=summary(architecture='stylegan2', has_noise=True, has_transform=False, num_ws=10))
    trunc, noise = gui.frame(w, result=sg2)
    assert (trunc, noise) == (TruncationArgs(), NoiseArgs())
    assert request_parts(w, (trunc, noise)) == {'truncation': trunc, 'noise': noise}
    trunc, _ = gui.drag(w, '##slider', dx=-1000, result=sg2)  # Psi slider to its minimum.
    assert trunc.psi == -1.0
    trunc, _ = gui.click(w, 'Reset', result=sg2)
    assert trunc.psi == 1.0
    trunc, _ = gui.click(w, '##use_cutoff', result=sg2)
    assert trunc.cutoff == 8
    trunc, _ = gui.drag(w, '##cutoff', dx=1000, result=sg2)
    assert trunc.cutoff == 10  # At most num_ws.
    _, noise = gui.click(w, 'random##noise', result=sg2)
    assert noise.mode == 'random'
    _, noise = gui.type_text(w, '##noise_seed', '5', result=sg2)
    assert noise == NoiseArgs(mode='random', seed=5)
    roundtrip(w)
    with pytest.raises(ValueError, match='noise_mode'):
        w.set_state({'noise_mode': 'loud'})


def test_noise_greyed_out_with_a_reason_without_noise_inputs(gui):
    from viz.imgui.widgets.trunc_noise import NO_NOISE_REASON, TruncNoiseWidget
    w = TruncNoiseWidget()
    sg3 = result_for(RenderArgs(), network=summary())
    gui.frame(w, result=sg3)
    _, noise = gui.click(w, 'random##noise', result=sg3)
    assert noise.mode == 'const'  # Disabled: the click does nothing.
    assert gui.shown(NO_NOISE_REASON)  # Hovering the disabled controls tells why.
    gui.frame(w, result=result_for(RenderArgs(), network=summary(has_noise=True)))
    assert not gui.shown(NO_NOISE_REASON)


# ----------------------------------------------------------------------------
# Input transform.


def test_transform_typed_dragged_rounded_and_reset(gui):
    from viz.imgui.widgets.transform import TransformWidget
    w = TransformWidget()
    res = RenderResult(stamp=1, image_resolution=64, network=summary(img_resolution=64))
    assert gui.frame(w, result=res) == TransformArgs()
    part = gui.drag(w, 'Fast##translate', dx=26, dy=13, result=res)
    assert (part.x, part.y) == pytest.approx((26 * 2e-2 / FONT, 13 * 2e-2 / FONT))
    part = gui.drag(w, 'Slow##rotate', dx=13, result=res)
    assert part.angle_deg == pytest.approx(13 * 4e-4 * 360 / FONT)
    # Right drag in the image moves the content with the mouse; Ctrl rotates.
    before = gui.frame(w, result=res)
    part = gui.frame(w, result=res, image_drag=ImageDrag(dx=8, dy=-4, button=1))
    assert (part.x - before.x, part.y - before.y) == pytest.approx((8 / 64, -4 / 64))
    part2 = gui.frame(w, result=res, image_drag=ImageDrag(dx=10, dy=0, button=1, ctrl=True))
    assert part2.angle_deg - part.angle_deg == pytest.approx(5.0)
    part = gui.click(w, 'Whole pixels', result=res)
    assert part.x * 64 == pytest.approx(round(part.x * 64)) and part.y * 64 == pytest.approx(round(part.y * 64))
    assert gui.click(w, 'Untransform', result=res).untransform
    part = gui.click(w, 'Reset##transform', result=res)
    assert part == TransformArgs(untransform=True)
    roundtrip(w)


def test_transform_animation_and_reset_key(gui):
    from viz.imgui.widgets.transform import TransformWidget
    w = TransformWidget()
    gui.frame(w)
    assert gui.click(w, 'Animate##rotate').angle_deg == 0.0  # The click's frames take no time.
    assert gui.frame(w, frame_seconds=0.5).angle_deg == pytest.approx(5.0)  # 10 degrees per second.
    assert gui.frame(w, frame_seconds=0.25).angle_deg == pytest.approx(7.5)
    gui.click(w, 'Animate##translate')
    assert gui.frame(w, frame_seconds=1.0).x == pytest.approx(0.02)
    assert gui.frame(w, keys=frozenset({'reset_view'})) == TransformArgs()
    assert not w.state.anim_rotate and not w.state.anim_translate


def test_transform_greyed_out_for_stylegan2(gui):
    from viz.imgui.widgets.transform import NO_TRANSFORM_REASON, TransformWidget
    w = TransformWidget()
    sg2 = RenderResult(stamp=1, image_resolution=64, network=summary(has_transform=False, architecture='stylegan2'))
    gui.frame(w, result=sg2)
    assert gui.drag(w, 'Fast##translate', dx=40, result=sg2) == TransformArgs()
    assert gui.shown(NO_TRANSFORM_REASON)
    assert gui.frame(w, result=sg2, image_drag=ImageDrag(dx=8, dy=0, button=1)) == TransformArgs()

# ----------------------------------------------------------------------------
# Layers.


def layer_result(**kw) -> RenderResult:
    layers = (
        LayerInfo('input', (1, 16, 36, 36), 16, 'float32', 16.0, 2.0, None, 10),
        LayerInfo('L0_36_16', (1, 16, 36, 36), 16, 'float32', 16.0, 2.0, 4.3, 10),
        LayerInfo('L1_16_3', (1, 3, 16, 16), 3, 'float32', 16.0, 8.0, 9.8, 0),
    )
    stats = LayerStats('L0_36_16', 0.1, 0.5, -1.0, 2.0, *(np.arange(16, dtype=np.float32) + k for k in range(4)))
    return RenderResult(stamp=1, layers=layers, stats=stats, network=summary(), **kw)


def test_layers_list_selection_and_view(gui):
    from viz.imgui.widgets.layers import LayersWidget
    w = LayersWidget()
    res = layer_result()
    assert gui.frame(w, result=res) == LayerArgs()
    assert gui.shown('  16 x 36x36  float32  s=16  fc=2  ft=4.3') and gui.shown('margin 10')
    assert gui.click(w, 'L0_36_16##layer', fx=0.1, result=res).name == 'L0_36_16'
    part = gui.click(w, 'One channel##view', result=res)
    assert part.view == 'channel'
    part = gui.drag(w, '##channel', dx=1000, result=res)
    assert part.channel == 15
    part = gui.click(w, 'RGB##view', result=res)
    assert part.view == 'rgb'
    assert gui.frame(w, result=res).channel == 13  # Slider clamps to the last three channels.
    assert gui.shown('ch 13: mean +13')
    assert gui.click(w, 'Normalize', result=res).normalize
    assert gui.click(w, 'Crop margins', result=res).crop_margins
    part = gui.drag(w, '##slider', dx=1000, result=res)
    assert part.gain_db == 40.0
    assert gui.click(w, 'output##layer', fx=0.1, result=res).name is None
    roundtrip(w)


def test_layers_unknown_selection_is_reported_not_raised(gui):
    from viz.imgui.widgets.layers import LayersWidget
    w = LayersWidget()
    w.set_state({'name': 'L9_1_1'})
    part = gui.frame(w, result=layer_result())
    assert part.name == 'L9_1_1' and gui.shown('Layer L9_1_1 is not in this network.')
    with pytest.raises(ValueError, match='view'):
        w.set_state({'view': 'fft'})

# ----------------------------------------------------------------------------
# Performance and capture.


def test_performance_settings_and_plots(gui):
    from viz.imgui.widgets.performance import PerformanceWidget
    w = PerformanceWidget()
    times = tuple(np.linspace(0.010, 0.030, 50))
    assert gui.frame(w, gui_frame_times=times) == PerformanceArgs()
    assert gui.shown('GUI: mean 20.0 ms, p95 29.0 ms')
    gui.frame(w, result=RenderResult(stamp=1, render_seconds=0.25, network=summary()))
    gui.frame(w, result=RenderResult(stamp=1, render_seconds=0.25, network=summary()))  # Same result: counted once.
    gui.frame(w, result=RenderResult(stamp=2, render_seconds=0.75, network=summary()))
    assert list(w.render_times) == [0.25, 0.75] and gui.shown('Render: mean 500.0 ms') and gui.shown('rendering on cpu')
    assert gui.click(w, 'Force FP32') == PerformanceArgs(force_fp32=True)
    gui.click(w, 'Vsync')
    assert w.state.vsync
    gui.drag(w, '##slider', dx=-1000)
    assert w.state.fps_limit == 5.0
    gui.click(w, '##device')
    assert gui.click(w, 'cpu').device == 'cpu'
    roundtrip(w)
    with pytest.raises(ValueError, match='device'):
        w.set_state({'device': 'tpu'})


def test_performance_bf16_preview_checkbox(gui):
    from viz.imgui.widgets.performance import PREVIEW_LABEL, PerformanceWidget
    w = PerformanceWidget()
    fast = RenderResult(stamp=1, network=summary(bf16_supported=True, bf16_reason='this CPU has AVX512-BF16'))
    slow = RenderResult(stamp=2, network=summary(bf16_supported=False, bf16_reason='this CPU has no bfloat16 arithmetic'))
    assert gui.frame(w, result=fast) == PerformanceArgs()                           # Off by default.
    assert gui.click(w, PREVIEW_LABEL, result=fast) == PerformanceArgs(preview_bf16=True)
    assert w.get_state()['preview_bf16'] is True
    roundtrip(w)
    # The hover text says what it does and why it is offered.
    io = imgui.get_io()
    io.mouse_pos = gui.centre(PREVIEW_LABEL)
    gui.frame(w, result=fast)
    assert gui.shown('Releasing renders the exact float32 image') and gui.shown('AVX512-BF16')
    assert gui.click(w, PREVIEW_LABEL, result=fast) == PerformanceArgs()
    # Where the device has no fast bfloat16 it is greyed with the reason and clicks do nothing.
    w.set_state({**w.get_state(), 'preview_bf16': True})
    assert gui.frame(w, result=slow) == PerformanceArgs()
    assert gui.shown('Unavailable: this CPU has no bfloat16 arithmetic')
    assert gui.click(w, PREVIEW_LABEL, result=slow) == PerformanceArgs()
    assert w.state.preview_bf16                                                     # The choice is kept for a device that has it.
    assert gui.frame(w, result=fast) == PerformanceArgs(preview_bf16=True)
    w.set_state({**w.get_state(), 'preview_bf16': False})
    gui.click(w, PREVIEW_LABEL, result=slow)
    assert not w.state.preview_bf16
    with pytest.raises(ValueError, match=r'preview_bf16 = 1: expected true/false'):
        w.set_state({'preview_bf16': 1})


def test_capture_buttons_request_saves_once(gui, tmp_path):
    from viz.imgui.widgets.capture import CaptureRequest, CaptureWidget
    w = CaptureWidget(folder=str(tmp_path))
    assert request_parts(w, gui.frame(w)) == {}
    io = imgui.get_io()
    io.mouse_pos = gui.centre('Save image')
    gui.frame(w)
    io.mouse_down[0] = True
    gui.frame(w)
    io.mouse_down[0] = False
    assert gui.frame(w) == CaptureRequest(folder=str(tmp_path), save_image=True)
    assert gui.frame(w) == CaptureRequest(folder=str(tmp_path))  # One request per click.
    w.report('Saved x/image-00001.png')
    gui.frame(w)
    assert gui.shown('Saved x/image-00001.png')
    (tmp_path / 'file').write_text('x')
    part = gui.type_text(w, '##folder', str(tmp_path / 'file'), enter=False)
    assert part.folder == str(tmp_path / 'file') and gui.shown('is a file, not a folder')
    assert not gui.click(w, 'Save window').save_window  # Disabled while the folder is unusable.
    roundtrip(w)


def test_every_widget_draws_with_no_result_and_round_trips(gui):
    from viz.imgui.widgets import WIDGET_CLASSES
    parts = {}
    for cls in WIDGET_CLASSES:
        w = cls()
        parts.update(request_parts(w, gui.frame(w)))
        roundtrip(w)
    assert RenderArgs(**parts) == RenderArgs()


def test_widgets_import_no_torch():
    import subprocess
    import sys
    code = ('import sys, viz.imgui.widgets; bad = [m for m in sys.modules if m.split(".")[0] == "torch" or m == "viz.render.renderer"]; '
        'print(bad); sys.exit(1 if bad else 0)')
    done = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=str(pathlib.Path(__file__).parents[3]))
    assert done.returncode == 0, done.stdout + done.stderr
