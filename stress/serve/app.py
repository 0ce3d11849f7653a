"""The HTTP side of the what-if page (Starlette): the page, its assets, a JSON API.

    GET  /                              the page
    GET  /static/...                    its scripts, styles and the charting library (package data)
    GET  /api/scenario                  controls (from the schema) with the scenario's values, N, caps
    POST /api/plan                      {tiers} -> the controls of the tiers of that plan
    POST /api/what-if                   {client, seq, tiers, values, n, seed} -> the answer
    POST /api/save                      {tiers, values} -> the scenario as a TOML file (a download)
    POST /api/run                       {tiers, values, n, seed} -> a result folder in --results, with its report

``tiers`` is the plan in order: a loaded tier by name, an added one as {name,
trigger}; left out, the loaded plan (``plans``).
    GET  /api/results                   the result folders in --results (as stress results lists them)
    GET  /results/{name}/report.html    the HTML report of a folder directly inside --results

Errors are JSON ``{message, errors: [{key, message}]}``: 400 for bad values (each
message pinned to its key), 404 for what is not served, 409 for a question a newer one
from the same page superseded, 413 for a body over 1 MB, 415 for a body not sent as
JSON, 503 while the server stops, 504 for a run stopped at its deadline. Blocking work
runs in threads, so the server answers while a run computes. Every response forbids
fetching anything from anywhere but this server; on a loopback address only loopback
host names are accepted (a web page elsewhere cannot reach the server through DNS
rebinding).
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any, Awaitable, Callable

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from stress.errors import UserError
from stress.serve.session import NotFound, Stale, WhatIf
from stress.serve.values import InputError
from stress.serve.worker import Stopped, TimedOut, WorkerFailed

MAX_BODY = 1_000_000
# The page's bodies nest 3 levels ({values: {key: [...]}}); deeper ones are refused before
# anything walks them (100,000 "[" under 1 MB gave a RecursionError and a 500).
MAX_DEPTH = 20
LOOPBACK_NAMES = ["127.0.0.1", "localhost", "::1", "[::1]"]
PAGE_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
               "connect-src 'self'; font-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'")
# Reports are self-contained: inline styles and data: images, no scripts.
REPORT_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'"


def create_app(session: WhatIf, *, loopback: bool = True) -> Starlette:
    """The application over a started ``WhatIf``. With ``loopback`` (the server
    listens on a loopback address) requests must name a loopback host."""
    page = resources.files("stress.serve").joinpath("static", "index.html").read_text(encoding="utf-8")

    async def index(request: Request) -> Response:
        return HTMLResponse(page)

    async def scenario(request: Request) -> Response:
        return JSONResponse(session.info())

    async def plan(request: Request) -> Response:
        body = await _json(request)
        return JSONResponse(session.plan(body.get("tiers")))

    async def what_if(request: Request) -> Response:
        body = await _json(request)
        answer = await run_in_threadpool(session.what_if, body.get("client"), body.get("seq"), body.get("values", {}),
                                         body.get("n", session.n), body.get("seed", session.seed), body.get("tiers"))
        return _json_response(answer)

    async def save(request: Request) -> Response:
        body = await _json(request)
        name, text = session.save(body.get("values", {}), body.get("tiers"))
        return Response(text, media_type="application/toml",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    async def run(request: Request) -> Response:
        body = await _json(request)
        done = await run_in_threadpool(session.run_in_full, body.get("values", {}), body.get("n"),
                                       body.get("seed", session.seed), body.get("tiers"))
        return JSONResponse(done)

    async def results(request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(session.results_list))

    async def report(request: Request) -> Response:
        path = await run_in_threadpool(session.report, request.path_params["name"])
        return FileResponse(path, media_type="text/html", headers={"Content-Security-Policy": REPORT_POLICY})

    routes = [
        Route("/", index),
        Route("/api/scenario", scenario),
        Route("/api/plan", _errors(plan), methods=["POST"]),
        Route("/api/what-if", _errors(what_if), methods=["POST"]),
        Route("/api/save", _errors(save), methods=["POST"]),
        Route("/api/run", _errors(run), methods=["POST"]),
        Route("/api/results", _errors(results)),
        Route("/results/{name}/report.html", _errors(report)),
        Mount("/static", StaticFiles(packages=[("stress.serve", "static")]), name="static"),
    ]
    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=LOOPBACK_NAMES if loopback else ["*"]),
                  Middleware(_SecurityHeaders)]
    return Starlette(routes=routes, middleware=middleware)


class _BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


async def _json(request: Request) -> dict[str, Any]:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise _BadRequest(415, "send the request body as JSON (Content-Type: application/json)")
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_BODY:
        raise _BadRequest(413, f"the request body is larger than {MAX_BODY:,} bytes")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise _BadRequest(413, f"the request body is larger than {MAX_BODY:,} bytes")
    try:
        data = json.loads(body, parse_constant=_no_constant)
    except ValueError as exc:
        raise _BadRequest(400, f"the request body is not JSON: {exc}") from None
    except RecursionError:  # the parser's own limit, ~1,000 levels
        data = None
    if data is None or _depth(data) > MAX_DEPTH:
        raise _BadRequest(400, f"the request body is nested more than {MAX_DEPTH} levels deep")
    if not isinstance(data, dict):
        raise _BadRequest(400, "the request body must be a JSON object")
    return data


def _depth(data: Any) -> int:
    """How deeply ``data``'s lists and objects nest (without recursion)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _json_response(data: Any) -> Response:
    return Response(json.dumps(data, allow_nan=False, separators=(",", ":")), media_type="application/json")


def _problem(status: int, message: str, errors: list[dict[str, Any]] | None = None, **extra: Any) -> Response:
    return JSONResponse({"message": message, "errors": errors or [{"key": None, "message": message}], **extra},
                        status_code=status)


def _errors(endpoint: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    """Turn the errors an endpoint may meet into JSON problems with their status."""
    async def handle(request: Request) -> Response:
        try:
            return await endpoint(request)
        except _BadRequest as exc:
            return _problem(exc.status, str(exc))
        except InputError as exc:
            return JSONResponse(exc.to_dict(), status_code=400)
        except Stale:
            return _problem(409, "a newer question from this page superseded this one", stale=True)
        except TimedOut as exc:
            return _problem(504, f"the run {exc}; ask for fewer replications")
        except NotFound as exc:
            return _problem(404, str(exc))
        except UserError as exc:
            return _problem(400, str(exc))
        except Stopped:
            return _problem(503, "the server is stopping")
        except WorkerFailed as exc:
            return _problem(500, f"this is a bug in stress, please report it:\n{exc}")
    handle.__name__ = endpoint.__name__
    return handle


class _SecurityHeaders:
    """Every response: nothing from elsewhere, no sniffing, no framing, no referrer."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra = {b"content-security-policy": PAGE_POLICY.encode(), b"x-content-type-options": b"nosniff",
                         b"referrer-policy": b"no-referrer", b"x-frame-options": b"DENY",
                         b"cache-control": b"no-store"}
                headers += [(name, value) for name, value in extra.items() if name not in present]
                message = {**message, "headers": headers}
            await send(message)
        await self.app(scope, receive, with_headers)
