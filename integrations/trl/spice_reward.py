"""A TRL ``reward_funcs`` function that scores completions with the SPICE verifier over HTTP.

    from spice_reward import spice_reward
    trainer = GRPOTrainer(model=..., reward_funcs=[spice_reward], train_dataset=ds, ...)

The dataset needs an ``answer`` column (the gold answer) and may have ``answer_type`` (Integer, Expression,
String or MCQ; Expression when absent) and ``options`` ({"A": ..., "D": ...} for an MCQ). Each completion's
final \\boxed{} answer is checked by ``POST /v1/verify`` of a running ``spice serve`` (SPICE_URL, default
http://127.0.0.1:8787; SPICE_API_TOKEN when the server has one): 1.0 when correct, else 0.0. One request per
call, the whole batch in it. Standard library only.
"""

import json
import os
import urllib.request


def _text(completion):
    # Conversational datasets give a list of messages; the last one is the model's.
    if isinstance(completion, list):
        return completion[-1]["content"] if completion else ""
    return completion


def verify_batch(items, url=None, timeout=60.0):
    """POST /v1/verify with {"items": [...]}; returns the verdicts in order."""
    base = (url or os.environ.get("SPICE_URL", "http://127.0.0.1:8787")).rstrip("/")
    headers = {"content-type": "application/json"}
    token = os.environ.get("SPICE_API_TOKEN")
    if token:
        headers["authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        f"{base}/v1/verify", data=json.dumps({"items": items}).encode(), headers=headers, method="POST"
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.load(response)["items"]


def spice_reward(completions, answer, answer_type=None, options=None, **kwargs):
    n = len(completions)
    items = []
    for i in range(n):
        item = {
            "response": _text(completions[i]),
            "answer": str(answer[i]),
            "answer_type": (answer_type[i] if answer_type is not None else None) or "Expression",
        }
        if options is not None and options[i]:
            item["options"] = options[i]
        items.append(item)
    # A verdict row with "error" (an unusable row) scores 0.0, like a wrong answer.
    return [float(v.get("reward", 0)) for v in verify_batch(items)]
