"""Text to image: GAN-CLS with GAN-INT (Reed et al. 2016) on emoji names, at 32x32.

A phrase is a bag of lowercase words (`words_of`); `TextEncoder` maps the words' ids to a unit text embedding
t [N, text_dim] (the mean of learned word vectors, then a linear map). No pretrained text encoder can be
downloaded here, and a bag of words is enough for names: "red heart" and "heart red" mean the same, and a
word seen in training names ("cat", "face", "red") carries over to names never seen. The encoder is trained
jointly with the GAN: a contrastive image-text term (training.loop.text_step) pulls t towards D's embedding
of the matching image, so t says what the image looks like before G has learned anything.

G: z [N, latent_dim] and t -> cond = LeakyReLU(Linear(t)) [N, cond_dim] -> the DCGAN trunk (gan_models/dcgan.py
has its shapes) on [z, cond] -> image [N, 3, 32, 32]. D is matching-aware: its logit is a projection score
out(h) + <proj(t), h> on its image features h (the projection form of the class-conditional D, with the text
embedding in place of a class's), trained on real+matching (real), real+mismatched and fake+matching (fake).
`vocab` is stored in config.json: the words G was trained on, index 0 being padding.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F
from huggingface_hub import PyTorchModelHubMixin

from gan_models.dcgan import (
    DiscriminatorBody,
    GeneratorBody,
    _check_z,
    _ConfigMixin,
    check_family_config,
    check_weight,
    config_from_mapping,
    spectral,
)

LIMITS = {"latent_dim": (1, 512), "base_channels": (4, 256), "d_base_channels": (4, 256),
          "text_dim": (8, 512), "cond_dim": (4, 512), "max_words": (1, 64)}
MAX_VOCAB = 20_000
MAX_WORD_LENGTH = 40
# Words that carry no look of their own ("face with tears of joy" is drawn by "face", "tears", "joy").
STOP_WORDS = frozenset({"a", "an", "and", "as", "at", "for", "in", "of", "on", "or", "the", "to", "with"})
_WORD = re.compile(r"[a-z0-9]+")


def words_of(phrase: str) -> list[str]:
    """The words of a phrase as the encoder reads them: accents dropped, lowercase, letters and digits only,
    stop words left out ("Flag: Åland Islands" -> ["flag", "aland", "islands"])."""
    text = unicodedata.normalize("NFKD", phrase).encode("ascii", "ignore").decode().lower()
    return [w for w in _WORD.findall(text) if w not in STOP_WORDS]


def build_vocab(phrases: Iterable[str]) -> list[str]:
    """Every word of the phrases, most frequent first (ties alphabetical): the config's `vocab`."""
    counts = Counter(w for p in phrases for w in words_of(p))
    return [w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


@dataclass
class TextGANConfig:
    kind: str = "textgan"
    latent_dim: int = 64
    image_size: int = 32
    channels: int = 3
    base_channels: int = 64
    d_base_channels: int = 64
    text_dim: int = 128
    cond_dim: int = 64
    max_words: int = 16  # longer phrases keep their first max_words known words
    vocab: list[str] = field(default_factory=lambda: ["face", "heart", "red", "yellow", "cat"])
    contrastive_weight: float = 1.0  # the image-text term that trains the encoder
    int_weight: float = 1.0  # GAN-INT: G's loss on interpolated text embeddings
    spectral_norm: bool = True
    dataset: str = ""

    # Conditioned on text, not on classes: Explore does not list it.
    num_classes = property(lambda self: 0)
    class_names = property(lambda self: [])

    def validate(self) -> TextGANConfig:
        check_family_config(self, "textgan", LIMITS)
        if self.image_size != 32 or self.channels != 3:
            raise ValueError("config: the text-to-image model here draws 32x32 RGB")
        v = self.vocab
        if not isinstance(v, list) or not 1 <= len(v) <= MAX_VOCAB:
            raise ValueError(f"config.vocab must be a list of 1..{MAX_VOCAB} words")
        if not all(isinstance(w, str) and 0 < len(w) <= MAX_WORD_LENGTH and _WORD.fullmatch(w) for w in v):
            raise ValueError("config.vocab words must be lowercase letters and digits, at most "
                             f"{MAX_WORD_LENGTH} characters each")
        if len(set(v)) != len(v):
            raise ValueError("config.vocab has repeated words")
        check_weight(self, "contrastive_weight", 100)
        check_weight(self, "int_weight", 100)
        if not isinstance(self.spectral_norm, bool):
            raise ValueError(f"config.spectral_norm must be true or false, got {self.spectral_norm!r}")
        return self

    @classmethod
    def from_dict(cls, data: object) -> TextGANConfig:
        return config_from_mapping(cls, data)


# The sample grid's rows (and the panel's examples): phrases whose words are all in emoji-text's vocabulary.
SAMPLE_PHRASES = ("red heart", "grinning face", "cat face", "face with tears of joy", "thumbs up", "red apple",
                  "sun", "flag")


def sample_phrases(config: TextGANConfig, n: int = 8) -> list[str]:
    """SAMPLE_PHRASES the model knows every word of, topped up with single vocabulary words (a model trained on
    other captions, e.g. the fake data of a dry run, still gets a full grid)."""
    vocab = set(config.vocab)
    known = [p for p in SAMPLE_PHRASES if all(w in vocab for w in words_of(p))]
    return (known + [w for w in config.vocab if w not in known])[:n]


@dataclass(frozen=True)
class ReadPhrase:
    """How the model reads one phrase: the words it knows (in order) and, for each word it does not, the
    closest words it does know (possibly none)."""

    known: list[str]
    unknown: dict[str, list[str]]


class TextEncoder(nn.Module):
    """Word ids [N, max_words] (0 = padding) -> unit text embedding [N, text_dim]."""

    def __init__(self, config: TextGANConfig) -> None:
        super().__init__()
        self.config = config
        self.index = {w: i + 1 for i, w in enumerate(config.vocab)}
        self.words = nn.EmbeddingBag(len(config.vocab) + 1, config.text_dim, mode="mean",
                                     padding_idx=0)  # [N, L] -> [N, text_dim], the mean of the word vectors
        self.proj = nn.Linear(config.text_dim, config.text_dim)  # [N, text_dim]

    def read(self, phrase: str) -> ReadPhrase:
        words = words_of(phrase)
        known = [w for w in words if w in self.index]
        unknown = {w: difflib.get_close_matches(w, self.config.vocab, n=3, cutoff=0.6)
                   for w in words if w not in self.index}
        return ReadPhrase(known[: self.config.max_words], unknown)

    def ids(self, phrases: list[str]) -> torch.Tensor:
        """[N, max_words] int64 ids of each phrase's known words; ValueError if a phrase has none."""
        out = torch.zeros(len(phrases), self.config.max_words, dtype=torch.int64)
        for row, phrase in enumerate(phrases):
            known = self.read(phrase).known
            if not known:
                raise ValueError(f"no known word in {phrase[:60]!r}")
            out[row, : len(known)] = torch.tensor([self.index[w] for w in known])
        return out

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        if ids.ndim != 2 or ids.dtype != torch.int64 or ids.shape[1] != self.config.max_words:
            raise ValueError(f"ids must be int64 [N, {self.config.max_words}], got {tuple(ids.shape)} {ids.dtype}")
        if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) > len(self.config.vocab)):
            raise ValueError(f"ids must be in 0..{len(self.config.vocab)}")
        return F.normalize(self.proj(self.words(ids)), dim=1)


