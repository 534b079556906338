from django.urls import path

from moderation import views

app_name = "moderation"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("escalations/", views.escalations, name="escalations"),
    path("next/", views.review_next, name="next"),
    path("items/<int:item_id>/", views.item_detail, name="item"),
]
