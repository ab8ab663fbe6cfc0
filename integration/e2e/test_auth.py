"""Magic-link login: POST /auth/login, GET /auth/callback (a confirmation
page that consumes nothing), POST /auth/callback (consumes the link, opens
the session), POST /auth/logout (SPEC §3, §16)."""
import re
import time
from urllib.parse import urlencode

import pytest

from integration.e2e.support import SESSION_COOKIE, assert_error, assert_json, mails_to, text_of, wait_for, wait_for_mail

LINK = re.compile(r"(https?://[^\s\"'<>]+)/auth/callback\?token=([A-Za-z0-9_-]+)")


def ask_link(client, address, return_to=None, as_form=True):
    fields = {"email": address}
    if return_to is not None:
        fields["returnTo"] = return_to
    if as_form:
        return client.post("/auth/login", data=fields)
    return client.post("/auth/login", json=fields)


def magic_link(stack, client, address, return_to=None) -> str:
    """Asks for a link and returns its path and query, from the mail."""
    before = len(mails_to(stack, address))
    response = ask_link(client, address, return_to)
    assert response.status_code in (200, 303), response.text
    body = text_of(wait_for(lambda: (lambda mails: mails[-1] if len(mails) > before else None)(
        mails_to(stack, address)), 10, f"a new mail to {address}"))
    match = LINK.search(body)
    assert match, body
    assert match.group(1) == stack.base_url
    return "/auth/callback?token=" + match.group(2)


def use_link(browser, link: str):
    """What a student does with the mail: opens the link (a page that
    consumes nothing) and presses « Se connecter » (a same-origin POST)."""
    page = browser.get(link)
    assert page.status_code == 200, page.text[:500]
    assert "Set-Cookie" not in page.headers
    token = re.search(r'name="token" value="([A-Za-z0-9_-]+)"', page.text).group(1)
    assert link.endswith(token)
    return browser.post("/auth/callback", data={"token": token})


def cookie_attributes(set_cookie: str) -> tuple[str, str, set[str]]:
    """`name=value; A; B=c` → (name, value, {"a", "b=c"}) with attributes lower-cased."""
    first, *attributes = [part.strip() for part in set_cookie.split(";")]
    name, _, value = first.partition("=")
    return name, value, {a.lower() for a in attributes if a}


# ---- POST /auth/login ----------------------------------------------------------
@pytest.mark.parametrize("as_form", [True, False], ids=["form", "json"])
def test_login_answers_the_same_for_known_and_unknown_addresses(stack, users, as_form):
    known, unknown = users.registered(), users.address()

    unknown_answer = ask_link(users.anonymous(), unknown, as_form=as_form)
    known_answer = ask_link(users.anonymous(), known, as_form=as_form)

    assert known_answer.status_code == unknown_answer.status_code
    assert known_answer.status_code == (303 if as_form else 200)
    assert known_answer.content == unknown_answer.content
    assert known_answer.headers.get("Location") == unknown_answer.headers.get("Location")
    assert known_answer.headers.get("Content-Type") == unknown_answer.headers.get("Content-Type")
    assert "Set-Cookie" not in known_answer.headers and "Set-Cookie" not in unknown_answer.headers
    if not as_form:
        assert_json(known_answer, 200)

    # Only the known address gets a mail, with a link to the callback.
    assert LINK.search(text_of(wait_for_mail(stack, known)))
    time.sleep(0.5)
    assert mails_to(stack, unknown) == []


def test_login_with_an_invalid_address_is_400(users):
    body = assert_error(users.anonymous().post("/auth/login", json={"email": "pas-une-adresse"}), 400,
                        "invalid_email")
    assert body.get("field") == "email"


@pytest.mark.parametrize("path,allowed", [("/auth/login", "POST"), ("/auth/logout", "POST")])
def test_wrong_method_on_auth_routes_is_405_with_allow(users, path, allowed):
    response = users.anonymous().request("PUT", path, json={})
    assert_error(response, 405, "method_not_allowed")
    assert allowed in response.headers["Allow"]


# ---- GET and POST /auth/callback ------------------------------------------------------
def test_link_sets_the_session_cookie_and_redirects_to_the_return_path(stack, users):
    address = users.registered()
    browser = users.anonymous()
    return_to = "/orientation/historique.html?depuis=mail"

    response = use_link(browser, magic_link(stack, browser, address, return_to))

    assert response.status_code == 303, response.text
    assert response.headers["Location"] in (return_to, stack.base_url + return_to)
    name, token, attributes = cookie_attributes(response.headers["Set-Cookie"])
    assert name == SESSION_COOKIE and len(token) >= 22  # at least 128 bits
    assert {"httponly", "samesite=lax", "path=/"} <= attributes
    assert "secure" not in attributes  # PUBLIC_URL is http here

    # The cookie is a working session.
    browser.token = token
    assert assert_json(browser.eligibility(), 200) == {"eligible": False, "reason": "NO_SUBSCRIPTION"}


def test_link_without_return_path_lands_on_the_orientation_home(stack, users):
    address = users.registered()
    browser = users.anonymous()
    response = use_link(browser, magic_link(stack, browser, address))
    assert response.status_code == 303
    assert response.headers["Location"] in ("/orientation/", stack.base_url + "/orientation/")


