"""Usage records, quotas and prices."""
