"""The module that is trained, exported and served: logits plus a pooled sentence embedding."""

from __future__ import annotations

import torch
from torch import nn


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average the token vectors that the attention mask keeps (padding excluded)."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)


class TextClassifier(nn.Module):
    """Wraps a ``transformers`` sequence classifier so one forward gives both outputs.

    The embedding (mean of the last hidden layer) is what drift monitoring watches, so
    the exported graph returns it next to the logits at no extra cost.
    """

    def __init__(self, backbone: nn.Module) -> None:
        super().__init__()
        self.backbone = backbone

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        output = self.backbone(input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True)
        return output.logits, mean_pool(output.hidden_states[-1], attention_mask)
