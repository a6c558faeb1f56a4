"""Serving: the ONNX Runtime classifier that batch scoring, gates and the BentoML service share."""
