"""Directions panel: the basis (SeFa, PCA on W, pose, a file), the W-index range, keep pose, PCA in the background,
one strength slider per direction with its name, thumbnails, saving the named set, and W / W+ import and export
(the script line of an export goes to Tk's clipboard). Thin over viz.core.controllers.directions and the view
core's direction actions, like the imgui section (viz.imgui.views.directions)."""

from __future__ import annotations

import os
from tkinter import filedialog, ttk

from viz.core.controllers.directions import (SHOWN_SLIDERS, SLIDER_RANGE, count_of, latent_count_of, latent_position,
    sigma_help)
from viz.core.controllers.stylemix import MAX_WS, num_ws_of
from viz.core.texts import DIRECTION_BASIS_LABELS, DIRECTION_TIPS, DIRECTIONS_HELP, pca_tip
from viz.tk.panels.app import message_about
from viz.tk.widgets import Panel

FILE_TYPES = (('Arrays', '*.npy *.npz'), ('All files', '*'))


class DirectionsPanel(Panel):
    title = 'Directions'

    def build(self) -> None:
        self.ctrl = self.core.controllers['directions']
        st = lambda: self.ctrl.state  # noqa: E731
        self.radios(self.row('Basis'), 'basis', lambda: st().basis, DIRECTION_BASIS_LABELS, lambda b: self.act('directions', 'set_basis', b),
            tips={basis: DIRECTIONS_HELP for basis in DIRECTION_BASIS_LABELS})
        holder = self.row('File')
        self._file = self.entry(holder, 'file', lambda: st().source, lambda path: self.act('directions', 'load_directions', path),
            on_focus_out=False, tip='A .npy / .npz of directions in W (e.g. an InterFaceGAN boundary); Return loads it')
        self.button(holder, 'Load', 'Load', lambda: self.act('directions', 'load_directions', self._file.get()))
        self.button(holder, 'file:open', 'Open...', lambda: self._open('Open a direction file', 'load_directions'))
        self._build_range()
        holder = self.row()
        self.check(holder, 'keep pose', 'Keep pose', 'directions', 'keep_pose', tip=DIRECTION_TIPS['keep pose'])
        self.command_row(holder, 'pca', 'pca', 'Compute PCA', 'compute_pca', tip=pca_tip(st().pca_samples))
        self.note(lambda: (info.note, 'dim') if (info := self._info()) is not None and info.note else None)
        self._build_sliders()
        self._build_latents()

    def _info(self):
        return self.core.result.directions if self.core.result is not None else None

    def _open(self, title: str, action: str) -> None:
        ask = self.ctx.ask_open or filedialog.askopenfilename
        path = ask(parent=self.frame, title=title, filetypes=FILE_TYPES, initialdir=os.path.abspath(self.core.capture.state.folder))
        if path:
            self.act('directions', action, path)

    def _build_range(self) -> None:
        st = lambda: self.ctrl.state  # noqa: E731
        num_ws = lambda: num_ws_of(self.core.facts, ())  # noqa: E731

        def set_first(value: float) -> None:
            first = min(int(value), num_ws() - 1)
            self.act('directions', 'set_range', first, max(st().last or num_ws(), first + 1))

        def set_last(value: float) -> None:
            last = min(int(value), num_ws())
            self.act('directions', 'set_range', min(st().first, last - 1), None if last >= num_ws() else last)
        holder = self.row('W indices')
        first = self.number(holder, 'first', lambda: st().first, set_first, 0, MAX_WS - 1, width=4, tip=DIRECTION_TIPS['range'])
        ttk.Label(holder, text='to').pack(side='left', padx=4)
        last = self.number(holder, 'last', lambda: st().last or num_ws(), set_last, 1, MAX_WS, width=4, tip=DIRECTION_TIPS['range'])
        self.watch(num_ws, lambda n: (first.configure(to=n - 1), last.configure(to=n)))

    def _build_sliders(self) -> None:
        """SHOWN_SLIDERS rows built once; those beyond the basis' count are hidden."""
        st = lambda: self.ctrl.state  # noqa: E731
        for k in range(SHOWN_SLIDERS):
            holder = self.row()
            self.entry(holder, f'name {k}', lambda k=k: self.ctrl.name(k, self.core.facts), lambda name, k=k: self.act('directions', 'rename', k, name),
                width=10, on_focus_out=False, tip='The name of the direction (Return renames it; saved with the set)')
            strength = lambda k=k: st().strengths[k] if k < len(st().strengths) else 0.0  # noqa: E731
            self.slider(holder, f's {k}', strength, lambda v, k=k: self.act('directions', 'set_strength', k, float(v)), -SLIDER_RANGE,
                SLIDER_RANGE, default=0.0, fmt='{:+.2f} sigma', tip=lambda k=k: sigma_help(self.core.facts, k))
            self.show_row(holder, lambda k=k: k < count_of(self.core.facts))
        holder = self.row()
        self.show_row(holder, lambda: count_of(self.core.facts) > 0)
        reset = self.button(holder, 'Reset strengths', 'Reset strengths', lambda: self.act('directions', 'reset_strengths'))
        self.enable_when(lambda: any(st().strengths), reset)
        self.command_row(holder, 'thumbnails', 'thumbnails', 'Thumbnails', 'compute_thumbnails', tip=DIRECTION_TIPS['thumbnails'])
        self.check(holder, 'show thumbnails', 'Show', 'directions', 'thumbnails', tip='Show the strips in the image area instead of the image')
        self.button(holder, 'Save set', 'Save set', lambda: self.act('app', 'save_directions'), tip=DIRECTION_TIPS['save'])

    def _build_latents(self) -> None:
        st = lambda: self.ctrl.state  # noqa: E731
        holder = self.row('W / W+ file')
        self._latents = self.entry(holder, 'latents', lambda: st().latents, lambda path: self.act('directions', 'import_latents', path),
            on_focus_out=False, tip='A .npy / .npz of W [512], W+ [num_ws, 512] or N of them (e.g. projected_w.npz); Return imports it')
        self.button(holder, 'Import', 'Import', lambda: self.act('directions', 'import_latents', self._latents.get()))
        self.button(holder, 'latents:open', 'Open...', lambda: self._open('Import a W / W+ file', 'import_latents'))
        holder = self.row()
        stepping = [self.button(holder, 'Prev', 'Prev', lambda: self.act('directions', 'prev_latent')),
            self.button(holder, 'Next', 'Next', lambda: self.act('directions', 'next_latent', latent_count_of(self.core.facts)))]
        position = ttk.Label(holder)
        position.pack(side='left', padx=4)
        self.watch(lambda: latent_position(st(), latent_count_of(self.core.facts)), lambda text: position.configure(text=text))
        stepping.append(self.button(holder, 'Clear', 'Clear', lambda: self.act('directions', 'clear_latents')))
        self.enable_when(lambda: bool(st().latents), *stepping)
        self.button(self.row(), 'Export W+', 'Export W+', lambda: self.act('app', 'export_w'), tip=DIRECTION_TIPS['export'])
        self.note(lambda: message_about(self.core, 'directions'))
        self.watch(lambda: self.core.clipboard_request, self._copy)

    def _copy(self, text: str | None) -> None:
        """The script line of a W+ export, into Tk's clipboard."""
        if text is None:
            return
        self.frame.clipboard_clear()
        self.frame.clipboard_append(text)
        self.core.clipboard_request = None
