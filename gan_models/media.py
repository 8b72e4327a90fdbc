"""Images and videos: generator output [N, C, H, W] in [-1, 1] -> uint8 [N, H, W, C], grids (plain and captioned),
upscaling for the browser, PNG bytes, the interpolation strip, and GIF/MP4 files.

Knows nothing of models or latents: everything past `to_uint8` takes uint8 arrays [N, H, W, C].
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

# ---------------------------------------------------------------------------------------------
# Tensors -> uint8 images
# ---------------------------------------------------------------------------------------------


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """[N, C, H, W] in [-1, 1] -> uint8 [N, H, W, C] (values clipped, rounded)."""
    x = images.detach().float().cpu().clamp(-1, 1)
    x = ((x + 1) * 127.5).round().to(torch.uint8)
    return x.permute(0, 2, 3, 1).contiguous().numpy()


def make_grid(images: np.ndarray, nrow: int | None = None, pad: int = 2, pad_value: int = 255) -> np.ndarray:
    """uint8 [N, H, W, C] -> one uint8 [H', W', C] image with `nrow` images per row (default: square)."""
    n, h, w, c = images.shape
    nrow = nrow or max(1, math.ceil(math.sqrt(n)))
    rows = math.ceil(n / nrow)
    grid = np.full((rows * (h + pad) + pad, nrow * (w + pad) + pad, c), pad_value, dtype=np.uint8)
    for i in range(n):
        r, col = divmod(i, nrow)
        y, x = pad + r * (h + pad), pad + col * (w + pad)
        grid[y : y + h, x : x + w] = images[i]
    return grid


def enlarge_frames(frames: np.ndarray, scale: int) -> np.ndarray:
    """Nearest-neighbour upscale of a batch [N, H, W, ...] by an integer factor (pixels stay crisp)."""
    return np.repeat(np.repeat(frames, scale, axis=1), scale, axis=2)


def upscale(image: np.ndarray, min_side: int = 256, max_factor: int = 8) -> np.ndarray:
    """Nearest-neighbour upscale by an integer factor so small GAN images stay crisp in the browser
    (browsers smooth small images when they stretch them)."""
    factor = max(1, min(max_factor, math.ceil(min_side / max(1, min(image.shape[:2])))))
    if factor == 1:
        return image
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)


def for_display(image: np.ndarray) -> np.ndarray:
    """Drop a single channel axis (PIL cannot save [H, W, 1])."""
    return image[..., 0] if image.ndim == 3 and image.shape[2] == 1 else image


def png_bytes(image: np.ndarray, compress_level: int = 1) -> bytes:
    """uint8 [H, W] or [H, W, C] as PNG. Level 1, not PIL's 6: on these nearest-upscaled images (long runs of
    equal pixels) it is much faster for slightly larger files, and encoding is a visible share of a one-image
    render (figures: docs/benchmarks.md)."""
    from PIL import Image

    with io.BytesIO() as out:
        Image.fromarray(for_display(image)).save(out, format="PNG", compress_level=compress_level)
        return out.getvalue()


# ---------------------------------------------------------------------------------------------
# Grids with captions
# ---------------------------------------------------------------------------------------------


def captioned_grid(tiles: np.ndarray, captions: Sequence[str] | None, nrow: int, scale: int) -> np.ndarray:
    """Grid of upscaled tiles, each with an optional one-line caption drawn underneath."""
    from PIL import Image, ImageDraw

    tiles = enlarge_frames(tiles, scale)
    if captions and tiles.shape[-1] == 1:
        tiles = np.repeat(tiles, 3, axis=-1)  # captions are drawn in colour; without them stay grayscale
    n, h, w, ch = tiles.shape
    cap_h = 14 if captions else 0
    pad = 4
    rows = math.ceil(n / nrow)
    canvas = np.full((rows * (h + cap_h + pad) + pad, nrow * (w + pad) + pad, ch), 255, dtype=np.uint8)
    for i in range(n):
        r, c = divmod(i, nrow)
        y, x = pad + r * (h + cap_h + pad), pad + c * (w + pad)
        canvas[y : y + h, x : x + w] = tiles[i]
    if captions:
        img = Image.fromarray(canvas)
        draw = ImageDraw.Draw(img)
        for i, text in enumerate(captions):
            r, c = divmod(i, nrow)
            y, x = pad + r * (h + cap_h + pad) + h + 1, pad + c * (w + pad)
            draw.text((x + 1, y), text, fill=(30, 30, 30))
        canvas = np.asarray(img)
    return for_display(canvas)


def scale_for(image_size: int, n_per_row: int, target: int = 512, max_scale: int = 8) -> int:
    """Nearest-neighbour upscale for rows of `n_per_row` tiles of `image_size` px: the largest that keeps a row
    within `target` px, clamped to 1..max_scale."""
    return max(1, min(max_scale, target // max(1, image_size * n_per_row)))


# ---------------------------------------------------------------------------------------------
# Interpolation: strip, GIF and MP4
# ---------------------------------------------------------------------------------------------


def video_frames(frames: np.ndarray, min_side: int = 128, block: int = 16) -> np.ndarray:
    """Upscale (nearest), make 3 channels and pad to a multiple of `block` px: H.264 in browsers wants
    RGB/yuv420p and 16-px blocks."""
    h = frames.shape[1]
    scale = max(1, math.ceil(min_side / h))
    big = enlarge_frames(frames, scale)
    if big.shape[-1] == 1:
        big = np.repeat(big, 3, axis=-1)
    ph, pw = (-big.shape[1]) % block, (-big.shape[2]) % block
    if ph or pw:
        pad = ((0, 0), (0, ph), (0, pw)) + ((0, 0),) * (big.ndim - 3)
        big = np.pad(big, pad, constant_values=255)
    return big


def strip_image(frames: np.ndarray, per_row: int = 8) -> np.ndarray:
    """All frames in reading order, at most `per_row` per row, each upscaled to at least 64 px (about 100 px
    where the row allows) with its place on the path written underneath: A, t = 0.07, ..., B."""
    from PIL import Image, ImageDraw, ImageFont

    n, h = frames.shape[0], frames.shape[1]
    per_row = max(1, min(per_row, n))
    scale = max(math.ceil(64 / h), min(4, 800 // (h * per_row)), 1)
    big = enlarge_frames(frames, scale)
    fh, fw, channels = big.shape[1], big.shape[2], big.shape[3]
    pad, caption = 6, 20
    rows = math.ceil(n / per_row)
    canvas = np.full((rows * (fh + caption + pad) + pad, per_row * (fw + pad) + pad, channels), 255, np.uint8)
    for i in range(n):
        r, c = divmod(i, per_row)
        y, x = pad + r * (fh + caption + pad), pad + c * (fw + pad)
        canvas[y : y + fh, x : x + fw] = big[i]
    image = Image.fromarray(for_display(canvas))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=13)
    ink = (40, 40, 40) if channels == 3 else 40
    for i in range(n):
        r, c = divmod(i, per_row)
        text = "A" if i == 0 else "B" if i == n - 1 else f"t = {i / (n - 1):.2f}"
        x, y = pad + c * (fw + pad) + fw / 2, pad + r * (fh + caption + pad) + fh + caption / 2
        draw.text((x, y), text, fill=ink, font=font, anchor="mm")
    return np.asarray(image)


def write_gif(frames: np.ndarray, path: Path, fps: float = 12.0) -> Path:
    """An animated GIF of uint8 frames [N, H, W, C], upscaled (nearest) to at least 112 px. Colour frames share
    one palette, quantised once at the model's resolution and then upscaled as indices: PIL's per-frame
    quantisation of the upscaled frames was most of an interpolation's time, and a shared palette cannot
    flicker between frames."""
    from PIL import Image

    scale = max(1, math.ceil(112 / frames.shape[1]))  # 28 px -> 4x
    if frames.shape[-1] == 1:
        indices, palette = frames[..., 0], None  # 'L' frames need no palette
    else:
        n, h, w, _ = frames.shape
        mosaic = Image.fromarray(np.ascontiguousarray(frames.reshape(n * h, w, 3)))
        quantised = mosaic.quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
        indices, palette = np.asarray(quantised).reshape(n, h, w), quantised.getpalette()
    pil = [Image.fromarray(f, mode="L" if palette is None else "P") for f in enlarge_frames(indices, scale)]
    if palette is not None:
        for image in pil:
            image.putpalette(palette)
    pil[0].save(path, save_all=True, append_images=pil[1:], duration=int(round(1000 / fps)), loop=0)
    return path


# x264's quality (0 = lossless, its default 23): 23 smeared the pixel edges of upscaled frames (35.9 dB against the
# frames at 128 px); 18 keeps them (38.8 dB) for about 40% more bytes (12 KB for 16 frames).
MP4_CRF = 18


def write_mp4(frames: np.ndarray, path: Path, fps: float = 12.0) -> Path:
    import imageio.v2 as imageio  # imageio-ffmpeg ships its own ffmpeg binary

    # imageio-ffmpeg starts ffmpeg with preexec_fn=os.setpgrp, Python code run in the forked child, which can
    # deadlock there when other threads hold locks (imageio-ffmpeg issue 58): seen here as an interpolate call
    # hanging for good in subprocess._execute_child while renders ran in other threads. Its own switch turns it
    # off; the cost is that ffmpeg shares the server's process group (a Ctrl-C reaches it too).
    os.environ.setdefault("IMAGEIO_FFMPEG_NO_PREVENT_SIGINT", "1")

    big = video_frames(frames)
    writer = imageio.get_writer(
        str(path), format="FFMPEG", mode="I", fps=fps, codec="libx264", pixelformat="yuv420p",
        macro_block_size=16, ffmpeg_log_level="error", output_params=["-movflags", "+faststart", "-crf", str(MP4_CRF)],
    )
    try:
        for f in big:
            writer.append_data(f)
    finally:
        writer.close()
    return path


def export_interpolation(frames: np.ndarray, out_dir: Path, stem: str, gif: bool = True, mp4: bool = True) -> dict:
    """Write the GIF and/or MP4 of `frames` into out_dir (the caller picks a folder inside Gradio's
    cache so the files are cleaned up with it); returns {"gif": path, "mp4": path}."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    if gif:
        out["gif"] = write_gif(frames, out_dir / f"{stem}.gif")
    if mp4:
        out["mp4"] = write_mp4(frames, out_dir / f"{stem}.mp4")
    return out
