"""A patient's "Your data" page: who else looked at their records, and when."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Assignment, Role, User
from audit import trail
from audit.models import Action
from tests.conftest import finished_session, same_queries, signed_in, sql_of

MY_DATA = reverse("tracking:my-data")
NOBODY = "Nobody else has looked at your records yet."


def rows(page: str) -> list[str]:
    """The lines of "Who has seen it", as text, newest first."""
    listed = page.split("<h2>Who has seen it</h2>", 1)[1].split("<h2>", 1)[0]
    return [re.sub(r"<[^>]+>", "", row).strip() for row in re.findall(r"<li>(.*?)</li>", listed)]


def viewed(viewer: User, patient: User, at: dt.datetime) -> None:
    """An audit record of `viewer` opening `patient`'s record at `at`."""
    with time_machine.travel(at, tick=False):
        trail.record(Action.VIEW_PATIENT, actor=viewer, patient=patient, target=patient)


@pytest.fixture
def patient_page(patient):
    client = signed_in(patient)
    return lambda query="": client.get(MY_DATA + query).content.decode()


def test_views_by_the_physio_are_listed_with_their_name_newest_first(
    patient_page, physio_client, patient, assigned
):
    session = finished_session(patient, 1, pain_before=5, pain_after=3)
    physio_client.get(reverse("tracking:patient", args=[patient.pk]))
    physio_client.get(reverse("tracking:patient-session", args=[patient.pk, session.pk]))
    physio_client.get(reverse("tracking:programme-edit", args=[patient.pk]))
    physio_client.get(reverse("tracking:patient-export-json", args=[patient.pk]))

    listed = rows(patient_page())

    assert [row.split(" on ")[0] for row in listed] == [
        "Phil Io downloaded a copy of your data",
        "Phil Io opened your programme to review it",
        "Phil Io looked at one of your sessions",
        "Phil Io looked at your record",
    ]
    assert NOBODY not in patient_page()


def test_each_view_shows_its_date_and_time(patient_page, physio, patient):
    viewed(physio, patient, dt.datetime(2026, 3, 4, 14, 5, tzinfo=dt.UTC))

    page = patient_page()

    assert rows(page) == ["Phil Io looked at your record on Wednesday 4 March 2026 at 14:05."]
    assert '<time datetime="2026-03-04T14:05:00+00:00">' in page


def test_the_machine_readable_time_is_valid_html_without_microseconds(
    patient_page, physio, patient
):
    """HTML allows at most three digits after the second: the record keeps six."""
    viewed(physio, patient, dt.datetime(2026, 3, 4, 14, 5, 7, 123456, tzinfo=dt.UTC))

    page = patient_page()

    assert '<time datetime="2026-03-04T14:05:07+00:00">' in page


def test_dates_are_shown_in_the_patients_own_time_zone(make_user, physio):
    auckland = make_user("kiri", Role.PATIENT, first_name="Kiri", timezone="Pacific/Auckland")
    # Just before midnight in London is lunchtime the next day in Auckland (UTC+13).
    viewed(physio, auckland, dt.datetime(2026, 1, 10, 23, 50, tzinfo=dt.UTC))

    page = signed_in(auckland).get(MY_DATA).content.decode()

    assert rows(page) == ["Phil Io looked at your record on Sunday 11 January 2026 at 12:50."]
    assert '<time datetime="2026-01-11T12:50:00+13:00">' in page


def test_the_patients_own_views_and_downloads_are_not_listed(patient_page, patient_client, patient):
    session = finished_session(patient, 1, pain_before=5, pain_after=3)
    patient_client.get(reverse("tracking:history"))
    patient_client.get(session.get_absolute_url())
    patient_client.get(reverse("tracking:export-json"))
    patient_client.get(reverse("tracking:export-csv"))
    viewed(patient, patient, dt.datetime(2026, 3, 4, 14, 5, tzinfo=dt.UTC))

    page = patient_page()

    assert rows(page) == []
    assert NOBODY in page


def test_views_of_other_patients_are_not_listed(
    patient_page, physio_client, patient, other_patient, assigned
):
    Assignment.objects.create(patient=other_patient, physio=assigned.physio)
    physio_client.get(reverse("tracking:patient", args=[other_patient.pk]))
    physio_client.get(reverse("tracking:patient-export-csv", args=[other_patient.pk]))
    physio_client.get(reverse("tracking:patient", args=[patient.pk]))

    assert [row.split(" on ")[0] for row in rows(patient_page())] == [
        "Phil Io looked at your record"
    ]


