"""Build training/assets/emoji-32.npz from the emoji-datasource npm packages (how the vendored file was made).

    cd /tmp && npm pack emoji-datasource-google@16.0.0 emoji-datasource-twitter@16.0.0
    python training/assets/build_emoji.py /tmp/emoji-datasource-google-16.0.0.tgz \
        /tmp/emoji-datasource-twitter-16.0.0.tgz

Google's Noto Emoji (Apache-2.0) and Twemoji (CC-BY 4.0); never the Apple or Facebook sets of the same
packages, which are not freely licensed. Every 64x64 PNG (base emoji and skin-tone variants) is alpha
composited on white and reduced to 32x32 with a box filter (the mean of each 2x2 block, which keeps thin
strokes as grey instead of dropping them). The .npz holds uint8 images [N, 32, 32, 3] and one string
array per metadata field; it loads with allow_pickle=False. The file's bytes depend on zlib, so the
checksum recorded in emoji-32.json is of the array contents (`content_sha256` in training.data).
"""

from __future__ import annotations

import argparse
import io
import json
import tarfile
from pathlib import Path

import numpy as np
from PIL import Image

ASSETS = Path(__file__).resolve().parent
VENDORS = {"google": "Noto Emoji (Google), Apache-2.0", "twitter": "Twemoji (Twitter), CC-BY 4.0"}
SIZE = 32
FIELDS = ("unified", "name", "short_names", "category", "subcategory", "vendor", "skin_tone")


def _composite(png: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(png)) as im:
        if im.size != (64, 64):
            raise ValueError(f"expected a 64x64 PNG, got {im.size}")
        rgba = im.convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    rgb = Image.alpha_composite(white, rgba).convert("RGB")
    return np.asarray(rgb.resize((SIZE, SIZE), Image.Resampling.BOX), dtype=np.uint8)


def read_package(tgz: Path, vendor: str) -> tuple[list[np.ndarray], list[dict]]:
    images, meta = [], []
    with tarfile.open(tgz, "r:gz") as tar:
        emoji = json.load(tar.extractfile("package/emoji.json"))
        members = {m.name: m for m in tar.getmembers() if m.isfile()}

        def add(entry: dict, base: dict, tone: str) -> None:
            name = f"package/img/{vendor}/64/{entry['image']}"
            if not entry.get(f"has_img_{vendor}") or name not in members:
                return
            images.append(_composite(tar.extractfile(members[name]).read()))
            meta.append({
                "unified": entry["unified"], "name": (base.get("name") or "").lower(),
                "short_names": ",".join(base.get("short_names") or []), "category": base["category"],
                "subcategory": base["subcategory"], "vendor": vendor, "skin_tone": tone,
            })

        for base in sorted(emoji, key=lambda e: e["sort_order"]):
            add(base, base, "")
            for tone, variant in sorted((base.get("skin_variations") or {}).items()):
                add(variant, base, tone)
    return images, meta


def build(google: Path, twitter: Path, out: Path = ASSETS / "emoji-32.npz") -> dict:
    images, meta = [], []
    for vendor, tgz in (("google", google), ("twitter", twitter)):
        im, me = read_package(tgz, vendor)
        images += im
        meta += me
    arrays = {"images": np.stack(images)}
    for field in FIELDS:
        arrays[field] = np.array([m[field] for m in meta], dtype=str)
    np.savez_compressed(out, **arrays)

    from training.data import content_sha256  # the same function the loader's test uses

    record = {
        "source": {v: f"npm emoji-datasource-{v}@16.0.0, img/{v}/64 ({VENDORS[v]})" for v in VENDORS},
        "how": "alpha composited on white, 64 -> 32 px box filter",
        "count": len(meta), "per_vendor": {v: sum(m["vendor"] == v for m in meta) for v in VENDORS},
        "skin_tone_variants": sum(bool(m["skin_tone"]) for m in meta),
        "content_sha256": content_sha256(arrays), "bytes": out.stat().st_size,
    }
    out.with_suffix(".json").write_text(json.dumps(record, indent=2) + "\n")
    return record


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(ASSETS.parent.parent))  # run as a script from anywhere: import training.data
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("google", type=Path, help="emoji-datasource-google-16.0.0.tgz")
    p.add_argument("twitter", type=Path, help="emoji-datasource-twitter-16.0.0.tgz")
    p.add_argument("--out", type=Path, default=ASSETS / "emoji-32.npz")
    a = p.parse_args()
    print(json.dumps(build(a.google, a.twitter, a.out), indent=2))
