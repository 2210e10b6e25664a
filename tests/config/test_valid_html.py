"""Every main page is valid HTML, as the Nu HTML Checker (vnu) reads it.

The pages of each role (signed out, patient, physio, admin) are rendered through
the test client on the demo data, with the htmx fragments a page swaps in, and
checked in one run of vnu: Java starts slowly, so once for all. `make test`
installs vnu (npm's vnu-jar, pinned in package-lock.json) and a Java runtime.
"""

import io
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.models import Invitation, User
from config.views import TOPICS
from exercises.models import Exercise
from tests.conftest import signed_in
from tracking.models import SafetyCheck, Session

VNU = Path(settings.BASE_DIR) / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
HTMX = {"HX-Request": "true"}
# An htmx fragment is checked inside the smallest document that can hold it.
DOCUMENT = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Fragment</title></head>'
    "<body>{}</body></html>"
)


@dataclass(frozen=True)
class Page:
    name: str
    client: Client
    url: str
    htmx: bool = False


@pytest.fixture
def demo(db, settings):
    settings.DEBUG = True
    call_command("demo_data", stdout=io.StringIO())


def render(page: Page) -> tuple[str, str]:
    """The page's name and its HTML, a fragment inside a document of its own."""
    response = page.client.get(page.url, headers=HTMX if page.htmx else {})
    assert response.status_code in (200, 403, 404), (page.name, response.status_code)
    html = response.content.decode()
    if page.htmx:
        assert "<html" not in html, f"{page.name} is a whole document"
        return page.name, DOCUMENT.format(html)
    assert html.lstrip().lower().startswith("<!doctype html>"), page.name
    return page.name, html


def signed_out_pages() -> list[tuple[str, str]]:
    client = Client()
    invitation = Invitation(email="new@example.com", invited_by=User.objects.get(username="physio"))
    token = invitation.new_token()
    invitation.save()
    urls = [
        reverse("login"),
        reverse("password_reset"),
        reverse("password_reset_done"),
        reverse("password_reset_confirm", args=["MQ", "set-password"]),
        reverse("password_reset_complete"),
        reverse("safety"),
        reverse("learn"),
        *[reverse("learn-topic", args=[topic]) for topic in TOPICS],
        reverse("accounts:accept", args=[token]),
        "/no-such-page/",
    ]
    return [render(Page(f"signed out {url}", client, url)) for url in urls]


def patient_pages() -> list[tuple[str, str]]:
    alice = User.objects.get(username="alice")
    client = signed_in(alice)
    finished = Session.objects.for_patient(alice).finished().order_by("-started_at").first()
    assert finished is not None
    check = SafetyCheck.answer(alice, [])
    exercise = Exercise.objects.order_by("order").first()
    assert exercise is not None
    urls = [
        reverse("tracking:today"),
        reverse("tracking:history"),
        reverse("tracking:progress"),
        reverse("tracking:progress") + "?range=all",
        reverse("tracking:programme"),
        reverse("tracking:check-in"),
        reverse("tracking:check-in-result", args=[check.pk]),
        reverse("tracking:start"),
        reverse("tracking:programme-exercise", args=["glute-bridge"]),
        finished.get_absolute_url(),
        reverse("tracking:my-data"),
        reverse("tracking:erase"),
        reverse("exercises:routine"),
        reverse("exercises:detail", args=[exercise.slug]),
        reverse("exercises:version", args=[exercise.history.first().history_id]),
        reverse("password_change"),
        reverse("password_change_done"),
    ]
    pages = [Page(f"patient {url}", client, url) for url in urls]
    pages.append(
        Page("patient progress fragment", client, reverse("tracking:progress") + "?range=12w", True)
    )

    # A session under way, and one that ended with more pain than it began.
    ben = User.objects.get(username="ben")
    ben_client = signed_in(ben)
    SafetyCheck.answer(ben, [])
    under_way, _ = Session.start(ben, pain_before=3)
    entry = under_way.entries.first()
    assert entry is not None
    pages += [
        Page("patient session under way", ben_client, under_way.get_absolute_url()),
        Page(
            "patient follow-along step",
            ben_client,
            reverse("tracking:guided-step", args=[under_way.pk, entry.pk]),
        ),
        Page(
            "patient exercise as the session gave it",
            ben_client,
            reverse("tracking:entry-exercise", args=[under_way.pk, entry.pk]),
        ),
    ]
    # A warning sign of each kind: its advice, and the form to take a mistake back.
    for username, sign in (("dev", "fever"), ("emma", "bladder_bowel")):
        person = User.objects.get(username=username)
        flagged = SafetyCheck.answer(person, [sign])
        url = reverse("tracking:check-in-result", args=[flagged.pk])
        pages.append(Page(f"patient check-in result, {sign}", signed_in(person), url))
    rendered = [render(page) for page in pages]  # before the session ends
    # Finished as a patient does, so the page also shows the message that says so.
    pain_went_up = ben_client.post(
        reverse("tracking:finish", args=[under_way.pk]), {"pain_after": 7}, follow=True
    ).content.decode()
    assert "Your pain went up" in pain_went_up
    return [*rendered, ("patient pain went up", pain_went_up)]


