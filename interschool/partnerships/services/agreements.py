"""The agreement document: a frozen version's content rendered as a PDF in one language, stored once.

A version (``AgreementVersion``) holds the agreement's content as codes and names, frozen when the
leaders were asked to consent (and again, with the consent record, when the partnership became
active). ``agreement_pdf`` renders that frozen content, never the live partnership, in one of the
interface languages: codes become translated labels, dates follow the language's format, Hebrew and
Persian run right to left. The PDF is stored once per version and language with its SHA-256, so every
later download serves the same bytes; all renderings of a version carry the version's number.

Researchers get a pseudonymised document (``pseudonymised_content``): organisations appear as their
stable codes and people's names are left out. Those PDFs are rendered on request and never stored, so
the stored rendering of a version and language stays the one document the schools agreed to.

Fonts come from the system (``scripts/system-deps.sh`` installs DejaVu, which covers Latin, Cyrillic,
Hebrew and Persian); the renderer fetches nothing, from the network or the disk.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Choices
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.text import capfirst

from interschool.core.models import OrganisationKind
from interschool.core.services.audit import Actor, audit_record
from interschool.partnerships import vocabularies as v
from interschool.partnerships.models import AgreementRendering, AgreementVersion, Partnership
from interschool.partnerships.pseudonyms import organisation_codes, pseudonymised_text, replacer
from interschool.partnerships.services.partnerships import agreement_content

LANGUAGE_CODES = frozenset(code for code, _name in settings.LANGUAGES)

# The typology as the document lists it: field → vocabulary (None: a date). Size is derived, never entered.
TYPOLOGY: tuple[tuple[str, type[Choices] | None], ...] = (
    ("model", v.Model),
    ("motives", v.Motive),
    ("reasons", v.Reason),
    ("lead_body", v.LeadBody),
    ("external_parties", v.ExternalParty),
    ("issue_focus", v.IssueFocus),
    ("initiative", v.Initiative),
    ("duration", v.Duration),
    ("starts_on", None),
    ("ends_on", None),
    ("geography", v.Geography),
    ("mode", v.Mode),
    ("size", v.Size),
    ("governance", v.Governance),
    ("frequency", v.Frequency),
    ("follow_up", v.FollowUp),
    ("entry_unit", v.EntryUnit),
)
WITHHELD = "[…]"


# --- labels, dates and typed text in the rendering language ------------------------------------------


@dataclass(frozen=True)
class Text:
    """Text a person typed (a name, a title, a comment), with the direction it is written in.

    Browsers find it with ``dir="auto"``; the PDF renderer does not, so the direction of the first
    strong character is worked out here. A Latin name in a Hebrew document then keeps its own order.
    """

    value: str

    def __str__(self) -> str:
        return self.value

    def __bool__(self) -> bool:
        return bool(self.value)

    @property
    def dir(self) -> str:
        for char in self.value:
            kind = unicodedata.bidirectional(char)
            if kind == "L":
                return "ltr"
            if kind in ("R", "AL"):
                return "rtl"
        return "ltr"


def _text(value: Any) -> Text:
    return Text("" if value is None else str(value))


def _label(choices: type[Choices], code: Any) -> str:
    """The translated label of ``code``; a code the vocabulary no longer knows is shown as it is."""
    if code in (None, ""):
        return ""
    labels = {value: label for value, label in choices.choices}
    return str(labels.get(code, code))


def _date(value: str) -> str:
    if not value:
        return ""
    try:
        return formats.date_format(dt.date.fromisoformat(value), "DATE_FORMAT")
    except ValueError:
        return value


def _datetime(value: str | dt.datetime | None) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    else:
        moment = value
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return formats.date_format(moment, "DATETIME_FORMAT")


def _number(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return formats.localize(value, use_l10n=True)


def _year(value: Any) -> str:
    return "" if value in (None, "") else str(value)  # never with a thousands separator


# --- the document -----------------------------------------------------------------------------------------


def _typology(content: Mapping[str, Any]) -> list[dict[str, Any]]:
    typology = dict(content.get("typology") or {})
    typology.setdefault("size", content.get("size", ""))
    rows = []
    for name, choices in TYPOLOGY:
        value = typology.get(name, "")
        if choices is None:
            shown = [_date(value)] if value else []
        elif isinstance(value, list):
            shown = [_label(choices, code) for code in value]
        else:
            shown = [_label(choices, value)] if value else []
        label = capfirst(str(getattr(Partnership._meta.get_field(name), "verbose_name", name)))
        rows.append({"name": name, "label": label, "values": shown})
    return rows


def _document(content: Mapping[str, Any]) -> dict[str, Any]:
    """The content with codes turned into labels, dates formatted (current language), typed text marked."""
    members = [
        {
            "name": _text(m.get("name")),
            "kind": _label(OrganisationKind, m.get("kind")),
            "role": _label(v.MemberRole, m.get("role")),
            "actor_role": _label(v.ActorRole, m.get("actor_role")),
            "engagement": _label(v.Engagement, m.get("engagement")),
            "commitment_time": _text(m.get("commitment_time")),
            "commitment_staff": _text(m.get("commitment_staff")),
            "commitment_resources": _text(m.get("commitment_resources")),
        }
        for m in content.get("members", [])
    ]
    member_names = {m.get("id"): m.get("name") for m in content.get("members", [])}
    goals = [
        {
            "title": _text(g.get("title")),
            "description": _text(g.get("description")),
            "motive": _label(v.Motive, g.get("motive")),
            "horizon": _label(v.Horizon, g.get("horizon")),
            "aim": _label(v.Aim, g.get("aim")),
            "activities": [
                {
                    "title": _text(a.get("title")),
                    "kind": _label(v.ActivityType, a.get("kind")),
                    "status": _label(v.ActivityStatus, a.get("status")),
                    "starts": _date(a.get("starts_on", "")),
                    "ends": _date(a.get("ends_on", "")),
                    "owner": _text(a.get("owner")),
                }
                for a in g.get("activities", [])
            ],
            "indicators": [
                {
                    "indicator": _text(i.get("indicator")),
                    "baseline": _number(i.get("baseline")),
                    "target": _number(i.get("target")),
                    "baseline_year": _year(i.get("baseline_year")),
                    "target_year": _year(i.get("target_year")),
                }
                for i in g.get("indicators", [])
            ],
        }
        for g in content.get("goals", [])
    ]
    consents = content.get("consents")
    return {
        "name": _text(content.get("name")),
        "network": _text(content.get("network")),
        "summary": _text(content.get("summary")),
        "proposed_by": _text(content.get("proposed_by")),
        "members": members,
        "people": [
            {
                "name": _text(p.get("name")),
                "role": _label(v.PersonRole, p.get("role")),
                "member": _text(member_names.get(p.get("member_id"))),
            }
            for p in content.get("people", [])
        ],
        "typology": _typology(content),
        "goals": goals,
        "review_dates": [_date(d) for d in content.get("review_dates", [])],
        "proposed_on": _date(content.get("proposed_on", "")),
        "approved_on": _date(content.get("approved_on", "")),
        "consent_version": content.get("consent_version"),
        "consents": None
        if consents is None
        else [
            {
                "member": _text(c.get("member")),
                "decision": _label(v.Decision, c.get("decision")),
                "decided_by": _text(c.get("decided_by")),
                "decided_at": _datetime(c.get("decided_at", "")),
                "comment": _text(c.get("comment")),
            }
            for c in consents
        ],
        "pseudonymised": bool(content.get("pseudonymised")),
    }


def agreement_html(
    content: Mapping[str, Any], language: str, *, number: int | None = None, dated: dt.datetime | None = None
) -> str:
    """The agreement's HTML in ``language``; without a ``number`` it is a draft, not a version for consent."""
    if language not in LANGUAGE_CODES:
        raise ValueError(f"unknown language {language!r}")
    with translation.override(language):
        context = {
            **_document(content),
            "language": language,
            "direction": "rtl" if translation.get_language_bidi() else "ltr",
            "number": number,
            "draft": number is None,
            "dated": _datetime(dated) if dated else "",
        }
        return render_to_string("partnerships/agreement_document.html", context)


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """The document is self-contained: refuse every stylesheet, image or font URL."""
    raise ValueError(f"agreement documents load nothing from outside: {url}")


