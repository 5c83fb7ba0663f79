"""Axes for plots a front end draws itself: round tick values, their labels, and markers placed along an axis
(those outside the drawn range pinned to its nearer end with their value). Plain maths, no toolkit."""

from __future__ import annotations

import dataclasses
import math


def nice_step(span: float, count: int = 5) -> float:
    """The 1, 2 or 5 times a power of ten that cuts `span` into the number of parts nearest to `count`."""
    if not (math.isfinite(span) and span > 0) or count < 1:
        raise ValueError(f'tick span {span!r} and count {count!r}: expected a finite positive span and a count of at least 1')
    power = 10.0 ** math.floor(math.log10(span / count))
    return min((factor * power for factor in (1, 2, 5, 10)), key=lambda step: abs(span / step - count))


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Multiples of nice_step(high - low, count) inside [low, high], ascending."""
    step = nice_step(high - low, count)
    first = math.ceil(low / step - 1e-9)
    last = math.floor(high / step + 1e-9)
    return [round(k * step, 12) + 0.0 for k in range(first, last + 1)]


def tick_label(value: float, step: float) -> str:
    """A tick's text with as many decimals as the step needs: 2.5 -> '2.5', 20 -> '20', -0.0 -> '0'."""
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) if step < 1 else 0
    if decimals and abs(round(step * 10 ** decimals) - step * 10 ** decimals) > 1e-6:
        decimals += 1
    text = f'{value:.{decimals}f}'
    return '0' if float(text) == 0 else text


@dataclasses.dataclass(frozen=True)
class Placed:
    fraction: float                             # Where along the axis, 0 = low end, 1 = high end.
    text: str                                   # The label to write there.
    inside: bool                                # False: the value lies outside [low, high] and is pinned to an end.


def place(value: float, low: float, high: float, label: str, digits: int = 4) -> Placed:
    """Where a marker of `value` goes on an axis from `low` to `high`: inside, at its place with `label`; outside, at the
    nearer end with its value and an arrow pointing where it lies ('f_t 12.5 >' past the high end)."""
    if not high > low:
        raise ValueError(f'axis range {low!r} .. {high!r}: expected low < high')
    fraction = (value - low) / (high - low)
    if -1e-6 <= fraction <= 1.0 + 1e-6:         # Float32 ends (181.019 for 128 sqrt(2)) count as inside.
        return Placed(min(max(fraction, 0.0), 1.0), label, True)
    if fraction > 1.0:
        return Placed(1.0, f'{label} {value:.{digits}g} >', False)
    return Placed(0.0, f'< {label} {value:.{digits}g}', False)
