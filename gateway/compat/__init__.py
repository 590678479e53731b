"""The compatibility policy: what the gateway does with each field, item, tool type and header clients send.

Coding agents send what their makers need, not what a spec lists, and change every few weeks. So each thing
a current client sends by default has one entry in its API's table (`chat`, `responses`, `messages`):

* honoured: sent to Bedrock with the same meaning;
* adapted: mapped to the nearest thing Bedrock has (the entry says how);
* dropped: not sent, because Bedrock has nothing like it and leaving it out changes nothing the client
  relies on (the entry says why);
* refused: a 400 naming it, only where answering would silently change what the client relies on.

A request keeps the names of what was adapted or dropped for it (`Adaptations`): they reach the usage
record, the `response` event and the `x-sbc-adapted` response header (`core.headers.ADAPTED`), so an
admin can see why an answer differs. Names only, never values. The README's compatibility section is
rendered from these tables (`python manage.py compat_doc`), and a test keeps the two equal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HONOURED, ADAPTED, DROPPED, REFUSED = "honoured", "adapted", "dropped", "refused"
TREATMENTS = (HONOURED, ADAPTED, DROPPED, REFUSED)
MAX_NAMES = 20  # per request: a header and a record column, not a log
_NAME_RE = re.compile(r"[^A-Za-z0-9_.:/@-]")
MAX_NAME = 60


@dataclass(frozen=True)
class Policy:
    """One thing a client may send, and what the gateway does with it."""

    name: str  # as the client writes it: a field, `tools[].type=web_search`, a header
    treatment: str  # one of TREATMENTS
    how: str  # one sentence a user would accept
    clients: str = ""  # which current clients send it by default, where that is why it is here

    def __post_init__(self) -> None:
        if self.treatment not in TREATMENTS:
            raise ValueError(f"unknown treatment {self.treatment!r} for {self.name}")


def safe_name(name: object) -> str:
    """A client-chosen name (an unknown field, a beta, a tool type) made fit for a header and a log line."""
    return _NAME_RE.sub("_", str(name))[:MAX_NAME]


class Adaptations:
    """The names of what one request had adapted or dropped, in the order first met, each once."""

    def __init__(self, names: tuple[str, ...] | list[str] = ()) -> None:
        self._names: list[str] = []
        self.extend(names)

    def note(self, name: str) -> None:
        name = safe_name(name)
        if name and name not in self._names and len(self._names) < MAX_NAMES:
            self._names.append(name)

    def extend(self, names) -> None:
        for name in names:
            self.note(name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._names)

    def header(self) -> str:
        return ", ".join(self._names)

    def __bool__(self) -> bool:
        return bool(self._names)

    def __iter__(self):
        return iter(self._names)

    def __repr__(self) -> str:
        return f"Adaptations({self._names!r})"
