"""`python -m viz render` and `python -m viz seed-loop` (issue 11): headless (no toolkit imported, no display), a
progress bar, the same pixels as the app's own "Render video" of the same timeline (a ViewCore with the real worker),
and clear errors for bad input."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import av
import numpy as np
import pytest


REPO = pathlib.Path(__file__).resolve().parents[2]
HEADLESS = '''
import json, sys
from viz.__main__ import main
code = main(sys.argv[1:])
toolkits = sorted(m for m in sys.modules if m.split('.')[0] in {'imgui', 'glfw', 'OpenGL', 'tkinter', 'pyopengltk', 'gui_utils'})
print('TOOLKITS ' + json.dumps(toolkits))
sys.exit(code)
'''

APP = """
import json, pathlib, sys, time
from viz.core.view_core import ViewCore
from viz.render.renderer import Renderer
from viz.render.threads import leave_a_core_for_the_gui
from viz.render.worker import RenderWorker
leave_a_core_for_the_gui()
timeline, folder = sys.argv[1], pathlib.Path(sys.argv[2])
core = ViewCore(RenderWorker(Renderer()), config_dir=folder / 'config', capture_dir=str(folder / 'app'))
assert core.act('app', 'load_timeline', timeline), core.message
deadline = time.monotonic() + 120
while (core.result is None or core.render_pending()) and time.monotonic() < deadline:
    core.update(0.0)
    time.sleep(0.01)
assert core.result is not None and core.result.error is None, core.result
core.act('app', 'render_video', format='mkv', fps=8)
while (core.command_status('video') is None or not core.command_status('video').finished) and time.monotonic() < deadline:
    core.update(0.0)
    time.sleep(0.01)
status = core.command_status('video')
core.close()
print(json.dumps({'state': status.state, 'path': status.path, 'error': status.error}))
"""


def viz(cwd: pathlib.Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ('DISPLAY', 'WAYLAND_DISPLAY')}
    env.update(PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, '-c', HEADLESS, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def frames_of(path: pathlib.Path) -> tuple[list[np.ndarray], object]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return [f.to_ndarray(format='rgb24') for f in container.decode(stream)], stream.average_rate


def test_render_makes_the_apps_video_headlessly(tmp_path):
    made = viz(tmp_path, 'seed-loop', '3,7', '--seconds', '0.25', '-o', 'loop.json')
    assert made.returncode == 0, made.stderr
    data = json.loads((tmp_path / 'loop.json').read_text())
    assert data['loop'] and [k['controllers']['latent']['x'] for k in data['keyframes']] == [3.0, 7.0]
    data['keyframes'][0]['controllers']['performance'] = {'device': 'cpu'}
    (tmp_path / 'loop.json').write_text(json.dumps(data))

    done = viz(tmp_path, 'render', 'loop.json', '-o', 'cli.mkv', '--fps', '8')
    assert done.returncode == 0, done.stderr
    assert 'TOOLKITS []' in done.stdout and 'cli.mkv: 4 frames 256x256' in done.stdout
    assert '4/4 frames' in done.stderr and 'left' in done.stderr                # The progress bar.
    assert json.loads((tmp_path / 'cli.mkv.json').read_text())['keyframes'][0]['controllers']['performance'] == {'device': 'cpu'}
    cli, rate = frames_of(tmp_path / 'cli.mkv')
    assert len(cli) == 4 and rate == 8

    # The app: the same timeline loaded into a view core with the real worker as visualizer.py makes it, rendered by
    # its command (in a fresh process: torch's CPU results depend on the thread count it started with).
    app_run = subprocess.run([sys.executable, '-c', APP, str(tmp_path / 'loop.json'), str(tmp_path)], cwd=REPO, capture_output=True,
        text=True, timeout=300, env={**os.environ, 'PYTHONPATH': str(REPO)})
    assert app_run.returncode == 0, app_run.stdout + app_run.stderr
    status = json.loads(app_run.stdout.splitlines()[-1])
    assert status['state'] == 'done', status
    app, _rate = frames_of(pathlib.Path(status['path']))
    assert len(app) == 4 and all(np.array_equal(a, b) for a, b in zip(app, cli))

    # Nothing is overwritten; the numbered default name.
    again = viz(tmp_path, 'render', 'loop.json', '-o', 'cli.mkv', '--fps', '8', '--quiet')
    assert again.returncode == 1 and 'cli.mkv exists; nothing is overwritten' in again.stderr
    numbered = viz(tmp_path, 'render', 'loop.json', '--fps', '4', '--format', 'gif', '--quiet')
    assert numbered.returncode == 0, numbered.stderr
    assert (tmp_path / 'video-00001.gif').is_file() and (tmp_path / 'video-00001.gif.json').is_file() and numbered.stderr == ''


@pytest.mark.parametrize('args, message', [
    (('render', 'missing.json'), "cannot read timeline file 'missing.json'"),
    (('render', 'bad.json'), "timeline file 'bad.json': unknown entry \"colour\""),
    (('render', 'empty.json'), 'has no keyframes'),
    (('render', 'good.json', '--fps', '0'), 'fps = 0'),
    (('seed-loop', '1,x', '-o', 'l.json'), "seeds '1,x'"),
    (('seed-loop', '1,2', '--seconds', '-1', '-o', 'l.json'), 'seconds = -1.0'),
])
def test_bad_input_is_named(tmp_path, args, message):
    (tmp_path / 'bad.json').write_text(json.dumps({'format': 'sg3-viz-timeline', 'version': 1, 'colour': 1}))
    (tmp_path / 'empty.json').write_text(json.dumps({'format': 'sg3-viz-timeline', 'version': 1}))
    (tmp_path / 'good.json').write_text(json.dumps({'format': 'sg3-viz-timeline', 'version': 1, 'keyframes': [{'time': 0}]}))
    done = viz(tmp_path, *args)
    assert done.returncode == 2 and message in done.stderr, done.stderr


def test_a_bad_output_name_is_refused_before_rendering_a_video(tmp_path):
    (tmp_path / 'good.json').write_text(json.dumps({'format': 'sg3-viz-timeline', 'version': 1,
        'keyframes': [{'time': 0, 'controllers': {'performance': {'device': 'cpu'}}}]}))
    done = viz(tmp_path, 'render', 'good.json', '-o', 'a.gif', '--format', 'mp4', '--quiet')
    assert done.returncode == 1 and 'ending in .mp4' in done.stderr and sorted(p.name for p in tmp_path.iterdir()) == ['good.json']
