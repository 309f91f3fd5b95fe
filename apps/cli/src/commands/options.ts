import type { OptionSpec } from "./command.ts";

// Options several commands share, declared once so their help reads the same everywhere.

export const preset = {
  type: "string",
  value: "NAME",
  description: "a built-in preset instead of a file (see `rouse presets`)",
} as const satisfies OptionSpec;

export const app = {
  type: "string",
  value: "NAME",
  description: "the Modal app (default: the config's name, or the only recorded deployment)",
} as const satisfies OptionSpec;

export const env = { type: "string", value: "ENV", description: "Modal environment" } as const satisfies OptionSpec;

export const modalBin = {
  type: "string",
  value: "PATH",
  description: "the modal CLI (default: $ROUSE_MODAL_BIN, python/.venv/bin/modal, or modal on PATH)",
} as const satisfies OptionSpec;

export const modalTimeout = (defaultS: number, per = "per call to Modal") =>
  ({ type: "string", value: "SECONDS", description: `${per} (default ${defaultS})` }) as const satisfies OptionSpec;

export const json = (what: string) => ({ type: "boolean", description: what }) as const satisfies OptionSpec;

/** The options of every command that talks to a deployment over HTTP (see resolveUrl). */
export const target = {
  preset,
  app,
  url: {
    type: "string",
    value: "URL",
    description: "the server (default: $ROUSE_URL, else the URL `rouse deploy` recorded)",
  },
  "api-key": { type: "string", value: "KEY", description: "the API key" },
  "api-key-env": {
    type: "string",
    value: "VAR",
    description: "read the API key from $VAR (default: the config's secrets.apiKeyEnv, ROUSE_API_KEY)",
  },
} as const satisfies Record<string, OptionSpec>;
