// RECORDED-TRANSCRIPT STAND-IN for Modal's `modal` CLI (1.6.4). NOT Modal, and it
// talks to nothing: it replays output recorded in ../modal-transcripts/ (rendered by
// the real SDK's own output code, see render.py there) so rouse's orchestration of
// `modal deploy`, `modal secret|app|container list --json`, `modal container stop`,
// `modal app stop|logs` can be tested without a Modal account.
//
// Environment:
//   FAKE_MODAL_STATE   a JSON file of apps/containers/secrets this fake reads and updates
//                      (a test's local stand-in app reads it too); without it the recorded
//                      JSON lists are printed as they are
//   FAKE_MODAL_LOG     append one JSON line per call: argv, COLUMNS, MODAL_TRACEBACK
//   FAKE_MODAL_DEPLOY  "fail": replay a failed image build instead of a deploy
//   FAKE_MODAL_DELAY_MS  pause between replayed deploy lines (default 5)
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const TRANSCRIPTS = join(HERE, "..", "modal-transcripts");
const RECORDED_APP = "rouse-qwen3-8b";
const RECORDED_CLASS = "VllmServer";
const argv = process.argv.slice(2);
const env = process.env;

if (env.FAKE_MODAL_LOG) {
  appendFileSync(
    env.FAKE_MODAL_LOG,
    `${JSON.stringify({ argv, columns: env.COLUMNS ?? null, traceback: env.MODAL_TRACEBACK ?? null, cwd: process.cwd() })}\n`,
  );
}

const out = (text) => process.stdout.write(text);
const fail = (message, code = 1) => {
  // The real CLI prints "Error: …"; with MODAL_TRACEBACK=1 a traceback ending "Class: …".
  process.stderr.write(
    env.MODAL_TRACEBACK
      ? `Traceback (most recent call last):\n  (recorded stand-in)\n${message}\n`
      : `Error: ${message.replace(/^\w+: /, "")}\n`,
  );
  process.exit(code);
};
const recorded = (name) => readFileSync(join(TRANSCRIPTS, name), "utf8");

