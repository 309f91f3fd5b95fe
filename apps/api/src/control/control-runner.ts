import { Worker } from "node:worker_threads";
import { GatewayError } from "../errors.ts";
import type { ControlAnswer, ControlOp } from "./control-ops.ts";

export interface ControlRunnerOptions {
  /** Budget of one job, from when the worker starts it. */
  readonly timeoutMs: number;
  /** Jobs that may wait for the worker; beyond: 503. Default 16. */
  readonly maxQueued?: number;
  /** Longest a worker may take to load. Default 60 s. */
  readonly startupTimeoutMs?: number;
  readonly retryAfterSeconds?: number;
}

interface Job {
  readonly op: ControlOp;
  readonly text: string;
  readonly timeoutMs: number;
  resolve(a: ControlAnswer): void;
  reject(e: unknown): void;
}

// Under the TypeScript sources (tests, `--conditions=@rouse/source`) the worker is
// the .ts file and needs the same condition; built, it is the .js next to this one.
const fromSource = import.meta.url.endsWith(".ts");
const workerUrl = new URL(`./control-worker.${fromSource ? "ts" : "js"}`, import.meta.url);

/**
 * Runs control-API jobs (validate, render) one at a time in a worker thread with a
 * time budget: a job past its budget gets 503 `control_timeout` and the worker is
 * terminated (a stuck parse cannot be interrupted any other way), then restarted
 * for the next job. The event loop serving traffic never runs the work itself.
 */
export class ControlRunner {
  readonly #o: ControlRunnerOptions;
  readonly #queue: Job[] = [];
  #worker: Worker | undefined;
  #ready: Promise<void> | undefined;
  #busy = false;
  #nextId = 1;
  #closed = false;

  constructor(options: ControlRunnerOptions) {
    this.#o = options;
  }

  /** Runs one job; `timeoutMs` overrides the budget for this job. */
  run(op: ControlOp, text: string, timeoutMs = this.#o.timeoutMs): Promise<ControlAnswer> {
    if (this.#queue.length >= (this.#o.maxQueued ?? 16)) {
      return Promise.reject(
        new GatewayError(503, "service_unavailable", "The control API is busy; retry later", {
          code: "control_busy",
          retryAfter: this.#o.retryAfterSeconds ?? 5,
        }),
      );
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ op, text, timeoutMs, resolve, reject });
      this.#pump();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    const w = this.#worker;
    this.#worker = undefined;
    this.#ready = undefined;
    if (w) await w.terminate();
  }

  #pump(): void {
    if (this.#busy || this.#queue.length === 0) return;
    this.#busy = true;
    const job = this.#queue.shift()!;
    this.#runOne(job)
      .then(job.resolve, job.reject)
      .finally(() => {
        this.#busy = false;
        this.#pump();
      });
  }

  async #runOne(job: Job): Promise<ControlAnswer> {
    if (this.#closed) throw new GatewayError(503, "service_unavailable", "The server is shutting down");
    const worker = await this.#start();
    const id = this.#nextId++;
    return new Promise<ControlAnswer>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        worker.off("message", onMessage);
        worker.off("error", onError);
      };
      const onMessage = (m: { id?: number; answer?: ControlAnswer; error?: string }) => {
        if (m.id !== id) return;
        done();
        if (m.answer) resolve(m.answer);
        else reject(new Error(m.error ?? "control worker failed"));
      };
      const onError = (err: Error) => {
        done();
        this.#discard(worker);
        reject(err);
      };
      const timer = setTimeout(() => {
        done();
        this.#discard(worker);
        reject(
          new GatewayError(
            503,
            "service_unavailable",
            `The ${job.op} took longer than its ${job.timeoutMs} ms budget and was stopped; send a smaller input`,
            { code: "control_timeout", retryAfter: this.#o.retryAfterSeconds ?? 5 },
          ),
        );
      }, job.timeoutMs);
      worker.on("message", onMessage);
      worker.once("error", onError);
      worker.postMessage({ id, op: job.op, text: job.text });
    });
  }

  #discard(worker: Worker): void {
    if (this.#worker === worker) {
      this.#worker = undefined;
      this.#ready = undefined;
    }
    void worker.terminate();
  }

  async #start(): Promise<Worker> {
    if (this.#worker && this.#ready) {
      await this.#ready;
      return this.#worker;
    }
    const worker = new Worker(workerUrl, {
      execArgv: fromSource ? ["--conditions=@rouse/source"] : [],
      // Not kept alive by the worker: an idle gateway process may exit.
    });
    worker.unref();
    this.#worker = worker;
    this.#ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        this.#discard(worker);
        reject(new GatewayError(503, "service_unavailable", "The control worker did not start in time"));
      }, this.#o.startupTimeoutMs ?? 60_000);
      const onMessage = (m: { ready?: boolean }) => {
        if (!m.ready) return;
        cleanup();
        resolve();
      };
      const onError = (err: Error) => {
        cleanup();
        this.#discard(worker);
        reject(err);
      };
      const onExit = () => {
        cleanup();
        this.#discard(worker);
        reject(new Error("the control worker exited while starting"));
      };
      const cleanup = () => {
        clearTimeout(timer);
        worker.off("message", onMessage);
        worker.off("error", onError);
        worker.off("exit", onExit);
      };
      worker.on("message", onMessage);
      worker.once("error", onError);
      worker.once("exit", onExit);
    });
    await this.#ready;
    return worker;
  }
}
