/**
 * Prompts for the LLM model checks: a reconciliation-style system prompt (short, or
 * padded with existing memories to ~600 tokens so prefix caching has something to
 * save) and varied user messages.
 */

const INSTRUCTIONS = `You maintain the long-term memory of an assistant. You receive new facts extracted from a conversation and the existing memories that look related. For each new fact decide one operation:
- ADD: the fact is new. Give its text and its kind (semantic for stable facts and preferences, episodic for events, procedural for how-to knowledge).
- UPDATE: the fact changes an existing memory. Give the memory id and the new full text.
- DELETE: the fact contradicts an existing memory that is no longer true. Give the memory id.
- NONE: the fact is already known. Give the memory id.
Answer with JSON only: {"operations": [...]}. Keep texts short, in the third person, without dates unless they matter.`;

const MEMORY_FACTS = [
  'likes green tea in the morning',
  'works as a nurse at the city hospital',
  'has a dog called Biscuit',
  'lives in Lyon since 2019',
  'is allergic to peanuts',
  'prefers trains to planes for trips under five hours',
  'plays the cello in an amateur orchestra',
  'is learning Japanese with an app every evening',
  'has a sister named Clara who lives in Montreal',
  'runs ten kilometres every Sunday',
  'dislikes horror films',
  'uses a standing desk at home',
  'is saving money for a sailing boat',
  'reads science fiction before sleeping',
  'had knee surgery in March',
  'keeps a vegetable garden with tomatoes and beans',
  'drives an old blue hatchback',
  'volunteers at the food bank on Thursdays',
  'is vegetarian but eats fish occasionally',
  'wants to visit Kyoto next spring',
];

export const SHORT_SYSTEM_PROMPT = INSTRUCTIONS;

/** Instructions (~190 Qwen tokens) plus `memories` existing memories with ids (~32 tokens each): ~600 tokens by default. */
export function longSystemPrompt(memories = 13): string {
  const lines = Array.from({ length: memories }, (_, i) => {
    const fact = MEMORY_FACTS[i % MEMORY_FACTS.length] ?? '';
    return `- id "m${String(1000 + i)}" (semantic, stored 2024-0${(i % 9) + 1}-1${i % 10}): the user ${fact}.`;
  });
  return `${INSTRUCTIONS}\n\nExisting memories:\n${lines.join('\n')}`;
}

export const USER_MESSAGES = [
  'New facts: the user now drinks coffee instead of tea.',
  'New facts: the user adopted a second dog, a puppy named Pepper.',
  'New facts: the user moved from Lyon to Grenoble last month.',
  'New facts: the user is no longer allergic to peanuts after treatment.',
  'New facts: the user started working night shifts.',
  'New facts: the user finished reading Dune and loved it.',
  'New facts: the user plays the cello in an amateur orchestra.',
  'New facts: the user wants to learn how to bake sourdough bread.',
  'New facts: the user booked a train to Paris for Friday.',
  'New facts: the user sold the blue hatchback.',
  'New facts: the user prefers to be called Sam.',
  'New facts: the user\'s sister Clara is visiting in July.',
  'New facts: to reset the router, unplug it for thirty seconds.',
  'New facts: the user hurt their ankle while running on Sunday.',
  'New facts: the user now eats meat again.',
  'New facts: none worth remembering, just small talk about the weather.',
  'New facts: the user\'s birthday is on the 4th of October.',
  'New facts: the user is learning Korean instead of Japanese.',
  'New facts: the user bought a sailing boat.',
  'New facts: {"json": "inside", "a": [1, 2, 3]} and "quotes" in text.',
];
