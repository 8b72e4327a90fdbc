"""The public API (models, generate, interpolate, interpolate_gif, nearest) through gradio_client against the app
launched in-process: normal and bad input. Bad input must come back as a clear error, never a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gradio_client.exceptions import AppError

from tests.test_render import shipped_or_tiny


@pytest.fixture(scope="module")
def ids():
    with pytest.MonkeyPatch.context() as mp:
        yield shipped_or_tiny(mp)


def test_models_lists_every_field(client, ids):
    models = client.predict(api_name="/models")
    by_id = {m["id"]: m for m in models}
    assert set(ids) <= set(by_id)
    for m in models:
        assert {"id", "kind", "latent_dim", "image_size", "channels", "classes", "source"} <= set(m)
    assert by_id[ids[1]]["classes"]


def test_generate_returns_image_and_info(client, ids):
    uncond, cond = ids
    image, info = client.predict(uncond, 7, "", 1.0, {"0": 1.5}, 4, api_name="/generate")
    assert Path(image).stat().st_size > 0
    info = info if isinstance(info, dict) else json.loads(info)
    assert info["seeds"] == [7, 8, 9, 10] and info["edits"] == {"0": 1.5}
    assert len(info["d_prob"]) == 4 and len(info["latent_norm"]) == 4
    classes = client.predict(api_name="/models")
    cls = next(m for m in classes if m["id"] == cond)["classes"]
    _, info = client.predict(cond, 3, cls[-1], 0.7, {"pc0": -2}, 1, api_name="/generate")
    assert info["class"] == cls[-1] and info["truncation"] == 0.7


GENERATE_BAD_INPUT = [
        (("no-such/model-xyz", 0, "", 1.0, {}, 1), "model"),
        (("unknown-model", 0, "", 1.0, {}, 1), "model"),
        (("COND", 0, "unicorn", 1.0, {}, 1), "not one of"),
        (("UNCOND", -1, "", 1.0, {}, 1), "Seed"),
        (("UNCOND", 2**32, "", 1.0, {}, 1), "Seed"),
        (("UNCOND", 0, "", 1.0, '{"0": NaN}', 1), "finite"),
        (("UNCOND", 0, "", 1.0, '{"0": Infinity}', 1), "finite"),
        (("UNCOND", 0, "", 1.0, {"100000": 1}, 1), "out of range"),
        (("UNCOND", 0, "", 1.0, {}, 1000), "n must be"),
        (("UNCOND", 0, "", 5.0, {}, 1), "Truncation"),
        # The endpoints take raw JSON (preprocess=False): wrong types reach the validators, which refuse them.
        (("UNCOND", "abc", "", 1.0, {}, 1), "Seed must be a whole number"),
        (("UNCOND", True, "", 1.0, {}, 1), "Seed must be an integer"),
        ((123, 0, "", 1.0, {}, 1), "Choose a model"),
        (("COND", 0, [1], 1.0, {}, 1), "Label must be a class name or index"),
        (("UNCOND", 0, "", "x", {}, 1), "Truncation must be a number"),
        (("UNCOND", 0, "", 1.0, [1], 1), "Edits must be a JSON object"),
        (("UNCOND", 0, "", 1.0, {"0": "x"}, 1), "must be a number"),
        (("UNCOND", 0, "", 1.0, {}, None), "n must be"),
]


def _named(args: tuple, ids) -> tuple:
    uncond, cond = ids
    return tuple({"UNCOND": uncond, "COND": cond}.get(a, a) if isinstance(a, str) else a for a in args)


@pytest.mark.parametrize("args, message", GENERATE_BAD_INPUT)
def test_generate_bad_input_gives_clear_errors(client, ids, args, message):
    with pytest.raises(AppError, match=message):
        client.predict(*_named(args, ids), api_name="/generate")


def test_nearest_returns_the_image_beside_its_neighbours_and_the_numbers(client, ids):
    uncond, cond = ids
    strip, info = client.predict(uncond, 5, "", 1.0, {"pc0": 1.0}, api_name="/nearest")
    assert Path(strip).stat().st_size > 0
    distances = [n["distance"] for n in info["neighbours"]]
    assert len(distances) == 4 and distances == sorted(distances) and distances[0] > 0
    assert info["seed"] == 5 and 0 <= info["held_out_closer"] <= 1 and info["held_out_median"] > 0
    _, cond_info = client.predict(cond, 5, "1", 1.0, {}, api_name="/nearest")
    assert cond_info["model"] == cond and len(cond_info["neighbours"]) == 4


@pytest.mark.parametrize("args, message", [(a[:5], m) for a, m in GENERATE_BAD_INPUT if "n must" not in m])
def test_nearest_bad_input_gives_the_same_clear_errors(client, ids, args, message):
    with pytest.raises(AppError, match=message):
        client.predict(*_named(args, ids), api_name="/nearest")


def test_interpolate_returns_gif_mp4_strip(client, ids):
    uncond, _ = ids
    gif, mp4, strip = client.predict(uncond, 1, 2, "", "", 8, "slerp", api_name="/interpolate")
    assert Path(gif).read_bytes()[:3] == b"GIF"
    assert b"ftyp" in Path(mp4).read_bytes()[:64]
    assert Path(strip).stat().st_size > 0
    gif2, strip2 = client.predict(uncond, 1, 2, "", "", 4, "lerp", api_name="/interpolate_gif")
    assert Path(gif2).read_bytes()[:3] == b"GIF" and Path(strip2).exists()


def test_interpolate_classes(client, ids):
    _, cond = ids
    gif, strip = client.predict(cond, 5, 5, "0", "1", 4, "slerp", api_name="/interpolate_gif")
    assert Path(gif).exists()


@pytest.mark.parametrize(
    "frames, method, label_a, message",
    [(0, "slerp", "", "Frames"), (10_000, "slerp", "", "Frames"), (8, "cubic", "", "Method"),
     (8, "slerp", "cat", "unconditional")],
)
def test_interpolate_bad_input(client, ids, frames, method, label_a, message):
    with pytest.raises(AppError, match=message):
        client.predict(ids[0], 1, 2, label_a, "", frames, method, api_name="/interpolate_gif")


def test_internal_events_are_not_public(client):
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert {"/models", "/generate", "/interpolate", "/interpolate_gif", "/nearest"} <= set(endpoints)
    assert not any(name.startswith("/explore_") for name in endpoints)


# ---------------------------------------------------------------------------------------------
# Share links and recipes (ui/share.py): pure round trips, and a bad link never breaks the page
# ---------------------------------------------------------------------------------------------


def test_query_round_trip():
    from urllib.parse import parse_qsl

    from ui import share

    state = share.explore_state("cdcgan-animals", 7, "cat", 0.8, "4", [3, 5], {"3": 1.5, "pc0": -2.0, "sf2": 0.5})
    query = share.to_query(state)
    back = share.from_query(dict(parse_qsl(query[1:])))
    assert back["model"] == "cdcgan-animals" and back["seed"] == 7 and back["label"] == "cat"
    assert back["truncation"] == 0.8 and back["n"] == 4 and back["dims"] == [3, 5]
    assert back["edits"] == {"3": 1.5, "pc0": -2.0, "sf2": 0.5}
    interp = share.interpolate_state("m", 1, 2, "cat", "dog", 16, ("slerp", "lerp"), 1.0)
    back = share.from_query(dict(parse_qsl(share.to_query(interp)[1:])))
    assert back["tab"] == "interpolate" and back["seed_b"] == 2 and back["method"] == "both"


def test_a_link_can_open_each_tab_of_the_page():
    import re
    from pathlib import Path

    from ui import share

    page = (Path(__file__).resolve().parents[1] / "app.py").read_text()
    assert set(share.TABS) == set(re.findall(r'gr\.Tab\("[^"]+", id="(\w+)"\)', page))
    assert share.from_query({"tab": "family"}) == {"tab": "family"}


@pytest.mark.parametrize("params", [{"seed": "-4"}, {"seed": "abc"}, {"tab": "nope"}, {"trunc": "9"},
                                    {"dims": "1,x"}, {"z3": "abc"}, {"n": "many"}])
def test_bad_query_values_raise_value_errors(params):
    from ui import share

    with pytest.raises(ValueError):
        share.from_query(params)


def test_recipe_file_round_trip_and_rejects_junk(tmp_path):
    from ui import share

    good = tmp_path / "r.json"
    good.write_text(json.dumps(share.explore_state("m", 3, None, 1.0, 1, [], {})))
    assert share.from_recipe_file(good)["seed"] == 3
    for text in ("not json", "[1, 2]", '{"seed": 1}'):
        bad = tmp_path / "bad.json"
        bad.write_text(text)
        with pytest.raises(ValueError):
            share.from_recipe_file(bad)


@pytest.mark.filterwarnings("ignore:.*(link|restore).*:UserWarning")  # gr.Warning outside a request
@pytest.mark.parametrize("query", [{"model": "no-such-model", "seed": "1"}, {"seed": "-1"},
                                   {"model": "{uncond}", "label": "unicorn"}, {"model": "{uncond}", "z999": "1"}])
def test_restore_with_a_bad_link_falls_back_to_the_default_view(ids, query):
    from types import SimpleNamespace

    from ui import explore_views, interpolate_tab, links

    query = {k: v.format(uncond=ids[0]) for k, v in query.items()}
    request = SimpleNamespace(query_params=query)
    n_explore = 6 + explore_views.N_SLIDER_VALUES + 4  # the controls, the sliders, mode, image, readout, info
    outs = links.restore(request, explore_views.setup, interpolate_tab.on_model, n_explore)
    assert len(outs) == 1 + n_explore + len(links.INTERPOLATE_FIELDS)
    image = outs[1 + n_explore - 3]
    assert getattr(image, "shape", None) is not None  # the default view still renders an image


def test_recipe_save_and_load_restore_the_sliders(ids):
    from gan_models import dimensions
    from ui import explore_views

    uncond = ids[0]
    dims = [0, 1]
    values = [2.5, 0.0] + [0.0] * 6 + [1.0] + [0.0] * 7 + [0.0, -1.5] + [0.0] * 6  # z[0] moved, pc0 = 1, sf1 = -1.5
    base = dimensions.seed_values(uncond, 11, dims)
    values[1] = base[1]  # z[1] left at the seed's value: not an edit
    path = explore_views.save_recipe(uncond, 11, None, 0.9, "4", dims, *values)
    recipe = json.loads(Path(path).read_text())
    assert recipe["edits"] == {"0": 2.5, "pc0": 1.0, "sf1": -1.5}
    assert recipe["truncation"] == 0.9 and recipe["n"] == 4
    outs = explore_views.load_recipe(path)
    assert outs[1]["value"] == 11 and outs[6]["value"] == 2.5 and outs[6]["label"] == "z[0]"
    assert outs[14]["value"] == 1.0  # pc0 slider
    assert outs[23]["value"] == -1.5 and "first layer" in outs[23]["label"]  # sf1 slider
    assert "value" not in outs[30]  # raw dims were moved: the raw sliders stay in view
    only_sefa = explore_views.setup(uncond, 11, edits={"sf1": -1.5})
    assert only_sefa[30]["value"] == "SeFa directions"  # a view that moves only SeFa directions shows their sliders


def test_the_sensitivity_chart_ranks_like_the_default_sliders_and_marks_them(ids):
    import gradio as gr

    from gan_models import dimensions, render
    from ui import explore_views

    uncond, cond = ids
    for model, label in ((uncond, None), (cond, render.model_spec(render.load_model(cond))["classes"][1])):
        dims = dimensions.default_dims(model, 3, label)
        table = explore_views.sensitivity_chart(model, 3, label, dims)["value"]
        marked = [row["dimension"] for _, row in table.iterrows() if row["slider"] == "has a slider"]
        assert list(table["dimension"][: len(dims)]) == [f"z{d}" for d in dims]  # the chart's top bars...
        assert marked == [f"z{d}" for d in dims]  # ...are exactly the dims that got sliders
        assert (table["sensitivity"].diff().dropna() <= 0).all()
    # A slider the user picked is marked where it ranks, and a stale class mid model switch is skipped.
    sixteenth = int(explore_views.sensitivity_chart(uncond, 3, None, [])["value"]["dimension"].iloc[-1][1:])
    table = explore_views.sensitivity_chart(uncond, 3, None, [sixteenth])["value"]
    assert list(table["slider"]) == ["no slider"] * 15 + ["has a slider"]
    assert explore_views.sensitivity_chart(cond, 3, "no-such-class", []) == gr.skip()


def test_a_grid_readout_summarises_and_warns_once(ids):
    from ui import explore_views

    _, cond = ids
    far = {"3": 4.0, "5": 4.0, "pc0": 5.0, "pc1": 5.0, "pc2": 5.0}
    _, readout, info = explore_views.render_view(cond, 1, None, 1.0, "16", [3, 5], *_sliders(cond, 1, far))
    probs, norms = info["d_prob"], info["latent_norm"]
    assert len(probs) == len(norms) == 16  # every image's numbers stay in Details (JSON)
    assert f"min {min(probs):.2f}, max {max(probs):.2f}" in readout and "median" in readout
    assert f"min {min(norms):.1f}, max {max(norms):.1f}" in readout
    assert readout.count("⚠️") == 1 and "16 of 16 latents" in readout  # one warning for the whole grid


def _sliders(model: str, seed: int, edits: dict) -> list[float]:
    """Slider values (raw dims 3 and 5 first, then PCA, then SeFa) that send `edits`."""
    from ui import explore_views

    raw = [edits["3"], edits["5"]] + [0.0] * (explore_views.K - 2)
    pca = [edits.get(f"pc{i}", 0.0) for i in range(explore_views.N_DIR)]
    return raw + pca + [0.0] * explore_views.N_DIR


def test_the_readme_lesson_links_open_their_views():
    """Every link of README's lesson restores a view of shipped models with no refusal (README stays true)."""
    import re
    import warnings
    from pathlib import Path
    from types import SimpleNamespace
    from urllib.parse import parse_qsl, urlsplit

    from ui import explore_views, interpolate_tab, links, share
    from ui.common import model_ids

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    lesson = readme[readme.index("## Teach with it"):readme.index("### A longer lesson")]
    urls = re.findall(r"\((http://127\.0\.0\.1:7860/\?[^)]+)\)", lesson)
    assert len(urls) >= 4
    n_explore = 6 + explore_views.N_SLIDER_VALUES + 4
    for url in urls:
        params = dict(parse_qsl(urlsplit(url).query))
        state = share.from_query(params)
        assert state["model"] in model_ids(), url
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            outs = links.restore(SimpleNamespace(query_params=params), explore_views.setup, interpolate_tab.on_model,
                                 n_explore)
        assert not [w for w in caught if "link" in str(w.message)], url  # no "Ignoring the link's settings"
        assert outs[0].selected == state["tab"], url  # the link's tab opens
        assert outs[1]["value"] == state["model"] and outs[2]["value"] == state["seed"], url
        values = [o.get("value") for o in outs[1:1 + n_explore] if isinstance(o, dict)]
        for key, value in (state.get("edits") or {}).items():  # the link's moves are on the sliders
            assert value in values, (url, key)
