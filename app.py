"""GAN Latent Explorer: the page layout. Each tab lives in ui/<tab>.py; this file only assembles them
and sets the queue and launch options that protect a public Space."""

from __future__ import annotations

import os

import gradio as gr

from ui import api, explore_tab, interpolate_tab, inversion_panel, share, sine_tab, train_tab

TITLE = "GAN Latent Explorer"

with gr.Blocks(title=TITLE, delete_cache=(600, 1800)) as demo:
    gr.Markdown(f"# {TITLE}\nDrag the input vector of a GAN and watch what each dimension does.")
    with gr.Tabs() as tabs:
        with gr.Tab("Explore", id="explore"):
            explore = explore_tab.build()
            inversion_panel.build(explore)  # inversion, latent arithmetic, class vectors (end of the tab)
        with gr.Tab("Interpolate", id="interpolate"):
            interpolate = interpolate_tab.build()
        with gr.Tab("Train", id="train"):
            train_tab.build(explore, tabs)  # "Open in Explore" loads the trained model in the Explore tab
        with gr.Tab("Sine toy", id="sine"):
            sine_tab.build()
    api.register()  # public endpoints: models, generate, interpolate, interpolate_gif
    share.wire(demo, tabs, explore, interpolate)  # a shared link's query string restores both tabs

# api_open=False: otherwise /gradio_api/run/* bypasses the queue and every concurrency limit.
demo.queue(api_open=False, max_size=64, default_concurrency_limit=1)


def launch_kwargs() -> dict:
    return {
        # HOST/PORT for `make run`; Spaces sets GRADIO_SERVER_NAME=0.0.0.0, which must win over our default.
        "server_name": os.environ.get("HOST") or os.environ.get("GRADIO_SERVER_NAME") or "127.0.0.1",
        "server_port": int(os.environ.get("PORT") or os.environ.get("GRADIO_SERVER_PORT") or 7860),
        "enable_monitoring": False,
        "max_file_size": "5mb",
        # Gradio keeps per-session state (~0.8 MB: a copy of every component's config) for the last N
        # sessions, default 10,000 (~8 GB); each API call is a new session. LRU: active users stay.
        "state_session_capacity": 256,
    }


if __name__ == "__main__":
    demo.launch(**launch_kwargs())
