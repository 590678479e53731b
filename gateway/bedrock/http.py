"""A lean Bedrock Runtime client for the calls on every request: Converse, ConverseStream, InvokeModel and
InvokeModelWithResponseStream.

botocore's generic machinery (event hooks, model-driven serializer and parsers, per-event shape walking)
cost about 1.5 ms of CPU per call and most of a streamed delta's cost. This client keeps what must be
right, from botocore itself: credentials (with their refresh), the endpoint the SDK resolves, SigV4
signing, and the exception types and error dicts the rest of the gateway maps. It replaces the rest
with orjson, a pooled urllib3 connection and a compact event-stream decoder (botocore's spends about
20 us of Python per frame on headers; this one a few, with the same CRC checks and limits).

What the SDK would turn into Python types is turned here too: blobs (`bytes`, `redactedContent`) travel
base64-encoded in the JSON both ways, and an event's `chunk.bytes` arrives decoded.
"""

from __future__ import annotations

import base64
import http.client
import os
import socket
import struct
from binascii import crc32
from collections.abc import Iterator
from urllib.parse import quote

import orjson
import urllib3
from botocore import __version__ as botocore_version
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.eventstream import ChecksumMismatch, InvalidHeadersLength, InvalidPayloadLength
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    EventStreamError,
    NoCredentialsError,
    ReadTimeoutError,
)
from botocore.httpsession import get_cert_path

USER_AGENT = f"sbc-gateway botocore/{botocore_version}"
MEDIA_BLOCKS = ("image", "document", "video")
OPERATIONS = {  # operation -> (path suffix, streamed)
    "converse": ("converse", False),
    "converse_stream": ("converse-stream", True),
    "invoke_model": ("invoke", False),
    "invoke_model_with_response_stream": ("invoke-with-response-stream", True),
}
STREAMED_OPERATIONS = frozenset(operation for operation, (_, streamed) in OPERATIONS.items() if streamed)
OPERATION_NAMES = {
    "converse": "Converse",
    "converse_stream": "ConverseStream",
    "invoke_model": "InvokeModel",
    "invoke_model_with_response_stream": "InvokeModelWithResponseStream",
}


def _blob_default(value):
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def json_body(params: dict) -> bytes:
    """The request's JSON, with blobs base64-encoded as the Bedrock API expects."""
    return orjson.dumps(params, default=_blob_default)


def decode_block_blobs(block: dict) -> None:
    """A content block's (or a streamed delta's) blobs as bytes, in place: media `source.bytes` and
    `reasoningContent.redactedContent`, the fields botocore's Converse shapes declare as blobs."""
    for kind in MEDIA_BLOCKS:
        media = block.get(kind)
        source = media.get("source") if isinstance(media, dict) else None
        if isinstance(source, dict) and isinstance(source.get("bytes"), str):
            source["bytes"] = base64.b64decode(source["bytes"])
    reasoning = block.get("reasoningContent")
    if isinstance(reasoning, dict) and isinstance(reasoning.get("redactedContent"), str):
        reasoning["redactedContent"] = base64.b64decode(reasoning["redactedContent"])


def decode_blobs(answer: dict) -> dict:
    """A Converse answer with its content blocks' blobs as bytes. Nothing else is touched: a tool's input or
    the model's extra fields are free JSON, where a key called `bytes` is just text."""
    content = ((answer.get("output") or {}).get("message") or {}).get("content")
    for block in content if isinstance(content, list) else ():
        if isinstance(block, dict):
            decode_block_blobs(block)
    return answer


def _error_code(raw: str) -> str:
    return raw.split(":", 1)[0].rsplit("#", 1)[-1]


def client_error(status: int, headers, body: bytes, operation: str) -> ClientError:
    """The ClientError botocore would raise for an error answer (restJson rules)."""
    try:
        parsed = orjson.loads(body) if body else {}
    except orjson.JSONDecodeError:
        parsed = None
    if not isinstance(parsed, dict):  # not JSON (a proxy's HTML page, say): botocore's generic error
        error = {"Code": str(status), "Message": http.client.responses.get(status, "")}
    else:
        code = (
            headers.get("x-amzn-errortype")
            or parsed.get("__type")
            or parsed.get("code")
            or parsed.get("Code")
            or str(status)
        )
        error = {"Code": _error_code(str(code)), "Message": parsed.get("message", parsed.get("Message", ""))}
    metadata = {
        "HTTPStatusCode": status,
        "HTTPHeaders": {k.lower(): v for k, v in headers.items()},
        "RequestId": headers.get("x-amzn-requestid", ""),
    }
    return ClientError({"Error": error, "ResponseMetadata": metadata}, OPERATION_NAMES[operation])


