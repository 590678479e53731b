"""The monthly bill of each deployment shape, line by line, for a team's workload (Bedrock tokens not included).

Three shapes: serverless on Aurora DSQL (Lambda arm64 outside any VPC behind a streaming function URL), Lambda
with RDS (deploy/terraform/modules/lambda: VPC endpoints or NAT, RDS, RDS Proxy) and ECS with RDS and Redis
(modules/ecs: Fargate tasks, load balancer, RDS, ElastiCache). Every figure is a price from the table times a
quantity the line states; free tiers are worked out apart and never taken off `total`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from deploy.cost.table import Table

HOURS = 730  # AWS's month
MINUTES_PER_FARGATE_JOB = 1  # Fargate bills a task for one minute at least
GB = 1024**2  # KB in a GB

# Always-free allowances: which price lines each covers, and the factor from the allowance's unit to theirs.
FREE_COVERS = {
    "lambda_requests": (("lambda_requests",), 1e-6),
    "lambda_gb_seconds": (("lambda_arm_gb_second", "lambda_x86_gb_second"), 1.0),
    "dsql_dpu": (("dsql_dpu",), 1e-6),
    "dsql_storage": (("dsql_storage",), 1.0),
    "logs": (("logs_ingestion", "logs_storage"), 1.0),
    "scheduler_invocations": (("scheduler_invocations",), 1e-6),
}


@dataclass(frozen=True)
class Workload:
    developers: int = 1
    requests_per_developer_day: float = 1000
    seconds_per_answer: float = 10
    tokens: int | None = None  # tokens mirrored in Secrets Manager; None: one per developer
    days: float = 365 / 12  # every day of the month; 21 counts working days only
    months_kept: float = 12  # months of usage records the database holds
    egress: str = "endpoints"  # how the VPC shapes reach AWS: "endpoints" (the modules' default) or "nat"
    domain: bool = False  # serverless behind API Gateway REST for a custom domain

    @property
    def requests(self) -> float:
        return self.developers * self.requests_per_developer_day * self.days

    @property
    def mirrored(self) -> int:
        return self.developers if self.tokens is None else self.tokens


IDLE = Workload(developers=1, requests_per_developer_day=0, tokens=1)
SOLO = Workload(developers=1, requests_per_developer_day=1000, seconds_per_answer=10, tokens=1)


@dataclass(frozen=True)
class Line:
    name: str
    price: str  # key in the price table
    quantity: float  # in the price's unit
    how: str  # the quantity in words
    unit_usd: float = 0.0

    @property
    def usd(self) -> float:
        return self.quantity * self.unit_usd


@dataclass
class Shape:
    key: str
    title: str
    lines: list[Line] = field(default_factory=list)
    free_usd: float = 0.0

    @property
    def total(self) -> float:
        return sum(line.usd for line in self.lines)

    @property
    def with_free_tier(self) -> float:
        return max(self.total - self.free_usd, 0.0)


class Bill:
    """Collects a shape's lines, each priced from the table."""

    def __init__(self, table: Table, key: str, title: str):
        self.table = table
        self.shape = Shape(key=key, title=title)

    def add(self, name: str, price: str, quantity: float, how: str) -> None:
        self.shape.lines.append(Line(name, price, quantity, how, self.table.usd(price)))

    def done(self) -> Shape:
        self.shape.free_usd = free_credit(self.table, self.shape.lines)
        return self.shape


def free_credit(table: Table, lines: list[Line]) -> float:
    """Dollars the always-free allowances would cover on these lines (shown apart, never subtracted)."""
    credit = 0.0
    for key, (prices, factor) in FREE_COVERS.items():
        tier = table.free.get(key)
        if tier is None or not tier.always:
            continue
        left = tier.amount * factor
        for line in sorted((ln for ln in lines if ln.price in prices), key=lambda ln: -ln.unit_usd):
            used = min(left, line.quantity)
            credit += used * line.unit_usd
            left -= used
    return credit


def _jobs(w: Workload) -> dict[str, float]:
    """Scheduled commands a month: sync_secrets every 15 minutes (mirror on), purge hourly, the reaper every six
    hours, sessions nightly (the `all_jobs` of deploy/terraform/modules/app and zappa_settings.json's events)."""
    return {
        "sync_secrets": (4 * 24 * w.days) if w.mirrored else 0.0,
        "purge_responses": 24 * w.days,
        "reap_reservations": 4 * w.days,
        "clearsessions": w.days,
    }


