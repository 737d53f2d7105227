"""Speech and language for agents: embeddings for understanding callers (more stages to come:
voice activity, speech-to-text, text-to-speech), each behind a small interface with an offline
default whose model ships inside a package."""
