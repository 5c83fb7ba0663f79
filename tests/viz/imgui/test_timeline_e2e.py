"""End-to-end: keyframes added in the real window render a video of the right length (the app under Xvfb)."""

import json
import pathlib

import av

from tests.viz.imgui.e2e import bring_into_view, centre, click, finished_command, quit_cleanly, rendered, shortcut, start, submitted


def test_two_keyframes_render_a_video_with_the_right_frame_count(xdisplay, xdotool, tiny_network, tmp_path):
    app = start(tmp_path, tiny_network)
    try:
        _, (stamp, _args) = app.wait_for(submitted(lambda a: a.network.source == tiny_network), what='first request')
        app.wait_for(rendered(stamp), what='first render')
        # Collapse the sections above the timeline's (bring_into_view), then open it.
        mark = app.mark()
        click(app, *centre(bring_into_view(app, 'Timeline & video/Timeline & video')))
        add = 'Timeline & video/Add current view##timeline'
        click(app, *centre(app.wait_item(add, start=mark)))
        app.wait_item(' 1', start=mark, what='the first keyframe in the list')
        mark = app.mark()
        shortcut(app, 'Right')                  # Seed 1.
        app.wait_for(submitted(lambda a: a.latent.x == 1.0), start=mark, what='seed 1')
        click(app, *centre(app.item(add)))
        app.wait_item(' 2', start=mark, what='the second keyframe in the list')
        button = app.wait_item('Timeline & video/Render video##video', start=mark)
        assert button[3] < 800, button
        mark = app.mark()
        click(app, *centre(button))
        _, status = app.wait_for(finished_command('video'), start=mark, timeout=300, what='the video')
        assert status['state'] == 'done', status
        path = pathlib.Path(status['path'])
        assert path.parent == tmp_path / 'captures' and path.suffix == '.mp4'
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            frames = sum(1 for _ in container.decode(stream))
            assert frames == 2 * 30 + 1 and stream.average_rate == 30     # Keyframes at 0 s and 2 s, the end frame included.
        timeline = json.loads(pathlib.Path(str(path) + '.json').read_text())
        assert [key['controllers'].get('latent', {}).get('x', 0.0) for key in timeline['keyframes']] == [0.0, 1.0]  # Defaults are left out.
        quit_cleanly(app)
    finally:
        app.close()
