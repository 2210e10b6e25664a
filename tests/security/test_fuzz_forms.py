"""Every form, fuzzed through HTTP: whatever is posted, the server never fails.

Each form is posted 200 times by Hypothesis (as the Hypothesis profile says: 200
by default and in CI's SQLite pass, fewer in its PostgreSQL pass; see
tests/conftest.py) to the real address that serves it, by someone allowed to use
it, so the whole view runs: the form's
validation, the models' constraints and the database. Each example starts from
the post the page itself would send and changes some of its fields to: NUL
bytes, odd unicode (every code point but the surrogates, and a list of known
troublemakers), very long strings (1,000 to 20,000 characters), negative and
huge whole numbers, floats (nan and inf too), empty values, several values for
one field, a file where text belongs, or nothing at all. Unknown fields are
added, and the body goes as multipart or urlencoded, with or without htmx's
HX-Request header. The few buttons without fields (an exercise done or skipped,
a session discarded, leaving a patient's care) get the same junk in their body.

What is checked: every response is below 500. The test client re-raises a
view's exception, so a failure shows its traceback. Where it is cheap, a
refused form is also checked to have answered as a refusal (200 or 400) and to
have changed nothing it protects.

Examples do not depend on each other: the database lasts for the whole of one
test, so each example fetches afresh what it posts about (and starts a new
session, invitation or device where an earlier one may have used it up).

Sign-in keeps django-axes on, so its code sees the junk too; each example
starts with its record of failed sign-ins cleared, so a lockout left by an
earlier example cannot hide the form. Rate limiting is switched off so that
every example reaches the view.
"""

import enum
import itertools
import operator
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest
from axes.utils import reset as forget_failed_sign_ins
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck, Phase, event, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts.models import Assignment, Invitation, Role, User
from exercises.models import Exercise
from tests.conftest import (
    FORM_EXAMPLES,
    HYPOTHESIS_PROFILE,
    PASSWORD,
    current_code,
    finished_session,
    programme_post,
    signed_in,
)
from tracking.forms import PAIN_ERROR
from tracking.models import (
    AlertAcknowledgement,
    AlertKind,
    Comment,
    Programme,
    SafetyCheck,
    Session,
)
from tracking.safety import RED_FLAGS

# As many examples per form as the loaded profile says (tests/conftest.py).
FUZZ = hypothesis_settings(
    max_examples=FORM_EXAMPLES[HYPOTHESIS_PROFILE],
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    # Not the "explain" phase: it reruns a failure many times over to annotate it,
    # which costs minutes on the slower forms, and the shrunk example says enough.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
)

# (form, the URL it is posted to): one test each, below.
FORMS_FUZZED = [
    ("SignInForm", "login"),
    ("TwoStepCodeForm", "accounts:two-step-verify"),
    ("TwoStepCodeForm", "accounts:two-step-setup"),
    ("TwoStepCodeForm", "accounts:two-step-off"),
    ("InviteForm", "accounts:invitations"),
    ("AcceptInvitationForm", "accounts:accept"),
    ("BackTrackPasswordResetForm", "password_reset"),
    ("PasswordChangeForm", "password_change"),
    ("SetPasswordForm", "password_reset_confirm"),
    ("StartSessionForm", "tracking:start"),
    ("FinishSessionForm", "tracking:finish"),
    ("EntryForm", "tracking:entry"),
    ("done and skip buttons", "tracking:entry-done, tracking:entry-skip"),
    ("SafetyCheckForm", "tracking:check-in"),
    ("HurtForm", "tracking:entry-hurt"),
    ("GuidedStepForm", "tracking:guided-step"),
    ("HurtForm", "tracking:guided-hurt"),
    ("discard button", "tracking:discard"),
    ("CommentForm", "tracking:comment"),
    ("CommentForm", "tracking:session-comment"),
    ("AcknowledgeForm", "tracking:acknowledge"),
    ("ProgrammeForm and ProgrammeExerciseForm", "tracking:programme-edit"),
    ("leave-out button", "tracking:leave-out"),
    ("ShareCareForm", "tracking:share-care"),
    ("leave-care button", "tracking:leave-care"),
    ("NewPersonForm", "admin:accounts_user_add"),
    ("Exercise change form", "admin:exercises_exercise_change"),
    ("EraseAccountForm", "tracking:erase"),
    ("EraseOnRequestForm", "admin:accounts_user_erase"),
]

STRONG = "plum-tree-orbit-42"
UNIQUE = itertools.count()


# What a field may hold.

