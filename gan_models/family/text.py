"""Card 7 of the GAN family tab, text to image (GAN-CLS + GAN-INT): a phrase's images, and the images between
two phrases; a phrase is checked and read with the model's vocabulary, unknown words named with their closest
known ones."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from gan_models import latent as L
from gan_models import registry
from gan_models.family.common import (
    INTERPOLATION_FRAMES,
    Loaded,
    check_n,
    load,
    parameter_count,
    seeds_from,
    training_steps,
)

TEXT_ID = "textgan-emoji"
MAX_PHRASE = 200  # characters; a longer phrase is refused before it is read
MAX_WORDS_SHOWN = 3  # unknown words named in one refusal (the words line names up to 8)
MAX_WORD_SHOWN = 24  # characters of one unknown word shown in a message
TEXT_SAMPLES = 8


# ---------------------------------------------------------------------------------------------
# Card 7: text to image (GAN-CLS + GAN-INT)
# ---------------------------------------------------------------------------------------------


def check_phrase(phrase: object, name: str = "Phrase") -> str:
    """A phrase as typed: text of 1..MAX_PHRASE characters, not only whitespace, without control characters
    (tabs and line breaks count as spaces). The length is checked first, before anything reads the text."""
    if not isinstance(phrase, str):
        raise ValueError(f"{name} must be text, got {L.shown(phrase)}.")
    if len(phrase) > MAX_PHRASE:
        raise ValueError(f"{name} is too long: {len(phrase):,} characters, at most {MAX_PHRASE}.")
    bad = next((c for c in phrase if c not in "\t\n\r" and unicodedata.category(c)[0] == "C"), None)
    if bad is not None:
        raise ValueError(f"{name} contains a control character ({ascii(bad)}): type plain words.")
    if not phrase.strip():
        raise ValueError(f"{name} is empty: type a few words, e.g. 'red heart'.")
    return " ".join(phrase.split())


def unknown_word_note(word: str, closest: Sequence[str]) -> str:
    """"'hart' is not in the vocabulary; closest known: heart" (or that no known word is close); a long word is
    shown cut to MAX_WORD_SHOWN characters."""
    shown = word if len(word) <= MAX_WORD_SHOWN else word[: MAX_WORD_SHOWN - 1] + "…"
    if closest:
        return f"'{shown}' is not in the vocabulary; closest known: {', '.join(closest)}"
    return f"'{shown}' is not in the vocabulary, and no known word is close"


def unknown_notes(unknown: dict[str, list[str]], limit: int = MAX_WORDS_SHOWN) -> str:
    """The notes of the first `limit` unknown words, then how many more there are."""
    notes = [unknown_word_note(w, c) for w, c in list(unknown.items())[:limit]]
    more = len(unknown) - limit
    return "; ".join(notes) + (f" (and {more} more unknown words)" if more > 0 else "")


@dataclass(frozen=True)
class Reading:
    """How the model read one phrase."""

    phrase: str  # as checked (whitespace collapsed)
    known: list[str]  # the words it draws from, in order
    unknown: dict[str, list[str]]  # each word it ignored -> its closest known words (possibly none)


def read_phrase(model: registry.LoadedModel, phrase: object, name: str = "Phrase") -> Reading:
    """Check `phrase` and read it with the model's vocabulary; a phrase with no known word is refused with a
    message naming its unknown words and their closest known ones."""
    text = check_phrase(phrase, name)
    read = model.generator.text.read(text)
    if not read.known:
        if not read.unknown:  # only punctuation or words like "the", "of"
            raise ValueError(f"{name} {L.shown(text)} has no word to draw from (letters or digits, other than "
                             "words like 'the' or 'of').")
        raise ValueError(f"{name}: no word of it is in the vocabulary: {unknown_notes(read.unknown)}.")
    return Reading(text, list(read.known), {w: list(c) for w, c in read.unknown.items()})


@dataclass(frozen=True)
class TextResult:
    model_id: str
    reading: Reading
    seeds: list[int]
    images: torch.Tensor  # [n, 3, 32, 32] in [-1, 1]: image i drawn from seed i
    parameters: int
    steps: int | None
    note: str | None = None


@dataclass(frozen=True)
class TextInterpolation:
    model_id: str
    a: Reading
    b: Reading
    seed: int
    alphas: list[float]  # 0 (phrase A) .. 1 (phrase B)
    images: torch.Tensor  # [steps, 3, 32, 32]: one seed, embeddings normalize((1 - a) tA + a tB)
    note: str | None = None


def _text_model(model_id: str) -> Loaded:
    return load(model_id, ("textgan",))


def _embedding(model: registry.LoadedModel, reading: Reading) -> torch.Tensor:
    gen = model.generator
    return gen.text(gen.text.ids([reading.phrase]))  # [1, text_dim], unit length


@torch.inference_mode()
def text_to_image(phrase: object, seed: object, n: object = TEXT_SAMPLES, model_id: str = TEXT_ID) -> TextResult:
    """n images of `phrase` (seeds seed..seed+n-1), drawn from its known words."""
    text = check_phrase(phrase)  # before anything else reads it
    count = check_n(n)
    seeds = seeds_from(seed, count)
    loaded = _text_model(model_id)
    model = loaded.model
    reading = read_phrase(model, text)
    z = torch.cat([L.z_from_seed(s, int(model.config.latent_dim)) for s in seeds])
    t = _embedding(model, reading).expand(count, -1)
    images = model.generator.from_embedding(z, t).float().clamp(-1, 1)
    return TextResult(model_id, reading, seeds, images, parameter_count(model.generator), training_steps(model_id),
                      loaded.note)


@torch.inference_mode()
def text_interpolation(phrase_a: object, phrase_b: object, seed: object, steps: object = INTERPOLATION_FRAMES,
                       model_id: str = TEXT_ID) -> TextInterpolation:
    """`steps` images at one seed from phrase A's embedding to phrase B's, each mix normalize((1 - a) tA + a tB)
    (GAN-INT trained G on such mixes): the first is phrase A's own image, the last phrase B's."""
    text_a, text_b = check_phrase(phrase_a, "Phrase A"), check_phrase(phrase_b, "Phrase B")
    first = L.check_seed(seed)
    count = L.whole("Steps", steps, 2, 32)
    loaded = _text_model(model_id)
    model = loaded.model
    a, b = read_phrase(model, text_a, "Phrase A"), read_phrase(model, text_b, "Phrase B")
    alphas = torch.linspace(0, 1, count, dtype=torch.float64).float()[:, None]  # [steps, 1]
    t = F.normalize((1 - alphas) * _embedding(model, a) + alphas * _embedding(model, b), dim=1)
    z = L.z_from_seed(first, int(model.config.latent_dim)).expand(count, -1)
    images = model.generator.from_embedding(z, t).float().clamp(-1, 1)
    return TextInterpolation(model_id, a, b, first, [round(float(x), 4) for x in alphas[:, 0]], images, loaded.note)
