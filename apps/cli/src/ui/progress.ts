import type { Io } from "./output.ts";
import { styles } from "./output.ts";

/** A live status line on stderr: drawn only when stderr is a TTY; silent otherwise. */
export interface Progress {
  /** Replace the status text (the spinner and elapsed time are added). */
  update(text: string): void;
  /** Print a whole line above the status line (on TTY) or as is (otherwise, when `always`). */
  log(line: string, always?: boolean): void;
  /** Remove the status line; print `final` (if any) in its place. */
  stop(final?: string): void;
  /** Whether the line is drawn (stderr is a TTY). */
  readonly live: boolean;
}

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export function formatElapsed(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.floor(s % 60)).padStart(2, "0")}s`;
}

export function progress(io: Io, initial = "", options: { intervalMs?: number } = {}): Progress {
  const live = Boolean(io.stderr.isTTY) && io.env.TERM !== "dumb";
  const s = styles(io);
  const start = performance.now();
  let text = initial;
  let frame = 0;
  let stopped = false;
  const columns = () => (io.stderr as { columns?: number }).columns || 100;
  const draw = () => {
    if (!live || stopped) return;
    const elapsed = formatElapsed(performance.now() - start);
    const line = `${s.cyan(FRAMES[frame++ % FRAMES.length]!)} ${text} ${s.dim(elapsed)}`;
    // Keep it to one row so \r can redraw it; cut the (uncoloured) text, not the escapes.
    const room = Math.max(10, columns() - elapsed.length - 4);
    const shown = text.length > room ? `${text.slice(0, room - 1)}…` : text;
    io.stderr.write(`\r\x1b[2K${line.replace(text, shown)}`);
  };
  const clear = () => {
    if (live) io.stderr.write("\r\x1b[2K");
  };
  const timer = live ? setInterval(draw, options.intervalMs ?? 100) : undefined;
  timer?.unref();
  draw();
  return {
    live,
    update(next) {
      text = next;
      draw();
    },
    log(line, always = false) {
      if (stopped) {
        if (always || live) io.stderr.write(`${line}\n`);
        return;
      }
      if (live) {
        clear();
        io.stderr.write(`${line}\n`);
        draw();
      } else if (always) {
        io.stderr.write(`${line}\n`);
      }
    },
    stop(final) {
      if (stopped) return;
      stopped = true;
      if (timer) clearInterval(timer);
      clear();
      if (final !== undefined) io.stderr.write(`${final}\n`);
    },
  };
}
