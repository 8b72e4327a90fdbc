"""Render latency of the public API against an echo floor, over Gradio's HTTP+SSE call route.

Launches app.py's `demo` and, in the same process and run, a Gradio app whose only endpoint echoes its
input, with the same queue settings. Each request is `POST /gradio_api/call/<api_name>` followed by
`GET /gradio_api/call/<api_name>/<event_id>` read until the `complete` event (the browser's protocol,
without gradio_client's ~80 ms of polling). Cases run round-robin so background load hits them alike. Timing
starts once the app's start-up warm-ups (directions, family test splits: threads named "*-warm-up") are done,
so the figures are the steady state a visitor meets, not start-up work competing for the same cores.

    .venv/bin/python benchmarks/render_latency.py [--iters 40] [--model cdcgan-animals]

Targets on 2 CPU cores: 1 image p50 <= 2x echo, 16-grid p50 <= 4x echo, 16-frame GIF p50 < 150 ms (`nearest`, the
image beside its nearest training images, is reported without a target), and each
GAN family card (family_vanilla, family_vae, family_lapgan, family_superres, family_pix2pix, family_pix2pix_twemoji,
family_cyclegan, family_text, family_text_interpolate) p50 < 150 ms for one image (`--no-family` leaves them out;
a card whose model is not exported yet is reported and skipped). "family_pix2pix drawing" sends a 256x256 PNG
line drawing, uploaded once, as the sketchpad's drawing is read: header check, decode, reduction to 32x32, model.
family_text draws a row of eight seeds of one phrase, family_text_interpolate an eight-step strip: one image each.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import gradio as gr  # noqa: E402
import httpx  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def echo_app() -> gr.Blocks:
    with gr.Blocks() as echo:
        box = gr.Textbox()
        box.submit(lambda x: x, box, box, api_name="echo")
    echo.queue(api_open=False, max_size=64, default_concurrency_limit=1)
    return echo


# One session for the run, as gradio_client (one per Client) and a browser tab do. Without it Gradio builds a
# new session per call, copying every component's config: ~16 ms on this page of 285 blocks, ~0 on the
# one-textbox echo app, which would measure the page's size rather than the render.
SESSION = uuid.uuid4().hex


def call(client: httpx.Client, base: str, api_name: str, data: list) -> float:
    """Seconds from POST to the `complete` event; raises on an error event."""
    start = time.perf_counter()
    resp = client.post(f"{base}gradio_api/call/{api_name}", json={"data": data, "session_hash": SESSION})
    resp.raise_for_status()
    event_id = resp.json()["event_id"]
    event = None
    with client.stream("GET", f"{base}gradio_api/call/{api_name}/{event_id}") as stream:
        for line in stream.iter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                if event == "error":
                    raise RuntimeError(f"{api_name} failed: {line}")
                break
    return time.perf_counter() - start


def wait_for_warm_ups(limit_s: float = 300.0) -> float:
    """Seconds spent waiting for the app's background warm-up threads to end (at most `limit_s`)."""
    start = time.perf_counter()
    while any(t.name.endswith("-warm-up") and t.is_alive() for t in threading.enumerate()):
        if time.perf_counter() - start > limit_s:
            break
        time.sleep(0.1)
    return time.perf_counter() - start


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def uploaded_drawing(client: httpx.Client, app_url: str) -> dict:
    """A 256x256 PNG line drawing (a circle with two eyes, like a sketchpad's) uploaded once: its FileData."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (256, 256), "white")
    draw = ImageDraw.Draw(image)
    draw.ellipse((40, 40, 216, 216), outline="black", width=12)
    draw.line((100, 100, 100, 130), fill="black", width=12)
    draw.line((156, 100, 156, 130), fill="black", width=12)
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    resp = client.post(f"{app_url}gradio_api/upload", files={"files": ("drawing.png", buf.getvalue(), "image/png")})
    resp.raise_for_status()
    return {"path": resp.json()[0], "orig_name": "drawing.png", "meta": {"_type": "gradio.FileData"}}


PHRASES = ("red heart", "grinning face", "cat face", "face with tears of joy", "red hart")  # the last: one unknown
PHRASE_PAIRS = (("red heart", "cat face"), ("grinning face", "thumbs up"), ("sun", "red apple"))


def family_cases(app_url: str, seed) -> dict:
    """The GAN family cards, one image each (the vanilla card with 1 sample and with the tab's 8), every
    call a new seed or test image. A card whose model cannot be loaded (still training) is left out, with a
    line saying so."""
    with httpx.Client(timeout=60) as client:
        drawing = uploaded_drawing(client, app_url)
    cases = {
        "family_vanilla 1 sample": lambda c: call(c, app_url, "family_vanilla", ["animals", next(seed), 1]),
        "family_vanilla 8 samples": lambda c: call(c, app_url, "family_vanilla", ["animals", next(seed), 8]),
        "family_vae": lambda c: call(c, app_url, "family_vae", ["animals", next(seed), next(seed)]),
        "family_lapgan": lambda c: call(c, app_url, "family_lapgan", ["heart", next(seed), next(seed), next(seed)]),
        "family_superres": lambda c: call(c, app_url, "family_superres", [next(seed) % 300, None]),
        "family_pix2pix": lambda c: call(c, app_url, "family_pix2pix", [next(seed) % 1172, None, ""]),
        "family_pix2pix drawing": lambda c: call(c, app_url, "family_pix2pix", [0, drawing, ""]),
        "family_cyclegan": lambda c: call(c, app_url, "family_cyclegan",
                                          [next(seed) % 586, None, ("a2b", "b2a")[next(seed) % 2]]),
        "family_pix2pix_twemoji": lambda c: call(c, app_url, "family_pix2pix_twemoji", [next(seed) % 586, None]),
        # One image each: a row of eight seeds of a phrase, and an eight-step strip between two phrases.
        "family_text": lambda c: call(c, app_url, "family_text", [PHRASES[next(seed) % len(PHRASES)], next(seed)]),
        "family_text_interpolate": lambda c: call(c, app_url, "family_text_interpolate",
                                                  [*PHRASE_PAIRS[next(seed) % len(PHRASE_PAIRS)], next(seed)]),
    }
    with httpx.Client(timeout=60) as client:
        for name, fn in list(cases.items()):
            try:
                fn(client)
            except RuntimeError as error:
                print(f"skipped {name}: {str(error)[:160]}")
                cases.pop(name)
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iters", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--model", default=None, help="model id (default: the app's default model)")
    parser.add_argument("--no-family", action="store_true", help="leave out the GAN family tab's endpoints")
    args = parser.parse_args()

    from app import demo
    from ui.common import default_model

    model = args.model or default_model()
    if model is None:
        sys.exit("No shipped model found under checkpoints/.")
    echo = echo_app()
    app_port, echo_port = free_port(), free_port()
    demo.launch(prevent_thread_lock=True, server_port=app_port, quiet=True, enable_monitoring=False)
    echo.launch(prevent_thread_lock=True, server_port=echo_port, quiet=True, enable_monitoring=False)
    app_url, echo_url = f"http://127.0.0.1:{app_port}/", f"http://127.0.0.1:{echo_port}/"
    print(f"waited {wait_for_warm_ups():.1f} s for the app's start-up warm-ups")

    seed = iter(range(10**6))  # a new seed per call: no cache can answer for the model
    cases = {
        "echo (floor)": lambda c: call(c, echo_url, "echo", ["hello"]),
        "1 image": lambda c: call(c, app_url, "generate", [model, next(seed), "", 1.0, {}, 1]),
        "16-image grid": lambda c: call(c, app_url, "generate", [model, next(seed), "", 1.0, {}, 16]),
        "16-frame GIF": lambda c: call(c, app_url, "interpolate_gif",
                                       [model, next(seed), next(seed), "", "", 16, "slerp"]),
        "16-frame GIF+MP4+strip": lambda c: call(c, app_url, "interpolate",
                                                 [model, next(seed), next(seed), "", "", 16, "slerp"]),
        "nearest (is it copying?)": lambda c: call(c, app_url, "nearest", [model, next(seed), "", 1.0, {}]),
    }
    if not args.no_family:
        cases.update(family_cases(app_url, seed))
    times: dict[str, list[float]] = {name: [] for name in cases}
    try:
        with httpx.Client(timeout=60) as client:
            for i in range(args.warmup + args.iters):
                for name, fn in cases.items():
                    t = fn(client)
                    if i >= args.warmup:
                        times[name].append(t)
    finally:
        demo.close()
        echo.close()

    report(model, args.iters, times)


def report(model: str, iters: int, times: dict[str, list[float]]) -> None:
    """Print p50/p95 per case, the ratio to the echo floor, each target's PASS/MISS, and the rows as JSON."""
    floor = statistics.median(times["echo (floor)"])
    print(f"model={model}  iterations={iters}  cpu_threads={os.cpu_count()}  "
          f"load_avg={os.getloadavg()[0]:.1f}")
    print(f"{'case':26s} {'p50 ms':>8s} {'p95 ms':>8s} {'p50 / echo':>11s}")
    rows = {}
    for name, values in times.items():
        p50, p95 = statistics.median(values), pct(values, 0.95)
        rows[name] = {"p50_ms": round(p50 * 1000, 1), "p95_ms": round(p95 * 1000, 1),
                      "ratio_to_echo": round(p50 / floor, 2)}
        print(f"{name:26s} {p50 * 1000:8.1f} {p95 * 1000:8.1f} {p50 / floor:10.2f}x")
    targets = {
        "1 image p50 <= 2x echo": rows["1 image"]["ratio_to_echo"] <= 2,
        "16-grid p50 <= 4x echo": rows["16-image grid"]["ratio_to_echo"] <= 4,
        "16-frame GIF p50 < 150 ms": rows["16-frame GIF"]["p50_ms"] < 150,
    }
    targets.update({f"{name} p50 < 150 ms": rows[name]["p50_ms"] < 150 for name in rows if name.startswith("family")})
    for name, ok in targets.items():
        print(f"{'PASS' if ok else 'MISS'}  {name}")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