def render_pdf(html: str) -> bytes:
    import weasyprint  # imported here: loading Pango takes half a second, and only PDFs need it

    return bytes(weasyprint.HTML(string=html, url_fetcher=_no_fetch).write_pdf())


# --- pseudonymisation ---------------------------------------------------------------------------------


def pseudonymised_content(content: Mapping[str, Any], network_id: int) -> dict[str, Any]:
    """The content with organisations as their stable codes and people's names left out.

    Member names are replaced wherever they stand (activity owners, the consent record) and also inside
    free text (the name, the summary, goal and activity titles, consent comments), as are the names of
    the people the content lists.
    """
    codes = organisation_codes(
        network_id,
        (
            (m["organisation_id"], m.get("name", ""))
            for m in content.get("members", [])
            if m.get("organisation_id")
        ),
    )
    people = {p.get("name", "") for p in content.get("people", [])}
    people |= {content.get("proposed_by", "")}
    people |= {c.get("decided_by", "") for c in content.get("consents") or []}
    text = replacer({**{name: WITHHELD for name in people if name}, **codes})

    def organisation(name: str) -> str:
        return codes.get(name, text(name))

    out: dict[str, Any] = {
        **content,
        "name": text(content.get("name", "")),
        "summary": text(content.get("summary", "")),
        "proposed_by": "",
        "members": [{**m, "name": organisation(m.get("name", ""))} for m in content.get("members", [])],
        "people": [{**p, "name": ""} for p in content.get("people", [])],
        "goals": [
            {
                **g,
                "title": text(g.get("title", "")),
                "description": text(g.get("description", "")),
                "activities": [
                    {**a, "title": text(a.get("title", "")), "owner": organisation(a.get("owner", ""))}
                    for a in g.get("activities", [])
                ],
            }
            for g in content.get("goals", [])
        ],
        "pseudonymised": True,
    }
    if content.get("consents") is not None:
        out["consents"] = [
            {
                **c,
                "member": organisation(c.get("member", "")),
                "decided_by": "",
                "comment": text(c.get("comment", "")),
            }
            for c in content["consents"]
        ]
    return out


