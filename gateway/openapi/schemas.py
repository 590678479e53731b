"""The JSON Schemas of the /v1 request and answer bodies, written once, for the published OpenAPI document."""

from __future__ import annotations


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


STRING_OR_STRINGS = {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
OPEN_OBJECT = {"type": "object", "additionalProperties": True}

# ---- OpenAI Chat Completions ----------------------------------------------------------------------

TEXT_PART = {
    "type": "object",
    "required": ["type", "text"],
    "properties": {"type": {"type": "string", "enum": ["text"]}, "text": {"type": "string"}},
}
IMAGE_PART = {
    "type": "object",
    "required": ["type", "image_url"],
    "description": "Inline images only: a remote http(s) URL is refused with 400, never fetched.",
    "properties": {
        "type": {"type": "string", "enum": ["image_url"]},
        "image_url": {
            "type": "object",
            "required": ["url"],
            "properties": {
                "url": {"type": "string", "pattern": "^data:image/(png|jpeg|gif|webp);base64,"},
                "detail": {"type": "string"},
            },
        },
    },
}
TEXT_CONTENT = {"oneOf": [{"type": "string"}, {"type": "array", "items": TEXT_PART}]}
TOOL_CALL = {
    "type": "object",
    "required": ["id", "type", "function"],
    "properties": {
        "id": {"type": "string", "minLength": 1},
        "type": {"type": "string", "enum": ["function"]},
        "function": {
            "type": "object",
            "required": ["name", "arguments"],
            "properties": {
                "name": {"type": "string", "minLength": 1},
                "arguments": {"type": "string", "description": "A JSON object, encoded", "example": "{}"},
            },
        },
    },
}
CHAT_MESSAGE = {
    "oneOf": [
        {
            "type": "object",
            "required": ["role", "content"],
            "properties": {
                "role": {"type": "string", "enum": ["system", "developer"]},
                "content": TEXT_CONTENT,
                "name": {"type": "string"},
            },
        },
        {
            "type": "object",
            "required": ["role", "content"],
            "properties": {
                "role": {"type": "string", "enum": ["user"]},
                "name": {"type": "string"},
                "content": {
                    "oneOf": [{"type": "string"}, {"type": "array", "items": {"oneOf": [TEXT_PART, IMAGE_PART]}}]
                },
            },
        },
        {
            "type": "object",
            "required": ["role"],
            "properties": {
                "role": {"type": "string", "enum": ["assistant"]},
                "name": {"type": "string"},
                "content": {**TEXT_CONTENT, "nullable": True},
                "tool_calls": {"type": "array", "items": TOOL_CALL},
            },
        },
        {
            "type": "object",
            "required": ["role", "tool_call_id", "content"],
            "properties": {
                "role": {"type": "string", "enum": ["tool"]},
                "tool_call_id": {"type": "string", "minLength": 1},
                "content": TEXT_CONTENT,
            },
        },
    ]
}
FUNCTION_TOOL = {
    "type": "object",
    "required": ["type", "function"],
    "properties": {
        "type": {"type": "string", "enum": ["function"]},
        "function": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "minLength": 1},
                "description": {"type": "string"},
                "parameters": OPEN_OBJECT,
                "strict": {"type": "boolean"},
            },
        },
    },
}
CUSTOM_TOOL = {
    "type": "object",
    "required": ["type", "custom"],
    "description": "A freeform tool: sent to the model as a function with one string parameter; its calls come "
    "back as `custom` tool calls.",
    "properties": {
        "type": {"type": "string", "enum": ["custom"]},
        "custom": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "minLength": 1},
                "description": {"type": "string"},
                "format": OPEN_OBJECT,
            },
        },
    },
}
TOOL = {"oneOf": [FUNCTION_TOOL, CUSTOM_TOOL]}
RESPONSE_FORMAT = {
    "oneOf": [
        {
            "type": "object",
            "required": ["type"],
            "properties": {"type": {"type": "string", "enum": ["text", "json_object"]}},
        },
        {
            "type": "object",
            "required": ["type", "json_schema"],
            "properties": {
                "type": {"type": "string", "enum": ["json_schema"]},
                "json_schema": {
                    "type": "object",
                    "required": ["schema"],
                    "properties": {
                        "name": {"type": "string", "pattern": "^[a-zA-Z0-9_-]{1,64}$", "nullable": True},
                        "description": {"type": "string"},
                        "schema": OPEN_OBJECT,
                        "strict": {"type": "boolean"},
                    },
                },
            },
        },
    ]
}

