"""Load the model once before ``bentoml serve`` starts its workers.

A worker whose model cannot load (a corrupt or truncated bundle, a missing version, an
unreachable tracking store) fails in its constructor, and BentoML restarts it again and
again while the server never becomes ready. The service module therefore does the same
load (fetch, open, smoke prediction) when ``bentoml serve`` imports it, and stops the
command with one line naming the reference and the file. The launching process marks the
check done in the environment its workers inherit, so they do not repeat it.
"""

from __future__ import annotations

import logging
import os
from typing import Any

log = logging.getLogger(__name__)

PREFLIGHT_ENV = "LIGHTSHIP_PREFLIGHT_DONE"


def preflight(settings: Any) -> None:
    """Raise ``SystemExit`` with the reason when the configured model cannot be served."""
    if os.environ.get(PREFLIGHT_ENV):
        return
    from lightship.serving.holder import ModelHolder, RuntimeOptions

    serve = settings.serve
    holder = ModelHolder(settings.reference, settings.tracking_uri, RuntimeOptions.from_serve(serve), list(serve.smoke_texts))
    try:
        model = holder.load()
    except Exception as exc:
        raise SystemExit(f"lightship: cannot serve {settings.reference.text} (tracking store {settings.tracking_uri}): {exc}") from None
    log.info("Preflight: %s version %s loads and predicts", settings.reference.text, model.version)
    model.release()
    os.environ[PREFLIGHT_ENV] = "1"