def physio_pages() -> list[tuple[str, str]]:
    physio = User.objects.get(username="physio")
    client = signed_in(physio, verified=True)
    alice = User.objects.get(username="alice")
    session = Session.objects.for_patient(alice).finished().order_by("-started_at").first()
    assert session is not None
    urls = [
        reverse("tracking:caseload"),
        reverse("tracking:patient", args=[alice.pk]),
        reverse("tracking:programme-edit", args=[alice.pk]),
        reverse("tracking:patient-session", args=[alice.pk, session.pk]),
        reverse("accounts:invitations"),
        reverse("accounts:two-step"),
    ]
    pages = [Page(f"physio {url}", client, url) for url in urls]
    progress = reverse("tracking:patient-progress", args=[alice.pk]) + "?range=12w"
    pages += [
        Page("physio patient progress fragment", client, progress, True),
    ]
    return [render(page) for page in pages]


def admin_pages() -> list[tuple[str, str]]:
    """The index, and each model's list, add form and first object's change form."""
    client = signed_in(User.objects.get(username="admin"))
    urls = [reverse("admin:index"), reverse("accounts:two-step")]
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls += [reverse(f"{prefix}_changelist"), reverse(f"{prefix}_add")]
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            urls.append(reverse(f"{prefix}_change", args=[first.pk]))
    return [render(Page(f"admin {url}", client, url)) for url in urls]


def vnu_errors(files: list[Path]) -> list[dict]:
    assert VNU.exists(), f"{VNU} is missing: run `npm ci` (make test does)"
    java = shutil.which("java")
    assert java, "no Java runtime: install default-jre-headless (make test does)"
    result = subprocess.run(  # noqa: S603 - the pinned checker, over files this test wrote
        [java, "-jar", str(VNU), "--errors-only", "--format", "json", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.stderr.lstrip().startswith("{"), f"vnu did not run:\n{result.stderr[-2000:]}"
    return json.loads(result.stderr)["messages"]


def test_every_main_page_of_every_role_is_valid_html(demo, tmp_path):
    # The physio's first, so that the patient's "Your data" lists their visits.
    pages = physio_pages() + signed_out_pages() + patient_pages() + admin_pages()
    names: dict[str, str] = {}
    for number, (name, html) in enumerate(pages):
        path = tmp_path / f"page-{number:03}.html"
        path.write_text(html)
        names[path.name] = name

    errors = vnu_errors(sorted(tmp_path.glob("page-*.html")))

    found = [
        f"{names.get(error.get('url', '').rpartition('/')[2], error.get('url'))}"
        f":{error.get('lastLine')}: {error.get('message')}  [{error.get('extract', '').strip()}]"
        for error in errors
    ]
    assert found == [], "\n" + "\n".join(found)
