"""A patient takes a copy of their data and deletes their account, in a real browser."""

import csv
import io
import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from tests.browser.conftest import assert_no_sideways_scroll
from tests.conftest import PASSWORD
from tracking.models import Session

pytestmark = [
    pytest.mark.browser,
    # The live server needs committed data, so these tests are transactional.
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("migrated_data"),
]

DELETED = "Your account and all your exercise records have been deleted."


# Helpers ------------------------------------------------------------------


def sign_in(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def assert_every_input_is_labelled(page: Page) -> None:
    unlabelled = page.evaluate(
        """() => Array.from(document.querySelectorAll("input, select, textarea"))
            .filter(el => !["hidden", "submit", "button"].includes(el.type))
            .filter(el => !(el.labels && el.labels.length) && !el.getAttribute("aria-label")
                          && !el.getAttribute("aria-labelledby"))
            .map(el => el.name || el.id || el.outerHTML)"""
    )
    assert unlabelled == [], f"{page.url} has inputs without a label: {unlabelled}"


def check_page(page: Page) -> None:
    assert_no_sideways_scroll(page)
    assert_every_input_is_labelled(page)


def download(page: Page, link_text: str) -> tuple[str, str]:
    """Click the link; return the file's suggested name and its text."""
    with page.expect_download() as info:
        page.get_by_role("link", name=link_text).click()
    file = info.value
    return file.suggested_filename, Path(file.path()).read_text(encoding="utf-8-sig")


# Tests --------------------------------------------------------------------


def test_a_patient_downloads_their_data_then_deletes_their_account(
    phone_page: Page, live_server, patient
):
    page = phone_page
    sessions = []
    for pain_after, notes in [(3, "Hips looser"), (2, "Bridges felt good")]:
        session, _ = Session.start(patient, pain_before=5)
        first = session.entries.order_by("order")[0]
        first.mark_done()
        first.save()
        session.finish(pain_after=pain_after, notes=notes, flagged=False)
        sessions.append(session)
    entries = sum(session.entries.count() for session in sessions)

    sign_in(page, live_server, patient.username)
    expect(page).to_have_url(f"{live_server.url}/today/")
    page.get_by_role("contentinfo").get_by_role("link", name="Your data").click()
    expect(page.get_by_role("heading", name="Your data", level=1)).to_be_visible()
    expect(page.get_by_text("Nobody else has looked at your records yet.")).to_be_visible()
    check_page(page)

    name, text = download(page, "Everything, as a JSON file")
    assert re.fullmatch(r"backtrack-my-data-\d{4}-\d\d-\d\d\.json", name)
    data = json.loads(text)
    assert data["profile"]["username"] == patient.username
    assert sorted(s["id"] for s in data["sessions"]) == sorted(s.pk for s in sessions)
    assert {s["notes"] for s in data["sessions"]} == {"Hips looser", "Bridges felt good"}

    name, text = download(page, "Sessions and exercises, as a CSV file")
    assert re.fullmatch(r"backtrack-my-data-\d{4}-\d\d-\d\d\.csv", name)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == entries
    assert {row["session_notes"] for row in rows} == {"Hips looser", "Bridges felt good"}

    page.get_by_role("link", name="Delete my account").click()
    expect(page.get_by_role("heading", name="Delete your account")).to_be_visible()
    check_page(page)
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label("I understand that my account").check()
    page.get_by_role("button", name="Delete my account and data").click()

    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("status")).to_contain_text(DELETED)
    check_page(page)
    assert not Session.objects.filter(pk__in=[s.pk for s in sessions]).exists()

    sign_in(page, live_server, patient.username)
    expect(page.get_by_role("alert")).to_contain_text("Please enter a correct username")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")


def test_a_wrong_password_on_the_delete_page_keeps_the_account_and_the_tick(
    phone_page: Page, live_server, patient
):
    page = phone_page
    sign_in(page, live_server, patient.username)
    expect(page).to_have_url(f"{live_server.url}/today/")
    page.goto(f"{live_server.url}/account/delete/")

    page.get_by_label("Your password").fill("not-my-password")
    page.get_by_label("I understand that my account").check()
    page.get_by_role("button", name="Delete my account and data").click()

    expect(page.get_by_text("That is not your password")).to_be_visible()
    expect(page.get_by_label("I understand that my account")).to_be_checked()
    expect(page.get_by_label("Your password")).to_have_value("")
    check_page(page)
    page.get_by_role("link", name="Keep my account and go back").click()
    expect(page.get_by_role("heading", name="Your data", level=1)).to_be_visible()
    assert User.objects.filter(pk=patient.pk).exists()
