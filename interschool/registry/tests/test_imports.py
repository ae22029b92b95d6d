"""Imports against the database: real files, damaged copies, re-imports, revert, crashes, classification.

Through the service functions (``import_create`` → ``import_run`` → ``import_revert``) and the
``interschool`` command. The real England and NYC files live in ``../shared/data``; their tests are
skipped when it is absent. Each real data set is imported once per test class (the class fixture keeps
the import in a transaction that is rolled back afterwards), so the real-data tests stay fast.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection, transaction

from interschool import cli
from interschool.core.models import Membership, Organisation, OrganisationKind, Phase, Role
from interschool.core.tests.factories import NetworkFactory, OrganisationFactory, UserFactory
from interschool.registry import selectors
from interschool.registry.importing.mapped import CANONICAL_MAPPING
from interschool.registry.models import (
    Classification,
    ClassificationLabel,
    Identifier,
    Import,
    ImportChange,
    ImportStatus,
    Indicator,
    OrganisationYear,
    OutcomeValue,
    PhaseStatistic,
    RegistrySettings,
)
from interschool.registry.services import imports as import_service
from interschool.registry.services.imports import (
    RevertError,
    UploadedFile,
    import_create,
    import_revert,
    import_run,
)
from interschool.registry.services.statistics import registry_recompute
from interschool.synthetic.region import write_region_csv

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
STATE_CSV = FIXTURES / "state_schools.csv"
STATE_MAPPING = FIXTURES / "state_schools.mapping.json"
STATE_INDICATOR = "state_test_proficient"

ENGLAND_FILES = (
    "eng_ks2_results_2018_19_geo",
    "eng_ks4_results_2018_19_geo",
    "eng_ks5_results_2018_19_geo",
    "eng_school_census_jan2019",
    "eng_la_region_codes",
)
NYC_FIXED = ("nyc_school_locations_2019_20", "nyc_demographic_snapshot_2014_15_to_2018_19")
WRITTEN_KEYS = (
    "organisations_created",
    "organisations_updated",
    "values_created",
    "values_updated",
    "years_created",
    "years_updated",
    "identifiers_created",
)


# --- helpers -----------------------------------------------------------------------------------------------


def real_file(name: str) -> Path:
    path = DATA / f"{name}.csv.gz"
    if not path.exists():
        pytest.skip(f"{path.name} not found: the real data files live in {DATA} (../shared/data)")
    return path


def nyc_files() -> list[Path]:
    if not DATA.is_dir():
        pytest.skip(f"{DATA} not found: the real NYC files live in ../shared/data")
    sqr = sorted(DATA.glob("nyc_hs_sqr_*.csv.gz"))
    if not sqr:
        pytest.skip(f"no nyc_hs_sqr_* files in {DATA}")
    return [real_file(name) for name in NYC_FIXED] + sqr


def data_rows(path: Path) -> int:
    """Rows of a file other than the header and blank lines, counted independently of the importer."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        return sum(1 for cells in reader if any(c.strip() for c in cells))


def run_import(network: Any, format: str, paths: list[Path], **options: Any) -> Import:
    uploads = [UploadedFile(p.name, p.read_bytes()) for p in paths]
    run = import_create(actor="test", network=network, format=format, files=uploads, **options)
    return import_run(run, actor="test")


def state_mapping() -> dict[str, Any]:
    return json.loads(STATE_MAPPING.read_text(encoding="utf-8"))


def state_rows() -> list[list[str]]:
    with open(STATE_CSV, encoding="utf-8", newline="") as handle:
        return [list(row) for row in csv.reader(handle)]


def write_rows(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def import_state(network: Any, path: Path = STATE_CSV, **options: Any) -> Import:
    return run_import(network, "csv", [path], mapping=state_mapping(), **options)


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Organisation, OutcomeValue, Identifier, OrganisationYear, Indicator, ImportChange)
    }


_ORG_FIELDS = tuple(f.name for f in Organisation._meta.concrete_fields if f.name != "updated_at")


