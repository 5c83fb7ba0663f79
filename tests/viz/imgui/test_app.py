"""The Visualizer in-process under Xvfb with a stand-in render function: sessions, captures, settings,
image-area input and idling. (tests/viz/test_app_e2e.py drives the real program.)"""

import dataclasses
import json
import os
import sys
import threading
import time

import numpy as np
import pytest
from PIL import Image

from viz.imgui import app as app_mod
from viz.imgui import overlays as app_overlays
from viz.core import capture, settings as settings_mod, shortcuts
from viz.protocol import NetworkSummary, RenderResult
from viz.imgui.widgets.base import KEY_ACTIONS


def fake_render(args, stamp, cancel, progress):
    """A 32x32 image that depends on the seed position and psi, computed without torch."""
    rng = np.random.RandomState(int(args.latent.x * 1000) % 2**31)
    image = (rng.randint(0, 256, (32, 32, 3)) * min(max(args.truncation.psi, 0), 1)).astype(np.uint8)
    summary = NetworkSummary(source=args.network.source, architecture='stylegan3-t', img_resolution=32, img_channels=3,
        z_dim=8, c_dim=0, w_dim=8, num_ws=6, num_params=1, device='cpu', has_transform=True, has_noise=False)
    if args.network.source.startswith('/missing'):
        return RenderResult(stamp=stamp, error=f'{args.network.source}: no such file', args=args)
    return RenderResult(stamp=stamp, image=image, network=summary, args=args, render_seconds=0.001, image_resolution=32)


@pytest.fixture
def viz(xdisplay, tmp_path):
    v = app_mod.Visualizer(sources=('fake:net',), config_dir=tmp_path / 'config', capture_dir=str(tmp_path / 'captures'),
        render_fn=fake_render, window_size=(1000, 700), fps_limit=240)
    yield v
    v.close()


