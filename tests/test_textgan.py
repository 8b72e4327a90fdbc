"""The text-to-image GAN (gan_models/textgan.py): reading phrases, the networks, its training step and CLI."""

from __future__ import annotations

import json

import pytest
import torch

from gan_models import registry
from gan_models.kinds import build_pair, config_from_dict
from gan_models.textgan import TextGANConfig, build_vocab, sample_phrases, words_of
from training.data import captions_of, load_dataset
from training.evaluate import text_report
from training.loop import as_floats, contrastive, text_step
from training.train import main

VOCAB = ["face", "heart", "red", "yellow", "cat", "joy", "tears", "sun"]


def small_config(**changes: object) -> TextGANConfig:
    fields = {"vocab": VOCAB, "base_channels": 8, "d_base_channels": 8, "text_dim": 16, "cond_dim": 8,
              "latent_dim": 8, "max_words": 4, **changes}
    return TextGANConfig(**fields).validate()


def test_words_drop_accents_case_punctuation_and_stop_words() -> None:
    assert words_of("Flag: Åland Islands") == ["flag", "aland", "islands"]
    assert words_of("Face with Tears of Joy!") == ["face", "tears", "joy"]
    assert words_of("\x00\x1b[31m \t") == ["31m"]  # control characters are not words
    assert build_vocab(["red heart", "heart", "cat face"]) == ["heart", "cat", "face", "red"]


def test_captions_are_name_short_names_and_subcategory() -> None:
    assert captions_of("grinning face", "grinning,grin_face", "face-smiling") == (
        "grinning face", "grinning", "grin face", "face smiling")
    data = load_dataset("emoji-text", "test")
    assert captions_of("regional indicator a", "a", "alphanum") == ("regional indicator a", "alphanum")  # no "a"
    assert len(data.captions) == len(data) and all(caps and all(map(words_of, caps)) for caps in data.captions)
    train = load_dataset("emoji-text", "train")
    names_train = {caps[0] for caps in train.captions}
    assert not names_train & {caps[0] for caps in data.captions}  # held-out names are never trained on


def test_reading_a_phrase_names_unknown_words_and_their_closest_known_ones() -> None:
    G, _ = build_pair(small_config())
    read = G.text.read("red hart of unicorns")
    assert read.known == ["red"] and read.unknown == {"hart": ["heart"], "unicorns": []}
    ids = G.text.ids(["red heart", "heart red", "cat face joy tears sun"])  # longer phrases keep max_words
    assert ids.shape == (3, 4) and ids.dtype == torch.int64
    with pytest.raises(ValueError, match="no known word"):
        G.text.ids(["unicorns"])
    with pytest.raises(ValueError, match="ids"):
        G.text(torch.zeros(2, 5, dtype=torch.int64))


def test_shapes_determinism_and_a_bag_of_words() -> None:
    torch.manual_seed(0)
    G, D = build_pair(small_config())
    G.eval()
    z = torch.randn(3, 8)
    ids = G.text.ids(["red heart", "heart red", "cat face"])
    x = G(z, ids)
    assert x.shape == (3, 3, 32, 32) and x.abs().max() <= 1
    assert torch.equal(x, G(z, ids))
    t = G.text(ids)
    assert torch.allclose(t[0], t[1]) and not torch.allclose(t[0], t[2])  # word order does not matter
    assert torch.allclose(t.norm(dim=1), torch.ones(3))
    assert D(x, t).shape == (3,)
    with pytest.raises(ValueError, match="t must have shape"):
        G.from_embedding(z, t[:, :4])


@pytest.mark.parametrize("bad", [{"vocab": []}, {"vocab": ["Face"]}, {"vocab": ["a b"]}, {"vocab": ["x", "x"]},
                                 {"vocab": "face"}, {"int_weight": float("nan")}, {"max_words": 0},
                                 {"image_size": 28}, {"kind": "dcgan"}])
def test_config_refuses_bad_fields(bad: dict) -> None:
    with pytest.raises(ValueError):
        TextGANConfig.from_dict({**json.loads(json.dumps(small_config().__dict__)), **bad})
    assert config_from_dict(json.loads(json.dumps(small_config().__dict__))).kind == "textgan"


def test_training_step_learns_which_text_goes_with_which_image() -> None:
    torch.manual_seed(0)
    G, D = build_pair(small_config())
    colours = torch.tensor([[1.0, -1, -1], [1, 1, -1], [-1, -1, 1], [-1, 1, -1]])  # red, yellow, blue, green
    real = colours.repeat(4, 1)[:, :, None, None].expand(-1, -1, 32, 32).contiguous()
    ids = G.text.ids(["red heart", "yellow face", "cat", "sun joy"] * 4)
    opt_g = torch.optim.Adam(G.parameters(), 2e-3, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), 2e-3, betas=(0.5, 0.999))

    def image_text_loss() -> float:
        with torch.no_grad():
            return float(contrastive(D.image_embedding(D.body(real)), G.text(ids)))

    before = image_text_loss()
    records = [as_floats(text_step(G, D, opt_g, opt_d, real, torch.randn(16, 8), ids, step=s)) for s in range(60)]
    assert image_text_loss() < 0.5 * before
    assert set(records[0]) == {"step", "d_loss", "g_loss", "d_real", "d_fake", "d_wrong", "match"}
    with torch.no_grad():  # each colour's closest caption is its own
        similarity = D.image_embedding(D.body(real[:4])) @ G.text(ids[:4]).T
    assert torch.equal(similarity.argmax(dim=1), torch.arange(4))


def test_cli_dry_run_resume_is_exact_and_folder_loads_and_evaluates(tmp_path) -> None:
    args = ["--model", "textgan", "--dataset", "fake", "--batch-size", "8", "--base-channels", "8",
            "--d-base-channels", "8", "--latent-dim", "8", "--sample-every", "2", "--no-progress", "--threads", "1"]
    full = main([*args, "--steps", "4", "--out", str(tmp_path / "full"), "--work-dir", str(tmp_path / "w1")])
    main([*args, "--steps", "2", "--out", str(tmp_path / "half"), "--work-dir", str(tmp_path / "w2")])
    resumed = main([*args, "--steps", "4", "--resume", "--out", str(tmp_path / "half"),
                    "--work-dir", str(tmp_path / "w2")])
    a, b = registry.load_from_folder(full), registry.load_from_folder(resumed)
    for (name, p), q in zip(a.generator.state_dict().items(), b.generator.state_dict().values(), strict=True):
        assert torch.equal(p, q), name
    assert a.kind == "textgan" and a.config.vocab[0] == "blob"  # in every fake caption: the most frequent
    assert (full / "samples.png").exists() and "one row per phrase" in (full / "README.md").read_text()
    assert sample_phrases(a.config)[0] in a.config.vocab
    report = text_report(a, full, seeds=1)
    assert report["test"]["names"] == len(load_dataset("fake", "test"))
    assert 0 <= report["test"]["text_match"] <= 1 and report["frechet_train_vs_test"] >= 0


def test_cli_refuses_uncaptioned_data_and_recipe_parts(tmp_path) -> None:
    with pytest.raises(SystemExit):
        main(["--model", "textgan", "--dataset", "digits", "--steps", "1", "--out", str(tmp_path / "x")])
    with pytest.raises(SystemExit):
        main(["--model", "textgan", "--dataset", "fake", "--ema", "0.999", "--steps", "1",
              "--out", str(tmp_path / "y")])
