import { type DeploymentConfigV1Input, GPU_TYPE_NAMES, GPU_TYPES, type GpuType } from "@rouse/config";
import fc from "fast-check";

// Random valid rouse configs (fast-check), for the property tests here and for the
// pytest suite that imports the emitted apps with the real modal SDK
// (scripts/emit-apps.ts). Validation still filters: a generated config that the
// schema or cross-field rules refuse is simply skipped by the callers.

const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/);
const hex40 = fc.stringMatching(/^[0-9a-f]{40}$/);
const envName = fc.stringMatching(/^[A-Z][A-Z0-9_]{0,15}$/);

const models = fc.constantFrom(
  "Qwen/Qwen3-8B-FP8",
  "Qwen/Qwen3-8B",
  "mistralai/Ministral-3-8B-Instruct-2512",
  "NousResearch/Nous-Hermes-2-Mixtral-8x7B-DPO",
  "meta-llama/Llama-3.1-8B-Instruct",
);
const images = fc.constantFrom(
  "debian_slim",
  "nvidia/cuda:12.9.0-devel-ubuntu22.04",
  "lmsysorg/sglang:v0.5.6.post2-cu129-amd64-runtime",
  "vllm/vllm-openai:v0.13.0",
);
const packages = fc.subarray(["huggingface-hub==0.36.0", "flashinfer-python==0.5.3", "hf-xet==1.2.0"]);
const flags = fc.subarray([
  "--disable-log-requests",
  "--seed=7",
  "--enable-chunked-prefill",
  "--max-logprobs",
  "5",
]);
const region = fc.oneof(
  fc.constantFrom("us-east", "eu"),
  fc.subarray(["us-east", "us-west", "eu"], { minLength: 1 }),
);

/** Free text full of what breaks naive code generators: quotes, backslashes, newlines, `"""`, `{}`, unicode. */
export const hostileText = fc
  .oneof(
    fc.string({ unit: "binary", maxLength: 40 }),
    fc.constantFrom(
      '"""',
      "'''",
      '"; import os; os.system("id") #',
      "\\",
      "\\n",
      "a\nb\r\nc",
      "{x} {{y}} {0}",
      "f'{__import__(\"os\")}'",
      "\u2028\u2029\u0085",
      "\u202e\u2066bidi",
      "tab\there",
      "\ud800 lone surrogate",
      "😀 emoji 中文 é",
      "\x7f\x1b[31mansi",
    ),
  )
  .filter((s) => !s.includes("\0"));

/** Hostile, and usable as one argv element (no NUL, no line breaks: the schema's argvToken). */
export const hostileArg = hostileText
  .map((s) => s.replace(/[\r\n]/g, " "))
  .filter((s) => s.length > 0 && !s.startsWith("--"));

