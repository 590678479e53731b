"""POST /v1/messages: what the gateway does with each field, beta and tool type current clients send."""
from gateway.compat import DROPPED, HONOURED, REFUSED, Policy

TITLE = "Anthropic Messages API (`POST /v1/messages`, Claude Code)"
TABLE = (
    Policy("model", HONOURED, "A Claude model from the model table; any other model is a 400."),
    Policy("messages / system / max_tokens / temperature / top_p / top_k / stop_sequences", HONOURED,
           "Sent to Bedrock's InvokeModel as Claude's own body."),
    Policy("tools / tool_choice / thinking / cache_control", HONOURED, "Sent as they are."),
    Policy("anthropic-beta", DROPPED, "Betas Bedrock does not accept are left out, each named `beta:<name>`.",
           "Claude Code"),
    Policy("tools[].type=web_search_* and other server tools", DROPPED, "They run on Anthropic's servers only; "
           "each is named `tool:<name>`.", "Claude Code"),
    Policy("metadata / context_management / output_config / other fields", DROPPED,
           "Bedrock rejects fields it does not know.", "Claude Code"),
    Policy("messages[].role=system", REFUSED, "Bedrock takes only user and assistant turns."),
)