class TextToImageGenerator(
    nn.Module, _ConfigMixin, PyTorchModelHubMixin, tags=["gan", "textgan", "gan-latent-explorer"]
):
    """(z [N, latent_dim], word ids [N, max_words]) -> images [N, 3, 32, 32] in [-1, 1]."""

    config_class = TextGANConfig

    def __init__(self, config: TextGANConfig | None = None) -> None:
        super().__init__()
        self.config = self._coerce(config)
        c = self.config
        self.text = TextEncoder(c)
        self.cond = nn.Sequential(nn.Linear(c.text_dim, c.cond_dim), nn.LeakyReLU(0.2))  # [N, cond_dim]
        self.body = GeneratorBody(c.latent_dim + c.cond_dim, c.base_channels, c.channels, c.image_size)

    def from_embedding(self, z: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Draw from a text embedding directly: GAN-INT and phrase interpolation mix embeddings."""
        _check_z(z, self.config.latent_dim)
        if t.shape != (z.shape[0], self.config.text_dim):
            raise ValueError(f"t must have shape [{z.shape[0]}, {self.config.text_dim}], got {tuple(t.shape)}")
        return self.body(torch.cat([z, self.cond(t)], dim=1))  # [N, latent_dim + cond_dim] -> image

    def forward(self, z: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        return self.from_embedding(z, self.text(ids))


class MatchingDiscriminator(
    nn.Module, _ConfigMixin, PyTorchModelHubMixin, tags=["gan", "textgan", "gan-latent-explorer"]
):
    """(images [N, 3, 32, 32], text embeddings [N, text_dim]) -> logits [N]: "a real image of this text"."""

    config_class = TextGANConfig

    def __init__(self, config: TextGANConfig | None = None) -> None:
        super().__init__()
        self.config = self._coerce(config)
        c = self.config
        self.body = DiscriminatorBody(c.d_base_channels, c.channels, c.spectral_norm)  # [N, F]
        self.out = spectral(nn.Linear(self.body.out_dim, 1), c.spectral_norm)  # [N, 1] text-free realism
        self.proj = spectral(nn.Linear(c.text_dim, self.body.out_dim, bias=False), c.spectral_norm)  # [N, F]
        self.image_head = nn.Linear(self.body.out_dim, c.text_dim)  # [N, text_dim] for the contrastive term

    def score(self, h: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.out(h).squeeze(1) + (self.proj(t) * h).sum(dim=1)  # [N]

    def image_embedding(self, h: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.image_head(h), dim=1)  # [N, text_dim], unit length

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.score(self.body(x), t)
