"""Production monitoring: drift detection on model inputs and outputs.

``lightship.monitoring.drift`` holds the statistical detectors (one strategy
per module, chosen by the ``drift`` config group), the reference profile a
bundle carries, windows and reports; ``lightship.monitoring.text_features``
turns a text classifier's outputs into the features those detectors watch.
"""
