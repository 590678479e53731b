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
    Policy("store", HONOURED, "The response is kept RESPONSES_RETENTION_DAYS (default 30) for its identity "
           "only; with retention 0 nothing is kept, the answer says `\"store\": false` and the header names it."),
    Policy("previous_response_id", HONOURED, "The stored chain's input and output items come before `input`; "
           "`instructions` are not carried over; signed thinking is replayed. Another identity's or an expired "
           "id is a 404."),
    Policy("input[].type=item_reference", HONOURED, "Replaced by the caller's stored item with that id; any "
           "other id is a 404.", "Vercel AI SDK"),
    Policy("conversation", HONOURED, "The conversation's items come before `input`; the input and output are "
           "added to it (`/v1/conversations`)."),
    Policy("truncation / service_tier / prompt_cache_key / prompt_cache_retention", DROPPED,
           "Converse has no equivalent."),
    Policy("safety_identifier / max_tool_calls / client_metadata / text.verbosity", DROPPED,
           "Converse has no equivalent.", "Codex"),
    Policy("any other field", DROPPED, "Named `unknown:<field>` in the `x-sbc-adapted` header."),
    Policy("tools[].type=web_search and other hosted tools", REFUSED, "Bedrock runs only function tools.",
           "Codex"),
    Policy("context_management", REFUSED, "Compaction on the server is not available yet."),
    Policy("prompt", REFUSED, "Stored prompt templates are not available; send the prompt in `input`."),
    Policy("background: true", REFUSED, "Answers are made within the request; nothing runs in the background."),
    Policy("top_logprobs", REFUSED, "Bedrock returns no token log probabilities."),
)
