"""What every Tk panel shares: the Panel base class (named controls, state watches, actions that ask for a frame)
and the ttk building blocks the panels are made of (rows, checkbuttons, radio buttons, entries, spinboxes,
sliders with a reset, combo boxes, drag handles, notes, plots, command buttons), plus tooltips and the
scrollable pane.

A panel is a thin view: it builds its ttk widgets once, reads the view core's state in `refresh` (only what
changed is written back into the widgets, so a field being typed into is left alone) and turns what the user
does into `core.act` calls. Writing a widget's variable never calls back into the core: only the user does.
"""

from __future__ import annotations

import dataclasses
import math
import tkinter as tk
from tkinter import font as tkfont
from tkinter import ttk
from typing import Any, Callable, Iterable

from viz.core.figure_labels import PlotAxes
from viz.core.texts import command_text

TONE_COLORS = {'plain': '', 'dim': '#6b6b6b', 'warning': '#9a6200', 'error': '#c0392b'}  # viz.core.texts' tones.
TEXT_CLASSES = ('TEntry', 'Entry', 'TSpinbox', 'Spinbox', 'TCombobox', 'Text', 'Treeview', 'Listbox')  # Keep the keyboard.
_UNSET = object()


@dataclasses.dataclass
class PanelContext:
    """What the app gives its panels."""
    core: Any                                   # The view core (viz.core.view_core.ViewCore).
    changed: Callable[[], None]                 # Ask for a frame soon (after an action).
    hold: Callable[[bool], None] = lambda held: None  # A control is held (a slider dragged): the view core is interacting.
    em: int = 13                                # Layout unit: the default font's line height in pixels.
    frame_times: Callable[[], tuple[float, ...]] = tuple  # Recent GUI frame times in seconds.
    image_text: Callable[[], str | None] = lambda: None   # 'Image 256x256, zoom 2x (fit)'.
    ask_open: Callable[..., str] | None = None  # Replaces tkinter.filedialog.askopenfilename (tests).
    ask_save: Callable[..., str] | None = None  # Replaces tkinter.filedialog.asksaveasfilename (tests).


def set_enabled(widgets: Iterable[tk.Widget], on: bool) -> None:
    for widget in widgets:
        if isinstance(widget, ttk.Widget):
            widget.state(['!disabled'] if on else ['disabled'])
        else:
            widget.configure(state='normal' if on else 'disabled')


def keeps_keyboard(widget: Any) -> bool:
    """Does the focused widget take typed keys (so shortcuts must not act)?"""
    try:
        return widget is not None and widget.winfo_class() in TEXT_CLASSES
    except (tk.TclError, AttributeError):
        return False


class Tooltip:
    """A small window with help text under the pointer while it rests on a widget."""

    DELAY_MS = 600

    def __init__(self, widget: tk.Widget, text: str | Callable[[], str]) -> None:
        self.widget, self.text = widget, text
        self._after: str | None = None
        self._window: tk.Toplevel | None = None
        widget.bind('<Enter>', self._schedule, add='+')
        widget.bind('<Leave>', self.hide, add='+')
        widget.bind('<ButtonPress>', self.hide, add='+')

    def _schedule(self, _event=None) -> None:
        self.hide()
        self._after = self.widget.after(self.DELAY_MS, self.show)

    def show(self) -> None:
        text = self.text() if callable(self.text) else self.text
        if not text or not self.widget.winfo_viewable():
            return
        self._window = window = tk.Toplevel(self.widget)
        window.wm_overrideredirect(True)
        x, y = self.widget.winfo_rootx() + 12, self.widget.winfo_rooty() + self.widget.winfo_height() + 4
        window.wm_geometry(f'+{x}+{y}')
        ttk.Label(window, text=text, wraplength=420, justify='left', padding=4, background='#ffffe0', relief='solid',
            borderwidth=1).pack()

    def hide(self, _event=None) -> None:
        if self._after is not None:
            self.widget.after_cancel(self._after)
            self._after = None
        if self._window is not None:
            self._window.destroy()
            self._window = None


