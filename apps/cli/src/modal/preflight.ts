import type { DeploymentConfigV1 } from "@rouse/config";
import { CliError, type Io, styles } from "../ui/output.ts";
import { findModal, type ModalCli, modalJson, modalVersion } from "./cli.ts";
import { findToken } from "./token.ts";

/** The modal release rouse's generated apps and output parsing are checked against. */
export const TESTED_MODAL_VERSION = "1.6.4";

export interface Check {
  readonly name: string;
  readonly status: "ok" | "warn" | "fail" | "skip";
  readonly detail: string;
  readonly fix?: string;
}

export interface PreflightResult {
  readonly ok: boolean;
  readonly checks: readonly Check[];
  readonly cli: ModalCli | undefined;
  readonly modalVersion: string | undefined;
}

export interface PreflightOptions {
  readonly modalBin?: string | undefined;
  readonly environment?: string | undefined;
  readonly timeoutMs?: number | undefined;
  /** The config's own validation result, already known to the caller. */
  readonly configCheck: Check;
}

/** The Modal secrets a config names, with what each must hold. */
export function secretsNamed(config: DeploymentConfigV1): { name: string; holds: string }[] {
  const out: { name: string; holds: string }[] = [];
  if (config.secrets.apiKey)
    out.push({ name: config.secrets.apiKey, holds: `${config.secrets.apiKeyEnv}=<api key>` });
  if (config.secrets.huggingface)
    out.push({ name: config.secrets.huggingface, holds: "HF_TOKEN=<hugging face token>" });
  for (const name of config.secrets.extra) out.push({ name, holds: "KEY=VALUE ..." });
  return out;
}

export async function preflight(
  io: Io,
  config: DeploymentConfigV1,
  options: PreflightOptions,
): Promise<PreflightResult> {
  const checks: Check[] = [options.configCheck];
  let cli: ModalCli | undefined;
  let version: string | undefined;

  try {
    cli = findModal(io, options.modalBin);
    version = await modalVersion(cli, io);
    const tested = version === TESTED_MODAL_VERSION;
    checks.push({
      name: "modal CLI",
      status: tested ? "ok" : "warn",
      detail: `${version} (${cli.source}: ${cli.bin})`,
      ...(tested
        ? {}
        : {
            fix: `rouse is tested with modal ${TESTED_MODAL_VERSION}: pip install modal==${TESTED_MODAL_VERSION}`,
          }),
    });
  } catch (error) {
    checks.push({
      name: "modal CLI",
      status: "fail",
      detail: (error as Error).message,
      fix: (error as CliError).hint ?? "pip install modal",
    });
  }

  const token = findToken(io.env);
  checks.push(
    token.configured
      ? { name: "Modal token", status: "ok", detail: token.detail }
      : {
          name: "Modal token",
          status: "fail",
          detail: token.detail,
          fix: "run `modal token new` (writes ~/.modal.toml), or set MODAL_TOKEN_ID and MODAL_TOKEN_SECRET",
        },
  );

  const wanted = secretsNamed(config);
  if (wanted.length === 0) {
    checks.push({ name: "Modal secrets", status: "ok", detail: "the config names none" });
  } else if (!cli || !token.configured) {
    checks.push({
      name: "Modal secrets",
      status: "skip",
      detail: `not checked (needs the modal CLI and a token): ${wanted.map((w) => w.name).join(", ")}`,
    });
  } else {
    const env = options.environment ? ["--env", options.environment] : [];
    try {
      const listed = await modalJson<{ name?: string }[]>(
        cli,
        ["secret", "list", "--json", ...env],
        io,
        "listing Modal secrets",
        options.timeoutMs,
      );
      const have = new Set(listed.map((s) => s.name));
      const missing = wanted.filter((w) => !have.has(w.name));
      checks.push(
        missing.length === 0
          ? { name: "Modal secrets", status: "ok", detail: `found ${wanted.map((w) => w.name).join(", ")}` }
          : {
              name: "Modal secrets",
              status: "fail",
              detail: `missing: ${missing.map((m) => m.name).join(", ")}`,
              fix: missing
                .map(
                  (m) => `modal secret create ${m.name} ${m.holds}${env.length ? ` ${env.join(" ")}` : ""}`,
                )
                .join("; "),
            },
      );
    } catch (error) {
      checks.push({
        name: "Modal secrets",
        status: "fail",
        detail: (error as Error).message,
        ...((error as CliError).hint ? { fix: (error as CliError).hint as string } : {}),
      });
    }
  }
  return { ok: checks.every((c) => c.status !== "fail"), checks, cli, modalVersion: version };
}

export function printChecks(io: Io, checks: readonly Check[]): void {
  const s = styles(io);
  const mark = { ok: s.green("✓"), warn: s.yellow("!"), fail: s.red("✗"), skip: s.dim("-") };
  const width = Math.max(...checks.map((c) => c.name.length));
  for (const c of checks) {
    io.stderr.write(`${mark[c.status]} ${c.name.padEnd(width)}  ${c.detail}\n`);
    if (c.fix && c.status !== "ok") io.stderr.write(`  ${" ".repeat(width)}  ${s.dim(`fix: ${c.fix}`)}\n`);
  }
}

export function preflightError(result: PreflightResult): CliError {
  const failed = result.checks.filter((c) => c.status === "fail");
  return new CliError(
    `preflight failed: ${failed.map((c) => c.name).join(", ")}`,
    failed[0]?.fix ?? "see the checks above",
  );
}
