"""Which process of a data-parallel job this is, known before any Trainer exists.

Under ``trainer=ddp`` every process runs the task: Lightning re-runs the command line for
ranks above zero (with ``LOCAL_RANK``/``NODE_RANK`` set), SLURM starts one task per device
(``SLURM_PROCID``). All of them train; only global rank zero exports, records and registers
(:func:`lightship.release.pipeline.release`). Lightning reads the same variables
(``rank_zero_only.rank``), so this agrees with ``trainer.is_global_zero``.
"""

from __future__ import annotations


def global_rank() -> int:
    """This process's global rank from the launcher's environment (0 for a plain run)."""
    from lightning_fabric.utilities.rank_zero import rank_zero_only

    return int(getattr(rank_zero_only, "rank", 0) or 0)


def is_global_zero() -> bool:
    return global_rank() == 0
