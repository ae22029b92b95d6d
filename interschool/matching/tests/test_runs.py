"""Matching runs through the service functions: the stored result is the engine's, reasons, choices and
pair rules, parameters, candidates, accepting into proposals, failures, access, and the registry's
outcome percentile."""

from __future__ import annotations

import itertools
from collections import Counter
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from interschool.algorithms.matching.exact import MatchingInputError
from interschool.algorithms.matching.explain import ranked_candidates
from interschool.algorithms.matching.geo import great_circle_km
from interschool.algorithms.matching.peers import PeerClusterResult, form_peer_clusters
from interschool.algorithms.matching.scoring import (
    MatchingRules,
    School,
    SchoolTable,
    ScoreWeights,
    outcome_percentiles,
    peer_components,
)
from interschool.algorithms.matching.scoring import Organisation as EngineOrganisation
from interschool.algorithms.matching.vertical import MatchResult, match_organisations, match_vertical
from interschool.core.models import (
    AuditEntry,
    Membership,
    Notification,
    Organisation,
    OrganisationKind,
    OrganisationStatus,
    Phase,
    ProgressStatus,
    Role,
)
from interschool.core.tests.factories import NetworkFactory, OrganisationFactory
from interschool.matching import access, services, tasks
from interschool.matching import vocabularies as v
from interschool.matching.inputs import Inputs, snapshot_decode
from interschool.matching.models import (
    Match,
    MatchingRun,
    MatchMember,
    PairRule,
    SchoolChoiceRecord,
    Unmatched,
)
from interschool.matching.parameters import (
    BY_NAME,
    DEFAULT_CAPACITY,
    RULES,
    WEIGHTS,
    defaults,
    engine_rules,
    parameters_clean,
)
from interschool.matching.tests.factories import MatchingWorld, build_matching_world
from interschool.matching.wording import match_explanation_text
from interschool.partnerships import vocabularies as pv
from interschool.partnerships.models import Partnership
from interschool.registry.models import Classification, Indicator, OutcomeValue
from interschool.registry.services.statistics import registry_recompute

CLUSTERS_FAST = {"time_limit_s": 1}


@pytest.fixture
def mw(world) -> MatchingWorld:
    return build_matching_world(world.a)


def run_now(mw: MatchingWorld, mode: str, **parameters: Any) -> MatchingRun:
    run = services.run_create(actor=mw.admin, network=mw.network, mode=mode, parameters=parameters)
    services.run_execute(run)
    run.refresh_from_db()
    assert run.status == v.RunStatus.FINISHED, run.error
    return run


def members_of(match: Match) -> list[tuple[int, str]]:
    """(organisation id, role) of each member, in the stored order (provider first)."""
    return list(match.members.order_by("pk").values_list("organisation", "role"))


def pair_keys(mw: MatchingWorld, run: MatchingRun) -> list[tuple[str, ...]]:
    """Each match's members by key, in the stored order (provider first)."""
    return [
        tuple(mw.key_of(org) for org, _role in members_of(match))
        for match in Match.objects.filter(run=run).order_by("number")
    ]


def snapshot_of(run: MatchingRun) -> Inputs:
    assert run.snapshot is not None, "the run kept no inputs"
    return snapshot_decode(run.snapshot)


def unmatched_of(run: MatchingRun) -> dict[int, str]:
    return dict(Unmatched.objects.filter(run=run).values_list("organisation_id", "reason"))


# --- the engine's inputs, read from the registry by hand ---------------------------------------------


def schools_by_hand(
    mw: MatchingWorld, mode: str, parameters: dict[str, Any]
) -> tuple[list[School], dict[str, str]]:
    """The engine's schools for a run, built from the rows by the documented rules (not by gather_inputs)."""
    choices = {r.organisation_id: r.choice for r in SchoolChoiceRecord.objects.filter(network=mw.network)}
    schools: list[School] = []
    left_out: dict[str, str] = {}
    rows = (
        Organisation.objects.filter(network=mw.network, kind=OrganisationKind.SCHOOL)
        .exclude(status=OrganisationStatus.CLOSED)
        .order_by("pk")
    )
    for org in rows:
        classification = Classification.objects.filter(organisation=org).first()
        choice = choices.get(org.pk)
        role = "none"
        if mode == "vertical":
            if choice in ("leader", "supported"):
                role = choice
            elif classification is not None and classification.label == "leader":
                role = "leader"
            elif classification is not None and classification.label == "needs_support":
                role = "supported"
            else:  # takes no part: listed only when it lacks data, and not when excluded by hand
                codes = {r["code"] for r in classification.reasons} if classification else set()
                no_data = classification is None or codes & {"not_enough_data", "no_indicator"}
                if no_data and choice != "exclude":
                    left_out[str(org.pk)] = "no_data"
                continue
        elif mode == "organisations" and not org.needs:
            continue  # takes no part, excluded or not
        if choice == "exclude":
            left_out[str(org.pk)] = "excluded"
            continue
        capacity = 0
        if role == "leader":
            capacity = (
                parameters["capacity"]
                if parameters.get("capacity") is not None
                else (org.partner_capacity if org.partner_capacity is not None else DEFAULT_CAPACITY)
            )
        schools.append(
            School(
                id=str(org.pk),
                latitude=org.latitude,
                longitude=org.longitude,
                phase=org.phase,
                community=org.community,
                district=org.district,
                urban_rural=org.urban_rural,
                enrolment=org.enrolment,
                ses_index=org.ses_index,
                accepts_online=org.accepts_online and parameters.get("online_allowed", True),
                role=role,
                capacity=capacity,
                strengths=frozenset(org.strengths),
                needs=frozenset(org.needs),
                performance=classification.percentile if classification else None,
            )
        )
    return schools, left_out


def organisations_by_hand(mw: MatchingWorld, parameters: dict[str, Any]) -> list[EngineOrganisation]:
    """The engine's organisations: those offering something, with their own capacity (a run's
    ``capacity`` is for leader schools)."""
    choices = {r.organisation_id: r.choice for r in SchoolChoiceRecord.objects.filter(network=mw.network)}
    return [
        EngineOrganisation(
            id=str(org.pk),
            kind=str(org.kind),
            capacity=org.partner_capacity if org.partner_capacity is not None else DEFAULT_CAPACITY,
            offers=frozenset(org.offers),
            latitude=org.latitude,
            longitude=org.longitude,
        )
        for org in Organisation.objects.filter(network=mw.network)
        .exclude(kind__in=[OrganisationKind.SCHOOL, OrganisationKind.AUTHORITY])
        .exclude(status=OrganisationStatus.CLOSED)
        .order_by("pk")
        if org.offers and choices.get(org.pk) != "exclude"
    ]


