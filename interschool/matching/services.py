"""Matching runs: create, execute (in a background task), explain, accept into partnership proposals;
and the administrator's school choices and pair rules that every later run respects."""

from __future__ import annotations

import io
import itertools
import time
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from interschool.algorithms.matching.exact import MatchingInputError
from interschool.algorithms.matching.explain import (
    CandidateTable,
    PairExplanation,
    candidate_table,
    explain_pairs,
    ranked_candidates,
)
from interschool.algorithms.matching.peers import PeerClusterResult
from interschool.algorithms.matching.vertical import MatchResult
from interschool.core.models import Network, Organisation, OrganisationKind, User
from interschool.core.services.audit import Actor, audit_created, audit_record, file_checksum
from interschool.core.services.notifications import notify
from interschool.core.services.progress import progress_finish, progress_start, progress_update
from interschool.matching import vocabularies as v
from interschool.matching.inputs import Inputs, gather_inputs, snapshot_decode, snapshot_encode
from interschool.matching.metrics import MatchedSet, summarise
from interschool.matching.models import (
    Match,
    MatchingRun,
    MatchMember,
    PairRule,
    SchoolChoiceRecord,
    Unmatched,
)
from interschool.matching.notification_kinds import MATCH_PROPOSED
from interschool.matching.parameters import parameters_clean
from interschool.partnerships import vocabularies as pv
from interschool.partnerships.services.partnerships import (
    MemberSpec,
    Proposal,
    leaders_of,
    partnership_propose,
)
from interschool.registry.services.bulk import bulk_insert, bulk_insert_returning

STAGES = 3  # reading the registry, matching, storing


@transaction.atomic
def run_create(
    *, actor: Actor, network: Network, mode: str, parameters: Mapping[str, Any], note: str = ""
) -> MatchingRun:
    """Queue a run; the caller enqueues :func:`interschool.matching.tasks.execute_run` after commit."""
    if mode not in v.RunMode.values:
        raise ValidationError(
            {"mode": _("Unknown mode. Use %(modes)s.") % {"modes": ", ".join(v.RunMode.values)}}
        )
    cleaned = parameters_clean(parameters)
    user = actor if isinstance(actor, User) else None
    run = MatchingRun.objects.create(
        network=network,
        mode=mode,
        parameters=cleaned,
        note=note.strip()[:200],
        created_by=user,
        progress=progress_start(kind="matching", network=network, user=user, total=STAGES),
    )
    audit_created(actor=actor, network=network, obj=run, fields=("mode", "parameters", "note"))
    return run


def run_execute(run: MatchingRun) -> MatchingRun:
    """Read the registry, match, and store the result; a failure is recorded on the run, not raised."""
    started = time.perf_counter()
    claimed = MatchingRun.objects.filter(pk=run.pk, status=v.RunStatus.QUEUED).update(
        status=v.RunStatus.RUNNING, started_at=timezone.now()
    )
    if not claimed:  # already running or done (a task delivered twice): leave it as it is
        run.refresh_from_db()
        return run
    progress_id = run.progress_id
    try:
        if progress_id:
            progress_update(progress_id, done=0, message=str(_("Reading the registry")))
        inputs = gather_inputs(run.network, run.mode, run.parameters)
        if progress_id:
            progress_update(progress_id, done=1, message=str(_("Matching")))
        engine_started = time.perf_counter()
        result = engine_run(inputs)
        engine_seconds = time.perf_counter() - engine_started
        if progress_id:
            progress_update(progress_id, done=2, message=str(_("Storing the result")))
        with transaction.atomic():
            summary = _store(run, inputs, result)
            summary["engine_seconds"] = round(engine_seconds, 3)
            summary["seconds"] = round(time.perf_counter() - started, 3)
            run.summary = summary
            run.status = v.RunStatus.FINISHED
            run.finished_at = timezone.now()
            run.save(
                update_fields=["summary", "status", "finished_at", "snapshot", "candidates", "updated_at"]
            )
            audit_record(
                actor=run.created_by or "worker",
                network=run.network,
                action="run",
                obj=run,
                counts={
                    "matches": summary["matches"],
                    "matched": summary["matched"],
                    "unmatched": sum(summary["unmatched"].values()),
                },
                checksum=file_checksum(bytes(run.snapshot or b"")),
            )
        if progress_id:
            progress_update(progress_id, done=STAGES)
            progress_finish(progress_id, message=str(_("Finished")))
    except (MatchingInputError, ValidationError) as error:
        _fail(run, str(error))
    except Exception as error:  # a run must never stay "running"; the error is kept for the administrator
        _fail(run, f"{type(error).__name__}: {error}")
        raise
    return run


