"""An admin keeps the library and the people in it; a physio invites a new patient."""

import re
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import Browser, BrowserContext, Locator, Page, ViewportSize, expect

from accounts.models import Assignment, Invitation, Role, User
from exercises.models import Exercise
from tests.conftest import PASSWORD, app_code

pytestmark = [
    pytest.mark.browser,
    # The live server needs committed data, so these tests are transactional.
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("migrated_data"),
]

PHONE: ViewportSize = {"width": 375, "height": 740}
NEW_PASSWORD = "plum-tree-orbit-42"
INVITED_EMAIL = "rosa.patel@example.com"
INVITATION_LINK = re.compile(r"http://\S+/invitation/[^/\s]+/")


# Helpers ------------------------------------------------------------------


def field(scope: Page | Locator, label: str) -> Locator:
    """A form field by its whole label (Django adds a colon to it)."""
    return scope.get_by_label(re.compile(rf"^{re.escape(label)}:?$"))


def sign_in(page: Page, live_server, username: str, lands_on: str, password=PASSWORD) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    field(page, "Username").fill(username)
    field(page, "Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server.url}{lands_on}")


def sign_in_to_admin(page: Page, live_server, user: User) -> None:
    """Sign in, then set up two-step verification as any admin must the first time."""
    page.goto(f"{live_server.url}/admin/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/admin/"))
    field(page, "Username").fill(user.username)
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Set up two-step verification")).to_be_visible()
    expect(page.get_by_role("img", name="QR code to scan with your app")).to_be_visible()
    key = page.locator(".secret-key code").inner_text().replace(" ", "")
    field(page, "Code").fill(app_code(key))
    page.get_by_role("button", name="Turn on two-step verification").click()

    expect(page.get_by_role("heading", name="Two-step verification is on")).to_be_visible()
    expect(page.get_by_role("list", name="Recovery codes").get_by_role("listitem")).to_have_count(
        10
    )
    page.get_by_role("link", name="I have saved them: continue").click()
    expect(page).to_have_url(f"{live_server.url}/admin/")
    expect(page.get_by_role("heading", name="Library and people")).to_be_visible()


def exercise_link(page: Page, name: str) -> Locator:
    return page.locator("#result_list").get_by_role("link", name=name, exact=True)


def history_rows(page: Page) -> Locator:
    return page.locator("#change-history tbody tr")


def add_person(
    page: Page,
    live_server,
    *,
    role: str,
    username: str,
    first_name: str,
    last_name: str,
    physio: str | None = None,
) -> None:
    """Fill the admin's "Add user" form, with a password, and save it."""
    page.goto(f"{live_server.url}/admin/accounts/user/add/")
    page.get_by_role("radio", name=role, exact=True).check()
    field(page, "Username").fill(username)
    field(page, "First name").fill(first_name)
    field(page, "Last name").fill(last_name)
    field(page, "Email address").fill(f"{username}@example.com")
    if physio is not None:
        page.get_by_role("combobox", name="Physiotherapist").select_option(label=physio)
    # "Password-based authentication" stays enabled: the admin chooses the password.
    expect(page.get_by_role("radio", name="Enabled")).to_be_checked()
    # "Password" alone also names the fieldset around the two password fields.
    page.get_by_role("textbox", name=re.compile(r"^Password:?$")).fill(NEW_PASSWORD)
    field(page, "Password confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("ul.messagelist")).to_contain_text(
        f"The user “{first_name} {last_name}” was added successfully."
    )


