"""Fixtures for gateway tests: the Bedrock emulator running as a real server, and a boto3 client for it."""
from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config

from tests.servers import EmulatorServer, start_emulator


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmulatorServer]:
    server = start_emulator()
    yield server
    server.stop()


@pytest.fixture
def bedrock(emulator: EmulatorServer):
    return boto3.client("bedrock-runtime", region_name="us-east-1", endpoint_url=emulator.url,
                        aws_access_key_id="x", aws_secret_access_key="y",
                        config=Config(retries={"total_max_attempts": 1}))
