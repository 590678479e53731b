"""Fixtures for the emulator's tests: a boto3 client pointed at it (the `emulator` fixture is shared)."""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config

from tests.servers import EmulatorServer


@pytest.fixture
def bedrock(emulator: EmulatorServer):
    return boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=emulator.url,
        aws_access_key_id="x",
        aws_secret_access_key="y",
        config=Config(retries={"total_max_attempts": 1}),
    )
