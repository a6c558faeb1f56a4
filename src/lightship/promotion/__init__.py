"""Promotion: the gates a new model version must pass before it becomes the champion."""
