from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver
from qsessions.models import Session as SignIn

from .models import User


@receiver(post_save, sender=User, dispatch_uid="accounts_end_sign_ins_of_inactive")
def end_sign_ins_of_inactive(sender: type[User], instance: User, **kwargs: Any) -> None:
    """A deactivated account is signed out everywhere, at once, not at the next request."""
    if not instance.is_active:
        SignIn.objects.filter(user=instance).delete()
