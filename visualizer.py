"""sg3-viz: explore StyleGAN3 (and StyleGAN2) generators in real time.

    python visualizer.py [SOURCE ...] [--device auto|cpu|cuda|mps] [--capture-dir DIR] [--browse-dir DIR]
                         [--session FILE] [--fps N] [--ui auto|imgui|tk]

SOURCE is a built-in demo network (builtin:sg3-t, builtin:sg3-r, builtin:sg2), a checkpoint file, or an
http(s) URL. Without one the built-in StyleGAN3-T demo opens; several fill the recent list.
Two front ends share everything below the widgets: imgui (GLFW) and Tk (ttk controls, native file dialogs, the image
through pyopengltk). `--ui auto` takes imgui and falls back to Tk when imgui or GLFW cannot be imported or open a window.
Needs a display: on a machine without one run it under a virtual X server, e.g. `xvfb-run -a python visualizer.py`.
"""

from __future__ import annotations

import argparse
import os
import sys

# Let torch's CPU allocator use transparent huge pages (10-15% faster fast path, measured); read at torch import.
os.environ.setdefault('THP_MEM_ALLOC_ENABLE', '1')

DEVICES = ('auto', 'cpu', 'cuda', 'mps')
UIS = ('auto', 'imgui', 'tk')


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog='visualizer.py', description=__doc__.split('\n\n')[0],
        epilog='Keyboard shortcuts: press F1 in the window. Settings live in $SG3_VIZ_CONFIG_DIR, '
        '$XDG_CONFIG_HOME/sg3-viz or ~/.config/sg3-viz.')
    parser.add_argument('sources', nargs='*', metavar='SOURCE', help='network(s) to open: builtin:NAME, a file, or a URL (default: builtin:sg3-t)')
    parser.add_argument('--device', choices=DEVICES, default=None, help='where the generator runs (default: auto = cuda, then mps, then cpu)')
    parser.add_argument('--capture-dir', metavar='DIR', help='folder for saved images and window captures (default: ./captures)')
    parser.add_argument('--browse-dir', metavar='DIR', help='folder whose checkpoints the network widget lists')
    parser.add_argument('--session', metavar='FILE', help='session file (JSON) to restore at start')
    parser.add_argument('--fps', type=float, metavar='N', help='GUI frame-rate cap (default: 60, or the saved setting)')
    parser.add_argument('--window-size', metavar='WxH', help='initial window size in screen coordinates, e.g. 1280x800')
    parser.add_argument('--log', action='store_true', default=os.environ.get('SG3_VIZ_LOG', '') not in ('', '0'),
        help='print one line per submitted request, completed render, capture and message (also SG3_VIZ_LOG=1)')
    parser.add_argument('--log-items', action='store_true', help='print the screen rectangle of every control (for UI automation)')
    parser.add_argument('--frame-log', metavar='FILE', help='append per-frame GUI timings as JSON lines (for benchmarks)')
    parser.add_argument('--present', nargs='?', const='', metavar='MONITOR|WxH', help='start in presentation mode (the image '
        'alone, for screen recorders; F11 toggles it): full screen on monitor MONITOR (default 0, the primary), or a borderless '
        'window of WxH, e.g. 1920x1080')
    parser.add_argument('--ui', choices=UIS, default='auto', help='front end: imgui (GLFW), tk (Tk and pyopengltk), or auto = '
        'imgui, falling back to tk when imgui or GLFW cannot be imported or cannot open a window (default: auto)')
    args = parser.parse_args(argv)
    if args.fps is not None and not 1 <= args.fps <= 1000:
        parser.error(f'--fps {args.fps:g}: expected a frame rate between 1 and 1000')
    if args.window_size is not None:
        parts = args.window_size.lower().split('x')
        size = tuple(int(v) for v in parts if v.isdigit())
        if len(parts) != 2 or len(size) != 2 or not all(200 <= v <= 16384 for v in size):
            parser.error(f'--window-size {args.window_size}: expected WIDTHxHEIGHT, each 200..16384')
        args.window_size = size
    if args.present is not None:
        from gui_utils.presentation import PresentTarget
        try:
            args.present = PresentTarget.parse(args.present)
        except ValueError as e:
            parser.error(f'--present: {e}')
    return args


