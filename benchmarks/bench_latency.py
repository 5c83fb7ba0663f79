"""Latency the user feels: from an input event to the first changed pixels on screen, and to the exact image.

Runs the real app (`visualizer.py`, imgui front end) under its own Xvfb, sends input through XTEST (the time of
each event is taken as it is flushed to the X server) and reads a region in the middle of the image back from
the X server every few milliseconds. For each event:

- first pixels: the first read after the event that differs from the screen at the event;
- exact image: the end of the first frame that shows the render of a request submitted at or after the event
  (from the app's frame log: the stamp of the shown image; during a drag it may already be drawn moved on by the
  preview, as later motion arrived); a drag's events are each counted, and "after release" counts the drag's last
  motion only: the first frame with its render, not drawn as a preview (the drag's final image).

Scenarios (a scripted sequence per network, `--trials` times each): seed step (Right key), latent drag (left
drag), translation drag (right drag), rotation drag (Ctrl + right drag), layer switch (a click on another layer
in the Layers section), truncation slider (a drag of psi). Networks: builtin:sg3-t and an official-size StyleGAN3-T
256 px with random weights, calibrated as benchmarks/bench_generator.py builds it. Prints a table of p50 / p95.

Also: time to the first image from a cold start (empty kernel cache: the native kernels are compiled) and a warm
start (`--start`), and the thread policy (`--render-threads N` sets OMP_NUM_THREADS for the app,
`--niceness N` the render thread's niceness through SG3_VIZ_RENDER_NICENESS).

    python benchmarks/bench_latency.py                                   # both networks, all scenarios
    python benchmarks/bench_latency.py --networks builtin:sg3-t --trials 5 --scenarios seed,translate
    python benchmarks/bench_latency.py --start --networks builtin:sg3-t  # cold and warm start only
    python benchmarks/bench_latency.py --render-threads 2 --niceness 0   # another thread policy

Targets on the 2-core machine: translation / rotation drag on the 256 px network: first pixels p95 < 50 ms (the
preview), exact image after release p95 < 1.3 x one frame's render time; seed step on builtin:sg3-t: exact image
p95 < 200 ms; first image from a warm start < 2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import re
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

REPO = pathlib.Path(__file__).resolve().parents[1]
HERE = pathlib.Path(__file__).resolve().parent
for path in (str(REPO), str(HERE)):
    if path not in sys.path:
        sys.path.insert(0, path)

from bench_gui_frame_time import start_xvfb       # noqa: E402  (benchmarks/ is not a package)
from xlib_input import ChangePoller, XInput       # noqa: E402

OPEN_SECTIONS = ('Truncation & noise', 'Layers')                              # Open in the pane; the others closed.
SCENARIOS = ('seed', 'latent', 'translate', 'rotate', 'trunc', 'layer')       # The layer switch collapses sections: last.
LABELS = {'seed': 'seed step', 'latent': 'latent drag', 'translate': 'translation drag', 'rotate': 'rotation drag',
    'layer': 'layer switch', 'trunc': 'truncation slider'}
DRAGS = ('latent', 'translate', 'rotate', 'trunc')
WINDOW = (1400, 950)
OFFICIAL_256 = 'sg3-t-256'
MOVE_PERIOD = 1 / 60                            # Seconds between pointer motions in a drag (a 60 Hz mouse).

# ----------------------------------------------------------------------------
# The app under test.


class App:
    """visualizer.py as a subprocess, its log lines with the time they arrived."""

    def __init__(self, source: str, display: str, work: pathlib.Path, env_extra: dict, session: dict | None = None, fps: float = 60,
            device: str = 'cpu'):
        self.frame_log = work / f'frames-{time.monotonic_ns()}.jsonl'
        env = dict(os.environ, DISPLAY=display, SG3_VIZ_CONFIG_DIR=str(work / 'config'), **env_extra)
        settings_file = work / 'config' / 'settings.json'
        if not settings_file.exists():                  # The sections the scenarios use, open (the pane remembers sections).
            settings_file.parent.mkdir(parents=True, exist_ok=True)
            settings_file.write_text(json.dumps({'open_sections': list(OPEN_SECTIONS)}))
        cmd = [sys.executable, str(REPO / 'visualizer.py'), source, '--ui', 'imgui', '--device', device, '--fps', str(fps),
            '--log', '--log-items', '--frame-log', str(self.frame_log), '--window-size', f'{WINDOW[0]}x{WINDOW[1]}',
            '--capture-dir', str(work / 'captures')]
        if session is not None:
            path = work / 'session.json'
            path.write_text(json.dumps({'format': 'sg3-viz-session', 'version': 2, **session}))
            cmd += ['--session', str(path)]
        self.started = time.time()
        self.proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
        self.lines: list[tuple[float, str]] = []
        self.stderr: list[str] = []
        self._new = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=lambda: self.stderr.extend(self.proc.stderr), daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            with self._new:
                self.lines.append((time.time(), line.rstrip('\n')))
                self._new.notify_all()

    def wait_for(self, pattern: str, timeout: float, start: int = 0) -> tuple[int, float, re.Match]:
        """(index, arrival time, match) of the first line from `start` on that matches `pattern`."""
        deadline = time.monotonic() + timeout
        i = start
        with self._new:
            while True:
                while i < len(self.lines):
                    m = re.match(pattern, self.lines[i][1])
                    if m:
                        return i, self.lines[i][0], m
                    i += 1
                if self.proc.poll() is not None:
                    raise RuntimeError(f'the app exited ({self.proc.returncode}) while waiting for {pattern!r}:\n' + ''.join(self.stderr[-20:]))
                if time.monotonic() > deadline:
                    raise TimeoutError(f'no line matching {pattern!r} within {timeout:.0f} s')
                self._new.wait(0.2)

    def item(self, label: str) -> list[float] | None:
        """Newest rectangle (x0, y0, x1, y1) of the control whose name ends with `label`."""
        rect = None
        for _t, line in list(self.lines):
            if line.startswith('ITEM '):
                item = json.loads(line[5:])
                if item['label'] == label or item['label'].endswith('/' + label):
                    rect = item['rect']
        return rect

    def items(self, suffix: str) -> dict[str, list[float]]:
        found = {}
        for _t, line in list(self.lines):
            if line.startswith('ITEM '):
                item = json.loads(line[5:])
                if item['label'].endswith(suffix):
                    found[item['label']] = item['rect']
        return found

    def view_rect(self) -> tuple[int, int, int, int]:
        """(x, y, w, h) of the image in the window, from the newest VIEW line."""
        views = [line for _t, line in list(self.lines) if line.startswith('VIEW ')]
        return tuple(json.loads(re.match(r'VIEW rect=(\[.*?\])', views[-1]).group(1)))

    def cancelled(self) -> list[tuple[float, int]]:
        """(arrival, stamp) of every render that gave way (CANCELLED lines)."""
        return [(t, int(m.group(1))) for t, line in list(self.lines) if (m := re.match(r'CANCELLED stamp=(\d+)', line))]

    def rendered(self) -> list[tuple[float, int, float]]:
        """(arrival, stamp, render seconds) of every successful RENDERED line with an image."""
        out = []
        for t, line in list(self.lines):
            m = re.match(r'RENDERED stamp=(\d+) seconds=(\S+) size=(\S+) error=null', line)
            if m and m.group(3) != 'none':
                out.append((t, int(m.group(1)), float(m.group(2))))
        return out

    def frames(self) -> list[dict]:
        if not self.frame_log.exists():
            return []
        return [json.loads(line) for line in self.frame_log.read_text().splitlines() if line.strip()]

    def quit(self, x: XInput) -> None:
        """Ctrl+Q (the app closes its frame log), else terminate."""
        if self.proc.poll() is None:
            x.key('Control_L', True)
            x.tap('q')
            x.key('Control_L', False)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.terminate()
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()


def window_origin(display: str) -> tuple[int, int]:
    """Where the app's window sits on the root window."""
    env = dict(os.environ, DISPLAY=display)
    wid = subprocess.run(['xdotool', 'search', '--sync', '--name', '^sg3-viz'], env=env, capture_output=True, text=True,
        timeout=30).stdout.split()[0]
    geometry = subprocess.run(['xdotool', 'getwindowgeometry', '--shell', wid], env=env, capture_output=True, text=True,
        timeout=30).stdout
    g = dict(line.split('=', 1) for line in geometry.split())
    return int(g['X']), int(g['Y'])

