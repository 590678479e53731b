"""Reading deploy/terraform without Terraform: python-hcl2's parse, with its quoting undone."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import hcl2

from tests.live import ROOT

TERRAFORM = ROOT / "deploy" / "terraform"
MODULES = TERRAFORM / "modules"
EXAMPLES = TERRAFORM / "examples"


def tf_files() -> list[Path]:
    return sorted(TERRAFORM.rglob("*.tf"))


@cache
def parse(path: Path) -> dict:
    return hcl2.loads(path.read_text())


def unquote(value):
    """hcl2 keeps string literals quoted ("\\"x\\"") and block labels too; expressions stay as "${...}"."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def blocks(directory: Path, kind: str) -> list[tuple[Path, str, str, dict]]:
    """(file, type, name, body) of every `kind` block ("resource", "data") in the .tf files under `directory`."""
    found = []
    for path in sorted(directory.rglob("*.tf")):
        for block in parse(path).get(kind, []):
            for type_label, named in block.items():
                for name, body in named.items():
                    found.append((path, unquote(type_label), unquote(name), body))
    return found


def labelled(directory: Path, kind: str) -> dict[str, dict]:
    """`variable` / `output` / `module` blocks under `directory` (one module), by name."""
    found: dict[str, dict] = {}
    for path in sorted(directory.glob("*.tf")):
        for block in parse(path).get(kind, []):
            for name, body in block.items():
                if name != "__comments__":
                    found[unquote(name)] = {k: v for k, v in body.items() if k != "__comments__"}
    return found


def locals_of(directory: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted(directory.glob("*.tf")):
        for block in parse(path).get("locals", []):
            found.update({key: value for key, value in block.items() if key != "__comments__"})
    return found


def checkov_skips() -> list[tuple[Path, int, str, str]]:
    """Every `#checkov:skip=ID:reason` comment: (file, line, id, reason)."""
    skips = []
    for path in tf_files():
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = re.search(r"#\s*checkov:skip=([^:\s]*)(?::(.*))?$", line)
            if match:
                skips.append((path, number, match.group(1), (match.group(2) or "").strip()))
    return skips
