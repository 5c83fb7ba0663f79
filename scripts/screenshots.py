"""Retake the README's screenshots from the real app (imgui and Tk) under a private Xvfb, at 1280x800.

    .venv/bin/python scripts/screenshots.py            # writes docs/screenshot.png, heatmap.png, spectrum.png, screenshot-tk.png

Each shot starts the app as a user would (visualizer.py on builtin:sg3-t, the pane's first-start sections), opens a
session for the view it shows, waits for the render and a few quiet frames, and reads the window back from the X
server. Files are written under a temporary name and renamed when complete.
"""

from __future__ import annotations

import json
import os
import pathlib
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / 'benchmarks')]

from PIL import Image                                      # noqa: E402

from bench_gui_frame_time import start_xvfb                # noqa: E402
from tests.viz.imgui import e2e                            # noqa: E402
from viz.core import settings                              # noqa: E402

SHOTS = (                                                  # File, front end, session controllers (None: the default view).
    ('screenshot.png', 'imgui', None),
    ('heatmap.png', 'imgui', {'analysis': {'eq_mode': 'eqt_frac'}, 'transform': {'x': 0.1, 'angle_deg': 5.0}}),
    ('spectrum.png', 'imgui', {'analysis': {'spectrum': True}}),
    ('screenshot-tk.png', 'tk', None),
)


def shoot(name: str, ui: str, controllers: dict | None, display: str, work: pathlib.Path) -> None:
    folder = work / name.split('.')[0]
    (folder / 'config').mkdir(parents=True)
    (folder / 'config' / settings.SETTINGS_FILE).write_text(json.dumps(settings.Settings().to_dict()))  # A first start.
    args = ['builtin:sg3-t', '--ui', ui]
    if controllers is not None:
        session = folder / 'view.json'
        session.write_text(json.dumps({'format': 'sg3-viz-session', 'version': 2, 'controllers': controllers, 'view': {}}))
        args += ['--session', str(session)]
    app = e2e.start(folder, *args)
    try:
        app.wait_for(e2e.rendered(1), what='the first render')
        e2e.park_mouse(app)
        time.sleep(3.0)                                    # The render of the final request, then quiet frames.
        out = REPO / 'docs' / name
        tmp = out.with_name(out.name + '.tmp.png')
        Image.fromarray(e2e.window_pixels(app, display)).save(tmp)
        os.replace(tmp, out)
        print(f'wrote {out.relative_to(REPO)}')
    finally:
        app.close()


def main() -> None:
    xvfb, display = start_xvfb()
    os.environ['DISPLAY'] = display
    try:
        with tempfile.TemporaryDirectory() as work:
            for name, ui, controllers in SHOTS:
                shoot(name, ui, controllers, display, pathlib.Path(work))
    finally:
        xvfb.terminate()


if __name__ == '__main__':
    main()