# ----------------------------------------------------------------------------
# Scripted input. Every scenario returns its trials: lists of event times (a drag: its motions).


class Driver:
    def __init__(self, app: App, x: XInput, origin: tuple[int, int], settle: float, exact_timeout: float):
        self.app, self.x, self.origin = app, x, origin
        self.settle = settle
        self.exact_timeout = exact_timeout

    def screen(self, wx: float, wy: float) -> tuple[float, float]:
        return self.origin[0] + wx, self.origin[1] + wy

    def image_centre(self) -> tuple[float, float]:
        x, y, w, h = self.app.view_rect()
        return self.screen(x + w / 2, y + h / 2)

    def wait_settled(self, since: float) -> None:
        """Wait until the event at `since` has been handled (a few frames) and the newest submitted request has
        its result (a RENDERED line), then `settle` seconds more."""
        time.sleep(max(since + 0.15 - time.time(), 0))
        deadline = time.monotonic() + self.exact_timeout
        while time.monotonic() < deadline:
            submitted = [int(m.group(1)) for _t, line in list(self.app.lines) if (m := re.match(r'SUBMITTED stamp=(\d+)', line))]
            done = [int(m.group(1)) for _t, line in list(self.app.lines) if (m := re.match(r'RENDERED stamp=(\d+)', line))]
            if not submitted or (done and max(done) >= submitted[-1]):
                time.sleep(self.settle)
                return
            time.sleep(0.02)
        raise TimeoutError('the app did not settle')

    def key_steps(self, trials: int, key: str = 'Right') -> list[list[float]]:
        out = []
        for _ in range(trials):
            t = self.x.tap(key)
            out.append([t])
            self.wait_settled(t)
        return out

    def drag(self, trials: int, button: int, ctrl: bool = False, seconds: float = 1.5, start: tuple[float, float] | None = None,
            step: tuple[float, float] = (3, 1)) -> list[list[float]]:
        """Press at `start` (default the image centre), move `step` pixels per motion at 60 Hz back and forth for
        `seconds`, release; wait until the final image is shown."""
        out = []
        for trial in range(trials):
            sx, sy = start or self.image_centre()
            sign = 1 if trial % 2 == 0 else -1
            self.x.move(sx, sy)
            time.sleep(0.05)
            if ctrl:
                self.x.key('Control_L', True)
            self.x.button(button, True)
            time.sleep(0.05)
            events = []
            n = int(seconds / MOVE_PERIOD)
            next_time = time.perf_counter()
            for i in range(n):
                phase = i if i < n // 2 else n - i                          # Out and back.
                events.append(self.x.move(sx + sign * step[0] * phase, sy + sign * step[1] * phase))
                next_time += MOVE_PERIOD
                time.sleep(max(next_time - time.perf_counter(), 0))
            self.x.button(button, False)
            if ctrl:
                self.x.key('Control_L', False)
            out.append(events)
            self.wait_settled(events[-1])
        return out

    def clicks(self, trials: int, targets: list[tuple[float, float]]) -> list[list[float]]:
        out = []
        for trial in range(trials):
            self.x.move(*self.screen(*targets[trial % len(targets)]))
            time.sleep(0.05)
            t = self.x.button(1, True)
            time.sleep(0.03)
            self.x.button(1, False)
            out.append([t])
            self.wait_settled(t)
        return out


