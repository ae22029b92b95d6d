"""Self-contained SVG of a partnership: the action plan's timeline and the maturity trajectory; no Django.

Both charts return SVG text that is valid XML, carries ``role="img"``, a ``<title>`` and a ``<desc>``
(referenced by ``aria-labelledby``), and uses presentation attributes only (no ``style``, no script, no
font or image from elsewhere), so they can be pasted inline into a page under the site's
Content-Security-Policy or served as ``image/svg+xml``. Every text comes from the caller, already
translated; dates are written by the caller's ``month_label``.

Right-to-left: with ``rtl`` time runs from right to left (the x axis is mirrored), the labels sit on the
right and the root element says ``direction="rtl"``, so Hebrew and Persian read the chart in their
reading direction; in both directions the text anchors are logical (``start`` is the reading start).
Status and series are never told apart by colour alone: the timeline writes each bar's status beside
it and draws each status with its own outline; the trajectory uses different markers and line styles.
"""

from __future__ import annotations

import calendar
import datetime as dt
import html
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

SVG_NS = "http://www.w3.org/2000/svg"
FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif'
TEXT = "#212529"
SUBTLE = "#6c757d"
GRID = "#dee2e6"
TODAY = "#b02a37"

# Characters XML 1.0 does not allow at all; a label containing one would make the SVG unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value: str) -> str:
    return html.escape(_NOT_XML.sub("", str(value)), quote=True)


def _short(value: str, limit: int) -> str:
    value = " ".join(str(value).split())
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def _iso_month(day: dt.date) -> str:
    return f"{day.year}-{day.month:02d}"


def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _month_start(index: int) -> dt.date:
    return dt.date(index // 12, index % 12 + 1, 1)


def _tick_step(months: int, room: float) -> int:
    """Months between two labelled ticks, so that labels do not collide (about 70 px each)."""
    for step in (1, 2, 3, 6, 12, 24, 60, 120):
        if months / step <= max(room / 70, 1):
            return step
    return 240


def _labelled(index: int, first: int, step: int) -> bool:
    """Whether the month ``index`` gets a label: every ``step`` months from the first, or each year's
    January (and the first month when its year has room before the next one) when counting in years."""
    if step < 12:
        return (index - first) % step == 0
    return index % step == 0 or (index == first and step - first % step >= step / 2)


def _plot_span(width: int, label_room: float, end_room: float, rtl: bool) -> tuple[float, float]:
    """The plot's horizontal extent: labels on the reading-start side, ``end_room`` on the other."""
    return (end_room, width - label_room) if rtl else (label_room, width - end_room)


def _svg_open(width: int, height: int, id_prefix: str, rtl: bool, css_class: str) -> str:
    return (
        f'<svg xmlns="{SVG_NS}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-labelledby="{id_prefix}-title {id_prefix}-desc" class="{css_class}" '
        f'direction="{"rtl" if rtl else "ltr"}" font-family="{_text(FONT)}" font-size="12" fill="{TEXT}">'
    )


def _heading(id_prefix: str, title: str, description: str) -> list[str]:
    return [
        f'<title id="{id_prefix}-title">{_text(title)}</title>',
        f'<desc id="{id_prefix}-desc">{_text(description)}</desc>',
        '<rect x="0" y="0" width="100%" height="100%" fill="#ffffff"/>',
    ]


# --- timeline of the action plan -----------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineBar:
    """One activity: its label, dates (``ends_on`` empty for a one-day activity), status code, tooltip."""

    label: str
    starts_on: dt.date
    ends_on: dt.date | None
    status: str
    note: str = ""


@dataclass(frozen=True)
class TimelineGroup:
    """The activities of one goal, under the goal's label."""

    label: str
    bars: Sequence[TimelineBar]


@dataclass(frozen=True)
class BarStyle:
    fill: str
    stroke: str
    dash: str = ""
    struck: bool = False  # a line through the bar (cancelled)


# Planned: an open dashed outline; in progress: a light fill; done: a solid dark fill; cancelled: grey,
# dotted and struck through. The status word is written beside every bar as well.
STATUS_STYLES: Mapping[str, BarStyle] = {
    "planned": BarStyle(fill="#ffffff", stroke="#1c5aa6", dash="4,3"),
    "in_progress": BarStyle(fill="#9ec5fe", stroke="#1c5aa6"),
    "done": BarStyle(fill="#1c5aa6", stroke="#0a3d7a"),
    "cancelled": BarStyle(fill="#e9ecef", stroke="#6c757d", dash="2,2", struck=True),
}
_FALLBACK_STYLE = BarStyle(fill="#f8f9fa", stroke="#6c757d")

TIMELINE_WIDTH = 880
LABEL_WIDTH = 250
STATUS_ROOM = 110  # room after the latest bar for its status word
PAD = 12
AXIS_HEIGHT = 30
GROUP_HEIGHT = 26
ROW_HEIGHT = 24
BAR_HEIGHT = 12
LEGEND_HEIGHT = 34


def _bar_style(status: str) -> BarStyle:
    return STATUS_STYLES.get(status, _FALLBACK_STYLE)


def _bar_rect(x: float, y: float, width: float, height: float, style: BarStyle) -> str:
    dash = f' stroke-dasharray="{style.dash}"' if style.dash else ""
    parts = [
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(width, 4):.1f}" height="{height:.1f}" rx="2" '
        f'fill="{style.fill}" stroke="{style.stroke}" stroke-width="1.5"{dash}/>'
    ]
    if style.struck:
        middle = y + height / 2
        parts.append(
            f'<line x1="{x:.1f}" y1="{middle:.1f}" x2="{x + max(width, 4):.1f}" y2="{middle:.1f}" '
            f'stroke="{style.stroke}" stroke-width="1.5"/>'
        )
    return "".join(parts)


