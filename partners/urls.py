from django.urls import path

from partners import views, webhook_views

app_name = "partners"

urlpatterns = [
    path("", views.partner_list, name="list"),
    path("new/", views.partner_new, name="new"),
    path("<int:partner_id>/", views.partner_detail, name="detail"),
    path("<int:partner_id>/webhooks/", webhook_views.partner_webhooks, name="webhooks"),
]