CHAT_REQUEST = {
    "type": "object",
    "required": ["messages"],
    "additionalProperties": True,
    "description": "Fields Bedrock has no use for, and fields this gateway does not know, are dropped and named in "
    "the `x-sbc-adapted` response header (see the README's compatibility section). "
    "JSON null means the field is absent.",
    "properties": {
        "model": {
            "type": "string",
            "example": "claude-4-sonnet",
            "description": "An alias from GET /v1/models or a Bedrock model id; DEFAULT_MODEL when absent.",
        },
        "messages": {
            "type": "array",
            "minItems": 1,
            "items": CHAT_MESSAGE,
            "description": "At most MAX_MESSAGES messages (default 5000).",
        },
        "stream": {"type": "boolean"},
        "stream_options": {
            "type": "object",
            "properties": {"include_usage": {"type": "boolean"}},
            "additionalProperties": False,
            "description": "Only with `stream: true`.",
        },
        "max_tokens": {"type": "integer", "minimum": 1},
        "max_completion_tokens": {"type": "integer", "minimum": 1},
        "temperature": {
            "type": "number",
            "minimum": 0,
            "maximum": 2,
            "description": "Values above 1 are sent as Bedrock's maximum, 1.",
        },
        "top_p": {"type": "number", "minimum": 0, "maximum": 1},
        "stop": {
            "oneOf": [
                {"type": "string", "minLength": 1},
                {"type": "array", "maxItems": 4, "items": {"type": "string", "minLength": 1}},
            ]
        },
        "n": {"type": "integer", "enum": [1], "description": "Only 1: Bedrock returns one choice."},
        "tools": {"type": "array", "items": TOOL},
        "tool_choice": {
            "oneOf": [
                {"type": "string", "enum": ["none", "auto", "required"]},
                {
                    "type": "object",
                    "required": ["type", "function"],
                    "properties": {
                        "type": {"type": "string", "enum": ["function"]},
                        "function": {
                            "type": "object",
                            "required": ["name"],
                            "properties": {"name": {"type": "string"}},
                        },
                    },
                },
            ],
            "description": "`required` or a named function needs `tools` that define it.",
        },
        "parallel_tool_calls": {"type": "boolean"},
        "user": {"type": "string"},
        "metadata": {
            "type": "object",
            "maxProperties": 16,
            "additionalProperties": {"type": "string", "maxLength": 512},
            "description": "Up to 16 pairs, keys of at most 64 characters; logged, never forwarded.",
        },
        "response_format": RESPONSE_FORMAT,
        "reasoning_effort": {"type": "string", "enum": ["none", "minimal", "low", "medium", "high", "xhigh", "max"]},
        "logprobs": {"type": "boolean", "enum": [False], "description": "Only false."},
        "modalities": {"type": "array", "items": {"type": "string", "enum": ["text"]}, "minItems": 1, "maxItems": 1},
        **{
            name: {"description": "Dropped, and named in the x-sbc-adapted response header."}
            for name in (
                "seed",
                "frequency_penalty",
                "presence_penalty",
                "logit_bias",
                "store",
                "service_tier",
                "prompt_cache_key",
                "safety_identifier",
                "verbosity",
                "web_search_options",
            )
        },
    },
    "example": {"model": "claude-4-sonnet", "max_tokens": 64, "messages": [{"role": "user", "content": "Hello"}]},
}
# JSON null means "not given", as the OpenAI SDK sends it: every optional field may be null.
CHAT_REQUEST["properties"] = {
    name: {**schema, "nullable": True} if name != "messages" else schema
    for name, schema in CHAT_REQUEST["properties"].items()
}

USAGE = {
    "type": "object",
    "properties": {
        "prompt_tokens": {"type": "integer"},
        "completion_tokens": {"type": "integer"},
        "total_tokens": {"type": "integer"},
    },
}

CHAT_COMPLETION = {
    "type": "object",
    "required": ["id", "object", "created", "model", "choices"],
    "properties": {
        "id": {"type": "string"},
        "object": {"type": "string", "enum": ["chat.completion"]},
        "created": {"type": "integer"},
        "model": {"type": "string"},
        "choices": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "index": {"type": "integer"},
                    "message": OPEN_OBJECT,
                    "finish_reason": {"type": "string", "nullable": True},
                },
            },
        },
        "usage": USAGE,
    },
}

SSE = {  # one server-sent event, as OpenAPI 3.0 tools model a text/event-stream body
    "type": "object",
    "description": "Each event's `data` is a JSON chunk (chat.completion.chunk, or Anthropic's stream events), "
    "ending with `data: [DONE]` on chat completions. An error after the first byte arrives as "
    "an event carrying the error body, and the stream closes.",
    "properties": {"data": {"type": "string"}, "event": {"type": "string"}, "id": {"type": "string"}},
}

