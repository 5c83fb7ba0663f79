"""Timelines: keyframes of complete view states, interpolated to a view state for any time; the seed-loop
generator; recording a performance; the JSON file format. Toolkit-free and torch-free.

A keyframe is the view at a time: every controller's state (as in a session's "controllers", completed with the
defaults, without the user's setup: the capture folder, the network browse folder, the GUI frame-rate cap and
vsync) and the image view's zoom and pan. Between two keyframes A and B (A's time <= t < B's):

- continuous fields move: the latent position x/y (the fractional-seed blend, `latent = 'seeds'`), the input
  translation, the rotation (the shorter way round), the scale (logarithmically), truncation psi, the layer gain,
  the spectrum's colour range and the view's pan and zoom;
- W itself can move instead of the seed position (`latent = 'linear'` or `'spherical'`): the request then keeps
  A's position and asks the renderer to blend in the W of the other keyframes' positions (`LatentArgs.blend`);
- every other field (layer, channel, view mode, seeds of style mixing and noise, network, ...) is A's: discrete
  fields switch at the keyframe.

Easing: 'linear', 'smooth' (smoothstep in and out of every keyframe) or 'catmull-rom' (a curve through the
keyframes before and after; bounded fields - psi, gain, scale, colour ranges - take the smooth path so they never
overshoot). With `loop`, the last keyframe flows into the first: the segment from the last keyframe ends at
`duration` (+ the first keyframe's time), where the state is the first keyframe's again.

File format (version 1), written by `write_timeline`, read (and checked field by field) by `read_timeline`:

    {"format": "sg3-viz-timeline", "version": 1,
     "easing": "smooth",            # 'linear' | 'smooth' | 'catmull-rom'
     "latent": "linear",            # 'seeds' | 'linear' | 'spherical': how W moves between keyframes
     "loop": false,                 # close the path: the last keyframe flows into the first
     "duration": 6.0,               # seconds; > the last keyframe's time when looping, >= it otherwise
     "keyframes": [                 # strictly increasing times >= 0
       {"time": 0.0,
        "controllers": {"latent": {"x": 3.0}, "transform": {"angle_deg": 90.0}},  # fields that differ from the defaults
        "view": {"zoom": null, "pan": [0, 0]},                                    # optional
        "easing": null},           # optional: this keyframe's segment eases otherwise
       ...]}

Missing controllers and fields take the defaults (a session's values, not the current view), so a timeline renders
the same everywhere.
"""

from __future__ import annotations

import bisect
import copy
import dataclasses
import json
import math
import pathlib
from typing import Any

from viz.core import session
from viz.core.controller import Facts, state_from_dict, state_to_dict
from viz.core.controllers import CONTROLLER_CLASSES
from viz.files import atomic_write
from viz.protocol import RenderArgs

TIMELINE_FORMAT = 'sg3-viz-timeline'
TIMELINE_VERSION = 1
EASINGS = ('linear', 'smooth', 'catmull-rom')
LATENT_MODES = ('seeds', 'linear', 'spherical')  # Fractional-seed position, lerp of W, slerp of W.
DEFAULT_GAP = 2.0                               # Seconds between keyframes appended without a time.
MAX_TIMELINE_BYTES = 64 << 20                   # Larger files are refused before parsing.
MAX_FRAMES = 1_000_000                          # Videos longer than this are refused (about 4.6 h at 60 fps).
MAX_SECONDS = 1e6                               # Keyframe times and durations beyond this (11.6 days) are refused.

# Fields that are the user's setup, not part of the picture: never stored in keyframes, never changed by playback.
SETUP_FIELDS = {'capture': None, 'network': ('browse_dir',), 'performance': ('fps_limit', 'vsync')}
VIEW_FIELDS = ('zoom', 'pan')                   # The image view's fields a keyframe keeps.

