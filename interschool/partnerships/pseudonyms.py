"""Pseudonymised text for researchers: names replaced wherever they stand, the longest name first.

One mechanism for the pages, the API and the agreement PDFs: ``replacer`` builds the replacing function
once for a set of names, ``pseudonymised_text`` replaces member organisations' names by their stable
codes (``registry.access.pseudonym``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

from interschool.registry.access import pseudonym


def replacer(replacements: Mapping[str, str]) -> Callable[[str], str]:
    """A function replacing every occurrence of the keys of ``replacements`` in a text, longest first."""
    if not replacements:
        return lambda text: text
    pattern = re.compile("|".join(re.escape(name) for name in sorted(replacements, key=len, reverse=True)))
    return lambda text: pattern.sub(lambda match: replacements[match.group(0)], text) if text else text


def organisation_codes(network_id: int, organisations: Iterable[tuple[int, str]]) -> dict[str, str]:
    """``{name: code}`` of the organisations given as ``(id, name)``."""
    return {name: pseudonym(network_id, pk) for pk, name in organisations if name}


def pseudonymised_text(text: str, network_id: int, organisations: Iterable[tuple[int, str]]) -> str:
    """``text`` with every organisation name it contains replaced by the organisation's stable code."""
    return replacer(organisation_codes(network_id, organisations))(text)
