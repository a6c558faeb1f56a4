"""The endpoint a user writes by hand: FastAPI + PyTorch eager, one request -> one forward.

Every text is padded to the model's max length, there is no batching across requests and
no ONNX Runtime. ``scripts/bench_serving.py`` starts it as the baseline the lightship
service is measured against.

    python scripts/naive_endpoint.py --model-dir BENCH_DIR/minilm --port 3100
    curl -XPOST localhost:3100/predict -H 'content-type: application/json' -d '{"texts": ["my card was charged twice"]}'

``--model-dir`` holds ``model.pt`` (the PyTorch weights, saved by the benchmark) and the
bundle: ``tokenizer/``, ``manifest.json`` (labels, max length) and ``config.yaml`` (the model
config, to rebuild the module the weights belong to).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pydantic import BaseModel


class Texts(BaseModel):
    texts: list[str]


def build_app(model_dir: Path):  # -> fastapi.FastAPI
    import torch
    from fastapi import FastAPI
    from omegaconf import OmegaConf
    from transformers import AutoTokenizer

    from lightship.config.targets import instantiate

    bundle = model_dir / "bundle"
    manifest = json.loads((bundle / "manifest.json").read_text())
    labels, max_length = manifest["labels"], int(manifest["max_length"])
    tokenizer = AutoTokenizer.from_pretrained(str(bundle / "tokenizer"))
    cfg = OmegaConf.load(bundle / "config.yaml")
    model = instantiate(cfg.model, list(cfg.allowed_targets)).build_classifier(labels, tokenizer)
    model.load_state_dict(torch.load(model_dir / "model.pt"))
    model.eval()
    app = FastAPI()

    @app.post("/predict")
    def predict(body: Texts) -> list[dict]:
        encoded = tokenizer(body.texts, padding="max_length", truncation=True, max_length=max_length, return_tensors="pt")
        with torch.no_grad():
            logits, _ = model(encoded["input_ids"], encoded["attention_mask"])
        probabilities = torch.softmax(logits, dim=-1)
        return [{"label": labels[int(row.argmax())], "confidence": float(row.max())} for row in probabilities]

    @app.get("/readyz")
    def ready() -> dict:
        return {"ready": True}

    return app


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3100)
    args = parser.parse_args()
    uvicorn.run(build_app(args.model_dir), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
