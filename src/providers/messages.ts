import type { ChatMessage, CompletionRequest } from './provider.js';

/** The system prompt (the experiment's override wins) and the alternating user/assistant turns. */
export function splitSystem(request: CompletionRequest): { system: string | null; turns: ChatMessage[] } {
  const fromTask = request.messages.filter((m) => m.role === 'system').map((m) => m.content);
  const system = request.systemPrompt ?? (fromTask.length > 0 ? fromTask.join('\n\n') : null);
  return { system, turns: request.messages.filter((m) => m.role !== 'system') };
}
