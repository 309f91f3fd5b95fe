import { describe, expect, it } from "vitest";
import { checkExtraArgs, type EngineOptionTable, optionTableFor, resolveExtraArgs } from "./extra-args.ts";
import { compareVersions } from "./version.ts";

// argparse's rules on a small synthetic table; the engines' real parsers are compared in
// packages/engine-*/src/real-parser.test.ts.

const table = (parser: Partial<EngineOptionTable["parser"]> = {}): EngineOptionTable => ({
  engine: "demo",
  version: "1.0",
  parser: { allowAbbrev: true, underscoresAsDashes: false, dottedJsonKeys: false, optimizationLevelShorthand: false, ...parser },
  options: {
    "--host": ["host", 1],
    "--hosts-file": ["hosts_file", 1],
    "--port": ["port", 1],
    "--verbose": ["verbose", 0],
    "--no-verbose": ["verbose", 0],
    "--names": ["names", "+"],
    "--json-cfg": ["json_cfg", 1],
    "--optimization-level": ["optimization_level", 1],
    "-v": ["verbose", 0],
    "-q": ["quantization", 1],
    "-tp": ["tp", 1],
    "-h": ["help", 0],
    "--help": ["help", 0],
  },
  values: {},
});
const dests = (t: EngineOptionTable, args: string[]) => resolveExtraArgs(t, args).map((r) => (r.kind === "option" ? r.dest : r.kind));

describe("resolveExtraArgs", () => {
  it("follows argparse: exact, =, unique prefixes, ambiguity, single-dash prefixes, -xVALUE, grouping", () => {
    const t = table();
    expect(dests(t, ["--por", "1"])).toEqual(["port", "value"]);
    expect(dests(t, ["--hosts=x"])).toEqual(["hosts_file"]);
    expect(dests(t, ["--hos", "x"])).toEqual(["error", "error"]); // --host and --hosts-file: ambiguous
    expect(dests(t, ["--host", "x"])).toEqual(["host", "value"]); // exact wins over prefixes
    expect(dests(t, ["-t", "2"])).toEqual(["tp", "value"]);
    expect(dests(t, ["-qfp8"])).toEqual(["quantization"]);
    expect(dests(t, ["-vq", "x"])).toEqual(["verbose", "quantization", "value"]);
    expect(dests(t, ["--names", "a", "b"])).toEqual(["names", "value", "value"]);
    expect(dests(t, ["--verbose=1"])).toEqual(["verbose", "error"]);
    expect(dests(t, ["-1"])).toEqual(["error"]); // a negative number is a value; no flag takes it here
  });

  it("without allow_abbrev, long prefixes are unknown flags", () => {
    expect(resolveExtraArgs(table({ allowAbbrev: false }), ["--por", "1"])[0]).toMatchObject({ kind: "error" });
  });

  it("vLLM rewriting: _ for -, -O3, dotted JSON keys whose base is prefix-matched", () => {
    const t = table({ underscoresAsDashes: true, dottedJsonKeys: true, optimizationLevelShorthand: true });
    expect(dests(t, ["--json_cfg", "{}"])).toEqual(["json_cfg", "value"]);
    expect(dests(t, ["-O3"])).toEqual(["optimization_level"]);
    expect(dests(t, ["-O", "2"])).toEqual(["optimization_level", "value"]);
    expect(dests(t, ["--json-cfg.a.b", "1"])).toEqual(["json_cfg", "value"]);
    expect(new Set(dests(t, ["--ho.x=1"]))).toEqual(new Set(["error"])); // --ho: ambiguous between --host, --hosts-file
    expect(dests(t, ["--po.x=1"])).toEqual(["port"]);
    expect(resolveExtraArgs(t, ["--json-cfg.a"])[0]).toMatchObject({ kind: "error" });
  });

  it("checkExtraArgs: owned dests refused in any spelling, abbreviations warned, one element with flag and value refused", () => {
    const owned = { host: "serving.port", port: "serving.port", help: "nothing" };
    const codes = (args: string[]) => checkExtraArgs(table(), args, owned).map((i) => `${i.severity}:${i.code}:${i.index}`);
    expect(codes(["--por=1"])).toEqual(["error:owned_flag:0"]);
    expect(codes(["-vh"])).toEqual(["error:owned_flag:0"]);
    expect(codes(["--verb"])).toEqual(["warning:extra_arg_abbreviation:0"]);
    expect(codes(["--port 1"])[0]).toBe("error:extra_arg:0");
    expect(codes(["--port 1"])).toContain("error:owned_flag:0");
    expect(codes(["--unknown"])).toEqual(["error:extra_arg:0"]);
    expect(checkExtraArgs(table(), ["--unknown"], owned, { strictUnknown: false })[0]!.severity).toBe("warning");
  });

  it("optionTableFor picks the exact version, else the nearest older one", () => {
    const tables = ["0.9.1", "0.13.0", "0.33.0"].map((version) => ({ ...table(), version }));
    expect(optionTableFor(tables, "0.13.0", compareVersions)).toMatchObject({ exact: true, table: { version: "0.13.0" } });
    expect(optionTableFor(tables, "0.20.0", compareVersions)).toMatchObject({ exact: false, table: { version: "0.13.0" } });
    expect(optionTableFor(tables, "0.1.0", compareVersions)).toMatchObject({ exact: false, table: { version: "0.9.1" } });
  });
});
