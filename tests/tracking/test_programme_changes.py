"""A physio adjusts a patient's programme: each change is a version, used from the next session."""

from typing import Any

import pytest
from django.urls import reverse

from tests.conftest import programme_post, signed_in
from tracking.changes import describe_changes
from tracking.models import (
    Programme,
    ProgrammeChangedMeanwhile,
    ProgrammeVersion,
    Session,
    SessionEntry,
)

BRIDGE = "Glute bridge"
TILT = "Pelvic tilt"


@pytest.fixture
def programme(patient, assigned) -> Programme:
    return Programme.for_patient(patient)


@pytest.fixture
def edit_url(patient) -> str:
    return reverse("tracking:programme-edit", args=[patient.pk])


def bridge_entry(session: Session) -> SessionEntry:
    return session.entries.get(exercise__name=BRIDGE)


def test_a_new_programme_starts_at_version_1(programme):
    [version] = programme.versions.all()

    assert (programme.version, version.number, version.changes) == (1, 1, [])
    assert len(version.snapshot["exercises"]) == 10


def test_changing_a_dose_makes_a_new_version_that_says_what_changed(
    physio_client, physio, programme, edit_url
):
    response = physio_client.post(
        edit_url, programme_post(programme, {BRIDGE: {"reps": 12, "note": "Keep it low"}})
    )

    assert response.status_code == 302
    programme.refresh_from_db()
    assert programme.version == 2
    version = programme.versions.first()
    assert (version.number, version.created_by) == (2, physio)
    assert version.changes == ["Glute bridge: 10 → 12 reps, new note: “Keep it low”"]
    item = programme.items().get(exercise__name=BRIDGE)
    assert (item.reps, item.note) == (12, "Keep it low")


def test_an_old_session_keeps_its_dose_and_the_next_one_gets_the_new_one(
    physio_client, patient, programme, edit_url
):
    old, _ = Session.start(patient, pain_before=4)
    Session.objects.filter(pk=old.pk).update(finished_at=old.started_at, pain_after=3)

    physio_client.post(edit_url, programme_post(programme, {BRIDGE: {"reps": 12, "sets": 2}}))
    new, created = Session.start(patient, pain_before=3)

    assert created
    assert (bridge_entry(old).sets, bridge_entry(old).reps) == (1, 10)
    assert (bridge_entry(new).sets, bridge_entry(new).reps) == (2, 12)
    assert (old.programme_version, new.programme_version) == (1, 2)


def test_a_session_in_progress_keeps_the_dose_it_started_with(
    physio_client, patient, programme, edit_url
):
    in_progress, _ = Session.start(patient, pain_before=4)

    physio_client.post(edit_url, programme_post(programme, {BRIDGE: {"reps": 12}}))

    assert bridge_entry(in_progress).reps == 10


def test_an_exercise_switched_off_is_left_out_of_the_next_session(
    physio_client, patient, programme, edit_url
):
    physio_client.post(edit_url, programme_post(programme, {BRIDGE: {"included": False}}))
    session, _ = Session.start(patient, pain_before=4)

    assert not session.entries.filter(exercise__name=BRIDGE).exists()
    assert session.entries.count() == 9
    assert programme.versions.first().changes == ["Glute bridge: left out for now"]


@pytest.mark.parametrize(("start", "to"), [(1, 5), (2, 4), (5, 1), (4, 2), (1, 10), (10, 1)])
def test_an_exercise_moved_lands_on_the_position_typed(
    physio_client, programme, edit_url, start, to
):
    names = [item.exercise.name for item in programme.items()]
    moved = names[start - 1]

    physio_client.post(edit_url, programme_post(programme, {moved: {"order": to}}))

    expected = [name for name in names if name != moved]
    expected.insert(to - 1, moved)
    assert [item.exercise.name for item in programme.items()] == expected


def test_reordering_puts_the_exercises_in_the_new_order(
    physio_client, patient, programme, edit_url
):
    # Glute bridge to the top: ties keep the old order, and positions become 1, 2, 3...
    physio_client.post(edit_url, programme_post(programme, {BRIDGE: {"order": 1}}))

    names = [item.exercise.name for item in programme.items()]
    assert names[:3] == [BRIDGE, TILT, "Dead bug"]
    assert [item.order for item in programme.items()] == list(range(1, 11))
    assert programme.versions.first().changes == ["New order of the exercises"]
    session, _ = Session.start(patient, pain_before=4)
    assert session.entries.get(order=1).exercise.name == BRIDGE


def test_targets_are_part_of_the_programme(physio_client, programme, edit_url):
    physio_client.post(edit_url, programme_post(programme, target_per_week=5, inactivity_days=4))

    programme.refresh_from_db()
    assert (programme.target_per_week, programme.inactivity_days) == (5, 4)
    assert programme.versions.first().changes == [
        "Target: 7 → 5 sessions a week",
        "Check-in after 3 → 4 days without a session",
    ]


