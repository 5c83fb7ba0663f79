"""Axis ticks and marker placement against simple oracles (hand-made lists, brute force over the 1-2-5 steps)."""

import math

import pytest

from viz.core import plot_axes


@pytest.mark.parametrize('low, high, count, expected', [
    (0, 8, 4, [0, 2, 4, 6, 8]),
    (0, 11.3, 5, [0, 2, 4, 6, 8, 10]),
    (-8, 8, 4, [-5, 0, 5]),
    (-16, 16, 4, [-10, 0, 10]),
    (0, 0.7, 4, [0, 0.2, 0.4, 0.6]),
    (-40, 20, 5, [-40, -30, -20, -10, 0, 10, 20]),
    (0, 1024, 5, [0, 200, 400, 600, 800, 1000]),
])
def test_nice_ticks_by_hand(low, high, count, expected):
    assert plot_axes.nice_ticks(low, high, count) == pytest.approx(expected)


@pytest.mark.parametrize('span', [0.013, 0.7, 1, 3.3, 16, 47, 100, 999, 2.5e4])
def test_nice_step_is_the_one_two_five_step_nearest_the_count(span):
    count = 5
    candidates = [f * 10.0 ** e for e in range(-4, 7) for f in (1, 2, 5)]
    best = min(candidates, key=lambda step: (abs(span / step - count), step))
    assert plot_axes.nice_step(span, count) == pytest.approx(best)
    ticks = plot_axes.nice_ticks(-span / 2, span / 2, count)
    assert all(-span / 2 <= t <= span / 2 for t in ticks) and len(ticks) >= 2


def test_tick_labels_have_the_decimals_the_step_needs():
    assert [plot_axes.tick_label(v, 2) for v in (-4, -0.0, 6)] == ['-4', '0', '6']
    assert [plot_axes.tick_label(v, 0.2) for v in (0.2, 0.4, 1.0)] == ['0.2', '0.4', '1.0']
    assert plot_axes.tick_label(0.25, 0.25) == '0.25' and plot_axes.tick_label(-0.05, 0.05) == '-0.05'


def test_markers_inside_go_to_their_place_outside_to_the_nearer_edge_with_their_value():
    assert plot_axes.place(4, 0, 8, 'f_c') == plot_axes.Placed(0.5, 'f_c', True)
    assert plot_axes.place(8, -8, 8, 's/2') == plot_axes.Placed(1.0, 's/2', True)          # On the edge: inside.
    assert plot_axes.place(12.5, -8, 8, 'f_t') == plot_axes.Placed(1.0, 'f_t 12.5 >', False)
    assert plot_axes.place(-9.25, -8, 8, 'f_t') == plot_axes.Placed(0.0, '< f_t -9.25', False)
    for bad in ((0, 0), (1, 0), (0, math.nan)):
        with pytest.raises(ValueError, match='expected low < high'):
            plot_axes.place(1, *bad, 'x')
    with pytest.raises(ValueError, match='expected a finite positive span'):
        plot_axes.nice_step(0)