def bring_into_view(app: App, driver: Driver, label: str) -> list[float]:
    """Collapse pane sections above a control until it is well inside the window; its rectangle."""
    headers = ('Network', 'Latent', 'Style mixing', 'Truncation & noise', 'Input transform', 'Equivariance', 'Layers')
    for title in headers:
        rect = app.item(label)
        if rect is not None and rect[3] < WINDOW[1] * 0.8:
            return rect
        header = app.item(f'{title}/{title}')
        if header is None or header[3] > WINDOW[1] or label.startswith(f'{title}/'):
            continue
        driver.clicks(1, [((header[0] + header[2]) / 2, (header[1] + header[3]) / 2)])
        time.sleep(0.3)
    rect = app.item(label)
    if rect is None or rect[3] >= WINDOW[1]:
        raise RuntimeError(f'{label} is not visible: {rect}')
    return rect


def run_scenario(name: str, driver: Driver, trials: int, drag_seconds: float) -> list[list[float]]:
    app = driver.app
    if name == 'seed':
        return driver.key_steps(trials)
    if name == 'latent':
        return driver.drag(trials, 1, seconds=drag_seconds)
    if name == 'translate':
        return driver.drag(trials, 3, seconds=drag_seconds)
    if name == 'rotate':
        return driver.drag(trials, 3, ctrl=True, seconds=drag_seconds)
    if name == 'layer':
        layers = app.items('##layer')
        names = [label for label in layers if not label.endswith('output##layer')]
        if not names:
            raise RuntimeError('no layer entries were drawn')
        other = names[len(names) * 2 // 3]
        rect_a = bring_into_view(app, driver, other.split('/')[-1])
        rect_b = app.item('output##layer')
        return driver.clicks(trials, [((r[0] + r[2]) / 2, (r[1] + r[3]) / 2) for r in (rect_a, rect_b)])
    if name == 'trunc':
        rect = bring_into_view(app, driver, '##psi/##slider')
        start = driver.screen(rect[0] + (rect[2] - rect[0]) * 0.55, (rect[1] + rect[3]) / 2)
        return driver.drag(trials, 1, seconds=drag_seconds, start=start, step=(1, 0))
    raise ValueError(name)

# ----------------------------------------------------------------------------
# Analysis.


def latencies(trials: list[list[float]], frames: list[dict], poller: ChangePoller, seconds: dict[int, float]) -> dict[str, list[float]]:
    """First changed pixels and exact image, for every event and for each trial's last event; and for the last event,
    the exact image's latency in units of its own render time (`seconds`: stamp -> render seconds)."""
    frames = sorted(frames, key=lambda f: f['t'])
    out: dict[str, list[float]] = {'first': [], 'exact': [], 'exact_last': [], 'first_last': [], 'ratio_last': []}
    for events in trials:
        for i, te in enumerate(events):
            before = [f for f in frames if f['t'] < te]
            target = (before[-1]['submitted'] if before else 0) + 1          # The first request submitted after the event.
            exact = next((f['t'] for f in frames if f['t'] > te and f.get('shown', 0) >= target), None)
            first = poller.first_change_after(te)
            if first is not None:
                out['first'].append(first - te)
            if exact is not None:
                out['exact'].append(exact - te)
            if i == len(events) - 1:
                final = next((f for f in frames if f['t'] > te and f.get('shown', 0) >= target and not f.get('preview')), None)
                if final is not None:
                    out['exact_last'].append(final['t'] - te)
                    if final['shown'] in seconds:
                        out['ratio_last'].append((final['t'] - te) / seconds[final['shown']])
                if first is not None:
                    out['first_last'].append(first - te)
    return out


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1e3, q)) if values else float('nan')