def rules_by_hand(
    mw: MatchingWorld, mode: str, parameters: dict[str, Any], ids: set[str]
) -> tuple[MatchingRules, ScoreWeights]:
    forbidden, ties = set(), {}
    for rule in PairRule.objects.filter(network=mw.network):
        pair = frozenset((str(rule.first_id), str(rule.second_id)))
        if pair <= ids:
            if rule.kind == "forbidden":
                forbidden.add(pair)
            else:
                ties[pair] = rule.value
    p = {**defaults(), **parameters}
    rules = MatchingRules(
        max_distance_km=p["max_distance_km"],
        competition_radius_km=p["competition_radius_km"],
        candidates=p["candidates"],
        cluster_candidates=p["cluster_candidates"],
        min_group_size=p["min_group_size"],
        max_group_size=p["max_group_size"],
        time_limit_s=p["time_limit_s"],
        cross_community_share=p["cross_community_share"] if mode == "vertical" else None,
        forbidden=frozenset(forbidden),
        ties=ties,
    )
    weights = ScoreWeights(
        outcome_gap=p["weight_outcome_gap"],
        complementarity=p["weight_complementarity"],
        ses_similarity=p["weight_ses_similarity"],
        size_similarity=p["weight_size_similarity"],
        same_phase=p["weight_same_phase"],
        same_setting=p["weight_same_setting"],
        distance=p["weight_distance"],
        distance_scale_km=p["distance_scale_km"],
        earlier_ties=p["weight_earlier_ties"],
        cross_community=p["weight_cross_community"],
    )
    return rules, weights


def engine_by_hand(
    mw: MatchingWorld, mode: str, parameters: dict[str, Any]
) -> tuple[MatchResult | PeerClusterResult, list[School], dict[str, str], MatchingRules, ScoreWeights]:
    schools, left_out = schools_by_hand(mw, mode, parameters)
    organisations = organisations_by_hand(mw, parameters) if mode == "organisations" else []
    ids = {s.id for s in schools} | {o.id for o in organisations}
    rules, weights = rules_by_hand(mw, mode, parameters, ids)
    result: MatchResult | PeerClusterResult
    if mode == "vertical":
        result = match_vertical(schools, rules, weights)
    elif mode == "organisations":
        result = match_organisations(organisations, schools, rules, weights)
    else:
        result = form_peer_clusters(schools, rules, weights)
    return result, schools, left_out, rules, weights


# --- what a run stored, against a result of the engine -------------------------------------------------


def stored(run: MatchingRun) -> list[tuple[Any, ...]]:
    return [
        (
            match.number,
            tuple((str(org), role) for org, role in members_of(match)),
            match.score,
            match.distance_km,
            match.online,
            {name: Decimal(value) for name, value in match.components.items()},
        )
        for match in Match.objects.filter(run=run).order_by("number")
    ]


def group_components(
    schools: list[School], members: tuple[str, ...], rules: MatchingRules, weights: ScoreWeights
) -> tuple[dict[str, Decimal], float]:
    """Components of a group summed over its pairs, and its largest pair distance, from peer_components."""
    table = SchoolTable.of(schools)
    index = {s.id: n for n, s in enumerate(schools)}
    pairs = list(itertools.combinations(members, 2))
    a = np.array([index[x] for x, _ in pairs], dtype=np.int64)
    b = np.array([index[y] for _, y in pairs], dtype=np.int64)
    d = great_circle_km(table.latitude[a], table.longitude[a], table.latitude[b], table.longitude[b])
    ties = np.array([rules.ties.get(frozenset(p), 0.0) for p in pairs])
    parts = peer_components(table, a, b, d, weights, ties)
    return {name: Decimal(int(units.sum())).scaleb(-6) for name, units in parts.items()}, float(d.max())


def expected(
    result: MatchResult | PeerClusterResult,
    schools: list[School],
    left_out: dict[str, str],
    rules: MatchingRules,
    weights: ScoreWeights,
) -> tuple[list[tuple[Any, ...]], dict[int, str]]:
    unmatched = dict(left_out)
    rows: list[tuple[Any, ...]] = []
    if isinstance(result, PeerClusterResult):
        for number, group in enumerate(result.solution.groups, start=1):
            components, furthest = group_components(schools, group.members, rules, weights)
            assert sum(components.values(), Decimal(0)) == group.score
            members = tuple((m, "peer") for m in group.members)
            rows.append((number, members, group.score, furthest, False, components))
        unmatched |= dict.fromkeys(result.solution.ungrouped, "not_grouped")
        unmatched |= dict.fromkeys(result.excluded, "no_coordinates")
    else:
        roles = ("leader", "supported") if result.mode == "vertical" else ("organisation", "school")
        for number, pair in enumerate(result.pairs, start=1):
            members = ((pair.provider_id, roles[0]), (pair.school_id, roles[1]))
            rows.append((number, members, pair.score, pair.distance_km, pair.online, dict(pair.components)))
        unmatched |= dict(result.unmatched)
    return rows, {int(k): reason for k, reason in unmatched.items()}


