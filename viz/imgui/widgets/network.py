"""Network widget: which generator to load (path, URL or built-in), recent list, a browsable folder,
drag-and-drop, inline load errors and a description of the loaded network."""

from __future__ import annotations

import dataclasses
import os
import pathlib

import imgui

from gui_utils import imgui_utils
from viz.protocol import NetworkArgs
from viz.imgui.widgets.base import DIM_RGBA, ERROR_RGBA, WARNING_RGBA, FrameContext, Widget, message

BUILTINS = ('builtin:sg3-t', 'builtin:sg3-r', 'builtin:sg2')
NETWORK_SUFFIXES = ('.pkl', '.safetensors')


def source_problem(source: str) -> str | None:
    """A note for sources that cannot work as typed (shown inline; the request still goes out)."""
    text = source.strip()
    if not text:
        return 'Enter a file path, an http(s) URL or a built-in name.'
    if text.startswith('builtin:') or text.startswith('http://') or text.startswith('https://'):
        return None
    path = pathlib.Path(text).expanduser()
    if not path.exists():
        return f'No such file: {text}'
    if path.is_dir():
        return f'{text} is a folder; pick a network file in it (Browse).'
    return None


def list_networks(folder: str) -> tuple[list[str], str | None]:
    """Network files (*.pkl, *.safetensors) directly in `folder`, sorted, or an explanation."""
    if not folder.strip():
        return [], None
    path = pathlib.Path(folder).expanduser()
    if not path.is_dir():
        return [], f'Not a folder: {folder}'
    try:
        names = sorted(e.name for e in os.scandir(path) if e.is_file() and e.name.lower().endswith(NETWORK_SUFFIXES))
    except OSError as e:
        return [], f'Cannot list {folder}: {e.strerror or e}'
    return [str(path / name) for name in names], (None if names else 'No .pkl or .safetensors files here.')


class NetworkWidget(Widget):
    title = 'Network'
    field = 'network'

    @dataclasses.dataclass
    class State:
        source: str = BUILTINS[0]               # What is requested.
        key: str | None = None                  # Generator inside the file; None = the loader's default.
        browse_dir: str = ''                    # Folder listed under Browse.

    def __init__(self, source: str | None = None, browse_dir: str | None = None) -> None:
        super().__init__()
        if source is not None:
            self.state.source = source
        if browse_dir is not None:
            self.state.browse_dir = browse_dir
        self._edit = self.state.source          # Text in the entry, committed with Enter or Load.
        self._listing: tuple[str, list[str], str | None] | None = None  # (folder, files, note) cache.

    def set_state(self, d: dict) -> None:
        super().set_state(d)
        self._edit = self.state.source
        self._listing = None

    def reset(self) -> None:
        super().reset()
        self._edit = self.state.source

    def load(self, source: str) -> None:
        """Request `source` (also what the app calls for command-line sources)."""
        self.state.source = source
        self._edit = source

    def draw(self, ctx: FrameContext) -> NetworkArgs:
        fs = ctx.font_size
        droppable = [p for p in ctx.dropped_paths if not p.lower().endswith('.json')]
        if droppable:
            self.load(droppable[0])

        # Entry: typed text is committed with Enter or the Load button.
        with imgui_utils.item_width(-fs * 4):
            entered, self._edit = imgui.input_text('##source', self._edit, flags=imgui.INPUT_TEXT_ENTER_RETURNS_TRUE)
        imgui_utils.tooltip('File path, http(s) URL or builtin:NAME; press Enter to load. You can also drop a file on the window.')
        imgui.same_line()
        if imgui.button('Load', width=-1) or entered:
            self.load(self._edit.strip())
        problem = source_problem(self.state.source)
        if problem:
            message(problem, WARNING_RGBA)

        # Built-ins and recent networks.
        for idx, name in enumerate(BUILTINS):
            if idx:
                imgui.same_line()
            if imgui.button(name.split(':', 1)[1]):
                self.load(name)
            imgui_utils.tooltip(f'Load the built-in demo network {name}')
        recent = [s for s in ctx.recent_sources if s != self.state.source]
        with imgui_utils.grayed_out(not recent, 'No other networks loaded yet'):
            with imgui_utils.item_width(-1):
                if imgui.begin_combo('##recent', 'Recent networks...'):
                    for source in recent:
                        if imgui.selectable(source)[0]:
                            self.load(source)
                    imgui.end_combo()

        with imgui_utils.item_width(fs * 8):
            entered, key = imgui.input_text('Key##network', self.state.key or '', flags=imgui.INPUT_TEXT_ENTER_RETURNS_TRUE)
        imgui_utils.tooltip('Which generator inside the file (e.g. G_ema); empty = the default. Press Enter.')
        if entered:
            self.state.key = key.strip() or None

        self._draw_browser(fs)
        self._draw_status(ctx)
        key = self.state.key.strip() if self.state.key else None
        return NetworkArgs(source=self.state.source, key=key or None)

    def _draw_browser(self, fs: float) -> None:
        if not imgui.tree_node('Browse folder'):
            return
        with imgui_utils.item_width(-fs * 4.5):
            changed, folder = imgui.input_text('##browse', self.state.browse_dir)
        if changed:
            self.state.browse_dir = folder
        imgui.same_line()
        refresh = imgui.button('Refresh', width=-1)
        if refresh or self._listing is None or self._listing[0] != self.state.browse_dir:
            self._listing = (self.state.browse_dir, *list_networks(self.state.browse_dir))
        _folder, files, note = self._listing
        if note:
            message(note, DIM_RGBA)
        for path in files:
            if imgui.selectable(os.path.basename(path), path == self.state.source)[0]:
                self.load(path)
        imgui.tree_pop()

    def _draw_status(self, ctx: FrameContext) -> None:
        result = ctx.result
        if result is None or result.args is None or result.args.network.source != self.state.source:
            if result is not None and result.loading:
                message(result.loading, DIM_RGBA)
            return
        if result.loading:
            message(result.loading, DIM_RGBA)
        elif result.network is None and result.error:
            message(f'Cannot load: {result.error}', ERROR_RGBA)
        if result.network is not None:
            for line in result.network.description:
                imgui.text(line)
