"""Lag over time, drawn from a group's LagTracker history: the resampling of
(time, lag) points onto a fixed number of columns, the one-line sparkline of
the groups list, and the multi-row chart of the group detail.

The chart scales from zero, with the largest lag on its axis, so a lag that
moves from 1,000 to 1,010 looks flat, as it is; the one-line sparkline is a
trend and scales between the smallest and largest value drawn.  Colours
come from the theme through CSS."""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.text import Text
from textual.widget import Widget

from kview.core.format import human_count, human_duration

BLOCKS = " ▁▂▃▄▅▆▇█"
"""Index n is a cell filled n eighths from the bottom."""

Point = tuple[float, int]


def resample(points: Sequence[Point], columns: int, start: float, end: float) -> list[float | None]:
    """The lag in each of ``columns`` equal time slots over [start, end].

    A sample holds until the next one (lag is a step series between
    refreshes), so an empty slot repeats the value before it; a slot with
    samples shows the largest, so a short spike is not lost.  Slots before the
    first sample are None."""
    if columns <= 0:
        return []
    ordered = sorted(points)
    out: list[float | None] = [None] * columns
    carry: float | None = None
    i = 0
    while i < len(ordered) and ordered[i][0] < start:
        carry = ordered[i][1]
        i += 1
    step = (end - start) / columns if end > start else 0.0
    for column in range(columns):
        last = column == columns - 1
        slot_end = start + (column + 1) * step
        best: float | None = None
        while i < len(ordered) and (last or ordered[i][0] < slot_end):
            value = ordered[i][1]
            best = value if best is None else max(best, value)
            carry = value
            i += 1
        out[column] = best if best is not None else carry
    return out


def window_of(points: Sequence[Point], now: float, span: float) -> tuple[float, float]:
    """The time range to draw: the last ``span`` seconds, or less when the
    history is younger (a chart that is mostly empty tells nothing)."""
    if not points:
        return now - span, now
    first = min(t for t, _ in points)
    return max(first, now - span), now


def _eighths(value: float | None, top: float, rows: int) -> int:
    """Height of a bar in eighths of a cell: 0 for no data, at least 1 (the
    baseline) for zero, and at least 2 for any positive lag so it shows."""
    if value is None:
        return 0
    if value <= 0 or top <= 0:
        return 1
    return max(2, min(rows * 8, math.ceil(value / top * rows * 8)))


def lag_sparkline(points: Sequence[Point], width: int, now: float, span: float = 300.0) -> str:
    """One line of ``width`` block characters: the lag over the last ``span``
    seconds (or since kview first saw the group).

    A trend, not a gauge: scaled between the smallest and largest lag drawn,
    so a growing backlog of thousands still shows its slope; zero stays the
    baseline when the lag touched it, and a flat lag is a flat middle line
    (the number beside it gives the size)."""
    if not points or width <= 0:
        return ""
    start, end = window_of(points, now, span)
    columns = width if end > start else 1
    values = resample(points, columns, start, end)
    present = [v for v in values if v is not None]
    if not present:
        return ""
    low, high = min(present), max(present)
    out = []
    for v in values:
        if v is None:
            out.append(BLOCKS[0])
        elif high == low:
            out.append(BLOCKS[4] if high > 0 else BLOCKS[1])
        else:
            out.append(BLOCKS[1 + round((v - low) / (high - low) * 7)])
    return "".join(out)


class LagChart(Widget):
    """A bar chart of a group's total lag over time, with the largest value
    and the time span on its axes.  ``set_history`` feeds it."""

    COMPONENT_CLASSES = {"lag-chart--axis", "lag-chart--bar"}
    DEFAULT_CSS = """
    LagChart { height: 7; }
    LagChart > .lag-chart--axis { color: $text-muted; }
    LagChart > .lag-chart--bar { color: $accent; }
    """

    def __init__(self, span: float = 600.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.span = span
        self.points: tuple[Point, ...] = ()
        self.now = 0.0

    def set_history(self, points: Sequence[Point], now: float) -> None:
        """Draw ``points`` ((time, lag), any order) up to ``now``."""
        self.points = tuple(points)
        self.now = now
        self.refresh()

    def render_lines_for(self, width: int, height: int) -> list[Text]:
        """The chart as ``height`` lines of at most ``width`` cells (pure:
        tested without a screen)."""
        axis = self.get_component_rich_style("lag-chart--axis") if self.is_mounted else ""
        bar = self.get_component_rich_style("lag-chart--bar") if self.is_mounted else ""
        if height <= 0 or width <= 0:
            return []
        if not self.points:
            return [Text("no lag samples yet: the chart fills in as the group is refreshed", style=axis)]
        rows = max(1, height - 1)
        start, end = window_of(self.points, self.now, self.span)
        # Labels are as wide as the largest lag ever kept, so the plot does
        # not shift sideways while the lag moves.
        label_width = len(human_count(max(v for _, v in self.points)))
        plot_width = max(1, width - label_width - 2)
        values = resample(self.points, plot_width if end > start else 1, start, end)
        shown_top = max((v for v in values if v is not None), default=0)
        top_label = human_count(shown_top)
        heights = [_eighths(v, shown_top, rows) for v in values]
        lines: list[Text] = []
        for row in range(rows):
            level = rows - 1 - row  # 0 = bottom row
            if row == 0:
                label = top_label
            elif level == 0:
                label = "0"
            else:
                label = ""
            line = Text(no_wrap=True, overflow="crop")
            line.append(label.rjust(label_width) + " ┤" if label else " " * label_width + " │", style=axis)
            cells = "".join(BLOCKS[max(0, min(8, h - level * 8))] for h in heights)
            line.append(cells, style=bar)
            lines.append(line)
        if height > 1:
            left = f"-{human_duration(end - start)}" if end > start else "now"
            right = "now"
            gap = max(1, plot_width - len(left) - len(right))
            lines.append(
                Text(" " * (label_width + 2) + left + " " * gap + right, style=axis, no_wrap=True, overflow="crop")
            )
        return lines

    def render(self) -> Text:
        size = self.content_region.size if self.is_mounted else self.size
        return Text("\n").join(self.render_lines_for(size.width, size.height))
