"""Input transform and layers panels."""

from __future__ import annotations

from tkinter import ttk

from viz.core.controllers.layers import GAIN_RANGE, selected_layer
from viz.core.controllers.transform import NO_TRANSFORM_REASON, SCALE_RANGE, available
from viz.core.texts import LAYER_COLUMNS, OUTPUT_NAME, VIEW_LABELS, channel_format, layer_row, stats_lines
from viz.tk.widgets import Panel

DRAG_FAST = 2e-2                                # Drag handles: image widths (or turns / 10) per pixel, times the font size.
DRAG_SLOW = 4e-4
OUTPUT_IID = '<output>'                         # Tree row of the generator output (no layer has this name).


class TransformPanel(Panel):
    title = 'Input transform'

    def build(self) -> None:
        ctrl = self.core.controllers['transform']
        st = lambda: ctrl.state  # noqa: E731
        em = self.ctx.em
        self.note(lambda: None if available(self.core.facts) else (NO_TRANSFORM_REASON, 'dim'))
        holder = self.row('Translate')
        for axis in ('x', 'y'):
            self.number(holder, axis, lambda axis=axis: getattr(st(), axis), lambda v, axis=axis: self.act('transform', 'set', **{axis: v}),
                -1e6, 1e6, increment=0.01, integer=False, width=8, fmt='{:.4f}',
                tip=f'Translation in image {"widths" if axis == "x" else "heights"}')
        for name, step in (('fast', DRAG_FAST), ('slow', DRAG_SLOW)):
            self.drag_handle(holder, name, name.capitalize(), lambda dx, dy: self.act('transform', 'translate', dx, dy), step / em,
                tip='Drag to move the content (or right-drag in the image)')
        holder = self.row()
        self.check(holder, 'anim translate', 'Animate', 'transform', 'anim_translate', tip='Pan to the right over time')
        self.check(holder, 'round', 'Whole pixels', 'transform', 'round_pixels', tip='Round the translation to whole output pixels (integer translation)')
        holder = self.row('Rotate')
        self.number(holder, 'angle', lambda: st().angle_deg, lambda v: self.act('transform', 'set', angle_deg=v), -1e6, 1e6,
            increment=1.0, integer=False, width=8, fmt='{:.3f}', tip='Degrees, counter-clockwise')
        for name, step in (('fast rotate', DRAG_FAST), ('slow rotate', DRAG_SLOW)):
            self.drag_handle(holder, name, name.split()[0].capitalize(), lambda dx, dy: self.act('transform', 'rotate', dx), step * 360 / em,
                tip='Drag sideways to rotate (or Ctrl + right-drag in the image)')
        self.check(holder, 'anim rotate', 'Animate', 'transform', 'anim_rotate')
        self.slider(self.row('Scale'), 'scale', lambda: st().scale, lambda v: self.act('transform', 'set', scale=v), *SCALE_RANGE,
            default=1.0, fmt='x{:.3f}', log=True)
        holder = self.row()
        self.check(holder, 'untransform', 'Untransform', 'transform', 'untransform', tip='Resample the output back by the inverse transform (band-limited)')
        reset = self.button(holder, 'Reset', 'Reset', lambda: self.act('transform', 'reset_transform'))
        self.enable_when(lambda: not (ctrl.is_identity() and not (st().anim_translate or st().anim_rotate)), reset)
        self.enable_others()

    def available(self) -> bool:
        return available(self.core.facts)


class LayersPanel(Panel):
    title = 'Layers'

    def build(self) -> None:
        ctrl = self.core.controllers['layer']
        st = lambda: ctrl.state  # noqa: E731
        facts = lambda: self.core.facts  # noqa: E731
        holder = self.row()
        self.tree = ttk.Treeview(holder, columns=LAYER_COLUMNS[1:], height=8, selectmode='browse')
        self.tree.heading('#0', text=LAYER_COLUMNS[0])
        self.tree.column('#0', width=int(self.ctx.em * 5.5), stretch=False)
        for column in LAYER_COLUMNS[1:]:                    # The imgui table's columns (texts.layer_row).
            self.tree.heading(column, text=column)
            self.tree.column(column, width=int(self.ctx.em * (2.2 if len(column) < 4 else 3.6)), stretch=False, anchor='e')
        self.tree.pack(side='left', fill='x', expand=True)
        self.tree.bind('<<TreeviewSelect>>', self._picked)
        self.control('layers', self.tree, 'Click a layer to show it (the generator output is "output")')
        self.watch(lambda: self.core.result.layers if self.core.result is not None else (), self._fill)
        self.watch(lambda: (st().name, len(self.tree.get_children())), lambda shown: self._select(shown[0]))
        self.note(lambda: None if self.core.result is not None and self.core.result.layers else
            ('The layer list appears after the first render.', 'dim'))
        self.note(lambda: (f'Layer {st().name} is not in this network.', 'warning')
            if st().name is not None and self.core.result is not None and self.core.result.layers
            and selected_layer(facts(), st().name) is None else None)
        self.field_radios(self.row('View'), 'view', 'layer', 'view', VIEW_LABELS)
        channel = self.slider(self.row('Channel'), 'channel', lambda: min(st().channel, ctrl.top_channel(facts())),
            lambda v: self.act('layer', 'set', channel=int(v)), 0, lambda: ctrl.top_channel(facts()), integer=True,
            fmt=lambda v: channel_format(st().view, ctrl.channel_count(facts())) % v)
        self.enable_when(lambda: ctrl.top_channel(facts()) > 0, channel)
        holder = self.row()
        self.check(holder, 'normalize', 'Normalize', 'layer', 'normalize', tip='Divide each shown channel by its largest magnitude')
        crop = self.check(holder, 'crop', 'Crop margins', 'layer', 'crop_margins')
        self.enable_when(lambda: (layer := selected_layer(facts(), st().name)) is not None and layer.margin > 0, crop)
        self.slider(self.row('Gain'), 'gain', lambda: st().gain_db, lambda v: self.act('layer', 'set', gain_db=v), *GAIN_RANGE,
            default=0.0, fmt='{:+.1f} dB')
        self.note(lambda: '\n'.join(stats_lines(self.core.result.stats if self.core.result is not None else None, st())) or None)

    def _fill(self, layers) -> None:
        self.tree.delete(*self.tree.get_children())
        self.tree.insert('', 'end', iid=OUTPUT_IID, text=OUTPUT_NAME)
        for info in layers:
            self.tree.insert('', 'end', iid=info.name, text=info.name, values=layer_row(info)[1:])
        self.tree.configure(height=min(len(layers) + 1, 12))

    def _select(self, name: str | None) -> None:
        iid = OUTPUT_IID if name is None else name
        if self.tree.exists(iid) and self.tree.selection() != (iid,):
            self.tree.selection_set(iid)
            self.tree.see(iid)

    def _picked(self, _event=None) -> None:
        chosen = self.tree.selection()
        if chosen:
            name = None if chosen[0] == OUTPUT_IID else chosen[0]
            if name != self.state('layer').name:
                self.act('layer', 'select', name)
