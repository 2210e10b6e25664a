from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from .models import User


class AuthedRequest(HttpRequest):
    """The request type of views behind sign-in, with django-htmx's details.

    For type checking only: the middleware stack provides both attributes.
    """

    user: User
    htmx: HtmxDetails