def _fail(run: MatchingRun, message: str) -> None:
    MatchingRun.objects.filter(pk=run.pk).update(
        status=v.RunStatus.FAILED, error=message, finished_at=timezone.now()
    )
    run.status, run.error = v.RunStatus.FAILED, message
    if run.progress_id:
        progress_finish(run.progress_id, message=message, failed=True)


def engine_run(inputs: Inputs) -> MatchResult | PeerClusterResult:
    """The engine on ``inputs``, exactly as a run calls it."""
    from interschool.algorithms.matching.peers import form_peer_clusters
    from interschool.algorithms.matching.vertical import match_organisations, match_vertical

    rules, weights = inputs.rules_and_weights()
    if inputs.mode == v.RunMode.VERTICAL:
        return match_vertical(inputs.schools, rules, weights)
    if inputs.mode == v.RunMode.ORGANISATIONS:
        return match_organisations(inputs.organisations, inputs.schools, rules, weights)
    return form_peer_clusters(inputs.schools, rules, weights)


def _decimal_text(value: Decimal) -> str:
    return f"{value:f}"


def _store(run: MatchingRun, inputs: Inputs, result: MatchResult | PeerClusterResult) -> dict[str, Any]:
    unmatched: dict[str, str] = dict(inputs.left_out)
    matched_sets: list[MatchedSet] = []
    match_rows: list[tuple[Any, ...]] = []
    member_rows: list[list[tuple[int, str]]] = []
    if isinstance(result, PeerClusterResult):
        rules, weights = inputs.rules_and_weights()
        groups = result.solution.groups
        inner = [pair for g in groups for pair in itertools.combinations(g.members, 2)]
        explained = iter(explain_pairs(v.RunMode.CLUSTERS, inputs.schools, inner, rules, weights))
        for number, group in enumerate(groups, start=1):
            pairs = [next(explained) for _ in itertools.combinations(group.members, 2)]
            totals = {
                name: sum((p.components[name] for p in pairs), Decimal(0)) for name in pairs[0].components
            }
            distances = [p.distance_km for p in pairs]
            known = [d for d in distances if d is not None]
            match_rows.append(
                (
                    run.pk,
                    number,
                    group.score,
                    max(known) if known else None,
                    False,
                    {k: _decimal_text(x) for k, x in totals.items()},
                )
            )
            member_rows.append([(int(m), v.MemberRole.PEER) for m in group.members])
            matched_sets.append(MatchedSet(group.members, float(group.score), distances))
        for school in result.solution.ungrouped:
            unmatched[school] = v.Reason.NOT_GROUPED
        for school in result.excluded:
            unmatched[school] = v.Reason.NO_COORDINATES
    else:
        provider_role, school_role = (
            (v.MemberRole.LEADER, v.MemberRole.SUPPORTED)
            if result.mode == "vertical"
            else (v.MemberRole.ORGANISATION, v.MemberRole.SCHOOL)
        )
        for number, pair in enumerate(result.pairs, start=1):
            match_rows.append(
                (
                    run.pk,
                    number,
                    pair.score,
                    pair.distance_km,
                    pair.online,
                    {k: _decimal_text(x) for k, x in pair.components.items()},
                )
            )
            member_rows.append([(int(pair.provider_id), provider_role), (int(pair.school_id), school_role)])
            matched_sets.append(
                MatchedSet((pair.provider_id, pair.school_id), float(pair.score), [pair.distance_km])
            )
        unmatched.update(result.unmatched)
    ids = bulk_insert_returning(
        Match, ("run", "number", "score", "distance_km", "online", "components"), match_rows
    )
    bulk_insert(
        MatchMember,
        ("match", "organisation", "role"),
        (
            (match_id, org, role)
            for match_id, members in zip(ids, member_rows, strict=True)
            for org, role in members
        ),
    )
    bulk_insert(
        Unmatched, ("run", "organisation", "reason"), ((run.pk, int(s), r) for s, r in unmatched.items())
    )
    run.snapshot = snapshot_encode(inputs)
    run.candidates = candidates_encode(candidate_table(result))
    summary = summarise(run.mode, inputs.schools, matched_sets, unmatched)
    if isinstance(result, PeerClusterResult):
        solution = result.solution
        summary.update(
            solver_status=solution.status,
            objective=float(solution.objective),
            bound=float(solution.bound),
            gap=round(solution.gap, 6),
            split=solution.split,
            candidate_pairs=result.edges,
            truncated=len(result.truncated),
        )
    else:
        summary.update(
            solver_status=result.status,
            candidate_pairs=result.candidate_pairs,
            truncated=len(result.truncated),
        )
    return summary