def test_saving_without_changes_makes_no_version(physio_client, programme, edit_url):
    response = physio_client.post(edit_url, programme_post(programme), follow=True)

    assert ProgrammeVersion.objects.filter(programme=programme).count() == 1
    assert "Nothing was changed" in response.content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("sets", 0, "Enter a whole number from 1 to 10."),
        ("sets", 11, "Enter a whole number from 1 to 10."),
        ("reps", 51, "Enter a whole number from 1 to 50."),
        ("reps", "", "Enter a whole number from 1 to 50."),
        ("hold_seconds", -1, "Enter a whole number from 0 to 120."),
        ("hold_seconds", 121, "Enter a whole number from 0 to 120."),
        ("rest_seconds", 301, "Enter a whole number from 0 to 300."),
        ("rest_seconds", "ten", "Enter a whole number from 0 to 300."),
        ("order", 0, "Enter a whole number from 1 to 99."),
    ],
)
def test_every_dose_field_has_bounds_with_a_clear_message(
    physio_client, programme, edit_url, field, value, message
):
    data = programme_post(programme, {BRIDGE: {field: value}, TILT: {"note": "Typed note"}})

    response = physio_client.post(edit_url, data)

    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert "Nothing was saved yet" in page
    assert "Typed note" in page  # what was typed elsewhere is kept
    programme.refresh_from_db()
    assert programme.version == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("target_per_week", 0, "Enter a whole number from 1 to 14."),
        ("target_per_week", 15, "Enter a whole number from 1 to 14."),
        ("inactivity_days", 29, "Enter a whole number from 1 to 28."),
    ],
)
def test_targets_have_bounds_with_a_clear_message(
    physio_client, programme, edit_url, field, value, message
):
    response = physio_client.post(edit_url, programme_post(programme, **{field: value}))

    assert message in response.content.decode()
    programme.refresh_from_db()
    assert programme.version == 1


def test_a_note_too_long_is_refused(physio_client, programme, edit_url):
    response = physio_client.post(
        edit_url, programme_post(programme, {BRIDGE: {"note": "x" * 301}})
    )

    assert "at most 300 characters" in response.content.decode()
    assert Programme.objects.get(pk=programme.pk).version == 1


@pytest.fixture
def colleague(other_physio, patient):
    from accounts.models import Assignment

    Assignment.objects.create(patient=patient, physio=other_physio)
    client = signed_in(other_physio)
    return client


def test_a_change_saved_meanwhile_is_combined_with_yours_never_overwritten(
    physio_client, colleague, programme, edit_url
):
    mine = programme_post(programme, {BRIDGE: {"reps": 12}}, target_per_week=5)
    colleague.post(edit_url, programme_post(programme, {TILT: {"reps": 8}}, inactivity_days=5))

    response = physio_client.post(edit_url, mine)

    assert response.status_code == 200
    page = response.content.decode()
    assert "saved a change to this programme while you were editing it" in page
    assert "Pelvic tilt: 10 → 8 reps" in page  # what the colleague changed
    assert Programme.objects.get(pk=programme.pk).version == 2  # nothing of mine saved yet
    form = response.context["form"]
    shown = {item.exercise.name: f for item, f in response.context["rows"]}
    assert form["version"].value() == "2"  # saving again applies the combination
    assert (form["target_per_week"].value(), form["inactivity_days"].value()) == ("5", "5")
    assert shown[BRIDGE]["reps"].value() == "12"  # mine
    assert shown[TILT]["reps"].value() == "8"  # theirs

    physio_client.post(edit_url, response.context["form"].data)

    programme.refresh_from_db()
    items = {item.exercise.name: item.reps for item in programme.items()}
    assert (items[BRIDGE], items[TILT]) == (12, 8)
    assert (programme.target_per_week, programme.inactivity_days, programme.version) == (5, 5, 3)


def test_where_both_changed_the_same_value_yours_is_shown(
    physio_client, colleague, programme, edit_url
):
    mine = programme_post(programme, {BRIDGE: {"reps": 12}})
    colleague.post(edit_url, programme_post(programme, {BRIDGE: {"reps": 15}}))

    response = physio_client.post(edit_url, mine)

    shown = {item.exercise.name: f for item, f in response.context["rows"]}
    assert shown[BRIDGE]["reps"].value() == "12"
    assert "Glute bridge: 10 → 15 reps" in response.content.decode()


@pytest.mark.parametrize("version", ["", "abc", None])
def test_a_broken_version_field_says_the_page_is_out_of_date(
    physio_client, programme, edit_url, version
):
    data = programme_post(programme, {BRIDGE: {"reps": 12}})
    if version is None:
        del data["version"]
    else:
        data["version"] = version

    response = physio_client.post(edit_url, data)

    assert "This page is out of date" in response.content.decode()
    assert Programme.objects.get(pk=programme.pk).version == 1


