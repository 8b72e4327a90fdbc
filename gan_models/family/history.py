"""The GAN family tab's cards as told: each family's title, the paper that introduced it and what it solved."""

from __future__ import annotations

from dataclasses import dataclass

from gan_models import latent as L


@dataclass(frozen=True)
class Family:
    key: str
    title: str
    paper: str
    history: str


FAMILIES: dict[str, Family] = {f.key: f for f in (
    Family("vanilla", "Vanilla GAN", "Goodfellow et al. 2014, *Generative Adversarial Nets* (NeurIPS)",
           "Two networks trained against each other: a generator turns noise into images and a discriminator "
           "tells them from real ones, so a model learns to sample without ever writing down a likelihood. The "
           "original networks were fully connected: every output pixel has its own weights, so a stroke must be "
           "learned again at every position. A DCGAN (Radford et al. 2015) of about the same size "
           "shares its filters across the image: that is why convolutions won."),
    Family("vae", "Variational autoencoder", "Kingma & Welling 2013, *Auto-Encoding Variational Bayes* (ICLR 2014)",
           "An encoder maps an image to a distribution over z and a decoder maps z back; training maximises a "
           "bound on the likelihood (reconstruction plus a KL term that keeps z close to N(0, I)), so it is "
           "stable and comes with an encoder. Because every training image must be reconstructed, a VAE covers "
           "every mode; because its pixel likelihood averages over plausible images, its samples are blurry. A "
           "GAN is the opposite trade: sharp samples, modes at risk."),
    Family("lapgan", "LAPGAN", "Denton et al. 2015, *Deep Generative Image Models using a Laplacian Pyramid of "
           "Adversarial Networks* (NeurIPS)",
           "Early GANs failed at higher resolutions, so LAPGAN splits the image into a Laplacian pyramid: one GAN "
           "draws a coarse 8x8 image, and each finer level's conditional GAN upsamples it and draws only the "
           "missing detail (the residual). Each level is a small, easier problem and trains on its own; coarse "
           "noise decides the layout, fine noise the texture."),
    Family("superres", "SRGAN", "Ledig et al. 2017, *Photo-Realistic Single Image Super-Resolution Using a "
           "Generative Adversarial Network* (CVPR)",
           "A super-resolution network trained on a pixel loss (SRResNet) predicts the average of every "
           "high-resolution image that fits the input: good PSNR, smooth texture. SRGAN adds a discriminator, "
           "which pulls the output towards images that look real: sharper, often at a lower PSNR. The paper's "
           "VGG content loss is left out here (its weights cannot be downloaded): L1 plus the adversarial term."),
    Family("pix2pix", "pix2pix", "Isola et al. 2017, *Image-to-Image Translation with Conditional Adversarial "
           "Networks* (CVPR)",
           "A conditional GAN whose condition is a whole image: a U-Net generator maps the input (here a line "
           "sketch) to the output, its skip connections carrying the layout straight through, and a PatchGAN "
           "discriminator judges (input, output) pairs with a grid of verdicts (at 32x32 px each of its 4x4 "
           "verdicts sees nearly the whole image). An L1 term ties the output to the real "
           "target; the adversarial term keeps it from the blurry average that L1 alone gives. It needs pairs: "
           "every training sketch here was derived from its emoji (Canny edges, thickened like brush strokes). "
           "The second model translates Twemoji drawings into Noto's style, trained on the same emoji drawn by "
           "both vendors: pairs that CycleGAN (next card) has to do without."),
    Family("cyclegan", "CycleGAN", "Zhu et al. 2017, *Unpaired Image-to-Image Translation using Cycle-Consistent "
           "Adversarial Networks* (ICCV)",
           "Most styles come without pairs: nobody draws the same picture twice. CycleGAN trains two translators, "
           "A -> B and B -> A, each against a discriminator of its target style, and asks that going there and "
           "back returns the input (cycle consistency), which stops a translator from mapping every input to one "
           "convincing output. Here A is Twemoji and B is Noto, trained on disjoint halves of the code points, so "
           "no pair was ever seen; emoji held out of training, drawn by both vendors, score the translation."),
    Family("text", "Text to image", "Reed et al. 2016, *Generative Adversarial Text to Image Synthesis* (ICML)",
           "The condition becomes a sentence: a text encoder turns a caption into an embedding and the generator "
           "draws from noise and that embedding. GAN-CLS makes the discriminator matching-aware: besides real and "
           "fake images it sees real images with the wrong caption, so it judges whether the image fits the "
           "text, not only whether it looks real. GAN-INT also trains the generator on mixtures of two captions' "
           "embeddings, so the space between captions draws something too. Here the captions are emoji names, "
           "read as a bag of words by an encoder trained with the GAN (no pretrained text model)."),
)}


def family(key: object) -> Family:
    if not isinstance(key, str) or key not in FAMILIES:
        raise ValueError(f"Unknown family {L.shown(key)}: choose one of {', '.join(FAMILIES)}.")
    return FAMILIES[key]
