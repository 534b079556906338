from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.two_factor_verify, name="2fa-verify"),
    path("setup/", views.two_factor_setup, name="2fa-setup"),
    path("recovery-codes/", views.recovery_codes_renew_page, name="2fa-recovery"),
]
