"""Bedrock model ids as plain strings: the inference-profile prefixes a call may carry, and the id without one."""

from __future__ import annotations

import re

PROFILE_PREFIXES = ("us.", "eu.", "apac.", "jp.", "au.", "global.", "us-gov.", "ca.", "in.")


def strip_profile(model_id: str) -> str:
    """`us.anthropic.claude-...` -> `anthropic.claude-...`; any other id unchanged."""
    for prefix in PROFILE_PREFIXES:
        if model_id.startswith(prefix):
            return model_id[len(prefix) :]
    return model_id


# arn:aws:bedrock:<region>:<account?>:foundation-model/<id> or ...:inference-profile/<profile id>
_ARN_MODEL_RE = re.compile(r"^arn:aws[\w-]*:bedrock:[\w-]*:\d*:(?:foundation-model|inference-profile)/(?P<id>[^/]+)$")


def base_model_id(name: str) -> str:
    """The foundation model a Bedrock id, profile id or ARN of either names, whatever form reached the gateway:
    `arn:aws:bedrock:us-east-1::foundation-model/meta.llama3-...` and `us.meta.llama3-...` -> `meta.llama3-...`.
    An application inference profile's ARN names no model and is returned unchanged."""
    match = _ARN_MODEL_RE.match(name)
    return strip_profile(match["id"] if match else name)
