"""Progress lines for the command-line tools, written to stderr (no third-party package): a bar for counted work and a
byte count for downloads. Each redraws one line in place; used as a context manager, the line is ended (a newline)
when the work stops early, so an error message that follows starts on a line of its own."""

import sys
import time

#----------------------------------------------------------------------------

class ProgressLine:
    """One line redrawn in place on `stream`; `end()` finishes it if it is still open."""
    def __init__(self, stream=None):
        self.stream = stream if stream is not None else sys.stderr
        self._open = False  # A partial line is on screen.

    def draw(self, text: str, final: bool = False) -> None:
        self.stream.write(f'\r{text}' + ('\n' if final else ''))
        self.stream.flush()
        self._open = not final

    def end(self) -> None:
        if self._open:
            self.stream.write('\n')
            self.stream.flush()
            self._open = False

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> bool:
        self.end()
        return False

class ProgressBar(ProgressLine):
    def __init__(self, total: int, label: str = '', stream=None, width: int = 30):
        super().__init__(stream)
        self.total = max(int(total), 1)
        self.label = label
        self.width = width
        self.done = 0
        self.start = time.perf_counter()

    def update(self, done: int | None = None) -> None:
        """Advance by one, or set the count to `done`, and redraw."""
        self.done = self.done + 1 if done is None else int(done)
        fraction = min(self.done / self.total, 1.0)
        filled = int(round(fraction * self.width))
        elapsed = time.perf_counter() - self.start
        eta = f'{elapsed / fraction - elapsed:.1f}s' if fraction > 0 else '?'
        bar = '#' * filled + '-' * (self.width - filled)
        self.draw(f'{self.label} [{bar}] {self.done}/{self.total} {elapsed:.1f}s elapsed, {eta} left', final=self.done >= self.total)

class DownloadProgress(ProgressLine):
    """A download's byte count; call it as sg3.download's progress callback (bytes done, bytes total or None)."""
    def __call__(self, done: int, total: int|None) -> None:
        text = f'{done / 1e6:.1f} MB' if total is None else f'{done / 1e6:.1f} / {total / 1e6:.1f} MB'
        self.draw(f'Downloading: {text}', final=total is not None and done >= total)

#----------------------------------------------------------------------------
