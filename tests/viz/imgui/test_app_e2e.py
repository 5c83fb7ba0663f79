"""End-to-end: start visualizer.py for real under Xvfb, drive it with xdotool, check what the window shows.

The app runs as a subprocess with `--log --log-items`: it prints where each control is (ITEM), each request
(SUBMITTED, with the request as JSON), each finished render (RENDERED), where the image is drawn (VIEW)
and each capture (CAPTURED). The tests click and type with xdotool, read the window's pixels back from the
X server, and compare the image with what `viz.render.renderer.Renderer` gives for the same request.
"""

import json
import os
import pathlib
import re
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import torch
from PIL import Image, ImageGrab

from sg3 import checkpoint, networks_stylegan3
from viz.protocol import RenderArgs
from viz.render.renderer import Renderer

REPO = pathlib.Path(__file__).resolve().parents[3]
TITLE = '^sg3-viz'
EVENT_GAP = 0.06                                # Seconds between synthetic input events (a few frames).


# ----------------------------------------------------------------------------
# A running app.


class App:
    def __init__(self, args, env, cwd):
        self.proc = subprocess.Popen([sys.executable, str(REPO / 'visualizer.py'), *args], cwd=cwd, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
        self.lines: list[str] = []
        self.stderr: list[str] = []
        self._new = threading.Condition()
        threading.Thread(target=self._read, args=(self.proc.stdout, self.lines), daemon=True).start()
        threading.Thread(target=self._read, args=(self.proc.stderr, self.stderr), daemon=True).start()
        self.wid = None

    def _read(self, stream, sink):
        for line in stream:
            with self._new:
                sink.append(line.rstrip('\n'))
                self._new.notify_all()

    def wait_for(self, predicate, timeout=60.0, start=0, what='a line'):
        """The first stdout line from index `start` on for which predicate(line) is truthy: (index, value)."""
        deadline = time.monotonic() + timeout
        i = start
        with self._new:
            while True:
                while i < len(self.lines):
                    value = predicate(self.lines[i])
                    if value:
                        return i, value
                    i += 1
                if self.proc.poll() is not None and i >= len(self.lines):
                    raise AssertionError(f'app exited ({self.proc.returncode}) while waiting for {what}; stderr:\n' + '\n'.join(self.stderr[-30:]))
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    recent = [l for l in self.lines[start:] if not l.startswith('ITEM ')][-15:]
                    raise AssertionError(f'timed out waiting for {what}; last lines:\n' + '\n'.join(recent)
                        + '\nstderr:\n' + '\n'.join(self.stderr[-20:]))
                self._new.wait(min(remaining, 0.5))

    def item(self, suffix):
        """Latest rectangle (x0, y0, x1, y1) of the control whose name ends with `suffix`."""
        rect = None
        for line in list(self.lines):
            if line.startswith('ITEM '):
                item = json.loads(line[5:])
                if item['label'].endswith(suffix):
                    rect = item['rect']
        assert rect is not None, f'no control named *{suffix} was drawn'
        return rect

    def last_view(self):
        views = [line for line in list(self.lines) if line.startswith('VIEW ')]
        assert views, 'the image was never drawn'
        return parse_view(views[-1])

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def parse_view(line):
    """(rect, clip, zoom) of a VIEW line, or None for other lines."""
    m = re.match(r'VIEW rect=(\[.*?\]) clip=(\[.*?\]) zoom=(\S+)', line)
    return (json.loads(m.group(1)), json.loads(m.group(2)), float(m.group(3))) if m else None


def submitted(predicate):
    """Predicate for SUBMITTED lines whose request satisfies predicate(args): returns (stamp, args)."""
    def check(line):
        m = re.match(r'SUBMITTED stamp=(\d+) args=(.*)$', line)
        if m:
            args = RenderArgs.from_dict(json.loads(m.group(2)))
            if predicate(args):
                return int(m.group(1)), args
        return None
    return check


def rendered(stamp):
    def check(line):
        m = re.match(r'RENDERED stamp=(\d+) seconds=\S+ size=\S+ error=(.*)$', line)
        if m and int(m.group(1)) >= stamp:
            return int(m.group(1)), json.loads(m.group(2))
        return None
    return check


def xdo(*args):
    subprocess.run(['xdotool', *[str(a) for a in args]], check=True, timeout=20)
    time.sleep(EVENT_GAP)


def click(app, x, y, button=1):
    xdo('mousemove', '--window', app.wid, int(x), int(y))
    xdo('mousedown', button)
    xdo('mouseup', button)


def drag(app, points, button=1, release=True):
    """Press `button` at the first point (window coordinates), move through the others, release unless told not to."""
    (x, y), *rest = points
    xdo('mousemove', '--window', app.wid, int(x), int(y))
    xdo('mousedown', button)
    for x, y in rest:
        xdo('mousemove', '--window', app.wid, int(x), int(y))
    if release:
        xdo('mouseup', button)


def centre(rect):
    return ((rect[0] + rect[2]) / 2, (rect[1] + rect[3]) / 2)


def park_mouse(app):
    """Move the pointer onto the status bar, so no tooltip or hover effect covers the image."""
    _rect, clip, _zoom = app.last_view()
    xdo('mousemove', '--window', app.wid, clip[0] + clip[2] - 5, clip[1] + clip[3] + 5)
    time.sleep(0.1)


def window_pixels(app, display):
    geometry = subprocess.run(['xdotool', 'getwindowgeometry', '--shell', str(app.wid)], check=True,
        capture_output=True, text=True).stdout
    g = dict(line.split('=', 1) for line in geometry.split())
    x, y, w, h = (int(g[k]) for k in ('X', 'Y', 'WIDTH', 'HEIGHT'))
    screen = np.asarray(ImageGrab.grab(xdisplay=display).convert('RGB'))
    return screen[y:y + h, x:x + w]


def shown_image(app, display):
    """The image as drawn in the window, sampled at pixel centres back to its own resolution."""
    rect, _clip, zoom = app.last_view()
    assert zoom == int(zoom) and zoom >= 1, f'expected a whole zoom, got {zoom}'
    z = int(zoom)
    x, y, w, h = rect
    pixels = window_pixels(app, display)
    return pixels[y + z // 2:y + h:z, x + z // 2:x + w:z]


def assert_shows(app, display, expected, timeout=10.0):
    """Wait until the window shows `expected` (uint8 [H, W, 3]) within a small tolerance."""
    park_mouse(app)
    deadline = time.monotonic() + timeout
    while True:
        shown = shown_image(app, display)
        if shown.shape == expected.shape:
            diff = np.abs(shown.astype(int) - expected.astype(int))
            if diff.max() <= 2 and diff.mean() < 0.5:
                return shown
        if time.monotonic() > deadline:
            detail = f'max diff {diff.max()}, mean {diff.mean():.3f}' if shown.shape == expected.shape else f'shape {shown.shape}'
            if shown.shape == expected.shape:
                bad = np.argwhere(diff.max(axis=2) > 2)
                detail += f', {len(bad)} pixels differ, e.g. (row, col) {bad[:5].tolist()}'
            raise AssertionError(f'the window does not show the expected image ({detail})')
        time.sleep(0.1)


# ----------------------------------------------------------------------------
# Fixtures.


@pytest.fixture(scope='module')
def tiny_network(tmp_path_factory):
    """A small StyleGAN3-T with enough contrast that seeds and psi visibly change the image."""
    torch.manual_seed(7)
    G = networks_stylegan3.Generator(z_dim=8, c_dim=0, w_dim=8, img_resolution=64, img_channels=3,
        channel_base=1024, channel_max=16, num_layers=4)
    gen = torch.Generator().manual_seed(8)
    with torch.no_grad():
        G.mapping.w_avg.copy_(torch.randn(G.w_dim, generator=gen))
        for name, p in G.named_parameters():
            if name.endswith('bias'):
                p.add_(torch.randn(p.shape, generator=gen) * 0.3)
        getattr(G.synthesis, G.synthesis.layer_names[-1]).weight.mul_(20)
    path = tmp_path_factory.mktemp('net') / 'tiny.safetensors'
    checkpoint.save_network(G, str(path))
    return str(path)


@pytest.fixture(scope='module')
def renderer():
    return Renderer()


def app_env(tmp):
    env = dict(os.environ)
    env['SG3_VIZ_CONFIG_DIR'] = str(tmp / 'config')
    env.pop('SG3_VIZ_LOG', None)
    return env


def start(tmp, *args):
    app = App(['--log', '--log-items', '--window-size', '1280x800', '--device', 'cpu', '--capture-dir', str(tmp / 'captures'),
        *args], app_env(tmp), cwd=tmp)
    app.wait_for(lambda line: line == 'READY', what='READY')
    out = subprocess.run(['xdotool', 'search', '--sync', '--name', TITLE], capture_output=True, text=True, timeout=30)
    app.wid = out.stdout.split()[0]
    xdo('windowfocus', '--sync', app.wid)
    return app


def expected_image(renderer, args):
    result = renderer.render(args)
    assert result.error is None and result.image is not None, result.error
    return result.image


# ----------------------------------------------------------------------------
# Tests.


def test_seed_slider_capture_bad_path_and_clean_exit(xdisplay, xdotool, tiny_network, renderer, tmp_path):
    app = start(tmp_path, tiny_network)
    try:
        # First image: the network given on the command line at seed 0.
        _, (stamp, args0) = app.wait_for(submitted(lambda a: a.network.source == tiny_network), what='first request')
        _, (_, error) = app.wait_for(rendered(stamp), what='first render')
        assert error is None
        first = assert_shows(app, xdisplay, expected_image(renderer, args0))

        # Type a seed.
        mark = len(app.lines)
        click(app, *centre(app.item('latent/##seed')))
        xdo('key', 'ctrl+a')
        xdo('type', '--delay', 40, '42')
        xdo('key', 'Return')
        _, (stamp, args42) = app.wait_for(submitted(lambda a: a.latent.x == 42.0), start=mark, what='seed 42 request')
        app.wait_for(rendered(stamp), start=mark, what='seed 42 render')
        seed42 = assert_shows(app, xdisplay, expected_image(renderer, args42))
        assert np.abs(seed42.astype(int) - first.astype(int)).mean() > 2, 'the image did not change with the seed'

        # Drag the truncation slider to the left: psi goes down.
        mark = len(app.lines)
        x0, y0, x1, y1 = app.item('Psi##trunc/##slider')
        yc = (y0 + y1) / 2
        drag(app, [(x0 + f * (x1 - x0), yc) for f in (0.67, 0.45, 0.25)])
        _, (stamp, args_psi) = app.wait_for(submitted(lambda a: a.truncation.psi < 0.5 and a.latent.x == 42.0),
            start=mark, what='request with psi < 0.5')
        # The last request of the drag is the one shown.
        time.sleep(0.3)
        stamps = [submitted(lambda a: True)(line) for line in app.lines[mark:]]
        stamp, args_psi = [s for s in stamps if s][-1]
        app.wait_for(rendered(stamp), start=mark, what='psi render')
        assert args_psi.truncation.psi < 0.5
        truncated = assert_shows(app, xdisplay, expected_image(renderer, args_psi))
        assert np.abs(truncated.astype(int) - seed42.astype(int)).mean() > 2, 'the image did not change with psi'

        # Capture the image with the S shortcut (after a click on the image so no text field has the keyboard).
        rect, clip, _ = app.last_view()
        click(app, clip[0] + 5, clip[1] + 5, button=2)
        mark = len(app.lines)
        xdo('key', 's')
        _, path = app.wait_for(lambda l: l.startswith('CAPTURED kind=image ') and json.loads(l.split('path=', 1)[1]),
            start=mark, what='capture')
        saved = Image.open(path)
        assert pathlib.Path(path).parent == tmp_path / 'captures' and pathlib.Path(path).name == 'image-00001.png'
        assert RenderArgs.from_dict(json.loads(saved.text['sg3-viz:args'])) == args_psi
        captured = np.asarray(saved.convert('RGB'))
        expected = expected_image(renderer, args_psi)
        assert captured.shape == expected.shape == (64, 64, 3)
        assert np.abs(captured.astype(int) - expected.astype(int)).max() <= 2
        np.testing.assert_array_equal(captured, truncated)

        # A bad path: the error is reported and drawn in red over the image area; the app keeps running.
        mark = len(app.lines)
        click(app, *centre(app.item('network/##source')))
        xdo('key', 'ctrl+a')
        xdo('type', '--delay', 20, '/nonexistent/bad.pkl')
        xdo('key', 'Return')
        _, (stamp, _) = app.wait_for(submitted(lambda a: a.network.source == '/nonexistent/bad.pkl'), start=mark, what='bad request')
        _, (_, error) = app.wait_for(rendered(stamp), start=mark, what='bad render')
        assert error and '/nonexistent/bad.pkl' in error
        deadline = time.monotonic() + 5
        while True:
            area = window_pixels(app, xdisplay)[clip[1]:clip[1] + clip[3], clip[0]:clip[0] + clip[2]].astype(int)
            red = (area[..., 0] > 200) & (area[..., 1] < 150) & (area[..., 2] < 140)
            if red.sum() > 100 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert red.sum() > 100, 'no error text drawn in the image area'

        mark = len(app.lines)
        click(app, *centre(app.item('network/##source')))
        xdo('key', 'ctrl+a')
        xdo('type', '--delay', 10, tiny_network)
        xdo('key', 'Return')
        _, (stamp, args_back) = app.wait_for(submitted(lambda a: a.network.source == tiny_network), start=mark, what='good request')
        _, (_, error) = app.wait_for(rendered(stamp), start=mark, what='render after the error')
        assert error is None
        assert_shows(app, xdisplay, expected_image(renderer, args_back))

        # Wheel over the image zooms in one whole step around the cursor; middle-drag pans.
        rect, clip, zoom = app.last_view()
        cx, cy = clip[0] + clip[2] // 2, clip[1] + clip[3] // 2
        xdo('mousemove', '--window', app.wid, cx, cy)
        mark = len(app.lines)
        xdo('click', 4)
        _, view = app.wait_for(lambda l: l.startswith('VIEW ') and l, start=mark, what='zoomed view')
        rect2, _, zoom2 = app.last_view()
        assert zoom2 == zoom + 1
        # The image point under the cursor stays (within a pixel of the new zoom).
        assert abs((cx - rect[0]) / zoom - (cx - rect2[0]) / zoom2) < 1 and abs((cy - rect[1]) / zoom - (cy - rect2[1]) / zoom2) < 1
        mark = len(app.lines)
        drag(app, [(cx, cy), (cx + 20, cy + 10), (cx + 40, cy + 30)], button=2)
        app.wait_for(lambda l: (v := parse_view(l)) and v[0][:2] == [rect2[0] + 40, rect2[1] + 30], start=mark, what='panned view')
        xdo('key', 'f')                                 # Back to fit.
        app.wait_for(lambda l: (v := parse_view(l)) and v[0] == rect, start=mark, what='fit view')

        # Tab hides the control pane (the image area then starts at the left edge) and shows it again.
        mark = len(app.lines)
        xdo('key', 'Tab')
        app.wait_for(lambda l: (v := parse_view(l)) and v[1][0] == 0, start=mark, what='view without the pane')
        mark = len(app.lines)
        xdo('key', 'Tab')
        app.wait_for(lambda l: (v := parse_view(l)) and v[1] == clip, start=mark, what='view with the pane')

        # F1 opens the help popup (its Close button is drawn); Escape closes it, so Ctrl+Q below works.
        mark = len(app.lines)
        xdo('key', 'F1')
        app.wait_for(lambda l: l.startswith('ITEM ') and json.loads(l[5:])['label'] == 'Close', start=mark, what='help popup')
        xdo('key', 'Escape')

        # Quit with Ctrl+Q: a clean exit.
        click(app, clip[0] + 5, clip[1] + 5, button=2)
        xdo('key', 'ctrl+q')
        assert app.proc.wait(15) == 0
        assert not any('Traceback' in line for line in app.stderr), '\n'.join(app.stderr)
    finally:
        app.close()
    settings = json.loads((tmp_path / 'config' / 'settings.json').read_text())
    assert settings['recent'][0] == tiny_network
    assert (tmp_path / 'config' / 'imgui.ini').is_file()
    assert not (tmp_path / 'imgui.ini').exists()


def test_sources_fill_recent_list_and_bad_session_is_reported(xdisplay, xdotool, tiny_network, tmp_path):
    bad = tmp_path / 'broken-session.json'
    bad.write_text('{"format": "sg3-viz-session", "version": 1, "widgets": {"latent": {"x": "forty-two"}}}')
    app = start(tmp_path, tiny_network, 'builtin:sg2', '--session', str(bad))
    try:
        _, text = app.wait_for(lambda l: l.startswith('MESSAGE level=error') and json.loads(l.split('text=', 1)[1]),
            what='session error')
        assert 'broken-session.json' in text and 'x' in text
        _, (stamp, args) = app.wait_for(submitted(lambda a: True), what='request')
        assert args.network.source == tiny_network and args.latent.x == 0.0
        _, (_, error) = app.wait_for(rendered(stamp), what='render')
        assert error is None
        xdo('key', 'ctrl+q')
        assert app.proc.wait(15) == 0
    finally:
        app.close()
    settings = json.loads((tmp_path / 'config' / 'settings.json').read_text())
    assert settings['recent'][:2] == [tiny_network, 'builtin:sg2']


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
    session.write_text(json.dumps({'format': 'sg3-viz-session', 'version': 1,
        'widgets': {'performance': {'device': 'cpu', 'preview_bf16': True}}}))
    app = start(tmp_path, tiny_network, '--session', str(session))
    amber = np.array([round(c * 255) for c in PREVIEW_COLOR[:3]])

    def tag_pixels():
        """Pixels of the tag's colour in the lower right corner of the image area (where only the tag is drawn)."""
        _rect, clip, _zoom = app.last_view()
        corner = window_pixels(app, xdisplay)[clip[1] + clip[3] - 40:clip[1] + clip[3], clip[0] + clip[2] - 160:clip[0] + clip[2]]
        return int((np.abs(corner.astype(int) - amber).max(axis=2) < 40).sum())

    def wait_for_tag(shown, what):
        deadline = time.monotonic() + 10
        while (tag_pixels() >= 15) != shown:
            assert time.monotonic() < deadline, what
            time.sleep(0.1)

    try:
        assert app.wait_for(lambda l: l.startswith('ALLOCATOR ') and l, what='allocator line')[1].startswith('ALLOCATOR applied=true')
        _, (stamp, args0) = app.wait_for(submitted(lambda a: a.network.source == tiny_network), what='first request')
        index, _ = app.wait_for(rendered(stamp), what='first render')
        app.wait_for(parse_view, start=index, what='the first image drawn')
        assert args0.performance.preview_bf16 and not args0.performance.interacting
        assert_shows(app, xdisplay, expected_image(renderer, args0))
        assert tag_pixels() == 0

        # Left-drag in the image and hold still: the requests are previews, and the image is tagged.
        _rect, clip, _zoom = app.last_view()
        x, y = clip[0] + clip[2] // 2, clip[1] + clip[3] // 2
        mark = len(app.lines)
        drag(app, [(x + 15 * step, y) for step in range(4)], release=False)
        app.wait_for(submitted(lambda a: a.performance.interacting), start=mark, what='a preview request')
        time.sleep(0.3)
        stamps = [s for s in (submitted(lambda a: True)(line) for line in app.lines[mark:]) if s]
        stamp, dragged = stamps[-1]
        assert dragged.performance.interacting and dragged.latent.x != args0.latent.x
        assert all(a.performance.interacting for _, a in stamps)
        app.wait_for(rendered(stamp), start=mark, what='preview render')
        preview = renderer.render(dragged)
        assert preview.precision == 'bfloat16'
        wait_for_tag(True, 'no "bf16 preview" tag drawn over the preview')

        # Release: the same request without the mark is rendered in float32 and shown; the tag goes.
        mark = len(app.lines)
        xdo('mouseup', 1)
        _, (stamp, released) = app.wait_for(submitted(lambda a: not a.performance.interacting), start=mark, what='release request')
        assert released.latent == dragged.latent and released.performance.preview_bf16
        app.wait_for(rendered(stamp), start=mark, what='exact render')
        exact = renderer.render(released)
        assert exact.precision == 'float32'
        wait_for_tag(False, 'the "bf16 preview" tag stays after the release')
        assert tag_pixels() == 0
        assert_shows(app, xdisplay, exact.image)
        xdo('key', 'ctrl+q')
        assert app.proc.wait(15) == 0
    finally:
        app.close()