def state(network: Any) -> dict[str, Any]:
    """Everything an import writes for a network, in a comparable form."""
    orgs = Organisation.objects.filter(network=network)
    return {
        "organisations": sorted(orgs.values_list(*_ORG_FIELDS)),
        "identifiers": sorted(
            Identifier.objects.filter(network=network).values_list("organisation_id", "scheme", "value")
        ),
        "outcomes": sorted(
            OutcomeValue.objects.filter(organisation__network=network).values_list(
                "organisation_id", "indicator_id", "year", "value", "cohort", "suppressed"
            )
        ),
        "years": sorted(
            OrganisationYear.objects.filter(organisation__network=network).values_list(
                "organisation_id", "year", "enrolment", "ses_index"
            )
        ),
        "indicators": sorted(
            Indicator.objects.filter(network=network).values_list(
                "code", "name", "subject", "unit", "higher_is_better", "phase"
            )
        ),
    }


def org_by(network: Any, scheme: str, value: str) -> Organisation:
    return (
        Identifier.objects.select_related("organisation")
        .get(network=network, scheme=scheme, value=value)
        .organisation
    )


def outcome(org: Organisation, code: str, year: int) -> OutcomeValue:
    return OutcomeValue.objects.get(organisation=org, indicator__code=code, year=year)


def settle_constraints() -> None:
    """Check the deferred foreign keys of the class's data now, in the outer transaction, and analyse.

    Otherwise PostgreSQL checks them again at the end of every test (a savepoint rolled back undoes the
    check), which costs seconds per test after a large import; and without fresh statistics of the tables
    just filled its query plans take seconds.
    """
    connection.check_constraints()
    if connection.vendor == "postgresql":
        tables = [m._meta.db_table for m in (Organisation, Identifier, OutcomeValue, OrganisationYear)]
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))


@contextlib.contextmanager
def rolled_back_afterwards(django_db_blocker: Any) -> Iterator[None]:
    """Database access for a class fixture, in a transaction rolled back after the class's tests.

    Each test's own transaction nests inside it as a savepoint, as with Django's ``setUpTestData``.
    """
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


# --- the real England files ---------------------------------------------------------------------------------


@pytest.fixture(scope="class")
def england(django_db_setup, django_db_blocker):
    paths = [real_file(name) for name in ENGLAND_FILES]
    with rolled_back_afterwards(django_db_blocker):
        network = NetworkFactory(slug="england")
        run = run_import(network, "england", paths)
        settle_constraints()
        yield SimpleNamespace(network=network, run=run, paths=paths)
        import_service.import_delete_files(run)


