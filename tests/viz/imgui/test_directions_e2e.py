"""End-to-end: a direction slider moved in the real window (the app under Xvfb) shows the renderer's image of w + s * d."""

from tests.viz.imgui.e2e import (bring_into_view, centre, click, drag, expected_image, last_request, quit_cleanly, rendered, start,
    submitted, wait_shows)
from viz.render.renderer import Renderer


def test_sefa_slider_shows_the_edited_image(xdisplay, xdotool, tiny_network, tmp_path, monkeypatch):
    monkeypatch.setenv('SG3_DIRECTIONS_CACHE', str(tmp_path / 'cache'))
    renderer = Renderer()
    app = start(tmp_path, tiny_network)
    try:
        _, (stamp, _args) = app.wait_for(submitted(lambda a: a.network.source == tiny_network), what='first request')
        app.wait_for(rendered(stamp), what='first render')
        mark = app.mark()
        click(app, *centre(bring_into_view(app, 'Directions/Directions')))
        click(app, *centre(app.wait_item('Directions/SeFa##basis', start=mark)))
        slider = app.wait_item('Directions/##s0/##slider', start=mark, what='the first direction slider')
        mark = app.mark()
        x, y = centre(slider)
        drag(app, [(x, y), (x + 40, y)])
        _, (stamp, args) = app.wait_for(submitted(lambda a: a.directions.strengths and a.directions.strengths[0] > 0.3),
            start=mark, what='a request with a strength')
        stamp, args = last_request(app, mark)
        assert args.directions.basis == 'sefa' and args.directions.strengths[0] > 0.3
        plain = expected_image(renderer, args.__class__(**{**args.__dict__, 'directions': args.directions.__class__()}))
        edited = expected_image(renderer, args)
        assert (edited != plain).any()
        wait_shows(app, xdisplay, edited)
        quit_cleanly(app)
    finally:
        app.close()
