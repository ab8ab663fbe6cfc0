"""The report PDF and the history page end to end (SPEC §14): the real
generator renders a completed bilan with the real WeasyPrint; `bilan-page`
serves it (application/pdf, named for its day, ETag and 304, 404 for another
user and for unknown ids, the login redirect); its text (pdftotext) holds the
day, the level and every section heading; the ready mail, through libcurl
and the SMTP sink, carries it; without WeasyPrint the bilan completes and is
mailed without it, and `recover` makes it once WeasyPrint is back, spacing its
tries; `/orientation/historique` lists the bilans as HTML, no JavaScript.

One stack of this module's own. WEASYPRINT_PATH names a link the tests
make and remove: WeasyPrint is "installed" or "missing" for the generators
that bilan-create spawns, without restarting anything.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from integration.e2e.generator_support import (FAST_ENV, REPORT_HEADINGS, assert_nothing_pending, check_ready_mail,
                                               create_bilan, log_lines, new_client, pdf_attachments, raw_mails_to,
                                               recover, reset_gemini, stop_stack_when_idle, wait_generators_idle,
                                               wait_settled)
from integration.e2e.support import Users, start_stack

FRENCH_MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
                 "octobre", "novembre", "décembre"]
FOOTER = "informations à vérifier sur parcoursup.gouv.fr / onisep.fr"
WEASYPRINT = shutil.which("weasyprint") or "/usr/bin/weasyprint"


@pytest.fixture(scope="module")
def weasyprint_link():
    """The path WEASYPRINT_PATH names: a link to the real WeasyPrint, or nothing."""
    folder = Path(tempfile.mkdtemp(prefix="bilan-weasyprint-"))
    link = folder / "weasyprint"
    link.symlink_to(WEASYPRINT)
    yield link
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def pdf_stack(weasyprint_link):
    stack = start_stack(mail="smtp", env=dict(FAST_ENV, WEASYPRINT_PATH=str(weasyprint_link)))
    yield stack
    stop_stack_when_idle(stack)


@pytest.fixture
def pdf(pdf_stack, weasyprint_link):
    wait_generators_idle(pdf_stack)
    reset_gemini(pdf_stack)
    yield pdf_stack
    if not weasyprint_link.is_symlink():
        weasyprint_link.symlink_to(WEASYPRINT)
    assert_nothing_pending(pdf_stack)


def completed_bilan(stack, prefix: str, sample: str = "terminale-cpge-aero"):
    client = new_client(stack, prefix)
    bilan_id = create_bilan(client, sample)
    body = wait_settled(client, bilan_id)
    assert body["status"] == "COMPLETED", body
    wait_generators_idle(stack)
    return client, bilan_id, body


def paris_day(iso_instant: str) -> datetime:
    return datetime.fromisoformat(iso_instant.replace("Z", "+00:00")).astimezone(ZoneInfo("Europe/Paris"))


def french_long(day: datetime) -> str:
    return f"{'1er' if day.day == 1 else day.day} {FRENCH_MONTHS[day.month - 1]} {day.year}"


def pdf_text(data: bytes, tmp_path: Path) -> str:
    """pdftotext's reading of the PDF, whitespace collapsed (headings may wrap)."""
    path = tmp_path / "bilan.pdf"
    path.write_bytes(data)
    result = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return " ".join(result.stdout.split())


def pdf_row(stack, bilan_id: str) -> dict:
    text = stack.psql("""SELECT json_build_object('size', "size", 'etag', "etag", 'attempts', "attempts",
                                 'made', "pdf" IS NOT NULL, 'lastError', "lastError")
                           FROM "orientation_bilan_pdfs" WHERE "bilanId" = :'v1'::uuid""", bilan_id)
    return json.loads(text) if text else {}


