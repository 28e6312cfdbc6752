import type { AppContext } from "../context.ts";
import { createRunFactory } from "./factory.ts";
import { Trainer } from "./runner.ts";

/** The process's one trainer, shared by the HTTP control routes, `serve --train` and `spice train`. */
export function getTrainer(ctx: AppContext): Promise<Trainer> {
  return ctx.lazy("trainer", async () => {
    const trainer = new Trainer(ctx, createRunFactory(ctx));
    ctx.onClose(() => trainer.stop());
    return trainer;
  });
}
