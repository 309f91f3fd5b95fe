// Modal's GPU types (https://modal.com/docs/guide/gpu), with the facts rouse's
// rules need: architecture (FP8 support), memory per GPU, and the most per container.

export type GpuArchitecture = "turing" | "ampere" | "ada" | "hopper" | "blackwell";

export interface GpuInfo {
  readonly architecture: GpuArchitecture;
  /** CUDA compute capability × 10 (T4 75, A100 80, A10 86, L4 89, H100 90, B200 100). */
  readonly computeCapability: number;
  readonly memoryGiB: number;
  readonly maxCount: number;
}

export const GPU_TYPES = {
  T4: { computeCapability: 75, architecture: "turing", memoryGiB: 16, maxCount: 8 },
  L4: { computeCapability: 89, architecture: "ada", memoryGiB: 24, maxCount: 8 },
  A10: { computeCapability: 86, architecture: "ampere", memoryGiB: 24, maxCount: 4 },
  A10G: { computeCapability: 86, architecture: "ampere", memoryGiB: 24, maxCount: 4 },
  L40S: { computeCapability: 89, architecture: "ada", memoryGiB: 48, maxCount: 8 },
  A100: { computeCapability: 80, architecture: "ampere", memoryGiB: 40, maxCount: 8 },
  "A100-40GB": { computeCapability: 80, architecture: "ampere", memoryGiB: 40, maxCount: 8 },
  "A100-80GB": { computeCapability: 80, architecture: "ampere", memoryGiB: 80, maxCount: 8 },
  "RTX-PRO-6000": { computeCapability: 120, architecture: "blackwell", memoryGiB: 96, maxCount: 8 },
  H100: { computeCapability: 90, architecture: "hopper", memoryGiB: 80, maxCount: 8 },
  // `H100!` pins exactly an H100 (Modal may otherwise upgrade H100 requests to H200).
  "H100!": { computeCapability: 90, architecture: "hopper", memoryGiB: 80, maxCount: 8 },
  H200: { computeCapability: 90, architecture: "hopper", memoryGiB: 141, maxCount: 8 },
  B200: { computeCapability: 100, architecture: "blackwell", memoryGiB: 192, maxCount: 8 },
  "B200+": { computeCapability: 100, architecture: "blackwell", memoryGiB: 192, maxCount: 8 },
} as const satisfies Record<string, GpuInfo>;

export type GpuType = keyof typeof GPU_TYPES;
export const GPU_TYPE_NAMES = Object.keys(GPU_TYPES) as GpuType[];

/** FP8 tensor cores exist on Ada, Hopper and Blackwell (compute capability 8.9+). Engines may still run FP8 checkpoints below that (weight-only). */
export function supportsFp8(gpu: GpuType): boolean {
  const arch = GPU_TYPES[gpu].architecture;
  return arch === "ada" || arch === "hopper" || arch === "blackwell";
}

/** The `gpu=` string Modal expects: `H100`, or `H100:2` for several. */
export function modalGpuString(gpu: GpuType, count: number): string {
  return count === 1 ? gpu : `${gpu}:${count}`;
}
