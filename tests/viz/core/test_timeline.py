"""Timelines (issue 11): interpolation (a keyframe's time gives the keyframe, midpoints of known pairs, rotation the
shorter way, logarithmic scale, discrete fields switching at the keyframe, W blends, Catmull-Rom through the keys), loops
continuous across the seam, the seed-loop generator, the JSON format and its checks, recording a performance (it replays
to the same states at the same times), and the view core's timeline actions with a stand-in worker."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from tests.viz.fakes import FakeWorker, summary
from viz.core import session
from viz.core.controller import Facts
from viz.core.timeline import (DEFAULTS, EASINGS, LATENT_MODES, Keyframe, Recorder, Timeline, TimelineError, compose, ease_weights,
    frame_args, make_keyframe, read_timeline, seed_loop, write_timeline)
from viz.core.view_core import ViewCore
from viz.protocol import RenderArgs, RenderResult, VideoCommand


def key(time: float, **controllers) -> Keyframe:
    view = controllers.pop('view', {})
    return make_keyframe(time, {'controllers': controllers, 'view': view})


def pair(a: dict, b: dict, **options) -> Timeline:
    """Two keyframes at 0 and 2 s with the given controller states."""
    return Timeline(keyframes=(key(0.0, **a), key(2.0, **b)), duration=2.0, **{'easing': 'linear', 'latent': 'seeds', **options})


def field(timeline: Timeline, t: float, controller: str, name: str):
    return timeline.sample(t).state['controllers'][controller][name]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

# ----------------------------------------------------------------------------
# Interpolation.


@pytest.mark.parametrize('easing', EASINGS)
@pytest.mark.parametrize('latent', LATENT_MODES)
@pytest.mark.parametrize('loop', [False, True])
def test_at_a_keyframe_the_state_is_the_keyframe(easing, latent, loop):
    keys = (key(0.0, latent={'x': 1.0}, transform={'angle_deg': 350.0, 'scale': 2.0}),
        key(1.5, latent={'x': 4.5, 'y': 1.0}, layer={'name': 'L3_36_512', 'channel': 5}, trunc_noise={'psi': 0.5}),
        key(2.0, transform={'x': 0.25, 'angle_deg': 20.0}, view={'zoom': 2.0, 'pan': [3.0, -1.0]}),
        key(4.0, latent={'x': -2.0}, analysis={'eq_mode': 'eqr'}))
    timeline = Timeline(keyframes=keys, easing=easing, latent=latent, loop=loop, duration=5.0)
    for k in keys:
        sample = timeline.sample(k.time)
        assert sample.state == k.state() and sample.blend == ()
        assert compose(sample) == compose(sample)     # Requests are plain values.
    if loop:
        assert timeline.sample(5.0).state == keys[0].state() and timeline.sample(9.0).state == keys[-1].state()
    else:
        assert timeline.sample(5.0).state == keys[-1].state() and timeline.sample(-1.0).state == keys[0].state()


def test_midpoints_of_known_pairs():
    t = pair({'latent': {'x': 2.0, 'y': 1.0}, 'transform': {'x': -0.5, 'y': 0.25, 'scale': 1.0}, 'trunc_noise': {'psi': 1.0},
              'layer': {'gain_db': -6.0}},
             {'latent': {'x': 3.0, 'y': 3.0}, 'transform': {'x': 0.5, 'y': 0.75, 'scale': 4.0}, 'trunc_noise': {'psi': 0.5},
              'layer': {'gain_db': 6.0}})
    mid = t.sample(1.0).state['controllers']
    assert (mid['latent']['x'], mid['latent']['y']) == (2.5, 2.0)                  # The fractional-seed blend.
    assert (mid['transform']['x'], mid['transform']['y']) == (0.0, 0.5)
    assert mid['transform']['scale'] == pytest.approx(2.0)                         # Logarithmic: the geometric mean.
    assert mid['trunc_noise']['psi'] == 0.75 and mid['layer']['gain_db'] == 0.0
    assert field(t, 0.5, 'transform', 'scale') == pytest.approx(math.sqrt(2.0))
    assert compose(t.sample(1.0)).latent.x == 2.5


def test_rotation_takes_the_shorter_way():
    forward = pair({'transform': {'angle_deg': 350.0}}, {'transform': {'angle_deg': 10.0}})
    assert field(forward, 1.0, 'transform', 'angle_deg') % 360 == pytest.approx(0.0)
    assert field(forward, 0.5, 'transform', 'angle_deg') % 360 == pytest.approx(355.0)
    backward = pair({'transform': {'angle_deg': 10.0}}, {'transform': {'angle_deg': 350.0}})
    assert field(backward, 0.5, 'transform', 'angle_deg') % 360 == pytest.approx(5.0)
    wide = pair({'transform': {'angle_deg': 0.0}}, {'transform': {'angle_deg': 270.0}})
    assert field(wide, 1.0, 'transform', 'angle_deg') % 360 == pytest.approx(315.0)   # -45, not +135.
    for easing in EASINGS:
        angles = [field(pair({'transform': {'angle_deg': 350.0}}, {'transform': {'angle_deg': 10.0}}, easing=easing), t, 'transform',
            'angle_deg') for t in np.linspace(0, 1.99, 50)]
        unwrapped = np.unwrap(np.radians(angles))
        assert np.ptp(np.degrees(unwrapped)) <= 20.0 + 1e-6                       # Never the long way round.


def test_discrete_fields_switch_at_the_keyframe():
    t = pair({'layer': {'name': None, 'channel': 0, 'view': 'rgb'}, 'analysis': {'eq_mode': 'off'}, 'mix': {'seed': 3}},
             {'layer': {'name': 'L2_36_512', 'channel': 7, 'view': 'channel'}, 'analysis': {'eq_mode': 'eqt'}, 'mix': {'seed': 9}})
    for time in (0.0, 1.0, 1.999):
        c = t.sample(time).state['controllers']
        assert (c['layer']['name'], c['layer']['channel'], c['layer']['view'], c['analysis']['eq_mode'], c['mix']['seed']) == \
            (None, 0, 'rgb', 'off', 3)
    c = t.sample(2.0).state['controllers']
    assert (c['layer']['name'], c['layer']['channel'], c['layer']['view'], c['analysis']['eq_mode'], c['mix']['seed']) == \
        ('L2_36_512', 7, 'channel', 'eqt', 9)


def test_easings():
    assert ease_weights(0.25, 'linear') == (0.0, 0.75, 0.25, 0.0)
    assert ease_weights(0.25, 'smooth')[2] == pytest.approx(0.15625)
    for u in np.linspace(0, 1, 11):
        assert sum(ease_weights(u, 'catmull-rom')) == pytest.approx(1.0)
    smooth = pair({'transform': {'x': 0.0}}, {'transform': {'x': 1.0}}, easing='smooth')
    assert field(smooth, 0.5, 'transform', 'x') == pytest.approx(0.15625) and field(smooth, 1.0, 'transform', 'x') == 0.5


def test_catmull_rom_passes_through_the_keys_smoothly():
    xs = [0.0, 1.0, 4.0, 2.0, 3.0]
    t = Timeline(keyframes=tuple(key(float(i), transform={'x': x}) for i, x in enumerate(xs)), easing='catmull-rom', latent='seeds',
        duration=4.0)
    h = 1e-4
    for i in (1, 2, 3):
        assert field(t, float(i), 'transform', 'x') == xs[i]
        left = (field(t, i, 'transform', 'x') - field(t, i - h, 'transform', 'x')) / h
        right = (field(t, i + h, 'transform', 'x') - field(t, i, 'transform', 'x')) / h
        assert left == pytest.approx(right, abs=1e-2) and left == pytest.approx((xs[i + 1] - xs[i - 1]) / 2, abs=1e-2)
    # Bounded fields never overshoot the keys: psi stays between its neighbours' values.
    psis = [1.0, 0.2, 1.0, 0.2]
    bounded = Timeline(keyframes=tuple(key(float(i), trunc_noise={'psi': p}) for i, p in enumerate(psis)), easing='catmull-rom',
        duration=3.0)
    values = [field(bounded, t, 'trunc_noise', 'psi') for t in np.linspace(0, 3, 61)]
    assert min(values) >= 0.2 and max(values) <= 1.0


def test_w_blends_between_keyframes():
    a, b = {'latent': {'x': 2.0}}, {'latent': {'x': 7.0, 'y': 1.0}}
    lerp = pair(a, b, latent='linear').sample(0.5)
    assert lerp.state['controllers']['latent']['x'] == 2.0                      # The request keeps A's position ...
    assert lerp.blend == ((7.0, 1.0, 0.25),) and lerp.blend_mode == 'lerp'      # ... and blends in B's W.
    args = compose(lerp)
    assert (args.latent.x, args.latent.blend, args.latent.blend_mode) == (2.0, ((7.0, 1.0, 0.25),), 'lerp')
    slerp = pair(a, b, latent='spherical', easing='smooth').sample(1.0)
    assert slerp.blend == ((7.0, 1.0, 0.5),) and slerp.blend_mode == 'slerp'
    same = pair(a, {'latent': {'x': 2.0}, 'transform': {'x': 1.0}}, latent='linear').sample(1.0)
    assert same.blend == ()                                                     # Nothing to blend.
    # Catmull-Rom over four keys: affine weights (summing to 1 with the base's).
    cr = Timeline(keyframes=tuple(key(float(i), latent={'x': float(s)}) for i, s in enumerate((10, 20, 30, 40))),
        easing='catmull-rom', latent='linear', duration=3.0).sample(1.5)
    weights = dict(((x, y), w) for x, y, w in cr.blend)
    assert set(weights) == {(10.0, 0.0), (30.0, 0.0), (40.0, 0.0)} and cr.state['controllers']['latent']['x'] == 20.0
    assert 1 - sum(weights.values()) == pytest.approx(ease_weights(0.5, 'catmull-rom')[1])


def test_a_loop_is_continuous_across_the_seam():
    keys = tuple(key(float(i), latent={'x': float(s)}, transform={'angle_deg': a, 'x': 0.1 * i})
        for i, (s, a) in enumerate(((0, 0.0), (5, 120.0), (9, 240.0))))
    for easing in EASINGS:
        t = Timeline(keyframes=keys, easing=easing, latent='seeds', loop=True, duration=3.0)
        times = t.frame_times(30)
        assert len(times) == 90 and times[1] == pytest.approx(1 / 30)
        frames = [t.sample(x).state for x in times]
        after_last = t.sample(times[-1] + 1 / 30).state                          # The frame after the last ...
        assert after_last == frames[0]                                           # ... is the first.
        xs = [f['controllers']['latent']['x'] for f in frames] + [after_last['controllers']['latent']['x']]
        assert max(abs(np.diff(xs))) < 0.5                                       # No jump at the seam (9 -> 0 over a second).
        assert frame_args(t, 30)[0] == compose(t.sample(3.0))


def test_frame_times():
    t = pair({}, {'latent': {'x': 1.0}})
    assert t.frame_times(30) == tuple(i / 30 for i in range(61))                 # Up to and including the end.
    looped = t.with_options(loop=True)
    assert looped.duration == 4.0 and len(looped.frame_times(24)) == 96
    with pytest.raises(TimelineError, match='fps'):
        t.frame_times(0)

# ----------------------------------------------------------------------------
# Edits, generators, files.


def test_edits_return_new_timelines():
    t = Timeline().with_keyframe(key(0.0)).with_keyframe(key(2.0, latent={'x': 2.0})).with_keyframe(key(1.0, latent={'x': 1.0}))
    assert t.times == (0.0, 1.0, 2.0) and t.duration == 2.0
    moved = t.retimed(0, 3.0)
    assert moved.times == (1.0, 2.0, 3.0) and moved.duration == 3.0 and moved.keyframes[2].controllers['latent']['x'] == 0.0
    reordered = t.reordered(2, 0)
    assert reordered.times == t.times and [k.controllers['latent']['x'] for k in reordered.keyframes] == [2.0, 0.0, 1.0]
    assert t.without_keyframe(1).times == (0.0, 2.0)
    assert t.with_options(loop=True).duration == 3.0                            # Room for the closing segment.
    with pytest.raises(TimelineError, match='another keyframe'):
        t.retimed(0, 2.0)
    with pytest.raises(TimelineError, match='keyframe index 5'):
        t.without_keyframe(5)
    with pytest.raises(TimelineError, match='easing'):
        t.with_options(easing='bouncy')
    with pytest.raises(TimelineError, match='duration'):
        t.with_options(duration=1.0)
    with pytest.raises(TimelineError, match='no keyframes'):
        Timeline().sample(0.0)


def test_seed_loop():
    t = seed_loop([3, 1, 4], 2.5, {'controllers': {'latent': {'anim': True}, 'transform': {'anim_rotate': True, 'scale': 2.0}}})
    assert t.loop and t.duration == 7.5 and t.times == (0.0, 2.5, 5.0) and t.easing == 'catmull-rom' and t.latent == 'linear'
    assert [k.controllers['latent']['x'] for k in t.keyframes] == [3.0, 1.0, 4.0]
    assert all(not k.controllers['latent']['anim'] and not k.controllers['transform']['anim_rotate']
        and k.controllers['transform']['scale'] == 2.0 for k in t.keyframes)
    assert len(frame_args(t, 24)) == 180
    for bad in ([], [1.5], 'abc'):
        with pytest.raises(TimelineError, match='seeds'):
            seed_loop(bad, 1.0)
    with pytest.raises(TimelineError, match='seconds'):
        seed_loop([1], 0)


def test_json_round_trip_is_compact(tmp_path):
    t = Timeline(keyframes=(key(0.0), key(1.0, latent={'x': 1.5}, view={'zoom': 2.0}), make_keyframe(2.0, {}, easing='linear')),
        easing='catmull-rom', latent='spherical', loop=True, duration=3.0)
    path = write_timeline(tmp_path / 't.json', t)
    data = json.loads(path.read_text())
    assert data['format'] == 'sg3-viz-timeline' and data['version'] == 1
    assert data['keyframes'][0] == {'time': 0.0, 'controllers': {}}
    assert data['keyframes'][1] == {'time': 1.0, 'controllers': {'latent': {'x': 1.5}}, 'view': {'zoom': 2.0, 'pan': [0.0, 0.0]}}
    assert data['keyframes'][2]['easing'] == 'linear'
    assert read_timeline(path) == t
    assert not list(tmp_path.glob('.*'))                                         # Written atomically: no temporary left.
    assert set(DEFAULTS) == {'network', 'latent', 'mix', 'trunc_noise', 'transform', 'layer', 'analysis', 'performance', 'directions'}
    assert 'fps_limit' not in DEFAULTS['performance'] and 'browse_dir' not in DEFAULTS['network']


@pytest.mark.parametrize('change, message', [
    (lambda d: d.update(version=2), 'version 2 is not supported'),
    (lambda d: d.update(format='other'), '"format": "sg3-viz-timeline"'),
    (lambda d: d.update(easing='bouncy'), 'timeline.easing'),
    (lambda d: d.update(extra=1), 'unknown entry "extra"'),
    (lambda d: d.update(duration=0.5), 'timeline.duration = 0.5'),
    (lambda d: d['keyframes'][1].update(time=0.0), r'keyframes\[1\].time = 0.0: expected more than'),
    (lambda d: d['keyframes'][1].update(time=-1), r'keyframes\[1\].time = -1'),
    (lambda d: d['keyframes'][1]['controllers'].update(latent={'x': 'a'}), r"keyframes\[1\].controllers.latent.x = 'a'"),
    (lambda d: d['keyframes'][1]['controllers'].update(transform={'scale': 100.0}), r'keyframes\[1\].controllers.transform.scale'),
    (lambda d: d['keyframes'][1]['controllers'].update(bogus={}), "unknown controller 'bogus'"),
    (lambda d: d['keyframes'][1].update(view={'zoom': -1}), r'keyframes\[1\].view.zoom'),
    (lambda d: d['keyframes'][1].update(colour=1), 'unknown entry "colour"'),
    (lambda d: d.update(keyframes={}), 'keyframes: expected a JSON array'),
])
def test_bad_files_name_the_file_and_field(tmp_path, change, message):
    data = seed_loop([1, 2], 1.0).to_dict()
    change(data)
    path = tmp_path / 'bad.json'
    path.write_text(json.dumps(data))
    with pytest.raises(TimelineError, match=message) as info:
        read_timeline(path)
    assert str(path) in str(info.value)


def test_unreadable_files(tmp_path):
    for text, message in (('{', 'not valid JSON'), ('{"a": NaN}', 'not valid JSON'), ('[]', 'expected a JSON object')):
        (tmp_path / 'x.json').write_text(text)
        with pytest.raises(TimelineError, match=message):
            read_timeline(tmp_path / 'x.json')
    with pytest.raises(TimelineError, match='cannot read'):
        read_timeline(tmp_path / 'missing.json')
    with pytest.raises(TimelineError, match='does not exist'):
        write_timeline(tmp_path / 'no' / 't.json', Timeline())

# ----------------------------------------------------------------------------
# Recording.


def test_a_recording_replays_the_same_states_at_the_same_times():
    rng = np.random.default_rng(1)
    recorder, seen = Recorder(start=10.0), []
    now, x, angle = 10.0, 0.0, 0.0
    for frame in range(200):
        if frame % 50 < 20:                     # Drag (every frame changes), then hold still.
            x += float(rng.normal())
        if frame % 70 == 3:
            angle = float(rng.uniform(0, 360))  # A slider jump.
        state = {'controllers': {'latent': {'x': x}, 'transform': {'angle_deg': angle}}, 'view': {}}
        recorder.sample(now, state)
        seen.append((now - 10.0, make_keyframe(0.0, state).state()))
        now += float(rng.uniform(0.01, 0.05))
    timeline = recorder.finish(now)
    assert timeline.easing == 'linear' and timeline.latent == 'seeds' and not timeline.loop
    assert timeline.duration == pytest.approx(now - 10.0) and len(timeline.keyframes) < 200
    for t, state in seen:
        assert timeline.sample(t).state == state, t
    assert timeline.sample(timeline.duration).state == seen[-1][1]


# ----------------------------------------------------------------------------
# The view core.


@pytest.fixture
def core(tmp_path):
    clock = Clock()
    c = ViewCore(FakeWorker(), config_dir=tmp_path / 'config', capture_dir=str(tmp_path / 'captures'), clock=clock)
    c.clock = clock
    return c


def answer(core: ViewCore) -> RenderResult:
    stamp, args = core.worker.submitted[-1]
    result = core.worker.post(image=np.zeros((32, 32, 3), np.uint8), image_resolution=32,
        network=summary(source=args.network.source, img_resolution=32))
    core.update(0.0)
    return result


def test_keyframe_actions(core):
    assert core.act('app', 'add_keyframe') == 0
    core.act('latent', 'set_seed', 5)
    assert core.act('app', 'add_keyframe') == 1 and core.timeline.times == (0.0, 2.0)
    core.act('transform', 'rotate', 90.0)
    assert core.act('app', 'add_keyframe', 1.0) == 1 and core.timeline.times == (0.0, 1.0, 2.0)
    assert core.playhead.time == 1.0 and core.playhead.keyframe == 1
    core.act('app', 'seek', 0.5)                                                 # Scrubbing previews the view.
    assert core.controllers['latent'].state.x == 0.0 and core.controllers['transform'].state.angle_deg == pytest.approx(45.0)
    assert core.playhead.keyframe is None
    core.act('app', 'jump_to_keyframe', 2)
    assert core.controllers['latent'].state.x == 5.0 and core.controllers['transform'].state.angle_deg == 0.0
    core.act('trunc_noise', 'set', psi=0.5)
    core.act('app', 'update_keyframe', 2)
    assert core.timeline.keyframes[2].controllers['trunc_noise']['psi'] == 0.5
    core.act('app', 'retime_keyframe', 2, 4.0)
    assert core.timeline.times == (0.0, 1.0, 4.0) and core.timeline.duration == 4.0
    core.act('app', 'reorder_keyframe', 0, 2)
    assert [(k.controllers['latent']['x'], k.controllers['trunc_noise']['psi']) for k in core.timeline.keyframes] == \
        [(5.0, 1.0), (5.0, 0.5), (0.0, 1.0)]
    core.act('app', 'delete_keyframe', 1)
    assert core.timeline.times == (0.0, 4.0)
    core.act('app', 'set_timeline', easing='linear', loop=True)
    assert core.timeline.loop and core.timeline.duration > 4.0
    core.act('app', 'delete_keyframe', 7)
    assert core.message.error and 'keyframe index 7' in core.message.text
    core.act('app', 'set_timeline', easing='bouncy')
    assert core.message.error and 'easing' in core.message.text
    core.act('app', 'clear_timeline')
    assert core.timeline == Timeline() and core.playhead.time == 0.0


def test_playback_in_real_time(core):
    core.act('latent', 'set_seed', 0)
    core.act('app', 'add_keyframe', 0.0)
    core.act('latent', 'set_seed', 10)
    core.act('app', 'add_keyframe', 1.0)
    core.act('app', 'set_timeline', easing='linear', latent='seeds')
    core.act('app', 'seek', 0.0)
    core.act('app', 'play')
    xs = []
    for _ in range(4):
        args = core.update(0.25)
        xs.append(args.latent.x)
    assert xs == [2.5, 5.0, 7.5, 10.0] and not core.playhead.playing      # A timeline without loop stops at its end.
    core.act('app', 'set_timeline', loop=True)
    core.act('app', 'play')
    assert core.playhead.playing
    core.update(0.5)
    assert core.playhead.time == pytest.approx(1.5) and core.update(0.75).latent.x == pytest.approx(2.5)  # Looped: 2.25 -> 0.25.
    core.act('app', 'toggle_play')
    assert not core.playhead.playing


def test_w_blend_rides_on_the_request_until_the_latent_moves(core):
    core.act('app', 'make_seed_loop', '4, 8', 1.0)
    assert core.timeline.loop and core.timeline.latent == 'linear' and core.timeline.duration == 2.0
    core.act('app', 'set_timeline', easing='linear')
    core.act('app', 'seek', 0.5)
    args = core.update(0.0)
    assert args.latent.x == 4.0 and args.latent.blend == ((8.0, 0.0, 0.5),)
    assert args == compose(core.timeline.sample(0.5), core.facts)              # The app's request = the video frame's.
    core.act('latent', 'move', 0.1)
    args = core.update(0.0)
    assert args.latent.x == pytest.approx(4.1) and args.latent.blend == ()


def test_recording_in_the_view_core(core):
    clock = core.clock
    core.act('latent', 'set', speed=1.0)
    core.act('app', 'start_recording')
    assert core.playhead.recording
    states = [(0.0, core.view_state())]
    for frame in range(30):
        clock.now += 0.05
        if frame == 5:
            core.act('latent', 'toggle_animation')
        if frame == 20:
            core.act('transform', 'rotate', 30.0)
        core.update(0.05)
        states.append((clock.now - 100.0, core.view_state()))
    clock.now += 0.05
    recording = core.act('app', 'stop_recording')
    assert not core.playhead.recording and core.timeline is recording and recording.duration == pytest.approx(1.55)
    for t, state in states:
        assert recording.sample(t).state == make_keyframe(0.0, state).state(), t
    core.act('app', 'play')
    core.act('app', 'start_recording')                                          # Recording pauses playback.
    assert not core.playhead.playing
    core.act('app', 'toggle_recording')
    core.act('app', 'start_recording')
    core.act('app', 'play')
    assert core.message.error and 'Stop recording' in core.message.text


def test_timeline_files_and_sessions(core, tmp_path):
    core.act('app', 'make_seed_loop', [1, 2, 3], 1.0)
    assert core.act('app', 'save_timeline', str(tmp_path / 'loop.json'))
    saved = core.timeline
    core.act('app', 'clear_timeline')
    assert core.act('app', 'load_timeline', str(tmp_path / 'loop.json')) and core.timeline == saved
    assert not core.act('app', 'load_timeline', str(tmp_path / 'missing.json'))
    assert core.message.error and 'missing.json' in core.message.text and core.timeline == saved
    # Sessions carry the timeline when it has keyframes; a session without one loads as today.
    assert core.save_session(str(tmp_path / 'with.json'))
    assert json.loads((tmp_path / 'with.json').read_text())['timeline']['keyframes'][2]['controllers'] == {'latent': {'x': 3.0}}
    core.act('app', 'clear_timeline')
    assert core.save_session(str(tmp_path / 'without.json')) and 'timeline' not in json.loads((tmp_path / 'without.json').read_text())
    assert core.load_session(str(tmp_path / 'with.json')) and core.timeline == saved
    assert core.load_session(str(tmp_path / 'without.json')) and core.timeline == saved
    data = json.loads((tmp_path / 'with.json').read_text())
    data['timeline']['easing'] = 'bouncy'
    core.act('latent', 'set_seed', 77)
    (tmp_path / 'bad.json').write_text(json.dumps(data))
    assert not core.load_session(str(tmp_path / 'bad.json'))
    assert 'timeline.easing' in core.message.text and 'bad.json' in core.message.text
    assert core.controllers['latent'].state.x == 77.0                           # Nothing was applied.
    assert session.read_session(tmp_path / 'with.json')['timeline']['loop'] is True


def test_render_video_starts_a_command(core, tmp_path):
    core.act('app', 'render_video')
    assert core.message.error and 'no keyframes' in core.message.text and not core.worker.started
    core.update(0.0)
    answer(core)
    core.act('app', 'make_seed_loop', '0 1', 0.5)
    command_id = core.act('app', 'render_video', format='mkv', fps=24, scale=2, content='view')
    _id, command, _args = core.worker.last_command
    assert command_id == _id and isinstance(command, VideoCommand)
    assert (command.format, command.fps, command.scale, command.content, command.path) == ('mkv', 24, 2, 'view', None)
    assert command.frames == frame_args(core.timeline, 24, Facts(result=core.result)) and len(command.frames) == 24
    assert Timeline.from_dict(json.loads(command.timeline)) == core.timeline
    assert command.folder == str(tmp_path / 'captures')
    assert core.command_status('video').state == 'queued'
    core.act('app', 'cancel', 'video')
    assert core.worker.cancelled == [command_id]
    core.act('app', 'render_video', format='gif', fps=60)
    assert core.message.error and 'fps' in core.message.text
    core.act('app', 'render_video', format='mp4', path=str(tmp_path / 'a.gif'))
    assert core.message.error and '.mp4' in core.message.text
    assert all(isinstance(args, RenderArgs) for args in command.frames)
