import type { PyPrinter } from "../../python/printer.ts";
import type { AppPlan } from "../plan.ts";
import { section } from "./shared.ts";
import { emitTemplate, template } from "./template.ts";

/** The boot report (../templates/boot.py): phase timestamps, restored-or-cold, one log line. */
export function emitBoot(p: PyPrinter, plan: AppPlan): void {
  section(
    p,
    "Boot report",
    plan.snapshot.enabled
      ? "When each phase happened (unix time), so `rouse bench coldstart` can show where a cold start went. In a container restored from a snapshot, the phases up to sleep_done are the snapshotted boot's; restore is when the snap=False enter method began."
      : "When each phase happened (unix time), so `rouse bench coldstart` can show where a cold start went.",
  );
  emitTemplate(p, template("boot.py"), { conditions: { "guard-in-process": plan.guard === "in-process" } });
  p.blank(2);
}
