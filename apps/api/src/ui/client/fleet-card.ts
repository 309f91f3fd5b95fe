/// <reference lib="dom" />
import type { FleetEntry } from "../fleet.ts";

// One upstream of the fleet view as a card. Every value goes in as text. Shipped as
// its own source text (see ../script.ts): one self-contained function.

/** `trail`: the states the page has seen this upstream in, oldest first. */
export function fleetCard(u: FleetEntry, trail: readonly string[]): HTMLElement {
  const el = <K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const seconds = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);
  const clock = (iso: string) => new Date(iso).toLocaleTimeString();
  const card = el("div", "upstream");
  card.dataset.upstream = u.name;
  card.dataset.trail = trail.join(" → ");
  const top = el("div", "top");
  const badge = el("span", "badge", u.state);
  badge.dataset.state = u.state;
  top.append(
    el("span", "name", u.name),
    badge,
    el("span", "kind", u.kind === "local" ? `local ${u.engine}` : "remote"),
  );
  const dl = el("dl");
  const row = (k: string, v: string, key: string) => {
    const dd = el("dd", "", v);
    dd.dataset.field = key;
    dl.append(el("dt", "", k), dd);
  };
  row("models", u.models.join(", "), "models");
  row("state", `${u.detail}${u.since ? ` · since ${clock(u.since)}` : ""}`, "detail");
  row("queue", u.queueDepth === null ? "—" : String(u.queueDepth), "queue");
  row("in flight", u.inFlight === null ? "—" : String(u.inFlight), "in-flight");
  row(
    "recent",
    u.recent.length === 0
      ? "none yet"
      : u.recent.map((e) => `${e.kind} ${seconds(e.ms)} (${clock(e.at)})`).join(", "),
    "recent",
  );
  if (u.containers)
    row(
      "containers",
      "error" in u.containers
        ? `Modal: ${u.containers.error}`
        : `${u.containers.running} running, ${u.containers.backlog} queued (Modal)`,
      "containers",
    );
  row("seen", card.dataset.trail, "trail");
  row("at", u.url, "url");
  card.append(top, dl);
  return card;
}
