"""POST /v1/embeddings: OpenAI embeddings on Bedrock's Titan and Cohere models (InvokeModel)."""

from __future__ import annotations

from django.conf import settings
from rest_framework.response import Response

from gateway.embeddings import embeddings_create
from gateway.selectors import resolve_model
from gateway.translate.embeddings import to_openai_embeddings, validate_embeddings_request
from gateway.views.base import ApiView, meter_for, metered


class Embeddings(ApiView):
    endpoint = "embeddings"

    def post(self, request):
        embed = validate_embeddings_request(request.data)
        spec = resolve_model(embed.model, kind="embedding")
        meter = meter_for(
            request,
            endpoint=self.endpoint,
            model_requested=embed.model,
            model_resolved=spec.model_id_for(settings.BEDROCK_REGIONS[0]),
            message_count=len(embed.texts),
            streamed=False,
            metadata={"user": embed.user} if embed.user else {},
            max_tokens=1,
        )
        result = metered(meter, lambda: embeddings_create(spec=spec, request=embed))
        answer = to_openai_embeddings(
            result.vectors, model=embed.model, encoding_format=embed.encoding_format, prompt_tokens=result.prompt_tokens
        )
        meter.settle(status=200, usage={**answer["usage"], "completion_tokens": 0, "estimated": result.estimated})
        return Response(answer, headers=meter.response_headers())
