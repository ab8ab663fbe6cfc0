"""The student's journey in a real browser (headless Chromium), against the
real stack: magic-link login, questionnaire, result page going from PENDING
through its steps to COMPLETED without a reload, server-side field errors
shown next to their field, the no-JS form post, and the FAILED state.

The tests run in file order and share one stack; each uses its own user.
"""
from __future__ import annotations

import json
import os
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from selenium.webdriver.common.by import By

from integration.browser.browser_support import (STUDENT, add_subscriber, bilan_status, callback_link, element, fill_questionnaire,
                             log_in_with_cookie, mails_to, present, screenshot, submit, text_body, text_of, until,
                             wait_for_mail, wait_for_questionnaire, wait_for_result_page)

pytestmark = pytest.mark.usefixtures("stack_logs")

# Generous: three passes of one Gemini call each, polled every 5 s.
GENERATION_TIMEOUT = 90
# The stack's fake Gemini answers in ~1.5 s, so the three passes take ~4.5 s:
# less than one 5 s poll, and the page would jump from "queued" straight to
# the report. The main journey slows each call down so every poll sees a new
# step (page at ~0 s, polls at 5, 10, 15 s; passes end at 4, 8, 12 s).
STEP_LATENCY_MS = int(os.environ.get("BILAN_BROWSER_STEP_LATENCY_MS", "4000"))


def test_login_questionnaire_then_result_without_reload(stack, browsers, artifacts):
    address = "lea.martin@example.org"
    add_subscriber(stack, address)
    driver = browsers()

    # 1. Log in like a student: the magic link arrives by e-mail.
    driver.get(stack.base_url + "/auth/login.html?returnTo=/orientation/")
    until(driver, lambda d: d.execute_script("return document.readyState") == "complete", 10, "login page load")
    assert element(driver, "returnTo").get_attribute("value") == "/orientation/"
    already = len(mails_to(stack.mail_dir, address))
    element(driver, "email").send_keys(address)
    element(driver, "login-submit").click()
    until(driver, lambda d: element(d, "login-sent").is_displayed(), 10,
          "the 'check your inbox' confirmation never appeared")
    assert address in text_of(driver, "sent-email")
    link = callback_link(wait_for_mail(stack.mail_dir, address, after=already))
    assert link.startswith(stack.base_url + "/auth/callback?token=")

    # The link opens a confirmation page naming the masked address; only its
    # button (a same-origin POST) logs in (SPEC §16).
    driver.get(link)
    until(driver, lambda d: present(d, "login-confirm-submit"), 10, "the login confirmation page")
    assert address[0] + "•••@" in text_of(driver, "login-confirm-title")
    assert driver.get_cookie("bilan_session") is None, "opening the link must not log in"
    element(driver, "login-confirm-submit").click()
    until(driver, lambda d: d.current_url.split("?")[0].rstrip("/").endswith("/orientation"), 10,
          "the magic link did not lead back to /orientation/")
    cookie = driver.get_cookie("bilan_session")
    assert cookie and cookie["value"], "no bilan_session cookie after the magic link"
    assert cookie.get("httpOnly") is True, "the session cookie must be HttpOnly"
    assert (cookie.get("sameSite") or "").lower() == "lax"

    # 2. The questionnaire appears (eligible) and is filled in.
    wait_for_questionnaire(driver)
    assert "annuel" in text_of(driver, "plan-note")
    fill_questionnaire(driver, STUDENT)
    assert driver.execute_script("return document.getElementById('moyennes.generale').valueAsNumber;") == 14.5
    assert text_of(driver, "specialites-count").endswith("2 sur 3")
    stack.gemini("POST", "/_control/latency", {"ms": STEP_LATENCY_MS})
    try:
        submit(driver)
        bilan_id, labels_seen = watch_until_finished(driver, artifacts)
    finally:
        stack.gemini("POST", "/_control/latency", {"ms": stack.gemini_latency_ms})

    assert bilan_status(driver) == "COMPLETED", f"bilan ended {bilan_status(driver)}: {text_of(driver, 'error-message')}"
    assert driver.execute_script("return window.__noReload;") == 1, "the page was reloaded (JS marker lost)"
    assert len(labels_seen) >= 2, f"the step label never changed while PENDING: {labels_seen}"
    assert all("Étape" in label or "attente" in label for label in labels_seen), labels_seen

    report_headings = driver.find_elements(By.CSS_SELECTOR, "#report h2")
    assert len(report_headings) == 8, [h.text for h in report_headings]
    toc_links = driver.find_elements(By.CSS_SELECTOR, "#toc a")
    assert len(toc_links) == 8, [a.text for a in toc_links]
    for link_el, heading in zip(toc_links, report_headings):
        assert link_el.get_attribute("href").endswith("#" + heading.get_attribute("id")), \
            f"TOC link {link_el.get_attribute('href')} does not point at heading #{heading.get_attribute('id')}"
    print_button = element(driver, "print")
    assert print_button.is_displayed() and "Imprimer" in print_button.text
    # Completed while the tab was open: the title announces it (SPEC §14).
    assert driver.title.startswith("\u2705 Votre bilan d'orientation"), driver.title
    screenshot(driver, artifacts / "completed.png", max_height=1300)

    # The print button calls window.print() (stubbed: headless has no dialog).
    driver.execute_script("window.__printed = 0; window.print = function () { window.__printed += 1; };")
    print_button.click()
    assert driver.execute_script("return window.__printed;") == 1

    # The PDF follows COMPLETED by a few seconds: the page offers « Télécharger
    # le PDF » as soon as it exists, still without a reload; the print button stays.
    until(driver, lambda d: present(d, "pdf-download"), 60, "the « Télécharger le PDF » link never appeared")
    download = element(driver, "pdf-download")
    assert download.is_displayed() and "Télécharger le PDF" in download.text
    assert download.get_attribute("href").endswith(f"/orientation/resultat/{bilan_id}.pdf")
    assert element(driver, "print").is_displayed()
    assert driver.execute_script("return window.__noReload;") == 1, "the page was reloaded for the PDF link"

    # The "ready" mail links straight to this page.
    ready = wait_for_mail(stack.mail_dir, address, subject="Bilan d'Orientation est prêt")
    assert f"/orientation/resultat/{bilan_id}" in text_body(ready)
    print(f"\nstep labels seen while PENDING: {labels_seen}")


