import type { PyPrinter } from "../../python/printer.ts";
import type { AppPlan } from "../plan.ts";
import { sectionText } from "./shared.ts";
import { emitTemplate, template } from "./template.ts";

/** The smoke test (../templates/smoke.py): health check + one streamed chat, from `modal run` (local entrypoint) and `python app.py`. */
export function emitClient(p: PyPrinter, plan: AppPlan): void {
  p.blank(2);
  p.comment(
    sectionText(
      "Smoke test",
      "`modal run app.py` starts a temporary replica and runs `test` on your machine; `python app.py` checks the deployed app. Standard library only, so it runs wherever modal does.",
    ),
  );
  emitTemplate(p, template("smoke.py"), {
    conditions: { "api-key": plan.apiKey !== undefined, "proxy-auth": plan.proxyAuth },
  });
  p.blank(2);

  const { local, deployed } = urls(plan);
  p.definition(
    { header: "def test(timeout: int = STARTUP_TIMEOUT):", decorators: ["@app.local_entrypoint()"] },
    () => p.code(`smoke_test(${local}, timeout)`),
  );
  p.blank(2);
  p.block('if __name__ == "__main__":', () => {
    p.comment("After `modal deploy app.py`, the app can be looked up by name from anywhere.");
    p.block("try:", () => p.code(`url = ${deployed}`));
    p.block("except modal.exception.NotFoundError as e:", () => {
      p.code('hint = f"{APP_NAME} is not deployed: run `modal deploy {__file__}` first"');
      p.code("raise SystemExit(hint) from e");
    });
    p.code("smoke_test(url)");
  });
}

/** Where the URL comes from, inside `modal run` and for a deployed app (fixed names only). */
function urls(plan: AppPlan): { local: string; deployed: string } {
  const cls = plan.className;
  if (plan.style === "server") {
    return { local: `${cls}.get_url()`, deployed: `modal.Server.from_name(APP_NAME, "${cls}").get_url()` };
  }
  if (plan.snapshot.enabled) {
    return {
      local: `${cls}().serve.get_web_url()`,
      deployed: `modal.Cls.from_name(APP_NAME, "${cls}")().serve.get_web_url()`,
    };
  }
  return {
    local: "serve.get_web_url()",
    deployed: 'modal.Function.from_name(APP_NAME, "serve").get_web_url()',
  };
}