CHARACTERS = st.characters(codec="utf-8")  # every code point that can be sent: no surrogates
SHORT_TEXT = st.text(CHARACTERS, max_size=40)
WITH_NUL = st.one_of(
    st.just("\x00"),
    st.builds(lambda before, after: f"{before}\x00{after}", SHORT_TEXT, SHORT_TEXT),
)
LONG_TEXT = st.one_of(
    st.text(CHARACTERS, min_size=1000, max_size=20000),
    st.builds(operator.mul, st.text(CHARACTERS, min_size=1, max_size=4), st.integers(1000, 5000)),
)
ODD = st.sampled_from(
    [
        "\u202e",  # right-to-left override
        "\ufeff",  # byte order mark
        "\u200b",  # zero-width space
        "e\u0301",  # a combining accent
        "🙂",
        "👩\u200d⚕️",
        "\U0001d7d8\U0001d7d9",  # mathematical double-struck digits
        "٣",  # an Arabic-Indic digit, which int() accepts
        "\uff11\uff12",  # full-width digits
        "Ⅻ",
        "\uffff",
        "\U0010ffff",
        "\r\n",
        "\r",
        "\t",
        " ",
        "\x0b",
        "\x7f",
        "\x1b[31m",
        "None",
        "null",
        "undefined",
        "true",
        "false",
        "on",
        "NaN",
        "-0",
        "1e309",
        "0x1f",
        "1_000",
        "+5",
        " 5 ",
        "5.0",
        "<script>alert(1)</script>",
        "{{ 7|add:7 }}",
        "' OR '1'='1",
        "%00",
        "../../etc/passwd",
        "@",
        "a@b",
        "x@[::1]",
        "Europe/London\x00",
        "../../../etc/localtime",
    ]
)
WHOLE_NUMBERS = st.one_of(
    st.integers(),
    st.integers(max_value=-1),
    st.sampled_from([-(2**63) - 1, -(2**31), -1, 0, 2**15, 2**31, 2**63, 10**100]),
).map(str)
FLOATS = st.floats().map(str)  # "nan", "inf", "-1e+300", "0.5", ...
SCALAR = st.one_of(st.just(""), SHORT_TEXT, WITH_NUL, ODD, WHOLE_NUMBERS, FLOATS, LONG_TEXT)
UPLOAD = st.builds(lambda content: SimpleUploadedFile("fuzz.txt", content), st.binary(max_size=64))


class Missing(enum.Enum):
    FIELD = "left out"


MISSING = Missing.FIELD


def posted(*good: str) -> st.SearchStrategy[object]:
    """One field as posted: a good value or junk, alone or several times, a file, or nothing."""
    one = st.one_of(st.sampled_from(good), SCALAR) if good else SCALAR
    return st.one_of(
        one, one, one, one, st.lists(one, min_size=2, max_size=4), st.just(MISSING), UPLOAD
    )


def changes(**fields: st.SearchStrategy[object]) -> st.SearchStrategy[dict[str, object]]:
    """Some of the form's fields (any number, all of them included) changed as `posted`."""
    return st.fixed_dictionaries({}, optional=fields)


@dataclass(frozen=True)
class Sending:
    """How an example is sent: htmx or not, the body's encoding, fields the form does not have."""

    htmx: bool
    urlencoded: bool
    extra: dict[str, object] = field(default_factory=dict)


SENDING = st.builds(
    Sending,
    htmx=st.booleans(),
    urlencoded=st.booleans(),
    extra=st.dictionaries(
        st.text(CHARACTERS, min_size=1, max_size=20),
        st.one_of(SCALAR, st.lists(SCALAR, max_size=3)),
        max_size=3,
    ),
)
# An id in a URL (written out by hand, as reverse() refuses what the URL's id
# converter does not match); None: the real one.
URL_ID = st.one_of(
    st.none(),
    st.none(),
    st.none(),
    st.integers(min_value=0, max_value=10**30),
    st.sampled_from([0, 2**31, 2**63 - 1, 2**63, 10**30]),
)
# Where to go after a form: paths, other sites, and words that are not paths at all.
NEXT = ("/today/", "https://evil.example/", "//evil.example/", "0", "home", "tracking:today")
# A plain post (no htmx, multipart, nothing extra), for the explicit examples below.
PLAIN = Sending(htmx=False, urlencoded=False)
BEYOND_SQLITE = str(2**63)  # one more than SQLite's largest integer


def fill(change: dict[str, object], **real: str) -> dict[str, object]:
    """`change` with each placeholder ("<name>") replaced by the real value only known now."""

    def one(value: object) -> object:
        if isinstance(value, str) and value.startswith("<") and value[1:-1] in real:
            return real[value[1:-1]]
        return [one(item) for item in value] if isinstance(value, list) else value

    return {name: one(value) for name, value in change.items()}


