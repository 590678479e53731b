"""GET and DELETE /v1/responses/{id} and GET /v1/responses/{id}/input_items: a caller's own stored responses."""

from __future__ import annotations

from rest_framework.response import Response

from gateway.responses_store import response_delete, response_get
from gateway.responses_store.items import body_for_client, page, wants_encrypted, without_secrets
from gateway.responses_store.store import chain_rows, items_of
from gateway.views.base import ApiView


class StoredResponseDetail(ApiView):
    def get(self, request, response_id: str):
        row = response_get(request.user.identity_id, response_id)
        return Response(body_for_client(row.body, encrypted=wants_encrypted(request.query_params)))

    def delete(self, request, response_id: str):
        response_delete(request.user.identity_id, response_id)
        return Response({"id": response_id, "object": "response", "deleted": True})


class StoredResponseInputItems(ApiView):
    def get(self, request, response_id: str):
        """What the model was given, as OpenAI lists it: the chain the response continued, then its own input."""
        identity_id = request.user.identity_id
        row = response_get(identity_id, response_id)
        items = [*items_of(chain_rows(identity_id, row, "response_id")), *row.input_items]
        encrypted = wants_encrypted(request.query_params)
        return Response(page([without_secrets(item, encrypted=encrypted) for item in items], request.query_params))