def timeline_chart(
    groups: Sequence[TimelineGroup],
    *,
    today: dt.date,
    title: str,
    description: str,
    status_labels: Mapping[str, str],
    today_label: str,
    empty_text: str = "",
    month_label: Callable[[dt.date], str] = _iso_month,
    rtl: bool = False,
    width: int = TIMELINE_WIDTH,
    id_prefix: str = "plan-timeline",
    css_class: str = "",
) -> str:
    """The activities of the plan as bars over the months, one row each, grouped under their goal.

    The time axis covers the months from the first start to the last end; a dashed line marks
    ``today`` when it falls inside. Every bar is labelled with its status (``status_labels``) and
    has a ``<title>`` with ``note``; a legend shows each status's drawing. ``css_class`` is added to
    the root's classes (for example the page's classes that let an inline chart shrink to its column).

    Complexity: O(B + M) for B bars and M months.

    Examples
    --------
    >>> bar = TimelineBar("Reading club", dt.date(2025, 1, 6), dt.date(2025, 3, 28), "done")
    >>> svg = timeline_chart([TimelineGroup("Readers", [bar])], today=dt.date(2025, 2, 1), title="Plan",
    ...     description="One activity", status_labels={"done": "Done"}, today_label="Today")
    >>> "Reading club" in svg and ">Done<" in svg and 'class="today"' in svg
    True
    """
    bars = [bar for group in groups for bar in group.bars]
    rows = sum(1 + len(group.bars) for group in groups)
    height = AXIS_HEIGHT + rows * ROW_HEIGHT + (GROUP_HEIGHT - ROW_HEIGHT) * len(groups) + LEGEND_HEIGHT + PAD
    parts = [
        _svg_open(width, height, id_prefix, rtl, f"plan-timeline {css_class}".strip()),
        *_heading(id_prefix, title, description),
    ]
    if not bars:
        parts.append(
            f'<text x="{width / 2:.1f}" y="{height / 2:.1f}" text-anchor="middle" fill="{SUBTLE}">'
            f"{_text(empty_text)}</text></svg>"
        )
        return "".join(parts)

    first = min(_month_index(bar.starts_on) for bar in bars)
    last = max(_month_index(bar.ends_on or bar.starts_on) for bar in bars)
    months = last - first + 1
    low, high = _plot_span(width, LABEL_WIDTH + PAD, STATUS_ROOM + PAD, rtl)
    month_width = (high - low) / months

    def position(day: dt.date) -> float:
        days = calendar.monthrange(day.year, day.month)[1]
        offset = (_month_index(day) - first + (day.day - 1) / days) * month_width
        return high - offset if rtl else low + offset

    label_x = width - PAD if rtl else PAD
    axis_y = AXIS_HEIGHT - 10
    body_top, body_bottom = AXIS_HEIGHT, height - LEGEND_HEIGHT - PAD

    # Month grid and labels: one label per month, or per quarter, half-year or year on long plans.
    step = _tick_step(months, high - low)
    parts.append('<g class="axis">')
    for index in range(first, last + 2):
        aligned = _labelled(index, first, step)
        if not (aligned or index in (first, last + 1)):
            continue
        x = position(_month_start(index))
        parts.append(
            f'<line x1="{x:.1f}" y1="{body_top - 4}" x2="{x:.1f}" y2="{body_bottom}" stroke="{GRID}"/>'
        )
        if not aligned or index > last:
            continue
        if step == 1:  # centred in its month
            label, anchor = month_label(_month_start(index)), "middle"
            x = (x + position(_month_start(index + 1))) / 2
        else:  # from its tick onwards, in the direction time runs
            label, anchor = (str(index // 12) if step >= 12 else month_label(_month_start(index))), "start"
        parts.append(
            f'<text class="tick" x="{x:.1f}" y="{axis_y}" text-anchor="{anchor}" font-size="11" '
            f'fill="{SUBTLE}">{_text(label)}</text>'
        )
    parts.append("</g>")

    # Goals and their activities.
    y = float(body_top)
    for group in groups:
        parts.append('<g class="goal">')
        parts.append(
            f'<text class="goal-label" x="{label_x}" y="{y + GROUP_HEIGHT - 8:.1f}" font-weight="bold">'
            f"{_text(_short(group.label, 38))}<title>{_text(group.label)}</title></text>"
        )
        y += GROUP_HEIGHT
        for bar in group.bars:
            style = _bar_style(bar.status)
            end = (bar.ends_on or bar.starts_on) + dt.timedelta(days=1)
            x_start, x_end = position(bar.starts_on), position(end)
            left, right = min(x_start, x_end), max(x_start, x_end)
            status = status_labels.get(bar.status, bar.status)
            top = y + (ROW_HEIGHT - BAR_HEIGHT) / 2
            after = (left - 4) if rtl else (right + 4)
            parts.append(f'<g class="bar status-{_text(bar.status)}" data-status="{_text(bar.status)}">')
            parts.append(f"<title>{_text(bar.note or bar.label)}</title>")
            parts.append(
                f'<text class="bar-label" x="{label_x}" y="{y + ROW_HEIGHT - 8:.1f}">'
                f"{_text(_short(bar.label, 40))}</text>"
            )
            parts.append(_bar_rect(left, top, right - left, BAR_HEIGHT, style))
            parts.append(
                f'<text class="bar-status" x="{after:.1f}" y="{y + ROW_HEIGHT - 8:.1f}" font-size="11">'
                f"{_text(status)}</text>"
            )
            parts.append("</g>")
            y += ROW_HEIGHT
        parts.append("</g>")

    if _month_index(today) in range(first, last + 1):
        x = position(today)
        parts.append(
            f'<g class="today"><line x1="{x:.1f}" y1="{body_top - 4}" x2="{x:.1f}" y2="{body_bottom}" '
            f'stroke="{TODAY}" stroke-width="2" stroke-dasharray="6,3"/>'
            f'<text x="{x:.1f}" y="{body_bottom + 12}" text-anchor="middle" font-size="11" fill="{TODAY}">'
            f"{_text(today_label)}</text></g>"
        )

    parts.append(_timeline_legend(status_labels, today_label, width, height, rtl))
    parts.append("</svg>")
    return "".join(parts)


def _timeline_legend(
    status_labels: Mapping[str, str], today_label: str, width: int, height: int, rtl: bool
) -> str:
    y = height - PAD - 10
    x = float(width - PAD if rtl else PAD)
    direction = -1 if rtl else 1
    parts = ['<g class="legend">']
    for code, style in STATUS_STYLES.items():
        label = status_labels.get(code, code)
        swatch = x - 22 if rtl else x
        parts.append(_bar_rect(swatch, y - 9, 22, 10, style))
        text_x = x + direction * 28
        parts.append(f'<text x="{text_x:.1f}" y="{y}" font-size="11">{_text(label)}</text>')
        x += direction * (28 + 7 * len(label) + 22)
    marker = x + direction * 11
    parts.append(
        f'<line x1="{marker:.1f}" y1="{y - 12}" x2="{marker:.1f}" y2="{y + 3}" stroke="{TODAY}" '
        f'stroke-width="2" stroke-dasharray="6,3"/>'
    )
    parts.append(f'<text x="{x + direction * 28:.1f}" y="{y}" font-size="11">{_text(today_label)}</text>')
    parts.append("</g>")
    return "".join(parts)


# --- trajectory on the sharing continuum -------------------------------------------------------------


@dataclass(frozen=True)
class LevelPoint:
    """A level (1–6) on a date, with the tooltip shown for it."""

    on: dt.date
    level: int
    note: str = ""


TRAJECTORY_WIDTH = 760
TRAJECTORY_HEIGHT = 340
LEVEL_LABEL_WIDTH = 240
ASSESSED_COLOUR = "#1c5aa6"
SUGGESTED_COLOUR = "#a14c00"
LEVELS = range(1, 7)


def trajectory_chart(
    *,
    assessed: Sequence[LevelPoint],
    suggested: Sequence[LevelPoint],
    level_labels: Mapping[int, str],
    title: str,
    description: str,
    assessed_label: str,
    suggested_label: str,
    empty_text: str = "",
    month_label: Callable[[dt.date], str] = _iso_month,
    rtl: bool = False,
    width: int = TRAJECTORY_WIDTH,
    height: int = TRAJECTORY_HEIGHT,
    id_prefix: str = "trajectory",
    css_class: str = "",
) -> str:
    """Assessed and suggested levels over time on the six levels of the continuum.

    Assessed levels: a solid line with filled circles; suggested levels: a dashed line with open
    squares; a legend names both. Each point is a ``<g class="point assessed|suggested">`` with
    ``data-on`` (ISO date), ``data-level`` and a ``<title>`` (``note``).

    Complexity: O(P) for P points.

    Examples
    --------
    >>> svg = trajectory_chart(assessed=[LevelPoint(dt.date(2025, 3, 1), 2)],
    ...     suggested=[LevelPoint(dt.date(2025, 3, 1), 3)], level_labels={n: f"L{n}" for n in range(1, 7)},
    ...     title="Maturity", description="…", assessed_label="Assessed", suggested_label="Suggested")
    >>> 'data-level="2"' in svg and 'data-level="3"' in svg and ">L6<" in svg
    True
    """
    parts = [
        _svg_open(width, height, id_prefix, rtl, f"trajectory {css_class}".strip()),
        *_heading(id_prefix, title, description),
    ]
    legend_height = 28
    top, bottom = PAD + legend_height, height - AXIS_HEIGHT
    low, high = _plot_span(width, LEVEL_LABEL_WIDTH + PAD, 2 * PAD, rtl)
    label_x = width - PAD if rtl else PAD
    row = (bottom - top) / (len(LEVELS) - 1)

    def level_y(level: int) -> float:
        return bottom - (min(max(level, 1), 6) - 1) * row

    parts.append('<g class="levels">')
    for level in LEVELS:
        y = level_y(level)
        parts.append(f'<line x1="{low}" y1="{y:.1f}" x2="{high}" y2="{y:.1f}" stroke="{GRID}"/>')
        label = f"{level} · {level_labels.get(level, '')}"
        parts.append(
            f'<text class="level-label" data-level="{level}" x="{label_x}" y="{y + 4:.1f}">'
            f"{_text(_short(label, 36))}</text>"
        )
    parts.append("</g>")

    points = [*assessed, *suggested]
    if not points:
        parts.append(
            f'<text x="{(low + high) / 2:.1f}" y="{(top + bottom) / 2:.1f}" text-anchor="middle" '
            f'fill="{SUBTLE}">{_text(empty_text)}</text></svg>'
        )
        return "".join(parts)

    first, last = min(p.on for p in points), max(p.on for p in points)
    start = dt.date.fromordinal(first.toordinal() - 15)
    end = dt.date.fromordinal(max(last.toordinal(), first.toordinal() + 30) + 15)
    span = (end - start).days

    def date_x(day: dt.date) -> float:
        offset = (day - start).days / span * (high - low)
        return high - offset if rtl else low + offset

    # Month ticks.
    first_month, last_month = _month_index(start) + 1, _month_index(end)
    step = _tick_step(max(last_month - first_month + 1, 1), high - low)
    parts.append('<g class="axis">')
    for index in range(first_month, last_month + 1):
        if index % step:
            continue
        x = date_x(_month_start(index))
        label = str(index // 12) if step >= 12 else month_label(_month_start(index))
        parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom + 4}" stroke="{GRID}"/>')
        parts.append(
            f'<text class="tick" x="{x:.1f}" y="{bottom + 18}" text-anchor="middle" font-size="11" '
            f'fill="{SUBTLE}">{_text(label)}</text>'
        )
    parts.append("</g>")

    parts.append(_series(suggested, "suggested", SUGGESTED_COLOUR, "6,4", date_x, level_y))
    parts.append(_series(assessed, "assessed", ASSESSED_COLOUR, "", date_x, level_y))
    parts.append(_trajectory_legend(assessed_label, suggested_label, high if rtl else low, rtl))
    parts.append("</svg>")
    return "".join(parts)


def _marker(kind: str, x: float, y: float, colour: str) -> str:
    if kind == "assessed":
        return (
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{colour}" stroke="#ffffff" stroke-width="1.5"/>'
        )
    return (
        f'<rect x="{x - 6:.1f}" y="{y - 6:.1f}" width="12" height="12" fill="none" stroke="{colour}" '
        f'stroke-width="2"/>'
    )


def _series(
    points: Sequence[LevelPoint],
    kind: str,
    colour: str,
    dash: str,
    date_x: Callable[[dt.date], float],
    level_y: Callable[[int], float],
) -> str:
    ordered = sorted(points, key=lambda p: p.on)
    parts = [f'<g class="series {kind}">']
    if len(ordered) > 1:
        path = " ".join(
            f"{'M' if i == 0 else 'L'}{date_x(p.on):.1f} {level_y(p.level):.1f}"
            for i, p in enumerate(ordered)
        )
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="2.5"{dash_attr}/>')
    for p in ordered:
        marker = _marker(kind, date_x(p.on), level_y(p.level), colour)
        parts.append(
            f'<g class="point {kind}" data-on="{p.on.isoformat()}" data-level="{p.level}">'
            f"<title>{_text(p.note or str(p.level))}</title>{marker}</g>"
        )
    parts.append("</g>")
    return "".join(parts)


def _trajectory_legend(assessed_label: str, suggested_label: str, x: float, rtl: bool) -> str:
    y = PAD + 10
    direction = -1 if rtl else 1
    parts = ['<g class="legend">']
    for kind, label, colour, dash in (
        ("assessed", assessed_label, ASSESSED_COLOUR, ""),
        ("suggested", suggested_label, SUGGESTED_COLOUR, "6,4"),
    ):
        x2 = x + direction * 34
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<line x1="{x:.1f}" y1="{y}" x2="{x2:.1f}" y2="{y}" stroke="{colour}" '
            f'stroke-width="2.5"{dash_attr}/>'
        )
        parts.append(_marker(kind, (x + x2) / 2, y, colour))
        parts.append(f'<text x="{x + direction * 42:.1f}" y="{y + 4}">{_text(label)}</text>')
        x += direction * (42 + 7.5 * len(label) + 24)
    parts.append("</g>")
    return "".join(parts)
