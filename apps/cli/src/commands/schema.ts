import { deploymentJsonSchema, gatewayJsonSchema } from "@rouse/config";
import { parse } from "../ui/args.ts";
import { EXIT, writeJson } from "../ui/output.ts";
import type { Command } from "./command.ts";

export const schemaCommand: Command = {
  name: "schema",
  summary: "print the JSON Schema of rouse.yaml (for editor autocompletion)",
  help: `Usage: rouse schema [--gateway] > rouse.schema.json

Prints the JSON Schema (draft 2020-12) of rouse.yaml, version 1. Point your editor
at it, e.g. with a first line '# yaml-language-server: $schema=./rouse.schema.json'.

Options:
  --gateway  the schema of the rouse server's gateway config instead`,
  async run(args, io) {
    const { values } = parse(args, { gateway: { type: "boolean" } }, false);
    writeJson(io, values.gateway ? gatewayJsonSchema() : deploymentJsonSchema());
    return EXIT.ok;
  },
};
