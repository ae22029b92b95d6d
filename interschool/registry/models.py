"""Registry data: identifiers, indicators and outcome series, yearly figures, imports, classification."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from interschool.core.models import Network, Organisation, Progress
from interschool.core.models.base import TimestampedModel

# An import whose progress has not moved for this long is shown as interrupted.
INTERRUPTED_AFTER = dt.timedelta(minutes=15)
# Published aggregates over fewer pupils than this are shown as suppressed.
SMALL_NUMBER_THRESHOLD = 10


class IdentifierScheme(models.TextChoices):
    URN = "urn", _("England URN")
    DBN = "dbn", _("NYC DBN")
    NYC_LOCATION = "nyc_location", _("NYC location code")
    NCES = "nces", _("NCES id")
    NATIONAL = "national", _("National id")
    NETWORK = "network", _("Network code")


class Identifier(models.Model):
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="identifiers", verbose_name=_("organisation")
    )
    scheme = models.CharField(_("scheme"), max_length=20, choices=IdentifierScheme.choices)
    value = models.CharField(_("value"), max_length=64)
    # Bookkeeping for revert, checked by Django rather than by a database constraint: a constraint on
    # every imported row would be checked at commit and double the cost of a large import.
    created_by_import = models.ForeignKey(
        "registry.Import",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )

    class Meta:
        verbose_name = _("identifier")
        verbose_name_plural = _("identifiers")
        ordering = ("scheme", "value")
        constraints = [
            models.UniqueConstraint(
                fields=["network", "scheme", "value"], name="identifier_unique_per_scheme_in_network"
            ),
        ]
        indexes = [models.Index(fields=["network", "value"])]

    def __str__(self) -> str:
        return f"{self.scheme}:{self.value}"


class Indicator(models.Model):
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="indicators")
    code = models.CharField(_("code"), max_length=60)
    name = models.CharField(_("name"), max_length=200)
    subject = models.CharField(_("subject"), max_length=100, blank=True)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    higher_is_better = models.BooleanField(_("higher is better"), default=True)
    phase = models.CharField(_("phase"), max_length=12, blank=True)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ("name", "code")
        constraints = [
            models.UniqueConstraint(fields=["network", "code"], name="indicator_code_unique_in_network")
        ]

    def __str__(self) -> str:
        return self.name


class OutcomeValue(models.Model):
    """One year of an indicator for an organisation. A suppressed value has no number, ever."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="outcomes")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="values")
    year = models.PositiveSmallIntegerField(_("year"))
    value = models.FloatField(_("value"), null=True, blank=True)
    cohort = models.PositiveIntegerField(_("cohort size"), null=True, blank=True)
    suppressed = models.BooleanField(_("suppressed"), default=False)
    # Bookkeeping for revert, checked by Django rather than by a database constraint: a constraint on
    # every imported row would be checked at commit and double the cost of a large import.
    created_by_import = models.ForeignKey(
        "registry.Import",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )

    class Meta:
        verbose_name = _("outcome value")
        verbose_name_plural = _("outcome values")
        ordering = ("indicator", "year")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "indicator", "year"], name="outcome_one_per_year"
            ),
            models.CheckConstraint(
                condition=models.Q(suppressed=False) | models.Q(value__isnull=True),
                name="outcome_suppressed_has_no_value",
            ),
        ]
        indexes = [models.Index(fields=["indicator", "year"])]

    def __str__(self) -> str:
        return f"{self.indicator_id}/{self.organisation_id}/{self.year}"

    @property
    def shown_value(self) -> float | None:
        """The value as it may be published: None when suppressed or when the cohort is small."""
        if self.suppressed or (self.cohort is not None and self.cohort < SMALL_NUMBER_THRESHOLD):
            return None
        return self.value

    @property
    def is_suppressed(self) -> bool:
        return self.suppressed or (
            self.value is not None and self.cohort is not None and self.cohort < SMALL_NUMBER_THRESHOLD
        )


