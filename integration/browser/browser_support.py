"""Helpers of the browser suite: Chromium drivers, users, mail, the
questionnaire, and screenshots small enough to commit."""
from __future__ import annotations

import base64
import email
import email.policy
import re
import time
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import (ElementClickInterceptedException, ElementNotInteractableException,
                                        TimeoutException)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

SESSION_COOKIE = "bilan_session"
RESULT_PATH = re.compile(r"/orientation/resultat/([0-9a-fA-F-]{36})$")
CALLBACK_LINK = re.compile(r"https?://[^\s\"'<>]+/auth/callback\?token=[^\s\"'<>]+")

# What a terminale student would answer (SPEC §5 vocabulary).
STUDENT = {
    "niveau": "TERMINALE",
    "filiere": "GENERALE",
    "specialites": ["MATHEMATIQUES", "PHYSIQUE_CHIMIE"],
    "options": ["MATHS_EXPERTES"],
    "moyennes": {"generale": "14.5", "mathematiques": "16.25", "physique_chimie": "15", "francais": "12"},
    "matieresPreferees": ["mathematiques", "physique-chimie"],
    "projetProfessionnel": ("Je voudrais devenir ingénieure dans l'aéronautique, idéalement sur la conception "
                            "des moteurs ou des satellites. Je ne sais pas encore si je préfère la recherche "
                            "ou le terrain."),
    "centresInteret": "Astronomie (club du lycée), robotique, escalade le week-end, un peu de programmation en Python.",
    "typesEtudes": ["CPGE", "ECOLE_INGENIEUR_POSTBAC"],
    "dureeEtudes": "BAC_5",
    "mobilite": "NATIONALE",
    "pointsForts": "Rigueur, curiosité, j'aime chercher longtemps un exercice difficile.",
    "difficultes": "Le stress pendant les contrôles chronométrés, et l'oral.",
    "commentaire": "Mes parents préféreraient que je reste dans la région si possible.",
}


# ---- drivers -------------------------------------------------------------------
def new_driver(javascript: bool = True) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1800",
                     "--lang=fr-FR", "--hide-scrollbars", "--force-device-scale-factor=1"):
        options.add_argument(argument)
    prefs = {"intl.accept_languages": "fr-FR,fr"}
    if not javascript:
        prefs["profile.managed_default_content_settings.javascript"] = 2
    options.add_experimental_option("prefs", prefs)
    driver = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    return driver


def wait(driver, timeout: float = 10) -> WebDriverWait:
    return WebDriverWait(driver, timeout, poll_frequency=0.1)


def until(driver, condition, timeout: float, message: str):
    try:
        return wait(driver, timeout).until(lambda d: condition(d))
    except TimeoutException:
        raise AssertionError(f"{message} (after {timeout:.0f}s; url {driver.current_url})") from None


def element(driver, element_id: str):
    return driver.find_element(By.ID, element_id)


def present(driver, element_id: str) -> bool:
    return bool(driver.find_elements(By.ID, element_id))


def text_of(driver, element_id: str) -> str:
    """The rendered text of an element ("" if absent), read in one step so a
    region the page swaps meanwhile cannot go stale under us."""
    return (driver.execute_script(
        "var e = document.getElementById(arguments[0]); return e ? e.innerText : '';", element_id) or "").strip()


def scroll_to(driver, el):
    # `instant`: the site's CSS asks for smooth scrolling, and a click aimed
    # while the page still scrolls lands on whatever passes under the pointer.
    driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", el)


def click(driver, el):
    scroll_to(driver, el)
    try:
        el.click()
    except (ElementClickInterceptedException, ElementNotInteractableException):
        # A styled checkbox may sit under its label: click the label, as a person would.
        labels = driver.find_elements(By.CSS_SELECTOR, f'label[for="{el.get_attribute("id")}"]')
        if not labels:
            raise
        labels[0].click()


# ---- users -----------------------------------------------------------------------
def add_subscriber(stack, email_address: str):
    """A paying annual subscriber who has never asked for a bilan (no session)."""
    stack.admin("user", "add", email_address)
    stack.admin("payment", "add", email_address, "--plan", "ANNUAL")


def log_in_with_cookie(driver, stack, email_address: str):
    """Sets a fresh session cookie for the user (bilan-admin session)."""
    token = stack.admin("session", email_address).stdout.strip()
    assert token, "bilan-admin session printed no token"
    driver.get(stack.base_url + "/auth/login.html")
    driver.add_cookie({"name": SESSION_COOKIE, "value": token, "path": "/"})
    return token


