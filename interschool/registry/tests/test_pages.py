"""Every registry page for every role and for a member of another network; pseudonyms; small numbers.

Pages are fetched with a logged-in test client (``force_login``, as in ``core/tests/test_access.py``).
Background tasks run synchronously: the test settings use django-tasks' immediate backend, and the
``on_commit`` callbacks that enqueue them are executed with ``django_capture_on_commit_callbacks``.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from interschool.core.models import Organisation, OrganisationKind, Phase, Role
from interschool.core.tests.factories import OrganisationFactory
from interschool.registry import access
from interschool.registry.models import (
    Classification,
    Identifier,
    Import,
    ImportStatus,
    Indicator,
    OrganisationYear,
    OutcomeValue,
    RegistrySettings,
)
from interschool.registry.services.imports import UploadedFile, import_create, import_run
from interschool.registry.services.statistics import registry_recompute

FIXTURES = Path(__file__).resolve().parent / "fixtures"
STATE_CSV = FIXTURES / "state_schools.csv"
STATE_MAPPING = FIXTURES / "state_schools.mapping.json"

ALL = set(Role.values)
IMPORTERS = {Role.ADMIN, Role.COORDINATOR}
ADMIN = {Role.ADMIN}
PROFILE_EDITORS = {Role.ADMIN, Role.SCHOOL_LEADER}  # the leader of the school edited


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def state_mapping() -> dict[str, Any]:
    return json.loads(STATE_MAPPING.read_text(encoding="utf-8"))


def import_state(network: Any, *, run: bool = True) -> Import:
    upload = UploadedFile(STATE_CSV.name, STATE_CSV.read_bytes())
    created = import_create(
        actor="test", network=network, format="csv", files=[upload], mapping=state_mapping()
    )
    return import_run(created, actor="test") if run else created


@dataclass
class Registry:
    world: Any
    run: Import  # a committed import of state_schools.csv into network A
    pending: Import  # an uploaded CSV import waiting for its mapping
    alder: Organisation  # Alder Valley Elementary School, with an outcome series
    indicator: Indicator

    @property
    def slug(self) -> str:
        return str(self.world.a.network.slug)

    def url(self, template: str) -> str:
        return template.format(
            net=self.slug,
            org=self.world.a.school.pk,
            alder=self.alder.pk,
            ind=self.indicator.pk,
            run=self.run.pk,
            pending=self.pending.pk,
        )


def by_identifier(network: Any, value: str) -> Organisation:
    return Identifier.objects.get(network=network, value=value).organisation


@pytest.fixture
def reg(world) -> Registry:
    network = world.a.network
    run = import_state(network)
    assert run.status == ImportStatus.COMMITTED
    pending = import_state(network, run=False)
    alder = by_identifier(network, "0100011")
    # A second year, so that the chart has a line.
    indicator = Indicator.objects.get(network=network, code="state_test_proficient")
    OutcomeValue.objects.create(organisation=alder, indicator=indicator, year=2022, value=61.0, cohort=45)
    world.a.school.phase = Phase.PRIMARY
    world.a.school.save()
    return Registry(world=world, run=run, pending=pending, alder=alder, indicator=indicator)


# (name, url template, roles allowed to GET; the others get 403)
PAGES = [
    ("school list", "/n/{net}/organisations/", ALL),
    ("school list filtered", "/n/{net}/organisations/?phase=primary&q=alder&sort=-enrolment&page=1", ALL),
    ("export csv", "/n/{net}/organisations/?export=csv", ALL),
    ("export xlsx", "/n/{net}/organisations/?export=xlsx", ALL),
    ("profile", "/n/{net}/organisations/{alder}/", ALL),
    ("chart", "/n/{net}/organisations/{alder}/charts/{ind}.svg", ALL),
    ("profile edit", "/n/{net}/organisations/{org}/profile/", PROFILE_EDITORS),
    ("imports", "/n/{net}/imports/", IMPORTERS),
    ("import", "/n/{net}/imports/{run}/", IMPORTERS),
    ("import status", "/n/{net}/imports/{run}/status/", IMPORTERS),
    ("import report", "/n/{net}/imports/{run}/report.csv", IMPORTERS),
    ("import revert", "/n/{net}/imports/{run}/revert/", ADMIN),
    ("wizard upload", "/n/{net}/imports/wizard/", IMPORTERS),
    ("wizard mapping", "/n/{net}/imports/{pending}/mapping/", IMPORTERS),
    ("settings", "/n/{net}/registry/settings/", IMPORTERS),
]
# (name, url template, form data, roles allowed to POST; allowed roles are redirected)
POSTS = [
    ("import commit", "/n/{net}/imports/{run}/commit/", {}, IMPORTERS),
    ("import revert", "/n/{net}/imports/{run}/revert/", {}, ADMIN),
    ("profile edit", "/n/{net}/organisations/{org}/profile/", {"strengths": ["teaching"]}, PROFILE_EDITORS),
    (
        "settings",
        "/n/{net}/registry/settings/",
        {
            "leader_top_percent": 25,
            "leader_min_years": 2,
            "leader_window": 4,
            "leader_requires_strength": "on",
            "support_bottom_percent": 20,
            "support_recent_years": 2,
            "support_recent_window": 3,
            "trend_window": 3,
            "trend_threshold_sd": 0.25,
            "ses_label": "Index",
        },
        ADMIN,
    ),
]


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize(("name", "template", "allowed"), PAGES, ids=[p[0] for p in PAGES])
def test_pages_by_role(reg, role, name, template, allowed):
    response = _client(reg.world.a.user(role)).get(reg.url(template))
    assert response.status_code == (200 if role in allowed else 403), (name, role)


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize(("name", "template", "allowed"), PAGES, ids=[p[0] for p in PAGES])
def test_pages_of_another_network_are_404(reg, role, name, template, allowed):
    response = _client(reg.world.b.user(role)).get(reg.url(template))
    assert response.status_code == 404, (name, role)


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize(("name", "template", "data", "allowed"), POSTS, ids=[p[0] for p in POSTS])
def test_posts_by_role(reg, role, name, template, data, allowed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _client(reg.world.a.user(role)).post(reg.url(template), data)
    assert response.status_code == (302 if role in allowed else 403), (name, role, response.content[:500])


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize(("name", "template", "data", "allowed"), POSTS, ids=[p[0] for p in POSTS])
def test_posts_to_another_network_are_404(reg, role, name, template, data, allowed):
    response = _client(reg.world.b.user(role)).post(reg.url(template), data)
    assert response.status_code == 404, (name, role)
    reg.run.refresh_from_db()
    assert reg.run.status == ImportStatus.COMMITTED


@pytest.mark.parametrize("role", Role.values)
def test_foreign_objects_under_the_own_network_are_404(reg, role):
    """Network A's school, chart and import put under network B's address reveal nothing."""
    client = _client(reg.world.b.user(role))
    b = reg.world.b.network.slug
    for path in (
        f"/n/{b}/organisations/{reg.alder.pk}/",
        f"/n/{b}/organisations/{reg.alder.pk}/charts/{reg.indicator.pk}.svg",
        f"/n/{b}/organisations/{reg.world.a.school.pk}/profile/",
        f"/n/{b}/imports/{reg.run.pk}/",
        f"/n/{b}/imports/{reg.run.pk}/report.csv",
    ):
        assert client.get(path).status_code == 404, (path, role)


def test_another_schools_leader_may_not_edit_the_profile(reg):
    other = OrganisationFactory(network=reg.world.a.network, name="Other School")
    client = _client(reg.world.a.user(Role.SCHOOL_LEADER))
    assert client.get(f"/n/{reg.slug}/organisations/{other.pk}/profile/").status_code == 403
    assert client.post(f"/n/{reg.slug}/organisations/{other.pk}/profile/", {}).status_code == 403


def test_a_chart_of_an_indicator_without_values_is_404(reg):
    client = _client(reg.world.a.user(Role.ADMIN))
    empty = Indicator.objects.create(network=reg.world.a.network, code="empty", name="Empty")
    assert client.get(reg.url(f"/n/{{net}}/organisations/{{alder}}/charts/{empty.pk}.svg")).status_code == 404
    b_indicator = Indicator.objects.create(network=reg.world.b.network, code="b", name="B")
    url = reg.url(f"/n/{{net}}/organisations/{{alder}}/charts/{b_indicator.pk}.svg")
    assert client.get(url).status_code == 404


# --- the school list: filters, search, sort, pagination, export ---------------------------------------------


def _names(response: Any) -> list[str]:
    """The school names of a list page, in order."""
    import re

    return re.findall(r'<td><a href="/n/[^/]+/organisations/\d+/">([^<]+)</a>', response.content.decode())


def test_list_filters_search_and_sort(reg):
    client = _client(reg.world.a.user(Role.ADMIN))
    url = f"/n/{reg.slug}/organisations/"
    middle = _names(client.get(url, {"phase": "middle"}))
    assert middle == sorted(middle) and len(middle) == 6 and all("Middle" in n for n in middle)
    assert _names(client.get(url, {"district": "Dunmore", "sort": "-name"})) == [
        "Stony Brook School",
        "Maple Ridge Elementary School",
        "Dunmore Middle School",
        "Dunmore High School",
        "Dunmore Elementary School",
    ]
    assert _names(client.get(url, {"q": "0300034"})) == ["Riverbend Elementary School"]  # by identifier
    assert _names(client.get(url, {"q": "birchmont north"})) == ["Birchmont North Elementary School"]
    biggest = _names(client.get(url, {"sort": "-enrolment", "kind": "school"}))
    assert biggest[:2] == ["Eastbrook High School", "Birchmont Regional High School"]
    # A missing enrolment (Riverbend: -999) sorts last both ways, on SQLite and PostgreSQL alike.
    for sort in ("enrolment", "-enrolment", "ses", "-ses"):
        assert _names(client.get(url, {"district": "Cedar Falls", "sort": sort}))[-1].startswith("Riverbend")
    assert _names(client.get(url, {"district": "Cedar Falls", "sort": "enrolment"}))[0] == (
        "Cedar Falls Community School"
    )
    assert _names(client.get(url, {"status": "closed"})) == []
    assert "No school matches these filters." in client.get(url, {"status": "closed"}).content.decode()
    # Unknown values are ignored or match nothing, never an error.
    assert client.get(url, {"sort": "bogus", "phase": "castle", "page": "x"}).status_code == 200


def test_list_filters_by_classification(reg):
    client = _client(reg.world.a.user(Role.ADMIN))
    url = f"/n/{reg.slug}/organisations/"
    Classification.objects.filter(organisation=reg.alder).update(label="leader")
    assert _names(client.get(url, {"classification": "leader"})) == ["Alder Valley Elementary School"]
    needs = set(
        Classification.objects.filter(label="needs_support").values_list("organisation__name", flat=True)
    )
    assert set(_names(client.get(url, {"classification": "needs_support"}))) == needs
    unclassified = _names(client.get(url, {"classification": "none", "sort": "name"}))
    assert "Alder Valley Elementary School" not in unclassified and not needs & set(unclassified)


def test_list_pagination(reg):
    client = _client(reg.world.a.user(Role.ADMIN))
    url = f"/n/{reg.slug}/organisations/"
    total = Organisation.objects.filter(network=reg.world.a.network).count()
    assert total == 31  # 29 imported, the school and the museum of the world
    first, second = _names(client.get(url)), _names(client.get(url, {"page": 2}))
    assert len(first) == 25 and len(second) == total - 25
    assert not set(first) & set(second)
    assert _names(client.get(url, {"page": 99})) == second  # past the end: the last page
    page = client.get(url, {"phase": "primary", "page": 1}).content.decode()
    assert "phase=primary" in page  # the export and pagination links keep the filters


def _csv_rows(response: Any) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def _xlsx_rows(response: Any) -> list[dict[str, Any]]:
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    rows: list[list[Any]] = [list(r) for r in sheet.iter_rows(values_only=True)]
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def test_export_csv_and_xlsx_follow_the_filters(reg):
    client = _client(reg.world.a.user(Role.ADMIN))
    url = f"/n/{reg.slug}/organisations/"
    response = client.get(url, {"export": "csv", "district": "Cedar Falls"})
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == f'attachment; filename="{reg.slug}-schools.csv"'
    rows = _csv_rows(response)
    assert [r["name"] for r in rows] == [
        "Cedar Falls Community School",
        "Cedar Falls Elementary School",
        "Cedar Falls High School",
        "Cedar Falls Middle School",
        "Riverbend Elementary School",
    ]
    high = rows[2]
    assert high["identifiers"] == "national:0300033" and high["enrolment"] == "967"
    assert (high["latitude"], high["longitude"], high["phase"]) == ("44.11302", "-72.38764", "secondary")
    assert rows[4]["enrolment"] == ""  # Riverbend: -999, missing
    response = client.get(url, {"export": "xlsx", "district": "Cedar Falls"})
    assert response["Content-Disposition"].endswith('.xlsx"')
    xlsx = _xlsx_rows(response)
    assert [r["name"] for r in xlsx] == [r["name"] for r in rows]
    assert xlsx[2]["enrolment"] == 967 and xlsx[2]["latitude"] == 44.11302


# --- pseudonyms for researchers -----------------------------------------------------------------------------


def test_researchers_see_pseudonyms_on_pages_and_exports(reg):
    network = reg.world.a.network
    client = _client(reg.world.a.user(Role.RESEARCHER))
    alder_code = access.pseudonym(network.pk, reg.alder.pk)
    page = client.get(f"/n/{reg.slug}/organisations/", {"q": ""}).content.decode()
    assert alder_code in page and "pseudonymised-note" in page
    for secret in ("Alder Valley Elementary School", "0100011", reg.world.a.school.name):
        assert secret not in page

    profile = client.get(f"/n/{reg.slug}/organisations/{reg.alder.pk}/").content.decode()
    assert alder_code in profile
    for secret in ("Alder Valley Elementary", "0100011", "12 Mill Road", "44.21034", "-72.5152"):
        assert secret not in profile
    assert "44.2, -72.5" in profile  # coordinates rounded to one decimal

    rows = _csv_rows(client.get(f"/n/{reg.slug}/organisations/", {"export": "csv"}))
    assert {r["name"] for r in rows} == {""} and {r["identifiers"] for r in rows} == {""}
    alder = next(r for r in rows if r["id"] == alder_code)
    assert (alder["latitude"], alder["longitude"]) == ("44.2", "-72.5")
    assert all(r["id"].startswith("ORG-") for r in rows)
    xlsx = _xlsx_rows(client.get(f"/n/{reg.slug}/organisations/", {"export": "xlsx"}))
    assert {r["name"] for r in xlsx} == {None} and {r["identifiers"] for r in xlsx} == {None}
    assert next(r for r in xlsx if r["id"] == alder_code)["latitude"] == 44.2


def test_researchers_cannot_find_a_school_by_its_name_or_identifier(reg):
    """A search by name or identifier would link the pseudonym to the school: researchers' q is ignored."""
    client = _client(reg.world.a.user(Role.RESEARCHER))
    url = f"/n/{reg.slug}/organisations/"
    everything = _pseudonyms(client.get(url))
    assert len(everything) == 25
    for q in ("Alder Valley Elementary", "0100011"):
        assert _pseudonyms(client.get(url, {"q": q})) == everything
        assert len(_csv_rows(client.get(url, {"q": q, "export": "csv"}))) == 31
    page = client.get(url).content.decode()
    assert 'name="q"' not in page and 'value="name"' not in page


