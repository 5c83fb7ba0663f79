"""Timeline section: keyframes (add the current view, go to, update, retime, reorder, delete), a scrubber,
play / pause, loop, easing and the W path, a seed-loop generator, recording a performance, timeline files,
and the frame-exact video render (format, fps, upscale, quality, content) as a background command."""

from __future__ import annotations

import dataclasses

import imgui

from gui_utils import imgui_utils
from viz.core.texts import CONTENT_LABELS, EASING_LABELS, FORMAT_LABELS, LATENT_LABELS, NO_KEYFRAMES, VIDEO_HELP, VideoSettings, describe_keyframe
from viz.protocol import H264_CRF
from viz.imgui.views.base import DIM_RGBA, ERROR_RGBA, WARNING_RGBA, Ui, combo, draw_command, finite, input_int, label, message



class TimelineView:
    title = 'Timeline & video'

    def __init__(self) -> None:
        self.video = VideoSettings()
        self.seeds = '0, 1, 2'                  # Seed-loop generator: seeds and seconds per seed.
        self.seconds = 2.0

    def draw(self, core, ui: Ui) -> None:
        self._draw_transport(core, ui)
        self._draw_keyframes(core, ui)
        imgui.separator()
        self._draw_options(core, ui)
        imgui.separator()
        self._draw_video(core, ui)
        note = core.message
        if note is not None and note.about == 'timeline':
            message(note.text, ERROR_RGBA if note.error else DIM_RGBA)

    @staticmethod
    def _draw_transport(core, ui: Ui) -> None:
        timeline, head = core.timeline, core.playhead
        if imgui.button('Pause##timeline' if head.playing else 'Play##timeline'):
            core.act('app', 'toggle_play')
        imgui_utils.tooltip('Play the timeline in real time (frames are dropped when rendering is slow)')
        imgui.same_line()
        with imgui_utils.style_color(imgui.COLOR_TEXT, ERROR_RGBA if head.recording else (1, 1, 1, 1)):
            if imgui.button('Stop recording##timeline' if head.recording else 'Record##timeline'):
                core.act('app', 'toggle_recording')
        imgui_utils.tooltip('Record what you do (drags, animations, sliders) with its timing; stopping makes it the timeline')
        imgui.same_line()
        with imgui_utils.item_width(-1), imgui_utils.grayed_out(not timeline.keyframes, 'Add keyframes first'):
            changed, time = imgui_utils.slider('##scrub', head.time, 0.0, max(timeline.duration, 1e-3), format='%.2f s')
        if finite(changed, time):
            core.act('app', 'seek', float(time))
        if head.recording:
            message('Recording...', WARNING_RGBA)

    @staticmethod
    def _draw_keyframes(core, ui: Ui) -> None:
        timeline, head = core.timeline, core.playhead
        fs = ui.font_size
        if imgui.button('Add current view##timeline'):
            core.act('app', 'add_keyframe')
        imgui_utils.tooltip('Append the current view as a keyframe after the last one')
        imgui.same_line()
        if imgui.button('Add at playhead##timeline'):
            core.act('app', 'add_keyframe', head.time)
        imgui.same_line()
        with imgui_utils.grayed_out(not timeline.keyframes):
            if imgui.button('Clear##timeline'):
                core.act('app', 'clear_timeline')
        if not timeline.keyframes:
            message(NO_KEYFRAMES, DIM_RGBA)
            return
        count = len(timeline.keyframes)
        for index, key in enumerate(timeline.keyframes):
            with imgui_utils.scoped_id(f'key{index}'):
                selected = head.keyframe == index
                if imgui.selectable(f'{index + 1:2d}', selected, width=fs * 1.5)[0]:
                    core.act('app', 'jump_to_keyframe', index)
                imgui_utils.tooltip('Go to this keyframe')
                imgui.same_line()
                with imgui_utils.item_width(fs * 5):
                    changed, time = imgui.input_float('##time', key.time, format='%.2f s',
                        flags=imgui.INPUT_TEXT_ENTER_RETURNS_TRUE)
                if finite(changed, time):
                    core.act('app', 'retime_keyframe', index, float(time))
                imgui_utils.tooltip('Time of the keyframe in seconds (Enter to move it)')
                imgui.same_line()
                if imgui.button('Set'):
                    core.act('app', 'update_keyframe', index)
                imgui_utils.tooltip('Replace this keyframe with the current view')
                for text, target in (('Up', index - 1), ('Down', index + 1)):
                    imgui.same_line()
                    with imgui_utils.grayed_out(not 0 <= target < count):
                        if imgui.button(text) and 0 <= target < count:
                            core.act('app', 'reorder_keyframe', index, target)
                imgui.same_line()
                if imgui.button('Delete'):
                    core.act('app', 'delete_keyframe', index)
                imgui.same_line()
                message(describe_keyframe(key), DIM_RGBA)

    def _draw_options(self, core, ui: Ui) -> None:
        timeline = core.timeline
        fs = ui.font_size
        label(ui, 'Easing')
        with imgui_utils.item_width(fs * 8):
            picked = combo('##easing', timeline.easing, EASING_LABELS)
        if picked is not None:
            core.act('app', 'set_timeline', easing=picked)
        imgui.same_line()
        clicked, loop = imgui.checkbox('Loop##timeline', timeline.loop)
        if clicked:
            core.act('app', 'set_timeline', loop=loop)
        imgui_utils.tooltip('Close the path: the last keyframe flows into the first')
        label(ui, 'Latent path')
        with imgui_utils.item_width(fs * 8):
            picked = combo('##latentpath', timeline.latent, LATENT_LABELS)
        if picked is not None:
            core.act('app', 'set_timeline', latent=picked)
        imgui_utils.tooltip('Between keyframes: blend the seed position, or interpolate W linearly or spherically')
        imgui.same_line()
        with imgui_utils.item_width(fs * 5):
            changed, duration = imgui.input_float('s##duration', timeline.duration, format='%.2f', flags=imgui.INPUT_TEXT_ENTER_RETURNS_TRUE)
        if finite(changed, duration):
            core.act('app', 'set_timeline', duration=float(duration))
        imgui_utils.tooltip('Length of the timeline in seconds (Enter)')

        label(ui, 'Seed loop')
        with imgui_utils.item_width(fs * 8):
            _, self.seeds = imgui.input_text('##seeds', self.seeds, 256)
        imgui_utils.tooltip('Seeds, separated by commas')
        imgui.same_line()
        with imgui_utils.item_width(fs * 4):
            changed, seconds = imgui.input_float('s each##seedloop', self.seconds, format='%.1f')
        if finite(changed, seconds):
            self.seconds = float(min(max(seconds, 0.1), 3600.0))
        imgui.same_line()
        if imgui.button('Make##seedloop'):
            core.act('app', 'make_seed_loop', self.seeds, self.seconds)
        imgui_utils.tooltip('Replace the timeline with a loop through these seeds in the current view (as gen_video.py)')

        label(ui, 'File')
        with imgui_utils.item_width(-fs * 8.5):
            changed, path = imgui.input_text('##timelinefile', core.timeline_path, 1024)
        if changed:
            core.act('app', 'set_timeline_path', path)
        imgui.same_line()
        if imgui.button('Save##timeline'):
            core.act('app', 'save_timeline')
        imgui.same_line()
        if imgui.button('Load##timeline'):
            core.act('app', 'load_timeline')

    def _draw_video(self, core, ui: Ui) -> None:
        v = self.video
        fs = ui.font_size
        label(ui, 'Video')
        with imgui_utils.item_width(fs * 9):
            picked = combo('##videoformat', v.format, FORMAT_LABELS)
        if picked is not None:
            self.video = v.with_format(picked)
        imgui.same_line()
        with imgui_utils.item_width(fs * 4):
            picked = combo('##videofps', str(v.fps), v.fps_choices())
        if picked is not None:
            self.video = dataclasses.replace(self.video, fps=int(picked))
        label(ui, 'Size')
        changed, scale = input_int('x##videoscale', v.scale, 1, 16, fs * 5)
        if changed:
            self.video = dataclasses.replace(self.video, scale=scale)
        imgui_utils.tooltip('Whole-number upscale of the generator\'s resolution (pixels stay exact)')
        imgui.same_line()
        with imgui_utils.item_width(fs * 9):
            picked = combo('##videocontent', v.content, CONTENT_LABELS)
        if picked is not None:
            self.video = dataclasses.replace(self.video, content=picked)
        if v.format == 'mp4':
            label(ui, 'Quality')
            changed, quality = imgui_utils.slider('##videoquality', v.quality, H264_CRF[0], H264_CRF[1], integer=True, format='CRF %d',
                width=fs * 13, help='x264 constant rate factor: 0 best and largest, 18 looks lossless, 51 worst')
            if changed:
                self.video = dataclasses.replace(self.video, quality=int(min(max(quality, H264_CRF[0]), H264_CRF[1])))
        with imgui_utils.grayed_out(not core.timeline.keyframes, 'Add keyframes first'):
            status = core.command_status('video')
            if status is not None and not status.finished:
                if imgui.button('Cancel##video'):
                    core.act('app', 'cancel', 'video')
            elif imgui.button('Render video##video'):
                core.act('app', 'render_video', **self.video.arguments())
        imgui_utils.tooltip(VIDEO_HELP)
        status = core.command_status('video')
        draw_command(status)
        if status is not None and status.state == 'done' and status.path:
            message(f'Saved {status.path}', DIM_RGBA)

