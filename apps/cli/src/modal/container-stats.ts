import type { ContainerStatsSource } from "@rouse/api";
import type { Function_ } from "modal";
import { type DeploymentRecord, readState } from "../state.ts";
import type { Io } from "../ui/output.ts";
import { endpointFunction, modalClient, sdkFailure } from "./sdk.ts";
import { findToken } from "./token.ts";

// Running containers for the playground's fleet view: a gateway upstream whose URL
// is the web URL of a deployment recorded in .rouse/state.json is asked about
// through Modal's JavaScript SDK, the way `rouse status` asks (endpointFunction →
// getCurrentStats). Only when a Modal token is configured.

export interface ContainerStatsHandle {
  readonly source: ContainerStatsSource;
  /** The upstreams it knows, and the Modal app each one is. */
  readonly apps: ReadonlyMap<string, string>;
  close(): void;
}

const origin = (url: string) => {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
};

/** The deployment behind each upstream, matched by origin (an upstream URL may end in /v1). */
export function matchDeployments(
  upstreams: readonly { readonly name: string; readonly url: string }[],
  deployments: readonly DeploymentRecord[],
): Map<string, DeploymentRecord> {
  const out = new Map<string, DeploymentRecord>();
  for (const u of upstreams) {
    const o = origin(u.url);
    const d = deployments.find((r) => r.webUrl && r.endpoint && !r.stoppedAt && origin(r.webUrl) === o);
    if (o && d) out.set(u.name, d);
  }
  return out;
}

/** Undefined when no token is configured or no upstream is a recorded deployment. */
export async function modalContainerStats(
  io: Io,
  upstreams: readonly { readonly name: string; readonly url: string }[],
): Promise<ContainerStatsHandle | undefined> {
  if (upstreams.length === 0 || !findToken(io.env).configured) return undefined;
  const byUpstream = matchDeployments(upstreams, Object.values((await readState(io.cwd)).deployments));
  if (byUpstream.size === 0) return undefined;
  const client = await modalClient(io, 10_000);
  const functions = new Map<string, Promise<Function_>>();
  const source: ContainerStatsSource = (name) => {
    const d = byUpstream.get(name);
    if (!d?.endpoint) return undefined;
    let fn = functions.get(name);
    if (!fn) {
      fn = endpointFunction(client, d.app, d.endpoint, { environment: d.environment });
      functions.set(name, fn);
      fn.catch(() => functions.delete(name)); // looked up again next time
    }
    return fn
      .then((f) => f.getCurrentStats())
      .then(
        (s) => ({ running: s.numTotalRunners, backlog: s.backlog }),
        (error: unknown) => {
          throw new Error(sdkFailure(error, `asking Modal about ${d.app}`, io.env).message);
        },
      );
  };
  return {
    source,
    apps: new Map([...byUpstream].map(([u, d]) => [u, d.app])),
    close: () => client.close(),
  };
}
