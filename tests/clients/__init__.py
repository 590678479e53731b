"""The coding agents and SDKs of the end-to-end tests, as `make test` installs them into .tools/.

Each pinned version is its own npm alias (tests/clients/package.json), so several versions of one tool sit
side by side. A test asks for a tool's command line and skips when the install step could not provide it.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.live import ROOT

PACKAGES = Path(__file__).with_name("package.json")
MODULES = ROOT / ".tools" / "node_modules"


def pinned(prefix: str) -> list[str]:
    """The versions of a tool the tests run, newest first: pinned("claude-code") -> ["2.1.332", ...]."""
    names = json.loads(PACKAGES.read_text())["dependencies"]
    return [name[len(prefix) + 1:] for name in names if name.startswith(prefix + "-")]


def node22() -> str:
    """Node.js 22, which current agents need (the machine's Node may be older)."""
    path = MODULES / "node22" / "bin" / "node"
    if not path.exists():
        pytest.skip("Node.js 22 is not installed in .tools (make test installs it)")
    return str(path)


def node_command(alias: str, script: str) -> list[str]:
    """`node22 <script>` of an installed package alias, or a skip naming what is missing."""
    path = MODULES / alias / script
    if not path.exists():
        pytest.skip(f"{alias} is not installed in .tools (make test installs it from tests/clients/package.json)")
    return [node22(), str(path)]


def clean_env(home: Path, **variables: str) -> dict[str, str]:
    """A user's environment: PATH (with Node 22 first), a fresh HOME, and only the given variables."""
    node_bin = str(MODULES / "node22" / "bin")
    return {"PATH": f"{node_bin}:{os.environ.get('PATH', '')}", "HOME": str(home), **variables}
