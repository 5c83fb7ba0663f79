"""The timeline half of the view core (mixed into `ViewCore`): the current timeline, the playhead, playback,
recording and video renders, as app actions (`ViewCore.act('app', name, ...)`) a view or a script calls.

What views draw: `timeline` (a `viz.core.timeline.Timeline`: its keyframes' times, easing, loop, duration),
`playhead` (time, playing, recording, the keyframe under the playhead) and, for a render, the status of the
newest 'video' command (`command_status('video')`: done / total frames, seconds left; `cancel('video')`).

Playback applies the timeline's view at the playhead to the controllers every frame (after their own animations,
so those do not drift it); the request then carries the timeline's W blend while the latent controller keeps the
state the timeline gave it. Requests are made as usual: when rendering is slow, the worker renders the newest and
frames are dropped. Recording samples the view state once a frame with the wall-clock time; stopping turns the
recording into the current timeline.
"""

from __future__ import annotations

import dataclasses
import pathlib
from typing import Any

from viz.core import paths, session
from viz.core.controller import ActionError, Facts
from viz.core.controllers.capture import folder_problem
from viz.core.timeline import DEFAULT_GAP, Recorder, Sample, Timeline, TimelineError, frame_args, make_keyframe, read_timeline, seed_loop, \
    with_blend, write_timeline
from viz.protocol import RenderArgs, VideoCommand

DEFAULT_TIMELINE_PATH = 'timeline.json'


@dataclasses.dataclass(frozen=True)
class Playhead:
    time: float = 0.0                           # Seconds: where the scrubber is.
    playing: bool = False                       # Advancing in real time.
    recording: bool = False                     # The view is being recorded (the recording replaces the timeline when it stops).
    keyframe: int | None = None                 # Index of the keyframe exactly at `time`, if any.


