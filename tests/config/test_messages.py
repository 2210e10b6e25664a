"""Messages after an action ("Session saved ...") are a list that is still a list
to a screen reader: each item inside a list with no role that hides it."""

from html.parser import HTMLParser

from django.urls import reverse

from tracking.models import SafetyCheck, Session

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
LISTS = {"ul", "ol", "menu"}


class MessageParents(HTMLParser):
    """Each `li.message` on a page, as (its parent's tag, its parent's role)."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[tuple[str, str | None]] = []
        self.found: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "li" and "message" in (attributes.get("class") or "").split():
            self.found.append(self.open[-1] if self.open else ("", None))
        if tag not in VOID:
            self.open.append((tag, attributes.get("role")))

    def handle_endtag(self, tag: str) -> None:
        while self.open and self.open.pop()[0] != tag:
            pass


def message_parents(html: str) -> list[tuple[str, str | None]]:
    parser = MessageParents()
    parser.feed(html)
    return parser.found


def test_the_message_on_the_pain_went_up_page_sits_in_a_real_list(patient_client, patient):
    SafetyCheck.answer(patient, [])
    session, _ = Session.start(patient, pain_before=2)

    response = patient_client.post(
        reverse("tracking:finish", args=[session.pk]), {"pain_after": 6}, follow=True
    )

    html = response.content.decode()
    assert "Your pain went up from 2 to 6" in html
    parents = message_parents(html)
    assert parents, "the page shows no message"
    for tag, role in parents:
        assert tag in LISTS, f"a message sits in <{tag}>"
        assert role is None, f"a message sits in <{tag} role={role!r}>"