def assert_summary_matches_rows(run: MatchingRun) -> None:
    matches = list(Match.objects.filter(run=run))
    matched = MatchMember.objects.filter(match__run=run).count()
    if run.mode != "clusters":
        matched -= len(matches)  # the provider of each pair is not a participant
    unmatched = unmatched_of(run)
    participants = matched + len(unmatched)
    summary = run.summary
    assert summary["matches"] == len(matches)
    assert summary["matched"] == matched
    assert summary["participants"] == participants
    assert summary["coverage"] == round(matched / participants, 4)
    assert summary["unmatched"] == dict(Counter(unmatched.values()))
    assert summary["total_score"] == pytest.approx(float(sum(m.score for m in matches)), abs=1e-6)
    assert summary["mean_score"] == (
        pytest.approx(float(sum(m.score for m in matches)) / len(matches), abs=1e-4) if matches else None
    )
    # distances, outcome gaps and communities, from the registry rows of the members
    percentile: dict[int, float | None] = dict(
        Classification.objects.filter(network=run.network).values_list("organisation", "percentile")
    )
    orgs = {o.pk: o for o in Organisation.objects.filter(network=run.network)}
    distances, gaps, cross = [], [], []
    for match in matches:
        members = [org for org, _role in members_of(match)]
        if run.mode == "clusters":
            for a, b in itertools.combinations(members, 2):
                distances.append(km(orgs[a], orgs[b]))
                pa, pb = percentile.get(a), percentile.get(b)
                if pa is not None and pb is not None:
                    gaps.append(abs(pa - pb))
            communities = {orgs[m].community for m in members if orgs[m].community}
            if communities:
                cross.append(len(communities) > 1)
            continue
        provider, school = members
        p_provider, p_school = percentile.get(provider), percentile.get(school)
        if match.distance_km is not None:
            distances.append(match.distance_km)
        if run.mode == "vertical":
            if p_provider is not None and p_school is not None:
                gaps.append(p_provider - p_school)
            if orgs[provider].community and orgs[school].community:
                cross.append(orgs[provider].community != orgs[school].community)
        elif p_school is not None:
            gaps.append(1 - p_school)
    assert summary["mean_distance_km"] == (
        pytest.approx(sum(distances) / len(distances), abs=1e-4) if distances else None
    )
    assert summary["mean_outcome_gap"] == (
        pytest.approx(100 * sum(gaps) / len(gaps), abs=0.01) if gaps else None
    )
    assert summary["cross_community_share"] == (
        pytest.approx(sum(cross) / len(cross), abs=1e-4) if cross else None
    )


def km(a: Organisation, b: Organisation) -> float:
    return float(
        great_circle_km(*(np.array([x]) for x in (a.latitude, a.longitude, b.latitude, b.longitude)))[0]
    )


@pytest.mark.parametrize(
    ("mode", "parameters"),
    [
        ("vertical", {}),
        ("clusters", CLUSTERS_FAST),
        ("organisations", {}),
        ("vertical", {"capacity": 1, "candidates": 2, "max_distance_km": 12}),
        ("vertical", {"cross_community_share": 0.8, "weight_cross_community": 0}),
        ("clusters", {**CLUSTERS_FAST, "min_group_size": 2, "max_group_size": 3, "competition_radius_km": 0}),
        ("organisations", {"capacity": 1, "online_allowed": False}),
    ],
)
def test_a_run_stores_exactly_the_engines_result(mw, mode, parameters):
    pair_rule(mw, "oak", "cedar", "tie", 0.5)
    pair_rule(mw, "university", "hazel", "tie", -1.0)
    run = run_now(mw, mode, **parameters)
    rows = stored(run)
    assert rows, "the run matched nothing"
    taking_part = {str(mw.pk(k)) for k in mw.outside}
    assert not taking_part & {org for _n, members, *_ in rows for org, _role in members}

    result, schools, left_out, rules, weights = engine_by_hand(mw, mode, parameters)
    inputs = snapshot_of(run)
    assert inputs.schools == schools  # gather_inputs read the registry as documented
    assert inputs.left_out == left_out
    assert (rows, unmatched_of(run)) == expected(result, schools, left_out, rules, weights)

    again = services.engine_run(inputs)  # the snapshot alone reproduces the run
    assert (rows, unmatched_of(run)) == expected(again, inputs.schools, inputs.left_out, rules, weights)
    assert_summary_matches_rows(run)


def test_vertical_run_enqueued_as_a_task(mw):
    run = services.run_create(actor=mw.admin, network=mw.network, mode="vertical", parameters={})
    outcome = tasks.execute_run.enqueue(run.pk)
    assert outcome.return_value == "finished"
    run.refresh_from_db()
    assert run.status == v.RunStatus.FINISHED and run.started_at and run.finished_at
    assert run.progress is not None and run.progress.status == ProgressStatus.DONE
    assert run.progress.done == run.progress.total == services.STAGES
    result, schools, left_out, rules, weights = engine_by_hand(mw, "vertical", {})
    assert (stored(run), unmatched_of(run)) == expected(result, schools, left_out, rules, weights)
    assert tasks.execute_run.enqueue(10**12).return_value == "missing"


def test_executing_a_run_twice_keeps_its_result(mw):
    """Background tasks may run twice; the second execution of a finished run must change nothing."""
    run = services.run_create(actor=mw.admin, network=mw.network, mode="vertical", parameters={})
    tasks.execute_run.enqueue(run.pk)
    run.refresh_from_db()
    first = (stored(run), unmatched_of(run), run.summary, run.finished_at)
    tasks.execute_run.enqueue(run.pk)
    run.refresh_from_db()
    assert (run.status, run.error) == (v.RunStatus.FINISHED, "")
    assert (stored(run), unmatched_of(run), run.summary, run.finished_at) == first


def test_a_finished_run_is_audited_with_counts_and_the_inputs_checksum(mw):
    """ARCHITECTURE.md: bulk operations (imports, matching runs) write one audit entry with counts and the
    input's checksum."""
    run = run_now(mw, "vertical")
    entries = AuditEntry.objects.filter(object_type="matching.matchingrun", object_id=str(run.pk))
    assert entries.filter(action="create").count() == 1
    (entry,) = entries.exclude(action="create")
    assert entry.counts.get("matches") == Match.objects.filter(run=run).count()
    assert entry.checksum


# --- who is left out, and why ------------------------------------------------------------------------


def reasons_by_key(mw: MatchingWorld, run: MatchingRun) -> dict[str, str]:
    return {mw.key_of(org): reason for org, reason in unmatched_of(run).items()}


def test_vertical_reasons(mw):
    choose(mw, "willow", "exclude")
    run = run_now(mw, "vertical")
    reasons = reasons_by_key(mw, run)
    assert reasons["holly"] == "no_coordinates"  # no coordinates, not online
    assert reasons["maple"] == "no_data"  # label none for want of data
    assert reasons["willow"] == "excluded"
    assert reasons["yew"] == "no_eligible_partner"  # 110 km from every leader and not online
    # Fir takes one partner and nobody else reaches spruce or larch.
    assert {reasons.get("spruce"), reasons.get("larch")} == {"partners_full", None}
    assert "linden" not in reasons  # labelled none for another reason: no part in vertical matching
    matched = {key for pair in pair_keys(mw, run) for key in pair}
    assert not matched & {"holly", "maple", "willow", "yew", "linden"}
    assert ("ash", "rowan") in pair_keys(mw, run) or ("oak", "rowan") in pair_keys(mw, run)
    online = Match.objects.get(run=run, members__organisation=mw.schools["rowan"])
    assert online.online and online.distance_km > 90
    assert_summary_matches_rows(run)
    assert run.summary["participants"] == 10  # 8 supported located or not, + maple + willow


