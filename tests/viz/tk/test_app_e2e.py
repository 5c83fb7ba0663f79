"""End-to-end: `visualizer.py --ui tk` for real under Xvfb, driven with xdotool (the harness of the imgui end-to-end
tests, tests/viz/imgui/e2e.py: the Tk window logs the same ITEM, SUBMITTED, RENDERED and VIEW lines). The window's
pixels are compared with what `viz.render.renderer.Renderer` gives for the same request."""

import json
import shutil
import subprocess
import time

import numpy as np
import pytest

from tests.viz.imgui import e2e
from tests.viz.imgui.e2e import (centre, drag, expected_image, last_request, quit_cleanly, rendered, start, submitted, type_into,
    wait_shows, window_pixels, xdo)
from viz.render.renderer import Renderer


@pytest.fixture(scope='module')
def renderer():
    return Renderer()


def first_render(app, network, renderer, display):
    _, (stamp, args) = app.wait_for(submitted(lambda a: a.network.source == network), what='first request')
    _, (_, error) = app.wait_for(rendered(stamp), what='first render')
    assert error is None
    return wait_shows(app, display, expected_image(renderer, args))


def shows_request(app, renderer, display, mark, predicate, what):
    """Wait for a request matching `predicate` after `mark`, then for the newest request's render; the window must show it."""
    app.wait_for(submitted(predicate), start=mark, what=what)
    time.sleep(0.3)
    stamp, args = last_request(app, mark)
    _, (_, error) = app.wait_for(rendered(stamp), start=mark, what=f'{what}: render')
    assert error is None
    return args, wait_shows(app, display, expected_image(renderer, args))


def red_pixels(app, display) -> int:
    """Pixels of the error text's colour in the image area."""
    _rect, clip, _zoom = app.last_view()
    area = window_pixels(app, display)[clip[1]:clip[1] + clip[3], clip[0]:clip[0] + clip[2]].astype(int)
    return int(((area[..., 0] > 200) & (area[..., 1] < 150) & (area[..., 2] < 140)).sum())


def test_tk_keys_controls_slider_file_dialog_bad_path_and_clean_exit(xdisplay, xdotool, tiny_network, renderer, tmp_path):
    other = tmp_path / 'other.safetensors'
    shutil.copy(tiny_network, other)
    app = start(tmp_path, tiny_network, '--ui', 'tk')
    try:
        first = first_render(app, tiny_network, renderer, xdisplay)

        # The seed with a key (the window has the keyboard), then with the seed field.
        mark = app.mark()
        xdo('key', 'Right')
        _, seed1 = shows_request(app, renderer, xdisplay, mark, lambda a: a.latent.x == 1.0, 'seed 1 request')
        assert np.abs(seed1.astype(int) - first.astype(int)).mean() > 2, 'the image did not change with the seed'
        mark = app.mark()
        type_into(app, 'Latent/seed', '42', fx=0.3)
        args42, seed42 = shows_request(app, renderer, xdisplay, mark, lambda a: a.latent.x == 42.0, 'seed 42 request')

        # Drag the truncation slider's handle (psi 1 of -1 .. 2 sits at two thirds) to the left.
        mark = app.mark()
        x0, y0, x1, y1 = app.item('Truncation & noise/psi')
        drag(app, [(x0 + f * (x1 - x0), (y0 + y1) / 2) for f in (0.665, 0.5, 0.3, 0.2)])
        args_psi, truncated = shows_request(app, renderer, xdisplay, mark, lambda a: a.truncation.psi < 0.5 and a.latent.x == 42.0,
            'psi < 0.5 request')
        assert args_psi.truncation.psi < 0.5
        assert np.abs(truncated.astype(int) - seed42.astype(int)).mean() > 2, 'the image did not change with psi'

        # Open a network through Tk's file dialog, driven by keystrokes.
        mark = app.mark()
        xdo('mousemove', '--window', app.wid, *(int(v) for v in centre(app.item('Network/System dialog...'))))
        xdo('mousedown', 1)
        xdo('mouseup', 1)
        out = subprocess.run(['xdotool', 'search', '--sync', '--name', '^Open a network, session or timeline$'], capture_output=True, text=True, timeout=60)
        dialog = out.stdout.split()[0]
        xdo('windowfocus', '--sync', dialog)
        xdo('type', '--delay', 10, str(other))
        xdo('key', 'Return')
        xdo('windowfocus', '--sync', app.wid)
        args_other, _ = shows_request(app, renderer, xdisplay, mark, lambda a: a.network.source == str(other), 'request of the chosen file')
        assert args_other.latent.x == 42.0

        # A bad path: its error is drawn over the image area, and rendering goes on after it.
        mark = app.mark()
        type_into(app, 'Network/source', '/nonexistent/bad.pkl', fx=0.3)
        _, (stamp, _) = app.wait_for(submitted(lambda a: a.network.source == '/nonexistent/bad.pkl'), start=mark, what='bad request')
        _, (_, error) = app.wait_for(rendered(stamp), start=mark, what='bad render')
        assert error and '/nonexistent/bad.pkl' in error
        deadline = time.monotonic() + 20
        while red_pixels(app, xdisplay) <= 100 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert red_pixels(app, xdisplay) > 100, 'no error text drawn in the image area'
        mark = app.mark()
        type_into(app, 'Network/source', tiny_network, fx=0.3, delay=10)
        shows_request(app, renderer, xdisplay, mark, lambda a: a.network.source == tiny_network, 'request after the error')
        assert red_pixels(app, xdisplay) == 0
        quit_cleanly(app)
    finally:
        app.close()
    settings = json.loads((tmp_path / 'config' / 'settings.json').read_text())
    assert settings['recent'][0] == tiny_network and str(other) in settings['recent']


