"""Equivariance and spectrum panels: the live heatmap with its PSNR and history, the batch EQ metrics, the power
spectrum with its design markers, the K-seed average and the exports."""

from __future__ import annotations

from tkinter import ttk

from viz.core.controllers.analysis import BETA_LIMIT, DB_LIMIT, unavailable_reason
from viz.core.controllers.capture import folder_problem
from viz.core.texts import (CHANNEL_LABELS, KIND_LABELS, LAYOUT_LABELS, METRICS_HELP, METRICS_NOTE, MODE_HELP, MODE_LABELS, export_text,
    format_psnr, marker_text, plot_range_text, psnr_detail, psnr_help, psnr_history, spectrum_caption, spectrum_plots)
from viz.core.figure_labels import profile_axes
from viz.protocol import EQ_LAYOUTS, EQ_MODES, SEED_MODULO
from viz.tk.widgets import Panel, Plot, show_note


class EquivariancePanel(Panel):
    title = 'Equivariance'

    def build(self) -> None:
        st = lambda: self.core.analysis.state  # noqa: E731
        self.note(self._reason)
        self.radios(self.row('Heatmap'), 'mode', lambda: st().eq_mode, {m: MODE_LABELS[m] for m in EQ_MODES},
            lambda mode: self.act('analysis', 'set_eq_mode', mode), tips=MODE_HELP)
        self.combo(self.row('Layout'), 'layout', lambda: st().eq_layout, {v: LAYOUT_LABELS[v] for v in EQ_LAYOUTS},
            lambda v: self.act('analysis', 'set', eq_layout=v), tip='Reference = generate, then transform; generated = transform the input, then generate')
        holder = self.row('Scale')
        self.check(holder, 'auto scale', 'Auto', 'analysis', 'eq_auto_scale', tip='Top of the colour scale = the largest squared error shown')
        scale = self.slider(holder, 'scale max', lambda: st().eq_scale_max, lambda v: self.act('analysis', 'set', eq_scale_max=v), 1e-6, 4.0,
            fmt='{:.2e}', log=True)
        self._build_psnr()
        ttk.Separator(self.frame).grid(row=self._rows, column=0, columnspan=2, sticky='ew', pady=4)
        self._rows += 1
        self.note(lambda: (METRICS_NOTE, 'dim'))
        holder = self.row('Samples')
        self.number(holder, 'samples', lambda: st().metrics_samples, lambda v: self.act('analysis', 'set', metrics_samples=int(v)),
            1, 1_000_000, increment=10, width=8)
        ttk.Label(holder, text='Seed').pack(side='left', padx=(6, 4))
        self.number(holder, 'metrics seed', lambda: st().metrics_seed, lambda v: self.act('analysis', 'set', metrics_seed=int(v)),
            0, SEED_MODULO - 1, width=8)
        self.command_row(self.row(), 'compute', 'metrics', 'Compute EQ metrics', 'compute_metrics', tip=METRICS_HELP)
        self.note(lambda: '\n'.join(f'{KIND_LABELS[kind]}: {format_psnr(value)}' for kind, value in status.psnr)
            if (status := self.core.command_status('metrics')) is not None and status.psnr else None)
        self.enable_when(lambda: not st().eq_auto_scale, scale)
        self.enable_others()

    def available(self) -> bool:
        return self._reason() is None

    def _reason(self):
        analysis = self.core.result.analysis if self.core.result is not None else None
        reason = unavailable_reason(self.core.facts) or (analysis.equivariance_unavailable if analysis is not None else None)
        return (reason, 'warning') if reason else None

    def _view(self):
        analysis = self.core.result.analysis if self.core.result is not None else None
        view = analysis.equivariance if analysis is not None else None
        return None if view is None or self.core.analysis.state.eq_mode == 'off' else view

    def _build_psnr(self) -> None:
        holder = self.row()
        self._psnr_row = holder
        psnr = ttk.Button(holder, style='Toolbutton', command=self._copy_psnr)
        psnr.pack(side='left')
        self.control('psnr', psnr, lambda: psnr_help(self._view()) if self._view() is not None else '')
        detail = ttk.Label(holder)
        detail.pack(side='left', padx=4)
        self.plot = Plot(self.row(), height=self.ctx.em * 3)
        self.plot.pack(side='left', fill='x', expand=True)
        notes = self.note(lambda: None)

        def show(view) -> None:
            self.show(holder, view is not None)
            self.show(self.plot.master, view is not None)
            if view is None:
                self.show(notes.master, False)
                return
            psnr.configure(text=f'PSNR {format_psnr(view.psnr)}')
            detail.configure(text=psnr_detail(view), foreground='#6b6b6b')
            show_note(notes, ('\n'.join(view.notes), 'dim') if view.notes else None)
            self.show(notes.master, bool(view.notes))
        self.watch(self._view, show)
        self.watch(lambda: (self._view() is not None, tuple(self.core.psnr_history)), self._show_history)

    def _show_history(self, shown) -> None:
        history = psnr_history(shown[1]) if shown[0] else None
        if history is None:
            self.plot.show(())
            return
        values, caption = history
        self.plot.show(values, float(values.min()) - 1, float(values.max()) + 1, caption)

    def _copy_psnr(self) -> None:
        view = self._view()
        if view is not None:
            self.frame.clipboard_clear()
            self.frame.clipboard_append(f'{view.psnr:.4f}')


