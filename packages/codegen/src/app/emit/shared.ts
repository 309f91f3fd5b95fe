import { atom, call, dict, type Expr, entry, type Item, kw, lit } from "../../python/expr.ts";
import { toPyValue } from "../../python/literal.ts";
import type { PyPrinter } from "../../python/printer.ts";
import type { AppPlan, HttpCall } from "../plan.ts";

/** `15 * MINUTES` for whole minutes (as the seeds write them), else plain seconds. */
export function seconds(n: number): Expr {
  return atom(n % 60 === 0 && n >= 60 ? `${n / 60} * MINUTES` : String(n));
}

/** A section title in the seeds' literate style, with a short paragraph on why. */
export function section(p: PyPrinter, title: string, why?: string): void {
  p.blank(1);
  p.comment(sectionText(title, why));
}

/** The same text, for a section that starts with a definition (it becomes the definition's comment). */
export function sectionText(title: string, why?: string): string {
  return why ? `## ${title}\n\n${why}` : `## ${title}`;
}

const DEFAULT_OK = [200];
const DEFAULT_TIMEOUT = 30;

/** The engine_call(...) arguments for one plugin HTTP call (defaults left out). */
export function engineCallArgs(call: HttpCall, body?: Expr): Item[] {
  const args: Item[] = [{ value: lit(call.method) }, { value: lit(call.path) }];
  if (call.query && Object.keys(call.query).length) args.push(kw("query", lit(call.query)));
  if (body) args.push(kw("body", body));
  else if (call.json !== undefined) args.push(kw("body", lit(toPyValue(call.json, "engine call body"))));
  if (call.okStatus.join() !== DEFAULT_OK.join()) args.push(kw("ok", lit(call.okStatus)));
  if (call.timeoutSeconds !== DEFAULT_TIMEOUT) args.push(kw("timeout", lit(call.timeoutSeconds)));
  return args;
}

/** A request body the plugin gives (warmup, canary): its `model` by the header's MODEL constant. */
export function requestBody(plan: AppPlan, json: unknown, where: string): Expr {
  const value = toPyValue(json, where);
  if (value === null || typeof value !== "object" || Array.isArray(value)) return lit(value);
  return dict(
    Object.entries(value).map(([k, v]) =>
      entry(k, k === "model" && v === plan.model.servedName ? atom("MODEL") : lit(v)),
    ),
  );
}

/** `snapshot_download(MODEL_NAME, revision=MODEL_REVISION, ...)`: the header's constants by name. */
export function snapshotDownload(plan: AppPlan, ...extra: Item[]): Expr {
  const args: Item[] = [{ value: atom("MODEL_NAME") }];
  if (plan.model.revision) args.push(kw("revision", atom("MODEL_REVISION")));
  return call("snapshot_download", ...args, ...extra);
}
