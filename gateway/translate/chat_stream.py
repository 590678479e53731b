"""Turns ConverseStream events into OpenAI `chat.completion.chunk` objects, one request at a time.

Tool calls are numbered 0, 1, 2... in the order they start, independent of Bedrock's
`contentBlockIndex` (which also counts text and reasoning blocks): OpenAI clients use `index` to
assemble `tool_calls[index]`, so a sparse or shifted index corrupts their tool calls.

Reasoning text streams as `delta.reasoning_content`; its signature, once Bedrock sends it, as
`delta.thinking_blocks: [{"type": "thinking", "thinking": "", "signature": ...}]` when the block ends,
which is what a client needs to send back. The synthetic structured-output tool's input streams as ordinary `content`.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from gateway.translate.chat_response import finish_reason_for, thinking_block, usage_from_converse
from gateway.translate.custom_tools import custom_call
from gateway.translate.tool_names import client_tool_name


def error_chunk(message: str, type_: str, code: str | None) -> dict:
    """The chunk that reports a failure after the 200 response has begun; OpenAI SDKs raise on it."""
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


class ChatStreamTranslator:
    def __init__(
        self,
        *,
        completion_id: str,
        created: int,
        model: str,
        include_usage: bool,
        tool_names: dict[str, str],
        json_tool: str | None = None,
        custom_tools: frozenset[str] = frozenset(),
    ) -> None:
        self.completion_id = completion_id
        self.created = created
        self.model = model
        self.include_usage = include_usage
        self.tool_names = tool_names
        self.finish_reason: str | None = None
        self.usage: dict | None = None
        self.json_tool = json_tool
        self.custom_tools = custom_tools
        self._custom_blocks: dict[object, tuple[int, str, str, list[str]]] = {}  # block -> index, id, name, input
        self.completion_text_chars = 0
        self.reasoning_chars = 0
        self._json_blocks: set[object] = set()
        self._redacted_blocks: dict[object, object] = {}
        # Reasoning signatures and redacted reasoning, by content block: needed to replay a thinking turn.
        self.reasoning_signatures: dict[object, str] = {}
        self._started = False
        self._tool_index_for_block: dict[object, int] = {}
        self._handlers: dict[str, Callable[[dict], list[dict]]] = {
            "messageStart": self._message_start,
            "contentBlockStart": self._block_start,
            "contentBlockDelta": self._block_delta,
            "contentBlockStop": self._block_stop,
            "messageStop": self._message_stop,
            "metadata": self._metadata,
        }

    def _chunk(self, delta: dict, finish_reason: str | None = None) -> dict:
        chunk = {
            "id": self.completion_id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": None,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
        }
        if self.include_usage:
            chunk["usage"] = None
        return chunk

    def first_chunk(self) -> dict:
        """The role chunk; call it before the first event to answer clients without waiting for Bedrock."""
        self._started = True
        return self._chunk({"role": "assistant", "content": ""})

    def feed(self, event: dict) -> list[dict]:
        """The chunks for one ConverseStream event (`{"contentBlockDelta": {...}}`); unknown events give none."""
        chunks: list[dict] = []
        for name, payload in event.items():
            handler = self._handlers.get(name)
            if handler is None or not isinstance(payload, dict):
                continue
            produced = handler(payload)
            if produced and not self._started:
                chunks.append(self.first_chunk())
            chunks.extend(produced)
        return chunks

    def final_chunks(self) -> list[dict]:
        """After the last event: the usage-only chunk, when the client asked for usage and Bedrock sent it."""
        if not self.include_usage or self.usage is None:
            return []
        chunk = self._chunk({})
        chunk["choices"] = []
        chunk["usage"] = self.usage
        return [chunk]

    # ---- event handlers -----------------------------------------------------------------------

    def _message_start(self, payload: dict) -> list[dict]:
        return [] if self._started else [self.first_chunk()]

    def _block_start(self, payload: dict) -> list[dict]:
        tool_use = (payload.get("start") or {}).get("toolUse")
        if not isinstance(tool_use, dict):
            return []
        if self.json_tool and tool_use.get("name") == self.json_tool:
            self._json_blocks.add(payload.get("contentBlockIndex"))
            return []
        index = len(self._tool_index_for_block)
        self._tool_index_for_block[payload.get("contentBlockIndex")] = index
        name = client_tool_name(tool_use.get("name", ""), self.tool_names)
        if name in self.custom_tools:  # its input is JSON around the text: sent whole when the block ends
            self._custom_blocks[payload.get("contentBlockIndex")] = (index, tool_use.get("toolUseId", ""), name, [])
            return []
        return [
            self._chunk(
                {
                    "tool_calls": [
                        {
                            "index": index,
                            "id": tool_use.get("toolUseId", ""),
                            "type": "function",
                            "function": {"name": name, "arguments": ""},
                        }
                    ]
                }
            )
        ]

    def _block_delta(self, payload: dict) -> list[dict]:
        delta = payload.get("delta") or {}
        block = payload.get("contentBlockIndex")
        if isinstance(delta.get("text"), str):
            self.completion_text_chars += len(delta["text"])
            return [self._chunk({"content": delta["text"]})]
        if isinstance(delta.get("toolUse"), dict):
            return self._tool_input(block, delta["toolUse"].get("input"))
        if isinstance(delta.get("reasoningContent"), dict):
            return self._reasoning(block, delta["reasoningContent"])
        return []

    def _tool_input(self, block: object, arguments: object) -> list[dict]:
        if block in self._json_blocks and isinstance(arguments, str) and arguments:
            self.completion_text_chars += len(arguments)
            return [self._chunk({"content": arguments})]
        index = self._tool_index_for_block.get(block)
        if index is None or not isinstance(arguments, str) or not arguments:
            return []
        if block in self._custom_blocks:
            self._custom_blocks[block][3].append(arguments)
            return []
        self.completion_text_chars += len(arguments)
        return [self._chunk({"tool_calls": [{"index": index, "function": {"arguments": arguments}}]})]

    def _reasoning(self, block: object, reasoning: dict) -> list[dict]:
        if isinstance(reasoning.get("signature"), str):
            self.reasoning_signatures[block] = self.reasoning_signatures.get(block, "") + reasoning["signature"]
        if reasoning.get("redactedContent") is not None:
            self._redacted_blocks[block] = reasoning["redactedContent"]
        if not isinstance(reasoning.get("text"), str):
            return []
        self.completion_text_chars += len(reasoning["text"])
        self.reasoning_chars += len(reasoning["text"])
        return [self._chunk({"reasoning_content": reasoning["text"]})]

    def _block_stop(self, payload: dict) -> list[dict]:
        """A finished reasoning block's signature (or redacted data), which arrives in pieces, in one chunk."""
        block = payload.get("contentBlockIndex")
        if block in self._custom_blocks:
            return [self._custom_call(*self._custom_blocks.pop(block))]
        if block in self._redacted_blocks:
            return [
                self._chunk({"thinking_blocks": [thinking_block({"redactedContent": self._redacted_blocks[block]})]})
            ]
        if block in self.reasoning_signatures:
            return [
                self._chunk(
                    {
                        "thinking_blocks": [
                            {"type": "thinking", "thinking": "", "signature": self.reasoning_signatures[block]}
                        ]
                    }
                )
            ]
        return []

    def _custom_call(self, index: int, call_id: str, name: str, pieces: list[str]) -> dict:
        try:
            tool_input = json.loads("".join(pieces) or "{}")
        except ValueError:
            tool_input = {}
        self.completion_text_chars += len("".join(pieces))
        return self._chunk({"tool_calls": [{"index": index, **custom_call(call_id, name, tool_input)}]})

    def _message_stop(self, payload: dict) -> list[dict]:
        self.finish_reason = finish_reason_for(payload.get("stopReason"))
        if self.finish_reason == "tool_calls" and self._json_blocks and not self._tool_index_for_block:
            self.finish_reason = "stop"
        return [self._chunk({}, self.finish_reason)]

    def _metadata(self, payload: dict) -> list[dict]:
        self.usage = usage_from_converse(payload.get("usage") or {}, self.reasoning_chars)
        return []
