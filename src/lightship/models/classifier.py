"""The module that is trained, exported and served: logits plus a pooled sentence embedding."""

from __future__ import annotations

import torch
from torch import nn


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average the token vectors that the attention mask keeps (padding excluded)."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)


def max_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """The largest value of each feature over the tokens that the attention mask keeps."""
    padding = attention_mask.unsqueeze(-1) == 0
    return hidden.masked_fill(padding, torch.finfo(hidden.dtype).min).max(dim=1).values


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


class MeanPoolClassifier(nn.Module):
    """An encoder whose classification head reads the mean of its token vectors.

    From-scratch encoders trained on a few thousand texts learn a useful mean of token
    vectors (a bag of contextual embeddings) long before they learn to summarise a text
    in the ``[CLS]`` position, so a head on the mean converges in fewer epochs and
    holds up on long documents. The embedding drift monitoring watches is the same mean.

    With ``max_pooling`` the head also reads the per-feature maximum over the tokens: in a
    short text one strongly marked word (a sentiment word, say) is diluted by the mean but
    kept by the maximum.
    """

    def __init__(self, encoder: nn.Module, hidden_size: int, n_labels: int, dropout: float, max_pooling: bool = False) -> None:
        super().__init__()
        self.backbone = encoder
        self.max_pooling = max_pooling
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size * (2 if max_pooling else 1), n_labels)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = self.backbone(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        embedding = mean_pool(hidden, attention_mask)
        features = torch.cat([embedding, max_pool(hidden, attention_mask)], dim=-1) if self.max_pooling else embedding
        return self.head(self.dropout(features)), embedding
