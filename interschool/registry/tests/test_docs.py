"""docs/importing.md lists every skip rule the importers apply."""

from pathlib import Path

from interschool.registry.importing import england, mapped, nyc

GUIDE = (Path(__file__).resolve().parents[3] / "docs" / "importing.md").read_text(encoding="utf-8")


def test_every_skip_rule_is_documented():
    codes = [*england.RULES, *nyc.RULES, *mapped.RULES]
    assert codes
    missing = [code for code in codes if f"`{code}`" not in GUIDE and f"`{code}:<name>`" not in GUIDE]
    assert not missing, f"skip rules missing from docs/importing.md: {missing}"
