"""The GAN family tab's computations: the vanilla GAN beside a DCGAN, a VAE beside a GAN, a LAPGAN's pyramid
level by level, 4x super-resolution (bicubic, SRResNet, SRGAN) scored with PSNR and SSIM, sketch -> emoji
(pix2pix, and Twemoji -> Noto with pairs), Twemoji <-> Noto without pairs (CycleGAN, A -> B -> A with its cycle
error) and text to image (GAN-CLS + GAN-INT: a phrase's images, and the images between two phrases).

Pure: model ids, seeds and image tensors in; typed results (tensors in [-1, 1]) and uint8 display images out.
No gradio, no datasets (the caller passes real images in, so this package never imports training). Inputs are
validated where they enter, each refusal a short ValueError. Every seed becomes its noise through a local
torch.Generator (gan_models.latent), so the global RNG is never touched and a seed always draws the same.

Models load through `load(model_id)`: the registry's strict loader, cached by the folder's file stamps, so a
checkpoint re-exported by a running training is picked up on the next call, and a snapshot caught half
written answers with a message (or keeps serving the last good copy) instead of failing.

One module per job: common (checks, loader, quality numbers, scores, tiles), history (the cards' stories),
pictures (uploads and drawings -> model inputs), generators (cards 1-3), superres (card 4), translation
(cards 5-6) and text (card 7). Callers use this package's names (`family.vanilla`, `family.FOLDERS`, ...).
"""

from gan_models.family.common import (
    DATASETS,
    FOLDERS,
    INTERPOLATION_FRAMES,
    MAX_EVAL_BYTES,
    MAX_SAMPLES,
    SR_SIZE,
    TILE_PX,
    Loaded,
    ModelUnavailable,
    Quality,
    check_dataset,
    check_index,
    check_n,
    check_test_images,
    clear_cache,
    folder_of,
    image_quality,
    load,
    parameter_count,
    quality,
    row_image,
    rows_image,
    training_steps,
)
from gan_models.family.generators import (
    GAN_KINDS,
    LAPGAN_ID,
    RECONSTRUCTIONS,
    RESIDUAL_GAIN,
    VAE_PAIRS,
    VANILLA,
    LAPGANResult,
    Level,
    Samples,
    VAEResult,
    VanillaResult,
    check_level_seeds,
    lapgan,
    level_image,
    pyramid_z,
    resolve_label,
    vae_panel,
    vanilla,
)
from gan_models.family.history import FAMILIES, Family, family
from gan_models.family.pictures import BLANK_INK, BLANK_MESSAGE, prepare_sketch, prepare_upload
from gan_models.family.superres import SR_DATASET, SR_IDS, Panel, SRResult, panel_image, superres
from gan_models.family.text import (
    MAX_PHRASE,
    MAX_WORD_SHOWN,
    MAX_WORDS_SHOWN,
    TEXT_ID,
    TEXT_SAMPLES,
    Reading,
    TextInterpolation,
    TextResult,
    check_phrase,
    read_phrase,
    text_interpolation,
    text_to_image,
    unknown_notes,
    unknown_word_note,
)
from gan_models.family.translation import (
    CYCLEGAN_ID,
    DIRECTIONS,
    PAIRED_DATASET,
    PAIRED_ID,
    PIX2PIX_ID,
    SKETCH_DATASET,
    STYLED_PIX2PIX_ID,
    STYLES,
    STYLES_DATASET,
    CycleResult,
    PairedResult,
    Pix2PixResult,
    check_direction,
    check_style,
    cyclegan,
    pix2pix,
    twemoji_to_noto,
)

__all__ = [
    # common
    "DATASETS", "FOLDERS", "INTERPOLATION_FRAMES", "MAX_EVAL_BYTES", "MAX_SAMPLES", "SR_SIZE", "TILE_PX", "Loaded",
    "ModelUnavailable", "Quality", "check_dataset", "check_index", "check_n", "check_test_images", "clear_cache",
    "folder_of", "image_quality", "load", "parameter_count", "quality", "row_image", "rows_image", "training_steps",
    # history
    "FAMILIES", "Family", "family",
    # pictures
    "BLANK_INK", "BLANK_MESSAGE", "prepare_sketch", "prepare_upload",
    # generators
    "GAN_KINDS", "LAPGAN_ID", "RECONSTRUCTIONS", "RESIDUAL_GAIN", "VAE_PAIRS", "VANILLA", "LAPGANResult", "Level",
    "Samples", "VAEResult", "VanillaResult", "check_level_seeds", "lapgan", "level_image", "pyramid_z",
    "resolve_label", "vae_panel", "vanilla",
    # superres
    "SR_DATASET", "SR_IDS", "Panel", "SRResult", "panel_image", "superres",
    # translation
    "CYCLEGAN_ID", "DIRECTIONS", "PAIRED_DATASET", "PAIRED_ID", "PIX2PIX_ID", "SKETCH_DATASET", "STYLED_PIX2PIX_ID",
    "STYLES", "STYLES_DATASET", "CycleResult", "PairedResult", "Pix2PixResult", "check_direction", "check_style",
    "cyclegan", "pix2pix", "twemoji_to_noto",
    # text
    "MAX_PHRASE", "MAX_WORD_SHOWN", "MAX_WORDS_SHOWN", "TEXT_ID", "TEXT_SAMPLES", "Reading", "TextInterpolation",
    "TextResult", "check_phrase", "read_phrase", "text_interpolation", "text_to_image", "unknown_notes",
    "unknown_word_note",
]
