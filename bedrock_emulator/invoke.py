"""InvokeModel bodies of the embedding models (Titan v1/v2, Cohere v3).

`INVOKE_HANDLERS` maps a catalog family to the function that answers its native body. Claude's Messages
body is answered by `claude` (checked by `validation.validate_claude`), since it shares the synthetic
model, streaming and prompt-cache accounting with Converse.
"""

from __future__ import annotations

import hashlib
import math
import struct
import uuid
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from bedrock_emulator.catalog import Model
from bedrock_emulator.errors import validation
from bedrock_emulator.usage import tokens

InvokeResult = tuple[dict[str, Any], int]  # (response body, input token count)
InvokeHandler = Callable[[dict[str, Any], Model], InvokeResult]

TITAN_V2_DIMENSIONS = (256, 512, 1024)
COHERE_INPUT_TYPES = ("search_document", "search_query", "classification", "clustering")
COHERE_TRUNCATE = ("NONE", "START", "END")
COHERE_MAX_TEXTS = 96


def malformed(detail: str) -> Exception:
    return validation(f"Malformed input request: {detail}, please reformat your input and try again.")


@lru_cache(maxsize=2048)
def embedding(text: str, dimensions: int, normalize: bool = True) -> tuple[float, ...]:
    """A deterministic pseudo-random vector seeded by the text: same text, same vector."""
    raw = struct.unpack(f">{dimensions}h", hashlib.shake_256(text.encode()).digest(dimensions * 2))
    scale = math.sqrt(sum(value * value for value in raw)) if normalize else 32768.0
    return tuple(value / scale for value in raw)


def _input_text(body: dict[str, Any]) -> str:
    if "inputText" not in body:
        raise malformed("#: required key [inputText] not found")
    text = body["inputText"]
    if not isinstance(text, str) or not text:
        raise malformed("#/inputText: expected minLength: 1, actual: 0")
    return text


def titan_v1(body: dict[str, Any], model: Model) -> InvokeResult:
    text = _input_text(body)
    extra = sorted(set(body) - {"inputText"})
    if extra:
        raise malformed(f"#: extraneous key [{extra[0]}] is not permitted")
    count = tokens(len(text))
    return {"embedding": list(embedding(text, 1536)), "inputTextTokenCount": count}, count


def titan_v2(body: dict[str, Any], model: Model) -> InvokeResult:
    text = _input_text(body)
    dimensions = body.get("dimensions", 1024)
    if dimensions not in TITAN_V2_DIMENSIONS:
        raise malformed(f"#/dimensions: {dimensions} is not a valid enum value")
    vector = list(embedding(text, dimensions, bool(body.get("normalize", True))))
    count = tokens(len(text))
    answer: dict[str, Any] = {"embedding": vector, "inputTextTokenCount": count}
    if "float" in (body.get("embeddingTypes") or []):
        answer["embeddingsByType"] = {"float": vector}
    return answer, count


def cohere_v3(body: dict[str, Any], model: Model) -> InvokeResult:
    texts = body.get("texts")
    if not isinstance(texts, list) or not texts or not all(isinstance(text, str) for text in texts):
        raise malformed("#: required key [texts] not found")
    if len(texts) > COHERE_MAX_TEXTS:
        raise malformed(f"#/texts: expected maximum item count: {COHERE_MAX_TEXTS}, found: {len(texts)}")
    if body.get("input_type") not in COHERE_INPUT_TYPES:
        raise malformed(
            "#: required key [input_type] not found"
            if "input_type" not in body
            else f"#/input_type: {body['input_type']} is not a valid enum value"
        )
    if body.get("truncate", "NONE") not in COHERE_TRUNCATE:
        raise malformed(f"#/truncate: {body['truncate']} is not a valid enum value")
    answer = {
        "embeddings": [list(embedding(text, 1024)) for text in texts],
        "id": str(uuid.uuid4()),
        "response_type": "embeddings_floats",
        "texts": texts,
    }
    return answer, sum(tokens(len(text)) for text in texts)


INVOKE_HANDLERS: dict[str, InvokeHandler] = {
    "titan-embed-v1": titan_v1,
    "titan-embed-v2": titan_v2,
    "cohere-embed-v3": cohere_v3,
}


def invoke(body: Any, model: Model) -> InvokeResult:
    handler = INVOKE_HANDLERS.get(model.family)
    if handler is None:
        raise malformed(f"the emulator has no InvokeModel body format for {model.base_id}")
    if not isinstance(body, dict):
        raise malformed("#: expected type: JSONObject")
    return handler(body, model)


def directive_text(body: Any) -> str:
    """The prompt text of an InvokeModel body, where directives such as `[[sbc:error=...]]` may sit."""
    if not isinstance(body, dict):
        return ""
    if isinstance(body.get("inputText"), str):
        return body["inputText"]
    return "\n".join(text for text in body.get("texts") or [] if isinstance(text, str))
