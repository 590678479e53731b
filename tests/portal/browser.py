"""Debian's Chromium driven by Playwright: the fixtures' helpers, shared by the browser tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import pytest

from tests.live import ROOT

T = TypeVar("T")

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "artifacts" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(page, username: str, password: str) -> None:
    page.goto("/")
    assert page.url.endswith("/accounts/login/?next=/") or "/accounts/login/" in page.url
    shot(page, "01-login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/keys/")


@contextmanager
def launched() -> Iterator:
    """Chromium, headless. Start it after every fixture that touches the database: Playwright's sync API runs
    an event loop in this thread, and Django refuses database calls while one runs."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def committed(django_db_blocker, write: Callable[[], T]) -> T:
    """Run `write` in a thread of its own with the database open, so the live server sees what it commits."""
    from django.db import connection

    def run() -> T:
        try:
            return write()
        finally:
            connection.close()

    with django_db_blocker.unblock(), ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()
