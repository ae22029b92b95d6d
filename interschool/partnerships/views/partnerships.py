"""Partnership pages: the list and its exports, proposing, the overview with its actions, the typology."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from interschool.core.access import organisation_list_for_user
from interschool.core.models import Membership, OrganisationKind, Role
from interschool.core.views.common import (
    AuthenticatedRequest,
    add_service_errors,
    paginate,
    query_without_page,
)
from interschool.core.views.tables import table_response
from interschool.partnerships import access, listing
from interschool.partnerships import vocabularies as v
from interschool.partnerships.access import Level, PartnershipAccess
from interschool.partnerships.forms import (
    MEMBER_ROWS_MAX,
    BaseMemberFormSet,
    ConsentForm,
    MemberForm,
    MemberFormSet,
    PartnershipForm,
    PersonForm,
    StateForm,
    organisation_choices,
)
from interschool.partnerships.models import Consent, Partnership
from interschool.partnerships.pseudonyms import pseudonymised_text
from interschool.partnerships.services import partnerships as svc
from interschool.registry.access import pseudonym, pseudonymous

EXPORT_BATCH = 2000
# The state changes a person asks for on the overview (sending for consent has its own button).
STATE_ACTIONS = {
    v.State.PAUSED: "pause",
    v.State.ACTIVE: "resume",
    v.State.ENDED: "end",
}


# --- the list and its exports --------------------------------------------------------------------------


@login_required
def partnership_list(request: AuthenticatedRequest, network_slug: str) -> HttpResponseBase:
    membership, partnerships = access.partnership_list_for_user(request.user, network_slug)
    filters = listing.PartnershipFilters.from_params(request.GET)
    listed = listing.partnerships_listed(partnerships, filters)
    hidden = pseudonymous(membership)
    export = request.GET.get("export", "")
    if export in {"csv", "xlsx"}:
        return _export(membership, listed, export, hidden)
    page = paginate(request, listed)
    levels = access.levels_of(membership, [p.pk for p in page.object_list])
    names = listing.member_names(pk for pk, level in levels.items() if level >= Level.READ)
    labels = _labels()
    rows = [
        {
            "pk": p.pk,
            "name": pseudonymised_text(
                p.name, membership.network_id, [(m.organisation_id, m.name) for m in names.get(p.pk, [])]
            )
            if hidden
            else p.name,
            "state": p.state,
            "state_label": labels["state"].get(p.state, p.state),
            "model": labels["model"].get(p.model, p.model),
            "size": labels["size"].get(p.size, p.size),
            "members_count": getattr(p, "members_count", None),
            "activated_on": p.activated_on,
            "members": _member_names(membership, names.get(p.pk, []), hidden)
            if levels[p.pk] >= Level.READ
            else None,
        }
        for p in page.object_list
    ]
    return render(
        request,
        "partnerships/partnership_list.html",
        {
            "membership": membership,
            "network": membership.network,
            "page": page,
            "rows": rows,
            "pseudonymous": hidden,
            "can_propose": membership.role in access.CAN_PROPOSE,
            "query": query_without_page(request),
            **_filter_context(filters, reverse("partnership_list", args=[network_slug])),
        },
    )


def _labels() -> dict[str, dict[str, str]]:
    """Labels of every coded field, translated once per page rather than once per cell."""
    fields = {name: choices for name, (_label, choices, _multiple) in v.DIMENSIONS.items()}
    fields.update(
        {"reasons": v.Reason, "issue_focus": v.IssueFocus, "follow_up": v.FollowUp, "entry_unit": v.EntryUnit}
    )
    return {name: {code: str(label) for code, label in choices.choices} for name, choices in fields.items()}


def _member_names(membership: Membership, members: list[listing.MemberName], hidden: bool) -> list[str]:
    if hidden:
        return [pseudonym(membership.network_id, m.organisation_id) for m in members]
    return [m.name for m in members]


def _filter_context(filters: listing.PartnershipFilters, base_url: str) -> dict[str, Any]:
    """The filter menus and the active filters, each with the address that removes it."""
    not_set = _("Not set")
    menus = []
    for name, (label, choices, _multiple) in v.DIMENSIONS.items():
        current = filters.values.get(name, "")
        options = [(code, str(text), code == current) for code, text in choices.choices]
        if listing.is_optional(name):
            options.append((listing.NOT_SET, not_set, current == listing.NOT_SET))
        menus.append({"name": name, "label": str(label), "options": options})
    active = []
    if filters.q:
        active.append({"label": _("Name"), "value": filters.q, "url": _url(base_url, filters.params(q=None))})
    for name, code in filters.values.items():
        label, choices, _multiple = v.DIMENSIONS[name]
        value = not_set if code == listing.NOT_SET else str(dict(choices.choices).get(code, code))
        active.append(
            {"label": str(label), "value": value, "url": _url(base_url, filters.params(**{name: None}))}
        )
    return {"filters": filters, "menus": menus, "active_filters": active, "filter_action": base_url}


def _url(base: str, params: dict[str, str]) -> str:
    return f"{base}?{urlencode(params)}" if params else base


EXPORT_CODED = (
    "state",
    "model",
    "motives",
    "reasons",
    "lead_body",
    "external_parties",
    "issue_focus",
    "initiative",
    "duration",
    "geography",
    "mode",
    "size",
    "governance",
    "frequency",
    "follow_up",
    "entry_unit",
)
EXPORT_READ_DATES = ("proposed_on", "invited_on", "paused_on", "ended_on")


def export_columns() -> list[str]:
    coded = [column for name in EXPORT_CODED for column in (name, f"{name}_label")]
    return [
        "id",
        "name",
        *coded,
        "starts_on",
        "ends_on",
        "members_count",
        "members",
        "activated_on",
        *EXPORT_READ_DATES,
    ]


def _export(
    membership: Membership, listed: QuerySet[Partnership], kind: str, hidden: bool
) -> HttpResponseBase:
    """The filtered list with every coded field as its code and its label; members and dates for readers."""
    labels = _labels()
    as_text = kind == "csv"

    def rows() -> Iterator[list[Any]]:
        yield export_columns()
        batch: list[Partnership] = []
        for partnership in listed.iterator(chunk_size=EXPORT_BATCH):
            batch.append(partnership)
            if len(batch) == EXPORT_BATCH:
                yield from _export_rows(membership, batch, labels, hidden, as_text)
                batch = []
        yield from _export_rows(membership, batch, labels, hidden, as_text)

    return table_response(
        rows(), filename=f"{membership.network.slug}-partnerships", kind=kind, sheet="partnerships"
    )


def _export_rows(
    membership: Membership,
    batch: list[Partnership],
    labels: dict[str, dict[str, str]],
    hidden: bool,
    as_text: bool,
) -> Iterator[list[Any]]:
    levels = access.levels_of(membership, [p.pk for p in batch])
    names = listing.member_names(pk for pk, level in levels.items() if level >= Level.READ)

    def day(value: dt.date | None) -> Any:
        if value is None:
            return ""
        return value.isoformat() if as_text else value

    for p in batch:
        readable = levels[p.pk] >= Level.READ
        name = p.name
        if hidden:
            name = pseudonymised_text(
                name, membership.network_id, [(m.organisation_id, m.name) for m in names.get(p.pk, [])]
            )
        row: list[Any] = [p.pk, name]
        for field in EXPORT_CODED:
            value = getattr(p, field)
            if isinstance(value, list):
                row += [";".join(value), "; ".join(labels[field].get(code) or code for code in value)]
            else:
                row += [value, labels[field].get(value, "") if value else ""]
        row += [day(p.starts_on), day(p.ends_on), getattr(p, "members_count", "")]
        row.append("; ".join(_member_names(membership, names.get(p.pk, []), hidden)) if readable else "")
        row.append(day(p.activated_on))
        row += [day(getattr(p, field)) if readable else "" for field in EXPORT_READ_DATES]
        yield row


# --- the typology ------------------------------------------------------------------------------------------


@login_required
def partnership_typology(request: AuthenticatedRequest, network_slug: str) -> HttpResponse:
    membership, partnerships = access.network_overview_for_user(request.user, network_slug)
    filters = listing.PartnershipFilters.from_params(request.GET)
    filtered = filters.apply(partnerships)
    total = filtered.count()
    list_url = reverse("partnership_list", args=[network_slug])
    not_set = _("Not set")
    dimensions = [
        {
            "name": dimension.name,
            "label": dimension.label,
            "multiple": dimension.multiple,
            "rows": [
                {
                    "code": row.code,
                    "label": row.label or not_set,
                    "count": row.count,
                    "percent": round(100 * row.count / total) if total else 0,
                    "url": _url(list_url, filters.params(**{dimension.name: row.code})),
                }
                for row in dimension.rows
            ],
        }
        for dimension in listing.typology_counts(filtered)
    ]
    return render(
        request,
        "partnerships/typology.html",
        {
            "membership": membership,
            "network": membership.network,
            "total": total,
            "dimensions": dimensions,
            "list_url": _url(list_url, filters.params()),
            **_filter_context(filters, reverse("partnership_typology", args=[network_slug])),
        },
    )


# --- proposing ---------------------------------------------------------------------------------------------


@login_required
def partnership_propose(request: AuthenticatedRequest, network_slug: str) -> HttpResponse:
    membership, _partnerships = access.partnership_list_for_user(request.user, network_slug)
    access.require_can_propose(membership)
    _membership, organisations = organisation_list_for_user(request.user, network_slug)
    organisations = organisations.order_by("name", "pk")
    form_kwargs = {
        "organisations": organisations,
        "organisation_choices": organisation_choices(organisations),
    }
    member_errors: list[str] = []
    formset: BaseMemberFormSet
    if request.method == "POST":
        form = PartnershipForm(request.POST)
        formset = MemberFormSet(request.POST, prefix="members", form_kwargs=form_kwargs)
        if "add_member" in request.POST:
            # Without scripts the "add another member" button posts the form: show it again with one more row.
            form, formset = _one_more_row(form, formset, form_kwargs)
        elif form.is_valid() and formset.is_valid():
            try:
                partnership = svc.partnership_propose(
                    actor=request.user, network=membership.network, proposal=form.proposal(formset.specs())
                )
            except ValidationError as error:
                member_errors = _proposal_errors(form, formset, error)
            else:
                messages.success(
                    request,
                    _("The partnership was proposed. Send it for consent when the members agree on it."),
                )
                return redirect("partnership_detail", network_slug, partnership.pk)
    else:
        own = membership.organisation if membership.organisation_id else None
        initial = (
            [{"organisation": own.pk, "role": v.MemberRole.LEAD, "actor_role": v.ActorRole.INITIATOR}]
            if own
            else []
        )
        form = PartnershipForm()
        formset = MemberFormSet(prefix="members", form_kwargs=form_kwargs, initial=initial)
    return render(
        request,
        "partnerships/partnership_propose.html",
        {
            "membership": membership,
            "network": membership.network,
            "form": form,
            "formset": formset,
            "member_errors": member_errors,
        },
    )


@login_required
def partnership_member_row(request: AuthenticatedRequest, network_slug: str) -> HttpResponse:
    """One more empty member row of the propose form (asked for by htmx with the current number of rows)."""
    membership, _partnerships = access.partnership_list_for_user(request.user, network_slug)
    access.require_can_propose(membership)
    _membership, organisations = organisation_list_for_user(request.user, network_slug)
    try:
        index = int(request.GET.get("members-TOTAL_FORMS", ""))
    except ValueError:
        raise Http404 from None
    if not 0 <= index < MEMBER_ROWS_MAX:
        raise Http404
    row = MemberForm(
        prefix=f"members-{index}",
        organisations=organisations.order_by("name", "pk"),
        empty_permitted=True,
        use_required_attribute=False,
    )
    return render(
        request,
        "partnerships/partnership_member_row.html",
        {"row": row, "index": index + 1, "oob_total": index + 1},
    )


def _one_more_row(
    form: PartnershipForm, formset: Any, form_kwargs: dict[str, Any]
) -> tuple[PartnershipForm, Any]:
    """The same form, unbound (so nothing is flagged as missing yet), with what was typed and one more row."""
    typed = {
        name: field.widget.value_from_datadict(form.data, form.files, form.add_prefix(name))
        for name, field in form.fields.items()
    }
    rows = []
    for index in range(min(formset.total_form_count(), MEMBER_ROWS_MAX - 1)):
        row = MemberForm(prefix=formset.add_prefix(index), **form_kwargs)
        rows.append(
            {
                name: field.widget.value_from_datadict(formset.data, None, row.add_prefix(name))
                for name, field in row.fields.items()
            }
        )
    new_formset = MemberFormSet(prefix="members", form_kwargs=form_kwargs, initial=rows)
    new_formset.extra = max(1, len(rows) + 1 - new_formset.min_num)
    return PartnershipForm(initial=typed), new_formset


def _proposal_errors(form: PartnershipForm, formset: Any, error: ValidationError) -> list[str]:
    """Show the service's errors where they belong: on a typology field, on the member row whose
    organisation the message names, or above the member rows. Returns the errors about members as a whole."""
    member_errors: list[str] = []
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return member_errors
    for name, errors in error.error_dict.items():
        texts = ValidationError(errors).messages
        if name in form.fields:
            form.add_error(name, errors)
        elif name in svc.MEMBER_FIELDS or name == "organisation":
            rows = [
                row
                for row in formset.forms
                if row.cleaned_data.get("organisation")
                and any(row.cleaned_data["organisation"].name in t for t in texts)
            ]
            if rows:
                rows[0].add_error(name, errors)
            else:
                member_errors += texts
        elif name == "members":
            member_errors += texts
        else:
            form.add_error(None, errors)
    return member_errors


# --- the overview ------------------------------------------------------------------------------------------


@login_required
def partnership_detail(request: AuthenticatedRequest, network_slug: str, pk: int) -> HttpResponse:
    pa = access.partnership_get_for_user(request.user, network_slug, pk)
    return _render_detail(request, pa)


def _render_detail(
    request: AuthenticatedRequest, pa: PartnershipAccess, consent_forms: dict[int, ConsentForm] | None = None
) -> HttpResponse:
    return render(request, "partnerships/partnership_detail.html", _detail_context(pa, consent_forms or {}))


def _detail_context(pa: PartnershipAccess, consent_forms: dict[int, ConsentForm]) -> dict[str, Any]:
    partnership = pa.partnership
    members = list(partnership.members.all())
    context: dict[str, Any] = {
        "membership": pa.membership,
        "network": partnership.network,
        "partnership": partnership,
        "access": pa,
        "active_tab": "overview",
        "typology": _typology(partnership),
        "members_count": len(members),
    }
    if not pa.can_read:
        context["banner"] = _summary_banner(partnership)
        return context
    consents = list(
        partnership.consents.select_related("member__organisation").order_by("-version", "member_id")
    )
    current = [c for c in consents if c.version == partnership.consent_version]
    name = {m.pk: pa.organisation_name(m.organisation_id, m.organisation.name) for m in members}
    state = partnership.state
    invited = state == v.State.INVITED
    can_edit = pa.can_edit and state != v.State.ENDED
    members_open = pa.can_edit and state in svc.MEMBERS_CHANGE_IN
    people = list(partnership.people.select_related("user", "member__organisation"))
    context.update(
        {
            "banner": _banner(partnership, current, name),
            "members": [
                {
                    "pk": m.pk,
                    "name": name[m.pk],
                    "is_school": m.organisation.kind == OrganisationKind.SCHOOL,
                    "kind": m.organisation.get_kind_display(),
                    "role": m.get_role_display(),
                    "actor_role": m.get_actor_role_display(),
                    "engagement": m.get_engagement_display(),
                    "commitment_time": m.commitment_time,
                    "commitment_staff": m.commitment_staff,
                    "commitment_resources": m.commitment_resources,
                }
                for m in members
            ],
            "people": [
                {
                    "pk": person.pk,
                    "name": "" if pa.pseudonymous else person.user.display_name,
                    "role": person.get_role_display(),
                    "member": name.get(person.member_id, ""),
                }
                for person in people
            ],
            "consents": [_consent_row(pa, c, name, consent_forms) for c in current],
            "earlier_consents": [
                _consent_row(pa, c, name, {}) for c in consents if c.version != partnership.consent_version
            ],
            "proposed_by": ""
            if pa.pseudonymous or not partnership.proposed_by
            else partnership.proposed_by.display_name,
            "approved_by": ""
            if pa.pseudonymous or not partnership.approved_by
            else partnership.approved_by.display_name,
            "can_edit": can_edit,
            "members_open": members_open,
            "can_invite": pa.can_edit and v.State.INVITED in v.TRANSITIONS[v.State(state)],
            "invite_again": invited,
            "transitions": [
                {"to": to, "action": STATE_ACTIONS[v.State(to)]}
                for to in (v.State.PAUSED, v.State.ACTIVE, v.State.ENDED)
                if pa.can_edit and to in v.TRANSITIONS[v.State(state)]
            ],
            "can_approve": pa.can_approve and not partnership.approved_on and state != v.State.ENDED,
        }
    )
    return context


def _consent_row(
    pa: PartnershipAccess, consent: Consent, name: dict[int, str], forms: dict[int, ConsentForm]
) -> dict[str, Any]:
    member = consent.member
    decides = (
        pa.partnership.state == v.State.INVITED
        and consent.version == pa.partnership.consent_version
        and pa.can_consent(member)
    )
    return {
        "member_pk": member.pk,
        "school": name.get(member.pk)
        or pa.organisation_name(member.organisation_id, member.organisation.name),
        "version": consent.version,
        "decision": consent.decision,
        "decision_label": consent.get_decision_display(),
        "comment": consent.comment,
        "decided_by": "" if pa.pseudonymous else consent.decided_by_name,
        "decided_at": consent.decided_at,
        "form": (forms.get(member.pk) or ConsentForm(prefix=f"consent-{member.pk}")) if decides else None,
    }


def _names_list(names: list[str]) -> str:
    return ", ".join(names)


def _banner(partnership: Partnership, current: list[Consent], name: dict[int, str]) -> dict[str, str]:
    """What the state means now, for the people who read the partnership in full."""
    state = partnership.state

    def day(value: dt.date | None) -> str:
        return date_format(value) if value else ""

    if state == v.State.PROPOSED:
        return {
            "kind": "secondary",
            "text": _("Proposed on %(date)s. The member schools have not been asked to consent yet.")
            % {"date": day(partnership.proposed_on)},
        }
    if state == v.State.INVITED:
        waiting = [name[c.member_id] for c in current if c.decision != v.Decision.ACCEPTED]
        declined = [name[c.member_id] for c in current if c.decision == v.Decision.DECLINED]
        text = ngettext(
            "Waiting for %(count)s of %(total)s school: %(names)s.",
            "Waiting for %(count)s of %(total)s schools: %(names)s.",
            len(current),
        ) % {"count": len(waiting), "total": len(current), "names": _names_list(waiting)}
        text = (
            _("Version %(number)s of the agreement was sent for consent on %(date)s.")
            % {
                "number": partnership.consent_version,
                "date": day(partnership.invited_on),
            }
            + " "
            + text
        )
        if declined:
            text += " " + _(
                "Declined by %(names)s: see the comments below, change what is needed and send a new version."
            ) % {"names": _names_list(declined)}
        return {"kind": "warning" if declined else "info", "text": text}
    if state == v.State.ACTIVE:
        return {
            "kind": "success",
            "text": _("Active since %(date)s: every member school consented.")
            % {"date": day(partnership.activated_on)},
        }
    if state == v.State.PAUSED:
        return {"kind": "warning", "text": _("Paused on %(date)s.") % {"date": day(partnership.paused_on)}}
    return {"kind": "dark", "text": _("Ended on %(date)s.") % {"date": day(partnership.ended_on)}}


def _summary_banner(partnership: Partnership) -> dict[str, str]:
    texts = {
        v.State.PROPOSED: _(
            "This partnership is proposed and not yet sent to its member schools for consent."
        ),
        v.State.INVITED: _("This partnership waits for the consent of its member schools."),
        v.State.ACTIVE: _("This partnership is active."),
        v.State.PAUSED: _("This partnership is paused."),
        v.State.ENDED: _("This partnership has ended."),
    }
    return {"kind": "secondary", "text": str(texts[v.State(partnership.state)])}


def _typology(partnership: Partnership) -> list[dict[str, Any]]:
    labels = _labels()
    rows = []
    for name in (*svc.TYPOLOGY_FIELDS, "size"):
        value = getattr(partnership, name)
        field = Partnership._meta.get_field(name)
        if isinstance(value, list):
            shown = [labels[name].get(code, code) for code in value]
        elif isinstance(value, dt.date):
            shown = [date_format(value)]
        elif value:
            shown = [labels.get(name, {}).get(value, value)]
        else:
            shown = []
        rows.append({"name": name, "label": str(getattr(field, "verbose_name", name)), "values": shown})
    return rows


# --- changing the partnership ------------------------------------------------------------------------------


@login_required
def partnership_edit(request: AuthenticatedRequest, network_slug: str, pk: int) -> HttpResponse:
    pa = access.partnership_get_for_user(request.user, network_slug, pk, level=Level.EDIT)
    partnership = pa.partnership
    form = PartnershipForm(request.POST or None, initial=PartnershipForm.initial_of(partnership))
    if request.method == "POST" and form.is_valid():
        try:
            svc.partnership_update(actor=request.user, partnership=partnership, values=form.values())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The partnership was saved."))
            return redirect("partnership_detail", network_slug, partnership.pk)
    return render(request, "partnerships/partnership_edit.html", _form_context(pa, form=form))


def _form_context(pa: PartnershipAccess, **extra: Any) -> dict[str, Any]:
    return {
        "membership": pa.membership,
        "network": pa.partnership.network,
        "partnership": pa.partnership,
        "access": pa,
        "active_tab": "overview",
        **extra,
    }


@login_required
def partnership_member_add(request: AuthenticatedRequest, network_slug: str, pk: int) -> HttpResponse:
    pa = access.partnership_get_for_user(request.user, network_slug, pk, level=Level.EDIT)
    partnership = pa.partnership
    _membership, organisations = organisation_list_for_user(request.user, network_slug)
    organisations = organisations.exclude(partnership_memberships__partnership=partnership).order_by(
        "name", "pk"
    )
    form = MemberForm(request.POST or None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        try:
            svc.member_add(actor=request.user, partnership=partnership, spec=form.spec())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The member was added."))
            return redirect("partnership_detail", network_slug, partnership.pk)
    return render(
        request, "partnerships/partnership_member_form.html", _form_context(pa, form=form, member=None)
    )


@login_required
def partnership_member_edit(
    request: AuthenticatedRequest, network_slug: str, pk: int, member_pk: int
) -> HttpResponse:
    pa, member = access.member_get_for_user(request.user, network_slug, pk, member_pk, level=Level.EDIT)
    form = MemberForm(request.POST or None, initial=MemberForm.initial_of(member))
    if request.method == "POST" and form.is_valid():
        try:
            svc.member_update(actor=request.user, member=member, values=form.values())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The member was saved."))
            return redirect("partnership_detail", network_slug, pa.partnership.pk)
    name = pa.organisation_name(member.organisation_id, member.organisation.name)
    return render(
        request,
        "partnerships/partnership_member_form.html",
        _form_context(pa, form=form, member=member, name=name),
    )


@login_required
def partnership_member_remove(
    request: AuthenticatedRequest, network_slug: str, pk: int, member_pk: int
) -> HttpResponse:
    pa, member = access.member_get_for_user(request.user, network_slug, pk, member_pk, level=Level.EDIT)
    name = pa.organisation_name(member.organisation_id, member.organisation.name)
    if request.method == "POST":
        try:
            svc.member_remove(actor=request.user, member=member)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("%(name)s is no longer a member.") % {"name": name})
        return redirect("partnership_detail", network_slug, pa.partnership.pk)
    return render(
        request, "partnerships/partnership_member_remove.html", _form_context(pa, member=member, name=name)
    )


@login_required
def partnership_person_add(request: AuthenticatedRequest, network_slug: str, pk: int) -> HttpResponse:
    pa = access.partnership_get_for_user(request.user, network_slug, pk, level=Level.EDIT)
    partnership = pa.partnership
    members = {m.organisation_id: m for m in partnership.members.all()}
    people = (
        Membership.objects.filter(network=partnership.network, is_active=True)
        .filter(Q(organisation_id__in=members) | Q(role=Role.COORDINATOR, organisation__isnull=True))
        .select_related("user", "organisation")
        .order_by("organisation__name", "user__full_name", "pk")
    )
    form = PersonForm(request.POST or None, people=people)
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data["membership"]
        try:
            svc.person_add(
                actor=request.user,
                # A network coordinator belongs to no member; they are listed under the first one.
                member=members.get(chosen.organisation_id) or next(iter(members.values())),
                user=chosen.user,
                role=form.cleaned_data["role"],
            )
        except ValidationError as error:
            add_service_errors(form, _renamed(error, {"user": "membership"}))
        else:
            messages.success(request, _("The person was added."))
            return redirect("partnership_detail", network_slug, partnership.pk)
    return render(request, "partnerships/partnership_person_form.html", _form_context(pa, form=form))


def _renamed(error: ValidationError, names: dict[str, str]) -> ValidationError:
    """The same error with its fields named as the form names them."""
    if not hasattr(error, "error_dict"):
        return error
    return ValidationError({names.get(name, name): errors for name, errors in error.error_dict.items()})


@login_required
@require_POST
def partnership_person_remove(
    request: AuthenticatedRequest, network_slug: str, pk: int, person_pk: int
) -> HttpResponse:
    pa, person = access.person_get_for_user(request.user, network_slug, pk, person_pk, level=Level.EDIT)
    svc.person_remove(actor=request.user, person=person)
    messages.success(request, _("%(name)s no longer has this role.") % {"name": person.user.display_name})
    return redirect("partnership_detail", network_slug, pa.partnership.pk)


# --- consent, state and approval ----------------------------------------------------------------------------


@login_required
@require_POST
def partnership_invite(request: AuthenticatedRequest, network_slug: str, pk: int) -> HttpResponse:
    pa = access.partnership_get_for_user(request.user, network_slug, pk, level=Level.EDIT)
    try:
        version = svc.partnership_invite(actor=request.user, partnership=pa.partnership)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Version %(number)s of the agreement was sent to the member schools' leaders for consent.")
            % {"number": version.number},
        )
    return redirect("partnership_detail", network_slug, pk)


@login_required
@require_POST
def partnership_consent(
    request: AuthenticatedRequest, network_slug: str, pk: int, member_pk: int
) -> HttpResponse:
    pa, member = access.consent_member_for_user(request.user, network_slug, pk, member_pk)
    form = ConsentForm(request.POST, prefix=f"consent-{member.pk}")
    if form.is_valid():
        try:
            svc.consent_decide(
                actor=request.user,
                partnership=pa.partnership,
                member=member,
                decision=form.cleaned_data["decision"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            pa.partnership.refresh_from_db()
            if pa.partnership.state == v.State.ACTIVE:
                messages.success(request, _("Every member school consented: the partnership is active."))
            else:
                messages.success(request, _("Your decision was recorded."))
            return redirect("partnership_detail", network_slug, pk)
    pa = access.partnership_get_for_user(request.user, network_slug, pk)
    return _render_detail(request, pa, {member.pk: form})


@login_required
def partnership_state(request: AuthenticatedRequest, network_slug: str, pk: int) -> HttpResponse:
    """Pause, resume or end, after a page that asks for the reason and confirmation."""
    pa = access.partnership_get_for_user(request.user, network_slug, pk, level=Level.EDIT)
    form = StateForm(request.POST or None, initial={"to": request.GET.get("to", "")})
    to = request.POST.get("to") if request.method == "POST" else request.GET.get("to")
    if to not in STATE_ACTIONS:
        raise Http404
    if request.method == "POST" and form.is_valid():
        try:
            svc.partnership_transition(
                actor=request.user,
                partnership=pa.partnership,
                to=form.cleaned_data["to"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            pa.partnership.refresh_from_db()
            messages.success(
                request,
                _("The partnership is now %(state)s.") % {"state": pa.partnership.get_state_display()},
            )
            return redirect("partnership_detail", network_slug, pk)
    return render(
        request,
        "partnerships/partnership_state.html",
        _form_context(pa, form=form, to=to, action=STATE_ACTIONS[v.State(to)]),
    )


@login_required
@require_POST
def partnership_approve(request: AuthenticatedRequest, network_slug: str, pk: int) -> HttpResponse:
    pa = access.partnership_get_for_user(request.user, network_slug, pk, level=Level.ADMIN)
    try:
        svc.partnership_approve(actor=request.user, partnership=pa.partnership)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The partnership was approved."))
    return redirect("partnership_detail", network_slug, pk)


urlpatterns = [
    path("", partnership_list, name="partnership_list"),
    path("propose/", partnership_propose, name="partnership_propose"),
    path("propose/member-row/", partnership_member_row, name="partnership_member_row"),
    path("typology/", partnership_typology, name="partnership_typology"),
    path("<int:pk>/", partnership_detail, name="partnership_detail"),
    path("<int:pk>/edit/", partnership_edit, name="partnership_edit"),
    path("<int:pk>/members/add/", partnership_member_add, name="partnership_member_add"),
    path("<int:pk>/members/<int:member_pk>/edit/", partnership_member_edit, name="partnership_member_edit"),
    path(
        "<int:pk>/members/<int:member_pk>/remove/",
        partnership_member_remove,
        name="partnership_member_remove",
    ),
    path("<int:pk>/people/add/", partnership_person_add, name="partnership_person_add"),
    path(
        "<int:pk>/people/<int:person_pk>/remove/", partnership_person_remove, name="partnership_person_remove"
    ),
    path("<int:pk>/invite/", partnership_invite, name="partnership_invite"),
    path("<int:pk>/consent/<int:member_pk>/", partnership_consent, name="partnership_consent"),
    path("<int:pk>/state/", partnership_state, name="partnership_state"),
    path("<int:pk>/approve/", partnership_approve, name="partnership_approve"),
]