class TestEnglandRealFiles:
    def test_every_row_is_imported_or_skipped_and_none_rejected(self, england):
        run = england.run
        assert run.status == ImportStatus.COMMITTED, run.rejections[:5]
        assert run.rejections == [] and run.summary["rejected"] == 0
        files = {f["name"]: f for f in run.summary["files"]}
        for path in england.paths:
            item = files[path.name]
            assert item["rows"] == data_rows(path), path.name
            assert item["imported"] + item["skipped"] == item["rows"], path.name
            assert item["rejected"] == 0
        organisations = Organisation.objects.filter(network=england.network)
        assert organisations.count() == run.summary["organisations"] == 21439
        assert Identifier.objects.filter(network=england.network, scheme="urn").count() == 21439
        assert (
            run.summary["written"]["values_created"]
            == OutcomeValue.objects.filter(organisation__network=england.network).count()
        )

    def test_known_values_of_named_schools(self, england):
        network = england.network
        # KS4: URN 100049,Haverstock School,…,P8MEA -0.11, ATT8SCR 42.4, PTL2BASICS_95 43%,
        # LATITUDE 51.544842, LONGITUDE -0.154354. Census: NOR 950, PNUMFSMEVER 64.5.
        haverstock = org_by(network, "urn", "100049")
        assert haverstock.name == "Haverstock School"
        assert (haverstock.latitude, haverstock.longitude) == (51.544842, -0.154354)
        assert haverstock.district == "Camden"
        assert haverstock.phase == Phase.SECONDARY
        assert outcome(haverstock, "eng_ks4_attainment8", 2019).value == 42.4
        assert outcome(haverstock, "eng_ks4_progress8", 2019).value == -0.11
        assert outcome(haverstock, "eng_ks4_eng_maths_grade5", 2019).value == 43.0
        year = OrganisationYear.objects.get(organisation=haverstock, year=2019)
        assert (year.enrolment, year.ses_index) == (950, 64.5)
        assert (haverstock.enrolment, haverstock.ses_index) == (950, 64.5)
        # KS2: Bringhurst Primary School READPROG 2.6, WRITPROG 2.3, MATPROG 2; census FSM ever 6.9 %.
        bringhurst = org_by(network, "urn", "141279")
        assert bringhurst.name == "Bringhurst Primary School"
        assert outcome(bringhurst, "eng_ks2_reading_progress", 2019).value == 2.6
        assert outcome(bringhurst, "eng_ks2_maths_progress", 2019).value == 2.0
        assert OrganisationYear.objects.get(organisation=bringhurst, year=2019).ses_index == 6.9
        # KS5: Carmel College TALLPPE_ALEV_1618 34.07.
        carmel = org_by(network, "urn", "130489")
        assert outcome(carmel, "eng_ks5_alevel_aps", 2019).value == 34.07
        settings_row = RegistrySettings.objects.get(network=network)
        assert settings_row.ses_label

    def test_suppressed_cells_are_never_stored_as_numbers(self, england):
        network = england.network
        jack_tizard = org_by(network, "urn", "100381")  # P8MEA SUPP, ATT8SCR SUPP
        for code in ("eng_ks4_progress8", "eng_ks4_attainment8"):
            value = outcome(jack_tizard, code, 2019)
            assert value.suppressed and value.value is None
            assert value.shown_value is None and value.is_suppressed
        ickburgh = org_by(network, "urn", "100312")  # P8MEA SUPP, ATT8SCR NE: not stored at all
        assert outcome(ickburgh, "eng_ks4_progress8", 2019).value is None
        assert not OutcomeValue.objects.filter(organisation=ickburgh, indicator__code="eng_ks4_attainment8")
        values = OutcomeValue.objects.filter(organisation__network=network)
        assert values.filter(suppressed=True).count() > 1000
        assert not values.filter(suppressed=True, value__isnull=False).exists()

    def test_statistics_and_classification_are_computed(self, england):
        network = england.network
        schools = Organisation.objects.filter(network=network, kind=OrganisationKind.SCHOOL).count()
        assert Classification.objects.filter(network=network).count() == schools
        assert PhaseStatistic.objects.filter(network=network, phase=Phase.SECONDARY, year=2019).exists()
        # One year of data: nobody can be top in 3 years, but the bottom of the latest year needs support.
        labels = set(Classification.objects.filter(network=network).values_list("label", flat=True))
        assert ClassificationLabel.NEEDS_SUPPORT in labels and ClassificationLabel.LEADER not in labels


# --- the real NYC files -------------------------------------------------------------------------------------


@pytest.fixture(scope="class")
def new_york(django_db_setup, django_db_blocker):
    paths = nyc_files()
    with rolled_back_afterwards(django_db_blocker):
        network = NetworkFactory(slug="nyc")
        run = run_import(network, "nyc", paths)
        settle_constraints()
        yield SimpleNamespace(network=network, run=run, paths=paths)
        import_service.import_delete_files(run)


