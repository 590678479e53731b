"""The fault run's table and its last line."""

from __future__ import annotations

from bench.faults.run import LOCKOUT_LIMIT, Result

HEADER = ("scenario", "sent", "statuses", "records", "missing", "doubled", "drift tokens", "lockout s")


def _records(result: Result) -> str:
    by_status = " ".join(f"{status}:{count}" for status, count in sorted(result.ledger.by_status.items()))
    return f"{result.ledger.records} ({by_status})" if by_status else "0"


def rows(results: list[Result]) -> list[tuple[str, ...]]:
    return [
        (
            result.name,
            str(result.sent),
            " ".join(f"{label}:{count}" for label, count in result.labels.most_common()),
            _records(result),
            str(result.ledger.missing),
            str(result.ledger.doubled),
            str(result.ledger.drift_tokens),
            f"{result.lockout:.1f}",
        )
        for result in results
    ]


def table(results: list[Result]) -> str:
    body = [HEADER, *rows(results)]
    widths = [max(len(row[i]) for row in body) for i in range(len(HEADER))]
    lines = ["| " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths)) + " |" for row in body]
    lines.insert(1, "|" + "|".join("-" * (width + 2) for width in widths) + "|")
    return "\n".join(lines)


def summary(results: list[Result]) -> str:
    missing = sum(result.ledger.missing for result in results)
    doubled = sum(result.ledger.doubled for result in results)
    drift = sum(result.ledger.drift_tokens for result in results)
    lockout = max((result.lockout for result in results), default=0.0)
    return (
        f"faults: {len(results)} scenarios, {missing} missing, {doubled} doubled, "
        f"drift {drift} tokens, lockout {lockout:.1f} s"
    )


def details(results: list[Result]) -> list[str]:
    lines = []
    for result in results:
        said = result.notes + result.failures
        if result.lockout > LOCKOUT_LIMIT:
            said.append(f"lockout probe gave up at {result.lockout:.0f} s")
        if said:
            lines.append(f"{result.name}: " + "; ".join(said))
    return lines
