import { z } from "zod";

/** A setting the plugin could not honour: reported, never a crash. */
export const pluginWarningV1Schema = z.strictObject({
  code: z.string(),
  /** Config path of the setting, e.g. `model.reasoningParser`. */
  field: z.string(),
  message: z.string(),
});
export type PluginWarningV1 = z.infer<typeof pluginWarningV1Schema>;