def send(
    client: Client, url: str, base: Mapping[str, object], change: Mapping[str, object], how: Sending
):
    """Post the page's own `base` with `change` applied and `how.extra` added; never a 5xx."""
    data: dict[str, object] = {**how.extra, **base}
    for name, value in change.items():
        if value is MISSING:
            data.pop(name, None)
        else:
            data[name] = value
    headers = {"HX-Request": "true"} if how.htmx else {}
    if how.urlencoded:
        pairs = [
            (name, value)
            for name, values in data.items()
            for value in (values if isinstance(values, list) else [values])
            if not isinstance(value, SimpleUploadedFile)
        ]
        response = client.post(
            url,
            urlencode(pairs),
            content_type="application/x-www-form-urlencoded",
            headers=headers,
        )
    else:
        response = client.post(url, data, headers=headers)
    assert response.status_code < 500
    event(f"answered {response.status_code}")  # shown by --hypothesis-show-statistics
    return response


@pytest.fixture(autouse=True)
def _every_example_reaches_the_view(settings):
    settings.RATELIMIT_ENABLE = False


@pytest.fixture
def admin_client(staff_admin) -> Client:
    return signed_in(staff_admin)


# A test whose examples cannot change the sign-in itself shares one signed-in client
# between them (patient_client, physio_client, admin_client): signing in afresh for
# each of 200 examples would double the run time. Those that can (two-step, passwords)
# sign in afresh for each example.


# Signing in and two-step verification.


@FUZZ
@given(
    change=changes(
        username=posted("pat", "PAT", "nobody"),
        password=posted(PASSWORD),
        remember=posted("on"),
        next=posted(*NEXT),
    ),
    how=SENDING,
)
def test_the_sign_in_form_never_fails_whatever_is_posted(patient, change, how):
    forget_failed_sign_ins()
    base = {"username": "pat", "password": PASSWORD, "remember": "on"}

    response = send(Client(), reverse("login"), base, change, how)

    assert response.status_code in (200, 302)
    signed_in_now = response.wsgi_request.user.is_authenticated
    assert signed_in_now == (response.status_code == 302)


CODES = ("<right code>", "<recovery code>", "000000", "123 456", "AAAA-BBBB", "1234567")


@pytest.fixture
def admin_phone(staff_admin) -> TOTPDevice:
    return TOTPDevice.objects.create(user=staff_admin, name="Phone")


@FUZZ
@given(change=changes(code=posted(*CODES), next=posted("/admin/", *NEXT)), how=SENDING)
@example(change={"code": "<right code>", "next": "0"}, how=PLAIN)  # found by fuzzing: a 500
def test_the_two_step_code_form_never_fails_when_signing_in(staff_admin, admin_phone, change, how):
    recovery, _ = StaticDevice.objects.get_or_create(user=staff_admin, name="Recovery codes")
    recovery.token_set.get_or_create(token="aaaabbbb")
    for device in (admin_phone, recovery):
        device.throttle_reset()  # so the code itself is checked, not only the pause after a miss
    client = signed_in(staff_admin, verified=False)
    change = fill(change, **{"right code": current_code(admin_phone), "recovery code": "aaaabbbb"})

    response = send(client, reverse("accounts:two-step-verify"), {"code": "123456"}, change, how)

    assert response.status_code in (200, 302, 400)  # 200: an empty post is no try at all
    if response.status_code != 302:
        assert not response.wsgi_request.user.is_verified()


@FUZZ
@given(change=changes(code=posted(*CODES), next=posted("/patients/", *NEXT)), how=SENDING)
def test_the_two_step_code_form_never_fails_when_setting_up(physio, change, how):
    TOTPDevice.objects.filter(user=physio).delete()
    StaticDevice.objects.filter(user=physio).delete()
    device = TOTPDevice.objects.create(user=physio, name="Authenticator app", confirmed=False)
    change = fill(change, **{"right code": current_code(device)})

    response = send(signed_in(physio), reverse("accounts:two-step-setup"), {}, change, how)

    assert response.status_code in (200, 400)
    device.refresh_from_db()
    if device.confirmed:  # the right code: the recovery codes are shown
        assert b"Two-step verification is on" in response.content
    else:
        assert not response.wsgi_request.user.is_verified()


@FUZZ
@given(change=changes(code=posted(*CODES)), how=SENDING)
def test_the_two_step_code_form_never_fails_when_turning_it_off(physio, change, how):
    phone = TOTPDevice.objects.filter(user=physio).first() or TOTPDevice.objects.create(
        user=physio, name="Phone"
    )
    recovery, _ = StaticDevice.objects.get_or_create(user=physio, name="Recovery codes")
    recovery.token_set.get_or_create(token="ccccdddd")
    for device in (phone, recovery):
        device.throttle_reset()
    client = signed_in(physio, verified=True)
    change = fill(change, **{"right code": current_code(phone), "recovery code": "ccccdddd"})

    response = send(client, reverse("accounts:two-step-off"), {"code": "123456"}, change, how)

    assert response.status_code in (302, 400)
    still_on = TOTPDevice.objects.filter(user=physio).exists()
    assert still_on == (response.status_code == 400)


