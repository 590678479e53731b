"""Bedrock's calls on the serving event loop, for the ASGI server.

A stream held open for tens of seconds costs a thread under WSGI; here it costs a socket and a few
objects on the worker's event loop, so one worker holds a thousand. A whole answer is fetched on the loop
too: the request thread waits on a future instead of sitting in a socket read and then contending with the
loop for the GIL to finish it. The request is built and signed by the lean client (`gateway.bedrock.http`),
sent with aiohttp, and its answer decoded by the same code (a stream's by the same decoder); failures become
the exceptions botocore would raise, so failover and the error table treat both transports alike.

`call` is made from a view's thread: it runs the request on the loop and waits for Bedrock's answer headers
(a stream) or its whole body; an error answer raises in the thread, where failover handles it. A stream's events
are then read on the loop by the response's async iterator.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import aiohttp
from botocore.exceptions import ConnectionClosedError, ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError
from multidict import CIMultiDictProxy

from gateway.bedrock.http import (
    OPERATIONS,
    STREAMED_OPERATIONS,
    BedrockHttpClient,
    EventStreamDecoder,
    client_error,
    stream_event,
    streamed_answer,
    whole_answer,
)

READ_SIZE = 2**16


@contextmanager
def botocore_errors(url: str) -> Iterator[None]:
    """aiohttp's failures, connecting or reading, as the botocore exceptions failover and the error table know."""
    try:
        yield
    except aiohttp.ClientConnectorError as exc:
        raise EndpointConnectionError(endpoint_url=url, error=exc) from exc
    except aiohttp.ConnectionTimeoutError as exc:
        raise ConnectTimeoutError(endpoint_url=url, error=exc) from exc
    except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
        raise ReadTimeoutError(endpoint_url=url, error=exc) from exc
    except (aiohttp.ClientError, OSError) as exc:
        raise ConnectionClosedError(endpoint_url=url, error=exc) from exc


class AsyncEventStream:
    """The events of a streamed answer read on the loop: `async for event in stream`, as `EventStream`."""

    def __init__(self, response: aiohttp.ClientResponse, operation: str, endpoint_url: str) -> None:
        self._response, self._operation, self._endpoint_url = response, operation, endpoint_url

    async def __aiter__(self) -> AsyncIterator[dict]:
        decoder = EventStreamDecoder()
        with botocore_errors(self._endpoint_url):
            while data := await self._response.content.read(READ_SIZE):
                for headers, payload in decoder.feed(data):
                    yield stream_event(headers, payload, self._operation)
        self._response.release()

    def close(self) -> None:
        """Stop reading: the connection is closed rather than returned half-read to the pool."""
        self._response.close()


class AsyncBedrockClient:
    """One region's Bedrock calls on one event loop, requests signed by `signer`."""

    def __init__(self, signer: BedrockHttpClient, loop: asyncio.AbstractEventLoop) -> None:
        self.signer = signer
        self.loop = loop
        self._session: aiohttp.ClientSession | None = None

    def _new_session(self) -> aiohttp.ClientSession:
        context = ssl.create_default_context(cafile=self.signer.ca_certs)
        connector = aiohttp.TCPConnector(limit=0, ssl=context, keepalive_timeout=60, enable_cleanup_closed=True)
        timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=self.signer.connect_timeout, sock_read=self.signer.read_timeout
        )
        return aiohttp.ClientSession(
            connector=connector,
            timeout=timeout,
            auto_decompress=False,
            skip_auto_headers=("User-Agent", "Content-Type", "Accept-Encoding"),
        )

    async def _send(self, operation: str, url: str, body: bytes, headers: dict[str, str]) -> dict:
        if self._session is None:
            self._session = self._new_session()
        with botocore_errors(url):
            response = await self._session.post(url, data=body, headers=headers, allow_redirects=False)
            if response.status >= 300:
                try:
                    data = await response.read()
                finally:
                    response.release()
                raise client_error(response.status, response.headers, data, operation)
        metadata = {"HTTPStatusCode": response.status, "RequestId": response.headers.get("x-amzn-requestid", "")}
        return streamed_answer(operation, AsyncEventStream(response, operation, url), metadata)

    async def _fetch(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, CIMultiDictProxy, bytes]:
        if self._session is None:
            self._session = self._new_session()
        with botocore_errors(url):
            async with self._session.post(url, data=body, headers=headers, allow_redirects=False) as response:
                return response.status, response.headers, await response.read()

    def call(self, operation: str, model_id: str, params: dict) -> dict:
        """From a thread other than the loop's: the call's answer. A streamed one returns once Bedrock's headers
        are in (its events are read on the loop); a whole one once its body is, decoded in the calling thread."""
        # Signed here, in the thread: refreshing expired credentials may wait on the network.
        url, body, headers = self.signer.request_for(operation, model_id, params)
        if operation in STREAMED_OPERATIONS:
            return asyncio.run_coroutine_threadsafe(self._send(operation, url, body, headers), self.loop).result()
        status, answer_headers, data = asyncio.run_coroutine_threadsafe(
            self._fetch(url, body, headers), self.loop
        ).result()
        return whole_answer(operation, status, answer_headers, data)

    async def aclose(self) -> None:
        """Close its pooled connections (a worker's client lives as long as its loop; a test closes its own)."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    def __getattr__(self, operation: str):
        if operation not in OPERATIONS:
            raise AttributeError(operation)
        return lambda *, modelId, **params: self.call(operation, modelId, params)
