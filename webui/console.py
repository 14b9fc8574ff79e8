"""The console shell: sign-in, the page layout and navigation, static files, and the gateway to the API.

A :class:`Console` is a Starlette app that a process mounts under a path (the agent under ``/ui``;
the BSS's own process can mount its own under its API). Each wing adds its pages with
:meth:`Console.page` and its templates and scripts as extra directories; the layout, the styles,
the vendored libraries and the session handling are shared, so every page looks and behaves alike.

The gateway (``<root>/api/<path>``) lets the pages' scripts call the process's own API with the
session cookie instead of the token: it checks the session (and the CSRF token for a change),
replaces the cookie by the bearer token and hands the request to the API app in-process. Only the
configured path prefixes pass, so the console is not a general proxy.

Every response carries a Content-Security-Policy that allows scripts, styles, fonts and connections
only from the console's own origin: nothing is ever loaded from elsewhere, and the console works
with no internet. That includes what the gateway hands back from the API (an invoice's HTML is a
page on the console's origin too), its refusals, redirects and static files: :class:`Hardened` adds
the headers a response does not set itself. A document (an invoice) sets its own, stricter ones
(:data:`DOCUMENT_HEADERS`: no script at all), wherever it is served from.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from webui.auth import COOKIE, CSRF_HEADER, OPERATOR, Session, Sessions

HERE = Path(__file__).parent
SAFE_METHODS = frozenset({"GET", "HEAD"})
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cache-control": "no-store",
}
# The scripts and styles: kept by the browser, checked again (ETag) at each use, so an upgrade shows at once
STATIC_HEADERS = {"cache-control": "no-cache"}
# A document (an invoice's HTML or PDF, from an API or the console): it holds a customer's data and needs
# no script, so nothing in it runs or loads, only its own inline styles apply, and no page frames it
DOCUMENT_HEADERS = {
    **SECURITY_HEADERS,
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; "
    "form-action 'none'; base-uri 'none'",
}
# A document another page embeds in an <iframe> (an invoice): framed by the console's own pages only
EMBEDDABLE_HEADERS = {
    **DOCUMENT_HEADERS,
    "content-security-policy": DOCUMENT_HEADERS["content-security-policy"].replace(
        "frame-ancestors 'none'", "frame-ancestors 'self'"
    ),
    "x-frame-options": "SAMEORIGIN",
}
PageHandler = Callable[[Request, Session], Awaitable[tuple[str, dict[str, Any]]]]
DataHandler = Callable[[Request, Session], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class NavItem:
    """A navigation entry: ``path`` relative to the console's root (``alarms``), or an absolute URL."""

    path: str
    label: str


@dataclass
class ConsoleSettings:
    title: str
    token: str | None
    nav: Sequence[NavItem]
    api: ASGIApp | None = None  # the gateway's target: the process's own API app
    forwarded_prefixes: tuple[str, ...] = ()
    template_dirs: Sequence[Path] = ()
    static_dirs: Mapping[str, Path] = field(default_factory=dict)  # URL name -> directory, beside "kit"
    # The session cookie's name: one per console, since browsers share cookies between the ports of a host
    cookie: str = COOKIE
    token_label: str = "the agent's API token"  # noqa: S105 - what the sign-in form asks for, not a secret
    # The session cookie is Secure when the request came over HTTPS; behind a TLS-terminating proxy the
    # request is plain HTTP unless uvicorn trusts the proxy's X-Forwarded-Proto (only from loopback by
    # default), so a proxy on another address got a cookie without Secure: this marks it Secure always
    secure_cookie: bool = False


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def _relative_target(value: str, root: str) -> str:
    """Where to go after signing in: a path inside the console, never another site."""
    if value.startswith(root + "/") and not value.startswith("//") and re.match(r"^[\w/.\-?=&%]*$", value):
        return value
    return root + "/"


