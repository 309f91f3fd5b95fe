// Reads what `modal deploy` (1.6.4) prints. The lines come from
// modal/_output/status.py (FunctionCreationStatus) and modal/runner.py (deploy_app):
//
//   ✓ Created objects.
//   ├── ✓ Created mount /root/app.py
//   └── ✓ Created Function Model.*.
//       └── serve -> https://ws--app-model-serve.modal.run (unauthenticated)
//   ✓ App deployed in 41.337s! 🎉
//
//   View Deployment: https://modal.com/apps/ws/main/deployed/app
//
// A web function prints its URL alone on the line under "Created Function NAME";
// an `@app.server` under "Created Server NAME". Rich wraps at 80 columns off a TTY, so
// rouse runs the CLI with a wide COLUMNS; the parser still joins a URL that was split.

export interface WebUrl {
  /** The method (`serve`) or object (`Model`) the URL belongs to. */
  readonly label: string | undefined;
  readonly url: string;
  readonly authenticated: boolean;
}

export interface DeployOutput {
  readonly deployed: boolean;
  /** "Deployment skipped: no changes detected!" */
  readonly unchanged: boolean;
  readonly seconds: number | undefined;
  readonly webUrls: readonly WebUrl[];
  readonly dashboardUrl: string | undefined;
}

const URL_RE = /https:\/\/[^\s)\]'"]+/;
const strip = (line: string) => line.replace(/\x1b\[[0-9;]*[A-Za-z]|\x1b\]8;[^\x1b]*\x1b\\/g, "");

/** Undoes rich's wrapping where it split what rouse reads: `label ->` / `View Deployment:` and a URL, or a URL itself. */
function unwrap(lines: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.trimEnd();
    const joinNext = () => {
      line = `${line}${/[:>]$/.test(line) ? " " : ""}${lines[++i]!.trim()}`;
    };
    while (i + 1 < lines.length && /(->|View Deployment:)$/.test(line) && lines[i + 1]!.trim()) joinNext();
    // A URL cut at the line's end continues as the next line's first word.
    for (;;) {
      const next = lines[i + 1]?.trim() ?? "";
      const word = next.split(/\s/)[0] ?? "";
      const tail = /https:\/\/\S+$/.exec(line)?.[0];
      if (!tail || !word || !/^[A-Za-z0-9._~/%?#=&+-]+$/.test(word)) break;
      const webCut = !/\.modal\.run$/.test(tail) && /\.modal\.run$/.test(word);
      const dashCut = /^View Deployment:/.test(line) && lines[i]!.length >= 60 && word === next;
      if (!webCut && !dashCut) break;
      line += next;
      i++;
    }
    out.push(line);
  }
  return out;
}

export function parseDeployOutput(text: string): DeployOutput {
  const lines = unwrap(text.split(/\r?\n/).map(strip));
  const webUrls: WebUrl[] = [];
  let dashboardUrl: string | undefined;
  let seconds: number | undefined;
  let deployed = false;
  let unchanged = false;
  let created: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const done = /App deployed in ([\d.]+)s/.exec(line);
    if (done) {
      deployed = true;
      seconds = Number(done[1]);
      continue;
    }
    if (/Deployment skipped: no changes detected/.test(line)) {
      deployed = true;
      unchanged = true;
      continue;
    }
    const dash = /View Deployment:\s*(https:\/\/\S+)/.exec(line);
    if (dash) {
      dashboardUrl = dash[1];
      continue;
    }
    const createdRow = /Created (?:Function|Server|web function) ([^\s.]+(?:\.\*)?)/.exec(line);
    if (createdRow) created = createdRow[1]!.replace(/\.\*$/, "");
    const match = URL_RE.exec(line);
    if (!match || /Custom domain:/.test(line) || /modal\.com\/apps\//.test(match[0])) continue;
    const url = match[0].replace(/[.,]$/, "");
    const labelled = /([\w-]+) -> https:/.exec(line);
    const rest = line.slice(line.indexOf(match[0]) + match[0].length);
    webUrls.push({
      label: labelled?.[1] ?? created,
      url,
      authenticated: /🔑/.test(rest) && !/unauthenticated/.test(rest),
    });
  }
  return { deployed, unchanged, seconds, webUrls, dashboardUrl };
}
