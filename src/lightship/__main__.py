"""``python -m lightship`` runs the same app as the ``lightship`` command."""

from lightship.cli import main

main()
