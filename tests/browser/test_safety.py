"""The safety check-in in a real browser: a patient reports bladder changes, is told
to get emergency care, cannot start a session, and their physio sees the alert
until they mark it as seen."""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Assignment
from tests.browser.conftest import assert_no_sideways_scroll
from tests.browser.test_logging_a_session import PAIN_BEFORE, choose_pain, entry_rows
from tests.browser.test_physio_review import sign_in
from tracking.models import SafetyCheck, Session
from tracking.safety import BY_CODE, Advice

pytestmark = [
    pytest.mark.browser,
    # The live server needs committed data, so these tests are transactional.
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("migrated_data"),
]

BLADDER = BY_CODE["bladder_bowel"].question
BANNER = "Warning signs reported"


def test_bladder_changes_lead_to_urgent_advice_and_an_alert_the_physio_must_mark_seen(
    phone_page: Page, new_context, live_server, patient, physio
):
    Assignment.objects.create(patient=patient, physio=physio)
    page = phone_page
    sign_in(page, live_server, patient, lands_on="/today/")

    page.get_by_role("link", name="Start a session").click()
    expect(page).to_have_url(f"{live_server.url}/check-in/")
    expect(page.get_by_role("heading", name="Before you start", level=1)).to_be_visible()
    assert_no_sideways_scroll(page)
    page.get_by_label(BLADDER).check()
    page.get_by_role("button", name="I have what I ticked").click()

    # Urgent advice, at once and in plain words, with the number to call.
    expect(page.get_by_role("heading", name="Get emergency care now", level=1)).to_be_visible()
    advice = page.locator(".advice--urgent")
    expect(advice).to_contain_text("Do not exercise")
    expect(advice.get_by_role("link", name="112")).to_have_attribute("href", "tel:112")
    expect(page.get_by_role("list").filter(has_text=BLADDER)).to_be_visible()
    assert_no_sideways_scroll(page)
    check = SafetyCheck.objects.get(patient=patient)
    assert (check.flags, check.advice) == (["bladder_bowel"], Advice.URGENT)

    # No way round it: the start page and Today both lead back to the advice.
    page.goto(f"{live_server.url}/sessions/new/")
    expect(page).to_have_url(f"{live_server.url}/check-in/{check.pk}/")
    page.goto(f"{live_server.url}/today/")
    expect(page.get_by_role("link", name="Start a session")).to_have_count(0)
    expect(page.get_by_role("heading", name="Get emergency care now", level=2)).to_be_visible()
    assert not Session.objects.filter(patient=patient).exists()

    # The physio sees it on top of the dashboard, and it stays until marked as seen.
    physio_page = new_context().new_page()
    sign_in(physio_page, live_server, physio, lands_on="/patients/")
    banner = physio_page.get_by_role("region", name=BANNER)
    expect(banner).to_contain_text("Pat Lee")
    expect(banner).to_contain_text("Urgent: reported bladder or bowel changes")
    expect(banner).to_contain_text("told to get emergency care now")
    physio_page.reload()
    expect(physio_page.get_by_role("region", name=BANNER)).to_be_visible()

    banner.get_by_role("link", name="Pat Lee").click()
    alerts = physio_page.get_by_role("region", name="Needs attention")
    alert = alerts.get_by_role("listitem").filter(has_text="bladder or bowel changes")
    expect(alert).to_be_visible()
    alert.get_by_role("textbox").fill("Phoned: on her way to the emergency department.")
    alert.get_by_role("button", name=re.compile("^Mark as seen")).click()

    expect(physio_page.get_by_text("Marked as seen")).to_be_visible()
    expect(alerts.get_by_text("bladder or bowel changes")).to_have_count(0)
    seen = physio_page.get_by_role("region", name="Alerts already seen")
    expect(seen).to_contain_text("Phoned: on her way to the emergency department.")
    # The answer stays in the patient's record.
    check_ins = physio_page.get_by_role("region", name="Safety check-ins")
    expect(check_ins).to_contain_text("bladder or bowel changes")
    expect(check_ins).to_contain_text("Told to get emergency care now")
    physio_page.get_by_role("link", name="Patients", exact=True).click()
    expect(physio_page.get_by_role("region", name=BANNER)).to_have_count(0)


def test_none_of_these_is_one_tap_and_is_not_asked_again_that_day(page: Page, live_server, patient):
    sign_in(page, live_server, patient, lands_on="/today/")
    page.get_by_role("link", name="Start a session").click()
    page.get_by_role("button", name="None of these").click()
    choose_pain(page, PAIN_BEFORE, 3)
    page.get_by_role("button", name="Start", exact=True).click()
    expect(entry_rows(page)).to_have_count(10)
    session = Session.objects.get(patient=patient)
    page.goto(f"{live_server.url}/sessions/{session.pk}/finish/")
    choose_pain(page, "How much pain do you have now?", 3)
    page.get_by_role("button", name="Save session").click()
    expect(page.get_by_text("Session saved.")).to_be_visible()

    page.goto(f"{live_server.url}/today/")
    expect(page.get_by_text("Safety check done today")).to_be_visible()
    page.get_by_role("link", name="Start a session").click()
    expect(page).to_have_url(f"{live_server.url}/sessions/new/")  # straight to the pain scale


def test_an_exercise_that_hurts_2_points_more_is_stopped_and_a_rise_ends_with_advice(
    page: Page, live_server, patient
):
    sign_in(page, live_server, patient, lands_on="/today/")
    page.get_by_role("link", name="Start a session").click()
    page.get_by_role("button", name="None of these").click()
    choose_pain(page, PAIN_BEFORE, 3)
    page.get_by_role("button", name="Start", exact=True).click()

    row = entry_rows(page).first
    row.get_by_text("This hurt").click()
    scale = row.get_by_role("group", name=re.compile("^How much does it hurt, doing"))
    scale.get_by_label("5", exact=True).check()
    row.get_by_role("button", name=re.compile(r"^Save.*hurt")).click()
    expect(row).to_contain_text("It hurt: 5 out of 10")
    expect(row).to_contain_text("Stop this exercise for today")

    page.get_by_role("link", name="Finish and rate your pain").click()
    choose_pain(page, "How much pain do you have now?", 5)
    page.get_by_role("button", name="Save session").click()
    expect(page.get_by_role("heading", name="Your pain went up from 3 to 5")).to_be_visible()
    advice = page.get_by_role("region", name="Your pain went up from 3 to 5")
    expect(advice.get_by_text(BY_CODE["spreading"].question)).to_be_visible()
    expect(advice.get_by_role("link", name="The other warning signs")).to_be_visible()
