#!/usr/bin/env node
// The `shiprail` program: bundled to dist/cli/index.js, the root package's bin.
import { fileURLToPath } from 'node:url';
import { runCli } from '../src/cli.ts';
import { nodeSystem } from '../src/node-system.ts';

// A reader that stops early (`shiprail init | head`) is not a failure of init.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});
process.exitCode = await runCli(process.argv.slice(2), nodeSystem(fileURLToPath(import.meta.url)));
