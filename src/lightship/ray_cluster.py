"""Join a Ray cluster, or start a local one: what the Ray sweep launcher and ``predict.engine=ray`` share.

``address`` (or ``$RAY_ADDRESS``) names a running cluster (``ray://head:10001``, ``auto``
for one started with ``ray start`` on this machine); without one, Ray starts a private
instance in this process, limited to ``num_cpus`` CPUs, without its dashboard.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Optional

log = logging.getLogger(__name__)


def connect(address: Optional[str] = None, num_cpus: Optional[int] = None, **options: Any) -> None:
    """``ray.init`` once per process (``options`` are passed through, e.g. ``log_to_driver``)."""
    import ray

    if ray.is_initialized():
        return
    address = address or os.environ.get("RAY_ADDRESS") or None
    if address:
        log.info("Joining the Ray cluster at %s", address)
        ray.init(address=address, **options)
    else:
        cpus = num_cpus or os.cpu_count() or 1
        log.info("No Ray cluster address configured: starting a local Ray instance with %d CPUs", cpus)
        ray.init(num_cpus=cpus, include_dashboard=False, **options)
