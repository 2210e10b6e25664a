from django.urls import path

from .views import guided, history, my_data, progress, review, safety, sessions, today

app_name = "tracking"

urlpatterns = [
    path("today/", today.today, name="today"),
    path("history/", history.history, name="history"),
    path("progress/", progress.progress, name="progress"),
    path("programme/", today.programme, name="programme"),
    path("programme/<slug:slug>/", today.programme_exercise, name="programme-exercise"),
    path("check-in/", safety.check_in, name="check-in"),
    path("check-in/<id:check_id>/", safety.check_in_result, name="check-in-result"),
    path("check-in/<id:check_id>/withdraw/", safety.withdraw, name="check-in-withdraw"),
    path("sessions/new/", sessions.start_session, name="start"),
    path("sessions/<id:session_id>/", sessions.session_detail, name="session"),
    path("sessions/<id:session_id>/finish/", sessions.finish_session, name="finish"),
    path("sessions/<id:session_id>/discard/", sessions.discard_session, name="discard"),
    path(
        "sessions/<id:session_id>/entries/<id:entry_id>/",
        sessions.entry_edit,
        name="entry",
    ),
    path(
        "sessions/<id:session_id>/entries/<id:entry_id>/exercise/",
        sessions.entry_exercise,
        name="entry-exercise",
    ),
    path(
        "sessions/<id:session_id>/entries/<id:entry_id>/done/",
        sessions.entry_done,
        name="entry-done",
    ),
    path(
        "sessions/<id:session_id>/entries/<id:entry_id>/skip/",
        sessions.entry_skip,
        name="entry-skip",
    ),
    path(
        "sessions/<id:session_id>/entries/<id:entry_id>/hurt/",
        sessions.entry_hurt,
        name="entry-hurt",
    ),
    # Follow along: one exercise per screen, with timers.
    path("sessions/<id:session_id>/follow-along/", guided.resume, name="guided"),
    path(
        "sessions/<id:session_id>/follow-along/<id:entry_id>/",
        guided.step,
        name="guided-step",
    ),
    path(
        "sessions/<id:session_id>/follow-along/<id:entry_id>/hurt/",
        guided.hurt,
        name="guided-hurt",
    ),
    # A patient's own data: who saw it, a copy, deleting it.
    path("account/data/", my_data.my_data, name="my-data"),
    path(
        "account/data/my-data.json",
        my_data.export_mine,
        {"file_format": "json"},
        name="export-json",
    ),
    path(
        "account/data/my-data.csv", my_data.export_mine, {"file_format": "csv"}, name="export-csv"
    ),
    path("account/delete/", my_data.erase_account, name="erase"),
    # The physio's side.
    path("patients/", review.caseload, name="caseload"),
    path("patients/<id:patient_id>/", review.patient_detail, name="patient"),
    path("patients/<id:patient_id>/programme/", review.edit_programme, name="programme-edit"),
    path("patients/<id:patient_id>/progress/", progress.patient_progress, name="patient-progress"),
    path("patients/<id:patient_id>/programme/leave-out/", review.leave_out, name="leave-out"),
    path("patients/<id:patient_id>/comments/", review.add_comment, name="comment"),
    path("patients/<id:patient_id>/care/share/", review.share_care, name="share-care"),
    path("patients/<id:patient_id>/care/leave/", review.leave_care, name="leave-care"),
    path("patients/<id:patient_id>/alerts/seen/", review.acknowledge_alert, name="acknowledge"),
    path(
        "patients/<id:patient_id>/data.json",
        my_data.export_patient,
        {"file_format": "json"},
        name="patient-export-json",
    ),
    path(
        "patients/<id:patient_id>/data.csv",
        my_data.export_patient,
        {"file_format": "csv"},
        name="patient-export-csv",
    ),
    path(
        "patients/<id:patient_id>/sessions/<id:session_id>/",
        review.patient_session,
        name="patient-session",
    ),
    path(
        "patients/<id:patient_id>/sessions/<id:session_id>/comments/",
        review.add_comment,
        name="session-comment",
    ),
]
