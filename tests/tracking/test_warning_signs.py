"""One list of warning signs: every page that names one renders it from
tracking/safety.py, with the advice that list gives it."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template import TemplateSyntaxError, engines
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from tracking.models import SafetyCheck
from tracking.safety import BY_CODE, FORMER_FLAGS, RED_FLAGS, URGENT_REASONS

# The sentences urgent advice turns on, written out: get help now, an emergency for the
# signs of pressed nerves at the bottom of the spine, and no waiting when nerve
# symptoms worsen or spread, with "today" only as the outer limit.
GET_HELP_NOW = (
    'Get medical help now: call <a href="tel:999">999</a> '
    "or go to an emergency department straight away"
)
AN_EMERGENCY = "especially if you also have symptoms in both legs. That is an emergency."
NO_WAITING = "Do not wait to see if it settles: get seen straight away, today at the latest."
SOFTER = ("same day", "checking today", "needs checking")

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# Words that name a warning sign. A template may hold them only in its code (a tag, a
# variable, a comment): the signs themselves come from the list, through
# {% warning_signs %} or a flag's own fields.
SIGN_WORDS = re.compile(
    r"weakness|numb(ness)?\b|tingl|pins and needles|bladder|bowel|fever|chills|weight loss"
    r"|saddle|spreading|worst at night|daily activities|cauda equina",
    re.IGNORECASE,
)
CODE = re.compile(
    r"\{% comment %\}.*?\{% endcomment %\}|\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", re.DOTALL
)


def template_files() -> list[Path]:
    return sorted(path for path in TEMPLATES.rglob("*") if path.suffix in {".html", ".txt"})


def test_the_scan_finds_the_templates_it_should():
    names = {path.relative_to(TEMPLATES).as_posix() for path in template_files()}

    assert {"tracking/start.html", "tracking/_pain_rose_advice.html", "safety.html"} <= names


@pytest.mark.parametrize(
    "path", template_files(), ids=lambda path: path.relative_to(TEMPLATES).as_posix()
)
def test_no_template_names_a_warning_sign_in_words_of_its_own(path):
    text = CODE.sub("", path.read_text())

    named = [match.group(0) for match in SIGN_WORDS.finditer(text)]

    assert named == [], f"{path.name} names signs itself: render them from tracking/safety.py"


def test_the_scan_would_catch_a_hand_written_sign():
    written = '<p class="note">If you have new weakness in your legs, stop.</p>'

    assert SIGN_WORDS.search(CODE.sub("", written))


def test_a_page_cannot_name_a_sign_the_list_does_not_hold():
    template = engines["django"].from_string(
        '{% load tracking %}{% warning_sign "sore_toe" as flag %}{{ flag.question }}'
    )

    with pytest.raises((KeyError, TemplateSyntaxError)):
        template.render({})


def test_the_start_page_shows_the_urgent_signs_from_the_list_and_links_the_rest(
    patient_client, patient
):
    SafetyCheck.answer(patient, [])

    html = patient_client.get(reverse("tracking:start")).content.decode()

    for flag in RED_FLAGS:
        assert (f"<li>{escape(flag.question)}.</li>" in html) is flag.urgent, flag.code
    assert f'<a href="{reverse("safety")}">The other warning signs' in html
    assert "new weakness or numbness in your legs" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("slug", ["back-and-hip", "moving-helps", "stretch-not-pain"])
def test_the_learn_pages_name_the_urgent_signs_from_the_list(slug):
    html = Client().get(reverse("learn-topic", args=[slug])).content.decode()

    for flag in RED_FLAGS:
        assert (f"<li>{escape(flag.question)}.</li>" in html) is flag.urgent, flag.code


@pytest.mark.django_db
def test_spreading_symptoms_on_the_learn_page_get_the_lists_advice():
    html = Client().get(reverse("learn-topic", args=["stretch-not-pain"])).content.decode()

    spreading = BY_CODE["spreading"]
    assert escape(spreading.question.lower()) in html
    assert spreading.urgent
    assert NO_WAITING in html


def test_the_start_page_never_hides_the_signs_behind_a_click(patient_client, patient):
    SafetyCheck.answer(patient, [])

    html = patient_client.get(reverse("tracking:start")).content.decode()

    assert "<details" not in html
    assert "<summary" not in html


# Words that promise the physio is told at once: they see it at their next sign-in.
OVER_PROMISES = re.compile(
    r"ha(s|ve) been told|will be told|we( have|'ve)? let|let your physio know"
    r"|ha(s|ve) been (informed|notified|alerted)",
    re.IGNORECASE,
)


def test_no_page_or_message_promises_more_than_the_app_does():
    root = Path(settings.BASE_DIR)
    code = [
        path
        for app in ("accounts", "audit", "config", "exercises", "tracking")
        for path in (root / app).rglob("*.py")
        if "migrations" not in path.parts
    ]

    promising = [
        path.relative_to(root).as_posix()
        for path in [*template_files(), *code]
        if OVER_PROMISES.search(path.read_text())
    ]

    assert promising == []


def test_every_urgent_sign_says_why_it_cannot_wait_and_no_other_sign_does():
    for flag in (*RED_FLAGS, *FORMER_FLAGS):
        reasons = [reason for reason in URGENT_REASONS if flag.code in reason.codes]
        assert len(reasons) == (1 if flag.urgent else 0), flag.code


@pytest.mark.parametrize("only", ["", "urgent"])
def test_the_urgent_signs_say_get_help_now_and_why_it_cannot_wait(settings, only):
    settings.EMERGENCY_NUMBER = "999"
    template = engines["django"].from_string("{% load tracking %}{% warning_signs only=only %}")

    html = template.render({"only": only})

    assert GET_HELP_NOW in html
    assert AN_EMERGENCY in html
    assert NO_WAITING in html
    assert html.count("today at the latest") == 1
    for softer in SOFTER:
        assert softer not in html


@pytest.mark.django_db
@pytest.mark.parametrize("slug", ["back-and-hip", "moving-helps", "stretch-not-pain"])
def test_the_learn_pages_say_get_help_now(slug, settings):
    settings.EMERGENCY_NUMBER = "999"

    html = Client().get(reverse("learn-topic", args=[slug])).content.decode()

    assert GET_HELP_NOW in html
    assert AN_EMERGENCY in html
