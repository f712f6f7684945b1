import { describe, expect, it } from 'vitest';
import type { Memory } from 'engram-memory';
import { collect } from './support/collect.js';
import { ops, ScriptedLlm } from './support/scripted-llm.js';
import { openTestMemory } from './support/test-memory.js';

// Policies of scopes: a user, an agent or a run may have a policy of its own. What applies to an add is the
// store's, then each scope's at and above the add's, narrower fields replacing broader ones; deny rules add up.

const ANA = { userId: 'ana' };
const ANA_COACH = { userId: 'ana', agentId: 'coach' };
const system = (llm: ScriptedLlm, i: number) => llm.requests[i]?.messages[0]?.content ?? '';
const lastUser = (llm: ScriptedLlm, i: number) => llm.requests[i]?.messages.at(-1)?.content ?? '';

async function storeWithPolicies(memory: Memory): Promise<void> {
  await memory.setPolicy({ instructions: 'Store-wide: keep facts short.', deny: ['email'] });
  await memory.setPolicy({ instructions: 'Ana is a patient: keep doses exact.', deny: [{ name: 'chart-number', pattern: 'CH-\\d{5}' }] }, ANA);
  await memory.setPolicy({ excludes: ['workouts'] }, ANA_COACH);
}

describe('policies of scopes', () => {
  it('each add gets its scope’s policy: a user’s instructions reach only that user’s prompts; an agent’s adds to its user’s', async () => {
    const llm = new ScriptedLlm(ops(), ops(), ops());
    const memory = await openTestMemory({ llm });
    await storeWithPolicies(memory);
    await memory.add('I take 20 mg of lisinopril.', ANA);
    await memory.add('I ran 5 km today.', ANA_COACH);
    await memory.add('I like jazz.', { userId: 'ben' });
    expect(system(llm, 0)).toContain('Ana is a patient: keep doses exact.');
    expect(system(llm, 0)).not.toContain('Store-wide: keep facts short.');
    expect(system(llm, 1)).toContain('Ana is a patient: keep doses exact.');
    expect(system(llm, 1)).toContain('workouts');
    expect(system(llm, 2)).toContain('Store-wide: keep facts short.');
    expect(system(llm, 2)).not.toMatch(/Ana is a patient|workouts/);
    expect(await memory.effectivePolicy({ ...ANA_COACH, runId: 'r1' })).toEqual({
      instructions: 'Ana is a patient: keep doses exact.',
      deny: ['email', { name: 'chart-number', pattern: 'CH-\\d{5}' }],
      excludes: ['workouts'],
    });
    // An agent's own policy (every user's coach) comes after a user's, before the user's agent's; deny rules are never doubled.
    await memory.setPolicy({ instructions: 'The coach talks about training.', deny: ['email'] }, { agentId: 'coach' });
    expect(await memory.effectivePolicy(ANA_COACH)).toMatchObject({ instructions: 'The coach talks about training.', deny: ['email', { name: 'chart-number', pattern: 'CH-\\d{5}' }] });
    expect(await memory.effectivePolicy({ userId: 'ben', agentId: 'coach' })).toEqual({ instructions: 'The coach talks about training.', deny: ['email'] });
    expect(await memory.effectivePolicy(ANA)).toMatchObject({ instructions: 'Ana is a patient: keep doses exact.' });
  });

  it('deny rules add up: a narrower policy cannot lift the store’s or the user’s, and each scope redacts only its own rules', async () => {
    const llm = new ScriptedLlm(ops(), ops(), ops());
    const memory = await openTestMemory({ llm });
    await storeWithPolicies(memory);
    // A run of Ana's that tries to clear the deny rules.
    await memory.setPolicy({ deny: [] }, { userId: 'ana', runId: 'r1' });
    await memory.add('Mail me at ana@example.pt, my chart is CH-12345.', { userId: 'ana', runId: 'r1' });
    await memory.add('Mail me at ben@example.pt, my chart is CH-12345.', { userId: 'ben' });
    expect(lastUser(llm, 0)).toContain('Mail me at [redacted: email], my chart is [redacted: chart-number].');
    expect(lastUser(llm, 1)).toContain('Mail me at [redacted: email], my chart is CH-12345.');
    // As said, and by update: the memory's own scope decides.
    const [said] = (await memory.add('Chart CH-54321', { ...ANA, infer: false })).results;
    expect((await memory.get(said!.id))?.memory).toBe('Chart [redacted: chart-number]');
    const bens = (await memory.add('Likes jazz', { userId: 'ben', infer: false })).results[0]!.id;
    expect((await memory.update(bens, 'Chart CH-11111, mail ben@example.pt')).memory).toBe('Chart CH-11111, mail [redacted: email]');
    expect((await memory.update(said!.id, 'Chart CH-22222')).memory).toBe('Chart [redacted: chart-number]');
  });

  it('are kept per exact scope, checked, removed with null, and erased when their scope (or one above it) is forgotten', async () => {
    const memory = await openTestMemory({ llm: null });
    await storeWithPolicies(memory);
    expect(await memory.policy(ANA)).toEqual({ instructions: 'Ana is a patient: keep doses exact.', deny: [{ name: 'chart-number', pattern: 'CH-\\d{5}' }] });
    expect(await memory.policy({ agentId: 'coach' })).toBeNull();
    await expect(memory.setPolicy({ trackAccess: true }, ANA)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/store's own policy/) });
    await expect(memory.setPolicy({ deny: ['passport'] } as never, ANA)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(memory.setPolicy({}, { userId: '' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await memory.add('Likes tea', { ...ANA_COACH, infer: false });
    await memory.forget(ANA);
    expect(await memory.policy(ANA)).toBeNull();
    expect(await memory.policy(ANA_COACH)).toBeNull();
    expect(await memory.policy()).toMatchObject({ instructions: 'Store-wide: keep facts short.' });
    await memory.setPolicy({ instructions: 'Again' }, ANA);
    await memory.setPolicy(null, ANA);
    expect(await memory.policy(ANA)).toBeNull();
    await memory.setPolicy({ instructions: 'For ben' }, { userId: 'ben' });
    await memory.reset();
    expect(await memory.policy({ userId: 'ben' })).toBeNull();
    expect(await memory.policy()).toMatchObject({ instructions: 'Store-wide: keep facts short.' });
  });

  it('travel with exports: a whole export carries every policy, a scope’s export its own; import restores them and keeps what the target has', async () => {
    const source = await openTestMemory({ llm: null });
    await storeWithPolicies(source);
    await source.setPolicy({ instructions: 'For ben' }, { userId: 'ben' });
    await source.add('Takes lisinopril', { ...ANA, infer: false });
    const whole = await collect(source.export());
    expect(whole.filter((r) => r.type === 'policy')).toEqual([
      { type: 'policy', policy: { instructions: 'Store-wide: keep facts short.', deny: ['email'] } },
      { type: 'policy', userId: 'ana', policy: { instructions: 'Ana is a patient: keep doses exact.', deny: [{ name: 'chart-number', pattern: 'CH-\\d{5}' }] } },
      { type: 'policy', userId: 'ana', agentId: 'coach', policy: { excludes: ['workouts'] } },
      { type: 'policy', userId: 'ben', policy: { instructions: 'For ben' } },
    ]);
    // The policies come before any message or memory.
    expect(whole.slice(1, 5).every((r) => r.type === 'policy')).toBe(true);
    const anas = await collect(source.export({ scope: ANA }));
    expect(anas.filter((r) => r.type === 'policy').map((r) => ('userId' in r ? [r.userId, r.agentId] : 'store'))).toEqual([
      ['ana', undefined],
      ['ana', 'coach'],
    ]);

    const target = await openTestMemory({ llm: null });
    await target.setPolicy({ instructions: 'Ben keeps his own' }, { userId: 'ben' });
    const result = await target.import(whole.map((r) => JSON.stringify(r)));
    expect(result.policy).toEqual({ added: 3, skipped: 1 });
    expect(await target.effectivePolicy(ANA_COACH)).toEqual(await source.effectivePolicy(ANA_COACH));
    expect(await target.policy({ userId: 'ben' })).toEqual({ instructions: 'Ben keeps his own' });
    // Each scope once; a scope's trackAccess is refused like setPolicy refuses it.
    const header = JSON.stringify(whole[0]);
    await expect(target.import([header, JSON.stringify({ type: 'policy', userId: 'cy', policy: {} }), JSON.stringify({ type: 'policy', userId: 'cy', policy: {} })])).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/second policy record for this scope/) });
    await expect(target.import([header, JSON.stringify({ type: 'policy', userId: 'cy', policy: { trackAccess: true } })])).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/trackAccess/) });
    expect(await target.policy({ userId: 'cy' })).toBeNull();
  });
});
