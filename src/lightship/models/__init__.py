"""Text classifiers: custom models built from config and pretrained encoders loaded by name."""
