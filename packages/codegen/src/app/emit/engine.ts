import type { SnapshotStepV1 } from "@rouse/engine-spec";
import { atom, call, dict, entry, type Expr, type Item, kw, list, lit } from "../../python/expr.ts";
import { pyStr, toPyValue } from "../../python/literal.ts";
import type { PyPrinter } from "../../python/printer.ts";
import type { AppPlan, CanaryPlan, ConfirmedCall, HttpCall } from "../plan.ts";
import { engineCallArgs, requestBody, section, snapshotDownload } from "./shared.ts";
import { emitTemplate, template } from "./template.ts";

/** Which lifecycle helpers the app calls, so only those are emitted (no dead code). */
export function stepsUsed(plan: AppPlan): Set<SnapshotStepV1> {
  const steps = new Set<SnapshotStepV1>(["start", "waitReady"]);
  for (const s of [...(plan.recipe?.beforeSnapshot ?? []), ...(plan.recipe?.afterRestore ?? [])])
    steps.add(s);
  if (plan.lifecycle.warmupCount === 0) steps.delete("warmup");
  return steps;
}

const engineCall = (c: HttpCall, body?: Expr): Expr => call("engine_call", ...engineCallArgs(c, body));

/** The engine process and the HTTP calls the lifecycle makes to it on 127.0.0.1. */
export function emitEngine(p: PyPrinter, plan: AppPlan): void {
  const steps = stepsUsed(plan);
  const { launch, lifecycle } = plan;
  section(p, "The engine", `${plan.engine.displayName}'s command line, as argv: no shell ever parses it.`);
  p.stmt("ENGINE_CMD = ", list(argvItems(plan), true));
  const engineEnv = Object.entries(launch.env);
  const inProcess = plan.guard === "in-process";
  // guard_env() builds on ENGINE_ENV, so the in-process guard always has one.
  if (engineEnv.length || inProcess) {
    p.comment("Environment for the engine process, on top of the container's.");
    p.stmt(
      "ENGINE_ENV = ",
      dict(
        engineEnv.map(([k, v]) => entry(k, lit(v))),
        true,
      ),
    );
  }
  p.blank(1);
  const confirms = [lifecycle.sleep, lifecycle.wake].filter(
    (c, i): c is ConfirmedCall => c?.confirm !== undefined && steps.has(i === 0 ? "sleep" : "wake"),
  );
  emitTemplate(p, template("engine.py"), {
    fills: {
      "secret-args": () => secretArgs(p, plan),
      readiness: () => p.stmt("", engineCall(lifecycle.readiness)),
    },
    conditions: {
      "guard-in-process": inProcess,
      "engine-env": engineEnv.length > 0 && !inProcess,
      "no-engine-env": engineEnv.length === 0 && !inProcess,
      "api-key": plan.apiKey !== undefined,
      "wait-for": confirms.length > 0,
    },
  });
  p.blank(2);

  if (steps.has("warmup")) {
    const body = lifecycle.warmup.json;
    if (body !== undefined) {
      p.blank(2);
      p.stmt("WARMUP_REQUEST = ", requestBody(plan, body, "lifecycle.warmup.json"));
    }
    p.definition({ header: "def warmup() -> None:" }, () => {
      p.code('"""Requests like real traffic, so compiled kernels and CUDA graphs are in the snapshot."""');
      p.blockStmt("for _ in ", call("range", lit(lifecycle.warmupCount)), ":", () =>
        p.stmt("", engineCall(lifecycle.warmup, body !== undefined ? atom("WARMUP_REQUEST") : undefined)),
      );
    });
  }
  for (const [step, name, c] of [
    ["sleep", "sleep", lifecycle.sleep],
    ["wake", "wake_up", lifecycle.wake],
  ] as const) {
    if (!steps.has(step) || !c) continue;
    p.definition({ header: `def ${name}() -> None:` }, () => {
      if (step === "sleep") p.comment(`While asleep, ${lifecycle.asleepMeans}.`);
      p.stmt("", engineCall(c.call));
      if (c.confirm) {
        const { call: probe, field, equals } = c.confirm;
        p.stmt(
          "",
          call(
            "wait_for",
            lit(probe.method),
            lit(probe.path),
            lit(field),
            lit(toPyValue(equals, "confirm.equals")),
            kw("timeout", lit(c.call.timeoutSeconds)),
          ),
        );
      }
      if (step === "wake" && lifecycle.afterWake.length) {
        p.comment("Awake is not yet fit to serve: these calls, in this order, come before any traffic.");
        for (const after of lifecycle.afterWake) p.stmt("", engineCall(after));
      }
    });
  }
  if (steps.has("prepare")) emitPrepare(p, plan);
  if (steps.has("canary") && lifecycle.canary) emitCanary(p, plan, lifecycle.canary);
}

