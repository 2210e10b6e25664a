"""Every page works under the strict Content-Security-Policy, in a real browser.

The site allows no inline script or style (django-csp). A template that slips one
in, or a library that injects one (htmx's indicator styles, the admin's widgets),
breaks quietly in the browser: the server's tests cannot see it. So each role signs
in through the real form and walks its pages while the browser reports every
`securitypolicyviolation` event and every console message.
"""

import re
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import ConsoleMessage, Locator, Page, Response, expect

from accounts.models import User
from tests.conftest import PASSWORD, app_code, finished_session

pytestmark = [
    pytest.mark.browser,
    # The live server needs committed data, so these tests are transactional.
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("migrated_data"),
]

CSP_HEADER = "content-security-policy"
# Injected by Playwright before any page script, so the policy cannot block it.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI);
});
"""
# Violation events are queued as tasks: give them a moment before reading them.
READ_VIOLATIONS = "new Promise((done) => setTimeout(() => done(window.__csp || []), 50))"
EXPECTED_DIRECTIVES = {
    "default-src": "'none'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "connect-src": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
    "object-src": "'none'",
}
PAIN_BEFORE = "How much pain do you have right now?"


# Watching the browser -----------------------------------------------------


@dataclass
class PolicyWatch:
    """What the browser said about the policy on each page of one visit."""

    page: Page
    origin: str
    violations: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    unprotected: list[str] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)

    def start(self) -> "PolicyWatch":
        self.page.add_init_script(RECORD_VIOLATIONS)
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        self.page.on("response", self._on_response)
        return self

    def _on_console(self, message: ConsoleMessage) -> None:
        self.console.append(f"{message.type}: {message.text} ({self.page.url})")

    def _on_response(self, response: Response) -> None:
        """Pages and htmx fragments from the app must carry the policy (static files need not)."""
        if not response.url.startswith(self.origin):
            return
        if response.request.resource_type not in {"document", "fetch", "xhr"}:
            return
        if CSP_HEADER not in response.headers:
            self.unprotected.append(f"{response.status} {response.url}")

    def settle(self) -> None:
        """Read this page's violations before the next navigation wipes them."""
        self.page.wait_for_load_state("load")
        found = self.page.evaluate(READ_VIOLATIONS)
        self.seen.append(self.page.url.removeprefix(self.origin))
        self.violations.extend(f"{entry} (on {self.page.url})" for entry in found)
        # Reported once: clear them, for pages that stay put while htmx swaps parts.
        self.page.evaluate("window.__csp = []")

    def visit(self, path: str, *, status: int = 200) -> Response:
        response = self.page.goto(f"{self.origin}{path}")
        assert response is not None
        assert response.status == status, f"{path} answered {response.status}"
        assert_strict_policy(response)
        self.settle()
        return response

    def csp_console_errors(self) -> list[str]:
        return [
            message
            for message in self.console
            if message.startswith("error:") and "content security policy" in message.lower()
        ]

    def assert_clean(self) -> None:
        assert self.seen, "no page was checked"
        assert self.violations == [], f"policy violations on {self.seen}"
        assert self.csp_console_errors() == [], "the console reports the policy"
        assert self.page_errors == [], "a script failed under the policy"
        assert self.unprotected == [], "responses sent without a Content-Security-Policy"


@pytest.fixture
def watch(page: Page, live_server) -> PolicyWatch:
    return PolicyWatch(page, live_server.url).start()


def directives(response: Response) -> dict[str, str]:
    header = response.headers.get(CSP_HEADER)
    assert header, f"{response.url} has no Content-Security-Policy header"
    parts = (part.strip().split(None, 1) for part in header.split(";") if part.strip())
    return {part[0]: part[1] if len(part) > 1 else "" for part in parts}


def assert_strict_policy(response: Response) -> None:
    header = response.headers.get(CSP_HEADER, "")
    assert "unsafe-inline" not in header, header
    assert "unsafe-eval" not in header, header
    assert "frame-ancestors 'none'" in header, header
    policy = directives(response)
    assert {name: policy.get(name) for name in EXPECTED_DIRECTIVES} == EXPECTED_DIRECTIVES


# Helpers ------------------------------------------------------------------


def label(scope: Page | Locator, text: str) -> Locator:
    """A form field by its whole label (Django adds a colon to it)."""
    return scope.get_by_label(re.compile(rf"^{re.escape(text)}:?$"))


def sign_in(watch: PolicyWatch, user: User, lands_on: str, *, start: str = "/accounts/login/"):
    page = watch.page
    watch.visit(start)
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    label(page, "Username").fill(user.username)
    label(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(rf"{re.escape(lands_on)}$"))
    watch.settle()