class TestNewYorkRealFiles:
    def test_every_row_is_imported_or_skipped_and_none_rejected(self, new_york):
        run = new_york.run
        assert run.status == ImportStatus.COMMITTED, run.rejections[:5]
        assert run.rejections == [] and run.summary["rejected"] == 0
        files = {f["name"]: f for f in run.summary["files"]}
        assert set(files) == {p.name for p in new_york.paths}
        for path in new_york.paths:
            item = files[path.name]
            assert item["rows"] == data_rows(path), path.name
            assert item["imported"] + item["skipped"] == item["rows"], path.name
        assert run.summary["rows"] == sum(data_rows(p) for p in new_york.paths)

    def test_known_values_of_named_schools(self, new_york):
        network = new_york.network
        # Locations 2019-20: M475,2,Stuyvesant High School,…,345 CHAMBERS STREET,NY,40.718025,-74.013921;
        # 2018-19 Student Achievement: 4-year graduation rate 0.989 with N 820; snapshot 2014-15: 3296.
        stuyvesant = org_by(network, "dbn", "02M475")
        assert org_by(network, "nyc_location", "M475") == stuyvesant
        assert stuyvesant.name == "Stuyvesant High School"
        assert (stuyvesant.latitude, stuyvesant.longitude) == (40.718025, -74.013921)
        grad = outcome(stuyvesant, "nyc_grad_rate_4yr", 2019)
        assert (grad.value, grad.cohort, grad.suppressed) == (98.9, 820, False)
        assert OrganisationYear.objects.get(organisation=stuyvesant, year=2015).enrolment == 3296
        clemente = org_by(network, "dbn", "01M015")
        assert clemente.name == "P.S. 015 Roberto Clemente"
        assert (clemente.latitude, clemente.longitude) == (40.722075, -73.978747)
        year = OrganisationYear.objects.get(organisation=clemente, year=2015)
        assert (year.enrolment, year.ses_index) == (183, 92.992115)

    def test_suppressed_cells_are_never_stored_as_numbers(self, new_york):
        network = new_york.network
        eagle = org_by(network, "nyc_location", "M148")  # 2018-19 4-year rate "N<15", N 1
        grad = outcome(eagle, "nyc_grad_rate_4yr", 2019)
        assert (grad.value, grad.suppressed, grad.cohort) == (None, True, 1)
        values = OutcomeValue.objects.filter(organisation__network=network)
        assert values.filter(suppressed=True).exists()
        assert not values.filter(suppressed=True, value__isnull=False).exists()
        assert Classification.objects.filter(network=network).exists()

    def test_importing_the_same_files_again_changes_nothing(self, new_york):
        network = new_york.network
        before, before_counts = state(network), counts()
        again = run_import(network, "nyc", new_york.paths)
        assert again.status == ImportStatus.COMMITTED
        assert again.summary["written"] == dict.fromkeys(WRITTEN_KEYS, 0)
        assert not ImportChange.objects.filter(run=again).exists()
        assert counts() == before_counts
        assert state(network) == before
        import_service.import_delete_files(again)


# --- damaged copies: nothing is written ---------------------------------------------------------------------


def _assert_nothing_written(run: Import, before: dict[str, int]) -> None:
    assert run.status == ImportStatus.REJECTED
    assert counts() == before
    assert "written" not in run.summary
    assert run.committed_at is None


def _only_rejection(run: Import) -> dict[str, Any]:
    assert len(run.rejections) == 1, run.rejections
    return run.rejections[0]


def test_a_bad_number_in_a_middle_row_rejects_the_whole_import(tmp_path):
    network = NetworkFactory()
    rows = state_rows()
    rows[14][8] = "abc"  # ENROLL of Riverbend Elementary School: file row 15 (row 8 spans two lines)
    path = write_rows(tmp_path / "state_schools.csv", rows)
    before = counts()
    run = import_state(network, path)
    _assert_nothing_written(run, before)
    assert _only_rejection(run) == {
        "file": "state_schools.csv",
        "row": 15,
        "column": "ENROLL",
        "value": "abc",
        "reason": "'abc' is not a number",
    }
    assert (run.summary["rows"], run.summary["imported"], run.summary["rejected"]) == (30, 28, 1)


def test_a_bad_number_in_a_real_england_file_names_its_row(tmp_path):
    rows = []
    with gzip.open(real_file("eng_ks4_results_2018_19_geo"), "rt", encoding="utf-8", newline="") as handle:
        for number, cells in enumerate(csv.reader(handle), start=1):
            rows.append(cells)
            if number == 41:
                break
    column = rows[0].index("ATT8SCR")
    rows[20][column] = "4x.2"  # file row 21
    path = write_rows(tmp_path / "ks4_damaged.csv", rows)
    network = NetworkFactory()
    before = counts()
    run = run_import(network, "england", [path])
    _assert_nothing_written(run, before)
    rejection = _only_rejection(run)
    assert (rejection["file"], rejection["row"], rejection["column"], rejection["value"]) == (
        "ks4_damaged.csv",
        21,
        "ATT8SCR",
        "4x.2",
    )


