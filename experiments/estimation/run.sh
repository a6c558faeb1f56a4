#!/usr/bin/env bash
# Label-free estimates vs realised performance, one backtest per built-in stream (retrain=never: the first
# model serves every window, so the estimate has to follow its decline). Writes <out>/<stream>/backtest.json;
# `python scripts/estimation_table.py <out>` prints the table of experiments/estimation/README.md.
set -euo pipefail
out=${1:-outputs/estimation}
text="data.n_rows=4000 data.days=84 backtest.warmup_days=14 backtest.train_window_days=14 backtest.window_days=7 retrain=never"
# The built-in ticket stream: no drift, then the default change (new words for the same intents and a new class mix)
# as a step, a ramp and on/off.
for drift in none sudden gradual recurring; do
  lightship task=backtest backtest.stream_drift=$drift $text hydra.run.dir=$out/$drift
done
# The sudden change taken apart: only the class mix moves (each class's texts stay as they were) ...
lightship task=backtest backtest.stream_drift=sudden data.drift.vocab_shift=0 data.drift.class_mix_shift=1.0 $text hydra.run.dir=$out/class_mix_only
# ... and only the vocabulary moves (the same intents in words the model never read).
lightship task=backtest backtest.stream_drift=sudden data.drift.vocab_shift=0.6 data.drift.class_mix_shift=0 $text hydra.run.dir=$out/vocab_only
# A new label appears after the change (outage tickets the model cannot name).
lightship task=backtest backtest.stream_drift=sudden data.drift.new_category=true $text hydra.run.dir=$out/new_label
# Concept drift: fraud moves to a pattern that looked legitimate before (the same inputs, another label).
lightship task=backtest data=transactions model=gbdt data.n_rows=20000 data.days=140 data.fraud_rate=0.02 \
  data.drift.fraud_pattern_shift=0.8 backtest.warmup_days=28 backtest.train_window_days=28 backtest.window_days=7 \
  retrain=never hydra.run.dir=$out/fraud_pattern_shift
