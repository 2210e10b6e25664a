"""The red-flag check-in before exercising: its advice, the gate on every logging
address, and the physio's alert that stays until it has been seen."""

import datetime as dt
import re
import zoneinfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Assignment, User
from tests.conftest import signed_in
from tracking.models import AlertAcknowledgement, AlertKind, SafetyCheck, Session
from tracking.review import progress_for
from tracking.safety import BY_CODE, RED_FLAGS, Advice

# Written out, not read from the list: these are the ones that need medical help now.
# Any worsening or spreading nerve symptom is one of them, however slowly it changes.
URGENT_CODES = {"bladder_bowel", "saddle_numbness", "weakness", "spreading"}
# Among them, the signs that the nerves at the bottom of the spine are pressed on: an
# emergency. The others (nerve symptoms worsening or spreading) cannot wait either.
PRESSED_NERVES_CODES = {"bladder_bowel", "saddle_numbness"}
AN_EMERGENCY = "especially if you also have symptoms in both legs. That is an emergency."
NO_WAITING = "Do not wait to see if it settles: get seen straight away, today at the latest."
# And how soon each of the others needs the physio or a doctor.
CONTACT_WITHIN = {
    "fever": "today or tomorrow",
    "injury": "today or tomorrow",
    "severe_pain": "today or tomorrow",
    "daily_activities": "within a few days",
    "not_improving": "within a few days",
}
LONDON = zoneinfo.ZoneInfo("Europe/London")


def check_in_url() -> str:
    return reverse("tracking:check-in")


def answer(client: Client, *codes: str, pressed: str | None = None):
    """The check-in as posted: the ticked codes and the button pressed."""
    pressed = pressed or ("some" if codes else "none")
    return client.post(check_in_url(), {"flags": list(codes), "answer": pressed})


def ticked(html: str) -> set[str]:
    return set(re.findall(r'<input type="checkbox" name="flags" value="([^"]+)"[^>]*checked', html))


def progress_of(patient: User, physio: User):
    [progress] = progress_for(User.objects.patients_of(physio).filter(pk=patient.pk))
    return progress


def section(html: str, title_id: str) -> str:
    """The page from one heading to the next section."""
    start = html.index(f'id="{title_id}"')
    return html[start : html.index("</section>", start)]


# Answering -----------------------------------------------------------------


def test_none_of_these_is_kept_as_clear_and_goes_on_to_start(patient_client, patient):
    response = answer(patient_client)

    check = SafetyCheck.objects.get(patient=patient)
    assert response.status_code == 302
    assert response.url == reverse("tracking:start")
    assert (check.advice, check.flags) == (Advice.CLEAR, [])
    assert check.local_date == timezone.localdate(timezone.now(), patient.tzinfo)


def test_a_clear_answer_with_a_session_open_goes_back_to_that_session(patient_client, session):
    response = answer(patient_client)

    assert response.url == session.get_absolute_url()


@pytest.mark.parametrize("flag", RED_FLAGS, ids=lambda flag: flag.code)
def test_each_warning_sign_is_kept_and_leads_to_its_advice(patient_client, patient, settings, flag):
    settings.EMERGENCY_NUMBER = "999"

    response = answer(patient_client, flag.code)

    check = SafetyCheck.objects.get(patient=patient)
    assert check.flags == [flag.code]
    assert response.url == reverse("tracking:check-in-result", args=[check.pk])
    page = patient_client.get(response.url).content.decode()
    assert f"<li>{flag.question}.</li>" in page.split("<h2>What you told us</h2>")[1]
    if flag.code in URGENT_CODES:
        assert check.advice == Advice.URGENT
        assert "<h1>Get emergency care now</h1>" in page
        assert 'Get medical help now: call <a href="tel:999">999</a>' in page
        assert "or go to an emergency department straight away." in page
        if flag.code in PRESSED_NERVES_CODES:
            assert AN_EMERGENCY in page
            assert "today at the latest" not in page
        else:
            assert NO_WAITING in page
        for softer in ("same day", "checking today", "needs checking"):
            assert softer not in page
    else:
        assert check.advice == Advice.CONTACT
        assert "<h1>Talk to your physio or doctor first</h1>" in page
        assert f"Contact your physio or your doctor {CONTACT_WITHIN[flag.code]}," in page
        assert "Do not exercise until you have talked to them" in page
        assert "<h1>Get emergency care now</h1>" not in page
    assert "We have let your physio know" not in page
    assert "the next time they open BackTrack. Do not wait for them to reply." in page


