"""Driving the real program for the end-to-end tests: visualizer.py as a subprocess under Xvfb, input by xdotool.

The app runs with `--log --log-items`: it prints where each control is (ITEM, named 'View title/label'), each
request (SUBMITTED, with the request as JSON), each finished render (RENDERED), where the image is drawn
(VIEW), each capture (CAPTURED), each message (MESSAGE) and each finished background command (COMMAND, with
its state, progress and PSNRs). The tests wait for those lines (never for fixed times), click and type with
xdotool (press, short pause, release; a few frames between events), read the window's pixels back from the
X server, and compare with what `viz.render.renderer.Renderer` gives for the same request.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import sys
import threading
import time

import numpy as np
from PIL import ImageGrab

from viz.protocol import RenderArgs

REPO = pathlib.Path(__file__).resolve().parents[3]
TITLE = '^sg3-viz'
EVENT_GAP = 0.06                                # Seconds between synthetic input events (a few frames).
TIMEOUT = 120.0                                 # Default wait for a log line: generous, the machine may be loaded.
HEADERS = ('Network', 'Latent', 'Style mixing', 'Truncation & noise', 'Directions', 'Input transform', 'Equivariance', 'Layers', 'Spectrum',
    'Performance', 'Capture', 'Timeline & video', 'View')  # The pane's sections, top down (Session is last).


def _fail(message: str) -> None:
    """An assertion that also holds under python -O (this helper module is not rewritten by pytest)."""
    raise AssertionError(message)

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

    def mark(self) -> int:
        """Index of the next log line (wait_for(..., start=mark) sees only what comes after)."""
        return len(self.lines)

    def wait_for(self, predicate, timeout=TIMEOUT, start=0, what='a line'):
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
                    _fail(f'app exited ({self.proc.returncode}) while waiting for {what}; stderr:\n' + '\n'.join(self.stderr[-30:]))
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    recent = [line for line in self.lines[start:] if not line.startswith('ITEM ')][-15:]
                    _fail(f'timed out waiting for {what}; last lines:\n' + '\n'.join(recent) + '\nstderr:\n' + '\n'.join(self.stderr[-20:]))
                self._new.wait(min(remaining, 0.5))

    def item(self, label, start=0):
        """Latest rectangle (x0, y0, x1, y1) of the control named `label` or '.../label' from line `start` on, or None."""
        rect = None
        for line in self.lines[start:]:
            if line.startswith('ITEM '):
                item = json.loads(line[5:])
                if item['label'] == label or item['label'].endswith('/' + label):
                    rect = item['rect']
        return rect

    def wait_item(self, label, start=0, what=None, settle=0.15):
        """Wait until the control is drawn (again) after line `start`, then until it stays put for `settle` seconds (the
        pane can move it again in the next frames: a row added above, a scroll bar); its newest rectangle."""
        rect = self.wait_for(lambda line: (item := parse_item(line)) and (item[0] == label or item[0].endswith('/' + label)) and item[1],
            start=start, what=what or f'control {label}')[1]
        deadline = time.monotonic() + 20 * settle
        while time.monotonic() < deadline:
            time.sleep(settle)
            newest = self.item(label, start)
            if newest == rect:
                break
            rect = newest
        return rect

    def last_view(self):
        """(rect, clip, zoom) of the latest drawn image; waits for the first one (a render's result is drawn a frame after it arrives)."""
        views = [line for line in list(self.lines) if line.startswith('VIEW ')]
        if not views:
            views = [self.wait_for(lambda line: line.startswith('VIEW ') and line, what='the image drawn')[1]]
        return parse_view(views[-1])

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def parse_item(line):
    """(label, rect) of an ITEM line, or None."""
    return (lambda item: (item['label'], item['rect']))(json.loads(line[5:])) if line.startswith('ITEM ') else None


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
    """Predicate for the RENDERED line of request `stamp` or a newer one: returns (stamp, error)."""
    def check(line):
        m = re.match(r'RENDERED stamp=(\d+) seconds=\S+ size=\S+ error=(.*)$', line)
        if m and int(m.group(1)) >= stamp:
            return int(m.group(1)), json.loads(m.group(2))
        return None
    return check


def finished_command(kind):
    """Predicate for the COMMAND line of a finished command of `kind`: returns its fields as a dict."""
    def check(line):
        m = re.match(r'COMMAND id=(\d+) kind=(\S+) state=(\S+) done=(\d+) total=(\d+) error=(.*) path=(.*) psnr=(\{.*\})$', line)
        if m and m.group(2) == kind:
            return {'id': int(m.group(1)), 'kind': kind, 'state': m.group(3), 'done': int(m.group(4)), 'total': int(m.group(5)),
                'error': json.loads(m.group(6)), 'path': json.loads(m.group(7)), 'psnr': json.loads(m.group(8))}
        return None
    return check


def last_request(app, start):
    """(stamp, args) of the newest SUBMITTED line from `start` on."""
    requests = [r for r in (submitted(lambda a: True)(line) for line in app.lines[start:]) if r]
    if not requests:
        _fail('no request was submitted')
    return requests[-1]

# ----------------------------------------------------------------------------
# Input.


def xdo(*args):
    subprocess.run(['xdotool', *[str(a) for a in args]], check=True, timeout=30)
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


def centre(rect, fx=0.5):
    return (rect[0] + (rect[2] - rect[0]) * fx, (rect[1] + rect[3]) / 2)


def type_into(app, label, text, fx=0.5, delay=20):
    """Click into a text field, replace its text and press Return."""
    click(app, *centre(app.item(label), fx))
    time.sleep(0.2)                         # A frame makes the field active ...
    xdo('key', 'ctrl+a')
    time.sleep(0.2)                         # ... and one selects all: typed in the same frame, the text would come first.
    xdo('type', '--delay', delay, text)
    xdo('key', 'Return')


def bring_into_view(app, label, height=800):
    """Collapse the pane's sections above the control until it is well inside the window; its rectangle."""
    for title in HEADERS:
        rect = app.item(label)
        if rect is not None and rect[3] < height * 0.75:
            return rect
        header = app.item(f'{title}/{title}')
        if header is None or header[3] > height or label.startswith(f'{title}/'):
            continue
        mark = app.mark()
        click(app, *centre(header))
        app.wait_item(label, start=mark, what=f'{label} moved')
    rect = app.item(label)
    if rect is None or rect[3] >= height:
        _fail(f'{label} is not visible: {rect}')
    return rect


def park_mouse(app):
    """Move the pointer onto the status bar, so no tooltip or hover effect covers the image."""
    _rect, clip, _zoom = app.last_view()
    xdo('mousemove', '--window', app.wid, clip[0] + clip[2] - 5, clip[1] + clip[3] + 5)
    time.sleep(0.1)

# ----------------------------------------------------------------------------
# The window's pixels.


def window_pixels(app, display):
    geometry = subprocess.run(['xdotool', 'getwindowgeometry', '--shell', str(app.wid)], check=True,
        capture_output=True, text=True).stdout
    g = dict(line.split('=', 1) for line in geometry.split())
    x, y, w, h = (int(g[k]) for k in ('X', 'Y', 'WIDTH', 'HEIGHT'))
    screen = np.asarray(ImageGrab.grab(xdisplay=display).convert('RGB'))
    return screen[y:y + h, x:x + w]


def sample_centres(pixels, rect, zoom):
    """The image drawn at `rect` (x, y, w, h) with `zoom` >= 1, sampled at its pixels' centres (exact with nearest
    filtering at any zoom from 1 on, whole or not): back to the image's own resolution."""
    if zoom < 1:
        _fail(f'expected a zoom of at least 1, got {zoom}')
    x, y, w, h = rect
    columns = [int(np.floor(x + (i + 0.5) * w / round(w / zoom))) for i in range(round(w / zoom))]
    rows = [int(np.floor(y + (j + 0.5) * h / round(h / zoom))) for j in range(round(h / zoom))]
    return pixels[np.ix_(rows, columns)]


def shown_image(app, display):
    """The image as drawn in the window, sampled at pixel centres back to its own resolution."""
    rect, _clip, zoom = app.last_view()
    return sample_centres(window_pixels(app, display), rect, zoom)


def wait_shows(app, display, expected, timeout=20.0):
    """Wait until the window shows `expected` (uint8 [H, W, 3]) within a small tolerance; the image shown."""
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
            _fail(f'the window does not show the expected image ({detail})')
        time.sleep(0.1)

# ----------------------------------------------------------------------------
# Starting.


def app_env(tmp):
    env = dict(os.environ)
    env['SG3_VIZ_CONFIG_DIR'] = str(tmp / 'config')
    env.pop('SG3_VIZ_LOG', None)
    return env


STARTING_SECTIONS = tuple(h for h in HEADERS if h not in ('Timeline & video', 'View'))   # Open unless the test saved its own.


def start(tmp, *args):
    """Start the app in `tmp` (config and captures there) with a 1280x800 window on the CPU; wait until it is up and focused.
    Unless the test saved settings of its own, the sections the tests use are open (STARTING_SECTIONS)."""
    from viz.core import settings
    path = tmp / 'config' / settings.SETTINGS_FILE
    if not path.exists():                   # Written plainly: faults injected through the environment are for the app.
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings.Settings(open_sections=STARTING_SECTIONS).to_dict()))
    app = App(['--log', '--log-items', '--window-size', '1280x800', '--device', 'cpu', '--capture-dir', str(tmp / 'captures'),
        *args], app_env(tmp), cwd=tmp)
    try:
        app.wait_for(lambda line: line == 'READY', what='READY')
        out = subprocess.run(['xdotool', 'search', '--sync', '--name', TITLE], capture_output=True, text=True, timeout=60)
        app.wid = out.stdout.split()[0]
        xdo('windowfocus', '--sync', app.wid)
    except BaseException:
        app.close()
        raise
    return app


