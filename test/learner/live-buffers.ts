// Counts live device buffers of the jax-js wasm backend by mirroring its reference counts. The
// backend is not exported, so this reaches its module by file path (tests and benches only).
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { init } from "@jax-js/jax";

type Backend = {
  malloc: (size: number, data?: Uint8Array) => number;
  incRef: (slot: number) => void;
  decRef: (slot: number) => void;
};

export async function liveBufferCounter(): Promise<() => number> {
  await init();
  const dist = dirname(Bun.resolveSync("@jax-js/jax", import.meta.dir));
  const file = readdirSync(dist).find((f) => /^backend-.*\.js$/.test(f));
  if (!file) throw new Error("jax-js backend module not found");
  const mod = (await import(join(dist, file))) as Record<string, unknown>;
  const getBackend = Object.values(mod).find((f) => typeof f === "function" && f.name === "getBackend") as
    | ((d?: string) => Backend)
    | undefined;
  if (!getBackend) throw new Error("jax-js getBackend not found");
  const backend = getBackend("wasm");
  const refs = new Map<number, number>();
  const { malloc, incRef, decRef } = backend;
  backend.malloc = function (size, data) {
    const slot = malloc.call(this, size, data);
    refs.set(slot, 1);
    return slot;
  };
  backend.incRef = function (slot) {
    incRef.call(this, slot);
    refs.set(slot, (refs.get(slot) ?? 0) + 1);
  };
  backend.decRef = function (slot) {
    decRef.call(this, slot);
    const r = (refs.get(slot) ?? 1) - 1;
    if (r <= 0) refs.delete(slot);
    else refs.set(slot, r);
  };
  return () => refs.size;
}
