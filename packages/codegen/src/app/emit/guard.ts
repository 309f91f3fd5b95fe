import { dict, entry, lit } from "../../python/expr.ts";
import { PyPrinter } from "../../python/printer.ts";
import { ASGI_GUARD, type AppPlan } from "../plan.ts";
import { pyStr } from "../../python/literal.ts";
import { section } from "./shared.ts";
import { emitTemplate, template } from "./template.ts";

// Both guards are real Python in ../templates (ruff, pyright and pytest read them): guard.py,
// a proxy in front of the engine, and asgi_guard.py, run inside the engine's own server. They
// carry no config data: the one piece codegen fills is the route rules (routes.py, its ROUTES
// from the engine plugin's route table), at each guard's `# rouse:fill route-rules` line.

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

/** The fill for a guard's `# rouse:fill route-rules` line: routes.py, ROUTES from the plan. */
function routeRules(p: PyPrinter, plan: AppPlan): Record<string, () => void> {
  const table = routeTable(plan);
  return {
    "route-rules": () =>
      emitTemplate(p, template("routes.py"), { fills: { ROUTES: () => p.stmt("ROUTES = ", table) } }),
  };
}

export function emitGuard(p: PyPrinter, plan: AppPlan): void {
  if (plan.guard === "in-process") {
    emitInProcessGuard(p, plan);
    return;
  }
  section(p, "The guard", WHY);
  emitTemplate(p, template("guard.py"), { fills: routeRules(p, plan) });
  p.blank(2);
}

/**
 * The text of the module the engine process imports: asgi_guard.py's prelude imports, then
 * its body with the route rules filled in.
 */
export function guardModuleText(plan: AppPlan): string {
  const m = new PyPrinter();
  emitTemplate(m, template("asgi_guard.py"), { fills: routeRules(m, plan) });
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
  p.comment("The module the engine process imports (its name is what the engine's command names).");
  p.code(`GUARD_MODULE_NAME = ${pyStr(ASGI_GUARD.module)}`);
  p.code("GUARD_MODULE = r'''");
  p.templateLines(text.replace(/\n$/, "").split("\n"));
  p.code("'''");
  p.blank(2);
  emitTemplate(p, template("guard_host.py"), { conditions: { "api-key": plan.apiKey !== undefined } });
  p.blank(2);
}
