import { z } from "zod";
import {
  argvToken,
  envName,
  envValue,
  httpsUrl,
  identifier,
  imageRef,
  modalName,
  modelId,
  packageVersion,
  pipRequirement,
  revision,
  servedName,
} from "../../common/names.ts";
import { GPU_TYPE_NAMES } from "./gpu.ts";

// The rouse.yaml contract, version 1. Every object is strict (unknown keys are
// errors with a "did you mean"), and every field has a default where one is
// sensible, so `{ version: 1, model: { id }, engine: { kind } }` is complete.
// `.prefault({})` runs the defaults of a missing section through its schema.

const MINUTES = 60;
const seconds = (what: string, min: number, max: number) =>
  z
    .number({ error: `${what} is a number of seconds` })
    .int({ error: `${what} is a whole number of seconds` })
    .min(min, { error: `${what} must be at least ${min} s` })
    .max(max, { error: `${what} must be at most ${max} s` });
const count = (what: string, max: number) =>
  z
    .number({ error: `${what} is a number` })
    .int({ error: `${what} is a whole number` })
    .min(0, { error: `${what} cannot be negative` })
    .max(max, { error: `${what} must be at most ${max}` });
const positiveInt = (what: string, max: number) =>
  z
    .number({ error: `${what} is a number` })
    .int({ error: `${what} is a whole number` })
    .min(1, { error: `${what} must be at least 1` })
    .max(max, { error: `${what} must be at most ${max}` });

export const multimodalSchema = z.union([
  z.boolean(),
  z.strictObject({
    /** Items per prompt, e.g. `{ image: 4, video: 0 }` (vLLM `--limit-mm-per-prompt`). */
    limits: z.record(identifier("modality"), count("a modality limit", 64)).optional(),
  }),
]);

export const modelSchema = z.strictObject({
  /** Hugging Face repo id, e.g. `Qwen/Qwen3-8B-FP8` (or an absolute path for local engines). */
  id: modelId,
  /** Commit hash to pin (recommended: repos change under you). */
  revision: revision.optional(),
  /** Names clients may send as `model`. Default: the model id and `llm`. */
  servedName: z.array(servedName).min(1).max(8).optional(),
  /** Context length; default: the model's own. */
  maxModelLen: positiveInt("model.maxModelLen", 10_000_000).optional(),
  multimodal: multimodalSchema.default(false),
  toolCallParser: identifier("model.toolCallParser").optional(),
  reasoningParser: identifier("model.reasoningParser").optional(),
  /** Mistral-format repos need `mistral` for all three. */
  tokenizerMode: identifier("model.tokenizerMode").optional(),
  configFormat: identifier("model.configFormat").optional(),
  loadFormat: identifier("model.loadFormat").optional(),
  quantization: identifier("model.quantization").optional(),
  trustRemoteCode: z.boolean().default(false),
});

export const engineKindSchema = z.enum(["vllm", "sglang"], {
  error: "engine.kind must be 'vllm' or 'sglang'",
});

export const engineSchema = z.strictObject({
  kind: engineKindSchema,
  /** Engine release to pin; default: the plugin's tested version. */
  version: packageVersion.optional(),
  /** Base image: a registry reference, or `debian_slim` for Modal's slim Debian. Default: the plugin's. */
  image: z.union([z.literal("debian_slim"), imageRef]).optional(),
  /** Python version added to a registry image, or used for debian_slim. */
  pythonVersion: z.enum(["3.10", "3.11", "3.12", "3.13"]).optional(),
  /** Extra pinned pip packages installed next to the engine. */
  packages: z.array(pipRequirement).max(32).default([]),
  /** Extra package index (e.g. PyTorch's CUDA wheels). */
  extraIndexUrl: httpsUrl.optional(),
  /** Skip compilation and CUDA graphs (eager mode): faster boots, slower tokens. */
  fastBoot: z.boolean().default(false),
  gpuMemoryUtilization: z
    .number()
    .gt(0, { error: "engine.gpuMemoryUtilization is a fraction in (0, 1]" })
    .max(1, { error: "engine.gpuMemoryUtilization is a fraction in (0, 1]" })
    .default(0.9),
  maxNumSeqs: positiveInt("engine.maxNumSeqs", 65_536).optional(),
  maxBatchedTokens: positiveInt("engine.maxBatchedTokens", 10_000_000).optional(),
  /** Speculative decoding settings, passed to the engine as JSON. */
  speculative: z
    .record(
      z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, { error: "speculative keys are identifiers of up to 64 characters" }),
      z.union([z.string().max(4096, { error: "speculative values are at most 4096 characters" }), z.number(), z.boolean()]),
    )
    .refine((r) => Object.keys(r).length <= 32, { error: "engine.speculative takes at most 32 settings" })
    .optional(),
  /** Extra engine arguments, one argv element each (never a shell string). */
  extraArgs: z.array(argvToken).max(64).default([]),
  /** Engine-specific options, validated by the engine's plugin: `{ vllm: {...} }`. */
  options: z.record(engineKindSchema.or(identifier("engine plugin")), z.record(z.string(), z.unknown())).default({}),
});

