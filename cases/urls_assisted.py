"""Assisted case creation, mounted at /dashboard/cases/new/ (caseworkers)."""

from django.urls import path

from cases import apis, views

app_name = "assisted"

urlpatterns = [
    path("", views.assisted_case_new, name="new"),
    path("submit/", apis.AssistedCaseCreateApi.as_view(), name="submit"),
]