def test_link_works_once(stack, users):
    address = users.registered()
    browser = users.anonymous()
    link = magic_link(stack, browser, address)
    token = link.rsplit("=", 1)[1]
    assert use_link(browser, link).status_code == 303

    for again in (browser.get(link), browser.post("/auth/callback", data={"token": token})):
        assert again.status_code == 400
        assert again.headers["Content-Type"].startswith("text/html")
        assert "Set-Cookie" not in again.headers


def test_expired_link_is_refused(stack, users):
    address = users.registered()
    browser = users.anonymous()
    link = magic_link(stack, browser, address)
    stack.psql("""UPDATE login_tokens SET "expiresAt" = now() - interval '1 second'
                  WHERE lower(email) = lower(:'v1')""", address)

    for response in (browser.get(link), browser.post("/auth/callback", data={"token": link.rsplit("=", 1)[1]})):
        assert response.status_code == 400
        assert response.headers["Content-Type"].startswith("text/html")
        assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("token", ["0" * 64, "abc", "' OR 1=1 --"])
def test_unknown_or_malformed_token_is_a_400_page(users, token):
    response = users.anonymous().get("/auth/callback?" + urlencode({"token": token}))
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("return_to", ["//evil.example", "https://evil.example", "/\\evil.example",
                                       "http:/evil.example", " //evil.example"])
def test_foreign_return_path_lands_on_the_orientation_home(stack, users, return_to):
    address = users.registered()
    browser = users.anonymous()

    response = use_link(browser, magic_link(stack, browser, address, return_to))

    assert response.status_code == 303
    assert response.headers["Location"] in ("/orientation/", stack.base_url + "/orientation/")


# ---- POST /auth/logout --------------------------------------------------------------
def test_logout_ends_the_session(stack, users):
    address = users.registered()
    browser = users.anonymous()
    login = use_link(browser, magic_link(stack, browser, address))
    browser.token = cookie_attributes(login.headers["Set-Cookie"])[1]
    assert_json(browser.eligibility(), 200)

    response = browser.post("/auth/logout", json={})

    assert response.status_code in (200, 204, 303), response.text
    name, value, attributes = cookie_attributes(response.headers["Set-Cookie"])
    assert name == SESSION_COOKIE and value == ""
    assert "max-age=0" in attributes or any(a.startswith("expires=") for a in attributes)
    # The old token is dead on the server too, not only forgotten by the browser.
    assert_error(browser.eligibility(), 401, "unauthenticated")


def test_logout_from_the_no_js_form_redirects(stack, subscriber):
    response = subscriber.post("/auth/logout", data=b"",
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 303
    assert_error(subscriber.eligibility(), 401, "unauthenticated")


# ---- login CSRF, prefetching, revocation (SPEC §16) ----------------------------------------
def test_opening_a_link_consumes_nothing_and_names_the_masked_address(stack, users):
    """A mail scanner (HEAD, GET) or an attacker who sends a victim's browser
    to the attacker's own link opens a page, not a session."""
    address = users.registered()
    browser = users.anonymous()
    link = magic_link(stack, browser, address)
    head = browser.request("HEAD", link)
    assert head.status_code == 200 and "Set-Cookie" not in head.headers and head.content == b""
    for _ in range(3):
        page = browser.get(link)
        assert page.status_code == 200 and "Set-Cookie" not in page.headers
    masked = address[0] + "•••@" + address.split("@")[1]
    assert f"Se connecter en tant que {masked}" in page.text, page.text
    assert address not in page.text
    assert page.headers["Referrer-Policy"] == "strict-origin" and page.headers["Cache-Control"] == "no-store"
    assert 'method="post" action="/auth/callback"' in page.text
    # Still usable: nothing was consumed.
    assert use_link(browser, link).status_code == 303


@pytest.mark.parametrize("origin", ["https://evil.example", "null", None])
def test_a_cross_site_post_of_a_link_sets_no_cookie(stack, users, origin):
    address = users.registered()
    browser = users.anonymous()
    token = magic_link(stack, browser, address).rsplit("=", 1)[1]
    attacker = users.anonymous()
    headers = {"Origin": origin} if origin else {}
    if origin is None:
        attacker.http.headers.pop("Origin", None)
    response = attacker.post("/auth/callback", data={"token": token}, headers=headers)
    assert response.status_code == 403 and "Set-Cookie" not in response.headers, response.text
    # The refused post consumed nothing: the owner can still log in.
    assert use_link(browser, "/auth/callback?token=" + token).status_code == 303


@pytest.mark.parametrize("origin", ["null", None])
def test_login_without_a_same_origin_is_refused(users, origin):
    client = users.anonymous()
    client.http.headers.pop("Origin", None)
    headers = {"Origin": origin} if origin else {}
    response = client.post("/auth/login", json={"email": users.registered()}, headers=headers)
    assert_error(response, 403, "forbidden_origin")


def test_a_new_login_ends_other_sessions_and_unused_links(stack, users):
    address = users.registered()
    phone, laptop = users.anonymous(), users.anonymous()
    phone_link = magic_link(stack, phone, address)
    phone.token = cookie_attributes(use_link(phone, phone_link).headers["Set-Cookie"])[1]
    assert_json(phone.eligibility(), 200)
    first = magic_link(stack, laptop, address)
    second = magic_link(stack, laptop, address)
    assert len({phone_link, first, second}) == 3
    assert use_link(laptop, second).status_code == 303
    # The phone's session and the unused first link are gone.
    assert_error(phone.eligibility(), 401, "unauthenticated")
    assert laptop.get(first).status_code == 400
