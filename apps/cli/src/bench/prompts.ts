import { seededRandom } from "./arrivals.ts";

// Random prompts of a given length, like `vllm bench serve --dataset-name random`
// (which samples random token ids). rouse has no tokenizer, so it samples common
// English words that BPE tokenizers (Llama, Qwen, Mistral) encode as one token each
// with their leading space: a prompt of N words is about N tokens. The real count is
// taken from the server's `usage` when it reports one; the report says which it used.

const WORDS = (
  "the of and to in is was for on as with by at from his an were are which this be has had not but " +
  "one their its first new after also who they two her been other when there all into more years time " +
  "only over three during may most some would these many then up can out about him made such where about " +
  "city season world she team state year under between school war later while number game film both part " +
  "well each series since known through early being used including over house end people before several " +
  "four around album high life north south west east public music group second five held back until " +
  "because including final work day left national long name main then river line area family home way " +
  "against major local best along water small water club great age again led last played won top river " +
  "set same own show among court old still round line field few took did built city based began found " +
  "near due form single next death side court power form early men once rock station point king among"
).split(" ");

export interface Prompt {
  readonly text: string;
  /** Words in the prompt: the approximate token count when the server reports none. */
  readonly words: number;
}

/** `count` distinct prompts of about `inputLen` tokens each, the same for the same seed. */
export function randomPrompts(count: number, inputLen: number, seed: number): Prompt[] {
  const random = seededRandom(seed ^ 0x5bd1e995);
  const prompts: Prompt[] = [];
  for (let i = 0; i < count; i++) {
    // A distinct head per request, so prefix caching cannot share whole prompts.
    const words: string[] = [`${i}:`];
    while (words.length < inputLen) words.push(WORDS[Math.floor(random() * WORDS.length)]!);
    prompts.push({ text: words.slice(0, Math.max(1, inputLen)).join(" "), words: Math.max(1, inputLen) });
  }
  return prompts;
}
