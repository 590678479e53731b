"""Routes of the portal and of sign-in (Django's views; OpenID Connect when SSO is configured)."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import include, path

from portal import views
from portal.usage import my_usage


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "sso_enabled": settings.SSO_ENABLED}


urlpatterns = [
    path("", views.home, name="portal-home"),
    path("keys/", views.keys, name="portal-keys"),
    path("keys/create", views.key_create, name="portal-key-create"),
    path("keys/new", views.key_new, name="portal-key-new"),
    path("keys/revoke", views.key_revoke, name="portal-key-revoke"),
    path("keys/test", views.key_test, name="portal-key-test"),
    path("usage/", my_usage, name="portal-usage"),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(template_name="registration/portal_password_change.html"),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="registration/portal_password_change_done.html"),
        name="password_change_done",
    ),
]

if settings.SSO_ENABLED:
    urlpatterns.append(path("oidc/", include("mozilla_django_oidc.urls")))
