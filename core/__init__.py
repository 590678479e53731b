"""What every app shares and nothing of ours depends on: the error hierarchy, per-process caches, Redis."""