# --- candidates and explanations ----------------------------------------------------------------------


def candidates_encode(table: CandidateTable) -> bytes:
    """The candidate pairs as a ``.npz`` archive, lightly compressed (most of a run's storing time
    went to heavier compression)."""
    arrays = {
        "ids": np.array(table.ids, dtype=np.int64),
        "provider": table.provider.astype(np.int32),
        "receiver": table.receiver.astype(np.int32),
        "units": table.units,
        "symmetric": np.array([table.symmetric]),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as handle:
                np.lib.format.write_array(handle, np.asanyarray(array), allow_pickle=False)
    return buffer.getvalue()


def candidates_decode(blob: bytes | memoryview) -> CandidateTable:
    with np.load(io.BytesIO(bytes(blob))) as data:
        return CandidateTable(
            ids=tuple(str(i) for i in data["ids"].tolist()),
            provider=data["provider"].astype(np.int64),
            receiver=data["receiver"].astype(np.int64),
            units=data["units"],
            symmetric=bool(data["symmetric"][0]),
        )


@dataclass(frozen=True)
class RankedCandidate:
    rank: int
    partner_id: int
    explanation: PairExplanation
    matched: bool  # the run chose this pair (or put both in one group)
    partner_full: bool  # the partner is a leader or organisation whose every place went to others


def run_inputs(run: MatchingRun) -> Inputs:
    if run.snapshot is None:
        raise ValidationError(_("This run has no result yet."))
    return snapshot_decode(run.snapshot)


def school_candidates(run: MatchingRun, organisation_id: int, limit: int = 20) -> list[RankedCandidate]:
    """The school's candidates in ``run``, best first, each explained component by component."""
    if run.candidates is None:
        return []
    table = candidates_decode(run.candidates)
    sid = str(organisation_id)
    found = ranked_candidates(table, sid, limit)
    if not found:
        return []
    inputs = run_inputs(run)
    rules, weights = inputs.rules_and_weights()
    explained = explain_pairs(
        run.mode,
        inputs.schools,
        [(c.provider_id, c.school_id) for c in found],
        rules,
        weights,
        inputs.organisations,
    )
    partners = matched_partners(run, organisation_id)
    capacity = {s.id: s.capacity for s in inputs.schools} | {o.id: o.capacity for o in inputs.organisations}
    providers = {c.provider_id for c in found if c.provider_id != sid} if not table.symmetric else set()
    taken = dict(
        MatchMember.objects.filter(match__run=run, organisation_id__in=[int(p) for p in providers])
        .values("organisation_id")
        .annotate(n=Count("pk"))
        .values_list("organisation_id", "n")
    )
    return [
        RankedCandidate(
            rank=n,
            partner_id=int(c.partner_of(sid)),
            explanation=e,
            matched=int(c.partner_of(sid)) in partners,
            partner_full=c.provider_id in providers
            and taken.get(int(c.provider_id), 0) >= capacity.get(c.provider_id, 0),
        )
        for n, (c, e) in enumerate(zip(found, explained, strict=True), start=1)
    ]


def matched_partners(run: MatchingRun, organisation_id: int) -> set[int]:
    matches = MatchMember.objects.filter(match__run=run, organisation_id=organisation_id).values("match")
    return set(
        MatchMember.objects.filter(match__in=matches)
        .exclude(organisation_id=organisation_id)
        .values_list("organisation_id", flat=True)
    )


# --- accepting ----------------------------------------------------------------------------------------


def _proposal_for(match: Match, members: Sequence[MatchMember], explanation: str) -> Proposal:
    run = match.run
    orgs = [m.organisation for m in members]
    if run.mode == v.RunMode.VERTICAL:
        specs = [
            MemberSpec(
                m.organisation,
                pv.MemberRole.LEAD if m.role == v.MemberRole.LEADER else pv.MemberRole.SUPPORTED,
                pv.ActorRole.EXECUTOR,
            )
            for m in members
        ]
        model, motives = pv.Model.HIGH_LOW_FEDERATION, [str(pv.Motive.TEACHING_QUALITY)]
    elif run.mode == v.RunMode.ORGANISATIONS:
        specs = [
            MemberSpec(
                m.organisation,
                pv.MemberRole.PARTNER
                if m.organisation.kind == OrganisationKind.SCHOOL
                else pv.MemberRole.EXTERNAL_PARTNER,
                pv.ActorRole.EXECUTOR,
            )
            for m in members
        ]
        university = any(o.kind in (OrganisationKind.UNIVERSITY, OrganisationKind.COLLEGE) for o in orgs)
        model = pv.Model.SCHOOL_UNIVERSITY if university else pv.Model.SCHOOL_COMMUNITY
        motives = [str(pv.Motive.STUDENTS)]
    else:
        specs = [MemberSpec(m.organisation, pv.MemberRole.PARTNER, pv.ActorRole.EXECUTOR) for m in members]
        model, motives = pv.Model.PEER_CLUSTER, [str(pv.Motive.TEACHING_QUALITY)]
    name = " – ".join(o.name for o in orgs)
    if len(name) > 200:
        name = name[:199] + "…"
    return Proposal(
        name=name,
        members=specs,
        model=model,
        motives=motives,
        lead_body=pv.LeadBody.LOCAL_AUTHORITY,
        initiative=pv.Initiative.VOLUNTARY,
        duration=pv.Duration.ONGOING,
        geography=pv.Geography.SAME_LOCALITY if not match.online else pv.Geography.CROSS_CUTTING,
        mode=pv.Mode.ONLINE if match.online else pv.Mode.FACE_TO_FACE,
        summary=explanation,
    )


@transaction.atomic
def matches_accept(*, actor: Actor, run: MatchingRun, numbers: Iterable[int] | None = None) -> list[Match]:
    """Accept matches of a finished run (``numbers``; None: every match not yet accepted).

    Each becomes a partnership proposal with the match's explanation; its schools' leaders are
    notified; its pairs become earlier ties for later runs. Accepting an accepted match is an error.
    """
    from interschool.matching.wording import match_explanation_text

    if run.status != v.RunStatus.FINISHED:
        raise ValidationError(_("Only a finished run's matches can be accepted."))
    # Locked, so that two administrators accepting at once cannot both turn a match into a proposal.
    query = Match.objects.select_for_update().filter(run=run).select_related("run", "run__network")
    if numbers is None:
        matches = list(query.filter(partnership__isnull=True, accepted_at__isnull=True))
    else:
        wanted = sorted(set(numbers))
        matches = list(query.filter(number__in=wanted))
        missing = sorted(set(wanted) - {m.number for m in matches})
        if missing:
            raise ValidationError({"matches": _("No match numbered %(n)s in this run.") % {"n": missing[0]}})
        done = [m.number for m in matches if m.accepted_at is not None]
        if done:
            raise ValidationError({"matches": _("Match %(n)s is already accepted.") % {"n": done[0]}})
    if not matches:
        raise ValidationError({"matches": _("Every match of this run is already accepted.")})
    members_of: dict[int, list[MatchMember]] = {}
    for member in (
        MatchMember.objects.filter(match__in=matches).select_related("organisation").order_by("match", "pk")
    ):
        members_of.setdefault(member.match_id, []).append(member)
    network = run.network
    now = timezone.now()
    user = actor if isinstance(actor, User) else None
    for match in matches:
        members = members_of[match.pk]
        partnership = partnership_propose(
            actor=actor,
            network=network,
            proposal=_proposal_for(match, members, match_explanation_text(match, members)),
        )
        match.partnership, match.accepted_at, match.accepted_by = partnership, now, user
        match.save(update_fields=["partnership", "accepted_at", "accepted_by"])
        for a, b in itertools.combinations(sorted(m.organisation_id for m in members), 2):
            PairRule.objects.update_or_create(
                network=network,
                first_id=a,
                second_id=b,
                defaults={"kind": v.PairKind.TIE, "value": 1.0, "from_match": match},
            )
        audit_record(
            actor=actor,
            network=network,
            action="accept",
            obj=match,
            changes={"partnership": [None, partnership.pk]},
        )
        url = reverse("partnership_detail", args=[network.slug, partnership.pk])
        notified: set[int] = set()
        for member in members:
            for leader in leaders_of(member.organisation):
                if leader.pk in notified:
                    continue
                notified.add(leader.pk)
                notify(
                    user=leader,
                    kind=MATCH_PROPOSED.code,
                    title=_proposed_title(partnership.name),
                    body=PROPOSED_BODY,
                    url=url,
                    network=network,
                )
    return matches


PROPOSED_BODY = _("Open the proposal to read why these partners were matched, and give your consent.")


def _proposed_title(name: str) -> Callable[[], str]:
    return lambda: gettext("Partner matching proposed a partnership: %(name)s") % {"name": name}


# --- choices and pair rules ---------------------------------------------------------------------------


@transaction.atomic
def school_choice_set(
    *, actor: Actor, network: Network, organisation: Organisation, choice: str
) -> SchoolChoiceRecord | None:
    """Set (or, with an empty ``choice``, clear) the administrator's choice for one organisation."""
    if organisation.network_id != network.pk:
        raise ValidationError({"organisation": _("The organisation is not in this network.")})
    existing = SchoolChoiceRecord.objects.filter(network=network, organisation=organisation).first()
    before = existing.choice if existing else ""
    if not choice:
        if existing:
            existing.delete()
            audit_record(
                actor=actor,
                network=network,
                action="update",
                obj=organisation,
                object_type="matching.schoolchoice",
                changes={"choice": [before, ""]},
            )
        return None
    if choice not in v.SchoolChoice.values:
        raise ValidationError({"choice": _("Unknown choice.")})
    if organisation.kind != OrganisationKind.SCHOOL and choice != v.SchoolChoice.EXCLUDE:
        raise ValidationError({"choice": _("Only schools are leaders or supported schools.")})
    record, _created = SchoolChoiceRecord.objects.update_or_create(
        network=network, organisation=organisation, defaults={"choice": choice}
    )
    audit_record(
        actor=actor,
        network=network,
        action="update",
        obj=organisation,
        object_type="matching.schoolchoice",
        changes={"choice": [before, choice]},
    )
    return record


@transaction.atomic
def pair_rule_set(
    *,
    actor: Actor,
    network: Network,
    a: Organisation,
    b: Organisation,
    kind: str,
    value: float = 1.0,
    note: str = "",
) -> PairRule:
    if a.pk == b.pk:
        raise ValidationError({"second": _("A pair needs two different organisations.")})
    for field, org in (("first", a), ("second", b)):
        if org.network_id != network.pk:
            raise ValidationError({field: _("The organisation is not in this network.")})
    if kind not in v.PairKind.values:
        raise ValidationError({"kind": _("Unknown kind.")})
    if kind == v.PairKind.TIE and not -1 <= value <= 1:
        raise ValidationError({"value": _("An earlier tie's value is from −1 (bad) to 1 (good).")})
    first, second = sorted((a, b), key=lambda o: o.pk)
    rule, created = PairRule.objects.update_or_create(
        network=network,
        first=first,
        second=second,
        defaults={
            "kind": kind,
            "value": value if kind == v.PairKind.TIE else 1.0,
            "note": note.strip()[:200],
        },
    )
    audit_record(
        actor=actor,
        network=network,
        action="create" if created else "update",
        obj=rule,
        changes={"kind": [None, kind], "value": [None, rule.value]},
    )
    return rule


@transaction.atomic
def pair_rule_delete(*, actor: Actor, rule: PairRule) -> None:
    audit_record(
        actor=actor, network=rule.network, action="delete", obj=rule, changes={"kind": [rule.kind, None]}
    )
    rule.delete()
