"""/v1/conversations: create, read, update and delete a caller's own conversations, and list their items."""

from __future__ import annotations

from rest_framework.response import Response

from gateway.responses_store.conversations import (
    conversation_create,
    conversation_delete,
    conversation_get,
    conversation_item_list,
    conversation_object,
    conversation_update,
)
from gateway.responses_store.items import page, wants_encrypted, without_secrets
from gateway.views.base import ApiView


class Conversations(ApiView):
    def post(self, request):
        return Response(conversation_object(conversation_create(request.user.identity_id, request.data)))


class ConversationDetail(ApiView):
    def get(self, request, conversation_id: str):
        return Response(conversation_object(conversation_get(request.user.identity_id, conversation_id)))

    def post(self, request, conversation_id: str):
        conversation = conversation_update(request.user.identity_id, conversation_id, request.data)
        return Response(conversation_object(conversation))

    def delete(self, request, conversation_id: str):
        conversation_delete(request.user.identity_id, conversation_id)
        return Response({"id": conversation_id, "object": "conversation.deleted", "deleted": True})


class ConversationItems(ApiView):
    def get(self, request, conversation_id: str):
        encrypted = wants_encrypted(request.query_params)
        items = [
            without_secrets(item, encrypted=encrypted)
            for item in conversation_item_list(request.user.identity_id, conversation_id)
        ]
        return Response(page(items, request.query_params))
