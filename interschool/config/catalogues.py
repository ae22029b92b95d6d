"""Compile the gettext catalogues (.po → .mo) into the data directory, in pure Python."""

from __future__ import annotations

from pathlib import Path

import polib


def compile_catalogues(source: Path, target: Path) -> list[Path]:
    """Compile every ``source/<lang>/LC_MESSAGES/*.po`` newer than its ``target`` counterpart.

    Returns the .mo files written. Cheap when nothing changed (a stat per catalogue), so it runs
    whenever settings load and a fresh checkout never shows untranslated pages.
    """
    written: list[Path] = []
    for po_path in sorted(source.glob("*/LC_MESSAGES/*.po")):
        mo_path = target / po_path.relative_to(source).with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = mo_path.with_suffix(f".{id(written)}.tmp")
        polib.pofile(str(po_path)).save_as_mofile(str(tmp))
        tmp.replace(mo_path)  # atomic, so a process reading catalogues never sees half a file
        written.append(mo_path)
    return written