def test_the_same_session_gives_the_same_image_in_both_front_ends(xdisplay, xdotool, tiny_network, renderer, tmp_path):
    pytest.importorskip('imgui')
    session = tmp_path / 'view.json'
    session.write_text(json.dumps({'format': 'sg3-viz-session', 'version': 2,
        'controllers': {'latent': {'x': 7.0}, 'trunc_noise': {'psi': 0.6}, 'transform': {'x': 0.05, 'angle_deg': 10.0}},
        'view': {'zoom': 3}}))
    shown = {}
    for ui in ('imgui', 'tk'):
        folder = tmp_path / ui
        folder.mkdir()
        app = start(folder, tiny_network, '--ui', ui, '--session', str(session))
        try:
            _, (stamp, args) = app.wait_for(submitted(lambda a: a.network.source == tiny_network), what=f'{ui} request')
            assert (args.latent.x, args.truncation.psi, args.transform.angle_deg) == (7.0, 0.6, 10.0)
            app.wait_for(rendered(stamp), what=f'{ui} render')
            shown[ui] = wait_shows(app, xdisplay, expected_image(renderer, args))
            assert app.last_view()[2] == 3
            quit_cleanly(app)
        finally:
            app.close()
    np.testing.assert_array_equal(shown['imgui'], shown['tk'])


def test_auto_falls_back_to_tk_when_imgui_cannot_be_imported(xdisplay, xdotool, tiny_network, renderer, tmp_path, monkeypatch):
    fake = tmp_path / 'no-imgui' / 'imgui'
    fake.mkdir(parents=True)
    (fake / '__init__.py').write_text('raise ImportError("imgui is switched off for this test")\n')
    env_of = e2e.app_env
    monkeypatch.setattr(e2e, 'app_env', lambda tmp: {**env_of(tmp), 'PYTHONPATH': str(fake.parent)})
    app = start(tmp_path, tiny_network)                         # --ui auto is the default.
    try:
        first_render(app, tiny_network, renderer, xdisplay)
        notice = [line for line in app.stderr if 'imgui front end is unavailable' in line]
        assert len(notice) == 1 and 'imgui is switched off for this test' in notice[0] and '--ui tk' in notice[0]
        assert app.item('Latent/seed') is not None              # The Tk panel's control (imgui's is 'Latent/##seed').
        quit_cleanly(app)
    finally:
        app.close()


def test_tk_without_opengl_draws_through_a_photoimage(xdisplay, xdotool, tiny_network, renderer, tmp_path, monkeypatch):
    env_of = e2e.app_env
    monkeypatch.setattr(e2e, 'app_env', lambda tmp: {**env_of(tmp), 'SG3_VIZ_NO_GL': '1'})
    app = start(tmp_path, tiny_network, '--ui', 'tk')
    try:
        first_render(app, tiny_network, renderer, xdisplay)
        mark = app.mark()
        xdo('key', 'Right')
        shows_request(app, renderer, xdisplay, mark, lambda a: a.latent.x == 1.0, 'seed 1 request')
        quit_cleanly(app)
    finally:
        app.close()
