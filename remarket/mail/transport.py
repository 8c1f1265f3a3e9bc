"""The HTTP session of an anymail connection, tuned once for many posts to one API.

anymail's HTTP backends (Postmark, Mailgun, SendGrid, Brevo...) post each email with
``requests.Session.request``. Per email, that call scans the environment (proxies,
``NO_PROXY``, CA bundle, ``~/.netrc``), merges the session's cookies, headers, hooks and
settings into the request, parses and re-quotes the URL, and looks for redirects: on a
loopback ESP, 0.7 ms of CPU per email, more than remarket spends rendering it. A tick's
connection posts thousands of emails to one API URL, so :func:`tune` settles all of that
once, when the connection opens:

* the environment is read once for that URL, set on the session, and ``trust_env``
  turned off (a proxy in ``HTTPS_PROXY`` is still used);
* a plain ``requests.Session`` becomes a :class:`LeanSession`: same adapters (urllib3's
  connection pool, TLS verification, proxies, timeouts, keep-alive), same headers, but
  the request is prepared directly.

Sessions of a backend's own ``create_session`` subclass, and other backends (SMTP,
boto3 for SES, the test backend), are left alone.
"""

from __future__ import annotations

import time
from datetime import timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.cookies import RequestsCookieJar
from requests.models import PreparedRequest
from requests.structures import CaseInsensitiveDict


def tune(connection: Any) -> None:
    """Settle the environment of ``connection``'s session for its API URL, then lean it.

    Call it after ``connection.open()``, on a connection used by one thread. A change to
    the environment applies to connections opened after it.
    """
    session = getattr(connection, "session", None)
    url = getattr(connection, "api_url", None)
    if not isinstance(session, requests.Session) or not url:
        return
    if session.trust_env:
        settled = session.merge_environment_settings(url, {}, None, None, None)
        session.proxies, session.verify = settled["proxies"], settled["verify"]
        if session.auth is None:
            session.auth = requests.utils.get_netrc_auth(url)
        session.trust_env = False
    if type(session) is requests.Session:
        # LeanSession adds no state of its own, only a shorter request(): the session
        # anymail created keeps its adapters, headers and settings.
        session.__class__ = LeanSession


class LeanSession(requests.Session):
    """A ``requests.Session`` whose plain posts skip the per-request merging.

    A request takes the short way when it carries a ``str`` or ``bytes`` body and nothing
    else to merge: no params, cookies, files, per-request auth, proxies, hooks or
    streaming, no credentials in the URL, and the session has no auth, params, cookies
    or hooks of its own and does not read the environment. That is what anymail's JSON
    APIs send. Anything else (a multipart upload with attachments, anymail's
    ``DEBUG_API_REQUESTS`` hook) goes through ``requests.Session.request`` unchanged.

    The short way sends the same request line, headers and body, through the same
    adapter, with the session's proxies, TLS verification, client certificate and the
    caller's timeout; a redirect is followed by ``requests`` itself, as before. One
    difference: cookies the API sets are not kept (the APIs authenticate with headers).
    """

    def request(  # type: ignore[override]
        self,
        method: str,
        url: str,
        params: Any = None,
        data: Any = None,
        headers: Any = None,
        cookies: Any = None,
        files: Any = None,
        auth: Any = None,
        timeout: Any = None,
        allow_redirects: bool = True,
        proxies: Any = None,
        hooks: Any = None,
        stream: Any = None,
        verify: Any = None,
        cert: Any = None,
        json: Any = None,
    ) -> requests.Response:
        if (
            params
            or cookies
            or files
            or auth
            or proxies
            or hooks
            or stream
            or json is not None
            or not isinstance(data, str | bytes)
            or _url_with_credentials(url)
            or self.trust_env
            or self.auth
            or self.params
            or len(self.cookies)
            or any(self.hooks.values())
        ):
            return super().request(
                method,
                url,
                params=params,
                data=data,
                headers=headers,
                cookies=cookies,
                files=files,
                auth=auth,
                timeout=timeout,
                allow_redirects=allow_redirects,
                proxies=proxies,
                hooks=hooks,
                stream=stream,
                verify=verify,
                cert=cert,
                json=json,
            )
        body = (data.encode("utf-8") if isinstance(data, str) else data) or None
        # As requests merges them: the request's headers over the session's, and a None
        # on either side leaves the header out.
        merged = CaseInsensitiveDict(self.headers)
        merged.update(headers or {})
        for name in [name for name, value in merged.items() if value is None]:
            del merged[name]
        method = method.upper()
        if body is not None:
            merged["Content-Length"] = str(len(body))
        elif method not in ("GET", "HEAD") and merged.get("Content-Length") is None:
            merged["Content-Length"] = "0"
        for header in merged.items():
            requests.utils.check_header_validity(header)  # no CR/LF smuggled into a header
        prepared = PreparedRequest()
        prepared.method = method
        prepared.url = _prepared_url(url)
        prepared.headers = merged
        prepared.body = body
        settings = {
            "stream": False,
            "timeout": timeout,
            "verify": self.verify if verify is None else verify,
            "cert": cert or self.cert,
            "proxies": self.proxies,
        }
        started = time.perf_counter()
        response = self.get_adapter(prepared.url).send(prepared, **settings)
        response.elapsed = timedelta(seconds=time.perf_counter() - started)
        if response.is_redirect:
            response = self._redirected(response, prepared, allow_redirects, settings)
        response.content  # noqa: B018  read the whole answer, so the socket goes back
        return response

    def _redirected(
        self,
        response: requests.Response,
        prepared: PreparedRequest,
        allow_redirects: bool,
        settings: dict[str, Any],
    ) -> requests.Response:
        """What ``requests.Session.send`` does with a 3xx answer, done by it."""
        prepared._cookies = RequestsCookieJar()  # type: ignore[attr-defined]  # it fills one
        if not allow_redirects:
            following = self.resolve_redirects(response, prepared, yield_requests=True, **settings)
            response._next = next(following, None)  # type: ignore[attr-defined]
            return response
        history = [response, *self.resolve_redirects(response, prepared, **settings)]
        final = history.pop()
        final.history = history
        return final


@lru_cache(maxsize=64)
def _url_with_credentials(url: str) -> bool:
    """``https://user:password@host/``: requests turns those into an Authorization
    header, so such a URL takes its full path."""
    return "@" in urlsplit(url).netloc


@lru_cache(maxsize=64)
def _prepared_url(url: str) -> str:
    """The URL as ``requests`` sends it (IDNA host, quoted path), once per API URL."""
    prepared = PreparedRequest()
    prepared.prepare_url(url, None)
    return prepared.url
