"""POST /v1/chat/completions: what the gateway does with each field current clients send."""

from gateway.compat import ADAPTED, DROPPED, HONOURED, REFUSED, Policy

TITLE = "Chat completions (`POST /v1/chat/completions`)"
NO_EQUIVALENT = "Converse has no equivalent; leaving it out changes nothing a client reads from the answer."
TABLE = (
    Policy(
        "model",
        HONOURED,
        "Resolved through the model table (alias, Bedrock id, inference profile, "
        "Anthropic name); a name no table knows is a 404.",
    ),
    Policy(
        "messages",
        HONOURED,
        "Roles `system`/`developer` become Converse system blocks at their place; "
        "consecutive turns of one role are merged; blank text is removed; tool results pair with their calls.",
    ),
    Policy("stream", HONOURED, "ConverseStream, one chunk per delta."),
    Policy(
        "stream_options", HONOURED, "`include_usage` adds the usage chunk; `include_obfuscation` has nothing to do."
    ),
    Policy("max_completion_tokens / max_tokens", HONOURED, "`maxTokens`; above the model's maximum is a 400."),
    Policy(
        "temperature",
        ADAPTED,
        "OpenAI's 0-2 scale is clamped to Bedrock's 0-1 (a value above 1 becomes 1).",
        "Cline, Continue",
    ),
    Policy(
        "top_p",
        ADAPTED,
        "Sent, except to models that take only one of temperature and top_p, where "
        "temperature wins, and with thinking on, where Claude ignores it.",
    ),
    Policy("stop", HONOURED, "`stopSequences`, at most 4."),
    Policy(
        "tools / tool_choice / parallel_tool_calls",
        HONOURED,
        "Converse `toolConfig`; `parallel_tool_calls: false` becomes Claude's `disable_parallel_tool_use`.",
    ),
    Policy(
        "tools[].type=custom",
        ADAPTED,
        "A freeform tool (the Copilot CLI's `apply_patch` for GPT model names) "
        "reaches the model as a function with one string parameter carrying the tool's format or grammar; its "
        "calls come back as `custom` tool calls, and go back to Bedrock from the history the same way.",
        "Copilot CLI",
    ),
    Policy("response_format", HONOURED, "Native structured output where the model has it, else a forced tool."),
    Policy(
        "reasoning_effort",
        ADAPTED,
        "Claude's thinking: a token budget or adaptive thinking with effort, "
        "as the model supports; dropped on a model that cannot reason.",
        "Copilot CLI",
    ),
    Policy("user / metadata", HONOURED, "Kept in the usage record's metadata, not sent to Bedrock."),
    Policy("store", DROPPED, "Chat completions are never stored here; `store: false` is what happens anyway.", "pi"),
    Policy("seed / frequency_penalty / presence_penalty / logit_bias", DROPPED, NO_EQUIVALENT),
    Policy("service_tier / prompt_cache_key / safety_identifier / verbosity", DROPPED, NO_EQUIVALENT),
    Policy("web_search_options", DROPPED, "This gateway has no web search: the model answers from what it knows."),
    Policy("any other field", DROPPED, "Named `unknown:<field>` in the `x-sbc-adapted` header."),
    Policy(
        "n > 1", REFUSED, "Bedrock returns one choice; answering with one would break a client counting on several."
    ),
    Policy("logprobs / top_logprobs", REFUSED, "Bedrock returns no token log probabilities."),
    Policy("audio / modalities other than text", REFUSED, "This gateway returns text only."),
    Policy("prediction", REFUSED, "Bedrock has no predicted outputs."),
    Policy(
        "functions / function_call",
        REFUSED,
        "The deprecated fields answer in a shape the gateway does not produce; use `tools` and `tool_choice`.",
    ),
)
