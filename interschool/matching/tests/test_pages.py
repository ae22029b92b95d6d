"""The matching pages through the HTTP client: every role and another network's users, forms, the
what-if comparison, candidates, acceptance and exports."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from interschool.algorithms.matching.scoring import VERTICAL_COMPONENTS
from interschool.core.models import Role
from interschool.core.tests.factories import build_world
from interschool.matching import vocabularies as v
from interschool.matching.models import Match, MatchingRun, PairRule, SchoolChoiceRecord
from interschool.matching.services import run_create, run_execute
from interschool.matching.tests.factories import MatchingWorld, build_matching_world
from interschool.partnerships.models import Partnership

pytestmark = pytest.mark.django_db

READ_ROLES = (Role.ADMIN, Role.COORDINATOR)
REFUSED_ROLES = (Role.SCHOOL_LEADER, Role.TEACHER, Role.EXTERNAL_PARTNER, Role.RESEARCHER)


@pytest.fixture
def mw() -> MatchingWorld:
    world = build_world()
    mw = build_matching_world(world.a)
    mw.other = world.b  # type: ignore[attr-defined]
    return mw


def _run(mw: MatchingWorld, mode: str = v.RunMode.VERTICAL, **parameters: object) -> MatchingRun:
    run = run_create(
        actor=mw.admin, network=mw.network, mode=mode, parameters={"time_limit_s": 5, **parameters}
    )
    return run_execute(run)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _pages(mw: MatchingWorld, run: MatchingRun) -> list[str]:
    slug = mw.network.slug
    school = mw.pk("birch")
    return [
        f"/n/{slug}/matching/",
        f"/n/{slug}/matching/{run.pk}/",
        f"/n/{slug}/matching/{run.pk}/unmatched/",
        f"/n/{slug}/matching/{run.pk}/schools/{school}/",
        f"/n/{slug}/matching/compare/?a={run.pk}&b={run.pk}",
        f"/n/{slug}/matching/choices/",
        f"/n/{slug}/matching/{run.pk}/export.csv",
        f"/n/{slug}/matching/{run.pk}/export.xlsx",
    ]


@pytest.mark.parametrize("role", READ_ROLES + REFUSED_ROLES)
def test_read_pages_by_role(mw, role):
    run = _run(mw)
    client = _client(mw.nw.user(role))
    for url in _pages(mw, run):
        response = client.get(url)
        assert response.status_code == (200 if role in READ_ROLES else 403), url


@pytest.mark.parametrize("role", READ_ROLES + REFUSED_ROLES)
def test_managing_pages_by_role(mw, role):
    run = _run(mw)
    slug = mw.network.slug
    client = _client(mw.nw.user(role))
    allowed = role == Role.ADMIN
    assert client.get(f"/n/{slug}/matching/new/").status_code == (200 if allowed else 403)
    response = client.post(f"/n/{slug}/matching/{run.pk}/accept/", {"match": "1"})
    assert response.status_code == (302 if allowed else 403)
    assert Match.objects.filter(run=run, number=1, partnership__isnull=False).exists() == allowed
    response = client.post(
        f"/n/{slug}/matching/choices/",
        {"form": "choice", "choice-organisation": f"{slug}-birch", "choice-choice": "exclude"},
    )
    assert response.status_code == (302 if allowed else 403)
    assert SchoolChoiceRecord.objects.filter(network=mw.network).exists() == allowed


def test_another_networks_users_find_nothing(mw):
    run = _run(mw)
    other_admin = mw.other.user(Role.ADMIN)
    client = _client(other_admin)
    for url in _pages(mw, run):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/n/{mw.network.slug}/matching/{run.pk}/accept/", {"all": "1"}).status_code == 404
    # Nor does the network's own run show under the other network's address.
    assert client.get(f"/n/{mw.other.network.slug}/matching/{run.pk}/").status_code == 404


def test_anonymous_is_sent_to_log_in(mw):
    response = Client().get(f"/n/{mw.network.slug}/matching/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def _form(**changes: object) -> dict[str, object]:
    from interschool.matching.parameters import defaults

    data: dict[str, object] = {"mode": "vertical", "note": ""}
    for name, value in defaults().items():
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value
    data.update(changes)
    return data


def test_new_run_starts_and_finishes(mw, django_capture_on_commit_callbacks):
    client = _client(mw.admin)
    slug = mw.network.slug
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/n/{slug}/matching/new/", _form(note="first try", weight_distance=4))
    run = MatchingRun.objects.get(network=mw.network, note="first try")
    assert response.status_code == 302 and response["Location"] == f"/n/{slug}/matching/{run.pk}/"
    assert run.status == v.RunStatus.FINISHED and run.parameters["weight_distance"] == 4
    page = client.get(response["Location"]).content.decode()
    assert 'id="run-metrics"' in page and 'id="run-finished"' in page
    assert page.count('class="accept-button') == 0  # accept buttons carry more classes
    assert page.count("accept-button") == run.matches.count()
    # The status fragment asks the page to reload once the run has finished.
    fragment = client.get(f"/n/{slug}/matching/{run.pk}/?status=1", HTTP_HX_REQUEST="true")
    assert fragment["HX-Refresh"] == "true"


def test_new_run_rejects_a_bad_parameter_naming_it(mw):
    client = _client(mw.admin)
    response = client.post(f"/n/{mw.network.slug}/matching/new/", _form(max_group_size=2, min_group_size=4))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="id_max_group_size_error"' in page
    response = client.post(f"/n/{mw.network.slug}/matching/new/", _form(weight_distance=-1))
    assert 'id="id_weight_distance_error"' in response.content.decode()
    assert not MatchingRun.objects.filter(network=mw.network).exists()


def test_new_run_from_another_fills_its_parameters(mw):
    run = _run(mw, weight_distance=7, max_distance_km=12)
    page = _client(mw.admin).get(f"/n/{mw.network.slug}/matching/new/?from={run.pk}").content.decode()
    assert 'name="weight_distance" id="id_weight_distance" class="form-control" value="7.0"' in page
    assert 'value="12.0"' in page


def test_queued_run_shows_progress(mw):
    run = run_create(actor=mw.admin, network=mw.network, mode=v.RunMode.VERTICAL, parameters={})
    page = _client(mw.admin).get(f"/n/{mw.network.slug}/matching/{run.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in page and 'role="progressbar"' in page
    assert 'id="run-metrics"' not in page


def test_candidates_page_explains_every_component(mw):
    run = _run(mw)
    page = (
        _client(mw.admin)
        .get(f"/n/{mw.network.slug}/matching/{run.pk}/schools/{mw.pk('birch')}/")
        .content.decode()
    )
    assert 'id="candidate-list"' in page
    assert page.count('<table class="table table-sm mb-0 explanation-table">') >= 1
    assert "percentile points above the partner" in page
    assert 'id="own-match"' in page


def test_unmatched_page_lists_reasons_and_filters(mw):
    run = _run(mw)
    client = _client(mw.admin)
    url = f"/n/{mw.network.slug}/matching/{run.pk}/unmatched/"
    page = client.get(url).content.decode()
    for reason in (v.Reason.NO_COORDINATES, v.Reason.NO_DATA, v.Reason.NO_ELIGIBLE_PARTNER):
        assert f'data-reason="{reason}"' in page
    only = client.get(url + "?reason=no_data").content.decode()
    assert 'data-reason="no_data"' in only and 'data-reason="no_coordinates"' not in only
    assert mw.schools["maple"].name in only


def test_compare_lists_metrics_parameters_and_differences(mw):
    near = _run(mw, weight_distance=0)
    far = _run(mw, weight_distance=20, weight_outcome_gap=0, weight_complementarity=0)
    response = _client(mw.admin).get(f"/n/{mw.network.slug}/matching/compare/?a={near.pk}&b={far.pk}")
    page = response.content.decode()
    assert 'data-metric="coverage"' in page and 'data-metric="mean_distance_km"' in page
    assert 'id="changed-parameters"' in page
    keys_near = {frozenset(m.members.values_list("organisation_id", flat=True)) for m in near.matches.all()}
    keys_far = {frozenset(m.members.values_list("organisation_id", flat=True)) for m in far.matches.all()}
    assert keys_near != keys_far  # the weights changed the pairs
    assert f"{len(keys_near & keys_far)} pair" in page


def test_compare_needs_two_runs(mw):
    response = _client(mw.admin).get(f"/n/{mw.network.slug}/matching/compare/?a=1")
    assert response.status_code == 302


def test_accept_one_then_all(mw):
    run = _run(mw)
    client = _client(mw.admin)
    url = f"/n/{mw.network.slug}/matching/{run.pk}/accept/"
    client.post(url, {"match": "1"})
    first = Match.objects.get(run=run, number=1)
    assert first.partnership is not None and first.partnership.state == "proposed"
    again = client.post(url, {"match": "1"}, follow=True)
    assert "already accepted" in again.content.decode()
    client.post(url, {"all": "1"})
    assert not Match.objects.filter(run=run, partnership__isnull=True).exists()
    assert Partnership.objects.filter(network=mw.network).count() == run.matches.count()
    assert PairRule.objects.filter(network=mw.network, kind=v.PairKind.TIE).count() == run.matches.count()


def test_export_csv_and_xlsx_carry_the_explanation(mw):
    run = _run(mw)
    client = _client(mw.admin)
    response = client.get(f"/n/{mw.network.slug}/matching/{run.pk}/export.csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    header = rows[0]
    assert header[:4] == ["match", "organisation_id", "organisation", "role"]
    assert {"outcome_gap", "distance", "why", "reason"} <= set(header)
    members = [r for r in rows[1:] if r[0]]
    assert len(members) == 2 * run.matches.count()
    unmatched = [r for r in rows[1:] if not r[0]]
    assert len(unmatched) == run.unmatched.count()
    assert all(r[header.index("reason")] for r in unmatched)
    for row in members:  # the component columns add up to the score
        parts = sum(float(row[header.index(c)]) for c in VERTICAL_COMPONENTS)
        assert parts == pytest.approx(float(row[header.index("score")]), abs=1e-5)
    book = load_workbook(
        io.BytesIO(client.get(f"/n/{mw.network.slug}/matching/{run.pk}/export.xlsx").content)
    )
    sheet = book.worksheets[0]
    assert [c.value for c in next(sheet.iter_rows(max_row=1))] == header
    assert sheet.max_row == len(rows)


def test_choices_and_pair_rules_by_form(mw):
    client = _client(mw.admin)
    slug = mw.network.slug
    url = f"/n/{slug}/matching/choices/"
    response = client.post(
        url, {"form": "choice", "choice-organisation": "no-such-school", "choice-choice": "exclude"}
    )
    assert response.status_code == 200 and 'id="id_choice-organisation_error"' in response.content.decode()
    client.post(url, {"form": "choice", "choice-organisation": f"{slug}-birch", "choice-choice": "exclude"})
    record = SchoolChoiceRecord.objects.get(network=mw.network)
    assert record.organisation == mw.schools["birch"] and record.choice == "exclude"
    client.post(url, {"form": "clear", "record": str(record.pk)})
    assert not SchoolChoiceRecord.objects.filter(network=mw.network).exists()
    response = client.post(
        url,
        {
            "form": "pair",
            "pair-first": mw.schools["oak"].code,
            "pair-second": f"{slug}-birch",
            "pair-kind": "tie",
            "pair-value": "2",
        },
    )
    assert 'id="id_pair-value_error"' in response.content.decode()
    client.post(
        url,
        {
            "form": "pair",
            "pair-first": mw.schools["oak"].code,
            "pair-second": f"{slug}-birch",
            "pair-kind": "forbidden",
            "pair-value": "1",
        },
    )
    rule = PairRule.objects.get(network=mw.network)
    assert rule.kind == "forbidden" and {rule.first_id, rule.second_id} == {mw.pk("oak"), mw.pk("birch")}
    run = _run(mw)
    assert (
        not Match.objects.filter(run=run, members__organisation_id=mw.pk("oak"))
        .filter(members__organisation_id=mw.pk("birch"))
        .exists()
    )
    client.post(f"/n/{slug}/matching/choices/pairs/{rule.pk}/delete/")
    assert not PairRule.objects.filter(network=mw.network).exists()


def test_empty_states(mw):
    page = _client(mw.admin).get(f"/n/{mw.network.slug}/matching/").content.decode()
    assert 'id="empty-state"' in page
    page = _client(mw.admin).get(f"/n/{mw.network.slug}/matching/choices/").content.decode()
    assert "No pair rule yet" in page
