"""Network panel: path / URL / built-in entry, the file browser (a folder's subfolders, networks, sessions and timelines;
a typed path, Up, recent folders), Tk's file dialog, the built-in demos, the recent networks, NVIDIA's published
networks, the key inside the file, and what loading said (progress, error, description)."""

from __future__ import annotations

import os
import tkinter as tk
from tkinter import filedialog, ttk

from viz.core import browser as browser_mod, published
from viz.core.controllers.network import BUILTINS, NETWORK_SUFFIXES, source_problem
from viz.core.texts import (KEY_HELP, OPEN_HELP, PUBLISHED_HELP, PUBLISHED_PLACEHOLDER, RECENT_PLACEHOLDER, SOURCE_HELP,
    SYSTEM_DIALOG_HELP, UNTRAINED_HELP, UNTRAINED_LABEL, network_status)
from viz.tk.widgets import Panel, Tooltip, show_note

FILE_TYPES = [('Networks, sessions, timelines', ' '.join(f'*{s}' for s in NETWORK_SUFFIXES + ('.json',))), ('All files', '*')]


class NetworkPanel(Panel):
    title = 'Network'

    def build(self) -> None:
        st = lambda: self.state('network')  # noqa: E731
        holder = self.row()
        self.entry(holder, 'source', lambda: st().source, lambda text: self.act('network', 'load', text), width=24,
            tip=SOURCE_HELP, on_focus_out=False)
        self.button(holder, 'Load', 'Load', lambda: self.act('network', 'load', self.controls['source'].get()))
        self.note(lambda: source_problem(st().source) and (source_problem(st().source), 'warning'))

        holder = self.row()
        for name in BUILTINS:
            self.button(holder, name.split(':', 1)[1], name.split(':', 1)[1], lambda n=name: self.act('network', 'load', n),
                tip=f'Load the built-in demo network {name}. {UNTRAINED_HELP}')
        label = ttk.Label(holder, text=UNTRAINED_LABEL, foreground='gray40')
        label.pack(side='left')
        Tooltip(label, UNTRAINED_HELP)
        recent = lambda: {s: s for s in self.core.settings.recent if s != st().source}  # noqa: E731
        box = self.combo(self.row(), 'recent', lambda: '', recent, lambda source: self.act('network', 'load', source), width=30,
            placeholder=RECENT_PLACEHOLDER)
        self.enable_when(lambda: bool(recent()), box)
        nets = lambda: {net.url: net.label for net in published.published_networks()}  # noqa: E731
        self.combo(self.row(), 'published', lambda: '', nets, lambda url: self.act('network', 'load', url), width=30,
            placeholder=PUBLISHED_PLACEHOLDER, tip=PUBLISHED_HELP)
        self.entry(self.row('Key'), 'key', lambda: st().key or '', lambda text: self.act('network', 'set_key', text), width=10,
            tip=KEY_HELP, on_focus_out=False)
        self._build_browser()
        self._status = ttk.Frame(self.frame)
        self._status.grid(row=self._rows, column=0, columnspan=2, sticky='ew')
        self._rows += 1
        self.watch(lambda: tuple(network_status(self.core)), self._show_status)

    def _build_browser(self) -> None:
        """The browser: the folder (type a path, Return), Up, Refresh, the system dialog, recent folders, the listing."""
        self.browser = browser_mod.FileBrowser()
        holder = self.row('Open')
        self.entry(holder, 'browse', lambda: self.browser.sync(self.core).folder, self._submit, width=16, tip=OPEN_HELP,
            on_focus_out=False)
        self.button(holder, 'Up', 'Up', lambda: self.browser.up(self.core), tip='The folder above')
        self.button(holder, 'Refresh', 'Refresh', lambda: self._list_files(force=True))
        self.button(holder, 'System dialog...', 'System dialog...', self.open_file, tip=SYSTEM_DIALOG_HELP)
        folders = lambda: {f: f for f in browser_mod.recent_folders(self.core) if f != self.browser.folder(self.core)}  # noqa: E731
        box = self.combo(self.row(), 'folders', lambda: '', folders, lambda f: self.act('network', 'set_browse_dir', f), width=30,
            placeholder='Recent folders...')
        self.enable_when(lambda: bool(folders()), box)
        self._files_row = self.row()
        self.files = tk.Listbox(self._files_row, height=8, exportselection=False, activestyle='dotbox', selectmode='browse')
        self.files.pack(side='left', fill='x', expand=True)
        for event in ('<ButtonRelease-1>', '<Return>', '<KP_Enter>'):
            self.files.bind(event, self._pick_file)
        self.files.bind('<BackSpace>', lambda e: self.browser.up(self.core))
        self.control('files', self.files, 'Click a folder to enter it, a file to open it; or arrows and Return')
        self._files_note = self.note(lambda: None)
        self.watch(lambda: (self.state('network').browse_dir, self.browser.note), lambda _value: self._list_files())

    def _list_files(self, force: bool = False) -> None:
        listing = self.browser.sync(self.core, force=force)
        self.files.delete(0, 'end')
        for entry in listing.entries:
            tag = browser_mod.KIND_TAGS[entry.kind]
            self.files.insert('end', entry.label + (f'    ({tag})' if tag else ''))
        if listing.entries:
            self.files.selection_set(self.browser.selected)
            self.files.activate(self.browser.selected)
            self.files.see(self.browser.selected)
        note = self.browser.note or listing.note
        show_note(self._files_note, (note, 'warning' if self.browser.note else 'dim') if note else None)
        self.show(self._files_note.master, bool(note))
        self.ctx.changed()

    def _submit(self, text: str) -> None:
        self.browser.submit(self.core, text)
        self.ctx.changed()

    def _pick_file(self, _event=None) -> None:
        chosen = self.files.curselection()
        if chosen:
            self.browser.activate(self.core, chosen[0])
            self.ctx.changed()

    def open_file(self) -> None:
        """Tk's file dialog; the chosen file is opened (its folder becomes the one shown)."""
        ask = self.ctx.ask_open or filedialog.askopenfilename
        path = ask(parent=self.frame, title='Open a network, session or timeline', filetypes=FILE_TYPES,
            initialdir=self.browser.folder(self.core))
        if path:
            self.act('network', 'set_browse_dir', os.path.dirname(path))
            self.act('app', 'open', path)

    def _show_status(self, lines: tuple[tuple[str, str], ...]) -> None:
        for child in self._status.winfo_children():
            child.destroy()
        for text, tone in lines:
            label = ttk.Label(self._status, wraplength=self.ctx.em * 28, justify='left')
            show_note(label, (text, tone))
            label.pack(side='top', anchor='w')
