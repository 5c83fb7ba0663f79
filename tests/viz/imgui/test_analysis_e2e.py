"""End-to-end: the analysis sections in the real app under Xvfb (harness in e2e.py). The equivariance heatmap:
turn it on with a click, drag the input translation in the image with the right mouse button, and check that
the PSNR shown changes to the renderer's number and that the window shows the renderer's error heatmap. The
background commands: "Compute EQ metrics" gives the numbers of `python -m sg3 equivariance` for the same
network, seed and count; "Average over K seeds" finishes and the averaged spectrum is rendered; a command
cancelled midway (its button turns into Cancel) reports 'cancelled' with the part done."""

import json
import re
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from PIL import Image

from sg3.equivariance import LABELS
from tests.viz.imgui.e2e import (REPO, bring_into_view, capture_image, centre, click, drag, finished_command, last_request,
    park_mouse, parse_view, quit_cleanly, rendered, shortcut, shown_image, start, submitted, type_into, window_pixels, xdo)
from viz.protocol import SpectrumAverageCommand
from viz.render import pictures
from viz.render.renderer import Renderer
from viz.imgui.views.equivariance import format_psnr

EQ_MODE = 'Equivariance/EQ-T frac##eqmode'
COMPUTE = 'Equivariance/Compute EQ metrics##eqmetrics'
AVERAGE = 'Spectrum/Average over K seeds##spectrumaverage'


def shown_psnr(app, start=0):
    """The PSNR text of the latest '##psnr' control drawn (its label carries the number)."""
    labels = [json.loads(line[5:])['label'] for line in app.lines[start:] if line.startswith('ITEM ')]
    labels = [label.removeprefix('Equivariance/') for label in labels if label.endswith('##psnr')]
    return labels[-1].split('##')[0] if labels else None


