"""Matching runs of a network, their matches and unmatched schools, and the choices made by hand.

A run keeps the exact inputs it matched (``snapshot``) and the candidate pairs the engine chose from
(``candidates``), both compressed, so its result can be explained and compared later even after the
registry has changed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from interschool.core.models import Network, Organisation, Progress
from interschool.core.models.base import TimestampedModel
from interschool.matching import vocabularies as v


class MatchingRun(TimestampedModel):
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="matching_runs")
    mode = models.CharField(pgettext_lazy("matching run", "mode"), max_length=16, choices=v.RunMode.choices)
    parameters = models.JSONField(_("parameters"), default=dict)  # see interschool.matching.parameters
    note = models.CharField(_("note"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=v.RunStatus.choices, default=v.RunStatus.QUEUED
    )
    progress = models.ForeignKey(Progress, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("run by"),
    )
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    summary = models.JSONField(_("summary"), default=dict)  # see interschool.matching.metrics
    snapshot = models.BinaryField(null=True, editable=False)  # the engine's inputs, zlib-compressed JSON
    candidates = models.BinaryField(null=True, editable=False)  # candidate pairs, compressed numpy arrays

    class Meta:
        verbose_name = _("matching run")
        verbose_name_plural = _("matching runs")
        ordering = ("-created_at", "-pk")

    def __str__(self) -> str:
        return f"{self.network_id}/{self.pk} {self.mode}"

    @property
    def finished(self) -> bool:
        return self.status == v.RunStatus.FINISHED


class Match(models.Model):
    """A matched pair (vertical, organisations) or group (peer clusters) of one run, with its explanation.

    ``components`` holds each score component's contribution as a decimal string; for a group they are
    summed over every pair inside it. Accepting the match creates ``partnership``.
    """

    run = models.ForeignKey(MatchingRun, on_delete=models.CASCADE, related_name="matches")
    number = models.PositiveIntegerField(_("number"))
    score = models.DecimalField(_("score"), max_digits=14, decimal_places=6)
    distance_km = models.FloatField(_("distance (km)"), null=True, blank=True)
    online = models.BooleanField(_("online"), default=False)
    components = models.JSONField(_("explanation"), default=dict)
    partnership = models.ForeignKey(
        "partnerships.Partnership", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("match")
        verbose_name_plural = _("matches")
        ordering = ("run", "number")
        constraints = [models.UniqueConstraint(fields=["run", "number"], name="match_number_unique")]

    def __str__(self) -> str:
        return f"{self.run_id}#{self.number}"


class MatchMember(models.Model):
    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="members")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(_("role"), max_length=12, choices=v.MemberRole.choices)

    class Meta:
        ordering = ("match", "pk")
        indexes = [models.Index(fields=["organisation", "match"])]

    def __str__(self) -> str:
        return f"{self.match_id}: {self.organisation_id} ({self.role})"


class Unmatched(models.Model):
    """A school of a run without a partner, and why: left out before matching, or not matched."""

    run = models.ForeignKey(MatchingRun, on_delete=models.CASCADE, related_name="unmatched")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("reason"), max_length=24, choices=v.Reason.choices)

    class Meta:
        ordering = ("run", "reason", "organisation")
        constraints = [models.UniqueConstraint(fields=["run", "organisation"], name="unmatched_unique")]

    def __str__(self) -> str:
        return f"{self.run_id}: {self.organisation_id} {self.reason}"


class SchoolChoiceRecord(TimestampedModel):
    """The administrator's choice for a school in every later run: a role, or leaving it out."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    choice = models.CharField(_("choice"), max_length=10, choices=v.SchoolChoice.choices)

    class Meta:
        verbose_name = _("school choice")
        verbose_name_plural = _("school choices")
        ordering = ("organisation__name",)
        constraints = [
            models.UniqueConstraint(fields=["network", "organisation"], name="school_choice_unique")
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id}: {self.choice}"


class PairRule(TimestampedModel):
    """A pair never to form, or an earlier tie (value −1 bad … +1 good) counted in later runs.

    The pair is stored with ``first_id < second_id`` so that each pair has one row.
    """

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    first = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=v.PairKind.choices)
    value = models.FloatField(_("value"), default=1.0)
    note = models.CharField(_("note"), max_length=200, blank=True)
    from_match = models.ForeignKey(Match, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("pair rule")
        verbose_name_plural = _("pair rules")
        ordering = ("kind", "first__name", "second__name")
        constraints = [
            models.UniqueConstraint(fields=["network", "first", "second"], name="pair_rule_unique"),
            models.CheckConstraint(
                condition=models.Q(first__lt=models.F("second")), name="pair_rule_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_id}–{self.second_id}: {self.kind}"
