import { dirname } from 'node:path';

/** Writes a whole file or nothing: a failed step leaves no half-written file, and no temporary one. */
export async function writeFileAtomically(path: string, content: string): Promise<void> {
  const { mkdir, rename, rm, writeFile } = process.getBuiltinModule('node:fs/promises');
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, content);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
