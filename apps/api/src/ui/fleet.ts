import type { EngineState, EngineSupervisor, Transition } from "@rouse/runtime";
import { EngineUpstream } from "../local/engine-upstream.ts";
import type { Router } from "../router/router.ts";
import type { ManagedUpstream, UpstreamState } from "../upstream/managed.ts";

// What the fleet view shows: every upstream of the gateway — remote (HTTP, e.g. a
// Modal deployment) or a local engine — in one vocabulary of states, with its queue,
// requests in flight, and its recent cold starts and wakes.

/** The page's states; `unknown`: a remote upstream the gateway has not contacted yet. */
export type FleetState = "cold" | "warming" | "ready" | "sleeping" | "suspended" | "failed" | "unknown";

const ENGINE_TO_FLEET: Readonly<Record<EngineState, FleetState>> = {
  stopped: "cold",
  starting: "warming",
  ready: "ready",
  draining: "ready",
  "falling-asleep": "sleeping",
  sleeping: "sleeping",
  waking: "warming",
  suspending: "suspended",
  suspended: "suspended",
  resuming: "warming",
  stopping: "cold",
  failed: "failed",
};

const UPSTREAM_TO_FLEET: Readonly<Record<UpstreamState, FleetState>> = {
  unknown: "unknown",
  ready: "ready",
  warming: "warming",
  refusing: "failed", // was up, now refuses connections: a crash (it returns to ready on a good probe)
  down: "failed",
};

export interface FleetEvent {
  readonly kind: "cold start" | "wake";
  /** When it ended (became ready), ISO 8601. */
  readonly at: string;
  readonly ms: number;
}

/** Running containers and queued inputs of a Modal deployment (Modal's `getCurrentStats`). */
export interface ContainerStats {
  readonly running: number;
  readonly backlog: number;
}

/**
 * Live Modal numbers for the upstreams that are Modal deployments: returns
 * undefined for an upstream it does not know. `rouse serve` builds one with Modal's
 * JavaScript SDK when a token is configured.
 */
export type ContainerStatsSource = (
  upstream: string,
  signal: AbortSignal,
) => Promise<ContainerStats> | undefined;

export interface FleetEntry {
  readonly name: string;
  readonly kind: "local" | "remote";
  /** `vllm` / `sglang` for local engines. */
  readonly engine: string | null;
  readonly url: string;
  readonly models: readonly string[];
  readonly state: FleetState;
  /** The underlying state (`starting`, `draining`, `down`, …) and why, for humans. */
  readonly detail: string;
  /** When the current state began (local engines; remote: last check). */
  readonly since: string | null;
  /** Requests waiting for this upstream to start or wake; null where the gateway does not track it per upstream. */
  readonly queueDepth: number | null;
  readonly inFlight: number | null;
  /** Most recent first. */
  readonly recent: readonly FleetEvent[];
  readonly containers: (ContainerStats & { readonly at: string }) | { readonly error: string } | null;
}

export interface FleetSnapshot {
  readonly at: string;
  readonly gateway: {
    /** Requests waiting for a cold remote upstream (the gateway's queue). */
    readonly waiting: number;
    /** Requests being served through the gateway, this page's own feeds excluded. */
    readonly inFlight: number;
  };
  readonly upstreams: readonly FleetEntry[];
}

export interface FleetOptions {
  readonly router: Router;
  /** The gateway's requests in flight. */
  readonly inFlight: () => number;
  readonly containers?: ContainerStatsSource | undefined;
  /** How long Modal's answer is reused. Default 5 s. */
  readonly containersTtlMs?: number;
  /** Longest wait for Modal per refresh. Default 10 s. */
  readonly containersTimeoutMs?: number;
  /** Events kept per upstream. Default 5. */
  readonly recent?: number;
  readonly now?: () => number;
}

/** Cold starts and wakes of one local engine, from its state history. */
export function engineEvents(history: readonly Transition[], keep: number): FleetEvent[] {
  const out: FleetEvent[] = [];
  for (let i = history.length - 1; i >= 0 && out.length < keep; i--) {
    const t = history[i]!;
    if (t.to !== "ready") continue;
    if (t.from === "starting") out.push({ kind: "cold start", at: t.at, ms: Math.round(t.afterMs) });
    else if (t.from === "waking" || t.from === "resuming")
      out.push({ kind: "wake", at: t.at, ms: Math.round(t.afterMs) });
  }
  return out;
}

/**
 * Watches the gateway's upstreams and answers snapshots. A remote upstream's cold
 * start is what the gateway saw: from its first failure (warming) to ready.
 */
export class Fleet {
  readonly #o: FleetOptions;
  readonly #now: () => number;
  readonly #keep: number;
  readonly #remoteEvents = new Map<string, FleetEvent[]>();
  readonly #unsubscribe: (() => void)[] = [];
  readonly #containers = new Map<
    string,
    { at: number; value: FleetEntry["containers"]; pending?: Promise<void> | undefined }
  >();
  /** The fleet routes' own requests (open feeds), not counted as requests in flight. */
  ownRequests = 0;

