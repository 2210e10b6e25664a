"""Playwright drives Debian's Chromium: it cannot download a browser of its own here."""

import shutil

import pytest
from playwright.sync_api import Page

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PHONE_SCREEN = {"width": 320, "height": 640}


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
