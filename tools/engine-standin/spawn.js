// Starts the STAND-IN ENGINE (standin.ts) as a real child process for tests:
// a free port, captured output, and a stop() that always reaps the process.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
export const STANDIN_PATH = fileURLToPath(new URL("./standin.ts", import.meta.url));
/** The argv prefix that runs the stand-in: use it as a plugin's `executable` (add `--engine`). */
export function standinExecutable(engine) {
    return [process.execPath, STANDIN_PATH, "--engine", engine];
}
/** A port nothing listens on right now (the stand-in binds it a moment later). */
export async function freePort() {
    const server = createServer();
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address();
    await new Promise((resolve) => server.close(() => resolve()));
    return port;
}
/**
 * Spawns `argv` (default: the stand-in with `--engine` and `args`), adding `--port`
 * and `--host 127.0.0.1` unless `argv` is given whole.
 */
export async function spawnStandin(options) {
    const port = options.port ?? (await freePort());
    const argv = options.argv ?? [
        ...standinExecutable(options.engine),
        "--host",
        "127.0.0.1",
        "--port",
        String(port),
        ...(options.args ?? []),
    ];
    const child = spawn(argv[0], argv.slice(1), {
        env: { ...process.env, ...options.env },
        stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => {
        output += d.toString();
    });
    child.stderr.on("data", (d) => {
        output += d.toString();
    });
    const exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
    return {
        child,
        port,
        baseUrl: `http://127.0.0.1:${port}`,
        output: () => output,
        exited,
        async stop() {
            if (child.exitCode === null && child.signalCode === null)
                child.kill("SIGTERM");
            const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
            await exited;
            clearTimeout(timer);
        },
    };
}
//# sourceMappingURL=spawn.js.map