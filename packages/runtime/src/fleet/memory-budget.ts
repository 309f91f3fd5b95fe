// GPU memory shared by the local engines, in the unit the configs use:
// `engine.gpuMemoryUtilization`, a fraction of each GPU the engine spans. An
// engine holds its share from the moment it starts (or wakes) until it is
// stopped, asleep or suspended. When a share does not fit, the least recently
// used holders are asked to scale to zero first.

/** What the budget needs from an engine (an EngineSupervisor). */
export interface MemoryTenant {
  readonly name: string;
  /** Fraction of GPU i it needs, by GPU index. */
  readonly demand: readonly number[];
  /** Monotonic ms of its last request (0: never). */
  readonly lastUsed: number;
  /** Requests in flight or waiting: evicting it costs more. */
  readonly busy: boolean;
  /** Never evicted (`scaling.minContainers ≥ 1`). */
  readonly pinned: boolean;
  /** Asks it to scale to zero; it calls `release` when it has. */
  evict(reason: string): void;
}

/** The memory arbitration a supervisor uses (a single engine gets `unlimitedMemory`). */
export interface MemoryArbiter {
  /** Resolves once `tenant` may hold its share, after evicting others if needed. */
  reserve(tenant: MemoryTenant, signal?: AbortSignal): Promise<void>;
  /** `tenant` no longer holds GPU memory. */
  release(tenant: MemoryTenant): void;
}

export const unlimitedMemory: MemoryArbiter = {
  reserve: () => Promise.resolve(),
  release: () => {},
};

const EPSILON = 1e-9;

export class MemoryBudget implements MemoryArbiter {
  /** Fraction of each GPU the engines may use together. */
  readonly capacity: number;
  readonly #holders = new Set<MemoryTenant>();
  readonly #evicting = new Set<MemoryTenant>();
  #changed: (() => void)[] = [];

  constructor(capacity = 1) {
    this.capacity = capacity;
  }

  /** Names of the engines holding memory now. */
  holders(): string[] {
    return [...this.#holders].map((t) => t.name);
  }

  /** Usage per GPU of `tenants`. */
  static usage(tenants: Iterable<MemoryTenant>): number[] {
    const out: number[] = [];
    for (const t of tenants) for (const [i, d] of t.demand.entries()) out[i] = (out[i] ?? 0) + d;
    return out;
  }

  #fits(extra: MemoryTenant, others: Iterable<MemoryTenant>): boolean {
    const usage = MemoryBudget.usage([...others, extra]);
    return usage.every((u) => u <= this.capacity + EPSILON);
  }

  async reserve(tenant: MemoryTenant, signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (this.#holders.has(tenant)) return;
      signal?.throwIfAborted();
      if (this.#fits(tenant, this.#holders)) {
        this.#holders.add(tenant);
        return;
      }
      const victims = this.#victims(tenant);
      if (victims.length === 0 && this.#evicting.size === 0) {
        throw new Error(
          `engine '${tenant.name}' needs ${tenant.demand.join("/")} of the GPU memory, which cannot be freed: ` +
            `the engines holding it (${this.holders().join(", ")}) are pinned (scaling.minContainers ≥ 1)`,
        );
      }
      for (const v of victims) {
        this.#evicting.add(v);
        v.evict(`GPU memory for '${tenant.name}' (least recently used)`);
      }
      await new Promise<void>((resolve) => {
        this.#changed.push(resolve);
        signal?.addEventListener("abort", () => resolve(), { once: true });
      });
    }
  }

  release(tenant: MemoryTenant): void {
    this.#evicting.delete(tenant);
    if (!this.#holders.delete(tenant)) return;
    const waiters = this.#changed;
    this.#changed = [];
    for (const w of waiters) w();
  }

  /** Holders to evict, least recently used first (idle before busy), until `tenant` fits. */
  #victims(tenant: MemoryTenant): MemoryTenant[] {
    const staying = new Set([...this.#holders].filter((h) => !this.#evicting.has(h)));
    const candidates = [...staying]
      .filter((h) => !h.pinned)
      .sort((a, b) => Number(a.busy) - Number(b.busy) || a.lastUsed - b.lastUsed);
    const chosen: MemoryTenant[] = [];
    for (const c of candidates) {
      if (this.#fits(tenant, staying)) break;
      staying.delete(c);
      chosen.push(c);
    }
    return this.#fits(tenant, staying) ? chosen : [];
  }
}
