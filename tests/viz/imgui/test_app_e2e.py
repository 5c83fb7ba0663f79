"""End-to-end: start visualizer.py for real under Xvfb, drive it with xdotool, check what the window shows and
what the app logs (the harness is in e2e.py)."""

import json
import pathlib
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

from tests.viz.imgui.e2e import (REPO, app_env, bring_into_view, capture_image, centre, click, drag, expected_image, last_request,
    parse_view, quit_cleanly, rendered, start, submitted, type_into, wait_shows, window_pixels, xdo)
from viz.protocol import RenderArgs
from viz.render.renderer import Renderer


@pytest.fixture(scope='module')
def renderer():
    return Renderer()


# ----------------------------------------------------------------------------
# Tests.


def test_seed_slider_capture_bad_path_and_clean_exit(xdisplay, xdotool, tiny_network, renderer, tmp_path):
    app = start(tmp_path, tiny_network)
    try:
        # First image: the network given on the command line at seed 0.
        _, (stamp, args0) = app.wait_for(submitted(lambda a: a.network.source == tiny_network), what='first request')
        _, (_, error) = app.wait_for(rendered(stamp), what='first render')
        assert error is None
        first = wait_shows(app, xdisplay, expected_image(renderer, args0))

        # Type a seed.
        mark = app.mark()
        type_into(app, 'Latent/##seed', '42', fx=0.3)
        _, (stamp, args42) = app.wait_for(submitted(lambda a: a.latent.x == 42.0), start=mark, what='seed 42 request')
        app.wait_for(rendered(stamp), start=mark, what='seed 42 render')
        seed42 = wait_shows(app, xdisplay, expected_image(renderer, args42))
        assert np.abs(seed42.astype(int) - first.astype(int)).mean() > 2, 'the image did not change with the seed'

        # Drag the truncation slider to the left: psi goes down.
        mark = app.mark()
        x0, y0, x1, y1 = app.item('##psi/##slider')
        yc = (y0 + y1) / 2
        drag(app, [(x0 + f * (x1 - x0), yc) for f in (0.67, 0.45, 0.25)])
        _, (stamp, args_psi) = app.wait_for(submitted(lambda a: a.truncation.psi < 0.5 and a.latent.x == 42.0),
            start=mark, what='request with psi < 0.5')
        # The last request of the drag is the one shown.
        time.sleep(0.3)
        stamp, args_psi = last_request(app, mark)
        app.wait_for(rendered(stamp), start=mark, what='psi render')
        assert args_psi.truncation.psi < 0.5
        truncated = wait_shows(app, xdisplay, expected_image(renderer, args_psi))
        assert np.abs(truncated.astype(int) - seed42.astype(int)).mean() > 2, 'the image did not change with psi'

        # Capture the image with the S shortcut.
        path = capture_image(app)
        saved = Image.open(path)
        assert pathlib.Path(path).parent == tmp_path / 'captures' and pathlib.Path(path).name == 'image-00001.png'
        assert RenderArgs.from_dict(json.loads(saved.text['sg3-viz:args'])) == args_psi
        captured = np.asarray(saved.convert('RGB'))
        expected = expected_image(renderer, args_psi)
        assert captured.shape == expected.shape == (64, 64, 3)
        assert np.abs(captured.astype(int) - expected.astype(int)).max() <= 2
        np.testing.assert_array_equal(captured, truncated)

        # A bad path: the error is reported and drawn in red over the image area; the app keeps running.
        mark = app.mark()
        type_into(app, 'Network/##source', '/nonexistent/bad.pkl', fx=0.3)
        _, (stamp, _) = app.wait_for(submitted(lambda a: a.network.source == '/nonexistent/bad.pkl'), start=mark, what='bad request')
        _, (_, error) = app.wait_for(rendered(stamp), start=mark, what='bad render')
        assert error and '/nonexistent/bad.pkl' in error
        _rect, clip, _zoom = app.last_view()
        deadline = time.monotonic() + 20
        while True:
            area = window_pixels(app, xdisplay)[clip[1]:clip[1] + clip[3], clip[0]:clip[0] + clip[2]].astype(int)
            red = (area[..., 0] > 200) & (area[..., 1] < 150) & (area[..., 2] < 140)
            if red.sum() > 100 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert red.sum() > 100, 'no error text drawn in the image area'

        mark = app.mark()
        type_into(app, 'Network/##source', tiny_network, fx=0.3, delay=10)
        _, (stamp, args_back) = app.wait_for(submitted(lambda a: a.network.source == tiny_network), start=mark, what='good request')
        _, (_, error) = app.wait_for(rendered(stamp), start=mark, what='render after the error')
        assert error is None
        wait_shows(app, xdisplay, expected_image(renderer, args_back))

        # Wheel over the image zooms in one whole step around the cursor; middle-drag pans.
        rect, clip, zoom = app.last_view()
        cx, cy = clip[0] + clip[2] // 2, clip[1] + clip[3] // 2
        xdo('mousemove', '--window', app.wid, cx, cy)
        mark = app.mark()
        xdo('click', 4)
        _, view = app.wait_for(lambda l: l.startswith('VIEW ') and l, start=mark, what='zoomed view')
        rect2, _, zoom2 = app.last_view()
        assert zoom2 == int(zoom) + 1                   # From the fit zoom (fractional) to the next whole one.
        # The image point under the cursor stays (within a pixel of the new zoom).
        assert abs((cx - rect[0]) / zoom - (cx - rect2[0]) / zoom2) < 1 and abs((cy - rect[1]) / zoom - (cy - rect2[1]) / zoom2) < 1
        mark = app.mark()
        drag(app, [(cx, cy), (cx + 20, cy + 10), (cx + 40, cy + 30)], button=2)
        app.wait_for(lambda l: (v := parse_view(l)) and v[0][:2] == [rect2[0] + 40, rect2[1] + 30], start=mark, what='panned view')
        xdo('key', 'f')                                 # Back to fit.
        app.wait_for(lambda l: (v := parse_view(l)) and v[0] == rect, start=mark, what='fit view')

        # Tab hides the control pane (the image area then starts at the left edge) and shows it again.
        mark = app.mark()
        xdo('key', 'Tab')
        app.wait_for(lambda l: (v := parse_view(l)) and v[1][0] == 0, start=mark, what='view without the pane')
        mark = app.mark()
        xdo('key', 'Tab')
        app.wait_for(lambda l: (v := parse_view(l)) and v[1] == clip, start=mark, what='view with the pane')

        # F1 opens the help popup (its Close button is drawn); Escape closes it, so Ctrl+Q below works.
        mark = app.mark()
        xdo('key', 'F1')
        app.wait_item('Close', start=mark, what='help popup')
        xdo('key', 'Escape')

        # Quit with Ctrl+Q: a clean exit.
        quit_cleanly(app)
    finally:
        app.close()
    settings = json.loads((tmp_path / 'config' / 'settings.json').read_text())
    assert settings['recent'][0] == tiny_network
    assert (tmp_path / 'config' / 'imgui.ini').is_file()
    assert not (tmp_path / 'imgui.ini').exists()


