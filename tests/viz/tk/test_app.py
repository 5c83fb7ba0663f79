"""The Tk app in-process under Xvfb: the real window, the real RenderWorker, a stand-in render function (no torch).
Keys and mouse go through Tk's own event dispatch (event_generate on the focused widget); the window's pixels are
read back from the X server. Both ways of drawing are checked: pyopengltk with the GL helpers, and the PhotoImage
used where no GL context can be made."""

from __future__ import annotations

import _tkinter
import dataclasses
import time
from tkinter import font as tkfont

import numpy as np
import pytest
from PIL import Image

from tests.viz.imgui.e2e import sample_centres
from viz.protocol import AnalysisResult, EquivarianceView as EqView, ImagePanel, NetworkSummary, RenderResult
from viz.render.worker import RenderWorker
from viz.tk import app as app_mod, image_area

RESOLUTION = 32


def fake_render(args, stamp, cancel, progress):
    """A 32x32 image that depends on the seed position and psi, computed without torch."""
    rng = np.random.RandomState(int(args.latent.x * 1000) % 2**31)
    image = (rng.randint(0, 256, (RESOLUTION, RESOLUTION, 3)) * min(max(args.truncation.psi, 0), 1)).astype(np.uint8)
    summary = NetworkSummary(source=args.network.source, architecture='stylegan3-t', img_resolution=RESOLUTION, img_channels=3,
        z_dim=8, c_dim=0, w_dim=8, num_ws=6, num_params=1, device='cpu', has_transform=True, has_noise=False)
    if args.network.source.startswith('/missing'):
        return RenderResult(stamp=stamp, error=f'{args.network.source}: no such file', args=args)
    return RenderResult(stamp=stamp, image=image, network=summary, args=args, render_seconds=0.001, image_resolution=RESOLUTION)


def open_app(tmp_path, **kwargs) -> app_mod.TkVisualizer:
    kwargs = {'sources': ('fake:net',), 'config_dir': tmp_path / 'config', 'capture_dir': str(tmp_path / 'captures'),
        'window_size': (1000, 700), 'fps_limit': 240, **kwargs}
    return app_mod.TkVisualizer(lambda wake: RenderWorker(fake_render, on_result=wake), **kwargs)


def drain(app, limit: int = 500) -> None:
    """Let Tk handle what is pending, then its idle work. Not root.update(): that returns only once no event is ready,
    and while a tick takes longer than the frame interval (a slow machine, the PhotoImage path) the next tick is always
    due, so it never returns."""
    for _ in range(limit):
        if not app.root.tk.dooneevent(_tkinter.ALL_EVENTS | _tkinter.DONT_WAIT):
            break
    app.root.update_idletasks()


def pump(app, condition=lambda: False, timeout: float = 10.0, at_least: float = 0.0) -> None:
    """Run the Tk loop until condition() holds (and at least `at_least` seconds passed)."""
    start = time.monotonic()
    while not (condition() and time.monotonic() - start >= at_least):
        if time.monotonic() - start > timeout:
            raise AssertionError('condition not reached')
        drain(app)
        time.sleep(0.003)


def settled(app) -> bool:
    return app.core.result is not None and not app.core.render_pending() and app.area.image is app.core.shown_image


def shown_image(app) -> np.ndarray:
    """The image as drawn in the window, sampled at pixel centres (the view is in window coordinates)."""
    drain(app)
    rect, _clip, zoom = app.area._last_view
    return sample_centres(app.window_pixels(), rect, zoom)


def key(app, keysym: str, state: int = 0, widget=None) -> None:
    widget = widget or app.area.widget
    widget.focus_force()
    drain(app)
    now = int(time.monotonic() * 1000) & 0x7fffffff            # Distinct times: a release and a press at once is X11's auto-repeat.
    widget.event_generate(f'<KeyPress-{keysym}>', state=state, time=now)
    widget.event_generate(f'<KeyRelease-{keysym}>', state=state, time=now + 1)
    pump(app, at_least=0.02, condition=lambda: True)


@pytest.fixture(params=['gl', 'photo'])
def app(request, xdisplay, tmp_path):
    app = open_app(tmp_path, use_gl=request.param == 'gl')
    app.request_frame()
    pump(app, lambda: settled(app) and app.area._last_view is not None)
    yield app
    app.close()


def test_the_window_shows_the_rendered_image_pixel_for_pixel(app):
    expected = fake_render(app.core.last_args, 1, None, None).image
    np.testing.assert_array_equal(shown_image(app), expected)
    assert app.area.kind == ('gl' if app.area.note == '' else 'photo')
    if app.area.kind == 'photo':
        assert 'Drawing without OpenGL' in app.status.cget('text')
    assert app.root.title() == 'sg3-viz - fake:net'


