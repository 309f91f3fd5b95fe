import { cudaMajorForTorch } from "./cuda.ts";
import { compareVersions } from "./version.ts";

/**
 * The CUDA major an engine release's wheels need, from the torch each known release pins.
 * A release rouse has no row for takes the row of the nearest known release below it
 * (torch moves forward with the engine), or the oldest row when it is older than all;
 * `known` says which.
 */
export function engineCudaMajor(
  torchByVersion: Readonly<Record<string, string>>,
  version: string,
): { cuda: number; torch: string; known: boolean } {
  const rows = Object.keys(torchByVersion).sort(compareVersions);
  const exact = torchByVersion[version];
  const basis = exact ? version : ([...rows].reverse().find((v) => compareVersions(v, version) <= 0) ?? rows[0]!);
  const torch = torchByVersion[basis]!;
  const cuda = cudaMajorForTorch(torch);
  if (cuda === undefined) throw new Error(`no CUDA known for torch ${torch} (tools/engine-args/facts/cuda.json)`);
  return { cuda, torch, known: exact !== undefined };
}
