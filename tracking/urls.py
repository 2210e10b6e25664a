from django.urls import path

from .views import history, sessions, today

app_name = "tracking"

urlpatterns = [
    path("today/", today.today, name="today"),
    path("history/", history.history, name="history"),
    path("sessions/new/", sessions.start_session, name="start"),
    path("sessions/<int:session_id>/", sessions.session_detail, name="session"),
    path("sessions/<int:session_id>/finish/", sessions.finish_session, name="finish"),
    path("sessions/<int:session_id>/discard/", sessions.discard_session, name="discard"),
    path(
        "sessions/<int:session_id>/entries/<int:entry_id>/",
        sessions.entry_edit,
        name="entry",
    ),
    path(
        "sessions/<int:session_id>/entries/<int:entry_id>/done/",
        sessions.entry_done,
        name="entry-done",
    ),
    path(
        "sessions/<int:session_id>/entries/<int:entry_id>/skip/",
        sessions.entry_skip,
        name="entry-skip",
    ),
]
