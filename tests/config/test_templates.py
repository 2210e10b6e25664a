"""Template habits that Django does not check for us."""

import re
from pathlib import Path

from django.conf import settings

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def test_no_template_comment_spans_lines():
    """Django's {# #} comments end at the line's end: one that goes on to the next
    line is printed on the page, words and all. Longer ones use {% comment %}."""
    unclosed = [
        f"{path.relative_to(TEMPLATES)}:{number}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if line.count("{#") > line.count("#}")
    ]

    assert unclosed == []


def test_every_datetime_attribute_goes_through_the_html_datetime_filter():
    """Django's `date:"c"` keeps microseconds, which HTML refuses in `datetime`:
    every such attribute is written by the one filter that drops them."""
    attribute = re.compile(r"""\bdatetime=(["'])(.*?)\1""")
    written_otherwise = [
        f"{path.relative_to(TEMPLATES)}: {value}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for _, value in attribute.findall(path.read_text())
        if not re.fullmatch(r"\{\{ *[\w.]+\|html_datetime *\}\}", value)
    ]

    assert written_otherwise == []
