/** A line of JSON Lines input that could not be used, with its 1-based number. */
export interface BadLine {
  line: number;
  error: string;
}

export type LineResult<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * JSON Lines text → accepted rows and bad lines. Blank lines are skipped; a line that is not JSON,
 * or that `accept` refuses, is reported with its number and the rest go on. Web-standard only.
 */
export function parseJsonLines<T>(
  text: string,
  accept: (value: unknown, line: number) => LineResult<T>,
): { rows: T[]; bad: BadLine[] } {
  const rows: T[] = [];
  const bad: BadLine[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      bad.push({ line, error: "not valid JSON" });
      return;
    }
    const r = accept(value, line);
    if (r.ok) rows.push(r.value);
    else bad.push({ line, error: r.error });
  });
  return { rows, bad };
}