# ---- OpenAI Responses (what Codex speaks) ---------------------------------------------------------

RESPONSES_REQUEST = {
    "type": "object",
    "required": ["input"],
    "additionalProperties": True,
    "description": "Unknown fields are dropped and named in the `x-sbc-adapted` response header; "
    "JSON null means the field is absent.",
    "properties": {
        "model": CHAT_REQUEST["properties"]["model"],
        "input": {
            "oneOf": [
                {"type": "string"},
                {"type": "array", "items": OPEN_OBJECT, "description": "At most MAX_MESSAGES items."},
            ]
        },
        "instructions": {"type": "string"},
        "stream": {"type": "boolean"},
        "stream_options": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"include_obfuscation": {"type": "boolean"}},
            "description": "Only with `stream: true`.",
        },
        "max_output_tokens": {"type": "integer", "minimum": 1},
        "temperature": CHAT_REQUEST["properties"]["temperature"],
        "top_p": CHAT_REQUEST["properties"]["top_p"],
        "tools": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["type"],
                "properties": {
                    "type": {
                        "type": "string",
                        "enum": ["function", "namespace"],
                        "description": "Only function tools (optionally grouped in a namespace) run on Bedrock.",
                    },
                    "name": {"type": "string", "minLength": 1},
                    "description": {"type": "string"},
                    "parameters": OPEN_OBJECT,
                    "strict": {"type": "boolean"},
                    "tools": {"type": "array", "items": OPEN_OBJECT},
                },
            },
        },
        "tool_choice": {
            "oneOf": [
                {"type": "string", "enum": ["none", "auto", "required"]},
                {
                    "type": "object",
                    "required": ["type", "name"],
                    "properties": {
                        "type": {"type": "string", "enum": ["function"]},
                        "name": {"type": "string", "minLength": 1},
                    },
                },
            ]
        },
        "parallel_tool_calls": {"type": "boolean"},
        "reasoning": {
            "type": "object",
            "properties": {
                "effort": CHAT_REQUEST["properties"]["reasoning_effort"],
                "summary": {"type": "string", "enum": ["auto", "concise", "detailed"]},
            },
        },
        "text": {
            "type": "object",
            "properties": {
                "format": {
                    "type": "object",
                    "required": ["type"],
                    "properties": {
                        "type": {"type": "string", "enum": ["text", "json_object", "json_schema"]},
                        "name": {"type": "string", "pattern": "^[a-zA-Z0-9_-]{1,64}$"},
                        "schema": OPEN_OBJECT,
                        "strict": {"type": "boolean"},
                    },
                },
                "verbosity": {"type": "string", "enum": ["low", "medium", "high"]},
            },
        },
        "include": {"type": "array", "items": {"type": "string"}},
        "user": {"type": "string"},
        "metadata": CHAT_REQUEST["properties"]["metadata"],
        "background": {"type": "boolean", "enum": [False]},
        "top_logprobs": {"type": "integer", "enum": [0]},
        "store": {
            "type": "boolean",
            "description": "Keep the response (default true) for RESPONSES_RETENTION_DAYS; "
            "`false` in the answer when nothing was kept.",
        },
        "previous_response_id": {
            "type": "string",
            "pattern": "^resp_[A-Za-z0-9_-]{1,59}$",
            "description": "Continue this stored response of yours (404 if absent or expired).",
        },
        "conversation": {
            "oneOf": [
                {"type": "string", "pattern": "^conv_[A-Za-z0-9_-]{1,59}$"},
                {
                    "type": "object",
                    "required": ["id"],
                    "additionalProperties": False,
                    "properties": {"id": {"type": "string", "pattern": "^conv_[A-Za-z0-9_-]{1,59}$"}},
                },
            ],
            "description": "Add the response to this conversation of yours, after its items.",
        },
        "prompt": {"description": "Refused with 400: this gateway keeps no prompt templates."},
        "context_management": {
            "type": "array",
            "description": "Compaction: over `compact_threshold` tokens the "
            "earlier items are summarised first (a `responses.compact` request).",
            "items": {
                "type": "object",
                "required": ["type"],
                "properties": {
                    "type": {"type": "string", "enum": ["compaction"]},
                    "compact_threshold": {"type": "integer", "minimum": 1000},
                },
            },
        },
        **{
            name: {"description": "Dropped, and named in the x-sbc-adapted response header."}
            for name in (
                "truncation",
                "service_tier",
                "prompt_cache_key",
                "prompt_cache_retention",
                "safety_identifier",
                "max_tool_calls",
                "client_metadata",
            )
        },
    },
    "example": {"model": "claude-4-sonnet", "input": "Hello", "max_output_tokens": 64},
}
RESPONSES_REQUEST["properties"] = {
    name: {**schema, "nullable": True} if name != "input" else schema
    for name, schema in RESPONSES_REQUEST["properties"].items()
}
RESPONSE = {
    "type": "object",
    "required": ["id", "object", "status", "output"],
    "properties": {
        "id": {"type": "string"},
        "object": {"type": "string", "enum": ["response"]},
        "created_at": {"type": "integer"},
        "status": {"type": "string"},
        "model": {"type": "string"},
        "output": {"type": "array", "items": OPEN_OBJECT},
        "usage": {"nullable": True, **OPEN_OBJECT},
    },
}

