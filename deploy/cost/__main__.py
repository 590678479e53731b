"""`make cost`: what each deployment shape costs a month for a team's workload, Bedrock tokens not included.

    make cost ARGS="--developers 20 --requests-per-day 1000 --seconds 10 --tokens 20"

Flags default to the COST_* environment variables, then to one developer. The last line is always the serverless
shape's two reference figures: idle (no requests, one mirrored token) and solo (one developer, 1,000 requests a
day, 10 s answers, one mirrored token), both without any free tier.
"""

from __future__ import annotations

import argparse
import os
import sys

from deploy.cost.shapes import IDLE, SOLO, Shape, Workload, all_shapes, serverless
from deploy.cost.table import PRICES, load, serverless_memory_mb

ALWAYS_FREE = "Lambda 1M requests and 400,000 GB-s, DSQL 100,000 DPU and 1 GB, CloudWatch Logs 5 GB, Scheduler 14M"


def _env(name: str, default: str) -> str:
    return os.environ.get(f"COST_{name}", default)


def arguments(argv: list[str] | None = None) -> Workload:
    parser = argparse.ArgumentParser(prog="make cost", description=__doc__.split("\n\n")[0])
    parser.add_argument("--developers", type=int, default=int(_env("DEVELOPERS", "1")), help="team size")
    parser.add_argument(
        "--requests-per-day", type=float, default=float(_env("REQUESTS_PER_DAY", "1000")), help="per developer"
    )
    parser.add_argument(
        "--seconds", type=float, default=float(_env("SECONDS", "10")), help="average seconds per answer"
    )
    tokens = _env("TOKENS", "")
    parser.add_argument(
        "--tokens", type=int, default=int(tokens) if tokens else None, help="mirrored in Secrets Manager (one each)"
    )
    parser.add_argument("--days", type=float, default=float(_env("DAYS", str(365 / 12))), help="days a month used")
    parser.add_argument("--months-kept", type=float, default=float(_env("MONTHS_KEPT", "12")), help="usage history")
    parser.add_argument("--egress", choices=("endpoints", "nat"), default=_env("EGRESS", "endpoints"))
    parser.add_argument("--domain", action="store_true", help="serverless behind API Gateway REST (custom domain)")
    args = parser.parse_args(argv)
    return Workload(
        developers=args.developers,
        requests_per_developer_day=args.requests_per_day,
        seconds_per_answer=args.seconds,
        tokens=args.tokens,
        days=args.days,
        months_kept=args.months_kept,
        egress=args.egress,
        domain=args.domain,
    )


def money(usd: float) -> str:
    return f"${usd:,.2f}"


def render_shape(shape: Shape) -> list[str]:
    out = [shape.title]
    for line in shape.lines:
        out.append(f"  {line.name:<34} {line.how:<66} {money(line.usd):>10}")
    out.append(f"  {'total':<34} {'':<66} {money(shape.total):>10}")
    out.append(f"  with free tier: {money(shape.with_free_tier)}")
    return out


def report(w: Workload) -> str:
    table = load()
    memory = serverless_memory_mb()
    shapes = all_shapes(table, w, memory)
    lines = [
        f"Monthly cost in {table.region}, prices read {table.read} ({PRICES.relative_to(PRICES.parents[2])}), "
        "Bedrock tokens not included.",
        f"Workload: {w.developers} developer(s) x {w.requests_per_developer_day:,.0f} requests/day x {w.days:.1f} days"
        f" = {w.requests:,.0f} requests a month, {w.seconds_per_answer:g} s per answer (a stream is billed while it"
        f" runs), {w.mirrored} token(s) mirrored in Secrets Manager.",
        "",
    ]
    for shape in shapes:
        lines += render_shape(shape) + [""]
    cheapest = min(shapes, key=lambda s: s.total)
    lines.append(f"Cheapest for this workload: {cheapest.title.split(' (')[0]} ({money(cheapest.total)}/month).")
    lines.append(f"Free tiers are shown apart, never subtracted; always-free allowances: {ALWAYS_FREE}.")
    idle, solo = serverless(table, IDLE, memory), serverless(table, SOLO, memory)
    lines.append(f"serverless: idle {money(idle.total)}/month, solo {money(solo.total)}/month")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    print(report(arguments(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