def frames_until(v, condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, 'condition not reached'
        v.frame()
    v.frame()


def widget(v, field):
    return next(w for w in v.widgets if app_mod.widget_key(w) == field)


def test_every_widget_has_a_header_and_contributes_its_part(viz):
    titles = [w.title for w in viz.widgets]
    assert titles[:2] == ['Network', 'Latent'] and len(set(titles)) == len(titles)
    frames_until(viz, lambda: viz.result is not None)
    assert viz.last_args.network.source == 'fake:net'
    assert viz.area.image is not None and viz.area.texture.shape == (32, 32, 3)
    assert viz.window.title == 'sg3-viz - fake:net'


def test_session_round_trip_and_bad_session(viz, tmp_path):
    frames_until(viz, lambda: viz.result is not None)
    latent = widget(viz, 'latent')
    latent.set_state({**latent.get_state(), 'x': 7.0})
    viz.area.view.zoom, viz.area.view.pan = 3.0, (5.0, -2.0)
    frames_until(viz, lambda: viz.result.args.latent.x == 7.0)
    saved_args = viz.last_args
    path = tmp_path / 's.json'
    viz.save_session(str(path))
    data = json.loads(path.read_text())
    assert data['format'] == 'sg3-viz-session' and data['widgets']['latent']['x'] == 7.0 and data['app']['zoom'] == 3.0

    # Change everything, then load the session back.
    latent.reset()
    viz.area.view.reset()
    frames_until(viz, lambda: viz.result.args.latent.x == 0.0)
    assert viz.load_session(str(path))
    viz.frame()
    assert viz.last_args == saved_args
    assert viz.area.view.zoom == 3.0 and viz.area.view.pan == (5.0, -2.0)

    # A bad session changes nothing and says what is wrong.
    bad = tmp_path / 'bad.json'
    bad.write_text(json.dumps({**data, 'widgets': {**data['widgets'], 'latent': {'x': 'seven'}}}))
    latent.set_state({**latent.get_state(), 'x': 3.0})
    assert not viz.load_session(str(bad))
    assert latent.state.x == 3.0
    text, error, _ = viz.message
    assert error and 'bad.json' in text and 'x' in text
    for content, expected in [('not json', 'not valid JSON'), ('{"format": "other"}', 'format'),
                              (json.dumps({**data, 'widgets': {'nope': {}}}), 'unknown widget'),
                              (json.dumps({**data, 'app': {'zoom': -1}}), 'app.zoom')]:
        bad.write_text(content)
        assert not viz.load_session(str(bad))
        assert expected in viz.message[0]
    assert not viz.load_session(str(tmp_path / 'missing.json'))
    assert 'cannot read' in viz.message[0]
    viz.frame()                                    # Still running.


def test_captures_are_numbered_and_never_overwrite(viz, tmp_path):
    frames_until(viz, lambda: viz.result is not None)
    folder = tmp_path / 'captures'
    folder.mkdir(exist_ok=True)
    (folder / 'image-00005.png').write_bytes(b'keep me')
    first = viz.capture_image()
    second = viz.capture_image()
    assert (first.name, second.name) == ('image-00006.png', 'image-00007.png')
    assert (folder / 'image-00005.png').read_bytes() == b'keep me'
    np.testing.assert_array_equal(np.asarray(Image.open(first)), viz.area.image)
    viz.capture_window_pending = True
    viz.frame()
    window = Image.open(folder / 'window-00001.png')
    assert window.size == viz.window.framebuffer_size


def test_save_png_validates_and_finds_the_next_number(tmp_path):
    image = np.zeros((4, 5, 3), dtype=np.uint8)
    paths = [capture.save_png(image, tmp_path / 'new', 'x') for _ in range(3)]
    assert [p.name for p in paths] == ['x-00001.png', 'x-00002.png', 'x-00003.png']
    with pytest.raises(ValueError, match='uint8'):
        capture.save_png(image.astype(np.float32), tmp_path, 'x')


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


def test_shortcut_table_covers_the_widget_actions():
    actions = {s.action for s in shortcuts.SHORTCUTS}
    assert set(KEY_ACTIONS) <= actions
    table = shortcuts.help_markdown()
    assert table.count('\n') + 1 == 2 + len(shortcuts.help_rows())
    assert '| Space |' in table and '| Ctrl+Q |' in table


def test_idle_loop_sleeps_and_wakes_on_a_result(viz):
    frames_until(viz, lambda: viz.result is not None and not viz.render_pending())
    for _ in range(5):
        viz.frame()
    start = time.perf_counter()
    viz.frame()
    assert time.perf_counter() - start > 0.3                   # Idle: waits for events (idle_timeout 0.5 s).
    viz.window.idle_timeout = 0.5
    # A render finishing on the worker thread wakes the idle loop at once (RenderWorker's on_result).
    assert viz.worker._on_result == viz.window.wake
    viz.window.idle_timeout = 5.0
    latent = widget(viz, 'latent')
    for x in (11.0, 12.0):
        start = time.perf_counter()
        latent.set_state({**latent.get_state(), 'x': x})
        viz.window.wake()                                     # As an input event would.
        while viz.result.args.latent.x != x:
            viz.frame()
            assert time.perf_counter() - start < 2.0


def test_dropped_files_reach_the_widgets_and_dropped_sessions_load(viz, tmp_path):
    frames_until(viz, lambda: viz.result is not None)
    net = tmp_path / 'dropped.safetensors'
    net.write_bytes(b'not really a network')
    viz.window._on_drop(viz.window.glfw_window, [str(net)])        # What GLFW's drop callback calls.
    viz.window.wake()
    frames_until(viz, lambda: viz.last_args.network.source == str(net))
    session_file = tmp_path / 'dropped-session.json'
    viz.save_session(str(session_file))
    latent = widget(viz, 'latent')
    latent.set_state({**latent.get_state(), 'x': 5.0})
    viz.window._on_drop(viz.window.glfw_window, [str(session_file)])
    viz.window.wake()
    viz.frame()
    assert latent.state.x == 0.0 and viz.last_args.network.source == str(net)


def test_status_bar_shows_the_pixel_under_the_cursor(viz):
    import glfw
    frames_until(viz, lambda: viz.area.image is not None)
    area = viz._image_area()
    assert viz.window.framebuffer_scale == 1
    x, y, _, _ = viz.area.view.image_rect(area, viz.area.image_size)
    zoom = viz.area.zoom(area, 1.0)
    for col, row in [(5, 9), (31, 0)]:
        glfw.set_cursor_pos(viz.window.glfw_window, x + (col + 0.5) * zoom, y + (row + 0.5) * zoom)
        viz.window.wake()
        viz.frame()
        viz.window.wake()
        viz.frame()
        expected = f'x {col}, y {row}: ' + ' '.join(str(int(v)) for v in viz.area.image[row, col])
        assert expected in viz._status_text(area)


@pytest.mark.skipif(not sys.platform.startswith('linux'), reason='per-thread priorities are a Linux feature')
def test_render_function_runs_at_lower_priority_than_the_gui():
    seen = []
    wrapped = app_mod.in_background(lambda: seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id())))
    thread = threading.Thread(target=lambda: (wrapped(), wrapped()))
    thread.start()
    thread.join()
    base = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert seen == [min(base + 5, 19)] * 2                       # Lowered once, on the render thread only.


