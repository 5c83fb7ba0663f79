"""Network section: path / URL / built-in entry, the file browser (Open...) and the desktop's file dialog, the built-in
demos, the recent networks, NVIDIA's published networks, the key inside the file, load errors and a description of
the loaded network."""

from __future__ import annotations

import os

import imgui

from gui_utils import imgui_utils
from viz.core import native_dialog, published
from viz.core.controllers.network import BUILTINS, source_problem
from viz.core.texts import (KEY_HELP, OPEN_HELP, PUBLISHED_HELP, PUBLISHED_PLACEHOLDER, RECENT_PLACEHOLDER, SOURCE_HELP,
    SYSTEM_DIALOG_HELP, UNTRAINED_HELP, UNTRAINED_LABEL, network_status, published_help)
from viz.imgui.browser import BrowserPopup, key_pressed
from viz.imgui.views.base import DIM_RGBA, TONE_RGBA, WARNING_RGBA, message


def pick(label: str, placeholder: str, items: list[tuple[str, str, str | None]]) -> str | None:
    """A drop-down of (value, text, tooltip) rows; the value picked this frame, or None. Escape closes it unpicked."""
    picked = None
    if imgui.begin_combo(label, placeholder, imgui.COMBO_HEIGHT_LARGE):
        if key_pressed(imgui.KEY_ESCAPE, False):
            imgui.close_current_popup()
        else:
            for value, text, tip in items:
                if imgui.selectable(text)[0]:
                    picked = value
                if tip:
                    imgui_utils.tooltip(tip)
        imgui.end_combo()
    return picked


class NetworkView:
    title = 'Network'

    def __init__(self) -> None:
        self._edit: str | None = None           # Text in the entry, committed with Enter or Load.
        self._shown_source: str | None = None   # The source the entry text was taken from.
        self.browser = BrowserPopup()
        self.dialog = native_dialog.NativeDialog()
        self._dialog_tool = native_dialog.available()   # Looked up once: PATH does not change while the app runs.
        self._dialog_note: str | None = None

    def draw(self, core, ui) -> None:
        st = core.network.state
        fs = ui.font_size
        if self._shown_source != st.source:
            self._edit, self._shown_source = st.source, st.source
        with imgui_utils.item_width(-fs * 4):
            entered, self._edit = imgui.input_text('##source', self._edit, flags=imgui.INPUT_TEXT_ENTER_RETURNS_TRUE)
        imgui_utils.tooltip(SOURCE_HELP)
        imgui.same_line()
        if imgui.button('Load', width=-1) or entered:
            core.act('network', 'load', self._edit)
        problem = source_problem(st.source)
        if problem:
            message(problem, WARNING_RGBA)
        self._draw_open(core)
        self._draw_lists(core)
        with imgui_utils.item_width(fs * 8):
            entered, key = imgui.input_text('Key##network', st.key or '', flags=imgui.INPUT_TEXT_ENTER_RETURNS_TRUE)
        imgui_utils.tooltip(KEY_HELP)
        if entered:
            core.act('network', 'set_key', key)
        self._draw_status(core)
        self.browser.draw(core, fs)

    def _draw_open(self, core) -> None:
        """Open... (the browser), System dialog... (where there is one), and the built-in demos."""
        if imgui.button('Open...'):
            self.browser.open()
        imgui_utils.tooltip(OPEN_HELP)
        if self._dialog_tool is not None:
            imgui.same_line()
            with imgui_utils.grayed_out(self.dialog.running, 'The system file dialog is open'):
                if imgui.button('System dialog...'):
                    self._dialog_note = self.dialog.start(self.browser.model.folder(core))
            imgui_utils.tooltip(SYSTEM_DIALOG_HELP)
        outcome = self.dialog.poll()
        if outcome is not None:
            chosen, self._dialog_note = outcome
            if chosen:
                core.act('network', 'set_browse_dir', os.path.dirname(chosen))
                core.act('app', 'open', chosen)
        if self._dialog_note:
            message(self._dialog_note, WARNING_RGBA)
        for idx, name in enumerate(BUILTINS):
            if idx:
                imgui.same_line()
            if imgui.button(name.split(':', 1)[1]):
                core.act('network', 'load', name)
            imgui_utils.tooltip(f'Load the built-in demo network {name}. {UNTRAINED_HELP}')
        imgui.same_line()
        imgui.text_colored(UNTRAINED_LABEL, *DIM_RGBA)
        imgui_utils.tooltip(UNTRAINED_HELP)

    @staticmethod
    def _draw_lists(core) -> None:
        """The recent networks and NVIDIA's published ones: a pick loads it (a published one is downloaded first)."""
        st = core.network.state
        recent = [(s, s, None) for s in core.settings.recent if s != st.source]
        with imgui_utils.grayed_out(not recent, 'No other networks loaded yet'), imgui_utils.item_width(-1):
            picked = pick('##recent', RECENT_PLACEHOLDER, recent)
        nets = [(net.url, f'{net.label}##{net.name}', published_help(net)) for net in published.published_networks()]
        with imgui_utils.item_width(-1):
            picked = pick('##published', PUBLISHED_PLACEHOLDER, nets) or picked
        imgui_utils.tooltip(PUBLISHED_HELP)
        if picked:
            core.act('network', 'load', picked)

    @staticmethod
    def _draw_status(core) -> None:
        for text, tone in network_status(core):
            if tone == 'plain':
                imgui.text(text)
            else:
                message(text, TONE_RGBA[tone])
