import { dict, entry, lit } from "../../python/expr.ts";
import type { PyPrinter } from "../../python/printer.ts";
import type { AppPlan } from "../plan.ts";
import { section } from "./shared.ts";
import { emitTemplate, parseTemplate, template } from "./template.ts";

// The guard is real Python in ../templates/guard.py (ruff and pytest read it directly).
// It carries no config data: codegen (./template.ts) hoists the template's prelude imports,
// includes its body verbatim and fills one name, ROUTES, from the engine plugin's route table.

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
  const { imports } = parseTemplate("guard.py", text);
  const body = text.slice(text.indexOf("# rouse:end-prelude\n") + "# rouse:end-prelude\n".length);
  const routes = ROUTES_LINE.exec(body);
  if (!routes) throw new Error("guard.py: no one-line `ROUTES = ...` to fill");
  return {
    imports: [...imports],
    before: body.slice(0, routes.index),
    after: body.slice(routes.index + routes[0].length),
  };
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
  section(p, "The guard", WHY);
  const routes = new Map<string, string>();
  for (const r of plan.lifecycle.routes) if (!routes.has(r.path)) routes.set(r.path, r.access);
  const table = dict(
    [...routes].map(([path, access]) => entry(path, lit(access))),
    true,
  );
  emitTemplate(p, template("guard.py"), { fills: { ROUTES: () => p.stmt("ROUTES = ", table) } });
  p.blank(2);
}
