// Learner checkpoints: weights + AdamW moments + step in one file, written atomically (temp file,
// fsync, rename) so a crash leaves either the old or the new checkpoint, never half of one. The float
// data is stored raw, so a resumed run continues bit-exactly.
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import type { HostParams } from "./model.ts";

const MAGIC = "SPICECK1";

export type CheckpointState = {
  step: number;
  params: HostParams;
  m: HostParams;
  v: HostParams;
  /** Free-form JSON (model config, optimizer settings, data cursor) needed to resume. */
  meta: Record<string, unknown>;
};

type Entry = { key: string; shape: number[]; offset: number; length: number };

export function encodeCheckpoint(state: CheckpointState): Uint8Array {
  const entries: Entry[] = [];
  const chunks: Float32Array[] = [];
  let offset = 0;
  for (const [prefix, group] of [
    ["p", state.params],
    ["m", state.m],
    ["v", state.v],
  ] as const) {
    for (const [name, t] of group) {
      entries.push({ key: `${prefix}/${name}`, shape: t.shape, offset, length: t.data.length });
      chunks.push(t.data);
      offset += t.data.length;
    }
  }
  const header = new TextEncoder().encode(JSON.stringify({ version: 1, step: state.step, meta: state.meta, entries }));
  // Data starts 4-byte aligned so it can be viewed as Float32Array without a copy.
  const dataStart = Math.ceil((MAGIC.length + 4 + header.length) / 4) * 4;
  const out = new Uint8Array(dataStart + offset * 4);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(MAGIC.length, header.length, true);
  out.set(header, MAGIC.length + 4);
  const floats = new Float32Array(out.buffer, dataStart, offset);
  let at = 0;
  for (const c of chunks) {
    floats.set(c, at);
    at += c.length;
  }
  return out;
}

export function decodeCheckpoint(bytes: Uint8Array): CheckpointState {
  if (new TextDecoder().decode(bytes.subarray(0, MAGIC.length)) !== MAGIC) {
    throw new Error("not a SPICE learner checkpoint");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = view.getUint32(MAGIC.length, true);
  const header = JSON.parse(
    new TextDecoder().decode(bytes.subarray(MAGIC.length + 4, MAGIC.length + 4 + headerLen)),
  ) as { version: number; step: number; meta: Record<string, unknown>; entries: Entry[] };
  if (header.version !== 1) throw new Error(`unsupported checkpoint version ${header.version}`);
  const dataStart = Math.ceil((MAGIC.length + 4 + headerLen) / 4) * 4;
  const total = header.entries.reduce((n, e) => n + e.length, 0);
  if (bytes.byteLength < dataStart + total * 4) throw new Error("checkpoint is truncated");
  const aligned = new Uint8Array(total * 4);
  aligned.set(bytes.subarray(dataStart, dataStart + total * 4));
  const floats = new Float32Array(aligned.buffer);
  const state: CheckpointState = {
    step: header.step,
    params: new Map(),
    m: new Map(),
    v: new Map(),
    meta: header.meta,
  };
  for (const e of header.entries) {
    const slash = e.key.indexOf("/");
    const group = { p: state.params, m: state.m, v: state.v }[e.key.slice(0, slash)];
    if (!group) throw new Error(`bad checkpoint entry ${e.key}`);
    group.set(e.key.slice(slash + 1), { shape: e.shape, data: floats.slice(e.offset, e.offset + e.length) });
  }
  return state;
}

const NAME = /^ckpt-(\d{9})\.bin$/;

export function checkpointPath(dir: string, step: number): string {
  return join(dir, `ckpt-${String(step).padStart(9, "0")}.bin`);
}

/** Checkpoints in `dir`, oldest first. */
export function listCheckpoints(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => NAME.test(n))
    .sort()
    .map((n) => join(dir, n));
}

export function latestCheckpoint(dir: string): string | null {
  return listCheckpoints(dir).at(-1) ?? null;
}

/** Writes atomically, then keeps only the newest `keep` checkpoints. Returns the path written. */
export function saveCheckpoint(dir: string, state: CheckpointState, keep = 3): string {
  mkdirSync(dir, { recursive: true });
  const path = checkpointPath(dir, state.step);
  writeFileAtomic(path, encodeCheckpoint(state));
  const all = listCheckpoints(dir);
  for (const old of all.slice(0, Math.max(0, all.length - Math.max(1, keep)))) rmSync(old, { force: true });
  return path;
}

export function loadCheckpoint(path: string): CheckpointState {
  return decodeCheckpoint(readFileSync(path));
}

export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, "w");
  try {
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