def _same_origin(request: Request) -> bool:
    """Whether a browser sent ``request`` from a page of this origin: ``Sec-Fetch-Site`` says so where
    the browser sends it, else ``Origin``; a client that is not a browser sends neither."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")  # none: typed or bookmarked by the operator
    origin = request.headers.get("origin")
    return origin is None or origin == f"{request.url.scheme}://{request.url.netloc}"


class Hardened:
    """Adds ``headers`` (:data:`SECURITY_HEADERS`) to every response of ``app`` that does not set them
    itself (a framed document keeps its own)."""

    def __init__(self, app: ASGIApp, headers: Mapping[str, str] = SECURITY_HEADERS) -> None:
        self.app = app
        self.headers = [(k.encode(), v.encode()) for k, v in headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def hardened(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in self.headers if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, hardened)


class Gateway:
    """Forwards ``<root>/api/<path>`` to the API app with the bearer token in place of the session cookie."""

    def __init__(self, console: Console) -> None:
        self.console = console

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        settings = self.console.settings
        session = self.console.session_of(request)
        root = str(scope.get("root_path", ""))
        path = str(scope["path"])[len(root) :] if str(scope["path"]).startswith(root) else str(scope["path"])
        if session is None:
            response: Response = JSONResponse({"message": "sign in to the console first"}, 401)
        elif scope["method"] not in SAFE_METHODS and not self.console.sessions.csrf_ok(
            session, request.headers.get(CSRF_HEADER)
        ):
            response = JSONResponse({"message": "the request lacks the page's CSRF token"}, 403)
        elif settings.api is None or not any(path.startswith(p) for p in settings.forwarded_prefixes):
            response = JSONResponse({"message": f"{path} is not served through the console"}, 404)
        else:
            headers = [(k, v) for k, v in scope["headers"] if k not in (b"authorization", b"cookie")]
            if settings.token:
                headers.append((b"authorization", b"Bearer " + settings.token.encode()))
            outer_root = root.removesuffix("/api").removesuffix(self.console.mounted_at)
            inner = {**scope, "path": path, "raw_path": path.encode(), "root_path": outer_root, "headers": headers}
            await settings.api(inner, receive, send)
            return
        await response(scope, receive, send)


class Console:
    def __init__(self, settings: ConsoleSettings, mounted_at: str = "/ui") -> None:
        self.settings = settings
        self.mounted_at = mounted_at
        self.sessions = Sessions(settings.token)
        self.cookie = settings.cookie
        loaders = [
            FileSystemLoader([str(d) for d in settings.template_dirs]),
            FileSystemLoader(str(HERE / "templates")),
        ]
        self.templates = Environment(loader=ChoiceLoader(loaders), autoescape=select_autoescape(default=True))
        self.templates.filters["urlquote"] = lambda value: quote(str(value), safe="")
        self._routes: list[Route | Mount] = [
            Route("/login", self._login_form, methods=["GET"]),
            Route("/login", self._login, methods=["POST"]),
            Route("/logout", self._logout, methods=["POST"]),
            Mount("/static/kit", Hardened(StaticFiles(directory=HERE / "static"), STATIC_HEADERS), name="kit"),
            *(
                Mount(f"/static/{name}", Hardened(StaticFiles(directory=d), STATIC_HEADERS), name=name)
                for name, d in settings.static_dirs.items()
            ),
            Mount("/api", Gateway(self)),
        ]

    # --- sessions -----------------------------------------------------------------------------

    def session_of(self, request: Request) -> Session | None:
        return self.sessions.check(request.cookies.get(self.cookie))

    async def _login_form(self, request: Request) -> Response:
        if self.sessions.open_access:
            return RedirectResponse(_root(request) + "/", 303)
        return self._page(request, "login.html", {"next": request.query_params.get("next", ""), "error": ""}, None)

    async def _login(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
        operator = form.get("operator", "").strip() or "operator"
        target = _relative_target(form.get("next", ""), _root(request))
        if self.sessions.open_access:
            return RedirectResponse(target, 303)
        error = ""
        if not OPERATOR.fullmatch(operator):
            error = "Your name may use letters, digits, spaces and . @ - _ (up to 64)."
        elif not self.sessions.token_matches(form.get("token", "")):
            error = f"That token is not {self.settings.token_label}."
        if error:
            context = {"next": target, "error": error, "operator": operator}
            return self._page(request, "login.html", context, None, 401)
        response = RedirectResponse(target, 303)
        response.set_cookie(
            self.cookie,
            self.sessions.issue(operator),
            max_age=int(self.sessions.lifetime_s),
            path=_root(request) + "/",
            httponly=True,
            samesite="strict",
            secure=self.settings.secure_cookie or request.url.scheme == "https",
        )
        return response

    async def _logout(self, request: Request) -> Response:
        if not _same_origin(request):  # another site's page posting here would sign the operator out
            return PlainTextResponse("sign out from the console's own page", 403)
        response = RedirectResponse(_root(request) + "/login", 303)
        response.delete_cookie(self.cookie, path=_root(request) + "/")
        return response

    # --- pages --------------------------------------------------------------------------------

    def _page(
        self, request: Request, template: str, context: dict[str, Any], session: Session | None, status: int = 200
    ) -> HTMLResponse:
        root = _root(request)
        page = self.templates.get_template(template).render(
            title=self.settings.title,
            root=root,
            nav=[(item, item.path if "://" in item.path else f"{root}/{item.path}") for item in self.settings.nav],
            current=request.url.path,
            session=session,
            open_access=self.sessions.open_access,
            token_label=self.settings.token_label,
            csrf=self.sessions.csrf(session) if session else "",
            **context,
        )
        return HTMLResponse(page, status, headers=SECURITY_HEADERS)

    def page(self, path: str, handler: PageHandler) -> None:
        """A page: ``handler`` returns the template and its context (``status`` in it: the answer's status,
        200 by default); without a session, the sign-in form."""

        async def endpoint(request: Request) -> Response:
            session = self.session_of(request)
            if session is None:
                return RedirectResponse(f"{_root(request)}/login?next={quote(request.url.path, safe='/')}", 303)
            template, context = await handler(request, session)
            status = int(context.pop("status", 200))  # a page may answer 404 (no such customer) with its own text
            return self._page(request, template, context, session, status)

        self._routes.insert(0, Route(path, endpoint, methods=["GET"]))

    def data(self, path: str, handler: DataHandler, *, embeddable: bool = False) -> None:
        """A JSON read model for the console's scripts (not an API: session only, no token). A handler
        may answer a :class:`Response` of its own instead (a 404, a document); ``embeddable`` lets the
        console's own pages show it in a frame."""
        headers = EMBEDDABLE_HEADERS if embeddable else SECURITY_HEADERS

        async def endpoint(request: Request) -> Response:
            session = self.session_of(request)
            if session is None:
                return JSONResponse({"message": "sign in to the console first"}, 401)
            answer = await handler(request, session)
            if isinstance(answer, Response):
                answer.headers.update(headers)
                return answer
            return JSONResponse(answer, headers=headers)

        self._routes.insert(0, Route(path, endpoint, methods=["GET"]))

    def app(self) -> ASGIApp:
        async def not_found(request: Request, exc: Exception) -> Response:
            return PlainTextResponse("not found", 404)

        return Hardened(Starlette(routes=list(self._routes), exception_handlers={404: not_found}))

    def install(self, app: Starlette) -> None:
        """Mount this console in ``app`` at its path and send ``/`` there (neither is part of an OpenAPI)."""
        mount = self.mounted_at

        async def home(request: Request) -> Response:
            return RedirectResponse(f"{request.scope.get('root_path', '')}{mount}/", 307)

        app.mount(mount, self.app())
        app.add_route("/", home, include_in_schema=False)
