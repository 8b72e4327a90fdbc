"""The vendored emoji set: checksum and metadata as recorded, classes, split, licences, and a reproducible build."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from training.data import EMOJI_CLASSES, EMOJI_FIELDS, EMOJI_NPZ, content_sha256, load_dataset, load_emoji_arrays

ASSETS = EMOJI_NPZ.parent


def test_vendored_file_matches_its_record() -> None:
    record = json.loads(EMOJI_NPZ.with_suffix(".json").read_text())
    arrays = load_emoji_arrays()  # np.load(..., allow_pickle=False) inside: an object array would fail
    assert content_sha256(arrays) == record["content_sha256"]
    assert len(arrays["images"]) == record["count"] and arrays["images"].shape[1:] == (32, 32, 3)
    assert EMOJI_NPZ.stat().st_size <= 15 * 2**20
    vendors = dict(zip(*np.unique(arrays["vendor"], return_counts=True), strict=True))
    assert vendors == record["per_vendor"] and set(vendors) == {"google", "twitter"}  # never Apple / Facebook
    assert int((arrays["skin_tone"] != "").sum()) == record["skin_tone_variants"] > 0
    with np.load(EMOJI_NPZ, allow_pickle=False) as f:
        assert set(f.files) == {"images", *EMOJI_FIELDS}
        assert all(f[k].dtype.kind == "U" for k in EMOJI_FIELDS)  # plain strings, no pickled objects


def test_licences_and_attribution_beside_the_data() -> None:
    text = (ASSETS / "EMOJI-LICENSES.md").read_text()
    assert "Apache License" in text and "Version 2.0" in text  # Noto Emoji
    assert "Creative Commons Attribution 4.0 International" in text and "Twemoji" in text


def test_classes_and_a_split_over_code_points() -> None:
    train, test = load_dataset("emoji", "train"), load_dataset("emoji", "test")
    assert train.class_names == list(EMOJI_CLASSES) and train.images.shape[1:] == (3, 32, 32)
    assert train.images.dtype.is_floating_point is False
    for data in (train, test):  # every class on both sides
        assert set(data.labels.tolist()) == set(range(len(EMOJI_CLASSES)))
    assert 0.15 < len(test) / (len(train) + len(test)) < 0.25
    # no drawing of a test emoji (either vendor, any skin tone) is in the training set
    arrays = load_emoji_arrays()
    flat = {a.tobytes() for a in train.images.permute(0, 2, 3, 1).numpy()}
    assert not any(a.tobytes() in flat for a in test.images.permute(0, 2, 3, 1).numpy())
    assert len(arrays["images"]) > len(train) + len(test)  # other subcategories are left out
    faces = load_dataset("emoji-faces", "train")
    assert faces.class_names == ["face"] and (faces.labels == 0).all() and len(faces) > 100


def _fake_package(path: Path, vendor: str, colour: tuple[int, int, int]) -> Path:
    """A tarball shaped like emoji-datasource-<vendor>: emoji.json + img/<vendor>/64/*.png (RGBA)."""
    entries = [
        {"name": "GRINNING FACE", "unified": "1F600", "image": "1f600.png", "short_names": ["grinning"],
         "category": "Smileys & Emotion", "subcategory": "face-smiling", "sort_order": 1, f"has_img_{vendor}": True},
        {"name": "WAVING HAND SIGN", "unified": "1F44B", "image": "1f44b.png", "short_names": ["wave"],
         "category": "People & Body", "subcategory": "hand-fingers-open", "sort_order": 2, f"has_img_{vendor}": True,
         "skin_variations": {"1F3FB": {"unified": "1F44B-1F3FB", "image": "1f44b-1f3fb.png",
                                       f"has_img_{vendor}": True}}},
    ]
    with tarfile.open(path, "w:gz") as tar:
        def add(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))

        add("package/emoji.json", json.dumps(entries).encode())
        for image in ("1f600.png", "1f44b.png", "1f44b-1f3fb.png"):
            im = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
            im.paste((*colour, 255), (16, 16, 48, 48))  # an opaque square on a transparent background
            buf = io.BytesIO()
            im.save(buf, format="PNG")
            add(f"package/img/{vendor}/64/{image}", buf.getvalue())
    return path


def test_build_is_reproducible_and_composites_on_white(tmp_path) -> None:
    from training.assets.build_emoji import build

    g = _fake_package(tmp_path / "g.tgz", "google", (255, 0, 0))
    t = _fake_package(tmp_path / "t.tgz", "twitter", (0, 0, 255))
    first = build(g, t, tmp_path / "a.npz")
    second = build(g, t, tmp_path / "b.npz")
    assert first["content_sha256"] == second["content_sha256"] and first["count"] == 6
    with np.load(tmp_path / "a.npz", allow_pickle=False) as f:
        images, vendor, tone = f["images"], f["vendor"], f["skin_tone"]
        assert list(f["subcategory"][:3]) == ["face-smiling", "hand-fingers-open", "hand-fingers-open"]
    assert images.shape == (6, 32, 32, 3) and list(tone[:3]) == ["", "", "1F3FB"]
    assert (images[:, 0, 0] == 255).all()  # transparent corners became white
    np.testing.assert_array_equal(images[0, 16, 16], [255, 0, 0])
    np.testing.assert_array_equal(images[vendor == "twitter"][0, 16, 16], [0, 0, 255])


@pytest.mark.parametrize("name", ["emoji", "emoji-faces"])
def test_missing_file_is_a_clear_error(monkeypatch, tmp_path, name: str) -> None:
    from training import data

    monkeypatch.setattr(data, "EMOJI_NPZ", tmp_path / "nope.npz")
    monkeypatch.setattr(data.load_emoji_arrays, "__defaults__", (tmp_path / "nope.npz",))
    with pytest.raises(data.DatasetUnavailable, match="build_emoji.py"):
        load_dataset(name, "train")