def frames_during(trials: list[list[float]], frames: list[dict]) -> tuple[int, list[float]]:
    """Renders shown during the drags (new shown stamps between a drag's first and last event, drawn as they are
    or moved on by the preview), and the GUI's frame intervals meanwhile."""
    shown, intervals = 0, []
    for events in trials:
        inside = [f for f in frames if events[0] <= f['t'] <= events[-1]]
        stamps = {f.get('shown') for f in inside}
        shown += max(len(stamps) - 1, 0)
        intervals += [f['interval'] for f in inside]
    return shown, intervals

# ----------------------------------------------------------------------------
# Networks.


def official_network(work: pathlib.Path) -> str:
    """The official-size StyleGAN3-T 256 px with random weights, calibrated like bench_generator's, as a file."""
    path = work / f'{OFFICIAL_256}.safetensors'
    if not path.exists():
        code = ('import sys; sys.path[:0] = [%r, %r]\n'
                'from bench_generator import build_network, calibrate\n'
                'from sg3.checkpoint import save_network\n'
                'G = build_network(%r); calibrate(G); save_network(G, %r)\n') % (str(REPO), str(HERE), OFFICIAL_256, str(path))
        subprocess.run([sys.executable, '-c', code], check=True, cwd=REPO)
    return str(path)


def source_of(name: str, work: pathlib.Path) -> str:
    return official_network(work) if name == OFFICIAL_256 else name

# ----------------------------------------------------------------------------
# Runs.


def app_env(opts) -> dict:
    env = {}
    if opts.render_threads:
        env['OMP_NUM_THREADS'] = str(opts.render_threads)
    if opts.niceness is not None:
        env['SG3_VIZ_RENDER_NICENESS'] = str(opts.niceness)
    if opts.policy:
        env['SG3_VIZ_PREEMPT'] = opts.policy
    return env


def session_for(opts) -> dict | None:
    return {'controllers': {'performance': {'transform_preview': False}}} if opts.no_preview else None


