// Engine versions decide which spelling of a flag exists (SGLang renamed
// several). PEP 440 release segments are compared numerically; pre-release
// and post-release tags only order releases that share a base.

function parts(version: string): { release: number[]; tag: number } {
  const match = /^(\d+(?:\.\d+)*)(?:[.-]?(a|b|rc|post|dev)\.?(\d+))?/i.exec(version.trim());
  if (!match) return { release: [], tag: 0 };
  const release = match[1]!.split(".").map(Number);
  const kind = match[2]?.toLowerCase();
  const n = Number(match[3] ?? 0);
  // dev < a < b < rc < (final) < post
  const rank =
    kind === "dev"
      ? -4
      : kind === "a"
        ? -3
        : kind === "b"
          ? -2
          : kind === "rc"
            ? -1
            : kind === "post"
              ? 1
              : 0;
  return { release, tag: rank * 1_000_000 + (kind ? n : 0) };
}

/** Negative when a < b, 0 when equal, positive when a > b. */
export function compareVersions(a: string, b: string): number {
  const pa = parts(a);
  const pb = parts(b);
  const length = Math.max(pa.release.length, pb.release.length);
  for (let i = 0; i < length; i++) {
    const d = (pa.release[i] ?? 0) - (pb.release[i] ?? 0);
    if (d !== 0) return d;
  }
  return pa.tag - pb.tag;
}

export function versionAtLeast(version: string, minimum: string): boolean {
  return compareVersions(version, minimum) >= 0;
}