def test_one_urgent_sign_among_others_makes_the_advice_urgent(patient_client, patient):
    answer(patient_client, "fever", "saddle_numbness", "spreading")

    check = SafetyCheck.objects.get(patient=patient)
    assert check.advice == Advice.URGENT
    assert check.flags == ["saddle_numbness", "spreading", "fever"]  # in the list's own order


def test_several_signs_none_of_them_urgent_ask_to_contact_the_physio(patient_client, patient):
    answer(patient_client, "injury", "not_improving")

    assert SafetyCheck.objects.get(patient=patient).advice == Advice.CONTACT


@pytest.mark.parametrize(
    ("codes", "says"),
    [
        (["fever"], "You ticked one of the signs"),
        (["fever", "injury"], "You ticked 2 of the signs"),
    ],
)
def test_none_of_these_with_boxes_ticked_asks_again_and_keeps_the_ticks(
    patient_client, patient, codes, says
):
    response = answer(patient_client, *codes, pressed="none")

    html = response.content.decode()
    assert response.status_code == 200
    assert says in html
    assert ticked(html) == set(codes)
    assert not SafetyCheck.objects.filter(patient=patient).exists()


def test_i_have_what_i_ticked_with_nothing_ticked_asks_again(patient_client, patient):
    response = answer(patient_client, pressed="some")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Tick the signs you have" in html
    assert ticked(html) == set()
    assert not SafetyCheck.objects.filter(patient=patient).exists()


def test_a_sign_that_is_not_on_the_list_is_refused(patient_client, patient):
    response = answer(patient_client, "made_up")

    assert response.status_code == 200
    assert "Choose from the signs listed." in response.content.decode()
    assert not SafetyCheck.objects.filter(patient=patient).exists()


@pytest.mark.parametrize("codes", [[], ["injury", "bladder_bowel"]])
def test_the_same_answer_twice_the_same_day_is_kept_once(patient_client, patient, codes):
    first = answer(patient_client, *codes)
    second = answer(patient_client, *reversed(codes))

    assert SafetyCheck.objects.filter(patient=patient).count() == 1
    assert first.url == second.url


def test_an_answer_is_kept_on_the_patients_own_day(patient):
    patient.timezone = "Pacific/Auckland"  # 13 hours ahead of UTC in March
    patient.save(update_fields=["timezone"])

    with time_machine.travel(dt.datetime(2026, 3, 10, 11, 30, tzinfo=dt.UTC), tick=False):
        check = SafetyCheck.answer(patient, [])
        found = SafetyCheck.today_for(patient)

    assert check.local_date == dt.date(2026, 3, 11)
    assert found == check


def test_the_advice_for_another_patients_answer_is_not_found(patient_client, other_patient):
    theirs = SafetyCheck.answer(other_patient, ["fever"])

    response = patient_client.get(theirs.get_absolute_url())

    assert response.status_code == 404


# The gate on logging ---------------------------------------------------------------

GATED = [
    ("get", "start"),
    ("post", "start"),
    ("get", "session"),
    ("post", "entry-done"),
    ("post", "entry-skip"),
    ("get", "entry"),
    ("post", "entry"),
    ("get", "guided"),
    ("get", "guided-step"),
    ("post", "guided-step"),
]


def gated_request(
    client: Client, method: str, name: str, session: Session, headers: dict[str, str] | None = None
):
    entry = session.entries.get(order=1)
    args = {"start": [], "session": [session.pk], "guided": [session.pk]}.get(
        name, [session.pk, entry.pk]
    )
    data = {
        "start": {"pain_before": "3"},
        "entry": {"status": "done", "sets_done": "1", "reps_done": "1"},
        "guided-step": {"outcome": "done"},
    }.get(name, {})
    url = reverse(f"tracking:{name}", args=args)
    if method == "get":
        return client.get(url, headers=headers)
    return client.post(url, data, headers=headers)