def test_cp1251_bytes_read_as_utf8_are_rejected_with_their_place(tmp_path, capsys):
    network = NetworkFactory(slug="cyrillic")
    rows = state_rows()
    rows[12][3] = "Школьная улица 5"  # ADDRESS of Cedar Falls Middle School, file row 13
    path = write_rows(tmp_path / "state_schools.csv", rows, encoding="cp1251")
    mapping = tmp_path / "mapping.json"
    shutil.copy(STATE_MAPPING, mapping)
    before = counts()
    argv = ["import", "--network", "cyrillic", "--format", "csv", "--mapping", str(mapping)]
    code = cli.main([*argv, "--encoding", "utf-8", str(path)])
    assert code == 1
    run = Import.objects.get(network=network)
    _assert_nothing_written(run, before)
    rejection = _only_rejection(run)
    assert (rejection["file"], rejection["row"], rejection["column"]) == ("state_schools.csv", 13, "ADDRESS")
    assert rejection["value"].startswith("\ufffd") and rejection["value"].endswith(" 5")
    assert "not valid utf-8" in rejection["reason"] and "--encoding" in rejection["reason"]
    err = capsys.readouterr().err
    assert "state_schools.csv row 13, column 'ADDRESS'" in err and "nothing was written" in err


def test_an_undecodable_header_is_rejected_as_row_1(tmp_path):
    network = NetworkFactory()
    rows = state_rows()
    rows[0][1] = "ИМЯ"
    path = write_rows(tmp_path / "state_schools.csv", rows, encoding="cp1251")
    before = counts()
    run = import_state(network, path, encoding="utf-8")
    _assert_nothing_written(run, before)
    rejection = _only_rejection(run)
    assert (rejection["file"], rejection["row"]) == ("state_schools.csv", 1)
    assert "\ufffd" in rejection["value"]


def test_a_missing_required_column_is_rejected_as_row_1(tmp_path):
    network = NetworkFactory()
    rows = [[cell for index, cell in enumerate(row) if index != 1] for row in state_rows()]
    path = write_rows(tmp_path / "no_names.csv", rows)
    before = counts()
    run = import_state(network, path)
    _assert_nothing_written(run, before)
    rejection = _only_rejection(run)
    assert (rejection["file"], rejection["row"], rejection["column"], rejection["value"]) == (
        "no_names.csv",
        1,
        "SCHOOL_NAME",
        "",
    )
    assert rejection["reason"] == "required column is missing"


def test_a_duplicate_identifier_is_rejected(tmp_path):
    network = NetworkFactory()
    rows = state_rows()
    rows[20][0] = rows[9][0]  # file row 21 repeats the SCHOOL_ID of row 10
    path = write_rows(tmp_path / "state_schools.csv", rows)
    before = counts()
    run = import_state(network, path)
    _assert_nothing_written(run, before)
    assert _only_rejection(run) == {
        "file": "state_schools.csv",
        "row": 21,
        "column": "SCHOOL_ID",
        "value": "0200024",
        "reason": "duplicate identifier: row 21 repeats '0200024' of row 10",
    }


def test_a_rejected_import_leaves_earlier_data_alone(tmp_path):
    network = NetworkFactory()
    assert import_state(network).status == ImportStatus.COMMITTED
    before, before_counts = state(network), counts()
    rows = state_rows()
    rows[3][11] = "most"  # PCT_PROFICIENT_2023 of Alder Valley High School, row 4
    run = import_state(network, write_rows(tmp_path / "state_schools.csv", rows))
    _assert_nothing_written(run, before_counts)
    assert _only_rejection(run)["row"] == 4
    assert state(network) == before


# --- re-import, newer years, revert ------------------------------------------------------------------------


def test_importing_the_same_file_again_changes_nothing():
    network = NetworkFactory()
    first = import_state(network)
    assert first.status == ImportStatus.COMMITTED
    written = first.summary["written"]
    assert (written["organisations_created"], written["values_created"]) == (29, 28)
    before, before_counts = state(network), counts()
    second = import_state(network)
    assert second.status == ImportStatus.COMMITTED
    assert second.summary["written"] == dict.fromkeys(WRITTEN_KEYS, 0)
    assert not ImportChange.objects.filter(run=second).exists()
    assert counts() == before_counts
    assert state(network) == before


