/**
 * A client that speaks to a resources server exactly as NeMo-Gym's agents do (responses_api_agents/simple_agent
 * and gymnasium_agent): rows are pydantic-dumped, so `responses_create_params` carries every Responses-create field
 * (null when unset) and `type: "message"` on its input items; bodies are serialised the way Python's json module
 * writes them (`", "` and `": "` separators, floats as `1.0`); every cookie received is sent back, other servers'
 * (`SimpleAgent___…`) included; output items carry the training token fields; rows carry `_ng_task_index`,
 * `_ng_rollout_index` and `agent_ref`. Used by the gym tests and bench/gym.ts.
 */

/** A float as Python writes it (`1.0`, `-0.0`, `1e-07`): a JSON number whose text JavaScript would not produce. */
export class PyFloat {
  constructor(readonly text: string) {}
}

/** json.dumps(value) with Python's default separators; PyFloat keeps its text. */
export function pyDumps(value: unknown): string {
  if (value instanceof PyFloat) return value.text;
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return `[${value.map(pyDumps).join(", ")}]`;
  if (typeof value === "object")
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${JSON.stringify(k)}: ${pyDumps(v)}`)
      .join(", ")}}`;
  if (typeof value === "number" && Number.isInteger(value)) return String(value);
  return JSON.stringify(value);
}

/** NeMoGymResponseCreateParamsNonStreaming.model_dump(): every field, unset ones null. */
export function createParams(input: ReadonlyArray<{ role: string; content: string }>): Record<string, unknown> {
  return {
    background: null,
    include: null,
    input: input.map((m) => ({ content: m.content, role: m.role, type: "message" })),
    instructions: null,
    max_output_tokens: null,
    max_tool_calls: null,
    metadata: null,
    model: null,
    parallel_tool_calls: true,
    previous_response_id: null,
    prompt: null,
    reasoning: null,
    service_tier: null,
    store: null,
    temperature: new PyFloat("1.0"),
    text: null,
    tool_choice: "auto",
    tools: [],
    top_logprobs: null,
    top_p: null,
    truncation: null,
    user: null,
    stream: null,
  };
}

let responseCounter = 0;

/** A NeMoGymResponse dump: a reasoning item, then the assistant message with the training token fields. */
export function responseFor(text: string, o: { tokens?: number } = {}): Record<string, unknown> {
  const n = o.tokens ?? 6;
  responseCounter++;
  return {
    id: `resp_${responseCounter}`,
    created_at: new PyFloat("1760000000.0"),
    error: null,
    incomplete_details: null,
    instructions: null,
    metadata: null,
    model: "policy",
    object: "response",
    output: [
      {
        id: `rs_${responseCounter}`,
        summary: [{ text: "thinking it over", type: "summary_text" }],
        type: "reasoning",
        content: null,
        encrypted_content: null,
        status: null,
      },
      {
        id: `msg_${responseCounter}`,
        content: [{ annotations: [], text, type: "output_text", logprobs: null }],
        role: "assistant",
        status: "completed",
        type: "message",
        prompt_token_ids: [151644, 872, 198, new PyFloat("123456789012345678901")],
        generation_token_ids: Array.from({ length: n }, (_, i) => 1000 + i),
        generation_log_probs: Array.from(
          { length: n },
          (_, i) => new PyFloat(["-0.0", "-1.0", "-0.30000000000000004", "-1e-07", "-2.5", "-0.1"][i % 6]!),
        ),
      },
    ],
    parallel_tool_calls: true,
    temperature: new PyFloat("1.0"),
    tool_choice: "auto",
    tools: [],
    top_p: new PyFloat("1.0"),
    background: null,
    max_output_tokens: null,
    previous_response_id: null,
    prompt: null,
    reasoning: null,
    service_tier: null,
    status: "completed",
    text: null,
    truncation: null,
    usage: null,
    user: null,
  };
}

/** One rollout's HTTP conversation with the resources server, cookies kept as aiohttp keeps them. */
export class GymAgentClient {
  readonly cookies = new Map<string, string>();
  lastRequest = "";

  constructor(
    readonly baseUrl: string,
    foreign: Record<string, string> = { SimpleAgent___spice_simple_agent: "eyJzZXNzaW9uX2lkIjogIngifQ==.Zq.sig" },
  ) {
    for (const [k, v] of Object.entries(foreign)) this.cookies.set(k, v);
  }

  async post(path: string, body: unknown): Promise<Response> {
    this.lastRequest = pyDumps(body);
    const res = await fetch(`${this.baseUrl}${path}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "),
      },
      body: this.lastRequest,
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const at = pair!.indexOf("=");
      this.cookies.set(pair!.slice(0, at).trim(), pair!.slice(at + 1).trim());
    }
    return res;
  }
}

/** A dataset row as an agent's /run receives it from the rollout collector. */
export function agentRow(
  row: Record<string, unknown>,
  taskIndex: number,
  rolloutIndex: number,
): Record<string, unknown> {
  const params = row.responses_create_params as { input: { role: string; content: string }[] };
  return {
    ...row,
    responses_create_params: createParams(params.input),
    _ng_task_index: taskIndex,
    _ng_rollout_index: rolloutIndex,
    agent_ref: row.agent_ref ?? { type: "responses_api_agents", name: "spice_simple_agent" },
  };
}

/** simple_agent's /run for one rollout: seed_session, (the model's answer), verify. */
export async function simpleAgentRun(
  baseUrl: string,
  row: Record<string, unknown>,
  answer: string,
): Promise<{ request: string; response: Response }> {
  const client = new GymAgentClient(baseUrl);
  const seeded = await client.post("/seed_session", row);
  if (seeded.status !== 200) throw new Error(`seed_session ${seeded.status}: ${await seeded.text()}`);
  const response = await client.post("/verify", { ...row, response: responseFor(answer) });
  return { request: client.lastRequest, response };
}

/** gymnasium_agent's /run for one rollout: reset, (the model's answer to the observation), step. */
export async function gymnasiumAgentRun(
  baseUrl: string,
  row: Record<string, unknown>,
  answer: (observation: string) => string,
): Promise<{ reset: Response; observation: string | null; info: Record<string, unknown>; step: Response | null }> {
  const client = new GymAgentClient(baseUrl);
  const reset = await client.post("/reset", row);
  if (reset.status !== 200) return { reset, observation: null, info: {}, step: null };
  const { observation, info } = (await reset.json()) as { observation: string; info: Record<string, unknown> };
  const step = await client.post("/step", { ...row, response: responseFor(answer(observation)) });
  return { reset, observation, info, step };
}