def make_worker(wake):
    """The render side of the app: torch on all cores but one, the renderer on a background thread of lower
    priority, waking the GUI (`wake`) whenever it posts a result; stale renders give way to settled newer requests
    (viz.render.preemption)."""
    from viz.render import preemption
    from viz.render.renderer import Renderer
    from viz.render.threads import leave_a_core_for_the_gui, lower_thread_priority
    from viz.render.worker import RenderWorker
    leave_a_core_for_the_gui()
    return RenderWorker(Renderer(), on_result=wake, on_start=lower_thread_priority, preemption=preemption.from_environment())


class FrontEndUnavailable(RuntimeError):
    """A front end cannot be imported or cannot open its window; the message says why."""


_allocator_configured = False


def configure_allocator(log: bool) -> None:
    """Keep freed memory for reuse (glibc): the generator frees and allocates the same large tensors every frame."""
    global _allocator_configured
    if _allocator_configured:
        return
    _allocator_configured = True
    import sg3.ops
    applied = sg3.ops.configure_allocator()
    if log:
        print(f'ALLOCATOR applied={str(applied).lower()} ' + ('(glibc keeps freed memory for reuse)' if applied
            else '(not glibc: the C library allocator is left as it is)'), flush=True)


def app_options(args: argparse.Namespace) -> dict:
    """The options both front ends take."""
    return dict(sources=tuple(args.sources), device=args.device, capture_dir=args.capture_dir, browse_dir=args.browse_dir,
        session_file=args.session, fps_limit=args.fps, log=args.log, log_items=args.log_items, frame_log=args.frame_log,
        window_size=args.window_size, present=args.present)


def open_imgui(args: argparse.Namespace):
    """The imgui window, or FrontEndUnavailable."""
    try:
        from gui_utils.glfw_window import DisplayUnavailableError, init_glfw
        from viz.imgui.app import Visualizer
    except ImportError as e:
        raise FrontEndUnavailable(f'cannot import {e.name or e}: {e}') from None
    try:
        init_glfw()
        configure_allocator(args.log)
        return Visualizer(make_worker, **app_options(args))
    except DisplayUnavailableError as e:
        raise FrontEndUnavailable(str(e)) from None


def open_tk(args: argparse.Namespace):
    """The Tk window, or FrontEndUnavailable."""
    from viz.tk.app import DisplayUnavailableError, TkVisualizer
    try:
        configure_allocator(args.log)
        return TkVisualizer(make_worker, **app_options(args))
    except DisplayUnavailableError as e:
        raise FrontEndUnavailable(str(e)) from None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.ui == 'tk':
            app = open_tk(args)
        else:
            try:
                app = open_imgui(args)
            except FrontEndUnavailable as e:
                if args.ui == 'imgui':
                    raise
                print(f'visualizer.py: the imgui front end is unavailable ({e}); using the Tk front end (--ui tk)', file=sys.stderr)
                app = open_tk(args)
    except FrontEndUnavailable as e:
        print(f'visualizer.py: {e}', file=sys.stderr)
        return 2
    try:
        return app.run()
    except KeyboardInterrupt:                   # Ctrl+C in the terminal: the window is already closed by run().
        return 130


def exit_now(code: int) -> None:
    """Leave at once once the window is closed and the settings are saved: the render thread may still be inside a long
    operation that ignores its cancel flag (interpreter shutdown would wait for it, or abort under it), and tearing torch
    down takes seconds of its own. An open system file dialog is closed first."""
    from viz.core import native_dialog
    native_dialog.close_all()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == '__main__':
    exit_now(main())
