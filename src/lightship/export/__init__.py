"""ONNX export of a trained classifier and the parity check that guards it."""
