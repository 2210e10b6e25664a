from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator

from accounts.models import Role, User
from exercises.models import MAX_REPS, MAX_SETS, Exercise

from .models import (
    COMMENT_MAX_LENGTH,
    NOTES_MAX_LENGTH,
    PAIN_MAX,
    PAIN_MIN,
    AlertKind,
    Programme,
    ProgrammeExercise,
    SessionEntry,
)
from .review import GENTLE_START
from .safety import RED_FLAGS

PAIN_HELP = f"{PAIN_MIN} means no pain and {PAIN_MAX} means the worst pain imaginable."
PAIN_ERROR = f"Choose a number from {PAIN_MIN} (no pain) to {PAIN_MAX} (worst pain imaginable)."


class PainField(forms.TypedChoiceField):
    """The 0-10 pain scale as a row of radio buttons."""

    widget = forms.RadioSelect

    def __init__(self, **kwargs: object) -> None:
        super().__init__(
            choices=[(n, str(n)) for n in range(PAIN_MIN, PAIN_MAX + 1)],
            coerce=int,
            empty_value=None,
            help_text=PAIN_HELP,
            error_messages={"required": PAIN_ERROR, "invalid_choice": PAIN_ERROR},
            **kwargs,  # type: ignore[arg-type]
        )


class StartSessionForm(forms.Form):
    pain_before = PainField(label="How much pain do you have right now?")
    # Set by the "Follow along" button: one exercise at a time, with timers.
    guided = forms.BooleanField(required=False)


class GuidedStepForm(forms.Form):
    """Done or Skip, from one exercise's own screen."""

    outcome = forms.ChoiceField(
        choices=[
            (SessionEntry.Status.DONE, "Done"),
            (SessionEntry.Status.SKIPPED, "Skip"),
        ],
        error_messages={
            "required": "Press Done or Skip.",
            "invalid_choice": "Press Done or Skip.",
        },
    )


