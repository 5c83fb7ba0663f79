"""Timeline & video panel: play / record / scrub, the keyframes (add the current view, go to, update, retime, reorder,
delete), easing, loop, the W path and the length, a seed-loop generator, timeline files, and the frame-exact video
render (format, fps, upscale, content, quality) as a background command."""

from __future__ import annotations

import dataclasses
from tkinter import ttk

from viz.core.texts import (CONTENT_LABELS, EASING_LABELS, FORMAT_LABELS, LATENT_LABELS, NO_KEYFRAMES, VIDEO_HELP, VideoSettings,
    describe_keyframe)
from viz.protocol import H264_CRF
from viz.tk.panels.app import message_about
from viz.tk.widgets import Panel, set_enabled


class TimelinePanel(Panel):
    title = 'Timeline & video'

    def build(self) -> None:
        self.video = VideoSettings()
        self.seeds, self.seconds = '0, 1, 2', 2.0
        timeline = lambda: self.core.timeline  # noqa: E731
        head = lambda: self.core.playhead  # noqa: E731
        has_keys = lambda: bool(timeline().keyframes)  # noqa: E731
        holder = self.row()
        play = self.button(holder, 'play', 'Play', lambda: self.act('app', 'toggle_play'),
            tip='Play the timeline in real time (frames are dropped when rendering is slow)')
        record = self.button(holder, 'record', 'Record', lambda: self.act('app', 'toggle_recording'),
            tip='Record what you do (drags, animations, sliders) with its timing; stopping makes it the timeline')
        self.watch(lambda: (head().playing, head().recording), lambda shown: (play.configure(text='Pause' if shown[0] else 'Play'),
            record.configure(text='Stop recording' if shown[1] else 'Record')))
        scrub = self.slider(holder, 'scrub', lambda: head().time, lambda t: self.act('app', 'seek', float(t)), 0.0,
            lambda: max(timeline().duration, 1e-3), fmt='{:.2f} s', length=self.ctx.em * 8)
        self.enable_when(has_keys, scrub)
        self.note(lambda: ('Recording...', 'warning') if head().recording else None)

        holder = self.row()
        self.button(holder, 'Add current view', 'Add current view', lambda: self.act('app', 'add_keyframe'),
            tip='Append the current view as a keyframe after the last one')
        self.button(holder, 'Add at playhead', 'Add at playhead', lambda: self.act('app', 'add_keyframe', head().time))
        self.enable_when(has_keys, self.button(holder, 'Clear', 'Clear', lambda: self.act('app', 'clear_timeline')))
        self.note(lambda: None if has_keys() else (NO_KEYFRAMES, 'dim'))
        self._keys = self.row()
        self.watch(lambda: (timeline().keyframes, head().keyframe), self._show_keyframes)
        self._separator()
        self._build_options()
        self._separator()
        self._build_video(has_keys)
        self.note(lambda: message_about(self.core, 'timeline'))

    def _separator(self) -> None:
        ttk.Separator(self.frame).grid(row=self._rows, column=0, columnspan=2, sticky='ew', pady=4)
        self._rows += 1

    def _show_keyframes(self, shown) -> None:
        """One row per keyframe: go to it, its time, replace it with the view, move it up or down, delete it."""
        keyframes, current = shown
        for name in [n for n in self.controls if n.split(' ')[0] in ('go', 'time', 'Set', 'Up', 'Down', 'Delete') and n[-1].isdigit()]:
            del self.controls[name]
        for child in self._keys.winfo_children():
            child.destroy()
        count = len(keyframes)
        for index, key in enumerate(keyframes):
            row = ttk.Frame(self._keys)
            row.pack(side='top', fill='x')
            n = index + 1
            go = self.button(row, f'go {n}', f'{n:2d}', lambda i=index: self.act('app', 'jump_to_keyframe', i), tip='Go to this keyframe', width=3)
            go.state(['pressed'] if current == index else ['!pressed'])
            self.number(row, f'time {n}', lambda key=key: key.time, lambda t, i=index: self.act('app', 'retime_keyframe', i, float(t)),
                0.0, 1e6, increment=0.5, integer=False, width=6, fmt='{:.2f}', tip='Time of the keyframe in seconds (Return to move it)',
                follow=False)
            self.button(row, f'Set {n}', 'Set', lambda i=index: self.act('app', 'update_keyframe', i), tip='Replace this keyframe with the current view')
            for text, target in (('Up', index - 1), ('Down', index + 1)):
                button = self.button(row, f'{text} {n}', text, lambda i=index, t=target: self.act('app', 'reorder_keyframe', i, t))
                set_enabled([button], 0 <= target < count)
            self.button(row, f'Delete {n}', 'Delete', lambda i=index: self.act('app', 'delete_keyframe', i))
            ttk.Label(row, text=describe_keyframe(key), foreground='#6b6b6b').pack(side='left', padx=4)
        self.show(self._keys, bool(keyframes))

    def _build_options(self) -> None:
        timeline = lambda: self.core.timeline  # noqa: E731
        holder = self.row('Easing')
        self.combo(holder, 'easing', lambda: timeline().easing, EASING_LABELS, lambda v: self.act('app', 'set_timeline', easing=v), width=12)
        var_holder = ttk.Frame(holder)
        var_holder.pack(side='left', padx=6)
        self.check_value(var_holder, 'loop', 'Loop', lambda: timeline().loop, lambda on: self.act('app', 'set_timeline', loop=on),
            tip='Close the path: the last keyframe flows into the first')
        holder = self.row('Latent path')
        self.combo(holder, 'latent', lambda: timeline().latent, LATENT_LABELS, lambda v: self.act('app', 'set_timeline', latent=v), width=12,
            tip='Between keyframes: blend the seed position, or interpolate W linearly or spherically')
        self.number(holder, 'duration', lambda: timeline().duration, lambda v: self.act('app', 'set_timeline', duration=float(v)), 0.0, 1e6,
            increment=1.0, integer=False, width=6, fmt='{:.2f}', tip='Length of the timeline in seconds')
        ttk.Label(holder, text='s').pack(side='left', padx=2)
        holder = self.row('Seed loop')
        self.entry(holder, 'seeds', lambda: self.seeds, self._set_seeds, width=10, tip='Seeds, separated by commas')
        self.number(holder, 'seconds', lambda: self.seconds, self._set_seconds, 0.1, 3600.0, increment=0.5, integer=False, width=5, fmt='{:.1f}')
        ttk.Label(holder, text='s each').pack(side='left', padx=(2, 6))
        self.button(holder, 'Make', 'Make', lambda: self.act('app', 'make_seed_loop', self.controls['seeds'].get(), self.seconds),
            tip='Replace the timeline with a loop through these seeds in the current view (as gen_video.py)')
        holder = self.row('File')
        self.entry(holder, 'file', lambda: self.core.timeline_path, lambda text: self.act('app', 'set_timeline_path', text), width=14)
        self.button(holder, 'Save', 'Save', lambda: self.act('app', 'save_timeline'))
        self.button(holder, 'Load', 'Load', lambda: self.act('app', 'load_timeline'))

    def _set_seeds(self, text: str) -> None:
        self.seeds = text

    def _set_seconds(self, value: float) -> None:
        self.seconds = float(value)

    def _set_video(self, **changes) -> None:
        self.video = dataclasses.replace(self.video, **changes)
        self.ctx.changed()

    def _build_video(self, has_keys) -> None:
        video = lambda: self.video  # noqa: E731
        holder = self.row('Video')
        self.combo(holder, 'format', lambda: video().format, FORMAT_LABELS, lambda v: (setattr(self, 'video', video().with_format(v)),
            self.ctx.changed()), width=16)
        self.combo(holder, 'fps', lambda: str(video().fps), lambda: video().fps_choices(), lambda v: self._set_video(fps=int(v)), width=7)
        holder = self.row('Size')
        self.number(holder, 'scale', lambda: video().scale, lambda v: self._set_video(scale=int(v)), 1, 16, width=4,
            tip='Whole-number upscale of the generator\'s resolution (pixels stay exact)')
        ttk.Label(holder, text='x').pack(side='left', padx=(2, 6))
        self.combo(holder, 'content', lambda: video().content, CONTENT_LABELS, lambda v: self._set_video(content=v), width=18)
        holder = self.row('Quality')
        self.show_row(holder, lambda: video().format == 'mp4')
        self.slider(holder, 'quality', lambda: video().quality, lambda v: self._set_video(quality=int(v)), *H264_CRF, integer=True,
            fmt='CRF {:.0f}', tip='x264 constant rate factor: 0 best and largest, 18 looks lossless, 51 worst')
        render = self.command_row(self.row(), 'render', 'video', 'Render video', lambda: self.act('app', 'render_video', **video().arguments()),
            tip=VIDEO_HELP)
        self.enable_when(lambda: has_keys() or self._video_running(), render)
        self.note(lambda: (f'Saved {status.path}', 'dim') if (status := self.core.command_status('video')) is not None
            and status.state == 'done' and status.path else None)

    def _video_running(self) -> bool:
        status = self.core.command_status('video')
        return status is not None and not status.finished
