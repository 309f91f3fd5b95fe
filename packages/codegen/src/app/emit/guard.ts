import { dict, entry, lit } from "../../python/expr.ts";
import { PyPrinter } from "../../python/printer.ts";
import { ASGI_GUARD, type AppPlan } from "../plan.ts";
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

const WHY_IN_PROCESS = [
  "Engines serve admin endpoints (sleep, wake, RPC) on the same port as inference, and",
  "an engine's own API key may cover only some routes. So rouse's guard runs inside the",
  "engine's HTTP server, as an ASGI middleware (GUARD_MODULE, written to a private folder",
  "when the engine starts): it lets through the routes the engine plugin lists, answers",
  "404 for every other path, and checks the API key on key routes, once per request and",
  "never per token, with no proxy in between. app.py's own calls carry ADMIN_TOKEN, a",
  "random value only this container knows, so sleep and wake still work from inside.",
].join(" ");

function routeTable(plan: AppPlan) {
  const routes = new Map<string, string>();
  for (const r of plan.lifecycle.routes) if (!routes.has(r.path)) routes.set(r.path, r.access);
  return dict(
    [...routes].map(([path, access]) => entry(path, lit(access))),
    true,
  );
}

export function emitGuard(p: PyPrinter, plan: AppPlan): void {
  if (plan.guard === "in-process") return emitInProcessGuard(p, plan);
  section(p, "The guard", WHY);
  const table = routeTable(plan);
  emitTemplate(p, template("guard.py"), { fills: { ROUTES: () => p.stmt("ROUTES = ", table) } });
  p.blank(2);
}

/** The text of the module the engine process imports: asgi_guard.py's body, ROUTES filled. */
export function guardModuleText(plan: AppPlan): string {
  const m = new PyPrinter();
  const table = routeTable(plan);
  emitTemplate(m, template("asgi_guard.py"), { fills: { ROUTES: () => m.stmt("ROUTES = ", table) } });
  return m.toString();
}

/** Text that a Python raw ''' string holds byte for byte. */
export function fitsRawTripleQuotes(text: string): boolean {
  return !text.includes("'''") && !text.includes("\r") && !/\\+$/.test(text.replace(/\n$/, ""));
}

function emitInProcessGuard(p: PyPrinter, plan: AppPlan): void {
  section(p, "The guard", WHY_IN_PROCESS);
  const text = guardModuleText(plan);
  // A raw ''' string keeps the module readable in app.py, byte for byte. The text is
  // rouse's template plus route paths (the lifecycle schema's path characters), so only a
  // template edit could break this.
  if (!fitsRawTripleQuotes(text)) throw new Error("asgi_guard.py: its text cannot sit in a raw ''' string");
  p.comment(`The module ${ASGI_GUARD.module}.py, as the engine process imports it.`);
  p.code("GUARD_MODULE = r'''");
  p.templateLines(text.replace(/\n$/, "").split("\n"));
  p.code("'''");
  p.blank(2);
  emitTemplate(p, template("guard_host.py"), { conditions: { "api-key": plan.apiKey !== undefined } });
  p.blank(2);
}