def quit_cleanly(app):
    """Ctrl+Q: exit code 0, no traceback."""
    shortcut(app, 'ctrl+q')
    if app.proc.wait(30) != 0:
        _fail(f'exit code {app.proc.returncode}; stderr:\n' + '\n'.join(app.stderr[-30:]))
    if any('Traceback' in line for line in app.stderr):
        _fail('\n'.join(app.stderr))


def shortcut(app, keys):
    """Press a shortcut (xdotool key names), after Escape so that no text field has the keyboard."""
    xdo('key', 'Escape')
    xdo('key', keys)


def capture_image(app):
    """Save the image with the S shortcut; its path."""
    mark = app.mark()
    shortcut(app, 's')
    return app.wait_for(lambda line: line.startswith('CAPTURED kind=image ') and json.loads(line.split('path=', 1)[1]), start=mark,
        what='capture')[1]


def tiny_network_file(folder: pathlib.Path) -> str:
    """A small StyleGAN3-T with enough contrast that seeds and psi visibly change the image, saved as safetensors."""
    import torch
    from sg3 import checkpoint, networks_stylegan3
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
    path = folder / 'tiny.safetensors'
    checkpoint.save_network(G, str(path))
    return str(path)


def expected_image(renderer, args):
    result = renderer.render(args)
    if result.error is not None or result.image is None:
        _fail(f'the renderer failed: {result.error}')
    return result.image
