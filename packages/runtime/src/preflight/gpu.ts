import { existsSync, readdirSync } from "node:fs";

/** Whether this machine has a GPU an engine's sleep mode or a CUDA checkpoint can use, and how we know. */
export interface GpuPresence {
  readonly present: boolean;
  readonly how: string;
}

/**
 * NVIDIA (/dev/nvidia0…) or AMD ROCm (/dev/kfd) device nodes. `$ROUSE_LOCAL_GPU`
 * (`present` | `absent`) overrides the detection, e.g. for a GPU inside a
 * container that hides its device nodes, or for the stand-in engine in tests.
 */
export function detectGpu(
  env: Readonly<Record<string, string | undefined>> = process.env,
  dev = "/dev",
): GpuPresence {
  const forced = env.ROUSE_LOCAL_GPU?.trim().toLowerCase();
  if (forced === "present" || forced === "absent")
    return { present: forced === "present", how: `ROUSE_LOCAL_GPU=${forced}` };
  let nodes: string[] = [];
  try {
    nodes = readdirSync(dev);
  } catch {}
  const nvidia = nodes.filter((n) => /^nvidia\d+$/.test(n));
  if (nvidia.length > 0) return { present: true, how: `${nvidia.length} NVIDIA device(s) in ${dev}` };
  if (existsSync(`${dev}/kfd`)) return { present: true, how: `ROCm (${dev}/kfd)` };
  return { present: false, how: `no GPU device in ${dev} (no ${dev}/nvidia0, no ${dev}/kfd)` };
}
