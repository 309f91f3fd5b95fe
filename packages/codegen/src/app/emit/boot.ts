import type { PyPrinter } from "../../python/printer.ts";
import type { AppPlan } from "../plan.ts";
import { section } from "./shared.ts";

/** The boot report: phase timestamps, restored-or-cold, one log line, served at /rouse/boot. */
export function emitBoot(p: PyPrinter, plan: AppPlan): void {
  p.import("json").import("time");
  section(
    p,
    "Boot report",
    plan.snapshot.enabled
      ? "When each phase happened (unix time), so `rouse bench coldstart` can show where a cold start went. In a container restored from a snapshot, the phases up to sleep_done are the snapshotted boot's; restore is when the snap=False enter method began."
      : "When each phase happened (unix time), so `rouse bench coldstart` can show where a cold start went.",
  );
  p.code('BOOT = {"app": APP_NAME, "restored": False, "phases": {"process_start": time.time()}}');
  p.definition({ header: "def boot_mark(phase: str) -> None:" }, () =>
    p.code('BOOT["phases"][phase] = time.time()'),
  );
  p.definition({ header: "def report_boot() -> None:" }, () => {
    p.code('"""One log line per container; the guard also serves it at /rouse/boot."""');
    p.code('print("ROUSE_BOOT_REPORT", json.dumps(BOOT), flush=True)');
  });
}
