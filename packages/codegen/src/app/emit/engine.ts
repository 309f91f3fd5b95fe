import type { SnapshotStepV1 } from "@rouse/config";
import { atom, call, dict, entry, type Expr, kw, list, lit } from "../../python/expr.ts";
import { pyStr, toPyValue } from "../../python/literal.ts";
import type { PyPrinter } from "../../python/printer.ts";
import type { AppPlan, ConfirmedCall, HttpCall } from "../plan.ts";
import { engineCallArgs, section } from "./shared.ts";

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
  p.import("http.client").import("json").import("subprocess").import("time");
  p.import("urllib.error").import("urllib.parse").import("urllib.request");

  section(p, "The engine", `${plan.engine.displayName}'s command line, as argv: no shell ever parses it.`);
  p.stmt(
    "ENGINE_CMD = ",
    list(
      launch.argv.map((a) => lit(a)),
      true,
    ),
  );
  const engineEnv = Object.entries(launch.env);
  if (engineEnv.length || launch.argsFromEnv.length || plan.apiKey) p.import("os");
  if (engineEnv.length) {
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
  p.comment("Plain urllib without proxies: every engine call goes to 127.0.0.1.");
  p.code("_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))");

  p.definition({ header: "def start_engine() -> subprocess.Popen:" }, () => {
    p.code("cmd = list(ENGINE_CMD)", "print(*cmd)");
    if (launch.argsFromEnv.length) {
      p.comment("Secrets join the command at start time, from the container's environment.");
      for (const a of launch.argsFromEnv) {
        const add = list([lit(a.flag), atom(`os.environ[${pyStr(a.env)}]`)]);
        if (a.optional) p.blockStmt("if ", lit(a.env), " in os.environ:", () => p.stmt("cmd += ", add));
        else p.stmt("cmd += ", add);
      }
    }
    p.code(
      engineEnv.length
        ? "return subprocess.Popen(cmd, env={**os.environ, **ENGINE_ENV})"
        : "return subprocess.Popen(cmd)",
    );
  });

  p.definition(
    { header: "def engine_call(method, path, *, query=None, body=None, ok=(200,), timeout=30):" },
    () => {
      p.code(
        '"""One HTTP call to the engine on 127.0.0.1: the body, or an error for other statuses."""',
        'url = f"http://127.0.0.1:{ENGINE_PORT}{path}"',
      );
      p.block("if query:", () => p.code('url += "?" + urllib.parse.urlencode(query)'));
      p.code('headers = {"Content-Type": "application/json"}');
      if (plan.apiKey) {
        p.block("if API_KEY_ENV in os.environ:  # the engine checks the key as well", () =>
          p.code('headers["Authorization"] = "Bearer " + os.environ[API_KEY_ENV]'),
        );
      }
      p.code(
        "data = None if body is None else json.dumps(body).encode()",
        "request = urllib.request.Request(url, data=data, headers=headers, method=method)",
      );
      p.block("try:", () =>
        p.block("with _opener.open(request, timeout=timeout) as response:", () =>
          p.code("status, raw = response.status, response.read()"),
        ),
      );
      p.block("except urllib.error.HTTPError as e:", () => p.code("status, raw = e.code, e.read()"));
      p.block("if status not in ok:", () =>
        p.code('raise RuntimeError(f"{method} {path}: HTTP {status}: {raw[:300]!r}")'),
      );
      p.code("return raw");
    },
  );

  p.definition(
    { header: "def wait_ready(engine: subprocess.Popen, timeout: float = STARTUP_TIMEOUT) -> None:" },
    () => {
      p.code('"""Polls the readiness probe; fails fast when the engine process exits."""');
      p.code("deadline = time.monotonic() + timeout");
      p.block("while time.monotonic() < deadline:", () => {
        p.block("if engine.poll() is not None:", () =>
          p.code('raise RuntimeError(f"the engine exited with code {engine.returncode}")'),
        );
        p.block("try:", () => {
          p.stmt("", engineCall(lifecycle.readiness));
          p.code("return");
        });
        // Refused or reset connections (OSError), half-written answers (HTTPException), 503s (RuntimeError).
        p.block("except (OSError, http.client.HTTPException, RuntimeError):  # not ready yet", () =>
          p.code("time.sleep(1)"),
        );
      });
      p.code('raise TimeoutError(f"the engine was not ready within {timeout:.0f} s")');
    },
  );

  const confirms = [lifecycle.sleep, lifecycle.wake].filter(
    (c, i): c is ConfirmedCall => c?.confirm !== undefined && steps.has(i === 0 ? "sleep" : "wake"),
  );
  if (confirms.length) {
    p.definition({ header: "def wait_for(method, path, field, equals, timeout):" }, () => {
      p.code('"""Polls `path` until its JSON `field` equals `equals`: some calls return early."""');
      p.code("deadline = time.monotonic() + timeout");
      p.block("while json.loads(engine_call(method, path)).get(field) != equals:", () => {
        p.block("if time.monotonic() > deadline:", () =>
          p.code('raise TimeoutError(f"{path}: {field} != {equals!r} after {timeout:.0f} s")'),
        );
        p.code("time.sleep(0.5)");
      });
    });
  }

  if (steps.has("warmup")) {
    const body = lifecycle.warmup.json;
    if (body !== undefined) {
      p.blank(2);
      p.stmt("WARMUP_REQUEST = ", lit(toPyValue(body, "lifecycle.warmup.json")));
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
    });
  }
}
