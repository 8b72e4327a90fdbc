"""How long do abandoned API submissions keep a page user waiting?

Launches `python app.py` (benchmarks/load.py's server), then sends N submissions to the public
`interpolate` endpoint (64 frames, GIF + MP4) over `POST /gradio_api/call/interpolate` and never opens
their result streams, as a client that submits and walks away. Right after, one page user (a session of
its own over /queue/join, as the browser sends it) picks a model (`explore_model`) and drags a slider
(`explore_render`). Prints that user's waits, and how many of the abandoned submissions the server
queued or refused (HTTP 503).

    python benchmarks/abandoned.py               # 60 abandoned submissions
    python benchmarks/abandoned.py --abandoned 0 # the same page user on an idle server
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.load import Stats, _event_indices, browser_call, call, free_port, start_server, wait_up  # noqa: E402


async def main(args: argparse.Namespace) -> int:
    cache = Path(tempfile.mkdtemp(prefix="gle-abandoned-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(port, cache / "gradio", cache / "app.log")
    try:
        await wait_up(base, proc)
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=100, keepalive_expiry=2.0)
        async with httpx.AsyncClient(base_url=base, timeout=300, limits=limits) as http:
            warm = Stats()
            await call(http, "generate", [args.model, 0, "", 1.0, {}, 1], warm, "warm")
            await call(http, "interpolate", [args.model, 0, 1, "", "", 4, "slerp"], warm, "warm")
            events = await _event_indices(http, ("restore_link", "explore_model", "explore_render"))
            session = "abandon-page-user"
            await browser_call(http, events["restore_link"], [], warm, "warm", session)
            if warm.errors:
                raise SystemExit(f"warm-up failed: {warm.messages}")
            posts = await asyncio.gather(*[
                http.post("/gradio_api/call/interpolate",
                          json={"data": [args.model, i, i + 1, "", "", 64, "slerp"]})
                for i in range(args.abandoned)])
            codes = [p.status_code for p in posts]
            print(f"{args.abandoned} abandoned submissions: {codes.count(200)} queued, {codes.count(503)} refused "
                  f"(503), {len(codes) - codes.count(200) - codes.count(503)} other")
            stats = Stats()
            start = time.perf_counter()
            out = await browser_call(http, events["explore_model"], [args.model, 0, 1.0, "1"], stats, "pick",
                                     session)
            picked = time.perf_counter() - start
            dims = list((out[5] or {}).get("value", []) if out else [])
            start = time.perf_counter()
            await browser_call(http, events["explore_render"], [args.model, 0, None, 1.0, "1", dims,
                                                                *[0.5] * 16], stats, "drag", session)
            dragged = time.perf_counter() - start
            print(f"page user: model pick {picked:.2f} s, slider render {dragged:.2f} s; "
                  f"errors {stats.errors or 0}, refused {stats.rejected or 0} {stats.messages[:2]}")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except Exception:  # noqa: BLE001 - a stuck server is killed
            proc.kill()
    return 0


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--abandoned", type=int, default=60)
    p.add_argument("--model", default="cdcgan-animals")
    return p.parse_args()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
