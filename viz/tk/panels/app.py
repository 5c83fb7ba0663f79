"""Performance, capture, view and session panels."""

from __future__ import annotations

import os
import tkinter as tk
from tkinter import filedialog, ttk

from viz.core.controllers.capture import folder_problem
from viz.core.controllers.performance import DEVICES, FPS_RANGE, preview_unavailable
from viz.core.texts import PREVIEW_HELP, PREVIEW_LABEL, summarize_ms
from viz.tk.widgets import Panel, Plot

SESSION_TYPES = [('Sessions', '*.json'), ('All files', '*')]


class PerformancePanel(Panel):
    title = 'Performance'

    def build(self) -> None:
        st = lambda: self.core.performance.state  # noqa: E731
        self._plots = {}
        for name in ('GUI', 'Render'):
            holder = self.row()
            label = ttk.Label(holder)
            label.pack(side='top', anchor='w')
            plot = Plot(holder, height=self.ctx.em * 2)
            plot.pack(side='top', fill='x', expand=True)
            self._plots[name] = (label, plot)
        self.slider(self.row('FPS cap'), 'fps', lambda: st().fps_limit, lambda v: self.act('performance', 'set', fps_limit=v), *FPS_RANGE,
            default=60.0, fmt='{:.0f} fps', tip='Upper limit of the GUI frame rate; the GUI idles when nothing changes')
        holder = self.row()
        self.check(holder, 'vsync', 'Vsync', 'performance', 'vsync')
        self.check(holder, 'fp32', 'Force FP32', 'performance', 'force_fp32', tip='Run the layers that would use FP16 on CUDA in FP32 instead')
        holder = self.row()
        var = tk.BooleanVar(master=holder)
        preview = ttk.Checkbutton(holder, text=PREVIEW_LABEL, variable=var, command=lambda: self.act('performance', 'set', preview_bf16=var.get()))
        preview.pack(side='left')
        self.control('preview', preview, lambda: PREVIEW_HELP if preview_unavailable(self.core.facts) is None else '')
        self.watch(lambda: (st().preview_bf16 and preview_unavailable(self.core.facts) is None, preview_unavailable(self.core.facts) is None),
            lambda shown: (var.set(shown[0]), preview.state(['!disabled' if shown[1] else 'disabled'])))
        self.note(lambda: (reason, 'dim') if (reason := preview_unavailable(self.core.facts)) else None)
        holder = self.row('Device')
        self.combo(holder, 'device', lambda: st().device, lambda: {d: d for d in (*DEVICES, *([st().device] if st().device not in DEVICES else []))},
            lambda device: self.act('performance', 'set', device=device), width=8, tip='auto = CUDA if available, else Apple MPS, else the CPU')
        where = ttk.Label(holder, foreground='#6b6b6b')
        where.pack(side='left', padx=6)
        self.watch(lambda: self.core.facts.network.device if self.core.facts.network is not None else '',
            lambda device: where.configure(text=f'rendering on {device}' if device else ''))

    def show_times(self) -> None:
        """The GUI's and the renderer's recent times (called by the app now and then, not on every change)."""
        for name, values in (('GUI', self.ctx.frame_times()), ('Render', tuple(self.core.render_times))):
            label, plot = self._plots[name]
            label.configure(text=f'{name}: {summarize_ms(values)}')
            data = [v * 1e3 for v in values]
            plot.show(data, 0.0, max(max(data, default=1.0), 1.0) * 1.1)


class CapturePanel(Panel):
    title = 'Capture'

    def build(self) -> None:
        folder = lambda: self.core.capture.state.folder  # noqa: E731
        holder = self.row('Folder')
        self.entry(holder, 'folder', folder, lambda text: self.act('capture', 'set', folder=text), width=18)
        self.button(holder, 'Choose...', 'Choose...', self._choose, tip='Choose the capture folder')
        self.note(lambda: (problem, 'warning') if (problem := folder_problem(folder())) else None)
        holder = self.row()
        buttons = (self.button(holder, 'Save image', 'Save image', lambda: self.act('app', 'capture_image'),
            tip='Save the generated image at the generator\'s resolution as a numbered PNG (S)'),
            self.button(holder, 'Save window', 'Save window', lambda: self.act('app', 'capture_window'),
            tip='Save the whole window as a numbered PNG (Shift+S)'))
        self.enable_when(lambda: folder_problem(folder()) is None, *buttons)
        self.note(lambda: message_about(self.core, 'capture'))

    def _choose(self) -> None:
        ask = self.ctx.ask_open or filedialog.askdirectory
        path = ask(parent=self.frame, title='Capture folder', mustexist=False, initialdir=os.path.abspath(self.core.capture.state.folder))
        if path:
            self.act('capture', 'set', folder=path)


class ViewPanel(Panel):
    title = 'View'

    def build(self) -> None:
        self.note(lambda: self.ctx.image_text())
        holder = self.row()
        self.button(holder, 'Fit (F)', 'Fit (F)', lambda: self.act('app', 'zoom_fit'))
        self.button(holder, '1:1 (1)', '1:1 (1)', lambda: self.act('app', 'zoom_1'))
        var = tk.BooleanVar(master=holder)
        smooth = ttk.Checkbutton(holder, text='Smooth scaling', variable=var,
            command=lambda: self.act('app', 'set_filter', 'linear' if var.get() else 'nearest'))
        smooth.pack(side='left')
        self.control('Smooth scaling', smooth)
        self.watch(lambda: self.core.view.filter == 'linear', var.set)


class SessionPanel(Panel):
    title = 'Session'

    def build(self) -> None:
        self.entry(self.row('File'), 'file', lambda: self.core.session_path, lambda text: self.act('app', 'set_session_path', text), width=22)
        holder = self.row()
        self.button(holder, 'Save session', 'Save session', lambda: self.act('app', 'save_session'))
        self.button(holder, 'Load session', 'Load session', lambda: self.act('app', 'load_session'))
        holder = self.row()
        self.button(holder, 'Open...', 'Open...', self._open, tip='Choose a session file to load')
        self.button(holder, 'Save as...', 'Save as...', self._save_as, tip='Choose where to save the session')
        self.note(lambda: message_about(self.core, 'session'))

    def _initial(self) -> dict:
        path = os.path.abspath(self.core.session_path)
        return dict(parent=self.frame, filetypes=SESSION_TYPES, initialdir=os.path.dirname(path), initialfile=os.path.basename(path))

    def _open(self) -> None:
        path = (self.ctx.ask_open or filedialog.askopenfilename)(title='Load a session', **self._initial())
        if path:
            self.act('app', 'load_session', path)

    def _save_as(self) -> None:
        path = (self.ctx.ask_save or filedialog.asksaveasfilename)(title='Save the session', defaultextension='.json', **self._initial())
        if path:
            self.act('app', 'save_session', path)


def message_about(core, about: str) -> tuple[str, str] | None:
    """The core's message about `about` ('capture', 'session'), as (text, tone)."""
    note = core.message
    return (note.text, 'error' if note.error else 'dim') if note is not None and note.about == about else None
