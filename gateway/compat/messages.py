"""POST /v1/messages: what the gateway does with each field, beta and tool type current clients send."""

from gateway.compat import ADAPTED, DROPPED, HONOURED, REFUSED, Policy

TITLE = "Anthropic Messages API (`POST /v1/messages`, Claude Code)"
CC = "Claude Code"
TABLE = (
    Policy(
        "model",
        ADAPTED,
        "A Claude model from the model table. An Anthropic model name the table does not "
        "have (such as Claude Code's own default) is answered by `DEFAULT_MODEL` when that is a Claude model, "
        "under the name asked for, and named `model`; any other model is a 400.",
        CC,
    ),
    Policy(
        "max_tokens / system / temperature / top_p / top_k / stop_sequences / tool_choice",
        HONOURED,
        "Sent to Bedrock's InvokeModel as Claude's own body.",
    ),
    Policy(
        "messages",
        HONOURED,
        "Sent as they are; consecutive turns of one role are merged into one, as "
        "Anthropic's API does, and named `messages:merged`.",
    ),
    Policy(
        "messages[].role=system",
        ADAPTED,
        "Kept at its place: its text goes into the neighbouring user turn "
        "(the end of the one before, else the start of the one after, after its tool results; a user turn of "
        "its own between two assistant turns), each block wrapped in `<system-reminder>` tags with its "
        "`cache_control` kept, never hoisted into `system`, so the prompt cache keeps matching from turn to "
        "turn. Named `messages.role:system`. A system entry with other than text, or any other role, is a 400.",
        CC,
    ),
    Policy(
        "thinking",
        ADAPTED,
        "As sent to models with adaptive thinking (Claude 4.6 and later); `adaptive` "
        "becomes a token budget from the effort (as for `reasoning_effort`, kept below `max_tokens`) on "
        "models with budget thinking, named `thinking.type:adaptive`; left out on models without thinking, "
        "named `thinking`.",
        CC,
    ),
    Policy(
        "output_config.effort",
        ADAPTED,
        "Sent to models with adaptive thinking (`xhigh` as `high`); "
        "elsewhere it sets the thinking budget or is left out, named `output_config.effort`.",
        CC,
    ),
    Policy(
        "output_config.format",
        REFUSED,
        "Structured output is not offered on this path; answering free text "
        "would break a client that parses JSON (use `response_format` on /v1/chat/completions).",
    ),
    Policy("tools", HONOURED, "Client tools are sent as they are."),
    Policy(
        "tools[].defer_loading",
        DROPPED,
        "A deferred tool is one the model does not see until Anthropic's "
        "tool search loads it; it is left out, named `tools.defer_loading`.",
        CC,
    ),
    Policy(
        "tools[].eager_input_streaming / strict / other tool keys",
        DROPPED,
        "Bedrock rejects them; they "
        "change how a call streams or is checked, not what the model may call. Named `tools.<key>`.",
    ),
    Policy(
        "tools[].type=web_search_* and other server tools",
        DROPPED,
        "They run on Anthropic's servers only; each is named `tool:<name>`.",
        CC,
    ),
    Policy("cache_control", HONOURED, "Sent at the place the client put it, so its cache points keep working."),
    Policy(
        "cache_control.scope and other keys",
        DROPPED,
        "Bedrock rejects them; the block is still cached. Named `cache_control.<key>`.",
    ),
    Policy(
        "cache_control.ttl",
        ADAPTED,
        "`1h` is kept on Claude 4.5 and later, where Bedrock has it; elsewhere, "
        "or after a 5-minute breakpoint (which Claude refuses), the TTL is removed: cached for 5 minutes. "
        "Named `cache_control.ttl`.",
    ),
    Policy(
        "metadata",
        HONOURED,
        "`user_id` is kept in the usage record, not sent to Bedrock; other keys are named `metadata`.",
        CC,
    ),
    Policy(
        "context_management",
        DROPPED,
        "Bedrock rejects it; without it the conversation is sent whole, which is what the client sent: nothing the "
        "model would have seen is lost. With `thread`, refused as `thread_unsupported_request` (see `thread`).",
        CC,
    ),
    Policy(
        "service_tier / inference_geo / speed",
        DROPPED,
        "Anthropic's API only; Bedrock rejects them.",
    ),
    Policy(
        "container / mcp_servers",
        REFUSED,
        "They point at a container or MCP servers only Anthropic's servers hold: dropped, the model would answer "
        "without the state or tools the client counts on, so the request is a 400 naming the field.",
    ),
    Policy(
        "thread (message-threads-2026-08-12 beta)",
        HONOURED,
        "Anthropic's SDK runs `tool_runner()` over a thread by default. Each turn is kept per identity (as long as "
        "stored responses: RESPONSES_RETENTION_DAYS) under its reply's id; `continue` rebuilds the whole "
        "conversation, signed thinking included, with one cache point on the kept turns, before Bedrock is "
        "called. Another identity's or an expired reply id is `thread_not_found` (404); with `context_management`, "
        "or with storage off, the answer is `thread_unsupported_request` (400), and the SDK sends the conversation "
        "whole instead. The beta is not sent to Bedrock and not named.",
    ),
    Policy("any other field", DROPPED, "Named `unknown:<field>`: Bedrock rejects fields it does not know."),
    Policy(
        "anthropic-beta",
        DROPPED,
        "Betas Bedrock takes are sent as `anthropic_beta` (`effort-*` only with "
        "an effort it takes); the rest (`claude-code-*`, `context-management-*`, `mid-conversation-*`, "
        "`thinking-token-count-*`, `prompt-caching-scope-*`, `advanced-tool-use-*`, ...) are left out, each "
        "named `beta:<name>`.",
        CC,
    ),
    Policy(
        "GET /v1/models (Anthropic headers)",
        HONOURED,
        "With `anthropic-version` or `x-api-key`: "
        "Anthropic's list shape, with the Claude models (under Claude names) the token's identity may use.",
        CC,
    ),
)
