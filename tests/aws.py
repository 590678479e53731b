"""moto in server mode for Secrets Manager, STS, CloudWatch Logs, SNS and SQS, reached like real AWS over HTTP."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from moto.server import ThreadedMotoServer

from tests.servers import free_port

SERVICES = ("SECRETS_MANAGER", "STS", "CLOUDWATCH_LOGS", "SNS", "SQS")


@dataclass
class MotoServer:
    url: str
    server: ThreadedMotoServer

    def env(self) -> dict[str, str]:
        """The standard AWS_ENDPOINT_URL_* variables that point boto3 at this server."""
        return {f"AWS_ENDPOINT_URL_{service}": self.url for service in SERVICES}

    def reset(self) -> None:
        httpx.post(f"{self.url}/moto-api/reset")

    def stop(self) -> None:
        self.server.stop()


def start_moto() -> MotoServer:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return MotoServer(url=f"http://127.0.0.1:{port}", server=server)