def _common(bill: Bill, w: Workload, retention_days: float, app_secrets: int) -> None:
    """Secrets Manager, CloudWatch Logs and the schedule: what every shape has."""
    t, jobs = bill.table, _jobs(w)
    runs = sum(jobs.values())
    secrets = w.mirrored + app_secrets
    if secrets:
        parts = [f"{w.mirrored} mirrored token(s)"] + ([f"{app_secrets} app secret(s)"] if app_secrets else [])
        bill.add("Secrets Manager secrets", "secret", secrets, " + ".join(parts))
    calls = jobs["sync_secrets"] * math.ceil(w.mirrored / 100)
    if calls:
        bill.add("Secrets Manager API", "secret_api", calls / 1e4, f"{calls:,.0f} ListSecrets calls by sync_secrets")
    log_gb = (w.requests * t.assume["log_kb_per_request"] + runs * t.assume["log_kb_per_job"]) / GB
    bill.add("CloudWatch Logs ingestion", "logs_ingestion", log_gb, f"{log_gb:.3f} GB a month")
    kept = log_gb * min(retention_days, w.months_kept * w.days) / w.days
    bill.add("CloudWatch Logs storage", "logs_storage", kept, f"{kept:.3f} GB kept ({retention_days:.0f} days)")
    bill.add("Scheduled jobs", "scheduler_invocations", runs / 1e6, f"{runs:,.0f} runs a month")


def _egress(bill: Bill, w: Workload, endpoints: int) -> None:
    t = bill.table
    zones = t.assume["zones"]
    gb = w.requests * t.assume["request_kb"] / GB
    if w.egress == "nat":
        bill.add("NAT gateway", "nat_hour", HOURS, "one gateway, all month")
        bill.add("NAT gateway data", "nat_gb", gb, f"{gb:.1f} GB to Bedrock and AWS APIs")
        bill.add("NAT gateway address", "public_ipv4_hour", HOURS, "one public IPv4 address")
        return
    bill.add(
        "VPC interface endpoints",
        "vpc_endpoint_hour",
        endpoints * zones * HOURS,
        f"{endpoints} endpoints x {zones:.0f} zones, all month",
    )
    bill.add("VPC endpoint data", "vpc_endpoint_gb", gb, f"{gb:.1f} GB to Bedrock and AWS APIs")


def _rds(bill: Bill, w: Workload) -> float:
    t = bill.table
    data = t.assume["base_database_gb"] + w.requests * w.months_kept * t.assume["usage_record_kb"] / GB
    bill.add("RDS PostgreSQL db.t4g.micro", "rds_t4g_micro_hour", HOURS, "one instance, Single-AZ, all month")
    storage = max(20.0, data)
    bill.add("RDS storage gp3", "rds_gp3_storage", storage, f"{storage:.1f} GB (20 GB allocated at least)")
    return data


def serverless(t: Table, w: Workload, memory_mb: int) -> Shape:
    bill = Bill(t, "serverless", f"serverless on DSQL (Lambda arm64 {memory_mb} MB outside a VPC, function URL)")
    gb = memory_mb / 1024
    runs = sum(_jobs(w).values())
    cold = w.developers * t.assume["cold_starts_per_developer_day"] * w.days if w.requests else 0.0
    answers = w.requests * w.seconds_per_answer * gb
    bill.add(
        "Lambda requests",
        "lambda_requests",
        (w.requests + runs) / 1e6,
        f"{w.requests:,.0f} answers + {runs:,.0f} scheduled runs",
    )
    bill.add(
        "Lambda answers",
        "lambda_arm_gb_second",
        answers,
        f"{w.requests:,.0f} x {w.seconds_per_answer:g} s x {gb:.4g} GB (billed while they stream)",
    )
    init = cold * t.assume["init_seconds"] * gb
    bill.add("Lambda cold starts", "lambda_arm_gb_second", init, f"{cold:,.0f} x {t.assume['init_seconds']:g} s init")
    job = runs * (t.assume["job_seconds"] + t.assume["init_seconds"]) * gb
    bill.add("Lambda scheduled jobs", "lambda_arm_gb_second", job, f"{runs:,.0f} runs, each cold")
    bill.add("Function URL", "function_url", w.requests, "streams through the function URL")
    if w.domain:
        bill.add("API Gateway REST (custom domain)", "api_gateway_rest", w.requests / 1e6, "every request")
    statements = w.requests * t.assume["dsql_statements_per_request"] + runs * 5
    dpu = statements * t.assume["dsql_dpu_per_statement"]
    bill.add("DSQL DPU", "dsql_dpu", dpu / 1e6, f"{dpu:,.0f} DPU ({statements:,.0f} statements)")
    data = t.assume["base_database_gb"] + w.requests * w.months_kept * t.assume["usage_record_kb"] / GB
    bill.add("DSQL storage", "dsql_storage", data, f"{data:.3f} GB ({w.months_kept:g} months of usage records)")
    bill.add("SSM SecureString", "ssm_standard_parameter", 1, "the secret key, standard tier")
    _common(bill, w, retention_days=t.assume["log_retention_days_serverless"], app_secrets=0)
    bill.add("S3 code", "s3_storage", t.assume["code_gb"], f"{t.assume['code_gb']:g} GB of Lambda zips")
    return bill.done()


