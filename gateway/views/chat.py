"""POST /v1/chat/completions: OpenAI Chat Completions on Bedrock Converse / ConverseStream."""

from __future__ import annotations

import time

from django.conf import settings
from rest_framework.response import Response

from core.ids import hex_id
from gateway import bedrock
from gateway.selectors import resolve_model
from gateway.streaming import chat_events, sse_response
from gateway.translate.chat_request import to_converse_request, validate_chat_request
from gateway.translate.chat_response import to_chat_completion
from gateway.translate.chat_stream import ChatStreamTranslator
from gateway.views.base import ApiView, meter_for, metered, output_reserved, settling


class ChatCompletions(ApiView):
    endpoint = "chat.completions"

    def post(self, request):
        chat = validate_chat_request(request.data, max_messages=settings.MAX_MESSAGES)
        spec = resolve_model(chat.model)
        call = to_converse_request(chat, spec)
        requested = chat.model or settings.DEFAULT_MODEL
        meter = meter_for(
            request,
            endpoint=self.endpoint,
            model_requested=requested,
            model_resolved=spec.model_id_for(settings.BEDROCK_REGIONS[0]),
            message_count=call.message_count,
            streamed=chat.stream,
            metadata={"user": chat.user, **chat.metadata} if chat.user else chat.metadata,
            max_tokens=output_reserved(call.kwargs.get("inferenceConfig"), spec),
            adapted=call.adaptations.names,
            sent=call.kwargs,
        )
        completion_id, created = "chatcmpl-" + hex_id(), int(time.time())
        if chat.stream:
            result = metered(meter, lambda: bedrock.converse_stream(spec, call.kwargs))
            translator = ChatStreamTranslator(
                completion_id=completion_id,
                created=created,
                model=requested,
                include_usage=chat.include_usage,
                tool_names=call.tool_names,
                json_tool=call.json_tool,
                custom_tools=call.custom_tools,
            )
            return sse_response(chat_events(result, translator, meter), meter.response_headers())
        result = metered(meter, lambda: bedrock.converse(spec, call.kwargs))
        with settling(meter):
            completion = to_chat_completion(
                result.response,
                completion_id=completion_id,
                created=created,
                model=requested,
                tool_names=call.tool_names,
                json_tool=call.json_tool,
                custom_tools=call.custom_tools,
            )
        meter.settle(status=200, usage=completion["usage"], finish_reason=completion["choices"][0]["finish_reason"])
        return Response(completion, headers=meter.response_headers())
