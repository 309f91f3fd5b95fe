export interface Model {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
  /** vLLM: the weights the served name points at. */
  root?: string | null;
  /** vLLM: the base model of a LoRA adapter. */
  parent?: string | null;
  /** vLLM: the context length. */
  max_model_len?: number | null;
}

export interface ModelList {
  object: "list";
  data: Model[];
}
