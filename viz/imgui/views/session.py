"""View and Session sections: zoom and filter of the image; saving and loading session files."""

from __future__ import annotations

import imgui

from gui_utils import imgui_utils
from viz.imgui.views.base import DIM_RGBA, ERROR_RGBA, Ui, message


class ViewView:
    title = 'View'

    def draw(self, core, ui: Ui) -> None:
        if ui.image_text:
            imgui.text(ui.image_text)
        if imgui.button('Fit (F)'):
            core.act('app', 'zoom_fit')
        imgui.same_line()
        if imgui.button('1:1 (1)'):
            core.act('app', 'zoom_1')
        imgui.same_line()
        clicked, smooth = imgui.checkbox('Smooth scaling', core.view.filter == 'linear')
        if clicked:
            core.act('app', 'set_filter', 'linear' if smooth else 'nearest')


class SessionView:
    title = 'Session'

    def draw(self, core, ui: Ui) -> None:
        with imgui_utils.item_width(-ui.font_size * 4):
            changed, path = imgui.input_text('File##session', core.session_path, 1024)
        if changed:
            core.act('app', 'set_session_path', path)
        if imgui.button('Save session'):
            core.act('app', 'save_session')
        imgui.same_line()
        if imgui.button('Load session'):
            core.act('app', 'load_session')
        note = core.message
        if note is not None and note.about == 'session':
            message(note.text, ERROR_RGBA if note.error else DIM_RGBA)
