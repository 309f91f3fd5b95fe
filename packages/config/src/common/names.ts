import { z } from "zod";

// Every value below ends up in generated Python source or in an argv array.
// Codegen escapes all literals anyway; these patterns are the second wall, so a
// value that could smuggle code or shell syntax is rejected with a clear fix.

/** Modal object names (apps, volumes, secrets): alphanumerics, '-', '.', '_', under 64 chars. */
export const modalName = (what: string) =>
  z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, {
      error: `${what} must be 1–63 characters of letters, digits, '-', '.' or '_', starting with a letter or digit (Modal's naming rule)`,
    });

/** A Hugging Face repo id (`org/name`) or an absolute local path (for local engines). */
export const modelId = z
  .string()
  .regex(/^(?:[A-Za-z0-9][A-Za-z0-9._-]{0,95}(?:\/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?|\/[A-Za-z0-9._/-]{1,250})$/, {
    error:
      "model.id must be a Hugging Face repo id like 'Qwen/Qwen3-8B-FP8' (letters, digits, '.', '_', '-') or an absolute local path",
  })
  .refine((s) => !s.split("/").includes(".."), { error: "model.id must not contain '..' path segments" });

/** A git revision: a commit hash (recommended), tag or branch. */
export const revision = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/, {
  error: "revision must be a commit hash (recommended), tag or branch: letters, digits, '.', '_', '-', '/'",
});

/** Names clients send as `model`, e.g. `llm` or `Qwen/Qwen3-8B`. */
export const servedName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/, {
  error: "served names must be 1–128 characters of letters, digits, '.', '_', ':', '/', '-'",
});

/** Engine plugin identifiers such as parser names (`hermes`, `llama3_json`, `deepseek_r1`). */
export const identifier = (what: string) =>
  z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, {
    error: `${what} must be an identifier: letters, digits, '.', '_', '-'`,
  });

/** POSIX environment variable names. */
export const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, {
  error: "environment variable names must match [A-Za-z_][A-Za-z0-9_]*",
});

/**
 * Longest environment value or argv element, in UTF-8 bytes. Linux refuses a single
 * argument or environment string over 128 KiB (MAX_ARG_STRLEN) at exec; rouse stops
 * well before, at validate time.
 */
export const MAX_ARG_BYTES = 32 * 1024;
const withinArgBytes = (what: string) =>
  [
    (s: string) => s.length <= MAX_ARG_BYTES && Buffer.byteLength(s, "utf8") <= MAX_ARG_BYTES,
    { error: `${what} can be at most 32 KiB (${MAX_ARG_BYTES} bytes of UTF-8); put larger data in a file in the image or a Modal secret` },
  ] as const;

/** Environment values: any text but NUL, which no environment can carry; at most 32 KiB. */
export const envValue = z
  .string()
  .refine((s) => !s.includes("\0"), { error: "environment values cannot contain NUL" })
  .refine(...withinArgBytes("an environment value"));

/** A PEP 440-ish version, e.g. `0.13.0` or `0.5.6.post2`. */
export const packageVersion = z.string().regex(/^[0-9][0-9A-Za-z.+-]{0,39}$/, {
  error: "versions look like '0.13.0' or '0.5.6.post2'",
});

/** A pip requirement with an exact or ranged pin, e.g. `huggingface-hub==0.36.0` or `foo[bar]>=1`. */
export const pipRequirement = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9._,-]+\])?((==|>=|<=|~=|!=|>|<)[0-9A-Za-z.*+!-]+)(,(==|>=|<=|~=|!=|>|<)[0-9A-Za-z.*+!-]+)*$/, {
    error: "packages must be pinned pip requirements like 'huggingface-hub==0.36.0'",
  });

/** A container image reference, e.g. `lmsysorg/sglang:v0.5.6.post2-cu129-amd64-runtime`. */
export const imageRef = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._/:@+-]{0,254}$/, {
  error: "images are registry references like 'nvidia/cuda:12.9.0-devel-ubuntu22.04'",
});

/** An https URL (package indexes). */
export const httpsUrl = z.string().regex(/^https:\/\/[A-Za-z0-9.-]+(:[0-9]+)?(\/[A-Za-z0-9._~%/+-]*)?$/, {
  error: "must be an https:// URL without query or fragment",
});

/** Printable text that is safe to carry as one argv element: no NUL, no line breaks. */
export const argvToken = z
  .string()
  .min(1, { error: "arguments cannot be empty" })
  .refine((s) => !/[\0\r\n]/.test(s), { error: "arguments cannot contain NUL or line breaks" })
  .refine(...withinArgBytes("an argument"));
