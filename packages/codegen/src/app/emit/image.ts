import { atom, call, dict, entry, type Item, kw, list, lit } from "../../python/expr.ts";
import { pyIdentifier } from "../../python/literal.ts";
import type { PyPrinter } from "../../python/printer.ts";
import type { AppPlan } from "../plan.ts";
import { section, snapshotDownload } from "./shared.ts";

/** The image, step by step, each with the reason it is there. */
export function emitImage(p: PyPrinter, plan: AppPlan): void {
  const { image } = plan;
  const base = image.base;
  section(
    p,
    "The container image",
    "Built once and cached by Modal; changing a step rebuilds from that step on.",
  );
  if (base.kind === "registry") {
    p.comment(`Based on ${base.ref}; Modal provides the GPU driver.`);
    const args: Item[] = [{ value: lit(base.ref) }];
    if (base.addPython) args.push(kw("add_python", base.addPython));
    p.stmt("image = ", call("modal.Image.from_registry", ...args));
  } else {
    p.comment(`Modal's slim Debian with Python ${base.python}; Modal provides the CUDA driver.`);
    p.stmt("image = ", call("modal.Image.debian_slim", kw("python_version", base.python)));
  }
  if (image.clearEntrypoint)
    p.stmt("image = ", call("image.entrypoint", list([])), "", "silence the base image's entrypoint");

  if (image.packages.length) {
    const pkgs: Item[] = image.packages.map((pkg) => ({ value: lit(pkg) }));
    if (image.extraIndexUrl) {
      p.comment("pip, not uv: pip looks for each package on every index, while uv stops at the");
      p.comment("first index that has the name, which would miss the extra index's builds.");
      p.stmt("image = ", call("image.pip_install", ...pkgs, kw("extra_index_url", image.extraIndexUrl)));
    } else {
      p.comment("Exact pins, so every build installs the same versions.");
      p.stmt("image = ", call("image.uv_pip_install", ...pkgs));
    }
  }

  if (image.env.length) {
    p.comment("Environment for every process in the container (Modal requires string values).");
    p.stmt(
      "image = ",
      call(
        "image.env",
        dict(
          image.env.map((e) => entry(e.name, lit(e.value), e.why)),
          true,
        ),
      ),
    );
  }

  const hf = plan.secrets.find((s) => s.variable === "hf_secret");
  const secretsArg = hf ? [kw("secrets", list([atom(hf.variable)]))] : [];
  if (image.bakeWeights) {
    p.definition({ header: "def download_weights():" }, () => {
      p.code('"""Bakes the weights into the image: containers start without downloading them."""');
      p.code("from huggingface_hub import snapshot_download", "");
      p.comment("Same Hugging Face cache settings as the engine, so it finds them offline.");
      p.stmt("", snapshotDownload(plan));
    });
    p.stmt("image = ", call("image.run_function", atom("download_weights"), ...secretsArg));
  }

  for (const step of image.buildSteps) {
    const fn = pyIdentifier(step.name);
    p.import("subprocess");
    p.definition({ header: `def ${fn}():`, comment: step.description }, () => {
      if (step.onlyIfEnv) {
        p.import("os");
        p.comment(`Skipped when ${step.onlyIfEnv} is off.`);
        const flag = call("os.environ.get", lit(step.onlyIfEnv), lit(""));
        p.blockStmt("if ", flag, '.lower() in ("", "0", "false"):', () => p.code("return"));
      }
      p.stmt(
        "",
        call(
          "subprocess.run",
          list(
            step.argv.map((a) => lit(a)),
            true,
          ),
          kw("check", atom("True")),
        ),
      );
    });
    const mounts = step.volumes.flatMap((role) => plan.volumes.filter((v) => v.role === role));
    const args: Item[] = [{ value: atom(fn) }];
    if (step.gpu) args.push(kw("gpu", atom("GPU")));
    if (mounts.length) args.push(kw("volumes", dict(mounts.map((v) => entry(v.path, atom(v.variable))))));
    args.push(...secretsArg);
    p.stmt("image = ", call("image.run_function", ...args));
  }
}
