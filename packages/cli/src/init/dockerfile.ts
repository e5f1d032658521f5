// What a Dockerfile says that init needs: its stages' base images, the files it copies from the build
// context (with their lines), and whether its last stage runs something (a service) or not.

export interface DockerfileCopy {
  /** Sources as written, relative to the build context. */
  sources: string[];
  line: number;
}

export interface DockerfileFacts {
  /** Base images of the stages, in order. */
  bases: string[];
  copies: DockerfileCopy[];
  /** The last stage says what it runs or serves (CMD, ENTRYPOINT, EXPOSE). */
  runs: boolean;
  /** The last stage runs a code generator (protoc, buf generate, openapi-generator). */
  generates: boolean;
}

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

/** Instructions with continuation lines joined, each at the line it starts. */
function instructions(text: string): Instruction[] {
  const lines = text.split(/\r?\n/);
  const result: Instruction[] = [];
  let pending: Instruction | undefined;
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (pending === undefined && (line === '' || line.startsWith('#'))) return;
    if (pending !== undefined && line.startsWith('#')) return;
    const continued = line.endsWith('\\');
    const body = continued ? line.slice(0, -1) : line;
    if (pending === undefined) {
      const match = /^(\w+)\s*(.*)$/.exec(body);
      if (match === null) return;
      pending = { keyword: (match[1] ?? '').toUpperCase(), args: match[2] ?? '', line: index + 1 };
    } else {
      pending.args += ` ${body}`;
    }
    if (!continued) {
      result.push(pending);
      pending = undefined;
    }
  });
  if (pending !== undefined) result.push(pending);
  return result;
}

/** The words of an instruction's arguments: a JSON array form, or whitespace-separated. */
function words(args: string): string[] {
  const trimmed = args.trim();
  if (trimmed.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (Array.isArray(parsed)) return parsed.map(String);
    } catch {
      // not JSON: read as words
    }
  }
  return trimmed.split(/\s+/).filter((word) => word !== '');
}

const CODE_GENERATOR =
  /\b(protoc|buf generate|grpc_tools\.protoc|openapi-generator(?:-cli)?|swagger-codegen|genproto)\b/;

export function readDockerfile(text: string): DockerfileFacts {
  const bases: string[] = [];
  const copies: DockerfileCopy[] = [];
  let runs = false;
  let generates = false;
  for (const { keyword, args, line } of instructions(text)) {
    if (keyword === 'FROM') {
      const image = words(args).find((word) => !word.startsWith('--'));
      bases.push(image ?? '');
      runs = false;
      generates = false;
    } else if (keyword === 'COPY' || keyword === 'ADD') {
      const parts = words(args);
      if (parts.some((part) => part.startsWith('--from='))) continue;
      const operands = parts.filter((part) => !part.startsWith('--'));
      const sources = operands.slice(0, -1).filter((source) => !/^[a-z]+:\/\//i.test(source));
      if (sources.length > 0) copies.push({ sources, line });
    } else if (keyword === 'CMD' || keyword === 'ENTRYPOINT' || keyword === 'EXPOSE') {
      runs = true;
      if (CODE_GENERATOR.test(args)) generates = true;
    } else if (keyword === 'RUN' && CODE_GENERATOR.test(args)) {
      generates = true;
    }
  }
  return { bases, copies, runs, generates };
}

/** A Dockerfile's file name: `Dockerfile`, `Containerfile`, `Dockerfile.prod`, `api.Dockerfile`. */
export const DOCKERFILE_NAME =
  /^(?:(?:Dockerfile|Containerfile)(?:\.[\w.-]+)?|[\w.-]+\.(?:Dockerfile|Containerfile|dockerfile))$/;
