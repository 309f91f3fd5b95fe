// The CUDA major a torch build links, for the torch versions the engine releases rouse
// knows pin. Mirrors tools/engine-args/facts/cuda.json (where each row's source is cited);
// cuda.test.ts fails when the two drift.

/** torch `major.minor` → the CUDA major of its PyPI build. */
export const TORCH_CUDA_MAJOR: Readonly<Record<string, number>> = {
  "2.7": 12,
  "2.9": 12,
  "2.11": 13,
  "2.13": 13,
  "2.14": 13,
};

/** The CUDA major the given torch (`2.14.0`) needs, or undefined when rouse does not know it. */
export function cudaMajorForTorch(torch: string): number | undefined {
  return TORCH_CUDA_MAJOR[torch.split(".").slice(0, 2).join(".")];
}

/**
 * The CUDA major an image tag names: `nvidia/cuda:12.9.0-devel-…` → 12,
 * `lmsysorg/sglang:v0.5.23-cu130-amd64-runtime` → 13; undefined when the tag does not say.
 */
export function cudaMajorOfImage(ref: string): number | undefined {
  const nvidia = /^(?:docker\.io\/)?nvidia\/cuda:(\d+)\.\d+/.exec(ref);
  if (nvidia) return Number(nvidia[1]);
  const tagged = /[:-]cu(\d{2})(\d)(?:[.-]|$)/.exec(ref);
  return tagged ? Number(tagged[1]) : undefined;
}
