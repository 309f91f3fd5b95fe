// Rewrites the CLI reference table in README.md and apps/cli/README.md from the
// command declarations, so the READMEs cannot drift from `rouse --help`
// (src/ui/reference.test.ts fails when they do). Run: pnpm --filter @rouse/cli docs:readme
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { commands } from "../src/commands/index.ts";
import { writeFileAtomic } from "../src/fs-atomic.ts";
import { referenceFiles, withReference } from "../src/ui/reference.ts";

for (const url of referenceFiles) {
  const path = fileURLToPath(url);
  const before = await readFile(path, "utf8");
  const after = withReference(before, commands);
  if (after !== before) await writeFileAtomic(path, after);
  console.log(`${after === before ? "unchanged" : "rewrote"} ${path}`);
}
