"""Directions section: the basis (SeFa, PCA on W, pose, a file), the W-index range, one strength slider per direction
with its name, keep pose, thumbnails, saving the named set, and W / W+ import and export."""

from __future__ import annotations

import imgui

from gui_utils import imgui_utils
from viz.core.controllers.directions import SHOWN_SLIDERS, SLIDER_RANGE, count_of, latent_count_of, latent_position, sigma_help
from viz.core.controllers.stylemix import num_ws_of
from viz.core.texts import DIRECTION_BASIS_LABELS, DIRECTION_TIPS, DIRECTIONS_HELP, pca_tip
from viz.imgui.views.base import DIM_RGBA, ERROR_RGBA, Ui, checkbox, command_button, draw_command, finite, input_int, label, message


class DirectionsView:
    title = 'Directions'

    def __init__(self) -> None:
        self._file = ''                         # Text of the direction-file entry.
        self._latents = ''                      # Text of the latent-file entry.

    def draw(self, core, ui: Ui) -> None:
        ctrl = core.controllers['directions']
        st = ctrl.state
        fs = ui.font_size
        if core.clipboard_request is not None:  # The script line of a W+ export.
            imgui.set_clipboard_text(core.clipboard_request)
            core.clipboard_request = None
        label(ui, 'Basis')
        for idx, (basis, text) in enumerate(DIRECTION_BASIS_LABELS.items()):
            if idx:
                imgui.same_line()
            if imgui.radio_button(f'{text}##basis', st.basis == basis) and st.basis != basis:
                core.act('directions', 'set_basis', basis)
        imgui_utils.tooltip(DIRECTIONS_HELP)
        with imgui_utils.item_width(-fs * 4):
            entered, self._file = imgui.input_text('##dir_file', self._file or st.source, flags=imgui.INPUT_TEXT_ENTER_RETURNS_TRUE)
        imgui.same_line()
        if imgui.button('Load##dir_file', width=-1) or entered:
            core.act('directions', 'load_directions', self._file)
        self._draw_range(core, ui, st)
        checkbox(core, 'directions', 'keep_pose', 'Keep pose')
        imgui_utils.tooltip(DIRECTION_TIPS['keep pose'])
        imgui.same_line()
        command_button(core, 'pca', 'Compute PCA', 'compute_pca')
        imgui_utils.tooltip(pca_tip(st.pca_samples))
        draw_command(core.command_status('pca'))
        self._draw_sliders(core, ui, ctrl)
        self._draw_latents(core, ui, st)

    def _draw_range(self, core, ui: Ui, st) -> None:
        num_ws = num_ws_of(core.facts, ())
        label(ui, 'W indices')
        changed, first = input_int('##first', st.first, 0, num_ws - 1, ui.font_size * 5)
        if changed:
            core.act('directions', 'set_range', first, max(st.last or num_ws, first + 1))
        imgui.same_line()
        changed, last = input_int('##last', st.last or num_ws, 1, num_ws, ui.font_size * 5)
        if changed:
            core.act('directions', 'set_range', min(st.first, last - 1), None if last >= num_ws else last)
        imgui_utils.tooltip(DIRECTION_TIPS['range'])

    def _draw_sliders(self, core, ui: Ui, ctrl) -> None:
        facts = core.facts
        info = facts.result.directions if facts.result is not None else None
        if info is not None and info.note:
            message(info.note, DIM_RGBA)
        count = count_of(facts)
        for k in range(min(count, SHOWN_SLIDERS)):
            value = ctrl.state.strengths[k] if k < len(ctrl.state.strengths) else 0.0
            with imgui_utils.item_width(ui.font_size * 6):
                entered, name = imgui.input_text(f'##k{k}', ctrl.name(k, facts), 100, flags=imgui.INPUT_TEXT_ENTER_RETURNS_TRUE)
            if entered:
                core.act('directions', 'rename', k, name)
            imgui.same_line()
            changed, new = imgui_utils.slider_with_reset(f'##s{k}', value, -SLIDER_RANGE, SLIDER_RANGE, 0.0, format='%+.2f sigma',
                width=ui.font_size * 12, help=sigma_help(facts, k) or None)
            if finite(changed, new):
                core.act('directions', 'set_strength', k, float(new))
        if count:
            if imgui.button('Reset strengths'):
                core.act('directions', 'reset_strengths')
            imgui.same_line()
            command_button(core, 'thumbnails', 'Thumbnails', 'compute_thumbnails')
            imgui_utils.tooltip(DIRECTION_TIPS['thumbnails'])
            imgui.same_line()
            checkbox(core, 'directions', 'thumbnails', 'Show##thumbnails')
            imgui.same_line()
            if imgui.button('Save set'):
                core.act('app', 'save_directions')
            imgui_utils.tooltip(DIRECTION_TIPS['save'])
            draw_command(core.command_status('thumbnails'))

    def _draw_latents(self, core, ui: Ui, st) -> None:
        label(ui, 'W / W+ file')
        with imgui_utils.item_width(-ui.font_size * 4):
            entered, self._latents = imgui.input_text('##latents', self._latents or st.latents, flags=imgui.INPUT_TEXT_ENTER_RETURNS_TRUE)
        imgui.same_line()
        if imgui.button('Import', width=-1) or entered:
            core.act('directions', 'import_latents', self._latents)
        count = latent_count_of(core.facts)
        with imgui_utils.grayed_out(not st.latents, 'Import a W / W+ file first (or drop one on the window)'):
            if imgui.button('Prev##latents'):
                core.act('directions', 'prev_latent')
            imgui.same_line()
            if imgui.button('Next##latents'):
                core.act('directions', 'next_latent', count)
            imgui.same_line()
            imgui.text(latent_position(st, count))
            imgui.same_line()
            if imgui.button('Clear##latents'):
                core.act('directions', 'clear_latents')
                self._latents = ''
        if imgui.button('Export W+'):
            core.act('app', 'export_w')
        imgui_utils.tooltip(DIRECTION_TIPS['export'])
        note = core.message
        if note is not None and note.about == 'directions':
            message(note.text, ERROR_RGBA if note.error else DIM_RGBA)