def _state_2024(tmp_path: Path) -> Path:
    """Next year's file: new results and enrolment, one school renamed, one school new."""
    rows = state_rows()
    rows[0] = [c.replace("_2023", "_2024") for c in rows[0]]
    for row in rows[1:]:
        if row[11]:
            row[11] = "0.700" if row[11] != "*" else "*"
    rows[1][1] = "Alder Valley Elementary"  # renamed
    rows[1][8] = "320"
    rows[14][8] = "250"  # Riverbend: now reported
    juniper = "0700071,Juniper School,Foxhill,1 Juniper Way,05421,44.57,-72.31,ELEMENTARY,150,Open,09/01/2023"
    rows.append([*juniper.split(","), "0.612", "22"])
    return write_rows(tmp_path / "state_schools_2024.csv", rows)


def test_a_newer_year_adds_to_the_series_and_revert_restores_the_state_exactly(tmp_path):
    network = NetworkFactory()
    empty = state(network)
    first = import_state(network)
    after_first = state(network)
    after_first_changes = ImportChange.objects.count()

    second = import_state(network, _state_2024(tmp_path))
    assert second.status == ImportStatus.COMMITTED, second.rejections
    written = second.summary["written"]
    assert written["organisations_created"] == 1 and written["values_created"] == 29
    assert written["values_updated"] == 0 and written["years_created"] == 30
    alder = org_by(network, "national", "0100011")
    assert alder.name == "Alder Valley Elementary" and alder.enrolment == 320
    series = OutcomeValue.objects.filter(organisation=alder, indicator__code=STATE_INDICATOR)
    assert sorted(series.values_list("year", "value")) == [(2023, 63.4), (2024, 70.0)]
    assert sorted(OrganisationYear.objects.filter(organisation=alder).values_list("year", "enrolment")) == [
        (2023, 312),
        (2024, 320),
    ]

    # The older import cannot be reverted while the newer one stands.
    with pytest.raises(RevertError, match=f"#{second.pk}"):
        import_revert(actor="test", run=first)
    assert state(network) != after_first

    import_revert(actor="test", run=second)
    second.refresh_from_db()
    assert second.status == ImportStatus.REVERTED and second.reverted_at is not None
    assert state(network) == after_first
    assert ImportChange.objects.count() >= after_first_changes
    with pytest.raises(RevertError):
        import_revert(actor="test", run=second)  # only once

    import_revert(actor="test", run=first)
    assert state(network) == empty
    registry_recompute(network=network)
    assert not Classification.objects.filter(network=network).exists()


def test_a_later_file_updates_values_and_revert_puts_them_back(tmp_path):
    network = NetworkFactory()
    import_state(network)
    before = state(network)
    rows = state_rows()
    rows[1][11] = "0.650"  # Alder Valley Elementary 2023: 63.4 → 65.0
    rows[10][11] = "0.400"  # Pine Hollow 2023: suppressed → 40.0 (cohort still 7)
    second = import_state(network, write_rows(tmp_path / "corrected.csv", rows))
    assert second.summary["written"]["values_updated"] == 2
    alder = org_by(network, "national", "0100011")
    assert outcome(alder, STATE_INDICATOR, 2023).value == 65.0
    pine = outcome(org_by(network, "national", "0200025"), STATE_INDICATOR, 2023)
    assert (pine.value, pine.suppressed, pine.cohort, pine.shown_value) == (40.0, False, 7, None)
    import_revert(actor="test", run=second)
    assert state(network) == before


def test_revert_is_refused_while_members_belong_to_created_organisations():
    network = NetworkFactory()
    run = import_state(network)
    school = org_by(network, "national", "0100011")
    Membership.objects.create(user=UserFactory(), network=network, role=Role.TEACHER, organisation=school)
    with pytest.raises(RevertError, match="members"):
        import_revert(actor="test", run=run)
    run.refresh_from_db()
    assert run.status == ImportStatus.COMMITTED


def test_revert_through_the_command(capsys):
    network = NetworkFactory(slug="revert-cli")
    run = import_state(network)
    assert cli.main(["import-revert", "--network", "revert-cli", str(run.pk)]) == 0
    assert f"import #{run.pk} reverted" in capsys.readouterr().out
    assert not Organisation.objects.filter(network=network).exists()
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["import-revert", "--network", "revert-cli", str(run.pk)])
    assert exit_info.value.code == 2


