"""End-to-end: the equivariance heatmap in the real app under Xvfb. Turn it on with a click, drag the input
translation in the image with the right mouse button, and check that the PSNR shown changes to the
renderer's number and that the window shows the renderer's error heatmap. Uses the app harness of
test_app_e2e (subprocess with --log --log-items, xdotool input, pixels read back from the X server)."""

import json
import time

import numpy as np
import pytest

from tests.viz.imgui.test_app_e2e import (centre, click, drag, park_mouse, rendered, shown_image, start, submitted, tiny_network,  # noqa: F401
    xdo)
from viz.render import pictures as analysis_pictures
from viz.render.renderer import Renderer
from viz.imgui.widgets.equivariance import format_psnr

EQ_MODE = 'EquivarianceWidget/EQ-T frac##eqmode'


def item_rect(app, label, start=0):
    """Latest rectangle of the control named `label` in the log from line `start` on, or None."""
    rect = None
    for line in app.lines[start:]:
        if line.startswith('ITEM '):
            item = json.loads(line[5:])
            if item['label'] == label:
                rect = item['rect']
    return rect


def shown_psnr(app, start=0):
    """The PSNR text of the latest '##psnr' control drawn (its label carries the number)."""
    labels = [json.loads(line[5:])['label'] for line in app.lines[start:] if line.startswith('ITEM ')]
    labels = [label for label in labels if label.endswith('##psnr')]
    return labels[-1].split('/')[-1].split('##')[0] if labels else None


def wait_psnr(app, start, not_equal=None, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = shown_psnr(app, start)
        if text is not None and text != not_equal:
            return text
        time.sleep(0.05)
    raise AssertionError(f'no new PSNR shown (last {shown_psnr(app)!r})')


def bring_into_view(app, label, height=800):
    """Collapse the headers above the control until it is well inside the window."""
    for header in ('network/Network', 'latent/Latent', 'mix/Style mixing', 'TruncNoiseWidget/Truncation & noise'):
        rect = item_rect(app, label)
        if rect is not None and rect[3] < height * 0.7:
            return rect
        header_rect = item_rect(app, header)
        if header_rect is None or header_rect[3] > height:
            continue
        mark = len(app.lines)
        click(app, *centre(header_rect))
        app.wait_for(lambda line: line.startswith('ITEM ') and json.loads(line[5:])['label'] == label, start=mark,
            what=f'{label} moved')
    rect = item_rect(app, label)
    assert rect is not None and rect[3] < height, f'{label} is not visible: {rect}'
    return rect


def test_heatmap_drag_changes_psnr_and_shows_the_renderer_error_map(xdisplay, xdotool, tiny_network, tmp_path):
    renderer = Renderer()
    app = start(tmp_path, tiny_network)
    try:
        _, (stamp, _args) = app.wait_for(submitted(lambda a: a.network.source == tiny_network), what='first request')
        app.wait_for(rendered(stamp), what='first render')

        # Turn the heatmap on (fractional translation).
        rect = bring_into_view(app, EQ_MODE)
        mark = len(app.lines)
        click(app, *centre(rect))
        _, (stamp, args) = app.wait_for(submitted(lambda a: a.analysis.eq_mode == 'eqt_frac'), start=mark, what='heatmap request')
        _, (_, error) = app.wait_for(rendered(stamp), start=mark, what='heatmap render')
        assert error is None
        before = wait_psnr(app, mark)
        expected = renderer.render(args)
        assert before == f'PSNR {format_psnr(expected.analysis.equivariance.psnr)}'

        # Drag the translation: right button in the image area.
        _rect, clip, zoom = app.last_view()
        x0, y0 = clip[0] + clip[2] // 2, clip[1] + clip[3] // 2
        mark = len(app.lines)
        drag(app, [(x0 + 9 * step, y0 + 4 * step) for step in range(6)], button=3)
        app.wait_for(submitted(lambda a: a.analysis.eq_mode == 'eqt_frac' and a.transform.x > 0), start=mark, what='drag request')
        time.sleep(0.3)
        requests = [r for r in (submitted(lambda a: True)(line) for line in app.lines[mark:]) if r]
        stamp, args = requests[-1]
        _, (_, error) = app.wait_for(rendered(stamp), start=mark, what='render after the drag')
        assert error is None and args.transform.x > 0 and args.transform.y > 0

        # The PSNR shown changed, to the renderer's number for this request.
        expected = renderer.render(args)
        view = expected.analysis.equivariance
        # The content follows the mouse: 45 screen pixels right = 45 / zoom pixels of one panel.
        assert args.transform.x == pytest.approx(45 / zoom / expected.image_resolution, rel=0.2)
        after = wait_psnr(app, mark, not_equal=before)
        assert after == f'PSNR {format_psnr(view.psnr)}' and after != before

        # The window shows the renderer's picture; its error panel is the colour-mapped error map.
        park_mouse(app)
        deadline = time.monotonic() + 10
        while True:
            shown = shown_image(app, xdisplay)
            ok = shown.shape == expected.image.shape and np.abs(shown.astype(int) - expected.image.astype(int)).max() <= 2
            if ok or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert shown.shape == expected.image.shape
        p = next(p for p in view.panels if p.name == 'error')
        heat = shown[p.y:p.y + p.height, p.x:p.x + p.width].astype(int)
        oracle = analysis_pictures.error_heatmap(view.error_map, view.mask, view.scale_max).astype(int)
        assert np.abs(heat - oracle).max() <= 2, 'the heatmap in the window differs from the renderer\'s error map'
        assert len(np.unique(oracle.reshape(-1, 3), axis=0)) > 20      # A real heatmap, not a flat panel.

        xdo('key', 'ctrl+q')
        assert app.proc.wait(15) == 0
        assert not any('Traceback' in line for line in app.stderr), '\n'.join(app.stderr)
    finally:
        app.close()
