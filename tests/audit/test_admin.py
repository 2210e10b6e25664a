"""Admins read and filter the audit trail in the admin; nobody changes it there."""

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Assignment
from audit.models import Action, AuditEvent
from tests.conftest import signed_in

from .conftest import added_since, last_seq

LIST_URL = reverse("admin:audit_auditevent_changelist")
MONDAY = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
THURSDAY = dt.datetime(2026, 3, 5, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def admin_client(staff_admin) -> Client:
    return signed_in(staff_admin)


@pytest.fixture
def trail(patient, other_patient, physio, other_physio, assigned) -> None:
    """Records on two days in March, by two physios about two patients, and today's."""
    Assignment.objects.create(patient=other_patient, physio=other_physio)
    with time_machine.travel(MONDAY, tick=False):
        phil = signed_in(physio)
        phil.get(reverse("tracking:patient", args=[patient.pk]))
        phil.get(reverse("tracking:caseload"))
    with time_machine.travel(THURSDAY, tick=False):
        phoebe = signed_in(other_physio)
        phoebe.get(reverse("tracking:patient", args=[other_patient.pk]))
        signed_in(patient).get(reverse("tracking:caseload"))  # refused


def shown(response) -> list[int]:
    """The numbers of the records the changelist shows."""
    assert response.status_code == 200
    return [record.seq for record in response.context["cl"].result_list]


def all_seqs(**lookups: Any) -> list[int]:
    return list(AuditEvent.objects.filter(**lookups).values_list("seq", flat=True))


def link(response, title: str, display: str) -> str:
    """The query string of the filter choice `display` under `title`, as offered on the page."""
    cl = response.context["cl"]
    for spec in cl.filter_specs:
        if str(spec.title) == title:
            for choice in spec.choices(cl):
                if str(choice["display"]) == display:
                    return choice["query_string"]
    raise AssertionError(f"No filter choice {display!r} under {title!r}")


# Listing and filtering ----------------------------------------------------------------


def test_an_admin_sees_the_whole_trail_newest_first(admin_client, trail):
    response = admin_client.get(LIST_URL)

    assert shown(response) == sorted(all_seqs(), reverse=True)


@pytest.mark.parametrize(
    ("title", "choice", "matching"),
    [
        ("who", "phil", lambda users: {"actor": users["physio"]}),
        ("who", "phoebe", lambda users: {"actor": users["other_physio"]}),
        ("patient", "pat", lambda users: {"patient": users["patient"]}),
        ("patient", "olly", lambda users: {"patient": users["other_patient"]}),
        ("action", "Viewed a patient's data", lambda users: {"action": Action.VIEW_PATIENT}),
        ("action", "Was refused access", lambda users: {"action": Action.ACCESS_DENIED}),
    ],
)
def test_each_filter_shows_exactly_the_matching_records(
    admin_client, trail, patient, other_patient, physio, other_physio, title, choice, matching
):
    users = {
        "patient": patient,
        "other_patient": other_patient,
        "physio": physio,
        "other_physio": other_physio,
    }
    expected = sorted(all_seqs(**matching(users)), reverse=True)
    assert expected, "the trail has records of this kind to find"
    assert expected != sorted(all_seqs(), reverse=True), "and others to leave out"
    page = admin_client.get(LIST_URL)

    response = admin_client.get(LIST_URL + link(page, title, choice))

    assert shown(response) == expected


def test_filters_combine(admin_client, trail, patient, physio):
    response = admin_client.get(
        LIST_URL, {"who": physio.pk, "patient": patient.pk, "action__exact": Action.VIEW_PATIENT}
    )

    [seq] = shown(response)
    record = AuditEvent.objects.get(seq=seq)
    assert (record.actor, record.patient, record.action) == (physio, patient, Action.VIEW_PATIENT)


@pytest.mark.parametrize("day", [MONDAY, THURSDAY])
def test_a_date_range_shows_exactly_that_days_records(admin_client, trail, day):
    start = timezone.localtime(day).replace(hour=0, minute=0)
    end = start + dt.timedelta(days=1)
    expected = sorted(all_seqs(at__gte=start, at__lt=end), reverse=True)
    assert expected

    response = admin_client.get(LIST_URL, {"at__gte": str(start), "at__lt": str(end)})

    assert shown(response) == expected


@pytest.mark.parametrize("day", [MONDAY, THURSDAY])
def test_the_date_drill_down_shows_exactly_that_days_records(admin_client, trail, day):
    local = timezone.localdate(day)
    expected = sorted(all_seqs(at__date=local), reverse=True)
    assert expected

    response = admin_client.get(
        LIST_URL, {"at__year": local.year, "at__month": local.month, "at__day": local.day}
    )

    assert shown(response) == expected


def test_the_today_choice_leaves_out_earlier_days(admin_client, trail):
    page = admin_client.get(LIST_URL)

    response = admin_client.get(LIST_URL + link(page, "when", "Today"))

    today = timezone.localdate()
    records = AuditEvent.objects.filter(seq__in=shown(response))
    assert {timezone.localdate(record.at) for record in records} == {today}
    assert not AuditEvent.objects.filter(
        at__lt=MONDAY + dt.timedelta(days=1), seq__in=shown(response)
    ).exists()


def test_filtering_by_patient_shows_a_physio_leaving_their_care(
    admin_client, patient, physio, other_physio, assigned
):
    """APP BUG (left failing on purpose): the record of an assignment ending names
    the patient by pseudonym only (signals.assignment_ended), and the patient
    filter matches the account link, so the change is missing from that patient's
    trail. Filtering on the pseudonym (patient_ref) would find it."""
    Assignment.objects.create(patient=patient, physio=other_physio)
    since = last_seq()
    signed_in(physio).post(reverse("tracking:leave-care", args=[patient.pk]))
    [left] = [r for r in added_since(since) if r.action == Action.ASSIGNMENT_CHANGE]

    response = admin_client.get(LIST_URL, {"patient": patient.pk})

    assert left.seq in shown(response)


# Read only -----------------------------------------------------------------------------


def stored() -> list[dict[str, Any]]:
    return [dict(row) for row in AuditEvent.objects.order_by("seq").values()]


def only_refusals_added(before: list[dict[str, Any]], admin) -> None:
    """Every record there was is unchanged; the only ones added record the refusal."""
    after = stored()
    assert after[: len(before)] == before
    assert [(r["action"], r["actor_id"]) for r in after[len(before) :]] == [
        (Action.ACCESS_DENIED, admin.pk)
    ]


def test_a_record_opens_read_only(admin_client, trail, physio, patient):
    record = AuditEvent.objects.get(action=Action.VIEW_PATIENT, actor=physio)

    response = admin_client.get(reverse("admin:audit_auditevent_change", args=[record.pk]))

    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    html = response.content.decode()
    assert 'name="_save"' not in html
    for field in ("action", "outcome", "ip", "detail", "hash"):
        assert f'name="{field}"' not in html
    assert 'class="readonly"' in html
    assert "Viewed a patient&#x27;s data" in html
    assert "Phil Io" in html
    assert "Pat Lee" in html


@pytest.mark.parametrize("method", ["get", "post"])
def test_adding_a_record_is_refused(admin_client, staff_admin, trail, method):
    before = stored()

    response = getattr(admin_client, method)(
        reverse("admin:audit_auditevent_add"),
        {"action": "sign_in", "outcome": "success", "ip": "10.0.0.1"},
    )

    assert response.status_code == 403
    only_refusals_added(before, staff_admin)


def test_changing_a_record_is_refused(admin_client, staff_admin, trail):
    record = AuditEvent.objects.get(action=Action.VIEW_CASELOAD)
    before = stored()

    response = admin_client.post(
        reverse("admin:audit_auditevent_change", args=[record.pk]),
        {"action": "sign_in", "outcome": "failure", "ip": "10.0.0.1", "detail": "{}"},
    )

    assert response.status_code == 403
    only_refusals_added(before, staff_admin)


@pytest.mark.parametrize("method", ["get", "post"])
def test_deleting_a_record_is_refused(admin_client, staff_admin, trail, method):
    record = AuditEvent.objects.get(action=Action.VIEW_CASELOAD)
    before = stored()

    response = getattr(admin_client, method)(
        reverse("admin:audit_auditevent_delete", args=[record.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    only_refusals_added(before, staff_admin)


def test_deleting_selected_records_is_not_offered_and_does_nothing(admin_client, trail):
    page = admin_client.get(LIST_URL)
    before = stored()

    admin_client.post(
        LIST_URL,
        {"action": "delete_selected", "_selected_action": all_seqs(), "post": "yes"},
    )

    form = page.context["action_form"]
    assert form is None or "delete_selected" not in dict(form.fields["action"].choices)
    assert 'value="delete_selected"' not in page.content.decode()
    assert stored()[: len(before)] == before


# Nobody else -----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["physio", "patient"])
@pytest.mark.parametrize("page", ["list", "record"])
def test_physios_and_patients_cannot_see_the_trail(request, trail, who, page):
    person = request.getfixturevalue(who)
    url = (
        LIST_URL
        if page == "list"
        else reverse("admin:audit_auditevent_change", args=[AuditEvent.objects.earliest("seq").pk])
    )
    browser = signed_in(person)
    since = last_seq()

    response = browser.get(url)

    assert response.status_code == 403
    assert "auditevent" not in response.content.decode()
    assert [(r.action, r.actor) for r in added_since(since)] == [(Action.ACCESS_DENIED, person)]


def test_someone_signed_out_is_sent_to_sign_in(client, trail):
    response = client.get(LIST_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