# Invitations and passwords.


@FUZZ
@given(
    change=changes(
        email=posted("pat@example.com", "NEW@EXAMPLE.COM", "new@example.com "),
        first_name=posted("Nell"),
        last_name=posted("Gray"),
    ),
    how=SENDING,
)
def test_the_invitation_form_never_fails_whatever_is_posted(physio_client, patient, change, how):
    User.objects.filter(pk=patient.pk).update(email="pat@example.com")
    Invitation.objects.all().delete()  # else an example repeating one is a double post, kept once
    base = {"email": f"new.patient{next(UNIQUE)}@example.com", "first_name": "Nell"}
    before = Invitation.objects.count()

    response = send(physio_client, reverse("accounts:invitations"), base, change, how)

    assert response.status_code in (200, 302)
    made = Invitation.objects.count() - before
    assert made == (1 if response.status_code == 302 else 0)


@FUZZ
@given(
    change=changes(
        username=posted("nell", "pat", "a b", "x" * 151),
        first_name=posted("Nell"),
        last_name=posted("Gray"),
        password1=posted(STRONG, "short", "<username>"),
        password2=posted(STRONG, "short", "<username>"),
    ),
    how=SENDING,
)
def test_the_form_accepting_an_invitation_never_fails_whatever_is_posted(
    physio, patient, change, how
):
    number = next(UNIQUE)
    invitation = Invitation(email=f"invited{number}@example.com", invited_by=physio)
    token = invitation.new_token()
    invitation.save()
    username = f"nell{number}"
    base = {
        "username": username,
        "first_name": "Nell",
        "last_name": "Gray",
        "password1": STRONG,
        "password2": STRONG,
    }

    url = reverse("accounts:accept", args=[token])
    response = send(Client(), url, base, fill(change, username=username), how)

    assert response.status_code in (200, 302)
    made = User.objects.filter(email=invitation.email).exists()
    assert made == (response.status_code == 302)


@FUZZ
@given(change=changes(email=posted("PAT@example.com", "nobody@example.com")), how=SENDING)
def test_the_password_reset_form_never_fails_whatever_is_posted(patient, change, how):
    User.objects.filter(pk=patient.pk).update(email="pat@example.com")
    sent_before = len(mail.outbox)

    response = send(Client(), reverse("password_reset"), {"email": "pat@example.com"}, change, how)

    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert len(mail.outbox) == sent_before


def _with_the_password(user: User) -> User:
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


@FUZZ
@given(
    change=changes(
        old_password=posted(PASSWORD, "wrong"),
        new_password1=posted(STRONG, "short", "pat"),
        new_password2=posted(STRONG, "short", "pat"),
    ),
    how=SENDING,
)
def test_the_password_change_form_never_fails_whatever_is_posted(patient, change, how):
    client = signed_in(_with_the_password(patient))
    base = {"old_password": PASSWORD, "new_password1": STRONG, "new_password2": STRONG}

    response = send(client, reverse("password_change"), base, change, how)

    assert response.status_code in (200, 302)
    patient.refresh_from_db()
    assert patient.check_password(PASSWORD) == (response.status_code == 200)


# A part of a reset link, as someone might mangle it (a URL part has no slash).
LINK_PART = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_characters="/"), min_size=1, max_size=40),
    st.sampled_from(["\x00", "\r", "MQ", "-", "..", "%2F", "\u202e"]),
    WHOLE_NUMBERS,
)


@FUZZ
@given(
    change=changes(
        new_password1=posted(STRONG, "short", "pat"),
        new_password2=posted(STRONG, "short", "pat"),
    ),
    link=st.one_of(st.none(), st.tuples(LINK_PART, LINK_PART)),
    how=SENDING,
)
def test_the_new_password_form_of_a_reset_link_never_fails_whatever_is_posted(
    patient, change, link, how
):
    _with_the_password(patient)
    uid, token = link or (
        urlsafe_base64_encode(force_bytes(patient.pk)),
        default_token_generator.make_token(patient),
    )
    client = Client()
    opened = client.get(reverse("password_reset_confirm", args=[uid, token]))
    # 302: on to the form, the token kept in the session. For a mangled link, 301 (a "#"
    # cuts the path short of its slash) or 404 (a path past recognition).
    assert opened.status_code in (200, 301, 302, 404)
    url = opened["Location"] if opened.status_code in (301, 302) else opened.wsgi_request.path
    base = {"new_password1": STRONG, "new_password2": STRONG}

    response = send(client, url, base, change, how)

    assert response.status_code in (200, 301, 302, 404)
    patient.refresh_from_db()
    assert patient.check_password(PASSWORD) == (response.status_code != 302)


# A patient logs a session.

PAIN = tuple(str(n) for n in range(11))