def nothing_logged(session: Session) -> bool:
    return set(session.entries.values_list("status", flat=True)) == {"todo"}


@pytest.mark.parametrize(("method", "name"), GATED)
def test_without_a_check_in_today_every_logging_address_leads_to_it(
    patient_client, patient, session, method, name
):
    response = gated_request(patient_client, method, name, session)

    assert response.status_code == 302
    assert response.url == check_in_url()
    assert nothing_logged(session)
    assert Session.objects.for_patient(patient).count() == 1


@pytest.mark.parametrize(("method", "name"), GATED)
def test_after_a_warning_sign_today_every_logging_address_leads_to_the_advice(
    patient_client, patient, session, method, name
):
    SafetyCheck.answer(patient, [])
    flagged = SafetyCheck.answer(patient, ["spreading"])

    response = gated_request(patient_client, method, name, session)

    assert response.status_code == 302
    assert response.url == flagged.get_absolute_url()
    assert nothing_logged(session)


def test_starting_without_a_check_in_makes_no_session(patient_client, patient):
    patient_client.post(reverse("tracking:start"), {"pain_before": "3"})

    assert not Session.objects.for_patient(patient).exists()


@pytest.mark.parametrize("flagged", [False, True])
def test_htmx_is_told_where_to_go_instead(patient_client, patient, session, htmx_headers, flagged):
    target = SafetyCheck.answer(patient, ["fever"]).get_absolute_url() if flagged else None

    response = gated_request(patient_client, "post", "entry-done", session, htmx_headers)

    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == (target or check_in_url())
    assert nothing_logged(session)


def test_a_finished_sessions_page_is_open_without_a_check_in(patient_client, session):
    session.finish(pain_after=3, notes="", flagged=False)

    response = patient_client.get(session.get_absolute_url())

    assert response.status_code == 200


def test_finishing_stays_open_after_a_warning_sign(patient_client, patient, session):
    SafetyCheck.answer(patient, ["bladder_bowel"])

    response = patient_client.post(reverse("tracking:finish", args=[session.pk]), {"pain_after": 4})

    session.refresh_from_db()
    assert response.url == session.get_absolute_url()
    assert (session.is_finished, session.pain_after) == (True, 4)


def test_discarding_stays_open_after_a_warning_sign(patient_client, patient, session):
    SafetyCheck.answer(patient, ["fever"])

    response = patient_client.post(reverse("tracking:discard", args=[session.pk]))

    assert response.url == reverse("tracking:today")
    assert not Session.objects.filter(pk=session.pk).exists()


def test_telling_that_an_exercise_hurt_stays_open_after_a_warning_sign(
    patient_client, patient, session
):
    SafetyCheck.answer(patient, ["weakness"])
    entry = session.entries.get(order=2)

    patient_client.post(reverse("tracking:entry-hurt", args=[session.pk, entry.pk]), {"hurt": 8})

    entry.refresh_from_db()
    assert entry.hurt == 8


def test_a_clear_check_in_lasts_the_day_and_the_next_day_asks_again(patient):
    with time_machine.travel(dt.datetime(2026, 3, 10, 8, 0, tzinfo=LONDON), tick=False):
        client = signed_in(patient)
        answer(client)
        client.post(reverse("tracking:start"), {"pain_before": "4"})
        first = Session.objects.for_patient(patient).get()
        client.post(reverse("tracking:finish", args=[first.pk]), {"pain_after": "3"})
    with time_machine.travel(dt.datetime(2026, 3, 10, 23, 30, tzinfo=LONDON), tick=False):
        client = signed_in(patient)
        again = client.post(reverse("tracking:start"), {"pain_before": "4"})
        second = Session.objects.for_patient(patient).in_progress().get()
        assert again["Location"] == second.get_absolute_url()
        client.post(reverse("tracking:finish", args=[second.pk]), {"pain_after": "3"})
    with time_machine.travel(dt.datetime(2026, 3, 11, 0, 30, tzinfo=LONDON), tick=False):
        next_day = signed_in(patient).get(reverse("tracking:start"))

    assert next_day["Location"] == check_in_url()
    assert SafetyCheck.objects.filter(patient=patient).count() == 1


