"""Running the app under uvicorn with the settings gaplens needs (one place for CLI and bench)."""

from __future__ import annotations

import socket

ASGI_APP = "gaplens.web.main:app"


def keep_nagle_off_for_workers() -> None:
    """Work around uvicorn #3149: with `--workers N > 1` uvicorn binds the listener itself with
    `proto=0`; accepted sockets inherit it and asyncio sets TCP_NODELAY only when `proto` is
    IPPROTO_TCP, so each response waits ~40 ms for the client's delayed ACK. Re-wrapping the
    bound socket with `proto=IPPROTO_TCP` (as proposed in uvicorn PR #3155) fixes it."""
    from uvicorn.config import Config

    if getattr(Config.bind_socket, "_gaplens_nodelay", False):
        return
    original = Config.bind_socket

    def bind_socket(self: Config) -> socket.socket:
        sock = original(self)
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
            sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
            sock.set_inheritable(True)
        return sock

    bind_socket._gaplens_nodelay = True  # type: ignore[attr-defined]
    Config.bind_socket = bind_socket  # type: ignore[method-assign]


def run_server(app: str, host: str, port: int, workers: int, app_dir: str | None = None) -> None:
    import uvicorn

    if workers > 1:
        keep_nagle_off_for_workers()
    uvicorn.run(
        app,
        app_dir=app_dir,
        host=host,
        port=port,
        workers=workers,
        access_log=False,  # anonymous endpoints must not log addresses; see docs/privacy.md
        proxy_headers=False,
        log_level="warning",
    )
