"""Bedrock model ids as plain strings: the inference-profile prefixes a call may carry, and the id without one."""

from __future__ import annotations

PROFILE_PREFIXES = ("us.", "eu.", "apac.", "jp.", "au.", "global.", "us-gov.", "ca.", "in.")


def strip_profile(model_id: str) -> str:
    """`us.anthropic.claude-...` -> `anthropic.claude-...`; any other id unchanged."""
    for prefix in PROFILE_PREFIXES:
        if model_id.startswith(prefix):
            return model_id[len(prefix) :]
    return model_id