def test_the_day_is_the_patients_own(patient):
    patient.timezone = "Pacific/Auckland"  # 13 hours ahead of London in March
    patient.save(update_fields=["timezone"])
    with time_machine.travel(dt.datetime(2026, 3, 10, 10, 30, tzinfo=dt.UTC), tick=False):
        client = signed_in(patient)
        answer(client)  # 23:30 in Auckland
        same_night = client.get(reverse("tracking:start"))
    with time_machine.travel(dt.datetime(2026, 3, 10, 11, 30, tzinfo=dt.UTC), tick=False):
        after_midnight = signed_in(patient).get(reverse("tracking:start"))  # still the 10th in UTC

    assert same_night.status_code == 200
    assert after_midnight["Location"] == check_in_url()


def test_a_warning_sign_after_a_clear_answer_stops_exercising(patient_client, patient, session):
    SafetyCheck.answer(patient, [])
    entry = session.entries.get(order=1)
    done = reverse("tracking:entry-done", args=[session.pk, entry.pk])
    assert patient_client.post(done).status_code == 302
    entry.refresh_from_db()
    assert entry.status == "done"

    flagged_response = answer(patient_client, "severe_pain")
    skipped = patient_client.post(reverse("tracking:entry-skip", args=[session.pk, entry.pk]))

    assert skipped.url == flagged_response.url
    entry.refresh_from_db()
    assert entry.status == "done"


def test_a_plain_none_of_these_after_a_warning_sign_does_not_reopen_exercising(
    patient_client, patient
):
    answer(patient_client, "injury")
    flagged = SafetyCheck.objects.get(patient=patient)

    response = answer(patient_client)
    started = patient_client.post(reverse("tracking:start"), {"pain_before": "3"})

    assert response.url == flagged.get_absolute_url()
    page = patient_client.get(response.url).text
    assert "Your earlier answer today still stands" in page
    assert "If you ticked something by mistake, you can say so below." in page
    assert 'id="mistake-title"' in page  # and below it is
    assert started.url == flagged.get_absolute_url()
    assert not Session.objects.for_patient(patient).exists()
    assert list(SafetyCheck.objects.filter(patient=patient).values_list("advice", flat=True)) == [
        Advice.CLEAR,
        Advice.CONTACT,
    ]
    check_in_page = patient_client.get(check_in_url()).text
    assert "That answer stands, so the exercises stay closed today" in check_in_page


def test_none_of_these_after_a_call_for_emergency_care_offers_no_way_to_take_it_back(
    patient_client, patient
):
    answer(patient_client, "bladder_bowel")
    urgent = SafetyCheck.objects.get(patient=patient)

    response = answer(patient_client)

    assert response.url == urgent.get_absolute_url()
    page = patient_client.get(response.url).text
    assert "Your earlier answer today calls for emergency care" in page
    assert "the exercises stay closed until tomorrow" in page
    assert "you can say so below" not in page
    assert 'id="mistake-title"' not in page


def withdraw_url(check: SafetyCheck) -> str:
    return reverse("tracking:check-in-withdraw", args=[check.pk])


def test_taking_back_a_sign_ticked_by_mistake_names_it_and_reopens_exercising(
    patient_client, patient
):
    answer(patient_client, "injury")
    check = SafetyCheck.objects.get(patient=patient)
    page = patient_client.get(check.get_absolute_url()).text
    mistake = section(page, "mistake-title")
    assert f"<li>{BY_CODE['injury'].question}.</li>" in mistake
    assert f'action="{withdraw_url(check)}"' in mistake
    assert "I ticked this by mistake</button>" in mistake

    response = patient_client.post(withdraw_url(check))
    started = patient_client.post(reverse("tracking:start"), {"pain_before": "3"})

    assert response.url == reverse("tracking:start")
    assert started.url == Session.objects.for_patient(patient).get().get_absolute_url()
    check.refresh_from_db()
    assert (check.advice, check.flags) == (Advice.CONTACT, ["injury"])  # the answer stays
    assert check.withdrawn_at is not None
    standing = SafetyCheck.today_for(patient)
    assert standing is not None
    assert standing.is_clear
    page = patient_client.get(check.get_absolute_url()).text
    assert "you told us you ticked this by mistake" in page
    assert 'id="mistake-title"' not in page


