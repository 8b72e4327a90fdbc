"""GAN Latent Explorer: the page layout. Each tab lives in ui/<tab>.py; this file only assembles them
and sets the queue and launch options that protect a public Space."""

from __future__ import annotations

import ctypes
import os
import sys

import gradio as gr

from ui import endpoints, explore_tab, family_tab, guard, interpolate_tab, inversion_panel, links, sine_tab, train_tab

TITLE = "GAN Latent Explorer"
# The image stays in view while the sliders beside it are dragged: its column sticks to the top of the
# window, inside a column as tall as the sliders' (gr.Row(equal_height=True)). Gradio's container
# clips with overflow: hidden, which makes it the sticky element's scroll box; overflow: clip clips the same
# without becoming one. On a phone the columns stack: the view then comes first and its column sticks
# over the controls scrolling beneath it, with a shorter image so the sliders keep most of the screen; a
# table too wide for the screen scrolls sideways.
CSS = """
.gradio-container { overflow: clip !important; }
#ex-view { position: sticky; top: 8px; z-index: 5; flex: 0 0 auto !important; background: var(--body-background-fill); }
#ex-image { height: min(440px, 45vh) !important; }
#ip-gif img, #ip-mp4 video { image-rendering: pixelated; }  /* the browser scales them up: keep pixels square */
#ex-traversal img { margin-top: 30px; }  /* the grid fills the width: its first row clear of the label */
@media (max-width: 767px) {  /* below Gradio's md breakpoint, where the two columns stack */
  #ex-view-col { order: -1; position: sticky; top: 0; z-index: 100; background: var(--body-background-fill); }
  #ex-image { height: 30vh !important; }
  .prose table { display: block; max-width: 100%; overflow-x: auto; }  /* scroll, not one letter per line */
  .prose th, .prose td, .prose td code { white-space: nowrap; }
}
"""
M_ARENA_MAX = -8  # glibc's mallopt parameter number (malloc.h)

with gr.Blocks(title=TITLE, delete_cache=(600, 1800)) as demo:
    gr.Markdown(f"# {TITLE}\nDrag the input vector of a GAN and watch what each dimension does.")
    with gr.Tabs(overflow_behavior="wrap") as tabs:
        with gr.Tab("Explore", id="explore"):
            explore = explore_tab.build()
            inversion_panel.build(explore)  # inversion, latent arithmetic, class vectors (end of the tab)
        with gr.Tab("Interpolate", id="interpolate"):
            interpolate = interpolate_tab.build()
        with gr.Tab("GAN family", id="family") as family:
            family_tab.build(family)  # vanilla GAN, VAE, LAPGAN, SRGAN: one card each, drawn when the tab opens
        with gr.Tab("Train", id="train") as train:
            train_tab.build(explore, tabs, train)  # real images when it opens; "Open in Explore" after a run
        with gr.Tab("Sine toy", id="sine"):
            sine_tab.build()
    endpoints.register()  # public endpoints: models, generate, interpolate, interpolate_gif, family_*
    links.wire(demo, tabs, explore, interpolate)  # a shared link's query string restores both tabs
# Every event (page and API): refusals are short messages and one log line, faults a logged traceback.
guard.guard_events(demo)
guard.guard_preprocessing(demo)

# Gradio's queue keeps the last 10,000 events for its monitoring dashboard (off here) and rebuilds a pandas
# summary of all of them after every event: ~30% of the server's CPU once a few thousand renders have run
# (benchmarks/load.py). A Space can still override both.
os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "100")
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", str(10**9))
# api_open=False: otherwise /gradio_api/run/* bypasses the queue and every concurrency limit.
demo.queue(api_open=False, max_size=64, default_concurrency_limit=1)
# Each submission's shape and file references checked before it is queued; API calls hold at most half the queue.
guard.guard_queue(demo)


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """glibc gives each thread that allocates its own malloc arena (up to 8 per core) and rarely returns their
    memory, so RSS kept growing under Gradio's worker threads (benchmarks/load.py; figures in docs/benchmarks.md).
    Same as MALLOC_ARENA_MAX=2, set from here so `python app.py` needs no wrapper."""
    if sys.platform != "linux" or os.environ.get("MALLOC_ARENA_MAX"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (musl, ...): nothing to tune
        return False
    return bool(libc.mallopt(M_ARENA_MAX, arenas))


def launch_kwargs() -> dict:
    return {
        # HOST/PORT for `make run`; Spaces sets GRADIO_SERVER_NAME=0.0.0.0, which must win over our default.
        "server_name": os.environ.get("HOST") or os.environ.get("GRADIO_SERVER_NAME") or "127.0.0.1",
        "server_port": int(os.environ.get("PORT") or os.environ.get("GRADIO_SERVER_PORT") or 7860),
        "enable_monitoring": False,
        "css": CSS,
        "max_file_size": "5mb",
        # Gradio keeps per-session state (a copy of every component's config, megabytes of RSS each) for the
        # last N sessions, default 10,000 (GBs); each API call without a session id is a new session (figures
        # in docs/benchmarks.md). LRU: active users stay.
        "state_session_capacity": 256,
        # The public endpoints (ui/endpoints.py) as MCP tools at /gradio_api/mcp/, through the same queue and
        # limits as the page; the page's own events are private and not tools.
        "mcp_server": True,
    }


if __name__ == "__main__":
    limit_malloc_arenas()
    demo.launch(**launch_kwargs())
