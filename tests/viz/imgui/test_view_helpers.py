"""Small helpers of the views that need no imgui context."""

import numpy as np

from viz.imgui.views.base import float2_edit


def test_editing_one_half_of_a_two_number_field_keeps_the_other_exact():
    old = (0.0769230769, 0.1234567891)
    typed = (float(np.float32(old[0])), 0.25)      # imgui hands back both halves as float32.
    assert float2_edit(old, typed) == (0.0769230769, 0.25)
    assert float2_edit(old, (2.0, float(np.float32(old[1])))) == (2.0, 0.1234567891)
