"""A Hydra launcher that runs each sweep job as a Ray task, on a Ray cluster or a local instance.

Hydra finds launchers in the ``hydra_plugins`` namespace package; ``conf/hydra/launcher/ray.yaml``
names this class. Each job runs through Hydra's own ``run_job`` inside its task, as the
joblib launcher does in its workers, so job folders, callbacks and return values are the
same. (The published hydra-ray-launcher pins an old cloudpickle and pulls Ray's dashboard
and AWS dependencies; this is the part of it lightship uses.)
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Optional, Sequence

from hydra.core.hydra_config import HydraConfig
from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, configure_log, filter_overrides, run_job, setup_globals
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf, open_dict

log = logging.getLogger(__name__)


def _run_job(
    hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig, singletons: dict[Any, Any], cwd: str
) -> JobReturn:
    """One job inside a Ray worker: restore Hydra's state, then run it as Hydra would."""
    setup_globals()
    Singleton.set_state(singletons)
    if os.path.isdir(cwd):  # a local instance: jobs write where the sweep was started, like the other launchers
        os.chdir(cwd)
    HydraConfig.instance().set_config(config)
    return run_job(hydra_context=hydra_context, task_function=task_function, config=config,
                   job_dir_key="hydra.sweep.dir", job_subdir_key="hydra.sweep.subdir")


class RayLauncher(Launcher):
    """``init``: the cluster (``address``; without one a local instance of ``num_cpus``); ``remote``: each job's resources."""

    def __init__(self, init: Optional[DictConfig] = None, remote: Optional[DictConfig] = None) -> None:
        self.init = OmegaConf.to_container(init, resolve=True) if init is not None else {}
        self.remote = OmegaConf.to_container(remote, resolve=True) if remote is not None else {}
        self.config: Optional[DictConfig] = None
        self.hydra_context: Optional[HydraContext] = None
        self.task_function: Optional[TaskFunction] = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config, self.hydra_context, self.task_function = config, hydra_context, task_function

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        import ray

        from lightship.ray_cluster import connect

        assert self.config is not None and self.hydra_context is not None and self.task_function is not None
        setup_globals()
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        init = dict(self.init)
        connect(init.pop("address", None), init.pop("num_cpus", None), **init)
        log.info("Ray launcher: %d jobs in %s", len(job_overrides), sweep_dir)
        remote_job = ray.remote(_run_job).options(**self.remote)
        singletons, cwd = Singleton.get_state(), os.getcwd()
        pending = []
        for number, overrides in enumerate(job_overrides, start=initial_job_idx):
            log.info("\t#%d : %s", number, " ".join(filter_overrides(overrides)))
            sweep_config = self.hydra_context.config_loader.load_sweep_config(self.config, list(overrides))
            with open_dict(sweep_config):
                sweep_config.hydra.job.id = f"{sweep_config.hydra.job.name}_{number}"
                sweep_config.hydra.job.num = number
            pending.append(remote_job.remote(self.hydra_context, self.task_function, sweep_config, singletons, cwd))
        return ray.get(pending)
