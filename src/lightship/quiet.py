"""Library output a lightship user cannot act on, filtered where it starts and nowhere else.

Each entry names the logger (or the module a warning is attributed to) and the start of the
exact message; every other record of those libraries still shows, and no logger's level
changes. :func:`quiet_libraries` installs the filters once per process; ``run_task`` calls it,
so the command line, sweep jobs in worker processes and tests get the same output.

What is filtered, and why it says nothing to a lightship user:

- ``torch.onnx`` exporter: "torchvision is not installed. Skipping torchvision::..." (it looks
  up vision operators no text model uses);
- Lightning: the accelerator inventory ("GPU available", "TPU available"), its cloud-logger
  tip, the ``limit_*_batches`` echo, "Loading `train_dataloader` to estimate...", "Seed set
  to"; a ``LeafSpec`` deprecation raised inside Lightning itself each epoch; "Checkpoint
  directory ... exists and is not empty" (a run's folder always holds the tokenizer saved
  beside its checkpoints, and a resumed run writes into its own folder on purpose);
- MLflow: "Creating initial MLflow database tables" / "Updating database tables" (a new
  SQLite store being set up).
"""

from __future__ import annotations

import logging
import warnings

LOG_MESSAGES: dict[str, tuple[str, ...]] = {
    "torch.onnx._internal.exporter._registration": ("torchvision is not installed",),
    "pytorch_lightning.utilities.rank_zero": (
        "GPU available:", "TPU available:", "💡 Tip:", "`Trainer(limit_", "Loading `train_dataloader` to estimate",
    ),
    "lightning_fabric.utilities.seed": ("Seed set to",),
    "mlflow.store.db.utils": ("Creating initial MLflow database tables", "Updating database tables"),
}
# (message regex, module regex): warnings attributed to library code, never to lightship's.
WARNINGS: tuple[tuple[str, str], ...] = (
    (r"`isinstance\(treespec, LeafSpec\)` is deprecated", r"pytorch_lightning\.utilities\._pytree"),
    (r"Checkpoint directory .* exists and is not empty", r"pytorch_lightning\.callbacks\.model_checkpoint"),
)


class DropMessages(logging.Filter):
    """Drop the records whose unformatted message starts with one of ``prefixes``."""

    def __init__(self, prefixes: tuple[str, ...]) -> None:
        super().__init__()
        self.prefixes = prefixes

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.prefixes)


def quiet_libraries() -> None:
    """Install the filters (idempotent)."""
    for name, prefixes in LOG_MESSAGES.items():
        logger = logging.getLogger(name)
        if not any(isinstance(existing, DropMessages) for existing in logger.filters):
            logger.addFilter(DropMessages(prefixes))
    for message, module in WARNINGS:
        warnings.filterwarnings("ignore", message=message, module=module)
