/** Wall-clock seconds per phase of an iteration; they become its `seconds.<phase>` metrics. */
export interface PhaseTimer {
  phase<T>(name: string, fn: () => Promise<T>): Promise<T>;
  seconds: Record<string, number>;
}

export function phaseTimer(): PhaseTimer {
  const seconds: Record<string, number> = {};
  return {
    seconds,
    async phase(name, fn) {
      const t0 = performance.now();
      try {
        return await fn();
      } finally {
        seconds[name] = (seconds[name] ?? 0) + (performance.now() - t0) / 1000;
      }
    },
  };
}
