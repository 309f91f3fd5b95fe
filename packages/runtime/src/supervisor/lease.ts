import type { Pool } from "undici";
import type { EngineProcess } from "../process/engine-process.ts";

/** A request's hold on a ready engine; `release()` exactly once when its response is over. */
export interface Lease {
  readonly engine: string;
  readonly baseUrl: string;
  readonly dispatcher: Pool;
  /** The key the engine was started with; send it as a Bearer token. */
  readonly apiKey: string | undefined;
  readonly process: EngineProcess;
  release(): void;
}

/** The engine process a lease points at. */
export interface LeaseTarget {
  readonly baseUrl: string;
  readonly pool: Pool;
  readonly apiKey: string | undefined;
  readonly proc: EngineProcess;
}

export interface LeaseOwner {
  readonly name: string;
  /** Counts the request out of the engine (idempotence is the lease's job). */
  _release(): void;
}

/** A class, not a closure: the fast path allocates one small object per request. */
export class EngineLease implements Lease {
  readonly #owner: LeaseOwner;
  readonly engine: string;
  readonly baseUrl: string;
  readonly dispatcher: Pool;
  readonly apiKey: string | undefined;
  readonly process: EngineProcess;
  #released = false;

  constructor(owner: LeaseOwner, target: LeaseTarget) {
    this.#owner = owner;
    this.engine = owner.name;
    this.baseUrl = target.baseUrl;
    this.dispatcher = target.pool;
    this.apiKey = target.apiKey;
    this.process = target.proc;
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#owner._release();
  }
}
