"""`make bench`: the gateway measured side by side with the Bedrock emulator it fronts, on loopback.

`bench.run` starts the emulator and the gateway as `make run` does (gunicorn with its config file,
production settings, a fresh database with quotas and rate limits on), drives both with the one-process
asyncio client in `bench.client`, and prints one table of gateway figures next to direct-to-emulator ones.
"""
