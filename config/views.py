from django.db import DatabaseError, connection
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@require_GET
@never_cache
def health(request: HttpRequest) -> HttpResponse:
    """For load balancers and uptime checks: the app answers and reaches its database."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return HttpResponse("database unavailable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


@require_GET
def safety(request: HttpRequest) -> HttpResponse:
    """Public: the signs that mean "stop and get medical help" are never behind a sign-in."""
    return render(request, "safety.html")


# Short reading, in plain words, public like the safety page: by address, its title.
TOPICS = {
    "back-and-hip": "Why back and hip pain often come together",
    "moving-helps": "Why gentle movement helps",
    "stretch-not-pain": "A stretch, not pain",
}


@require_GET
def learn(request: HttpRequest) -> HttpResponse:
    return render(request, "learn/index.html", {"topics": TOPICS})


@require_GET
def learn_topic(request: HttpRequest, topic: str) -> HttpResponse:
    if topic not in TOPICS:
        raise Http404("No such page.")
    return render(
        request,
        f"learn/{topic}.html",
        {"title": TOPICS[topic], "topics": TOPICS, "topic": topic},
    )
