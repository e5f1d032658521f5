import { join } from 'node:path';

/**
 * Writes credentials to a 0600 file in a fresh 0700 directory, hands its path to `use`, and removes
 * the directory afterwards, whatever happens. The way secrets reach programs that read files.
 */
export async function withPrivateFile<T>(
  tempDir: string,
  fileName: string,
  content: string,
  use: (path: string) => Promise<T>,
): Promise<T> {
  const { mkdtemp, rm, writeFile } = process.getBuiltinModule('node:fs/promises');
  const directory = await mkdtemp(join(tempDir, 'shiprail-'));
  try {
    const path = join(directory, fileName);
    await writeFile(path, content, { mode: 0o600 });
    return await use(path);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}
