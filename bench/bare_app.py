"""The reference for bench/answer_load.py: a bare FastAPI app whose one endpoint does nothing.

`POST /noop` takes the same JSON body as `POST /api/v1/responses` (parsed into a dict) and
answers 201, so what is left of a request's cost is uvicorn, FastAPI, JSON parsing, the
threadpool hop of a plain `def` endpoint (gaplens's answer endpoint is a plain `def` too) and
the load generator itself. It is served with the settings `gaplens serve` uses: the same
worker count, no access log, no proxy headers, log level "warning".

    python bench/bare_app.py --host 127.0.0.1 --port 8001 --workers 2

`--tcp-nodelay` works around uvicorn issue #3149 (open as of uvicorn 0.54): with more than
one worker uvicorn binds the listening socket itself with `proto=0`, accepted connections
inherit it, and asyncio only sets TCP_NODELAY when `proto == IPPROTO_TCP`, so Nagle's
algorithm holds back each response body until the client's delayed ACK (~40 ms on Linux).
The flag re-creates the bound socket with `proto=IPPROTO_TCP` (the change proposed in
uvicorn PR #3155) and changes nothing else. `--app` serves another ASGI app the same way
(e.g. `--app gaplens.web.main:app`, which reads GAPLENS_DATABASE_URL), so a benchmark can
show what that fix would change for gaplens without editing gaplens.
"""

from __future__ import annotations

import argparse
import socket
from pathlib import Path
from typing import Any

from fastapi import Body, FastAPI

app = FastAPI(title="bench reference", docs_url=None, redoc_url=None, openapi_url=None)


@app.post("/noop", status_code=201)
def noop(body: dict[str, Any] = Body(...)) -> dict[str, str]:  # noqa: B008 - FastAPI idiom
    return {"status": "stored"}


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Serve the reference no-op endpoint (POST /noop -> 201) with uvicorn, "
        "using the same settings as `gaplens serve`."
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8001, help="TCP port (default 8001)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument(
        "--app",
        default="bare_app:app",
        help="ASGI app to serve as module:attribute (default bare_app:app)",
    )
    parser.add_argument(
        "--tcp-nodelay",
        action="store_true",
        help="bind the listener with proto=IPPROTO_TCP so accepted connections "
        "get TCP_NODELAY (workaround for uvicorn #3149)",
    )
    args = parser.parse_args()

    import uvicorn

    if args.tcp_nodelay:
        patch_listener_proto()
    uvicorn.run(
        args.app,
        app_dir=str(Path(__file__).resolve().parent),
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=False,
        proxy_headers=False,
        log_level="warning",
    )


def patch_listener_proto() -> None:
    """Make uvicorn's own listening socket report IPPROTO_TCP (workers inherit it)."""
    from uvicorn.config import Config

    original = Config.bind_socket

    def bind_socket(self: Config) -> socket.socket:
        sock = original(self)
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
            sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
            sock.set_inheritable(True)
        return sock

    Config.bind_socket = bind_socket  # type: ignore[method-assign]


if __name__ == "__main__":
    main()
