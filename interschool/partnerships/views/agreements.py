"""The Agreement tab: every version of a partnership's agreement and its PDF in each language.

A version's PDF is rendered the first time someone asks for it in a language and stored with its
SHA-256; later downloads serve those bytes. Researchers get a pseudonymised PDF rendered on request
(never stored, see ``services/agreements.py``). Users who see only the partnership's summary get a 403.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.utils.text import slugify

from interschool.core.views.common import AuthenticatedRequest, paginate
from interschool.partnerships import access as partnership_access
from interschool.partnerships.access import Level, PartnershipAccess
from interschool.partnerships.models import AgreementRendering, AgreementVersion
from interschool.partnerships.services.agreements import (
    LANGUAGE_CODES,
    agreement_draft_pdf,
    agreement_pdf,
    agreement_pdf_pseudonymised,
    pseudonymised_name,
)

VERSIONS_PER_PAGE = 10


def _language(code: str) -> str:
    if code not in LANGUAGE_CODES:
        raise Http404
    return code


def _current_language() -> str:
    current = translation.get_language() or settings.LANGUAGE_CODE
    return current if current in LANGUAGE_CODES else settings.LANGUAGE_CODE


def _filename(access: PartnershipAccess, label: str, language: str) -> str:
    """``agreement-<name>-<label>-<language>.pdf``; researchers' files never carry the name."""
    partnership = access.partnership
    name = "" if access.pseudonymous else slugify(partnership.name)
    return f"agreement-{name or partnership.pk}-{label}-{language}.pdf"


def _pdf_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Content-Length"] = str(len(data))
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def agreement_list(request: AuthenticatedRequest, network_slug: str, pk: int) -> HttpResponse:
    access = partnership_access.partnership_get_for_user(request.user, network_slug, pk, level=Level.READ)
    partnership = access.partnership
    versions = AgreementVersion.objects.filter(partnership=partnership).order_by("-number")
    page = paginate(request, versions, VERSIONS_PER_PAGE)
    renderings: dict[int, dict[str, AgreementRendering]] = defaultdict(dict)
    if not access.pseudonymous:
        for rendering in AgreementRendering.objects.filter(version__in=list(page.object_list)).defer("pdf"):
            renderings[rendering.version_id][rendering.language] = rendering
    current = _current_language()
    languages = [(code, str(name)) for code, name in settings.LANGUAGES]
    rows: list[dict[str, Any]] = []
    for version in page.object_list:
        made = renderings.get(version.pk, {})
        rows.append(
            {
                "version": version,
                "for_consent": version.number == partnership.consent_version,
                "consent_version": version.content.get("consent_version") if version.with_consents else None,
                "created_by": "" if access.pseudonymous else version.created_by_name,
                "languages": [
                    {"code": code, "name": name, "rendering": made.get(code), "current": code == current}
                    for code, name in languages
                ],
            }
        )
    return render(
        request,
        "partnerships/agreement_list.html",
        {
            "membership": access.membership,
            "network": partnership.network,
            "partnership": partnership,
            "access": access,
            "active_tab": "agreement",
            "partnership_name": pseudonymised_name(partnership) if access.pseudonymous else partnership.name,
            "page": page,
            "rows": rows,
            "languages": languages,
            "current_language": current,
        },
    )


@login_required
def agreement_download(
    request: AuthenticatedRequest, network_slug: str, pk: int, number: int
) -> HttpResponseBase:
    """The language form's target: on to the PDF in the chosen language."""
    partnership_access.agreement_version_get_for_user(request.user, network_slug, pk, number)
    language = request.GET.get("language", "")
    if language not in LANGUAGE_CODES:
        language = _current_language()
    return redirect("partnership_agreement_pdf", network_slug, pk, number, language)


@login_required
def agreement_version_pdf(
    request: AuthenticatedRequest, network_slug: str, pk: int, number: int, language: str
) -> HttpResponse:
    access, version = partnership_access.agreement_version_get_for_user(
        request.user, network_slug, pk, number
    )
    language = _language(language)
    filename = _filename(access, f"v{version.number}", language)
    if access.pseudonymous:
        return _pdf_response(agreement_pdf_pseudonymised(version, language), filename)
    rendering = agreement_pdf(version, language, actor=request.user)
    return _pdf_response(bytes(rendering.pdf), filename)


@login_required
def agreement_draft(request: AuthenticatedRequest, network_slug: str, pk: int, language: str) -> HttpResponse:
    """The partnership as it stands now, marked as a draft; rendered on request, never stored."""
    access = partnership_access.partnership_get_for_user(request.user, network_slug, pk, level=Level.READ)
    language = _language(language)
    data = agreement_draft_pdf(access.partnership, language, pseudonymous=access.pseudonymous)
    return _pdf_response(data, _filename(access, f"draft-{timezone.localdate().isoformat()}", language))


urlpatterns = [
    path("<int:pk>/agreement/", agreement_list, name="partnership_agreements"),
    path("<int:pk>/agreement/draft/<str:language>.pdf", agreement_draft, name="partnership_agreement_draft"),
    path("<int:pk>/agreement/<int:number>/", agreement_download, name="partnership_agreement_download"),
    path(
        "<int:pk>/agreement/<int:number>/<str:language>.pdf",
        agreement_version_pdf,
        name="partnership_agreement_pdf",
    ),
]
