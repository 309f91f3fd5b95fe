import type { AppPlan, CacheRole, EnvEntry } from "./plan.ts";
import type { CodegenWarning } from "./errors.ts";

// Warnings about the emitted app. Combinations the Modal SDK would refuse are config
// rules now (@rouse/config crossFieldIssues: volume_mounted_twice, env_line_break), so
// `rouse validate` refuses them too.

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
