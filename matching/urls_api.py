from django.urls import path

from matching import apis

urlpatterns = [
    path("matches", apis.MatchCreateApi.as_view(), name="match-create"),
    path("matches/<int:report_id>", apis.MatchDetailApi.as_view(), name="match-detail"),
    path("lookup", apis.LookupApi.as_view(), name="lookup"),
]