# ---- mail --------------------------------------------------------------------------
def mails_to(mail_dir: Path, address: str):
    """(path, message) of the .eml files sent to `address`, oldest first."""
    found = []
    for path in sorted(Path(mail_dir).glob("*.eml"), key=lambda p: (p.stat().st_mtime, p.name)):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if address.lower() in str(message.get("To", "")).lower():
            found.append((path, message))
    return found


def wait_for_mail(mail_dir: Path, address: str, after: int = 0, timeout: float = 20, subject: str = ""):
    """The newest message to `address` beyond the first `after` ones."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for _, m in mails_to(mail_dir, address)[after:] if subject in str(m.get("Subject", ""))]
        if found:
            return found[-1]
        time.sleep(0.2)
    raise AssertionError(f"no mail to {address} (subject containing {subject!r}) within {timeout:.0f}s")


def text_body(message) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, "the mail has no text/plain part"
    return part.get_content()


def callback_link(message) -> str:
    match = CALLBACK_LINK.search(text_body(message))
    assert match, "no /auth/callback?token=… link in the login mail"
    return match.group(0)


# ---- questionnaire ---------------------------------------------------------------------
def wait_for_questionnaire(driver, timeout: float = 15):
    """Waits until the eligibility check has shown the form (JS on)."""
    until(driver, lambda d: element(d, "bilan-form").is_displayed(), timeout,
          "the questionnaire never appeared (eligibility state 'eligible' expected)")
    for state in ("state-login", "state-no-subscription", "state-already-used", "state-not-eligible", "state-error"):
        assert not element(driver, state).is_displayed(), f"#{state} is shown next to the form"


def check(driver, name: str, value: str):
    box = element(driver, f"{name}-{value}")
    if not box.is_selected():
        click(driver, box)
    assert box.is_selected(), f"#{name}-{value} could not be checked"


def type_text(driver, element_id: str, text: str):
    field = element(driver, element_id)
    scroll_to(driver, field)
    field.clear()
    field.send_keys(text)


def fill_questionnaire(driver, answers: dict = STUDENT):
    """Fills the form the way a student does: selects, boxes, grades, texts."""
    for name in ("niveau", "filiere"):
        if name in answers:
            Select(element(driver, name)).select_by_value(answers[name])
    for name in ("specialites", "options", "typesEtudes", "matieresPreferees"):
        for value in answers.get(name, []):
            check(driver, name, value)
    for subject, grade in answers.get("moyennes", {}).items():
        type_text(driver, f"moyennes.{subject}", grade)
    for name in ("projetProfessionnel", "centresInteret", "pointsForts", "difficultes", "commentaire"):
        if name in answers:
            type_text(driver, name, answers[name])
    for name in ("dureeEtudes", "mobilite"):
        if name in answers:
            check(driver, name, answers[name])


def submit(driver):
    click(driver, element(driver, "submit"))


def wait_for_result_page(driver, timeout: float = 20) -> str:
    """Waits for /orientation/resultat/<id>; returns the id."""
    until(driver, lambda d: RESULT_PATH.search(d.current_url.split("?")[0]), timeout,
          "the browser did not land on /orientation/resultat/<id>")
    until(driver, lambda d: d.execute_script("return document.readyState") == "complete", 10, "page load")
    return RESULT_PATH.search(driver.current_url.split("?")[0]).group(1)


def bilan_status(driver) -> str:
    return driver.execute_script(
        "var e = document.getElementById('bilan-state'); return e ? e.getAttribute('data-status') : '';") or ""


# ---- screenshots -----------------------------------------------------------------------
def screenshot(driver, path: Path, max_height: int | None = None, max_bytes: int = 300_000) -> Path:
    """A PNG of the top of the page, cut just below the last card (no empty
    viewport under a short card) or at `max_height`, and scaled down through
    the DevTools protocol until it fits in `max_bytes`, so it can be
    committed and shown in the README."""
    driver.execute_script("window.scrollTo(0, 0);"
                          "document.activeElement && document.activeElement.blur && document.activeElement.blur();")
    width, height, content = driver.execute_script(
        "var bottom = 0;"  # <main> itself stretches to push the footer down: measure its cards
        "document.querySelectorAll('main .card').forEach(function (c) {"
        "  bottom = Math.max(bottom, c.getBoundingClientRect().bottom); });"
        "return [window.innerWidth, window.innerHeight, bottom ? Math.ceil(bottom) + 40 : 0];")
    height = min(height, content or height, max_height or height)
    data = b""
    for scale in (1.0, 0.9, 0.8, 0.7, 0.6, 0.5):
        shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png",
            "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": scale},
        })
        data = base64.b64decode(shot["data"])
        if len(data) <= max_bytes:
            break
    Path(path).write_bytes(data)
    return Path(path)
