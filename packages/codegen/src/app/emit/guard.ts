import { readFileSync } from "node:fs";
import { dict, entry, lit } from "../../python/expr.ts";
import type { PyPrinter } from "../../python/printer.ts";
import type { AppPlan } from "../plan.ts";
import { section } from "./shared.ts";

// The guard is real Python in ../templates/guard.py (ruff and pytest read it directly).
// It carries no config data: codegen hoists the template's prelude imports, includes
// its body verbatim and fills one name, ROUTES, from the engine plugin's route table.

const PRELUDE_END = "# rouse:end-prelude\n";
const ROUTES_LINE = /^ROUTES = .*\n/m;

export interface GuardTemplate {
  /** Standard-library modules the guard imports at module level. */
  imports: string[];
  /** The code before and after the ROUTES assignment. */
  before: string;
  after: string;
}

/** Splits a guard template into its parts; throws when its markers are missing. */
export function parseGuardTemplate(text: string): GuardTemplate {
  const end = text.indexOf(PRELUDE_END);
  if (!text.startsWith("# rouse:prelude\n") || end < 0)
    throw new Error("guard.py: the template must start with its prelude markers");
  const prelude = text.slice(0, end);
  const body = text.slice(end + PRELUDE_END.length);
  const routes = ROUTES_LINE.exec(body);
  if (!routes) throw new Error("guard.py: no one-line `ROUTES = ...` to fill");
  return {
    imports: [...prelude.matchAll(/^import ([\w.]+)$/gm)].map((m) => m[1] as string),
    before: body.slice(0, routes.index),
    after: body.slice(routes.index + routes[0].length),
  };
}

let template: GuardTemplate | undefined;
function guardTemplate(): GuardTemplate {
  template ??= parseGuardTemplate(readFileSync(new URL("../templates/guard.py", import.meta.url), "utf8"));
  return template;
}

const WHY = [
  "Engines serve admin endpoints (sleep, wake, RPC) on the same port as inference, and",
  "an engine's own API key may cover only some routes. So the engine binds 127.0.0.1",
  "and this proxy alone faces the public port: it forwards the routes the engine plugin",
  "lists, answers 404 for every other path, checks the API key on key routes, sends the",
  "engine each request it allows written again in one unambiguous form, and passes the",
  "engine's response bytes back as they come. The lifecycle above calls the engine",
  "directly, so sleep and wake still work from inside the container.",
].join(" ");

export function emitGuard(p: PyPrinter, plan: AppPlan): void {
  const { imports, before, after } = guardTemplate();
  for (const module of imports) p.import(module);
  section(p, "The guard", WHY);
  const routes = new Map<string, string>();
  for (const r of plan.lifecycle.routes) if (!routes.has(r.path)) routes.set(r.path, r.access);
  p.verbatim(before);
  p.stmt(
    "ROUTES = ",
    dict(
      [...routes].map(([path, access]) => entry(path, lit(access))),
      true,
    ),
  );
  p.verbatim(after);
  p.blank(2);
}
