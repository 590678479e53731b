"""POST /v1/responses: what the gateway does with each field, input item and tool type current clients send."""

from gateway.compat import ADAPTED, DROPPED, HONOURED, REFUSED, Policy

TITLE = "Responses API (`POST /v1/responses`)"
TABLE = (
    Policy(
        "model / input / instructions",
        HONOURED,
        "As chat completions: `instructions` and system or developer items become Converse system blocks.",
    ),
    Policy(
        "max_output_tokens / temperature / top_p / tool_choice / parallel_tool_calls", HONOURED, "As chat completions."
    ),
    Policy("stream / stream_options / user / metadata", HONOURED, "As chat completions."),
    Policy(
        "reasoning.effort",
        ADAPTED,
        "As chat's `reasoning_effort`; `reasoning.summary` returns the reasoning text as the summary.",
    ),
    Policy("text.format", HONOURED, "As chat's `response_format`."),
    Policy(
        "include: reasoning.encrypted_content",
        HONOURED,
        "Reasoning items carry Claude's signed thinking, "
        "which the client sends back so thinking continues through a tool loop, `store: false` included.",
        "Codex",
    ),
    Policy(
        "input: reasoning item by id alone",
        HONOURED,
        "A reasoning item sent back without `encrypted_content` (the OpenAI Agents SDK's default) is read back "
        "from the stored response of that id, signature included, so thinking continues; when responses are "
        "not kept it cannot be, and the item is left out and named `item:reasoning`.",
    ),
    Policy(
        "tools[].type=function / namespace",
        HONOURED,
        "Functions of a namespace reach Bedrock as `<namespace>__<name>` and come back with `namespace`.",
        "Codex",
    ),
    Policy(
        "store",
        HONOURED,
        "The response is kept RESPONSES_RETENTION_DAYS (default 30) for its identity "
        'only; with retention 0 nothing is kept, the answer says `"store": false` and the header names it.',
    ),
    Policy(
        "previous_response_id",
        HONOURED,
        "The stored chain's input and output items come before `input`; "
        "`instructions` are not carried over; signed thinking is replayed. Another identity's or an expired "
        "id is a 404.",
    ),
    Policy(
        "input[].type=item_reference",
        HONOURED,
        "Replaced by the caller's stored item with that id; any other id is a 404.",
        "Vercel AI SDK",
    ),
    Policy(
        "conversation",
        HONOURED,
        "The conversation's items come before `input`; the input and output are added to it (`/v1/conversations`).",
    ),
    Policy(
        "truncation / service_tier / prompt_cache_key / prompt_cache_retention", DROPPED, "Converse has no equivalent."
    ),
    Policy(
        "safety_identifier / max_tool_calls / client_metadata / text.verbosity",
        DROPPED,
        "Converse has no equivalent.",
        "Codex",
    ),
    Policy(
        "tools[].type=web_search / file_search / code_interpreter / image_generation / mcp",
        DROPPED,
        "They run on OpenAI's servers only: left out, each named `tool:<type>`; the model answers with the "
        "client's own tools. Their call items sent back in `input` (`web_search_call`, ...) are dropped too, "
        "named `item:<type>`.",
        "Codex (web_search)",
    ),
    Policy(
        "input[].type=compaction",
        ADAPTED,
        "An item from `/v1/responses/compact` or `context_management` "
        "becomes the summary it carries, as user text; one from elsewhere cannot be read: dropped, named "
        "`item:compaction`.",
    ),
    Policy(
        "context_management: compaction",
        ADAPTED,
        "Over `compact_threshold` tokens (default 80% of the "
        "model's window) the items before the last user message are summarised by the same model, charged as "
        "a `responses.compact` request, and the output opens with the `compaction` item; below it, nothing "
        "changes.",
    ),
    Policy(
        "POST /v1/responses/compact",
        ADAPTED,
        "A summary written by the same model through Converse, "
        "metered as `responses.compact`: the output is the user's messages, then a `compaction` item.",
    ),
    Policy("any other field", DROPPED, "Named `unknown:<field>` in the `x-sbc-adapted` header."),
    Policy("tool_choice forcing a hosted tool", REFUSED, "The client relies on a call the gateway cannot run."),
    Policy(
        "tools[].type=local_shell / computer_use_preview / custom and other types",
        REFUSED,
        "The client runs them, but through Bedrock the model calls only function tools: declare them as functions.",
    ),
    Policy(
        "WebSocket upgrade on /v1/responses",
        REFUSED,
        "Answered at once with a 426, which makes Codex "
        "(`supports_websockets = true`) stream over HTTP without retrying.",
        "Codex",
    ),
    Policy("prompt", REFUSED, "Stored prompt templates are not available; send the prompt in `input`."),
    Policy("background: true", REFUSED, "Answers are made within the request; nothing runs in the background."),
    Policy("top_logprobs", REFUSED, "Bedrock returns no token log probabilities."),
)
