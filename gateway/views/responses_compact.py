"""POST /v1/responses/compact, and the compaction `/v1/responses` runs first for `context_management`.

Each compaction is one Converse call to the model the client named, metered and charged to the caller as
its own request (endpoint `responses.compact`). See `gateway.translate.compaction` for what it returns.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from django.conf import settings
from rest_framework.response import Response

from core.errors import ContextLengthExceeded, InvalidRequest
from gateway import bedrock
from gateway.registry import ModelSpec
from gateway.selectors import resolve_model
from gateway.translate.chat_request import ConverseCall, to_converse_request
from gateway.translate.chat_response import usage_from_converse
from gateway.translate.compaction import (
    SUMMARY_MAX_TOKENS,
    as_items,
    compacted,
    compaction_item,
    split_for_answer,
    summary_body,
    summary_text,
    threshold_for,
)
from gateway.translate.context_window import estimate_prompt_tokens
from gateway.translate.responses_input import NOTHING_STORED, Stored
from gateway.translate.responses_request import ResponsesRequest, validate_responses_request
from gateway.translate.responses_response import new_id, responses_usage
from gateway.views.base import ApiView, meter_for, metered, settling
from usage.metering import Meter, new_request_id

ENDPOINT = "responses.compact"


@dataclass(frozen=True)
class Compaction:
    item: dict  # the `compaction` item carrying the summary
    usage: dict  # chat-shaped usage of the summarising call
    meter: Meter


def compact(request, body: dict, items: list, *, inner: bool = False, stored: Stored = NOTHING_STORED) -> Compaction:
    """`items` (after what `stored` holds of the conversation) summarised by the model `body` names, metered as a
    `responses.compact` request."""
    ask = validate_responses_request(summary_body(body, items), max_items=settings.MAX_MESSAGES + 1, stored=stored)
    spec = resolve_model(ask.chat.model)
    call = to_converse_request(ask.chat, spec)
    requested = ask.chat.model or settings.DEFAULT_MODEL
    meter = meter_for(
        request,
        endpoint=ENDPOINT,
        request_id=new_request_id() if inner else None,
        model_requested=requested,
        model_resolved=spec.model_id_for(settings.BEDROCK_REGIONS[0]),
        message_count=call.message_count,
        streamed=False,
        metadata=ask.chat.metadata,
        max_tokens=SUMMARY_MAX_TOKENS,
        adapted=call.adaptations.names,
        sent=call.kwargs,
    )
    result = metered(meter, lambda: bedrock.converse(spec, call.kwargs))
    with settling(meter):
        item = compaction_item(new_id("cmp"), summary_text(result.response))
        usage = usage_from_converse(result.response.get("usage") or {})
    meter.settle(status=200, usage=usage, finish_reason="stop")
    return Compaction(item=item, usage=usage, meter=meter)


class ResponsesCompact(ApiView):
    endpoint = ENDPOINT

    def post(self, request):
        body = request.data
        if not isinstance(body, dict):
            raise InvalidRequest("The request body must be a JSON object", param=None)
        if body.get("input") is None:
            raise InvalidRequest("`input` is required: send the conversation to compact", param="input")
        items = as_items(body["input"])
        done = compact(request, body, items)
        answer = {
            "id": new_id("resp"),
            "object": "response.compaction",
            "created_at": int(time.time()),
            "output": compacted(items, done.item),
            "usage": responses_usage(done.usage),
        }
        return Response(answer, headers=done.meter.response_headers())


@dataclass(frozen=True)
class Prepared:
    """A `/v1/responses` request ready for Bedrock, compacted first when its `context_management` asked."""

    ask: ResponsesRequest
    call: ConverseCall
    lead_items: tuple[dict, ...] = ()  # output items that come before the answer's own


def _over_threshold(ask: ResponsesRequest, spec: ModelSpec, threshold: int) -> tuple[bool, ConverseCall | None]:
    try:
        call = to_converse_request(ask.chat, spec)
    except ContextLengthExceeded:
        return True, None
    return estimate_prompt_tokens(call.kwargs) > threshold, call


def prepare(request, ask: ResponsesRequest, spec: ModelSpec, *, stored: Stored = NOTHING_STORED) -> Prepared:
    """The Converse call for `ask`; over its `compact_threshold`, the earlier items are compacted first.

    The summary covers what `stored` puts before the input (a previous response's chain) too, so the answer
    is given on the summary and the rest of the input alone.
    """
    body = request.data
    threshold = (
        threshold_for(body.get("context_management"), spec.context_window)
        if body.get("context_management") is not None
        else None
    )
    if threshold is None:
        return Prepared(ask, to_converse_request(ask.chat, spec))
    over, call = _over_threshold(ask, spec, threshold)
    split = split_for_answer(as_items(body["input"])) if over else None
    if split is None:
        return Prepared(ask, call or to_converse_request(ask.chat, spec))
    done = compact(request, body, split.head, inner=True, stored=stored)
    smaller = {key: value for key, value in body.items() if key not in ("context_management", "previous_response_id")}
    smaller["input"] = [*compacted(split.head, done.item), *split.tail]
    ask = validate_responses_request(smaller, max_items=settings.MAX_MESSAGES, stored=replace(stored, prior=()))
    ask.chat.adaptations.note("context_management")
    return Prepared(ask, to_converse_request(ask.chat, spec), (done.item,))
