"""Evaluation of predictions: the metrics gates, reports and live monitoring share."""
