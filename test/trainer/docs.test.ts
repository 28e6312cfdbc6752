import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { TrainerConfigSchema } from "../../src/trainer/config.ts";
import { REPO_ROOT } from "../helpers.ts";

test("every trainer configuration key is documented with its default in docs/trainer.md", () => {
  const doc = readFileSync(join(REPO_ROOT, "docs/trainer.md"), "utf8");
  for (const [key, schema] of Object.entries(TrainerConfigSchema.shape)) {
    const row = doc.split("\n").find((l) => l.startsWith(`| \`${key}\` |`));
    expect(row, `docs/trainer.md has no row for ${key}`).toBeDefined();
    expect(row).toContain(`\`${JSON.stringify(schema.parse(undefined))}\``);
  }
});