def test_shortcuts_act_unless_a_text_field_has_the_keyboard(app, tmp_path):
    core = app.core
    key(app, 'Right')
    pump(app, lambda: core.last_args.latent.x == 1 and settled(app))
    np.testing.assert_array_equal(shown_image(app), fake_render(core.last_args, 1, None, None).image)
    seed = next(p for p in app.panels if p.title == 'Latent').controls['seed']
    key(app, 'Right', widget=seed)                              # Typed into the field, not a shortcut.
    assert core.last_args.latent.x == 1
    key(app, 'Escape', widget=seed)                             # Escape gives the keyboard back.
    assert app.root.focus_get() is app.area.widget
    key(app, 'Down')
    pump(app, lambda: core.last_args.latent.y == 1)
    key(app, 'r')
    pump(app, lambda: (core.last_args.latent.x, core.last_args.latent.y) == (1, 1))
    key(app, 's')
    pump(app, lambda: (tmp_path / 'captures' / 'image-00001.png').is_file())
    key(app, 'S', state=0x1)                                    # Shift+S: the whole window.
    pump(app, lambda: (tmp_path / 'captures' / 'window-00001.png').is_file())
    window = np.asarray(Image.open(tmp_path / 'captures' / 'window-00001.png'))
    assert window.shape == (app.root.winfo_height(), app.root.winfo_width(), 3)
    key(app, 'Tab')
    pump(app, lambda: app.area._last_view[1][0] == 0)            # The pane is hidden: the image area starts at the left.
    key(app, 'Tab')
    pump(app, lambda: app.area._last_view[1][0] > 0)
    key(app, 'F11')                                             # Presentation mode: the image alone.
    pump(app, lambda: core.presenting and app.area._last_view[1][0] == 0 and not app.status.winfo_ismapped())
    key(app, 'F11')
    pump(app, lambda: not core.presenting and app.area._last_view[1][0] > 0 and app.status.winfo_ismapped())
    key(app, 'F1')
    pump(app, lambda: app._help is not None and app._help.winfo_exists())
    assert app._help.title() == app_mod.HELP_TITLE
    app._help.event_generate('<Escape>')
    pump(app, lambda: not app._help.winfo_exists())
    key(app, 'space')
    pump(app, lambda: core.last_args.latent.x > 1.01)          # The animation runs.
    key(app, 'space')
    app.area.widget.event_generate('<KeyPress-q>', state=0x4)  # Ctrl+Q.
    deadline = time.monotonic() + 10
    while not app._closed and time.monotonic() < deadline:
        drain(app)
        time.sleep(0.003)
    assert app._closed


def test_mouse_wheel_zoom_pan_drags_and_pixel_readout(app):
    core = app.core
    surface = app.area.widget
    _rect, clip, zoom = app.area._last_view
    cx, cy = clip[2] // 2, clip[3] // 2
    surface.event_generate('<Button-4>', x=cx, y=cy)
    pump(app, lambda: app.area._last_view[2] == int(zoom) + 1)                # From the fit zoom to the next whole one.
    surface.event_generate('<Motion>', x=cx, y=cy)
    pump(app, lambda: app.status.cget('text').startswith('x '))
    hit = app.area.mouse.view.pixel_at((cx, cy), app.area.area(), (RESOLUTION, RESOLUTION))
    value = core.shown_image[hit[1], hit[0]]
    assert app.status.cget('text').startswith(f'x {hit[0]}, y {hit[1]}: {value[0]} {value[1]} {value[2]}')
    rect = app.area._last_view[0]
    surface.event_generate('<ButtonPress-2>', x=cx, y=cy)
    surface.event_generate('<Motion>', x=cx + 30, y=cy + 10)
    surface.event_generate('<ButtonRelease-2>', x=cx + 30, y=cy + 10)
    pump(app, lambda: app.area._last_view[0][:2] == [rect[0] + 30, rect[1] + 10])
    key(app, 'f')
    pump(app, lambda: core.view.zoom is None and app.area._last_view[2] == zoom)
    surface.event_generate('<ButtonPress-1>', x=cx, y=cy)
    surface.event_generate('<Motion>', x=cx + 40, y=cy)
    drain(app)
    assert core.interacting or app.area.drag_button == 0
    pump(app, lambda: core.last_args.latent.x > 0)
    surface.event_generate('<ButtonRelease-1>', x=cx + 40, y=cy)
    # 40 screen pixels at zoom z are 40 / z image pixels; the latent moves 4 seeds per image width.
    assert core.last_args.latent.x == pytest.approx(40 / zoom * 4 / RESOLUTION)
    surface.event_generate('<ButtonPress-3>', x=cx, y=cy)
    surface.event_generate('<Motion>', x=cx + 20, y=cy + 10)
    surface.event_generate('<ButtonRelease-3>', x=cx + 20, y=cy + 10)
    pump(app, lambda: core.last_args.transform.x > 0)
    assert (core.last_args.transform.x, core.last_args.transform.y) == pytest.approx((20 / zoom / RESOLUTION, 10 / zoom / RESOLUTION))
    assert not core.interacting and app.area.drag_button is None