  constructor(options: FleetOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#keep = options.recent ?? 5;
    for (const m of options.router.upstreams) {
      if (m.upstream instanceof EngineUpstream) continue;
      let warmingSince: number | undefined;
      this.#unsubscribe.push(
        m.onChange(() => {
          const now = this.#now();
          if (m.state === "warming") {
            warmingSince ??= now;
            return;
          }
          if (m.state === "ready" && warmingSince !== undefined) {
            const list = this.#remoteEvents.get(m.name) ?? [];
            list.unshift({ kind: "cold start", at: new Date(now).toISOString(), ms: now - warmingSince });
            list.length = Math.min(list.length, this.#keep);
            this.#remoteEvents.set(m.name, list);
          }
          warmingSince = undefined;
        }),
      );
    }
  }

  /** `models`: the caller's allow-list; upstreams serving none of those models are left out. */
  snapshot(models?: ReadonlySet<string>): FleetSnapshot {
    const visible = models
      ? this.#o.router.upstreams.filter((m) => m.upstream.models.some((id) => models.has(id)))
      : this.#o.router.upstreams;
    return {
      at: new Date(this.#now()).toISOString(),
      gateway: {
        waiting: this.#o.router.waiting,
        inFlight: Math.max(0, this.#o.inFlight() - this.ownRequests),
      },
      upstreams: visible.map((m) => {
        const entry =
          m.upstream instanceof EngineUpstream ? this.#local(m.upstream.supervisor) : this.#remote(m);
        return models ? { ...entry, models: entry.models.filter((id) => models.has(id)) } : entry;
      }),
    };
  }

  /** Asks Modal again for the entries whose answer is older than the TTL (never more than one call at a time per upstream). */
  refreshContainers(): Promise<void> {
    const source = this.#o.containers;
    if (!source) return Promise.resolve();
    const ttl = this.#o.containersTtlMs ?? 5_000;
    const jobs: Promise<void>[] = [];
    for (const m of this.#o.router.upstreams) {
      if (m.upstream instanceof EngineUpstream) continue;
      const cached = this.#containers.get(m.name);
      if (cached?.pending) {
        jobs.push(cached.pending);
        continue;
      }
      if (cached && this.#now() - cached.at < ttl) continue;
      const signal = AbortSignal.timeout(this.#o.containersTimeoutMs ?? 10_000);
      const asked = source(m.name, signal);
      if (!asked) continue;
      const entry = cached ?? { at: 0, value: null };
      const pending = asked
        .then(
          (stats) => {
            entry.value = {
              running: stats.running,
              backlog: stats.backlog,
              at: new Date(this.#now()).toISOString(),
            };
          },
          (error: unknown) => {
            entry.value = { error: error instanceof Error ? error.message : String(error) };
          },
        )
        .finally(() => {
          entry.at = this.#now();
          entry.pending = undefined;
        });
      entry.pending = pending;
      this.#containers.set(m.name, entry);
      jobs.push(pending);
    }
    return Promise.all(jobs).then(() => {});
  }

  close(): void {
    for (const u of this.#unsubscribe) u();
  }

  #local(s: EngineSupervisor): FleetEntry {
    const snap = s.snapshot({ history: 200 });
    const failure = snap.failure?.reason;
    return {
      name: s.name,
      kind: "local",
      engine: snap.engine,
      url: snap.url ?? `local:${s.name}`,
      models: [...s.models],
      state: ENGINE_TO_FLEET[snap.state],
      detail: `${snap.state}${failure ? `: ${failure}` : ""}${snap.state === "stopped" ? " (starts on the next request)" : ""}`,
      since: snap.since,
      queueDepth: this.#o.router.upstreams.find((u) => u.name === s.name)?.queue.waiting ?? 0,
      inFlight: snap.inFlight,
      recent: engineEvents(snap.history, this.#keep),
      containers: null,
    };
  }

  #remote(m: ManagedUpstream): FleetEntry {
    const containers = this.#containers.get(m.name)?.value ?? null;
    let state = UPSTREAM_TO_FLEET[m.state];
    let detail: string = m.state === "unknown" ? "not contacted yet" : m.state;
    // The gateway only learns of a scale-down on the next request; Modal knows now.
    if (containers && "running" in containers && containers.running === 0 && state !== "warming") {
      state = "cold";
      detail = `${detail}; no container running on Modal`;
    }
    if (m.detail) detail += `: ${m.detail}`;
    return {
      name: m.name,
      kind: "remote",
      engine: null,
      url: m.upstream.url,
      models: [...m.upstream.models],
      state,
      detail,
      since: m.checkedAt !== undefined ? new Date(m.checkedAt).toISOString() : null,
      queueDepth: null,
      inFlight: null,
      recent: this.#remoteEvents.get(m.name) ?? [],
      containers,
    };
  }
}
