from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from moderation import metrics_views
from ncii_site import health, views

handler400 = "ncii_site.api.handler400"
handler404 = "ncii_site.api.handler404"
handler500 = "ncii_site.api.handler500"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("cases/", include("cases.urls_public")),
    path("dashboard/cases/new/", include("cases.urls_assisted")),
    path("accounts/2fa/", include("accounts.urls")),
    path("dashboard/cases/", include("cases.caseworker_urls")),  # before the generic dashboard/
    path("dashboard/partners/", include("matching.admin_urls")),
    path("dashboard/metrics/", metrics_views.metrics, name="metrics"),
    path("dashboard/", include("moderation.urls")),
    path("api/v1/", include("matching.urls")),
    path("api/v1/", include("cases.urls")),
    path("v1/", include("matching.exchange_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]