/** The header's constant (by name) that holds `value`, the argument of `flag`, if any. */
function constantFor(plan: AppPlan, flag: string | undefined, value: string): string | undefined {
  const { model, ports } = plan;
  if (flag?.includes("port") && value === String(ports.engine)) return "ENGINE_PORT";
  if (model.revision && value === model.revision) return "MODEL_REVISION";
  if (flag === "--served-model-name" && value === model.servedName) return "MODEL";
  if (value === model.id) return "MODEL_NAME";
  if (value === model.servedName) return "MODEL";
  return undefined;
}

/**
 * ENGINE_CMD's elements, as the seeds write them: the model, its revision, the served
 * name and the engine port by the header's constants (`str(ENGINE_PORT)`, or
 * `f"--port={ENGINE_PORT}"` for the `--flag=value` form), everything else as a literal;
 * each group of flags under the plugin's one-line reason.
 */
export function argvItems(plan: AppPlan): Item[] {
  const argv = plan.launch.argv;
  const notes = new Map(plan.launch.notes.map((n) => [n.flag, n.why]));
  return argv.map((a, i) => {
    // The plugin's reason, above the first element that is the flag (or `flag=…`).
    const flag = a.split("=", 1)[0] as string;
    const why = notes.get(flag);
    if (why !== undefined) notes.delete(flag);
    return { value: argvValue(plan, argv, i), ...(why ? { comment: why } : {}) };
  });
}

function argvValue(plan: AppPlan, argv: readonly string[], i: number): Expr {
  const a = argv[i] as string;
  const joined = /^(--[\w-]+)=(.*)$/s.exec(a);
  if (joined) {
    const name = constantFor(plan, joined[1], joined[2] as string);
    return name ? atom(`f"${joined[1]}={${name}}"`) : lit(a);
  }
  const previous = argv[i - 1];
  const name = constantFor(plan, previous?.startsWith("--") ? previous : undefined, a);
  if (!name) return lit(a);
  return atom(name === "ENGINE_PORT" ? "str(ENGINE_PORT)" : name);
}

/** Secrets join the engine's command line at start time, from the container's environment. */
function secretArgs(p: PyPrinter, plan: AppPlan): void {
  const { argsFromEnv } = plan.launch;
  if (!argsFromEnv.length) return;
  p.import("os");
  p.comment("Secrets join the command at start time, from the container's environment, as");
  p.comment("--flag=value: a key that starts with '-' would otherwise be read as a flag.");
  for (const a of argsFromEnv) {
    const add = atom(`${pyStr(`${a.flag}=`)} + os.environ[${pyStr(a.env)}]`);
    if (a.optional) p.blockStmt("if ", lit(a.env), " in os.environ:", () => p.stmt("cmd.append(", add, ")"));
    else p.stmt("cmd.append(", add, ")");
  }
}

/** `answer["choices"][0]["logprobs"]["tokens"]` for the dotted path `choices.0.logprobs.tokens`. */
function subscript(variable: string, dotted: string): string {
  return (
    variable +
    dotted
      .split(".")
      .map((k) => (/^[0-9]+$/.test(k) ? `[${k}]` : `[${pyStr(k)}]`))
      .join("")
  );
}

/** CPU-only snapshots (../templates/prepare.py): what runs before the snapshot, where there is no GPU. */
function emitPrepare(p: PyPrinter, plan: AppPlan): void {
  p.blank(2);
  const { model } = plan;
  emitTemplate(p, template("prepare.py"), {
    fills: {
      PREPARE_IMPORTS: () =>
        p.stmt("PREPARE_IMPORTS = ", list(plan.recipe!.prepareImports.map((m) => lit(m)))),
      weights: () => p.stmt("path = ", snapshotDownload(plan, kw("local_files_only", atom("True")))),
    },
    // A model folder in the container needs no hub (nor its import).
    conditions: { hub: !model.id.startsWith("/") },
  });
  p.blank(2);
}

/** Verified wake (../templates/canary.py): record a greedy generation before sleep, replay it after every wake. */
function emitCanary(p: PyPrinter, plan: AppPlan, canary: CanaryPlan): void {
  p.blank(2);
  emitTemplate(p, template("canary.py"), {
    fills: {
      CANARY_REQUEST: () =>
        p.stmt(
          "CANARY_REQUEST = ",
          requestBody(plan, canary.request.json ?? {}, "lifecycle.canary.request.json"),
        ),
      CANARY_TOLERANCE: () => p.stmt("CANARY_TOLERANCE = ", lit(canary.logprobTolerance)),
      call: () => p.stmt("raw = ", engineCall(canary.request, atom("CANARY_REQUEST"))),
      tokens: () => p.code(`tokens = ${subscript("answer", canary.tokensField)}`),
      logprobs: () => p.code(`logprobs = ${subscript("answer", canary.logprobsField)}`),
    },
  });
  p.blank(2);
}