class ScrollPane(ttk.Frame):
    """A vertically scrolling column: put widgets into `.inner`; the wheel scrolls while the pointer is over it."""

    def __init__(self, parent: tk.Widget, width: int) -> None:
        super().__init__(parent)
        self.canvas = tk.Canvas(self, width=width, highlightthickness=0, borderwidth=0,
            background=ttk.Style().lookup('TFrame', 'background') or None)
        self.bar = ttk.Scrollbar(self, orient='vertical', command=self.canvas.yview)
        self.canvas.configure(yscrollcommand=self.bar.set)
        self.inner = ttk.Frame(self.canvas, padding=(6, 4))
        self._item = self.canvas.create_window(0, 0, window=self.inner, anchor='nw')
        self.canvas.grid(row=0, column=0, sticky='nsew')
        self.bar.grid(row=0, column=1, sticky='ns')
        self.rowconfigure(0, weight=1)
        self.columnconfigure(0, weight=1)
        self.inner.bind('<Configure>', lambda e: self.canvas.configure(scrollregion=self.canvas.bbox('all')))
        self.canvas.bind('<Configure>', lambda e: self.canvas.itemconfigure(self._item, width=e.width))

    def wheel(self, notches: int) -> None:
        """Scroll by wheel notches (positive: down)."""
        self.canvas.yview_scroll(notches * 3, 'units')

    def contains(self, widget: Any) -> bool:
        name = str(widget)
        return name == str(self.canvas) or name.startswith(str(self.inner) + '.')

    def see(self, widget: tk.Widget) -> None:
        """Scroll so that `widget` is in view."""
        self.update_idletasks()
        total = max(self.inner.winfo_height(), 1)
        top = widget.winfo_rooty() - self.inner.winfo_rooty()
        self.canvas.yview_moveto(max(top - 20, 0) / total)


class Plot(tk.Canvas):
    """A line plot of values with an optional caption, vertical markers at fractions of the width, and optionally axes
    (viz.core.figure_labels.PlotAxes: ticks under and left of the plot, markers beyond its range pinned to the edge with
    their value), written in the UI font."""

    def __init__(self, parent: tk.Widget, height: int, **kwargs: Any) -> None:
        super().__init__(parent, height=height, background='#262629', highlightthickness=0, **kwargs)

    def show(self, values, low: float | None = None, high: float | None = None, caption: str = '',
        markers: Iterable[tuple[float, tuple[float, ...]]] = (), axes: PlotAxes | None = None) -> None:
        self.delete('all')
        font = tkfont.nametofont('TkDefaultFont')
        w, h = max(self.winfo_width(), 50), int(self['height'])
        left = max((font.measure(text) for _, text in axes.y_ticks), default=0) + 6 if axes is not None else 0
        bottom = font.metrics('linespace') + 3 if axes is not None else 0
        x0, x1, y0, y1 = left + 2, w - 2, 2, h - 2 - bottom
        data = [float(v) for v in values]
        if len(data) >= 2:
            lo = min(data) if low is None else low
            hi = max(data) if high is None else high
            hi = hi if hi > lo else lo + 1
            points = []
            for i, v in enumerate(data):
                points += [x0 + i * (x1 - x0) / (len(data) - 1), y1 - (min(max(v, lo), hi) - lo) / (hi - lo) * (y1 - y0)]
            self.create_line(*points, fill='#9cc8ff')
        for fraction, rgba in markers:
            x = x0 + fraction * (x1 - x0)
            self.create_line(x, y0 - 1, x, y1 + 1, fill=_colour(rgba))
        if axes is not None:
            self._axes(axes, font, (x0, y0, x1, y1))
        if caption:
            self.create_text((x0 + x1) / 2, 3, text=caption, anchor='n', fill='#e6e6e6')

    def _axes(self, axes: PlotAxes, font, box: tuple[float, float, float, float]) -> None:
        x0, y0, x1, y1 = box
        for fraction, text in axes.x_ticks:
            x = x0 + fraction * (x1 - x0)
            self.create_line(x, y1, x, y1 + 3, fill='#a6a6a6')
            self.create_text(x, y1 + 3, text=text, anchor='ne' if fraction > 0.95 else 'n', fill='#a6a6a6', font=font, tags=('tick',))
        for fraction, text in axes.y_ticks:
            y = y1 - fraction * (y1 - y0)
            self.create_text(x0 - 4, y, text=text, anchor='e', fill='#a6a6a6', font=font, tags=('tick',))
        stacked = {0.0: 0, 1.0: 0}
        for marker in axes.markers:
            x = x0 + marker.fraction * (x1 - x0)
            if marker.inside:
                self.create_line(x, y0 - 1, x, y1 + 1, fill=_colour(marker.rgba))
                continue
            y = y1 - stacked[marker.fraction] * (font.metrics('linespace') + 2)
            stacked[marker.fraction] += 1
            self.create_text(x, y, text=marker.text, anchor='se' if marker.fraction else 'sw', fill=_colour(marker.rgba), font=font,
                tags=('edge', marker.key))