def test_cluster_and_organisation_reasons(mw):
    choose(mw, "linden", "exclude")
    clusters = run_now(mw, "clusters", **CLUSTERS_FAST)
    reasons = reasons_by_key(mw, clusters)
    assert reasons["holly"] == "no_coordinates"
    assert reasons["linden"] == "excluded"
    # spruce and larch compete (same phase, 2 km), so fir, spruce and larch form no group
    assert {"rowan", "yew", "fir", "spruce", "larch"} <= {k for k, r in reasons.items() if r == "not_grouped"}
    assert_summary_matches_rows(clusters)
    assert clusters.summary["participants"] == len(mw.schools)  # every school of the network

    organisations = run_now(mw, "organisations")
    reasons = reasons_by_key(mw, organisations)
    assert reasons["holly"] == "no_coordinates"
    assert reasons["maple"] == "no_eligible_partner"  # nobody offers "social"
    assert reasons["yew"] == "no_eligible_partner"  # the museum is 110 km away and yew is not online
    assert "partners_full" in reasons.values()
    pairs = pair_keys(mw, organisations)
    assert ("library", "willow") in pairs  # the library has no coordinates: online with an online school
    assert not {"world_museum", "oak", "ash", "fir"} & {k for pair in pairs for k in pair}
    assert_summary_matches_rows(organisations)


# --- the administrator's choices and pair rules -------------------------------------------------------


def choose(mw: MatchingWorld, key: str, choice: str) -> SchoolChoiceRecord | None:
    return services.school_choice_set(
        actor=mw.admin, network=mw.network, organisation=mw.org(key), choice=choice
    )


def pair_rule(mw: MatchingWorld, a: str, b: str, kind: str, value: float = 1.0) -> PairRule:
    return services.pair_rule_set(
        actor=mw.admin, network=mw.network, a=mw.org(a), b=mw.org(b), kind=kind, value=value
    )


def roles_in(mw: MatchingWorld, run: MatchingRun) -> dict[str, tuple[str, int]]:
    return {mw.key_of(s.id): (s.role, s.capacity) for s in snapshot_of(run).schools}


def test_school_choices_change_roles(mw):
    before = roles_in(mw, run_now(mw, "vertical"))
    assert before["hazel"] == ("supported", 0) and before["oak"] == ("leader", 2)
    assert "linden" not in before and "maple" not in before

    choose(mw, "hazel", "leader")
    choose(mw, "maple", "supported")
    choose(mw, "linden", "leader")
    choose(mw, "oak", "supported")
    choose(mw, "birch", "exclude")
    run = run_now(mw, "vertical", capacity=3)
    after = roles_in(mw, run)
    assert after["hazel"] == ("leader", 3) and after["linden"] == ("leader", 3)
    assert after["maple"] == ("supported", 0) and after["oak"] == ("supported", 0)
    assert "birch" not in after
    reasons = reasons_by_key(mw, run)
    assert reasons["birch"] == "excluded" and reasons.get("maple") != "no_data"
    stored_roles = {
        (mw.key_of(org), role)
        for org, role in MatchMember.objects.filter(match__run=run).values_list("organisation", "role")
    }
    assert stored_roles <= {(k, "leader") for k, (r, _c) in after.items() if r == "leader"} | {
        (k, "supported") for k, (r, _c) in after.items() if r == "supported"
    }
    assert ("oak", "supported") in stored_roles or "oak" in reasons

    # a cleared choice gives the registry's role back
    assert choose(mw, "hazel", "") is None
    assert not SchoolChoiceRecord.objects.filter(organisation=mw.schools["hazel"]).exists()
    assert roles_in(mw, run_now(mw, "vertical"))["hazel"] == ("supported", 0)


def test_school_choice_checks(mw, world):
    with pytest.raises(ValidationError) as caught:
        choose(mw, "museum", "leader")
    assert "choice" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        choose(mw, "oak", "boss")
    assert "choice" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.school_choice_set(
            actor=mw.admin, network=mw.network, organisation=world.b.school, choice="exclude"
        )
    assert "organisation" in caught.value.message_dict

    choose(mw, "university", "exclude")  # an organisation may be left out
    run = run_now(mw, "organisations")
    assert "university" not in {k for pair in pair_keys(mw, run) for k in pair}
    assert str(mw.pk("university")) not in {o.id for o in snapshot_of(run).organisations}


def test_a_forbidden_pair_never_appears(mw):
    vertical, clusters = run_now(mw, "vertical"), run_now(mw, "clusters", **CLUSTERS_FAST)
    assert ("oak", "cedar") in pair_keys(mw, vertical)
    assert any({"oak", "birch"} <= set(group) for group in pair_keys(mw, clusters))

    pair_rule(mw, "cedar", "oak", "forbidden")
    pair_rule(mw, "birch", "oak", "forbidden")
    vertical, clusters = run_now(mw, "vertical"), run_now(mw, "clusters", **CLUSTERS_FAST)
    assert ("oak", "cedar") not in pair_keys(mw, vertical)
    assert not any({"oak", "birch"} <= set(group) for group in pair_keys(mw, clusters))
    forbidden = {frozenset(p) for p in snapshot_of(vertical).forbidden}
    assert frozenset((str(mw.pk("oak")), str(mw.pk("cedar")))) in forbidden
    for org_key in ("oak", "cedar"):
        found = services.school_candidates(vertical, mw.pk(org_key))
        assert {mw.key_of(c.partner_id) for c in found}.isdisjoint({"oak", "cedar"} - {org_key})


def test_an_earlier_tie_changes_the_earlier_ties_component(mw):
    def ash_birch(run: MatchingRun) -> Match:
        return next(
            m
            for m in Match.objects.filter(run=run)
            if [mw.key_of(o) for o, _ in members_of(m)] == ["ash", "birch"]
        )

    before = ash_birch(run_now(mw, "vertical"))
    assert Decimal(before.components["earlier_ties"]) == 0
    rule = pair_rule(mw, "birch", "ash", "tie", 0.5)
    assert rule.first_id < rule.second_id
    after = ash_birch(run_now(mw, "vertical", weight_earlier_ties=2))
    assert Decimal(after.components["earlier_ties"]) == Decimal("1")  # 0.5 × weight 2
    assert after.score == before.score + 1
    others = {k: Decimal(x) for k, x in after.components.items() if k != "earlier_ties"}
    assert others == {k: Decimal(x) for k, x in before.components.items() if k != "earlier_ties"}


