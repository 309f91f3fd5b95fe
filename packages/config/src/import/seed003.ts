import type { DeploymentConfigV1Input } from "../deployment/v1/schema.ts";

// Imports the config.yaml of the community "vLLM sleep mode + Modal snapshots"
// repo (seed 003) into a rouse v1 config, reporting where each key went.

export interface ImportMapping {
  readonly from: string;
  readonly to: string;
  readonly note?: string;
}
export interface ImportReport {
  readonly config: DeploymentConfigV1Input;
  readonly mapped: readonly ImportMapping[];
  readonly unmapped: ReadonlyArray<{ readonly from: string; readonly reason: string }>;
}

/** Environment the seed sets by hand that rouse's vLLM plugin sets itself when snapshots are on. */
const SNAPSHOT_ENV = new Set(["VLLM_SERVER_DEV_MODE", "TORCHINDUCTOR_COMPILE_THREADS"]);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Whether parsed YAML looks like a seed-003 config.yaml (`model.name` plus a `service` mapping). */
export function looksLikeSeed003(data: unknown): boolean {
  return isRecord(data) && isRecord(data.model) && typeof data.model.name === "string" && isRecord(data.service) && !("version" in data);
}

export function importSeed003Config(data: unknown): ImportReport {
  if (!isRecord(data)) throw new Error("seed config.yaml must be a mapping with `model` and `service` sections");
  const mapped: ImportMapping[] = [];
  const unmapped: Array<{ from: string; reason: string }> = [];
  const model: Record<string, unknown> = {};
  const engine: Record<string, unknown> = { kind: "vllm" };
  const resources: Record<string, unknown> = {};
  const scaling: Record<string, unknown> = {};
  const secrets: Record<string, unknown> = {};
  const env: Record<string, string> = {};
  const config: Record<string, unknown> = { version: 1 };
  const map = (from: string, to: string, note?: string): true => {
    mapped.push(note ? { from, to, note } : { from, to });
    return true;
  };
  const speculative: Record<string, unknown> = {};
  /** `speculative` / `speculative_config` (a mapping), `num_speculative_tokens`, `speculative_<key>`. */
  const speculativeKey = (section: string, key: string, value: unknown): boolean => {
    if ((key === "speculative" || key === "speculative_config") && isRecord(value)) {
      Object.assign(speculative, value);
      return map(`${section}.${key}`, "engine.speculative", "passed to vLLM as --speculative-config JSON");
    }
    if (key === "num_speculative_tokens") {
      speculative.num_speculative_tokens = value;
      return map(`${section}.${key}`, "engine.speculative.num_speculative_tokens");
    }
    const m = /^speculative_([a-z_]+)$/.exec(key);
    if (m && m[1] !== "config") {
      speculative[m[1]!] = value;
      return map(`${section}.${key}`, `engine.speculative.${m[1]}`);
    }
    return false;
  };

  const sections: Record<string, (key: string, value: unknown) => boolean> = {
    model: (key, value) => {
      switch (key) {
        case "name":
          model.id = value;
          return map("model.name", "model.id");
        case "serve_name":
          model.servedName = [value];
          return map("model.serve_name", "model.servedName");
        case "max_model_len":
          if (value !== null && value !== undefined) model.maxModelLen = value;
          return map("model.max_model_len", "model.maxModelLen", value == null ? "null: the model's own context length" : undefined);
        case "multi_modal":
          model.multimodal = value;
          return map("model.multi_modal", "model.multimodal");
        case "gpu_memory_utilization":
          engine.gpuMemoryUtilization = value;
          return map("model.gpu_memory_utilization", "engine.gpuMemoryUtilization");
        case "revision":
          model.revision = value;
          return map("model.revision", "model.revision");
        default:
          return speculativeKey("model", key, value);
      }
    },
    service: (key, value) => {
      switch (key) {
        case "name":
        case "app_name":
          config.name = value;
          return map(`service.${key}`, "name");
        case "gpu":
          resources.gpu = value;
          return map("service.gpu", "resources.gpu");
        case "n_gpu":
          resources.count = value;
          return map("service.n_gpu", "resources.count", "tensor parallel follows the GPU count");
        case "fast_boot":
          engine.fastBoot = value;
          return map("service.fast_boot", "engine.fastBoot");
        case "scaledown_window":
          scaling.scaledownWindow = typeof value === "number" ? Math.round(value * 60) : value;
          return map("service.scaledown_window", "scaling.scaledownWindow", "minutes → seconds");
        case "min_containers":
          scaling.minContainers = value;
          return map("service.min_containers", "scaling.minContainers");
        case "max_concurrent_requests":
          scaling.maxInputs = value;
          return map("service.max_concurrent_requests", "scaling.maxInputs");
        case "region":
        case "regions":
          scaling.region = value;
          return map(`service.${key}`, "scaling.region", "Modal runs the containers there");
        case "env":
          if (!isRecord(value)) return false;
          for (const [name, v] of Object.entries(value)) {
            if (SNAPSHOT_ENV.has(name)) {
              map(`service.env.${name}`, "snapshot.enabled", "set by rouse's vLLM plugin for snapshots");
            } else {
              env[name] = String(v);
              map(`service.env.${name}`, `env.${name}`);
            }
          }
          return true;
        case "secrets":
          if (!Array.isArray(value)) return false;
          for (const name of value.map(String)) {
            if (/api[-_]?key/i.test(name)) {
              secrets.apiKey = name;
              secrets.apiKeyEnv = "VLLM_API_KEY";
              map(`service.secrets[${name}]`, "secrets.apiKey", "the key is read from VLLM_API_KEY in that secret");
            } else if (/hugging|hf/i.test(name)) {
              secrets.huggingface = name;
              map(`service.secrets[${name}]`, "secrets.huggingface");
            } else {
              secrets.extra = [...((secrets.extra as string[]) ?? []), name];
              map(`service.secrets[${name}]`, "secrets.extra");
            }
          }
          return true;
        default:
          return speculativeKey("service", key, value);
      }
    },
  };

  for (const [section, body] of Object.entries(data)) {
    if (speculativeKey("(root)", section, body)) continue;
    const handle = sections[section];
    if (!handle || !isRecord(body)) {
      unmapped.push({ from: section, reason: handle ? "expected a mapping" : "no rouse equivalent" });
      continue;
    }
    for (const [key, value] of Object.entries(body)) {
      if (!handle(key, value)) unmapped.push({ from: `${section}.${key}`, reason: "no rouse equivalent" });
    }
  }

  // The seed always runs the sleep-mode + GPU snapshot recipe.
  config.model = model;
  config.engine = engine;
  config.snapshot = { enabled: true, gpu: true };
  if (Object.keys(resources).length) config.resources = resources;
  if (Object.keys(scaling).length) config.scaling = scaling;
  if (Object.keys(secrets).length) config.secrets = secrets;
  if (Object.keys(env).length) config.env = env;
  if (Object.keys(speculative).length) engine.speculative = speculative;
  return { config: config as DeploymentConfigV1Input, mapped, unmapped };
}
