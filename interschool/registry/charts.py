"""Self-contained SVG for the registry: a school's indicator chart and the network map; no Django.

Both return SVG text that is valid XML, carries ``role="img"`` and a ``<title>``, and references nothing
outside itself: no script, no web font, no external style sheet or image. The only URIs left are the
SVG (and, if pygal ever emits it, XLink) namespace names, which browsers never fetch.

The indicator chart is drawn by pygal and styled by the ``<style>`` element pygal writes inside the
SVG. Embed it with ``<img src="data:image/svg+xml;…">`` (the site's ``img-src`` allows ``data:``) or
serve it as ``image/svg+xml``; pasting it inline into a page would need a ``style-src`` allowance in
the Content-Security-Policy. The map uses presentation attributes only and can be inlined as is.
"""

from __future__ import annotations

import hashlib
import html
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pygal
from pygal.etree import etree as pygal_etree
from pygal.style import Style

SVG_NS = "http://www.w3.org/2000/svg"

# Characters XML 1.0 does not allow at all; a title containing one would make the SVG unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    return _NOT_XML.sub("", str(text))


# --- indicator chart ------------------------------------------------------------------------------------

CHART_WIDTH = 640
CHART_HEIGHT = 320
SUPPRESSED_MARK = "*"  # appended to the x label of a year whose value is suppressed

_CHART_STYLE = Style(
    # System fonts only: a web font would be an external reference.
    font_family='system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif',
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#212529",
    foreground_strong="#212529",
    foreground_subtle="#6c757d",
    colors=("#1c5aa6", "#6c757d"),  # the school in a strong blue, the median in grey
    opacity="1",
    opacity_hover="1",
    stroke_opacity="1",
    stroke_opacity_hover="1",
    transition="0s",
    stroke_width="2.5",
    stroke_width_hover="2.5",
    guide_stroke_color="#ced4da",
    major_guide_stroke_color="#adb5bd",
    guide_stroke_dasharray="2,3",
    major_guide_stroke_dasharray="2,3",
    title_font_size=15,
    legend_font_size=13,
    label_font_size=12,
    major_label_font_size=12,
)


def _number_text(value: float) -> str:
    return f"{value:,.4g}".replace(",", "\u2009")  # a thin space groups thousands in any language


def _as_points(values: Sequence[float | None]) -> list[float | None]:
    points: list[float | None] = []
    for value in values:
        number = None if value is None else float(value)
        points.append(number if number is not None and math.isfinite(number) else None)
    return points


def indicator_chart(
    *,
    title: str,
    years: list[int],
    school: list[float | None],
    median: list[float | None],
    school_label: str,
    median_label: str,
    unit: str,
    suppressed_years: set[int],
    higher_is_better: bool,
    rtl: bool = False,
    description: str = "",
    width: int = CHART_WIDTH,
    height: int = CHART_HEIGHT,
) -> str:
    """A line chart of one indicator: the school's series and the network median of its phase.

    ``None`` values are gaps in the line, never zeros. Years whose school value is suppressed get
    ``SUPPRESSED_MARK`` after their x label; ``description`` (for example a translated sentence saying
    what the mark means and whether higher is better) becomes the SVG's ``<desc>``. With ``rtl`` the
    years run from right to left. ``higher_is_better`` is recorded as ``data-higher-is-better``.

    Examples
    --------
    >>> svg = indicator_chart(title="Reading", years=[2023, 2024], school=[51.0, None], median=[50.0, 50.5],
    ...     school_label="This school", median_label="Median", unit="%", suppressed_years={2024},
    ...     higher_is_better=True)
    >>> svg.startswith("<svg") and "2024*" in svg and "<script" not in svg
    True
    """
    if not (len(years) == len(school) == len(median)):
        raise ValueError("years, school and median must have the same length")
    labels = [f"{year}{SUPPRESSED_MARK}" if year in suppressed_years else str(year) for year in years]
    school_points, median_points = _as_points(school), _as_points(median)
    if rtl:
        labels, school_points, median_points = labels[::-1], school_points[::-1], median_points[::-1]

    chart = pygal.Line(
        width=width,
        height=height,
        explicit_size=True,
        style=_CHART_STYLE,
        title=_xml_safe(title),
        y_title=_xml_safe(unit) or None,
        x_labels=[_xml_safe(label) for label in labels],
        allow_interruptions=True,
        js=[],
        disable_xml_declaration=True,
        legend_at_bottom=True,
        legend_at_bottom_columns=2,
        margin_bottom=8,
        truncate_legend=-1,
        truncate_label=-1,
        show_x_guides=False,
        dots_size=3.5,
        value_formatter=_number_text,
        no_data_text="–",  # language-neutral: the page says in words that there is no data
        print_values=False,
    )
    # A stable id instead of a random one: the same input gives the same SVG, which caches well, and the
    # id scopes pygal's style rules when several charts share a page.
    digest = hashlib.sha256(repr((title, labels, school_points, median_points, width, height)).encode())
    chart.uuid = digest.hexdigest()[:16]
    chart.add(_xml_safe(school_label), school_points)
    chart.add(_xml_safe(median_label), median_points, stroke_style={"dasharray": "7,5"}, dots_size=2.5)
    chart.add_xml_filter(lambda root: _self_contained(root, description, higher_is_better))
    svg: str = chart.render(is_unicode=True)
    return svg