MAX_HEADERS_LENGTH = 128 * 1024
MAX_PAYLOAD_LENGTH = 24 * 1024 * 1024
# Header value type -> (fixed size, or -1 for a 2-byte length prefix; how to read it).
_HEADER_VALUES = {
    0: (0, lambda raw: True),
    1: (0, lambda raw: False),
    2: (1, lambda raw: int.from_bytes(raw, "big", signed=True)),
    3: (2, lambda raw: int.from_bytes(raw, "big", signed=True)),
    4: (4, lambda raw: int.from_bytes(raw, "big", signed=True)),
    5: (8, lambda raw: int.from_bytes(raw, "big", signed=True)),
    6: (-1, bytes),
    7: (-1, lambda raw: raw.decode("utf-8")),
    8: (8, lambda raw: int.from_bytes(raw, "big", signed=True)),
    9: (16, bytes),
}


def _headers(message: bytes, start: int, end: int) -> dict:
    headers = {}
    at = start
    while at < end:
        name_length = message[at]
        name = message[at + 1 : at + 1 + name_length].decode("utf-8")
        at += 1 + name_length
        size, read = _HEADER_VALUES[message[at]]
        at += 1
        if size < 0:
            size = int.from_bytes(message[at : at + 2], "big")
            at += 2
        headers[name] = read(message[at : at + size])
        at += size
    return headers


class EventStreamDecoder:
    """`application/vnd.amazon.eventstream` frames, fed as they arrive: (headers, payload) per whole message."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, data: bytes) -> list[tuple[dict, bytes]]:
        buffer = self._buffer + data if self._buffer else data
        messages, at = [], 0
        while len(buffer) - at >= 12:
            total, headers_length, prelude_crc = struct.unpack_from(">III", buffer, at)
            if crc32(buffer[at : at + 8]) != prelude_crc:
                raise ChecksumMismatch(prelude_crc, crc32(buffer[at : at + 8]))
            if headers_length > MAX_HEADERS_LENGTH:
                raise InvalidHeadersLength(headers_length)
            if total - headers_length - 16 > MAX_PAYLOAD_LENGTH:
                raise InvalidPayloadLength(total - headers_length - 16)
            if len(buffer) - at < total:
                break
            message = buffer[at : at + total]
            expected = int.from_bytes(message[-4:], "big")
            if crc32(message[:-4]) != expected:
                raise ChecksumMismatch(expected, crc32(message[:-4]))
            messages.append((_headers(message, 12, 12 + headers_length), message[12 + headers_length : -4]))
            at += total
        self._buffer = buffer[at:]
        return messages


def stream_event(headers: dict, raw: bytes, operation: str) -> dict:
    """One event-stream message as the SDK yields it (`{event_type: payload}`); an exception message raises."""
    kind = headers.get(":message-type")
    if kind == "event":
        payload = orjson.loads(raw) if raw else {}
        event_type = headers.get(":event-type")
        if event_type == "chunk" and isinstance(payload.get("bytes"), str):
            payload["bytes"] = base64.b64decode(payload["bytes"])
        elif isinstance(payload.get("delta"), dict):
            decode_block_blobs(payload["delta"])
        return {event_type: payload}
    if kind == "exception":
        payload = orjson.loads(raw) if raw else {}
        error = {
            "Code": headers.get(":exception-type", ""),
            "Message": payload.get("message", payload.get("Message", "")),
        }
    else:
        error = {"Code": headers.get(":error-code", ""), "Message": headers.get(":error-message", "")}
    raise EventStreamError({"Error": error}, OPERATION_NAMES[operation])


class EventStream:
    """The events of a streamed answer, as the SDK yields them: `{event_type: payload}`."""

    def __init__(self, response: urllib3.BaseHTTPResponse, operation: str, endpoint_url: str) -> None:
        self._response, self._operation, self._endpoint_url = response, operation, endpoint_url

    def __iter__(self) -> Iterator[dict]:
        decoder = EventStreamDecoder()
        try:
            for data in self._response.stream(2**16):
                for headers, payload in decoder.feed(data):
                    yield stream_event(headers, payload, self._operation)
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise ReadTimeoutError(endpoint_url=self._endpoint_url, error=exc) from exc
        except (urllib3.exceptions.ProtocolError, urllib3.exceptions.HTTPError, OSError) as exc:
            raise ConnectionClosedError(endpoint_url=self._endpoint_url) from exc
        self._response.release_conn()

    def close(self) -> None:
        """Stop reading: the connection is closed rather than returned half-read to the pool."""
        self._response.close()


def streamed_answer(operation: str, stream, metadata: dict) -> dict:
    """A streamed call's answer as the SDK shapes it: the events under `body` (InvokeModel) or `stream`."""
    key = "body" if operation == "invoke_model_with_response_stream" else "stream"
    return {key: stream, "ResponseMetadata": metadata}


