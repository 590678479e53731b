"""Embeddings on Bedrock: one InvokeModel call per batch the model takes, a few at a time, answers in order."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from core.errors import UpstreamError
from gateway import bedrock
from gateway.registry import ModelSpec
from gateway.translate.embeddings import EmbeddingsRequest, batches, embedding_format, estimate_tokens

# Titan takes one text per call: a request of many texts makes many calls, so they run a few at a time
# (bounded, to stay inside Bedrock's per-account rate and our connection pool).
MAX_PARALLEL_CALLS = 4


@dataclass(frozen=True)
class Embeddings:
    region: str
    model_id: str
    vectors: list[list[float]]
    prompt_tokens: int
    estimated: bool


def embeddings_create(*, spec: ModelSpec, request: EmbeddingsRequest) -> Embeddings:
    body_format = embedding_format(spec.provider, request.model)
    groups = batches(request.texts, body_format.batch_size)

    def embed(texts: list[str]) -> bedrock.BedrockResult:
        return bedrock.invoke_json(spec, body_format.body(texts, request))

    if len(groups) == 1:
        results = [embed(groups[0])]
    else:
        with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_CALLS, len(groups))) as pool:
            results = list(pool.map(embed, groups))  # map keeps the input order
    vectors, tokens, estimated = [], 0, False
    for texts, result in zip(groups, results):
        batch = body_format.vectors(result.response) or []
        if len(batch) != len(texts):
            raise UpstreamError(f"Bedrock returned {len(batch)} embeddings for {len(texts)} inputs.")
        vectors.extend(batch)
        count = body_format.tokens(result.response)
        estimated = estimated or count is None
        tokens += count if count is not None else estimate_tokens(texts)
    last = results[-1]
    return Embeddings(
        region=last.region, model_id=last.model_id, vectors=vectors, prompt_tokens=tokens, estimated=estimated
    )
