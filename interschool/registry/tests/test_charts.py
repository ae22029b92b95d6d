"""Tests for the registry's SVG: the indicator chart (pygal) and the network density map."""

import dataclasses
import json
import random
import re
import time
import xml.etree.ElementTree as ET

import pytest

from interschool.registry.charts import (
    SUPPRESSED_MARK,
    BaseMap,
    base_map,
    indicator_chart,
    network_map,
    render_map,
)

NS = {"svg": "http://www.w3.org/2000/svg"}
ALLOWED_URIS = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
NASTY = 'Results <script>alert("x")</script> & "more" \x01'


def chart(**overrides):
    arguments = {
        "title": "KS4 Attainment 8",
        "years": [2015, 2016, 2017, 2018, 2019],
        "school": [50.0, None, 52.0, 53.0, None],
        "median": [48.0, 48.5, 49.0, None, 49.5],
        "school_label": "This school",
        "median_label": "Network median (secondary)",
        "unit": "points",
        "suppressed_years": {2019},
        "higher_is_better": True,
    }
    return indicator_chart(**(arguments | overrides))


def parse(svg):
    root = ET.fromstring(svg)  # noqa: S314 -- our own output, parsed to prove it is well-formed XML
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return root


def assert_self_contained(svg):
    assert set(re.findall(r"https?://[^\s\"'<>)]*", svg)) <= ALLOWED_URIS
    assert "<script" not in svg.lower()
    assert "javascript" not in svg.lower()
    assert "@import" not in svg and "url(" not in svg
    assert "<?xml" not in svg


def line_paths(root, serie):
    """The line segments pygal drew for one series (in the plot layer, not the dots overlay)."""
    plot = root.find(".//svg:g[@class='plot']", NS)
    group = plot.find(f"svg:g[@class='series serie-{serie} color-{serie}']", NS)
    return [p.get("d") for p in group.findall("svg:path", NS)]


def dot_values(root, serie):
    overlay = root.find(".//svg:g[@class='plot overlay']", NS)
    group = overlay.find(f"svg:g[@class='series serie-{serie} color-{serie}']", NS)
    return [d.text for d in group.findall(".//svg:desc[@class='value']", NS)]


def points_in(d):
    return len(re.findall(r"-?\d+(?:\.\d+)?\s+-?\d+(?:\.\d+)?", d))


# --- indicator chart -----------------------------------------------------------------------------------


def test_missing_values_are_gaps_never_zeros():
    root = parse(chart())
    # School: 50, gap, 52, 53, gap → one segment 52–53 (a lone point is a dot, not a line), three dots.
    # Drawn through zeros instead, it would be one five-point line.
    assert [points_in(d) for d in line_paths(root, 0)] == [2]
    assert dot_values(root, 0) == ["50", "52", "53"]
    # Median: 48, 48.5, 49, gap, 49.5 → a three-point line and a lone dot.
    assert [points_in(d) for d in line_paths(root, 1)] == [3]
    assert dot_values(root, 1) == ["48", "48.5", "49", "49.5"]
    assert "0" not in dot_values(root, 0) + dot_values(root, 1)


def test_a_series_without_any_value_draws_nothing():
    root = parse(chart(school=[None] * 5))
    assert line_paths(root, 0) == []
    assert dot_values(root, 0) == []
    assert len(dot_values(root, 1)) == 4


def test_the_chart_is_valid_self_contained_svg():
    svg = chart()
    root = parse(svg)
    assert_self_contained(svg)
    assert root.get("role") == "img"
    assert root.get("viewBox") == "0 0 640 320"
    assert (root.get("width"), root.get("height")) == ("640", "320")
    assert root[0].tag == "{http://www.w3.org/2000/svg}title"
    assert root[0].text == "KS4 Attainment 8"
    assert 'style="' not in svg  # nothing an inline-style policy would block besides pygal's <style>
    assert 'id="activate-serie' not in svg  # duplicate ids when two charts share a page


def test_the_same_input_gives_the_same_svg():
    assert chart() == chart()
    assert chart() != chart(school=[50.0, 51.0, 52.0, 53.0, None])


def test_suppressed_years_are_marked_and_described():
    svg = chart(description="* suppressed: fewer than 10 pupils")
    root = parse(svg)
    labels = [t.text for t in root.findall(".//svg:g[@class='axis x']//svg:text", NS)]
    assert labels == ["2015", "2016", "2017", "2018", f"2019{SUPPRESSED_MARK}"]
    assert root.find("svg:desc", NS).text == "* suppressed: fewer than 10 pupils"


def test_right_to_left_runs_the_years_from_right_to_left():
    root = parse(chart(rtl=True))
    labels = [t.text for t in root.findall(".//svg:g[@class='axis x']//svg:text", NS)]
    assert labels == [f"2019{SUPPRESSED_MARK}", "2018", "2017", "2016", "2015"]
    assert dot_values(root, 0) == ["53", "52", "50"]


def test_titles_and_labels_are_escaped():
    svg = chart(title=NASTY, school_label=NASTY, median_label="<b>", unit="&", description=NASTY)
    root = parse(svg)
    assert_self_contained(svg)
    assert root[0].text == NASTY.replace("\x01", "")
    assert "<b>" not in svg