@FUZZ
@given(
    change=changes(pain_before=posted(*PAIN), guided=posted("on", "")),
    none_open=st.booleans(),
    how=SENDING,
)
def test_the_start_session_form_never_fails_whatever_is_posted(
    patient, patient_client, checked_in, change, none_open, how
):
    if none_open:
        Session.objects.filter(patient=patient, finished_at__isnull=True).delete()
    before = Session.objects.filter(patient=patient).count()

    response = send(patient_client, reverse("tracking:start"), {"pain_before": "4"}, change, how)

    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert Session.objects.filter(patient=patient).count() == before
    else:
        assert Session.objects.filter(patient=patient).in_progress().exists()


@FUZZ
@given(
    change=changes(
        pain_after=posted(*PAIN),
        notes=posted("Felt fine", "x" * 2000, "x\r\n" * 1000),
        flagged=posted("on"),
    ),
    how=SENDING,
)
def test_the_finish_session_form_never_fails_whatever_is_posted(
    patient, patient_client, change, how
):
    session, _ = Session.start(patient, pain_before=5)
    base = {"pain_after": "3", "notes": "Felt fine", "flagged": "on"}

    url = reverse("tracking:finish", args=[session.pk])
    response = send(patient_client, url, base, change, how)

    assert response.status_code in (200, 302)
    session.refresh_from_db()
    assert session.is_finished == (response.status_code == 302)


ENTRY_FIELDS = ("status", "sets_done", "reps_done", "effort")


@FUZZ
@given(
    change=changes(
        status=posted("done", "skipped", "todo"),
        sets_done=posted("1", "10", "11", "0"),
        reps_done=posted("1", "50", "51", "0"),
        effort=posted("too_easy", "about_right", "too_hard"),
    ),
    which=st.integers(min_value=0),
    how=SENDING,
)
def test_the_entry_form_never_fails_whatever_is_posted(
    patient, patient_client, checked_in, change, which, how
):
    session, _ = Session.start(patient, pain_before=5)
    entries = list(session.entries.order_by("pk"))
    entry = entries[which % len(entries)]
    saved = model_to_dict(entry, fields=ENTRY_FIELDS)
    base = {"status": "done", "sets_done": "1", "reps_done": "10", "effort": "about_right"}

    url = reverse("tracking:entry", args=[session.pk, entry.pk])
    response = send(patient_client, url, base, change, how)

    assert response.status_code in (200, 302)
    if response.status_code == 200 and not how.htmx:  # refused: nothing saved
        entry.refresh_from_db()
        assert model_to_dict(entry, fields=ENTRY_FIELDS) == saved


@FUZZ
@given(
    change=changes(status=posted("done"), sets_done=posted("3")),
    button=st.sampled_from(["tracking:entry-done", "tracking:entry-skip"]),
    which=st.integers(min_value=0),
    session_id=URL_ID,
    entry_id=URL_ID,
    how=SENDING,
)
@example(  # found by fuzzing: a 500
    change={}, button="tracking:entry-done", which=0, session_id=2**63, entry_id=None, how=PLAIN
)
def test_the_done_and_skip_buttons_never_fail_whatever_is_posted(
    patient, patient_client, checked_in, change, button, which, session_id, entry_id, how
):
    session, _ = Session.start(patient, pain_before=5)
    entries = list(session.entries.order_by("pk"))
    entry = entries[which % len(entries)]
    args = [
        session.pk if session_id is None else session_id,
        entry.pk if entry_id is None else entry_id,
    ]

    action = button.removeprefix("tracking:entry-")
    url = f"/sessions/{args[0]}/entries/{args[1]}/{action}/"
    response = send(patient_client, url, {}, change, how)

    assert response.status_code in (200, 302, 404)


@FUZZ
@given(
    change=changes(flags=posted(*(flag.code for flag in RED_FLAGS)), answer=posted("none", "some")),
    how=SENDING,
)
def test_the_safety_check_in_form_never_fails_whatever_is_posted(
    patient, patient_client, change, how
):
    before = SafetyCheck.objects.filter(patient=patient).count()

    response = send(patient_client, reverse("tracking:check-in"), {"answer": "none"}, change, how)

    assert response.status_code in (200, 302)
    if response.status_code == 200:  # refused: nothing kept
        assert SafetyCheck.objects.filter(patient=patient).count() == before


@FUZZ
@given(change=changes(hurt=posted(*PAIN)), which=st.integers(min_value=0), how=SENDING)
def test_the_this_hurt_form_never_fails_whatever_is_posted(
    patient, patient_client, change, which, how
):
    session, _ = Session.start(patient, pain_before=5)
    entries = list(session.entries.order_by("pk"))
    entry = entries[which % len(entries)]
    saved = entry.hurt  # the session stays open from one example to the next

    url = reverse("tracking:entry-hurt", args=[session.pk, entry.pk])
    response = send(patient_client, url, {"hurt": "6"}, change, how)

    assert response.status_code in (200, 302)
    if response.status_code == 200 and not how.htmx:  # refused: nothing saved
        entry.refresh_from_db()
        assert entry.hurt == saved


