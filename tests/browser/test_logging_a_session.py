"""A patient logs a session in a real browser: on a phone, without JavaScript, by keyboard."""

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import assert_no_sideways_scroll
from tests.conftest import PASSWORD
from tracking.models import Session, SessionEntry

pytestmark = [
    pytest.mark.browser,
    # The live server needs committed data, so these tests are transactional.
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("migrated_data"),
]

PAIN_BEFORE = "How much pain do you have right now?"
PAIN_AFTER = "How much pain do you have now?"


# Helpers ------------------------------------------------------------------


def sign_in(page: Page, live_server, user) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server.url}/today/")


def choose_pain(page: Page, question: str, score: int) -> None:
    scale = page.get_by_role("group", name=question)
    scale.get_by_label(str(score), exact=True).check()


def entry_rows(page: Page) -> Locator:
    return page.locator("ol.entries > li")


def entry_id(row: Locator) -> str:
    """The row's element id, "entry-<pk>"."""
    return row.get_attribute("id") or ""


def press_in_row(row: Locator, action: str) -> None:
    # The buttons read "Done Pelvic tilt" to a screen reader, "Done" on screen.
    row.get_by_role("button", name=re.compile(rf"^{action}\b")).click()


def focused(page: Page, script: str):
    """Evaluate `script` with `el` bound to the focused element."""
    return page.evaluate(f"(() => {{ const el = document.activeElement; return {script}; }})()")


def tab_to(page: Page, name: str, *, limit: int = 60) -> None:
    """Press Tab until the focused element's text (or label) starts with `name`.

    From a page that has loaded: Tab on a half-parsed page can pass the element by.
    """
    page.wait_for_load_state("load")
    for _ in range(limit):
        page.keyboard.press("Tab")
        text = focused(page, "(el.labels?.[0] || el).textContent.trim()")
        if text.startswith(name):
            return
    raise AssertionError(f"Tab never reached {name!r} on {page.url}")


def assert_focus_is_visible(page: Page) -> None:
    outline, shadow = focused(
        page, "[getComputedStyle(el).outlineStyle, getComputedStyle(el).boxShadow]"
    )
    assert outline != "none" or shadow != "none", "the focused element shows no focus ring"


# Tests --------------------------------------------------------------------


def test_a_patient_logs_a_whole_session_on_a_phone(phone_page: Page, live_server, patient):
    page = phone_page
    sign_in(page, live_server, patient)
    assert_no_sideways_scroll(page)

    page.get_by_role("link", name="Start a session").click()
    # The day's safety check first: one tap when all is well.
    expect(page).to_have_url(f"{live_server.url}/check-in/")
    assert_no_sideways_scroll(page)
    page.get_by_role("button", name="None of these").click()
    expect(page).to_have_url(f"{live_server.url}/sessions/new/")
    assert_no_sideways_scroll(page)
    choose_pain(page, PAIN_BEFORE, 6)
    page.get_by_role("button", name="Start", exact=True).click()

    expect(page.get_by_role("heading", name="Your session")).to_be_visible()
    assert_no_sideways_scroll(page)
    rows = entry_rows(page)
    expect(rows).to_have_count(10)
    expect(page.locator("#progress")).to_have_text("0 of 10 exercises done")

    # A full page load would wipe this marker; htmx swaps must keep it.
    page.evaluate("window.__samePage = true")
    for index in range(10):
        row = rows.nth(index)
        press_in_row(row, "Done")
        expect(row.locator(".entry-status")).to_contain_text("Done")
        expect(row.get_by_role("button", name=re.compile(r"^Done\b"))).to_have_attribute(
            "aria-pressed", "true"
        )
    expect(page.locator("#progress")).to_have_text("10 of 10 exercises done")
    assert page.evaluate("window.__samePage") is True, "ticking exercises reloaded the page"
    assert_no_sideways_scroll(page)

    page.get_by_role("link", name="Finish and rate your pain").click()
    expect(page.get_by_role("heading", name="Finish your session")).to_be_visible()
    assert_no_sideways_scroll(page)
    choose_pain(page, PAIN_AFTER, 3)
    page.get_by_label("Notes (optional)").fill("Hips felt looser after the bridges.")
    page.get_by_role("button", name="Save session").click()

    expect(page.get_by_role("heading", name=re.compile(r"^Session on "))).to_be_visible()
    expect(page.get_by_text("Session saved.")).to_be_visible()
    expect(page.get_by_text("Hips felt looser after the bridges.")).to_be_visible()
    assert_no_sideways_scroll(page)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="History").click()
    expect(page.get_by_role("heading", name="Your history")).to_be_visible()
    summary = page.locator(".session-summary")
    expect(summary).to_have_count(1)
    expect(summary).to_contain_text("Pain 6 → 3")
    expect(summary).to_contain_text("10 of 10 done")
    assert_no_sideways_scroll(page)