function readState() {
  if (!env.FAKE_MODAL_STATE) return undefined;
  if (!existsSync(env.FAKE_MODAL_STATE)) return { apps: [], containers: [], secrets: [] };
  return JSON.parse(readFileSync(env.FAKE_MODAL_STATE, "utf8"));
}
function writeState(state) {
  const tmp = `${env.FAKE_MODAL_STATE}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2));
  renameSync(tmp, env.FAKE_MODAL_STATE);
}
const now = () =>
  new Date()
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "+00:00");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function requireToken() {
  if (env.MODAL_TOKEN_ID && env.MODAL_TOKEN_SECRET) return;
  const config = env.MODAL_CONFIG_PATH || join(env.HOME || "/nonexistent", ".modal.toml");
  if (existsSync(config)) return;
  // Recorded from the real 1.6.4 CLI with no token configured.
  fail(
    "AuthError: Token missing. Could not authenticate client. If you have token credentials, see modal.com/docs/sdk/py/latest/config for setup help. If you are a new user, register an account at modal.com, then run `modal token new`.",
  );
}

const [cmd, sub, ...rest] = argv;
const flag = (name) => argv.includes(name);
const option = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};

if (cmd === "--version") {
  out("modal client version: 1.6.4\n");
} else if (cmd === "deploy") {
  requireToken();
  const file = sub;
  if (!file || !existsSync(file)) fail(`InvalidError: File ${file} not found`, 2);
  const source = readFileSync(file, "utf8");
  const app =
    /^APP_NAME = "([^"]+)"/m.exec(source)?.[1] ?? /modal\.App\("([^"]+)"\)/.exec(source)?.[1] ?? RECORDED_APP;
  // The web endpoint's class: the one `@app.cls(...)` decorates (the app has other classes, the guard's).
  const decorated = source.indexOf("@app.cls(");
  const cls = (decorated >= 0 ? /^class (\w+)/m.exec(source.slice(decorated))?.[1] : undefined) ?? RECORDED_CLASS;
  if (env.FAKE_MODAL_DEPLOY === "fail") {
    out("✓ Created objects.\n├── ✓ Created mount /root/app.py\n");
    fail(
      "RemoteError: Image build for im-FakeRecordedBuild0001 failed.\nView the build logs:\n  modal image logs im-FakeRecordedBuild0001",
    );
  }
  const wide = Number(env.COLUMNS ?? 80) >= 200;
  const text = recorded(wide ? "deploy.wide.stdout.txt" : "deploy.narrow.stdout.txt")
    .replaceAll(RECORDED_APP, app)
    .replaceAll(RECORDED_CLASS.toLowerCase(), cls.toLowerCase())
    .replaceAll(RECORDED_CLASS, cls);
  const delay = Number(env.FAKE_MODAL_DELAY_MS ?? 5);
  for (const line of text.split(/(?<=\n)/)) {
    out(line);
    await sleep(delay);
  }
  const state = readState();
  if (state) {
    const existing = state.apps.find((a) => a.description === app && a.state === "deployed");
    if (!existing) {
      state.apps.push({
        app_id: `ap-fake${String(state.apps.length + 1).padStart(4, "0")}`,
        description: app,
        state: "deployed",
        tasks: "0",
        created_at: now(),
        stopped_at: null,
      });
    }
    writeState(state);
  }
} else if (cmd === "secret" && sub === "list") {
  requireToken();
  const state = readState();
  const rows = state?.secrets?.map((name) => ({
    name,
    created_at: now(),
    created_by: "rouse-user",
    last_used_at: "-",
  }));
  out(rows ? `${JSON.stringify(rows, null, 2)}\n` : recorded("secret-list.json"));
} else if (cmd === "app" && sub === "list") {
  requireToken();
  const state = readState();
  if (!state) out(recorded("app-list.json"));
  else {
    for (const a of state.apps)
      a.tasks = String(state.containers.filter((c) => c.app_id === a.app_id).length);
    out(`${JSON.stringify(state.apps, null, 2)}\n`);
  }
} else if (cmd === "container" && sub === "list") {
  requireToken();
  const state = readState();
  if (!state) out(recorded("container-list.json"));
  else {
    const appId = option("--app-id");
    out(
      `${JSON.stringify(
        state.containers.filter((c) => !appId || c.app_id === appId),
        null,
        2,
      )}\n`,
    );
  }
} else if (cmd === "container" && sub === "stop") {
  requireToken();
  const id = rest.find((a) => !a.startsWith("-"));
  if (!flag("--yes") && !flag("-y")) fail("Aborted.");
  const state = readState();
  if (state) {
    const before = state.containers.length;
    state.containers = state.containers.filter((c) => c.container_id !== id);
    if (state.containers.length === before) {
      // As the real CLI: `raise SystemExit(f"Container '{container_id}' is already stopped.")`.
      process.stderr.write(`Container '${id}' is already stopped.\n`);
      process.exit(1);
    }
    writeState(state);
  }
} else if (cmd === "app" && sub === "stop") {
  requireToken();
  const name = rest.find((a) => !a.startsWith("-"));
  if (!flag("--yes") && !flag("-y")) fail("Aborted.");
  const state = readState();
  if (state) {
    const app = state.apps.find(
      (a) => (a.description === name || a.app_id === name) && a.state === "deployed",
    );
    if (!app) fail(`NotFoundError: Could not find a deployed app named '${name}'.`);
    app.state = "stopped";
    app.stopped_at = now();
    state.containers = state.containers.filter((c) => c.app_id !== app.app_id);
    writeState(state);
  }
} else if (cmd === "app" && sub === "logs") {
  requireToken();
  const name = rest.find((a) => !a.startsWith("-"));
  out(`Recorded stand-in logs for ${name}\n`);
  out(
    `ROUSE_BOOT_REPORT {"app": "${name}", "restored": true, "phases": {"process_start": 1746350000.0, "restore": 1746350100.0, "wake_done": 1746350101.5, "guard_ready": 1746350101.6}}\n`,
  );
} else {
  process.stderr.write(
    `fake modal (recorded-transcript stand-in): no recording for \`modal ${argv.join(" ")}\`\n`,
  );
  process.exit(2);
}