def test_a_refused_look_is_not_listed_as_a_view(patient_page, other_physio, patient):
    response = signed_in(other_physio).get(reverse("tracking:patient", args=[patient.pk]))

    assert response.status_code == 404
    assert rows(patient_page()) == []


def test_a_view_by_someone_whose_account_was_deleted_shows_as_a_former_member_of_staff(
    patient_page, physio, other_physio, patient
):
    viewed(physio, patient, dt.datetime(2026, 3, 4, 14, 5, tzinfo=dt.UTC))
    viewed(other_physio, patient, dt.datetime(2026, 3, 5, 9, 0, tzinfo=dt.UTC))

    physio.delete()

    assert rows(patient_page()) == [
        "Phoebe Ray looked at your record on Thursday 5 March 2026 at 09:00.",
        "A former member of staff looked at your record on Wednesday 4 March 2026 at 14:05.",
    ]


def test_more_than_twenty_views_are_shown_a_page_at_a_time(patient_page, physio, patient):
    first = dt.datetime(2026, 1, 1, 10, 0, tzinfo=dt.UTC)
    for day in range(25):
        viewed(physio, patient, first + dt.timedelta(days=day))

    newest = patient_page()
    oldest = patient_page("?page=2")

    assert len(rows(newest)) == 20
    assert rows(newest)[0].endswith("on Sunday 25 January 2026 at 10:00.")
    assert "Page 1 of 2" in newest
    assert '<a href="?page=2" rel="next">Older</a>' in newest
    assert 'rel="prev"' not in newest
    assert len(rows(oldest)) == 5
    assert rows(oldest)[-1].endswith("on Thursday 1 January 2026 at 10:00.")
    assert "Page 2 of 2" in oldest
    assert '<a href="?page=1" rel="prev">Newer</a>' in oldest
    assert 'rel="next"' not in oldest


def test_a_page_number_past_the_end_shows_the_last_page(patient_page, physio, patient):
    for day in range(21):
        viewed(physio, patient, dt.datetime(2026, 1, 1 + day, 10, 0, tzinfo=dt.UTC))

    page = patient_page("?page=99")

    assert "Page 2 of 2" in page
    assert len(rows(page)) == 1


def test_the_page_takes_the_same_queries_however_many_views(patient, physio, other_physio):
    client = signed_in(patient)
    viewed(physio, patient, dt.datetime(2026, 1, 1, 10, 0, tzinfo=dt.UTC))
    few = sql_of(lambda: client.get(MY_DATA))

    for day in range(30):
        viewer = physio if day % 2 else other_physio
        viewed(viewer, patient, dt.datetime(2026, 1, 2 + day % 27, 10, 0, tzinfo=dt.UTC))
    many = sql_of(lambda: client.get(MY_DATA))

    assert same_queries(few, many)


def test_a_patient_nobody_looked_at_is_told_so(patient_page):
    page = patient_page()

    assert NOBODY in page
    assert "Page 1 of" not in page


@pytest.mark.parametrize(
    ("who", "status"),
    [("patient", 200), ("physio", 403), ("staff_admin", 403), (None, 302)],
)
def test_only_patients_have_a_your_data_page(request, patient, physio, staff_admin, who, status):
    client = signed_in(request.getfixturevalue(who) if who else None)

    response = client.get(MY_DATA)

    assert response.status_code == status


@pytest.mark.parametrize(
    ("who", "url", "has_link"),
    [
        ("patient", reverse("tracking:today"), True),
        ("patient", reverse("tracking:history"), True),
        ("patient", reverse("exercises:routine"), True),
        ("physio", reverse("tracking:caseload"), False),
        ("physio", reverse("exercises:routine"), False),
        (None, reverse("safety"), False),
    ],
)
def test_the_footer_links_to_your_data_on_patients_pages_only(
    request, patient, physio, who, url, has_link
):
    client = signed_in(request.getfixturevalue(who) if who else None)

    response = client.get(url)

    assert response.status_code == 200
    footer = response.content.decode().split('<footer class="site-footer">', 1)[1]
    assert (f'<a href="{MY_DATA}">Your data</a>' in footer) == has_link
