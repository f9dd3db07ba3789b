"""The reference for bench/answer_load.py: a bare FastAPI app whose one endpoint does nothing.

`POST /noop` takes the same JSON body as `POST /api/v1/responses` (parsed into a dict) and
answers 201, so what is left of a request's cost is uvicorn, FastAPI, JSON parsing, the
threadpool hop of a plain `def` endpoint (gaplens's answer endpoint is a plain `def` too) and
the load generator itself. It is served with the settings `gaplens serve` uses: the same
worker count, no access log, no proxy headers, log level "warning".

    python bench/bare_app.py --host 127.0.0.1 --port 8001 --workers 2

It is served exactly as `gaplens serve` serves gaplens (`gaplens.web.server.run_server`),
which includes the workaround for uvicorn issue #3149 (TCP_NODELAY on accepted sockets when
there is more than one worker). `--stock-listener` serves it without that workaround, to
show what the uvicorn issue costs; `--tcp-nodelay` forces the workaround even with one
worker. `--app` serves another ASGI app the same way (e.g. `--app gaplens.web.main:app`).
"""

from __future__ import annotations

import argparse
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
        help="apply the uvicorn #3149 workaround even with one worker",
    )
    parser.add_argument(
        "--stock-listener",
        action="store_true",
        help="serve without the uvicorn #3149 workaround that gaplens serve applies",
    )
    args = parser.parse_args()

    import uvicorn

    from gaplens.web import server

    if args.tcp_nodelay:
        server.keep_nagle_off_for_workers()
    if args.stock_listener:
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
        return
    server.run_server(
        args.app, args.host, args.port, args.workers, app_dir=str(Path(__file__).resolve().parent)
    )


if __name__ == "__main__":
    main()