def whole_answer(operation: str, status: int, headers, data: bytes) -> dict:
    """A whole (not streamed) operation's answer from its status, headers and body, as the SDK returns it; an error
    answer raises the ClientError the SDK would."""
    if status >= 300:
        raise client_error(status, headers, data, operation)
    metadata = {"HTTPStatusCode": status, "RequestId": headers.get("x-amzn-requestid", "")}
    if operation == "invoke_model":
        return {
            "body": StreamingBody(data),
            "contentType": headers.get("Content-Type", ""),
            "ResponseMetadata": metadata,
        }
    return {**decode_blobs(orjson.loads(data)), "ResponseMetadata": metadata}


class StreamingBody:
    """InvokeModel's `body`, already read (`read()` as on the SDK's StreamingBody)."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def read(self, amt: int | None = None) -> bytes:
        data, self._data = (self._data, b"") if amt is None else (self._data[:amt], self._data[amt:])
        return data


class BedrockHttpClient:
    """One region's Bedrock Runtime: `client.converse(modelId=..., **params)` as on the boto3 client."""

    def __init__(
        self,
        *,
        endpoint_url: str,
        region: str,
        credentials,
        connect_timeout: float,
        read_timeout: float,
        max_connections: int,
    ) -> None:
        self.endpoint_url = endpoint_url.rstrip("/")
        self.region = region
        self._credentials = credentials
        self.connect_timeout, self.read_timeout = connect_timeout, read_timeout
        options = urllib3.connection.HTTPConnection.default_socket_options + [
            (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        ]
        verify = os.environ.get("AWS_CA_BUNDLE") or get_cert_path(True)
        self.ca_certs = verify if isinstance(verify, str) else None
        self._pool = urllib3.PoolManager(
            num_pools=4,
            maxsize=max_connections,
            block=False,
            retries=False,
            timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
            socket_options=options,
            ca_certs=self.ca_certs,
        )

    def _signed(self, url: str, body: bytes, headers: dict[str, str]) -> dict[str, str]:
        credentials = self._credentials.get_frozen_credentials() if self._credentials is not None else None
        if credentials is None:
            raise NoCredentialsError()
        request = AWSRequest(method="POST", url=url, data=body, headers=headers)
        SigV4Auth(credentials, "bedrock", self.region).add_auth(request)
        return dict(request.headers.items())

    def request_for(self, operation: str, model_id: str, params: dict) -> tuple[str, bytes, dict[str, str]]:
        """The signed request of `operation`: its URL, body and headers."""
        suffix, streamed = OPERATIONS[operation]
        url = f"{self.endpoint_url}/model/{quote(model_id, safe='-._~')}/{suffix}"
        headers = {"User-Agent": USER_AGENT}
        if operation.startswith("invoke_model"):
            body = params["body"]
            headers["Content-Type"] = params.get("contentType", "application/json")
            headers["X-Amzn-Bedrock-Accept" if streamed else "Accept"] = params.get("accept", "application/json")
        else:
            body = json_body(params)
            headers["Content-Type"] = "application/json"
        return url, body, self._signed(url, body, headers)

    def call(self, operation: str, model_id: str, params: dict) -> dict:
        streamed = OPERATIONS[operation][1]
        url, body, headers = self.request_for(operation, model_id, params)
        try:
            response = self._pool.urlopen(
                "POST", url, body=body, headers=headers, preload_content=False, redirect=False
            )
        except urllib3.exceptions.NewConnectionError as exc:  # a subclass of ConnectTimeoutError: first
            raise EndpointConnectionError(endpoint_url=url, error=exc) from exc
        except urllib3.exceptions.ConnectTimeoutError as exc:
            raise ConnectTimeoutError(endpoint_url=url, error=exc) from exc
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise ReadTimeoutError(endpoint_url=url, error=exc) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise ConnectionClosedError(endpoint_url=url, error=exc) from exc
        if response.status >= 300 or not streamed:
            try:
                data = response.read()
            except urllib3.exceptions.ReadTimeoutError as exc:
                raise ReadTimeoutError(endpoint_url=url, error=exc) from exc
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                raise ConnectionClosedError(endpoint_url=url, error=exc) from exc
            finally:
                response.release_conn()
            return whole_answer(operation, response.status, response.headers, data)
        metadata = {"HTTPStatusCode": response.status, "RequestId": response.headers.get("x-amzn-requestid", "")}
        stream = EventStream(response, operation, url)
        return streamed_answer(operation, stream, metadata)

    def __getattr__(self, operation: str):
        if operation not in OPERATIONS:
            raise AttributeError(operation)
        return lambda *, modelId, **params: self.call(operation, modelId, params)
