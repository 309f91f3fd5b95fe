import { z } from "zod";

/**
 * One step of the snapshot dance; codegen turns each into a call in an `@modal.enter` method.
 * `prepare`: work that needs no GPU (CPU-only snapshots, whose snap=True phase has none).
 * `canary`: before the snapshot, record the lifecycle's canary; after restore, replay and
 * compare it (a mismatch restarts the engine cold).
 */
export const snapshotStepV1Schema = z.enum(["prepare", "start", "waitReady", "warmup", "canary", "sleep", "wake"]);

/**
 * What runs before the memory snapshot is taken (`@modal.enter(snap=True)`) and after
 * it is restored (`@modal.enter(snap=False)`).
 */
export const snapshotRecipeV1Schema = z.strictObject({
  beforeSnapshot: z.array(snapshotStepV1Schema).min(1),
  afterRestore: z.array(snapshotStepV1Schema),
  /** What `prepare` does: Python modules to import once so their files are read (no GPU needed). */
  prepare: z.strictObject({ imports: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.]*$/)).min(1) }).optional(),
  /** Environment the snapshot needs in the image, with why. */
  env: z.array(z.strictObject({ name: z.string(), value: z.string(), why: z.string() })),
});
export type SnapshotRecipeV1 = z.input<typeof snapshotRecipeV1Schema>;
export type SnapshotStepV1 = z.infer<typeof snapshotStepV1Schema>;
