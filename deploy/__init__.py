"""Deployment recipes and the small entry points the images use (app_secret, lambda_jobs)."""
