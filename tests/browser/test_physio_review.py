"""A physio reviews the caseload in a real browser, and the patient sees what changed."""

import datetime as dt
import re
from dataclasses import dataclass

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from accounts.models import Assignment, Role, User
from exercises.models import current_versions
from tests.browser.conftest import assert_no_sideways_scroll
from tests.conftest import PASSWORD
from tracking.models import Programme, Session, SessionEntry

pytestmark = [
    pytest.mark.browser,
    # The live server needs committed data, so these tests are transactional.
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("migrated_data"),
]

EXERCISE = "Glute bridge"  # 1 set of 10 in the routine (exercises/migrations/0002)
COMMENT = "Ease off the bridges for a few days and tell me how the back feels."
# The caseload's names in alphabetical order of last name; Lee is the flaring patient.
BY_NAME = ["Emma Adams", "Farid Baker", "Dev Carter", "Pat Lee"]


# Helpers ------------------------------------------------------------------


def sign_in(page: Page, live_server, user, lands_on: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server.url}{lands_on}")


def patient_cards(page: Page) -> Locator:
    return page.locator("li.patient-card")


def card_names(page: Page) -> Locator:
    return patient_cards(page).locator("h2")


def sort_link(page: Page, label: str) -> Locator:
    controls = page.get_by_role("navigation", name="Show and sort patients")
    return controls.get_by_role("link", name=label, exact=True)


def field(scope: Page | Locator, label: str) -> Locator:
    """A form field by its whole label (Django adds a colon to it)."""
    return scope.get_by_label(re.compile(rf"^{re.escape(label)}:?$"))


def region(page: Page, title: str) -> Locator:
    return page.get_by_role("region", name=title, exact=True)


# Data ---------------------------------------------------------------------


def log_history(patient: User, pains: dict[int, tuple[int, int]]) -> list[Session]:
    """Finished sessions with every exercise done, as {days ago: (pain before, after)}."""
    programme = Programme.for_patient(patient)
    items = list(programme.included_items())
    today = timezone.localdate(timezone.now(), patient.tzinfo)
    sessions = []
    for days_ago, (before, after) in sorted(pains.items(), reverse=True):
        day = today - dt.timedelta(days=days_ago)
        started = dt.datetime.combine(day, dt.time(8, 30), tzinfo=patient.tzinfo)
        sessions.append(
            Session(
                patient=patient,
                started_at=started,
                finished_at=started + dt.timedelta(minutes=15),
                local_date=day,
                pain_before=before,
                pain_after=after,
                programme_version=programme.version,
            )
        )
    Session.objects.bulk_create(sessions)
    versions = current_versions(item.exercise_id for item in items)
    SessionEntry.objects.bulk_create(
        SessionEntry.prescribed(
            session,
            item,
            versions,
            status=SessionEntry.Status.DONE,
            sets_done=item.sets,
            reps_done=item.reps,
        )
        for session in sessions
        for item in items
    )
    return sessions


def flaring(calm: int, worse: int) -> dict[int, tuple[int, int]]:
    """Daily for two weeks: pain `calm` the week before, rising past `worse` this week,
    and two days ago it rose by 2 during the session itself."""
    pains = {days_ago: (calm, calm - 1) for days_ago in range(7, 14)}
    pains.update({days_ago: (worse, worse - 1) for days_ago in range(3, 7)})
    pains.update({2: (worse + 1, worse + 3), 1: (worse + 1, worse)})
    return pains


@dataclass
class Caseload:
    physio: User
    flaring: User
    unassigned: User
    old_session: Session  # logged with the original programme


@pytest.fixture
def caseload(make_user, physio, patient, other_patient, other_physio) -> Caseload:
    """Four patients of `physio`: steady, stalled, stopped and flaring (Pat Lee).

    Olly Ng flares worse still, but is in another physio's care.
    """
    steady = make_user("emma", Role.PATIENT, first_name="Emma", last_name="Adams")
    stalled = make_user("farid", Role.PATIENT, first_name="Farid", last_name="Baker")
    stopped = make_user("dev", Role.PATIENT, first_name="Dev", last_name="Carter")
    for someone in (steady, stalled, stopped, patient):
        Assignment.objects.create(patient=someone, physio=physio)
    Assignment.objects.create(patient=other_patient, physio=other_physio)

    log_history(steady, {d: (4 if d >= 7 else 3, 2) for d in range(1, 14)})
    # Every other day, pain the same, last session two days ago: no alert.
    log_history(stalled, {d: (5, 5) for d in range(2, 14, 2)})
    # Stopped six days ago: "No session for 6 days", a milder alert than pain.
    log_history(stopped, {d: (5, 4) for d in range(6, 14)})
    old_session, *_ = log_history(patient, flaring(calm=3, worse=6))
    log_history(other_patient, flaring(calm=2, worse=7))
    return Caseload(
        physio=physio, flaring=patient, unassigned=other_patient, old_session=old_session
    )


def reps_of(session: Session, exercise: str) -> int:
    return SessionEntry.objects.get(session=session, exercise__name=exercise).reps


# Tests --------------------------------------------------------------------