def test_every_exercise_switched_off_is_refused(physio_client, programme, edit_url):
    data = programme_post(
        programme, {item.exercise.name: {"included": False} for item in programme.items()}
    )

    response = physio_client.post(edit_url, data)

    assert "Keep at least one exercise in the programme" in response.content.decode()
    assert Programme.objects.get(pk=programme.pk).version == 1


def test_the_model_refuses_a_stale_version(programme, physio):
    items = list(programme.items())

    with pytest.raises(ProgrammeChangedMeanwhile):
        programme.change(
            physio, expected_version=0, target_per_week=7, inactivity_days=3, items=items
        )


def test_the_patient_sees_what_changed_until_their_next_session(
    physio_client, patient_client, patient, programme, edit_url
):
    physio_client.post(edit_url, programme_post(programme, {BRIDGE: {"reps": 12}}))

    today = patient_client.get(reverse("tracking:today")).content.decode()

    assert "Your programme has changed" in today
    assert "Phil Io made changes" in today
    assert "Glute bridge: 10 → 12 reps" in today
    assert "12 times" in today  # the routine list shows the new dose

    Session.start(patient, pain_before=3)
    today = patient_client.get(reverse("tracking:today")).content.decode()
    assert "Your programme has changed" not in today


def test_the_physios_note_reaches_the_patient(
    physio_client, patient_client, patient, programme, edit_url, checked_in
):
    physio_client.post(edit_url, programme_post(programme, {BRIDGE: {"note": "Keep it low"}}))
    session, _ = Session.start(patient, pain_before=3)

    today = patient_client.get(reverse("tracking:today")).content.decode()
    page = patient_client.get(session.get_absolute_url()).content.decode()

    assert "Your physio says: Keep it low" in today
    assert "Your physio says: Keep it low" in page


def test_the_edit_page_shows_every_exercise_with_labelled_fields(physio_client, assigned, edit_url):
    response = physio_client.get(edit_url)

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("<legend>") == 11  # targets, then ten exercises
    assert page.count('<label for="id_exercise-') == 80  # eight fields for each exercise


def test_describe_changes_covers_each_kind_of_change():
    before: dict[str, Any] = {
        "target_per_week": 7,
        "inactivity_days": 3,
        "exercises": [
            {
                "exercise": 1,
                "name": "A",
                "order": 1,
                "included": True,
                "note": "",
                "sets": 1,
                "reps": 10,
                "hold_seconds": 5,
                "per_side": False,
                "rest_seconds": 0,
            },
            {
                "exercise": 2,
                "name": "B",
                "order": 2,
                "included": False,
                "note": "Old",
                "sets": 1,
                "reps": 3,
                "hold_seconds": 30,
                "per_side": True,
                "rest_seconds": 0,
            },
        ],
    }
    a, b = before["exercises"]
    after = {
        **before,
        "exercises": [
            {**b, "included": True, "note": "", "order": 1},
            {
                **a,
                "order": 2,
                "sets": 2,
                "hold_seconds": 10,
                "per_side": True,
                "rest_seconds": 30,
            },
        ],
    }

    assert describe_changes(before, after) == [
        "B: back in",
        "B: note removed",
        "A: 1 → 2 sets, hold 5 → 10 seconds, now on each side, rest 0 → 30 seconds",
        "New order of the exercises",
    ]
    assert describe_changes(before, before) == []


def test_the_patient_can_always_read_every_change_on_their_programme_page(
    physio_client, patient_client, patient, programme, edit_url
):
    physio_client.post(edit_url, programme_post(programme, {BRIDGE: {"reps": 12}}))
    programme.refresh_from_db()
    physio_client.post(edit_url, programme_post(programme, {BRIDGE: {"included": False}}))
    Session.start(patient, pain_before=3)  # Today no longer lists them after this

    page = patient_client.get(reverse("tracking:programme")).content.decode()

    assert "Glute bridge: 10 → 12 reps" in page
    assert "Glute bridge: left out for now" in page
    assert "Programme started" in page
    assert page.count('class="dose"') == 9  # the bridge is not in the list


@pytest.mark.parametrize(
    ("who", "status"),
    [("physio", 403), ("staff_admin", 403), ("other_patient", 200)],
)
def test_the_programme_page_shows_only_the_signed_in_patients_own(
    request, who, status, patient, programme, physio_client
):
    physio_client.post(
        reverse("tracking:programme-edit", args=[patient.pk]),
        programme_post(programme, {BRIDGE: {"note": "Only for Pat"}}),
    )
    client = signed_in(request.getfixturevalue(who))

    response = client.get(reverse("tracking:programme"))

    assert response.status_code == status
    assert "Only for Pat" not in response.content.decode()


def test_the_programme_page_needs_sign_in(client, db):
    response = client.get(reverse("tracking:programme"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
