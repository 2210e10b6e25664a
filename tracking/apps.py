from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "tracking"
    verbose_name = "Tracking"

    def ready(self) -> None:
        from exercises import doses

        from .doses import programme_doses

        # The library's pages show a patient their own dose, and lead to its page.
        doses.register(programme_doses)
