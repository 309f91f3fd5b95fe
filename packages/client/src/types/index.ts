export type * from "./chat.ts";
export type * from "./common.ts";
export type * from "./completions.ts";
export type * from "./embeddings.ts";
export type * from "./models.ts";