# How continuous fields move: 'linear' (unbounded, Catmull-Rom allowed), 'angle' (degrees, the shorter way),
# 'bounded' (convex between the two keyframes), 'log' (convex in log space). Fields not listed are discrete.
CONTINUOUS = {
    ('latent', 'x'): 'linear', ('latent', 'y'): 'linear',
    ('transform', 'x'): 'linear', ('transform', 'y'): 'linear', ('transform', 'angle_deg'): 'angle', ('transform', 'scale'): 'log',
    ('trunc_noise', 'psi'): 'bounded', ('layer', 'gain_db'): 'bounded',
    ('analysis', 'eq_scale_max'): 'log', ('analysis', 'spectrum_beta'): 'bounded',
    ('analysis', 'spectrum_db_low'): 'bounded', ('analysis', 'spectrum_db_high'): 'bounded',
    ('directions', 'strengths'): 'linear',      # Per direction; sets of different lengths are padded with 0.
}
_CLASSES = {cls.key: cls for cls in CONTROLLER_CLASSES}


class TimelineError(ValueError):
    """A timeline (file, keyframe or option) that cannot be used; the message names the file or field."""


def _keyframe_fields(key: str, state: dict) -> dict:
    """A controller's state without the user's setup fields."""
    skip = SETUP_FIELDS.get(key, ())
    return {name: value for name, value in state.items() if name not in skip}


DEFAULTS = {key: _keyframe_fields(key, state_to_dict(cls.State())) for key, cls in _CLASSES.items() if key not in SETUP_FIELDS
    or SETUP_FIELDS[key] is not None}
DEFAULT_VIEW = {'zoom': None, 'pan': [0.0, 0.0]}

# ----------------------------------------------------------------------------
# Keyframes and timelines.


@dataclasses.dataclass(frozen=True)
class Keyframe:
    time: float                                 # Seconds from the start of the timeline (>= 0).
    controllers: dict                           # {controller key: complete state dict} without setup fields (see DEFAULTS).
    view: dict                                  # {'zoom': float | None, 'pan': [x, y]}.
    easing: str | None = None                   # Easing of the segment that starts here; None = the timeline's.

    def state(self) -> dict:
        """The view state to apply (ViewCore.apply_view_state): a fresh copy."""
        return {'controllers': copy.deepcopy(self.controllers), 'view': copy.deepcopy(self.view)}


def make_keyframe(
    time:  float,                               # Seconds from the start.
    state: dict,                                # A view state: {'controllers': {...}, 'view': {...}} (a session's, partial or whole).
    where: str = 'keyframe',                    # Names the keyframe in error messages (e.g. "timeline file 'a.json': keyframes[2]").
    easing: str | None = None,                  # The segment's easing override.
) -> Keyframe:
    """A checked keyframe: missing controllers and fields take the defaults; setup fields and view fields other than
    zoom and pan are dropped; unknown or invalid ones raise TimelineError naming them."""
    if isinstance(time, bool) or not isinstance(time, (int, float)) or not 0 <= time <= MAX_SECONDS:
        raise TimelineError(f'{where}.time = {time!r}: expected a number of seconds in [0, {MAX_SECONDS:g}]')
    if easing is not None and easing not in EASINGS:
        raise TimelineError(f'{where}.easing = {easing!r}: expected null or one of {", ".join(EASINGS)}')
    if not isinstance(state, dict):
        raise TimelineError(f'{where}: expected a JSON object with "controllers" and "view"')
    given, view = state.get('controllers', {}), state.get('view', {})
    if not isinstance(given, dict) or not isinstance(view, dict):
        raise TimelineError(f'{where}: "controllers" and "view" must be JSON objects')
    controllers = {}
    for key in given:
        if key not in _CLASSES:
            raise TimelineError(f'{where}.controllers: unknown controller {key!r}; expected one of {", ".join(_CLASSES)}')
    for key, defaults in DEFAULTS.items():
        fields = given.get(key, {})
        if not isinstance(fields, dict):
            raise TimelineError(f'{where}.controllers.{key} = {fields!r}: expected a JSON object of settings')
        fields = _keyframe_fields(key, fields)
        try:
            checked = state_from_dict(_CLASSES[key].State, {**defaults, **fields}, f'{where}.controllers.{key}')
        except ValueError as e:
            raise TimelineError(str(e)) from None
        controllers[key] = _keyframe_fields(key, state_to_dict(checked))
    kept = {name: view[name] for name in VIEW_FIELDS if name in view}
    try:
        checked_view = session.ViewState.from_dict({**DEFAULT_VIEW, **kept}, session.ViewState())
    except (TypeError, ValueError) as e:
        raise TimelineError(f'{where}.{e}') from None
    return Keyframe(time=float(time), controllers=controllers, view={'zoom': checked_view.zoom, 'pan': list(checked_view.pan)},
        easing=easing)