def _self_contained(root: Any, description: str, higher_is_better: bool) -> Any:
    """Drop what only pygal's script would use, and its comments (they carry its web addresses).

    Also adds the accessibility bits. The tooltip layer (with an inline ``style`` attribute) and the
    legends' ids (duplicates when two charts share a page) serve the script alone.
    """
    doomed = [
        (parent, child)
        for parent in root.iter()
        for child in parent
        if child.tag is pygal_etree.Comment
        or child.tag == "script"
        or "tooltip-overlay" in (child.get("class") or "").split()
    ]
    for parent, child in doomed:
        parent.remove(child)
    for element in root.iter():
        if (element.get("id") or "").startswith("activate-serie"):
            del element.attrib["id"]
    root.set("role", "img")
    root.set("data-higher-is-better", "true" if higher_is_better else "false")
    title = root.find("title")
    if title is not None:  # the accessible name: the first <title> child, placed first for old readers
        root.remove(title)
        root.insert(0, title)
    if description:
        desc = pygal_etree.Element("desc")
        desc.text = _xml_safe(description)
        root.insert(1, desc)
    return root


# --- network map ----------------------------------------------------------------------------------------

MAP_WIDTH = 480
MAP_HEIGHT = 360
MAP_MARGIN = 8  # pixels between the frame and the drawing area
MAP_CELLS = 7500  # about 100 × 75 cells on the default size
MAP_LEVELS = 5  # opacity steps of the density grid
MIN_SPAN_DEGREES = 0.02  # a single school or identical points still get a small area around them
_DENSITY_COLOUR = "#1c5aa6"


@dataclass(frozen=True)
class BaseMap:
    """The network's density layer, computed once after an import and reused for every school's map.

    ``svg`` is an SVG fragment in the map's pixel coordinates; ``bounds`` are
    ``[lat_min, lat_max, lon_min, lon_max]`` of the projection, empty when there are no points. All
    fields are plain JSON values, so ``BaseMap(**json.loads(json.dumps(dataclasses.asdict(base))))``
    gives the same map back.
    """

    svg: str
    bounds: Sequence[float] = ()
    width: int = MAP_WIDTH
    height: int = MAP_HEIGHT
    count: int = 0

    def project(self, lat: float, lon: float) -> tuple[float, float] | None:
        """Pixel coordinates of a point, clamped to the drawing area; ``None`` without bounds."""
        if len(self.bounds) != 4:
            return None
        x_scale, y_scale, x0, y0, lat_max, lon_min = _projection(self.bounds, self.width, self.height)
        x = x0 + (lon - lon_min) * x_scale
        y = y0 + (lat_max - lat) * y_scale
        return (
            min(max(x, MAP_MARGIN), self.width - MAP_MARGIN),
            min(max(y, MAP_MARGIN), self.height - MAP_MARGIN),
        )