def watch_until_finished(driver, artifacts):
    """3. The result page: PENDING, its steps, then a final state — all
    without a reload. Returns the bilan id and the step labels seen."""
    bilan_id = wait_for_result_page(driver)
    driver.execute_script("window.__noReload = 1;")
    assert bilan_status(driver) == "PENDING", f"fresh bilan shown as {bilan_status(driver)!r}"
    assert "fermer cette page" in text_of(driver, "reassure")
    assert element(driver, "bilan-state").get_attribute("aria-live") == "polite"

    labels_seen = []

    def watch(d):
        if bilan_status(d) == "PENDING":
            label = text_of(d, "step-label")
            if label and (not labels_seen or labels_seen[-1] != label):
                labels_seen.append(label)
        return labels_seen and "Étape" in labels_seen[-1]

    until(driver, watch, 30, "#step-label never said 'Étape …'")
    screenshot(driver, artifacts / "pending.png")

    def finished(d):
        watch(d)
        return bilan_status(d) in ("COMPLETED", "FAILED")

    until(driver, finished, GENERATION_TIMEOUT, f"the bilan stayed PENDING (labels seen: {labels_seen})")
    return bilan_id, labels_seen


def test_server_refusal_of_a_free_text_shows_under_its_field(stack, browsers):
    """projetProfessionnel of 2,001 characters: the browser's own check stops
    it first; with the client checks bypassed (the payload is lengthened in
    Api.postJSON, after validation), the server's 400 + field lands in
    #err-projetProfessionnel."""
    address = "hugo.bernard@example.org"
    add_subscriber(stack, address)
    driver = browsers()
    log_in_with_cookie(driver, stack, address)
    driver.get(stack.base_url + "/orientation/")
    wait_for_questionnaire(driver)
    fill_questionnaire(driver, {k: STUDENT[k] for k in ("niveau", "filiere", "specialites", "centresInteret")})

    # a) 2,001 characters typed in past the removed maxlength: refused in the browser.
    driver.execute_script("""
        var t = document.getElementById('projetProfessionnel');
        t.removeAttribute('maxlength');
        t.value = 'a'.repeat(2001);
        t.dispatchEvent(new Event('input', {bubbles: true}));
        window.__posts = 0;
        var original = window.Api.postJSON;
        window.Api.postJSON = function () { window.__posts += 1; return original.apply(this, arguments); };
    """)
    submit(driver)
    until(driver, lambda d: text_of(d, "err-projetProfessionnel"), 5, "no client-side error under the field")
    client_message = re.sub(r"\s", " ", text_of(driver, "err-projetProfessionnel"))  # fr-FR: 2 000 (U+202F)
    assert "2 000 caractères au maximum" in client_message, client_message
    assert driver.execute_script("return window.__posts;") == 0, "the client sent a text it knew to be too long"

    # b) Client checks bypassed: a valid text in the form, 2,001 characters in the request.
    driver.execute_script("""
        var t = document.getElementById('projetProfessionnel');
        t.value = 'Devenir ingénieur du son.';
        t.dispatchEvent(new Event('input', {bubbles: true}));
        var original = window.Api.postJSON;
        window.Api.postJSON = function (url, payload, options) {
            payload.projetProfessionnel = 'a'.repeat(2001);
            return original.call(this, url, payload, options);
        };
    """)
    submit(driver)
    until(driver, lambda d: "dépasse" in text_of(d, "err-projetProfessionnel"), 10,
          "the server's message never appeared under #projetProfessionnel "
          f"(err: {text_of(driver, 'err-projetProfessionnel')!r}, banner: {text_of(driver, 'submit-error')!r})")
    message = text_of(driver, "err-projetProfessionnel")
    assert message == "Ce texte dépasse 2000 caractères.", message
    assert element(driver, "projetProfessionnel").get_attribute("aria-invalid") == "true"
    assert driver.execute_script("return document.activeElement && document.activeElement.id;") == "projetProfessionnel"
    assert text_of(driver, "submit-error") == "", "a field error must not also raise the banner"
    assert driver.current_url.rstrip("/").endswith("/orientation"), "left the questionnaire on a 400"
    assert element(driver, "submit").is_enabled(), "the submit button stayed disabled after the error"
    assert stack.admin("list", "--user", address).stdout.strip() == "no bilan", "a refused questionnaire created a bilan"


