import type { SnapshotStepV1 } from "@rouse/engine-spec";
import { atom, call, dict, entry, type Expr, kw, list, lit } from "../../python/expr.ts";
import { pyStr, toPyValue } from "../../python/literal.ts";
import type { PyPrinter } from "../../python/printer.ts";
import type { AppPlan, CanaryPlan, ConfirmedCall, HttpCall } from "../plan.ts";
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
      p.comment("Secrets join the command at start time, from the container's environment, as");
      p.comment("--flag=value: a key that starts with '-' would otherwise be read as a flag.");
      for (const a of launch.argsFromEnv) {
        const add = atom(`${pyStr(`${a.flag}=`)} + os.environ[${pyStr(a.env)}]`);
        if (a.optional)
          p.blockStmt("if ", lit(a.env), " in os.environ:", () => p.stmt("cmd.append(", add, ")"));
        else p.stmt("cmd.append(", add, ")");
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
      if (step === "wake" && lifecycle.afterWake.length) {
        p.comment("Awake is not yet fit to serve: these calls, in this order, come before any traffic.");
        for (const after of lifecycle.afterWake) p.stmt("", engineCall(after));
      }
    });
  }
  if (steps.has("prepare")) emitPrepare(p, plan);
  if (steps.has("canary") && lifecycle.canary) emitCanary(p, lifecycle.canary);
}

/** `answer["choices"][0]["logprobs"]["tokens"]` for the dotted path `choices.0.logprobs.tokens`. */
function subscript(variable: string, dotted: string): string {
  return variable + dotted.split(".").map((k) => (/^[0-9]+$/.test(k) ? `[${k}]` : `[${pyStr(k)}]`)).join("");
}

/** CPU-only snapshots: what runs before the snapshot, where there is no GPU. */
function emitPrepare(p: PyPrinter, plan: AppPlan): void {
  p.import("os").import("subprocess").import("sys");
  p.blank(2);
  p.stmt("PREPARE_IMPORTS = ", list(plan.recipe!.prepareImports.map((m) => lit(m))));
  p.definition({ header: "def prepare() -> None:" }, () => {
    p.code('"""CPU-only snapshots: work before the snapshot that needs no GPU (Modal gives it none)."""');
    p.comment(
      "Import the engine once in a child process: its files (torch alone is >20,000) are read and byte-compiled now, so the engine's own import after restore finds them warm. Only a speed-up: a failure is reported, not fatal.",
    );
    p.code('code = "import " + ", ".join(PREPARE_IMPORTS)');
    p.block("try:", () =>
      p.code('run = subprocess.run([sys.executable, "-c", code], check=False, timeout=600)'),
    );
    p.block("except subprocess.TimeoutExpired:", () => p.code("run = None"));
    p.code('BOOT["prepare"] = {"imported": run is not None and run.returncode == 0}');
    p.comment("Read the weights already in the cache (volume or image) once; nothing is downloaded here.");
    p.block("try:", () => {
      p.code("from huggingface_hub import snapshot_download", "");
      const args = [{ value: lit(plan.model.id) }, kw("local_files_only", atom("True"))];
      if (plan.model.revision) args.splice(1, 0, kw("revision", plan.model.revision));
      p.stmt(
        "path = ",
        plan.model.id.startsWith("/") ? lit(plan.model.id) : call("snapshot_download", ...args),
      );
    });
    p.block("except (ImportError, OSError, ValueError):", () => {
      p.comment("Not cached yet (or no huggingface_hub): the engine downloads the weights itself.");
      p.code('BOOT["prepare"]["weights_read"] = 0', "return");
    });
    p.code("total = 0");
    p.block("for root, _, files in os.walk(path):", () =>
      p.block("for name in files:", () =>
        p.block('with open(os.path.join(root, name), "rb") as f:', () =>
          p.block("while chunk := f.read(1 << 24):", () => p.code("total += len(chunk)")),
        ),
      ),
    );
    p.code('BOOT["prepare"]["weights_read"] = total');
  });
}