@FUZZ
@given(
    change=changes(outcome=posted("done", "skipped")),
    which=st.integers(min_value=0),
    session_id=URL_ID,
    entry_id=URL_ID,
    how=SENDING,
)
def test_the_follow_along_step_never_fails_whatever_is_posted(
    patient, patient_client, checked_in, change, which, session_id, entry_id, how
):
    session, _ = Session.start(patient, pain_before=5)
    entries = list(session.entries.order_by("pk"))
    entry = entries[which % len(entries)]
    saved = (entry.status, entry.sets_done)  # the session stays open from one example to the next
    args = [
        session.pk if session_id is None else session_id,
        entry.pk if entry_id is None else entry_id,
    ]

    url = f"/sessions/{args[0]}/follow-along/{args[1]}/"
    response = send(patient_client, url, {"outcome": "done"}, change, how)

    assert response.status_code in (200, 302, 404)
    moved_on = "HX-Push-Url" in response or "HX-Redirect" in response
    if response.status_code in (200, 404) and not moved_on:  # refused: nothing saved
        entry.refresh_from_db()
        assert (entry.status, entry.sets_done) == saved


@FUZZ
@given(change=changes(hurt=posted(*PAIN)), which=st.integers(min_value=0), how=SENDING)
def test_the_this_hurt_form_when_following_along_never_fails_whatever_is_posted(
    patient, patient_client, change, which, how
):
    session, _ = Session.start(patient, pain_before=5)
    entries = list(session.entries.order_by("pk"))
    entry = entries[which % len(entries)]
    saved = entry.hurt

    url = reverse("tracking:guided-hurt", args=[session.pk, entry.pk])
    response = send(patient_client, url, {"hurt": "6"}, change, how)

    assert response.status_code in (200, 302)
    if PAIN_ERROR in response.content.decode():  # refused: nothing saved
        entry.refresh_from_db()
        assert entry.hurt == saved


@FUZZ
@given(change=changes(confirm=posted("yes")), session_id=URL_ID, how=SENDING)
def test_the_discard_button_never_fails_whatever_is_posted(
    patient, patient_client, change, session_id, how
):
    session, _ = Session.start(patient, pain_before=5)
    url = f"/sessions/{session.pk if session_id is None else session_id}/discard/"

    response = send(patient_client, url, {}, change, how)

    assert response.status_code in (302, 404)


# A physio reviews a patient.

COMMENT = posted("Keep going", "x" * 2000, "x\r\n" * 1000)


@FUZZ
@given(change=changes(body=COMMENT), how=SENDING)
def test_the_comment_form_never_fails_whatever_is_posted(
    patient, physio_client, assigned, change, how
):
    Comment.objects.all().delete()  # else an example repeating one is a double post, kept once
    before = Comment.objects.count()

    url = reverse("tracking:comment", args=[patient.pk])
    response = send(physio_client, url, {"body": "Keep going"}, change, how)

    assert response.status_code in (200, 302)
    made = Comment.objects.count() - before
    assert made == (1 if response.status_code == 302 else 0)


@FUZZ
@given(change=changes(body=COMMENT), how=SENDING)
def test_the_comment_form_on_a_session_never_fails_whatever_is_posted(
    patient, physio_client, assigned, session, change, how
):
    Comment.objects.all().delete()  # else an example repeating one is a double post, kept once
    before = Comment.objects.count()

    url = reverse("tracking:session-comment", args=[patient.pk, session.pk])
    response = send(physio_client, url, {"body": "Keep going"}, change, how)

    assert response.status_code in (200, 302)
    made = Comment.objects.count() - before
    assert made == (1 if response.status_code == 302 else 0)


@FUZZ
@given(
    change=changes(
        kind=posted(*AlertKind.values),
        key=posted("<flagged session>", "never", "2024-01-01", "not-a-date"),
        note=posted("Seen", "x" * 500, "x" * 501),
    ),
    how=SENDING,
)
def test_the_acknowledge_form_never_fails_whatever_is_posted(
    patient, physio_client, assigned, change, how
):
    flagged = Session.objects.filter(patient=patient, flagged=True).first() or finished_session(
        patient, days_ago=2, pain_before=2, pain_after=6, flagged=True
    )
    AlertAcknowledgement.objects.filter(patient=patient).delete()  # the alerts are open again
    base = {"kind": "flagged", "key": str(flagged.pk), "note": "Seen"}

    url = reverse("tracking:acknowledge", args=[patient.pk])
    response = send(
        physio_client, url, base, fill(change, **{"flagged session": str(flagged.pk)}), how
    )

    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert not AlertAcknowledgement.objects.filter(patient=patient).exists()