def _projection(
    bounds: Sequence[float], width: int, height: int
) -> tuple[float, float, float, float, float, float]:
    """Equirectangular projection with the cosine of the middle latitude, fitted and centred."""
    lat_min, lat_max, lon_min, lon_max = (float(b) for b in bounds)
    squeeze = math.cos(math.radians((lat_min + lat_max) / 2))
    span_x = (lon_max - lon_min) * squeeze
    span_y = lat_max - lat_min
    inner_w, inner_h = width - 2 * MAP_MARGIN, height - 2 * MAP_MARGIN
    scale = min(inner_w / span_x, inner_h / span_y)
    x0 = MAP_MARGIN + (inner_w - span_x * scale) / 2
    y0 = MAP_MARGIN + (inner_h - span_y * scale) / 2
    return scale * squeeze, scale, x0, y0, lat_max, lon_min


def _clean_points(points: Sequence[tuple[float, float]]) -> np.ndarray:
    if not points:
        return np.zeros((0, 2))
    array = np.array([(p[0], p[1]) for p in points], dtype=np.float64)  # None becomes NaN
    valid = np.isfinite(array).all(axis=1) & (np.abs(array[:, 0]) <= 90) & (np.abs(array[:, 1]) <= 180)
    return array[valid]


def _bounds(lat: np.ndarray, lon: np.ndarray) -> list[float]:
    lat_min, lat_max, lon_min, lon_max = (
        float(lat.min()),
        float(lat.max()),
        float(lon.min()),
        float(lon.max()),
    )
    squeeze = max(math.cos(math.radians((lat_min + lat_max) / 2)), 0.01)
    # Pad by 3 % so that schools on the edge are not cut, and give tiny areas a minimum size.
    lat_pad = max((lat_max - lat_min) * 0.03, (MIN_SPAN_DEGREES - (lat_max - lat_min)) / 2, 0.0)
    lon_min_span = MIN_SPAN_DEGREES / squeeze
    lon_pad = max((lon_max - lon_min) * 0.03, (lon_min_span - (lon_max - lon_min)) / 2, 0.0)
    return [
        max(lat_min - lat_pad, -90.0),
        min(lat_max + lat_pad, 90.0),
        max(lon_min - lon_pad, -180.0),
        min(lon_max + lon_pad, 180.0),
    ]


def base_map(
    points: Sequence[tuple[float, float]], *, width: int = MAP_WIDTH, height: int = MAP_HEIGHT
) -> BaseMap:
    """The density layer of a network's schools, given as ``(latitude, longitude)`` pairs.

    Schools are counted in a grid of about ``MAP_CELLS`` square cells; each non-empty cell is drawn
    with an opacity that grows with the logarithm of its count, in ``MAP_LEVELS`` steps. Runs of
    neighbouring cells of one step in a row are drawn as one stroked segment, so 25,000 schools still
    give a fragment of a few tens of kilobytes. Points without valid coordinates are left out.
    Longitudes are not wrapped: a network across the 180th meridian is drawn very wide.

    Complexity: O(N) for N points plus O(cells) to write the fragment.
    """
    cleaned = _clean_points(points)
    if cleaned.shape[0] == 0:
        return BaseMap(svg="", bounds=(), width=width, height=height, count=0)
    lat, lon = cleaned[:, 0], cleaned[:, 1]
    bounds = _bounds(lat, lon)
    x_scale, y_scale, x0, y0, lat_max, lon_min = _projection(bounds, width, height)
    px = x0 + (lon - lon_min) * x_scale
    py = y0 + (lat_max - lat) * y_scale

    inner_w, inner_h = width - 2 * MAP_MARGIN, height - 2 * MAP_MARGIN
    cell = math.sqrt(inner_w * inner_h / MAP_CELLS)
    columns, rows = max(1, round(inner_w / cell)), max(1, round(inner_h / cell))
    cell_w, cell_h = inner_w / columns, inner_h / rows
    counts, _, _ = np.histogram2d(
        py,
        px,
        bins=[rows, columns],
        range=[[MAP_MARGIN, MAP_MARGIN + inner_h], [MAP_MARGIN, MAP_MARGIN + inner_w]],
    )
    peak = float(counts.max())
    levels = np.where(
        counts > 0, np.ceil(MAP_LEVELS * np.log1p(counts) / math.log1p(peak)).astype(np.int64), 0
    )
    np.clip(levels, 0, MAP_LEVELS, out=levels)

    paths = []
    for level in range(1, MAP_LEVELS + 1):
        d = _runs_path(levels == level)
        if d:
            opacity = 0.3 + 0.7 * level / MAP_LEVELS
            paths.append(f'<path stroke-opacity="{opacity:.2f}" d="{d}"/>')
    # Cell units inside the group: a unit stroke width is exactly one cell high.
    fragment = (
        f'<g class="density" fill="none" stroke="{_DENSITY_COLOUR}" stroke-width="1" '
        f'transform="translate({MAP_MARGIN} {MAP_MARGIN}) scale({cell_w:.4f} {cell_h:.4f})">'
        + "".join(paths)
        + "</g>"
    )
    return BaseMap(svg=fragment, bounds=bounds, width=width, height=height, count=int(cleaned.shape[0]))


