"""Following along in a real browser: the whole routine on a phone, hands-free between
taps, with timers shortened by GUIDED_SECOND_MS; "This hurt" in landscape; and the
plain pages without JavaScript."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_no_sideways_scroll, box_of
from tests.browser.test_logging_a_session import PAIN_AFTER, PAIN_BEFORE, choose_pain
from tests.browser.test_physio_review import sign_in
from tracking.models import Programme, Session

pytestmark = [
    pytest.mark.browser,
    # The live server needs committed data, so these tests are transactional.
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("migrated_data"),
]

LANDSCAPE_PHONE = {"width": 640, "height": 320}
# Which intervals are ticking: a timer swapped out of the page must stop.
COUNT_INTERVALS = """
window.__intervals = new Set();
const setEvery = window.setInterval, clearEvery = window.clearInterval;
window.setInterval = (...args) => { const id = setEvery(...args); __intervals.add(id); return id; };
window.clearInterval = (id) => { __intervals.delete(id); clearEvery(id); };
"""
STEP = re.compile(r"/sessions/\d+/follow-along/\d+/$")
# A second tap on Done a moment after the next exercise appears, timed in the page
# itself: from the test, the moment would depend on how busy the machine is.
TAP_DONE_AGAIN = """
document.body.addEventListener("htmx:load", function tapAgain(event) {
  const step = event.detail.elt;
  if (step.id !== "guided-step") return;
  document.body.removeEventListener("htmx:load", tapAgain);
  setTimeout(() => {
    const done = step.querySelector(".guided-outcome button[value=done]");
    window.__secondTap = done.disabled ? "refused" : "taken";
    done.click();
  }, 200);
});
"""


def start_with_timers(page: Page, live_server, patient, pain: int = 4) -> None:
    sign_in(page, live_server, patient, lands_on="/today/")
    page.get_by_role("link", name="Start a session").click()
    page.get_by_role("button", name="None of these").click()
    choose_pain(page, PAIN_BEFORE, pain)
    page.get_by_role("button", name="Start with timers, one at a time").click()
    expect(page).to_have_url(STEP)


def exercise_title(page: Page):
    return page.get_by_role("heading", level=1)


def timer_phase(page: Page):
    return page.locator("[data-phase-title]")


def test_a_patient_follows_the_whole_routine_on_a_phone(
    phone_page: Page, live_server, patient, settings
):
    # A third of a second per second at first: "Get into position" lasts 3 s, long
    # enough to be seen on a busy machine. The whole routine then runs much faster.
    settings.GUIDED_SECOND_MS = 300
    page = phone_page
    names = [item.exercise.name for item in Programme.for_patient(patient).items()]
    start_with_timers(page, live_server, patient)

    # One exercise per screen, with its timer: the script has taken over from the words.
    expect(exercise_title(page)).to_have_text(names[0])
    expect(page.get_by_text("Exercise 1 of 10")).to_be_visible()
    expect(page.get_by_text("Hold 5 s each time")).to_be_visible()
    expect(page.locator("[data-no-timer]")).to_be_hidden()
    seconds = page.get_by_role("timer")
    assert_no_sideways_scroll(page)

    # The countdown appears when started, and runs down.
    page.get_by_role("button", name="Start", exact=True).click()
    expect(timer_phase(page)).to_have_text("Get into position")
    expect(seconds).to_have_text(re.compile(r"^\d+$"))
    # Within the ten seconds to get ready, the number itself goes down.
    page.wait_for_function(
        "() => document.querySelector('[data-phase-title]').textContent === 'Get into position'"
        " && Number(document.querySelector('[data-seconds]').textContent) < 10"
    )
    expect(timer_phase(page)).to_have_text("Hold")
    expect(page.locator("[data-phase-detail]")).to_have_text(re.compile(r"^Rep \d+ of 10$"))

    # Paused, it stands still; resumed, it carries on.
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("button", name="Resume")).to_be_visible()
    held = (seconds.inner_text(), page.locator("[data-phase-detail]").inner_text())
    page.wait_for_timeout(900)  # 3 of the timer's seconds
    assert (seconds.inner_text(), page.locator("[data-phase-detail]").inner_text()) == held
    page.get_by_role("button", name="Resume").click()
    expect(page.get_by_role("button", name="Pause")).to_be_visible()
    expect(page.locator("[data-phase-detail]")).not_to_have_text(held[1])

    # Every exercise, hands-free between a Start and a Done: the first one afresh,
    # at the faster clock.
    settings.GUIDED_SECOND_MS = 4
    page.reload()
    for number, name in enumerate(names, 1):
        if number > 1:
            expect(exercise_title(page)).to_have_text(name)
            expect(page.get_by_text(f"Exercise {number} of 10")).to_be_visible()
            # The new exercise's name is where reading starts again.
            expect(exercise_title(page)).to_be_focused()
            expect(page).to_have_title(re.compile(rf"^{name}: exercise {number} of 10"))
        page.get_by_role("button", name="Start", exact=True).click()
        expect(timer_phase(page)).to_have_text("All done", timeout=20_000)
        if number == 1:  # once more from the top, as a patient may
            page.get_by_role("button", name="Start again").click()
            expect(page.locator("[data-timer]")).to_have_attribute("data-state", "running")
            expect(timer_phase(page)).to_have_text("All done", timeout=20_000)
        page.get_by_role("button", name=re.compile(r"^Done\b")).click()

    # Then the pain question, and the session is complete in the history.
    expect(page).to_have_url(re.compile(r"/finish/$"))
    expect(page.get_by_text("That was the last exercise. Well done!")).to_be_visible()
    choose_pain(page, PAIN_AFTER, 3)
    page.get_by_role("button", name="Save").click()
    page.get_by_role("link", name="History", exact=True).click()
    expect(page.locator(".session-summary").first).to_contain_text("10 of 10")
    session = Session.objects.for_patient(patient).get()
    assert session.is_finished
    assert all(entry.as_prescribed for entry in session.entries.all())
    # Pages swapped in by htmx are never kept in the browser's storage: health data.
    assert page.evaluate("sessionStorage.getItem('htmx-history-cache')") is None
    assert page.evaluate("localStorage.getItem('htmx-history-cache')") is None


def test_this_hurt_pauses_the_timer_and_says_to_stop_in_landscape(
    new_context, live_server, patient, settings
):
    settings.GUIDED_SECOND_MS = 200
    page = new_context(viewport=LANDSCAPE_PHONE).new_page()
    start_with_timers(page, live_server, patient, pain=3)

    # Turned sideways: the timer and the cues side by side, nothing off the screen.
    # (The timer is hidden until its script has shown it.)
    timer_box = box_of(page.locator(".guided-timer"))
    cues_box = box_of(page.locator(".guided-cues"))
    assert cues_box["x"] >= timer_box["x"] + timer_box["width"]
    assert_no_sideways_scroll(page, LANDSCAPE_PHONE["width"])

    # By keyboard: Start, then "This hurt", which pauses the count.
    start = page.get_by_role("button", name="Start", exact=True)
    start.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Pause")).to_be_focused()
    page.get_by_text("This hurt").click()
    expect(page.get_by_role("button", name="Resume")).to_be_visible()
    page.get_by_role("group", name=re.compile("How much does it hurt")).get_by_label(
        "7", exact=True
    ).check()
    phase = timer_phase(page).inner_text()
    page.get_by_role("button", name=re.compile(r"^Save.*hurt")).click()

    # The advice is read out first; the count is where it was, still paused.
    expect(page.locator(".advice--stop")).to_contain_text("Stop this exercise for today")
    expect(page.locator("#guided-record")).to_be_focused()
    expect(exercise_title(page)).to_have_text("Pelvic tilt")
    assert phase != "Ready when you are"
    expect(timer_phase(page)).to_have_text(phase)
    expect(page.get_by_role("button", name="Resume")).to_be_visible()
    entry = Session.objects.for_patient(patient).get().entries.get(order=1)
    assert entry.hurt == 7
    page.get_by_role("button", name=re.compile(r"^Skip\b")).click()
    expect(exercise_title(page)).to_have_text("Glute bridge")
    entry.refresh_from_db()
    assert entry.status == "skipped"


def test_without_javascript_it_is_plain_pages_one_exercise_at_a_time(
    no_script_page: Page, live_server, patient
):
    page = no_script_page
    start_with_timers(page, live_server, patient)

    expect(exercise_title(page)).to_have_text("Pelvic tilt")
    expect(page.get_by_text("Go at your own pace, counting each hold slowly")).to_be_visible()
    expect(page.get_by_role("timer")).to_have_count(0)  # hidden: no script to run it
    page.get_by_role("button", name=re.compile(r"^Done\b")).click()
    expect(exercise_title(page)).to_have_text("Glute bridge")
    page.get_by_role("button", name=re.compile(r"^Skip\b")).click()
    expect(exercise_title(page)).to_have_text("Dead bug")
    page.get_by_role("link", name="Back to Glute bridge").click()
    expect(page.get_by_text("You skipped this one.")).to_be_visible()

    page.get_by_role("link", name="Finish now and rate your pain").click()
    choose_pain(page, PAIN_AFTER, 4)
    page.get_by_role("button", name="Save").click()
    statuses = Session.objects.for_patient(patient).get().entries.values_list("status", flat=True)
    assert list(statuses[:3]) == ["done", "skipped", "todo"]


def test_start_again_and_a_double_tap_do_not_run_away(new_context, live_server, patient, settings):
    settings.GUIDED_SECOND_MS = 300  # "Get into position" lasts 3 s
    # A tall screen: the next exercise's Done lands right under the finger.
    page = new_context(viewport={"width": 1280, "height": 1400}).new_page()
    page.add_init_script(COUNT_INTERVALS)
    start_with_timers(page, live_server, patient)
    first_step = page.url
    seconds = page.get_by_role("timer")

    # Start, start again, pause: the count stands still.
    page.get_by_role("button", name="Start", exact=True).click()
    expect(seconds).to_have_text(re.compile(r"^\d+$"))
    page.get_by_role("button", name="Start again").click()
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("button", name="Resume")).to_be_visible()
    held = seconds.inner_text()
    page.wait_for_timeout(900)  # 3 of the timer's seconds
    assert seconds.inner_text() == held
    expect(timer_phase(page)).to_have_text("Get into position")

    # Done while counting, then a second tap just after the next exercise appears:
    # it records nothing, and the old exercise's timer stops with it.
    page.get_by_role("button", name="Resume").click()
    page.evaluate(TAP_DONE_AGAIN)
    done = page.get_by_role("button", name=re.compile(r"^Done\b"))
    done.click()
    expect(exercise_title(page)).to_have_text("Glute bridge")
    page.wait_for_function("() => window.__secondTap !== undefined")
    # Once the buttons take taps again, anything the second tap sent has been answered.
    expect(done).to_be_enabled()
    expect(page.locator(".htmx-request")).to_have_count(0)
    entries = Session.objects.for_patient(patient).get().entries.order_by("order")
    assert [entry.status for entry in entries[:2]] == ["done", "todo"]
    expect(exercise_title(page)).to_have_text("Glute bridge")
    page.wait_for_function("() => window.__intervals.size === 0")
    # A moment later, Done works again; Back returns to the first, at its own address.
    done.click()
    expect(exercise_title(page)).to_have_text("Dead bug")
    page.get_by_role("link", name="Back to Glute bridge").click()
    page.get_by_role("link", name="Back to Pelvic tilt").click()
    expect(exercise_title(page)).to_have_text("Pelvic tilt")
    expect(page).to_have_url(first_step)
    assert page.evaluate("sessionStorage.getItem('htmx-history-cache')") is None
