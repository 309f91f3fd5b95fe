import { z } from "zod";

/** One step of the snapshot dance; codegen turns each into a call in an `@modal.enter` method. */
export const snapshotStepV1Schema = z.enum(["start", "waitReady", "warmup", "sleep", "wake"]);

/**
 * What runs before the memory snapshot is taken (`@modal.enter(snap=True)`) and after
 * it is restored (`@modal.enter(snap=False)`).
 */
export const snapshotRecipeV1Schema = z.strictObject({
  beforeSnapshot: z.array(snapshotStepV1Schema).min(1),
  afterRestore: z.array(snapshotStepV1Schema),
  /** Environment the snapshot needs in the image, with why. */
  env: z.array(z.strictObject({ name: z.string(), value: z.string(), why: z.string() })),
});
export type SnapshotRecipeV1 = z.input<typeof snapshotRecipeV1Schema>;
export type SnapshotStepV1 = z.infer<typeof snapshotStepV1Schema>;