PROGRAMME_SETTINGS = ("version", "target_per_week", "gentle_start", "inactivity_days", "add")
EXERCISE_FIELDS = (
    "included",
    "order",
    "sets",
    "reps",
    "hold_seconds",
    "per_side",
    "rest_seconds",
    "note",
)
# Values near the limits, as well as the junk.
NEAR_LIMITS = st.one_of(st.integers(-2, 400).map(str), st.just("on"), SCALAR)
PROGRAMME_VALUE = st.one_of(
    NEAR_LIMITS,
    NEAR_LIMITS,
    NEAR_LIMITS,
    st.lists(NEAR_LIMITS, min_size=2, max_size=4),
    st.just(MISSING),
    UPLOAD,
)


@FUZZ
@given(
    programme_changes=st.dictionaries(
        st.one_of(
            st.sampled_from(PROGRAMME_SETTINGS),
            st.tuples(st.integers(0, 9), st.sampled_from(EXERCISE_FIELDS)),
        ),
        PROGRAMME_VALUE,
        max_size=8,
    ),
    stale=st.booleans(),
    how=SENDING,
)
@example(
    programme_changes={"add": BEYOND_SQLITE}, stale=False, how=PLAIN
)  # found by fuzzing: a 500
def test_the_programme_form_never_fails_whatever_is_posted(
    patient, physio_client, assigned, programme_changes, stale, how
):
    programme = Programme.for_patient(patient)
    items = list(programme.items())
    base = programme_post(programme)
    if stale:  # as from a page opened before a colleague's save
        base["version"] = max(1, programme.version - 1)
    change = {}
    for key, value in programme_changes.items():
        if isinstance(key, tuple):
            index, name = key
            key = f"exercise-{items[index % len(items)].pk}-{name}"
        change[key] = value

    url = reverse("tracking:programme-edit", args=[patient.pk])
    response = send(physio_client, url, base, change, how)

    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert Programme.objects.get(pk=programme.pk).version == programme.version


@FUZZ
@given(change=changes(exercise=posted("<exercise>")), which=st.integers(min_value=0), how=SENDING)
@example(change={"exercise": BEYOND_SQLITE}, which=0, how=PLAIN)  # found by fuzzing: a 500
def test_the_leave_out_button_never_fails_whatever_is_posted(
    patient, physio_client, assigned, change, which, how
):
    items = list(Programme.for_patient(patient).included_items())
    exercise_id = str(items[which % len(items)].exercise_id)

    url = reverse("tracking:leave-out", args=[patient.pk])
    response = send(
        physio_client, url, {"exercise": exercise_id}, fill(change, exercise=exercise_id), how
    )

    assert response.status_code == 302


@FUZZ
@given(change=changes(physio=posted("<colleague>", "<physio>", "<patient>")), how=SENDING)
def test_the_share_care_form_never_fails_whatever_is_posted(
    patient, physio, physio_client, other_physio, assigned, change, how
):
    Assignment.objects.filter(patient=patient, physio=other_physio).delete()
    people = {
        "colleague": str(other_physio.pk),
        "physio": str(physio.pk),
        "patient": str(patient.pk),
    }

    url = reverse("tracking:share-care", args=[patient.pk])
    response = send(
        physio_client, url, {"physio": people["colleague"]}, fill(change, **people), how
    )

    assert response.status_code == 302
    assert Assignment.objects.filter(patient=patient, physio=physio).exists()


@FUZZ
@given(change=changes(physio=posted("<physio>")), shared=st.booleans(), how=SENDING)
def test_the_leave_care_button_never_fails_whatever_is_posted(
    patient, physio, physio_client, other_physio, change, shared, how
):
    Assignment.objects.get_or_create(patient=patient, physio=physio)
    if shared:
        Assignment.objects.get_or_create(patient=patient, physio=other_physio)
    else:
        Assignment.objects.filter(patient=patient, physio=other_physio).delete()

    url = reverse("tracking:leave-care", args=[patient.pk])
    response = send(physio_client, url, {}, fill(change, physio=str(physio.pk)), how)

    assert response.status_code == 302
    still_in_care = Assignment.objects.filter(patient=patient, physio=physio).exists()
    assert still_in_care == (not shared)


# The admin.