def test_a_taken_back_answer_says_exercise_is_open_today_and_keeps_the_urgent_signs(
    patient_client, patient, settings
):
    settings.EMERGENCY_NUMBER = "999"
    answer(patient_client, "injury")
    check = SafetyCheck.objects.get(patient=patient)
    patient_client.post(withdraw_url(check))

    page = patient_client.get(check.get_absolute_url()).text

    assert "Please do not exercise today" not in page
    assert "Do not exercise until you have talked to them" not in page
    assert "Talk to your physio or doctor first" not in page
    assert "You can exercise today" in page
    assert f'href="{reverse("tracking:start")}"' in page
    assert 'href="tel:999"' in page
    for flag in RED_FLAGS:
        if flag.urgent:
            assert f"<li>{flag.question}.</li>" in page, flag.code
    assert "you told us you ticked this by mistake" in page


def test_a_taken_back_answer_does_not_open_a_day_another_sign_still_closes(patient_client, patient):
    answer(patient_client, "fever")
    first = SafetyCheck.objects.get(patient=patient)
    patient_client.post(withdraw_url(first))
    answer(patient_client, "injury")
    standing = SafetyCheck.today_for(patient)
    assert standing is not None
    assert standing.flags == ["injury"]

    page = patient_client.get(first.get_absolute_url()).text

    assert "You can exercise today" not in page
    assert "Please do not exercise today" not in page
    assert f'href="{standing.get_absolute_url()}"' in page
    assert "Another answer you gave today still stands" in page


def test_an_answer_taken_back_on_an_earlier_day_says_nothing_of_today(patient):
    with time_machine.travel(timezone.now() - dt.timedelta(days=1)):
        check = SafetyCheck.answer(patient, ["fever"])
        check.withdraw()

    page = signed_in(patient).get(check.get_absolute_url()).text

    assert "You took this answer back" in page
    assert "You can exercise today" not in page
    assert "Please do not exercise today" not in page


def test_the_physio_keeps_the_alert_and_sees_the_sign_was_taken_back(
    patient_client, physio_client, patient, physio, assigned
):
    answer(patient_client, "fever")
    check = SafetyCheck.objects.get(patient=patient)

    patient_client.post(withdraw_url(check))

    [alert] = progress_of(patient, physio).alerts
    assert alert.key == str(check.pk)
    assert alert.summary.startswith("Reported fever, chills or unexplained weight loss")
    assert alert.summary.endswith(
        "later that day they took it back, saying they ticked it by mistake"
    )
    html = physio_client.get(reverse("tracking:patient", args=[patient.pk])).text
    assert "took it back" in section(html, "alerts-title")
    assert "Taken back</strong> by Pat" in section(html, "check-ins-title")


def test_taking_back_twice_is_one_answer(patient_client, patient):
    answer(patient_client, "fever")
    check = SafetyCheck.objects.get(patient=patient)

    first = patient_client.post(withdraw_url(check))
    second = patient_client.post(withdraw_url(check))

    assert first.url == second.url == reverse("tracking:start")
    assert SafetyCheck.objects.filter(patient=patient).count() == 2


def test_a_call_for_emergency_care_cannot_be_taken_back(patient_client, patient):
    answer(patient_client, "spreading")
    check = SafetyCheck.objects.get(patient=patient)
    assert 'id="mistake-title"' not in patient_client.get(check.get_absolute_url()).text

    response = patient_client.post(withdraw_url(check), follow=True)

    assert "can no longer be taken back here" in response.text
    check.refresh_from_db()
    assert check.withdrawn_at is None
    assert SafetyCheck.objects.filter(patient=patient).count() == 1
    assert patient_client.get(reverse("tracking:start"))["Location"] == check.get_absolute_url()


