"""Playwright drives Debian's Chromium: it cannot download a browser of its own here."""

import shutil

import pytest
from playwright.sync_api import FloatRect, Locator, Page, expect

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PHONE_SCREEN = {"width": 320, "height": 640}
PHONE_WIDTH = PHONE_SCREEN["width"]

# Measuring ------------------------------------------------------------------
# A page's layout is only final once its stylesheet has loaded and its scripts have
# run (the follow-along timer, for one, is hidden until its script shows it). A
# measure read the moment a URL changes can catch the page half-built, and does on
# a busy machine: these wait for the state they measure first.


def box_of(locator: Locator) -> FloatRect:
    """Where `locator` is drawn, once it is shown and the page has loaded."""
    expect(locator).to_be_visible()
    locator.page.wait_for_load_state("load")
    box = locator.bounding_box()
    assert box is not None, f"{locator} is not drawn"
    return box


def page_width(page: Page) -> int:
    """The width of everything on the page, once it has loaded."""
    page.wait_for_load_state("load")
    return page.evaluate("document.documentElement.scrollWidth")


def assert_no_sideways_scroll(page: Page, screen_width: int = PHONE_WIDTH) -> None:
    width = page_width(page)
    assert width <= screen_width, f"{page.url} is {width}px wide on a {screen_width}px screen"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        # No network here but the loopback: keep Chromium from reaching out.
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def base_url(pytestconfig):
    """The same as pytest-playwright's own `base_url`, as a plain function.

    pytest-playwright 0.10 defines it as a method of a plugin class, which pytest 9.2
    deprecates with a warning; `filterwarnings = ["error"]` turns that into an error.
    """
    return pytestconfig.getoption("--base-url") or pytestconfig.getini("base_url") or None


@pytest.fixture
def phone_page(new_context) -> Page:
    """A page on the narrowest phone screen we support (traced like `page`)."""
    return new_context(viewport=PHONE_SCREEN).new_page()


@pytest.fixture
def no_script_page(new_context) -> Page:
    """A page in a browser with JavaScript turned off: plain forms and links only."""
    return new_context(java_script_enabled=False).new_page()
