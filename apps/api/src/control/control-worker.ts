import { parentPort } from "node:worker_threads";
import { type ControlOp, controlAnswer } from "./control-ops.ts";
import { codegenRenderer } from "./renderer.ts";

// Worker thread for the control API: validate/render run here so a slow input can
// never stall the gateway's event loop; the parent terminates it past the budget.

const renderer = codegenRenderer();
const port = parentPort;
if (!port) throw new Error("control-worker.ts must run as a worker thread");
port.on("message", (m: { id: number; op: ControlOp; text: string }) => {
  controlAnswer(m.op, m.text, renderer).then(
    (answer) => port.postMessage({ id: m.id, answer }),
    (err: unknown) => port.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) }),
  );
});
// Warm up (module-level schema work, JIT) before taking jobs, so the first job's budget is spent on its own input.
controlAnswer("validate", JSON.stringify({ preset: "default" }), renderer).finally(() =>
  port.postMessage({ ready: true }),
);