def test_a_physio_answers_the_flaring_patient_who_then_sees_the_comment_and_new_dose(
    page: Page, live_server, caseload: Caseload
):
    sign_in(page, live_server, caseload.physio, lands_on="/patients/")
    expect(page.get_by_role("heading", name="Your patients", level=1)).to_be_visible()
    expect(card_names(page)).to_have_count(4)
    expect(card_names(page).first).to_have_text("Pat Lee")
    first = patient_cards(page).first
    expect(first.locator(".alert--pain_rose")).to_contain_text("Pain rose from 7 to 9")
    expect(first.locator(".alert--pain_worse")).to_contain_text("up from 3 the week before")
    expect(page.get_by_text("Olly Ng")).to_have_count(0)
    expect(sort_link(page, "Needing attention (2)")).to_be_visible()

    first.get_by_role("link", name="Pat Lee").click()
    expect(page.get_by_role("heading", name="Pat Lee", level=1)).to_be_visible()
    patient_url = page.url
    field(page, "Comment").fill(COMMENT)
    page.get_by_role("button", name="Send comment").click()
    expect(page).to_have_url(f"{patient_url}#comments")
    expect(page.get_by_text("Comment sent. Pat will see it on their Today page.")).to_be_visible()
    sent = region(page, "Comments on the programme").locator("li.comment", has_text=COMMENT)
    expect(sent).to_contain_text("not read yet")

    page.get_by_role("link", name="Change the programme").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Change the programme"))).to_be_visible()
    reps = field(page.get_by_role("group", name=EXERCISE), "Reps")
    expect(reps).to_have_value("10")
    reps.fill("12")
    page.get_by_role("button", name="Save the programme").click()
    expect(page).to_have_url(patient_url)
    expect(
        page.get_by_text("Saved as version 2. Pat gets it from their next session.")
    ).to_be_visible()
    programme = region(page, "Programme version 2").locator("ol.routine-list > li")
    expect(programme.filter(has_text=EXERCISE).locator(".dose")).to_have_text("12 times")

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    sign_in(page, live_server, caseload.flaring, lands_on="/today/")

    comment = region(page, "From your physio").locator("li.comment", has_text=COMMENT)
    expect(comment).to_contain_text("Phil Io")
    expect(comment.locator(".badge--new")).to_have_text("New")
    changes = region(page, "Your programme has changed")
    expect(changes).to_contain_text(f"{EXERCISE}: 10 → 12 reps")
    routine = region(page, "Your routine").locator("ol.routine-list > li")
    expect(routine.filter(has_text=EXERCISE).locator(".dose")).to_have_text("12 times")

    # Seen once, the comment stays but is no longer new.
    page.reload()
    expect(comment).to_be_visible()
    expect(comment.locator(".badge--new")).to_have_count(0)
    expect(page.locator(".badge--new")).to_have_count(0)

    # The next session follows the new dose; the one logged before keeps the old one.
    page.get_by_role("link", name="Start a session").click()
    page.get_by_role("button", name="None of these").click()  # the day's safety check
    scale = page.get_by_role("group", name="How much pain do you have right now?")
    scale.get_by_label("4", exact=True).check()
    page.get_by_role("button", name="Start", exact=True).click()
    expect(page.get_by_role("heading", name="Your session")).to_be_visible()
    entry = page.locator("ol.entries > li", has_text=EXERCISE)
    expect(entry.locator(".dose")).to_have_text("12 times")
    new_session = Session.objects.for_patient(caseload.flaring).in_progress().get()
    assert reps_of(new_session, EXERCISE) == 12
    assert reps_of(caseload.old_session, EXERCISE) == 10


def test_without_javascript_the_caseload_sorts_by_name_through_a_plain_link(
    no_script_page: Page, live_server, caseload: Caseload
):
    page = no_script_page
    sign_in(page, live_server, caseload.physio, lands_on="/patients/")
    # Most in need first by default: flaring, stopped, then the steepest pain rise.
    expect(card_names(page)).to_have_text(["Pat Lee", "Dev Carter", "Farid Baker", "Emma Adams"])

    sort_link(page, "Name").click()
    expect(page).to_have_url(re.compile(r"/patients/\?show=all&sort=name$"))
    expect(card_names(page)).to_have_text(BY_NAME)
    expect(sort_link(page, "Name")).to_have_attribute("aria-current", "true")
    expect(page.locator("p.result-count")).to_contain_text("sorted by name")


def test_sorting_with_javascript_swaps_only_the_caseload_and_focuses_the_result_count(
    page: Page, live_server, caseload: Caseload
):
    sign_in(page, live_server, caseload.physio, lands_on="/patients/")
    expect(card_names(page).first).to_have_text("Pat Lee")
    count = page.locator("p.result-count")
    expect(count).not_to_be_focused()

    # A full page load would wipe this marker; an htmx swap keeps it.
    page.evaluate("window.__samePage = true")
    sort_link(page, "Name").click()
    expect(page).to_have_url(re.compile(r"/patients/\?show=all&sort=name$"))
    expect(card_names(page)).to_have_text(BY_NAME)
    expect(count).to_contain_text("4 patients, 2 needing attention, sorted by name.")
    expect(count).to_be_focused()
    assert page.evaluate("window.__samePage") is True, "sorting reloaded the whole page"
    expect(page.get_by_role("heading", name="Your patients", level=1)).to_have_count(1)


def test_the_physio_pages_fit_a_phone_screen(phone_page: Page, live_server, caseload: Caseload):
    page = phone_page
    sign_in(page, live_server, caseload.physio, lands_on="/patients/")
    expect(card_names(page)).to_have_count(4)
    assert_no_sideways_scroll(page)

    patient_cards(page).first.get_by_role("link", name="Pat Lee").click()
    expect(page.get_by_role("heading", name="Pat Lee", level=1)).to_be_visible()
    expect(page.locator(".alert-list > li")).to_have_count(2)
    assert_no_sideways_scroll(page)

    page.get_by_role("link", name="Change the programme").click()
    expect(page.get_by_role("group", name=EXERCISE)).to_be_visible()
    assert_no_sideways_scroll(page)
