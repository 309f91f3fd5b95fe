import { describe, expect, it } from "vitest";
import { classifyExit } from "./exit-class.ts";

const exit1 = { code: 1, signal: null };
const here = { gpu: false, fixedPort: true };

describe("classifyExit", () => {
  it.each([
    ["argparse", "vllm serve: error: unrecognized arguments: --nope", "config"],
    ["hub id", "huggingface_hub.errors.HFValidationError: Repo id must be in the form 'x'", "config"],
    ["no sleep mode", "ValueError: Sleep mode is not supported on current platform.", "platform"],
    ["no GPU", "RuntimeError: No CUDA GPUs are available", "platform"],
    [
      "KV cache",
      "ValueError: The model's max seq len (4096) is larger than the maximum number of tokens that can be stored in KV cache (2048)",
      "config",
    ],
    ["OOM (other engines may hold the GPU now)", "torch.OutOfMemoryError: CUDA out of memory", "transient"],
    [
      "cache blocks (depends on free memory now)",
      "ValueError: No available memory for the cache blocks",
      "transient",
    ],
    ["a plain crash", "Segmentation fault", "transient"],
  ])("%s", (_, log, kind) => {
    expect(classifyExit(exit1, `INFO loading\n${log}\n`, here).kind).toBe(kind);
  });

  it("a port collision is permanent on a fixed port only; a ZMQ socket collision never", () => {
    const log = "OSError: [Errno 98] Address already in use";
    expect(classifyExit(exit1, log, here).kind).toBe("config");
    expect(classifyExit(exit1, log, { ...here, fixedPort: false }).kind).toBe("transient");
    const zmq = "zmq.error.ZMQError: Address already in use (addr='tcp://127.0.0.1:5555')";
    expect(classifyExit(exit1, zmq, here).kind).toBe("transient");
  });

  it("the fix offered depends on the machine: no suspend, no GPU fixes without a GPU", () => {
    const log = "Sleep mode is not supported on current platform";
    expect(classifyExit(exit1, log, here).fix).toBe(
      "this machine has no GPU, so the engine cannot sleep: set local.scaleToZero: stop",
    );
    expect(classifyExit(exit1, log, { ...here, gpu: true }).fix).toMatch(/CPU build/);
  });

  it("an executable that never ran is a config error", () => {
    const spawnError = Object.assign(new Error("spawn x ENOENT"), { code: "ENOENT" });
    expect(classifyExit({ code: null, signal: null, spawnError }, "", here).kind).toBe("config");
  });
});
