"""The engine's inputs for a run, read from the registry, and their compressed snapshot.

Schools enter as :class:`~interschool.algorithms.matching.scoring.School` with their organisation's
primary key as id. Roles come from the registry's classification (leader school → ``leader``, needs
support → ``supported``) unless the administrator chose otherwise; the outcome percentile is the
classification's. Schools left out before matching are returned with their reason.
"""

from __future__ import annotations

import dataclasses
import json
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import TextField
from django.db.models.functions import Cast

from interschool.algorithms.matching.scoring import MatchingRules, Organisation, School, ScoreWeights
from interschool.core.models import Network, OrganisationKind, OrganisationStatus
from interschool.core.models import Organisation as OrganisationRow
from interschool.matching import vocabularies as v
from interschool.matching.models import PairRule, SchoolChoiceRecord
from interschool.matching.parameters import DEFAULT_CAPACITY, engine_rules
from interschool.registry.models import ClassificationLabel

ORGANISATION_KINDS: dict[str, str] = {
    OrganisationKind.UNIVERSITY: "university",
    OrganisationKind.COLLEGE: "college",
    OrganisationKind.MUSEUM: "museum",
    OrganisationKind.LIBRARY: "library",
    OrganisationKind.BUSINESS: "business",
    OrganisationKind.NGO: "ngo",
}
NO_DATA_CODES = frozenset({"no_indicator", "not_enough_data"})
ROLE_OF_LABEL: dict[str | None, str] = {
    ClassificationLabel.LEADER: "leader",
    ClassificationLabel.NEEDS_SUPPORT: "supported",
}
SNAPSHOT_VERSION = 1


@dataclass
class Inputs:
    mode: str
    parameters: dict[str, Any]
    schools: list[School]
    organisations: list[Organisation] = field(default_factory=list)
    left_out: dict[str, str] = field(default_factory=dict)  # school id → reason (vocabularies.Reason)
    forbidden: list[tuple[str, str]] = field(default_factory=list)
    ties: list[tuple[str, str, float]] = field(default_factory=list)

    def rules_and_weights(self) -> tuple[MatchingRules, ScoreWeights]:
        return engine_rules(
            self.parameters,
            forbidden=frozenset(frozenset(p) for p in self.forbidden),
            ties={frozenset((a, b)): value for a, b, value in self.ties},
            cross_community=self.mode == v.RunMode.VERTICAL,
        )


class _Decoded(dict[Any, Any]):
    """JSON text → ``convert(value)``, each distinct text decoded once."""

    def __init__(self, convert: Callable[[Any], Any]) -> None:
        super().__init__()
        self.convert = convert

    def __missing__(self, text: str | None) -> Any:
        value = self[text] = self.convert(None if text is None else json.loads(text))
        return value


def _own(capacity: int | None) -> int:
    return DEFAULT_CAPACITY if capacity is None else capacity


