"""The sign-in lock-out's admin pages: django-axes' own (AXES_ENABLE_ADMIN is off so that they are registered here),
with the admin's bounded search boxes (`core.admin_search`), like every other changelist."""
