"""A shared link, opened: demo.load reads the query string (ui/share.py's codec) and fills the Explore and
Interpolate tabs, or their defaults when the link is bad (a warning, never a broken page)."""

from __future__ import annotations

from typing import Any

import gradio as gr

from gan_models.inputs import MAX_FRAMES
from ui import explore_views, interpolate_tab, share
from ui.common import default_model

# What restore fills on the Interpolate tab, in the order of interpolate_tab's `controls`.
INTERPOLATE_FIELDS = ("model", "seed_a", "seed_b", "label_a", "label_b", "frames", "method", "truncation")


def restore(request: gr.Request, explore_setup, interpolate_labels, n_explore: int) -> list:
    """demo.load: fill both tabs from the query string (or defaults). A bad link shows a warning and the
    default view instead of a broken page."""
    params = dict(request.query_params) if request is not None else {}
    try:
        state = share.from_query(params)
    except ValueError as exc:
        gr.Warning(f"Ignoring the link's settings: {exc}")
        state = {"tab": "explore"}
    model = state.get("model") or default_model()
    if model is None:
        gr.Warning("No models are available yet.")
        return [gr.update()] * (1 + n_explore + len(INTERPOLATE_FIELDS))
    seed = state.get("seed", 0)
    try:
        explore = explore_setup(model, seed, state.get("label"), state.get("truncation", 1.0),
                                state.get("n", 1) if state["tab"] == "explore" else 1, state.get("dims"),
                                state.get("edits"))
    except gr.Error as exc:
        gr.Warning(f"Could not restore the link: {exc.message}")
        model, seed, state = default_model(), 0, {"tab": "explore"}
        explore = explore_setup(model, 0)
    method = {"slerp": "Spherical (slerp)", "lerp": "Linear (lerp)", "both": "Both, side by side"}.get(
        state.get("method", "slerp"), "Spherical (slerp)")
    try:
        la, lb = interpolate_labels(model, state.get("label"), state.get("label_b"))
    except gr.Error:
        la = lb = gr.update()
    frames = min(max(int(state.get("frames", 16)), 2), MAX_FRAMES)
    interp = [gr.update(value=model), gr.update(value=seed), gr.update(value=state.get("seed_b", seed + 1)), la, lb,
              gr.update(value=frames), gr.update(value=method), gr.update(value=state.get("truncation", 1.0))]
    # Only a link that names a tab switches tabs: a plain visit must not yank a person who already
    # clicked another tab back to Explore when this load event returns.
    tab = gr.Tabs(selected=state["tab"]) if "tab" in params else gr.skip()
    return [tab, *explore, *interp]


def wire(demo: gr.Blocks, tabs: gr.Tabs, explore: Any, interpolate: Any) -> None:
    """Register the demo.load that restores a shared link (call once, after both tabs are built)."""
    outs = explore.setup_outputs
    if len(interpolate.controls) != len(INTERPOLATE_FIELDS):
        raise ValueError(f"restore fills {INTERPOLATE_FIELDS}; the Interpolate tab has {len(interpolate.controls)} "
                         "controls")

    def on_load(request: gr.Request):
        return restore(request, explore_views.setup, interpolate_tab.on_model, len(outs))

    demo.load(on_load, None, [tabs, *outs, *interpolate.controls], api_name="restore_link",
              api_visibility="private", show_progress="hidden")
