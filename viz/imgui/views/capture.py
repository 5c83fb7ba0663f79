"""Capture section: the capture folder (exports go there too) and the "save image" / "save window" buttons."""

from __future__ import annotations

import imgui

from gui_utils import imgui_utils
from viz.core.controllers.capture import folder_problem
from viz.imgui.views.base import DIM_RGBA, ERROR_RGBA, WARNING_RGBA, Ui, label, message


class CaptureView:
    title = 'Capture'

    def draw(self, core, ui: Ui) -> None:
        folder = core.capture.state.folder
        label(ui, 'Folder')
        with imgui_utils.item_width(-1):
            changed, text = imgui.input_text('##folder', folder)
        if changed:
            core.act('capture', 'set', folder=text)
        problem = folder_problem(core.capture.state.folder)
        if problem:
            message(problem, WARNING_RGBA)
        with imgui_utils.grayed_out(problem is not None, problem):
            if imgui.button('Save image'):
                core.act('app', 'capture_image')
            imgui_utils.tooltip('Save the generated image at the generator\'s resolution as a numbered PNG (S)')
            imgui.same_line()
            if imgui.button('Save window'):
                core.act('app', 'capture_window')
            imgui_utils.tooltip('Save the whole window as a numbered PNG (Shift+S)')
        note = core.visible_message()                           # "Saved ..." goes after a few seconds.
        if note is not None and note.about == 'capture':
            message(note.text, ERROR_RGBA if note.error else DIM_RGBA)
