"""The desktop's own file dialog (zenity or kdialog, whichever is on PATH), run as a subprocess on a thread so the
window keeps drawing while it is open; the front end polls for the chosen file on a later frame. No toolkit."""

from __future__ import annotations

import atexit
import shutil
import subprocess
import threading

TITLE = 'Open a network, session or timeline'
PATTERNS = '*.pkl *.safetensors *.json'
TOOLS = ('zenity', 'kdialog')
_OPEN: set['NativeDialog'] = set()              # Dialogs with a process, for close_all.


def available() -> str | None:
    """The dialog program found on PATH, or None."""
    return next((tool for tool in TOOLS if shutil.which(tool)), None)


def command(tool: str, folder: str) -> list[str]:
    """The command line that asks `tool` for one file, starting in `folder`."""
    start = folder.rstrip('/') + '/'
    if tool == 'zenity':
        return ['zenity', '--file-selection', f'--title={TITLE}', f'--filename={start}',
            f'--file-filter=Networks, sessions, timelines | {PATTERNS}', '--file-filter=All files | *']
    if tool == 'kdialog':
        return ['kdialog', '--title', TITLE, '--getopenfilename', start, f'{PATTERNS}|Networks, sessions, timelines']
    raise ValueError(f'file dialog program {tool!r}: expected one of {", ".join(TOOLS)}')


class NativeDialog:
    """One dialog at a time: `start` opens it, `poll` returns the outcome once, after it closed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._outcome: tuple[str | None, str | None] | None = None   # (chosen path or None, error or None).
        self._running = False

    @property
    def running(self) -> bool:
        return self._running

    def start(self, folder: str) -> str | None:
        """Open the dialog in `folder`; an error text when no dialog program is there or one is open already."""
        tool = available()
        if tool is None:
            return 'No system file dialog: install zenity or kdialog, or use the browser.'
        if self._running:
            return 'The system file dialog is open already.'
        try:
            process = subprocess.Popen(command(tool, folder), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL, text=True)
        except OSError as e:
            return f'Cannot start {tool}: {e.strerror or e}'
        self._process, self._outcome, self._running = process, None, True
        _OPEN.add(self)
        threading.Thread(target=self._wait, args=(process, tool), name='file dialog', daemon=True).start()
        return None

    def _wait(self, process: subprocess.Popen, tool: str) -> None:
        out, _ = process.communicate()
        chosen = out.strip().splitlines()[0] if process.returncode == 0 and out.strip() else None
        error = None if process.returncode in (0, 1) or process.returncode < 0 else f'{tool} failed (exit code {process.returncode})'
        with self._lock:
            self._outcome, self._running = (chosen, error), False

    def poll(self) -> tuple[str | None, str | None] | None:
        """(chosen path or None if cancelled, error or None) once the dialog closed; None while open or after it was taken."""
        with self._lock:
            outcome, self._outcome = self._outcome, None
        return outcome

    def close(self) -> None:
        """Close a dialog still open (the app is quitting)."""
        process = self._process
        if process is not None and process.poll() is None:
            process.terminate()
        _OPEN.discard(self)


@atexit.register
def close_all() -> None:
    """Close every dialog still open (at exit, or by a front end that leaves without the interpreter's exit)."""
    for dialog in list(_OPEN):
        dialog.close()
