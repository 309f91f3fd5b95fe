import { z } from "zod";
import { gatewayConfigV1Schema } from "../gateway/v1/schema.ts";
import { deploymentConfigV1Schema } from "./v1/schema.ts";

/** JSON Schema of thaw.yaml (input side: defaults are optional), for editor autocompletion. */
export function deploymentJsonSchema(): Record<string, unknown> {
  return {
    $id: "https://thaw.dev/schema/thaw.v1.schema.json",
    title: "thaw deployment config (thaw.yaml), version 1",
    ...z.toJSONSchema(deploymentConfigV1Schema, { io: "input", target: "draft-2020-12", unrepresentable: "any" }),
  };
}

/** JSON Schema of the gateway config. */
export function gatewayJsonSchema(): Record<string, unknown> {
  return {
    $id: "https://thaw.dev/schema/gateway.v1.schema.json",
    title: "thaw gateway config, version 1",
    ...z.toJSONSchema(gatewayConfigV1Schema, { io: "input", target: "draft-2020-12", unrepresentable: "any" }),
  };
}
