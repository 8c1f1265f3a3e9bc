"""The tuned HTTP session (remarket.mail.transport): the same bytes on the wire, faster.

A small loopback server records exactly what arrives (request line, headers in order,
body) and answers as Postmark does; anymail's real Postmark backend posts to it, once
through the session anymail made and once through the same session after tune().
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from anymail.exceptions import AnymailRequestsAPIError
from anymail.message import AnymailMessage
from django.core.mail import get_connection

from remarket.mail import transport
from remarket.mail.models import MessageStatus
from remarket.mail.sending import classify

TOKEN = "transport-test-token"


class Recorder(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Answer)
        self.seen: list[tuple[str, list[tuple[str, str]], bytes]] = []
        self.ports: list[int] = []  # the client's port of each request: its TCP connection
        self.answer = "ok"  # or "redirect", "slow"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"


class Answer(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Recorder

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.seen.append((self.requestline, list(self.headers.items()), body))
        self.server.ports.append(self.client_address[1])
        if self.server.answer == "redirect" and self.path == "/email":
            self.reply(307, b"", location=self.server.url + "elsewhere/email")
            return
        if self.server.answer == "slow":
            time.sleep(2)
        sent = json.loads(body) if body.startswith(b"{") else {}
        answer = {"To": sent.get("To", ""), "MessageID": "id-1", "ErrorCode": 0, "Message": "OK"}
        self.reply(200, json.dumps(answer).encode())

    def reply(self, status: int, payload: bytes, location: str = "") -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        if location:
            self.send_header("Location", location)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server(settings) -> Iterator[Recorder]:
    recorder = Recorder()
    thread = threading.Thread(target=recorder.serve_forever, daemon=True)
    thread.start()
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": TOKEN, "POSTMARK_API_URL": recorder.url}
    yield recorder
    recorder.shutdown()
    recorder.server_close()


def opened(tuned: bool = True):  # type: ignore[no-untyped-def]
    connection = get_connection()
    connection.open()
    if tuned:
        transport.tune(connection)
    return connection


def send(connection, to: str = "ann@example.com") -> AnymailMessage:  # type: ignore[no-untyped-def]
    email = AnymailMessage(
        subject="Your cart — still there",
        body="Hi Ann,\nyour cart is waiting.",
        from_email="Shop <shop@example.com>",
        to=[to],
        headers={"List-Unsubscribe": "<https://shop.example/u/abc/>"},
        connection=connection,
    )
    email.attach_alternative("<p>Hi Ann, your cart is waiting.</p>", "text/html")
    email.tags = ["remarket"]
    email.metadata = {"remarket_message": "7"}
    email.send()
    return email


def test_a_tuned_session_puts_the_same_request_on_the_wire(server):
    plain, tuned = opened(tuned=False), opened()

    first, second = send(plain), send(tuned)

    assert type(plain.session) is requests.Session
    assert type(tuned.session) is transport.LeanSession
    assert len(server.seen) == 2
    assert server.seen[0] == server.seen[1]  # request line, every header in order, body
    line, headers, body = server.seen[1]
    assert line == "POST /email HTTP/1.1"
    assert ("X-Postmark-Server-Token", TOKEN) in headers
    assert ("Content-Length", str(len(body))) in headers
    assert json.loads(body)["Subject"] == "Your cart — still there"
    assert first.anymail_status.status == second.anymail_status.status == {"sent"}
    assert second.anymail_status.recipients["ann@example.com"].message_id == "id-1"


def test_the_tuned_session_keeps_its_connection_alive_between_posts(server):
    connection = opened()

    for n in range(3):
        send(connection, to=f"p{n}@example.com")

    assert len(set(server.ports)) == 1  # one TCP connection, reused
    assert [json.loads(body)["To"] for _, _, body in server.seen] == [
        "p0@example.com",
        "p1@example.com",
        "p2@example.com",
    ]


def test_a_redirect_is_followed_as_requests_follows_it(server):
    # A 307 asks for the same POST elsewhere: the API did not take the email, the new
    # place does. requests follows it; the tuned session lets requests do just that.
    server.answer = "redirect"

    plain = send(opened(tuned=False))
    plain_seen, server.seen = server.seen, []
    tuned = send(opened())

    assert server.seen == plain_seen
    assert [line for line, _, _ in server.seen] == [
        "POST /email HTTP/1.1",
        "POST /elsewhere/email HTTP/1.1",
    ]
    assert server.seen[0][2] == server.seen[1][2]  # the same email, posted once more
    assert plain.anymail_status.status == tuned.anymail_status.status == {"sent"}


def test_headers_merge_as_requests_merges_them(server):
    # A None, in the session's headers or the request's, leaves that header out.
    plain, tuned = opened(tuned=False), opened()
    for connection in (plain, tuned):
        connection.session.headers["Accept-Encoding"] = None
        connection.session.headers["X-Shop"] = "tea"

    plain.session.request("POST", server.url + "email", data="{}", headers={"X-Shop": None})
    tuned.session.request("POST", server.url + "email", data="{}", headers={"X-Shop": None})
    tuned.session.request("POST", server.url + "email", data="")

    assert server.seen[0] == server.seen[1]
    # requests' "gzip, deflate" left out: http.client says "identity" by itself
    assert dict(server.seen[1][1])["Accept-Encoding"] == "identity"
    assert "X-Shop" not in dict(server.seen[1][1])
    assert dict(server.seen[2][1])["Content-Length"] == "0"  # as requests sends no body


def test_credentials_in_the_api_url_still_become_an_authorization_header(server):
    url = server.url.replace("http://", "http://api:secret@") + "email"

    opened().session.request("POST", url, data="{}")

    assert dict(server.seen[0][1])["Authorization"] == "Basic YXBpOnNlY3JldA=="


def test_the_timeout_still_applies(server, settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "REQUESTS_TIMEOUT": 0.3}
    server.answer = "slow"
    started = time.monotonic()

    with pytest.raises(AnymailRequestsAPIError) as caught:
        send(opened())

    assert time.monotonic() - started < 1.5
    assert isinstance(caught.value, requests.exceptions.ReadTimeout)
    assert classify(caught.value) == MessageStatus.REVIEW  # it may have been taken


def test_anything_but_a_plain_post_goes_the_whole_way_through_requests(server):
    connection = opened()
    seen_by_hook = []
    connection.session.hooks["response"].append(lambda r, **kw: seen_by_hook.append(r.status_code))

    send(connection)
    connection.session.hooks["response"].clear()
    connection.session.request("POST", server.url + "email", files={"a": ("a.txt", b"x")})

    assert seen_by_hook == [200]  # a hook (anymail's DEBUG_API_REQUESTS) still runs
    _, headers, body = server.seen[1]
    assert dict(headers)["Content-Type"].startswith("multipart/form-data")
    assert b'filename="a.txt"' in body


def test_a_header_with_a_line_break_is_refused_before_anything_is_sent(server, settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "POSTMARK_SERVER_TOKEN": "token\r\nX-Evil: 1"}

    with pytest.raises(AnymailRequestsAPIError) as caught:
        send(opened())

    assert isinstance(caught.value, requests.exceptions.InvalidHeader)  # as requests says it
    assert server.seen == []


def test_a_session_of_the_backends_own_class_and_other_backends_are_left_alone(server, settings):
    class Custom(requests.Session):
        pass

    connection = get_connection()
    connection.session = Custom()
    connection.session.trust_env = False
    transport.tune(connection)
    assert type(connection.session) is Custom

    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    test_backend = opened()  # no session at all: nothing to tune
    assert not hasattr(test_backend, "session")
