import { z } from "zod";
import { gatewayConfigV1Schema } from "../gateway/v1/schema.ts";
import { deploymentConfigV1Schema } from "./v1/schema.ts";

/** JSON Schema of rouse.yaml (input side: defaults are optional), for editor autocompletion. */
export function deploymentJsonSchema(): Record<string, unknown> {
  return {
    $id: "https://rouse.dev/schema/rouse.v1.schema.json",
    title: "rouse deployment config (rouse.yaml), version 1",
    ...z.toJSONSchema(deploymentConfigV1Schema, { io: "input", target: "draft-2020-12", unrepresentable: "any" }),
  };
}

/** JSON Schema of the gateway config. */
export function gatewayJsonSchema(): Record<string, unknown> {
  return {
    $id: "https://rouse.dev/schema/gateway.v1.schema.json",
    title: "rouse gateway config, version 1",
    ...z.toJSONSchema(gatewayConfigV1Schema, { io: "input", target: "draft-2020-12", unrepresentable: "any" }),
  };
}
