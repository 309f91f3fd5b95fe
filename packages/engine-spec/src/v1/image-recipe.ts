import { z } from "zod";

/** A step run while the image builds, e.g. SGLang's DeepGEMM precompile (seed 004). */
export const buildStepV1Schema = z.strictObject({
  /** Python identifier for the emitted function. */
  name: z.string().regex(/^[a-z_][a-z0-9_]*$/),
  description: z.string(),
  /** The command to run, as argv. */
  argv: z.array(z.string()).min(1),
  /** Run only when this environment variable is truthy (absent: always). */
  onlyIfEnv: z.string().optional(),
  /** The step needs the deployment's GPU. */
  gpu: z.boolean(),
  /** Cache roles mounted during the step. */
  volumes: z.array(z.enum(["weights", "compile", "deepgemm"])),
});

/** A cache the engine writes, mounted from a Modal Volume at `path`. */
export const cacheMountV1Schema = z.strictObject({
  role: z.enum(["weights", "compile", "deepgemm"]),
  path: z.string().regex(/^\/[A-Za-z0-9._/-]+$/),
  description: z.string(),
});

/** The container image the engine runs in. */
export const imageRecipeV1Schema = z.strictObject({
  base: z.discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("registry"), ref: z.string(), addPython: z.string().optional() }),
    z.strictObject({ kind: z.literal("debian_slim"), python: z.string() }),
  ]),
  /** Clear the base image's entrypoint (chatty registry images). */
  clearEntrypoint: z.boolean(),
  /** Pinned pip requirements. */
  packages: z.array(z.string()),
  extraIndexUrl: z.string().optional(),
  /** Environment baked into the image, with why each is set. */
  env: z.array(z.strictObject({ name: z.string(), value: z.string(), why: z.string() })),
  buildSteps: z.array(buildStepV1Schema),
  caches: z.array(cacheMountV1Schema),
});
export type ImageRecipeV1 = z.input<typeof imageRecipeV1Schema>;
export type BuildStepV1 = z.infer<typeof buildStepV1Schema>;
export type CacheMountV1 = z.infer<typeof cacheMountV1Schema>;
