"""End-to-end: a direction slider moved in the real window (the app under Xvfb) shows the renderer's image of w + s * d."""

import dataclasses
import time

from tests.viz.imgui.e2e import centre, expected_image, last_request, quit_cleanly, rendered, start, submitted, wait_shows, xdo
from viz.protocol import DirectionsArgs
from viz.render.renderer import Renderer

HOLD = 0.3                                      # Seconds a button is held: a GUI frame on a busy machine can take longer than 50 ms.


def press(app, x, y, to=None):
    """Move to (x, y), press, optionally move to `to`, release; each step held long enough for a slow frame to see it."""
    xdo('mousemove', '--window', app.wid, int(x), int(y))
    time.sleep(HOLD)
    xdo('mousedown', 1)
    time.sleep(HOLD)
    if to is not None:
        for f in (0.25, 0.5, 0.75, 1.0):
            xdo('mousemove', '--window', app.wid, int(x + (to[0] - x) * f), int(y + (to[1] - y) * f))
        time.sleep(HOLD)
    xdo('mouseup', 1)


def test_sefa_slider_shows_the_edited_image(xdisplay, xdotool, tiny_network, tmp_path, monkeypatch):
    monkeypatch.setenv('SG3_DIRECTIONS_CACHE', str(tmp_path / 'cache'))
    renderer = Renderer()
    app = start(tmp_path, tiny_network)
    try:
        _, (stamp, _args) = app.wait_for(submitted(lambda a: a.network.source == tiny_network), what='first request')
        app.wait_for(rendered(stamp), what='first render')
        time.sleep(0.5)                         # The pane settles once the first result's texts are in.
        mark = app.mark()
        press(app, *centre(app.item('Latent/Latent')))       # Collapse the latent section: room for the sliders.
        app.wait_item('Directions/SeFa##basis', start=mark, what='the directions section moved up')
        time.sleep(0.3)
        mark = app.mark()
        press(app, *centre(app.item('Directions/SeFa##basis')))
        _, (stamp, _args) = app.wait_for(submitted(lambda a: a.directions.basis == 'sefa'), start=mark, what='the SeFa request')
        slider = app.wait_item('Directions/##s0/##slider', start=mark, what='the first direction slider')
        assert slider[3] < 790, slider
        time.sleep(0.3)
        mark = app.mark()
        x, y = centre(slider)
        press(app, x, y, to=(x + 40, y))
        app.wait_for(submitted(lambda a: a.directions.strengths and a.directions.strengths[0] > 0.3), start=mark,
            what='a request with a strength')
        time.sleep(0.3)
        stamp, args = last_request(app, mark)
        assert args.directions.basis == 'sefa' and args.directions.strengths[0] > 0.3
        edited = expected_image(renderer, args)
        assert (edited != expected_image(renderer, dataclasses.replace(args, directions=DirectionsArgs()))).any()
        wait_shows(app, xdisplay, edited)
        quit_cleanly(app)
    finally:
        app.close()