@pytest.fixture
def phone_context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser, signed in as nobody, on a phone-sized screen."""
    context = browser.new_context(viewport=PHONE)
    yield context
    context.close()


# Tests --------------------------------------------------------------------


def test_an_admin_corrects_a_typo_sees_the_diff_and_reverts_it(
    page: Page, live_server, staff_admin: User
):
    original = Exercise.objects.get(slug="bird-dog")
    versions = original.history.count()
    assert versions == 2  # as the library was loaded, then its start position in new words
    sign_in_to_admin(page, live_server, staff_admin)
    page.goto(f"{live_server.url}/admin/exercises/exercise/")
    exercise_link(page, "Bird-dog").click()
    expect(page.get_by_role("heading", name="Bird-dog")).to_be_visible()

    instructions = field(page, "Instructions")
    expect(instructions).to_contain_text("the opposite arm forward")
    instructions.fill(instructions.input_value().replace("opposite", "oposite"))
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/admin/exercises/exercise/")
    expect(page.locator("ul.messagelist")).to_contain_text("“Bird-dog” was changed successfully")

    exercise_link(page, "Bird-dog").click()
    page.get_by_role("link", name="History").click()
    expect(history_rows(page)).to_have_count(versions + 1)
    change = history_rows(page).first
    expect(change).to_contain_text(staff_admin.username)
    # One word changed, so one word struck through and one added: nothing else.
    expect(change.locator("td ul li")).to_have_count(1)
    expect(change.locator("td ul li")).to_contain_text("Instructions:")
    expect(change.locator("del")).to_have_text(["opposite"])
    expect(change.locator("ins")).to_have_text(["oposite"])

    # The version before the typo is the second row; open it and put it back.
    history_rows(page).nth(1).locator("td").first.get_by_role("link").click()
    expect(field(page, "Instructions")).to_contain_text("the opposite arm forward")
    page.get_by_role("button", name="Revert").click()
    expect(page).to_have_url(f"{live_server.url}/admin/exercises/exercise/")
    expect(page.locator("ul.messagelist")).to_contain_text("“Bird-dog” was changed successfully")
    exercise_link(page, "Bird-dog").click()
    page.get_by_role("link", name="History").click()
    expect(history_rows(page)).to_have_count(versions + 2)
    expect(history_rows(page).first).to_contain_text("Reverted to the version of")

    exercise = Exercise.objects.get(slug="bird-dog")
    assert "opposite" in exercise.instructions
    assert "oposite" not in exercise.instructions
    assert exercise.instructions == original.instructions
    assert exercise.history.count() == versions + 2


def test_an_admin_adds_a_physio_and_assigns_a_patient(page: Page, live_server, staff_admin: User):
    sign_in_to_admin(page, live_server, staff_admin)
    add_person(
        page,
        live_server,
        role="Physiotherapist",
        username="nina",
        first_name="Nina",
        last_name="Okafor",
    )
    add_person(
        page,
        live_server,
        role="Patient",
        username="rosa",
        first_name="Rosa",
        last_name="Patel",
        physio="Nina Okafor",
    )

    nina = User.objects.get(username="nina")
    rosa = User.objects.get(username="rosa")
    assert list(nina.groups.values_list("name", flat=True)) == [Role.PHYSIO.value]
    assert list(rosa.groups.values_list("name", flat=True)) == [Role.PATIENT.value]
    assert Assignment.objects.filter(patient=rosa, physio=nina).exists()
    assert not nina.is_staff

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")

    sign_in(page, live_server, "nina", lands_on="/patients/", password=NEW_PASSWORD)
    expect(page.locator("li.patient-card h2")).to_have_text(["Rosa Patel"])


def test_a_physio_invites_a_patient_who_makes_their_account(
    page: Page, live_server, physio: User, phone_context: BrowserContext, mailoutbox
):
    sign_in(page, live_server, physio.username, lands_on="/patients/")
    # With no patients yet, the empty caseload offers the same link a second time.
    page.get_by_role("link", name="Invite a new patient").first.click()
    expect(page.get_by_role("heading", name="Invite a patient", level=1)).to_be_visible()
    field(page, "Their email address").fill(INVITED_EMAIL)
    field(page, "First name (optional)").fill("Rosa")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"Invitation sent to {INVITED_EMAIL}. The link works once"
    )
    expect(page.locator("li.invitation--pending")).to_contain_text(INVITED_EMAIL)

    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == [INVITED_EMAIL]
    link = INVITATION_LINK.search(email.body)
    assert link is not None, email.body
    url = link.group()

    invited = phone_context.new_page()
    invited.goto(url)
    expect(invited.get_by_role("heading", name="Make your BackTrack account")).to_be_visible()
    expect(field(invited, "First name")).to_have_value("Rosa")
    field(invited, "Last name").fill("Patel")
    field(invited, "Username").fill("rosap")
    field(invited, "Password").fill(NEW_PASSWORD)
    field(invited, "Password confirmation").fill(NEW_PASSWORD)
    invited.get_by_role("button", name="Make my account").click()
    expect(invited).to_have_url(f"{live_server.url}/today/")
    expect(invited.get_by_role("heading", name=re.compile(r"^Today"), level=1)).to_be_visible()
    expect(invited.get_by_role("status")).to_contain_text(
        "Welcome, Rosa. Your account is ready, and Phil Io can see how you get on."
    )

    # Signed out, the link has been used: it makes no second account.
    invited.get_by_role("button", name="Sign out").click()
    expect(invited).to_have_url(f"{live_server.url}/accounts/login/")
    invited.goto(url)
    expect(
        invited.get_by_role("heading", name="This link no longer works", level=1)
    ).to_be_visible()
    expect(invited.get_by_text("It has already been used to make an account.")).to_be_visible()

    rosa = User.objects.get(username="rosap")
    assert rosa.email == INVITED_EMAIL
    assert rosa.get_full_name() == "Rosa Patel"
    assert rosa.groups.filter(name=Role.PATIENT.value).exists()
    assert list(Assignment.objects.filter(patient=rosa).values_list("physio", flat=True)) == [
        physio.pk
    ]
    assert Invitation.objects.get(email=INVITED_EMAIL).accepted_by == rosa
    assert not Group.objects.filter(user=rosa).exclude(name=Role.PATIENT.value).exists()
