"""Writing the usage ledger: one INSERT per request at settlement, never allowed to break the response."""
from __future__ import annotations

import logging
from decimal import Decimal

from usage.models import UsageRecord

log = logging.getLogger("sbc.usage")


def usage_record_create(*, request_id: str, identity_id: int | None, identity_name: str, token_id: str,
                        endpoint: str, model_requested: str, model_resolved: str, region: str, usage: dict,
                        cost_usd: Decimal, latency_ms: int, streamed: bool, status: int, finish_reason: str | None,
                        error_code: str | None, client: str, disconnected: bool) -> bool:
    """Insert the request's record; False (and an error in the log) when the database refused it."""
    details = usage.get("prompt_tokens_details") or {}
    prompt, completion = int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
    try:
        UsageRecord.objects.create(
            request_id=request_id, identity_id=identity_id, identity_name=identity_name, token_id=token_id,
            endpoint=endpoint, model_requested=model_requested[:300], model_resolved=(model_resolved or "")[:300],
            region=region or "", prompt_tokens=prompt, completion_tokens=completion,
            total_tokens=int(usage.get("total_tokens") or prompt + completion),
            cached_tokens=int(details.get("cached_tokens") or 0),
            cache_write_tokens=int(details.get("cache_write_tokens") or 0),
            usage_estimated=bool(usage.get("estimated")), cost_usd=cost_usd, latency_ms=latency_ms,
            streamed=streamed, status=status, finish_reason=(finish_reason or "")[:30],
            error_code=(error_code or "")[:60], client=client[:60], disconnected=disconnected)
        return True
    except Exception:
        log.exception("Could not write the usage record of %s", request_id)
        return False