def mark_same_page(page: Page) -> None:
    """A full page load would wipe this marker; an htmx swap keeps it."""
    page.evaluate("window.__samePage = true")


def assert_same_page(page: Page, what: str) -> None:
    assert page.evaluate("window.__samePage") is True, f"{what} reloaded the page"


# Tests --------------------------------------------------------------------


def test_the_watch_catches_an_inline_script_and_style_that_the_policy_refuses(
    watch: PolicyWatch,
):
    """The other tests prove nothing unless a violation would show: inject one."""
    page = watch.page
    watch.visit("/accounts/login/")
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.__inlineRan = true";
          document.body.append(script);
          document.querySelector("h1").setAttribute("style", "color: red");
        }"""
    )
    assert page.evaluate("window.__inlineRan") is None, "an inline script ran"
    assert page.locator("h1").evaluate("el => getComputedStyle(el).color") != "rgb(255, 0, 0)"
    watch.settle()
    assert any(v.startswith("script-src-elem inline") for v in watch.violations), watch.violations
    assert any(v.startswith("style-src-attr inline") for v in watch.violations), watch.violations
    assert watch.csp_console_errors(), "Chromium logged no policy error"


def test_a_patients_pages_and_htmx_buttons_work_under_the_policy(watch: PolicyWatch, patient):
    page = watch.page
    sign_in(watch, patient, lands_on="/today/")
    expect(page.get_by_role("heading", name=re.compile(r"^Today"), level=1)).to_be_visible()

    page.get_by_role("link", name="Start a session").click()
    expect(page).to_have_url(re.compile(r"/check-in/$"))
    watch.settle()
    page.get_by_role("button", name="None of these").click()
    expect(page).to_have_url(re.compile(r"/sessions/new/$"))
    watch.settle()
    page.get_by_role("group", name=PAIN_BEFORE).get_by_label("5", exact=True).check()
    page.get_by_role("button", name="Start", exact=True).click()
    expect(page.get_by_role("heading", name="Your session")).to_be_visible()
    watch.settle()

    row = page.locator("ol.entries > li").first
    expect(row.locator(".entry-status")).not_to_contain_text("Done")
    mark_same_page(page)
    with page.expect_response(re.compile(r"/entries/\d+/done/$")) as swapped:
        row.get_by_role("button", name=re.compile(r"^Done\b")).click()
    assert swapped.value.request.headers.get("hx-request") == "true"
    assert_strict_policy(swapped.value)
    expect(row.locator(".entry-status")).to_contain_text("Done")
    expect(row.get_by_role("button", name=re.compile(r"^Done\b"))).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(page.locator("#progress")).to_have_text("1 of 10 exercises done")
    assert_same_page(page, "marking an exercise done")
    watch.settle()

    # "This hurt" opens in place and its answer swaps the row, under the policy too.
    row.get_by_text("This hurt").click()
    row.get_by_role("group", name=re.compile("How much does it hurt")).get_by_label(
        "9", exact=True
    ).check()
    with page.expect_response(re.compile(r"/entries/\d+/hurt/$")) as hurt:
        row.get_by_role("button", name=re.compile(r"^Save.*hurt")).click()
    assert_strict_policy(hurt.value)
    expect(row).to_contain_text("Stop this exercise for today")
    assert_same_page(page, "saying an exercise hurt")
    watch.settle()

    # Following along: the timer's script, its beep and the next exercise swapped in.
    page.get_by_role("link", name="Follow along with timers, one at a time").click()
    expect(page.get_by_text("Exercise 2 of 10")).to_be_visible()
    page.get_by_label("Beep").check()
    page.get_by_role("button", name="Start", exact=True).click()
    seconds = page.get_by_role("timer")
    expect(seconds).to_have_text(re.compile(r"^\d+$"))
    expect(seconds).not_to_have_text(seconds.inner_text())
    mark_same_page(page)
    with page.expect_response(re.compile(r"/follow-along/\d+/$")) as step:
        page.get_by_role("button", name=re.compile(r"^Done\b")).click()
    assert step.value.request.headers.get("hx-request") == "true"
    assert_strict_policy(step.value)
    expect(page.get_by_text("Exercise 3 of 10")).to_be_visible()
    assert_same_page(page, "moving on to the next exercise")
    watch.settle()

    for path, heading in [
        ("/history/", "Your history"),
        ("/programme/", None),
        ("/exercises/", None),
        ("/exercises/bird-dog/", "Bird-dog"),
        ("/safety/", None),
        ("/learn/", "Learn about back and hip pain"),
        ("/learn/stretch-not-pain/", "A stretch, not pain"),
        ("/progress/", "Your progress"),
    ]:
        watch.visit(path)
        if heading:
            expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
    # The stylesheet applied: the policy allows it from this site.
    assert page.evaluate("document.styleSheets.length") >= 1
    watch.assert_clean()


def test_a_physios_pages_and_htmx_sorting_work_under_the_policy(
    watch: PolicyWatch, physio, patient, assigned
):
    finished_session(patient, days_ago=2, pain_before=5, pain_after=3)
    page = watch.page
    sign_in(watch, physio, lands_on="/patients/")
    expect(page.get_by_role("heading", name="Your patients", level=1)).to_be_visible()

    controls = page.get_by_role("navigation", name="Show and sort patients")
    mark_same_page(page)
    with page.expect_response(re.compile(r"/patients/\?show=all&sort=name$")) as swapped:
        controls.get_by_role("link", name="Name", exact=True).click()
    assert swapped.value.request.headers.get("hx-request") == "true"
    assert_strict_policy(swapped.value)
    expect(page).to_have_url(re.compile(r"/patients/\?show=all&sort=name$"))
    expect(controls.get_by_role("link", name="Name", exact=True)).to_have_attribute(
        "aria-current", "true"
    )
    expect(page.locator("p.result-count")).to_contain_text("sorted by name")
    assert_same_page(page, "sorting the caseload")
    watch.settle()

    page.locator("li.patient-card").get_by_role("link", name="Pat Lee").click()
    expect(page.get_by_role("heading", name="Pat Lee", level=1)).to_be_visible()
    watch.settle()
    page.get_by_role("link", name="Change the programme").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Change the programme"))).to_be_visible()
    watch.settle()

    watch.visit("/patients/invitations/")
    expect(page.get_by_role("heading", name="Invite a patient", level=1)).to_be_visible()
    watch.visit("/account/two-step/")
    expect(page.get_by_role("heading", name="Two-step verification", level=1)).to_be_visible()
    watch.visit("/account/two-step/setup/")
    expect(page.get_by_role("img", name="QR code to scan with your app")).to_be_visible()
    watch.assert_clean()


def test_an_admin_sets_up_two_step_and_uses_the_admin_under_the_policy(
    watch: PolicyWatch, staff_admin
):
    page = watch.page
    sign_in(watch, staff_admin, lands_on="/account/two-step/setup/?next=/admin/", start="/admin/")
    expect(page.get_by_role("heading", name="Set up two-step verification")).to_be_visible()
    expect(page.get_by_role("img", name="QR code to scan with your app")).to_be_visible()
    key = page.locator(".secret-key code").inner_text().replace(" ", "")
    label(page, "Code").fill(app_code(key))
    page.get_by_role("button", name="Turn on two-step verification").click()
    expect(page.get_by_role("heading", name="Two-step verification is on")).to_be_visible()
    watch.settle()
    page.get_by_role("link", name="I have saved them: continue").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page.get_by_role("heading", name="Library and people")).to_be_visible()
    watch.settle()

    watch.visit("/admin/exercises/exercise/")
    page.locator("#result_list").get_by_role("link", name="Bird-dog", exact=True).click()
    expect(page.get_by_role("heading", name="Bird-dog")).to_be_visible()
    watch.settle()
    page.get_by_role("link", name="History").click()
    expect(page.locator("#change-history")).to_be_visible()
    watch.settle()

    watch.visit("/admin/accounts/user/")
    expect(page.locator("#result_list")).to_contain_text(staff_admin.username)
    watch.visit("/admin/accounts/user/add/")
    expect(label(page, "Username")).to_be_visible()
    # The admin's own stylesheets hide the password fields for a sign-in without one.
    password = page.get_by_role("textbox", name=re.compile(r"^Password:?$"))
    expect(password).to_be_visible()
    page.get_by_role("radio", name="Disabled").check()
    expect(password).to_be_hidden()
    watch.settle()
    watch.assert_clean()


def test_the_not_found_page_works_under_the_policy(watch: PolicyWatch, patient):
    page = watch.page
    watch.visit("/no-such-page/", status=404)
    expect(page.get_by_role("heading", name="We could not find that page")).to_be_visible()
    sign_in(watch, patient, lands_on="/today/")
    watch.visit("/exercises/no-such-exercise/", status=404)
    expect(page.get_by_role("heading", name="We could not find that page")).to_be_visible()
    # A missing page logs its 404 to the console; nothing more may be reported.
    others = [m for m in watch.console if m.startswith("error:") and "404" not in m]
    assert others == []
    watch.assert_clean()
