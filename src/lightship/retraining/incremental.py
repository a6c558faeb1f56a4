"""One bounded incremental update of an in-memory classifier: new rows mixed with replayed ones."""

from __future__ import annotations

import math
import time
from typing import Any, Mapping, Sequence

import numpy as np

from lightship.retraining.decision import UpdateBudget
from lightship.retraining.replay import ReplayBuffer


def incremental_update(
    classifier: Any,
    encoder: Any,
    label_to_id: Mapping[str, int],
    texts: Sequence[str],
    labels: Sequence[str],
    replay: ReplayBuffer,
    budget: UpdateBudget,
    batch_size: int,
    lr: float,
    seed: int,
) -> float:
    """Continue training ``classifier`` on ``texts``/``labels``; return the seconds spent.

    Each batch holds ``(1 - replay_fraction) * batch_size`` new rows (shuffled, ``passes``
    passes) and the rest drawn from ``replay``; at most ``budget.max_steps`` steps run, so
    the compute per update is bounded whatever the window size. Rows whose label the
    model does not know are skipped (the policy retrains instead when that matters).
    """
    import torch

    known = [(text, label_to_id[label]) for text, label in zip(texts, labels) if label in label_to_id]
    if not known:
        return 0.0
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    new_per_batch = max(1, round(batch_size * (1 - budget.replay_fraction)))
    steps = min(budget.max_steps, math.ceil(budget.passes * len(known) / new_per_batch))
    order = np.concatenate([rng.permutation(len(known)) for _ in range(budget.passes)])
    optimizer = torch.optim.AdamW([p for p in classifier.parameters() if p.requires_grad], lr=lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    classifier.train()
    for step in range(steps):
        batch = [known[i] for i in order[step * new_per_batch : (step + 1) * new_per_batch]]
        old_texts, old_labels = replay.sample(batch_size - len(batch))
        batch += [(text, label_to_id[label]) for text, label in zip(old_texts, old_labels) if label in label_to_id]
        encoded = encoder.encode_torch([text for text, _ in batch])
        logits, _ = classifier(encoded["input_ids"], encoded["attention_mask"])
        loss = loss_fn(logits, torch.tensor([label for _, label in batch], dtype=torch.long))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(classifier.parameters(), 1.0)
        optimizer.step()
    classifier.eval()
    return time.perf_counter() - started