ITEM_LIST = {
    "type": "object",
    "required": ["object", "data", "first_id", "last_id", "has_more"],
    "properties": {
        "object": {"type": "string", "enum": ["list"]},
        "data": {"type": "array", "items": OPEN_OBJECT},
        "first_id": {"type": "string", "nullable": True},
        "last_id": {"type": "string", "nullable": True},
        "has_more": {"type": "boolean"},
    },
}
DELETED = {
    "type": "object",
    "required": ["id", "object", "deleted"],
    "properties": {"id": {"type": "string"}, "object": {"type": "string"}, "deleted": {"type": "boolean"}},
}
CONVERSATION_REQUEST = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "items": {"type": "array", "maxItems": 20, "items": OPEN_OBJECT, "nullable": True},
        "metadata": {"type": "object", "nullable": True, "additionalProperties": {"type": "string"}},
    },
    "example": {"items": [{"type": "message", "role": "user", "content": "Hello"}]},
}
CONVERSATION = {
    "type": "object",
    "required": ["id", "object", "created_at", "metadata"],
    "properties": {
        "id": {"type": "string"},
        "object": {"type": "string", "enum": ["conversation"]},
        "created_at": {"type": "integer"},
        "metadata": OPEN_OBJECT,
    },
}
COMPACT_REQUEST = {
    "type": "object",
    "required": ["model", "input"],
    "properties": {
        name: RESPONSES_REQUEST["properties"][name]
        for name in (
            "model",
            "input",
            "instructions",
            "tools",
            "parallel_tool_calls",
            "reasoning",
            "text",
            "prompt_cache_key",
            "metadata",
        )
    },
    "example": {"model": "claude-4-sonnet", "input": "Hello"},
}
COMPACTION = {
    "type": "object",
    "required": ["id", "object", "output", "usage"],
    "properties": {
        "id": {"type": "string"},
        "object": {"type": "string", "enum": ["response.compaction"]},
        "created_at": {"type": "integer"},
        "output": {"type": "array", "items": OPEN_OBJECT},
        "usage": OPEN_OBJECT,
    },
}

# ---- Embeddings and models ------------------------------------------------------------------------

EMBEDDINGS_REQUEST = {
    "type": "object",
    "required": ["model", "input"],
    "properties": {
        "model": {"type": "string", "description": "An embedding alias, e.g. titan-embed-text-v2."},
        "input": {
            "oneOf": [
                {"type": "string", "minLength": 1},
                {"type": "array", "minItems": 1, "maxItems": 2048, "items": {"type": "string", "minLength": 1}},
            ]
        },
        "encoding_format": {"type": "string", "enum": ["float", "base64"]},
        "dimensions": {"type": "integer", "minimum": 1},
        "input_type": {"type": "string", "enum": ["search_document", "search_query", "classification", "clustering"]},
        "user": {"type": "string"},
    },
    "example": {"model": "titan-embed-text-v2", "input": ["Hello", "world"]},
}

EMBEDDING_LIST = {
    "type": "object",
    "required": ["object", "data", "model", "usage"],
    "properties": {
        "object": {"type": "string", "enum": ["list"]},
        "data": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "object": {"type": "string", "enum": ["embedding"]},
                    "index": {"type": "integer"},
                    "embedding": {"oneOf": [{"type": "array", "items": {"type": "number"}}, {"type": "string"}]},
                },
            },
        },
        "model": {"type": "string"},
        "usage": {
            "type": "object",
            "properties": {"prompt_tokens": {"type": "integer"}, "total_tokens": {"type": "integer"}},
        },
    },
}

