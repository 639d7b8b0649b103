/**
 * Slow and idle clients against a real server process: a thousand connections
 * that send nothing, or trickle their headers a byte at a time (slowloris), do not
 * keep it from answering others, and each is closed once its time is up; a body
 * sent at one byte a second is cut off before it is complete, with the InvalidInput
 * envelope saying the request took too long.
 * The timeouts are set short here (HTTP_HEADERS_TIMEOUT_SECONDS,
 * HTTP_REQUEST_TIMEOUT_SECONDS) so the test does not wait out the defaults.
 */
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../support/processes.ts';

let running: RunningServer | null = null;
const sockets: Socket[] = [];
const timers: NodeJS.Timeout[] = [];
afterEach(async () => {
  for (const timer of timers.splice(0)) clearInterval(timer);
  for (const socket of sockets.splice(0)) socket.destroy();
  await running?.stop('SIGKILL');
  running = null;
});

/** A connection the test holds open; resolves `closed` when the server ends it. */
function openConnection(port: number): Promise<{ socket: Socket; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    sockets.push(socket);
    socket.on('data', () => {});
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    socket.once('connect', () => resolve({ socket, closed }));
    socket.once('error', reject);
  });
}

function health(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/health', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('slow and idle clients', () => {
  it('a thousand idle or trickling connections do not keep others from being answered, and are each closed', async () => {
    running = await startServer({ HTTP_HEADERS_TIMEOUT_SECONDS: '3', HTTP_REQUEST_TIMEOUT_SECONDS: '5' });
    const { port } = running;
    const held: Array<Promise<void>> = [];
    for (let i = 0; i < 1000; i++) {
      const { socket, closed } = await openConnection(port);
      held.push(closed);
      if (i % 2 === 1) {
        // Slowloris: a request line, then one header byte at a time, never the blank line.
        socket.write(`GET /health HTTP/1.1\r\nHost: localhost:${port}\r\nX-Slow: `);
        const timer = setInterval(() => socket.writable && socket.write('a'), 500);
        timers.push(timer);
        void closed.then(() => clearInterval(timer));
      }
    }
    // Meanwhile, everyone else is served.
    for (let i = 0; i < 20; i++) expect(await health(port)).toBe(200);
    // Every held connection is closed by the server once its headers are overdue.
    await Promise.all(held);
    expect(await health(port)).toBe(200);
  }, 60_000);

  it('cuts off a body sent at one byte a second, before it is complete, with the InvalidInput envelope', async () => {
    running = await startServer({ HTTP_HEADERS_TIMEOUT_SECONDS: '2', HTTP_REQUEST_TIMEOUT_SECONDS: '3' });
    const { port } = running;
    const { socket, closed } = await openConnection(port);
    const body = JSON.stringify({ query: '{ __typename }' }).padEnd(60, ' ');
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.write(
      `POST /graphql HTTP/1.1\r\nHost: localhost:${port}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    let sent = 0;
    const timer = setInterval(() => {
      if (sent < body.length && socket.writable) socket.write(body[sent++]!);
    }, 1_000);
    timers.push(timer);
    await closed;
    clearInterval(timer);
    expect(sent).toBeLessThan(body.length);
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('"message":"The request took too long to arrive."');
    expect(answer).toContain('"code":"InvalidInput"');
    expect(await health(port)).toBe(200);
  }, 60_000);
});
