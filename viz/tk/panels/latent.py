"""Latent, style mixing, and truncation & noise panels."""

from __future__ import annotations

import tkinter as tk
from tkinter import ttk

from viz.core.controllers.latent import INT32_LIMIT
from viz.core.controllers.stylemix import PRESETS, SEED_LIMIT, num_ws_of
from viz.protocol import NOISE_MODES
from viz.tk.widgets import Panel

DRAG_SEEDS_PER_EM = 4e-2                        # Drag handle: seeds per mouse pixel, times the font size.
PER_ROW = 8                                     # W index checkbuttons per row.
NO_NOISE_REASON = 'This network has no noise inputs (StyleGAN3 networks have none).'


class LatentPanel(Panel):
    title = 'Latent'

    def build(self) -> None:
        latent = self.core.controllers['latent']
        st = lambda: latent.state  # noqa: E731
        holder = self.row('Seed')
        self.number(holder, 'seed', latent.seed, lambda seed: self.act('latent', 'set_seed', int(seed)), -INT32_LIMIT, INT32_LIMIT - 1,
            width=9, tip='The seed; Left / Right step it, Up / Down move a row (100 seeds)')
        for axis in ('x', 'y'):
            frac = lambda axis=axis: getattr(st(), axis) - round(getattr(st(), axis))  # noqa: E731
            self.number(holder, f'offset {axis}', frac, lambda value, frac=frac, axis=axis: self.act('latent', 'move',
                *((value - frac(), 0.0) if axis == 'x' else (0.0, value - frac()))), -0.5, 0.5, increment=0.05, integer=False,
                width=6, fmt='{:+.3f}', tip='Offset from the seed: the four neighbouring seeds are blended bilinearly')
        self.drag_handle(holder, 'drag', 'Drag', lambda dx, dy: self.act('latent', 'move', dx, dy), DRAG_SEEDS_PER_EM / self.ctx.em,
            tip='Move between seeds (or left-drag in the image)')

        holder = self.row('Animate')
        self.check(holder, 'anim', '', 'latent', 'anim', tip='Move along the seeds over time (Space)')
        speed = self.slider(holder, 'speed', lambda: st().speed, lambda v: self.act('latent', 'set', speed=v), -5.0, 5.0,
            fmt='{:.2f} seeds/s', length=self.ctx.em * 7)
        self.enable_when(lambda: st().anim, speed)
        snap = self.button(holder, 'Snap', 'Snap', lambda: self.act('latent', 'snap'), tip='Go to the nearest whole seed')
        reset = self.button(holder, 'Reset', 'Reset', lambda: self.act('latent', 'reset'))
        self.enable_when(lambda: not latent.is_snapped(), snap)
        self.enable_when(lambda: st() != latent.State(), reset)

        c_dim = lambda: self.core.facts.network.c_dim if self.core.facts.network is not None else 0  # noqa: E731
        holder = self.row('Class')
        self.show_row(holder, lambda: c_dim() > 0)
        chosen = tk.BooleanVar(master=holder)
        choose = ttk.Checkbutton(holder, variable=chosen, command=lambda: self.act('latent', 'set_class', 0 if chosen.get() else None))
        choose.pack(side='left')
        self.control('choose class', choose, 'Choose the class; unticked, each seed draws its own class')
        self.watch(lambda: st().class_idx is not None, chosen.set)
        box = self.number(holder, 'class', lambda: st().class_idx or 0, lambda idx: self.act('latent', 'set_class', int(idx)), 0, 1 << 20)
        self.enable_when(lambda: st().class_idx is not None, box)
        count = ttk.Label(holder)
        count.pack(side='left', padx=4)
        self.watch(c_dim, lambda n: (count.configure(text=f'of {n}'), box.configure(to=max(n - 1, 0))))


