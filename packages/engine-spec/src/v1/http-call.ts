import { z } from "zod";

/** One HTTP call to the engine on its own port, described as data so codegen can emit it. */
export const httpCallV1Schema = z.strictObject({
  method: z.enum(["GET", "POST"]),
  /** Path on the engine, starting with one `/` (`//host/x` is a URL to another host). */
  path: z.string().regex(/^\/(?!\/)[A-Za-z0-9._~/-]*$/),
  query: z.record(z.string(), z.string()).optional(),
  /** JSON body for POST. */
  json: z.unknown().optional(),
  /** Statuses that count as success. */
  okStatus: z.array(z.number().int()).min(1).default([200]),
  timeoutSeconds: z.number().positive().default(30),
});
export type HttpCallV1 = z.input<typeof httpCallV1Schema>;
