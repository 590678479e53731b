"""The one place that knows models: resolves a requested name to what Bedrock needs and what it can do.

`resolve` is pure over a table of `ModelSpec`s; `model_table()` loads that table from the
`ModelAlias` rows and caches it per process for MODEL_CACHE_SECONDS (a save in the admin clears
this process's copy at once), so an added alias needs no redeploy and costs no query per request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from core.errors import InvalidRequest, ModelNotFound
from core.model_ids import PROFILE_PREFIXES, strip_profile

# Region prefix -> cross-region inference profile geography.
GEOGRAPHY_BY_REGION = (
    ("us-gov-", "us-gov"),
    ("us-", "us"),
    ("ca-", "us"),
    ("eu-", "eu"),
    ("ap-northeast-1", "jp"),
    ("ap-southeast-2", "au"),
    ("ap-", "apac"),
)
MODEL_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@+\-]{0,2047}$")
# What a name no alias knows may be to reach Bedrock as it is: a foundation model id (`provider.model`), the same
# behind an inference-profile prefix (`us.provider.model`), or a Bedrock ARN (checked by `arn_is_ours`).
FOUNDATION_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*\.[A-Za-z0-9][A-Za-z0-9._:\-]{0,255}$")
BEDROCK_ARN_RE = re.compile(
    r"^arn:aws(?:-[a-z]+)*:bedrock:(?P<region>[a-z0-9-]+):(?P<account>\d{12})?:(?P<kind>[a-z-]+)/[A-Za-z0-9._:/\-]+$"
)
MAX_ALIAS_DEPTH = 4
# Anthropic's own model ids (what Claude Code and Anthropic's SDKs send, e.g. `claude-sonnet-4-5-20250929`)
# name the Bedrock base id `anthropic.<id>` with one of these endings; the first known one wins. An undated
# id (`claude-sonnet-4-5`) names the one known dated Bedrock id it prefixes.
ANTHROPIC_ID_FORMS = ("anthropic.{}", "anthropic.{}-v1:0", "anthropic.{}-v2:0", "anthropic.{}-v1")


@dataclass(frozen=True)
class ModelSpec:
    name: str
    base_model_id: str
    profile: str = "optional"  # "required": call through the region's inference profile
    kind: str = "chat"
    owned_by: str = "bedrock"
    supports_tools: bool = True
    supports_streaming_tools: bool = True
    supports_images: bool = True
    sampling: str = "both"  # "both", "one" (temperature xor top_p), "none"
    reasoning: str = "none"  # "none", "budget", "adaptive"
    prompt_caching: bool = False
    structured_output: str = "tool"  # "native" (outputConfig.textFormat) or "tool" (a forced tool call)
    context_window: int = 200_000
    max_output_tokens: int = 8192
    listed: bool = True
    created: int = 0
    alias_of: str | None = None
    passthrough: bool = False

    @property
    def provider(self) -> str:
        """The model's maker as Bedrock names it: `anthropic`, `meta`, `mistral`, `amazon`, ..."""
        return strip_profile(self.base_model_id).split(".", 1)[0] if "." in self.base_model_id else ""

    @property
    def can_reason(self) -> bool:
        return self.reasoning in ("budget", "adaptive")

    def model_id_for(self, region: str, geography: str = "") -> str:
        """The id to call in `region`: the inference profile where the model needs one."""
        if (
            self.profile != "required"
            or self.base_model_id.startswith(PROFILE_PREFIXES)
            or self.base_model_id.startswith("arn:")
        ):
            return self.base_model_id
        return f"{geography or geography_for(region)}.{self.base_model_id}"


@dataclass(frozen=True)
class ModelTable:
    specs: dict[str, ModelSpec] = field(default_factory=dict)
    by_base_id: dict[str, ModelSpec] = field(default_factory=dict)

    @classmethod
    def of(cls, specs: list[ModelSpec]) -> ModelTable:
        return cls({s.name: s for s in specs}, {s.base_model_id: s for s in specs if not s.alias_of})


def geography_for(region: str) -> str:
    for prefix, geography in GEOGRAPHY_BY_REGION:
        if region.startswith(prefix):
            return geography
    return "us"


def by_anthropic_id(name: str, table: ModelTable) -> ModelSpec | None:
    """The known model an Anthropic model id names (see ANTHROPIC_ID_FORMS), as a spec called `name`."""
    if not name.startswith("claude-"):
        return None
    known = next(
        (table.by_base_id[form.format(name)] for form in ANTHROPIC_ID_FORMS if form.format(name) in table.by_base_id),
        None,
    )
    if known is None:
        dated = [spec for base_id, spec in table.by_base_id.items() if base_id.startswith(f"anthropic.{name}-20")]
        known = dated[0] if len(dated) == 1 else None
    return replace(known, name=name, listed=False, alias_of=known.name) if known else None


def arn_is_ours(arn: str, *, regions: tuple[str, ...], accounts: tuple[str, ...]) -> bool:
    """Whether `arn` names a Bedrock resource in one of the deployment's `regions` and, unless it is a foundation
    model (whose ARN has no account), in one of its `accounts`."""
    match = BEDROCK_ARN_RE.match(arn)
    if match is None or match["region"] not in regions:
        return False
    if match["kind"] == "foundation-model":
        return not match["account"]
    return bool(match["account"]) and match["account"] in accounts


def passes_through(name: str, *, regions: tuple[str, ...] = (), accounts: tuple[str, ...] = ()) -> bool:
    """Whether `name`, which no alias knows, may be sent to Bedrock as it is (see FOUNDATION_ID_RE, arn_is_ours)."""
    if name.startswith("arn:"):
        return arn_is_ours(name, regions=regions, accounts=accounts)
    return bool(FOUNDATION_ID_RE.match(name))


def resolve(
    name: str, table: ModelTable, *, kind: str = "chat", regions: tuple[str, ...] = (), accounts: tuple[str, ...] = ()
) -> ModelSpec:
    """The spec for `name`: an alias, an Anthropic model id, or a Bedrock model id (or an ARN of the deployment's
    `accounts` in its `regions`) passed through as it is."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidRequest("`model` must be a non-empty string", param="model")
    spec = table.specs.get(name) or by_anthropic_id(name, table)
    if spec is None:
        if not MODEL_ID_RE.match(name):
            raise ModelNotFound(f"The model `{name}` does not exist", param="model")
        known = table.by_base_id.get(strip_profile(name))
        if known is None and not passes_through(name, regions=regions, accounts=accounts):
            # Only Bedrock's own ids and the deployment's own ARNs reach Bedrock unaliased: a caller cannot point
            # the gateway's role at another account's provisioned model or profile, nor at another region.
            hint = (
                "an ARN of another account or region works once an admin adds it as a model alias"
                if name.startswith("arn:")
                else "use a model alias or a Bedrock model id"
            )
            raise ModelNotFound(f"The model `{name}` does not exist here: {hint}", param="model")
        base = known or ModelSpec(name=name, base_model_id=name, kind=kind)
        # A known base id keeps its profile rule, so `anthropic.claude-…` works as the README promises.
        profile = known.profile if known is not None and name == strip_profile(name) else "optional"
        return replace(
            base, name=name, base_model_id=name, profile=profile, passthrough=True, listed=False, alias_of=None
        )
    if spec.kind != kind:
        raise InvalidRequest(f"The model `{name}` is a {spec.kind} model and cannot be used here", param="model")
    return spec
