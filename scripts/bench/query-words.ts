import { seededRandom, sentence } from './synthetic-text.js';

/** Query texts: a few random words of the synthetic corpus, never the same text twice. */
export class QueryWords {
  private readonly words: string[];
  private readonly used = new Set<string>();
  private readonly random = seededRandom(4242);

  constructor() {
    const random = seededRandom(99);
    const all = new Set<string>();
    for (let i = 0; i < 2_000; i++) for (const w of sentence(i, random).match(/[A-Za-z]+/g) ?? []) if (w !== 'note') all.add(w);
    this.words = [...all].sort();
  }

  fresh(): string {
    for (;;) {
      const count = 2 + Math.floor(this.random() * 3); // 2–4 words
      const picked = Array.from({ length: count }, () => this.words[Math.floor(this.random() * this.words.length)] as string);
      const text = picked.join(' ');
      if (!this.used.has(text)) {
        this.used.add(text);
        return text;
      }
    }
  }

  batch(n: number): string[] {
    return Array.from({ length: n }, () => this.fresh());
  }
}

export function printAligned(header: string[], lines: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const render = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ').trimEnd();
  console.log(render(header));
  console.log(render(widths.map((w) => '-'.repeat(w))));
  for (const l of lines) console.log(render(l));
}
