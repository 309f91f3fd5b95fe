// The validated rouse.yaml as an engine plugin reads it: plain types, every default
// already filled in. The deployment config's schema (zod, YAML, presets) lives in
// @rouse/config, whose type-level test proves its `DeploymentConfigV1` is assignable
// to this view, so the two cannot drift. `engine.kind` is any string here: a
// third-party plugin names its own engine.

export interface ModelViewV1 {
  /** Hugging Face repo id, e.g. `Qwen/Qwen3-8B-FP8`, or an absolute path for local engines. */
  readonly id: string;
  readonly revision?: string | undefined;
  /** Names clients may send as `model`; absent: the plugin's default (e.g. the model id). */
  readonly servedName?: readonly string[] | undefined;
  readonly maxModelLen?: number | undefined;
  /** `false`: text only; `true`: the engine's default limits; otherwise per-modality limits. */
  readonly multimodal: boolean | { readonly limits?: Readonly<Record<string, number>> | undefined };
  readonly toolCallParser?: string | undefined;
  readonly reasoningParser?: string | undefined;
  readonly tokenizerMode?: string | undefined;
  readonly configFormat?: string | undefined;
  readonly loadFormat?: string | undefined;
  readonly quantization?: string | undefined;
  readonly trustRemoteCode: boolean;
}

export interface EngineViewV1 {
  /** The plugin's `engine`, e.g. `vllm`. */
  readonly kind: string;
  /** Engine release to pin; absent: the plugin's `defaultVersion`. */
  readonly version?: string | undefined;
  /** A registry image reference or `debian_slim`; absent: the plugin's own. */
  readonly image?: string | undefined;
  readonly pythonVersion?: string | undefined;
  /** Extra pinned pip requirements. */
  readonly packages: readonly string[];
  readonly extraIndexUrl?: string | undefined;
  /** Eager mode: faster boots, slower tokens. */
  readonly fastBoot: boolean;
  /** Fraction in (0, 1]. */
  readonly gpuMemoryUtilization: number;
  readonly maxNumSeqs?: number | undefined;
  readonly maxBatchedTokens?: number | undefined;
  readonly speculative?: Readonly<Record<string, string | number | boolean>> | undefined;
  /** Extra engine arguments, one argv element each; a plugin passes them through unchanged. */
  readonly extraArgs: readonly string[];
  /** Engine-specific options by plugin name; a plugin validates its own slice. */
  readonly options: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

export interface ResourcesViewV1 {
  /** A Modal GPU type, e.g. `H100`. */
  readonly gpu: string;
  /** GPUs per container. */
  readonly count: number;
  readonly cpu?: number | undefined;
  /** MiB. */
  readonly memory?: number | undefined;
}

export interface SnapshotViewV1 {
  /** CPU memory snapshots. */
  readonly enabled: boolean;
  /** GPU memory snapshots too. */
  readonly gpu: boolean;
  readonly warmupRequests: number;
  readonly sleepLevel: 1 | 2;
}

export interface ScalingViewV1 {
  /** Seconds. */
  readonly scaledownWindow: number;
  readonly minContainers: number;
  readonly maxContainers?: number | undefined;
  readonly bufferContainers?: number | undefined;
  readonly targetInputs?: number | undefined;
  /** Concurrent requests per container. */
  readonly maxInputs: number;
  /** Seconds. */
  readonly timeout: number;
  /** Seconds. */
  readonly startupTimeout: number;
  readonly region?: string | readonly string[] | undefined;
}

export interface CachesViewV1 {
  /** Modal Volume names. */
  readonly weights: string;
  readonly bakeWeights: boolean;
  readonly compile?: string | undefined;
  readonly deepgemm?: string | undefined;
}

export interface ServingViewV1 {
  readonly style: "web-server" | "server";
  readonly port: number;
  readonly proxyAuth: boolean;
}

export interface SecretsViewV1 {
  /** Modal secret holding the API key; absent: no key. */
  readonly apiKey?: string | undefined;
  /** Variable that holds the key at run time. */
  readonly apiKeyEnv: string;
  readonly huggingface?: string | undefined;
  readonly extra: readonly string[];
}

export interface LocalViewV1 {
  readonly scaleToZero: "sleep" | "stop" | "suspend";
  /** Replaces the engine's executable prefix. */
  readonly executable?: readonly string[] | undefined;
  readonly port?: number | undefined;
}

/** What every plugin method receives: a validated deployment config, defaults filled in. */
export interface DeploymentViewV1 {
  readonly version: 1;
  readonly name: string;
  readonly model: ModelViewV1;
  readonly engine: EngineViewV1;
  readonly resources: ResourcesViewV1;
  readonly snapshot: SnapshotViewV1;
  readonly scaling: ScalingViewV1;
  readonly caches: CachesViewV1;
  readonly serving: ServingViewV1;
  readonly secrets: SecretsViewV1;
  readonly local: LocalViewV1;
  /** Extra container environment. */
  readonly env: Readonly<Record<string, string>>;
}