def test_pair_rule_checks(mw, world):
    for a, b, kind, value, field in [
        ("oak", "oak", "tie", 1.0, "second"),
        ("oak", "birch", "friendship", 1.0, "kind"),
        ("oak", "birch", "tie", 1.5, "value"),
    ]:
        with pytest.raises(ValidationError) as caught:
            pair_rule(mw, a, b, kind, value)
        assert field in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.pair_rule_set(
            actor=mw.admin, network=mw.network, a=mw.schools["oak"], b=world.b.school, kind="tie"
        )
    assert "second" in caught.value.message_dict
    rule = pair_rule(mw, "oak", "birch", "tie", -0.5)
    assert pair_rule(mw, "birch", "oak", "forbidden").pk == rule.pk  # one row per pair
    services.pair_rule_delete(actor=mw.admin, rule=PairRule.objects.get(pk=rule.pk))
    assert not PairRule.objects.filter(network=mw.network).exists()


# --- parameters ---------------------------------------------------------------------------------------


def test_default_parameters_are_the_engines():
    cleaned = parameters_clean({})
    assert cleaned == defaults()
    rules, weights = engine_rules(cleaned)
    assert weights == ScoreWeights()
    engine = MatchingRules()
    for p in RULES:
        if hasattr(engine, p.name) and p.name != "time_limit_s":
            assert getattr(rules, p.name) == getattr(engine, p.name), p.name
    # the product's own: each leader's capacity, online allowed, no required share, a shorter time limit
    assert cleaned["capacity"] is None and cleaned["cross_community_share"] is None
    assert cleaned["online_allowed"] is True
    assert rules.time_limit_s == BY_NAME["time_limit_s"].default
    assert {p.name.removeprefix("weight_") for p in WEIGHTS} == set(ScoreWeights.__dataclass_fields__)