class SafetyCheckForm(forms.Form):
    """The red-flag check-in: one tap for "none of these", or tick what applies."""

    NONE = "none"
    SOME = "some"

    flags = forms.MultipleChoiceField(
        label="Do you have any of these today?",
        choices=[(flag.code, flag.question) for flag in RED_FLAGS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Tick a sign if it is new, or has got worse, since a physio or doctor "
        "last checked it.",
        error_messages={"invalid_choice": "Choose from the signs listed."},
    )
    # Which button was pressed. Without one (Enter pressed), the ticks decide.
    answer = forms.ChoiceField(choices=[(NONE, NONE), (SOME, SOME)], required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        flags = cleaned.get("flags") or []
        answer = cleaned.get("answer") or (self.SOME if flags else self.NONE)
        if answer == self.NONE and flags:
            raise ValidationError(
                "You ticked %(count)s of the signs but pressed “None of these”. "
                "If you have them, press “I have what I ticked”. If not, untick them.",
                params={"count": "one" if len(flags) == 1 else len(flags)},
            )
        if answer == self.SOME and not flags and "flags" not in self.errors:
            raise ValidationError(
                "Tick the signs you have, or press “None of these” if you have none of them."
            )
        cleaned["answer"] = answer
        return cleaned


class HurtForm(forms.Form):
    hurt = PainField(label="How much does it hurt, doing this exercise?")

    def __init__(self, *args: Any, exercise: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if exercise:  # several of these share the session's page: each says which
            self.fields["hurt"].label = f"How much does it hurt, doing {exercise}?"


class NotesField(forms.CharField):
    """Free text whose line breaks count once, as the browser counted them.

    Browsers send a line break as CR LF but count it as one character
    against maxlength; without this, a note the browser allowed is refused.
    """

    def to_python(self, value: object) -> str | None:
        text = super().to_python(value)
        return text.replace("\r\n", "\n").replace("\r", "\n") if text else text


class FinishSessionForm(forms.Form):
    pain_after = PainField(label="How much pain do you have now?")
    notes = NotesField(
        label="Notes (optional)",
        required=False,
        max_length=NOTES_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Anything you want to remember or tell your physio.",
        error_messages={
            "max_length": (
                "Please keep notes to %(limit_value)s characters or fewer "
                "(this has %(show_value)s)."
            )
        },
    )
    flagged = forms.BooleanField(
        label="Ask my physio to look at this session",
        required=False,
        help_text="For example, if something felt wrong or you have a question.",
    )


def _count_field(label: str, maximum: int) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=1,
        max_value=maximum,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "invalid": "Enter a whole number.",
            "min_value": "Enter at least %(limit_value)s, or choose Skipped.",
            "max_value": "That is more than %(limit_value)s. Please check the number.",
        },
    )


class EntryForm(forms.ModelForm):
    """What the patient actually did for one exercise."""

    status = forms.ChoiceField(
        label="How did it go?",
        choices=SessionEntry.Status.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose Done, Skipped or To do."},
    )
    sets_done = _count_field("Sets done", MAX_SETS)
    reps_done = _count_field("Reps in each set", MAX_REPS)
    effort = forms.ChoiceField(
        label="How did it feel?",
        required=False,
        choices=[("", "Rather not say"), *SessionEntry.Effort.choices],
        widget=forms.RadioSelect,
    )

    class Meta:
        model = SessionEntry
        fields = ["status", "sets_done", "reps_done", "effort"]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        entry = self.instance
        if entry.per_side:
            self.fields["reps_done"].label = "Reps on each side, in each set"
        if not self.is_bound and entry.status == SessionEntry.Status.TO_DO:
            # Offer the prescribed dose, so recording "done" is one tap.
            self.initial.update(status=SessionEntry.Status.DONE, sets_done=entry.sets)
            self.initial.update(reps_done=entry.reps)

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        if cleaned.get("status") == SessionEntry.Status.DONE:
            for name in ("sets_done", "reps_done"):
                if cleaned.get(name) is None and name not in self.errors:
                    self.add_error(name, "Enter how many you did, or choose Skipped.")
        else:
            # Counts and "how it felt" only mean something for a done exercise:
            # whatever was left in those fields is set aside, not refused.
            cleaned.update(sets_done=None, reps_done=None, effort="")
            self.errors.pop("sets_done", None)
            self.errors.pop("reps_done", None)
        return cleaned


def _limit_messages(form: forms.BaseForm) -> None:
    """Give every number field the model's range, said in one plain sentence.

    A model form's number field only knows "not negative"; the model's own
    validators hold the real range, which is checked here and shown in the
    message, before the database's constraints would refuse it.
    """
    model = form._meta.model if isinstance(form, forms.ModelForm) else None
    for name, field in form.fields.items():
        if not isinstance(field, forms.IntegerField) or field.widget.is_hidden:
            continue
        limits = list(field.validators)
        if model is not None and name in {f.name for f in model._meta.get_fields()}:
            limits += model._meta.get_field(name).validators
        low = max(
            (v.limit_value for v in limits if isinstance(v, MinValueValidator)),
            default=0,
        )
        high = min(v.limit_value for v in limits if isinstance(v, MaxValueValidator))
        field.min_value, field.max_value = low, high
        field.validators = [
            v for v in field.validators if not isinstance(v, MinValueValidator | MaxValueValidator)
        ] + [MinValueValidator(low), MaxValueValidator(high)]
        field.widget.attrs.update(min=low, max=high, inputmode="numeric")
        message = f"Enter a whole number from {low} to {high}."
        field.error_messages.update(
            required=message, invalid=message, min_value=message, max_value=message
        )


class CommentForm(forms.Form):
    body = NotesField(
        label="Comment",
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": "Write your comment first.",
            "max_length": (
                "Please keep comments to %(limit_value)s characters or fewer "
                "(this has %(show_value)s)."
            ),
        },
    )


class AcknowledgeForm(forms.Form):
    kind = forms.ChoiceField(choices=AlertKind.choices, widget=forms.HiddenInput)
    key = forms.CharField(max_length=32, widget=forms.HiddenInput)
    note = NotesField(
        label="Note (optional)",
        required=False,
        max_length=500,
        error_messages={
            "max_length": "Please keep the note to %(limit_value)s characters or fewer."
        },
    )