def test_a_bad_source_shows_its_error_over_the_image_and_rendering_goes_on(app):
    core = app.core
    core.act('network', 'load', '/missing/net.pkl')
    app.request_frame()
    pump(app, lambda: core.result is not None and core.result.error is not None)
    pump(app, lambda: app.area.error.winfo_ismapped())
    assert '/missing/net.pkl: no such file' in app.area.error.cget('text')
    core.act('network', 'load', 'fake:net')
    core.act('latent', 'set_seed', 3)
    app.request_frame()
    pump(app, lambda: settled(app) and core.result.error is None and not app.area.error.winfo_ismapped())
    np.testing.assert_array_equal(shown_image(app), fake_render(core.last_args, 1, None, None).image)


def test_idle_window_ticks_rarely_and_submits_nothing(app):
    submitted = app.core.last_stamp
    ticks = []
    original = app.tick
    app.tick = lambda: (ticks.append(time.monotonic()), original())
    app._schedule(time.perf_counter())
    pump(app, at_least=1.2, condition=lambda: True)
    assert len(ticks) <= 1 + int(1.2 / app_mod.IDLE_SECONDS) + 1
    assert app.core.last_stamp == submitted
    times = list(app._frame_times)
    assert times and max(times) < 0.25                           # A tick's work (update, refresh, draw) stays small.


def test_the_gl_surface_survives_resizes_and_redraws(xdisplay, tmp_path):
    app = open_app(tmp_path, use_gl=True)
    try:
        app.request_frame()
        pump(app, lambda: settled(app) and app.area._last_view is not None)
        if app.area.kind != 'gl':
            pytest.skip(f'no OpenGL here: {app.area.note}')
        surface = app.area.widget
        program = surface.program
        calls = []
        original = surface.initgl
        surface.initgl = lambda: (calls.append(1), original())
        for size in ('900x650', '1100x750'):
            app.root.geometry(size)
            pump(app, lambda: calls and app.area._last_view is not None, at_least=0.3)
        assert calls and surface.program is program                # initgl ran again on resize; set-up was kept.
        np.testing.assert_array_equal(shown_image(app), fake_render(app.core.last_args, 1, None, None).image)
    finally:
        app.close()


@pytest.mark.parametrize('how', ['no backend', 'no context'])
def test_without_a_gl_context_the_image_goes_through_a_photoimage(xdisplay, tmp_path, monkeypatch, how):
    if how == 'no backend':
        def missing(parent, on_failure):
            raise image_area.DrawError('no OpenGL for Tk here (ImportError: pyopengltk has no macOS backend)')
        monkeypatch.setattr(image_area, 'make_gl_surface', missing)
    else:
        from pyopengltk import OpenGLFrame

        def no_glx(self):
            raise RuntimeError('glXChooseFBConfig found no configuration')
        monkeypatch.setattr(OpenGLFrame, 'tkCreateContext', no_glx)
    app = open_app(tmp_path)
    try:
        app.request_frame()
        pump(app, lambda: settled(app) and app.area.kind == 'photo' and app.area._last_view is not None)
        pump(app, lambda: 'Drawing without OpenGL' in app.status.cget('text'))
        assert ('pyopengltk has no macOS backend' if how == 'no backend' else 'found no configuration') in app.status.cget('text')
        np.testing.assert_array_equal(shown_image(app), fake_render(app.core.last_args, 1, None, None).image)
    finally:
        app.close()


def test_without_a_display_tk_says_how_to_run_it(tmp_path, monkeypatch):
    monkeypatch.delenv('DISPLAY', raising=False)
    with pytest.raises(app_mod.DisplayUnavailableError, match='xvfb-run'):
        open_app(tmp_path)


def test_key_names():
    assert [app_mod.key_name(k) for k in ('Right', 'space', 'ISO_Left_Tab', 'q', 'S', '1', 'F1', 'Shift_L')] == \
        ['RIGHT', 'SPACE', 'TAB', 'Q', 'S', '1', 'F1', None]


