"""The records that parsers produce and the database writer consumes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from interschool.synthetic import region

# Canonical codes of docs/data-format.md, defined once with the generator that writes them.
SUPPORT_DOMAINS: tuple[str, ...] = region.SUPPORT_DOMAINS
PHASES: tuple[str, ...] = region.PHASES
SCHOOL_TYPES: tuple[str, ...] = region.TYPES
STATUSES: tuple[str, ...] = ("open", "closed", "proposed")
URBAN_RURAL: tuple[str, ...] = ("urban", "rural")
ORGANISATION_KINDS: tuple[str, ...] = (
    "school",
    "university",
    "college",
    "museum",
    "library",
    "business",
    "ngo",
    "authority",
)
# Identifier schemes; (scheme, value) is unique within a network.
SCHEMES: tuple[str, ...] = ("urn", "dbn", "nyc_location", "nces", "national", "network")

# Organisation fields a record may carry (all optional except that a new organisation needs a name).
# name: str; kind: str (ORGANISATION_KINDS, default "school"); status: str (STATUSES);
# opened_on / closed_on: datetime.date; address, postcode, district, community, language: str;
# latitude / longitude: float (WGS84); phase: str (PHASES); school_type: str (SCHOOL_TYPES);
# urban_rural: str (URBAN_RURAL); accepts_online: bool; partner_capacity: int;
# strengths / needs / offers: list[str] of SUPPORT_DOMAINS.
ORGANISATION_FIELDS: tuple[str, ...] = (
    "name",
    "kind",
    "status",
    "opened_on",
    "closed_on",
    "address",
    "postcode",
    "district",
    "community",
    "language",
    "latitude",
    "longitude",
    "phase",
    "school_type",
    "urban_rural",
    "accepts_online",
    "partner_capacity",
    "strengths",
    "needs",
    "offers",
)


@dataclass(frozen=True)
class Source:
    """One input file: the name shown in reports and where to read it."""

    name: str
    path: str


@dataclass(frozen=True)
class Rejection:
    """A row that cannot be right. ``row`` is the line's row number in the file, the header being row 1."""

    file: str
    row: int
    column: str
    value: str
    reason: str


@dataclass(frozen=True)
class Skip:
    """A row left out by a documented rule of the format; ``rule`` is a code listed in docs/importing.md."""

    file: str
    row: int
    rule: str


@dataclass(frozen=True)
class IndicatorDef:
    code: str
    name: str
    subject: str = ""
    unit: str = ""  # "%", "score", "points", …
    higher_is_better: bool = True
    phase: str = ""  # one of PHASES, or "" for any


@dataclass(frozen=True)
class OutcomeCell:
    """One value of an indicator's time series. ``value`` is None when missing or suppressed."""

    indicator: str
    year: int
    value: float | None
    cohort: int | None = None
    suppressed: bool = False


@dataclass
class OrgRecord:
    """Everything the files say about one organisation, keyed by its primary identifier."""

    scheme: str
    identifier: str
    file: str
    row: int
    identifiers: dict[str, str] = field(default_factory=dict)  # further schemes → values
    fields: dict[str, Any] = field(default_factory=dict)  # ORGANISATION_FIELDS → value (None = missing)
    years: dict[int, dict[str, Any]] = field(
        default_factory=dict
    )  # year → {"enrolment": int|None, "ses_index": float|None}
    outcomes: list[OutcomeCell] = field(default_factory=list)
    predecessor: tuple[str, str] | None = None  # (scheme, value) of the organisation this one replaced

    @property
    def key(self) -> tuple[str, str]:
        return (self.scheme, self.identifier)


@dataclass
class FileSummary:
    name: str
    kind: str  # what the file was recognised as, e.g. "ks4", "sqr_summary", "mapped"
    rows: int = 0
    imported: int = 0
    skipped: int = 0
    rejected: int = 0


@dataclass
class ParseResult:
    records: list[OrgRecord] = field(default_factory=list)
    skips: list[Skip] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    indicators: dict[str, IndicatorDef] = field(default_factory=dict)
    files: list[FileSummary] = field(default_factory=list)
    # Set when the context of the organisations' SES column is known, e.g. "Free school meals ever (%)".
    ses_label: str = ""
    ses_higher_is_advantaged: bool | None = None


@dataclass(frozen=True)
class ParseOptions:
    encoding: str | None = None  # None = detect
    delimiter: str | None = None  # None = detect
    year: int | None = None  # the year of the data when the files do not say
    mapping: dict[str, Any] | None = None  # the column mapping of the csv/xlsx formats


class ImportFileError(Exception):
    """A whole file cannot be read (not recognised, undecodable, required column missing)."""

    def __init__(self, file: str, message: str, column: str = "", *, row: int = 1, value: str = "") -> None:
        super().__init__(f"{file}: {message}")
        self.file = file
        self.message = message
        self.column = column
        self.row = row  # where the problem is, when it is known (the header is row 1)
        self.value = value


# Called with the number of rows read so far across all files (monotonic).
Progress = Callable[[int], None]


def no_progress(_rows: int) -> None:
    return None