def gather_inputs(network: Network, mode: str, parameters: Mapping[str, Any]) -> Inputs:
    """Read the network's open schools (and organisations) for a run in ``mode``."""
    choices = dict(
        SchoolChoiceRecord.objects.filter(network=network).values_list("organisation_id", "choice")
    )
    online_allowed = bool(parameters["online_allowed"])
    capacity = parameters["capacity"]
    open_schools = OrganisationRow.objects.filter(network=network, kind=OrganisationKind.SCHOOL).exclude(
        status=OrganisationStatus.CLOSED
    )
    domains = _Decoded(lambda value: frozenset(value or ()))
    no_data = _Decoded(lambda value: bool({r.get("code") for r in value or []} & NO_DATA_CODES))
    left_out: dict[str, str] = {}
    rows = (
        open_schools.order_by("pk")
        # JSON read as text and decoded once per distinct value: the same few values repeat a lot.
        .annotate(
            strengths_text=Cast("strengths", TextField()),
            needs_text=Cast("needs", TextField()),
            reasons_text=Cast("classification__reasons", TextField()),
        )
        .values_list(
            "pk",
            "latitude",
            "longitude",
            "phase",
            "community",
            "district",
            "urban_rural",
            "enrolment",
            "ses_index",
            "accepts_online",
            "partner_capacity",
            "strengths_text",
            "needs_text",
            "classification__label",
            "classification__percentile",
            "reasons_text",
        )
    )
    schools: list[School] = []
    for (
        pk,
        lat,
        lon,
        phase,
        community,
        district,
        setting,
        enrolment,
        ses,
        online,
        own_capacity,
        strengths,
        needs,
        label,
        percentile,
        reasons,
    ) in rows.iterator(chunk_size=5000):
        sid = str(pk)
        choice = choices.get(pk)
        role = "none"
        if mode == v.RunMode.VERTICAL:
            chosen = choice in (v.SchoolChoice.LEADER, v.SchoolChoice.SUPPORTED)
            role = str(choice) if chosen else ROLE_OF_LABEL.get(label, "none")
            if role == "none":  # takes no part; listed when it lacks data, unless excluded by hand
                if choice != v.SchoolChoice.EXCLUDE and (label is None or no_data[reasons]):
                    left_out[sid] = v.Reason.NO_DATA
                continue
        elif mode == v.RunMode.ORGANISATIONS and not domains[needs]:
            continue  # a school without needs takes no part, excluded or not
        if choice == v.SchoolChoice.EXCLUDE:
            left_out[sid] = v.Reason.EXCLUDED
            continue
        leader_capacity = 0
        if role == "leader":
            leader_capacity = capacity if capacity is not None else _own(own_capacity)
        schools.append(
            School(
                id=sid,
                latitude=lat if lon is not None else None,
                longitude=lon if lat is not None else None,
                phase=phase or "",
                community=community or "",
                district=district or "",
                urban_rural=setting or "",
                enrolment=enrolment,
                ses_index=ses,
                accepts_online=bool(online) and online_allowed,
                role=role,
                capacity=leader_capacity,
                strengths=domains[strengths],
                needs=domains[needs],
                performance=percentile,
            )
        )
    organisations: list[Organisation] = []
    if mode == v.RunMode.ORGANISATIONS:
        for pk, kind, own_capacity, offers, lat, lon in (
            OrganisationRow.objects.filter(network=network, kind__in=list(ORGANISATION_KINDS))
            .exclude(status=OrganisationStatus.CLOSED)
            .order_by("pk")
            .values_list("pk", "kind", "partner_capacity", "offers", "latitude", "longitude")
        ):
            if not offers or choices.get(pk) == v.SchoolChoice.EXCLUDE:
                continue
            organisations.append(
                Organisation(
                    id=str(pk),
                    kind=ORGANISATION_KINDS[kind],
                    capacity=_own(own_capacity),
                    offers=frozenset(offers),
                    latitude=lat if lon is not None else None,
                    longitude=lon if lat is not None else None,
                )
            )
    known = {s.id for s in schools} | {o.id for o in organisations}
    forbidden, ties = [], []
    for first, second, kind, value in PairRule.objects.filter(network=network).values_list(
        "first_id", "second_id", "kind", "value"
    ):
        a, b = str(first), str(second)
        if a in known and b in known:
            if kind == v.PairKind.FORBIDDEN:
                forbidden.append((a, b))
            else:
                ties.append((a, b, value))
    return Inputs(
        mode=mode,
        parameters=dict(parameters),
        schools=schools,
        organisations=organisations,
        left_out=left_out,
        forbidden=forbidden,
        ties=ties,
    )


# --- the snapshot ------------------------------------------------------------------------------------


SCHOOL_FIELDS = tuple(f.name for f in dataclasses.fields(School))
DOMAIN_FIELDS = ("strengths", "needs")  # frozensets, written as sorted lists


def _school_row(s: School) -> list[Any]:
    return [sorted(getattr(s, name)) if name in DOMAIN_FIELDS else getattr(s, name) for name in SCHOOL_FIELDS]


def _school_of(row: list[Any]) -> School:
    values: dict[str, Any] = dict(zip(SCHOOL_FIELDS, row, strict=True))
    for name in DOMAIN_FIELDS:
        values[name] = frozenset(values[name])
    return School(**values)


def snapshot_encode(inputs: Inputs) -> bytes:
    data = {
        "version": SNAPSHOT_VERSION,
        "mode": inputs.mode,
        "parameters": inputs.parameters,
        "schools": [_school_row(s) for s in inputs.schools],
        "organisations": [
            [o.id, o.kind, o.capacity, sorted(o.offers), o.latitude, o.longitude]
            for o in inputs.organisations
        ],
        "left_out": inputs.left_out,
        "forbidden": inputs.forbidden,
        "ties": inputs.ties,
    }
    return zlib.compress(json.dumps(data, separators=(",", ":")).encode(), 1)


def snapshot_decode(blob: bytes | memoryview) -> Inputs:
    data = json.loads(zlib.decompress(bytes(blob)))
    schools = [_school_of(row) for row in data["schools"]]
    organisations = [
        Organisation(id, kind, capacity, frozenset(offers), lat, lon)
        for id, kind, capacity, offers, lat, lon in data["organisations"]
    ]
    return Inputs(
        mode=data["mode"],
        parameters=data["parameters"],
        schools=schools,
        organisations=organisations,
        left_out=data["left_out"],
        forbidden=[tuple(p) for p in data["forbidden"]],
        ties=[(a, b, value) for a, b, value in data["ties"]],
    )
