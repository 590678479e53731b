"""Routes of the OpenAI-compatible API, and Anthropic's Messages API at the same root for Claude Code."""

from django.urls import path, re_path

from gateway.http import api_not_found
from gateway.openapi.views import openapi_schema_view
from gateway.views.chat import ChatCompletions
from gateway.views.conversations import ConversationDetail, ConversationItems, Conversations
from gateway.views.embeddings import Embeddings
from gateway.views.health import healthz
from gateway.views.messages import CountTokens, Messages
from gateway.views.models import ModelDetail, ModelList
from gateway.views.responses import Responses
from gateway.views.responses_compact import ResponsesCompact
from gateway.views.stored_responses import StoredResponseDetail, StoredResponseInputItems

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("v1/chat/completions", ChatCompletions.as_view(), name="chat-completions"),
    path("v1/conversations", Conversations.as_view(), name="conversations"),
    path("v1/conversations/<str:conversation_id>", ConversationDetail.as_view(), name="conversation-detail"),
    path("v1/conversations/<str:conversation_id>/items", ConversationItems.as_view(), name="conversation-items"),
    path("v1/embeddings", Embeddings.as_view(), name="embeddings"),
    path("v1/messages", Messages.as_view(), name="messages"),
    path("v1/messages/count_tokens", CountTokens.as_view(), name="messages-count-tokens"),
    path("v1/models", ModelList.as_view(), name="models"),
    path("v1/models/<path:model_id>", ModelDetail.as_view(), name="model-detail"),
    path("v1/openapi.json", openapi_schema_view, name="openapi-schema"),
    path("v1/responses/compact", ResponsesCompact.as_view(), name="responses-compact"),
    path("v1/responses", Responses.as_view(), name="responses"),
    path("v1/responses/<str:response_id>", StoredResponseDetail.as_view(), name="response-detail"),
    path("v1/responses/<str:response_id>/input_items", StoredResponseInputItems.as_view(), name="response-input-items"),
    re_path(r"^v1/.*$", api_not_found),
]
