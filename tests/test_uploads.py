"""Uploads to the inversion panel through the real HTTP routes (POST /gradio_api/upload, then the page's
`find_latent_ui` event over /queue/join): a decompression bomb is refused from its header with the server's
RSS barely moving, broken files and file references that are not uploads get a message, and colour is
converted both ways (grey upload to an RGB model, colour upload to a grey model, RGBA composited on white)."""

from __future__ import annotations

import io
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import numpy as np
import pytest
import torch
from PIL import Image

from gan_models import edit, registry
from gan_models.dcgan import DCGANConfig, DCGANGenerator
from tests.test_slider_batch import join_and_wait
from ui import uploads

MB = 2**20


def png_bytes(image: Image.Image, **kwargs) -> bytes:
    out = io.BytesIO()
    image.save(out, format=kwargs.pop("format", "PNG"), **kwargs)
    return out.getvalue()


def upload(base: str, name: str, content: bytes) -> dict:
    """POST /gradio_api/upload as the browser does; -> the FileData the page then sends."""
    response = httpx.post(f"{base}gradio_api/upload", files={"files": (name, content)}, timeout=60)
    assert response.status_code == 200, response.text
    return {"path": response.json()[0], "orig_name": name, "meta": {"_type": "gradio.FileData"}}


def fn_index(base: str, api_name: str) -> int:
    config = httpx.get(f"{base}config", timeout=30).json()
    return next(d["id"] for d in config["dependencies"] if d.get("api_name") == api_name)


def find_latent(base: str, model: str, file: object, steps: int = 20) -> dict:
    """The panel's Find latent button: (model, sketch, upload, steps) -> the event's final message."""
    return join_and_wait(base, fn_index(base, "find_latent_ui"), [model, None, file, steps], uuid.uuid4().hex)


def join_status(base: str, api_name: str, data: list) -> httpx.Response:
    return httpx.post(f"{base}gradio_api/queue/join", timeout=30,
                      json={"data": data, "event_data": None, "fn_index": fn_index(base, api_name), "trigger_id": None,
                            "session_hash": uuid.uuid4().hex})


def error_text(message: dict) -> str:
    assert not message["success"], message
    return str((message.get("output") or {}).get("error"))


@pytest.fixture(scope="module")
def rgb_model(tmp_path_factory) -> str:
    """A tiny 32x32 RGB DCGAN saved with save_pretrained, loaded by the registry and served under a new id."""
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("rgb") / "tiny-rgb"
    DCGANGenerator(DCGANConfig(latent_dim=8, base_channels=4, d_base_channels=4, channels=3,
                               image_size=32)).save_pretrained(folder)
    return registry.register(registry.load_from_folder(folder, model_id=f"tiny-rgb-{uuid.uuid4().hex[:6]}"))


def _rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1])
    raise AssertionError(field)


def test_a_decompression_bomb_is_refused_from_its_header(app_url, tmp_path):
    # 12000 x 12000 grey pixels in ~140 KB, written by another process so this one (the server's) never holds it.
    bomb = tmp_path / "bomb.png"
    subprocess.run([sys.executable, "-c", "import sys; from PIL import Image; "
                    "Image.new('L', (12000, 12000), 255).save(sys.argv[1], optimize=True)", str(bomb)], check=True)
    content = bomb.read_bytes()
    assert len(content) < 1 * MB
    file = upload(app_url, "bomb.png", content)
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak RSS (VmHWM) to the current RSS
    before = _rss_kb("VmRSS:")
    message = find_latent(app_url, "dcgan-animals", file)
    peak_growth_mb = (_rss_kb("VmHWM:") - before) / 1024
    print(f"bomb upload: server peak RSS {peak_growth_mb:+.1f} MB")
    assert "144 Mpx" in error_text(message) and "at most 16 Mpx" in error_text(message)
    assert peak_growth_mb < 50, f"the bomb raised the server's peak RSS by {peak_growth_mb:.0f} MB"
    assert Image.MAX_IMAGE_PIXELS == uploads.PIXEL_BUDGET


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("text.png", b"this is not an image at all" * 10, "not a readable image"),
        ("truncated.png", png_bytes(Image.new("L", (64, 64), 3))[:60], "not a readable image"),
        ("vector.svg", b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "not a readable image"),
        ("tiff.tif", png_bytes(Image.new("L", (8, 8)), format="TIFF"), "Not a supported image"),
    ],
    ids=["not-an-image", "truncated-png", "svg", "tiff"],
)
def test_a_broken_upload_gets_a_message(app_url, name, content, message):
    assert message in error_text(find_latent(app_url, "dcgan-animals", upload(app_url, name, content)))