def test_sources_fill_recent_list_and_bad_session_is_reported(xdisplay, xdotool, tiny_network, tmp_path):
    bad = tmp_path / 'broken-session.json'
    bad.write_text('{"format": "sg3-viz-session", "version": 2, "controllers": {"latent": {"x": "forty-two"}}}')
    app = start(tmp_path, tiny_network, 'builtin:sg2', '--session', str(bad))
    try:
        _, text = app.wait_for(lambda l: l.startswith('MESSAGE level=error') and json.loads(l.split('text=', 1)[1]),
            what='session error')
        assert 'broken-session.json' in text and 'x' in text
        _, (stamp, args) = app.wait_for(submitted(lambda a: True), what='request')
        assert args.network.source == tiny_network and args.latent.x == 0.0
        _, (_, error) = app.wait_for(rendered(stamp), what='render')
        assert error is None
        quit_cleanly(app)
    finally:
        app.close()
    settings = json.loads((tmp_path / 'config' / 'settings.json').read_text())
    assert settings['recent'][:2] == [tiny_network, 'builtin:sg2']


def test_a_version_1_session_opens_and_the_pane_saves_version_2(xdisplay, xdotool, tiny_network, tmp_path):
    old = tmp_path / 'old-session.json'
    old.write_text(json.dumps({'format': 'sg3-viz-session', 'version': 1,
        'widgets': {'latent': {'x': 5.0}, 'EquivarianceWidget': {'mode': 'eqt'}}, 'app': {'zoom': 2.0}}))
    app = start(tmp_path, tiny_network, '--session', str(old))
    try:
        _, (stamp, args) = app.wait_for(submitted(lambda a: True), what='request')
        assert (args.network.source, args.latent.x, args.analysis.eq_mode) == (tiny_network, 5.0, 'eqt')
        app.wait_for(rendered(stamp), what='render')

        # Open the Session section (closed at first), name a file, press Save session.
        click(app, *centre(bring_into_view(app, 'Session/Session')))
        bring_into_view(app, 'Session/Save session')
        path = tmp_path / 'saved-session.json'
        mark = app.mark()
        type_into(app, 'Session/File##session', str(path), fx=0.3, delay=5)
        click(app, *centre(app.item('Session/Save session')))
        _, text = app.wait_for(lambda l: l.startswith('MESSAGE level=info') and json.loads(l.split('text=', 1)[1]), start=mark,
            what='the session saved')
        assert text == f'Session saved to {path}'
        data = json.loads(path.read_text())
        assert (data['format'], data['version'], data['view']['zoom']) == ('sg3-viz-session', 2, 2.0)
        assert data['controllers']['latent']['x'] == 5.0 and data['controllers']['analysis']['eq_mode'] == 'eqt'
        quit_cleanly(app)
    finally:
        app.close()