def _colour(rgba) -> str:
    return '#%02x%02x%02x' % tuple(round(c * 255) for c in rgba[:3])


class Panel:
    """One section of the control pane. Subclasses set `title` and build their widgets in `build`."""

    title = ''

    def __init__(self, parent: tk.Widget, ctx: PanelContext) -> None:
        self.ctx = ctx
        self.core = ctx.core
        self.frame = ttk.Frame(parent)
        self.frame.columnconfigure(1, weight=1)
        self.controls: dict[str, tk.Widget] = {}   # Name -> widget, for the tests and UI automation (ITEM lines).
        self._watches: list[list] = []
        self._rows = 0
        self._labels: dict[str, ttk.Label] = {}     # Row holder -> its label.
        self.conditional: set[str] = set()          # Controls enabled by their own condition (enable_when).
        self.build()
        self.refresh()

    def build(self) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------------------
    # Actions and state.

    def act(self, target: str, name: str, *args: Any, **kwargs: Any) -> Any:
        """Run a view-core action and ask for a frame."""
        result = self.core.act(target, name, *args, **kwargs)
        self.ctx.changed()
        return result

    def state(self, target: str) -> Any:
        return self.core.controllers[target].state

    def watch(self, getter: Callable[[], Any], setter: Callable[[Any], None]) -> None:
        """Call setter(value) in `refresh` whenever getter() gives a new value."""
        self._watches.append([getter, setter, _UNSET])

    def available(self) -> bool:
        """Can the panel's controls be used at all? (E.g. not the input transform of a StyleGAN2 network.)"""
        return True

    def enable_when(self, getter: Callable[[], bool], *widgets: tk.Widget) -> None:
        """Enable the widgets while getter() holds (and the panel is available)."""
        self.conditional.update(str(w) for w in widgets)
        self.watch(lambda: bool(getter()) and self.available(), lambda on: set_enabled(widgets, on))

    def enable_others(self) -> None:
        """Enable the controls without a condition of their own while the panel is available."""
        others = [w for w in self.controls.values() if str(w) not in self.conditional]
        self.watch(self.available, lambda on: set_enabled(others, on))

    def refresh(self) -> None:
        """Bring the widgets up to date with the core."""
        for entry in self._watches:
            value = entry[0]()
            if entry[2] is _UNSET or value != entry[2]:
                entry[2] = value
                entry[1](value)

    # ------------------------------------------------------------------------
    # Building blocks.

    def control(self, name: str, widget: tk.Widget, tip: str | Callable[[], str] | None = None) -> Any:
        """Register a control under `name` (unique in the panel), with an optional tooltip."""
        if name in self.controls:
            raise ValueError(f'{self.title}: two controls named {name!r}')
        self.controls[name] = widget
        if tip:
            Tooltip(widget, tip)
        return widget

    def row(self, label: str = '') -> ttk.Frame:
        """A new row: `label` in the first column, and a frame for the controls in the second."""
        holder = ttk.Frame(self.frame)
        holder.grid(row=self._rows, column=1 if label else 0, columnspan=1 if label else 2, sticky='ew', pady=1)
        if label:
            self._labels[str(holder)] = ttk.Label(self.frame, text=label)
            self._labels[str(holder)].grid(row=self._rows, column=0, sticky='w', padx=(0, 6), pady=1)
        self._rows += 1
        return holder

    def show(self, holder: tk.Widget, on: bool) -> None:
        """Show or hide a row made by `row` (with its label)."""
        for widget in (holder, self._labels.get(str(holder))):
            if widget is not None:
                widget.grid() if on else widget.grid_remove()

    def note(self, getter: Callable[[], tuple[str, str] | str | None], label: str = '') -> ttk.Label:
        """A row of wrapped text that follows getter() ((text, tone), plain text, or None to hide the row)."""
        holder = self.row(label)
        widget = ttk.Label(holder, wraplength=self.ctx.em * 28, justify='left')
        widget.pack(side='top', anchor='w', fill='x')

        def show(shown) -> None:
            show_note(widget, shown)
            self.show(holder, bool(shown))
        self.watch(getter, show)
        return widget

    def show_row(self, holder: tk.Widget, getter: Callable[[], bool]) -> None:
        """Show a row only while getter() holds."""
        self.watch(lambda: bool(getter()), lambda on: self.show(holder, on))

    def check(self, parent: tk.Widget, name: str, text: str, target: str, field: str, tip: str | None = None) -> ttk.Checkbutton:
        """A checkbutton showing a boolean state field of controller `target`; a click sets it."""
        return self.check_value(parent, name, text, lambda: getattr(self.state(target), field), lambda on: self.act(target, 'set', **{field: on}), tip)

    def check_value(self, parent: tk.Widget, name: str, text: str, current: Callable[[], bool], commit: Callable[[bool], None],
        tip: str | None = None) -> ttk.Checkbutton:
        """A checkbutton showing current(); a click calls commit(new value)."""
        var = tk.BooleanVar(master=parent)
        button = ttk.Checkbutton(parent, text=text, variable=var, command=lambda: commit(var.get()))
        button.pack(side='left')
        self.watch(lambda: bool(current()), var.set)
        return self.control(name, button, tip)

    def radios(self, parent: tk.Widget, name: str, current: Callable[[], str], options: dict[str, str],
        pick: Callable[[str], None], tips: dict[str, str] | None = None) -> list[ttk.Radiobutton]:
        """Radio buttons on one line for {value: label}; `pick(value)` when one is chosen. Named 'name:value'."""
        var = tk.StringVar(master=parent)
        buttons = []
        for value, text in options.items():
            button = ttk.Radiobutton(parent, text=text, value=value, variable=var,
                command=lambda v=value: pick(v) if v != current() else None)
            button.pack(side='left', padx=(0, 4))
            buttons.append(self.control(f'{name}:{value}', button, (tips or {}).get(value)))
        self.watch(current, var.set)
        return buttons

    def field_radios(self, parent: tk.Widget, name: str, target: str, field: str, options: dict[str, str]) -> list[ttk.Radiobutton]:
        """Radio buttons for a choice field of controller `target`."""
        return self.radios(parent, name, lambda: getattr(self.state(target), field), options,
            lambda value: self.act(target, 'set', **{field: value}))

    def entry(self, parent: tk.Widget, name: str, current: Callable[[], str], commit: Callable[[str], None], width: int = 10,
        tip: str | None = None, on_focus_out: bool = True) -> ttk.Entry:
        """A text field showing current(); Return (and leaving the field, unless told not to) commits the text."""
        var = tk.StringVar(master=parent)
        widget = ttk.Entry(parent, textvariable=var, width=width)
        widget.pack(side='left', fill='x', expand=True)

        def commit_if_changed(_event=None):
            if var.get() != current():
                commit(var.get())
        widget.bind('<Return>', lambda e: commit(var.get()))
        widget.bind('<KP_Enter>', lambda e: commit(var.get()))
        select_all_on_ctrl_a(widget)
        if on_focus_out:
            widget.bind('<FocusOut>', commit_if_changed)
        self.watch(current, var.set)
        return self.control(name, widget, tip)

    def number(self, parent: tk.Widget, name: str, current: Callable[[], float], commit: Callable[[float], None],
        low: float, high: float, increment: float = 1.0, integer: bool = True, width: int = 8, fmt: str = '{:g}',
        tip: str | None = None, follow: bool = True) -> ttk.Spinbox:
        """A spinbox for a number in [low, high]: its arrows step it, typed text is taken with Return or on leaving.
        Text that is not a number is put back. With follow=False the shown value is set once (rows rebuilt on change)."""
        var = tk.StringVar(master=parent)
        widget = ttk.Spinbox(parent, textvariable=var, from_=low, to=high, increment=increment, width=width)
        widget.pack(side='left')

        def take(_event=None) -> None:
            text = var.get().strip()
            try:
                value = int(text) if integer else float(text)
            except ValueError:
                var.set(fmt.format(current()))
                return
            if not math.isfinite(value):
                var.set(fmt.format(current()))
                return
            value = min(max(value, low), high)
            if value != current():
                commit(value)
            var.set(fmt.format(current()))
        widget.configure(command=take)
        select_all_on_ctrl_a(widget)
        widget.bind('<Return>', take)
        widget.bind('<KP_Enter>', take)
        widget.bind('<FocusOut>', take)
        if follow:
            self.watch(current, lambda value: var.set(fmt.format(value)))
        else:
            var.set(fmt.format(current()))
        return self.control(name, widget, tip)

    def slider(self, parent: tk.Widget, name: str, current: Callable[[], float], commit: Callable[[float], None],
        low: float, high: float | Callable[[], float], default: float | None = None, fmt: str | Callable[[float], str] = '{:.2f}', integer: bool = False,
        log: bool = False, length: int | None = None, tip: str | None = None) -> ttk.Scale:
        """A slider (logarithmic if asked) with its value as text and, with a default, a Reset button named
        'name:reset'. Dragging it holds the view core's 'interacting' flag. `fmt` is a format string or a function; `high`
        a number or a function (a range that follows the network)."""
        top = high if callable(high) else (lambda: high)
        to_pos = (lambda v: math.log10(max(v, low))) if log else (lambda v: v)
        from_pos = (lambda p: 10 ** p) if log else (lambda p: p)
        formatted = fmt if callable(fmt) else fmt.format
        var = tk.DoubleVar(master=parent)
        text = ttk.Label(parent, width=max(len(formatted(top())), len(formatted(low))) + 1, anchor='e')

        def moved(position: str) -> None:
            value = from_pos(float(position))
            value = int(round(value)) if integer else value
            value = min(max(value, low), top())
            if value != current():
                commit(value)
        scale = ttk.Scale(parent, from_=to_pos(low), to=to_pos(top()), variable=var, command=moved,
            length=length or self.ctx.em * 9)
        scale.pack(side='left', fill='x', expand=True)
        text.pack(side='left', padx=(4, 0))
        scale.bind('<ButtonPress-1>', lambda e: self.ctx.hold(True), add='+')
        scale.bind('<ButtonRelease-1>', lambda e: self.ctx.hold(False), add='+')

        def show(value: float) -> None:
            var.set(to_pos(value))
            text.configure(text=formatted(value))
        self.watch(lambda: to_pos(max(top(), low + 1e-9)), lambda position: scale.configure(to=position))
        self.watch(current, show)
        if default is not None:
            reset = ttk.Button(parent, text='Reset', width=6, command=lambda: commit(default) if current() != default else None)
            reset.pack(side='left', padx=(4, 0))
            self.control(f'{name}:reset', reset)
            self.enable_when(lambda: current() != default, reset)
        return self.control(name, scale, tip)

    def combo(self, parent: tk.Widget, name: str, current: Callable[[], str], options: Callable[[], dict[str, str]] | dict[str, str],
        pick: Callable[[str], None], width: int = 12, tip: str | None = None, placeholder: str | None = None) -> ttk.Combobox:
        """A read-only drop-down of {value: label} (a callable gives options that change); `pick(value)` on a choice.
        With a placeholder, the box always shows it and offers every option (a menu of actions)."""
        get_options = options if callable(options) else (lambda: options)
        widget = ttk.Combobox(parent, state='readonly', width=width)
        widget.pack(side='left', fill='x', expand=True)

        def chosen(_event=None) -> None:
            by_label = {text: value for value, text in get_options().items()}
            value = by_label.get(widget.get())
            if placeholder is not None:
                widget.set(placeholder)
            if value is not None and (placeholder is not None or value != current()):
                pick(value)
        widget.bind('<<ComboboxSelected>>', chosen)

        def show(shown: tuple) -> None:
            value, labels = shown
            widget.configure(values=list(labels))
            widget.set(placeholder if placeholder is not None else dict(get_options()).get(value, value))
        self.watch(lambda: (current(), tuple(get_options().values())), show)
        return self.control(name, widget, tip)

    def button(self, parent: tk.Widget, name: str, text: str, command: Callable[[], Any], tip: str | None = None,
        width: int | None = None) -> ttk.Button:
        widget = ttk.Button(parent, text=text, command=command, **({'width': width} if width else {}))
        widget.pack(side='left', padx=(0, 4))
        return self.control(name, widget, tip)

    def drag_handle(self, parent: tk.Widget, name: str, text: str, on_drag: Callable[[float, float], None], speed: float,
        tip: str = '') -> ttk.Label:
        """A button-like handle to drag: on_drag(dx, dy) with the motion times `speed` (Shift x10, Ctrl or Alt x0.1)."""
        widget = ttk.Label(parent, text=text, relief='raised', padding=(6, 1), cursor='fleur')
        widget.pack(side='left', padx=(4, 0))
        last: list[tuple[int, int] | None] = [None]

        def press(event) -> None:
            last[0] = (event.x_root, event.y_root)
            self.ctx.hold(True)

        def motion(event) -> None:
            if last[0] is None:
                return
            dx, dy = event.x_root - last[0][0], event.y_root - last[0][1]
            last[0] = (event.x_root, event.y_root)
            factor = speed * (10.0 if event.state & 0x1 else 0.1 if event.state & (0x4 | 0x8) else 1.0)
            if dx or dy:
                on_drag(dx * factor, dy * factor)

        def release(_event) -> None:
            last[0] = None
            self.ctx.hold(False)
        widget.bind('<ButtonPress-1>', press)
        widget.bind('<B1-Motion>', motion)
        widget.bind('<ButtonRelease-1>', release)
        return self.control(name, widget, (tip + '\n' if tip else '') + 'Drag to change; hold Shift for fast, Ctrl or Alt for slow.')

    def command_row(self, parent: tk.Widget, name: str, kind: str, text: str, action: str | Callable[[], Any], *args: Any,
        tip: str | None = None) -> ttk.Button:
        """The Start button of a background command (it reads Cancel while the command is queued or running), and
        below it the command's progress bar or outcome. `action` is an app action (called with `args`) or a function."""
        def running() -> bool:
            status = self.core.command_status(kind)
            return status is not None and not status.finished

        def press() -> None:
            if running():
                self.act('app', 'cancel', kind)
            elif callable(action):
                action()
            else:
                self.act('app', action, *args)
        widget = self.button(parent, name, text, press, tip)
        self.watch(running, lambda busy: widget.configure(text='Cancel' if busy else text))
        holder = self.row()
        bar = ttk.Progressbar(holder, maximum=1.0, length=self.ctx.em * 14)
        label = ttk.Label(holder, wraplength=self.ctx.em * 28, justify='left')

        def show(status) -> None:
            shown = command_text(status)
            bar.pack_forget()
            label.pack_forget()
            self.show(holder, shown is not None)
            if shown is None:
                return
            if shown[2] is not None:
                bar.configure(value=shown[2])
                bar.pack(side='top', anchor='w')
            show_note(label, shown[:2])
            label.pack(side='top', anchor='w')
        self.watch(lambda: self.core.command_status(kind), show)
        return widget


def select_all_on_ctrl_a(widget: ttk.Entry) -> None:
    """Ctrl+A selects the whole text, as in most programs (Tk's X11 bindings move to the line start instead)."""
    def select_all(_event) -> str:
        widget.selection_range(0, 'end')
        widget.icursor('end')
        return 'break'
    widget.bind('<Control-a>', select_all)


def show_note(label: ttk.Label, shown: tuple[str, str] | str | None) -> None:
    """Show (text, tone), plain text or nothing in a label."""
    text, tone = (shown, 'plain') if isinstance(shown, str) else (shown or ('', 'plain'))
    label.configure(text=text, foreground=TONE_COLORS[tone])
