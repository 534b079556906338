from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from hub import health, views

handler400 = "hub.views.handler400"
handler404 = "hub.views.handler404"
handler500 = "hub.views.handler500"

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("cases/", include("cases.urls_public")),
    path("dashboard/cases/new/", include("cases.urls_assisted")),
    path("accounts/2fa/", include("accounts.urls")),
    path("dashboard/cases/", include("cases.urls")),  # before the generic dashboard/
    path("dashboard/partners/", include("partners.urls")),
    path("dashboard/metrics/", views.metrics, name="metrics"),
    path("dashboard/", include("moderation.urls")),
    path("api/v1/", include("matching.urls_api")),
    path("api/v1/", include("cases.urls_api")),
    path("v1/", include("matching.urls_exchange")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]
