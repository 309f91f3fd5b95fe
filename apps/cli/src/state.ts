import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Endpoint } from "@rouse/engines";
import { writeFileAtomic } from "./fs-atomic.ts";
import { CliError } from "./ui/output.ts";

// .rouse/state.json: what `rouse deploy` did, so later commands (url, status, probe,
// bench) know the app, its web URL and whether the config changed since.

export interface DeploymentRecord {
  /** Modal app name. */
  readonly app: string;
  /** The endpoint parsed from `modal deploy`'s output; undefined when none was printed. */
  readonly webUrl: string | undefined;
  /** Modal's dashboard page for the deployment. */
  readonly dashboardUrl: string | undefined;
  /** sha256 of the resolved config (canonical JSON). */
  readonly configHash: string;
  /** sha256 of the generated app.py. */
  readonly sourceHash: string;
  /** Where the config came from (a file relative to the project, or `preset:NAME`). */
  readonly configSource: string;
  /** The generated app, relative to the project. */
  readonly appFile: string;
  /** Where the endpoint lives in the app (from the plan renderApp made it from). */
  readonly endpoint: Endpoint | undefined;
  readonly engine: string;
  readonly model: string;
  /** ISO time the deploy finished. */
  readonly deployedAt: string;
  /** `modal --version` of the CLI that deployed. */
  readonly modalVersion: string;
  readonly environment: string | undefined;
  /** Set by `rouse stop`. */
  readonly stoppedAt?: string | undefined;
}

export interface RouseState {
  readonly version: 1;
  readonly deployments: Readonly<Record<string, DeploymentRecord>>;
}

export const stateDir = (cwd: string) => resolve(cwd, ".rouse");
export const statePath = (cwd: string) => join(stateDir(cwd), "state.json");

export async function readState(cwd: string): Promise<RouseState> {
  const path = statePath(cwd);
  if (!existsSync(path)) return { version: 1, deployments: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    throw new CliError(
      `.rouse/state.json is not valid JSON (${(error as Error).message})`,
      "delete it and run `rouse deploy` again to re-create it",
    );
  }
  const state = parsed as Partial<RouseState>;
  if (state.version !== 1 || typeof state.deployments !== "object" || state.deployments === null) {
    throw new CliError(".rouse/state.json has an unknown format", "delete it and run `rouse deploy` again");
  }
  return state as RouseState;
}

/** Read-modify-write of one record; the file is replaced atomically. */
export async function recordDeployment(cwd: string, record: DeploymentRecord): Promise<void> {
  const state = await readState(cwd);
  const next: RouseState = { version: 1, deployments: { ...state.deployments, [record.app]: record } };
  await writeFileAtomic(statePath(cwd), `${JSON.stringify(next, null, 2)}\n`);
}

export async function updateDeployment(
  cwd: string,
  app: string,
  patch: Partial<DeploymentRecord>,
): Promise<DeploymentRecord | undefined> {
  const state = await readState(cwd);
  const current = state.deployments[app];
  if (!current) return undefined;
  const updated = { ...current, ...patch };
  await writeFileAtomic(
    statePath(cwd),
    `${JSON.stringify({ version: 1, deployments: { ...state.deployments, [app]: updated } }, null, 2)}\n`,
  );
  return updated;
}

/** JSON with object keys sorted at every level, so equal configs hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

export const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
export const configHash = (config: unknown) => sha256(canonicalJson(config));
