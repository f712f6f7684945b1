import { describe, expect, it } from 'vitest';
import type { Policy } from 'engram-memory';
import { compileDenyList } from '../src/pipeline/deny-rules.js';
import { RECONCILE_INSTRUCTIONS } from '../src/pipeline/prompts.js';
import { collect } from './support/collect.js';
import { ops, ScriptedLlm } from './support/scripted-llm.js';
import { openSharedTestMemories, openTestMemory } from './support/test-memory.js';

// A store's policy: what it may hold. Instructions guide the model; deny rules are enforced whatever it says.

const CARD = '4111 1111 1111 1111';
const HEALTH_POLICY: Policy = {
  instructions: 'This is a companion for patients. Keep medication changes exact: drug, dose, unit, frequency, date.',
  includes: ['medications and doses', 'allergies', 'appointments'],
  excludes: ['moods of the day', 'small talk'],
  deny: ['card-number', 'iban', { name: 'insurance-number', pattern: 'INS-\\d{6}', flags: 'i' }],
};

describe('deny rules', () => {
  it('redact card numbers that pass the Luhn check, IBANs that pass mod 97, emails, US SSNs and a deployment’s own patterns', () => {
    const deny = compileDenyList({ deny: ['card-number', 'iban', 'email', 'us-ssn', { name: 'insurance-number', pattern: 'INS-\\d{6}', flags: 'i' }] });
    expect(deny.redact(`Pay with ${CARD} or 4111-1111-1111-1111.`).text).toBe('Pay with [redacted: card-number] or [redacted: card-number].');
    expect(deny.redact('Order 1234 5678 9012 3456 is not a card (Luhn fails); call 555 0100.').rules).toEqual([]);
    expect(deny.redact('IBAN DE89 3704 0044 0532 0130 00, not DE89 3704 0044 0532 0130 02.').text).toBe(
      'IBAN [redacted: iban], not DE89 3704 0044 0532 0130 02.',
    );
    expect(deny.redact('Mail ana.silva@example.pt, SSN 123-45-6789, ins-004211.')).toEqual({
      text: 'Mail [redacted: email], SSN [redacted: us-ssn], [redacted: insurance-number].',
      rules: ['email', 'us-ssn', 'insurance-number'],
    });
    expect(deny.breaks('Her card is 4111111111111111')).toBe('card-number');
    expect(deny.breaks('Takes metformin 500 mg twice a day')).toBeUndefined();
  });
});

