"""`make faults`: the gateway under database, Redis, Bedrock, client and worker faults, on servers of its own,
with every request matched to its usage record afterwards (issue 23)."""
