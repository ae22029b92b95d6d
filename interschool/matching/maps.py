"""The map of a run: its pairs or groups drawn over the network's density layer, as SVG, no tiles."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from interschool.registry.charts import SVG_NS, BaseMap

ROLE_COLOURS = {
    "leader": "#0b5394",
    "organisation": "#0b5394",
    "supported": "#b45309",
    "school": "#b45309",
    "peer": "#6a1b9a",
}


@dataclass(frozen=True)
class MapMember:
    latitude: float | None
    longitude: float | None
    role: str


def run_map(
    base: BaseMap,
    groups: Iterable[Sequence[MapMember]],
    *,
    title: str,
    description: str,
    highlight: tuple[float, float] | None = None,
) -> str:
    """Lines join the members of each match (a group's members meet at its centre); dots are coloured by
    role. Members without coordinates (online partners) are left off the drawing."""
    width, height = base.width, base.height
    lines: list[str] = []
    dots: list[str] = []
    for members in groups:
        placed = [
            (base.project(m.latitude, m.longitude), m.role)
            for m in members
            if m.latitude is not None and m.longitude is not None
        ]
        spots = [(xy, role) for xy, role in placed if xy is not None]
        if len(spots) >= 2:
            if len(spots) == 2:
                (x1, y1), (x2, y2) = spots[0][0], spots[1][0]
                lines.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}"/>')
            else:
                cx = sum(xy[0] for xy, _ in spots) / len(spots)
                cy = sum(xy[1] for xy, _ in spots) / len(spots)
                lines.extend(
                    f'<line x1="{cx:.1f}" y1="{cy:.1f}" x2="{x:.1f}" y2="{y:.1f}"/>' for (x, y), _ in spots
                )
        dots.extend(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{ROLE_COLOURS.get(role, "#495057")}"/>'
            for (x, y), role in spots
        )
    parts = [
        f'<svg xmlns="{SVG_NS}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" class="network-map" aria-labelledby="run-map-title run-map-desc">',
        f'<title id="run-map-title">{html.escape(title, quote=False)}</title>',
        f'<desc id="run-map-desc">{html.escape(description, quote=False)}</desc>',
        f'<rect x="0.5" y="0.5" width="{width - 1}" height="{height - 1}" fill="#f8f9fa" stroke="#ced4da"/>',
        base.svg,
        f'<g class="match-lines" stroke="#343a40" stroke-width="1" stroke-opacity="0.7">{"".join(lines)}</g>',
        f'<g class="match-dots" stroke="#ffffff" stroke-width="0.8">{"".join(dots)}</g>',
    ]
    if highlight is not None:
        spot = base.project(*highlight)
        if spot is not None:
            x, y = spot
            parts.append(
                f'<g class="highlight"><circle cx="{x:.1f}" cy="{y:.1f}" r="10" fill="none" stroke="#212529" '
                f'stroke-width="2"/></g>'
            )
    parts.append("</svg>")
    return "".join(parts)
