from django.http import HttpResponse


def queue(request):  # placeholder
    return HttpResponse("")


escalations = review_next = queue


def item_detail(request, item_id):
    return HttpResponse("")
