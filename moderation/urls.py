from django.urls import path

from moderation import (
    bulk_views,
    export_views,
    item_views,
    minor_views,
    negative_views,
    qa_views,
    report_views,
    views,
    wellbeing_views,
)

app_name = "moderation"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("escalations/", views.escalations, name="escalations"),
    path("next/", views.review_next, name="next"),
    path("bulk/", bulk_views.bulk_review, name="bulk"),
    path("items/<int:item_id>/", item_views.item_detail, name="item"),
    path("items/<int:item_id>/claim/extend", item_views.claim_extend, name="claim-extend"),
    path("items/<int:item_id>/claim/release", item_views.claim_release, name="claim-release"),
    path("items/<int:item_id>/reports/<int:report_id>/image", report_views.report_image, name="report-image"),
    path(
        "items/<int:item_id>/reports/<int:report_id>/keyframes/<int:position>",
        report_views.report_image,
        name="report-keyframe",
    ),
    path("child-safety/", minor_views.child_safety_queue, name="child-safety"),
    path("child-safety/mark/<int:item_id>", minor_views.item_possible_minor, name="item-minor"),
    path("child-safety/clear/<int:item_id>", minor_views.item_minor_clear, name="item-minor-clear"),
    path("failed/", report_views.failed_reports, name="failed"),
    path("negative-bank/", negative_views.negative_bank, name="negative-bank"),
    path("wellbeing/", wellbeing_views.wellbeing_settings, name="wellbeing"),
    path("qa/", qa_views.qa_queue, name="qa"),
    path("qa/<int:qa_id>/", qa_views.qa_item, name="qa-item"),
    path("decisions/export/", export_views.decisions_export, name="export"),
    path("wellbeing/break", wellbeing_views.break_taken, name="wellbeing-break"),
]
