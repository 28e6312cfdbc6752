/**
 * NeMo-Gym's `/verify` answers the request echoed verbatim plus its own fields (`reward`, …): the trainer reads
 * its training tokens (`prompt_token_ids`, `generation_token_ids`, `generation_log_probs`) back from the echoed
 * `response`, so a field dropped, reordered or reformatted (`1.0` → `1`, a 17-digit float rounded) would change
 * what it trains on. The answer is therefore built from the request's own text, not re-serialised. Web-standard only.
 */

export class NotAJsonObject extends Error {}

/** The request's top-level JSON object, parsed; throws NotAJsonObject for malformed JSON or another JSON value. */
export function parseObject(raw: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    throw new NotAJsonObject(`the body is not JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new NotAJsonObject("the body is not a JSON object");
  return value as Record<string, unknown>;
}

/**
 * `raw` (a JSON object's text) with `fields` appended as top-level keys: every byte of the request is kept, the
 * new keys come last. When the request already has one of the keys (a row that carries its own `reward`), the
 * echo cannot keep both, so the object is re-serialised with the new values in the old keys' places.
 */
export function echoWith(raw: string, parsed: Record<string, unknown>, fields: Record<string, unknown>): string {
  const added = Object.entries(fields).filter(([, v]) => v !== undefined);
  if (added.some(([k]) => Object.hasOwn(parsed, k))) return JSON.stringify({ ...parsed, ...Object.fromEntries(added) });
  const close = raw.lastIndexOf("}");
  const head = raw.slice(0, close);
  const tail = raw.slice(close);
  const parts = added.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(",");
  if (parts === "") return raw;
  return `${head}${Object.keys(parsed).length === 0 ? "" : ","}${parts}${tail}`;
}