@pytest.mark.parametrize(
    ("values", "name"),
    [
        ({"max_distance_km": -1}, "max_distance_km"),
        ({"max_distance_km": ""}, "max_distance_km"),
        ({"candidates": 0}, "candidates"),
        ({"candidates": 2.5}, "candidates"),
        ({"capacity": True}, "capacity"),
        ({"weight_distance": "far"}, "weight_distance"),
        ({"weight_distance": float("nan")}, "weight_distance"),
        ({"weight_same_phase": 101}, "weight_same_phase"),
        ({"distance_scale_km": 0}, "distance_scale_km"),
        ({"online_allowed": "perhaps"}, "online_allowed"),
        ({"cross_community_share": 1.5}, "cross_community_share"),
        ({"time_limit_s": 0}, "time_limit_s"),
        ({"min_group_size": 5, "max_group_size": 3}, "max_group_size"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_parameters_name_the_parameter(mw, values, name):
    with pytest.raises(ValidationError) as caught:
        parameters_clean(values)
    assert list(caught.value.message_dict) == [name]
    with pytest.raises(ValidationError):
        services.run_create(actor=mw.admin, network=mw.network, mode="vertical", parameters=values)
    assert not MatchingRun.objects.exists()


def test_parameters_are_coerced_and_a_bad_mode_is_refused(mw):
    cleaned = parameters_clean(
        {"candidates": "7", "online_allowed": "off", "capacity": "", "weight_distance": "0"}
    )
    assert (cleaned["candidates"], cleaned["online_allowed"], cleaned["capacity"]) == (7, False, None)
    assert cleaned["weight_distance"] == 0
    with pytest.raises(ValidationError) as caught:
        services.run_create(actor=mw.admin, network=mw.network, mode="lottery", parameters={})
    assert "mode" in caught.value.message_dict


def matches_by_pair(mw: MatchingWorld, run: MatchingRun) -> dict[tuple[str, ...], Match]:
    return dict(zip(pair_keys(mw, run), Match.objects.filter(run=run).order_by("number"), strict=True))


def test_a_changed_weight_changes_the_stored_components(mw):
    baseline = matches_by_pair(mw, run_now(mw, "vertical"))
    changed_run = run_now(mw, "vertical", weight_distance=0, weight_same_phase=2.5)
    changed = matches_by_pair(mw, changed_run)
    for match in changed.values():
        parts = {k: Decimal(x) for k, x in match.components.items()}
        assert parts["distance"] == 0
        assert parts["same_phase"] in (0, Decimal("2.5"))
        assert sum(parts.values(), Decimal(0)) == match.score
    common = set(baseline) & set(changed)
    assert common
    for pair in common:
        old, new = baseline[pair].components, changed[pair].components
        assert Decimal(old["distance"]) > 0
        assert Decimal(new["same_phase"]) == Decimal("2.5") * Decimal(old["same_phase"])
        assert new["outcome_gap"] == old["outcome_gap"]
    assert changed_run.parameters["weight_distance"] == 0


def test_online_not_allowed_keeps_every_pair_within_the_radius(mw):
    run = run_now(mw, "vertical", online_allowed=False)
    assert all(
        not m.online and m.distance_km is not None and m.distance_km <= 30
        for m in Match.objects.filter(run=run)
    )
    assert reasons_by_key(mw, run)["rowan"] == "no_eligible_partner"
    result, schools, left_out, rules, weights = engine_by_hand(mw, "vertical", {"online_allowed": False})
    assert (stored(run), unmatched_of(run)) == expected(result, schools, left_out, rules, weights)


# --- candidates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "key"),
    [("vertical", "birch"), ("vertical", "oak"), ("clusters", "birch"), ("organisations", "university")],
)
def test_candidates_are_ranked_and_explained(mw, mode, key):
    run = run_now(mw, mode, **(CLUSTERS_FAST if mode == "clusters" else {}))
    found = services.school_candidates(run, mw.pk(key))
    assert len(found) >= 2
    assert [c.rank for c in found] == list(range(1, len(found) + 1))
    scores = [c.explanation.score for c in found]
    assert scores == sorted(scores, reverse=True)
    table = ranked_candidates(services.candidates_decode(run.candidates), str(mw.pk(key)))
    assert [(c.partner_of(str(mw.pk(key))), c.score) for c in table] == [
        (str(c.partner_id), c.explanation.score) for c in found
    ]
    for candidate in found:
        assert sum(candidate.explanation.components.values(), Decimal(0)) == candidate.explanation.score
    partners = set(
        MatchMember.objects.filter(match__run=run, match__members__organisation=mw.pk(key))
        .exclude(organisation=mw.pk(key))
        .values_list("organisation", flat=True)
    )
    assert partners, "the school was not matched"
    assert {c.partner_id for c in found if c.matched} == partners  # every partner is a candidate
    if mode != "clusters":  # a matched pair's explanation is the stored one
        for candidate in found:
            if candidate.matched:
                match = (
                    Match.objects.filter(run=run, members__organisation=mw.pk(key))
                    .filter(members__organisation=candidate.partner_id)
                    .get()
                )
                assert {
                    k: Decimal(x) for k, x in match.components.items()
                } == candidate.explanation.components
                assert match.score == candidate.explanation.score
    assert services.school_candidates(run, mw.pk(key), limit=1) == found[:1]


def test_a_candidate_whose_places_went_to_others_says_so(mw):
    run = run_now(mw, "vertical")
    reasons = reasons_by_key(mw, run)
    (left,) = [k for k in ("spruce", "larch") if reasons.get(k) == "partners_full"]
    (taken,) = {"spruce", "larch"} - {left}
    (fir,) = services.school_candidates(run, mw.pk(left))
    assert (mw.key_of(fir.partner_id), fir.matched, fir.partner_full) == ("fir", False, True)
    (fir,) = services.school_candidates(run, mw.pk(taken))
    assert (mw.key_of(fir.partner_id), fir.matched, fir.partner_full) == ("fir", True, True)
    # oak has room for two and took two; a leader with a place left is not full
    capacity = {mw.key_of(s.id): s.capacity for s in snapshot_of(run).schools}
    partners = Counter(keys[0] for keys in pair_keys(mw, run))
    for candidate in services.school_candidates(run, mw.pk("birch")):
        key = mw.key_of(candidate.partner_id)
        assert candidate.partner_full == (partners[key] >= capacity[key]), key
    # peers have no places to fill
    clusters = run_now(mw, "clusters", **CLUSTERS_FAST)
    assert not any(c.partner_full for c in services.school_candidates(clusters, mw.pk("birch")))


def test_candidates_of_a_school_outside_the_run_are_empty(mw):
    run = run_now(mw, "vertical")
    assert services.school_candidates(run, mw.pk("holly")) == []  # no coordinates, not online
    assert services.school_candidates(run, mw.pk("linden")) == []  # no role
    assert services.school_candidates(run, mw.pk("university")) == []  # not a school
    queued = services.run_create(actor=mw.admin, network=mw.network, mode="vertical", parameters={})
    assert services.school_candidates(queued, mw.pk("birch")) == []
    with pytest.raises(ValidationError):
        services.run_inputs(queued)


# --- accepting matches --------------------------------------------------------------------------------


def test_accepting_one_match_proposes_a_partnership(mw):
    run = run_now(mw, "vertical")
    match = Match.objects.get(run=run, number=1)
    member_orgs = [org for org, _role in members_of(match)]
    (accepted,) = services.matches_accept(actor=mw.admin, run=run, numbers=[1])
    assert accepted.pk == match.pk
    match.refresh_from_db()
    assert match.accepted_at is not None and match.accepted_by == mw.admin
    partnership = Partnership.objects.get(pk=match.partnership_id)
    assert partnership.network == mw.network and partnership.state == pv.State.PROPOSED
    assert partnership.model == pv.Model.HIGH_LOW_FEDERATION
    roles = dict(partnership.members.values_list("organisation", "role"))
    assert roles == {member_orgs[0]: pv.MemberRole.LEAD, member_orgs[1]: pv.MemberRole.SUPPORTED}
    text = match_explanation_text(match, list(match.members.select_related("organisation")))
    assert partnership.summary == text.strip()
    assert f"run {run.pk}, match 1" in partnership.summary
    # the school leaders of both members, and nobody else, hear of it
    notified = set(Notification.objects.filter(kind="match_proposed").values_list("user", flat=True))
    assert notified == {mw.leaders[mw.key_of(org)].pk for org in member_orgs}
    assert (
        Notification.objects.filter(kind="match_proposed", url__contains=f"/{partnership.pk}/").count() == 2
    )
    # the pair becomes an earlier tie, counted in the next run
    rule = PairRule.objects.get(network=mw.network)
    assert (rule.first_id, rule.second_id) == tuple(sorted(member_orgs))
    assert (rule.kind, rule.value, rule.from_match_id) == ("tie", 1.0, match.pk)
    later = run_now(mw, "vertical")
    again = [
        m
        for m in Match.objects.filter(run=later)
        if sorted(o for o, _ in members_of(m)) == sorted(member_orgs)
    ]
    assert again and Decimal(again[0].components["earlier_ties"]) > 0
    ranked = services.school_candidates(later, member_orgs[1])
    tie = next(c for c in ranked if c.partner_id == member_orgs[0])
    assert tie.explanation.components["earlier_ties"] == Decimal(1) and tie.matched

    with pytest.raises(ValidationError) as caught:
        services.matches_accept(actor=mw.admin, run=run, numbers=[1])
    assert "matches" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.matches_accept(actor=mw.admin, run=run, numbers=[10**6])
    assert "matches" in caught.value.message_dict
    assert Partnership.objects.filter(network=mw.network).count() == 1


def test_accepting_every_match(mw):
    run = run_now(mw, "vertical")
    services.matches_accept(actor=mw.admin, run=run, numbers=[2])
    accepted = services.matches_accept(actor=mw.admin, run=run)
    count = Match.objects.filter(run=run).count()
    assert len(accepted) == count - 1
    assert not Match.objects.filter(run=run, partnership__isnull=True).exists()
    assert Partnership.objects.filter(network=mw.network, state=pv.State.PROPOSED).count() == count
    for match in Match.objects.filter(run=run).select_related("partnership"):
        orgs = {org for org, _ in members_of(match)}
        assert set(match.partnership.members.values_list("organisation", flat=True)) == orgs
        assert match.partnership.summary.startswith("Proposed by partner matching")
        for org in orgs:
            assert Notification.objects.filter(
                user=mw.leaders[mw.key_of(org)],
                kind="match_proposed",
                url__contains=f"/{match.partnership_id}/",
            ).exists()
    assert PairRule.objects.filter(network=mw.network, kind="tie").count() == count
    with pytest.raises(ValidationError):
        services.matches_accept(actor=mw.admin, run=run)
    with pytest.raises(ValidationError):
        services.matches_accept(actor=mw.admin, run=run, numbers=[1])


@pytest.mark.parametrize("mode", ["clusters", "organisations"])
def test_accepting_groups_and_organisation_pairs(mw, mode):
    run = run_now(mw, mode, **(CLUSTERS_FAST if mode == "clusters" else {}))
    services.matches_accept(actor=mw.admin, run=run)
    for match in Match.objects.filter(run=run).select_related("partnership"):
        orgs = [org for org, _ in members_of(match)]
        partnership = match.partnership
        assert partnership.state == pv.State.PROPOSED
        roles = dict(partnership.members.values_list("organisation", "role"))
        assert set(roles) == set(orgs)
        if mode == "clusters":
            assert partnership.model == pv.Model.PEER_CLUSTER
            assert set(roles.values()) == {pv.MemberRole.PARTNER}
            assert PairRule.objects.filter(from_match=match).count() == len(orgs) * (len(orgs) - 1) // 2
        else:
            provider = Organisation.objects.get(pk=orgs[0])
            assert (
                roles[orgs[0]] == pv.MemberRole.EXTERNAL_PARTNER and roles[orgs[1]] == pv.MemberRole.PARTNER
            )
            expected_model = (
                pv.Model.SCHOOL_UNIVERSITY
                if provider.kind == OrganisationKind.UNIVERSITY
                else pv.Model.SCHOOL_COMMUNITY
            )
            assert partnership.model == expected_model
        assert (
            match_explanation_text(match, list(match.members.select_related("organisation")))
            == partnership.summary
        )


def test_only_a_finished_runs_matches_are_accepted(mw):
    queued = services.run_create(actor=mw.admin, network=mw.network, mode="vertical", parameters={})
    with pytest.raises(ValidationError):
        services.matches_accept(actor=mw.admin, run=queued)
    with pytest.raises(ValidationError):
        services.matches_accept(actor=mw.admin, run=queued, numbers=[1])
    assert not Partnership.objects.exists()


# --- failures -----------------------------------------------------------------------------------------


def test_an_engine_error_is_recorded_on_the_run(mw, monkeypatch):
    def refuse(inputs):
        raise MatchingInputError("school '42' has coordinates outside the globe")

    monkeypatch.setattr(services, "engine_run", refuse)
    run = services.run_create(actor=mw.admin, network=mw.network, mode="vertical", parameters={})
    services.run_execute(run)
    run.refresh_from_db()
    assert run.status == v.RunStatus.FAILED and run.finished_at is not None
    assert run.error == "school '42' has coordinates outside the globe"
    assert run.progress.status == ProgressStatus.FAILED and "outside the globe" in run.progress.message
    assert not Match.objects.filter(run=run).exists() and run.snapshot is None
    with pytest.raises(ValidationError):
        services.matches_accept(actor=mw.admin, run=run)


def test_bad_registry_data_fails_the_run_with_its_message(mw):
    Organisation.objects.filter(pk=mw.pk("birch")).update(latitude=95.0)
    run = services.run_create(actor=mw.admin, network=mw.network, mode="vertical", parameters={})
    tasks.execute_run.enqueue(run.pk)
    run.refresh_from_db()
    assert run.status == v.RunStatus.FAILED
    assert str(mw.pk("birch")) in run.error and "outside the globe" in run.error
    assert not Unmatched.objects.filter(run=run).exists()


def test_an_unexpected_error_fails_the_run_and_is_raised(mw, monkeypatch):
    def broken(network, mode, parameters):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "gather_inputs", broken)
    run = services.run_create(actor=mw.admin, network=mw.network, mode="clusters", parameters={})
    with pytest.raises(RuntimeError):
        services.run_execute(run)
    run.refresh_from_db()
    assert (run.status, run.error) == (v.RunStatus.FAILED, "RuntimeError: database went away")
    assert run.progress.status == ProgressStatus.FAILED


# --- access -------------------------------------------------------------------------------------------

READERS = {Role.ADMIN, Role.COORDINATOR}
MANAGERS = {Role.ADMIN}


@pytest.fixture
def runs(mw, world):
    run_a = run_now(mw, "vertical")
    run_b = services.run_create(
        actor=world.b.user(Role.ADMIN), network=world.b.network, mode="vertical", parameters={}
    )
    rule_a = pair_rule(mw, "oak", "birch", "forbidden")
    school_b = OrganisationFactory(network=world.b.network, kind=OrganisationKind.SCHOOL, name="B two")
    rule_b = services.pair_rule_set(
        actor=world.b.user(Role.ADMIN), network=world.b.network, a=world.b.school, b=school_b, kind="tie"
    )
    return run_a, run_b, rule_a, rule_b


def helpers(slug: str, run: MatchingRun, org_pk: int, rule: PairRule) -> dict[str, Any]:
    return {
        "matching": lambda user: access.matching_for_user(user, slug),
        "matching (manage)": lambda user: access.matching_for_user(user, slug, manage=True),
        "run list": lambda user: access.run_list_for_user(user, slug),
        "run": lambda user: access.run_get_for_user(user, slug, run.pk),
        "run (manage)": lambda user: access.run_get_for_user(user, slug, run.pk, manage=True),
        "match": lambda user: access.match_get_for_user(user, slug, run.pk, 1),
        "match (manage)": lambda user: access.match_get_for_user(user, slug, run.pk, 1, manage=True),
        "run school": lambda user: access.run_school_get_for_user(user, slug, run.pk, org_pk),
        "pair rule": lambda user: access.pair_rule_get_for_user(user, slug, rule.pk),
    }


MANAGING = {"matching (manage)", "run (manage)", "match (manage)", "pair rule"}


@pytest.mark.parametrize("role", Role.values)
def test_access_by_role(mw, world, runs, role):
    run_a, _run_b, rule_a, _rule_b = runs
    user = world.a.user(role)
    for name, helper in helpers("a", run_a, mw.pk("birch"), rule_a).items():
        if role in (MANAGERS if name in MANAGING else READERS):
            found = helper(user)
            membership = found[0] if isinstance(found, tuple) else found
            assert membership.network == mw.network and membership.role == role, name
        else:
            with pytest.raises(PermissionDenied):
                helper(user)
    # whatever the role, a member of network B finds nothing of network A
    outsider = world.b.user(role)
    for name, helper in helpers("a", run_a, mw.pk("birch"), rule_a).items():
        with pytest.raises(Http404):
            helper(outsider)
            pytest.fail(name)


def test_objects_of_another_network_are_not_found(mw, world, runs):
    run_a, run_b, rule_a, rule_b = runs
    admin_a = world.a.user(Role.ADMIN)
    for attempt in (
        lambda: access.run_get_for_user(admin_a, "a", run_b.pk),
        lambda: access.run_get_for_user(admin_a, "b", run_b.pk),
        lambda: access.match_get_for_user(admin_a, "a", run_b.pk, 1),
        lambda: access.match_get_for_user(admin_a, "a", run_a.pk, 10**6),
        lambda: access.run_school_get_for_user(admin_a, "a", run_a.pk, world.b.school.pk),
        lambda: access.run_school_get_for_user(admin_a, "a", run_b.pk, mw.pk("birch")),
        lambda: access.pair_rule_get_for_user(admin_a, "a", rule_b.pk),
        lambda: access.matching_for_user(admin_a, "b"),
    ):
        with pytest.raises(Http404):
            attempt()
    _membership, runs_seen = access.run_list_for_user(admin_a, "a")
    assert list(runs_seen) == [run_a]
    assert access.run_get_for_user(world.b.user(Role.ADMIN), "b", run_b.pk)[1] == run_b
    assert access.pair_rule_get_for_user(admin_a, "a", rule_a.pk)[1] == rule_a
    assert access.can_manage(access.matching_for_user(admin_a, "a"))
    assert not access.can_manage(access.matching_for_user(world.a.user(Role.COORDINATOR), "a"))
    # an administrator whose membership was deactivated is no longer in the network
    Membership.objects.filter(user=admin_a, network=world.a.network).update(is_active=False)
    with pytest.raises(Http404):
        access.run_get_for_user(admin_a, "a", run_a.pk, manage=True)


# --- the registry's outcome percentile ----------------------------------------------------------------


def test_the_classification_percentile_is_the_engines_on_the_latest_published_values(db):
    network = NetworkFactory()
    reading = Indicator.objects.create(network=network, code="reading", name="Reading", higher_is_better=True)
    absence = Indicator.objects.create(
        network=network, code="absence", name="Absence", higher_is_better=False
    )
    years = (2019, 2020, 2021, 2022, 2023)
    # value per year; "s" suppressed, ("small", x) published over a cohort of 5, None no row
    series: dict[str, tuple[str, Indicator, dict[int, Any]]] = {
        "p1": (Phase.PRIMARY, reading, {2019: 10.0, 2020: 90.0, 2021: 50.0, 2022: 60.0, 2023: 70.0}),
        "p2": (Phase.PRIMARY, reading, {2021: 60.0, 2022: 60.0, 2023: 60.0}),  # ties p1's latest mean
        "p3": (Phase.PRIMARY, reading, {2019: 99.0, 2020: 80.0, 2021: "s", 2022: ("small", 1.0), 2023: 20.0}),
        "p4": (Phase.PRIMARY, reading, {2019: 40.0, 2023: 41.5}),
        "p5": (Phase.PRIMARY, reading, {2022: "s", 2023: "s"}),  # nothing published: no percentile
        "s1": (Phase.SECONDARY, absence, {2021: 8.0, 2022: 6.0, 2023: 7.0}),
        "s2": (Phase.SECONDARY, absence, {2021: 4.0, 2022: 5.0, 2023: 4.5}),
        "s3": (Phase.SECONDARY, absence, {2019: 2.0, 2020: 12.0, 2021: 11.0, 2022: 10.0, 2023: 9.0}),
        "alone": (Phase.SPECIAL, absence, {}),
    }
    schools: dict[str, Organisation] = {}
    for key, (phase, indicator, values) in series.items():
        schools[key] = OrganisationFactory(network=network, name=key, phase=phase, strengths=["teaching"])
        for year in years:
            value = values.get(year)
            if value is None:
                continue
            small = isinstance(value, tuple)
            OutcomeValue.objects.create(
                organisation=schools[key],
                indicator=indicator,
                year=year,
                value=None if value == "s" else (value[1] if small else value),
                suppressed=value == "s",
                cohort=5 if small else 40,
            )
    registry_recompute(network=network)

    keys = list(series)
    means = []
    for key in keys:
        published = [x for _year, x in sorted(series[key][2].items(), reverse=True) if isinstance(x, float)][
            :3
        ]
        means.append(sum(published) / len(published) if published else None)
    assert means[:2] == [60.0, 60.0] and means[2] == (99.0 + 80.0 + 20.0) / 3
    percentiles = outcome_percentiles(
        [series[k][1].code for k in keys], means, [series[k][1].higher_is_better for k in keys]
    )
    stored_percentiles = dict(
        Classification.objects.filter(network=network).values_list("organisation", "percentile")
    )
    assert {k: stored_percentiles.get(schools[k].pk) for k in keys} == dict(
        zip(keys, percentiles, strict=True)
    )
    assert stored_percentiles[schools["s2"].pk] == 1.0 and stored_percentiles[schools["s3"].pk] == 0.0
    assert stored_percentiles[schools["p5"].pk] is None and stored_percentiles[schools["alone"].pk] is None


def test_excluding_a_school_that_would_take_no_part_lists_nothing(mw):
    choose(mw, "linden", "exclude")  # classified neither leader nor needing support, with data
    choose(mw, "maple", "exclude")  # without data: excluded by hand, not reported for want of data
    choose(mw, "birch", "exclude")  # needs support: it would take part
    vertical = unmatched_of(run_now(mw, "vertical"))
    assert vertical.get(mw.pk("birch")) == "excluded"
    assert mw.pk("linden") not in vertical and mw.pk("maple") not in vertical
    choose(mw, "oak", "exclude")  # a school without needs takes no part in organisation matching
    organisations = unmatched_of(run_now(mw, "organisations"))
    assert mw.pk("oak") not in organisations and organisations.get(mw.pk("birch")) == "excluded"