def measure_network(name: str, opts, display: str, work: pathlib.Path) -> dict:
    source = source_of(name, work)
    app = App(source, display, work, app_env(opts), session=session_for(opts), fps=opts.fps, device=opts.device)
    x = XInput(display)
    try:
        app.wait_for(r'READY', 120)
        _i, t_first, _m = app.wait_for(r'RENDERED stamp=\d+ seconds=\S+ size=\d+x\d+ error=null', opts.load_timeout)
        app.wait_for(r'VIEW ', 30)
        origin = window_origin(display)
        driver = Driver(app, x, origin, settle=opts.settle, exact_timeout=opts.exact_timeout)
        driver.wait_settled(t_first)
        vx, vy, vw, vh = app.view_rect()
        size = int(min(vw, vh, 160))
        region = (int(origin[0] + vx + vw / 2 - size / 2), int(origin[1] + vy + vh / 2 - size / 2), size, size)
        poller = ChangePoller(display, region, period=opts.poll)
        results = {}
        try:
            for scenario in opts.scenarios:
                start = time.time()
                try:
                    trials = run_scenario(scenario, driver, opts.trials, opts.drag_seconds)
                except (RuntimeError, TimeoutError) as e:
                    print(f'  {name} {scenario}: skipped ({e})', flush=True)
                    continue
                results[scenario] = dict(trials=trials, start=start, end=time.time())
                print(f'  {name} {LABELS[scenario]}: {len(trials)} trials, {sum(len(t) for t in trials)} events', flush=True)
        finally:
            poller.stop()
    finally:
        app.quit(x)
        x.close()
    frames = app.frames()
    renders = app.rendered()
    report = dict(network=name, scenarios={}, poll_reads=poller.reads)
    for scenario, r in results.items():
        lat = latencies(r['trials'], frames, poller, {stamp: sec for _t, stamp, sec in renders})
        shown, intervals = frames_during(r['trials'], frames)
        render_seconds = [s for t, _stamp, s in renders if r['start'] <= t <= r['end']]
        cancelled = [stamp for t, stamp in app.cancelled() if r['start'] <= t <= r['end']]
        report['scenarios'][scenario] = dict(latencies=lat, exact_frames_during_drags=shown, gui_intervals=intervals,
            render_seconds=render_seconds, cancelled=len(cancelled), events=sum(len(t) for t in r['trials']), trials=len(r['trials']))
    return report


def print_table(reports: list[dict]) -> None:
    print(f'\n{"network":<16} {"scenario":<18} {"events":>6} {"first px p50":>12} {"p95":>8} {"exact p50":>10} {"p95":>8} '
        f'{"after release p50":>17} {"p95":>8} {"/render p95":>11} {"render p50":>10} {"p95":>6} {"gave way":>8} {"frames in drag":>14} '
        f'{"GUI p95":>8}   (ms; /render: after release in units of that render\'s own time)')
    for report in reports:
        for scenario, s in report['scenarios'].items():
            lat = s['latencies']
            drag = scenario in DRAGS
            print(f'{report["network"]:<16} {LABELS[scenario]:<18} {s["events"]:>6} {pct(lat["first"], 50):>12.0f} {pct(lat["first"], 95):>8.0f} '
                f'{pct(lat["exact"], 50):>10.0f} {pct(lat["exact"], 95):>8.0f} '
                f'{pct(lat["exact_last"], 50) if drag else float("nan"):>17.0f} {pct(lat["exact_last"], 95) if drag else float("nan"):>8.0f} '
                f'{pct(lat["ratio_last"], 95) / 1e3 if drag else float("nan"):>11.2f} '
                f'{pct(s["render_seconds"], 50):>10.0f} {pct(s["render_seconds"], 95):>6.0f} {s["cancelled"]:>8} '
                f'{s["exact_frames_during_drags"] if drag else "":>14} '
                f'{pct(s["gui_intervals"], 95):>8.1f}', flush=True)


