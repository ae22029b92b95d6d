"""Reading school files and turning their rows into records: pure Python, no Django.

Each format module (``nyc``, ``england``, ``mapped``) exposes ``parse(sources, options, progress)``
returning a ``ParseResult``: every data row ends as exactly one of imported (part of a record), skipped
(by a documented rule, see ``docs/importing.md``) or rejected (with the column, value and reason).
Writing to the database is the registry services' job.
"""
