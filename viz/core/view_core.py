"""The view core: owns the controllers and the view state, composes `RenderArgs`, talks to the render
worker (requests and commands), applies results, maps shortcuts to actions, loads and saves sessions and
saves captures. It imports no toolkit and no torch: the imgui window, the Tk window, a timeline renderer,
a script or a test drive the app through `act`, `shortcut`, `image_drag`, `drop` and `update`.

A front end's frame: turn input into actions, call `update(dt)` once (poll results and command statuses,
advance animations, submit the request if it changed), then draw the controllers' state and `result`.

With the bfloat16 preview on, requests made while the front end reports `interacting` (a drag in the image,
a held control) carry `PerformanceArgs.interacting`; the frame the interaction ends submits the same request
without it, so the image left on screen is always the exact one.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import math
import pathlib
import time
from typing import Any, Callable, Protocol

import numpy as np

from viz.core import capture, paths, session, settings as settings_mod, shortcuts
from viz.core.capture import ARGS_KEY
from viz.core.controller import ActionError, Controller, Facts, ImageDrag
from viz.core.controllers import CONTROLLER_CLASSES
from viz.core.controllers.analysis import AnalysisController
from viz.core.controllers.capture import DEFAULT_FOLDER, CaptureController, folder_problem
from viz.core.controllers.network import NetworkController
from viz.core.controllers.performance import PerformanceController
from viz.core.preview import preview_warp as transform_preview_warp
from viz.core.timeline import MAX_TIMELINE_BYTES, TIMELINE_FORMAT
from viz.core.timeline_actions import TimelineActions
from viz.protocol import (Command, CommandStatus, ExportSpectrumCommand, RenderArgs, RenderResult, EXPORT_FORMATS)

ERROR_SECONDS = 30.0                            # How long an error message stays on top of the image.
INFO_SECONDS = 8.0                              # How long an info message stays in the status bar.
HISTORY = 240                                   # Render times and PSNR values kept for the plots.
MAX_MESSAGE = 1000                              # Characters of a message shown; longer ones are cut.
QUIT_WAIT_S = 0.1                               # How long a front end that quits waits for a render to reach a cancel point.


class Worker(Protocol):
    """What the view core needs of the render worker (viz.render.worker.RenderWorker)."""
    def submit(self, args: RenderArgs) -> int: ...
    def poll(self) -> RenderResult | None: ...
    def start(self, command: Command, args: RenderArgs) -> int: ...
    def cancel(self, command_id: int) -> None: ...
    def poll_commands(self) -> list[CommandStatus]: ...
    def cancel_render(self) -> bool: ...
    def close(self, timeout: float = 1.0) -> None: ...


@dataclasses.dataclass(frozen=True)
class Message:
    text: str
    error: bool
    shown_at: float                             # time.monotonic() when it was shown.
    about: str = ''                             # What it is about ('capture', 'session', ...), for the sections that show it.


def is_timeline_file(path: str) -> bool:
    """Does the JSON file at `path` say it is a timeline? (Anything unreadable is left to the session reader to report.)"""
    try:
        data = session.read_json(pathlib.Path(path).expanduser(), 'file', MAX_TIMELINE_BYTES)
    except ValueError:
        return False
    return isinstance(data, dict) and data.get('format') == TIMELINE_FORMAT


class ViewCore(TimelineActions):
    APP_ACTIONS = ('quit', 'help', 'toggle_pane', 'zoom_fit', 'zoom_1', 'set_filter', 'reset_view', 'capture_image',
        'capture_window', 'save_session', 'load_session', 'set_session_path', 'open', 'compute_metrics', 'average_spectrum',
        'export_spectrum', 'cancel', 'cancel_load', 'toggle_presentation') + TimelineActions.TIMELINE_ACTIONS

    def __init__(self, worker: Worker, *,
        config_dir: pathlib.Path | None = None,     # Per-user config folder (default: settings.config_dir()).
        sources: tuple[str, ...] = (),              # Networks from the command line; the first is opened.
        device: str | None = None,                  # Initial device.
        capture_dir: str | None = None,             # Capture folder (default: settings, else ./captures).
        browse_dir: str | None = None,              # Folder the network section lists.
        fps_limit: float | None = None,             # GUI frame-rate cap (default: settings).
        emit: Callable[[str], None] | None = None,  # Receives SUBMITTED / RENDERED / CANCELLED / CAPTURED / MESSAGE log lines.
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.worker = worker
        self.config_dir = pathlib.Path(config_dir or settings_mod.config_dir())
        self._emit_fn = emit
        self._clock = clock
        self.settings, warning = settings_mod.load_settings(self.config_dir)
        for source in reversed(sources):
            self.settings = self.settings.with_recent(source)
        self.controllers: dict[str, Controller] = {cls.key: cls() for cls in CONTROLLER_CLASSES}
        self.view = session.ViewState(show_pane=self.settings.show_pane, filter=self.settings.filter, pane_width=self.settings.pane_width)

        # Command-line choices and saved settings into the controllers.
        folder = capture_dir or self.settings.capture_dir or DEFAULT_FOLDER
        self.capture.update(folder=str(pathlib.Path(folder).expanduser().resolve()) if capture_dir else folder)
        self.network.update(browse_dir=str(pathlib.Path(browse_dir).expanduser().resolve()) if browse_dir else (self.settings.browse_dir or ''))
        if sources:
            self.network.load(sources[0])
        self.performance.update(fps_limit=min(max(float(fps_limit or self.settings.fps_limit), 5.0), 240.0), vsync=self.settings.vsync,
            **({'device': device} if device else {}))

        # What the worker said.
        self.result: RenderResult | None = None     # Newest final result.
        self.loading: str | None = None             # Progress text while a network loads.
        self.shown_precision = 'float32'            # Precision of the newest image ('bfloat16' = preview).
        self.commands: dict[int, CommandStatus] = {}  # Newest status of every command started here.
        self.command_ids: dict[str, int] = {}       # Kind -> id of the newest command of that kind.
        self.render_times: collections.deque[float] = collections.deque(maxlen=HISTORY)
        self.psnr_history: collections.deque[float] = collections.deque(maxlen=HISTORY)

        # What was asked.
        self.last_args: RenderArgs | None = None
        self.last_stamp = 0
        self._force_submit = False
        self.interacting = False                    # Set by the front end: a drag or a held control.
        self.message: Message | None = None
        self.session_path = 'session.json'
        self.help_requested = False                 # The front ends show their help and clear these.
        self.quit_requested = False
        self.window_capture_pending = False
        self.presenting = False                     # Presentation mode: the front end shows the image alone (screen recorders).
        self.shown_image: np.ndarray | None = None  # The image of the newest result that had one.
        self.shown_result: RenderResult | None = None  # That result (its request and layers: the transform preview).
        self._init_timeline()                       # Timeline, playhead, recording (viz.core.timeline_actions).
        if warning:
            self.show_message(warning, error=True)

    # ------------------------------------------------------------------------
    # Controllers by name.

    @property
    def network(self) -> NetworkController:
        return self.controllers['network']      # type: ignore[return-value]

    @property
    def analysis(self) -> AnalysisController:
        return self.controllers['analysis']     # type: ignore[return-value]

    @property
    def performance(self) -> PerformanceController:
        return self.controllers['performance']  # type: ignore[return-value]

    @property
    def capture(self) -> CaptureController:
        return self.controllers['capture']      # type: ignore[return-value]

    @property
    def facts(self) -> Facts:
        return Facts(result=self.result)

    # ------------------------------------------------------------------------
    # Input.

    def act(self, target: str, name: str, /, *args: Any, **kwargs: Any) -> Any:
        """Run action `name` of controller `target` (or of the app: target 'app'). A bad value or an unknown
        action is shown as an error message and changes nothing; returns what the action returned."""
        owner: Any = self if target == 'app' else self.controllers.get(target)
        allowed = self.APP_ACTIONS if target == 'app' else getattr(owner, 'ACTIONS', ())
        try:
            if owner is None:
                raise ActionError(f'action {target}.{name}: unknown target {target!r}; expected app or one of {", ".join(self.controllers)}')
            if name not in allowed:
                raise ActionError(f'action {target}.{name}: unknown action; expected one of {", ".join(allowed)}')
            if target != 'app':
                self._pause_for_edit()
            return getattr(owner, name)(*args, **kwargs)
        except (ActionError, TypeError, ValueError) as e:
            self.show_message(str(e), error=True)
            return None

    def shortcut(self, key: str, shift: bool = False, ctrl: bool = False) -> bool:
        """A key press named as in viz.core.shortcuts; returns whether it was a shortcut."""
        found = shortcuts.find(key, shift=shift, ctrl=ctrl)
        if found is None:
            return False
        target, name = found.action.split('.', 1)
        self.act(target, name)
        return True

    def image_drag(self, drag: ImageDrag) -> None:
        """A drag in the image area: every controller sees it (latent for the left button, transform for the right). A
        drag that would move a value out of its range is shown as a message and changes nothing."""
        if not (math.isfinite(drag.dx) and math.isfinite(drag.dy)):
            return                              # A degenerate view (e.g. zoom 0) turned the mouse move into nothing.
        self._pause_for_edit()
        facts = self.facts
        for controller in self.controllers.values():
            try:
                controller.image_drag(drag, facts)
            except ValueError as e:
                self.show_message(str(e), error=True)

    def _pause_for_edit(self) -> None:
        """The user changes the view while the timeline plays: stop playing, so the edit is not overwritten."""
        if self.playhead.playing:
            self.pause()
            self.show_message('Timeline paused: you changed the view.', about='timeline')

    def drop(self, paths: list[str] | tuple[str, ...]) -> None:
        """Files dropped on the window: sessions and timelines (.json) are loaded, the first other file is opened as
        a network."""
        others = []
        for path in paths:
            if path.lower().endswith('.json'):
                self.load_timeline(path) if is_timeline_file(path) else self.load_session(path)
            else:
                others.append(path)
        if others:
            self.network.load(others[0])

    # ------------------------------------------------------------------------
    # App actions.

    def quit(self) -> None:
        self.quit_requested = True

    def help(self) -> None:
        self.help_requested = True

    def toggle_presentation(self) -> None:
        """Presentation mode on / off: the front end hides every control and shows the image alone, full screen or
        at a fixed window size (its --present option), so a screen recorder captures a clean view."""
        self.presenting = not self.presenting

    def toggle_pane(self) -> None:
        self.set_view(show_pane=not self.view.show_pane)

    def zoom_fit(self) -> None:
        self.set_view(zoom=None, pan=(0.0, 0.0))

    def zoom_1(self) -> None:
        self.set_view(zoom=1.0, pan=(0.0, 0.0))

    def set_filter(self, filter: str) -> None:
        self.set_view(filter=filter)

    def set_view(self, **changes: Any) -> None:
        self.view = dataclasses.replace(self.view, **changes)

    def reset_view(self) -> None:
        """Snap the latent to its seed and reset the input transform (shortcut R)."""
        self.controllers['latent'].snap()               # type: ignore[attr-defined]
        self.controllers['transform'].reset_transform()  # type: ignore[attr-defined]

    def open(self, source: str) -> None:
        """Open what the file browser picked: a network (path, URL, builtin:NAME), or a session or timeline (.json); the
        folder of a local file becomes a recent folder."""
        if not isinstance(source, str):
            raise ActionError(f'open {source!r}: expected a file path, an http(s) URL or builtin:NAME')
        self.drop([source])
        if paths.probe(source).kind == 'file':
            self.settings = self.settings.with_recent_folder(str(pathlib.Path(source).expanduser().resolve().parent))

    def set_session_path(self, path: str) -> None:
        self.session_path = paths.name(path, 'session file')

    # ------------------------------------------------------------------------
    # Commands.

    def start_command(self, command: Command) -> int | None:
        """Start background work for the current view; a running command of the same kind is cancelled."""
        args = self.compose_args()
        if args is None:
            return None
        previous = self.command_ids.get(command.kind)
        if previous is not None and not self.commands[previous].finished:
            self.worker.cancel(previous)
        command_id = self.worker.start(command, args)
        self.command_ids[command.kind] = command_id
        self.commands[command_id] = CommandStatus(command_id=command_id, kind=command.kind, state='queued', description=command.describe())
        return command_id

    def command_status(self, kind: str) -> CommandStatus | None:
        """The newest status of the newest command of `kind` started here."""
        command_id = self.command_ids.get(kind)
        return None if command_id is None else self.commands.get(command_id)

    def compute_metrics(self) -> int | None:
        return self.start_command(self.analysis.metrics_command())

    def average_spectrum(self) -> int | None:
        return self.start_command(self.analysis.average_command())

    def export_spectrum(self, format: str) -> int | None:
        """Save the shown spectrum as a figure ('png') or arrays ('npz') into the capture folder."""
        if format not in EXPORT_FORMATS:
            raise ActionError(f'export format {format!r}: expected one of {", ".join(EXPORT_FORMATS)}')
        problem = folder_problem(self.capture.state.folder)
        if problem:
            raise ActionError(problem)
        return self.start_command(ExportSpectrumCommand(format=format, folder=self.capture.state.folder))

    def cancel(self, kind: str) -> None:
        """Cancel the newest command of `kind` if it has not finished."""
        status = self.command_status(kind)
        if status is not None and not status.finished:
            self.worker.cancel(status.command_id)

    def cancel_load(self) -> None:
        """Stop loading the requested network (a download that stalls, a load that hangs) and go back to the
        network shown before, if there is one."""
        if self.loading is None or self.last_args is None:
            raise ActionError('No network is loading: there is nothing to cancel.')
        requested = self.last_args.network
        self.worker.cancel_render()
        self.loading = None
        shown = self.result.args.network if self.result is not None and self.result.network is not None and self.result.args else None
        back = shown is not None and shown != requested
        if back:
            self.network.update(source=shown.source, key=shown.key)
        self.show_message(f'Cancelled loading {requested.source}' + (f'; showing {shown.source} again.' if back else '.'), about='network')

    # ------------------------------------------------------------------------
    # Per frame.

    def update(self, dt: float) -> RenderArgs | None:
        """Poll the worker, advance animations by dt seconds, submit the request if it changed (returns it)."""
        self.poll()
        facts = self.facts
        for controller in self.controllers.values():
            controller.step(dt, facts)
        self._advance_timeline(dt)
        return self._submit(self._mark_interaction(self.compose_args()))

    def compose_args(self) -> RenderArgs | None:
        """The request of the current view state (None, with an error message, if it is invalid)."""
        facts = self.facts
        parts: dict[str, Any] = {}
        for controller in self.controllers.values():
            parts.update(controller.to_args(facts))
        try:
            return self._with_timeline_blend(RenderArgs(**parts))
        except ValueError as e:
            self.show_message(f'Invalid request: {e}', error=True)
            return None

    def render_pending(self) -> bool:
        """Is a submitted request still without its final result?"""
        return self.last_stamp != 0 and (self.result is None or self.result.stamp != self.last_stamp)

    def preview_warp(self) -> np.ndarray | None:
        """With the transform preview on, while the shown image was rendered with another input transform than the
        current request's: the map a front end draws it through (viz.core.preview.preview_warp); else None."""
        if not self.performance.state.transform_preview:
            return None
        return transform_preview_warp(self.shown_result, self.last_args)

    def refresh(self) -> None:
        """Submit the current request again on the next update (e.g. a finished average to show)."""
        self._force_submit = True

    def poll(self) -> None:
        """Take the worker's new command statuses and its newest result."""
        for status in self.worker.poll_commands():
            self.commands[status.command_id] = status
            if status.kind == 'average' and status.state == 'done':
                self.refresh()
            if status.finished:
                self._emit(f'COMMAND id={status.command_id} kind={status.kind} state={status.state} done={status.done} '
                    f'total={status.total} error={json.dumps(status.error)} path={json.dumps(status.path)} '
                    f'psnr={json.dumps(dict(status.psnr))}')
        result = self.worker.poll()
        if result is None:
            return
        if result.loading is not None:
            self.loading = result.loading
            return
        self.loading = None
        if result.error == 'cancelled':             # Stopped (a newer request, a cancelled load): nothing to show.
            self._emit(f'CANCELLED stamp={result.stamp}')
            return
        self._apply_result(result)

    def _apply_result(self, result: RenderResult) -> None:
        self.result = result
        if result.image is not None:
            self.shown_image = result.image
            self.shown_precision = result.precision
            self.shown_result = result
        if result.error is None:
            self.render_times.append(float(result.render_seconds))
        eq = result.analysis.equivariance if result.analysis is not None else None
        if eq is not None and not math.isnan(eq.psnr):
            self.psnr_history.append(eq.psnr)
        for controller in self.controllers.values():
            controller.on_result(result)
        source = result.network.source if result.network is not None else None
        if source is not None and self.settings.recent[:1] != (source,):
            self.settings = self.settings.with_recent(source)
            self.save_settings()
        size = 'none' if result.image is None else f'{result.image.shape[1]}x{result.image.shape[0]}'
        self._emit(f'RENDERED stamp={result.stamp} seconds={result.render_seconds:.4f} size={size} error={json.dumps(result.error)}')

    def _mark_interaction(self, args: RenderArgs | None) -> RenderArgs | None:
        """Set PerformanceArgs.interacting (only with the preview on) on requests that change during an
        interaction, and keep it until the interaction ends: a click that changes nothing submits nothing,
        and the release submits the exact re-render."""
        if args is None or not args.performance.preview_bf16:
            return args
        last = self.last_args
        was = last is not None and last.performance.interacting
        if was:
            last = dataclasses.replace(last, performance=dataclasses.replace(last.performance, interacting=False))
        if self.interacting and (was or args != last):
            return dataclasses.replace(args, performance=dataclasses.replace(args.performance, interacting=True))
        return args

    def _submit(self, args: RenderArgs | None) -> RenderArgs | None:
        if args is None or (args == self.last_args and not self._force_submit):
            return None
        if self.last_args is None or args.analysis.eq_mode != self.last_args.analysis.eq_mode:
            self.psnr_history.clear()
        self._force_submit = False
        self.last_args = args
        self.last_stamp = self.worker.submit(args)
        self._emit(f'SUBMITTED stamp={self.last_stamp} args={json.dumps(args.to_dict())}')
        return args

    # ------------------------------------------------------------------------
    # Messages and log lines.

    def _emit(self, line: str) -> None:
        if self._emit_fn is not None:
            self._emit_fn(line)

    def show_message(self, text: str, error: bool = False, about: str = '') -> None:
        """Show `text` (errors over the image, the rest in the status bar, for a while); a text longer than
        MAX_MESSAGE characters (a message quoting a huge value from a file) is cut there."""
        if len(text) > MAX_MESSAGE:
            text = text[:MAX_MESSAGE - 1] + '\u2026'
        self.message = Message(text=text, error=error, shown_at=self._clock(), about=about)
        self._emit(f'MESSAGE level={"error" if error else "info"} text={json.dumps(text)}')

    def visible_message(self) -> Message | None:
        """The message if it is still on screen: errors for ERROR_SECONDS, the rest for INFO_SECONDS."""
        m = self.message
        if m is None or self._clock() - m.shown_at >= (ERROR_SECONDS if m.error else INFO_SECONDS):
            return None
        return m

    # ------------------------------------------------------------------------
    # Sessions.

    def view_state(self) -> dict:
        """The session (version 2) of the current view."""
        return session.make_session({key: c.get_state() for key, c in self.controllers.items()}, self.view)

    def apply_view_state(self, data: dict, where: str) -> None:
        """Apply a checked session dict; on any problem nothing changes and SessionError names the field."""
        states = data.get('controllers', {})
        unknown = sorted(set(states) - set(self.controllers))
        if unknown:
            raise session.SessionError(f'{where}: controllers: unknown controller {paths.short(unknown[0])!r}; expected one of '
                f'{", ".join(self.controllers)}')
        old = {key: c.state for key, c in self.controllers.items()}
        try:
            view = session.ViewState.from_dict(data.get('view', {}), self.view)
            for key, state in states.items():
                controller = self.controllers[key]
                try:
                    controller.set_state({**controller.get_state(), **state} if isinstance(state, dict) else state)
                except ValueError as e:
                    raise ValueError(f'controllers.{key}: {e}') from None
        except ValueError as e:
            for key, state in old.items():
                self.controllers[key].state = state
            raise session.SessionError(f'{where}: {e}') from None
        self.view = view

    def save_session(self, path: str | None = None) -> bool:
        path = path or self.session_path
        try:
            written = session.write_session(path, self._session_timeline(self.view_state()))
        except session.SessionError as e:
            self.show_message(str(e), error=True, about='session')
            return False
        self.session_path = str(path)
        self.show_message(f'Session saved to {written}', about='session')
        return True

    def load_session(self, path: str | None = None) -> bool:
        """Apply a session file; on any problem keep the current state and show the error."""
        path = path or self.session_path
        try:
            data, where = session.read_session(path), f'session file {str(path)!r}'
            timeline = self._read_session_timeline(data, where)
            self.apply_view_state(data, where)
        except session.SessionError as e:
            self.show_message(str(e), error=True, about='session')
            return False
        if timeline is not None:
            self.pause()
            self.timeline = timeline
            self._move_playhead(0.0)
        self.session_path = str(path)
        self.show_message(f'Session loaded from {path}', about='session')
        return True

    # ------------------------------------------------------------------------
    # Captures.

    def capture_image(self) -> pathlib.Path | None:
        """Save the shown image at the generator's resolution, with its request in the PNG's text."""
        if self.shown_image is None:
            self.show_message('Nothing to capture yet: no image has been rendered.', error=True, about='capture')
            return None
        args = self.result.args if self.result is not None else None
        text = {ARGS_KEY: json.dumps(args.to_dict())} if args is not None else None
        return self.save_capture(self.shown_image, 'image', text)

    def capture_window(self) -> None:
        """Ask the front end for the window's pixels; it calls save_capture(pixels, 'window') after drawing."""
        problem = folder_problem(self.capture.state.folder)
        if problem:
            raise ActionError(problem)
        self.window_capture_pending = True

    def save_capture(self, pixels: np.ndarray, kind: str, text: dict[str, str] | None = None) -> pathlib.Path | None:
        folder = pathlib.Path(self.capture.state.folder).expanduser()
        if kind == 'window':
            self.window_capture_pending = False
        try:
            path = capture.save_png(pixels, folder, kind, text)
        except (OSError, ValueError) as e:
            self.show_message(f'Could not save the {kind} capture in {folder}: {e}', error=True, about='capture')
            return None
        self._emit(f'CAPTURED kind={kind} path={json.dumps(str(path.resolve()))}')
        self.show_message(f'Saved {path}', about='capture')
        return path

    # ------------------------------------------------------------------------

    def save_settings(self, window_size: tuple[int, int] | None = None) -> None:
        """Keep the user's settings (recent networks, folders, view, GUI rate) for the next start."""
        perf = self.performance.state
        changes: dict[str, Any] = dict(fps_limit=perf.fps_limit, vsync=perf.vsync, capture_dir=self.capture.state.folder,
            browse_dir=self.network.state.browse_dir or None, show_pane=self.view.show_pane, filter=self.view.filter,
            pane_width=self.view.pane_width)
        if window_size is not None and min(window_size) >= 200:
            changes.update(window_width=int(window_size[0]), window_height=int(window_size[1]))
        try:
            self.settings = dataclasses.replace(self.settings, **changes)
            settings_mod.save_settings(self.settings, self.config_dir)
        except (OSError, ValueError) as e:
            self.show_message(f'Could not save settings in {self.config_dir}: {e}', error=True)

    def close(self, window_size: tuple[int, int] | None = None, wait: float = 1.0) -> None:
        """Keep the settings and stop the worker: it cancels a running render or command, and is waited for at most
        `wait` seconds (a layer that is slow to reach its next cancel point is left behind: the app is quitting)."""
        self.save_settings(window_size)
        self.worker.close(timeout=wait)