def test_an_answer_from_an_earlier_day_cannot_be_taken_back(patient):
    with time_machine.travel(timezone.now() - dt.timedelta(days=1)):
        check = SafetyCheck.answer(patient, ["fever"])
    client = signed_in(patient)

    response = client.post(withdraw_url(check), follow=True)

    assert "can no longer be taken back here" in response.text
    check.refresh_from_db()
    assert check.withdrawn_at is None


def test_taking_back_a_sign_leaves_a_later_one_standing(patient_client, patient):
    answer(patient_client, "fever")
    first = SafetyCheck.objects.get(patient=patient)
    answer(patient_client, "injury")

    response = patient_client.post(withdraw_url(first), follow=True)

    assert "can no longer be taken back here" in response.text
    standing = SafetyCheck.today_for(patient)
    assert standing is not None
    assert standing.flags == ["injury"]


def test_another_patients_answer_cannot_be_taken_back(patient_client, other_patient):
    check = SafetyCheck.answer(other_patient, ["fever"])

    response = patient_client.post(withdraw_url(check))

    assert response.status_code == 404
    check.refresh_from_db()
    assert check.withdrawn_at is None


# The physio's alerts ------------------------------------------------------------


def test_a_clear_answer_raises_no_alert(patient, physio, assigned):
    SafetyCheck.answer(patient, [])

    assert progress_of(patient, physio).alerts == []


def test_a_warning_sign_raises_an_alert_that_says_what_was_reported(patient, physio, assigned):
    check = SafetyCheck.answer(patient, ["fever"])

    [alert] = progress_of(patient, physio).alerts

    assert (alert.kind, alert.key, alert.urgent) == (AlertKind.RED_FLAG, str(check.pk), False)
    assert "fever, chills or unexplained weight loss" in alert.summary
    assert "contact you or a doctor today or tomorrow" in alert.summary


@pytest.mark.parametrize(
    ("codes", "within"),
    [
        (["not_improving"], "within a few days"),
        (["daily_activities", "not_improving"], "within a few days"),
        (["not_improving", "injury"], "today or tomorrow"),
    ],
)
def test_a_contact_answer_asks_for_contact_as_soon_as_its_soonest_sign_needs(
    patient_client, patient, codes, within
):
    response = answer(patient_client, *codes)

    page = patient_client.get(response.url).text
    today = patient_client.get(reverse("tracking:today")).text
    assert f"Contact your physio or your doctor {within}," in page
    assert f"contact your physio or your doctor {within}," in today
    assert "We have let your physio know" not in today


def test_an_answer_holding_a_sign_no_longer_asked_keeps_its_meaning(patient):
    check = SafetyCheck.objects.create(
        patient=patient,
        local_date=timezone.localdate(),
        flags=["weakness_fast"],
        advice=Advice.URGENT,
    )

    assert [flag.summary for flag in check.red_flags] == ["leg weakness getting worse quickly"]
    assert SafetyCheck.answer(patient, ["weakness_fast"]).flags == []


def test_a_contact_answer_given_before_its_sign_became_urgent_still_says_how_soon(
    patient_client, patient
):
    check = SafetyCheck.objects.create(
        patient=patient,
        local_date=timezone.localdate(timezone.now(), patient.tzinfo),
        flags=["spreading"],
        advice=Advice.CONTACT,  # as it was routed then
    )

    page = patient_client.get(check.get_absolute_url()).text

    assert "Contact your physio or your doctor today or tomorrow," in page


def test_an_urgent_sign_raises_an_urgent_alert(patient, physio, assigned):
    SafetyCheck.answer(patient, ["bladder_bowel"])

    [alert] = progress_of(patient, physio).alerts

    assert alert.urgent
    assert alert.summary.startswith("Urgent: reported bladder or bowel changes")


