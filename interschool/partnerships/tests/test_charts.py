"""The partnership's SVG: the plan timeline and the maturity trajectory, on hand-made data (no database)."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

from interschool.partnerships.charts import (
    STATUS_STYLES,
    LevelPoint,
    TimelineBar,
    TimelineGroup,
    timeline_chart,
    trajectory_chart,
)

NS = {"svg": "http://www.w3.org/2000/svg"}
D = dt.date
STATUS = {"planned": "Planned", "in_progress": "In progress", "done": "Done", "cancelled": "Cancelled"}
LEVELS = {
    1: "Isolated",
    2: "Limited partnership",
    3: "Low-frequency partnership",
    4: "Sustained, regular collaboration",
    5: "Culture of collegiality",
    6: "Symbiotic partnership",
}
NASTY = 'Lessons <script>alert("x")</script> & "more" \x01'


def parse(svg):
    root = ET.fromstring(svg)  # noqa: S314 -- our own output, parsed to prove it is well-formed XML
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return root


def assert_accessible_and_self_contained(root, svg):
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root.find(f"svg:title[@id='{title_id}']", NS).text
    assert root.find(f"svg:desc[@id='{desc_id}']", NS).text
    assert "<script" not in svg and "style=" not in svg and "<style" not in svg
    assert set(re.findall(r"https?://[^\s\"'<>)]*", svg)) == {"http://www.w3.org/2000/svg"}


def groups():
    return [
        TimelineGroup(
            "Read fluently",
            [
                TimelineBar(
                    "Joint reading lessons", D(2025, 2, 3), D(2025, 6, 27), "done", "Lessons, Feb to Jun"
                ),
                TimelineBar("Observation visit", D(2025, 3, 10), None, "in_progress"),
            ],
        ),
        TimelineGroup(
            "Share staff",
            [
                TimelineBar("Shared music teacher", D(2025, 9, 1), D(2025, 12, 19), "planned"),
                TimelineBar("Joint purchase", D(2025, 4, 1), D(2025, 4, 30), "cancelled"),
            ],
        ),
    ]


def timeline(**overrides):
    arguments = {
        "today": D(2025, 7, 14),
        "title": "Timeline of the plan",
        "description": "Four activities of two goals",
        "status_labels": STATUS,
        "today_label": "Today",
        "empty_text": "No activities yet.",
    }
    return timeline_chart(overrides.pop("groups", groups()), **(arguments | overrides))


def bars(root):
    return {
        g.find("svg:text[@class='bar-label']", NS).text: g
        for g in root.iterfind(".//svg:g[@data-status]", NS)
    }


def bar_span(bar):
    rect = bar.find("svg:rect", NS)
    x, width = float(rect.get("x")), float(rect.get("width"))
    return x, x + width


def test_timeline_draws_every_activity_with_its_status_in_words():
    svg = timeline()
    root = parse(svg)
    assert_accessible_and_self_contained(root, svg)
    found = bars(root)
    assert set(found) == {
        "Joint reading lessons",
        "Observation visit",
        "Shared music teacher",
        "Joint purchase",
    }
    for label, status in (
        ("Joint reading lessons", "Done"),
        ("Observation visit", "In progress"),
        ("Shared music teacher", "Planned"),
        ("Joint purchase", "Cancelled"),
    ):
        assert found[label].find("svg:text[@class='bar-status']", NS).text == status
    assert found["Joint reading lessons"].find("svg:title", NS).text == "Lessons, Feb to Jun"
    # Goals label their groups, in order.
    assert [t.text for t in root.iterfind(".//svg:text[@class='goal-label']", NS)] == [
        "Read fluently",
        "Share staff",
    ]
    # Statuses differ by drawing as well as colour: the legend shows every one, each drawn differently.
    legend = root.find(".//svg:g[@class='legend']", NS)
    assert [t.text for t in legend.iterfind("svg:text", NS)] == [*STATUS.values(), "Today"]
    drawings = {(s.fill, s.dash, s.struck) for s in STATUS_STYLES.values()}
    assert len(drawings) == len(STATUS_STYLES)


def test_timeline_places_bars_in_time():
    root = parse(timeline())
    found = bars(root)
    lessons, visit, music = (
        bar_span(found[n]) for n in ("Joint reading lessons", "Observation visit", "Shared music teacher")
    )
    assert lessons[0] < visit[0] < lessons[1] < music[0]
    # February 3 to June 27 is about 4.8 of the 11 months shown (Feb–Dec).
    months = (lessons[1] - lessons[0]) / (music[1] - lessons[0]) * (11 - 2 / 28)
    assert 4.5 < months < 5.1
    # Month labels run from the first to the last month.
    ticks = [t.text for t in root.iterfind(".//svg:text[@class='tick']", NS)]
    assert ticks[0] == "2025-02" and ticks[-1] == "2025-12"
    # Today (July 14) is marked between the lessons' end and the music teacher's start.
    line = root.find(".//svg:g[@class='today']/svg:line", NS)
    assert lessons[1] < float(line.get("x1")) < music[0]


def test_timeline_mirrors_in_right_to_left():
    ltr, rtl = parse(timeline()), parse(timeline(rtl=True))
    assert ltr.get("direction") == "ltr" and rtl.get("direction") == "rtl"
    lessons, music = (bar_span(bars(rtl)[n]) for n in ("Joint reading lessons", "Shared music teacher"))
    assert music[1] < lessons[0]  # later is further left
    label = rtl.find(".//svg:text[@class='bar-label']", NS)
    assert float(label.get("x")) > lessons[1]  # labels on the right
    width = float(rtl.get("width"))
    for name in ("Joint reading lessons", "Shared music teacher"):
        left, right = bar_span(bars(ltr)[name])
        r_left, r_right = bar_span(bars(rtl)[name])
        # The same plot width, mirrored: the bar keeps its length.
        assert abs((right - left) - (r_right - r_left)) < 0.2
        assert r_left > width / 4 or name == "Shared music teacher"


def test_today_outside_the_plan_is_not_marked():
    assert 'class="today"' not in timeline(today=D(2030, 1, 1))
    assert 'class="today"' in timeline(today=D(2025, 2, 1))


def test_long_plans_label_years():
    long = [TimelineGroup("Long", [TimelineBar("Five years", D(2024, 1, 1), D(2028, 12, 31), "planned")])]
    root = parse(timeline(groups=long))
    assert [t.text for t in root.iterfind(".//svg:text[@class='tick']", NS)] == [
        "2024",
        "2025",
        "2026",
        "2027",
        "2028",
    ]


def test_timeline_escapes_text_and_handles_no_activities():
    nasty = [TimelineGroup(NASTY, [TimelineBar(NASTY, D(2025, 1, 1), None, "unknown-status", NASTY)])]
    svg = timeline(groups=nasty, title=NASTY, month_label=lambda d: f"{d:%b} <{d.year}>")
    root = parse(svg)
    assert "<script>" not in svg and "\x01" not in svg
    assert root.find("svg:title", NS).text == 'Lessons <script>alert("x")</script> & "more" '
    assert root.find(".//svg:text[@class='bar-status']", NS).text == "unknown-status"
    empty = timeline(groups=[])
    root = parse(empty)
    assert "No activities yet." in empty and root.find(".//svg:g[@data-status]", NS) is None


# --- trajectory ------------------------------------------------------------------------------------------


def trajectory(**overrides):
    arguments = {
        "assessed": [
            LevelPoint(D(2024, 11, 1), 1, "Nov: assessed 1"),
            LevelPoint(D(2025, 3, 1), 2),
            LevelPoint(D(2025, 7, 1), 4),
        ],
        "suggested": [
            LevelPoint(D(2024, 11, 1), 1),
            LevelPoint(D(2025, 3, 1), 3),
            LevelPoint(D(2025, 10, 1), 4),
        ],
        "level_labels": LEVELS,
        "title": "Maturity",
        "description": "Assessed and suggested levels",
        "assessed_label": "Assessed level",
        "suggested_label": "Suggested level",
        "empty_text": "No assessments yet.",
    }
    return trajectory_chart(**(arguments | overrides))


def points(root, kind):
    found = []
    for g in root.iterfind(f".//svg:g[@class='point {kind}']", NS):
        marker = g.find("svg:circle", NS) if kind == "assessed" else g.find("svg:rect", NS)
        assert marker is not None, kind  # circles for assessed levels, squares for suggested ones
        x = float(marker.get("cx") or float(marker.get("x")) + 6)
        y = float(marker.get("cy") or float(marker.get("y")) + 6)
        found.append((g.get("data-on"), int(g.get("data-level")), x, y))
    return found


def test_trajectory_has_two_distinguishable_series():
    svg = trajectory()
    root = parse(svg)
    assert_accessible_and_self_contained(root, svg)
    assessed, suggested = points(root, "assessed"), points(root, "suggested")
    assert [(on, level) for on, level, _x, _y in assessed] == [
        ("2024-11-01", 1),
        ("2025-03-01", 2),
        ("2025-07-01", 4),
    ]
    assert [(on, level) for on, level, _x, _y in suggested] == [
        ("2024-11-01", 1),
        ("2025-03-01", 3),
        ("2025-10-01", 4),
    ]
    # Higher levels are higher up; later dates further right; equal levels at equal heights.
    assert assessed[0][3] > assessed[1][3] > assessed[2][3] == suggested[2][3]
    assert assessed[0][2] < assessed[1][2] < assessed[2][2] < suggested[2][2]
    assert assessed[1][2] == suggested[1][2]
    # Solid line against dashed line, and the legend names both.
    lines = {
        g.get("class"): g.find("svg:path", NS)
        for g in root.iterfind(".//svg:g[@class]", NS)
        if g.get("class").startswith("series")
    }
    assert lines["series assessed"].get("stroke-dasharray") is None
    assert lines["series suggested"].get("stroke-dasharray")
    legend = root.find(".//svg:g[@class='legend']", NS)
    assert [t.text for t in legend.iterfind("svg:text", NS)] == ["Assessed level", "Suggested level"]
    assert legend.find("svg:circle", NS) is not None and legend.find("svg:rect", NS) is not None
    # The axis names every level.
    labels = [t.text for t in root.iterfind(".//svg:text[@class='level-label']", NS)]
    assert labels == [f"{n} · {LEVELS[n]}" for n in range(1, 7)]
    assert (
        root.find(".//svg:g[@data-on='2024-11-01'][@class='point assessed']/svg:title", NS).text
        == "Nov: assessed 1"
    )


def test_trajectory_mirrors_in_right_to_left():
    ltr, rtl = parse(trajectory()), parse(trajectory(rtl=True))
    first, last = points(rtl, "assessed")[0], points(rtl, "assessed")[-1]
    assert first[2] > last[2]  # earlier is further right
    assert [p[3] for p in points(rtl, "assessed")] == [p[3] for p in points(ltr, "assessed")]
    label = rtl.find(".//svg:text[@class='level-label']", NS)
    assert float(label.get("x")) > first[2]


def test_trajectory_with_one_point_and_with_none():
    root = parse(trajectory(assessed=[], suggested=[LevelPoint(D(2025, 5, 5), 2)]))
    assert [(on, level) for on, level, _x, _y in points(root, "suggested")] == [("2025-05-05", 2)]
    assert root.find(".//svg:g[@class='series suggested']/svg:path", NS) is None  # no line from one point
    empty = trajectory(assessed=[], suggested=[])
    assert (
        "No assessments yet." in empty
        and len(parse(empty).findall(".//svg:text[@class='level-label']", NS)) == 6
    )
