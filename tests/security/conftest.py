"""The world the security tests try every URL against."""

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Assignment, Invitation, Role
from exercises.models import Exercise
from tracking.models import Comment, SafetyCheck, Session


@pytest.fixture
def world(make_user, patient, other_patient, physio, other_physio, staff_admin) -> dict:
    """The people, and one of everything the URLs can point at, owned by `patient`."""
    Assignment.objects.create(patient=patient, physio=physio)
    Assignment.objects.create(patient=other_patient, physio=other_physio)
    check = SafetyCheck.answer(patient, ["fever"])
    session, _ = Session.start(patient, pain_before=4)
    Session.start(other_patient, pain_before=2)
    Comment.objects.create(patient=patient, author=physio, session=session, body="Well done")
    invitation = Invitation(email="new@example.com", invited_by=physio)
    token = invitation.new_token()
    invitation.save()
    colleague = make_user("cara", Role.PHYSIO)
    Assignment.objects.create(patient=patient, physio=colleague)  # so "leave care" can work
    TOTPDevice.objects.create(user=staff_admin, name="Phone")
    StaticDevice.objects.create(user=staff_admin, name="Recovery codes").token_set.create(token="a")
    seen = {"user_agent": "test", "ip_address": "10.0.0.1", "username": "pat", "path_info": "/"}
    AccessAttempt.objects.create(**seen, get_data="", post_data="", failures_since_start=1)
    AccessLog.objects.create(**seen)
    AccessFailureLog.objects.create(**seen)
    bird_dog = Exercise.objects.get(slug="bird-dog")
    return {
        "people": {
            "anonymous": None,
            "owner": patient,
            "other_patient": other_patient,
            "physio": physio,
            "other_physio": other_physio,
            "admin": staff_admin,
        },
        "session": session,
        "check": check,
        "entry": session.entries.order_by("order").first(),
        "invitation": invitation,
        "token": token,
        "exercise": bird_dog,
    }
