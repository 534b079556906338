from django.urls import path

from matching import admin_views

app_name = "partners"

urlpatterns = [
    path("", admin_views.partner_list, name="list"),
    path("new/", admin_views.partner_new, name="new"),
    path("<int:partner_id>/", admin_views.partner_detail, name="detail"),
]