def lambda_rds(t: Table, w: Workload) -> Shape:
    bill = Bill(t, "lambda", "Lambda with RDS (modules/lambda: x86_64 1024 MB in a VPC, RDS Proxy)")
    runs = sum(_jobs(w).values())
    cold = w.developers * t.assume["cold_starts_per_developer_day"] * w.days if w.requests else 0.0
    bill.add(
        "Lambda requests",
        "lambda_requests",
        (w.requests + runs) / 1e6,
        f"{w.requests:,.0f} answers + {runs:,.0f} scheduled runs",
    )
    bill.add(
        "Lambda answers",
        "lambda_x86_gb_second",
        w.requests * w.seconds_per_answer * 1.0,
        f"{w.requests:,.0f} x {w.seconds_per_answer:g} s x 1 GB",
    )
    bill.add(
        "Lambda cold starts",
        "lambda_x86_gb_second",
        cold * t.assume["init_seconds"],
        f"{cold:,.0f} x {t.assume['init_seconds']:g} s init",
    )
    job = runs * (t.assume["job_seconds"] + t.assume["init_seconds"]) * 0.5
    bill.add("Lambda jobs function", "lambda_x86_gb_second", job, f"{runs:,.0f} runs at 512 MB")
    _rds(bill, w)
    bill.add("RDS Proxy", "rds_proxy_vcpu_hour", 2 * HOURS, "2 vCPU (db.t4g.micro), all month")
    _egress(bill, w, endpoints=4)
    bill.add("KMS key", "kms_key", 1, "the deployment's customer managed key")
    _common(bill, w, retention_days=t.assume["log_retention_days_vpc"], app_secrets=2)
    bill.add("CloudWatch alarms", "alarm", 4, "auth failures, addresses held off, 5xx, 429")
    bill.add("CloudWatch metrics", "custom_metric", 4, "the alarms' log metric filters")
    return bill.done()


def ecs_rds_redis(t: Table, w: Workload) -> Shape:
    bill = Bill(t, "ecs", "ECS with RDS and Redis (modules/ecs: 2 Fargate tasks x86_64 1 vCPU 2 GB, load balancer)")
    runs = sum(_jobs(w).values())
    bill.add("Fargate vCPU", "fargate_x86_vcpu_hour", 2 * HOURS, f"2 tasks x 1 vCPU x {HOURS} h")
    bill.add("Fargate memory", "fargate_x86_gb_hour", 2 * 2 * HOURS, f"2 tasks x 2 GB x {HOURS} h")
    job_hours = runs * MINUTES_PER_FARGATE_JOB / 60
    bill.add("Fargate jobs vCPU", "fargate_x86_vcpu_hour", 0.25 * job_hours, f"{runs:,.0f} runs x 1 min x 0.25 vCPU")
    bill.add("Fargate jobs memory", "fargate_x86_gb_hour", 0.5 * job_hours, f"{runs:,.0f} runs x 1 min x 0.5 GB")
    bill.add("Load balancer", "alb_hour", HOURS, "all month")
    gb_hour = w.requests * t.assume["request_kb"] / GB / HOURS
    new_per_second = w.requests / (w.days * 86400)
    lcu = max(gb_hour, new_per_second / 25)
    bill.add("Load balancer LCU", "alb_lcu_hour", lcu * HOURS, f"{lcu:.3f} LCU on average (bytes, connections)")
    bill.add(
        "Load balancer addresses",
        "public_ipv4_hour",
        t.assume["zones"] * HOURS,
        f"{t.assume['zones']:.0f} public IPv4 addresses (one per zone)",
    )
    _rds(bill, w)
    bill.add("ElastiCache node", "elasticache_micro_hour", HOURS, "one cache.t4g.micro node, all month")
    _egress(bill, w, endpoints=6)
    bill.add("KMS key", "kms_key", 1, "the deployment's customer managed key")
    _common(bill, w, retention_days=t.assume["log_retention_days_vpc"], app_secrets=1)
    bill.add("CloudWatch alarms", "alarm", 5, "auth failures, addresses held off, 5xx, 429, load balancer 5xx")
    bill.add("CloudWatch metrics", "custom_metric", 4, "the alarms' log metric filters")
    return bill.done()


def all_shapes(t: Table, w: Workload, memory_mb: int) -> list[Shape]:
    return [serverless(t, w, memory_mb), lambda_rds(t, w), ecs_rds_redis(t, w)]
