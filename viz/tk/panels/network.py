"""Network panel: path / URL / built-in entry, a native file dialog, the built-ins, the recent list, the key inside
the file, a browsable folder, and what loading said (progress, error, description)."""

from __future__ import annotations

import os
import tkinter as tk
from tkinter import filedialog, ttk

from viz.core.controllers.network import BUILTINS, NETWORK_SUFFIXES, list_networks, source_problem
from viz.core.texts import KEY_HELP, SOURCE_HELP, network_status
from viz.tk.widgets import Panel, show_note

RECENT_PLACEHOLDER = 'Recent networks...'
FILE_TYPES = [('Networks', ' '.join(f'*{s}' for s in NETWORK_SUFFIXES)), ('All files', '*')]


class NetworkPanel(Panel):
    title = 'Network'

    def build(self) -> None:
        st = lambda: self.state('network')  # noqa: E731
        holder = self.row()
        self.entry(holder, 'source', lambda: st().source, lambda text: self.act('network', 'load', text), width=24,
            tip=SOURCE_HELP, on_focus_out=False)
        self.button(holder, 'Load', 'Load', lambda: self.act('network', 'load', self.controls['source'].get()))
        self.button(holder, 'Open...', 'Open...', self.open_file, tip='Choose a network file (.pkl, .safetensors)')
        self.note(lambda: source_problem(st().source) and (source_problem(st().source), 'warning'))

        holder = self.row()
        for name in BUILTINS:
            self.button(holder, name.split(':', 1)[1], name.split(':', 1)[1], lambda n=name: self.act('network', 'load', n),
                tip=f'Load the built-in demo network {name}')
        recent = lambda: {s: s for s in self.core.settings.recent if s != st().source}  # noqa: E731
        box = self.combo(self.row(), 'recent', lambda: '', recent, lambda source: self.act('network', 'load', source), width=30,
            placeholder=RECENT_PLACEHOLDER)
        self.enable_when(lambda: bool(recent()), box)
        self.entry(self.row('Key'), 'key', lambda: st().key or '', lambda text: self.act('network', 'set_key', text), width=10,
            tip=KEY_HELP, on_focus_out=False)
        self._build_browser()
        self._status = ttk.Frame(self.frame)
        self._status.grid(row=self._rows, column=0, columnspan=2, sticky='ew')
        self._rows += 1
        self.watch(lambda: tuple(network_status(self.core)), self._show_status)

    def _build_browser(self) -> None:
        holder = self.row('Folder')
        self.entry(holder, 'browse', lambda: self.state('network').browse_dir, lambda text: self.act('network', 'set_browse_dir', text),
            width=16, tip='A folder whose network files are listed below')
        self.button(holder, 'Refresh', 'Refresh', self._list_files)
        self._files_row = self.row()
        self.files = tk.Listbox(self._files_row, height=4, exportselection=False, activestyle='none')
        self.files.pack(side='left', fill='x', expand=True)
        self.files.bind('<<ListboxSelect>>', self._pick_file)
        self.control('files', self.files, 'Network files in the folder: click one to load it')
        self._paths: list[str] = []
        self._files_note = self.note(lambda: None)
        self.watch(lambda: self.state('network').browse_dir, lambda folder: self._list_files())

    def _list_files(self) -> None:
        self._paths, note = list_networks(self.state('network').browse_dir)
        self.files.delete(0, 'end')
        for path in self._paths:
            self.files.insert('end', os.path.basename(path))
        self.files.configure(height=min(max(len(self._paths), 1), 8))
        show_note(self._files_note, (note, 'dim') if note else None)
        self.show(self._files_note.master, bool(note))
        self.show(self._files_row, bool(self._paths))

    def _pick_file(self, _event=None) -> None:
        chosen = self.files.curselection()
        if chosen:
            self.act('network', 'load', self._paths[chosen[0]])

    def open_file(self) -> None:
        """The native file dialog; the chosen file is loaded (its folder becomes the listed one)."""
        ask = self.ctx.ask_open or filedialog.askopenfilename
        current = self.state('network').source
        start = os.path.dirname(current) if os.path.isabs(current) else (self.state('network').browse_dir or os.getcwd())
        path = ask(parent=self.frame, title='Open a network', filetypes=FILE_TYPES, initialdir=start)
        if path:
            self.act('network', 'set_browse_dir', os.path.dirname(path))
            self.act('network', 'load', path)

    def _show_status(self, lines: tuple[tuple[str, str], ...]) -> None:
        for child in self._status.winfo_children():
            child.destroy()
        for text, tone in lines:
            label = ttk.Label(self._status, wraplength=self.ctx.em * 28, justify='left')
            show_note(label, (text, tone))
            label.pack(side='top', anchor='w')
