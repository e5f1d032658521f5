// smoke-test: 200 checks against a local JSON service, one at a time versus in parallel. The baseline
// is concurrency 1 in the same run; the figure that matters is the ratio. The service answers after a
// fixed delay, as a real one across a network would, and once at once (pure overhead).
import { Redactor } from '@shiprail/core';
import { parseCheckFile, runChecks } from '@shiprail/smoke-test';
import { createServer } from 'node:http';
import { listenOnLoopback } from '@shiprail/rehearsal/servers';
import { median } from './lib/timing.ts';

const CHECKS = 200;
const ROUNDS = 3;

const checkFile = `checks:\n${Array.from(
  { length: CHECKS },
  (_, index) => `  - name: item ${index}
    request: { url: "/items/${index}" }
    expect:
      status: 200
      headers: { content-type: /json/ }
      json: { "$.id": ${index}, "$.tags": { length: 2 }, "$.price": { ">": 0 } }`,
).join('\n')}\n`;

async function startService(delayMs: number): Promise<{ url: string; stop: () => Promise<void> }> {
  const server = createServer((request, response) => {
    const id = Number(request.url?.split('/').pop());
    setTimeout(() => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ id, name: `item ${id}`, price: 9.5, tags: ['a', 'b'] }));
    }, delayMs);
  });
  return listenOnLoopback(server);
}

const redactor = new Redactor();

async function timeRun(baseUrl: string, concurrency: number): Promise<number> {
  const { checks } = await parseCheckFile(checkFile, { file: 'bench.yml' }, { baseDirectory: '.', baseUrl });
  const started = performance.now();
  const results = await runChecks(checks, {
    baseUrl,
    headers: [],
    concurrency,
    timeoutMs: 600_000,
    secrets: { mask: (secret) => redactor.add(secret), redact: (text) => redactor.redact(text) },
  });
  const elapsed = performance.now() - started;
  const failed = results.filter((result) => !result.ok);
  if (failed.length > 0) throw new Error(`${failed.length} checks failed: ${failed[0]?.error ?? ''}`);
  return elapsed;
}

const parseStarted = performance.now();
for (let round = 0; round < ROUNDS; round += 1)
  await parseCheckFile(checkFile, { file: 'bench.yml' }, { baseDirectory: '.', baseUrl: 'http://x' });
console.log(`validate a ${CHECKS}-check file: ${((performance.now() - parseStarted) / ROUNDS).toFixed(1)} ms`);

for (const delayMs of [0, 20]) {
  const service = await startService(delayMs);
  await timeRun(service.url, 8); // warm-up
  const figures = new Map<number, number>();
  for (const concurrency of [1, 8, 32]) {
    const times: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) times.push(await timeRun(service.url, concurrency));
    figures.set(concurrency, median(times));
  }
  await service.stop();
  const baseline = figures.get(1) ?? Number.NaN;
  console.log(`\n${CHECKS} checks, service answering after ${delayMs} ms (median of ${ROUNDS}):`);
  for (const [concurrency, ms] of figures) {
    const ratio = concurrency === 1 ? 'baseline' : `${(baseline / ms).toFixed(1)}x faster than concurrency 1`;
    console.log(
      `  concurrency ${String(concurrency).padStart(2)}: ${ms.toFixed(0).padStart(6)} ms  (${(ms / CHECKS).toFixed(2)} ms/check)  ${ratio}`,
    );
  }
}
