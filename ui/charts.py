"""Teaching charts as Vega-Lite specs for gr.Plot: loss curves with dashed, labelled equilibrium lines (a GAN's)
or the parts of the negative ELBO (a VAE's), and generated curves drawn over the target family's band.

The specs are plain dicts handed to gr.Plot as ready JSON. Building them through Altair cost about 70 ms
a chart (schema validation), which would have stalled live training at every plot update; this costs
well under a millisecond. Pure functions of plain data.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from gradio.components.plot import AltairPlotData

from training.sine import D_LOSS_EQUILIBRIUM, G_LOSS_EQUILIBRIUM

HEIGHT = 240
RECON_COLOR, KL_COLOR, ELBO_COLOR = "#2ca02c", "#9467bd", "#444444"
D_COLOR, G_COLOR, BAND_COLOR, HIGHLIGHT_COLOR, REFERENCE_COLOR = "#1f77b4", "#ff7f0e", "#9aa5b1", "#d62728", "#444444"
CURVE_COLORS = ["#4c78a8", "#f58518", "#54a24b", "#b279a2", "#72b7b2", "#eeca3b", "#9d755d", "#e45756"]
SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"  # identifies the version; never fetched


def _plot(title: str, layers: list[dict]) -> AltairPlotData:
    # chart="line" makes Gradio size the chart to its container and apply the page theme; that theme step
    # recolours every layer's colour encoding from `scale.range`, so each colour encoding carries a range
    # and fixed-colour layers set the colour on the mark instead.
    spec = {"$schema": SCHEMA, "title": title, "height": HEIGHT, "layer": layers}
    return AltairPlotData(plot=json.dumps(spec), chart="line")


def _quantitative(field: str, title: str | None = None, domain: Sequence[float] | None = None) -> dict:
    scale = {"domain": list(domain), "clamp": True} if domain else {"zero": False}
    return {"field": field, "type": "quantitative", "title": title, "scale": scale}


def _reference_lines(levels: Sequence[tuple[float, str, str]]) -> list[dict]:
    """Dashed horizontal rules, each labelled at the chart's left edge in its own colour."""
    layers = []
    for y, label, color in levels:
        rows = [{"y": y, "label": label}]
        layers += [
            {"data": {"values": rows}, "mark": {"type": "rule", "strokeDash": [6, 4], "strokeWidth": 1.5,
                                                "stroke": color},
             "encoding": {"y": {"field": "y", "type": "quantitative"}}},
            {"data": {"values": rows},
             # Right-aligned at the plot's right edge, clear of the legend; strokeWidth 0 keeps the page
             # theme's mark stroke from outlining the letters.
             "mark": {"type": "text", "align": "right", "baseline": "bottom", "dy": -2, "x": {"expr": "width - 4"},
                      "fontSize": 11, "fill": color, "strokeWidth": 0},
             "encoding": {"y": {"field": "y", "type": "quantitative"}, "text": {"field": "label"}}},
        ]
    return layers


def history_chart(
    steps: Sequence[int], series: dict[str, tuple[Sequence[float], str]], levels: Sequence[tuple[float, str, str]],
    title: str, y_title: str, y_domain: tuple[float, float] | None = None,
) -> AltairPlotData:
    """Lines of values against training step, with dashed, labelled reference levels.

    `series` maps a name to (values aligned with `steps`, colour); its order is the legend's order.
    """
    rows = [{"step": s, "series": name, "value": v} for name, (values, _) in series.items()
            for s, v in zip(steps, values, strict=True)]
    lines = {
        "data": {"values": rows},
        "mark": {"type": "line", "strokeWidth": 2},
        "encoding": {
            "x": {"field": "step", "type": "quantitative", "title": "training step"},
            "y": _quantitative("value", y_title, y_domain),
            "color": {"field": "series", "type": "nominal", "title": None, "legend": {"orient": "top"},
                      "scale": {"domain": list(series), "range": [color for _, color in series.values()]}},
            "tooltip": [{"field": "step", "type": "quantitative"}, {"field": "series", "type": "nominal"},
                        {"field": "value", "type": "quantitative", "format": ".3f"}],
        },
    }
    return _plot(title, [lines, *_reference_lines(levels)])


