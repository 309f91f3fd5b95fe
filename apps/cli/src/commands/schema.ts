import { deploymentJsonSchema, gatewayJsonSchema } from "@rouse/config";
import { EXIT, writeJson } from "../ui/output.ts";
import { defineCommand } from "./command.ts";

export const schemaCommand = defineCommand({
  name: "schema",
  summary: "print the JSON Schema of rouse.yaml (for editor autocompletion)",
  description: `Prints the JSON Schema (draft 2020-12) of rouse.yaml, version 1. Point your editor
at it, e.g. with a first line '# yaml-language-server: $schema=./rouse.schema.json':
  rouse schema > rouse.schema.json`,
  options: {
    gateway: { type: "boolean", description: "the schema of the rouse server's gateway config instead" },
  },
  async run({ values }, io) {
    writeJson(io, values.gateway ? gatewayJsonSchema() : deploymentJsonSchema());
    return EXIT.ok;
  },
});