def test_loading_text_is_drawn_while_a_network_loads(xdisplay, tmp_path):
    release = threading.Event()

    def slow_render(args, stamp, cancel, progress):
        progress(RenderResult(stamp=stamp, loading='Loading fake:net on cpu...', args=args))
        release.wait(10)
        return fake_render(args, stamp, cancel, progress)
    v = app_mod.Visualizer(sources=('fake:net',), config_dir=tmp_path / 'config', capture_dir=str(tmp_path / 'captures'),
        render_fn=slow_render, window_size=(800, 500), fps_limit=240)
    try:
        frames_until(v, lambda: v.loading is not None)
        x, y, w, h = (int(c) for c in v._image_area())
        assert v.loading == 'Loading fake:net on cpu...' and v.render_pending()
        v.capture_window_pending = True
        v.frame()
        loading = np.asarray(Image.open(tmp_path / 'captures' / 'window-00001.png'))
        release.set()
        frames_until(v, lambda: v.result is not None)
        assert v.loading is None and v.area.image is not None
    finally:
        release.set()
        v.close()
    assert v.window.window_size == (0, 0) and v.window.should_close()
    band = loading[y + h // 2 - 10:y + h // 2 + 10, x:x + w].astype(int)
    assert (band.min(axis=2) > 200).sum() > 30, 'no light text in the middle of the image area'


def preview_render(args, stamp, cancel, progress):
    """fake_render on a network whose device runs bfloat16 fast: requests asking for the preview come back
    marked as bfloat16 (the image itself is the same, so the tag is the only difference on screen)."""
    result = fake_render(args, stamp, cancel, progress)
    network = dataclasses.replace(result.network, bf16_supported=True, bf16_reason='test device')
    return dataclasses.replace(result, network=network, precision='bfloat16' if args.performance.wants_bf16() else 'float32')


def amber_pixels(v, capture_dir, corner):
    """Pixels of the preview tag's colour in `corner` (x0, y0, x1, y1) of a fresh window capture."""
    before = set(capture_dir.glob('window-*.png'))
    v.capture_window_pending = True
    v.window.wake()
    v.frame()
    path, = set(capture_dir.glob('window-*.png')) - before
    x0, y0, x1, y1 = (int(c) for c in corner)
    pixels = np.asarray(Image.open(path).convert('RGB'))[y0:y1, x0:x1].astype(int)
    target = np.array([round(c * 255) for c in app_overlays.PREVIEW_COLOR[:3]])
    return int((np.abs(pixels - target).max(axis=2) < 40).sum())


def test_bf16_preview_while_dragging_then_exact_on_release(xdisplay, tmp_path, monkeypatch):
    import glfw
    mouse = {'down': False}
    monkeypatch.setattr(glfw, 'get_mouse_button', lambda window, button: int(button == 0 and mouse['down']))
    v = app_mod.Visualizer(sources=('fake:net',), config_dir=tmp_path / 'config', capture_dir=str(tmp_path / 'captures'),
        render_fn=preview_render, window_size=(1000, 700), fps_limit=240, log_items=True)
    try:
        perf = widget(v, 'performance')
        frames_until(v, lambda: v.result is not None and not v.render_pending())
        ax, ay, aw, ah = v._image_area()
        cx, cy = ax + aw / 2, ay + ah / 2
        corner = (ax + aw - 12 * v.window.font_size, ay + ah - 3 * v.window.font_size, ax + aw, ay + ah)

        def step(x, y, down):
            glfw.set_cursor_pos(v.window.glfw_window, x, y)
            mouse['down'] = down
            v.window.wake()
            v.frame()

        def drag(x, y, dx, dy=0.0):
            step(x, y, False)
            step(x, y, True)
            for i in range(1, 4):
                step(x + dx * i, y + dy * i, True)

        # Preview off (the default): a drag never marks its requests.
        drag(cx, cy, 10)
        assert v.last_args.latent.x != 0 and not v.last_args.performance.interacting
        step(cx + 30, cy, False)
        assert not v.last_args.performance.interacting

        # Preview on: a click that changes nothing submits nothing.
        perf.set_state({**perf.get_state(), 'preview_bf16': True})
        step(cx, cy, False)
        frames_until(v, lambda: not v.render_pending())
        stamp, settled = v.last_stamp, v.last_args
        assert settled.performance.preview_bf16 and not settled.performance.interacting and v.shown_precision == 'float32'
        step(cx, cy, True)
        step(cx, cy, False)
        assert v.last_stamp == stamp

        # A drag in the image: its requests are marked, the previews are tagged.
        drag(cx, cy, 10)
        dragged = v.last_args
        assert dragged.performance.interacting and dragged.latent.x != settled.latent.x
        frames_until(v, lambda: not v.render_pending())              # Holding still: no new request.
        assert v.last_args == dragged and v.shown_precision == 'bfloat16'
        assert 'bf16 preview' in v._status_text(v._image_area())
        tagged = amber_pixels(v, tmp_path / 'captures', corner)
        session = v.session_state()                                 # The setting is saved, the drag state never.
        assert session['widgets']['performance']['preview_bf16'] is True and 'interacting' not in json.dumps(session)

        # Release: the same request without the mark, rendered exactly; the tag goes.
        step(cx + 30, cy, False)
        released = v.last_args
        assert not released.performance.interacting
        assert released == dataclasses.replace(dragged, performance=dataclasses.replace(dragged.performance, interacting=False))
        frames_until(v, lambda: not v.render_pending())
        assert v.result.args == released and v.result.precision == v.shown_precision == 'float32'
        np.testing.assert_array_equal(v.area.image, fake_render(released, 0, None, None).image)
        assert tagged - amber_pixels(v, tmp_path / 'captures', corner) > 15, 'no "bf16 preview" tag drawn in the corner'

        # Holding a slider counts too: psi changes while held are marked, the release re-renders exactly.
        name = next(key for key in v.recorder.rects if key.endswith('Psi##trunc/##slider'))
        x0, y0, x1, y1 = v.recorder.rects[name]
        drag(x0 + 0.6 * (x1 - x0), (y0 + y1) / 2, -0.05 * (x1 - x0))
        assert v.last_args.performance.interacting and v.last_args.truncation.psi < released.truncation.psi
        step(x0 + 0.45 * (x1 - x0), (y0 + y1) / 2, False)
        assert not v.last_args.performance.interacting and v.last_args.truncation.psi < released.truncation.psi
    finally:
        v.close()
