"""Deterministic rewriting of client tool names and tool-call ids into the forms Bedrock accepts.

Clients (MCP bridges especially) send names like `github.create_issue` or ids from other providers that
Bedrock's validators reject. The rewrite is a pure function of the original, so a toolUse and its
toolResult written in different messages still pair up, and a hash suffix keeps two different originals
from collapsing into the same rewritten value.
"""

from __future__ import annotations

import hashlib
import re

MAX_LENGTH = 64
TOOL_NAME_RE = re.compile(r"[a-zA-Z0-9_-]{1,64}")
TOOL_ID_RE = re.compile(r"[a-zA-Z0-9_.:-]{1,64}")
_NAME_BAD_CHARS = re.compile(r"[^a-zA-Z0-9_-]")
_ID_BAD_CHARS = re.compile(r"[^a-zA-Z0-9_.:-]")


def _rewrite(value: str, bad_chars: re.Pattern[str]) -> str:
    suffix = "_" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return bad_chars.sub("_", value)[: MAX_LENGTH - len(suffix)] + suffix


def bedrock_tool_name(name: str) -> str:
    """`name` unchanged when Bedrock accepts it, else a stable rewrite matching `[a-zA-Z0-9_-]{1,64}`."""
    return name if TOOL_NAME_RE.fullmatch(name) else _rewrite(name, _NAME_BAD_CHARS)


def bedrock_tool_id(tool_id: str) -> str:
    """`tool_id` unchanged when Bedrock accepts it, else a stable rewrite matching `[a-zA-Z0-9_.:-]{1,64}`."""
    return tool_id if TOOL_ID_RE.fullmatch(tool_id) else _rewrite(tool_id, _ID_BAD_CHARS)


def client_tool_name(bedrock_name: str, tool_names: dict[str, str]) -> str:
    """The name the client used for a tool Bedrock calls `bedrock_name`."""
    return tool_names.get(bedrock_name, bedrock_name)
