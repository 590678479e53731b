"""OpenAI embeddings requests to Bedrock InvokeModel bodies (Titan, Cohere) and their answers back.

Each provider is one row of `EMBEDDING_FORMATS`: how many texts one call takes, how to build its body and
how to read its vectors and token count. Pure functions: no Django, no boto3.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.errors import InvalidRequest

MAX_INPUTS = 2048  # OpenAI's own limit per request
ENCODINGS = ("float", "base64")
COHERE_INPUT_TYPES = ("search_document", "search_query", "classification", "clustering")


@dataclass(frozen=True)
class EmbeddingsRequest:
    model: str
    texts: list[str]
    encoding_format: str
    dimensions: int | None
    input_type: str
    user: str | None


@dataclass(frozen=True)
class EmbeddingFormat:
    batch_size: int  # texts per InvokeModel call
    body: Callable[[list[str], EmbeddingsRequest], dict[str, Any]]
    vectors: Callable[[dict[str, Any]], list[list[float]] | None]  # None: the answer holds none
    tokens: Callable[[dict[str, Any]], int | None]  # None: Bedrock does not say


def _titan_body(texts: list[str], request: EmbeddingsRequest) -> dict[str, Any]:
    body: dict[str, Any] = {"inputText": texts[0]}
    if request.dimensions is not None:
        body["dimensions"] = request.dimensions
    return body


def _cohere_body(texts: list[str], request: EmbeddingsRequest) -> dict[str, Any]:
    return {"texts": texts, "input_type": request.input_type, "truncate": "END"}


def _cohere_vectors(answer: dict[str, Any]) -> list[list[float]] | None:
    embeddings = answer.get("embeddings")
    return embeddings.get("float") if isinstance(embeddings, dict) else embeddings


# Keyed by the model's provider as the registry names it.
EMBEDDING_FORMATS: dict[str, EmbeddingFormat] = {
    "amazon": EmbeddingFormat(
        1, _titan_body, lambda answer: [answer["embedding"]], lambda answer: answer.get("inputTextTokenCount")
    ),
    "cohere": EmbeddingFormat(96, _cohere_body, _cohere_vectors, lambda answer: None),
}


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise InvalidRequest("`input` must be a non-empty string or a list of strings.", param="input")
    if all(isinstance(item, int) for item in value) or all(isinstance(item, list) for item in value):
        raise InvalidRequest(
            "Token arrays are not supported by Bedrock's embedding models; send the text.", param="input"
        )
    if not all(isinstance(item, str) and item for item in value):
        raise InvalidRequest("Every `input` item must be a non-empty string.", param="input")
    if len(value) > MAX_INPUTS:
        raise InvalidRequest(f"`input` may hold at most {MAX_INPUTS} items.", param="input")
    return value


def validate_embeddings_request(data: Any) -> EmbeddingsRequest:
    if not isinstance(data, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    if not isinstance(data.get("model"), str) or not data["model"].strip():
        raise InvalidRequest("`model` is required: name an embedding model such as titan-embed-text-v2.", param="model")
    encoding = data.get("encoding_format") or "float"
    if encoding not in ENCODINGS:
        raise InvalidRequest("`encoding_format` must be `float` or `base64`.", param="encoding_format")
    dimensions = data.get("dimensions")
    if dimensions is not None and (not isinstance(dimensions, int) or isinstance(dimensions, bool) or dimensions < 1):
        raise InvalidRequest("`dimensions` must be a positive integer.", param="dimensions")
    input_type = data.get("input_type") or "search_document"
    if input_type not in COHERE_INPUT_TYPES:
        raise InvalidRequest(f"`input_type` must be one of {', '.join(COHERE_INPUT_TYPES)}.", param="input_type")
    return EmbeddingsRequest(
        model=data["model"],
        texts=_texts(data.get("input")),
        encoding_format=encoding,
        dimensions=dimensions,
        input_type=input_type,
        user=data.get("user") if isinstance(data.get("user"), str) else None,
    )


def embedding_format(provider: str, model: str) -> EmbeddingFormat:
    found = EMBEDDING_FORMATS.get(provider)
    if found is None:
        raise InvalidRequest(
            f"The model `{model}` has no embeddings body the gateway knows (Titan or Cohere).", param="model"
        )
    return found


def batches(texts: list[str], size: int) -> list[list[str]]:
    return [texts[start : start + size] for start in range(0, len(texts), size)]


def encode(vector: list[float], encoding_format: str) -> list[float] | str:
    if encoding_format == "base64":
        return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
    return vector


def estimate_tokens(texts: list[str]) -> int:
    """About four characters per token, for providers that do not report a count."""
    return sum(max(1, len(text) // 4) for text in texts)


def to_openai_embeddings(
    vectors: list[list[float]], *, model: str, encoding_format: str, prompt_tokens: int
) -> dict[str, Any]:
    return {
        "object": "list",
        "model": model,
        "data": [
            {"object": "embedding", "index": index, "embedding": encode(vector, encoding_format)}
            for index, vector in enumerate(vectors)
        ],
        "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens},
    }
