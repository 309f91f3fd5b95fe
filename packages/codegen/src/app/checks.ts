import type { ConfigIssue } from "@rouse/config";
import type { AppPlan, CacheRole, EnvEntry } from "./plan.ts";
import type { CodegenWarning } from "./errors.ts";

// Combinations the Modal SDK (modal==1.6.4) would refuse, caught by rouse first with
// the config field to change. python/tests/codegen proves each one both ways: rouse's
// error here, and the SDK's own error for the app emitted with `unchecked: true`.

export function sdkIssues(plan: AppPlan): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  // modal/_utils/mount_utils.py validate_volumes: "The same Volume cannot be mounted in
  // multiple locations for the same function".
  const seen = new Map<string, string>();
  for (const v of plan.volumes) {
    const first = seen.get(v.name);
    if (first) {
      issues.push({
        severity: "error",
        code: "volume_mounted_twice",
        path: ["caches", v.role],
        message: `caches.${first} and caches.${v.role} both name the Volume '${v.name}', and Modal mounts a Volume at one path per function`,
        fix: `give caches.${v.role} a Volume name of its own`,
      });
    } else seen.set(v.name, v.role);
  }
  // Image.env writes one Dockerfile `ENV KEY=<shlex-quoted value>` line per variable
  // (modal/_image.py, _Image.env): a line break inside a value ends the instruction,
  // and the image build fails. The SDK does not check this; rouse does.
  for (const e of plan.image.env) {
    if (/[\r\n]/.test(e.value)) {
      issues.push({
        severity: "error",
        code: "env_line_break",
        path: ["env", e.name],
        message: `env.${e.name} contains a line break, which Modal's image builder cannot carry (one Dockerfile ENV line per variable)`,
        fix: `put env.${e.name} on one line, or pass multi-line values through a Modal secret`,
      });
    }
  }
  return issues;
}

export function codegenWarnings(
  plan: AppPlan,
  overriddenEnv: readonly EnvEntry[],
  unusedCaches: readonly CacheRole[] = [],
): CodegenWarning[] {
  const warnings: CodegenWarning[] = overriddenEnv.map((e) => ({
    code: "env_overrides_engine",
    field: `env.${e.name}`,
    message: `env.${e.name} replaces the value the ${plan.engine.displayName} plugin sets (${e.value}: ${e.why})`,
    fix: `remove env.${e.name} unless you mean to change it`,
    source: "codegen" as const,
  }));
  const base = plan.image.base;
  const python = base.kind === "debian_slim" ? base.python : base.addPython;
  if (python === "3.10") {
    warnings.push({
      code: "python_3_10",
      field: "engine.pythonVersion",
      message:
        "Modal's 2026.10 image builder (the default for new workspaces) supports Python 3.11 and later only",
      fix: "set engine.pythonVersion to 3.11 or later, unless your workspace uses the 2025.06 builder",
      source: "codegen",
    });
  }
  const region = plan.scaling.region;
  if (plan.style === "server" && Array.isArray(region) && region.length > 1) {
    warnings.push({
      code: "server_routing_region",
      field: "scaling.region",
      message: `@app.server routes requests through one region: ${region[0]} (the first of scaling.region); containers in ${region.slice(1).join(", ")} answer through it`,
      fix: "list one region to keep requests and containers together",
      source: "codegen",
    });
  }
  for (const role of unusedCaches) {
    warnings.push({
      code: "cache_unused",
      field: `caches.${role}`,
      message: `${plan.engine.displayName} writes no ${role} cache, so caches.${role} is not mounted`,
      fix: `remove caches.${role}`,
      source: "codegen",
    });
  }
  if (plan.snapshot.enabled && !plan.snapshot.gpu) {
    warnings.push({
      code: "cpu_only_snapshot",
      field: "snapshot.gpu",
      message:
        "CPU-only snapshots save less: Modal gives the snapshot phase no GPU, so the snapshot holds the imported engine modules and cached weights, and every container still starts the engine, loads the weights onto the GPU and compiles or captures CUDA graphs (docs/snapshots.md)",
      fix: "set snapshot.gpu: true to snapshot the started, warmed-up engine (Modal's GPU snapshots, alpha)",
      source: "codegen",
    });
  }
  // Only when set away from its default: the default is always there.
  if (plan.style === "server" && plan.scaling.timeout !== 10 * 60) {
    warnings.push({
      code: "server_no_timeout",
      field: "scaling.timeout",
      message: "Modal's @app.server has no per-request timeout, so scaling.timeout does not apply",
      source: "codegen",
    });
  }
  return warnings;
}
