"""The Visualizer in-process under Xvfb: the real window, the real RenderWorker, a stand-in render function
(no torch). Input goes through the window's own GLFW callbacks (keys, wheel, dropped files) and the real cursor
(glfw.set_cursor_pos) with the mouse buttons patched; controls are found by the rectangles an ItemRecorder
records. Sessions, captures, settings, image-area input, idling, shortcuts and the window title.
(test_app_e2e.py drives the real program with xdotool.)"""

from __future__ import annotations

import dataclasses
import json
import threading
import time

import glfw
import numpy as np
import pytest
from PIL import Image

from gui_utils.imgui_utils import ItemRecorder
from viz.core import settings as settings_mod
from viz.imgui import app as app_mod
from viz.imgui import overlays
from viz.protocol import CommandStatus, NetworkSummary, RenderResult
from viz.render.worker import RenderWorker


def fake_render(args, stamp, cancel, progress):
    """A 32x32 image that depends on the seed position and psi, computed without torch."""
    rng = np.random.RandomState(int(args.latent.x * 1000) % 2**31)
    image = (rng.randint(0, 256, (32, 32, 3)) * min(max(args.truncation.psi, 0), 1)).astype(np.uint8)
    summary = NetworkSummary(source=args.network.source, architecture='stylegan3-t', img_resolution=32, img_channels=3,
        z_dim=8, c_dim=0, w_dim=8, num_ws=6, num_params=1, device='cpu', has_transform=True, has_noise=False)
    if args.network.source.startswith('/missing'):
        return RenderResult(stamp=stamp, error=f'{args.network.source}: no such file', args=args)
    return RenderResult(stamp=stamp, image=image, network=summary, args=args, render_seconds=0.001, image_resolution=32)


class FakeJob:
    """A background command of `total` chunks, each taking `seconds`; its PSNR grows with the chunks done."""

    def __init__(self, command, total: int, seconds: float) -> None:
        self.command, self.total, self.seconds, self.done = command, total, seconds, 0

    def _status(self, state: str) -> CommandStatus:
        return CommandStatus(command_id=0, kind=self.command.kind, state=state, done=self.done, total=self.total,
            psnr=(('eqt', 40.0 + self.done),))

    def step(self, cancel):
        time.sleep(self.seconds)
        self.done += 1
        return self._status('done' if self.done == self.total else 'running')

    def abort(self):
        return self._status('cancelled')


class FakeRenderer:
    """fake_render, and commands that take `chunk_seconds` per chunk (RenderWorker's start_command hook)."""

    def __init__(self, render=fake_render, chunk_seconds: float = 0.01) -> None:
        self.render, self.chunk_seconds = render, chunk_seconds

    def __call__(self, args, stamp, cancel, progress):
        return self.render(args, stamp, cancel, progress)

    def start_command(self, command, args, cancel):
        return FakeJob(command, getattr(command, 'samples', 4), self.chunk_seconds)


def open_app(tmp_path, render=fake_render, **kwargs) -> app_mod.Visualizer:
    kwargs = {'sources': ('fake:net',), 'config_dir': tmp_path / 'config', 'capture_dir': str(tmp_path / 'captures'),
        'window_size': (1000, 700), 'fps_limit': 240, **kwargs}
    return app_mod.Visualizer(lambda wake: RenderWorker(render, on_result=wake), **kwargs)


