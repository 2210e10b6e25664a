"""A patient's own dose of each exercise, for the exercise library's pages
(registered with exercises.doses by TrackingConfig.ready)."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from accounts.models import User
from exercises.doses import OwnDose

from .models import ProgrammeExercise


def programme_doses(user: AbstractBaseUser | AnonymousUser) -> dict[int, OwnDose]:
    """The dose of each exercise in the patient's programme, leading to its page there.

    Exercises left out of it have none: the library's usual dose stands for them.
    """
    if not isinstance(user, User) or not user.is_patient:
        return {}
    items = ProgrammeExercise.objects.filter(programme__patient=user, included=True).select_related(
        "exercise"
    )
    return {
        item.exercise_id: OwnDose(
            item, reverse("tracking:programme-exercise", args=[item.exercise.slug])
        )
        for item in items
    }
