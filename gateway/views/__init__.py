"""Views of the OpenAI-compatible API."""
