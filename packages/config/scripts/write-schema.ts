// Writes the committed JSON Schema files; the drift test fails until this is run after a schema change.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { deploymentJsonSchema, gatewayJsonSchema } from "../src/index.ts";

const dir = join(import.meta.dirname, "../schema");
writeFileSync(join(dir, "rouse.schema.json"), `${JSON.stringify(deploymentJsonSchema(), null, 2)}\n`);
writeFileSync(join(dir, "gateway.schema.json"), `${JSON.stringify(gatewayJsonSchema(), null, 2)}\n`);
console.log(`wrote ${dir}/rouse.schema.json and gateway.schema.json`);