def test_the_journey_works_without_javascript(no_script_page: Page, live_server, patient):
    page = no_script_page
    sign_in(page, live_server, patient)
    page.get_by_role("link", name="Start a session").click()
    page.get_by_role("button", name="None of these").click()
    choose_pain(page, PAIN_BEFORE, 5)
    page.get_by_role("button", name="Start", exact=True).click()
    expect(page.get_by_role("heading", name="Your session")).to_be_visible()

    rows = entry_rows(page)
    first, second, third = rows.nth(0), rows.nth(1), rows.nth(2)

    # Each button is a plain form: POST, then back to the session at that row.
    press_in_row(first, "Done")
    expect(page).to_have_url(re.compile(rf"/sessions/\d+/#{entry_id(first)}$"))
    expect(first.locator(".entry-status")).to_contain_text("Done")
    expect(page.locator("#progress")).to_have_text("1 of 10 exercises done")

    press_in_row(second, "Skip")
    expect(page).to_have_url(re.compile(rf"/sessions/\d+/#{entry_id(second)}$"))
    expect(second.locator(".entry-status")).to_contain_text("Skipped")

    # <details> opens without JavaScript; its form records what was really done.
    third.get_by_text("Record what you did").click()
    third.get_by_role("radio", name="Done", exact=True).check()
    third.get_by_label("Sets done").fill("1")
    third.get_by_label(re.compile(r"^Reps")).fill("4")
    third.get_by_role("radio", name="Too hard").check()
    third.get_by_role("button", name=re.compile(r"^Save\b")).click()
    expect(page).to_have_url(re.compile(rf"/sessions/\d+/#{entry_id(third)}$"))
    expect(third.locator(".entry-status")).to_contain_text("1 set of 4")
    expect(third.locator(".entry-status")).to_contain_text("too hard")
    expect(page.locator("#progress")).to_have_text("2 of 10 exercises done")

    page.get_by_role("link", name="Finish and rate your pain").click()
    choose_pain(page, PAIN_AFTER, 2)
    page.get_by_label("Notes (optional)").fill("Dead bug was hard today.")
    page.get_by_role("button", name="Save session").click()
    expect(page.get_by_text("Session saved.")).to_be_visible()

    session = Session.objects.get(patient=patient)
    assert session.is_finished
    assert (session.pain_before, session.pain_after) == (5, 2)
    assert session.notes == "Dead bug was hard today."
    entries = list(session.entries.order_by("order"))
    assert len(entries) == 10
    done, skipped, recorded, *rest = entries
    assert done.status == SessionEntry.Status.DONE
    assert (done.sets_done, done.reps_done) == (done.sets, done.reps)
    assert skipped.status == SessionEntry.Status.SKIPPED
    assert (skipped.sets_done, skipped.reps_done) == (None, None)
    assert recorded.status == SessionEntry.Status.DONE
    assert (recorded.sets_done, recorded.reps_done) == (1, 4)
    assert recorded.effort == SessionEntry.Effort.TOO_HARD
    assert {entry.status for entry in rest} == {SessionEntry.Status.TO_DO}


def test_a_keyboard_user_can_log_a_session(page: Page, live_server, patient):
    sign_in(page, live_server, patient)

    tab_to(page, "Start a session")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/check-in/")
    tab_to(page, "None of these")
    assert_focus_is_visible(page)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/sessions/new/")

    # Tab lands on the scale; arrow keys move along it and choose the number.
    tab_to(page, "0")
    assert focused(page, "el.name") == "pain_before"
    # The real radio is invisible (opacity 0): its number must show the focus ring.
    ring = focused(page, "getComputedStyle(el.nextElementSibling).outlineStyle")
    assert ring != "none", "the focused pain score shows no focus ring"
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    expect(
        page.get_by_role("group", name=PAIN_BEFORE).get_by_label("4", exact=True)
    ).to_be_checked()
    tab_to(page, "Start")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your session")).to_be_visible()

    first = entry_rows(page).first
    row_id = entry_id(first)
    tab_to(page, "Done")
    assert focused(page, "el.id") == f"{row_id}-done"
    page.keyboard.press("Space")

    expect(first.locator(".entry-status")).to_contain_text("Done")
    expect(page.locator("#progress")).to_have_text("1 of 10 exercises done")
    # htmx swapped the row; focus must come back to a button in it, not fall to <body>.
    expect(first.get_by_role("button", name=re.compile(r"^Done\b"))).to_be_focused()
    assert focused(page, "el.closest('li.entry')?.id") == row_id
    assert_focus_is_visible(page)

    # And the keyboard carries on from there: Tab reaches this row's Skip button.
    page.keyboard.press("Tab")
    assert focused(page, "el.id") == f"{row_id}-skip"
    page.keyboard.press("Shift+Tab")
    assert focused(page, "el.id") == f"{row_id}-done"


def test_bad_pain_input_is_kept_and_explained(page: Page, live_server, patient):
    session, _ = Session.start(patient, pain_before=4)
    sign_in(page, live_server, patient)
    page.goto(f"{live_server.url}/sessions/{session.pk}/finish/")

    notes = page.get_by_label("Notes (optional)")
    notes.fill("Forgot to pick a number.")
    # Skip the browser's own check, as an old browser (or a crafted request) would.
    page.locator("input[name=pain_after]").evaluate_all(
        "inputs => inputs.forEach(input => input.removeAttribute('required'))"
    )
    page.get_by_role("button", name="Save session").click()

    scale = page.get_by_role("group", name=PAIN_AFTER)
    expect(scale.get_by_text("Choose a number from 0")).to_be_visible()
    expect(notes).to_have_value("Forgot to pick a number.")
    session.refresh_from_db()
    assert not session.is_finished
