"""End-to-end: a translation drag in the real program on a network slow enough to watch (128 px, about a third of a
second per render on one thread) shows the last image moved at once, tagged "preview", then the exact image."""

import json
import pathlib
import time

import numpy as np
import pytest

from tests.viz.imgui.e2e import (drag, expected_image, last_request, parse_view, quit_cleanly, rendered, start, submitted,
    wait_shows, window_pixels, xdo)
from viz.imgui.overlays import PREVIEW_COLOR
from viz.render.renderer import Renderer


@pytest.fixture(scope='module')
def slow_network(tmp_path_factory) -> str:
    import torch
    from sg3 import checkpoint, networks_stylegan3
    torch.manual_seed(3)
    G = networks_stylegan3.Generator(z_dim=8, c_dim=0, w_dim=8, img_resolution=128, img_channels=3, channel_base=8192,
        channel_max=128, num_layers=8)
    with torch.no_grad():
        getattr(G.synthesis, G.synthesis.layer_names[-1]).weight.mul_(20)          # Contrast on screen.
    path = tmp_path_factory.mktemp('slow') / 'slow.safetensors'
    checkpoint.save_network(G, str(path))
    return str(path)


def test_a_translation_drag_shows_the_preview_then_the_exact_image(xdisplay, xdotool, slow_network, tmp_path):
    frame_log = tmp_path / 'frames.jsonl'
    app = start(tmp_path, slow_network, '--frame-log', str(frame_log))
    amber = np.array([round(c * 255) for c in PREVIEW_COLOR[:3]])

    def tag_pixels() -> int:
        _rect, clip, _zoom = app.last_view()
        corner = window_pixels(app, xdisplay)[clip[1] + clip[3] - 40:clip[1] + clip[3], clip[0] + clip[2] - 160:clip[0] + clip[2]]
        return int((np.abs(corner.astype(int) - amber).max(axis=2) < 40).sum())

    try:
        _, (stamp, first) = app.wait_for(submitted(lambda a: a.network.source == slow_network), what='first request')
        index, _ = app.wait_for(rendered(stamp), what='first render')
        app.wait_for(parse_view, start=index, what='the first image drawn')
        renderer = Renderer()
        wait_shows(app, xdisplay, expected_image(renderer, first))
        assert tag_pixels() == 0

        # Right-drag in the image and hold: the image moves at once, tagged "preview".
        _rect, clip, _zoom = app.last_view()
        x, y = clip[0] + clip[2] // 2, clip[1] + clip[3] // 2
        mark = app.mark()
        drag(app, [(x + 12 * step, y + 4 * step) for step in range(4)], button=3, release=False)
        deadline = time.monotonic() + 10
        while tag_pixels() < 15:
            assert time.monotonic() < deadline, 'no "preview" tag while the translation renders'
        stamp, moved = last_request(app, mark)
        assert moved.transform.x > 0 and moved.transform.y > 0 and moved.latent == first.latent

        # Release: the exact render of the last position replaces the preview; the tag goes.
        xdo('mouseup', 3)
        app.wait_for(rendered(stamp), start=mark, what='the exact render')
        wait_shows(app, xdisplay, expected_image(renderer, moved))
        assert tag_pixels() == 0
        quit_cleanly(app)
    finally:
        app.close()
    frames = [json.loads(line) for line in pathlib.Path(frame_log).read_text().splitlines()]
    previews = [i for i, f in enumerate(frames) if f['preview']]
    assert previews and not frames[-1]['preview'] and frames[-1]['shown'] == stamp
    assert all(frames[i]['shown'] < stamp for i in previews)                  # Only older images are drawn moved.
