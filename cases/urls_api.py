from django.urls import path

from cases import apis

urlpatterns = [
    path("cases", apis.CaseCreateApi.as_view(), name="case-create"),
    path("cases/status", apis.CaseStatusApi.as_view(), name="case-status"),
    path("cases/withdraw", apis.CaseWithdrawApi.as_view(), name="case-withdraw"),
]
