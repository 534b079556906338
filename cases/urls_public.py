"""The victim's pages, mounted at /cases/ (no login)."""

from django.urls import path

from cases import views

app_name = "victim"

urlpatterns = [
    path("new/", views.case_new, name="new"),
    path("check/", views.case_check, name="check"),
    path("withdraw/", views.case_withdraw_page, name="withdraw"),
]
