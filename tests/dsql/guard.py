"""The statements Aurora DSQL refuses, told apart from those it runs, for the local DSQL profile.

Taken from AWS's current Aurora DSQL documentation (unsupported PostgreSQL features, ALTER TABLE syntax, CREATE
SEQUENCE, concurrency control and DDL pages, as of late 2026): no SAVEPOINT, TRUNCATE, VACUUM, temporary tables,
triggers, extensions, non-SQL functions, server-side cursors, materialized views, tablespaces, partitions or
exclusion constraints; no `ALTER COLUMN ... TYPE` or `SET NOT NULL`; a column added to an existing table takes a
name and a type only (no default, NOT NULL or inline constraint); a constraint added to an existing table must be
`NOT VALID` (then validated by `ALTER TABLE ASYNC`); indexes are built with `CREATE INDEX ASYNC`; sequences and
identity columns name their CACHE (1 or at least 65536); one DDL statement per transaction, never with DML.
The gateway also keeps away from row locks (`FOR UPDATE/SHARE`: DSQL is lock-free) and from JSON/JSONB columns
(JSONB is not a column type there; its JSON is kept as text). Foreign keys are allowed in the forms DSQL
accepts since August 2026 (inline in CREATE TABLE, or added NOT VALID).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

DDL = re.compile(r"^\s*(CREATE|ALTER|DROP|COMMENT\s+ON|GRANT|REVOKE)\b", re.I)
DML = re.compile(r"^\s*(INSERT|UPDATE|DELETE|MERGE)\b", re.I)
SETUP = re.compile(r"^\s*(CREATE|DROP)\s+DATABASE\b", re.I)  # the profile's own test database, not the product's

_LITERALS = re.compile(r"'(?:[^']|'')*'")
_IDENTIFIERS = re.compile(r'"(?:[^"]|"")*"')

_CACHE = r"\bCACHE\s+(1|6553[6-9]|655[4-9]\d|65[6-9]\d\d|6[6-9]\d{3}|[7-9]\d{4}|\d{6,})\b"  # 1 or >= 65536
_NOT_VALID = r"\b(NOT\s+VALID|USING\s+INDEX)\b"

RULES: list[tuple[str, re.Pattern]] = [
    ("SAVEPOINT", re.compile(r"^\s*(SAVEPOINT|RELEASE|ROLLBACK\s+TO)\b", re.I)),
    ("row locks (FOR UPDATE/SHARE)", re.compile(r"\bFOR\s+(NO\s+KEY\s+)?(UPDATE|SHARE|KEY\s+SHARE)\b", re.I)),
    ("TRUNCATE", re.compile(r"^\s*TRUNCATE\b", re.I)),
    ("VACUUM", re.compile(r"^\s*VACUUM\b", re.I)),
    ("temporary tables", re.compile(r"^\s*CREATE\s+(GLOBAL\s+|LOCAL\s+)?(TEMP|TEMPORARY|UNLOGGED)\s+TABLE\b", re.I)),
    ("triggers", re.compile(r"^\s*CREATE\s+(OR\s+REPLACE\s+)?(CONSTRAINT\s+)?TRIGGER\b", re.I)),
    ("extensions", re.compile(r"^\s*CREATE\s+EXTENSION\b", re.I)),
    ("procedural code", re.compile(r"^\s*DO\b|\bLANGUAGE\s+(?!SQL\b)\w+", re.I)),
    ("server-side cursors", re.compile(r"^\s*DECLARE\b.*\bCURSOR\b", re.I | re.S)),
    ("materialized views", re.compile(r"^\s*CREATE\s+MATERIALIZED\s+VIEW\b", re.I)),
    ("tablespaces", re.compile(r"\bTABLESPACE\b", re.I)),
    ("partitions", re.compile(r"^\s*CREATE\s+TABLE\b.*\bPARTITION\s+(BY|OF)\b", re.I | re.S)),
    ("exclusion constraints", re.compile(r"\bEXCLUDE\s+(USING\b|\()", re.I)),
    ("JSON/JSONB columns", re.compile(r"^\s*(CREATE|ALTER)\s+TABLE\b.*\s(JSONB?)\b(?!\s*\))", re.I | re.S)),
    ("ALTER COLUMN ... TYPE", re.compile(r"\bALTER\s+(COLUMN\s+)?\S+\s+(SET\s+DATA\s+)?TYPE\b", re.I)),
    ("SET NOT NULL", re.compile(r"\bALTER\s+(COLUMN\s+)?\S+\s+SET\s+NOT\s+NULL\b", re.I)),
    (
        "ADD COLUMN with a default or constraint",
        re.compile(
            r"\bADD\s+(COLUMN\s+)?(?!CONSTRAINT\b)\S+\s+[^,]*?\b(DEFAULT|NOT\s+NULL|CHECK|REFERENCES|UNIQUE|PRIMARY"
            r"\s+KEY|GENERATED)\b",
            re.I,
        ),
    ),
    (
        "ADD CONSTRAINT without NOT VALID",
        re.compile(rf"\bADD\s+CONSTRAINT\b(?!.*{_NOT_VALID})", re.I),
    ),
    ("CREATE INDEX without ASYNC", re.compile(r"^\s*CREATE\s+(UNIQUE\s+)?INDEX\s+(?!ASYNC\b)", re.I)),
    ("SERIAL columns (a sequence without CACHE)", re.compile(r"\b(SMALL|BIG)?SERIAL\b", re.I)),
    (
        "sequences without CACHE 1 or >= 65536",
        re.compile(rf"(\bCREATE\s+SEQUENCE\b|\bAS\s+IDENTITY\b)(?!.*{_CACHE})", re.I | re.S),
    ),
]


def _bare(sql: str) -> str:
    """The statement without its string literals and quoted names, which may hold any word."""
    return _IDENTIFIERS.sub('"x"', _LITERALS.sub("''", sql))


def refusals(sql: str) -> list[str]:
    """What Aurora DSQL would refuse in this one statement (empty when it runs there)."""
    bare = _bare(sql)
    if SETUP.match(bare):
        return []
    return [name for name, rule in RULES if rule.search(bare)]


@dataclass
class Transaction:
    """What one transaction ran so far: DSQL takes one DDL statement per transaction, and never with DML."""

    ddl: list[str] = field(default_factory=list)
    dml: int = 0

    def add(self, sql: str) -> list[str]:
        bare = _bare(sql)
        if SETUP.match(bare):
            return []
        if DDL.match(bare):
            self.ddl.append(sql)
        elif DML.match(bare):
            self.dml += 1
        else:
            return []
        problems = []
        if len(self.ddl) > 1:
            problems.append("more than one DDL statement in a transaction")
        if self.ddl and self.dml:
            problems.append("DDL and DML in one transaction")
        return problems


class Refused(AssertionError):
    """A statement Aurora DSQL would refuse: the test that ran it fails."""