@dataclasses.dataclass(frozen=True)
class Sample:
    """The timeline at one time: the view state, and the W blend the request adds (LatentArgs.blend)."""
    state: dict                                 # {'controllers': {...}, 'view': {...}} as a keyframe's.
    blend: tuple[tuple[float, float, float], ...] = ()  # Other latent positions (x, y, weight); () = none.
    blend_mode: str = 'lerp'                    # 'lerp' | 'slerp'.


@dataclasses.dataclass(frozen=True)
class Timeline:
    keyframes: tuple[Keyframe, ...] = ()        # Strictly increasing times.
    easing: str = 'smooth'                      # 'linear' | 'smooth' | 'catmull-rom'.
    latent: str = 'linear'                      # How W moves: 'seeds' (fractional seed position), 'linear' (lerp), 'spherical' (slerp).
    loop: bool = False                          # Close the path: the last keyframe flows into the first.
    duration: float = 0.0                       # Seconds: >= the last keyframe's time; > it when looping.

    def __post_init__(self) -> None:
        if not isinstance(self.keyframes, tuple) or not all(isinstance(k, Keyframe) for k in self.keyframes):
            raise TimelineError(f'timeline.keyframes: expected a tuple of Keyframes, got {type(self.keyframes).__name__}')
        if self.easing not in EASINGS:
            raise TimelineError(f'timeline.easing = {self.easing!r}: expected one of {", ".join(EASINGS)}')
        if self.latent not in LATENT_MODES:
            raise TimelineError(f'timeline.latent = {self.latent!r}: expected one of {", ".join(LATENT_MODES)}')
        if not isinstance(self.loop, bool):
            raise TimelineError(f'timeline.loop = {self.loop!r}: expected true or false')
        d = self.duration
        if isinstance(d, bool) or not isinstance(d, (int, float)) or not 0 <= d <= MAX_SECONDS:
            raise TimelineError(f'timeline.duration = {d!r}: expected a number of seconds in [0, {MAX_SECONDS:g}]')
        times = [k.time for k in self.keyframes]
        for i in range(1, len(times)):
            if not times[i] > times[i - 1]:
                raise TimelineError(f'timeline.keyframes[{i}].time = {times[i]!r}: expected more than keyframes[{i - 1}].time = '
                    f'{times[i - 1]!r} (times strictly increase)')
        if times and (d <= times[-1] if self.loop else d < times[-1]):
            raise TimelineError(f'timeline.duration = {d!r}: expected {"more than" if self.loop else "at least"} the last keyframe\'s '
                f'time {times[-1]!r}{" (a loop needs time to flow back to the first keyframe)" if self.loop else ""}')

    @property
    def times(self) -> tuple[float, ...]:
        return tuple(k.time for k in self.keyframes)

    # ------------------------------------------------------------------------
    # Edits: each returns a new timeline (the duration grows as needed).

    def with_options(self, **changes: Any) -> 'Timeline':
        """Other easing / latent / loop / duration; a loop switched on gets time for its closing segment."""
        unknown = sorted(set(changes) - {'easing', 'latent', 'loop', 'duration'})
        if unknown:
            raise TimelineError(f'timeline option {unknown[0]!r}: expected easing, latent, loop or duration')
        if 'duration' in changes:
            return dataclasses.replace(self, **changes)
        loop = changes.pop('loop', self.loop)
        return _fitted(dataclasses.replace(self, loop=False, **changes), loop)

    def with_keyframe(self, keyframe: Keyframe) -> 'Timeline':
        """Add `keyframe` (replacing one at the same time)."""
        keys = [k for k in self.keyframes if k.time != keyframe.time] + [keyframe]
        return _fitted(dataclasses.replace(self, keyframes=(), loop=False), self.loop, sorted(keys, key=lambda k: k.time))

    def without_keyframe(self, index: int) -> 'Timeline':
        self._check_index(index)
        keys = list(self.keyframes)
        del keys[index]
        return _fitted(dataclasses.replace(self, keyframes=(), loop=False), self.loop, keys)

    def retimed(self, index: int, time: float) -> 'Timeline':
        """Move keyframe `index` to `time` (it takes its place in the order); another keyframe at that time is an error."""
        self._check_index(index)
        moved = make_keyframe(time, self.keyframes[index].state(), f'keyframe {index}', self.keyframes[index].easing)
        others = [k for i, k in enumerate(self.keyframes) if i != index]
        if any(k.time == moved.time for k in others):
            raise TimelineError(f'keyframe time {time!r}: another keyframe is at that time')
        return _fitted(dataclasses.replace(self, keyframes=(), loop=False), self.loop, sorted(others + [moved], key=lambda k: k.time))

    def reordered(self, index: int, new_index: int) -> 'Timeline':
        """Move keyframe `index`'s view to position `new_index` in the order; the times stay where they are."""
        self._check_index(index)
        self._check_index(new_index)
        views = list(self.keyframes)
        views.insert(new_index, views.pop(index))
        keys = tuple(dataclasses.replace(view, time=key.time) for view, key in zip(views, self.keyframes))
        return dataclasses.replace(self, keyframes=keys)

    def _check_index(self, index: int) -> None:
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(self.keyframes):
            raise TimelineError(f'keyframe index {index!r}: expected 0 .. {len(self.keyframes) - 1}' if self.keyframes
                else f'keyframe index {index!r}: the timeline has no keyframes')

    # ------------------------------------------------------------------------
    # Sampling.

    def sample(self, t: float) -> Sample:
        """The view at time t (seconds; a looped timeline repeats every `duration`)."""
        keys = self.keyframes
        if not keys:
            raise TimelineError('the timeline has no keyframes: add one (or record a performance) first')
        if not math.isfinite(t):
            raise TimelineError(f'time {t!r}: expected a finite number of seconds')
        n = len(keys)
        if self.loop and n > 1:             # One period from the first keyframe: the closing segment ends at its time + duration.
            t = keys[0].time + (t - keys[0].time) % self.duration
        index = bisect.bisect_right(self.times, t) - 1
        if index >= 0 and keys[index].time == t:
            return Sample(keys[index].state())
        if n == 1 or (not self.loop and (index < 0 or index == n - 1)):
            return Sample(keys[min(max(index, 0), n - 1)].state())
        a, b = index, (index + 1) % n
        end = keys[b].time + (self.duration if b == 0 else 0.0)
        u = (t - keys[a].time) / (end - keys[a].time)
        neighbours = ((a - 1) % n if self.loop or a > 0 else a, a, b, (b + 1) % n if self.loop or b < n - 1 else b)
        return _interpolate([keys[i] for i in neighbours], u, keys[a].easing or self.easing, self.latent)

    def frame_times(self, fps: int) -> tuple[float, ...]:
        """The time of every frame of a video at `fps`: i / fps up to and including `duration`; a loop has
        round(duration * fps) frames spread evenly over one period (the frame after the last is the first)."""
        if isinstance(fps, bool) or not isinstance(fps, int) or fps < 1:
            raise TimelineError(f'fps = {fps!r}: expected an integer >= 1')
        count = max(1, round(self.duration * fps)) if self.loop else math.floor(self.duration * fps + 1e-9) + 1
        if count > MAX_FRAMES:                  # Checked before the frames are made: a huge fps must not exhaust memory.
            raise TimelineError(f'{count} frames at {fps} fps: expected at most {MAX_FRAMES} (duration {self.duration:g} s)')
        if self.loop:
            return tuple(i * self.duration / count for i in range(count))
        return tuple(i / fps for i in range(count))

    # ------------------------------------------------------------------------
    # JSON.

    def to_dict(self) -> dict:
        """The file's JSON object; keyframes keep only the fields that differ from the defaults."""
        keys = []
        for k in self.keyframes:
            changed = {key: {name: value for name, value in state.items() if DEFAULTS[key].get(name) != value}
                for key, state in k.controllers.items()}
            entry: dict[str, Any] = {'time': k.time, 'controllers': {key: fields for key, fields in changed.items() if fields}}
            if k.view != DEFAULT_VIEW:
                entry['view'] = k.view
            if k.easing is not None:
                entry['easing'] = k.easing
            keys.append(entry)
        return {'format': TIMELINE_FORMAT, 'version': TIMELINE_VERSION, 'easing': self.easing, 'latent': self.latent,
            'loop': self.loop, 'duration': self.duration, 'keyframes': keys}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1) + '\n'

    @staticmethod
    def from_dict(data: Any, where: str = 'timeline') -> 'Timeline':
        """A checked timeline from the file's JSON object; TimelineError names `where` and the field."""
        if not isinstance(data, dict) or data.get('format') != TIMELINE_FORMAT:
            raise TimelineError(f'{where}: expected a JSON object with "format": "{TIMELINE_FORMAT}"')
        if data.get('version') != TIMELINE_VERSION:
            raise TimelineError(f'{where}: version {data.get("version")!r} is not supported; expected {TIMELINE_VERSION}')
        known = {'format', 'version', 'easing', 'latent', 'loop', 'duration', 'keyframes'}
        unknown = sorted(set(data) - known)
        if unknown:
            raise TimelineError(f'{where}: unknown entry "{unknown[0]}"; expected {", ".join(sorted(known))}')
        entries = data.get('keyframes', [])
        if not isinstance(entries, list):
            raise TimelineError(f'{where}.keyframes: expected a JSON array of keyframes')
        keys = []
        for i, entry in enumerate(entries):
            place = f'{where}.keyframes[{i}]'
            if not isinstance(entry, dict) or 'time' not in entry:
                raise TimelineError(f'{place}: expected a JSON object with "time", "controllers" and optionally "view", "easing"')
            extra = sorted(set(entry) - {'time', 'controllers', 'view', 'easing'})
            if extra:
                raise TimelineError(f'{place}: unknown entry "{extra[0]}"; expected time, controllers, view, easing')
            keys.append(make_keyframe(entry['time'], entry, place, entry.get('easing')))
        options = {name: data[name] for name in ('easing', 'latent', 'loop') if name in data}
        duration = data.get('duration', keys[-1].time if keys else 0.0)
        try:
            return Timeline(keyframes=tuple(keys), duration=duration, **options)
        except TimelineError as e:
            raise TimelineError(f'{where}: {e}') from None


