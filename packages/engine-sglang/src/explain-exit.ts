// Why an SGLang process died, from its log, for the messages we know.

const KNOWN: ReadonlyArray<{ pattern: RegExp; explain: string }> = [
  {
    pattern: /torch-memory-saver is not installed|torch_memory_saver/,
    explain:
      "memory release needs the torch-memory-saver package: use the lmsysorg/sglang image or add it to engine.packages",
  },
  {
    pattern: /CUDA out of memory|torch\.OutOfMemoryError/,
    explain:
      "the GPU ran out of memory: set engine.gpuMemoryUtilization (→ --mem-fraction-static) lower, or lower engine.maxNumSeqs",
  },
  {
    pattern: /ambiguous option: (--\S+)/,
    explain:
      "SGLang found an argument ambiguous (see the log); spell flags in engine.extraArgs out in full for the pinned version",
  },
  {
    pattern: /unrecognized arguments: (.*)/,
    explain:
      "SGLang does not know an argument (see the log); check engine.extraArgs against the pinned SGLang version",
  },
];

export function explainSglangExit(log: string): string | undefined {
  return KNOWN.find((k) => k.pattern.test(log))?.explain;
}
