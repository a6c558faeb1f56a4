"""Lightning training of a text classifier: data module, module, trainer."""
