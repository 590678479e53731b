"""State for the Responses API: stored responses, their items and conversations, per identity, for a while.

What is kept: with `store` true (OpenAI's default) and RESPONSES_RETENTION_DAYS above 0 (default 30), a
response is written once its answer is complete (one INSERT, JSON columns): the `response` object, whose
reasoning items keep Claude's signed thinking, and the request's own input items, item references resolved.
Conversations (`POST /v1/conversations`) keep the items they were created with; responses added to one hold
the rest and live as long as it does.

Prompt text at rest: these rows are the client's own conversation, kept because it asked (as OpenAI keeps
it), readable only with a token of the same identity, and deleted when they expire (`manage.py
purge_responses`, scheduled), when the client deletes them, or with the identity. They never reach a log, an
event, the usage records or the admin: LOG_PROMPTS governs logs only. An admin who wants no prompt text at
rest sets RESPONSES_RETENTION_DAYS=0: nothing is stored and every response says `"store": false`.

Isolation: every read filters on the caller's identity and on expiry, so another identity's id, or an
expired one, is answered exactly like an id that never existed (404).
"""

from gateway.responses_store.store import Keeper, purge_expired, response_delete, response_get, retention, state_for

__all__ = ["Keeper", "purge_expired", "response_delete", "response_get", "retention", "state_for"]
