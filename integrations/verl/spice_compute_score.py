"""A verl ``compute_score`` that scores a response with the SPICE verifier over HTTP.

    custom_reward_function.path=integrations/verl/spice_compute_score.py
    custom_reward_function.name=compute_score

``ground_truth`` (the dataset's ``reward_model.ground_truth``) is the gold answer, or a JSON string
{"answer": ..., "answer_type": ..., "options": ...}; ``extra_info`` may carry ``answer_type`` and ``options``
instead. ``POST /v1/verify`` of a running ``spice serve`` (SPICE_URL, default http://127.0.0.1:8787) decides:
the result is {"score": 1.0 or 0.0, "acc": ..., "has_answer": ...}. Standard library only.
"""

import json
import os
import urllib.request


def _gold(ground_truth, extra_info):
    extra = extra_info if isinstance(extra_info, dict) else {}
    gold = {"answer": ground_truth, "answer_type": extra.get("answer_type"), "options": extra.get("options")}
    if isinstance(ground_truth, str) and ground_truth.lstrip().startswith("{"):
        try:
            parsed = json.loads(ground_truth)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and "answer" in parsed:
            gold.update({k: v for k, v in parsed.items() if k in ("answer", "answer_type", "options")})
    return gold


def compute_score(data_source, solution_str, ground_truth, extra_info=None, **kwargs):
    gold = _gold(ground_truth, extra_info)
    item = {
        "response": solution_str,
        "answer": str(gold["answer"]),
        "answer_type": gold["answer_type"] or ("MCQ" if gold["options"] else "Expression"),
    }
    if gold["options"]:
        item["options"] = gold["options"]
    base = os.environ.get("SPICE_URL", "http://127.0.0.1:8787").rstrip("/")
    headers = {"content-type": "application/json"}
    if os.environ.get("SPICE_API_TOKEN"):
        headers["authorization"] = f"Bearer {os.environ['SPICE_API_TOKEN']}"
    request = urllib.request.Request(f"{base}/v1/verify", data=json.dumps(item).encode(), headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=60.0) as response:
        verdict = json.load(response)
    score = float(verdict.get("reward", 0))
    return {"score": score, "reward": score, "acc": score, "has_answer": 0.0 if verdict.get("extracted") is None else 1.0}
