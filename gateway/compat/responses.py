"""POST /v1/responses: what the gateway does with each field, input item and tool type current clients send."""
from gateway.compat import ADAPTED, DROPPED, HONOURED, REFUSED, Policy

TITLE = "Responses API (`POST /v1/responses`)"
TABLE = (
    Policy("model / input / instructions", HONOURED, "As chat completions: `instructions` and system or "
           "developer items become Converse system blocks."),
    Policy("max_output_tokens / temperature / top_p / tool_choice / parallel_tool_calls", HONOURED,
           "As chat completions."),
    Policy("stream / stream_options / user / metadata", HONOURED, "As chat completions."),
    Policy("reasoning.effort", ADAPTED, "As chat's `reasoning_effort`; `reasoning.summary` returns the "
           "reasoning text as the summary."),
    Policy("text.format", HONOURED, "As chat's `response_format`."),
    Policy("include: reasoning.encrypted_content", HONOURED, "Reasoning items carry Claude's signed thinking, "
           "which the client sends back so thinking continues through a tool loop.", "Codex"),
    Policy("tools[].type=function / namespace", HONOURED, "Functions of a namespace reach Bedrock as "
           "`<namespace>__<name>` and come back with `namespace`.", "Codex"),
    Policy("store / truncation / service_tier / prompt_cache_key / prompt_cache_retention", DROPPED,
           "Converse has no equivalent."),
    Policy("safety_identifier / max_tool_calls / client_metadata / text.verbosity", DROPPED,
           "Converse has no equivalent.", "Codex"),
    Policy("any other field", DROPPED, "Named `unknown:<field>` in the `x-sbc-adapted` header."),
    Policy("previous_response_id / conversation / item_reference", REFUSED, "Nothing is stored yet."),
    Policy("tools[].type=web_search and other hosted tools", REFUSED, "Bedrock runs only function tools.",
           "Codex"),
    Policy("context_management", REFUSED, "Compaction on the server is not available yet."),
    Policy("prompt", REFUSED, "Stored prompt templates are not available; send the prompt in `input`."),
    Policy("background: true", REFUSED, "Nothing is stored to poll."),
    Policy("top_logprobs", REFUSED, "Bedrock returns no token log probabilities."),
)
