"""A physio invites a new patient: a one-time link that expires and puts them in their care."""

import datetime as dt
import re
from functools import partial

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from accounts.models import Assignment, Invitation, Role, User
from tests.conftest import signed_in
from tests.parallel import at_once, postgresql_only

INVITE_URL = reverse("accounts:invitations")
NEW_PASSWORD = "plum-tree-orbit-42"


def invite(client, email="new.patient@example.com", **fields):
    return client.post(INVITE_URL, {"email": email, "first_name": "Nell", **fields}, follow=True)


def link_in(message) -> str:
    [link] = re.findall(r"http://testserver(/invitation/[^/\s]+/)", message.body)
    return link


@pytest.fixture
def link(physio_client) -> str:
    invite(physio_client)
    return link_in(mail.outbox[-1])


def accept(link: str, **fields):
    data = {
        "first_name": "Nell",
        "last_name": "Gray",
        "username": "nell",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        **fields,
    }
    return signed_in(None).post(link, data, follow=True)


def test_the_invitation_is_emailed_with_a_link(physio_client, physio):
    response = invite(physio_client)

    assert "Invitation sent to new.patient@example.com" in response.content.decode()
    [message] = mail.outbox
    assert message.to == ["new.patient@example.com"]
    assert "Phil Io invites you to BackTrack" in message.subject
    assert "Hello Nell" in message.body
    invitation = Invitation.objects.get()
    assert invitation.invited_by == physio
    token = link_in(message).split("/")[2]
    assert token not in invitation.token_hash  # only a hash is stored
    assert invitation.token_hash == Invitation.hash(token)


def test_the_link_makes_a_patient_in_the_inviting_physios_care(physio, link):
    response = accept(link)

    user = User.objects.get(username="nell")
    assert response.redirect_chain[-1][0] == reverse("tracking:today")
    assert "Welcome, Nell" in response.content.decode()
    assert user.email == "new.patient@example.com"
    assert user.has_role(Role.PATIENT)
    assert not user.has_role(Role.PHYSIO)
    assert not user.is_staff
    assert Assignment.objects.filter(patient=user, physio=physio).exists()
    assert user.check_password(NEW_PASSWORD)
    invitation = Invitation.objects.get()
    assert invitation.status == "accepted"
    assert invitation.accepted_by == user


def test_the_link_works_once(link):
    accept(link)

    again = accept(link, username="nell2")

    assert again.status_code == 410
    assert "It has already been used" in again.content.decode()
    assert User.objects.filter(email="new.patient@example.com").count() == 1


def test_the_link_expires(link, settings):
    later = dt.timedelta(days=settings.INVITATION_VALID_FOR.days, minutes=1)
    with time_machine.travel(later):
        page = signed_in(None).get(link)
        response = accept(link)

    assert page.status_code == 410
    assert "this one has run out" in page.content.decode()
    assert response.status_code == 410
    assert not User.objects.filter(username="nell").exists()


def test_the_link_still_works_just_before_it_expires(link, settings):
    with time_machine.travel(settings.INVITATION_VALID_FOR - dt.timedelta(minutes=1)):
        response = accept(link)

    assert User.objects.filter(username="nell").exists()
    assert response.status_code == 200


def send_again(client, invitation: Invitation):
    return client.post(reverse("accounts:invitation-resend", args=[invitation.pk]), follow=True)


def failing_mail_server(settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens there


def working_mail_server(settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_sending_again_replaces_the_link(physio_client, link):
    invitation = Invitation.objects.get()

    with time_machine.travel(dt.timedelta(minutes=3)):
        send_again(physio_client, invitation)

    new_link = link_in(mail.outbox[-1])
    assert new_link != link
    assert accept(link).status_code == 410
    assert accept(new_link).status_code == 200
    assert User.objects.filter(username="nell").exists()


def test_a_cancelled_invitation_does_not_work(physio_client, link):
    invitation = Invitation.objects.get()

    physio_client.post(reverse("accounts:invitation-cancel", args=[invitation.pk]))

    assert Invitation.objects.get().status == "cancelled"
    response = accept(link)
    assert response.status_code == 410
    assert not User.objects.filter(username="nell").exists()


def test_an_unknown_link_does_not_work(db):
    response = signed_in(None).get(reverse("accounts:accept", args=["not-a-real-token"]))

    assert response.status_code == 410


def test_the_link_stops_working_when_the_physio_leaves(physio, link):
    physio.is_active = False
    physio.save()

    assert accept(link).status_code == 410
    assert not User.objects.filter(username="nell").exists()


def test_someone_signed_in_cannot_use_a_link(patient_client, link):
    response = patient_client.post(link, {"username": "x", "password1": "a", "password2": "a"})

    assert response.status_code == 403
    assert "You are already signed in" in response.content.decode()
    assert Invitation.objects.get().status == "pending"


def test_a_weak_password_is_refused_and_the_typing_kept(link):
    response = accept(link, password1="password", password2="password", last_name="Grayson")

    assert response.status_code == 200
    html = response.content.decode()
    assert "This password is too common." in html
    assert 'value="Grayson"' in html
    assert not User.objects.filter(username="nell").exists()
    assert Invitation.objects.get().status == "pending"


def test_a_username_taken_is_refused(link, make_user):
    make_user("Nell")

    response = accept(link)

    assert "A user with that username already exists." in response.content.decode()
    assert Invitation.objects.get().status == "pending"


def test_an_email_that_already_has_an_account_is_not_invited(physio_client, make_user):
    make_user("nora", email="Nora@Example.com")

    response = invite(physio_client, email="nora@example.com")

    assert "Someone already has an account with this email address" in response.content.decode()
    assert not Invitation.objects.exists()
    assert mail.outbox == []


@pytest.mark.parametrize("email", ["", "not-an-email"])
def test_a_bad_email_is_refused_with_a_message_keeping_the_name(physio_client, email):
    response = invite(physio_client, email=email, last_name="Gray")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Please correct the 1 field marked below." in html
    assert 'value="Gray"' in html
    assert not Invitation.objects.exists()


def test_a_failing_mail_server_is_reported_not_hidden(physio_client, settings, caplog):
    failing_mail_server(settings)

    response = invite(physio_client)

    assert response.status_code == 200
    assert "The email could not be sent just now" in response.content.decode()
    assert "new.patient@example.com" not in caplog.text  # the log names no patient


def test_a_physio_sees_only_their_own_invitations(physio_client, other_physio, link):
    theirs = signed_in(other_physio)
    invitation = Invitation.objects.get()

    assert "new.patient@example.com" not in theirs.get(INVITE_URL).content.decode()
    for name in ("accounts:invitation-resend", "accounts:invitation-cancel"):
        assert theirs.post(reverse(name, args=[invitation.pk])).status_code == 404
    assert Invitation.objects.get().status == "pending"
    assert "new.patient@example.com" in physio_client.get(INVITE_URL).content.decode()


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 302), ("patient", 403), ("staff_admin", 403), ("physio", 200)],
)
def test_only_physios_invite(db, request, who, status):
    client = signed_in(None if who == "anonymous" else request.getfixturevalue(who))

    page = client.get(INVITE_URL)
    sent = client.post(INVITE_URL, {"email": "x@example.com"})

    assert page.status_code == status
    if status == 302:
        assert page["Location"].startswith(reverse("login"))
    assert Invitation.objects.exists() == (who == "physio")
    assert sent.status_code == (302 if who in ("anonymous", "physio") else 403)


