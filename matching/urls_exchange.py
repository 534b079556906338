from django.urls import path

from matching import exchange_apis

urlpatterns = [
    path("FetchHashes", exchange_apis.FetchHashesApi.as_view(), name="stopncii-fetch"),
    path("SubmitFeedback", exchange_apis.SubmitFeedbackApi.as_view(), name="stopncii-feedback"),
    path("SubmitHashes", exchange_apis.SubmitHashesApi.as_view(), name="stopncii-submit"),
]
