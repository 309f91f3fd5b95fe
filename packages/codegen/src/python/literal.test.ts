import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { NO_VENV, python, runPython, writeTemp } from "../__fixtures__/python.ts";
import { pyCommentLines, pyIdentifier, pyLiteral, pyNumber, pyStr, toPyValue } from "./literal.ts";

describe("pyStr", () => {
  it("prefers double quotes, switching to single quotes only when that needs fewer escapes (ruff's rule)", () => {
    expect(pyStr("plain")).toBe('"plain"');
    expect(pyStr("it's")).toBe(`"it's"`);
    expect(pyStr('say "hi"')).toBe(`'say "hi"'`);
    expect(pyStr(`a"b'c`)).toBe(`"a\\"b'c"`); // tie: double quotes
    expect(pyStr(`""'`)).toBe(`'""\\''`);
  });

  it('escapes backslashes, line breaks and tabs; `{}` and `"""` stay plain data', () => {
    expect(pyStr("a\\b")).toBe('"a\\\\b"');
    expect(pyStr("a\nb\r\tc")).toBe('"a\\nb\\r\\tc"');
    expect(pyStr("{x} {{y}}")).toBe('"{x} {{y}}"');
    expect(pyStr('"""')).toBe(`'"""'`);
    expect(pyStr("'''\"\"\"")).toBe(`"'''\\"\\"\\""`);
  });

  it("escapes invisible, control, separator and bidi characters with lowercase hex; keeps printable unicode", () => {
    expect(pyStr("\u0000\u007f\u0085")).toBe('"\\x00\\x7f\\x85"');
    expect(pyStr("\u2028\u2029\u202e\u2066\ufeff\u200b")).toBe(
      '"\\u2028\\u2029\\u202e\\u2066\\ufeff\\u200b"',
    );
    expect(pyStr("é 中文 😀")).toBe('"é 中文 😀"');
    expect(pyStr("\u00a0")).toBe('"\\xa0"'); // no-break space is not a plain space
    expect(pyStr("\ud800")).toBe('"\\ud800"'); // a lone surrogate, valid in JS and Python strings
    expect(pyStr("\u{e0001}")).toBe('"\\U000e0001"');
  });

  it("property: the literal is one line of printable text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        const lit = pyStr(s);
        expect(lit).not.toMatch(/[\n\r\u2028\u2029\u0085]/);
        expect(lit).not.toMatch(/[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u);
      }),
      { numRuns: 2000 },
    );
  });

  it.skipIf(!python)("property: Python reads back exactly the string that went in", () => {
    const samples = fc.sample(fc.string({ unit: "binary", maxLength: 60 }), { numRuns: 3000, seed: 7 });
    samples.push('"""', "'''", "\\", '\\"', "{}", "\u2028", "\ud83d", "\udc00x", "a\u0000b");
    // One literal per line; JSON carries lone surrogates as \udXXX escapes, so the comparison is exact.
    const dir = writeTemp({
      "literals.py": samples.map((s) => pyStr(s)).join("\n"),
      "want.json": JSON.stringify(samples),
    });
    const out = runPython(
      [
        "import ast, json, sys",
        "source = open(sys.argv[1], encoding='utf-8', errors='surrogatepass').read()",
        "got = [ast.literal_eval(line) for line in source.split('\\n')]",
        "want = json.loads(open(sys.argv[2]).read())",
        "bad = [i for i, (g, w) in enumerate(zip(got, want)) if g != w]",
        "print(json.dumps({'n': len(got), 'bad': bad[:5]}))",
      ].join("\n"),
      [join(dir, "literals.py"), join(dir, "want.json")],
    );
    expect(JSON.parse(out)).toEqual({ n: samples.length, bad: [] });
  });
});

describe("pyLiteral and pyNumber", () => {
  it("writes None, booleans, numbers, lists and dicts the way Python does", () => {
    expect(pyLiteral(null)).toBe("None");
    expect(pyLiteral(undefined)).toBe("None");
    expect(pyLiteral(true)).toBe("True");
    expect(pyLiteral([1, 0.95, "a", false, null])).toBe('[1, 0.95, "a", False, None]');
    expect(pyLiteral({ method: "mtp", n: 2, nested: { k: ['"'] } })).toBe(
      `{"method": "mtp", "n": 2, "nested": {"k": ['"']}}`,
    );
    expect(pyNumber(1e21)).toBe("1e+21");
    expect(pyNumber(-0)).toBe("-0.0");
  });

  it("refuses values with no Python literal", () => {
    expect(() => pyNumber(Number.NaN)).toThrow(TypeError);
    expect(() => pyNumber(Number.POSITIVE_INFINITY)).toThrow(TypeError);
    expect(() => toPyValue({ a: () => 1 }, "body")).toThrow("body.a: no Python literal for function");
    expect(() => toPyValue(new Date(), "body")).toThrow(TypeError);
    expect(toPyValue({ a: [1, { b: null }] })).toEqual({ a: [1, { b: null }] });
  });
});

describe("pyCommentLines", () => {
  it("splits on every line break and blanks control characters, so a comment never ends early", () => {
    expect(pyCommentLines("a\nb\u2028c\r\nd")).toEqual(["# a", "# b", "# c", "# d"]);
    expect(pyCommentLines("x\u0000y\u202ez")).toEqual(["# x y z"]);
    expect(pyCommentLines("")).toEqual(["#"]);
  });

  it("wraps at the given width, on spaces", () => {
    const lines = pyCommentLines("one two three four five six seven", 16);
    expect(lines).toEqual(["# one two three", "# four five six", "# seven"]);
    expect(lines.every((l) => l.length <= 16)).toBe(true);
  });
});

describe("pyIdentifier", () => {
  it("makes a safe name, never a keyword or one the app uses", () => {
    expect(pyIdentifier("compile_deep_gemm")).toBe("compile_deep_gemm");
    expect(pyIdentifier("class")).toBe("class_");
    expect(pyIdentifier("app")).toBe("app_");
    expect(pyIdentifier("9-lives")).toBe("_9_lives");
  });
});

if (!python) it.skip(`Python round trips: ${NO_VENV}`, () => {});
