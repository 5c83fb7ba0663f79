"""The timeline & video view in imgui's headless context, against a real ViewCore with a FakeWorker: every
control is pressed and its effect on the core (keyframes, playhead, options, files, the video command) checked."""

from __future__ import annotations

import json

import pytest

from tests.viz.fakes import summary
from tests.viz.imgui.harness import assert_every_control_pressed
from viz.imgui.views import LatentView, TimelineView
from viz.protocol import VideoCommand


def keyframe_seeds(core):
    return [key.controllers['latent']['x'] for key in core.timeline.keyframes]


def two_keyframes(gui):
    """Seed 0 at 0 s and seed 5 at 2 s, added through the buttons."""
    core = gui.core
    gui.click('Add current view##timeline')
    core.act('latent', 'set_seed', 5)
    gui.click('Add current view##timeline')
    assert core.timeline.times == (0.0, 2.0) and keyframe_seeds(core) == [0.0, 5.0]
    return core


def test_add_go_set_retime_reorder_delete(gui):
    core = gui.show(TimelineView()).core
    assert gui.shown('No keyframes yet')
    two_keyframes(gui)
    gui.type_text('key1/##time', '3')
    assert core.timeline.times == (0.0, 3.0)
    gui.click('key0/ 1')                        # Go to the first keyframe: the view becomes seed 0 again.
    assert core.controllers['latent'].state.x == 0.0 and core.playhead.keyframe == 0
    gui.click('key1/ 2')
    assert core.controllers['latent'].state.x == 5.0 and core.playhead.time == 3.0
    core.act('latent', 'set_seed', 9)
    gui.click('key1/Set')
    core.act('latent', 'set_seed', 4)
    gui.click('key0/Set')
    assert keyframe_seeds(core) == [4.0, 9.0]
    gui.click('key1/Up')
    assert keyframe_seeds(core) == [9.0, 4.0] and core.timeline.times == (0.0, 3.0)  # Views swap, times stay.
    gui.click('key0/Down')
    assert keyframe_seeds(core) == [4.0, 9.0]
    gui.click('key0/Up')                        # Greyed out: nothing above the first keyframe.
    gui.click('key1/Down')
    assert keyframe_seeds(core) == [4.0, 9.0]
    gui.type_text('key0/##time', '0.5')
    assert core.timeline.times == (0.5, 3.0)
    gui.click('key1/Delete')
    gui.click('key0/Delete')
    assert core.timeline.keyframes == ()
    core.act('latent', 'set_seed', 9)
    gui.click('Add current view##timeline')
    assert keyframe_seeds(core) == [9.0]
    core.act('latent', 'set_seed', 7)
    gui.click('Add at playhead##timeline')      # The playhead sits on keyframe 0: it is replaced.
    assert keyframe_seeds(core) == [7.0]
    gui.click('Clear##timeline')
    assert core.timeline.keyframes == ()


def test_scrub_play_pause_and_options(gui):
    core = gui.show(TimelineView()).core
    two_keyframes(gui)
    gui.drag('##scrub', -2000)                  # To the start: seed 0.
    assert core.playhead.time == 0.0 and core.controllers['latent'].state.x == 0.0
    gui.click('Play##timeline')
    assert core.playhead.playing
    gui.frame(dt=1.0)                           # One second in: W half way between seed 0 and seed 5.
    latent = core.worker.last_args.latent
    assert core.playhead.time == pytest.approx(1.0) and (latent.x, latent.blend) == (0.0, ((5.0, 0.0, pytest.approx(0.5)),))
    gui.click('Pause##timeline')
    assert not core.playhead.playing
    gui.click('##easing')
    gui.click('Smooth##easing')
    gui.click('Loop##timeline')
    gui.click('##latentpath')
    gui.click('W, spherical##latentpath')
    assert (core.timeline.easing, core.timeline.loop, core.timeline.latent) == ('smooth', True, 'spherical')
    gui.type_text('s##duration', '6')
    assert core.timeline.duration == 6.0


def test_seed_loop_record_and_files(gui, tmp_path):
    core = gui.show(TimelineView(), LatentView()).core
    gui.type_text('##seeds', '3, 4, 8', enter=False)
    gui.type_text('s each##seedloop', '1.5')
    gui.click('Make##seedloop')
    assert keyframe_seeds(core) == [3.0, 4.0, 8.0] and core.timeline.loop and core.timeline.duration == 4.5
    path = tmp_path / 'loop.json'
    gui.type_text('##timelinefile', str(path), enter=False)
    gui.click('Save##timeline')
    assert json.loads(path.read_text())['format'] == 'sg3-viz-timeline' and gui.shown('Timeline saved')
    gui.click('Clear##timeline')
    gui.click('Load##timeline')
    assert keyframe_seeds(core) == [3.0, 4.0, 8.0]
    path.write_text('{"format": "sg3-viz-timeline", "version": 1, "keyframes": "many"}')
    gui.click('Load##timeline')
    assert core.message.error and str(path) in core.message.text and keyframe_seeds(core) == [3.0, 4.0, 8.0]
    # Record: what the user does between Record and Stop becomes the timeline.
    gui.click('Record##timeline')
    assert core.playhead.recording and gui.shown('Recording...')
    core.act('latent', 'next_seed')
    gui.frame(dt=0.5)
    gui.click('Stop recording##timeline')
    assert not core.playhead.recording and len(core.timeline.keyframes) >= 2 and core.timeline.keyframes[-1].controllers['latent']['x'] == 4.0


def test_render_video_settings_and_cancel(gui, tmp_path):
    core = gui.show(TimelineView()).core
    gui.deliver(network=summary(img_resolution=256), image_resolution=256)
    two_keyframes(gui)
    gui.click('##videoformat')
    gui.click('MKV (lossless FFV1)##videoformat')
    gui.click('##videofps')
    gui.click('24 fps##videofps')
    gui.type_text('x##videoscale', '2')
    gui.click('##videocontent')
    gui.click('Image area as shown##videocontent')
    gui.click('Render video##video')
    command_id, command, _args = core.worker.last_command
    assert isinstance(command, VideoCommand) and (command.format, command.fps, command.scale, command.content) == ('mkv', 24, 2, 'view')
    assert len(command.frames) == 2 * 24 + 1 and command.folder == str(tmp_path / 'captures')
    gui.status(command_id, 'running', done=10, total=49, seconds=2.0)
    assert core.command_status('video').seconds_left == pytest.approx(7.8)
    gui.click('Cancel##video')
    assert core.worker.cancelled == [command_id]
    gui.status(command_id, 'cancelled', done=12, total=49)
    assert gui.shown('Cancelled after 12 / 49')
    gui.click('##videoformat')
    gui.click('MP4 (H.264)##videoformat')
    gui.drag('##videoquality', 40)
    gui.click('Render video##video')
    command_id, command, _args = core.worker.last_command
    assert command.format == 'mp4' and command.quality > 18
    gui.status(command_id, 'done', done=49, total=49, path=str(tmp_path / 'captures' / 'video-00001.mp4'))
    assert gui.shown('Saved ' + str(tmp_path / 'captures' / 'video-00001.mp4'))


def test_every_control_was_pressed(request, gui):
    def prepare(harness):
        harness.core.act('app', 'add_keyframe')
        harness.core.act('app', 'add_keyframe')
        harness.settle()
    assert_every_control_pressed(request, gui, [TimelineView()], prepare)
