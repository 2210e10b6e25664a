"""A patient looks at their progress in a real browser: on a phone, with and without JavaScript."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from accounts.models import Assignment, User
from tests.browser.conftest import assert_no_sideways_scroll
from tests.conftest import PASSWORD, finished_session

pytestmark = [
    pytest.mark.browser,
    # The live server needs committed data, so these tests are transactional.
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("migrated_data"),
]


@pytest.fixture
def history(patient: User) -> User:
    """Joined 40 days ago; daily for a fortnight, a gap, then the last three days."""
    User.objects.filter(pk=patient.pk).update(date_joined=timezone.now() - dt.timedelta(days=40))
    for days_ago in [*range(35, 21, -1), 3, 2, 1]:
        finished_session(patient, days_ago, pain_before=6, pain_after=5 if days_ago > 20 else 3)
    return patient


def sign_in_and_open_progress(page: Page, live_server, user: User) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server.url}/today/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Progress").click()
    expect(page).to_have_url(f"{live_server.url}/progress/")


def range_link(page: Page, label: str) -> Locator:
    return page.get_by_role("navigation", name="Time shown").get_by_role("link", name=label)


def calendar_cells(page: Page) -> Locator:
    return page.locator("#progress figure > svg g.cal")


def test_on_a_phone_the_range_switch_swaps_the_charts_in_place(
    phone_page: Page, live_server, history
):
    page = phone_page
    sign_in_and_open_progress(page, live_server, history)
    expect(page.get_by_role("heading", name="Sessions, day by day: 4 weeks")).to_be_visible()
    expect(calendar_cells(page)).to_have_count(28)
    expect(page.get_by_role("img", name=re.compile(r"^Pain from 0 to 10"))).to_be_visible()
    expect(page.locator(".summary")).to_contain_text("This week, from Monday:")
    assert_no_sideways_scroll(page)

    # A full page load would wipe this marker; an htmx swap keeps it.
    page.evaluate("window.__samePage = true")
    range_link(page, "All time").click()

    expect(page).to_have_url(f"{live_server.url}/progress/?range=all#progress")
    expect(page.get_by_role("heading", name="Sessions, day by day: all time")).to_be_visible()
    expect(calendar_cells(page)).to_have_count(41)  # joined 40 days ago, and today
    expect(range_link(page, "All time")).to_have_attribute("aria-current", "true")
    expect(page.locator(".summary")).to_be_focused()
    assert page.evaluate("window.__samePage") is True, "the range switch reloaded the whole page"
    expect(page.get_by_role("heading", name="Your progress", level=1)).to_have_count(1)
    assert_no_sideways_scroll(page)


def test_without_javascript_the_range_switch_is_a_plain_link(
    no_script_page: Page, live_server, history
):
    page = no_script_page
    sign_in_and_open_progress(page, live_server, history)
    expect(calendar_cells(page)).to_have_count(28)

    range_link(page, "12 weeks").click()

    expect(page).to_have_url(f"{live_server.url}/progress/?range=12w#progress")
    expect(page.get_by_role("heading", name="Sessions, day by day: 12 weeks")).to_be_visible()
    expect(calendar_cells(page)).to_have_count(84)
    expect(range_link(page, "12 weeks")).to_have_attribute("aria-current", "true")


# A legend swatch is a small mark beside its words: about one line of text high.
SWATCH_MAX_WIDTH = 40
SWATCH_MAX_HEIGHT = 24


def assert_legend_swatches_are_small(page: Page) -> None:
    swatches = page.locator("#progress .legend svg")
    expect(swatches).to_have_count(7)  # five kinds of day, pain before and pain after
    for swatch in swatches.all():
        expect(swatch).to_be_visible()
        box = swatch.bounding_box()
        assert box is not None, f"{page.url}: a legend swatch has no box"
        assert 8 <= box["width"] <= SWATCH_MAX_WIDTH, f"{page.url}: swatch {box}"
        assert 8 <= box["height"] <= SWATCH_MAX_HEIGHT, f"{page.url}: swatch {box}"


@pytest.mark.parametrize("width", [390, 1280])
def test_the_legend_swatches_stay_small_on_a_phone_and_a_desk(
    new_context, live_server, history, physio, width
):
    Assignment.objects.create(patient=history, physio=physio)
    page = new_context(viewport={"width": width, "height": 800}).new_page()
    sign_in_and_open_progress(page, live_server, history)
    assert_legend_swatches_are_small(page)

    page.get_by_role("button", name="Sign out").click()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(physio.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server.url}/patients/")
    page.goto(live_server.url + reverse("tracking:patient", args=[history.pk]))
    assert_legend_swatches_are_small(page)