# --- a crash in the middle of the write transaction ---------------------------------------------------------


def test_a_crash_while_writing_leaves_the_database_as_before(monkeypatch):
    network = NetworkFactory()
    before = counts()

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("power cut")

    monkeypatch.setattr(import_service, "_write_years", crash)
    uploads = [UploadedFile(STATE_CSV.name, STATE_CSV.read_bytes())]
    run = import_create(actor="test", network=network, format="csv", files=uploads, mapping=state_mapping())
    with pytest.raises(RuntimeError, match="power cut"):
        import_run(run, actor="test")
    run.refresh_from_db()
    assert run.status == ImportStatus.FAILED
    assert "power cut" in run.error and run.committed_at is None
    assert counts() == before
    assert not Organisation.objects.filter(network=network).exists()
    assert run.progress is not None and run.progress.status == "failed"


# --- the worked example of docs/importing.md ---------------------------------------------------------------


def test_the_worked_example_imports_through_the_command_as_the_guide_says(capsys):
    network = NetworkFactory(slug="valley-schools")
    argv = ["import", "--network", "valley-schools", "--format", "csv", "--mapping", str(STATE_MAPPING)]
    assert cli.main([*argv, str(STATE_CSV)]) == 0
    run = Import.objects.get(network=network)
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "state_schools.csv (mapped): 30 rows, 29 imported, 1 skipped, 0 rejected",
        "  skipped by rule mapping-filter:open-only: 1",
        f"import #{run.pk} committed: 29 organisations (29 new, 0 changed), 28 new and 0 changed values",
    ]
    assert run.skips == [{"file": "state_schools.csv", "row": 16, "rule": "mapping-filter:open-only"}]
    assert not Identifier.objects.filter(network=network, value="0300035").exists()  # Old Mill, closed

    riverbend = org_by(network, "national", "0300034")  # ENROLL -999: missing, not a number
    assert riverbend.enrolment is None
    assert not OrganisationYear.objects.filter(organisation=riverbend, enrolment__isnull=False).exists()
    assert outcome(riverbend, STATE_INDICATOR, 2023).value == 57.7
    birchmont_north = org_by(network, "national", "0200022")
    assert birchmont_north.name == "Birchmont North Elementary School"
    assert org_by(network, "national", "0100014").name == "Hillcrest School, Alder Valley"
    learning_center = org_by(network, "national", "0100015")
    assert learning_center.phase == "" and not OutcomeValue.objects.filter(organisation=learning_center)
    pine = outcome(org_by(network, "national", "0200025"), STATE_INDICATOR, 2023)
    assert (pine.value, pine.suppressed, pine.cohort) == (None, True, 7)
    stony = outcome(org_by(network, "national", "0400044"), STATE_INDICATOR, 2023)
    assert (stony.value, stony.cohort, stony.suppressed) == (50.0, 8, False)
    assert stony.shown_value is None and stony.is_suppressed  # the small-numbers rule
    alder = org_by(network, "national", "0100011")
    assert str(alder.opened_on) == "1962-09-01" and alder.postcode == "05301"

    assert cli.main([*argv, str(STATE_CSV)]) == 0
    assert "29 organisations (0 new, 0 changed), 0 new and 0 changed values" in capsys.readouterr().out


# --- classification after import ----------------------------------------------------------------------------


def test_classification_is_computed_after_importing_a_synthetic_region(tmp_path):
    network = NetworkFactory()
    path = tmp_path / "region.csv"
    schools = write_region_csv(path, schools=300, years=6, seed=5)
    run = run_import(network, "csv", [path], mapping=CANONICAL_MAPPING)
    assert run.status == ImportStatus.COMMITTED, run.rejections[:5]
    classifications = Classification.objects.filter(network=network).select_related(
        "indicator", "organisation"
    )
    assert classifications.count() == schools == 300
    labels = {c.label for c in classifications}
    assert {ClassificationLabel.LEADER, ClassificationLabel.NEEDS_SUPPORT} <= labels
    data_years = set(
        OutcomeValue.objects.filter(organisation__network=network).values_list("year", flat=True)
    )
    for classification in classifications:
        if classification.label != ClassificationLabel.LEADER:
            continue
        reason = classification.reasons[0]
        assert reason["code"] == "top_years" and len(reason["years"]) >= 3
        assert set(reason["years"]) <= data_years
        sentence = selectors.explain(classification, classification.organisation.phase)[0]
        assert classification.indicator is not None and classification.indicator.name in sentence
        assert ", ".join(str(y) for y in reason["years"]) in sentence
    settings_row = RegistrySettings.objects.get(network=network)
    assert settings_row.classified_at is not None and settings_row.base_map


