"""The real app under Xvfb with injected faults and random input (seeded, reproducible: the input sequence depends only
on the seed and what the log says).

First the faults (SG3_VIZ_FAULTS): a capture on a full disk and an out-of-memory render are messages, leave no file,
and the next capture and render succeed. Then, for a bounded time, random clicks (anywhere, and on the controls the app
reports), drags and wheel turns in the image and the pane, shortcuts and typing, with networks switched (loads) and
background commands started on the way. At the end the app is alive, has printed no traceback, renders a fresh
request, and quits cleanly.

SG3_GUI_FUZZ_SECONDS (default 15) sets the time; SG3_FUZZ_SEED the seed.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import time

import pytest

from tests.reliability.common import listing
from tests.viz.imgui.e2e import EVENT_GAP, bring_into_view, centre, click, parse_item, quit_cleanly, rendered, shortcut, start, submitted, xdo

SECONDS = float(os.environ.get('SG3_GUI_FUZZ_SECONDS', '15'))
SEED = int(os.environ.get('SG3_FUZZ_SEED', '0'))
WINDOW = (1280, 800)
KEYS = ['Right', 'Left', 'Up', 'Down', 'space', 'r', 'f', '1', 'Tab', 'h', 'F1', 'Escape', 's', 'shift+s', 'Return',
    'BackSpace', 'a', '5', 'minus', 'period', 'ctrl+a', 'Delete', 'Home', 'End', 'Page_Down', 'Page_Up']
TYPED = ['7', '0.5', '-3', '1e9', 'abc', '', '99999999999', 'nan', '../x']
EXCLUDED = ('Present (F11)', 'Network/##source', 'Network/Open...', 'Network/System dialog...', 'Network/##published', 'Capture/##folder', 'Key##network')  # Leave the window, the network and folders as they are; download nothing.
TARGETS = ('Network/sg3-t', 'Network/sg3-r', 'Network/sg2', 'Equivariance/Compute EQ metrics##eqmetrics', 'Spectrum/Show spectrum##spectrum',
    'Spectrum/Average over K seeds##spectrumaverage', 'Spectrum/Save .npz##spectrum', 'Equivariance/EQ-T##eqmode', 'Equivariance/Off##eqmode',
    'Layers/output##layer', 'Latent/##anim', 'Input transform/Animate##rotate')


class Input:
    """Random input through one xdotool process per burst (press, short pause, release)."""

    def __init__(self, app, rng: random.Random) -> None:
        self.app, self.rng = app, rng
        self.events: list[str] = []
        self._rects: dict[str, list] = {}       # The latest rectangle of every control the app reported.
        self._read = 0                          # Log lines read into _rects.
        self.busy = 0.0

    def _update(self) -> None:
        lines = self.app.lines
        end = len(lines)
        for line in lines[self._read:end]:
            item = parse_item(line)
            if item is not None:
                self._rects[item[0]] = item[1]
        self._read = end

    def controls(self) -> dict[str, list]:
        """Controls inside the window, not excluded, by label."""
        return {label: r for label, r in self._rects.items() if not label.endswith(EXCLUDED)
            and 0 <= r[0] and r[2] <= WINDOW[0] and 0 <= r[1] and r[3] <= WINDOW[1]}

    def point(self, area: str) -> tuple[int, int]:
        rng = self.rng
        pane = 480
        if area == 'image':
            return rng.randrange(pane + 5, WINDOW[0] - 5), rng.randrange(5, WINDOW[1] - 30)
        if area == 'pane':
            return rng.randrange(5, pane - 5), rng.randrange(5, WINDOW[1] - 5)
        return rng.randrange(2, WINDOW[0] - 2), rng.randrange(2, WINDOW[1] - 2)

    def burst(self) -> None:
        self._update()
        rng, cmd = self.rng, ['xdotool']
        wid = self.app.wid
        for _ in range(rng.randint(3, 8)):
            kind = rng.random()
            if kind < 0.25:
                x, y = self.point(rng.choice(['any', 'pane', 'image']))
                if self._excluded(x, y):
                    continue
                button = rng.choice([1, 1, 1, 3])
                cmd += ['mousemove', '--window', wid, str(x), str(y), 'sleep', '0.02', 'mousedown', str(button), 'sleep', '0.04', 'mouseup', str(button)]
                self.events.append(f'click {button} at {x},{y}')
            elif kind < 0.4:
                controls = self.controls()
                preferred = [label for label in controls if label.endswith(TARGETS)]
                label = rng.choice(preferred if preferred and rng.random() < 0.5 else list(controls) or [''])
                if not label:
                    continue
                self.click(cmd, label, controls)
            elif kind < 0.55:
                button = rng.choice([1, 1, 3, 2])
                x, y = self.point('image')
                cmd += ['mousemove', '--window', wid, str(x), str(y), 'sleep', '0.03', 'mousedown', str(button)]
                for _ in range(rng.randint(2, 6)):
                    x, y = min(max(x + rng.randint(-80, 80), 1), WINDOW[0] - 1), min(max(y + rng.randint(-80, 80), 1), WINDOW[1] - 1)
                    cmd += ['sleep', '0.03', 'mousemove', '--window', wid, str(x), str(y)]
                cmd += ['sleep', '0.03', 'mouseup', str(button)]
                self.events.append(f'drag {button}')
            elif kind < 0.65:
                x, y = self.point(rng.choice(['pane', 'image']))
                button = rng.choice([4, 5])
                cmd += ['mousemove', '--window', wid, str(x), str(y)] + ['click', str(button)] * rng.randint(1, 4)
                self.events.append(f'wheel {button} at {x},{y}')
            elif kind < 0.9:
                key = rng.choice(KEYS)
                cmd += ['key', key]
                self.events.append(f'key {key}')
            else:
                text = rng.choice(TYPED)
                keys = [{'.': 'period', '-': 'minus', '/': 'slash'}.get(ch, ch) for ch in text]
                cmd += ['key', 'ctrl+a'] + [part for key in keys for part in ('key', key)] + ['key', 'Return']
                self.events.append(f'type {text!r}')
            cmd += ['sleep', str(EVENT_GAP)]
        if len(cmd) > 1:
            t0 = time.monotonic()
            subprocess.run(cmd, check=True, timeout=60)
            self.busy += time.monotonic() - t0

    def click(self, cmd: list, label: str, controls: dict) -> None:
        x, y = centre(controls[label], self.rng.uniform(0.2, 0.8))
        cmd += ['mousemove', '--window', self.app.wid, str(int(x)), str(int(y)), 'sleep', '0.02', 'mousedown', '1', 'sleep', '0.04', 'mouseup', '1']
        self.events.append(f'click {label}')

    def now(self, label: str) -> bool:
        """Click a control at once if it is on screen (a load, a command); whether it was."""
        self._update()
        controls = self.controls()
        found = [name for name in controls if name.endswith(label)]
        if not found:
            return False
        cmd = ['xdotool', 'key', 'Escape']
        self.click(cmd, found[0], controls)
        subprocess.run(cmd, check=True, timeout=60)
        return True

    def _excluded(self, x: int, y: int) -> bool:
        return any(r[0] - 4 <= x <= r[2] + 4 and r[1] - 4 <= y <= r[3] + 4 for label, r in self._rects.items() if label.endswith(EXCLUDED))


def tracebacks(app) -> list[str]:
    return [line for line in app.stderr if 'Traceback' in line or re.match(r'^\w+(Error|Exception):', line)]


def test_faults_and_random_input_in_the_real_window(xdisplay, xdotool, tiny_network, tmp_path, monkeypatch):
    monkeypatch.setenv('SG3_VIZ_FAULTS', 'write:enospc@1,render:oom@3')
    app = start(tmp_path, tiny_network)
    captures = tmp_path / 'captures'
    try:
        # The first render is fine; the first capture meets a full disk.
        app.wait_for(rendered(1), what='first render')
        mark = app.mark()
        shortcut(app, 's')
        _, text = app.wait_for(lambda line: line.startswith('MESSAGE level=error ') and json.loads(line.split('text=', 1)[1]),
            start=mark, what='the capture error')
        assert 'No space left on device' in text and str(captures) in text and listing(captures) == []
        # The third render runs out of memory; the fourth is fine.
        for expected_error in (False, True, False):
            mark = app.mark()
            shortcut(app, 'Right')
            _, (stamp, _) = app.wait_for(submitted(lambda a: True), start=mark, what='next seed')
            _, (_, error) = app.wait_for(rendered(stamp), start=mark, what='its render')
            assert (error is not None and error.startswith('Out of memory: out of memory (injected fault render:oom@3')) == expected_error, error
        mark = app.mark()
        shortcut(app, 's')
        _, path = app.wait_for(lambda line: line.startswith('CAPTURED kind=image ') and json.loads(line.split('path=', 1)[1]),
            start=mark, what='the capture')
        assert listing(captures) == ['image-00001.png']

        # Random input.
        rng = random.Random(SEED + 15)
        fuzz = Input(app, rng)
        deadline = time.monotonic() + SECONDS
        mark = app.mark()
        click(app, *centre(bring_into_view(app, 'Equivariance/Compute EQ metrics##eqmetrics')))  # A command runs during the input.
        app.wait_for(lambda line: line.startswith('SUBMITTED') or 'eqmetrics' in line, start=mark, what='the command to start')
        networks = ['Network/sg3-r', 'Network/sg2', 'Network/sg3-t']
        next_switch = time.monotonic() + SECONDS / 4
        while time.monotonic() < deadline:
            if time.monotonic() > next_switch:                    # A network loads while the input goes on.
                fuzz.now(networks[len(fuzz.events) % len(networks)])
                next_switch += SECONDS / 4
            fuzz.burst()
            assert app.proc.poll() is None, f'the app exited ({app.proc.returncode}) after: {fuzz.events[-12:]}\n' + '\n'.join(app.stderr[-30:])
        assert not tracebacks(app), '\n'.join(app.stderr[-40:]) + f'\nafter: {fuzz.events[-12:]}'

        # Still alive and rendering: a fresh request gets its result.
        xdo('key', 'Escape')
        xdo('key', 'Escape')
        time.sleep(0.3)
        mark = app.mark()
        shortcut(app, 'Right')
        _, (stamp, args) = app.wait_for(submitted(lambda a: True), start=mark, timeout=60, what='a fresh request after the fuzzing')
        _, (_, error) = app.wait_for(rendered(stamp), start=mark, timeout=120, what='its render')
        assert error is None or not re.match(r'^\w+(Error|Exception|Fault):', error), error
        commands = [line.split()[2] + ' ' + line.split()[3] for line in app.lines if line.startswith('COMMAND ')]
        kinds = sorted({event.split(' at ')[0] for event in fuzz.events})
        loads = [event for event in fuzz.events if event.startswith('click Network/')]
        print(f'xdotool {fuzz.busy:.1f} s; network clicks {loads}; {len(fuzz.events)} input events in {SECONDS:g} s ({len(kinds)} kinds); commands finished: {commands}; '
            f'{sum(1 for line in app.lines if line.startswith("SUBMITTED "))} requests; '
            f'{sum(1 for line in app.lines if line.startswith("RENDERED ") and "error=null" not in line)} renders with an error; '
            f'last render error: {error}')
        quit_cleanly(app)
    finally:
        app.close()