class StyleMixPanel(Panel):
    title = 'Style mixing'

    def build(self) -> None:
        st = lambda: self.state('mix')  # noqa: E731
        holder = self.row('Mix seed')
        self.check(holder, 'enabled', '', 'mix', 'enabled', tip='Replace the ticked W vectors with those of the mix seed')
        seed = self.number(holder, 'seed', lambda: st().seed, lambda v: self.act('mix', 'set', seed=int(v)), 0, SEED_LIMIT, width=9)
        self.enable_when(lambda: st().enabled, seed)
        self._grid = ttk.Frame(self.row('W index'))
        self._grid.pack(side='left', anchor='w')
        self._boxes: list[tuple[ttk.Checkbutton, tk.BooleanVar]] = []
        holder = self.row()
        self._presets = [self.button(holder, preset, preset.capitalize(), lambda p=preset: self.act('mix', 'preset', p, self._num_ws()))
            for preset in PRESETS]
        self.watch(self._num_ws, self._build_boxes)
        self.watch(lambda: (st().mask, st().enabled, len(self._boxes)), self._show_mask)
        self.note(lambda: ('No W index ticked: nothing is mixed.', 'dim') if st().enabled and not any(st().mask) else None)

    def _num_ws(self) -> int:
        return num_ws_of(self.core.facts, self.state('mix').mask)

    def _build_boxes(self, num_ws: int) -> None:
        for idx, (box, _var) in enumerate(self._boxes):
            box.destroy()
            self.controls.pop(f'W {idx}', None)
        self._boxes = []
        for idx in range(num_ws):
            var = tk.BooleanVar(master=self._grid)
            box = ttk.Checkbutton(self._grid, variable=var, command=lambda i=idx: self.act('mix', 'toggle_index', i))
            box.grid(row=idx // PER_ROW, column=idx % PER_ROW)
            self._boxes.append((self.control(f'W {idx}', box, f'W index {idx}'), var))

    def _show_mask(self, shown: tuple) -> None:
        mask, enabled, _count = shown
        for idx, (box, var) in enumerate(self._boxes):
            var.set(idx < len(mask) and mask[idx])
            box.state(['!disabled' if enabled else 'disabled'])
        for button in self._presets:
            button.state(['!disabled' if enabled else 'disabled'])


class TruncNoisePanel(Panel):
    title = 'Truncation & noise'

    def build(self) -> None:
        ctrl = self.core.controllers['trunc_noise']
        st = lambda: ctrl.state  # noqa: E731
        num_ws = lambda: ctrl.num_ws(self.core.facts)  # noqa: E731
        self.slider(self.row('Truncate'), 'psi', lambda: st().psi, lambda v: self.act('trunc_noise', 'set', psi=v), -1.0, 2.0, 1.0,
            fmt='psi {:.2f}', tip='W = w_avg + psi * (W - w_avg); 1 = no truncation')
        holder = self.row('Cutoff')
        self.check(holder, 'use_cutoff', '', 'trunc_noise', 'use_cutoff', tip='Truncate only the W indices below the cutoff (coarse styles)')
        cutoff = self.slider(holder, 'cutoff', lambda: min(st().cutoff, num_ws()), lambda v: self.act('trunc_noise', 'set', cutoff=int(v)),
            0, num_ws, fmt='first {:.0f} ws', integer=True)
        self.enable_when(lambda: st().use_cutoff, cutoff)
        holder = self.row('Noise')
        modes = self.field_radios(holder, 'noise', 'trunc_noise', 'noise_mode', {mode: mode for mode in NOISE_MODES})
        seed = self.number(holder, 'noise seed', lambda: st().noise_seed, lambda v: self.act('trunc_noise', 'set', noise_seed=int(v)),
            0, SEED_LIMIT, width=8, tip='Seed of the random noise, so a frame can be reproduced')
        has_noise = lambda: self.core.facts.network is None or self.core.facts.network.has_noise  # noqa: E731
        self.enable_when(has_noise, *modes)
        self.enable_when(lambda: has_noise() and st().noise_mode == 'random', seed)
        self.note(lambda: None if has_noise() else (NO_NOISE_REASON, 'dim'))