def test_direction_is_recorded():
    assert parse(chart(higher_is_better=False)).get("data-higher-is-better") == "false"
    assert parse(chart()).get("data-higher-is-better") == "true"


@pytest.mark.parametrize("years", [[], [2020]])
def test_tiny_charts_render(years):
    svg = chart(years=years, school=[1.0] * len(years), median=[None] * len(years), suppressed_years=set())
    parse(svg)
    assert_self_contained(svg)


def test_lengths_must_match():
    with pytest.raises(ValueError):
        chart(years=[2019], school=[1.0, 2.0], median=[1.0])


def test_the_chart_renders_quickly():
    chart()  # first call pays for pygal's imports and style set-up
    start = time.perf_counter()
    for _ in range(10):
        chart()
    assert (time.perf_counter() - start) / 10 < 0.1  # about 12 ms; generous for a loaded machine


# --- network map ---------------------------------------------------------------------------------------


def region(n, seed=3):
    """Towns with many schools plus scattered rural ones, in a box like a real region."""
    rnd = random.Random(seed)
    towns = [(rnd.uniform(52.0, 53.5), rnd.uniform(-2.5, 0.5)) for _ in range(40)]
    points = []
    for i in range(n):
        if i % 3:
            lat, lon = towns[i % 40]
            points.append((lat + rnd.gauss(0, 0.03), lon + rnd.gauss(0, 0.05)))
        else:
            points.append((rnd.uniform(52.0, 53.5), rnd.uniform(-2.5, 0.5)))
    return points


def highlight_circles(root):
    group = root.find("svg:g[@class='highlight']", NS)
    return [] if group is None else group.findall("svg:circle", NS)


def test_the_map_is_valid_self_contained_svg_with_the_school_highlighted():
    points = region(500)
    svg = network_map(points, highlight=points[0], title="Schools of the network")
    root = parse(svg)
    assert_self_contained(svg)
    assert root.get("role") == "img"
    assert root.get("viewBox") == "0 0 480 360"
    assert root.find("svg:title", NS).text == "Schools of the network"
    circles = highlight_circles(root)
    assert len(circles) == 2
    assert all(c.get("stroke") for c in circles)  # outlined, visible on dense and empty areas
    x, y = float(circles[0].get("cx")), float(circles[0].get("cy"))
    assert 0 < x < 480 and 0 < y < 360


def test_twenty_five_thousand_schools_give_a_small_map():
    rnd = random.Random(5)
    scattered = [(rnd.uniform(52, 53.5), rnd.uniform(-2.5, 0.5)) for _ in range(25_000)]
    for points in (region(25_000), scattered):
        start = time.perf_counter()
        svg = network_map(points, highlight=points[0], title="Map")
        assert time.perf_counter() - start < 1.0
        assert len(svg.encode()) < 60_000
        parse(svg)


def test_the_base_map_survives_a_json_round_trip():
    points = region(300)
    base = base_map(points)
    stored = json.loads(json.dumps(dataclasses.asdict(base)))
    again = BaseMap(**stored)
    assert render_map(again, points[5], "Map") == render_map(base, points[5], "Map")
    assert base.count == 300


def test_the_highlight_sits_where_its_school_is_drawn():
    # Two schools far apart: west is left, north is up.
    base = base_map([(52.0, -2.0), (53.0, 0.0)])
    west = base.project(52.0, -2.0)
    east = base.project(53.0, 0.0)
    assert west[0] < east[0] and west[1] > east[1]
    # The middle latitude's cosine narrows the east-west extent: 2° of longitude at ~52.5° is ~1.22° wide.
    width, height = east[0] - west[0], west[1] - east[1]
    assert width / height == pytest.approx(2 * 0.6088, rel=0.01)


def test_no_points_gives_an_empty_frame():
    svg = network_map([], highlight=None, title="Map")
    root = parse(svg)
    assert root.find("svg:g[@class='density']", NS) is None
    assert highlight_circles(root) == []
    assert root.find("svg:title", NS).text == "Map"
    # Without a projection a highlight cannot be placed: still an empty frame.
    assert highlight_circles(parse(network_map([], highlight=(52.0, 1.0), title="Map"))) == []


@pytest.mark.parametrize("points", [[(51.5, -0.1)], [(51.5, -0.1)] * 50])
def test_one_point_or_identical_points(points):
    svg = network_map(points, highlight=(51.5, -0.1), title="Map")
    root = parse(svg)
    density = root.find("svg:g[@class='density']", NS)
    assert len(density.findall("svg:path", NS)) == 1
    circle = highlight_circles(root)[0]
    assert (float(circle.get("cx")), float(circle.get("cy"))) == pytest.approx((240, 180), abs=5)


def test_points_without_coordinates_are_absent():
    base = base_map([(52.0, 1.0), (float("nan"), 1.0), (None, None), (95.0, 1.0), (52.5, 1.5)])
    assert base.count == 2


def test_a_highlight_outside_the_network_is_kept_inside_the_frame():
    base = base_map(region(100))
    x, y = base.project(60.0, 10.0)
    assert 0 < x < 480 and 0 < y < 360


def test_map_titles_are_escaped():
    svg = network_map(region(20), highlight=None, title=NASTY)
    assert parse(svg).find("svg:title", NS).text == NASTY.replace("\x01", "")
    assert "<script" not in svg
