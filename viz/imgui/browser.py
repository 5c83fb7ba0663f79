"""The file browser as an imgui modal popup, opened from the network section: a path field (type a path, Enter), Up,
Refresh, recent folders, the listing (click a folder to enter it, a file to open it; arrows and Enter do the same),
Open and Cancel; Escape closes it. The state is viz.core.browser's; opening goes through `core.act`."""

from __future__ import annotations

import imgui

from gui_utils import imgui_utils
from viz.core import browser as browser_mod
from viz.imgui.views.base import DIM_RGBA, WARNING_RGBA, message

TITLE = 'Open a network, session or timeline'


def key_pressed(key: int, repeat: bool = True) -> bool:
    """Was imgui's named key (imgui.KEY_...) pressed this frame?"""
    return imgui.is_key_pressed(imgui.get_key_index(key), repeat)


class BrowserPopup:
    def __init__(self) -> None:
        self.model = browser_mod.FileBrowser()
        self._open_now = False
        self._focus_path = False
        self._scroll_to_selected = False

    def open(self) -> None:
        """Show the popup from the next draw on."""
        self._open_now = True

    def draw(self, core, font_size: float) -> None:
        if self._open_now:
            imgui.open_popup(TITLE)
            self._open_now, self._focus_path = False, True
            self.model.sync(core, force=True)
        width, height = imgui.get_io().display_size
        imgui.set_next_window_size(min(font_size * 44, width * 0.9), min(font_size * 34, height * 0.9), imgui.APPEARING)
        imgui.set_next_window_position(width / 2, height / 2, imgui.APPEARING, 0.5, 0.5)
        if not imgui.begin_popup_modal(TITLE)[0]:
            return
        model = self.model
        model.sync(core)
        done, entered = self._draw_path(core)
        self._draw_tools(core)
        note = model.note or model.listing.note
        if note:
            message(note, WARNING_RGBA if model.note else DIM_RGBA)
        done = self._draw_entries(core, font_size) or done
        done = self._draw_keys(core, entered) or done
        if imgui.button('Open##browser', width=font_size * 6):
            done = model.activate(core) or done
        imgui.same_line()
        if imgui.button('Cancel##browser', width=font_size * 6) or key_pressed(imgui.KEY_ESCAPE, False):
            done = True
        if done:
            imgui.close_current_popup()
        imgui.end_popup()

    def _draw_path(self, core) -> tuple[bool, bool]:
        """The path field: Enter on a changed path goes there (or opens the file); on the folder itself, enters or opens
        the selection. Returns (a file was opened, Enter was pressed here)."""
        model = self.model
        if self._focus_path:
            imgui.set_keyboard_focus_here()
            self._focus_path = False
        with imgui_utils.item_width(-1):
            entered, model.typed = imgui.input_text('##browser_path', model.typed, flags=imgui.INPUT_TEXT_ENTER_RETURNS_TRUE)
        imgui_utils.tooltip('A folder or file; relative to the folder shown. Enter: go there, or open the file')
        if not entered:
            return False, False
        if model.typed.strip() == model.listing.folder:
            return model.activate(core), True
        return model.submit(core, model.typed), True

    def _draw_tools(self, core) -> None:
        model = self.model
        parent = any(e.kind == 'parent' for e in model.entries)
        with imgui_utils.grayed_out(not parent, 'This is the top folder'):
            if imgui.button('Up##browser'):
                model.up(core)
        imgui.same_line()
        if imgui.button('Refresh##browser'):
            model.sync(core, force=True)
        imgui.same_line()
        folders = [f for f in browser_mod.recent_folders(core) if f != model.listing.folder]
        with imgui_utils.grayed_out(not folders, 'No files opened from other folders yet'), imgui_utils.item_width(-1):
            if imgui.begin_combo('##browser_recent', 'Recent folders...'):
                if key_pressed(imgui.KEY_ESCAPE, False):
                    imgui.close_current_popup()
                else:
                    for folder in folders:
                        if imgui.selectable(f'{folder}##recent_folder')[0]:
                            core.act('network', 'set_browse_dir', folder)
                imgui.end_combo()

    def _draw_entries(self, core, font_size: float) -> bool:
        """The listing in a scrolled child; a click enters a folder or opens a file (True)."""
        model = self.model
        opened = False
        footer = imgui.get_frame_height_with_spacing() + imgui.get_style().item_spacing.y
        imgui.begin_child('##browser_entries', 0, -footer, border=True)
        tag_x = imgui.get_content_region_available_width() - font_size * 9
        for index, entry in enumerate(model.entries):
            if imgui.selectable(f'{entry.label}##entry', index == model.selected)[0]:
                opened = model.activate(core, index) or opened
            if index == model.selected and self._scroll_to_selected:
                imgui.set_scroll_here_y()
            tag = browser_mod.KIND_TAGS[entry.kind]
            if tag:
                imgui.same_line(max(tag_x, font_size * 12))
                imgui.text_colored(tag, *DIM_RGBA)
        self._scroll_to_selected = False
        imgui.end_child()
        return opened

    def _draw_keys(self, core, entered: bool) -> bool:
        """Arrows move the selection (also while the path field has the keyboard: it is one line); outside the path
        field, Enter enters or opens the selection and Backspace goes up."""
        model = self.model
        for key, delta in ((imgui.KEY_UP_ARROW, -1), (imgui.KEY_DOWN_ARROW, 1), (imgui.KEY_PAGE_UP, -10), (imgui.KEY_PAGE_DOWN, 10)):
            if key_pressed(key):
                model.move(delta)
                self._scroll_to_selected = True
        if entered or imgui.is_any_item_active():
            return False
        if key_pressed(imgui.KEY_ENTER, False):
            return model.activate(core)
        if key_pressed(imgui.KEY_BACKSPACE, False):
            model.up(core)
        return False
