"""POST /v1/responses: OpenAI's Responses API (what Codex speaks) on Bedrock Converse / ConverseStream.

With state (gateway.responses_store): what the request continues (`previous_response_id`, `conversation`,
`item_reference`) is loaded before Bedrock is called, and the response is kept once its answer is complete,
before the meter settles and before the client sees the end of it, so its id works at once.
"""

from __future__ import annotations

import dataclasses
import time

from django.conf import settings
from rest_framework.response import Response

from gateway import bedrock
from gateway.responses_store import Keeper, retention, state_for
from gateway.responses_store.items import body_for_client, without_secrets
from gateway.responses_streaming import responses_events
from gateway.selectors import resolve_model
from gateway.streaming import sse_response
from gateway.translate.responses_request import ResponsesRequest, state_fields, validate_responses_request
from gateway.translate.responses_response import ResponseShape, new_id, to_response
from gateway.translate.responses_stream import ResponsesStreamTranslator
from gateway.views.base import ApiView, meter_for, metered, output_reserved, settling
from gateway.views.responses_compact import prepare

FINAL_EVENTS = ("response.completed", "response.incomplete")


def _kept_ask(ask: ResponsesRequest, storing: bool) -> ResponsesRequest:
    """The request as the response is built from: a kept response keeps Claude's signed thinking."""
    return dataclasses.replace(
        ask, encrypted_reasoning=ask.encrypted_reasoning or storing, echo={**ask.echo, "store": storing}
    )


def _event_for_client(event: dict, encrypted: bool) -> dict:
    if "item" in event:
        event = {**event, "item": without_secrets(event["item"], encrypted=encrypted)}
    if "response" in event:
        event = {**event, "response": body_for_client(event["response"], encrypted=encrypted)}
    return event


def _not_kept(body: dict) -> dict:
    return {**body, "store": False}


class Responses(ApiView):
    endpoint = "responses"

    def post(self, request):
        caller = request.user
        state = state_for(caller.identity_id, **state_fields(request.data))
        ask = validate_responses_request(request.data, max_items=settings.MAX_MESSAGES, stored=state.stored)
        storing = ask.store and retention() is not None
        spec = resolve_model(ask.chat.model)
        ready = prepare(request, ask, spec, stored=state.stored)  # compacted first when `context_management` asks
        ask, call = ready.ask, ready.call
        chat = ask.chat
        requested = chat.model or settings.DEFAULT_MODEL
        # A client asking to store when storage is off is told so by the header, as for any adapted field.
        adapted = (*call.adaptations.names, "store") if ask.store and not storing else call.adaptations.names
        meter = meter_for(
            request,
            endpoint=self.endpoint,
            model_requested=requested,
            model_resolved=spec.model_id_for(settings.BEDROCK_REGIONS[0]),
            message_count=call.message_count,
            streamed=chat.stream,
            metadata={"user": chat.user, **chat.metadata} if chat.user else chat.metadata,
            max_tokens=output_reserved(call.kwargs.get("inferenceConfig"), spec),
            adapted=adapted,
            sent=call.kwargs,
        )
        shape = ResponseShape(
            response_id=new_id("resp"),
            created_at=int(time.time()),
            model=requested,
            ask=_kept_ask(ask, storing),
            call=call,
            lead_items=ready.lead_items,
        )
        keeper = Keeper(identity_id=caller.identity_id, state=state, input_items=ask.input_items)
        encrypted = ask.encrypted_reasoning
        if chat.stream:
            result = metered(meter, lambda: bedrock.converse_stream(spec, call.kwargs))

            def finishing(events: list[dict]) -> list[dict]:
                final = events[-1]
                if storing and final["type"] in FINAL_EVENTS and not keeper.keep(final["response"]):
                    events[-1] = {**final, "response": _not_kept(final["response"])}
                return events

            events = responses_events(
                result,
                ResponsesStreamTranslator(shape),
                meter,
                shown=lambda event: _event_for_client(event, encrypted),
                finishing=finishing,
            )
            return sse_response(events, meter.response_headers())
        result = metered(meter, lambda: bedrock.converse(spec, call.kwargs))
        with settling(meter):
            answer = to_response(result.response, shape)
            body = answer.body if not storing or keeper.keep(answer.body) else _not_kept(answer.body)
        meter.settle(status=200, usage=answer.usage, finish_reason=answer.finish_reason)
        return Response(body_for_client(body, encrypted=encrypted), headers=meter.response_headers())
