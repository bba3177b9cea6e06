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

    from ..service.keys import KeyStore
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
) -> None:
    """Serve the search page and the /api/v1 API (FastAPI on uvicorn); Ctrl-C stops it gracefully.

    The port is bound and the store opened (then the model loaded) before the service says it
    serves: a port in use, a data directory locked by another writer or a read-only one is one
    error line and exit code 1."""
    import uvicorn

    from ..service.app import create_app
    from ..service.auth import is_loopback

    settings = make_settings(ctx, host=host, port=port)
    store = _key_store(ctx)
    if store.empty and not is_loopback(settings.host):
        raise UsageError(
            f"refusing to bind {settings.host} with no API keys: anyone could use the service",
            hint="create one first: planvec keys create --name NAME --scope read (or bind 127.0.0.1)",
        )
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
        _server(config, lambda: _announce(settings, store, bound_port)).run(sockets=[sock])
    finally:
        sock.close()
        app.state.svc.close()  # (nothing left to do when the lifespan closed it)


def _announce(settings: Settings, store: KeyStore, port: int) -> None:
    from ..service.state import keys_path

    err = err_console()
    if store.empty:
        err.print(
            "open mode: no API keys configured, so the service is open to loopback clients only "
            f"(create one with planvec keys create; keys file {keys_path(settings)})",
            highlight=False,
        )
    else:
        err.print(f"API keys required ({len(store.keys())} configured)", highlight=False)
    err.print(f"planvec serving on http://{settings.host}:{port}/  (API docs: /docs)", highlight=False)


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
        out.print("no API keys: the service runs open on loopback only")
        return
    for k in keys:
        out.print(f"{k.name:<24} {k.scope:<6} {k.created or '-':<26} {k.source}", markup=False)


@keys_app.command("revoke")
def keys_revoke(ctx: typer.Context, name: Annotated[str, typer.Argument(help="The key's name.")]) -> None:
    """Revoke a key (takes effect on the running service's next request)."""
    key = _key_store(ctx).revoke(name)
    out_console().print(f"revoked key {key.name!r}", markup=False)
