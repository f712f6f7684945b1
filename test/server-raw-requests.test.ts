import { describe, expect, it } from 'vitest';
import type { RequestErrorReport } from '../src/server/create-server.js';
import { expectError, openRawSocket, readUntilClosed, startTestServer } from './support/rest-server.js';

const JSON_HEADERS = 'Host: 127.0.0.1\r\nContent-Type: application/json\r\n';

describe('REST server: bodies nested too deep', () => {
  it('400 INVALID_INPUT for a body nesting arrays or objects 200,000 deep, and the server carries on', async () => {
    const { api } = await startTestServer({ server: { maxBodyBytes: 4 * 1_048_576 } });
    const arrays = '['.repeat(200_000) + ']'.repeat(200_000);
    const objects = '{"a":'.repeat(200_000) + '1' + '}'.repeat(200_000);
    for (const body of [`{"messages":${arrays},"user_id":"alice"}`, objects, `{"query":"x","user_id":"alice","filters":${objects}}`, arrays]) {
      const reply = await api.post(body.includes('query') ? '/search' : '/memories', body);
      expectError(reply, 400, 'INVALID_INPUT');
      expect(reply.body.error.message).toBe('the request body nests arrays and objects more than 400 levels deep; send flatter JSON');
    }
    expect((await api.post('/memories', { messages: 'Still here.', user_id: 'alice', infer: false })).status).toBe(200);
  });

  it('counts depth outside strings only, and allows exactly 400 levels', async () => {
    const { api } = await startTestServer();
    const brackets = await api.post('/memories', { messages: '['.repeat(1000) + '{'.repeat(1000), user_id: 'alice', infer: false });
    expect(brackets.status).toBe(200);
    const at400 = await api.post('/memories', `{"x":${'['.repeat(399)}${']'.repeat(399)}}`);
    expectError(at400, 400, 'INVALID_INPUT');
    expect(at400.body.error.message).toContain('unknown field "x"');
    const at401 = await api.post('/memories', `{"x":${'['.repeat(400)}${']'.repeat(400)}}`);
    expect(at401.body.error.message).toContain('more than 400 levels deep');
  });
});

describe('REST server: a client that hangs up mid-body', () => {
  it('is reported as REQUEST_ABORTED (499, nothing answered), never as a 500 INTERNAL', async () => {
    const reports: RequestErrorReport[] = [];
    const { api } = await startTestServer({ server: { onError: (report) => reports.push(report) } });
    const socket = await openRawSocket(api.url);
    socket.write(`POST /memories HTTP/1.1\r\n${JSON_HEADERS}Content-Length: 1000\r\n\r\n{"message`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.destroy();
    await expect.poll(() => reports.length).toBe(1);
    expect(reports[0]).toMatchObject({ method: 'POST', path: '/memories', status: 499, code: 'REQUEST_ABORTED' });
    expect((await api.get('/health')).status).toBe(200);
  });
});

describe('REST server: Expect: 100-continue', () => {
  it('answers a declared body over the limit with 413 before the client sends it: no 100 Continue, no reset', async () => {
    const { api } = await startTestServer({ server: { maxBodyBytes: 1024 } });
    const socket = await openRawSocket(api.url);
    const received = readUntilClosed(socket);
    let sentBody = false;
    // As curl does: send the body once the server says 100 Continue.
    socket.once('data', (chunk: Buffer) => {
      if (!chunk.toString('latin1').startsWith('HTTP/1.1 100')) return;
      sentBody = true;
      socket.write(Buffer.alloc(4_000_000, 'x'));
    });
    socket.write(`POST /memories HTTP/1.1\r\n${JSON_HEADERS}Content-Length: 4000000\r\nExpect: 100-continue\r\n\r\n`);
    const { text, error } = await received;
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    expect(sentBody).toBe(false);
    expect(error).toBeUndefined();
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))).toEqual({ error: { code: 'PAYLOAD_TOO_LARGE', message: expect.stringContaining('1024 bytes') } });
  });

  it('says 100 Continue to a body within the limit, then answers it', async () => {
    const { api } = await startTestServer({ server: { maxBodyBytes: 1024 } });
    const body = JSON.stringify({ messages: 'I like tea.', user_id: 'alice', infer: false });
    const socket = await openRawSocket(api.url);
    const received = readUntilClosed(socket);
    socket.once('data', () => socket.write(body));
    socket.write(`POST /memories HTTP/1.1\r\n${JSON_HEADERS}Connection: close\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n`);
    const { text } = await received;
    expect(text).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
    expect(text).toContain('"event":"ADD"');
  });
});