def test_sections_open_as_left_at_the_last_run(xdisplay, tmp_path):
    from viz.core import settings as settings_mod
    opened = lambda app: {title for title, body in app.bodies.items() if body.winfo_manager()}   # noqa: E731
    app = open_app(tmp_path)
    try:
        pump(app, lambda: True)
        assert opened(app) == set(settings_mod.DEFAULT_OPEN_SECTIONS) & set(app.bodies) and 'Spectrum' not in opened(app)
        first = sorted(opened(app))[0]
        app.headers[first].invoke()                             # Close one, open another, by pressing their headers.
        app.headers['Spectrum'].invoke()
        pump(app, lambda: True)
        expected = (set(settings_mod.DEFAULT_OPEN_SECTIONS) & set(app.bodies)) - {first} | {'Spectrum'}
        assert opened(app) == expected
    finally:
        app.close()
    saved, _problem = settings_mod.load_settings(tmp_path / 'config')
    assert set(saved.open_sections) == expected
    app = open_app(tmp_path)
    try:
        pump(app, lambda: True)
        assert opened(app) == expected and app.headers['Spectrum'].cget('text').startswith('\u25be')
    finally:
        app.close()


PANELS = (ImagePanel('reference', 0, 0, 32, 32), ImagePanel('generated', 32, 0, 32, 32), ImagePanel('error', 64, 0, 32, 32),
    ImagePanel('colorbar', 100, 0, 6, 32))


def heatmap_render(args, stamp, cancel, progress):
    """fake_render's result as a side-by-side heatmap: three 32 px panels (the error one lighter) and a colour bar."""
    result = fake_render(args, stamp, cancel, progress)
    image = np.zeros((32, 106, 3), np.uint8)
    image[:, 64:96] = 200
    view = EqView(mode='eqt', translate=(0.1, 0.0), angle_deg=0.0, psnr=30.0, mse=1e-3, error_max=0.5, scale_max=0.0125,
        error_map=np.zeros((32, 32), np.float32), mask=np.ones((32, 32), bool), panels=PANELS)
    return dataclasses.replace(result, image=image, analysis=AnalysisResult(equivariance=view))


@pytest.mark.parametrize('use_gl', [True, False], ids=['gl', 'photo'])
def test_heatmap_titles_and_colour_bar_numbers_are_labels_of_one_size_at_any_zoom_and_the_readout_names_the_panel(xdisplay, tmp_path, use_gl):
    lines = []
    app = app_mod.TkVisualizer(lambda wake: RenderWorker(heatmap_render, on_result=wake), sources=('fake:net',), config_dir=tmp_path / 'config',
        capture_dir=str(tmp_path / 'captures'), window_size=(1000, 700), use_gl=use_gl)
    app.area.emit = lines.append
    try:
        def placed(zoom):
            app.core.set_view(zoom=zoom)
            app.request_frame()
            pump(app, lambda: settled(app) and app.area._last_view is not None and app.area._last_view[2] == zoom and 'title:error' in app.area.labels)
            drain(app)
            rect = app.area._last_view[0]
            return rect, {key: (w.cget('text'), w.winfo_x(), w.winfo_y(), w.winfo_width(), w.winfo_height()) for key, w in app.area.labels.items()}
        rect1, at1 = placed(1.0)
        rect3, at3 = placed(3.0)
        keys = ('title:reference', 'title:generated', 'title:error', 'colorbar:top', 'colorbar:bottom')
        assert set(at1) == set(at3) == set(keys)
        assert [at3[key][0] for key in keys[3:]] == ['0.0125', '0']
        font = tkfont.nametofont('TkDefaultFont')
        for key, full, short in (('title:reference', 'Reference', 'Ref.'), ('title:generated', 'Generated', 'Gen.'),
                ('title:error', 'Squared error', 'Sq. error')):                 # Short where the panel is narrower than the title.
            assert at1[key][0] == (full if font.measure(full) <= 32 else short) and at3[key][0] == (full if font.measure(full) <= 96 else short)
        for key in keys:
            assert at1[key][4] == at3[key][4], key                             # One line of the UI font at any zoom.
        ox, oy = app.area.surface.winfo_rootx() - app.root.winfo_rootx(), app.area.surface.winfo_rooty() - app.root.winfo_rooty()
        centre = lambda found, key: found[key][1] + found[key][3] / 2 + ox
        for rect, zoom, found in ((rect1, 1, at1), (rect3, 3, at3)):          # Titles centred over their panels.
            for panel in PANELS[:3]:
                assert centre(found, f'title:{panel.name}') == pytest.approx(rect[0] + (panel.x + panel.width / 2) * zoom, abs=1.5)
            assert found['colorbar:top'][1] + ox >= rect[0] + 106 * zoom      # Right of the colour bar.
        assert any(line.startswith(f'LABEL key="title:error" text="{at3["title:error"][0]}"') for line in lines)
        # The pixel readout is in the panel under the pointer.
        app.area.pointer = (round(rect3[0] - ox + 70 * 3 + 1), round(rect3[1] - oy + 5 * 3 + 1))
        assert app.area.pixel_text() == 'Squared error x 6, y 5: 200 200 200'
    finally:
        app.close()