def test_the_caseload_shows_warning_signs_on_top_urgent_ones_first(
    physio_client, patient, other_patient, physio, assigned
):
    Assignment.objects.create(patient=other_patient, physio=physio)
    with time_machine.travel(timezone.now() - dt.timedelta(days=3)):
        SafetyCheck.answer(other_patient, ["saddle_numbness"])  # older, but urgent
    SafetyCheck.answer(patient, ["not_improving"])

    response = physio_client.get(reverse("tracking:caseload"))

    html = response.content.decode()
    banner = section(html, "red-flags-title")
    assert [row.patient for row, _ in response.context["red_flags"]] == [other_patient, patient]
    assert banner.index("Olly Ng") < banner.index("Pat Lee")
    assert "numbness in the saddle area" in banner
    assert "no improvement after a few weeks of home exercise" in banner
    assert html.index("Warning signs reported") < html.index('<ul class="caseload">')
    assert [row.patient for row in response.context["rows"]] == [other_patient, patient]


def test_within_a_patients_row_urgent_signs_come_before_newer_contact_ones(
    physio_client, patient, assigned
):
    with time_machine.travel(timezone.now() - dt.timedelta(days=2)):
        urgent = SafetyCheck.answer(patient, ["bladder_bowel"])
    contact = SafetyCheck.answer(patient, ["fever"])

    response = physio_client.get(reverse("tracking:caseload"))

    [row] = response.context["rows"]
    assert [alert.key for alert in row.red_flags] == [str(urgent.pk), str(contact.pk)]
    card = response.content.decode().split('<ul class="caseload">')[1]
    assert card.index("Urgent: reported bladder") < card.index("Reported fever")


def test_the_caseload_has_no_warning_banner_when_nothing_was_reported(
    physio_client, patient, assigned
):
    SafetyCheck.answer(patient, [])

    html = physio_client.get(reverse("tracking:caseload")).content.decode()

    assert "Warning signs reported" not in html


def test_the_patient_page_shows_the_alert_and_the_check_in(physio_client, patient, assigned):
    SafetyCheck.answer(patient, ["weakness"])

    html = physio_client.get(reverse("tracking:patient", args=[patient.pk])).content.decode()

    said = BY_CODE["weakness"].summary
    assert said in section(html, "alerts-title")
    assert said in section(html, "check-ins-title")


def test_a_warning_sign_alert_stays_however_old_until_seen(patient, physio, assigned):
    with time_machine.travel(timezone.now() - dt.timedelta(days=90)):
        check = SafetyCheck.answer(patient, ["injury"])

    red_flags = progress_of(patient, physio).red_flags

    assert [alert.key for alert in red_flags] == [str(check.pk)]


def test_marking_a_warning_sign_as_seen_moves_it_and_keeps_the_check_in(
    physio_client, patient, physio, assigned
):
    check = SafetyCheck.answer(patient, ["spreading"])

    response = physio_client.post(
        reverse("tracking:acknowledge", args=[patient.pk]),
        {"kind": "red_flag", "key": str(check.pk), "note": "Booked an appointment"},
        follow=True,
    )

    html = response.content.decode()
    assert progress_of(patient, physio).alerts == []
    assert "spreading down the leg" not in section(html, "alerts-title")
    seen = section(html, "seen-title")
    assert "Warning sign reported:" in seen
    assert "Booked an appointment" in seen
    assert "spreading down the leg" in section(html, "check-ins-title")
    assert AlertAcknowledgement.objects.get().acknowledged_by == physio
    caseload = physio_client.get(reverse("tracking:caseload")).content.decode()
    assert "Warning signs reported" not in caseload


def test_marking_one_warning_sign_as_seen_leaves_a_later_one(
    physio_client, patient, physio, assigned
):
    first = SafetyCheck.answer(patient, ["fever"])
    later = SafetyCheck.answer(patient, ["fever", "weakness"])

    physio_client.post(
        reverse("tracking:acknowledge", args=[patient.pk]),
        {"kind": "red_flag", "key": str(first.pk)},
    )

    assert [alert.key for alert in progress_of(patient, physio).alerts] == [str(later.pk)]


# What an answer cannot undo, and what a session carries over ------------------


