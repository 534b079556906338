from django.urls import path

from matching import exchange_apis

urlpatterns = [
    path("FetchHashes", exchange_apis.FetchHashesApi.as_view(), name="stopncii-fetch"),
]
