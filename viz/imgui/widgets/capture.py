"""Capture widget: the folder for captures and the "save image" / "save window" buttons.

Not part of the request: draw() returns a CaptureRequest that the app acts on (it saves numbered PNGs
and reports the path back through `report`)."""

from __future__ import annotations

import dataclasses
import pathlib

import imgui

from gui_utils import imgui_utils
from viz.imgui.widgets.base import DIM_RGBA, ERROR_RGBA, WARNING_RGBA, FrameContext, Widget, label_width, message


@dataclasses.dataclass(frozen=True)
class CaptureRequest:
    folder: str                                 # Where to save.
    save_image: bool = False                    # Save the generator image (its own resolution) this frame.
    save_window: bool = False                   # Save the whole window this frame.


def folder_problem(folder: str) -> str | None:
    """Why captures cannot go into `folder` (it is created on the first save if missing)."""
    if not folder.strip():
        return 'Enter a folder for captures.'
    path = pathlib.Path(folder).expanduser()
    if path.exists() and not path.is_dir():
        return f'{folder} is a file, not a folder.'
    return None


class CaptureWidget(Widget):
    title = 'Capture'
    field = None

    @dataclasses.dataclass
    class State:
        folder: str = 'captures'                # Capture folder (created when needed).

    def __init__(self, folder: str | None = None) -> None:
        super().__init__()
        if folder is not None:
            self.state.folder = folder
        self._note: tuple[str, bool] | None = None  # (text, is_error) of the last save.

    def report(self, text: str, error: bool = False) -> None:
        """The app tells the widget what happened ('Saved captures/image-00003.png' or an error)."""
        self._note = (text, error)

    def draw(self, ctx: FrameContext) -> CaptureRequest:
        st = self.state
        imgui.text('Folder')
        imgui.same_line(label_width(ctx))
        with imgui_utils.item_width(-1):
            changed, folder = imgui.input_text('##folder', st.folder)
        if changed:
            st.folder = folder
        problem = folder_problem(st.folder)
        if problem:
            message(problem, WARNING_RGBA)
        with imgui_utils.grayed_out(problem is not None, problem):
            save_image = imgui.button('Save image')
            imgui_utils.tooltip('Save the generated image at the generator\'s resolution as a numbered PNG')
            imgui.same_line()
            save_window = imgui.button('Save window')
            imgui_utils.tooltip('Save the whole window as a numbered PNG')
        if self._note is not None:
            message(self._note[0], ERROR_RGBA if self._note[1] else DIM_RGBA)
        ok = problem is None
        return CaptureRequest(folder=st.folder, save_image=bool(save_image) and ok, save_window=bool(save_window) and ok)