def _tiny_network() -> tuple[Any, Any, dict[str, Any]]:
    """Ten primary schools × five years; every school declares a strength."""
    network: Any = NetworkFactory()
    indicator = Indicator.objects.create(
        network=network, code="reading", name="Reading attainment", unit="%", higher_is_better=True
    )
    years = (2019, 2020, 2021, 2022, 2023)
    values: dict[str, dict[int, float | None]] = {
        # T is top in 2019 and 2020; 2021 has a cohort of 5 (shown as suppressed) and 2022 is suppressed.
        "T": {2019: 200.0, 2020: 200.0, 2021: 200.0, 2022: None, 2023: 50.0},
        "best": dict.fromkeys(years, 100.0),
        "tied_a": dict.fromkeys(years, 95.0),  # A and B tie at the edge of the top 20 %
        "tied_b": dict.fromkeys(years, 95.0),
        **{f"s{k}": dict.fromkeys(years, float(k * 10)) for k in range(1, 7)},
    }
    schools: dict[str, Any] = {}
    for key, series in values.items():
        school: Any = OrganisationFactory(
            network=network, name=key, phase=Phase.PRIMARY, strengths=["teaching"]
        )
        schools[key] = school
        for year, value in series.items():
            small = key == "T" and year == 2021
            OutcomeValue.objects.create(
                organisation=school,
                indicator=indicator,
                year=year,
                value=value,
                suppressed=value is None,
                cohort=5 if small else 30,
            )
    return network, indicator, schools


def test_suppressed_years_do_not_count_towards_a_leader():
    network, indicator, _schools = _tiny_network()
    registry_recompute(network=network)
    labels = {
        c.organisation.name: c
        for c in Classification.objects.filter(network=network).select_related("organisation", "indicator")
    }
    assert len(labels) == 10
    t = labels["T"]
    assert t.label != ClassificationLabel.LEADER and t.indicator == indicator
    reason = t.reasons[0]
    assert reason["code"] == "top_years_insufficient"
    assert reason["years"] == [2019, 2020]
    assert (reason["numbers"]["count"], reason["numbers"]["needed"], reason["numbers"]["available"]) == (
        2,
        3,
        3,
    )
    sentence = selectors.explain(t, Phase.PRIMARY)[0]
    assert "Reading attainment" in sentence and "2019, 2020" in sentence
    assert "2021" not in sentence and "2022" not in sentence
    assert "3 needed" in sentence

    # Tied schools at the threshold share their fate: both are in the top 20 % in 2021–2023.
    a, b = labels["tied_a"], labels["tied_b"]
    assert a.label == b.label == ClassificationLabel.LEADER
    assert a.reasons == b.reasons and a.reasons[0]["years"] == [2021, 2022, 2023]
    assert labels["best"].label == ClassificationLabel.LEADER
    assert labels["s1"].label == ClassificationLabel.NEEDS_SUPPORT
    statistic = PhaseStatistic.objects.get(indicator=indicator, phase=Phase.PRIMARY, year=2021)
    assert statistic.count == 9  # T's small cohort is not counted


def test_a_declared_strength_is_needed_and_the_explanation_says_so():
    network, _indicator, schools = _tiny_network()
    Organisation.objects.filter(pk=schools["best"].pk).update(strengths=[])
    registry_recompute(network=network)
    best = Classification.objects.get(organisation=schools["best"])
    assert best.label == ClassificationLabel.NONE
    assert [r["code"] for r in best.reasons] == ["top_years", "no_strength"]
    sentences = selectors.explain(best, Phase.PRIMARY)
    assert "2019, 2020, 2021, 2022, 2023" in sentences[0] and "strength" in sentences[1]
