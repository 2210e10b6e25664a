from django.contrib.admin.apps import AdminConfig


class BackTrackAdminConfig(AdminConfig):
    default_site = "config.admin.BackTrackAdminSite"