def test_server_refusal_the_client_does_not_foresee(stack, browsers):
    """The server allows 20 preferred subjects (SPEC §5 limits the texts, the
    server the list too); the page counts neither its 12 boxes nor the
    comma-separated 'Autres matières préférées'. A student who ticks every box
    and names 9 more sends 21: the server's 400 + field must then show under
    the subjects, not as a banner."""
    address = "chloe.petit@example.org"
    add_subscriber(stack, address)
    driver = browsers()
    log_in_with_cookie(driver, stack, address)
    driver.get(stack.base_url + "/orientation/")
    wait_for_questionnaire(driver)
    boxes = driver.find_elements(By.CSS_SELECTOR, '#group-matieresPreferees input[type="checkbox"]')
    values = [b.get_attribute("value") for b in boxes]
    assert len(values) == 12, values
    others = ["économie", "musique", "latin", "grec ancien", "cinéma", "théâtre", "astronomie", "droit", "géologie"]
    fill_questionnaire(driver, {"niveau": "PREMIERE", "filiere": "GENERALE",
                                "centresInteret": "Un peu de tout, c'est bien mon problème !",
                                "matieresPreferees": [b.get_attribute("id").split("-", 1)[1] for b in boxes]})
    element(driver, "matieresPreferees-autres").send_keys(", ".join(others))
    driver.execute_script("""
        window.__posts = 0;
        var original = window.Api.postJSON;
        window.Api.postJSON = function () { window.__posts += 1; return original.apply(this, arguments); };""")
    submit(driver)
    until(driver, lambda d: text_of(d, "err-matieresPreferees") or text_of(d, "submit-error")
          or "/resultat/" in d.current_url, 10, "no answer to the submission")
    assert "/resultat/" not in driver.current_url, "21 preferred subjects were accepted"
    assert text_of(driver, "submit-error") == "", f"banner instead of a field error: {text_of(driver, 'submit-error')!r}"
    message = text_of(driver, "err-matieresPreferees")
    if driver.execute_script("return window.__posts;"):
        assert message == "Donnez au plus 20 matières préférées, sous forme de liste.", message
    else:  # the page learnt to count them itself: fine too
        assert "20" in message, message
    assert stack.admin("list", "--user", address).stdout.strip() == "no bilan", "a refused questionnaire created a bilan"