def _fitted(timeline: Timeline, loop: bool, keys: list[Keyframe] | None = None) -> Timeline:
    """`timeline` with `keys` (default: its own) and `loop`, its duration grown to what they need."""
    keys = list(timeline.keyframes) if keys is None else keys
    duration = timeline.duration
    if keys:
        last = keys[-1].time
        gap = (last - keys[0].time) / (len(keys) - 1) if len(keys) > 1 else DEFAULT_GAP
        if loop and duration <= last:
            duration = last + (gap if gap > 0 else DEFAULT_GAP)
        duration = max(duration, last)
    return dataclasses.replace(timeline, keyframes=tuple(keys), loop=loop, duration=duration)

# ----------------------------------------------------------------------------
# Interpolation.


def ease_weights(u: float, easing: str) -> tuple[float, float, float, float]:
    """Weights of the four keyframes (before, A, B, after) at u in [0, 1) of the segment A -> B."""
    if easing == 'catmull-rom':
        u2, u3 = u * u, u * u * u
        return (0.5 * (-u + 2 * u2 - u3), 0.5 * (2 - 5 * u2 + 3 * u3), 0.5 * (u + 4 * u2 - 3 * u3), 0.5 * (u3 - u2))
    s = u * u * (3 - 2 * u) if easing == 'smooth' else u
    return (0.0, 1.0 - s, s, 0.0)