export const resourcesSchema = z.strictObject({
  gpu: z.enum(GPU_TYPE_NAMES as [string, ...string[]], {
    error: `resources.gpu must be one of Modal's GPU types: ${GPU_TYPE_NAMES.join(", ")}`,
  }).default("H100"),
  /** GPUs per container; the engine's tensor-parallel size follows it. */
  count: positiveInt("resources.count", 8).default(1),
  /** CPU cores to reserve. */
  cpu: z.number().positive().max(512).optional(),
  /** Memory to reserve, MiB. */
  memory: positiveInt("resources.memory", 4_194_304).optional(),
});

export const snapshotSchema = z.strictObject({
  /** CPU memory snapshots: restore the booted process instead of booting again. */
  enabled: z.boolean().default(true),
  /** GPU memory snapshots too (needs `enabled`). */
  gpu: z.boolean().default(true),
  /** Requests sent before the snapshot so compilation and CUDA graphs land in it. */
  warmupRequests: count("snapshot.warmupRequests", 64).default(3),
  /** vLLM sleep level before the snapshot: 1 keeps weights in host RAM, 2 drops them. */
  sleepLevel: z.union([z.literal(1), z.literal(2)]).default(1),
});

export const scalingSchema = z.strictObject({
  /** Idle seconds before a container scales down. */
  scaledownWindow: seconds("scaling.scaledownWindow", 2, 60 * MINUTES).default(15 * MINUTES),
  minContainers: count("scaling.minContainers", 1000).default(0),
  maxContainers: positiveInt("scaling.maxContainers", 1000).optional(),
  bufferContainers: count("scaling.bufferContainers", 1000).optional(),
  /** Concurrent requests per container the autoscaler aims for. */
  targetInputs: positiveInt("scaling.targetInputs", 10_000).optional(),
  /** Hard cap of concurrent requests per container. */
  maxInputs: positiveInt("scaling.maxInputs", 10_000).default(32),
  /** Longest a single request may run, seconds. */
  timeout: seconds("scaling.timeout", 10, 24 * 60 * MINUTES).default(10 * MINUTES),
  /** Longest a container may take to start serving, seconds. */
  startupTimeout: seconds("scaling.startupTimeout", 10, 24 * 60 * MINUTES).default(10 * MINUTES),
  region: z.union([identifier("scaling.region"), z.array(identifier("scaling.region")).min(1)]).optional(),
});

export const cachesSchema = z.strictObject({
  /** Volume for Hugging Face weights. */
  weights: modalName("caches.weights").default("huggingface-cache"),
  /** Download weights into the image at build time instead of a volume. */
  bakeWeights: z.boolean().default(false),
  /** Volume for the engine's compile artifacts (torch.compile, Triton). */
  compile: modalName("caches.compile").optional(),
  /** Volume for SGLang's JIT DeepGEMM kernels. */
  deepgemm: modalName("caches.deepgemm").optional(),
});

export const servingSchema = z.strictObject({
  /**
   * `web-server`: `@app.cls` + `@modal.web_server` (Modal queues requests during a cold start; snapshots).
   * `server`: Modal's `@app.server` (lower latency, 503 while no replica).
   */
  style: z.enum(["web-server", "server"]).default("web-server"),
  port: z.number().int().min(1024).max(65_535).default(8000),
  /** Require Modal proxy auth (`Modal-Key`/`Modal-Secret`) in front of the endpoint. */
  proxyAuth: z.boolean().default(false),
});

export const secretsSchema = z.strictObject({
  /** Modal secret holding the API key clients must send as a Bearer token. */
  apiKey: modalName("secrets.apiKey").optional(),
  /** Variable inside that secret that holds the key. */
  apiKeyEnv: envName.default("ROUSE_API_KEY"),
  /** Modal secret holding `HF_TOKEN` for gated models. */
  huggingface: modalName("secrets.huggingface").optional(),
  /** More Modal secrets to attach, by name. */
  extra: z.array(modalName("secrets.extra")).max(16).default([]),
});

export const localSchema = z.strictObject({
  /** How an idle local engine scales to zero: engine sleep mode, process exit, or CUDA checkpoint. */
  scaleToZero: z.enum(["sleep", "stop", "suspend"]).default("sleep"),
  /** The engine executable (argv[0] prefix), e.g. a venv's `vllm`. */
  executable: z.array(argvToken).min(1).max(8).optional(),
  port: z.number().int().min(1024).max(65_535).optional(),
});

export const deploymentConfigV1Schema = z.strictObject({
  version: z.literal(1, { error: "version must be 1 (the rouse.yaml schema version)" }),
  /** The Modal app name. */
  name: modalName("name").default("rouse-llm"),
  model: modelSchema,
  engine: engineSchema,
  resources: resourcesSchema.prefault({}),
  snapshot: snapshotSchema.prefault({}),
  scaling: scalingSchema.prefault({}),
  caches: cachesSchema.prefault({}),
  serving: servingSchema.prefault({}),
  secrets: secretsSchema.prefault({}),
  local: localSchema.prefault({}),
  /** Extra environment for the container (values are strings, as Modal requires). */
  env: z
    .record(envName, envValue)
    .refine((r) => Object.keys(r).length <= 256, { error: "env takes at most 256 variables" })
    .default({}),
});

/** What a user writes (defaults optional). */
export type DeploymentConfigV1Input = z.input<typeof deploymentConfigV1Schema>;
/** A validated config with every default filled in. */
export type DeploymentConfigV1 = z.output<typeof deploymentConfigV1Schema>;
export type EngineKind = z.output<typeof engineKindSchema>;