MODEL = {
    "type": "object",
    "required": ["id", "object", "created", "owned_by"],
    "properties": {
        "id": {"type": "string"},
        "object": {"type": "string", "enum": ["model"]},
        "created": {"type": "integer"},
        "owned_by": {"type": "string"},
    },
}
MODEL_LIST = {
    "type": "object",
    "required": ["object", "data"],
    "properties": {"object": {"type": "string", "enum": ["list"]}, "data": {"type": "array", "items": ref("Model")}},
}

# ---- Anthropic Messages (for Claude Code) -----------------------------------------------------------

ANTHROPIC_MESSAGE = {
    "type": "object",
    "required": ["role", "content"],
    "properties": {
        "role": {"type": "string", "enum": ["user", "assistant"]},
        "content": {"oneOf": [{"type": "string"}, {"type": "array", "items": OPEN_OBJECT}]},
    },
}
MESSAGES_FIELDS = {
    "model": {"type": "string", "minLength": 1},
    "messages": {"type": "array", "minItems": 1, "items": ANTHROPIC_MESSAGE},
    "system": {"oneOf": [{"type": "string"}, {"type": "array", "items": OPEN_OBJECT}]},
    "temperature": {"type": "number"},
    "top_p": {"type": "number"},
    "top_k": {"type": "integer"},
    "stop_sequences": {"type": "array", "items": {"type": "string"}},
    "stream": {"type": "boolean"},
    "tools": {"type": "array", "items": OPEN_OBJECT},
    "tool_choice": OPEN_OBJECT,
    "thinking": OPEN_OBJECT,
    "metadata": {"type": "object", "properties": {"user_id": {"type": "string"}}},
}
MESSAGES_REQUEST = {
    "type": "object",
    "required": ["model", "messages", "max_tokens"],
    "description": "Anthropic's Messages body. Fields Bedrock does not accept are dropped, not refused.",
    "properties": {**MESSAGES_FIELDS, "max_tokens": {"type": "integer", "minimum": 1}},
    "example": {"model": "claude-4-sonnet", "max_tokens": 64, "messages": [{"role": "user", "content": "Hello"}]},
}
COUNT_TOKENS_REQUEST = {
    "type": "object",
    "required": ["model", "messages"],
    "properties": MESSAGES_FIELDS,
    "example": {"model": "claude-4-sonnet", "messages": [{"role": "user", "content": "Hello"}]},
}
MESSAGE = {
    "type": "object",
    "required": ["type", "role", "content"],
    "properties": {
        "id": {"type": "string"},
        "type": {"type": "string", "enum": ["message"]},
        "role": {"type": "string"},
        "content": {"type": "array", "items": OPEN_OBJECT},
        "model": {"type": "string"},
        "stop_reason": {"type": "string", "nullable": True},
        "usage": OPEN_OBJECT,
    },
}

# ---- Errors -------------------------------------------------------------------------------------

OPENAI_ERROR = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["message", "type", "param", "code"],
            "additionalProperties": False,
            "properties": {
                "message": {"type": "string"},
                "type": {"type": "string"},
                "param": {"type": "string", "nullable": True},
                "code": {"type": "string", "nullable": True},
            },
        }
    },
}
ANTHROPIC_ERROR = {
    "type": "object",
    "required": ["type", "error"],
    "properties": {
        "type": {"type": "string", "enum": ["error"]},
        "error": {
            "type": "object",
            "required": ["type", "message"],
            "properties": {"type": {"type": "string"}, "message": {"type": "string"}},
        },
    },
}

SCHEMAS = {
    "ChatCompletionRequest": CHAT_REQUEST,
    "ChatCompletion": CHAT_COMPLETION,
    "ResponsesRequest": RESPONSES_REQUEST,
    "Response": RESPONSE,
    "ItemList": ITEM_LIST,
    "Deleted": DELETED,
    "ConversationRequest": CONVERSATION_REQUEST,
    "Conversation": CONVERSATION,
    "CompactRequest": COMPACT_REQUEST,
    "Compaction": COMPACTION,
    "EmbeddingsRequest": EMBEDDINGS_REQUEST,
    "EmbeddingList": EMBEDDING_LIST,
    "Model": MODEL,
    "ModelList": MODEL_LIST,
    "MessagesRequest": MESSAGES_REQUEST,
    "CountTokensRequest": COUNT_TOKENS_REQUEST,
    "Message": MESSAGE,
    "OpenAIError": OPENAI_ERROR,
    "AnthropicError": ANTHROPIC_ERROR,
}
