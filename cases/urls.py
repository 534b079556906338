from django.urls import path

from cases import caseworker_views

app_name = "casework"

urlpatterns = [
    path("", caseworker_views.case_search, name="search"),
    path("<int:case_id>/", caseworker_views.case_detail, name="case"),
    path("disputed/", caseworker_views.disputed, name="disputed"),
]
