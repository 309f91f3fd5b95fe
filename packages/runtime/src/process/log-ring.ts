export interface LogLine {
  /** Wall-clock time, ISO 8601. */
  readonly at: string;
  readonly stream: "stdout" | "stderr" | "supervisor";
  readonly line: string;
  /** Which engine run printed it (1 = the first spawn); 0 before any. */
  readonly run: number;
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
  #run = 0;
  readonly #partial = { stdout: "", stderr: "" };
  readonly #maxLineChars: number;
  readonly #wall: () => number;

  constructor(capacity = 500, options: { maxLineChars?: number; wallClock?: () => number } = {}) {
    this.capacity = capacity;
    this.#lines = new Array<LogLine | undefined>(capacity);
    this.#maxLineChars = options.maxLineChars ?? 2_000;
    this.#wall = options.wallClock ?? Date.now;
  }

  /** The run new lines belong to. */
  get run(): number {
    return this.#run;
  }

  /**
   * A new engine process starts: later lines belong to it. Partial lines of the
   * previous one are flushed first, so nothing it printed is credited to the new run.
   */
  beginRun(): number {
    this.flush();
    this.#run++;
    return this.#run;
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
    this.#lines[this.#next] = {
      at: new Date(this.#wall()).toISOString(),
      stream,
      line: cut,
      run: this.#run,
    };
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

  /** The last `n` lines (default all), oldest first; with `run`, only that run's lines. */
  tail(n = this.capacity, options: { run?: number } = {}): LogLine[] {
    const out: LogLine[] = [];
    // Newest first, so a run filter stops as soon as it has n lines.
    for (let i = this.#size - 1; i >= 0 && out.length < n; i--) {
      const line = this.#lines[(this.#next - this.#size + i + this.capacity) % this.capacity]!;
      if (options.run === undefined || line.run === options.run) out.push(line);
    }
    return out.reverse();
  }

  /** The last `n` lines as text, one per line (with `run`: only that run's). */
  text(n = this.capacity, options: { run?: number } = {}): string {
    return this.tail(n, options)
      .map((l) => l.line)
      .join("\n");
  }
}