# --- versions and their stored renderings -----------------------------------------------------------


def _version_html(
    version: AgreementVersion,
    language: str,
    transform: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> str:
    content = dict(version.content)
    if transform is not None:
        content = transform(content)
    return agreement_html(content, language, number=version.number, dated=version.created_at)


def agreement_pdf(version: AgreementVersion, language: str, *, actor: Actor = "system") -> AgreementRendering:
    """The stored PDF of ``version`` in ``language``, rendered and stored (and audited) the first time.

    Rendering happens outside any transaction; if two requests render the same version and language at
    once, the unique constraint keeps the first one stored and the other returns it.
    """
    if language not in LANGUAGE_CODES:
        raise ValueError(f"unknown language {language!r}")
    existing = AgreementRendering.objects.filter(version=version, language=language).first()
    if existing is not None:
        return existing
    pdf = render_pdf(_version_html(version, language))
    checksum = hashlib.sha256(pdf).hexdigest()
    try:
        with transaction.atomic():
            rendering = AgreementRendering.objects.create(
                version=version, language=language, pdf=pdf, checksum=checksum, size=len(pdf)
            )
            audit_record(
                actor=actor,
                network=version.partnership.network,
                action="render",
                obj=rendering,
                changes={"agreement_version": [None, version.number], "language": [None, language]},
                checksum=checksum,
            )
    except IntegrityError:
        return AgreementRendering.objects.get(version=version, language=language)
    return rendering


def agreement_pdf_pseudonymised(version: AgreementVersion, language: str) -> bytes:
    """The researchers' PDF of ``version``: rendered on request, never stored."""
    network_id = version.partnership.network_id
    return render_pdf(_version_html(version, language, lambda c: pseudonymised_content(c, network_id)))


def pseudonymised_name(partnership: Partnership) -> str:
    """The partnership's name with the names of its member organisations replaced by their codes."""
    members = [(m.organisation_id, m.organisation.name) for m in partnership.members.all()]
    return pseudonymised_text(partnership.name, partnership.network_id, members)


def agreement_preview_content(partnership: Partnership) -> dict[str, Any]:
    """The live partnership's content, for a draft PDF before (or between) versions."""
    return agreement_content(partnership)


def agreement_draft_pdf(partnership: Partnership, language: str, *, pseudonymous: bool = False) -> bytes:
    """A draft PDF of the partnership as it stands now: marked as a draft, not a version for consent."""
    content = agreement_preview_content(partnership)
    if pseudonymous:
        content = pseudonymised_content(content, partnership.network_id)
    return render_pdf(agreement_html(content, language))
