import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { createServer } from "node:net";

// Is the engine's port free, and who listens on it? Before a spawn the port is
// bind-probed (a listener already there would otherwise answer the readiness
// probe for an engine that never bound it); after readiness the listener is
// checked to be the process group we spawned.

/** Binds `host:port` for a moment: undefined when free, else the error code (EADDRINUSE, EACCES). */
export async function bindProbe(host: string, port: number): Promise<string | undefined> {
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host, port, exclusive: true }, resolve);
    });
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error);
  }
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return undefined;
}

/** A process listening on a TCP port, as far as /proc shows it (same user, or root). */
export interface PortListener {
  readonly pid: number;
  /** Its process group (the engine leads its own). */
  readonly pgid: number;
  readonly command: string;
}

/**
 * The processes listening on TCP `port` (any address), found through
 * /proc/net/tcp{,6} socket inodes and /proc/<pid>/fd. Linux only: elsewhere, or
 * when the owner is another user's process, the list is empty.
 */
export function listenersOn(port: number, procRoot = "/proc"): PortListener[] {
  const inodes = new Set<string>();
  for (const table of ["net/tcp", "net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(`${procRoot}/${table}`, "utf8");
    } catch {
      continue;
    }
    for (const row of text.split("\n").slice(1)) {
      const cols = row.trim().split(/\s+/);
      // local_address is HEX_IP:HEX_PORT; st 0A = LISTEN; inode is column 10.
      if (cols.length < 10 || cols[3] !== "0A") continue;
      if (Number.parseInt(cols[1]!.split(":")[1]!, 16) === port) inodes.add(cols[9]!);
    }
  }
  if (inodes.size === 0) return [];
  const found: PortListener[] = [];
  let pids: string[];
  try {
    pids = readdirSync(procRoot).filter((d) => /^\d+$/.test(d));
  } catch {
    return [];
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`${procRoot}/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to read
    }
    const owns = fds.some((fd) => {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`${procRoot}/${pid}/fd/${fd}`));
        return m !== null && inodes.has(m[1]!);
      } catch {
        return false;
      }
    });
    if (owns) found.push(describe(Number(pid), procRoot));
  }
  return found;
}

function describe(pid: number, procRoot: string): PortListener {
  let pgid = -1;
  let command = "?";
  try {
    // stat: "pid (comm) state ppid pgrp …"; comm may hold spaces and parentheses.
    const stat = readFileSync(`${procRoot}/${pid}/stat`, "utf8");
    pgid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
  } catch {}
  try {
    command = readFileSync(`${procRoot}/${pid}/cmdline`, "utf8")
      .split("\0")
      .filter(Boolean)
      .join(" ")
      .slice(0, 200);
  } catch {}
  return { pid, pgid, command };
}

/** "pid 123 (python3 -m http.server 8001)" for messages. */
export function describeListeners(listeners: readonly PortListener[]): string {
  return listeners.map((l) => `pid ${l.pid} (${l.command})`).join(", ");
}