def _unwrap(value: float, reference: float) -> float:
    """The angle equal to `value` (mod 360) within 180 degrees of `reference`: the shorter way round."""
    return reference + ((value - reference + 180.0) % 360.0 - 180.0)


def _blend_values(values: list[Any], kind: str, weights: tuple[float, ...], convex: tuple[float, ...]) -> Any:
    """One continuous field of the four keyframes at the weights; equal values come back exactly."""
    a, b = values[1], values[2]
    if a is None or b is None or (a == b and kind in ('log', 'bounded')) or all(v == a for v, w in zip(values, weights) if w):
        return a
    if kind == 'log':
        return math.exp(convex[1] * math.log(a) + convex[2] * math.log(b))
    if kind == 'bounded':
        return convex[1] * a + convex[2] * b
    if kind == 'angle':
        p2 = _unwrap(b, a)
        values = [_unwrap(values[0], a), a, p2, _unwrap(values[3], p2)]
    if isinstance(a, list):                 # The view's pan; direction strengths (shorter lists are 0 beyond their end).
        size = max(len(v) for v, w in zip(values, weights) if w)
        padded = [list(v) + [0.0] * (size - len(v)) if w else v for v, w in zip(values, weights)]
        return [sum(w * v[i] for w, v in zip(weights, padded) if w) for i in range(size)]
    return sum(w * v for w, v in zip(weights, values) if w)