/** Verified wake: record a greedy generation before sleep, replay it after every wake. */
function emitCanary(p: PyPrinter, canary: CanaryPlan): void {
  p.blank(2);
  p.comment(
    "Verified wake: an engine can report healthy after a wake that left it serving garbage, so one fixed greedy generation is recorded before the sleep and replayed after every wake, before traffic. Tokens must match exactly; each logprob within CANARY_TOLERANCE.",
  );
  p.stmt("CANARY_REQUEST = ", lit(toPyValue(canary.request.json ?? {}, "lifecycle.canary.request.json")));
  p.stmt("CANARY_TOLERANCE = ", lit(canary.logprobTolerance));
  p.comment("Refused or broken answers, HTTP errors, and answers without the expected fields.");
  p.code(
    "CANARY_ERRORS = (",
    "    OSError,",
    "    http.client.HTTPException,",
    "    RuntimeError,",
    "    LookupError,",
    "    TypeError,",
    "    ValueError,",
    ")",
  );
  p.definition({ header: "def canary() -> dict:" }, () => {
    p.code('"""One greedy generation: its tokens and their logprobs."""');
    p.stmt("raw = ", engineCall(canary.request, atom("CANARY_REQUEST")));
    p.code(
      "answer = json.loads(raw)",
      `tokens = ${subscript("answer", canary.tokensField)}`,
      `logprobs = ${subscript("answer", canary.logprobsField)}`,
      'return {"tokens": tokens, "logprobs": logprobs}',
    );
  });
  p.definition({ header: "def canary_mismatch(recorded: dict, replayed: dict) -> str | None:" }, () => {
    p.code('"""None when the replay matches the recording, else what differs."""');
    p.block('if replayed["tokens"] != recorded["tokens"]:', () =>
      p.code(`return f"tokens differ: {recorded['tokens']!r} then {replayed['tokens']!r}"`),
    );
    p.code("drift = 0.0");
    p.block('for before, after in zip(recorded["logprobs"], replayed["logprobs"]):', () =>
      p.block("if (before is None) != (after is None):", () => p.code('return "logprobs differ: one is missing"')).block(
        "if before is not None:",
        () => p.code("drift = max(drift, abs(before - after))"),
      ),
    );
    p.block("if drift > CANARY_TOLERANCE:", () =>
      p.code('return f"logprobs drift by {drift:.4f} (tolerance {CANARY_TOLERANCE})"'),
    );
    p.code("return None");
  });
  p.definition(
    { header: "def verify_wake(engine: subprocess.Popen, recorded: dict) -> subprocess.Popen:" },
    () => {
      p.code(
        '"""Replays the canary before traffic; on a mismatch restarts the engine cold and says so."""',
      );
      p.block("try:", () => p.code("problem = canary_mismatch(recorded, canary())"));
      p.block("except CANARY_ERRORS as e:  # a woken engine that cannot answer has failed too", () =>
        p.code('problem = f"the canary request failed: {e}"'),
      );
      p.code('BOOT["canary"] = {"ok": problem is None, "problem": problem, "restarted": False}');
      p.block("if problem is None:", () => p.code("return engine"));
      p.code('boot_mark("canary_mismatch")');
      p.code('print("ROUSE_CANARY_MISMATCH", json.dumps(BOOT["canary"]), flush=True)');
      p.comment("Cold restart: the woken engine cannot be trusted; a fresh one loads from disk.");
      p.code("engine.terminate()");
      p.block("try:", () => p.code("engine.wait(timeout=60)"));
      p.block("except subprocess.TimeoutExpired:", () => p.code("engine.kill()", "engine.wait()"));
      p.code("engine = start_engine()", "wait_ready(engine)");
      p.code('BOOT["canary"]["restarted"] = True', 'boot_mark("cold_restart_done")');
      p.code("return engine");
    },
  );
}
