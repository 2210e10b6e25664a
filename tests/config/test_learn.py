"""The public reading: the learn pages, the warning signs, and the footer that says
what BackTrack is and is not."""

import pytest
from django.template import engines
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from config.views import TOPICS
from tests.conftest import signed_in
from tests.tracking.test_safety_check_in import CONTACT_WITHIN, URGENT_CODES
from tracking.models import SafetyCheck, Session
from tracking.safety import RED_FLAGS

pytestmark = pytest.mark.django_db

FOOTER = "education and exercise support, not a diagnosis"


def test_the_learn_page_is_public_and_links_every_topic():
    response = Client().get(reverse("learn"))

    html = response.content.decode()
    assert response.status_code == 200
    for slug, title in TOPICS.items():
        assert f'<a href="{reverse("learn-topic", args=[slug])}">{escape(title)}</a>' in html
    assert reverse("safety") in html


@pytest.mark.parametrize("slug", list(TOPICS))
def test_each_topic_is_public_with_its_title_and_a_way_to_the_warning_signs(slug):
    response = Client().get(reverse("learn-topic", args=[slug]))

    html = response.content.decode()
    assert response.status_code == 200
    assert f"<h1>{escape(TOPICS[slug])}</h1>" in html
    assert reverse("safety") in html


@pytest.mark.parametrize("slug", ["no-such-topic", "index", "_topic"])
def test_a_topic_that_does_not_exist_is_not_found(slug):
    response = Client().get(reverse("learn-topic", args=[slug]))

    assert response.status_code == 404


def test_the_safety_page_is_public_and_puts_each_sign_under_its_advice(settings):
    settings.EMERGENCY_NUMBER = "999"

    response = Client().get(reverse("safety"))

    html = response.content.decode()
    urgent, contact = html.split('id="contact-title"')
    assert response.status_code == 200
    assert 'href="tel:999"' in urgent
    assert "Get emergency care now" in urgent
    assert 'Get medical help now: call <a href="tel:999">999</a>' in urgent
    assert "That is an emergency." in urgent
    assert "get seen straight away, today at the latest." in urgent
    assert "same day" not in html
    assert {flag.code for flag in RED_FLAGS} == URGENT_CODES | CONTACT_WITHIN.keys()
    for flag in RED_FLAGS:
        if flag.code in URGENT_CODES:
            line = f"<li>{escape(flag.question)}.</li>"
            assert (line in urgent, line in contact) == (True, False), flag.code
        else:
            line = f"<li>{escape(flag.question)}: contact them {CONTACT_WITHIN[flag.code]}.</li>"
            assert (line in urgent, line in contact) == (False, True), flag.code


def test_the_safety_page_shows_the_signs_as_every_other_page_does(settings):
    settings.EMERGENCY_NUMBER = "999"
    signs = engines["django"].from_string("{% load tracking %}{% warning_signs %}").render({})

    html = Client().get(reverse("safety")).content.decode()

    assert 'class="warning-signs"' in signs
    assert signs.strip() in html


def test_the_check_in_asks_every_warning_sign(patient_client):
    html = patient_client.get(reverse("tracking:check-in")).content.decode()

    assert html.count('type="checkbox" name="flags"') == len(RED_FLAGS)
    for flag in RED_FLAGS:
        assert f'value="{flag.code}"' in html
        assert escape(flag.question) in html


def test_every_full_page_a_patient_sees_says_it_is_not_a_diagnosis(patient):
    client = signed_in(patient)
    flagged = SafetyCheck.answer(patient, ["fever"])
    flagged.withdraw()  # ticked by mistake: the advice page stays, exercising opens again
    start_page = client.get(reverse("tracking:start"))  # before a session is open
    session, _ = Session.start(patient, pain_before=4)
    entry = session.entries.get(order=1)
    pages = [
        reverse("tracking:today"),
        reverse("tracking:history"),
        reverse("tracking:progress"),
        reverse("tracking:programme"),
        reverse("tracking:check-in"),
        flagged.get_absolute_url(),
        session.get_absolute_url(),
        reverse("tracking:entry", args=[session.pk, entry.pk]),
        reverse("tracking:entry-hurt", args=[session.pk, entry.pk]),
        reverse("tracking:finish", args=[session.pk]),
        reverse("tracking:discard", args=[session.pk]),
        reverse("tracking:my-data"),
        reverse("exercises:routine"),
        reverse("learn"),
        reverse("learn-topic", args=["moving-helps"]),
        reverse("safety"),
    ]

    responses = {url: client.get(url) for url in pages}
    responses[reverse("tracking:start")] = start_page

    assert {url: r.status_code for url, r in responses.items()} == dict.fromkeys(responses, 200)
    assert [url for url, r in responses.items() if FOOTER not in r.content.decode()] == []
