"""lightship: declarative Hydra apps from training to a monitored ONNX endpoint."""

__version__ = "0.1.0"
