from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "People"

    def ready(self) -> None:
        from . import checks, sign_in, signals, two_step  # noqa: F401 - registers the checks and signal handlers