class LibraryExercisesField(forms.ModelMultipleChoiceField):
    def _check_values(self, value: Any) -> Any:
        """Refuse what cannot be an id before the database sees it (past 64 bits
        SQLite raises OverflowError instead of answering "no such row")."""
        for pk in value:
            text = str(pk)
            if not (text.isascii() and text.isdigit() and 0 < int(text) < 2**63):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)  # type: ignore[misc]

    def label_from_instance(self, obj: Exercise) -> str:
        return f"{obj.name}: {obj.dose_summary.lower()}"


STALE_FORM = "This page is out of date. Open the programme again to change it."


class ProgrammeForm(forms.ModelForm):
    """The programme's own settings, and the version the physio started editing from."""

    version = forms.IntegerField(
        widget=forms.HiddenInput,
        error_messages={
            "required": STALE_FORM,
            "invalid": STALE_FORM,
        },
    )

    add = LibraryExercisesField(
        label="Add from the library",
        queryset=Exercise.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Added at the library's dose, after the others. Change the dose later if needed.",
        error_messages={
            "invalid_choice": "An exercise you ticked has just been retired from the library, "
            "so it cannot be added. Untick it and save again.",
            "invalid_pk_value": "Choose exercises from the list.",
        },
    )

    class Meta:
        model = Programme
        fields = ["target_per_week", "gentle_start", "inactivity_days"]
        labels = {
            "target_per_week": "Target sessions a week",
            "gentle_start": "Start gently",
            "inactivity_days": "Alert me after this many days without a session",
        }
        help_texts = {
            "gentle_start": "In the patient's first two weeks, ask for at most "
            f"{GENTLE_START[0]} sessions in the first week and {GENTLE_START[1]} in the second, "
            "then the target. Untick to ask for the target from the first day.",
        }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        _limit_messages(self)
        # Offered: the library's active exercises this programme does not have yet.
        add = self.fields["add"]
        assert isinstance(add, forms.ModelMultipleChoiceField)
        add.queryset = Exercise.objects.active().exclude(
            pk__in=ProgrammeExercise.objects.filter(programme=self.instance).values("exercise")
        )


class ProgrammeExerciseForm(forms.ModelForm):
    """One exercise of a programme: in or out, its place, its dose, a personal note."""

    order = forms.IntegerField(label="Position", min_value=1, max_value=99)

    class Meta:
        model = ProgrammeExercise
        fields = [
            "included",
            "order",
            "sets",
            "reps",
            "hold_seconds",
            "per_side",
            "rest_seconds",
            "note",
        ]
        labels = {
            "included": "In the programme",
            "hold_seconds": "Hold (seconds)",
            "per_side": "On each side",
            "rest_seconds": "Rest between sets (seconds)",
            "note": "Note for the patient",
        }
        help_texts = {
            "included": "",
            "reps": "",
            "hold_seconds": "",
            "rest_seconds": "",
            "per_side": "",
            "note": "",
        }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        _limit_messages(self)
        self.fields["note"].widget.attrs["placeholder"] = "e.g. keep the bridge low for now"


class ShareCareForm(forms.Form):
    """A physio brings a colleague into a patient's care."""

    physio = forms.ModelChoiceField(
        queryset=User.objects.none(),
        label="Share their care with a colleague",
        empty_label="Choose a physiotherapist",
        error_messages={
            "required": "Choose the colleague to share this patient's care with.",
            "invalid_choice": "That colleague cannot be added: they may already look after "
            "this patient, or no longer work here. Choose again.",
        },
    )

    def __init__(self, *args: Any, patient: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["physio"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = (
            User.objects.filter(is_active=True, groups__name=Role.PHYSIO.value)
            .exclude(pk__in=patient.physios.values("pk"))
            .exclude(pk=patient.pk)
            .order_by("last_name", "first_name", "username")
        )


class EraseAccountForm(forms.Form):
    """Deleting an account: the password again, and a tick that says it is meant."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label="I understand that my account and all my exercise records will be deleted "
        "for good, and cannot be brought back.",
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError("That is not your password. Nothing was deleted.")
        return password