def _runs_path(mask: np.ndarray) -> str:
    """Path data drawing each horizontal run of True cells as one segment through the row's middle."""
    padded = np.zeros((mask.shape[0], mask.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    edges = np.diff(padded, axis=1)
    start_rows, start_cols = np.nonzero(edges == 1)
    _, end_cols = np.nonzero(edges == -1)  # row-major order: the ends pair up with the starts
    parts: list[str] = []
    current_row, position = -1, 0
    for row, start, end in zip(start_rows.tolist(), start_cols.tolist(), end_cols.tolist(), strict=True):
        if row != current_row:
            parts.append(f"M{start} {row}.5h{end - start}")
            current_row = row
        else:
            parts.append(f"m{start - position} 0h{end - start}")
        position = end
    return "".join(parts)


def render_map(base: BaseMap, highlight: tuple[float, float] | None, title: str) -> str:
    """The finished map: frame, title, the cached density layer and the highlighted school, if any."""
    width, height = base.width, base.height
    parts = [
        f'<svg xmlns="{SVG_NS}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" class="network-map">',
        f"<title>{html.escape(_xml_safe(title), quote=False)}</title>",
        f'<rect x="0.5" y="0.5" width="{width - 1}" height="{height - 1}" fill="#f8f9fa" stroke="#ced4da"/>',
        base.svg,
    ]
    spot = None
    if highlight is not None and all(v is not None and math.isfinite(v) for v in highlight):
        spot = base.project(highlight[0], highlight[1])
    if spot is not None:
        x, y = spot
        # A dark ring around a white-edged orange dot stands out on both the light and the dense areas.
        parts.append(
            f'<g class="highlight"><circle cx="{x:.1f}" cy="{y:.1f}" r="11" fill="none" stroke="#212529" '
            f'stroke-width="2"/><circle cx="{x:.1f}" cy="{y:.1f}" r="7" fill="#e8590c" stroke="#ffffff" '
            f'stroke-width="2.5"/></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def network_map(
    points: Sequence[tuple[float, float]],
    *,
    highlight: tuple[float, float] | None,
    title: str,
    width: int = MAP_WIDTH,
    height: int = MAP_HEIGHT,
) -> str:
    """The network's schools as a density grid with one school highlighted, in one call.

    Examples
    --------
    >>> svg = network_map([(52.5, -1.9), (52.4, -1.5)], highlight=(52.5, -1.9), title="Schools & us")
    >>> "<title>Schools &amp; us</title>" in svg and 'class="highlight"' in svg
    True
    """
    return render_map(base_map(points, width=width, height=height), highlight, title)
