"""The published OpenAPI description of the /v1 API: body schemas (`schemas`) and the documented routes (`views`)."""