export function configArbitrary(text: fc.Arbitrary<string> = fc.constantFrom("1", "on", "a value")) {
  const gpu = fc.constantFrom(...GPU_TYPE_NAMES);
  return fc
    .record({
      name,
      kind: fc.constantFrom("vllm" as const, "sglang" as const),
      model: models,
      revision: fc.option(hex40, { nil: undefined }),
      image: fc.option(images, { nil: undefined }),
      pythonVersion: fc.option(fc.constantFrom("3.11" as const, "3.12" as const, "3.13" as const), {
        nil: undefined,
      }),
      packages,
      extraIndexUrl: fc.option(fc.constant("https://download.pytorch.org/whl/cu128"), { nil: undefined }),
      fastBoot: fc.boolean(),
      gpuMemoryUtilization: fc.constantFrom(0.8, 0.85, 0.9, 0.95),
      maxNumSeqs: fc.option(fc.integer({ min: 1, max: 512 }), { nil: undefined }),
      speculative: fc.option(
        fc.dictionary(fc.stringMatching(/^[a-z_]{1,12}$/), fc.oneof(text, fc.integer(), fc.boolean()), {
          maxKeys: 3,
        }),
        {
          nil: undefined,
        },
      ),
      extraArgs: fc.oneof(
        flags,
        fc.array(
          hostileArg.map((a) => a),
          { maxLength: 3 },
        ),
      ),
      gpu,
      count: fc.integer({ min: 1, max: 4 }),
      snapshot: fc.boolean(),
      gpuSnapshot: fc.boolean(),
      warmup: fc.integer({ min: 0, max: 4 }),
      scaledown: fc.integer({ min: 2, max: 3600 }),
      minContainers: fc.integer({ min: 0, max: 2 }),
      maxContainers: fc.option(fc.integer({ min: 2, max: 20 }), { nil: undefined }),
      bufferContainers: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
      maxInputs: fc.integer({ min: 1, max: 256 }),
      targetFraction: fc.option(fc.double({ min: 0.1, max: 1, noNaN: true }), { nil: undefined }),
      timeout: fc.integer({ min: 10, max: 7200 }),
      startupTimeout: fc.integer({ min: 10, max: 3600 }),
      region: fc.option(region, { nil: undefined }),
      bakeWeights: fc.boolean(),
      compile: fc.option(fc.constantFrom("vllm-cache", "compile-cache"), { nil: undefined }),
      deepgemm: fc.option(fc.constantFrom("deepgemm-cache"), { nil: undefined }),
      style: fc.constantFrom("web-server" as const, "server" as const),
      port: fc.integer({ min: 1024, max: 65535 }),
      proxyAuth: fc.boolean(),
      apiKey: fc.option(fc.constantFrom("rouse-api-key", "vllm-api-key"), { nil: undefined }),
      apiKeyEnv: fc.option(envName, { nil: undefined }),
      huggingface: fc.option(fc.constantFrom("huggingface-secret"), { nil: undefined }),
      extraSecrets: fc.subarray(["db-creds", "otel"]),
      env: fc.dictionary(envName, text, { maxKeys: 4 }),
      cpu: fc.option(fc.constantFrom(4, 8.5), { nil: undefined }),
      memory: fc.option(fc.constantFrom(32768, 65536), { nil: undefined }),
    })
    .map((r): DeploymentConfigV1Input => {
      const maxCount = GPU_TYPES[r.gpu as GpuType].maxCount;
      return {
        version: 1,
        name: r.name,
        model: { id: r.model, ...(r.revision ? { revision: r.revision } : {}) },
        engine: {
          kind: r.kind,
          ...(r.image ? { image: r.image } : {}),
          ...(r.pythonVersion ? { pythonVersion: r.pythonVersion } : {}),
          packages: r.packages,
          ...(r.extraIndexUrl ? { extraIndexUrl: r.extraIndexUrl } : {}),
          fastBoot: r.fastBoot,
          gpuMemoryUtilization: r.gpuMemoryUtilization,
          ...(r.maxNumSeqs ? { maxNumSeqs: r.maxNumSeqs } : {}),
          ...(r.speculative ? { speculative: r.speculative } : {}),
          extraArgs: r.extraArgs,
        },
        resources: {
          gpu: r.gpu,
          count: Math.min(r.count, maxCount),
          ...(r.cpu ? { cpu: r.cpu } : {}),
          ...(r.memory ? { memory: r.memory } : {}),
        },
        snapshot: { enabled: r.snapshot, gpu: r.snapshot && r.gpuSnapshot, warmupRequests: r.warmup },
        scaling: {
          scaledownWindow: r.scaledown,
          minContainers:
            r.maxContainers === undefined ? r.minContainers : Math.min(r.minContainers, r.maxContainers),
          ...(r.maxContainers !== undefined ? { maxContainers: r.maxContainers } : {}),
          ...(r.bufferContainers !== undefined ? { bufferContainers: r.bufferContainers } : {}),
          maxInputs: r.maxInputs,
          ...(r.targetFraction !== undefined
            ? { targetInputs: Math.max(1, Math.floor(r.maxInputs * r.targetFraction)) }
            : {}),
          timeout: r.timeout,
          startupTimeout: r.startupTimeout,
          ...(r.region ? { region: r.region } : {}),
        },
        caches: {
          bakeWeights: r.bakeWeights,
          ...(r.compile ? { compile: r.compile } : {}),
          ...(r.deepgemm ? { deepgemm: r.deepgemm } : {}),
        },
        serving: { style: r.style, port: r.port, proxyAuth: r.proxyAuth },
        secrets: {
          ...(r.apiKey ? { apiKey: r.apiKey } : {}),
          ...(r.apiKeyEnv ? { apiKeyEnv: r.apiKeyEnv } : {}),
          ...(r.huggingface ? { huggingface: r.huggingface } : {}),
          extra: r.extraSecrets,
        },
        env: r.env,
      };
    });
}
