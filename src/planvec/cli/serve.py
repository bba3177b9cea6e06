"""``planvec serve`` (the HTTP service) and ``planvec keys create|list|revoke`` (its API keys)."""

from __future__ import annotations

import errno
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import PlanvecError, UsageError
from .common import err_console, make_settings, out_console, print_json

keys_app = typer.Typer(help="Manage the HTTP service's API keys (stored hashed).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_cmd)
    app.add_typer(keys_app, name="keys")


if TYPE_CHECKING:
    import uvicorn

    from ..settings import Settings

_LISTEN_HINTS = {
    errno.EADDRINUSE: "another program listens there (another planvec serve?): stop it, or choose "
    "another --port (env PLANVEC_PORT)",
    errno.EADDRNOTAVAIL: "that address is not one of this machine's: choose another --host (127.0.0.1)",
    errno.EACCES: "ports below 1024 need privileges: choose --port 8080 or another above 1023",
}


def _listen(host: str, port: int) -> socket.socket:
    """The server's socket, bound and listening, before anything else starts (uvicorn serves it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET  # (as uvicorn chooses)
    try:
        infos = socket.getaddrinfo(host, port, family, socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        addr = infos[0][4]
        sock = socket.socket(family, socket.SOCK_STREAM)
    except OSError as e:
        raise PlanvecError(
            f"cannot listen on {host}:{port}: {e.strerror or e}", hint="check --host (env PLANVEC_HOST)"
        ) from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(addr)
        sock.listen(2048)
    except OSError as e:
        sock.close()
        raise PlanvecError(
            f"cannot listen on {host}:{port}: {e.strerror}",
            hint=_LISTEN_HINTS.get(e.errno or 0, "choose another --host or --port"),
        ) from None
    return sock


def _server(config: uvicorn.Config, on_started: Callable[[], None]) -> uvicorn.Server:
    import uvicorn

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started:
                on_started()

    return Server(config)


def _key_store(ctx: typer.Context):  # type: ignore[no-untyped-def]
    from ..service.keys import KeyStore
    from ..service.state import keys_path

    s = make_settings(ctx)
    return KeyStore(keys_path(s), s.api_keys)


def serve_cmd(
    ctx: typer.Context,
    host: Annotated[
        str | None, typer.Option("--host", help="Address to bind (default 127.0.0.1; env PLANVEC_HOST).")
    ] = None,
    port: Annotated[
        int | None, typer.Option("--port", min=0, max=65535, help="Port (default 8080; env PLANVEC_PORT).")
    ] = None,
    access_log: Annotated[bool, typer.Option("--access-log", help="Log every request (uvicorn).")] = False,
    open_mode: Annotated[
        bool,
        typer.Option(
            "--open",
            help="Open mode (no key needed, loopback clients only) while no API key is configured, "
            "even once a keys file exists (env PLANVEC_OPEN_MODE).",
        ),
    ] = False,
) -> None:
    """Serve the search page and the /api/v1 API (FastAPI on uvicorn); Ctrl-C stops it gracefully.

    The port is bound and the store opened (then the model loaded) before the service says it
    serves: a port in use, a data directory locked by another writer or a read-only one is one
    error line and exit code 1."""
    import uvicorn

    from ..service.app import create_app

    settings = make_settings(ctx, host=host, port=port, open_mode=open_mode or None)
    auth_line = _auth_line(ctx, settings)
    sock = _listen(settings.host, settings.port)
    try:
        app = create_app(settings, own_process=True)
        app.state.svc.start()  # (the lifespan finds it started)
    except BaseException:
        sock.close()
        raise
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=bound_port,
        log_level="info",
        access_log=access_log,
        timeout_graceful_shutdown=30,
        server_header=False,
    )
    try:
        _server(config, lambda: _announce(settings, auth_line, bound_port)).run(sockets=[sock])
    finally:
        sock.close()
        app.state.svc.close()  # (nothing left to do when the lifespan closed it)


def _announce(settings: Settings, auth_line: str, port: int) -> None:
    from ..service.guard import wildcard_bind_note

    err = err_console()
    err.print(auth_line, highlight=False)
    err.print(f"planvec serving on http://{settings.host}:{port}/  (API docs: /docs)", highlight=False)
    note = wildcard_bind_note(settings)
    if note:
        err.print(note, highlight=False)


def _auth_line(ctx: typer.Context, settings: Settings) -> str:
    """How requests will be authenticated, said once the server is up; refuses (before anything
    starts) open mode on a non-loopback address."""
    from ..service.auth import is_loopback
    from ..service.state import keys_path

    store = _key_store(ctx)  # (raises on an unreadable keys file: fix it before serving)
    path = keys_path(settings)
    if settings.open_mode and not is_loopback(settings.host):
        raise UsageError(
            f"refusing to bind {settings.host} with --open: open mode is for loopback clients only",
            hint="bind 127.0.0.1, or serve with API keys (planvec keys create) and without --open",
        )
    if not store.empty:
        return f"API keys required ({len(store.keys())} configured)"
    if store.configured and not settings.open_mode:
        return (
            f"no API keys: the keys file {path} holds none, so every request is refused until one is "
            "created (planvec keys create); serve --open asks for open mode on loopback"
        )
    if not is_loopback(settings.host):
        raise UsageError(
            f"refusing to bind {settings.host} with no API keys: anyone could use the service",
            hint="create one first: planvec keys create --name NAME --scope read (or bind 127.0.0.1)",
        )
    return (
        "open mode: no API keys configured, so the service is open to loopback clients only "
        f"(create one with planvec keys create; keys file {path})"
    )


@keys_app.command("create")
def keys_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="A name for the key (shown in the audit log).")],
    scope: Annotated[str, typer.Option("--scope", help="read, write or admin.")] = "read",
) -> None:
    """Create a key and print it once, on the last line (only its SHA-256 is stored)."""
    key, raw = _key_store(ctx).create(name, scope)
    out = out_console()
    out.print(
        f"created key {key.name!r} with scope {key.scope}; it is shown once, store it now:", markup=False
    )
    out.print(raw, markup=False, highlight=False)


@keys_app.command("list")
def keys_list(
    ctx: typer.Context, json_out: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False
) -> None:
    """List keys: name, scope, created, source (never the key)."""
    keys = _key_store(ctx).keys()
    if json_out:
        print_json([k.public() for k in keys])
        return
    out = out_console()
    if not keys:
        store = _key_store(ctx)
        if store.configured:
            out.print("no API keys: a running service refuses every request (serve --open for open mode)")
        else:
            out.print("no API keys: the service runs open on loopback only")
        return
    out.print(f"{'NAME':<24} {'SCOPE':<6} {'CREATED':<26} SOURCE", markup=False, style="bold")
    for k in keys:
        out.print(f"{k.name:<24} {k.scope:<6} {k.created or '-':<26} {k.source}", markup=False)


@keys_app.command("revoke")
def keys_revoke(ctx: typer.Context, name: Annotated[str, typer.Argument(help="The key's name.")]) -> None:
    """Revoke a key (takes effect on the running service's next request)."""
    store = _key_store(ctx)
    key = store.revoke(name)
    out_console().print(f"revoked key {key.name!r}", markup=False)
    if store.empty:
        err_console().print(
            "that was the last key: the service now refuses every request until a key is created "
            "(planvec keys create); it never falls back to open mode by itself",
            highlight=False,
        )
