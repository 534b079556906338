from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from hub import health, views

handler400 = "hub.views.handler400"
handler404 = "hub.views.handler404"
handler500 = "hub.views.handler500"

# The victims' pages in every language: /cases/new/ in English, /es/cases/new/ in Spanish
# (ncii_site/i18n.py). The hasher's messages come from the JavaScript catalogue, served here.
urlpatterns = i18n_patterns(
    path("", views.home, name="home"),
    path("cases/", include("cases.urls_public")),
    path("transparency/", views.transparency, name="transparency"),
    path("transparency/figures.csv", views.transparency_csv, name="transparency-csv"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    prefix_default_language=False,
)
urlpatterns += [
    path("favicon.ico", views.favicon, name="favicon"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
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
