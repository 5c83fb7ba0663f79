"""Network section: path / URL / built-in entry, recent list, a browsable folder, load errors and a
description of the loaded network."""

from __future__ import annotations

import os

import imgui

from gui_utils import imgui_utils
from viz.core.controllers.network import BUILTINS, list_networks, source_problem
from viz.core.texts import KEY_HELP, SOURCE_HELP, network_status
from viz.imgui.views.base import DIM_RGBA, TONE_RGBA, WARNING_RGBA, Ui, message


class NetworkView:
    title = 'Network'

    def __init__(self) -> None:
        self._edit: str | None = None           # Text in the entry, committed with Enter or Load.
        self._shown_source: str | None = None   # The source the entry text was taken from.
        self._listing: tuple[str, list[str], str | None] | None = None  # (folder, files, note) cache.

    def draw(self, core, ui: Ui) -> None:
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

        # Built-ins and recent networks.
        for idx, name in enumerate(BUILTINS):
            if idx:
                imgui.same_line()
            if imgui.button(name.split(':', 1)[1]):
                core.act('network', 'load', name)
            imgui_utils.tooltip(f'Load the built-in demo network {name}')
        recent = [s for s in core.settings.recent if s != st.source]
        with imgui_utils.grayed_out(not recent, 'No other networks loaded yet'), imgui_utils.item_width(-1):
            if imgui.begin_combo('##recent', 'Recent networks...'):
                for source in recent:
                    if imgui.selectable(source)[0]:
                        core.act('network', 'load', source)
                imgui.end_combo()
        with imgui_utils.item_width(fs * 8):
            entered, key = imgui.input_text('Key##network', st.key or '', flags=imgui.INPUT_TEXT_ENTER_RETURNS_TRUE)
        imgui_utils.tooltip(KEY_HELP)
        if entered:
            core.act('network', 'set_key', key)
        self._draw_browser(core, fs)
        self._draw_status(core)

    def _draw_browser(self, core, fs: float) -> None:
        if not imgui.tree_node('Browse folder'):
            return
        folder = core.network.state.browse_dir
        with imgui_utils.item_width(-fs * 4.5):
            changed, text = imgui.input_text('##browse', folder)
        if changed:
            core.act('network', 'set_browse_dir', text)
        imgui.same_line()
        refresh = imgui.button('Refresh', width=-1)
        folder = core.network.state.browse_dir
        if refresh or self._listing is None or self._listing[0] != folder:
            self._listing = (folder, *list_networks(folder))
        _folder, files, note = self._listing
        if note:
            message(note, DIM_RGBA)
        for path in files:
            if imgui.selectable(os.path.basename(path), path == core.network.state.source)[0]:
                core.act('network', 'load', path)
        imgui.tree_pop()

    @staticmethod
    def _draw_status(core) -> None:
        for text, tone in network_status(core):
            if tone == 'plain':
                imgui.text(text)
            else:
                message(text, TONE_RGBA[tone])
