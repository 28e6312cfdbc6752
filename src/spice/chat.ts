/**
 * A chat turn, as the prompts of both roles are written. Defined with the method so that the
 * prompts need no policy; a policy renders it through the model's chat template when it has one.
 */
export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}
