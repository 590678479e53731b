"""Runs inside an unpacked Zappa package the way Lambda does: the package directory is the working
directory and the only thing on sys.path besides the standard library (start with `python -S`).

    python -S lambda_invoke.py events.json results.json
"""

import json
import os
import sys

sys.path.insert(0, os.getcwd())

import handler  # noqa: E402  (Zappa's generated handler at the package root)


class Context:
    function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "sbc-dev")
    function_version = "$LATEST"
    memory_limit_in_mb = 1024
    aws_request_id = "00000000-0000-4000-8000-000000000000"
    invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


with open(sys.argv[1]) as f:
    events = json.load(f)
results = [handler.lambda_handler(event, Context()) for event in events]
with open(sys.argv[2], "w") as f:
    json.dump({"results": results, "modules": sorted(sys.modules)}, f)