# ---- a completed bilan's PDF -------------------------------------------------------------------
def test_the_pdf_is_served_named_for_its_day_and_holds_every_heading(pdf, tmp_path):
    client, bilan_id, body = completed_bilan(pdf, "pdf-route")
    day = paris_day(body["completedAt"])
    response = client.get(f"/orientation/resultat/{bilan_id}.pdf")
    assert response.status_code == 200, response.text[:500]
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="bilan-orientation-{day.strftime("%Y-%m-%d")}.pdf"'
    assert response.content.startswith(b"%PDF-")
    row = pdf_row(pdf, bilan_id)
    assert row["made"] and row["size"] == len(response.content) and row["etag"] == response.headers["ETag"], row

    text = pdf_text(response.content, tmp_path)
    for heading in REPORT_HEADINGS:
        assert text.count(heading) >= 2, f"« {heading} » not in the contents and the report:\n{text[:3000]}"
    assert f"Réalisé le {french_long(day)}" in text, text[:1000]
    assert "Niveau : terminale" in text, text[:1000]
    assert FOOTER in text and f"Bilan du {french_long(day)}" in text, text[-2000:]
    assert re.search(r"Page 2 sur \d+", text), "no page numbers"

    # Revalidation: the same ETag costs a 304 and no bytes.
    again = client.get(f"/orientation/resultat/{bilan_id}.pdf", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and not again.content

    # The page now offers the download; the print button stays.
    page = client.get(f"/orientation/resultat/{bilan_id}").text
    assert f'id="pdf-download" href="/orientation/resultat/{bilan_id}.pdf"' in page
    assert 'id="print"' in page and 'id="pdf-pending"' not in page
    assert any('event="pdf made"' in line for line in log_lines(pdf, bilan_id))


def test_another_user_unknown_and_malformed_ids_get_404_and_no_session_the_login(pdf):
    client, bilan_id, _ = completed_bilan(pdf, "pdf-owner")
    other = new_client(pdf, "pdf-other")
    for who, path in [(other, f"/orientation/resultat/{bilan_id}.pdf"),
                      (client, "/orientation/resultat/00000000-0000-4000-8000-000000000000.pdf"),
                      (client, "/orientation/resultat/not-a-bilan.pdf"),
                      (client, f"/orientation/resultat/{bilan_id}x.pdf")]:
        response = who.get(path)
        assert response.status_code == 404, (path, response.status_code)
        assert response.headers["Content-Type"].startswith("text/html") and b"%PDF" not in response.content
    anonymous = Users(pdf, "pdf-anon").anonymous()
    response = anonymous.get(f"/orientation/resultat/{bilan_id}.pdf")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/auth/login.html?returnTo=/orientation/resultat/{bilan_id}.pdf"


def test_the_ready_mail_carries_the_pdf_over_smtp(pdf):
    client, bilan_id, body = completed_bilan(pdf, "pdf-mail", "terminale-sante-stress")
    mails = raw_mails_to(pdf, client.email)
    assert len(mails) == 1
    message = check_ready_mail(mails[0], link=f"{pdf.base_url}/orientation/resultat/{bilan_id}", address=client.email)
    assert message.get_content_type() == "multipart/mixed"
    attached = pdf_attachments(message)
    day = paris_day(body["completedAt"]).strftime("%Y-%m-%d")
    assert [name for name, _ in attached] == [f"bilan-orientation-{day}.pdf"]
    assert attached[0][1] == client.get(f"/orientation/resultat/{bilan_id}.pdf").content


# ---- without WeasyPrint ---------------------------------------------------------------------------
def test_without_weasyprint_the_bilan_completes_and_is_mailed_then_recover_makes_the_pdf(pdf, weasyprint_link, tmp_path):
    weasyprint_link.unlink()
    client, bilan_id, _ = completed_bilan(pdf, "pdf-absent")
    mails = raw_mails_to(pdf, client.email)
    assert len(mails) == 1, "the mail must not wait for the PDF"
    message = check_ready_mail(mails[0], link=f"{pdf.base_url}/orientation/resultat/{bilan_id}", address=client.email)
    assert message.get_content_type() == "multipart/alternative" and not pdf_attachments(message)
    failures = [line for line in log_lines(pdf, bilan_id) if 'event="pdf not made' in line]
    assert len(failures) == 1 and "missing" in failures[0], log_lines(pdf, bilan_id)
    assert pdf_row(pdf, bilan_id)["attempts"] == 1
    assert client.get(f"/orientation/resultat/{bilan_id}.pdf").status_code == 404
    page = client.get(f"/orientation/resultat/{bilan_id}").text
    assert 'id="pdf-download"' not in page and 'id="pdf-pending"' in page and 'id="print"' in page

    # WeasyPrint is back: the next recovery run makes it; no second mail.
    weasyprint_link.symlink_to(WEASYPRINT)
    recover(pdf)
    row = pdf_row(pdf, bilan_id)
    assert row["made"] and row["lastError"] is None, row
    assert FOOTER in pdf_text(client.get(f"/orientation/resultat/{bilan_id}.pdf").content, tmp_path)
    assert len(raw_mails_to(pdf, client.email)) == 1


def test_recover_spaces_out_the_tries_while_weasyprint_stays_missing(pdf, weasyprint_link):
    weasyprint_link.unlink()
    client, bilan_id, _ = completed_bilan(pdf, "pdf-spacing")
    recover(pdf)  # the first retry is due at once
    assert pdf_row(pdf, bilan_id)["attempts"] == 2
    recover(pdf)  # the next one only a minute later
    assert pdf_row(pdf, bilan_id)["attempts"] == 2
    pdf.psql("""UPDATE "orientation_bilan_pdfs" SET "lastAttemptAt" = now() - interval '61 seconds'
                 WHERE "bilanId" = :'v1'::uuid""", bilan_id)
    weasyprint_link.symlink_to(WEASYPRINT)
    recover(pdf)
    assert pdf_row(pdf, bilan_id)["made"]


def test_admin_check_says_whether_weasyprint_works(pdf, weasyprint_link):
    line = next(l for l in pdf.admin("check", check=False).stdout.splitlines() if " weasyprint " in f" {l} ")
    assert line.startswith("ok") and "WeasyPrint version" in line, line
    weasyprint_link.unlink()
    result = pdf.admin("check", check=False)
    line = next(l for l in result.stdout.splitlines() if " weasyprint " in f" {l} ")
    assert result.returncode == 1 and line.startswith("FAIL") and "missing" in line, result.stdout


# ---- history without JavaScript ---------------------------------------------------------------------
def test_the_history_page_lists_the_bilans_without_javascript(pdf):
    client, bilan_id, body = completed_bilan(pdf, "pdf-history")
    other, foreign_id, _ = completed_bilan(pdf, "pdf-history-other")
    response = client.get("/orientation/historique")
    assert response.status_code == 200, response.text[:500]
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    page = response.text
    assert "<script" not in page
    assert f'data-bilan-id="{bilan_id}" data-status="COMPLETED"' in page
    assert f'href="/orientation/resultat/{bilan_id}"' in page and f'href="/orientation/resultat/{bilan_id}.pdf"' in page
    assert f"Bilan du {french_long(paris_day(body['createdAt']))}" in page
    assert "Terminale, voie générale" in page
    assert foreign_id not in page
    # Signed out: the login page, which comes back here.
    response = Users(pdf, "pdf-history-anon").anonymous().get("/orientation/historique")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login.html?returnTo=/orientation/historique"
    # The former static page's address leads here (bookmarks, older mails).
    moved = client.get("/orientation/historique.html")
    assert moved.status_code == 301 and moved.headers["Location"].endswith("/orientation/historique")
