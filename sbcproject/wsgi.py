"""WSGI entry point for gunicorn and Zappa."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sbcproject.settings")
application = get_wsgi_application()

# Import the URLconf, and with it every view, now: under gunicorn's preload once in the master, shared by
# the workers, instead of on each worker's first requests while its other threads queue on the import lock.
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns
