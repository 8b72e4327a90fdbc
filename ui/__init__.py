"""Gradio page pieces: one module per tab. Each exposes `build()` that lays out its tab inside the
enclosing `gr.Blocks` and wires its events. Callbacks stay thin: the work lives in gan_models/ and training/.
"""