class TimelineActions:
    """Mixed into ViewCore; uses its controllers, view state, messages, clock and commands."""
    TIMELINE_ACTIONS = ('add_keyframe', 'update_keyframe', 'retime_keyframe', 'reorder_keyframe', 'delete_keyframe',
        'jump_to_keyframe', 'seek', 'play', 'pause', 'toggle_play', 'set_timeline', 'clear_timeline', 'make_seed_loop',
        'save_timeline', 'load_timeline', 'set_timeline_path', 'start_recording', 'stop_recording', 'toggle_recording',
        'render_video')

    def _init_timeline(self) -> None:
        self.timeline = Timeline()
        self.playhead = Playhead()
        self.timeline_path = DEFAULT_TIMELINE_PATH
        self._recorder: Recorder | None = None
        self._blend: tuple[Sample, Any] | None = None   # The shown sample's W blend and the latent state it belongs to.

    # ------------------------------------------------------------------------
    # Editing.

    def _set_timeline(self, timeline: Timeline) -> None:
        self.timeline = timeline
        self._move_playhead(min(self.playhead.time, timeline.duration))

    def _edit(self, change: Any) -> None:
        """Apply a Timeline edit; TimelineError becomes an ActionError (shown as a message by `act`)."""
        try:
            self._set_timeline(change())
        except TimelineError as e:
            raise ActionError(str(e)) from None

    def add_keyframe(self, time: float | None = None) -> int:
        """The current view as a keyframe at `time` (default: the end, DEFAULT_GAP after the last keyframe; 0 for the
        first), replacing one at that time; the playhead moves there. Returns its index."""
        if time is None:
            keys = self.timeline.keyframes
            time = 0.0 if not keys else (keys[-1].time + DEFAULT_GAP if not self.timeline.loop else self.timeline.duration)
        self._edit(lambda: self.timeline.with_keyframe(self._keyframe(time)))
        index = self.timeline.times.index(float(time))
        self._move_playhead(float(time))
        return index

    def update_keyframe(self, index: int) -> None:
        """Replace keyframe `index`'s view with the current one (its time and easing stay)."""
        self._edit(lambda: self._checked(index).with_keyframe(self._keyframe(self.timeline.keyframes[index].time,
            self.timeline.keyframes[index].easing)))

    def retime_keyframe(self, index: int, time: float) -> None:
        """Move keyframe `index` to `time` (it takes its place in the order)."""
        self._edit(lambda: self.timeline.retimed(index, time))

    def reorder_keyframe(self, index: int, new_index: int) -> None:
        """Move keyframe `index`'s view to position `new_index`; the keyframe times stay."""
        self._edit(lambda: self.timeline.reordered(index, new_index))

    def delete_keyframe(self, index: int) -> None:
        self._edit(lambda: self.timeline.without_keyframe(index))

    def jump_to_keyframe(self, index: int) -> None:
        self.seek(self._checked(index).keyframes[index].time)

    def set_timeline(self, **options: Any) -> None:
        """Timeline options: easing ('linear' | 'smooth' | 'catmull-rom'), latent ('seeds' | 'linear' | 'spherical'),
        loop (bool), duration (seconds)."""
        self._edit(lambda: self.timeline.with_options(**options))

    def clear_timeline(self) -> None:
        self.pause()
        self._set_timeline(Timeline())
        self._move_playhead(0.0)

    def make_seed_loop(self, seeds: list[int] | tuple[int, ...] | str, seconds: float = 2.0) -> None:
        """A looped timeline through `seeds` ('1, 2, 3' or a list), `seconds` each, in the current view; replaces
        the timeline."""
        if isinstance(seeds, str):
            try:
                seeds = [int(s) for s in seeds.replace(',', ' ').split()]
            except ValueError:
                raise ActionError(f'seeds {seeds!r}: expected integers separated by commas or blanks') from None
        self._edit(lambda: seed_loop(seeds, seconds, self._keyframe(0.0).state()))
        self.seek(0.0)

    def _checked(self, index: int) -> Timeline:
        try:
            self.timeline._check_index(index)
        except TimelineError as e:
            raise ActionError(str(e)) from None
        return self.timeline

    def _keyframe(self, time: float, easing: str | None = None) -> Any:
        try:
            return make_keyframe(time, self.view_state(), 'the current view', easing)
        except TimelineError as e:
            raise ActionError(str(e)) from None

    # ------------------------------------------------------------------------
    # Playhead and playback.

    def seek(self, time: float) -> None:
        """Move the playhead to `time` (clamped to the timeline) and show the view there."""
        if isinstance(time, bool) or not isinstance(time, (int, float)):
            raise ActionError(f'time {time!r}: expected seconds')
        self._move_playhead(min(max(float(time), 0.0), self.timeline.duration))
        self._show(self.playhead.time)

    def play(self) -> None:
        """Play from the playhead (from the start when it is at the end of a timeline that does not loop)."""
        if not self.timeline.keyframes:
            raise ActionError('The timeline has no keyframes: add the current view or record a performance first.')
        if self.playhead.recording:
            raise ActionError('Stop recording before playing the timeline.')
        if not self.timeline.loop and self.playhead.time >= self.timeline.duration:
            self._move_playhead(0.0)
        self.playhead = dataclasses.replace(self.playhead, playing=True)
        self._show(self.playhead.time)

    def pause(self) -> None:
        self.playhead = dataclasses.replace(self.playhead, playing=False)

    def toggle_play(self) -> None:
        self.pause() if self.playhead.playing else self.play()

    def _move_playhead(self, time: float) -> None:
        times = self.timeline.times
        self.playhead = dataclasses.replace(self.playhead, time=time, keyframe=times.index(time) if time in times else None)

    def _show(self, time: float) -> None:
        """Apply the timeline's view at `time` to the controllers (nothing without keyframes)."""
        if not self.timeline.keyframes:
            return
        sample = self.timeline.sample(time)
        self.apply_view_state(sample.state, f'timeline at {time:.3f} s')
        self._blend = (sample, self.controllers['latent'].state) if sample.blend else None

    def _advance_timeline(self, dt: float) -> None:
        """Per frame, after the controllers' own step: play, and record."""
        if self.playhead.playing and self.timeline.keyframes:
            time, duration = self.playhead.time + max(dt, 0.0), self.timeline.duration
            if time >= duration and not self.timeline.loop:
                time = duration
                self.pause()
            elif self.timeline.loop and duration > 0:
                time %= duration
            self._move_playhead(time)
            self._show(time)
        if self._recorder is not None:
            self._recorder.sample(self._clock(), self.view_state())

    def _with_timeline_blend(self, args: RenderArgs) -> RenderArgs:
        """The request with the shown sample's W blend, while the latent controller is as the timeline left it."""
        if self._blend is None:
            return args
        sample, latent_state = self._blend
        if self.controllers['latent'].state != latent_state:
            self._blend = None                  # The user moved the latent: the blend is gone.
            return args
        return with_blend(args, sample)

    # ------------------------------------------------------------------------
    # Recording.

    def start_recording(self) -> None:
        """Record the view (drags, animations, slider moves) with wall-clock times; playback pauses."""
        self.pause()
        self._recorder = Recorder(self._clock())
        self._recorder.sample(self._clock(), self.view_state())
        self.playhead = dataclasses.replace(self.playhead, recording=True)
        self.show_message('Recording the view: stop recording to keep it as the timeline.', about='timeline')

    def stop_recording(self) -> Timeline | None:
        """Stop recording; the recording (linear, positions as seeds) becomes the timeline. Returns it."""
        recorder, self._recorder = self._recorder, None
        self.playhead = dataclasses.replace(self.playhead, recording=False)
        if recorder is None:
            return None
        recorder.sample(self._clock(), self.view_state())
        recording = recorder.finish(self._clock())
        self._set_timeline(recording)
        self._move_playhead(0.0)
        self.show_message(f'Recorded {recording.duration:.1f} s ({len(recording.keyframes)} keyframes) as the timeline.',
            about='timeline')
        return recording

    def toggle_recording(self) -> None:
        self.stop_recording() if self.playhead.recording else self.start_recording()

    # ------------------------------------------------------------------------
    # Files.

    def set_timeline_path(self, path: str) -> None:
        self.timeline_path = paths.name(path, 'timeline file')

    def save_timeline(self, path: str | None = None) -> bool:
        path = path or self.timeline_path
        try:
            written = write_timeline(path, self.timeline)
        except TimelineError as e:
            self.show_message(str(e), error=True, about='timeline')
            return False
        self.timeline_path = str(path)
        self.show_message(f'Timeline saved to {written}', about='timeline')
        return True

    def load_timeline(self, path: str | None = None) -> bool:
        """Read a timeline file; on any problem keep the current timeline and show the error."""
        path = path or self.timeline_path
        try:
            loaded = read_timeline(path)
        except TimelineError as e:
            self.show_message(str(e), error=True, about='timeline')
            return False
        self.pause()
        self._set_timeline(loaded)
        self.timeline_path = str(path)
        self.seek(0.0)
        self.show_message(f'Timeline loaded from {path}', about='timeline')
        return True

    def _session_timeline(self, data: dict) -> dict:
        """A session dict with the timeline (when it has keyframes)."""
        if self.timeline.keyframes:
            data['timeline'] = self.timeline.to_dict()
        return data

    def _read_session_timeline(self, data: dict, where: str) -> Timeline | None:
        """A session's optional timeline, checked; SessionError names the field."""
        if 'timeline' not in data:
            return None
        try:
            return Timeline.from_dict(data['timeline'], f'{where}: timeline')
        except TimelineError as e:
            raise session.SessionError(str(e)) from None

    # ------------------------------------------------------------------------
    # Video.

    def render_video(self, format: str = 'mp4', fps: int = 30, scale: int = 1, quality: int = 18, content: str = 'image',
            path: str | None = None) -> int | None:
        """Render the timeline as a video in the background (command 'video': progress in command_status('video'),
        cancel('video') stops it and leaves no file). Without `path`, a numbered video-NNNNN goes into the capture
        folder. The timeline's JSON is written beside the video."""
        if not self.timeline.keyframes:
            raise ActionError('The timeline has no keyframes: add the current view or record a performance first.')
        if path is None:
            problem = folder_problem(self.capture.state.folder)
            if problem:
                raise ActionError(problem)
        try:
            frames = frame_args(self.timeline, fps, self._video_facts())
        except TimelineError as e:
            raise ActionError(str(e)) from None
        command = VideoCommand(frames=frames, fps=fps, format=format, scale=scale, quality=quality, content=content,
            folder=str(pathlib.Path(self.capture.state.folder).expanduser()), path=path, timeline=self.timeline.to_json())
        return self.start_command(command)

    def _video_facts(self) -> Facts:
        """Facts for composing frames: the shown network's, when it is the one the timeline starts with."""
        result = self.result
        first = self.timeline.keyframes[0].controllers['network']
        if result is not None and result.network is not None and result.args is not None and \
                (result.args.network.source, result.args.network.key) == (first['source'], first['key']):
            return Facts(result=result)
        return Facts()