def _interpolate(keys: list[Keyframe], u: float, easing: str, latent: str) -> Sample:
    """The sample at u of the segment keys[1] -> keys[2] (keys[0] and keys[3] are the neighbours for Catmull-Rom)."""
    weights = ease_weights(u, easing)
    convex = ease_weights(u, 'smooth' if easing == 'catmull-rom' else easing)
    state = keys[1].state()
    for (key, name), kind in CONTINUOUS.items():
        if key == 'latent' and latent != 'seeds':
            continue
        values = [k.controllers[key][name] for k in keys]
        state['controllers'][key][name] = _blend_values(values, kind, weights, convex)
    view = state['view']
    view['pan'] = _blend_values([k.view['pan'] for k in keys], 'linear', weights, convex)
    view['zoom'] = _blend_values([k.view['zoom'] for k in keys], 'log', weights, convex)
    if latent == 'seeds':
        return Sample(state)
    positions: dict[tuple[float, float], float] = {}
    use = convex if latent == 'spherical' else weights
    for k, weight in zip(keys, use):
        position = (k.controllers['latent']['x'], k.controllers['latent']['y'])
        positions[position] = positions.get(position, 0.0) + weight
    base = (keys[1].controllers['latent']['x'], keys[1].controllers['latent']['y'])
    blend = tuple((x, y, w) for (x, y), w in positions.items() if (x, y) != base and w != 0)
    return Sample(state, blend, 'slerp' if latent == 'spherical' and blend else 'lerp')

# ----------------------------------------------------------------------------
# Requests.


def compose(sample: Sample, facts: Facts = Facts()) -> RenderArgs:
    """The request of a sample, as the view core composes it for the same state (fresh controllers with the
    sample's state, their to_args with `facts`, plus the W blend)."""
    parts: dict[str, Any] = {}
    for key, cls in _CLASSES.items():
        controller = cls()
        if key in sample.state['controllers']:
            controller.set_state({**controller.get_state(), **sample.state['controllers'][key]})
        parts.update(controller.to_args(facts))
    return with_blend(RenderArgs(**parts), sample)


def with_blend(args: RenderArgs, sample: Sample) -> RenderArgs:
    """`args` with the sample's W blend (unchanged when it has none)."""
    if not sample.blend:
        return args
    return dataclasses.replace(args, latent=dataclasses.replace(args.latent, blend=sample.blend, blend_mode=sample.blend_mode))


def frame_args(timeline: Timeline, fps: int, facts: Facts = Facts()) -> tuple[RenderArgs, ...]:
    """The request of every frame of a video of `timeline` at `fps` (Timeline.frame_times)."""
    return tuple(compose(timeline.sample(t), facts) for t in timeline.frame_times(fps))

# ----------------------------------------------------------------------------
# Generators.