describe('a store’s policy', () => {
  it('is kept with the store, validated, and removed with null; reset keeps it', async () => {
    const memory = await openTestMemory({ llm: null });
    expect(await memory.policy()).toBeNull();
    await memory.setPolicy(HEALTH_POLICY);
    expect(await memory.policy()).toEqual(HEALTH_POLICY);
    await expect(memory.setPolicy({ deny: ['passport'] } as unknown as Policy)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(memory.setPolicy({ deny: [{ name: 'bad', pattern: '(' }] })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/regular expression/) });
    await expect(memory.setPolicy({ instructions: 'x'.repeat(4_001) })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(await memory.policy()).toEqual(HEALTH_POLICY);
    await memory.reset();
    expect(await memory.policy()).toEqual(HEALTH_POLICY);
    await memory.setPolicy(null);
    expect(await memory.policy()).toBeNull();
  });

  it('puts its instructions in the fixed part of the prompt: the same system message for every add, the plain one without a policy', async () => {
    const llm = new ScriptedLlm(ops(), ops(), ops());
    const memory = await openTestMemory({ llm });
    await memory.add('I had a quiet day.', { userId: 'ana' });
    expect(llm.requests[0]?.messages[0]?.content).toBe(RECONCILE_INSTRUCTIONS);
    await memory.setPolicy(HEALTH_POLICY);
    await memory.add('My doctor moved my appointment to Friday.', { userId: 'ana' });
    await memory.add('Feeling grumpy today.', { userId: 'bea' });
    const [, first = '', second] = llm.requests.map((r) => r.messages[0]?.content ?? '');
    expect(first).toBe(second);
    expect(first).toContain('companion for patients');
    expect(first).toContain('Remember especially: medications and doses; allergies; appointments.');
    expect(first).toContain('Never remember: moods of the day; small talk.');
    expect(first).toContain('Never write down: payment card numbers; bank account numbers (IBAN); insurance-number');
    // The rules stay first and the examples last, so the policy only adds lines to the cached prefix.
    expect(first.startsWith(RECONCILE_INSTRUCTIONS.slice(0, RECONCILE_INSTRUCTIONS.indexOf('Examples:')))).toBe(true);
  });

  it('drops a fact the model states that breaks a deny rule, whatever the model says, and keeps the others', async () => {
    const llm = new ScriptedLlm(
      ops(
        { event: 'ADD', text: `Pays the pharmacy with card ${CARD}`, kind: 'semantic' },
        { event: 'ADD', text: 'Insurance number is INS-004211', kind: 'semantic' },
        { event: 'ADD', text: 'Takes metformin 500 mg twice a day', kind: 'semantic' },
      ),
    );
    const memory = await openTestMemory({ llm });
    await memory.setPolicy(HEALTH_POLICY);
    const result = await memory.add(`I take metformin 500 mg twice a day. My card is ${CARD}, insurance INS-004211.`, { userId: 'ana' });
    expect(result.results.map((r) => r.memory)).toEqual(['Takes metformin 500 mg twice a day']);
    expect(result.droppedOperations).toBe(2);
    // The model never saw the numbers: the message was redacted before it was logged.
    expect(llm.requests[0]?.messages.at(-1)?.content).toContain('My card is [redacted: card-number], insurance [redacted: insurance-number].');
    expect(llm.requests[0]?.messages.at(-1)?.content).not.toContain('4111');
    // Nothing of them is in the file: not in the memories, the message log or an export.
    const exported = (await collect(memory.export())).map((r) => JSON.stringify(r)).join('\n');
    expect(exported).not.toMatch(/4111|004211/);
    expect((await memory.messages({ userId: 'ana' })).results[0]?.content).toBe(
      'I take metformin 500 mg twice a day. My card is [redacted: card-number], insurance [redacted: insurance-number].',
    );
  });

  it('redacts adds stored as said and updates, before they are stored', async () => {
    const memory = await openTestMemory({ llm: null });
    await memory.setPolicy({ deny: ['card-number'] });
    const [added] = (await memory.add(`Card on file: ${CARD}.`, { userId: 'ana', infer: false })).results;
    expect(added?.memory).toBe('Card on file: [redacted: card-number].');
    const updated = await memory.update(added!.id, `New card: 5500 0000 0000 0004.`);
    expect(updated.memory).toBe('New card: [redacted: card-number].');
    const history = JSON.stringify(await memory.history(added!.id));
    expect(history).not.toMatch(/4111|5500/);
  });

  it('reaches every process on the store: a queued add is worked by another Memory, which applies the stored policy', async () => {
    const worker = new ScriptedLlm(ops({ event: 'ADD', text: `Card ${CARD} is for the pharmacy`, kind: 'semantic' }, { event: 'ADD', text: 'Allergic to penicillin', kind: 'semantic' }));
    const [producer, consumer] = await openSharedTestMemories(2, (i) => (i === 0 ? { llm: null, queue: { worker: false } } : { llm: worker }));
    await producer!.setPolicy(HEALTH_POLICY);
    const { jobId } = await producer!.add(`I am allergic to penicillin; card ${CARD}.`, { userId: 'ana', wait: false });
    await consumer!.flush({ userId: 'ana' });
    const job = await producer!.job(jobId);
    expect(job?.status).toBe('done');
    expect(job?.results?.map((r) => r.memory)).toEqual(['Allergic to penicillin']);
    expect(job?.droppedOperations).toBe(1);
    expect(worker.requests[0]?.messages[0]?.content).toContain('companion for patients');
  });

  it('rates each fact’s importance in the same call when the policy asks, stored as metadata.importance; search can weigh it', async () => {
    const llm = new ScriptedLlm(
      ops(
        { event: 'ADD', text: 'Ana is allergic to aspirin', kind: 'semantic', importance: 5 },
        { event: 'ADD', text: 'Ana took aspirin for a headache', kind: 'episodic', importance: 1.2 },
        // Off the scale: brought onto it. Not a number: no rating, the add is not refused for it.
        { event: 'ADD', text: 'Ana likes penguins', kind: 'semantic', importance: 9 },
        { event: 'ADD', text: 'Ana reads before sleeping', kind: 'semantic', importance: 'high' },
      ),
      ops({ event: 'ADD', text: 'Ana waters the plants on Sundays', kind: 'semantic', importance: 4 }),
    );
    const memory = await openTestMemory({ llm });
    await memory.setPolicy({ importance: true });
    await memory.add('I am allergic to aspirin; took one for a headache anyway. I like penguins and read before sleeping.', { userId: 'ana' });
    expect(JSON.stringify(llm.requests[0]?.schema)).toContain('"importance":{"type":"number","enum":[1,2,3,4,5]}');
    expect(llm.requests[0]?.messages[0]?.content).toContain('Each ADD and UPDATE also rates its "importance"');
    const rated = Object.fromEntries((await memory.getAll({ userId: 'ana' })).results.map((m) => [m.memory, m.metadata.importance]));
    expect(rated).toEqual({ 'Ana is allergic to aspirin': 5, 'Ana took aspirin for a headache': 1, 'Ana likes penguins': 5, 'Ana reads before sleeping': undefined });
    // Without it in the policy, a rating the model gives anyway is not stored, and the grammar asks for none.
    await memory.setPolicy(null);
    await memory.add('I water the plants on Sundays.', { userId: 'ana' });
    expect(JSON.stringify(llm.requests[1]?.schema)).not.toContain('importance');
    expect((await memory.getAll({ userId: 'ana' })).results.find((m) => m.memory.includes('plants'))?.metadata).toEqual({});

    // Between the two aspirin memories: the exact words win, unless importance is weighed in.
    const all = (await memory.getAll({ userId: 'ana' })).results;
    const ids = all.filter((m) => m.memory.includes('aspirin')).map((m) => m.id);
    const query = 'Ana took aspirin for a headache';
    const plain = await memory.search(query, { userId: 'ana', ids });
    expect(plain.results.map((m) => m.memory)).toEqual(['Ana took aspirin for a headache', 'Ana is allergic to aspirin']);
    const weighed = await memory.search(query, { userId: 'ana', ids, importance: { weight: 0.5 }, explain: true });
    expect(weighed.results.map((m) => [m.memory, m.signals?.importance])).toEqual([
      ['Ana is allergic to aspirin', 1],
      ['Ana took aspirin for a headache', 0],
    ]);
  });

  it('files each fact under the policy’s categories in the same call: stored as metadata.categories, filterable everywhere metadata is', async () => {
    const llm = new ScriptedLlm(
      ops(
        { event: 'ADD', text: 'Takes metformin 500 mg twice a day', kind: 'semantic', categories: ['health'] },
        // Unknown names and repeats are dropped; at most three are kept.
        { event: 'ADD', text: 'Works as a nurse at Santa Maria hospital', kind: 'semantic', categories: ['work', 'astrology', 'work', 'health', 'personal', 'plans'] },
        { event: 'ADD', text: 'Likes long walks', kind: 'semantic' },
      ),
      (request) => ops({ event: 'UPDATE', id: /(\d+)\. Takes metformin/.exec(request.messages.at(-1)?.content ?? '')?.[1] ?? '?', text: 'Takes metformin 1000 mg twice a day', categories: ['health', 'plans'] }),
    );
    const memory = await openTestMemory({ llm });
    await memory.setPolicy({ categories: true });
    await memory.add('I take metformin 500 mg twice a day. I work as a nurse at Santa Maria. I like long walks.', { userId: 'ana', metadata: { source: 'chat' } });
    // The grammar allows only the policy's names, 1 to 3 of them, on ADD and UPDATE.
    const grammar = JSON.stringify(llm.requests[0]?.schema);
    expect(grammar).toContain('"enum":["personal","health","relationships","preferences","work","plans","hobbies","finance","other"]');
    expect(grammar).toContain('"minItems":1');
    expect(llm.requests[0]?.messages[0]?.content).toContain('Each ADD and UPDATE also lists "categories": 1 to 3 of personal (');
    const all = (await memory.getAll({ userId: 'ana' })).results;
    const filed = Object.fromEntries(all.map((m) => [m.memory, m.metadata]));
    expect(filed['Takes metformin 500 mg twice a day']).toEqual({ source: 'chat', categories: ['health'] });
    expect(filed['Works as a nurse at Santa Maria hospital']).toEqual({ source: 'chat', categories: ['work', 'health', 'personal'] });
    expect(filed['Likes long walks']).toEqual({ source: 'chat' });
    const health = await memory.getAll({ userId: 'ana', filters: { categories: { contains: 'health' } } });
    expect(health.results.map((m) => m.memory).sort()).toEqual(['Takes metformin 500 mg twice a day', 'Works as a nurse at Santa Maria hospital']);
    // An update files the new text again.
    await memory.add('My doctor raised metformin to 1000 mg twice a day.', { userId: 'ana' });
    const raised = (await memory.getAll({ userId: 'ana', filters: { categories: { contains: 'plans' } } })).results;
    expect(raised.map((m) => [m.memory, m.metadata])).toEqual([['Takes metformin 1000 mg twice a day', { source: 'chat', categories: ['health', 'plans'] }]]);
    // Without categories in the policy, the answer has none and nothing is filed.
    await memory.setPolicy({ instructions: 'Keep doses exact.' });
    const plain = new ScriptedLlm(ops({ event: 'ADD', text: 'Sleeps badly', kind: 'semantic', categories: ['health'] }));
    const other = await openTestMemory({ llm: plain });
    await other.add('I sleep badly.', { userId: 'ana' });
    expect(JSON.stringify(plain.requests[0]?.schema)).not.toContain('categories');
    expect((await other.getAll({ userId: 'ana' })).results[0]?.metadata).toEqual({});
  });

  it('takes a deployment’s own categories, and refuses malformed ones', async () => {
    const memory = await openTestMemory({ llm: null });
    await memory.setPolicy({ categories: [{ name: 'medication', description: 'drugs and doses' }, { name: 'tooling' }] });
    expect((await memory.policy())?.categories).toEqual([{ name: 'medication', description: 'drugs and doses' }, { name: 'tooling' }]);
    await expect(memory.setPolicy({ categories: [{ name: 'Medication' }] })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(memory.setPolicy({ categories: [{ name: 'a' }, { name: 'a' }] })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/differ/) });
    await expect(memory.setPolicy({ categories: [] })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('travels with a whole-file export: a restored backup keeps its deny rules; a store with its own policy keeps that one', async () => {
    const source = await openTestMemory({ llm: null });
    await source.setPolicy(HEALTH_POLICY);
    await source.add('Takes metformin 500 mg.', { userId: 'ana', infer: false });
    const whole = (await collect(source.export())).map((r) => JSON.stringify(r));
    expect(JSON.parse(whole[1] as string)).toEqual({ type: 'policy', policy: HEALTH_POLICY });
    expect((await collect(source.export({ scope: { userId: 'ana' } }))).map((r) => r.type)).not.toContain('policy');

    const restored = await openTestMemory({ llm: null });
    expect((await restored.import(whole)).policy).toEqual({ added: 1, skipped: 0 });
    expect(await restored.policy()).toEqual(HEALTH_POLICY);
    const [added] = (await restored.add(`Card ${CARD}.`, { userId: 'ana', infer: false })).results;
    expect(added?.memory).toBe('Card [redacted: card-number].');
    expect((await restored.import(whole)).policy).toEqual({ added: 0, skipped: 1 });

    const other = await openTestMemory({ llm: null });
    await other.setPolicy({ deny: ['email'] });
    expect((await other.import(whole)).policy).toEqual({ added: 0, skipped: 1 });
    expect(await other.policy()).toEqual({ deny: ['email'] });

    const broken = [whole[0] as string, JSON.stringify({ type: 'policy', policy: { deny: ['passport'] } })];
    await expect(other.import(broken)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/line 2/) });
    await expect(other.import([whole[0] as string, whole[1] as string, whole[1] as string])).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/second policy/) });
  });

  it('keeps what breaks a deny rule out of the entity graph too: a relation naming it is dropped, the fact kept', async () => {
    const llm = new ScriptedLlm(
      ops({
        event: 'ADD',
        text: 'Pays the pharmacy by card',
        kind: 'semantic',
        relations: [
          { source: 'I', relation: 'pays_with', target: CARD },
          { source: 'I', relation: 'uses', target: 'Farmácia Central' },
        ],
      }),
    );
    const memory = await openTestMemory({ llm, graph: true });
    await memory.setPolicy({ deny: ['card-number'] });
    const result = await memory.add('I pay the pharmacy by card.', { userId: 'ana' });
    expect(result.results.map((r) => r.memory)).toEqual(['Pays the pharmacy by card']);
    expect(result.droppedOperations).toBe(1);
    const names = (await memory.graph.entities({ userId: 'ana' })).results.map((e) => e.name);
    expect(names).toContain('Farmácia Central');
    expect(JSON.stringify(await collect(memory.export()))).not.toContain('4111');
  });
});