def test_a_clear_answer_cannot_undo_a_call_for_emergency_care_that_day(patient):
    start = dt.datetime(2026, 3, 4, 9, 0, tzinfo=LONDON)
    with time_machine.travel(start, tick=False):
        client = signed_in(patient)
        answer(client, "bladder_bowel")
        urgent = SafetyCheck.objects.get(patient=patient)
        answer(client)  # "None of these", moments later

        assert SafetyCheck.objects.filter(patient=patient).count() == 2
        assert client.get(reverse("tracking:start"))["Location"] == urgent.get_absolute_url()
        assert "exercises stay closed until tomorrow" in client.get(urgent.get_absolute_url()).text
    with time_machine.travel(start + dt.timedelta(days=1), tick=False):
        client = signed_in(patient)
        assert client.get(reverse("tracking:start"))["Location"] == check_in_url()
        answer(client)
        assert client.get(reverse("tracking:start")).status_code == 200


def test_a_contact_answer_given_by_mistake_can_be_taken_back_and_answered_again(
    patient_client, patient
):
    answer(patient_client, "fever")
    check = SafetyCheck.objects.get(patient=patient)
    assert check_in_url() in patient_client.get(check.get_absolute_url()).text

    patient_client.post(withdraw_url(check))
    answer(patient_client)

    assert patient_client.get(reverse("tracking:start")).status_code == 200


def test_the_same_sign_reported_again_later_that_day_is_a_new_answer(patient):
    start = dt.datetime(2026, 3, 4, 9, 0, tzinfo=LONDON)
    with time_machine.travel(start, tick=False):
        answer(signed_in(patient), "fever")
    with time_machine.travel(start + dt.timedelta(hours=5), tick=False):
        answer(signed_in(patient), "fever")

    assert SafetyCheck.objects.filter(patient=patient).count() == 2


def test_a_session_started_after_a_clear_answer_carries_on_past_midnight(patient):
    evening = dt.datetime(2026, 3, 4, 23, 50, tzinfo=LONDON)
    with time_machine.travel(evening, tick=False):
        client = signed_in(patient)
        answer(client)
        session, _ = Session.start(patient, pain_before=3)
    entry = session.entries.order_by("order").first()
    assert entry is not None
    with time_machine.travel(evening + dt.timedelta(minutes=20), tick=False):  # the next day
        client = signed_in(patient)
        done = client.post(reverse("tracking:entry-done", args=[session.pk, entry.pk]))
        page = client.get(session.get_absolute_url())

    entry.refresh_from_db()
    assert done.status_code == 302
    assert entry.status == entry.Status.DONE
    assert page.status_code == 200


def test_a_warning_sign_after_the_start_stops_a_session_carried_past_midnight(patient):
    evening = dt.datetime(2026, 3, 4, 23, 40, tzinfo=LONDON)
    with time_machine.travel(evening, tick=False):
        client = signed_in(patient)
        answer(client)
        session, _ = Session.start(patient, pain_before=3)
        answer(client, "fever")
    with time_machine.travel(evening + dt.timedelta(minutes=30), tick=False):
        response = signed_in(patient).get(session.get_absolute_url())

    assert response["Location"] == check_in_url()


def test_a_session_started_without_a_check_in_does_not_carry_on_the_next_day(patient):
    evening = dt.datetime(2026, 3, 4, 23, 40, tzinfo=LONDON)
    with time_machine.travel(evening, tick=False):
        session, _ = Session.start(patient, pain_before=3)
    with time_machine.travel(evening + dt.timedelta(minutes=30), tick=False):
        response = signed_in(patient).get(session.get_absolute_url())

    assert response["Location"] == check_in_url()


def test_logging_past_its_rate_limit_never_stops_a_warning_sign(
    patient_client, patient, session, settings
):
    settings.LOG_RATE_LIMIT = "2/m"
    SafetyCheck.answer(patient, [])
    entry = session.entries.order_by("order").first()
    assert entry is not None
    with time_machine.travel(timezone.now(), tick=False):
        for _ in range(3):
            last = patient_client.post(reverse("tracking:entry-done", args=[session.pk, entry.pk]))
        reported = answer(patient_client, "fever")

    assert last.status_code == 429
    assert reported.status_code == 302
    assert SafetyCheck.objects.filter(patient=patient, advice=Advice.CONTACT).exists()
