"""Routes of the OpenAI-compatible API."""
from django.urls import path

urlpatterns: list = []