def seed_loop(
    seeds:   list[int] | tuple[int, ...],       # The seeds a, b, c, ... visited in order.
    seconds: float,                             # Seconds from one seed to the next (N).
    state:   dict | None = None,                # The view the seeds are shown in (default: the defaults).
    easing:  str = 'catmull-rom',               # As NVIDIA's gen_video.py: a smooth curve through the seeds' W.
    latent:  str = 'linear',
) -> Timeline:
    """A looped timeline through `seeds`, `seconds` each (the common demo, like NVIDIA's gen_video.py). Animations in
    `state` are switched off: the timeline moves the view."""
    if not isinstance(seeds, (list, tuple)) or not seeds or not all(isinstance(s, int) and not isinstance(s, bool) for s in seeds):
        raise TimelineError(f'seed loop seeds = {seeds!r}: expected a non-empty list of integers')
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds) or seconds <= 0:
        raise TimelineError(f'seed loop seconds = {seconds!r}: expected a positive number of seconds per seed')
    base = copy.deepcopy(state) if state is not None else {'controllers': {}, 'view': {}}
    controllers = base.setdefault('controllers', {})
    controllers['transform'] = {**controllers.get('transform', {}), 'anim_translate': False, 'anim_rotate': False}
    keys = []
    for i, seed in enumerate(seeds):
        controllers['latent'] = {**controllers.get('latent', {}), 'x': float(seed), 'y': 0.0, 'anim': False}
        keys.append(make_keyframe(i * float(seconds), base, f'seed loop keyframe {i}'))
    return Timeline(keyframes=tuple(keys), easing=easing, latent=latent, loop=True, duration=len(seeds) * float(seconds))

# ----------------------------------------------------------------------------
# Recording a performance.


class Recorder:
    """The stream of view states with their wall-clock times, as a timeline that replays them at the same times.

    A keyframe is stored whenever the state changes; before a change, the state it changes from is stored at the time
    it was last seen, so that a held view stays held on replay (linear, positions as seeds: what the app showed)."""

    def __init__(self, start: float) -> None:
        self.start = start                      # Clock time of the recording's time 0.
        self.keyframes: list[Keyframe] = []
        self._last: Keyframe | None = None      # The newest sample (stored or not).

    def sample(self, now: float, state: dict) -> None:
        """The view state seen at clock time `now`."""
        last = self._last
        t = max(now - self.start, 0.0)
        if last is not None and t <= last.time:
            t = last.time                       # No time has passed: the newest state at this time wins.
        key = make_keyframe(t, state, 'recorded view')
        if last is not None and (key.controllers, key.view) == (last.controllers, last.view):
            self._last = key
            return
        if last is not None and t > last.time and self.keyframes[-1].time != last.time:
            self.keyframes.append(last)         # The state held until now.
        if self.keyframes and self.keyframes[-1].time == t:
            self.keyframes[-1] = key
        else:
            self.keyframes.append(key)
        self._last = key

    def finish(self, now: float) -> Timeline:
        """The recording up to clock time `now` (the last state held to the end)."""
        last = self._last
        if last is not None and self.keyframes[-1].time != last.time:
            self.keyframes.append(last)
        duration = max(now - self.start, self.keyframes[-1].time if self.keyframes else 0.0)
        return Timeline(keyframes=tuple(self.keyframes), easing='linear', latent='seeds', loop=False, duration=duration)

# ----------------------------------------------------------------------------
# Files.


def write_timeline(path: str | pathlib.Path, timeline: Timeline) -> pathlib.Path:
    """Write atomically into an existing folder."""
    path = pathlib.Path(path).expanduser()
    if not path.parent.is_dir():
        raise TimelineError(f'cannot write timeline file {str(path)!r}: the folder {str(path.parent)!r} does not exist')
    text = timeline.to_json().encode('utf-8')
    try:
        atomic_write(path, lambda f: f.write(text))
    except OSError as e:
        raise TimelineError(f'cannot write timeline file {str(path)!r}: {e.strerror or e}') from e
    return path


def read_timeline(path: str | pathlib.Path) -> Timeline:
    """Read and check a timeline file; TimelineError names the file and the field."""
    path = pathlib.Path(path).expanduser()
    data = session.read_json(path, 'timeline file', MAX_TIMELINE_BYTES, TimelineError)
    return Timeline.from_dict(data, f'timeline file {str(path)!r}')
