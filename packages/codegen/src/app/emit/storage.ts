import { call, kw, lit } from "../../python/expr.ts";
import type { PyPrinter } from "../../python/printer.ts";
import type { AppPlan } from "../plan.ts";
import { section } from "./shared.ts";

/** Volumes for what the engine downloads and compiles, and secrets by name. */
export function emitStorage(p: PyPrinter, plan: AppPlan): void {
  if (!plan.volumes.length && !plan.secrets.length) return;
  section(
    p,
    plan.volumes.length ? "Volumes and secrets" : "Secrets",
    plan.volumes.length
      ? "Containers come and go; Modal Volumes keep what the engine downloads and compiles, so only the first container pays for it."
      : undefined,
  );
  if (plan.image.bakeWeights)
    p.comment("The weights are baked into the image (below), so they need no Volume.");
  for (const v of plan.volumes) {
    p.comment(`${v.description}, at ${v.path}`);
    p.stmt(`${v.variable} = `, call("modal.Volume.from_name", lit(v.name), kw("create_if_missing", true)));
  }
  for (const s of plan.secrets) {
    p.comment(`${s.purpose[0]!.toUpperCase()}${s.purpose.slice(1)}.`);
    p.stmt(`${s.variable} = `, call("modal.Secret.from_name", lit(s.name)));
  }
}
