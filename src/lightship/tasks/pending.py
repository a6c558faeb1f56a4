"""Tasks that are declared in ``conf/task`` but not implemented yet fail with a clear message."""

from omegaconf import DictConfig

from lightship.errors import NotAvailableYet


def not_available(cfg: DictConfig) -> None:
    raise NotAvailableYet(
        f"task={cfg.task.name} is declared but not available yet in this version of lightship. "
        "Available now: task=train, task=predict."
    )
