"""The one table of /v1 endpoints: it feeds the URLconf (`gateway.urls`) and the published OpenAPI routes.

Adding an endpoint is one row here and its documented view in `gateway.openapi.views`; a route missing from
the OpenAPI description fails when `gateway.openapi.views` is imported (by its tests, and by the first request for
/v1/openapi.json).
"""

from __future__ import annotations

from dataclasses import dataclass

from rest_framework.views import APIView

from gateway.views.chat import ChatCompletions
from gateway.views.conversations import ConversationDetail, ConversationItems, Conversations
from gateway.views.embeddings import Embeddings
from gateway.views.messages import CountTokens, Messages
from gateway.views.models import ModelDetail, ModelList
from gateway.views.responses import Responses
from gateway.views.responses_compact import ResponsesCompact
from gateway.views.stored_responses import StoredResponseDetail, StoredResponseInputItems


@dataclass(frozen=True)
class Endpoint:
    route: str  # Django path syntax, without a leading slash
    view: type[APIView]
    name: str


# Order matters where routes overlap: `v1/responses/compact` before `v1/responses/<id>`.
ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("v1/chat/completions", ChatCompletions, "chat-completions"),
    Endpoint("v1/responses/compact", ResponsesCompact, "responses-compact"),
    Endpoint("v1/responses", Responses, "responses"),
    Endpoint("v1/responses/<str:response_id>", StoredResponseDetail, "response-detail"),
    Endpoint("v1/responses/<str:response_id>/input_items", StoredResponseInputItems, "response-input-items"),
    Endpoint("v1/conversations", Conversations, "conversations"),
    Endpoint("v1/conversations/<str:conversation_id>", ConversationDetail, "conversation-detail"),
    Endpoint("v1/conversations/<str:conversation_id>/items", ConversationItems, "conversation-items"),
    Endpoint("v1/embeddings", Embeddings, "embeddings"),
    Endpoint("v1/messages", Messages, "messages"),
    Endpoint("v1/messages/count_tokens", CountTokens, "messages-count-tokens"),
    Endpoint("v1/models", ModelList, "models"),
    Endpoint("v1/models/<path:model_id>", ModelDetail, "model-detail"),
)
