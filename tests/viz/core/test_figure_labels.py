"""Where the analysis pictures' text and the profile plots' axes go (viz.core.figure_labels), against hand-worked
expectations: tick fractions of round values, markers inside at their place and beyond the range pinned to the edge
with their value, short titles where a panel is narrower than its title, the legend laid out by measured widths."""

import math

import numpy as np
import pytest

from viz.core import figure_labels
from viz.protocol import EquivarianceView, ImagePanel, SpectrumView


def spectrum(cutoff=4.0, stopband=10.0, nyquist=8.0, size=17, upscale=2) -> SpectrumView:
    freqs = np.linspace(0.0, nyquist, 9, dtype=np.float32)
    return SpectrumView(layer='L1', source='this latent', count=1, channel=None, beta=8.0, db_range=(-40.0, 20.0), sampling_rate=2 * nyquist,
        cutoff=cutoff, stopband=stopband, nyquist=nyquist, radial_filter=False, db=np.zeros((size, size), np.float32), upscale=upscale,
        radial_freqs=freqs * math.sqrt(2), radial_db=np.zeros(9, np.float32), slice0_freqs=freqs, slice0_db=np.zeros(9, np.float32),
        slice45_freqs=freqs * math.sqrt(2), slice45_db=np.zeros(9, np.float32))


def test_a_profile_plot_has_round_ticks_and_pins_markers_beyond_its_range_to_the_edge_with_their_value():
    view = spectrum()
    axes = figure_labels.profile_axes(view, view.slice0_freqs, 1.0)            # 0 .. 8 cycles per image.
    assert axes.x_ticks == ((0.0, '0'), (0.25, '2'), (0.5, '4'), (0.75, '6'), (1.0, '8'))
    assert axes.y_ticks == ((0.0, '-40'), (1 / 3, '-20'), (2 / 3, '0'), (1.0, '20 dB'))
    markers = {m.key: (m.fraction, m.text, m.inside) for m in axes.markers}
    assert markers == {'cutoff': (0.5, 'f_c', True), 'stopband': (1.0, 'f_t 10 >', False), 'nyquist': (1.0, 's/2', True)}


def test_the_45_degree_slice_of_a_square_band_limit_meets_the_markers_at_sqrt2_times_them():
    view = spectrum(stopband=6.0)
    axes = figure_labels.profile_axes(view, view.slice45_freqs, math.sqrt(2))  # 0 .. 8 sqrt(2).
    markers = {m.key: m.fraction for m in axes.markers}
    assert markers['cutoff'] == pytest.approx(0.5) and markers['stopband'] == pytest.approx(0.75)
    assert markers['nyquist'] == pytest.approx(1 / math.sqrt(2))              # Nyquist is a radius, not scaled.
    at_the_end = figure_labels.profile_axes(spectrum(cutoff=8.0 * (1 + 1e-7)), view.slice0_freqs, 1.0)   # Float32 rounding.
    assert [(m.fraction, m.inside) for m in at_the_end.markers if m.key == 'cutoff'] == [(1.0, True)]
    below = figure_labels.profile_axes(spectrum(cutoff=-1.0), view.slice0_freqs, 1.0)
    assert [(m.fraction, m.text, m.inside) for m in below.markers if m.key == 'cutoff'] == [(0.0, '< f_c -1', False)]


def test_heatmap_titles_shorten_where_the_panel_is_narrower_and_the_colour_bar_gets_its_ends():
    panels = (ImagePanel('reference', 0, 0, 64, 64), ImagePanel('generated', 64, 0, 64, 64), ImagePanel('error', 128, 0, 64, 64),
        ImagePanel('colorbar', 196, 0, 8, 64))
    view = EquivarianceView(mode='eqt', translate=(0.1, 0), angle_deg=0, psnr=30.0, mse=1e-3, error_max=0.5, scale_max=0.0125,
        error_map=np.zeros((64, 64), np.float32), mask=np.ones((64, 64), bool), panels=panels)
    measure = lambda text: 8.0 * len(text)                                      # A monospace font of 8 px.
    at1 = {label.key: label for label in figure_labels.heatmap_labels(view, 1.0, measure)}
    at3 = {label.key: label for label in figure_labels.heatmap_labels(view, 3.0, measure)}
    assert [at1[f'title:{n}'].text for n in ('reference', 'generated', 'error')] == ['Ref.', 'Gen.', 'Sq. error']   # 72, 72, 104 px > 64.
    assert [at3[f'title:{n}'].text for n in ('reference', 'generated', 'error')] == ['Reference', 'Generated', 'Squared error']
    assert at1['title:generated'].at == (96.0, 0) and at1['title:generated'].anchor == (0.5, 1.0)
    assert (at1['colorbar:top'].text, at1['colorbar:top'].at) == ('0.0125', (204, 0))
    assert (at1['colorbar:bottom'].text, at1['colorbar:bottom'].at, at1['colorbar:bottom'].anchor) == ('0', (204, 64), (0.0, 1.0))
    assert [figure_labels.format_scale(v) for v in (0, 0.25, 1.234e-3, 250.0)] == ['0', '0.25', '1.2e-3', '2.5e2']


def test_spectrum_axes_ticks_legend_and_pins():
    view = spectrum(stopband=10.0)                  # 17 x 17 bins upscaled 2x: DC at pixel 17, 2 pixels per cycle per image.
    labels, marks = figure_labels.spectrum_labels(view, lambda text: 10.0 * len(text), font_size=10.0)
    by_key = {label.key: label for label in labels}
    assert {k for k in by_key if k.startswith('x:') and k != 'x:title'} == {'x:-5', 'x:0', 'x:5'}   # Steps of 5 over -8 .. 8.
    assert [by_key[f'x:{v:g}'].at for v in (-5, 0, 5)] == [(7.0, 34.0), (17.0, 34.0), (27.0, 34.0)]
    assert [(by_key[f'y:{v:g}'].at, by_key[f'y:{v:g}'].text) for v in (-5, 5)] == [((0.0, 7.0), '-5'), ((0.0, 27.0), '5')]
    assert sum(mark.kind == 'tick' for mark in marks) == 6
    legend = [by_key[f'legend:{f}'] for f in ('cutoff', 'stopband', 'nyquist')]
    assert [label.text for label in legend] == ['f_c 4 (solid)', 'f_t 10 (dashed)', 's/2 8 (dotted)']
    assert [label.offset[0] for label in legend] == [0.0, 14.0, 30.0]           # Each after the one before and a gap of one font size.
    assert by_key['edge:stopband'].text == 'f_t 10 >' and by_key['edge:stopband'].at == (34.0, 34.0)
    assert [(mark.kind, mark.at) for mark in marks if mark.kind == 'pin'] == [('pin', (34.0, 34.0))]
    assert figure_labels.margins(None) == (0.0, 0.0, 0.0, 0.0)
