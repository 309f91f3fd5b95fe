import { atom, call, dict, type Expr, entry, type Item, kw, list, lit } from "../../python/expr.ts";
import { pyIdentifier } from "../../python/literal.ts";
import type { PyPrinter } from "../../python/printer.ts";
import type { AppPlan } from "../plan.ts";
import { section, snapshotDownload } from "./shared.ts";

/** One link of the image's fluent chain: a call, with the reason it is there. */
interface Link {
  readonly call: Expr;
  readonly comment?: string;
  readonly trailing?: string;
}

/**
 * The image as one fluent chain, as the seeds write it (`modal.Image...().entrypoint([])
 * .uv_pip_install(...)`), each step with the reason it is there. The functions the chain
 * runs at build time are defined above it.
 */
export function emitImage(p: PyPrinter, plan: AppPlan): void {
  const { image } = plan;
  const base = image.base;
  section(
    p,
    "The container image",
    "Built once and cached by Modal; changing a step rebuilds from that step on.",
  );
  const links: Link[] = [];
  if (base.kind === "registry") {
    const args: Item[] = [{ value: lit(base.ref) }];
    if (base.addPython) args.push(kw("add_python", base.addPython));
    links.push({
      call: call("modal.Image.from_registry", ...args),
      comment: `Based on ${base.ref}; Modal provides the GPU driver.`,
    });
  } else {
    links.push({
      call: call("modal.Image.debian_slim", kw("python_version", base.python)),
      comment: `Modal's slim Debian with Python ${base.python}; Modal provides the CUDA driver.`,
    });
  }
  if (image.clearEntrypoint)
    links.push({ call: call("entrypoint", list([])), trailing: "silence the base image's entrypoint" });

  if (image.packages.length) {
    const pkgs: Item[] = image.packages.map((pkg) => ({ value: lit(pkg) }));
    links.push(
      image.extraIndexUrl
        ? {
            call: call("pip_install", ...pkgs, kw("extra_index_url", image.extraIndexUrl)),
            comment:
              "pip, not uv: pip looks for each package on every index, while uv stops at the first index that has the name, which would miss the extra index's builds.",
          }
        : {
            call: call("uv_pip_install", ...pkgs),
            comment: "Exact pins, so every build installs the same versions.",
          },
    );
  }

  if (image.env.length) {
    links.push({
      call: call(
        "env",
        dict(
          image.env.map((e) => entry(e.name, lit(e.value), e.why)),
          true,
        ),
      ),
      comment: "Environment for every process in the container (Modal requires string values).",
    });
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
    links.push({ call: call("run_function", atom("download_weights"), ...secretsArg) });
  }

  for (const step of image.buildSteps) {
    const fn = pyIdentifier(step.name);
    p.import("subprocess");
    p.definition({ header: `def ${fn}():`, comment: step.description }, () => {
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
    links.push({ call: call("run_function", ...args) });
  }

  p.blank(image.bakeWeights || image.buildSteps.length ? 2 : 0);
  p.code("image = (");
  p.at(1, () => {
    links.forEach((link, i) => {
      if (link.comment) p.comment(link.comment);
      p.stmt(i === 0 ? "" : ".", link.call, "", link.trailing);
    });
  });
  p.code(")");
}