def test_form_works_without_javascript(stack, browsers, artifacts):
    address = "ines.moreau@example.org"
    add_subscriber(stack, address)
    driver = browsers(javascript=False)
    log_in_with_cookie(driver, stack, address)
    driver.get(stack.base_url + "/orientation/")
    assert "js" not in (element(driver, "main").find_element(By.XPATH, "/html").get_attribute("class") or "").split()
    form = element(driver, "bilan-form")
    assert form.is_displayed(), "the questionnaire is hidden without JavaScript"
    assert not element(driver, "state-loading").is_displayed(), "'Vérification de votre accès…' shown without JS"
    assert form.get_attribute("method") == "post" and form.get_attribute("action").endswith("/api/orientation/create")

    answers = dict(STUDENT, specialites=["SVT", "SES", "HGGSP"], typesEtudes=["LICENCE", "SANTE"],
                   dureeEtudes="BAC_8", mobilite="INTERNATIONALE")
    fill_questionnaire(driver, answers)
    element(driver, "alternance").click()
    submit(driver)

    bilan_id = wait_for_result_page(driver)  # the server's 303
    assert bilan_status(driver) in ("PENDING", "COMPLETED")
    if bilan_status(driver) == "PENDING":
        refresh = driver.find_elements(By.CSS_SELECTOR, "noscript")
        assert any('http-equiv="refresh"' in (n.get_attribute("innerHTML") or "") for n in refresh), \
            "a PENDING page must carry a <noscript> meta refresh"
        # The meta refresh (every 5 s) brings the finished report without JS.
        until(driver, lambda d: bilan_status(d) == "COMPLETED", GENERATION_TIMEOUT,
              "the no-JS page never refreshed itself to COMPLETED")
    assert len(driver.find_elements(By.CSS_SELECTOR, "#report h2")) == 8
    assert not element(driver, "print").is_displayed(), "the JS-only print button is shown without JS"
    stored = stack.admin("show", bilan_id).stdout
    assert "INTERNATIONALE" in stored and "HGGSP" in stored, "the form's answers were not stored"


def test_failed_generation_shows_message_support_and_retry(stack, browsers, artifacts):
    address = "nathan.roux@example.org"
    add_subscriber(stack, address)
    driver = browsers()
    log_in_with_cookie(driver, stack, address)
    stack.gemini("POST", "/_control/default", {"fault": "safety"})
    try:
        driver.get(stack.base_url + "/orientation/")
        wait_for_questionnaire(driver)
        fill_questionnaire(driver, STUDENT)
        submit(driver)
        wait_for_result_page(driver)
        driver.execute_script("window.__noReload = 1;")
        until(driver, lambda d: bilan_status(d) in ("FAILED", "COMPLETED"), GENERATION_TIMEOUT,
              "the bilan never left PENDING")
    finally:
        stack.gemini("POST", "/_control/default", {"fault": None})
    assert bilan_status(driver) == "FAILED"
    assert driver.execute_script("return window.__noReload;") == 1, "the page was reloaded (JS marker lost)"
    message = text_of(driver, "error-message")
    assert message and not re.search(r"SAFETY|Gemini|HTTP|\{", message), f"not a user-safe message: {message!r}"
    support = element(driver, "support-link")
    assert support.is_displayed() and support.get_attribute("href") == stack.base_url + "/contact"
    retry = element(driver, "retry")
    assert retry.is_displayed() and retry.get_attribute("href").endswith("/orientation/")
    screenshot(driver, artifacts / "failed.png")
    # Everything in the FAILED card is centred; its buttons should be too.
    left_gap, right_gap = driver.execute_script("""
        var card = document.querySelector('#bilan-state .failed');
        var row = card.querySelector('.actions');
        var c = card.getBoundingClientRect(), first = row.firstElementChild.getBoundingClientRect(),
            last = row.lastElementChild.getBoundingClientRect();
        return [first.left - c.left, c.right - last.right];""")

    # A FAILED bilan leaves the student eligible: "Réessayer" brings the form back.
    retry.click()
    wait_for_questionnaire(driver)

    # Checked last, so the journey above is verified whatever this finds.
    assert abs(left_gap - right_gap) <= 16, (
        f"FRONT BUG: the FAILED card's buttons are not centred (gap left {left_gap:.0f}px, right "
        f"{right_gap:.0f}px): www/assets/site.css has `.state .actions {{ justify-content: center; }}` "
        "but no such rule for `.failed .actions` (the FAILED section is `card failed`, not `state`)")