def test_without_a_source_the_builtin_demo_opens(xdisplay, xdotool, tmp_path):
    app = start(tmp_path)
    try:
        _, (_, args) = app.wait_for(submitted(lambda a: True), what='request')
        assert args.network.source == 'builtin:sg3-t'
    finally:
        app.close()


def test_without_a_display_the_app_says_how_to_run_it(tmp_path):
    env = app_env(tmp_path)
    env.pop('DISPLAY', None)
    env.pop('WAYLAND_DISPLAY', None)
    proc = subprocess.run([sys.executable, str(REPO / 'visualizer.py')], env=env, cwd=tmp_path,
        capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert 'xvfb-run' in proc.stderr and 'display' in proc.stderr.lower()
    assert 'Traceback' not in proc.stderr


def test_bf16_preview_while_dragging_is_tagged_and_the_release_is_exact(xdisplay, xdotool, tiny_network, renderer, tmp_path):
    import sg3.ops
    from viz.imgui.overlays import PREVIEW_COLOR
    if not sg3.ops.bfloat16_support('cpu')[0]:
        pytest.skip('this CPU has no fast bfloat16: the preview is not offered')
    session = tmp_path / 'preview-session.json'
    session.write_text(json.dumps({'format': 'sg3-viz-session', 'version': 2,
        'controllers': {'performance': {'device': 'cpu', 'preview_bf16': True}}}))
    app = start(tmp_path, tiny_network, '--session', str(session))
    amber = np.array([round(c * 255) for c in PREVIEW_COLOR[:3]])

    def tag_pixels():
        """Pixels of the tag's colour in the lower right corner of the image area (where only the tag is drawn)."""
        _rect, clip, _zoom = app.last_view()
        corner = window_pixels(app, xdisplay)[clip[1] + clip[3] - 40:clip[1] + clip[3], clip[0] + clip[2] - 160:clip[0] + clip[2]]
        return int((np.abs(corner.astype(int) - amber).max(axis=2) < 40).sum())

    def wait_for_tag(shown, what):
        deadline = time.monotonic() + 20
        while (tag_pixels() >= 15) != shown:
            assert time.monotonic() < deadline, what
            time.sleep(0.1)

    try:
        assert app.wait_for(lambda l: l.startswith('ALLOCATOR ') and l, what='allocator line')[1].startswith('ALLOCATOR applied=true')
        _, (stamp, args0) = app.wait_for(submitted(lambda a: a.network.source == tiny_network), what='first request')
        index, _ = app.wait_for(rendered(stamp), what='first render')
        app.wait_for(parse_view, start=index, what='the first image drawn')
        assert args0.performance.preview_bf16 and not args0.performance.interacting
        wait_shows(app, xdisplay, expected_image(renderer, args0))
        assert tag_pixels() == 0

        # Left-drag in the image and hold still: the requests are previews, and the image is tagged.
        _rect, clip, _zoom = app.last_view()
        x, y = clip[0] + clip[2] // 2, clip[1] + clip[3] // 2
        mark = app.mark()
        drag(app, [(x + 15 * step, y) for step in range(4)], release=False)
        app.wait_for(submitted(lambda a: a.performance.interacting), start=mark, what='a preview request')
        time.sleep(0.3)
        stamps = [s for s in (submitted(lambda a: True)(line) for line in app.lines[mark:]) if s]
        stamp, dragged = last_request(app, mark)
        assert dragged.performance.interacting and dragged.latent.x != args0.latent.x
        assert all(a.performance.interacting for _, a in stamps)
        app.wait_for(rendered(stamp), start=mark, what='preview render')
        preview = renderer.render(dragged)
        assert preview.precision == 'bfloat16'
        wait_for_tag(True, 'no "bf16 preview" tag drawn over the preview')

        # Release: the same request without the mark is rendered in float32 and shown; the tag goes.
        mark = app.mark()
        xdo('mouseup', 1)
        _, (stamp, released) = app.wait_for(submitted(lambda a: not a.performance.interacting), start=mark, what='release request')
        assert released.latent == dragged.latent and released.performance.preview_bf16
        app.wait_for(rendered(stamp), start=mark, what='exact render')
        exact = renderer.render(released)
        assert exact.precision == 'float32'
        wait_for_tag(False, 'the "bf16 preview" tag stays after the release')
        assert tag_pixels() == 0
        wait_shows(app, xdisplay, exact.image)
        quit_cleanly(app)
    finally:
        app.close()
