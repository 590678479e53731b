"""POST /v1/responses: OpenAI's Responses API (what Codex speaks) on Bedrock Converse / ConverseStream."""
from __future__ import annotations

import time

from django.conf import settings
from rest_framework.response import Response

from gateway import bedrock
from gateway.registry import resolve_model
from gateway.responses_streaming import responses_events
from gateway.streaming import sse_response
from gateway.translate.responses_request import validate_responses_request
from gateway.translate.responses_response import ResponseShape, new_id, to_response
from gateway.translate.responses_stream import ResponsesStreamTranslator
from gateway.views.base import ApiView, metered, settling
from gateway.views.responses_compact import prepare
from usage.metering import meter_start, prompt_estimate


class Responses(ApiView):
    def post(self, request):
        ask = validate_responses_request(request.data, max_items=settings.MAX_MESSAGES)
        spec = resolve_model(ask.chat.model)
        ready = prepare(request, ask, spec)      # compacted first when `context_management` asks
        ask, call = ready.ask, ready.call
        chat = ask.chat
        requested = chat.model or settings.DEFAULT_MODEL
        meter = meter_start(request=request, caller=request.user, endpoint="responses", model_requested=requested,
                            model_resolved=spec.model_id_for(settings.BEDROCK_REGIONS[0]),
                            message_count=call.message_count, streamed=chat.stream,
                            metadata={"user": chat.user, **chat.metadata} if chat.user else chat.metadata,
                            max_tokens=chat.max_tokens, adapted=call.adaptations.names)
        shape = ResponseShape(response_id=new_id("resp"), created_at=int(time.time()), model=requested,
                              ask=ask, call=call, lead_items=ready.lead_items)
        if chat.stream:
            result = metered(meter, lambda: bedrock.converse_stream(spec, call.kwargs))
            events = responses_events(result, ResponsesStreamTranslator(shape), meter, prompt_estimate(request))
            return sse_response(events, meter.response_headers())
        result = metered(meter, lambda: bedrock.converse(spec, call.kwargs))
        with settling(meter):
            answer = to_response(result.response, shape)
        meter.settle(status=200, usage=answer.usage, finish_reason=answer.finish_reason)
        return Response(answer.body, headers=meter.response_headers())