def test_researchers_list_is_not_in_name_order(reg):
    client = _client(reg.world.a.user(Role.RESEARCHER))
    url = f"/n/{reg.slug}/organisations/"
    by_name = list(
        Organisation.objects.filter(network=reg.world.a.network).order_by("name").values_list("pk", flat=True)
    )
    shown = _pseudonyms(client.get(url, {"sort": "name"})) + _pseudonyms(client.get(url, {"page": 2}))
    expected = [access.pseudonym(reg.world.a.network.pk, pk) for pk in sorted(by_name)]
    assert shown == expected


def _pseudonyms(response: Any) -> list[str]:
    import re

    return re.findall(
        r'<td><a href="/n/[^/]+/organisations/\d+/">(ORG-[0-9A-F]{8})</a>', response.content.decode()
    )


# --- small numbers ------------------------------------------------------------------------------------------


def test_small_enrolment_and_small_cohorts_are_shown_as_suppressed(reg):
    network = reg.world.a.network
    tiny = OrganisationFactory(network=network, name="Tiny School", phase=Phase.PRIMARY)
    OrganisationYear.objects.create(organisation=tiny, year=2023, enrolment=7, ses_index=42.0)
    registry_recompute(network=network)
    tiny.refresh_from_db()
    assert tiny.enrolment == 7  # stored as given
    client = _client(reg.world.a.user(Role.ADMIN))

    row = _csv_rows(client.get(f"/n/{reg.slug}/organisations/", {"export": "csv", "q": "Tiny School"}))[0]
    assert row["enrolment"] == "suppressed" and row["ses_index"] == ""
    xlsx = _xlsx_rows(client.get(f"/n/{reg.slug}/organisations/", {"export": "xlsx", "q": "Tiny School"}))[0]
    assert xlsx["enrolment"] == "suppressed" and xlsx["ses_index"] is None
    page = client.get(f"/n/{reg.slug}/organisations/", {"q": "Tiny School"}).content.decode()
    assert "suppressed" in page
    profile = client.get(f"/n/{reg.slug}/organisations/{tiny.pk}/").content.decode()
    years = profile.split('id="years-heading"')[1].split("</table>")[0]
    assert "suppressed" in years and ">7<" not in years and "42" not in years

    stony = by_identifier(network, "0400044")  # 0.500 with 8 tested: stored, shown as suppressed
    pine = by_identifier(network, "0200025")  # "*" with 7 tested: suppressed in the file
    for school in (stony, pine):
        profile = client.get(f"/n/{reg.slug}/organisations/{school.pk}/").content.decode()
        table = profile.split('id="outcomes-heading"')[1].split("</table>")[0]
        assert "suppressed" in table
        assert ">50<" not in table and ">8<" not in table and ">7<" not in table
    stony_value = OutcomeValue.objects.get(organisation=stony)
    assert (stony_value.value, stony_value.cohort) == (50.0, 8)