@FUZZ
@given(
    change=changes(
        role=posted(*Role.values, "admin"),
        username=posted("pat", "new person", "x" * 151),
        first_name=posted("Nell"),
        last_name=posted("Gray"),
        email=posted("pat@example.com", "", "not an email"),
        timezone=posted("Europe/London", "Mars/Olympus_Mons", "UTC", ""),
        physio=posted("<physio>", "<patient>"),
        send_password_link=posted("on"),
        usable_password=posted("true", "false"),
        password1=posted(STRONG, "short"),
        password2=posted(STRONG, "short"),
    ),
    how=SENDING,
)
def test_the_admins_add_person_form_never_fails_whatever_is_posted(
    admin_client, physio, patient, change, how
):
    User.objects.filter(pk=patient.pk).update(email="pat@example.com")
    number = next(UNIQUE)
    base = {
        "role": Role.PATIENT.value,
        "username": f"person{number}",
        "first_name": "Nell",
        "last_name": "Gray",
        "email": f"person{number}@example.com",
        "timezone": "Europe/London",
        "physio": str(physio.pk),
        "usable_password": "true",
        "password1": STRONG,
        "password2": STRONG,
        "_save": "Save",
    }
    before = User.objects.count()
    people = {"physio": str(physio.pk), "patient": str(patient.pk)}

    url = reverse("admin:accounts_user_add")
    response = send(admin_client, url, base, fill(change, **people), how)

    assert response.status_code in (200, 302)
    made = User.objects.count() - before
    assert made == (1 if response.status_code == 302 else 0)


LIBRARY_FIELDS = [
    name
    for name in (model_field.name for model_field in Exercise._meta.fields)
    if name not in {"id", "retired_at"}
]


def _as_posted(exercise: Exercise) -> dict[str, object]:
    """The admin's change form for `exercise`, as a browser posts it (an unticked box is absent)."""
    values = model_to_dict(exercise, fields=LIBRARY_FIELDS)
    return {
        name: "on" if value is True else value
        for name, value in values.items()
        if value is not False
    }


@FUZZ
@given(
    change=changes(
        **{
            name: posted("1", "0", "on", "slug-like", string.ascii_letters)
            for name in LIBRARY_FIELDS
        }
    ),
    which=st.integers(min_value=0),
    how=SENDING,
)
def test_the_admins_exercise_form_never_fails_whatever_is_posted(admin_client, change, which, how):
    exercises = list(Exercise.objects.order_by("pk"))
    exercise = exercises[which % len(exercises)]
    saved = _as_posted(exercise)
    base = {**saved, "_save": "Save"}

    url = reverse("admin:exercises_exercise_change", args=[exercise.pk])
    response = send(admin_client, url, base, change, how)

    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert _as_posted(Exercise.objects.get(pk=exercise.pk)) == saved


# Deleting an account. Each example has a patient of its own, since the right
# password and a tick do delete them.


@FUZZ
@given(
    change=changes(password=posted(PASSWORD, "wrong", ""), confirm=posted("on", "yes", "")),
    how=SENDING,
)
def test_the_delete_account_form_never_fails_whatever_is_posted(make_user, change, how):
    leaver = make_user(f"leaver{next(UNIQUE)}", Role.PATIENT)
    client = signed_in(leaver)

    response = send(client, reverse("tracking:erase"), {"password": "wrong"}, change, how)

    assert response.status_code in (200, 302)
    gone = not User.objects.filter(pk=leaver.pk).exists()
    sent_on = response.status_code == 302 or "HX-Redirect" in response  # to sign in
    assert gone == sent_on


@FUZZ
@given(
    change=changes(
        request_received=posted("2026-01-05", "2999-01-01", "5 January", ""),
        username=posted("<username>", "someone-else", ""),
        confirm=posted("on", ""),
    ),
    how=SENDING,
)
def test_the_admins_erase_form_never_fails_whatever_is_posted(admin_client, make_user, change, how):
    leaver = make_user(f"leaver{next(UNIQUE)}", Role.PATIENT)
    base = {"request_received": "2026-01-05", "username": "someone-else", "confirm": "on"}

    url = reverse("admin:accounts_user_erase", args=[leaver.pk])
    response = send(admin_client, url, base, fill(change, username=leaver.username), how)

    assert response.status_code in (200, 302)
    gone = not User.objects.filter(pk=leaver.pk).exists()
    assert gone == (response.status_code == 302)


def test_every_form_fuzzed_is_counted():
    """FORMS_FUZZED, which the README quotes, names one form for each fuzz test above."""
    fuzz_tests = [
        name
        for name, test in globals().items()
        if name.startswith("test_") and hasattr(test, "hypothesis")
    ]
    assert len(fuzz_tests) == len(FORMS_FUZZED) == 29


def test_each_form_is_fuzzed_as_often_as_the_profile_says():
    """200 examples per form, but on CI's PostgreSQL pass, which repeats the SQLite one."""
    assert FORM_EXAMPLES["default"] == FORM_EXAMPLES["ci"] == 200
    assert FUZZ.max_examples == FORM_EXAMPLES[HYPOTHESIS_PROFILE]
    # Other property tests keep Hypothesis's own, smaller number: only the forms are set.
    assert hypothesis_settings().max_examples < FORM_EXAMPLES["default"]