def wait_psnr(app, start, not_equal=None, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = shown_psnr(app, start)
        if text is not None and text != not_equal:
            return text
        time.sleep(0.05)
    raise AssertionError(f'no new PSNR shown (last {shown_psnr(app)!r})')


def start_rendered(tmp_path, network):
    """The app on `network`, once its first image is rendered."""
    app = start(tmp_path, network)
    try:
        _, (stamp, _args) = app.wait_for(submitted(lambda a: a.network.source == network), what='first request')
        _, (_, error) = app.wait_for(rendered(stamp), what='first render')
        assert error is None
    except BaseException:
        app.close()
        raise
    return app


def run_command(app, field, count, button, kind):
    """Type `count` into the command's field and press its button; wait until it finishes: (log index, COMMAND fields)."""
    bring_into_view(app, button)
    mark = app.mark()
    type_into(app, field, str(count), fx=0.25)
    click(app, *centre(app.item(button)))
    return app.wait_for(finished_command(kind), start=mark, what=f'the {kind} command to finish')


def cli_metrics(network, num, seed, tmp_path):
    """The PSNRs of `python -m sg3 equivariance` (by kind: 'eqt', 'eqt_frac', 'eqr')."""
    out = tmp_path / 'cli-metrics.json'
    done = subprocess.run([sys.executable, '-m', 'sg3', 'equivariance', '--network', network, '--num', str(num), '--seed', str(seed),
        '--device', 'cpu', '--json', str(out)], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    by_label = json.loads(out.read_text())['psnr']
    return {kind: by_label[label] for kind, label in LABELS.items()}


def test_heatmap_drag_changes_psnr_and_shows_the_renderer_error_map(xdisplay, xdotool, tiny_network, tmp_path):
    renderer = Renderer()
    app = start_rendered(tmp_path, tiny_network)
    try:
        # Turn the heatmap on (fractional translation).
        rect = bring_into_view(app, EQ_MODE)
        mark = app.mark()
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
        mark = app.mark()
        drag(app, [(x0 + 9 * step, y0 + 4 * step) for step in range(6)], button=3)
        app.wait_for(submitted(lambda a: a.analysis.eq_mode == 'eqt_frac' and a.transform.x > 0), start=mark, what='drag request')
        time.sleep(0.3)
        stamp, args = last_request(app, mark)
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
        deadline = time.monotonic() + 20
        while True:
            shown = shown_image(app, xdisplay)
            ok = shown.shape == expected.image.shape and np.abs(shown.astype(int) - expected.image.astype(int)).max() <= 2
            if ok or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert shown.shape == expected.image.shape
        p = next(p for p in view.panels if p.name == 'error')
        heat = shown[p.y:p.y + p.height, p.x:p.x + p.width].astype(int)
        oracle = pictures.error_heatmap(view.error_map, view.mask, view.scale_max).astype(int)
        assert np.abs(heat - oracle).max() <= 2, 'the heatmap in the window differs from the renderer\'s error map'
        assert len(np.unique(oracle.reshape(-1, 3), axis=0)) > 20      # A real heatmap, not a flat panel.
        quit_cleanly(app)
    finally:
        app.close()


def labels(app, start=0) -> dict:
    """{key: (text, rect)} of the newest LABEL line of each key (text the app writes over the picture) from `start` on."""
    found = {}
    for line in app.lines[start:]:
        m = re.match(r'LABEL key=(".*?") text=(".*?") rect=(\[.*\])$', line)
        if m:
            found[json.loads(m.group(1))] = (json.loads(m.group(2)), json.loads(m.group(3)))
    return found


def ink_height(pixels, rect) -> int:
    """Rows of light text inside `rect` (x0, y0, x1, y1, window coordinates) of the window's pixels."""
    x0, y0, x1, y1 = (int(round(v)) for v in rect)
    rows = np.nonzero((pixels[y0:y1, x0:x1].min(axis=2) > 150).any(axis=1))[0]
    return int(rows[-1] - rows[0] + 1) if rows.size else 0


def zoomed_labels(app, display, zoom, keys):
    """Wait until the image is drawn at `zoom` and the labels `keys` are placed for it; {key: (text, rect, ink height)}."""
    app.wait_for(lambda line: (view := parse_view(line)) is not None and view[2] == zoom, what=f'zoom {zoom}')
    park_mouse(app)
    time.sleep(0.3)
    found = labels(app)
    pixels = window_pixels(app, display)
    return {key: (*found[key], ink_height(pixels, found[key][1])) for key in keys}


def labels_at_1x_and_3x(app, display, keys):
    """The labels `keys` at zoom 1:1 and, two wheel steps in over the middle of the image, at 3x (as zoomed_labels)."""
    shortcut(app, '1')
    at1 = zoomed_labels(app, display, 1, keys)
    _rect, clip, _zoom = app.last_view()
    xdo('mousemove', '--window', app.wid, clip[0] + clip[2] // 2, clip[1] + clip[3] // 2)
    xdo('click', 4)
    xdo('click', 4)
    return at1, zoomed_labels(app, display, 3, keys)


def test_heatmap_titles_and_colour_bar_numbers_are_ui_text_of_one_size_at_any_zoom(xdisplay, xdotool, tiny_network, tmp_path):
    app = start_rendered(tmp_path, tiny_network)
    keys = ('title:reference', 'title:generated', 'title:error', 'colorbar:top', 'colorbar:bottom')
    try:
        click(app, *centre(bring_into_view(app, EQ_MODE)))
        app.wait_for(lambda line: line.startswith('LABEL key="colorbar:top"'), what='the colour bar numbers')
        at1, at3 = labels_at_1x_and_3x(app, xdisplay, keys)
        assert [at3[key][0] for key in keys] == ['Reference', 'Generated', 'Squared error', at1['colorbar:top'][0], '0']
        assert float(at1['colorbar:top'][0]) > 0
        assert [at1[key][0] for key in keys[:3]] == ['Ref.', 'Gen.', 'Sq. error']   # A 64 px panel at 1x: the short titles.
        for key in keys:
            (text1, rect1, ink1), (text3, rect3, ink3) = at1[key], at3[key]
            assert rect1[3] - rect1[1] == rect3[3] - rect3[1], key             # One line of the UI font at any zoom.
            assert 5 <= ink1 <= rect1[3] - rect1[1] and 5 <= ink3 <= rect3[3] - rect3[1], key
            if text1 == text3:                                                  # The colour bar's numbers.
                assert rect1[2] - rect1[0] == rect3[2] - rect3[0] and ink1 == ink3, f'{key}: text {ink1} px high at 1x, {ink3} px at 3x'
        # The titles sit above their panels, which spread apart three times as far at 3x.
        middle = lambda found, key: (found[key][1][0] + found[key][1][2]) / 2
        span1 = middle(at1, 'title:error') - middle(at1, 'title:reference')
        span3 = middle(at3, 'title:error') - middle(at3, 'title:reference')
        assert span3 == pytest.approx(3 * span1, abs=3)
        quit_cleanly(app)
    finally:
        app.close()


def test_eq_metrics_equal_the_command_line_and_cancel_midway(xdisplay, xdotool, tiny_network, tmp_path):
    expected = cli_metrics(tiny_network, 4, 0, tmp_path)
    app = start_rendered(tmp_path, tiny_network)
    try:
        # A small sample count, typed into its field; then the button.
        _, status = run_command(app, 'Equivariance/##eqsamples', 4, COMPUTE, 'metrics')
        assert (status['state'], status['done'], status['total'], status['error']) == ('done', 4, 4, None)
        assert set(status['psnr']) == set(expected)
        for kind, value in expected.items():
            assert status['psnr'][kind] == pytest.approx(value, abs=1e-3), kind

        # Many samples: the button turns into Cancel (drawn where Compute was); cancelled midway, the part done
        # is reported with its PSNRs.
        mark = app.mark()
        type_into(app, 'Equivariance/##eqsamples', '100000', fx=0.25)
        compute = app.item(COMPUTE)
        click(app, *centre(compute))
        time.sleep(3.0)                                                     # Let it do a few samples.
        cancel = app.item('Equivariance/Cancel##metrics')                   # Known once drawn (it was, for the 4 samples).
        click(app, *centre(cancel or compute, fx=0.5 if cancel else 0.1))
        _, status = app.wait_for(finished_command('metrics'), start=mark, what='the cancelled command')
        assert status['state'] == 'cancelled' and status['total'] == 100000 and 0 < status['done'] < 100000
        assert set(status['psnr']) == set(expected)
        quit_cleanly(app)
    finally:
        app.close()


def test_spectrum_average_over_k_seeds_finishes_and_is_shown(xdisplay, xdotool, tiny_network, tmp_path):
    app = start_rendered(tmp_path, tiny_network)
    try:
        index, status = run_command(app, 'Spectrum/seeds##spectrumk', 5, AVERAGE, 'average')
        assert (status['state'], status['done'], status['total'], status['error'], status['psnr']) == ('done', 5, 5, None, {})

        # The view is requested again, now with the average of those 5 seeds to show.
        _, (stamp, args) = app.wait_for(submitted(lambda a: True), start=index, what='the request after the average')
        assert args.analysis.spectrum and args.analysis.spectrum_average and args.analysis.average_seeds == 5
        _, (_, error) = app.wait_for(rendered(stamp), start=index, what='the render of the average')
        assert error is None

        # It is the renderer's picture of the 5-seed average: the image capture (S) equals it.
        renderer = Renderer()
        job = renderer.start_command(SpectrumAverageCommand(seeds=5), args, threading.Event())
        while not job.step(threading.Event()).finished:
            pass
        expected = renderer.render(args)
        assert expected.analysis.spectrum.count == 5
        captured = np.asarray(Image.open(capture_image(app)).convert('RGB')).astype(int)
        assert captured.shape == expected.image.shape and np.abs(captured - expected.image.astype(int)).max() <= 2
        quit_cleanly(app)
    finally:
        app.close()


def test_spectrum_axes_legend_and_profile_plot_axes_are_ui_text_of_one_size_at_any_zoom(xdisplay, xdotool, tiny_network, tmp_path):
    app = start_rendered(tmp_path, tiny_network)
    try:
        click(app, *centre(bring_into_view(app, 'Spectrum/Show spectrum##spectrum')))
        app.wait_for(lambda line: line.startswith('LABEL key="legend:nyquist"'), what='the spectrum legend')
        app.wait_for(lambda line: line.startswith('LABEL key="Radial mean:x:'), what='the profile plots\' ticks')
        found = labels(app)
        # The heatmap: ticks in cycles per image on both axes, the axis title, the legend; the profile plots: ticks of
        # frequency and dB (the top one with its unit) and the design markers.
        ticks = sorted(float(key[2:]) for key in found if key.startswith('x:') and key != 'x:title')
        assert len(ticks) >= 3 and 0.0 in ticks and all(f'y:{value:g}' in found for value in ticks)
        assert found['x:title'][0] == 'cycles per image'
        assert found['legend:nyquist'][0].startswith('s/2 ') and found['legend:nyquist'][0].endswith('(dotted)')
        for plot in ('Radial mean', '0 deg slice', '45 deg slice'):
            assert sum(key.startswith(f'{plot}:x:') for key in found) >= 3, plot
            assert any(key.startswith(f'{plot}:y:') and text.endswith(' dB') for key, (text, _) in found.items()), plot
        keys = ('x:0', 'y:0', f'x:{ticks[-1]:g}', 'x:title', 'legend:nyquist')
        at1, at3 = labels_at_1x_and_3x(app, xdisplay, keys)
        _rect, clip, _zoom = app.last_view()
        for key in keys:
            (text1, rect1, ink1), (text3, rect3, ink3) = at1[key], at3[key]
            assert text1 == text3 and rect1[2:] != rect3[2:], key                   # The same text, moved with the picture.
            assert (rect1[2] - rect1[0], rect1[3] - rect1[1]) == (rect3[2] - rect3[0], rect3[3] - rect3[1]), key
            if 0 <= rect3[1] and rect3[3] <= clip[1] + clip[3]:                     # Inside the window at 3x too: the same ink.
                assert 5 <= ink1 == ink3 <= rect1[3] - rect1[1], f'{key}: text {ink1} px high at 1x, {ink3} px at 3x'
        middle = lambda found, key: (found[key][1][0] + found[key][1][2]) / 2
        span1 = middle(at1, f'x:{ticks[-1]:g}') - middle(at1, 'x:0')
        span3 = middle(at3, f'x:{ticks[-1]:g}') - middle(at3, 'x:0')
        assert span1 > 0 and span3 == pytest.approx(3 * span1, abs=3)
        quit_cleanly(app)
    finally:
        app.close()