def curves_chart(
    x: Sequence[float], curves: Sequence[Sequence[float]], bands: Sequence[tuple[Sequence[float], Sequence[float]]],
    title: str, y_domain: tuple[float, float], highlight: Sequence[float] | None = None,
) -> AltairPlotData:
    """Curves over the grey band(s) of the target family; `highlight` is drawn bold on top, the rest faint."""
    x_enc = {"field": "x", "type": "quantitative", "title": "x", "scale": {"domain": [-1, 1]}}
    band_rows = [{"x": xi, "low": lo, "high": hi, "band": b}
                 for b, (low, high) in enumerate(bands) for xi, lo, hi in zip(x, low, high, strict=True)]
    layers = [{
        "data": {"values": band_rows},
        "mark": {"type": "area", "opacity": 0.35, "fill": BAND_COLOR, "stroke": None},
        "encoding": {"x": x_enc, "y": _quantitative("low", "y", y_domain), "y2": {"field": "high"},
                     "detail": {"field": "band", "type": "nominal"}},
    }]
    curve_rows = [{"x": xi, "y": yi, "curve": c} for c, ys in enumerate(curves) for xi, yi in zip(x, ys, strict=True)]
    if curve_rows:
        layers.append({
            "data": {"values": curve_rows},
            "mark": {"type": "line", "opacity": 0.8 if highlight is None else 0.25},
            "encoding": {"x": x_enc, "y": _quantitative("y", "y", y_domain),
                         "color": {"field": "curve", "type": "nominal", "legend": None,
                                   "scale": {"range": CURVE_COLORS}}},
        })
    if highlight is not None:
        layers.append({
            "data": {"values": [{"x": xi, "y": yi} for xi, yi in zip(x, highlight, strict=True)]},
            "mark": {"type": "line", "strokeWidth": 3, "stroke": HIGHLIGHT_COLOR,
                     "color": HIGHLIGHT_COLOR},
            "encoding": {"x": x_enc, "y": _quantitative("y", "y", y_domain)},
        })
    return _plot(title, layers)


def gan_training_charts(history: Sequence) -> tuple[AltairPlotData, AltairPlotData]:
    """The two charts every live GAN run shows, from records with step, d_loss, g_loss, d_real, d_fake:
    D and G loss against their equilibrium levels, and D's mean belief on real and generated samples."""
    steps = [r.step for r in history]
    losses = history_chart(
        steps, {"D loss": ([r.d_loss for r in history], D_COLOR), "G loss": ([r.g_loss for r in history], G_COLOR)},
        [(D_LOSS_EQUILIBRIUM, "D loss at equilibrium: 2 ln 2 = 1.386", REFERENCE_COLOR),
         (G_LOSS_EQUILIBRIUM, "G loss at equilibrium: ln 2 = 0.693", REFERENCE_COLOR)],
        "Losses", "loss",
    )
    probs = history_chart(
        steps, {"D(real)": ([r.d_real for r in history], D_COLOR), "D(G(z))": ([r.d_fake for r in history], G_COLOR)},
        [(0.5, "equilibrium: 0.5", REFERENCE_COLOR)], "What D believes: probability 'real'", "probability",
        y_domain=(0.0, 1.0),
    )
    return losses, probs


def vae_training_charts(history: Sequence) -> tuple[AltairPlotData, AltairPlotData]:
    """The two charts of a live VAE run, from records with step, g_loss (the negative ELBO), recon and kl: the
    negative ELBO with its reconstruction part, and the KL part on its own axis (it is tens of nats where the
    reconstruction is hundreds, so on one axis it would be a flat line at the bottom). No equilibrium lines:
    a VAE minimises one loss, nothing plays against it."""
    steps = [r.step for r in history]
    losses = history_chart(
        steps, {"negative ELBO": ([r.g_loss for r in history], ELBO_COLOR),
                "reconstruction": ([r.recon for r in history], RECON_COLOR)},
        [], "Negative ELBO = reconstruction + KL", "nats per image (lower is better)",
    )
    kl = history_chart(
        steps, {"KL(q(z|x) || N(0, I))": ([r.kl for r in history], KL_COLOR)},
        [(0.0, "0: z would tell the decoder nothing", REFERENCE_COLOR)],
        "KL: how far the codes are from the prior", "nats per image",
    )
    return losses, kl
