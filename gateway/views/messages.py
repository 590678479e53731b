"""POST /v1/messages and /v1/messages/count_tokens: Anthropic's Messages API on Bedrock InvokeModel, for Claude Code.

InvokeModel takes Claude's own request body and returns Claude's own answer and stream events, so tool use,
thinking blocks with their signatures and `cache_control` reach the model and the client unchanged, with no
translation to lose them. What Bedrock does not take is adapted or left out, and named in the `x-sbc-adapted`
header (see `translate.anthropic_request`).
"""

from __future__ import annotations

import logging

from django.conf import settings
from rest_framework.response import Response

from gateway import bedrock
from gateway.claude import claude_model, messages_count_tokens
from gateway.message_threads import THREADS_BETA, thread_open
from gateway.streaming import messages_events, sse_response
from gateway.translate.anthropic_request import MessagesRequest, to_messages_request
from gateway.translate.anthropic_usage import MessagesStreamReader, message_answer, usage_from_anthropic
from gateway.views.base import AnthropicApiView, meter_for, metered, settling

log = logging.getLogger("sbc.messages")


def _parse(request, *, data=None, betas_honoured: tuple[str, ...] = (), counting: bool = False) -> MessagesRequest:
    header = request.META.get("HTTP_ANTHROPIC_BETA", "")
    if betas_honoured:
        header = ",".join(beta for beta in header.split(",") if beta.strip() not in betas_honoured)
    call = to_messages_request(
        request.data if data is None else data, resolve=claude_model, beta_header=header, counting=counting
    )
    if call.adaptations:
        log.info("%s: adapted or left out for Bedrock: %s", request.request_id, call.adaptations.header())
    return call


def _meter(request, call: MessagesRequest, spec, endpoint: str):
    return meter_for(
        request,
        endpoint=endpoint,
        model_requested=call.model,
        model_resolved=spec.model_id_for(settings.BEDROCK_REGIONS[0]),
        message_count=call.message_count,
        streamed=call.stream,
        metadata={"user": call.user_id} if call.user_id else {},
        max_tokens=int(call.body.get("max_tokens") or 1),  # as sent to Bedrock
        adapted=call.adaptations.names,
        sent=call.body,
    )


class Messages(AnthropicApiView):
    endpoint = "messages"

    def post(self, request):
        data, thread = thread_open(request.user.identity_id, request.data)
        call = _parse(request, data=data, betas_honoured=(THREADS_BETA,) if thread else ())
        spec = call.spec
        meter = _meter(request, call, spec, self.endpoint)
        if call.stream:
            result = metered(meter, lambda: bedrock.invoke_stream(spec, call.body))
            reader = MessagesStreamReader(model=call.model, collect=thread is not None)
            events = messages_events(result, reader, meter, keep=thread.keep if thread else None)
            return sse_response(events, meter.response_headers())
        result = metered(meter, lambda: bedrock.invoke_json(spec, call.body))
        with settling(meter):
            answer = message_answer(result.response, model=call.model)
        if thread is not None:
            thread.keep(answer)
        meter.settle(
            status=200, usage=usage_from_anthropic(answer.get("usage")), finish_reason=answer.get("stop_reason")
        )
        return Response(answer, headers=meter.response_headers())


class CountTokens(AnthropicApiView):
    endpoint = "messages.count_tokens"

    def post(self, request):
        call = _parse(request, counting=True)
        spec = call.spec
        meter = _meter(request, call, spec, self.endpoint)
        count = metered(meter, lambda: messages_count_tokens(spec=spec, body=call.body))
        meter.settle(status=200)  # counting costs nothing: recorded, with no tokens charged
        return Response({"input_tokens": count.input_tokens}, headers=meter.response_headers())
