// Why a vLLM process died, from its log, for the messages we know. The text
// comes from vLLM itself; the advice is rouse's.

interface KnownExit {
  readonly pattern: RegExp;
  readonly explain: string;
}

const KNOWN: readonly KnownExit[] = [
  {
    // vllm/config/model.py (ModelConfig.__post_init__), e.g. on the CPU build.
    pattern: /Sleep mode is not supported on current platform/,
    explain:
      "vLLM rejected --enable-sleep-mode: sleep mode needs a CUDA or ROCm GPU. " +
      "Locally set local.scaleToZero to 'stop'; on Modal use a GPU.",
  },
  {
    pattern: /CUDA out of memory|torch\.OutOfMemoryError/,
    explain:
      "the GPU ran out of memory: lower engine.gpuMemoryUtilization, model.maxModelLen or engine.maxNumSeqs",
  },
  {
    pattern:
      /No available memory for the cache blocks|larger than the maximum number of tokens that can be stored in KV cache/,
    explain: "the KV cache does not fit: lower model.maxModelLen, or raise engine.gpuMemoryUtilization",
  },
  {
    pattern: /unrecognized arguments: (.*)/,
    explain:
      "vLLM does not know an argument (see the log line); check engine.extraArgs against the pinned vLLM version",
  },
  {
    pattern: /(401 Client Error|GatedRepoError|Access to model .* is restricted)/,
    explain: "the model is gated: attach a Modal secret with HF_TOKEN as secrets.huggingface",
  },
];

/** A one-line explanation of a vLLM exit, or undefined when the log shows nothing we know. */
export function explainVllmExit(log: string): string | undefined {
  return KNOWN.find((k) => k.pattern.test(log))?.explain;
}