class SpectrumPanel(Panel):
    title = 'Spectrum'

    def build(self) -> None:
        st = lambda: self.core.analysis.state  # noqa: E731
        holder = self.row()
        self.check(holder, 'show', 'Show spectrum', 'analysis', 'spectrum',
            tip='Show the power spectrum of the layer chosen in Layers instead of its values')
        self.controls['show'].configure(command=lambda: self.act('analysis', 'show_spectrum', not st().spectrum))
        of = ttk.Label(holder, foreground='#6b6b6b')
        of.pack(side='left', padx=4)
        self.watch(lambda: self.core.controllers['layer'].state.name, lambda name: of.configure(text=f'of {name or "output"} (choose in Layers)'))
        self.slider(self.row('Window'), 'beta', lambda: st().spectrum_beta, lambda v: self.act('analysis', 'set', spectrum_beta=v),
            0.0, BETA_LIMIT, default=8.0, fmt='beta {:.1f}', tip='Shape of the Kaiser window: 0 = rectangular, larger = less leakage, wider peaks')
        holder = self.row('Range')
        self.number(holder, 'db low', lambda: st().spectrum_db_low, lambda v: self.act('analysis', 'set_db_range', v, st().spectrum_db_high),
            -DB_LIMIT, DB_LIMIT, integer=False, width=6, fmt='{:.0f}', tip='Colour range of the heatmap in dB: bottom')
        self.number(holder, 'db high', lambda: st().spectrum_db_high, lambda v: self.act('analysis', 'set_db_range', st().spectrum_db_low, v),
            -DB_LIMIT, DB_LIMIT, integer=False, width=6, fmt='{:.0f}', tip='Colour range of the heatmap in dB: top')
        ttk.Label(holder, text='dB').pack(side='left', padx=4)
        self.field_radios(self.row('Channels'), 'channels', 'analysis', 'spectrum_channels', CHANNEL_LABELS)
        self.note(lambda: (analysis.spectrum_note, 'warning') if st().spectrum and (analysis := self._analysis()) is not None
            and analysis.spectrum_note else None)
        self._build_view()
        ttk.Separator(self.frame).grid(row=self._rows, column=0, columnspan=2, sticky='ew', pady=4)
        self._rows += 1
        holder = self.row('Average')
        self.number(holder, 'seeds', lambda: st().average_seeds, lambda v: self.act('analysis', 'set', average_seeds=int(v)), 1, 100_000, width=6)
        ttk.Label(holder, text='seeds').pack(side='left', padx=(4, 8))
        self.command_row(holder, 'average', 'average', 'Average over K seeds', 'average_spectrum',
            tip='Average the spectrum of this layer over K seeds from the current one, in the background')
        self.check(self.row(), 'show average', 'Show average', 'analysis', 'show_average',
            tip='Show the K-seed average when one was computed for this layer, seed and settings')
        ttk.Separator(self.frame).grid(row=self._rows, column=0, columnspan=2, sticky='ew', pady=4)
        self._rows += 1
        holder = self.row('Export')
        buttons = [self.button(holder, 'png', 'Save PNG figure', lambda: self.act('app', 'export_spectrum', 'png'),
            tip='Heatmap, radial profile and slices in cycles per image with the markers (matplotlib)'),
            self.button(holder, 'npz', 'Save .npz', lambda: self.act('app', 'export_spectrum', 'npz'),
            tip='Spectrum, profiles and the layer design as arrays')]
        problem = lambda: folder_problem(self.core.capture.state.folder) or (None if self._view() is not None  # noqa: E731
            else 'Turn on the spectrum view to export it')
        self.enable_when(lambda: problem() is None, *buttons)
        self.note(lambda: (f'into {self.core.capture.state.folder} (the capture folder)' + (f': {problem()}' if problem() else ''), 'dim'))
        self.note(lambda: export_text(self.core.command_status('export')))

    def _analysis(self):
        return self.core.result.analysis if self.core.result is not None else None

    def _view(self):
        analysis = self._analysis()
        return analysis.spectrum if analysis is not None and self.core.analysis.state.spectrum else None

    def _build_view(self) -> None:
        self.note(lambda: (marker_text(view), 'dim') if (view := self._view()) is not None else None)
        self.note(lambda: (spectrum_caption(view), 'dim') if (view := self._view()) is not None else None)
        self.note(lambda: ('\n'.join(view.notes), 'warning') if (view := self._view()) is not None and view.notes else None)
        self.plots = [Plot(self.row(), height=self.ctx.em * 5) for _ in range(3)]
        for plot in self.plots:
            plot.pack(side='left', fill='x', expand=True)
        self.watch(self._view, self._show_plots)
        self.note(lambda: (plot_range_text(view), 'dim') if (view := self._view()) is not None else None)

    def _show_plots(self, view) -> None:
        shown = spectrum_plots(view) if view is not None else []
        for idx, plot in enumerate(self.plots):
            self.show(plot.master, idx < len(shown))
            if idx >= len(shown):
                continue
            name, freqs, db, diagonal = shown[idx]
            plot.update_idletasks()
            plot.show(db, *view.db_range, caption=name, axes=profile_axes(view, freqs, diagonal))
