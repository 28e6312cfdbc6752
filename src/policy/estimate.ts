/** Rough tokens-per-character figure for backends without a local tokenizer (English BPE averages ~4 chars/token). */
const CHARS_PER_TOKEN = 4;

export function estimateTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

export function truncateByEstimate(text: string, maxTokens: number): string {
  return text.slice(0, Math.max(0, maxTokens) * CHARS_PER_TOKEN);
}