def start_times(name: str, opts, display: str, work: pathlib.Path, repeats: int) -> dict:
    """Seconds from starting the process to the first frame that shows an image (and to the first frame drawn):
    once with an empty kernel cache (cold: the native kernels are compiled) and `repeats` times with it filled (warm)."""
    source = source_of(name, work)
    cache = pathlib.Path(tempfile.mkdtemp(prefix='bench-kernels-'))
    cache.chmod(0o700)
    out = {'cold': [], 'warm': [], 'window': []}
    for run in range(1 + repeats):
        env = dict(app_env(opts), SG3_KERNEL_CACHE=str(cache))
        app = App(source, display, work, env, fps=opts.fps, device=opts.device)
        x = XInput(display)
        try:
            app.wait_for(r'RENDERED stamp=\d+ seconds=\S+ size=\d+x\d+ error=null', opts.load_timeout)
            time.sleep(0.3)
        finally:
            app.quit(x)
            x.close()
        frames = app.frames()
        first = next((f['t'] for f in frames if f.get('shown', 0) > 0), None)
        out['cold' if run == 0 else 'warm'].append(first - app.started if first is not None else float('nan'))
        out['window'].append(frames[0]['t'] - app.started if frames else float('nan'))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--networks', default=f'builtin:sg3-t,{OFFICIAL_256}', help=f'comma-separated (default: builtin:sg3-t,{OFFICIAL_256})')
    parser.add_argument('--scenarios', default=','.join(SCENARIOS), help=f'comma-separated from {",".join(SCENARIOS)}')
    parser.add_argument('--trials', type=int, default=6, help='repetitions of each scenario (default: 6)')
    parser.add_argument('--drag-seconds', type=float, default=1.5, help='length of a drag (default: 1.5)')
    parser.add_argument('--settle', type=float, default=0.3, help='pause after the final image before the next trial (default: 0.3 s)')
    parser.add_argument('--poll', type=float, default=0.004, help='seconds between screen reads (default: 0.004)')
    parser.add_argument('--fps', type=float, default=60.0, help='GUI FPS cap (default: 60)')
    parser.add_argument('--device', default='cpu', help='render device of the app: cpu (default), cuda, mps or auto')
    parser.add_argument('--render-threads', type=int, default=None, help='OMP_NUM_THREADS for the app (default: the app\'s policy)')
    parser.add_argument('--niceness', type=int, default=None, help='render thread niceness (default: the app\'s, 5)')
    parser.add_argument('--policy', default=None, help='SG3_VIZ_PREEMPT for the app: settled (default), newest or never')
    parser.add_argument('--no-preview', action='store_true', help='turn the transform preview off')
    parser.add_argument('--start', action='store_true', help='measure the cold and warm start instead of the scenarios')
    parser.add_argument('--start-repeats', type=int, default=3, help='warm starts to time (default: 3)')
    parser.add_argument('--load-timeout', type=float, default=300.0)
    parser.add_argument('--exact-timeout', type=float, default=120.0)
    parser.add_argument('--json', default=None, help='write the results here')
    opts = parser.parse_args()
    opts.scenarios = [s for s in opts.scenarios.split(',') if s]
    unknown = set(opts.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f'unknown scenarios {sorted(unknown)}; expected some of {",".join(SCENARIOS)}')

    xvfb, display = start_xvfb()
    work = pathlib.Path(tempfile.mkdtemp(prefix='bench-latency-'))
    load = os.getloadavg()
    print(f'{os.cpu_count()} cores, {platform.platform()}, load average {load[0]:.2f} at start; app env {app_env(opts)}; '
        f'preview {"off" if opts.no_preview else "on"}', flush=True)
    record = dict(options=vars(opts), load_start=load, cores=os.cpu_count())
    try:
        networks = [n for n in opts.networks.split(',') if n]
        if opts.start:
            for name in networks:
                times = start_times(name, opts, display, work, opts.start_repeats)
                record.setdefault('start', {})[name] = times
                print(f'{name:<16} first image: cold {times["cold"][0]:.2f} s, warm ' + ', '.join(f'{t:.2f}' for t in times['warm'])
                    + f' s (median {np.median(times["warm"]):.2f} s); first frame of the window: median {np.median(times["window"]):.2f} s',
                    flush=True)
        else:
            reports = [measure_network(name, opts, display, work) for name in networks]
            record['reports'] = reports
            print_table(reports)
    finally:
        xvfb.terminate()
        xvfb.wait(5)
    record['load_end'] = os.getloadavg()
    print(f'load average {record["load_end"][0]:.2f} at the end')
    if opts.json:
        pathlib.Path(opts.json).write_text(json.dumps(record, indent=1))
    return 0


if __name__ == '__main__':
    sys.exit(main())