# ---- the report engine (SPEC §12) as the student sees it ---------------------------------
SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "questionnaires" / "samples"


def create_from_sample(driver, stack, address: str, answers: dict) -> str:
    """Posts a questionnaire from the logged-in page (same origin, the
    browser's own cookie) and opens its result page; returns the bilan id."""
    status, bilan_id = driver.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "fetch('/api/orientation/create', {method: 'POST', headers: {'Content-Type': 'application/json'},"
        "  body: JSON.stringify(arguments[0])}).then(function (r) { return r.json().then(function (b) {"
        "  done([r.status, b.bilanId]); }); });", answers)
    assert status == 202, status
    driver.get(f"{stack.base_url}/orientation/resultat/{bilan_id}")
    until(driver, lambda d: bilan_status(d) in ("COMPLETED", "FAILED"), GENERATION_TIMEOUT,
          "the bilan never finished")
    return bilan_id


def test_report_first_screen_speaks_french_and_knows_the_year(stack, browsers, artifacts):
    """terminale-sante-stress.json, as `make run` shows it: the profile line in
    the labels file's words, a title with the school year, no code anywhere
    (ordinary exam stress does not bring up the help card)."""
    address = "ines.sante@example.org"
    add_subscriber(stack, address)
    driver = browsers()
    log_in_with_cookie(driver, stack, address)
    answers = json.loads((SAMPLES / "terminale-sante-stress.json").read_text(encoding="utf-8"))
    create_from_sample(driver, stack, address, answers)
    assert bilan_status(driver) == "COMPLETED"
    profile = text_of(driver, "profile")
    assert profile.startswith("Terminale, voie générale") and "physique-chimie" in profile, profile
    title = driver.find_element(By.CSS_SELECTOR, "#report h1").text
    now = datetime.now(ZoneInfo("Europe/Paris"))
    start = now.year if now.month >= 9 else now.year - 1
    assert f"{start}-{start + 1}" in title, title
    page_text = driver.find_element(By.TAG_NAME, "body").text
    for code in ("PHYSIQUE_CHIMIE", "MATHS_COMPLEMENTAIRES", "BAC_8", "REGIONALE", "TERMINALE", "projetProfessionnel"):
        assert code not in page_text, code
    assert not present(driver, "help-card")
    screenshot(driver, artifacts / "report-sante-stress.png", max_height=1000)


def test_distress_puts_the_help_card_first(stack, browsers, artifacts):
    address = "sam.detresse@example.org"
    add_subscriber(stack, address)
    driver = browsers()
    log_in_with_cookie(driver, stack, address)
    answers = json.loads((SAMPLES / "terminale-cpge-aero.json").read_text(encoding="utf-8"))
    answers["difficultes"] = "Je n'en peux plus, je me sens seul et j'ai parfois envie de disparaître."
    create_from_sample(driver, stack, address, answers)
    card = element(driver, "help-card")
    assert card.is_displayed() and "Besoin d'en parler ?" in card.text, card.text
    for needed in ("3114", "0 800 235 236", "119", "psychologue de l'Éducation nationale"):
        assert needed in card.text, needed
    # First thing on the page: above the report, inside the viewport.
    report = element(driver, "report")
    assert card.location["y"] < report.location["y"]
    assert card.location["y"] < driver.execute_script("return window.innerHeight;")
    screenshot(driver, artifacts / "help-card.png", max_height=1000)