class OrganisationYear(models.Model):
    """Enrolment and socio-economic index of one year."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="years")
    year = models.PositiveSmallIntegerField(_("year"))
    enrolment = models.PositiveIntegerField(_("enrolment"), null=True, blank=True)
    ses_index = models.FloatField(_("socio-economic index"), null=True, blank=True)
    # Bookkeeping for revert, checked by Django rather than by a database constraint: a constraint on
    # every imported row would be checked at commit and double the cost of a large import.
    created_by_import = models.ForeignKey(
        "registry.Import",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )

    class Meta:
        verbose_name = _("yearly figures")
        verbose_name_plural = _("yearly figures")
        ordering = ("year",)
        constraints = [
            models.UniqueConstraint(fields=["organisation", "year"], name="organisation_year_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id}/{self.year}"


class ImportFormat(models.TextChoices):
    NYC = "nyc", _("New York City (DOE files)")
    ENGLAND = "england", _("England (DfE performance tables and census)")
    CSV = "csv", _("CSV with a column mapping")
    XLSX = "xlsx", _("XLSX with a column mapping")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    VALIDATING = "validating", _("Validating")
    REJECTED = "rejected", _("Rejected: nothing written")
    WRITING = "writing", _("Writing")
    VALIDATED = "validated", _("Validated: ready to commit")
    COMMITTED = "committed", _("Committed")
    REVERTED = "reverted", _("Reverted")
    FAILED = "failed", _("Failed: nothing written")


class Import(TimestampedModel):
    """One import of one or more files; its report lists every row that was skipped or rejected."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="imports")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    format = models.CharField(_("format"), max_length=10, choices=ImportFormat.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    files = models.JSONField(_("files"), default=list)  # [{"name", "path", "sha256", "size"}]
    mapping = models.JSONField(_("mapping"), null=True, blank=True)
    options = models.JSONField(_("options"), default=dict)  # encoding, delimiter, year
    summary = models.JSONField(_("summary"), default=dict)  # counts per file and in all
    rejections = models.JSONField(_("rejected rows"), default=list)
    skips = models.JSONField(_("skipped rows"), default=list)
    error = models.TextField(_("error"), blank=True)
    progress = models.ForeignKey(Progress, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    committed_at = models.DateTimeField(_("committed at"), null=True, blank=True)
    reverted_at = models.DateTimeField(_("reverted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ("-created_at", "-pk")

    def __str__(self) -> str:
        return f"{self.get_format_display()} #{self.pk}"

    @property
    def running(self) -> bool:
        return self.status in {ImportStatus.UPLOADED, ImportStatus.VALIDATING, ImportStatus.WRITING}

    @property
    def interrupted(self) -> bool:
        """Validating or writing, but its progress has not moved for a long time: the process died.

        The write transaction of a killed process never commits, so nothing of it is in the database.
        """
        if self.status not in {ImportStatus.VALIDATING, ImportStatus.WRITING} or self.progress is None:
            return False
        return self.progress.updated_at < timezone.now() - INTERRUPTED_AFTER


class ImportChange(models.Model):
    """The state a committed import replaced, so that the import can be reverted as a whole."""

    run = models.ForeignKey(Import, on_delete=models.CASCADE, related_name="changes")
    model = models.CharField(max_length=40)  # "organisation", "outcome", "year", "identifier"
    object_id = models.BigIntegerField()
    before = models.JSONField(null=True)  # None: the import created the object

    class Meta:
        indexes = [models.Index(fields=["run", "model"])]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.model}:{self.object_id}"


class RegistrySettings(models.Model):
    """Per-network registry settings and the statistics computed after each import."""

    network = models.OneToOneField(Network, on_delete=models.CASCADE, related_name="registry_settings")
    ses_label = models.CharField(_("socio-economic index"), max_length=120, blank=True)
    ses_higher_is_advantaged = models.BooleanField(_("a higher index means more advantaged"), default=True)
    # Classification rules (see interschool.algorithms.classification.Rules) and the indicator per phase.
    rules = models.JSONField(_("classification rules"), default=dict, blank=True)
    phase_indicators = models.JSONField(_("indicator per phase"), default=dict, blank=True)
    base_map = models.JSONField(default=dict, blank=True)  # {"svg": fragment, "bounds": [...]} or {}
    filter_choices = models.JSONField(default=dict, blank=True)  # {"district": [...], "community": [...]}
    statistics_at = models.DateTimeField(null=True, blank=True)
    classified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("registry settings")
        verbose_name_plural = _("registry settings")

    def __str__(self) -> str:
        return f"registry settings of network {self.network_id}"


class PhaseStatistic(models.Model):
    """The distribution of an indicator among the network's schools of one phase in one year."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="statistics")
    phase = models.CharField(max_length=12, blank=True)
    year = models.PositiveSmallIntegerField()
    count = models.PositiveIntegerField()
    median = models.FloatField(null=True)
    p20 = models.FloatField(null=True)
    p80 = models.FloatField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["indicator", "phase", "year"], name="phase_statistic_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id}/{self.phase}/{self.year}"


class ClassificationLabel(models.TextChoices):
    LEADER = "leader", _("Leader school")
    NEEDS_SUPPORT = "needs_support", _("Needs support")
    NONE = "none", _("Not classified")


class Classification(models.Model):
    """The current classification of an organisation with the structured reasons behind it."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="classification")
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    label = models.CharField(_("classification"), max_length=16, choices=ClassificationLabel.choices)
    indicator = models.ForeignKey(Indicator, on_delete=models.SET_NULL, null=True, related_name="+")
    reasons = models.JSONField(default=list)  # [{"code", "years", "numbers"}]
    # The school's rank among the schools classified on the same indicator, from 0 (worst) to 1 (best),
    # by the mean of its latest published values; the matching engine's outcome percentile.
    percentile = models.FloatField(_("outcome percentile"), null=True, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["network", "label"])]

    def __str__(self) -> str:
        return f"{self.organisation_id}: {self.label}"


class ColumnMapping(TimestampedModel):
    """A saved column mapping for the CSV and XLSX formats (docs/importing.md)."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="column_mappings")
    name = models.CharField(_("name"), max_length=120)
    mapping = models.JSONField(_("mapping"))

    class Meta:
        verbose_name = _("column mapping")
        verbose_name_plural = _("column mappings")
        ordering = ("name",)
        constraints = [
            models.UniqueConstraint(fields=["network", "name"], name="column_mapping_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name
