#!/usr/bin/env node
// The `shiprail` program: bundled to dist/cli/index.js, the root package's bin.
import { fileURLToPath } from 'node:url';
import { runCli } from '../src/cli.ts';
import { nodeSystem } from '../src/node-system.ts';

process.exitCode = await runCli(process.argv.slice(2), nodeSystem(fileURLToPath(import.meta.url)));
