export interface LogLine {
  /** Wall-clock time, ISO 8601. */
  readonly at: string;
  readonly stream: "stdout" | "stderr" | "supervisor";
  readonly line: string;
}

/**
 * The last `capacity` lines an engine printed (stdout and stderr interleaved as
 * they arrived), for `/api/v1/engines/<name>/logs` and crash reports. Partial
 * lines are held per stream until their newline arrives.
 */
export class LogRing {
  readonly capacity: number;
  readonly #lines: (LogLine | undefined)[];
  #next = 0;
  #size = 0;
  readonly #partial = { stdout: "", stderr: "" };
  readonly #maxLineChars: number;
  readonly #wall: () => number;

  constructor(capacity = 500, options: { maxLineChars?: number; wallClock?: () => number } = {}) {
    this.capacity = capacity;
    this.#lines = new Array<LogLine | undefined>(capacity);
    this.#maxLineChars = options.maxLineChars ?? 2_000;
    this.#wall = options.wallClock ?? Date.now;
  }

  /** Feeds a chunk of process output; complete lines are stored. */
  write(stream: "stdout" | "stderr", chunk: string): void {
    const text = this.#partial[stream] + chunk;
    const parts = text.split(/\r?\n/);
    this.#partial[stream] = parts.pop() ?? "";
    // A line that never ends (progress bars) is cut rather than held forever.
    if (this.#partial[stream].length > this.#maxLineChars) {
      parts.push(this.#partial[stream]);
      this.#partial[stream] = "";
    }
    for (const line of parts) this.push(stream, line);
  }

  /** Stores one line as is (the supervisor's own notes use this). */
  push(stream: LogLine["stream"], line: string): void {
    const cut = line.length > this.#maxLineChars ? `${line.slice(0, this.#maxLineChars)}…` : line;
    this.#lines[this.#next] = { at: new Date(this.#wall()).toISOString(), stream, line: cut };
    this.#next = (this.#next + 1) % this.capacity;
    this.#size = Math.min(this.#size + 1, this.capacity);
  }

  /** Moves partial lines into the buffer (the process exited). */
  flush(): void {
    for (const stream of ["stdout", "stderr"] as const) {
      if (this.#partial[stream] !== "") this.push(stream, this.#partial[stream]);
      this.#partial[stream] = "";
    }
  }

  /** The last `n` lines (default all), oldest first. */
  tail(n = this.capacity): LogLine[] {
    const count = Math.min(n, this.#size);
    const out: LogLine[] = [];
    for (let i = this.#size - count; i < this.#size; i++) {
      const index = (this.#next - this.#size + i + this.capacity) % this.capacity;
      out.push(this.#lines[index]!);
    }
    return out;
  }

  /** The last `n` lines as text, one per line. */
  text(n = this.capacity): string {
    return this.tail(n)
      .map((l) => l.line)
      .join("\n");
  }
}
