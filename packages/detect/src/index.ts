import type { Runtime } from '@shiprail/core';
export async function runDetect(runtime: Runtime): Promise<void> {
  const config = runtime.inputs.string('config', '.github/services.yml');
  runtime.setOutput('services', [config]);
}