# --- imports through the pages: upload, wizard, validate, commit, report, revert ----------------------------


def test_the_wizard_uploads_maps_validates_and_commits(reg, django_capture_on_commit_callbacks):
    network = reg.world.a.network
    client = _client(reg.world.a.user(Role.COORDINATOR))
    Organisation.objects.filter(identifiers__created_by_import=reg.run).delete()  # start from scratch
    upload = io.BytesIO(STATE_CSV.read_bytes())
    upload.name = "state_schools.csv"
    response = client.post(
        f"/n/{reg.slug}/imports/wizard/", {"file": upload, "encoding": "", "delimiter": ""}
    )
    assert response.status_code == 302
    run = Import.objects.filter(network=network).order_by("-pk").first()
    assert run is not None and response["Location"] == f"/n/{reg.slug}/imports/{run.pk}/mapping/"
    assert (run.format, run.status, run.mapping) == ("csv", ImportStatus.UPLOADED, None)

    page = client.get(response["Location"]).content.decode()
    assert "SCHOOL_ID" in page and "Alder Valley Elementary School" in page and "utf-8" in page

    # A mapping naming a column the file does not have is refused at once.
    broken = {**state_mapping(), "identifier": {"column": "NOPE", "scheme": "national"}}
    response = client.post(
        response["Location"], {"advanced": json.dumps(broken), "identifier_scheme": "national"}
    )
    assert response.status_code == 200 and "NOPE" in response.content.decode()

    data = {
        "advanced": json.dumps(state_mapping()),
        "identifier_column": "SCHOOL_ID",
        "identifier_scheme": "national",
        "name_column": "SCHOOL_NAME",
        "phase_unmapped": "reject",
        "school_type_unmapped": "reject",
        "save_as": "State directory",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/n/{reg.slug}/imports/{run.pk}/mapping/", data)
    assert response.status_code == 302 and response["Location"] == f"/n/{reg.slug}/imports/{run.pk}/"
    run.refresh_from_db()
    assert run.status == ImportStatus.VALIDATED, (run.error, run.rejections[:3])
    assert run.summary["imported"] == 29 and run.summary["skip_rules"] == {"mapping-filter:open-only": 1}
    assert not Identifier.objects.filter(network=network, value="0100011").exists()  # nothing written yet
    assert network.column_mappings.get(name="State directory").mapping == state_mapping()

    detail = client.get(response["Location"]).content.decode()
    assert "commit-import" in detail and "mapping-filter:open-only" in detail
    status = client.get(f"/n/{reg.slug}/imports/{run.pk}/status/")
    assert status.status_code == 200 and status["HX-Refresh"] == "true"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/n/{reg.slug}/imports/{run.pk}/commit/")
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == ImportStatus.COMMITTED and run.summary["written"]["organisations_created"] == 29
    assert by_identifier(network, "0100011").name == "Alder Valley Elementary School"

    report = client.get(f"/n/{reg.slug}/imports/{run.pk}/report.csv")
    assert report["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(report.content.decode())))
    assert lines == [
        ["outcome", "file", "row", "column", "value", "reason_or_rule"],
        ["skipped", "state_schools.csv", "16", "", "", "mapping-filter:open-only"],
    ]
    # A committed import cannot be committed or re-mapped again.
    assert client.post(f"/n/{reg.slug}/imports/{run.pk}/commit/").status_code == 302
    run.refresh_from_db()
    assert run.status == ImportStatus.COMMITTED
    assert client.get(f"/n/{reg.slug}/imports/{run.pk}/mapping/").status_code == 302


def test_the_wizard_form_builds_a_mapping(reg, django_capture_on_commit_callbacks):
    client = _client(reg.world.a.user(Role.ADMIN))
    data = {
        "identifier_column": "SCHOOL_ID",
        "identifier_scheme": "national",
        "identifier_pattern": r"\d{7}",
        "name_column": "SCHOOL_NAME",
        "district_column": "DISTRICT_NAME",
        "latitude_column": "LAT",
        "longitude_column": "LON",
        "phase_column": "LEVEL_",
        "phase_values": "ELEMENTARY = primary\nMIDDLE = middle\nHIGH = secondary\nOTHER =",
        "phase_unmapped": "reject",
        "school_type_unmapped": "reject",
        "status_column": "STATUS",
        "status_values": "Open = open\nClosed = closed",
        "year": 2023,
        "enrolment_column": "ENROLL",
        "missing_markers": "-999",
        "outcome_columns": ["PCT_PROFICIENT_2023"],
        "outcome_higher_is_better": "on",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reg.url("/n/{net}/imports/{pending}/mapping/"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    reg.pending.refresh_from_db()
    assert reg.pending.mapping["fields"]["phase"]["values"]["OTHER"] is None
    # The same schools as the committed import: every row matches an existing organisation.
    assert reg.pending.status == ImportStatus.VALIDATED, reg.pending.rejections[:3]


def test_a_rejected_upload_shows_every_rejected_row(reg, django_capture_on_commit_callbacks, tmp_path):
    network = reg.world.a.network
    client = _client(reg.world.a.user(Role.ADMIN))
    rows = list(csv.reader(io.StringIO(STATE_CSV.read_text(encoding="utf-8"))))
    rows[14][8] = "abc"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    upload = io.BytesIO(buffer.getvalue().encode())
    upload.name = "state_schools.csv"
    before = OutcomeValue.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/n/{reg.slug}/imports/",
            {"format": "csv", "files": [upload], "mapping": json.dumps(state_mapping())},
        )
    assert response.status_code == 302
    run = Import.objects.filter(network=network).order_by("-pk").first()
    assert run is not None and run.status == ImportStatus.REJECTED
    assert OutcomeValue.objects.count() == before
    detail = client.get(f"/n/{reg.slug}/imports/{run.pk}/").content.decode()
    assert "<code>ENROLL</code>" in detail and "<code>abc</code>" in detail and "<td>15</td>" in detail
    report = client.get(f"/n/{reg.slug}/imports/{run.pk}/report.csv").content.decode()
    assert "rejected,state_schools.csv,15,ENROLL,abc,'abc' is not a number" in report
    listing = client.get(f"/n/{reg.slug}/imports/").content.decode()
    assert f"/imports/{run.pk}/" in listing


def test_the_import_form_needs_a_mapping_for_csv(reg):
    client = _client(reg.world.a.user(Role.ADMIN))
    upload = io.BytesIO(STATE_CSV.read_bytes())
    upload.name = "state_schools.csv"
    count = Import.objects.count()
    response = client.post(f"/n/{reg.slug}/imports/", {"format": "csv", "files": [upload]})
    assert response.status_code == 200 and "mapping" in response.content.decode()
    assert Import.objects.count() == count


def test_revert_through_the_page(reg, django_capture_on_commit_callbacks):
    network = reg.world.a.network
    client = _client(reg.world.a.user(Role.ADMIN))
    confirm = client.get(reg.url("/n/{net}/imports/{run}/revert/")).content.decode()
    assert f"#{reg.run.pk}" in confirm
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reg.url("/n/{net}/imports/{run}/revert/"))
    assert response.status_code == 302
    reg.run.refresh_from_db()
    assert reg.run.status == ImportStatus.REVERTED
    assert not Identifier.objects.filter(network=network).exists()
    assert set(Organisation.objects.filter(network=network)) == {reg.world.a.school, reg.world.a.partner}
    # Refused a second time, with a message rather than an error.
    response = client.post(reg.url("/n/{net}/imports/{run}/revert/"), follow=True)
    assert (
        response.status_code == 200
        and "Only a committed import can be reverted." in response.content.decode()
    )


def test_profile_edit_saves_and_recomputes(reg, django_capture_on_commit_callbacks):
    client = _client(reg.world.a.user(Role.SCHOOL_LEADER))
    url = reg.url("/n/{net}/organisations/{org}/profile/")
    response = client.post(url, {"strengths": ["teaching"], "needs": ["teaching"]})
    assert response.status_code == 200 and "both a strength and a need" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(url, {"strengths": ["teaching", "careers"], "needs": ["leadership"]})
    assert response.status_code == 302 and len(callbacks) == 1
    reg.world.a.school.refresh_from_db()
    assert reg.world.a.school.strengths == ["teaching", "careers"]
    assert reg.world.a.school.needs == ["leadership"]


def test_settings_change_the_rules(reg, django_capture_on_commit_callbacks):
    network = reg.world.a.network
    client = _client(reg.world.a.user(Role.ADMIN))
    data = {**POSTS[3][2], "indicator_primary": "state_test_proficient"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/n/{reg.slug}/registry/settings/", data)
    assert response.status_code == 302
    row = RegistrySettings.objects.get(network=network)
    assert row.rules["leader_min_years"] == 2 and row.phase_indicators == {"primary": "state_test_proficient"}
    bad = {**data, "leader_min_years": 5, "leader_window": 3}
    response = client.post(f"/n/{reg.slug}/registry/settings/", bad)
    assert response.status_code == 200 and "Cannot be more than" in response.content.decode()
    coordinator = _client(reg.world.a.user(Role.COORDINATOR))
    page = coordinator.get(f"/n/{reg.slug}/registry/settings/").content.decode()
    assert "leader_min_years" in page


# --- query counts -------------------------------------------------------------------------------------------


def _add_schools_with_outcomes(network: Any, indicator: Indicator, count: int, start: int = 0) -> list[Any]:
    schools: list[Any] = [
        OrganisationFactory(
            network=network,
            name=f"Query School {i:03d}",
            kind=OrganisationKind.SCHOOL,
            phase=Phase.PRIMARY,
            latitude=44.0 + i / 100,
            longitude=-72.0 - i / 100,
        )
        for i in range(start, start + count)
    ]
    OutcomeValue.objects.bulk_create(
        OutcomeValue(organisation=s, indicator=indicator, year=year, value=float(i + year % 7), cohort=20 + i)
        for i, s in enumerate(schools)
        for year in (2021, 2022, 2023)
    )
    OrganisationYear.objects.bulk_create(
        OrganisationYear(organisation=s, year=2023, enrolment=100 + i, ses_index=50.0)
        for i, s in enumerate(schools)
    )
    Identifier.objects.bulk_create(
        Identifier(network=network, organisation=s, scheme="network", value=f"Q{s.pk}") for s in schools
    )
    registry_recompute(network=network)
    return schools


@pytest.mark.parametrize("role", [Role.ADMIN, Role.RESEARCHER, Role.SCHOOL_LEADER])
def test_query_counts_do_not_grow_with_the_number_of_schools(world, role, django_assert_max_num_queries):
    """The school list, a profile and the dashboard: at most 10 queries, the same for 5 and 60 schools."""
    network = world.a.network
    indicator = Indicator.objects.create(network=network, code="reading", name="Reading", unit="%")
    client = _client(world.a.user(role))
    client.get(f"/n/{network.slug}/")  # the session and the language are settled on the first request
    measured: dict[int, list[int]] = {}
    schools: list[Organisation] = []
    for count in (5, 60):
        schools += _add_schools_with_outcomes(network, indicator, count - len(schools), start=len(schools))
        # The profile of a school with a predecessor, identifiers, yearly figures and a classification.
        schools[-1].predecessors.add(schools[0])
        measured[count] = []
        for path in (
            f"/n/{network.slug}/organisations/",
            f"/n/{network.slug}/organisations/?sort=-enrolment&phase=primary&page=2",
            f"/n/{network.slug}/organisations/{schools[-1].pk}/",
            f"/n/{network.slug}/",
        ):
            with django_assert_max_num_queries(10) as captured:
                response = client.get(path)
            assert response.status_code == 200
            measured[count].append(len(captured))
    assert measured[5] == measured[60], measured


def test_the_chart_marks_suppressed_years(reg):
    from interschool.registry.charts import SUPPRESSED_MARK

    client = _client(reg.world.a.user(Role.TEACHER))
    stony = by_identifier(reg.world.a.network, "0400044")  # 50.0 on a cohort of 8: shown as suppressed
    response = client.get(reg.url(f"/n/{{net}}/organisations/{stony.pk}/charts/{{ind}}.svg"))
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    svg = response.content.decode()
    assert svg.startswith("<?xml") or svg.startswith("<svg")
    assert f"2023{SUPPRESSED_MARK}" in svg
    alder = client.get(reg.url("/n/{net}/organisations/{alder}/charts/{ind}.svg")).content.decode()
    assert f"2023{SUPPRESSED_MARK}" not in alder and "2022" in alder


def test_profile_shows_predecessors_and_successors_except_to_researchers(reg):
    network = reg.world.a.network
    old = by_identifier(network, "0100012")  # Alder Valley Middle School, replaced by Alder Valley Elementary
    reg.alder.predecessors.add(old)
    client = _client(reg.world.a.user(Role.TEACHER))
    page = client.get(reg.url("/n/{net}/organisations/{alder}/")).content.decode()
    replaced = page.split("Replaced</dt>")[1].split("</dd>")[0]
    assert f'/organisations/{old.pk}/">Alder Valley Middle School</a>' in replaced
    page = client.get(f"/n/{reg.slug}/organisations/{old.pk}/").content.decode()
    replaced_by = page.split("Replaced by</dt>")[1].split("</dd>")[0]
    assert f'/organisations/{reg.alder.pk}/">Alder Valley Elementary School</a>' in replaced_by
    researcher = _client(reg.world.a.user(Role.RESEARCHER))
    page = researcher.get(reg.url("/n/{net}/organisations/{alder}/")).content.decode()
    assert "Replaced</dt>" not in page and "Alder Valley Middle School" not in page


def test_the_status_box_polls_while_the_import_waits(reg):
    client = _client(reg.world.a.user(Role.COORDINATOR))
    waiting = client.get(reg.url("/n/{net}/imports/{pending}/status/"))
    assert waiting.status_code == 200 and "HX-Refresh" not in waiting
    assert "hx-get" in waiting.content.decode()
    done = client.get(reg.url("/n/{net}/imports/{run}/status/"))
    assert done["HX-Refresh"] == "true" and "hx-get" not in done.content.decode()