class Driver:
    """Input into a running Visualizer, one app frame per event."""

    def __init__(self, v: app_mod.Visualizer, monkeypatch) -> None:
        self.v = v
        self.buttons: set[int] = set()
        monkeypatch.setattr(glfw, 'get_mouse_button', lambda window, button: int(button in self.buttons))
        self.recorder = ItemRecorder()
        self.recorder.install()

    def frame(self) -> None:
        self.v.window.wake()                    # As an input event would.
        self.v.frame()

    def frames_until(self, condition, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, 'condition not reached'
            self.frame()
        self.frame()

    def move(self, x: float, y: float) -> None:
        glfw.set_cursor_pos(self.v.window.glfw_window, x, y)
        self.frame()

    def press(self, button: int = 0) -> None:
        self.buttons.add(button)
        self.frame()

    def release(self, button: int = 0) -> None:
        self.buttons.discard(button)
        self.frame()

    def click_at(self, x: float, y: float, button: int = 0) -> None:
        self.move(x, y)
        self.press(button)
        self.release(button)

    def drag(self, points, button: int = 0, release: bool = True) -> None:
        (x, y), *rest = points
        self.move(x, y)
        self.press(button)
        for x, y in rest:
            self.move(x, y)
        if release:
            self.release(button)

    def rect(self, label: str):
        matches = [key for key in self.recorder.rects if key == label or key.endswith('/' + label)]
        assert len(matches) == 1, f'{label!r} drawn {len(matches)} times'
        return self.recorder.rects[matches[0]]

    def click(self, label: str) -> None:
        x0, y0, x1, y1 = self.rect(label)
        self.click_at((x0 + x1) / 2, (y0 + y1) / 2)

    def key(self, key: int, *modifiers: int) -> None:
        """Press and release `key` with the modifier keys (glfw.KEY_LEFT_SHIFT, ...) held, through the window's callbacks."""
        w = self.v.window
        for k in (*modifiers, key):
            w.on_key(w.glfw_window, k, 0, glfw.PRESS, 0)
        self.frame()
        for k in (key, *modifiers):
            w.on_key(w.glfw_window, k, 0, glfw.RELEASE, 0)
        self.frame()

    def scroll(self, dy: float) -> None:
        self.v.window.on_scroll(self.v.window.glfw_window, 0.0, dy)
        self.frame()

    def image_centre(self) -> tuple[float, float]:
        ax, ay, aw, ah = self.v._image_area()
        return ax + aw / 2, ay + ah / 2

    def close(self) -> None:
        self.recorder.uninstall()


@pytest.fixture
def viz(xdisplay, tmp_path):
    v = open_app(tmp_path, render=FakeRenderer(), log=True)
    yield v
    v.close()


@pytest.fixture
def ui(viz, monkeypatch):
    driver = Driver(viz, monkeypatch)
    driver.frames_until(lambda: viz.core.result is not None and not viz.core.render_pending())
    yield driver
    driver.close()


def window_capture(ui, folder) -> np.ndarray:
    """The window as the app's own window capture saves it (read back after drawing)."""
    before = set(folder.glob('window-*.png'))
    ui.v.core.act('app', 'capture_window')
    ui.frame()
    path, = set(folder.glob('window-*.png')) - before
    return np.asarray(Image.open(path).convert('RGB'))

# ----------------------------------------------------------------------------
# Start, title, pane.


def test_every_view_has_a_header_and_the_first_image_shows(viz, monkeypatch, capsys):
    v, ui = viz, Driver(viz, monkeypatch)
    ui.frames_until(lambda: v.core.result is not None)
    titles = [view.title for view in v.views]
    assert titles[:2] == ['Network', 'Latent'] and len(set(titles)) == len(titles)
    assert all(ui.rect(f'{title}/{title}') for title in titles)                 # One collapsing header each.
    assert v.core.last_args.network.source == 'fake:net'
    assert v.area.image is not None and v.area.texture.shape == (32, 32, 3)
    assert v.window.title == 'sg3-viz - fake:net'
    out = capsys.readouterr().out
    assert 'READY' in out and 'SUBMITTED stamp=1 ' in out and 'RENDERED stamp=1 ' in out and 'VIEW rect=' in out
    ui.close()


def test_window_title_follows_the_loaded_network(ui):
    ui.v.core.act('network', 'load', 'fake:other')
    ui.frames_until(lambda: ui.v.window.title == 'sg3-viz - fake:other')
    ui.v.core.act('network', 'load', '/missing/net.pkl')                         # A failed load keeps the title.
    ui.frames_until(lambda: ui.v.core.result.error is not None)
    assert ui.v.window.title == 'sg3-viz - fake:other'


def test_pane_buttons_and_help_popup(ui):
    v = ui.v
    ui.click('Help (F1)')
    ui.frame()
    assert ui.rect('Close')                                                       # The help popup is open.
    ui.key(glfw.KEY_ESCAPE)
    ui.recorder.rects.clear()
    ui.frame()
    assert not any(key.endswith('Close') for key in ui.recorder.rects)
    ui.click('Hide pane (Tab)')
    assert not v.core.view.show_pane and v._image_area()[0] == 0
    ui.key(glfw.KEY_TAB)
    assert v.core.view.show_pane and v._image_area()[0] > 0
    # Tab after a click in the pane leaves the keyboard with the shortcuts (imgui's Tab focusing is off there).
    assert not v.window.io.want_text_input
    ui.key(glfw.KEY_H)
    ui.frame()
    ui.click('Close')
    ui.recorder.rects.clear()
    ui.frame()
    assert not any(key.endswith('Close') for key in ui.recorder.rects)

# ----------------------------------------------------------------------------
# Shortcuts and the image area.


def test_shortcuts_act_on_the_core_only_while_no_text_field_has_the_keyboard(ui, tmp_path):
    v, folder = ui.v, tmp_path / 'captures'
    ui.key(glfw.KEY_RIGHT)
    ui.key(glfw.KEY_DOWN)
    assert (v.core.last_args.latent.x, v.core.last_args.latent.y) == (1, 1)
    ui.key(glfw.KEY_UP)
    ui.key(glfw.KEY_LEFT)
    assert (v.core.last_args.latent.x, v.core.last_args.latent.y) == (0, 0)
    ui.key(glfw.KEY_SPACE)
    assert v.core.controllers['latent'].state.anim
    ui.key(glfw.KEY_SPACE)
    ui.key(glfw.KEY_R)
    assert v.core.controllers['latent'].is_snapped()
    ui.frames_until(lambda: not v.core.render_pending())
    ui.key(glfw.KEY_S)
    assert sorted(p.name for p in folder.iterdir()) == ['image-00001.png']
    ui.key(glfw.KEY_S, glfw.KEY_LEFT_SHIFT)
    assert sorted(p.name for p in folder.iterdir()) == ['image-00001.png', 'window-00001.png']
    ui.key(glfw.KEY_1)
    assert v.core.view.zoom == 1.0
    ui.key(glfw.KEY_F)
    assert v.core.view.zoom is None
    # Typing into a field is not a shortcut.
    ui.click('Latent/##seed')
    ui.key(glfw.KEY_S)
    ui.key(glfw.KEY_RIGHT)
    assert len(list(folder.iterdir())) == 2 and v.core.controllers['latent'].state.x == 0
    ui.click_at(*ui.image_centre())                                               # Off the field: shortcuts again.
    assert v.core.controllers['latent'].state.x == 0                              # (A click is no drag.)
    ui.key(glfw.KEY_Q, glfw.KEY_LEFT_CONTROL)
    assert v.window.should_close()


def test_image_drags_wheel_zoom_and_pan(ui):
    v = ui.v
    cx, cy = ui.image_centre()
    zoom = v.area.zoom(v._image_area(), 1.0)
    ui.drag([(cx, cy), (cx + 10, cy), (cx + 20, cy + 10)])                        # Left: the latent.
    latent = v.core.controllers['latent'].state
    assert (latent.x, latent.y) == pytest.approx((20 / zoom / 32 * 4, 10 / zoom / 32 * 4))
    ui.drag([(cx, cy), (cx + 8, cy), (cx + 16, cy - 8)], button=1)                # Right: the input translation ...
    t = v.core.controllers['transform'].state
    assert (t.x, t.y) == pytest.approx((16 / zoom / 32, -8 / zoom / 32))
    w = v.window
    ui.move(cx, cy)
    w.on_key(w.glfw_window, glfw.KEY_LEFT_CONTROL, 0, glfw.PRESS, 0)
    ui.drag([(cx, cy), (cx + 10, cy)], button=1)                                  # ... with Ctrl it rotates.
    w.on_key(w.glfw_window, glfw.KEY_LEFT_CONTROL, 0, glfw.RELEASE, 0)
    assert v.core.controllers['transform'].state.angle_deg == pytest.approx(10 / zoom * 0.5)
    ui.move(cx, cy)
    ui.scroll(1.0)                                                                # The wheel zooms in a whole step ...
    assert v.core.view.zoom == int(zoom) + 1
    ui.drag([(cx, cy), (cx + 30, cy + 20)], button=2)                             # ... and the middle button pans.
    assert v.core.view.pan == (30.0, 20.0)
    assert v.core.view_state()['view']['zoom'] == int(zoom) + 1                   # Sessions keep the view.


def test_status_bar_shows_the_pixel_under_the_cursor(ui):
    v = ui.v
    area = v._image_area()
    assert v.window.framebuffer_scale == 1
    x, y, _, _ = v.area.view.image_rect(area, v.area.image_size)
    zoom = v.area.zoom(area, 1.0)
    for col, row in [(5, 9), (31, 0)]:
        ui.move(x + (col + 0.5) * zoom, y + (row + 0.5) * zoom)
        ui.frame()
        expected = f'x {col}, y {row}: ' + ' '.join(str(int(c)) for c in v.area.image[row, col])
        assert expected in overlays.status_text(v.area, area, 1.0, v.core.result, v.core.render_pending())

# ----------------------------------------------------------------------------
# Sessions, captures, dropped files, settings.


def test_session_round_trip_and_bad_session_drawn_over_the_image(ui, tmp_path):
    v = ui.v
    v.core.act('latent', 'set_seed', 7)
    v.core.set_view(zoom=3.0, pan=(5.0, -2.0))
    ui.frames_until(lambda: v.core.result.args.latent.x == 7.0)
    saved_args = v.core.last_args
    path = tmp_path / 's.json'
    assert v.core.save_session(str(path))
    data = json.loads(path.read_text())
    assert (data['format'], data['version']) == ('sg3-viz-session', 2)
    assert data['controllers']['latent']['x'] == 7.0 and data['view']['zoom'] == 3.0

    # Change everything, then load the session back: the request and the image view follow.
    v.core.act('latent', 'reset')
    v.core.act('app', 'zoom_fit')
    ui.frames_until(lambda: v.core.result.args.latent.x == 0.0)
    assert v.core.load_session(str(path))
    ui.frame()
    assert v.core.last_args == saved_args
    assert v.area.view.zoom == 3.0 and tuple(v.area.view.pan) == (5.0, -2.0)

    # A bad session changes nothing and says what is wrong, in red over the image.
    bad = tmp_path / 'bad.json'
    bad.write_text(json.dumps({**data, 'controllers': {'latent': {'x': 'seven'}}}))
    v.core.act('latent', 'set_seed', 3)
    assert not v.core.load_session(str(bad))
    assert v.core.controllers['latent'].state.x == 3.0
    assert v.core.message.error and 'bad.json' in v.core.message.text and 'x' in v.core.message.text
    v.core.act('app', 'zoom_fit')
    ui.frame()
    x, y, w, h = (int(c) for c in v._image_area())
    top = window_capture(ui, tmp_path / 'captures')[y:y + h // 4, x:x + w].astype(int)
    assert ((top[..., 0] > 200) & (top[..., 1] < 150) & (top[..., 2] < 140)).sum() > 100, 'no error text over the image'


def test_captures_are_numbered_and_never_overwrite(ui, tmp_path):
    v = ui.v
    folder = tmp_path / 'captures'
    folder.mkdir(exist_ok=True)
    (folder / 'image-00005.png').write_bytes(b'keep me')
    first = v.core.capture_image()
    second = v.core.capture_image()
    assert (first.name, second.name) == ('image-00006.png', 'image-00007.png')
    assert (folder / 'image-00005.png').read_bytes() == b'keep me'
    np.testing.assert_array_equal(np.asarray(Image.open(first)), v.area.image)
    v.core.act('app', 'capture_window')
    ui.frame()
    window = Image.open(folder / 'window-00001.png')
    assert window.size == v.window.framebuffer_size


def test_dropped_files_open_networks_and_load_sessions(ui, tmp_path):
    v = ui.v
    net = tmp_path / 'dropped.safetensors'
    net.write_bytes(b'not really a network')
    v.window._on_drop(v.window.glfw_window, [str(net)])                           # What GLFW's drop callback calls.
    ui.frames_until(lambda: v.core.last_args.network.source == str(net))
    session_file = tmp_path / 'dropped-session.json'
    v.core.save_session(str(session_file))
    v.core.act('latent', 'set_seed', 5)
    v.window._on_drop(v.window.glfw_window, [str(session_file)])
    ui.frame()
    assert v.core.controllers['latent'].state.x == 0.0 and v.core.last_args.network.source == str(net)


def test_close_keeps_the_settings_for_the_next_start(xdisplay, tmp_path):
    v = open_app(tmp_path, capture_dir=str(tmp_path / 'elsewhere'), window_size=(900, 600))
    v.core.act('app', 'toggle_pane')
    v.core.act('performance', 'set', fps_limit=30.0)
    v.frame()
    v.close()
    assert v.core.worker.closed
    saved, warning = settings_mod.load_settings(tmp_path / 'config')
    assert warning is None and saved.recent[:1] == ('fake:net',)
    assert (saved.window_width, saved.window_height, saved.show_pane, saved.fps_limit) == (900, 600, False, 30.0)
    assert saved.capture_dir == str(tmp_path / 'elsewhere')
    again = open_app(tmp_path, capture_dir=None, window_size=None, fps_limit=None)
    try:
        assert again.window.window_size == (900, 600) and not again.core.view.show_pane
        assert again.core.capture.state.folder == str(tmp_path / 'elsewhere') and again.window.fps_limit == 30.0
    finally:
        again.close()


def test_settings_round_trip_and_validation(tmp_path):
    s = settings_mod.Settings().with_recent('a').with_recent('b').with_recent('a')
    assert s.recent == ('a', 'b')
    settings_mod.save_settings(s, tmp_path)
    loaded, warning = settings_mod.load_settings(tmp_path)
    assert loaded == s and warning is None
    (tmp_path / 'settings.json').write_text('{"fps_limit": "fast"}')
    loaded, warning = settings_mod.load_settings(tmp_path)
    assert loaded == settings_mod.Settings() and 'fps_limit' in warning
    with pytest.raises(ValueError, match='filter'):
        settings_mod.Settings(filter='cubic')


def test_config_dir_follows_environment(monkeypatch, tmp_path):
    monkeypatch.setenv('SG3_VIZ_CONFIG_DIR', str(tmp_path / 'x'))
    assert settings_mod.config_dir() == tmp_path / 'x'
    monkeypatch.delenv('SG3_VIZ_CONFIG_DIR')
    monkeypatch.setenv('XDG_CONFIG_HOME', str(tmp_path / 'xdg'))
    assert settings_mod.config_dir() == tmp_path / 'xdg' / 'sg3-viz'
    monkeypatch.delenv('XDG_CONFIG_HOME')
    monkeypatch.setenv('HOME', str(tmp_path / 'home'))
    assert settings_mod.config_dir() == tmp_path / 'home' / '.config' / 'sg3-viz'

# ----------------------------------------------------------------------------
# Idling, loading, commands.


def test_idle_loop_sleeps_and_wakes_on_a_result(ui):
    v = ui.v
    for _ in range(5):
        v.frame()
    start = time.perf_counter()
    v.frame()
    assert time.perf_counter() - start > 0.3                   # Idle: waits for events (idle_timeout 0.5 s).
    # A render finishing on the worker thread wakes the idle loop at once (RenderWorker's on_result).
    assert v.core.worker._on_result == v.window.wake
    v.window.idle_timeout = 5.0
    for x in (11, 12):
        start = time.perf_counter()
        v.core.act('latent', 'set_seed', x)
        v.window.wake()                                        # As the input event of the action would.
        while v.core.result.args.latent.x != x:
            v.frame()
            assert time.perf_counter() - start < 2.0


def test_loading_text_is_drawn_while_a_network_loads(xdisplay, tmp_path, monkeypatch):
    release = threading.Event()

    def slow_render(args, stamp, cancel, progress):
        progress(RenderResult(stamp=stamp, loading='Loading fake:net on cpu...', args=args))
        release.wait(20)
        return fake_render(args, stamp, cancel, progress)

    v = open_app(tmp_path, render=slow_render, window_size=(800, 500))
    ui = Driver(v, monkeypatch)
    try:
        ui.frames_until(lambda: v.core.loading is not None)
        x, y, w, h = (int(c) for c in v._image_area())
        assert v.core.loading == 'Loading fake:net on cpu...' and v.core.render_pending()
        loading = window_capture(ui, tmp_path / 'captures')
        release.set()
        ui.frames_until(lambda: v.core.result is not None)
        assert v.core.loading is None and v.area.image is not None
    finally:
        release.set()
        ui.close()
        v.close()
    assert v.window.window_size == (0, 0) and v.window.should_close()
    band = loading[y + h // 2 - 10:y + h // 2 + 10, x:x + w].astype(int)
    assert (band.min(axis=2) > 200).sum() > 30, 'no light text in the middle of the image area'


def test_commands_run_on_the_real_worker_and_are_logged(ui, capsys):
    """The view core's commands go through RenderWorker's command channel; a finished one prints a COMMAND line."""
    v = ui.v
    v.core.act('analysis', 'set', metrics_samples=3)
    command_id = v.core.act('app', 'compute_metrics')
    ui.frames_until(lambda: v.core.command_status('metrics').finished)
    status = v.core.command_status('metrics')
    assert (status.command_id, status.state, status.done, status.total, status.psnr) == (command_id, 'done', 3, 3, (('eqt', 43.0),))
    line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith('COMMAND '))
    assert line == f'COMMAND id={command_id} kind=metrics state=done done=3 total=3 error=null path=null psnr={{"eqt": 43.0}}'
    # Cancelled midway: the partial results come back.
    v.core.worker._render_fn.chunk_seconds = 0.2
    v.core.act('analysis', 'set', metrics_samples=1000)
    v.core.act('app', 'compute_metrics')
    ui.frames_until(lambda: v.core.command_status('metrics').done >= 1)
    v.core.act('app', 'cancel', 'metrics')
    ui.frames_until(lambda: v.core.command_status('metrics').finished)
    status = v.core.command_status('metrics')
    assert status.state == 'cancelled' and 1 <= status.done < 1000 and status.psnr == (('eqt', 40.0 + status.done),)
    assert f'state=cancelled done={status.done} total=1000' in capsys.readouterr().out

# ----------------------------------------------------------------------------
# bfloat16 preview.


def preview_render(args, stamp, cancel, progress):
    """fake_render on a network whose device runs bfloat16 fast: requests asking for the preview come back
    marked as bfloat16 (the image itself is the same, so the tag is the only difference on screen)."""
    result = fake_render(args, stamp, cancel, progress)
    network = dataclasses.replace(result.network, bf16_supported=True, bf16_reason='test device')
    return dataclasses.replace(result, network=network, precision='bfloat16' if args.performance.wants_bf16() else 'float32')


def amber_pixels(ui, capture_dir, corner) -> int:
    """Pixels of the preview tag's colour in `corner` (x0, y0, x1, y1) of a fresh window capture."""
    x0, y0, x1, y1 = (int(c) for c in corner)
    pixels = window_capture(ui, capture_dir)[y0:y1, x0:x1].astype(int)
    target = np.array([round(c * 255) for c in overlays.PREVIEW_COLOR[:3]])
    return int((np.abs(pixels - target).max(axis=2) < 40).sum())


def test_bf16_preview_while_dragging_then_exact_on_release(xdisplay, tmp_path, monkeypatch):
    v = open_app(tmp_path, render=preview_render)
    ui = Driver(v, monkeypatch)
    try:
        core = v.core
        ui.frames_until(lambda: core.result is not None and not core.render_pending())
        cx, cy = ui.image_centre()
        ax, ay, aw, ah = v._image_area()
        corner = (ax + aw - 12 * v.window.font_size, ay + ah - 3 * v.window.font_size, ax + aw, ay + ah)

        # Preview off (the default): a drag never marks its requests.
        ui.drag([(cx + 10 * i, cy) for i in range(4)], release=False)
        assert core.last_args.latent.x != 0 and not core.last_args.performance.interacting
        ui.release()
        assert not core.last_args.performance.interacting

        # Preview on: a click that changes nothing submits nothing.
        core.act('performance', 'set', preview_bf16=True)
        ui.frames_until(lambda: not core.render_pending())
        stamp, settled = core.last_stamp, core.last_args
        assert settled.performance.preview_bf16 and not settled.performance.interacting and core.shown_precision == 'float32'
        ui.click_at(cx, cy)
        assert core.last_stamp == stamp

        # A drag in the image: its requests are marked, the previews are tagged.
        ui.drag([(cx + 10 * i, cy) for i in range(4)], release=False)
        dragged = core.last_args
        assert dragged.performance.interacting and dragged.latent.x != settled.latent.x
        ui.frames_until(lambda: not core.render_pending())                       # Holding still: no new request.
        assert core.last_args == dragged and core.shown_precision == 'bfloat16'
        assert 'bf16 preview' in overlays.status_text(v.area, v._image_area(), 1.0, core.result, False)
        tagged = amber_pixels(ui, tmp_path / 'captures', corner)
        session = core.view_state()                                               # The setting is saved, the drag state never.
        assert session['controllers']['performance']['preview_bf16'] is True and 'interacting' not in json.dumps(session)

        # Release: the same request without the mark, rendered exactly; the tag goes.
        ui.release()
        released = core.last_args
        assert released == dataclasses.replace(dragged, performance=dataclasses.replace(dragged.performance, interacting=False))
        ui.frames_until(lambda: not core.render_pending())
        assert core.result.args == released and core.result.precision == core.shown_precision == 'float32'
        np.testing.assert_array_equal(v.area.image, fake_render(released, 0, None, None).image)
        assert tagged - amber_pixels(ui, tmp_path / 'captures', corner) > 15, 'no "bf16 preview" tag drawn in the corner'

        # Holding a slider counts too: psi changes while held are marked, the release re-renders exactly.
        ui.click('Truncation & noise/Truncation & noise')                         # Closed at first: open it.
        x0, y0, x1, y1 = ui.rect('##psi/##slider')
        ui.drag([(x0 + f * (x1 - x0), (y0 + y1) / 2) for f in (0.6, 0.55, 0.5, 0.45)], release=False)
        assert core.last_args.performance.interacting and core.last_args.truncation.psi < released.truncation.psi
        ui.release()
        assert not core.last_args.performance.interacting and core.last_args.truncation.psi < released.truncation.psi
    finally:
        ui.close()
        v.close()
