"""What every view shares: the per-frame UI facts, colours and small drawing helpers.

A view draws one section of the control pane from the view core's state and turns clicks into
`core.act(...)` calls; it never changes state itself and never imports torch."""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Callable

import imgui
import numpy as np

from gui_utils import imgui_utils
from viz.core.texts import command_text
from viz.protocol import CommandStatus

ERROR_RGBA = (1.0, 0.4, 0.35, 1.0)
WARNING_RGBA = (1.0, 0.8, 0.3, 1.0)
DIM_RGBA = (0.65, 0.65, 0.65, 1.0)
TONE_RGBA = {'plain': (1.0, 1.0, 1.0, 1.0), 'dim': DIM_RGBA, 'warning': WARNING_RGBA, 'error': ERROR_RGBA}  # viz.core.texts' tones.
INT32_LIMIT = (1 << 31) - 1                     # imgui's integer fields hold int32.


@dataclasses.dataclass(frozen=True)
class Ui:
    font_size: float = 13.0                     # Layout unit in pixels; views derive sizes from it.
    gui_frame_times: tuple[float, ...] = ()     # Recent GUI frame times in seconds, oldest first.
    image_text: str | None = None               # 'Image 256x256, zoom 2x (fit)' once an image is shown.
    emit: Callable[[str], None] | None = None   # Where views report text they draw themselves (LABEL lines).

    @property
    def label_width(self) -> float:
        """Width of the label column."""
        return self.font_size * 6.5


def shown_network(core: Any):
    """The network of the newest result, else (after a failed load or device change) that of the image still shown."""
    shown = core.shown_result
    return core.facts.network or (shown.network if shown is not None else None)


def message(text: str, rgba: tuple[float, float, float, float] = ERROR_RGBA) -> None:
    """Wrapped coloured text, for inline errors and notes."""
    with imgui_utils.style_color(imgui.COLOR_TEXT, rgba):
        imgui.text_wrapped(text)


def label(ui: Ui, text: str) -> None:
    """A row label in the label column; the control follows on the same line."""
    imgui.text(text)
    imgui.same_line(ui.label_width)


def finite(changed: bool, *values: float) -> bool:
    """Did a float field change to finite values?"""
    return changed and all(math.isfinite(v) for v in values)


def float2_edit(old: tuple[float, float], new: tuple[float, float]) -> tuple[float, float]:
    """The values of a two-number field after an edit: imgui hands back both as float32, so the half the user
    did not touch keeps its exact old value."""
    return tuple(o if np.float32(o) == np.float32(n) else float(n) for o, n in zip(old, new))  # type: ignore[return-value]


def input_int(label_text: str, value: int, low: int, high: int, width: float, step: int = 1, step_fast: int = 100) -> tuple[bool, int]:
    """An integer field clamped to [low, high]."""
    with imgui_utils.item_width(width):
        changed, new = imgui.input_int(label_text, int(min(max(value, low), INT32_LIMIT)), step, step_fast)
    return changed, int(min(max(new, low), high))


def checkbox(core: Any, target: str, field: str, label_text: str) -> None:
    """A checkbox showing a boolean state field of controller `target`; a click sets it."""
    clicked, on = imgui.checkbox(label_text, getattr(core.controllers[target].state, field))
    if clicked:
        core.act(target, 'set', **{field: on})


def radio(core: Any, target: str, field: str, options: dict[str, str], suffix: str) -> None:
    """Radio buttons on one line for a choice field of controller `target` ({value: label})."""
    current = getattr(core.controllers[target].state, field)
    for idx, (value, text) in enumerate(options.items()):
        if idx:
            imgui.same_line()
        if imgui.radio_button(f'{text}##{suffix}', current == value) and current != value:
            core.act(target, 'set', **{field: value})


def combo(label_text: str, current: str, options: dict[str, str]) -> str | None:
    """A drop-down of {value: label}; returns the value picked this frame, or None."""
    picked = None
    if imgui.begin_combo(label_text, options.get(current, current)):
        for value, text in options.items():
            if imgui.selectable(f'{text}{label_text}', value == current)[0]:
                picked = value
        imgui.end_combo()
    return picked


def draw_command(status: CommandStatus | None) -> None:
    """Progress bar, time left and state line of a background command, in a row kept even when there is none
    (so the controls below do not move when the bar comes or goes)."""
    top = imgui.get_cursor_pos_y()
    shown = command_text(status)
    if shown is not None:
        text, tone, progress = shown
        if progress is not None:
            imgui.progress_bar(progress, (-1, 0), text)
        else:
            message(text, TONE_RGBA[tone])
    imgui_utils.keep_height(top, imgui.get_frame_height_with_spacing())


def command_button(core: Any, kind: str, label_text: str, action: str, *args: Any) -> None:
    """"Start" button of a command, which becomes "Cancel" while that command is queued or running."""
    status = core.command_status(kind)
    if status is not None and not status.finished:
        if imgui.button(f'Cancel##{kind}'):
            core.act('app', 'cancel', kind)
    elif imgui.button(label_text):
        core.act('app', action, *args)