def test_an_empty_post_says_what_is_missing(physio_client):
    response = physio_client.post(INVITE_URL)

    assert "This field is required." in response.content.decode()
    assert not Invitation.objects.exists()


def test_an_invitation_posted_twice_is_sent_once_and_the_second_post_says_so(physio_client):
    invite(physio_client)
    again = invite(physio_client, email="New.Patient@example.com")

    assert Invitation.objects.count() == 1
    assert len(mail.outbox) == 1
    assert "An invitation was just sent to" in again.content.decode()


def test_an_invitation_whose_email_failed_is_sent_when_posted_again(physio_client, settings):
    failing_mail_server(settings)
    invite(physio_client)
    working_mail_server(settings)

    again = invite(physio_client)

    assert len(mail.outbox) == 1
    assert "Invitation sent to new.patient@example.com" in again.content.decode()
    assert "just sent" not in again.content.decode()
    assert accept(link_in(mail.outbox[0])).status_code == 200


def test_send_again_tapped_twice_sends_once_and_the_link_sent_keeps_working(physio_client, link):
    invitation = Invitation.objects.get()

    with time_machine.travel(dt.timedelta(minutes=3)):
        send_again(physio_client, invitation)
        again = send_again(physio_client, invitation)

    assert len(mail.outbox) == 2  # the invitation, and one sending again
    assert "An invitation was just sent to new.patient@example.com" in again.content.decode()
    assert accept(link).status_code == 410
    assert accept(link_in(mail.outbox[-1])).status_code == 200


def test_send_again_right_after_a_failed_email_sends_it(physio_client, settings):
    failing_mail_server(settings)
    invite(physio_client)
    working_mail_server(settings)

    again = send_again(physio_client, Invitation.objects.get())

    assert len(mail.outbox) == 1
    assert "Invitation sent to new.patient@example.com" in again.content.decode()
    assert not Invitation.objects.get().email_failed
    assert accept(link_in(mail.outbox[0])).status_code == 200


def test_send_again_after_a_cancel_sends_even_straight_away(physio_client, link):
    invitation = Invitation.objects.get()
    physio_client.post(reverse("accounts:invitation-cancel", args=[invitation.pk]))

    send_again(physio_client, invitation)

    assert len(mail.outbox) == 2
    assert Invitation.objects.get().status == "pending"
    assert accept(link_in(mail.outbox[-1])).status_code == 200


def test_inviting_the_same_person_again_later_sends_a_new_invitation(physio_client):
    invite(physio_client)
    with time_machine.travel(dt.timedelta(minutes=3)):
        invite(physio_client)

    assert Invitation.objects.count() == 2
    assert len(mail.outbox) == 2


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_ten_identical_invitations_posted_at_once_are_sent_once(migrated_data, make_user):
    physio = make_user("phil", Role.PHYSIO, first_name="Phil")
    clients = [signed_in(physio) for _ in range(10)]
    data = {"email": "new.patient@example.com"}

    answers = at_once([partial(c.post, INVITE_URL, data) for c in clients])

    assert [answer.status_code for answer in answers] == [302] * 10
    assert Invitation.objects.count() == 1
    assert len(mail.outbox) == 1


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_send_again_tapped_five_times_at_once_sends_once(migrated_data, make_user):
    physio = make_user("phil", Role.PHYSIO, first_name="Phil")
    invite(signed_in(physio))
    invitation = Invitation.objects.get()
    clients = [signed_in(physio) for _ in range(5)]
    url = reverse("accounts:invitation-resend", args=[invitation.pk])

    with time_machine.travel(dt.timedelta(minutes=3)):
        answers = at_once([partial(c.post, url) for c in clients])

    assert [answer.status_code for answer in answers] == [302] * 5
    assert len(mail.outbox) == 2  # the invitation, and one sending again
    assert accept(link_in(mail.outbox[-1])).status_code == 200
