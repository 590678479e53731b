"""The price table (prices.toml) and the function memory the serverless shape deploys, read from their files.

Plain Python, no Django: `make cost` runs without the project's settings.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
PRICES = HERE / "prices.toml"
ROOT = HERE.parent.parent
SERVERLESS_VARIABLES = ROOT / "deploy" / "terraform" / "examples" / "serverless" / "variables.tf"
ZAPPA_SETTINGS = ROOT / "zappa_settings.json"
ZAPPA_STAGE = "serverless"
# The memory the serverless Terraform example and Zappa stage deploy; used when the example is not in this tree.
# tests/deploy/test_cost.py holds it to both files.
SERVERLESS_MEMORY_MB = 320
_MEMORY = re.compile(r'variable\s+"memory_size"\s*\{[^}]*?default\s*=\s*(\d+)', re.S)


@dataclass(frozen=True)
class Price:
    key: str
    usd: float
    per: str
    source: str
    read: str
    note: str = ""


@dataclass(frozen=True)
class FreeTier:
    key: str
    amount: float
    per: str
    always: bool
    source: str
    read: str


@dataclass(frozen=True)
class Table:
    region: str
    read: str
    prices: dict[str, Price]
    free: dict[str, FreeTier]
    assume: dict[str, float]
    why: dict[str, str]

    def usd(self, key: str) -> float:
        return self.prices[key].usd


def load(path: Path = PRICES) -> Table:
    raw = tomllib.loads(path.read_text())
    return Table(
        region=raw["region"],
        read=raw["read"],
        prices={key: Price(key=key, **value) for key, value in raw["price"].items()},
        free={key: FreeTier(key=key, **value) for key, value in raw["free"].items()},
        assume={key: float(value["value"]) for key, value in raw["assume"].items()},
        why={key: " ".join(value["why"].split()) for key, value in raw["assume"].items()},
    )


def terraform_memory_mb(path: Path = SERVERLESS_VARIABLES) -> int | None:
    """The serverless example's `memory_size` default, or None when the example is not there."""
    if not path.exists():
        return None
    found = _MEMORY.search(path.read_text())
    return int(found.group(1)) if found else None


def zappa_memory_mb(path: Path = ZAPPA_SETTINGS, stage: str = ZAPPA_STAGE) -> int | None:
    """The Zappa stage's `memory_size` (following `extends`), or None when there is no such stage."""
    if not path.exists():
        return None
    stages = json.loads(path.read_text())
    while stage in stages:
        if "memory_size" in stages[stage]:
            return int(stages[stage]["memory_size"])
        stage = stages[stage].get("extends", "")
    return None


def serverless_memory_mb() -> int:
    return terraform_memory_mb() or SERVERLESS_MEMORY_MB
