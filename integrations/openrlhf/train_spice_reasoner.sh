#!/usr/bin/env bash
# OpenRLHF GRPO on SPICE-verified answers with the remote reward (a sketch: flags read from OpenRLHF's
# train_ppo_ray.py; not run here, as no GPU was available). OpenRLHF has no environment protocol, so this
# trains the reasoner role on a fixed task set: export the pool of a `spice gym serve` run, or any
# {question, answer, answer_type} set, as prompt/label rows (docs/gym.md#openrlhf), and serve the reward with
#   spice serve            (or spice gym serve)   ->   POST http://HOST:PORT/openrlhf/reward
# A label is the gold answer, or a JSON string {"answer": "...", "answer_type": "Integer", "options": {...}}.
set -euo pipefail
SPICE_REWARD_URL=${SPICE_REWARD_URL:-http://127.0.0.1:8787/openrlhf/reward}

python3 -m openrlhf.cli.train_ppo_ray \
  --actor.model_name_or_path Qwen/Qwen3-4B-Base \
  --data.prompt_dataset "${SPICE_TASKS:-spice_tasks.jsonl}" \
  --data.input_key prompt \
  --data.label_key label \
  --data.apply_chat_template \
  --reward.remote_url "$SPICE_REWARD_URL" \
  --algo.advantage.estimator dr_grpo \
  --rollout.n_samples_per_prompt 8 \
  --rollout.temperature 1.0 \
  --rollout.max_new_tokens 4096 \
  --actor.adam.lr 1e-6 \
  --algo.kl.init_coef 0 \
  "$@"