@pytest.mark.parametrize(
    ("file", "message"),
    [
        ({"path": "/etc/passwd", "meta": {"_type": "gradio.FileData"}}, "not uploaded to this server"),
        ({"path": "http://169.254.169.254/latest/meta-data", "meta": {"_type": "gradio.FileData"}}, "URLs are not"),
        ("https://example.com/cat.png", "must be an uploaded file"),
        ({"path": 12, "meta": {"_type": "gradio.FileData"}}, "must be an uploaded file"),
    ],
    ids=["path-outside-the-cache", "url-as-path", "url-instead-of-file", "path-not-a-string"],
)
def test_a_file_reference_that_is_not_an_upload_is_refused_with_a_message(app_url, file, message):
    # Refused before the event is queued (Gradio would copy the path, or download the URL, first).
    response = join_status(app_url, "find_latent_ui", ["dcgan-animals", None, file, 20])
    assert response.status_code == 400 and message in response.json()["detail"], response.text
    assert len(response.json()["detail"]) <= 200


def _found(message: dict) -> str:
    assert message["success"], message
    readout = message["output"]["data"][2]
    assert readout.startswith("**Found**"), readout
    return readout


def test_a_grey_upload_inverts_with_an_rgb_model(app_url, rgb_model):
    grey = Image.new("L", (80, 60), 255)
    grey.paste(0, (20, 10, 60, 50))
    _found(find_latent(app_url, rgb_model, upload(app_url, "grey.png", png_bytes(grey))))


def test_a_colour_upload_inverts_with_a_grey_model(app_url):
    colour = Image.new("RGB", (64, 64), (255, 255, 255))
    colour.paste((200, 30, 30), (16, 16, 48, 48))
    _found(find_latent(app_url, "dcgan-animals", upload(app_url, "red.jpg", png_bytes(colour, format="JPEG"))))


def test_an_rgba_upload_is_composited_on_white_not_refused(app_url, rgb_model):
    rgba = Image.new("RGBA", (64, 64), (0, 0, 0, 0))  # transparent black: white paper once composited
    rgba.paste((20, 40, 220, 255), (16, 16, 48, 48))
    _found(find_latent(app_url, rgb_model, upload(app_url, "logo.png", png_bytes(rgba))))
    arr = uploads.read_image(upload(app_url, "logo.png", png_bytes(rgba)))
    assert arr.shape == (64, 64, 4)
    target = edit.prepare_target(arr, 32, 3, dark_background=False)
    assert target.shape == (1, 3, 32, 32)
    assert torch.allclose(target[0, :, 0, 0], torch.ones(3))  # a transparent corner became white, not black
    centre = target[0, :, 16, 16]
    assert centre[2] > centre[0] and centre[2] > centre[1]  # the blue square kept its colour


def test_a_multi_frame_upload_uses_its_first_frame(app_url):
    frames = [Image.new("L", (40, 40), value) for value in (10, 250, 128)]
    gif = png_bytes(frames[0], format="GIF", save_all=True, append_images=frames[1:], duration=100)
    arr = uploads.read_image(upload(app_url, "anim.gif", gif))
    assert arr.shape[:2] == (40, 40) and int(arr.mean()) == 10  # a palette GIF reads as RGB
    _found(find_latent(app_url, "dcgan-animals", upload(app_url, "anim.gif", gif)))


def test_uploads_are_reduced_to_the_working_size():
    big = np.zeros((2000, 1000), np.uint8)
    from gradio.utils import get_upload_folder

    folder = Path(get_upload_folder())
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"big-{uuid.uuid4().hex}.png"
    Image.fromarray(big).save(path)
    try:
        assert uploads.read_image(str(path)).shape == (uploads.WORKING_SIDE, uploads.WORKING_SIDE // 2)
    finally:
        path.unlink()
