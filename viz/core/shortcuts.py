"""Keyboard shortcuts of the visualizer: one table for the key handling, the help popup and the README.

Shortcuts act only while no text field has the keyboard. Keys are named toolkit-neutrally ('RIGHT', 'S',
'F1', 'SPACE'): each front end maps the names to its own key codes. An action is 'target.name' for the view
core (`ViewCore.act(target, name)`; `ViewCore.shortcut(key, shift, ctrl)` looks it up here).
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Shortcut:
    key: str                    # Key name: a letter, a digit, or RIGHT, LEFT, UP, DOWN, SPACE, TAB, F1.
    action: str                 # 'target.name': ViewCore.act(target, name).
    keys_text: str              # How the key combination is written for people.
    description: str            # What it does.
    shift: bool = False         # Needs Shift held.
    ctrl: bool = False          # Needs Ctrl (Cmd on macOS) held.
    repeat: bool = False        # Fires again while held.


SHORTCUTS: tuple[Shortcut, ...] = (
    Shortcut('RIGHT', 'latent.next_seed', 'Right', 'Next seed', repeat=True),
    Shortcut('LEFT', 'latent.prev_seed', 'Left', 'Previous seed', repeat=True),
    Shortcut('DOWN', 'latent.next_seed_row', 'Down', 'Seed one row down (+100)', repeat=True),
    Shortcut('UP', 'latent.prev_seed_row', 'Up', 'Seed one row up (-100)', repeat=True),
    Shortcut('SPACE', 'latent.toggle_animation', 'Space', 'Start / stop the latent animation'),
    Shortcut('R', 'app.reset_view', 'R', 'Reset the latent drag and input transform'),
    Shortcut('S', 'app.capture_image', 'S', 'Save the image (generator resolution) as PNG'),
    Shortcut('S', 'app.capture_window', 'Shift+S', 'Save the whole window as PNG', shift=True),
    Shortcut('TAB', 'app.toggle_pane', 'Tab', 'Hide / show the control pane'),
    Shortcut('F11', 'app.toggle_presentation', 'F11', 'Presentation mode: the image alone, full screen or --present WxH'),
    Shortcut('F', 'app.zoom_fit', 'F', 'Fit the image to the window'),
    Shortcut('1', 'app.zoom_1', '1', 'Zoom to 1:1 (one image pixel per screen pixel)'),
    Shortcut('F1', 'app.help', 'F1 or H', 'Show this help'),
    Shortcut('H', 'app.help', '', ''),
    Shortcut('Q', 'app.quit', 'Ctrl+Q', 'Quit', ctrl=True),
)

MOUSE_HELP: tuple[tuple[str, str], ...] = (
    ('Wheel over the image', 'Zoom in / out in whole steps, around the cursor'),
    ('Middle-drag', 'Pan the image'),
    ('Left-drag on the image', 'Move the latent position (blend between seeds)'),
    ('Right-drag on the image', 'Translate the input (with Ctrl: rotate)'),
    ('Drop a file on the window', 'Open a network (.pkl / .safetensors), a session or a timeline (.json)'),
)
OPEN_HELP: tuple[tuple[str, str], ...] = (      # How to open a network, for the help popup.
    ('Network box + Enter', 'Open a network: a file path, an http(s) URL or builtin:NAME'),
    ('Open... (Network section)', 'Browse folders for networks, sessions and timelines: type a path + Enter, or arrows + Enter'),
    ('System dialog...', "The desktop's own file dialog (zenity or kdialog), where there is one"),
    ("NVIDIA's published networks...", 'Download a trained StyleGAN3 / StyleGAN2 network into the cache and open it'),
)


def help_rows() -> list[tuple[str, str]]:
    """(keys, description) rows for the help popup and the README, duplicates folded."""
    rows = [(s.keys_text, s.description) for s in SHORTCUTS if s.keys_text]
    return rows + list(MOUSE_HELP) + list(OPEN_HELP)


def help_markdown() -> str:
    """The shortcut table as Markdown, for the README."""
    lines = ['| Keys / mouse | Action |', '|---|---|']
    lines += [f'| {keys} | {text} |' for keys, text in help_rows()]
    return '\n'.join(lines)


def find(key: str, shift: bool = False, ctrl: bool = False) -> Shortcut | None:
    """The shortcut of a key press (key named as in the table), or None."""
    return next((s for s in SHORTCUTS if s.key == key and s.shift == shift and s.ctrl == ctrl), None)
