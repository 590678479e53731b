"""Pure translation between OpenAI chat completions and Bedrock's Converse API (no Django, no boto3)."""

from gateway.translate.chat_request import ChatRequest, ConverseCall, to_converse_request, validate_chat_request
from gateway.translate.chat_response import FINISH_REASONS, to_chat_completion, usage_from_converse
from gateway.translate.chat_stream import ChatStreamTranslator, error_chunk

__all__ = [
    "ChatRequest",
    "ConverseCall",
    "validate_chat_request",
    "to_converse_request",
    "FINISH_REASONS",
    "to_chat_completion",
    "usage_from_converse",
    "ChatStreamTranslator",
    "error_chunk",
]
