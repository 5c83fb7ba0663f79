"""The view core without a window reproduces what the window showed: a session with the latent animation on
runs in the real app (Xvfb), which saves captures (each PNG carries its request); a script that imports no
toolkit loads the same session into a ViewCore with the real render worker, steps the animation 30 frames to
each captured state and renders it. The images must be identical."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np
from PIL import Image

from tests.viz.imgui.e2e import REPO, capture_image, start
from viz.core.view_core import ARGS_KEY
from viz.protocol import RenderArgs

FRAMES = 30
SPEED = 0.5                                     # Seeds per second of the animation.
X0 = 3.0

HEADLESS = r'''
import json, sys, pathlib, time
import numpy as np
import torch
torch.set_num_threads(1)
from viz.core.view_core import ViewCore
from viz.render.renderer import Renderer
from viz.render.worker import RenderWorker
session, targets, frames, out = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
images, xs = [], []
for target in targets:
    core = ViewCore(RenderWorker(Renderer()), config_dir=pathlib.Path(out).parent / 'headless-config')
    assert core.load_session(session), core.message
    x0, speed = core.controllers['latent'].state.x, core.controllers['latent'].state.speed
    for _ in range(frames):
        core.update((target - x0) / speed / frames)
    deadline = time.monotonic() + 120
    while core.render_pending() and time.monotonic() < deadline:
        time.sleep(0.01)
        core.poll()
    images.append(core.shown_image)
    xs.append(core.result.args.latent.x)
    core.close()
np.savez(out, images=np.stack(images), xs=np.array(xs))
toolkits = sorted(m for m in sys.modules if m.split('.')[0] in {'imgui', 'glfw', 'OpenGL', 'tkinter', 'pyopengltk'})
print(json.dumps(toolkits))
'''


def test_headless_core_renders_what_the_window_showed(xdisplay, xdotool, tiny_network, tmp_path):
    session = tmp_path / 'anim.json'
    session.write_text(json.dumps({'format': 'sg3-viz-session', 'version': 2, 'controllers': {
        'network': {'source': tiny_network}, 'latent': {'x': X0, 'anim': True, 'speed': SPEED}, 'performance': {'device': 'cpu'}}}))
    app = start(tmp_path, '--session', str(session))
    captures = []
    try:
        for _ in range(3):
            time.sleep(0.8)
            captures.append(capture_image(app))
    finally:
        app.close()
    shown, targets = [], []
    for path in captures:
        with Image.open(path) as im:
            shown.append(np.asarray(im.convert('RGB')))
            args = RenderArgs.from_dict(json.loads(im.text[ARGS_KEY]))
        assert args.network.source == tiny_network
        targets.append(args.latent.x)
    assert len(set(targets)) == 3 and all(x > X0 for x in targets), targets  # The animation ran between the captures.

    out = tmp_path / 'headless.npz'
    done = subprocess.run([sys.executable, '-c', HEADLESS, str(session), json.dumps(targets), str(FRAMES), str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []   # No toolkit was imported.
    headless = np.load(out)
    assert np.allclose(headless['xs'], targets, rtol=0, atol=1e-9)
    for index, image in enumerate(shown):
        assert np.array_equal(headless['images'][index], image), f'capture {index}: max diff {np.abs(headless["images"][index].astype(int) - image).max()}'
