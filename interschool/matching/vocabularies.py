"""The codes of matching runs: modes, states, why a school has no partner, choices made by hand."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class RunMode(models.TextChoices):
    VERTICAL = "vertical", _("Leader and supported schools")
    CLUSTERS = "clusters", _("Peer clusters")
    ORGANISATIONS = "organisations", _("Schools and organisations")


class RunStatus(models.TextChoices):
    QUEUED = "queued", pgettext_lazy("run status", "Queued")
    RUNNING = "running", pgettext_lazy("run status", "Running")
    FINISHED = "finished", pgettext_lazy("run status", "Finished")
    FAILED = "failed", pgettext_lazy("run status", "Failed")


class Reason(models.TextChoices):
    """Why a school has no partner in a run: left out before matching, or not matched by it."""

    NO_COORDINATES = "no_coordinates", _("No coordinates, and not open to online collaboration")
    NO_DATA = "no_data", _("Not enough outcome data to be classified")
    EXCLUDED = "excluded", _("Excluded by the administrator")
    NO_ELIGIBLE_PARTNER = "no_eligible_partner", _("No eligible partner within the distance limit")
    PARTNERS_FULL = "partners_full", _("Every eligible partner's capacity went to better pairs")
    NOT_GROUPED = "not_grouped", _("No group of eligible peers left for it")


# Reasons decided before the engine runs: the school took no part.
EXCLUSIONS = frozenset({Reason.NO_COORDINATES, Reason.NO_DATA, Reason.EXCLUDED})


class SchoolChoice(models.TextChoices):
    """The administrator's choice for one school, over the registry's classification."""

    LEADER = "leader", _("Include as a leader school")
    SUPPORTED = "supported", _("Include as a school needing support")
    EXCLUDE = "exclude", _("Exclude from matching")


class PairKind(models.TextChoices):
    FORBIDDEN = "forbidden", _("Never pair")
    TIE = "tie", _("Earlier tie")


class MemberRole(models.TextChoices):
    LEADER = "leader", pgettext_lazy("matched role", "Leader")
    SUPPORTED = "supported", pgettext_lazy("matched role", "Supported")
    ORGANISATION = "organisation", pgettext_lazy("matched role", "Organisation")
    SCHOOL = "school", pgettext_lazy("matched role", "School")
    PEER = "peer", pgettext_lazy("matched role", "Peer")


COMPONENT_LABELS = {
    "outcome_gap": _("Outcome gap"),
    "complementarity": _("Strengths meet needs"),
    "ses_similarity": _("Similar intake"),
    "size_similarity": _("Similar size"),
    "same_phase": _("Same phase"),
    "same_setting": _("Same setting"),
    "distance": _("Closeness"),
    "earlier_ties": _("Earlier ties"),
    "cross_community": _("Across communities"),
}
