#!/usr/bin/env node
import { createRequire as __WEBPACK_EXTERNAL_createRequire } from "module";
/******/ var __webpack_modules__ = ({

/***/ 7847:
/***/ ((module, __unused_webpack___webpack_exports__, __nccwpck_require__) => {

__nccwpck_require__.a(module, async (__webpack_handle_async_dependencies__, __webpack_async_result__) => { try {
/* harmony import */ var node_url__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(3136);
/* harmony import */ var node_url__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__nccwpck_require__.n(node_url__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var _src_cli_ts__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(4192);
/* harmony import */ var _src_node_system_ts__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(6968);
// The `shiprail` program: bundled to dist/cli/index.js, the root package's bin.



// A reader that stops early (`shiprail init | head`) is not a failure of init.
process.stdout.on('error', (error) => {
    if (error.code !== 'EPIPE')
        throw error;
});
process.exitCode = await (0,_src_cli_ts__WEBPACK_IMPORTED_MODULE_1__/* .runCli */ .ak)(process.argv.slice(2), (0,_src_node_system_ts__WEBPACK_IMPORTED_MODULE_2__/* .nodeSystem */ .kR)((0,node_url__WEBPACK_IMPORTED_MODULE_0__.fileURLToPath)(import.meta.url)));

__webpack_async_result__();
} catch(e) { __webpack_async_result__(e); } }, 1);

/***/ }),

/***/ 4192:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  ak: () => (/* binding */ runCli)
});

// UNUSED EXPORTS: USAGE, loadRehearsal

// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __nccwpck_require__(6760);
;// CONCATENATED MODULE: external "node:util"
const external_node_util_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:util");
// EXTERNAL MODULE: ./packages/core/src/index.ts + 16 modules
var src = __nccwpck_require__(1899);
;// CONCATENATED MODULE: ./packages/cli/src/diff.ts
// A unified diff of two texts, for showing what init would change in a file it does not overwrite.
/** Lines of `before` and `after` as a unified diff with `context` lines around each change. */
function unifiedDiff(path, before, after, context = 3) {
    const a = before.split('\n');
    const b = after.split('\n');
    // Longest common subsequence table, from the end (files init writes are small).
    const lengths = Array.from({ length: a.length + 1 }, () => new Array(b.length + 1).fill(0));
    for (let i = a.length - 1; i >= 0; i -= 1) {
        for (let j = b.length - 1; j >= 0; j -= 1) {
            const row = lengths[i] ?? [];
            row[j] = a[i] === b[j] ? (lengths[i + 1]?.[j + 1] ?? 0) + 1 : Math.max(lengths[i + 1]?.[j] ?? 0, row[j + 1] ?? 0);
        }
    }
    const edits = [];
    let i = 0;
    let j = 0;
    while (i < a.length || j < b.length) {
        if (i < a.length && j < b.length && a[i] === b[j]) {
            edits.push({ kind: ' ', text: a[i] ?? '', oldLine: i, newLine: j });
            i += 1;
            j += 1;
        }
        else if (i < a.length && (j >= b.length || (lengths[i + 1]?.[j] ?? 0) >= (lengths[i]?.[j + 1] ?? 0))) {
            edits.push({ kind: '-', text: a[i] ?? '', oldLine: i, newLine: j });
            i += 1;
        }
        else {
            edits.push({ kind: '+', text: b[j] ?? '', oldLine: i, newLine: j });
            j += 1;
        }
    }
    const changed = edits.map((edit, index) => (edit.kind === ' ' ? -1 : index)).filter((index) => index >= 0);
    if (changed.length === 0)
        return '';
    const output = [`--- ${path}`, `+++ ${path} (shiprail init)`];
    let start = 0;
    while (start < changed.length) {
        let end = start;
        while (end + 1 < changed.length && (changed[end + 1] ?? 0) - (changed[end] ?? 0) <= context * 2)
            end += 1;
        const from = Math.max(0, (changed[start] ?? 0) - context);
        const to = Math.min(edits.length - 1, (changed[end] ?? 0) + context);
        const hunk = edits.slice(from, to + 1);
        const oldCount = hunk.filter((edit) => edit.kind !== '+').length;
        const newCount = hunk.filter((edit) => edit.kind !== '-').length;
        const first = hunk[0];
        output.push(`@@ -${(first?.oldLine ?? 0) + 1},${oldCount} +${(first?.newLine ?? 0) + 1},${newCount} @@`);
        for (const edit of hunk)
            output.push(`${edit.kind}${edit.text}`);
        start = end + 1;
    }
    return `${output.join('\n')}\n`;
}

;// CONCATENATED MODULE: ./packages/cli/src/table.ts
// Plain-text tables for the terminal: columns padded to their widest cell.
function textTable(header, rows) {
    const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
    const line = (cells) => cells
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd();
    return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

;// CONCATENATED MODULE: ./packages/cli/src/init/compose-variables.ts
// Variables in compose files, substituted the way docker compose does: `.env` read as compose reads it,
// then $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, ${VAR:+alt},
// ${VAR+alt} and $$ (a literal $). A variable nothing defines is an error that names it.

/** A `.env` file: KEY=value lines, `export` allowed, quotes, comments; later values may use earlier ones. */
function parseDotEnv(text, file, environment) {
    const values = new Map();
    text.split(/\r?\n/).forEach((raw, index) => {
        const line = raw.trim();
        if (line === '' || line.startsWith('#'))
            return;
        const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(line);
        if (match === null)
            throw new src/* ConfigurationError */.j1(`expected KEY=value, found '${line}'`, { file, line: index + 1 });
        const [, key = '', rest = ''] = match;
        values.set(key, dotEnvValue(rest, { file, line: index + 1 }, new Map([...values, ...environment])));
    });
    return values;
}
function dotEnvValue(rest, where, known) {
    const quote = rest[0];
    if (quote === "'" || quote === '"') {
        const end = rest.indexOf(quote, 1);
        if (end < 0)
            throw new src/* ConfigurationError */.j1(`unterminated ${quote} quote`, where);
        const inner = rest.slice(1, end);
        if (quote === "'")
            return inner;
        return substitute(inner.replace(/\\n/g, '\n').replace(/\\"/g, '"'), known, where);
    }
    // An unquoted value ends at a comment that follows whitespace.
    const value = rest.replace(/\s+#.*$/, '').trim();
    return substitute(value, known, where);
}
/**
 * `text` with its variables replaced. `where` locates errors: a variable nothing defines, a
 * `${VAR?message}` whose variable is unset, a malformed `${...}`.
 */
function substitute(text, variables, where) {
    let result = '';
    let index = 0;
    while (index < text.length) {
        const dollar = text.indexOf('$', index);
        if (dollar < 0) {
            result += text.slice(index);
            break;
        }
        result += text.slice(index, dollar);
        const next = text[dollar + 1];
        if (next === '$') {
            result += '$';
            index = dollar + 2;
        }
        else if (next === '{') {
            const end = closingBrace(text, dollar + 2);
            if (end < 0)
                throw new src/* ConfigurationError */.j1(`unterminated variable '${text.slice(dollar)}'`, where);
            result += expand(text.slice(dollar + 2, end), variables, where);
            index = end + 1;
        }
        else {
            const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(dollar + 1))?.[0];
            if (name === undefined) {
                result += '$';
                index = dollar + 1;
            }
            else {
                result += defined(name, variables, where);
                index = dollar + 1 + name.length;
            }
        }
    }
    return result;
}
/** The index of the `}` that closes a `${` whose body starts at `start` (nested `${...}` skipped). */
function closingBrace(text, start) {
    let depth = 1;
    for (let index = start; index < text.length; index += 1) {
        if (text[index] === '{' && text[index - 1] === '$')
            depth += 1;
        if (text[index] === '}') {
            depth -= 1;
            if (depth === 0)
                return index;
        }
    }
    return -1;
}
function defined(name, variables, where) {
    const value = variables.get(name);
    if (value === undefined) {
        throw new src/* ConfigurationError */.j1(`the variable ${name} is not set: define it in .env (${name}=...) or give a default (\${${name}:-value})`, where);
    }
    return value;
}
function expand(body, variables, where) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?+])([\s\S]*))?$/.exec(body);
    if (match === null)
        throw new src/* ConfigurationError */.j1(`malformed variable '\${${body}}'`, where);
    const [, name = '', colon = '', operator, operand = ''] = match;
    if (operator === undefined)
        return defined(name, variables, where);
    const value = variables.get(name);
    // With ':', an empty value counts as unset.
    const isSet = value !== undefined && (colon === '' || value !== '');
    if (operator === '-')
        return isSet ? (value ?? '') : substitute(operand, variables, where);
    if (operator === '+')
        return isSet ? substitute(operand, variables, where) : '';
    if (!isSet) {
        const message = substitute(operand, variables, where);
        throw new src/* ConfigurationError */.j1(`the variable ${name} is required${message === '' ? '' : `: ${message}`}`, where);
    }
    return value ?? '';
}

;// CONCATENATED MODULE: ./packages/cli/src/init/repository.ts
// The repository as init reads it: every file listed once, read on demand, and every path a file names
// checked to stay inside the repository. The file system is behind RepositoryFiles, so decisions can be
// tested from in-memory tables.


const sourced = (value, source) => ({ value, source });
/** `file:line`, or the file alone. */
const at = (file, line) => (line === undefined ? file : `${file}:${line}`);
/** The folder of a repository path ('.' at the root). */
const folderOf = (path) => {
    const folder = external_node_path_.posix.dirname(path);
    return folder === '' ? '.' : folder;
};
/** `folder/name`, or `name` at the root. */
const joinPath = (folder, name) => folder === '.' || folder === '' ? name : `${folder}/${name}`;
/** True when `path` is `folder` or below it. */
const isWithin = (path, folder) => folder === '.' || path === folder || path.startsWith(`${folder}/`);
/**
 * `relative` (as a file wrote it, relative to `base`) as a repository path, or a ConfigurationError at
 * `where` when it leads outside the repository or is absolute.
 */
function resolveInside(base, relative, where) {
    if (relative.startsWith('/') || /^[A-Za-z]:[\\/]/.test(relative)) {
        throw new src/* ConfigurationError */.j1(`'${relative}' is an absolute path: write it relative to the repository`, where);
    }
    const joined = external_node_path_.posix.normalize(external_node_path_.posix.join(base === '.' ? '' : base, relative.replace(/\\/g, '/')));
    if (joined === '..' || joined.startsWith('../')) {
        throw new src/* ConfigurationError */.j1(`'${relative}' leads outside the repository`, where);
    }
    const trimmed = joined.replace(/\/+$/, '');
    return trimmed === '' || trimmed === '.' ? '.' : trimmed.replace(/^\.\//, '');
}
/** Files held in memory: the tests' repositories, and what a plan would write. */
class MemoryFiles {
    files;
    contents;
    constructor(contents) {
        this.contents = new Map(Object.entries(contents));
        this.files = [...this.contents.keys()].sort();
    }
    read(path) {
        return this.contents.get(path);
    }
}
/**
 * The files below `folder` (`.` for all), from the sorted list: they lie together from the first path not
 * before `folder/`, found by bisection, so each service's look-up costs its own files, not the repository's.
 */
function filesWithin(files, folder) {
    if (folder === '.')
        return [...files];
    const prefix = `${folder}/`;
    let low = 0;
    let high = files.length;
    while (low < high) {
        const middle = (low + high) >>> 1;
        if ((files[middle] ?? '') < prefix)
            low = middle + 1;
        else
            high = middle;
    }
    const within = [];
    for (let index = low; index < files.length && (files[index] ?? '').startsWith(prefix); index += 1) {
        within.push(files[index] ?? '');
    }
    return within;
}

;// CONCATENATED MODULE: ./packages/cli/src/init/dockerfile.ts
// What a Dockerfile says that init needs: its stages' base images, the files it copies from the build
// context (with their lines), and whether its last stage runs something (a service) or not.
/** Instructions with continuation lines joined, each at the line it starts. */
function instructions(text) {
    const lines = text.split(/\r?\n/);
    const result = [];
    let pending;
    lines.forEach((raw, index) => {
        const line = raw.trim();
        if (pending === undefined && (line === '' || line.startsWith('#')))
            return;
        if (pending !== undefined && line.startsWith('#'))
            return;
        const continued = line.endsWith('\\');
        const body = continued ? line.slice(0, -1) : line;
        if (pending === undefined) {
            const match = /^(\w+)\s*(.*)$/.exec(body);
            if (match === null)
                return;
            pending = { keyword: (match[1] ?? '').toUpperCase(), args: match[2] ?? '', line: index + 1 };
        }
        else {
            pending.args += ` ${body}`;
        }
        if (!continued) {
            result.push(pending);
            pending = undefined;
        }
    });
    if (pending !== undefined)
        result.push(pending);
    return result;
}
/** The words of an instruction's arguments: a JSON array form, or whitespace-separated. */
function words(args) {
    const trimmed = args.trim();
    if (trimmed.startsWith('[')) {
        try {
            const parsed = JSON.parse(trimmed);
            if (Array.isArray(parsed))
                return parsed.map(String);
        }
        catch {
            // not JSON: read as words
        }
    }
    return trimmed.split(/\s+/).filter((word) => word !== '');
}
const CODE_GENERATOR = /\b(protoc|buf generate|grpc_tools\.protoc|openapi-generator(?:-cli)?|swagger-codegen|genproto)\b/;
function readDockerfile(text) {
    const bases = [];
    const copies = [];
    let runs = false;
    let generates = false;
    for (const { keyword, args, line } of instructions(text)) {
        if (keyword === 'FROM') {
            const image = words(args).find((word) => !word.startsWith('--'));
            bases.push(image ?? '');
            runs = false;
            generates = false;
        }
        else if (keyword === 'COPY' || keyword === 'ADD') {
            const parts = words(args);
            if (parts.some((part) => part.startsWith('--from=')))
                continue;
            const operands = parts.filter((part) => !part.startsWith('--'));
            const sources = operands.slice(0, -1).filter((source) => !/^[a-z]+:\/\//i.test(source));
            if (sources.length > 0)
                copies.push({ sources, line });
        }
        else if (keyword === 'CMD' || keyword === 'ENTRYPOINT' || keyword === 'EXPOSE') {
            runs = true;
            if (CODE_GENERATOR.test(args))
                generates = true;
        }
        else if (keyword === 'RUN' && CODE_GENERATOR.test(args)) {
            generates = true;
        }
    }
    return { bases, copies, runs, generates };
}
/** A Dockerfile's file name: `Dockerfile`, `Containerfile`, `Dockerfile.prod`, `api.Dockerfile`. */
const DOCKERFILE_NAME = /^(?:(?:Dockerfile|Containerfile)(?:\.[\w.-]+)?|[\w.-]+\.(?:Dockerfile|Containerfile|dockerfile))$/;

;// CONCATENATED MODULE: ./packages/cli/src/init/service.ts
// A service as init finds it: the image a repository builds, how, from where, and where each value was read.



/** Folder names that hold a service's build files rather than name it: the service is their parent. */
const GENERIC_FOLDERS = new Set([
    'src',
    'docker',
    'build',
    'deploy',
    'container',
    'containers',
    '.docker',
    'dockerfiles',
]);
/** A service name from an image or folder: its last segment, as detect-changed-services accepts names. */
function serviceName(text) {
    const last = text
        .replace(/[:@].*$/, '')
        .split('/')
        .filter(Boolean)
        .pop() ?? text;
    const cleaned = last.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '');
    return cleaned === '' ? 'app' : cleaned;
}
/** An image reference without its tag or digest. */
function imageName(reference) {
    const withoutDigest = reference.split('@')[0] ?? reference;
    const lastSlash = withoutDigest.lastIndexOf('/');
    const colon = withoutDigest.lastIndexOf(':');
    return colon > lastSlash ? withoutDigest.slice(0, colon) : withoutDigest;
}
/** `a/b/src` -> `a/b`: the service folder above generic build-file folders. */
function withoutGenericFolders(folder) {
    let current = folder;
    while (current !== '.' && GENERIC_FOLDERS.has(external_node_path_.posix.basename(current)) && folderOf(current) !== '.') {
        current = folderOf(current);
    }
    return current;
}
/** The deepest folder all `paths` lie in. */
function commonFolder(paths) {
    if (paths.length === 0)
        return '.';
    let common = (paths[0] ?? '.').split('/');
    for (const path of paths.slice(1)) {
        const parts = path.split('/');
        let index = 0;
        while (index < common.length && common[index] === parts[index])
            index += 1;
        common = common.slice(0, index);
    }
    return common.length === 0 ? '.' : common.join('/');
}
/** A COPY source as the repository path it reads (globs cut at their first wildcard folder). */
function copiedPath(context, source, where) {
    const literal = source.split('/').filter((part) => !/[*?[]/.test(part));
    const cut = source.split('/').findIndex((part) => /[*?[]/.test(part));
    const kept = cut < 0 ? source : literal.slice(0, cut).join('/') || '.';
    return resolveInside(context, kept, where);
}
/**
 * Where a service's code lives and what its build reads outside that folder, from its context and
 * Dockerfile: a context of `.` with `src/cart/src/Dockerfile` is the service `src/cart`.
 */
function buildReads(files, context, dockerfile) {
    const text = dockerfile === undefined ? undefined : files.read(dockerfile.value);
    const copies = text === undefined ? [] : readDockerfile(text).copies;
    const copied = copies.flatMap((copy) => copy.sources.map((source) => sourced(copiedPath(context.value, source, { file: dockerfile?.value ?? '', line: copy.line }), at(dockerfile?.value ?? '', copy.line))));
    let path = context;
    const dockerfileFolder = dockerfile === undefined ? undefined : folderOf(dockerfile.value);
    if (dockerfileFolder !== undefined &&
        dockerfile !== undefined &&
        dockerfileFolder !== context.value &&
        isWithin(dockerfileFolder, context.value)) {
        path = sourced(dockerfileFolder, dockerfile.source);
    }
    else if (context.value === '.') {
        const folders = copied.map((read) => read.value).filter((value) => value !== '.' && value.includes('/'));
        const common = commonFolder(folders);
        if (common !== '.' && folders.length > 0)
            path = sourced(common, copied[0]?.source ?? context.source);
    }
    path = sourced(withoutGenericFolders(path.value), path.source);
    const reads = copied.filter((read) => read.value !== '.' && !isWithin(read.value, path.value));
    if (dockerfile !== undefined && !isWithin(dockerfile.value, path.value))
        reads.push(dockerfile);
    if (context.value !== '.' &&
        !isWithin(context.value, path.value) &&
        copied.some((read) => read.value === context.value)) {
        reads.push(context);
    }
    return { path, reads: uniqueReads(reads) };
}
function uniqueReads(reads) {
    const seen = new Map();
    for (const read of reads)
        if (!seen.has(read.value))
            seen.set(read.value, read);
    return [...seen.values()];
}

;// CONCATENATED MODULE: ./packages/cli/src/init/compose.ts
// Services from compose files (compose.yaml, docker-compose*.yml): each service with a `build:`, its
// context and Dockerfile, after variables are substituted from `.env` and the environment.





const isMapping = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);
const COMPOSE_FILE = /(^|\/)(?:docker-)?compose(?:\.[\w-]+)?\.ya?ml$/;
/** The substituted value of every string in a compose document, with errors at the string's line. */
function substituteAll(value, path, variables, file, lineOf) {
    if (typeof value === 'string') {
        return value.includes('$') ? substitute(value, variables, { file, line: lineOf(path) }) : value;
    }
    if (Array.isArray(value))
        return value.map((item, index) => substituteAll(item, [...path, index], variables, file, lineOf));
    if (isMapping(value)) {
        return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substituteAll(item, [...path, key], variables, file, lineOf)]));
    }
    return value;
}
async function composeServices(files, environment) {
    const composeFiles = files.files.filter((file) => COMPOSE_FILE.test(file));
    const services = new Map();
    for (const file of composeFiles) {
        for (const service of await fileServices(files, file, environment)) {
            if (!services.has(service.name))
                services.set(service.name, service);
        }
    }
    return { services: [...services.values()], files: composeFiles };
}
async function fileServices(files, file, environment) {
    const folder = folderOf(file);
    const dotEnvFile = joinPath(folder, '.env');
    const dotEnv = files.read(dotEnvFile);
    // The environment wins over .env, as in docker compose.
    const variables = new Map([
        ...(dotEnv === undefined ? [] : parseDotEnv(dotEnv, dotEnvFile, environment)),
        ...environment,
    ]);
    const [document] = await (0,src/* parseYamlDocuments */.v)(files.read(file) ?? '', { file });
    if (document === undefined || !isMapping(document.value))
        return [];
    const value = substituteAll(document.value, [], variables, file, (path) => document.lineOf(path));
    const project = (typeof value['name'] === 'string' ? value['name'] : external_node_path_.posix.basename(folder === '.' ? '' : folder)) || 'app';
    const declared = value['services'];
    if (!isMapping(declared))
        return [];
    const found = [];
    for (const [name, body] of Object.entries(declared)) {
        if (!isMapping(body) || body['build'] === undefined)
            continue;
        const where = (path) => at(file, document.lineOf(['services', name, ...path]));
        const lineOf = (path) => document.lineOf(['services', name, ...path]);
        const build = body['build'];
        const contextWritten = typeof build === 'string'
            ? build
            : isMapping(build) && typeof build['context'] === 'string'
                ? build['context']
                : '.';
        if (/^[a-z]+:\/\//i.test(contextWritten) || contextWritten.startsWith('git@'))
            continue; // a remote context
        const contextPath = typeof build === 'string' ? ['build'] : ['build', 'context'];
        const context = sourced(resolveInside(folder, contextWritten, { file, line: lineOf(contextPath) }), where(isMapping(build) && build['context'] === undefined ? ['build'] : contextPath));
        if (isMapping(build) && typeof build['dockerfile_inline'] === 'string') {
            throw new src/* ConfigurationError */.j1(`service '${name}' builds from dockerfile_inline: move it into a Dockerfile the pipeline can build`, { file, line: lineOf(['build', 'dockerfile_inline']) });
        }
        const dockerfileWritten = isMapping(build) && typeof build['dockerfile'] === 'string' ? build['dockerfile'] : undefined;
        const dockerfilePath = dockerfileWritten === undefined ? ['build'] : ['build', 'dockerfile'];
        const dockerfile = sourced(resolveInside(context.value, dockerfileWritten ?? 'Dockerfile', { file, line: lineOf(dockerfilePath) }), where(dockerfilePath));
        const imageWritten = typeof body['image'] === 'string' ? body['image'] : undefined;
        const image = sourced(imageWritten === undefined ? `${project}-${name}` : imageName(imageWritten), where(imageWritten === undefined ? [] : ['image']));
        const { path, reads } = buildReads(files, context, dockerfile);
        found.push({
            name: name.replace(/[^A-Za-z0-9._-]+/g, '-'),
            image,
            builder: sourced('docker', where(['build'])),
            path,
            context,
            dockerfile,
            reads,
            requiresImages: [],
        });
    }
    return found;
}

;// CONCATENATED MODULE: ./packages/cli/src/init/dependencies.ts
// What services share: the folders and files each build reads outside its own folder (Dockerfile COPY,
// Go replace directives and module paths, npm/pnpm/yarn workspaces, Maven and Gradle modules, shared
// proto folders), turned into `dependsOn` on libraries and other services, and extra `paths`.


/** The first file named `name` in `folder` or below it (the nearest to the folder). */
function nearest(files, folder, name) {
    return filesWithin(files.files, folder)
        .filter((file) => external_node_path_.posix.basename(file) === name)
        .sort((a, b) => a.split('/').length - b.split('/').length)[0];
}
const lineAt = (content, index) => content.slice(0, index).split('\n').length;
/** Go: `replace a => ../lib` targets, and required modules that another go.mod in the repository declares. */
function goReads(files, service, modules) {
    const goMod = nearest(files, service.path.value, 'go.mod');
    const content = goMod === undefined ? undefined : files.read(goMod);
    if (goMod === undefined || content === undefined)
        return [];
    const reads = [];
    for (const match of content.matchAll(/=>\s*(\.{1,2}\/[^\s]*)/g)) {
        const target = external_node_path_.posix.normalize(joinPath(folderOf(goMod), match[1] ?? '.'));
        if (!target.startsWith('..'))
            reads.push(sourced(target.replace(/\/$/, ''), at(goMod, lineAt(content, match.index))));
    }
    // Required modules (`require x v1` or a line of a `require (...)` block) that the repository declares.
    for (const match of content.matchAll(/^(?:[ \t]*require)?[ \t]+(\S+)[ \t]+v\S*/gm)) {
        const folder = modules.get(match[1] ?? '');
        if (folder !== undefined && folder !== folderOf(goMod))
            reads.push(sourced(folder, at(goMod, lineAt(content, match.index + 1))));
    }
    return reads;
}
/** Every go.mod's module path and folder. */
function goModules(files) {
    const modules = new Map();
    for (const file of files.files.filter((path) => external_node_path_.posix.basename(path) === 'go.mod')) {
        const module = /^module\s+(\S+)/m.exec(files.read(file) ?? '')?.[1];
        if (module !== undefined)
            modules.set(module, folderOf(file));
    }
    return modules;
}
/** npm/pnpm/yarn workspace packages by name: from package.json `workspaces` and pnpm-workspace.yaml. */
function workspacePackages(files) {
    const packages = new Map();
    for (const file of files.files.filter((path) => external_node_path_.posix.basename(path) === 'package.json')) {
        try {
            const manifest = JSON.parse(files.read(file) ?? '');
            if (typeof manifest.name === 'string')
                packages.set(manifest.name, folderOf(file));
        }
        catch {
            // not JSON: not a package init can name
        }
    }
    return packages;
}
function npmReads(files, service, packages) {
    const packageJson = nearest(files, service.path.value, 'package.json');
    const content = packageJson === undefined ? undefined : files.read(packageJson);
    if (packageJson === undefined || content === undefined)
        return [];
    const reads = [];
    for (const [name, folder] of packages) {
        if (folder === folderOf(packageJson))
            continue;
        const index = content.indexOf(`"${name}"`);
        if (index >= 0 && /^"[^"]+"\s*:\s*"(workspace:|file:|link:|\*|\^|~|\d)/.test(content.slice(index))) {
            reads.push(sourced(folder, at(packageJson, lineAt(content, index))));
        }
    }
    for (const match of content.matchAll(/"(?:file|link):(\.{1,2}\/[^"]*)"/g)) {
        const target = external_node_path_.posix.normalize(joinPath(folderOf(packageJson), match[1] ?? '.'));
        if (!target.startsWith('..'))
            reads.push(sourced(target, at(packageJson, lineAt(content, match.index))));
    }
    return reads;
}
/** Maven artifactIds and Gradle project paths of the repository's modules. */
function jvmModules(files) {
    const modules = new Map();
    for (const file of files.files.filter((path) => external_node_path_.posix.basename(path) === 'pom.xml')) {
        const content = (files.read(file) ?? '')
            .replace(/<parent>[\s\S]*?<\/parent>/, '')
            .replace(/<dependencies>[\s\S]*<\/dependencies>/, '');
        const artifactId = /<artifactId>([^<]+)<\/artifactId>/.exec(content)?.[1];
        if (artifactId !== undefined)
            modules.set(`maven:${artifactId.trim()}`, folderOf(file));
    }
    return modules;
}
function jvmReads(files, service, modules) {
    const reads = [];
    const pom = nearest(files, service.path.value, 'pom.xml');
    const pomContent = pom === undefined ? undefined : files.read(pom);
    if (pom !== undefined && pomContent !== undefined) {
        const dependencies = /<dependencies>([\s\S]*)<\/dependencies>/.exec(pomContent);
        const offset = dependencies?.index ?? 0;
        for (const match of (dependencies?.[1] ?? '').matchAll(/<artifactId>([^<]+)<\/artifactId>/g)) {
            const folder = modules.get(`maven:${(match[1] ?? '').trim()}`);
            if (folder !== undefined && folder !== folderOf(pom))
                reads.push(sourced(folder, at(pom, lineAt(pomContent, offset + match.index))));
        }
    }
    const gradle = nearest(files, service.path.value, 'build.gradle') ?? nearest(files, service.path.value, 'build.gradle.kts');
    const gradleContent = gradle === undefined ? undefined : files.read(gradle);
    if (gradle !== undefined && gradleContent !== undefined) {
        const settings = files.files.find((file) => /(^|\/)settings\.gradle(\.kts)?$/.test(file) && isWithin(gradle, folderOf(file)));
        const root = settings === undefined ? '.' : folderOf(settings);
        for (const match of gradleContent.matchAll(/project\(\s*(?:path\s*[:=]\s*)?["']:([\w:.-]+)["']\s*\)/g)) {
            const folder = joinPath(root, (match[1] ?? '').replace(/:/g, '/'));
            if (folder !== folderOf(gradle))
                reads.push(sourced(folder, at(gradle, lineAt(gradleContent, match.index))));
        }
    }
    return reads;
}
const PROTO_FOLDER = /^(protos?|pb|proto-?defs|idl)$/i;
const BUILD_FILE = /(^|\/)(Dockerfile[^/]*|Makefile|[^/]+\.(sh|csproj|fsproj|mk)|build\.gradle(\.kts)?|pom\.xml|package\.json|buf(\.gen)?\.ya?ml|go\.mod|genproto[^/]*|tox\.ini|setup\.py|pyproject\.toml)$/;
/** Shared proto folders a service's build files name by a relative path (`../../protos`, `pb/`). */
function protoReads(files, service, protoFolders) {
    const outside = protoFolders.filter((folder) => !isWithin(folder, service.path.value));
    if (outside.length === 0)
        return [];
    const reads = [];
    for (const file of filesWithin(files.files, service.path.value).filter((path) => BUILD_FILE.test(path))) {
        const content = files.read(file);
        if (content === undefined)
            continue;
        for (const match of content.matchAll(/(?:\.\.\/)+[\w./-]*/g)) {
            const target = external_node_path_.posix.normalize(joinPath(folderOf(file), match[0]));
            const folder = outside.find((proto) => isWithin(target, proto) ||
                (isWithin(proto, target.replace(/\/$/, '')) &&
                    target !== '.' &&
                    external_node_path_.posix.basename(target.replace(/\/$/, '')) === external_node_path_.posix.basename(proto)));
            if (folder !== undefined)
                reads.push(sourced(folder, at(file, lineAt(content, match.index))));
        }
    }
    return reads;
}
function sharedProtoFolders(files) {
    const folders = new Set();
    for (const file of files.files.filter((path) => path.endsWith('.proto'))) {
        const parts = folderOf(file).split('/');
        const index = parts.findIndex((part) => PROTO_FOLDER.test(part));
        if (index >= 0)
            folders.add(parts.slice(0, index + 1).join('/'));
    }
    return [...folders];
}
/**
 * Each service's reads outside its folder, classified: inside another service's folder, a dependency on
 * it; a file, a path of its own; a folder that holds no service, a library; a folder holding services,
 * a path (the build really reads all of it).
 */
function findDependencies(files, services) {
    const modules = goModules(files);
    const packages = workspacePackages(files);
    const jvm = jvmModules(files);
    const protos = sharedProtoFolders(files);
    const libraries = new Map();
    const byService = new Map();
    const byImage = new Map(services.map((service) => [service.image.value, service]));
    const isFile = (path) => files.read(path) !== undefined && filesWithin(files.files, path).length === 0;
    for (const service of services) {
        const reads = [
            ...service.reads,
            ...goReads(files, service, modules),
            ...npmReads(files, service, packages),
            ...jvmReads(files, service, jvm),
            ...protoReads(files, service, protos),
        ].filter((read) => read.value !== '.' && !isWithin(read.value, service.path.value) && !isWithin(service.path.value, read.value));
        const dependsOn = service.requiresImages.flatMap((image) => {
            const other = byImage.get(image.value);
            return other === undefined ? [] : [sourced(other.name, image.source)];
        });
        const paths = [];
        for (const read of reads) {
            const owner = services.find((other) => other !== service && isWithin(read.value, other.path.value));
            if (owner !== undefined)
                dependsOn.push(sourced(owner.name, read.source));
            else if (isFile(read.value))
                paths.push(read);
            else if (services.some((other) => other !== service && isWithin(other.path.value, read.value)))
                paths.push(sourced(`${read.value}/**`, read.source));
            else
                dependsOn.push(sourced(libraryFor(libraries, read, services).name, read.source));
        }
        byService.set(service.name, { dependsOn: unique(dependsOn), paths: unique(paths) });
    }
    return { libraries: [...libraries.values()].sort((a, b) => a.name.localeCompare(b.name)), byService };
}
/** The library of a folder: one per folder, named after it (with its parent when the name is taken). */
function libraryFor(libraries, read, services) {
    const known = [...libraries.values()].find((library) => library.path.value === read.value);
    if (known !== undefined)
        return known;
    const taken = (name) => libraries.has(name) || services.some((service) => service.name === name);
    const base = external_node_path_.posix
        .basename(read.value)
        .replace(/[^A-Za-z0-9._-]+/g, '-')
        .replace(/^[^A-Za-z0-9]+/, '') || 'shared';
    let name = base;
    if (taken(name))
        name = `${external_node_path_.posix.basename(folderOf(read.value)).replace(/[^A-Za-z0-9._-]+/g, '-')}-${base}`.replace(/^[^A-Za-z0-9]+/, '');
    for (let suffix = 2; taken(name); suffix += 1)
        name = `${base}-${suffix}`;
    const library = { name, path: read };
    libraries.set(name, library);
    return library;
}
function unique(values) {
    const seen = new Map();
    for (const value of values)
        if (!seen.has(value.value))
            seen.set(value.value, value);
    return [...seen.values()];
}

;// CONCATENATED MODULE: ./packages/cli/src/init/dockerfiles.ts
// Services from Dockerfiles and Containerfiles found at any depth, when no skaffold or compose file names
// them. A Dockerfile that only serves code generation, tests or debugging is not a service: init reads
// its name, its folder, what it is built from and runs, and which scripts use it.




/** `Dockerfile.debug`, `debug.Dockerfile`: variants for other purposes than the service's image. */
const VARIANT = /^(?:(?:Dockerfile|Containerfile)\.(debug|dev|develop|development|local|test|tests|e2e|ci|builder|build)|(debug|dev|local|test|tests|e2e|ci)\.(?:Dockerfile|Containerfile|dockerfile))$/i;
/** Folders that hold code generation, tests and development tooling, not services. */
const TOOLING_FOLDER = /^(genproto|codegen|protogen|generated|gen|test|tests|e2e|e2e-tests|integration-tests?|cypress|playwright|\.devcontainer|devcontainer|hack|\.github|examples?|docs)$/i;
const TEST_IMAGE = /(^|\/)(cypress|playwright|selenium|testcontainers)(\/|$|:)/i;
const SCRIPT = /(^|\/)(Makefile|[^/]+\.(sh|bash|mk|ps1)|Taskfile\.ya?ml|justfile)$/;
function skipReason(file, facts, generatorScripts) {
    const name = external_node_path_.posix.basename(file);
    const variant = VARIANT.exec(name);
    if (variant !== null)
        return `a ${(variant[1] ?? variant[2] ?? '').toLowerCase()} variant of the service's Dockerfile`;
    const tooling = folderOf(file)
        .split('/')
        .find((part) => TOOLING_FOLDER.test(part));
    if (tooling !== undefined)
        return `lies in ${tooling}/, which holds tooling, not a service`;
    const testBase = facts.bases.find((base) => TEST_IMAGE.test(base));
    if (testBase !== undefined)
        return `a test image (FROM ${testBase})`;
    const script = generatorScripts.get(file);
    if (script !== undefined)
        return `code generation (${script} builds it)`;
    if (facts.generates && !facts.runs)
        return 'code generation (its last stage runs a generator and serves nothing)';
    return undefined;
}
/** Dockerfiles that a code-generation script (genproto.sh, a Makefile's proto target) builds or runs. */
function generatorScripts(files, dockerfiles) {
    const used = new Map();
    for (const script of files.files.filter((file) => SCRIPT.test(file))) {
        const content = files.read(script);
        if (content === undefined ||
            !/\b(protoc|genproto|generate|codegen|buf)\b/i.test(content) ||
            !/\bdocker\b|\bpodman\b|\bbuildah\b/.test(content))
            continue;
        for (const dockerfile of dockerfiles) {
            const folder = folderOf(dockerfile);
            const relative = external_node_path_.posix.relative(folderOf(script) === '.' ? '' : folderOf(script), dockerfile);
            const relativeFolder = external_node_path_.posix.relative(folderOf(script) === '.' ? '' : folderOf(script), folder === '.' ? '' : folder);
            const mentions = [dockerfile, relative, ...(relativeFolder === '' ? [] : [relativeFolder])].some((path) => content.includes(path));
            if (mentions && /gen|proto/i.test(external_node_path_.posix.basename(script) + content.slice(0, 2000)))
                used.set(dockerfile, script);
        }
    }
    return used;
}
/**
 * The build context docker would need: the Dockerfile's folder when what it copies is there, else the
 * nearest folder above where it is (a Dockerfile written for `docker build -f x/Dockerfile .`).
 */
function contextOf(files, dockerfile, facts) {
    const sources = facts.copies
        .flatMap((copy) => copy.sources)
        .map((source) => source
        .split('/')
        .filter((part) => !/[*?[]/.test(part))
        .join('/'))
        .filter((source) => source !== '' && source !== '.' && !source.startsWith('..') && !source.startsWith('/'));
    const exists = (folder, source) => {
        const path = external_node_path_.posix.normalize(joinPath(folder, source)).replace(/\/+$/, '');
        return files.read(path) !== undefined || files.files.some((file) => file.startsWith(`${path}/`));
    };
    let folder = folderOf(dockerfile);
    if (sources.length === 0)
        return folder;
    for (;;) {
        if (sources.every((source) => exists(folder, source)))
            return folder;
        if (folder === '.')
            return folderOf(dockerfile);
        folder = folderOf(folder);
    }
}
/** The preferred Dockerfile of a folder: `Dockerfile`, then `Containerfile`, then the only other one. */
function preferred(dockerfiles) {
    const byFolder = new Map();
    for (const file of dockerfiles)
        byFolder.set(folderOf(file), [...(byFolder.get(folderOf(file)) ?? []), file]);
    const kept = [];
    const variants = [];
    for (const [folder, inFolder] of byFolder) {
        const main = inFolder.find((file) => /^(Dockerfile|Containerfile)$/.test(external_node_path_.posix.basename(file)));
        // `api.Dockerfile` and `worker.Dockerfile` are images of their own.
        const named = inFolder.filter((file) => /\.(Dockerfile|Containerfile|dockerfile)$/.test(file));
        if (main !== undefined) {
            kept.push(main, ...named);
            for (const file of inFolder)
                if (file !== main && !named.includes(file))
                    variants.push({ file, reason: `a variant of ${joinPath(folder, external_node_path_.posix.basename(main))}` });
        }
        else {
            kept.push(...inFolder);
        }
    }
    return { kept: kept.sort(), variants };
}
function dockerfileServices(files, named, repositoryName) {
    const all = files.files.filter((file) => DOCKERFILE_NAME.test(external_node_path_.posix.basename(file)) && !named.has(file));
    const scripts = generatorScripts(files, all);
    const skipped = [];
    const candidates = [];
    for (const file of all) {
        const facts = readDockerfile(files.read(file) ?? '');
        const reason = skipReason(file, facts, scripts);
        if (reason === undefined)
            candidates.push({ file, facts });
        else
            skipped.push({ file, reason });
    }
    const { kept, variants } = preferred(candidates.map((candidate) => candidate.file));
    skipped.push(...variants);
    const services = kept.map((file) => {
        const facts = candidates.find((candidate) => candidate.file === file)?.facts ?? readDockerfile('');
        const dockerfile = sourced(file, at(file, undefined));
        const context = sourced(contextOf(files, file, facts), file);
        const { path, reads } = buildReads(files, context, dockerfile);
        const prefix = /^([\w-]+)\.(?:Dockerfile|Containerfile|dockerfile)$/.exec(external_node_path_.posix.basename(file))?.[1];
        const name = prefix ?? (path.value === '.' ? (projectName(files) ?? repositoryName) : external_node_path_.posix.basename(path.value));
        return {
            name: serviceName(name),
            image: sourced(serviceName(name), file),
            builder: sourced('docker', file),
            path,
            context,
            dockerfile,
            reads,
            requiresImages: [],
        };
    });
    return { services: qualifyClashes(services), skipped: skipped.sort((a, b) => a.file.localeCompare(b.file)) };
}
/** The name the root's project gives itself (package.json, go.mod, pom.xml), for a service at the root. */
function projectName(files) {
    try {
        const name = JSON.parse(files.read('package.json') ?? '{}').name;
        if (typeof name === 'string' && name !== '')
            return name;
    }
    catch {
        // not JSON: try the others
    }
    const module = /^module\s+(\S+)/m.exec(files.read('go.mod') ?? '')?.[1];
    if (module !== undefined)
        return module;
    const pom = (files.read('pom.xml') ?? '').replace(/<parent>[\s\S]*?<\/parent>/, '');
    return /<artifactId>([^<]+)<\/artifactId>/.exec(pom)?.[1];
}
/** Two services of the same folder name (`a/api`, `b/api`) are named with their parent (`a-api`, `b-api`). */
function qualifyClashes(services) {
    const counts = new Map();
    for (const service of services)
        counts.set(service.name, (counts.get(service.name) ?? 0) + 1);
    return services.map((service) => {
        if ((counts.get(service.name) ?? 0) < 2 || service.path.value === '.')
            return service;
        const parent = external_node_path_.posix.basename(folderOf(service.path.value));
        const name = serviceName(parent === '.' || parent === '' ? service.name : `${parent}-${service.name}`);
        return { ...service, name, image: sourced(name, service.image.source) };
    });
}

;// CONCATENATED MODULE: ./packages/cli/src/init/skaffold.ts
// Services from skaffold configurations: the root skaffold.yaml and every config it `requires` (in other
// folders too), their profiles' artifacts, Dockerfile and non-Docker builders, and `test:` commands.




const skaffold_isMapping = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);
const list = (value) => (Array.isArray(value) ? value : []);
const skaffold_text = (value) => typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
const SKAFFOLD_FILE = /(^|\/)skaffold\.ya?ml$/;
const NON_DOCKER_BUILDERS = ['jib', 'ko', 'buildpacks', 'custom', 'bazel'];
/** Every skaffold file no other skaffold file requires: where skaffold would be run. */
function rootFiles(files, required) {
    return files.files.filter((file) => SKAFFOLD_FILE.test(file) && !required.has(file));
}
async function skaffoldServices(files) {
    const loader = new SkaffoldLoader(files);
    const candidates = files.files.filter((file) => SKAFFOLD_FILE.test(file));
    if (candidates.length === 0)
        return { services: [], files: [] };
    // Every file's requires first, so that files reached through another are read from their root.
    const required = new Set();
    for (const file of candidates)
        for (const target of await loader.requiredFiles(file))
            required.add(target);
    const services = new Map();
    const roots = rootFiles(files, required);
    // Files that only require each other have no root: loading one reports their cycle.
    const unreached = candidates.filter((file) => !roots.includes(file));
    for (const file of [...roots, ...unreached]) {
        if (!roots.includes(file) && loader.loaded.has(file))
            continue;
        for (const config of await loader.load(file, undefined, [])) {
            for (const service of configServices(files, config))
                if (!services.has(service.name))
                    services.set(service.name, service);
        }
    }
    return { services: [...services.values()], files: loader.read };
}
class SkaffoldLoader {
    read = [];
    /** Files whose configs were loaded, through a root or their own. */
    loaded = new Set();
    files;
    parsed = new Map();
    constructor(files) {
        this.files = files;
    }
    async documents(file) {
        const known = this.parsed.get(file);
        if (known !== undefined)
            return known;
        const content = this.files.read(file);
        if (content === undefined)
            throw new src/* ConfigurationError */.j1('the skaffold config is not there', { file });
        const documents = (await (0,src/* parseYamlDocuments */.v)(content, { file })).filter((document) => skaffold_isMapping(document.value));
        this.parsed.set(file, documents);
        this.read.push(file);
        return documents;
    }
    /** The skaffold files `file` requires by path. */
    async requiredFiles(file) {
        const targets = [];
        for (const document of await this.documents(file)) {
            list(document.value['requires']).forEach((entry, index) => {
                const target = this.requiredFile(file, document, entry, index);
                if (target !== undefined)
                    targets.push(target);
            });
        }
        return targets;
    }
    requiredFile(file, document, entry, index) {
        if (!skaffold_isMapping(entry))
            return undefined;
        const path = skaffold_text(entry['path']);
        if (path === undefined)
            return undefined;
        const where = { file, line: document.lineOf(['requires', index, 'path']) };
        const target = resolveInside(folderOf(file), path, where);
        if (SKAFFOLD_FILE.test(target) || this.files.read(target) !== undefined)
            return target;
        const inFolder = ['skaffold.yaml', 'skaffold.yml']
            .map((name) => joinPath(target, name))
            .find((name) => this.files.read(name) !== undefined);
        if (inFolder === undefined)
            throw new src/* ConfigurationError */.j1(`requires '${path}', which holds no skaffold.yaml`, where);
        return inFolder;
    }
    /**
     * The configs of `file` (only those named in `names` when given) and everything they require, depth
     * first. `stack` holds the files being loaded: reaching one again is a cycle.
     */
    async load(file, names, stack) {
        this.loaded.add(file);
        const configs = [];
        for (const document of await this.documents(file)) {
            const value = document.value;
            const metadata = value['metadata'];
            const name = skaffold_isMapping(metadata) ? skaffold_text(metadata['name']) : undefined;
            if (names !== undefined && (name === undefined || !names.includes(name)))
                continue;
            const requires = list(value['requires']);
            for (const [index, entry] of requires.entries()) {
                const target = this.requiredFile(file, document, entry, index);
                if (target === undefined || !skaffold_isMapping(entry))
                    continue;
                const chain = [...stack, file];
                if (chain.includes(target)) {
                    const cycle = [...chain.slice(chain.indexOf(target)), target].join(' -> ');
                    throw new src/* ConfigurationError */.j1(`skaffold requires cycle: ${cycle}`, {
                        file,
                        line: document.lineOf(['requires', index, 'path']),
                    });
                }
                const wanted = list(entry['configs'])
                    .map(skaffold_text)
                    .filter((item) => item !== undefined);
                configs.push(...(await this.load(target, wanted.length > 0 ? wanted : undefined, chain)));
            }
            configs.push({ file, document, name });
        }
        return configs;
    }
}
/** The services of one config: its build's artifacts, then those only a profile builds. */
function configServices(files, config) {
    const value = config.document.value;
    const tests = testCommands(config, value['test'], ['test']);
    const services = [];
    const build = value['build'];
    if (skaffold_isMapping(build)) {
        list(build['artifacts']).forEach((artifact, index) => {
            const service = artifactService(files, config, artifact, ['build', 'artifacts', index], undefined, tests);
            if (service !== undefined)
                services.push(service);
        });
    }
    list(value['profiles']).forEach((profile, profileIndex) => {
        if (!skaffold_isMapping(profile) || !skaffold_isMapping(profile['build']))
            return;
        const profileName = skaffold_text(profile['name']) ?? `#${profileIndex + 1}`;
        const profileTests = new Map([
            ...tests,
            ...testCommands(config, profile['test'], ['profiles', profileIndex, 'test']),
        ]);
        list(profile['build']['artifacts']).forEach((artifact, index) => {
            const path = ['profiles', profileIndex, 'build', 'artifacts', index];
            const service = artifactService(files, config, artifact, path, profileName, profileTests);
            if (service !== undefined && !services.some((known) => known.image.value === service.image.value))
                services.push(service);
        });
    });
    return services;
}
/** `test:` entries by image: their custom commands joined, and their dependency paths. */
function testCommands(config, value, path) {
    const byImage = new Map();
    const folder = folderOf(config.file);
    list(value).forEach((entry, index) => {
        if (!skaffold_isMapping(entry))
            return;
        const image = skaffold_text(entry['image']);
        if (image === undefined)
            return;
        const commands = [];
        const reads = [];
        let line;
        list(entry['custom']).forEach((custom, customIndex) => {
            if (!skaffold_isMapping(custom))
                return;
            const command = skaffold_text(custom['command']);
            const customPath = [...path, index, 'custom', customIndex];
            if (command !== undefined) {
                commands.push(command);
                line ??= config.document.lineOf([...customPath, 'command']);
            }
            const dependencies = custom['dependencies'];
            if (!skaffold_isMapping(dependencies))
                return;
            list(dependencies['paths']).forEach((dependency, dependencyIndex) => {
                const written = skaffold_text(dependency);
                if (written === undefined)
                    return;
                const where = {
                    file: config.file,
                    line: config.document.lineOf([...customPath, 'dependencies', 'paths', dependencyIndex]),
                };
                const literal = written
                    .split('/')
                    .filter((part) => !/[*?[]/.test(part))
                    .join('/') || '.';
                reads.push(sourced(resolveInside(folder, literal, where), at(config.file, where.line)));
            });
        });
        if (commands.length > 0)
            byImage.set(imageName(image), { command: sourced(commands.join(' && '), at(config.file, line)), reads });
    });
    return byImage;
}
function artifactService(files, config, artifact, path, profile, tests) {
    if (!skaffold_isMapping(artifact))
        return undefined;
    const document = config.document;
    const where = (key) => at(config.file, document.lineOf([...path, ...key])) + (profile === undefined ? '' : ` (profile ${profile})`);
    const image = skaffold_text(artifact['image']);
    if (image === undefined)
        return undefined;
    const folder = folderOf(config.file);
    const contextWritten = skaffold_text(artifact['context']) ?? '.';
    const context = sourced(resolveInside(folder, contextWritten, { file: config.file, line: document.lineOf([...path, 'context']) }), where(artifact['context'] === undefined ? ['image'] : ['context']));
    const builderKey = NON_DOCKER_BUILDERS.find((key) => artifact[key] !== undefined);
    const builder = sourced(builderKey ?? 'docker', where(builderKey === undefined ? ['image'] : [builderKey]));
    let dockerfile;
    let buildCommand;
    if (builderKey === undefined) {
        const docker = artifact['docker'];
        const written = skaffold_isMapping(docker) ? skaffold_text(docker['dockerfile']) : undefined;
        const line = document.lineOf([...path, ...(written === undefined ? ['image'] : ['docker', 'dockerfile'])]);
        dockerfile = sourced(resolveInside(context.value, written ?? 'Dockerfile', { file: config.file, line }), where(written === undefined ? ['image'] : ['docker', 'dockerfile']));
    }
    else if (builderKey === 'custom') {
        const custom = artifact['custom'];
        const command = skaffold_isMapping(custom) ? skaffold_text(custom['buildCommand']) : undefined;
        if (command !== undefined)
            buildCommand = sourced(command, where(['custom', 'buildCommand']));
    }
    const { path: codePath, reads } = buildReads(files, context, dockerfile);
    const test = tests.get(imageName(image));
    const requiresImages = list(artifact['requires']).flatMap((entry, index) => {
        const required = skaffold_isMapping(entry) ? skaffold_text(entry['image']) : undefined;
        return required === undefined ? [] : [sourced(imageName(required), where(['requires', index, 'image']))];
    });
    let testCommand = test?.command;
    if (testCommand !== undefined && context.value !== codePath.value) {
        // skaffold runs test commands in the artifact's context; the pipeline runs them in the service's folder.
        const relative = external_node_path_.posix.relative(codePath.value === '.' ? '' : codePath.value, context.value === '.' ? '' : context.value) || '.';
        testCommand = sourced(`cd ${relative} && ${testCommand.value}`, testCommand.source);
    }
    return {
        name: serviceName(image),
        image: sourced(imageName(image), where(['image'])),
        builder,
        path: codePath,
        context,
        ...(dockerfile === undefined ? {} : { dockerfile }),
        ...(buildCommand === undefined ? {} : { buildCommand }),
        ...(testCommand === undefined ? {} : { test: testCommand }),
        reads: [...reads, ...(test?.reads ?? [])],
        requiresImages,
    };
}

;// CONCATENATED MODULE: ./packages/cli/src/init/helm.ts
// A Helm template read statically, without Helm: values substituted from values.yaml, control actions
// (if, range, with, end) dropped, `toYaml .Values.x | nindent n` written out. Enough to see which images
// a chart's workloads run and their probes; what it cannot evaluate becomes a neutral word.
const helm_isMapping = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);
const ACTION = /\{\{-?\s*([\s\S]*?)\s*-?\}\}/g;
const CONTROL = /^(?:(?:if|else|end|range|with|define|block|fail)\b|\/\*|\$\w+\s*:?=)/;
function lookup(values, path) {
    let current = values;
    for (const key of path.split('.').filter(Boolean))
        current = helm_isMapping(current) ? current[key] : undefined;
    return current;
}
/** YAML for a value, indented `indent` spaces: what `toYaml x | nindent n` writes. */
function toYaml(value, indent) {
    const pad = ' '.repeat(indent);
    if (helm_isMapping(value)) {
        return Object.entries(value).flatMap(([key, item]) => helm_isMapping(item) || Array.isArray(item)
            ? [`${pad}${key}:`, ...toYaml(item, indent + 2)]
            : [`${pad}${key}: ${JSON.stringify(item)}`]);
    }
    if (Array.isArray(value)) {
        return value.flatMap((item) => {
            const lines = toYaml(item, indent + 2);
            const first = lines[0]?.trimStart() ?? '';
            return helm_isMapping(item) || Array.isArray(item)
                ? [`${pad}- ${first}`, ...lines.slice(1)]
                : [`${pad}- ${JSON.stringify(item)}`];
        });
    }
    return [`${pad}${JSON.stringify(value)}`];
}
/** The value of one template expression: `.Values.a.b | default "x"`, `.Chart.Name`, `include "..." .`. */
function evaluate(expression, values, chartName) {
    const [head = '', ...pipes] = expression.split('|').map((part) => part.trim());
    let value;
    const valuesPath = /^\.Values\.([\w.]+)$/.exec(head)?.[1];
    if (valuesPath !== undefined)
        value = lookup(values, valuesPath);
    else if (/^\.(Chart\.Name|Release\.Name)$/.test(head) || /^(include|template)\s+"[^"]*(fullname|name)"/.test(head))
        value = chartName;
    else if (/^"[^"]*"$/.test(head))
        value = head.slice(1, -1);
    for (const pipe of pipes) {
        const fallback = /^default\s+(.+)$/.exec(pipe)?.[1];
        if (fallback !== undefined && (value === undefined || value === '' || value === null))
            value = evaluate(fallback, values, chartName);
    }
    if (value === undefined || value === null || helm_isMapping(value) || Array.isArray(value))
        return 'unresolved';
    return typeof value === 'string' ? value : JSON.stringify(value);
}
function renderHelmTemplate(template, values, chartName) {
    const lines = [];
    const lineMap = [];
    template.split(/\r?\n/).forEach((line, index) => {
        const actions = [...line.matchAll(ACTION)];
        const rest = line.replace(ACTION, '').trim();
        const toYamlAction = actions
            .map((match) => /^toYaml\s+\.Values\.([\w.]+)\s*\|\s*nindent\s+(\d+)$/.exec(match[1] ?? ''))
            .find((match) => match !== null);
        if (toYamlAction !== undefined && toYamlAction !== null) {
            const prefix = line.slice(0, line.indexOf('{{'));
            if (prefix.trim() !== '') {
                lines.push(prefix.trimEnd());
                lineMap.push(index + 1);
            }
            const value = lookup(values, toYamlAction[1] ?? '');
            if (value !== undefined && value !== null) {
                for (const rendered of toYaml(value, Number(toYamlAction[2]))) {
                    lines.push(rendered);
                    lineMap.push(index + 1);
                }
            }
            return;
        }
        if (actions.length > 0 && rest === '') {
            // A line of actions only: control flow, includes of labels, comments. It writes nothing init needs.
            const writes = actions.some((match) => !CONTROL.test(match[1] ?? '') && !/^(include|toYaml)/.test(match[1] ?? ''));
            if (!writes)
                return;
        }
        lines.push(line.replace(ACTION, (_match, expression) => CONTROL.test(expression) ? '' : evaluate(expression, values, chartName)));
        lineMap.push(index + 1);
    });
    return { text: lines.join('\n'), lineMap };
}

;// CONCATENATED MODULE: ./packages/cli/src/init/workloads.ts
// The Kubernetes workloads a repository deploys, read from what it has: kustomize trees rendered with
// `kubectl kustomize`, plain manifests, and Helm charts' templates with their values read statically.
// Each workload's containers carry the image name the manifests use and their first probe.





const WORKLOAD_KINDS = {
    Deployment: ['spec', 'template', 'spec'],
    StatefulSet: ['spec', 'template', 'spec'],
    DaemonSet: ['spec', 'template', 'spec'],
    Rollout: ['spec', 'template', 'spec'],
};
const KUSTOMIZATION = /(^|\/)(kustomization\.ya?ml|Kustomization)$/;
const ENVIRONMENT = /^(dev|develop|development|test|testing|qa|stage|staging|preprod|pre-prod|uat|canary|prod|production|live)$/i;
/** Files that are not Kubernetes manifests however they look. */
const NOT_MANIFEST = /(^|\/)(\.github|skaffold\.ya?ml|(docker-)?compose[^/]*|Chart\.yaml|values[^/]*\.ya?ml|\.gitlab-ci\.yml|\.pre-commit[^/]*)$|(^|\/)\.github\//;
const workloads_isMapping = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);
const workloads_list = (value) => (Array.isArray(value) ? value : []);
const workloads_text = (value) => typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
function get(value, path) {
    let current = value;
    for (const key of path)
        current =
            workloads_isMapping(current) || Array.isArray(current) ? current[key] : undefined;
    return current;
}
/** The containers of the workloads in one parsed document, located with `where`. */
function documentContainers(document, where, via) {
    const value = document.value;
    if (!workloads_isMapping(value))
        return [];
    const kind = workloads_text(value['kind']);
    const podPath = kind === undefined ? undefined : WORKLOAD_KINDS[kind];
    const name = workloads_text(get(value, ['metadata', 'name']));
    if (podPath === undefined || kind === undefined || name === undefined)
        return [];
    const namespace = workloads_text(get(value, ['metadata', 'namespace']));
    return workloads_list(get(value, [...podPath, 'containers'])).flatMap((container, index) => {
        const image = workloads_text(get(container, ['image']));
        const containerName = workloads_text(get(container, ['name']));
        if (image === undefined || containerName === undefined)
            return [];
        const containerPath = [...podPath, 'containers', index];
        const probe = probeOf(container, (path) => where(document.lineOf?.([...containerPath, ...path])));
        return [
            {
                resource: `${kind.toLowerCase()}/${name}`,
                ...(namespace === undefined ? {} : { namespace }),
                container: containerName,
                image: imageName(image),
                source: where(document.lineOf?.([...containerPath, 'image'])),
                ...(probe === undefined ? {} : { probe }),
                via,
            },
        ];
    });
}
function probeOf(container, where) {
    for (const kind of ['readiness', 'liveness']) {
        const probe = get(container, [`${kind}Probe`]);
        if (!workloads_isMapping(probe))
            continue;
        const httpGet = probe['httpGet'];
        const source = where([`${kind}Probe`]);
        if (workloads_isMapping(httpGet)) {
            const port = workloads_text(httpGet['port']) ?? '';
            return {
                kind,
                http: { path: workloads_text(httpGet['path']) ?? '/', port, scheme: (workloads_text(httpGet['scheme']) ?? 'HTTP').toLowerCase() },
                source,
            };
        }
        const other = ['grpc', 'exec', 'tcpSocket'].find((key) => probe[key] !== undefined);
        if (other !== undefined)
            return { kind, other, source };
    }
    return undefined;
}
async function kustomizeLayout(files) {
    const kustomizations = files.files.filter((file) => KUSTOMIZATION.test(file));
    /** Folder \u2192 the kustomization folders that list it. */
    const referrers = new Map();
    const components = [];
    for (const file of kustomizations) {
        const [document] = await (0,src/* parseYamlDocuments */.v)(files.read(file) ?? '', { file });
        const value = document?.value;
        if (!workloads_isMapping(value))
            continue;
        if (value['kind'] === 'Component')
            components.push(folderOf(file));
        for (const key of ['resources', 'bases', 'components']) {
            workloads_list(value[key]).forEach((entry, index) => {
                const written = workloads_text(entry);
                if (written === undefined ||
                    /^[a-z]+:\/\//i.test(written) ||
                    written.includes('?ref=') ||
                    written.startsWith('github.com/'))
                    return;
                const folder = resolveInside(folderOf(file), written, { file, line: document?.lineOf([key, index]) });
                referrers.set(folder, [...(referrers.get(folder) ?? []), folderOf(file)]);
            });
        }
    }
    const folders = kustomizations.map(folderOf);
    const overlays = folders
        .filter((folder) => ENVIRONMENT.test(external_node_path_.posix.basename(folder)))
        .map((folder) => ({ environment: external_node_path_.posix.basename(folder).toLowerCase(), folder }));
    const bases = folders.filter((folder) => !components.includes(folder) && !overlays.some((overlay) => overlay.folder === folder));
    const isOverlay = (folder) => overlays.some((overlay) => overlay.folder === folder);
    const roots = folders.filter((folder) => !referrers.has(folder) && !components.includes(folder));
    // A base that only environment overlays list is rendered on its own as well: its images are as its
    // team wrote them, and the same whether or not init's own overlays already sit over it.
    const overlaid = folders.filter((folder) => !components.includes(folder) && (referrers.get(folder) ?? []).every(isOverlay) && referrers.has(folder));
    const baseRoots = roots.filter((folder) => !isOverlay(folder));
    return { layout: { bases, roots: baseRoots, components, overlays }, roots: [...roots, ...overlaid] };
}
/** The order renderings are trusted for image names: non-environment roots, then dev, staging, production. */
function renderOrder(roots) {
    const rank = (folder) => {
        const name = external_node_path_.posix.basename(folder).toLowerCase();
        if (!ENVIRONMENT.test(name))
            return 0;
        if (/^dev/.test(name))
            return 1;
        if (/stag|qa|test|uat/.test(name))
            return 2;
        return 3;
    };
    return [...roots].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}
const looksLikeManifest = (content) => /^apiVersion:/m.test(content) && /^kind:/m.test(content);
async function findWorkloads(files, render) {
    const { layout, roots } = await kustomizeLayout(files);
    const charts = files.files.filter((file) => external_node_path_.posix.basename(file) === 'Chart.yaml').map(folderOf);
    const inChart = (file) => charts.some((chart) => (chart !== '.' && file.startsWith(`${chart}/`)) || (chart === '.' && file.startsWith('templates/')));
    const staticContainers = [];
    const plainFiles = [];
    const kustomized = new Set();
    for (const file of files.files.filter((path) => /\.ya?ml$/.test(path) && !KUSTOMIZATION.test(path) && !NOT_MANIFEST.test(path) && !inChart(path))) {
        const content = files.read(file);
        if (content === undefined || !looksLikeManifest(content) || content.includes('{{'))
            continue;
        const documents = await (0,src/* parseYamlDocuments */.v)(content, { file });
        const found = documents.flatMap((document) => documentContainers(document, (line) => at(file, line), 'yaml'));
        staticContainers.push(...found);
        if (found.length > 0)
            plainFiles.push(file);
    }
    const rendered = [];
    for (const root of renderOrder(roots)) {
        let output;
        try {
            output = await render(root);
        }
        catch (error) {
            const reason = error instanceof Error ? error.message : String(error);
            throw new src/* ConfigurationError */.j1(`kubectl kustomize failed: ${reason.trim().split('\n').slice(-3).join(' ')}`, {
                file: joinPath(root, 'kustomization.yaml'),
            });
        }
        const documents = await (0,src/* parseYamlDocuments */.v)(output, { file: `kubectl kustomize ${root}` });
        for (const document of documents) {
            for (const container of documentContainers({ value: document.value }, () => `kubectl kustomize ${root}`, 'kustomize')) {
                const earlier = rendered.findIndex((known) => known.resource === container.resource && known.container === container.container);
                if (earlier >= 0) {
                    // The first rendering names the image; a later one may add a probe (a component's patch, say).
                    const known = rendered[earlier];
                    if (known !== undefined && known.probe === undefined && container.probe !== undefined)
                        rendered[earlier] = { ...known, probe: container.probe };
                    continue;
                }
                // Where the base wrote it, when it did: a line is worth more than a folder.
                const written = staticContainers.find((known) => known.resource === container.resource && known.container === container.container);
                rendered.push({
                    ...container,
                    source: written !== undefined && written.image === container.image ? written.source : container.source,
                    ...(container.probe !== undefined && written?.probe !== undefined ? { probe: written.probe } : {}),
                });
                kustomized.add(container.resource);
            }
        }
    }
    for (const root of [...layout.bases, ...layout.overlays.map((overlay) => overlay.folder)]) {
        for (const file of plainFiles)
            if (file.startsWith(`${root}/`))
                kustomized.add(file);
    }
    const helm = [];
    for (const chart of charts)
        helm.push(...(await chartContainers(files, chart)));
    const containers = [
        ...rendered,
        ...staticContainers.filter((container) => !rendered.some((known) => known.resource === container.resource && known.container === container.container)),
        ...helm,
    ];
    return {
        containers,
        kustomize: layout,
        plainFiles: plainFiles.filter((file) => !kustomized.has(file) &&
            !layout.bases.some((base) => file.startsWith(`${base}/`)) &&
            !layout.overlays.some((overlay) => file.startsWith(`${overlay.folder}/`))),
        helmCharts: charts,
    };
}
async function chartContainers(files, chart) {
    const valuesFile = joinPath(chart, 'values.yaml');
    const valuesText = files.read(valuesFile);
    const values = valuesText === undefined
        ? { value: {}, lineOf: () => undefined }
        : ((await (0,src/* parseYamlDocuments */.v)(valuesText, { file: valuesFile }))[0] ?? { value: {}, lineOf: () => undefined });
    const chartName = workloads_text(get((await (0,src/* parseYamlDocuments */.v)(files.read(joinPath(chart, 'Chart.yaml')) ?? '', {
        file: joinPath(chart, 'Chart.yaml'),
    }))[0]?.value, ['name'])) ?? external_node_path_.posix.basename(chart);
    const containers = [];
    const templates = files.files.filter((file) => file.startsWith(`${joinPath(chart, 'templates')}/`) && /\.ya?ml$/.test(file));
    for (const file of templates) {
        const rendered = renderHelmTemplate(files.read(file) ?? '', values.value, chartName);
        let documents;
        try {
            documents = await (0,src/* parseYamlDocuments */.v)(rendered.text, { file });
        }
        catch {
            continue; // a template init cannot read statically: its workloads are left to the user
        }
        for (const document of documents) {
            containers.push(...documentContainers(document, (line) => at(file, line === undefined ? undefined : (rendered.lineMap[line - 1] ?? line)), 'helm'));
        }
    }
    return containers;
}

;// CONCATENATED MODULE: ./packages/cli/src/init/written-files.ts
// The files init writes, as text: the services manifest and smoke checks with a comment on each derived
// value saying where it was read, the caller workflow, and environment overlays where there are none.



/** The deploy workflow's default environments, in promotion order. */
const DEFAULT_ENVIRONMENTS = ['dev', 'staging', 'production'];
/** The overlay the canary is deployed with (the workflow's `canary-environment`). */
const CANARY = 'canary';
/** The overlays init writes where there are none: the default environments and the canary. */
const ENVIRONMENTS = [...DEFAULT_ENVIRONMENTS.slice(0, 2), CANARY, ...DEFAULT_ENVIRONMENTS.slice(2)];
/** Promotion order of an environment's name: development first, production last. */
const promotionRank = (name) => {
    if (/^dev/.test(name))
        return 1;
    if (/^(prod|production|live)$/.test(name))
        return 3;
    return 2;
};
/**
 * The workflow's `environments` from the overlays a repository has: their own names in promotion order
 * when there are two or three (`dev`, `prod`), else the workflow's default.
 */
/** The most environments the reusable workflow promotes through. */
const MAX_ENVIRONMENTS = 8;
function environmentsOf(overlays) {
    const names = [...new Set(overlays.map((overlay) => overlay.environment))].filter((name) => name !== CANARY);
    names.sort((a, b) => promotionRank(a) - promotionRank(b) || a.localeCompare(b));
    // As many as the reusable workflow promotes through (two to eight); else its default.
    if (names.length < 2 || names.length > MAX_ENVIRONMENTS)
        return sourced(DEFAULT_ENVIRONMENTS, 'default');
    const folders = overlays.filter((overlay) => names.includes(overlay.environment)).map((overlay) => overlay.folder);
    return sourced(names, `${commonFolder(folders)}/{${names.join(',')}}`);
}
/** The repository variable that holds an environment's base URL: BASE_URL_DEV. */
const baseUrlVariable = (environment) => `BASE_URL_${environment.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`;
const PLAIN = /^[A-Za-z0-9_./@-][A-Za-z0-9_./@+=-]*$/;
const RESERVED = /^(true|false|yes|no|on|off|null|~|[-+]?[\d.]+(e[-+]?\d+)?)$/i;
/** A string as a YAML scalar: plain when that reads the same, else double-quoted. */
function yamlScalar(value) {
    return PLAIN.test(value) && !RESERVED.test(value) ? value : JSON.stringify(value);
}
/** A comment that cannot break the line it ends. */
const comment = (source) => ` # ${source.replace(/[\r\n]+/g, ' ')}`;
const field = (indent, key, value) => `${indent}${key}: ${yamlScalar(value.value)}${comment(value.source)}`;
const HEADER = [
    '# Written by `shiprail init` from what this repository declares; the comment on each value says where',
    '# it was read. Edit freely: init never overwrites this file without --force.',
];
function renderServicesManifest(services, libraries) {
    const lines = [...HEADER];
    if (libraries.length > 0) {
        lines.push('libraries:');
        for (const library of libraries) {
            lines.push(`  ${library.name}:`, field('    ', 'path', library.path));
        }
    }
    lines.push('services:');
    for (const service of services) {
        lines.push(`  ${service.name}:`, field('    ', 'path', service.path));
        if (service.dependencies.paths.length > 0) {
            lines.push('    paths:', `      - ${yamlScalar(service.path.value === '.' ? '**' : `${service.path.value}/**`)}`);
            for (const path of service.dependencies.paths)
                lines.push(`      - ${yamlScalar(path.value)}${comment(path.source)}`);
        }
        lines.push(field('    ', 'context', service.context));
        if (service.dockerfile !== undefined)
            lines.push(field('    ', 'dockerfile', service.dockerfile));
        else if (service.build !== undefined)
            lines.push(field('    ', 'build', service.build));
        else
            lines.push(`    # built with ${service.builder.value} (${service.builder.source}): no Dockerfile, add build:`);
        lines.push(field('    ', 'image', sourced(service.pushedAs, service.image.source)));
        if (service.workload !== undefined)
            lines.push(field('    ', 'resource', sourced(service.workload.resource, service.workload.source)));
        if (service.test !== undefined)
            lines.push(field('    ', 'test', service.test));
        if (service.dependencies.dependsOn.length > 0) {
            lines.push('    dependsOn:');
            for (const dependency of service.dependencies.dependsOn)
                lines.push(`      - ${yamlScalar(dependency.value)}${comment(dependency.source)}`);
        }
    }
    return `${lines.join('\n')}\n`;
}
function renderSmokeChecks(services) {
    const toAdd = [];
    const checks = [];
    for (const service of services) {
        const probe = service.workload?.probe;
        if (probe === undefined)
            continue;
        if (probe.http === undefined) {
            toAdd.push(`.github/smoke.yml: ${service.name}'s ${probe.kind} probe is ${probe.other} (${probe.source}), not HTTP: add a check of an HTTP endpoint it serves, if any`);
            continue;
        }
        const path = probe.http.path.startsWith('/') ? probe.http.path : `/${probe.http.path}`;
        checks.push(`  - name: ${yamlScalar(service.name)}${comment(`${probe.kind}Probe of ${service.workload?.resource ?? ''}, port ${probe.http.port}: ${probe.source}`)}`, '    request:', `      url: ${yamlScalar(path)}`, '    retry: { until: 2m, interval: 5s }');
    }
    if (checks.length === 0)
        return { toAdd };
    const header = [
        '# First smoke checks, from the readiness (else liveness) probes the manifests declare; written by `shiprail init`.',
        "# Each URL is relative to the environment's base URL (base-urls): where a gateway routes services under a prefix, add it.",
        'checks:',
    ];
    return { content: `${[...header, ...checks].join('\n')}\n`, toAdd };
}
/** The suite's reusable workflow when the CLI does not know which commit it came from. */
const UNPINNED_WORKFLOW = 'shiprail/shiprail/.github/workflows/deploy.yml@main';
function renderCallerWorkflow(options) {
    const toAdd = [];
    const uses = options.workflow ?? UNPINNED_WORKFLOW;
    if (options.workflow === undefined || !/@[0-9a-f]{40}$/.test(options.workflow)) {
        toAdd.push(`.github/workflows/deploy.yml: pin the suite by commit: \`uses: <owner>/shiprail/.github/workflows/deploy.yml@<commit-sha> # v1\` (now ${uses})`);
    }
    toAdd.push('gh variable set PROMETHEUS_URL --body https://prometheus.<your-domain>   # the Prometheus that holds the canary metrics');
    toAdd.push('gh secret set GITOPS_TOKEN   # a token that may push to this repository (the GitOps repository)');
    const environments = options.environments.value;
    for (const environment of environments) {
        toAdd.push(`gh variable set ${baseUrlVariable(environment)} --body https://${environment}.<your-domain>   # where smoke checks call in ${environment}`);
    }
    const overlays = options.overlays.value.includes('\n')
        ? `|-\n${options.overlays.value
            .split('\n')
            .map((line) => `        ${line}`)
            .join('\n')}`
        : yamlScalar(options.overlays.value);
    const lines = [
        '# Builds, scans and promotes the changed services through the environments below (a judged canary before',
        '# the last once PROMETHEUS_URL is set) with the shiprail deploy workflow. Written by `shiprail init`;',
        '# the comment on each input says where it came from.',
        'name: deploy',
        'on:',
        '  push:',
        `    branches: [${yamlScalar(options.defaultBranch)}]`,
        '  pull_request:',
        '  merge_group:',
        'permissions: {}',
        'jobs:',
        '  deploy:',
        `    uses: ${uses}`,
        '    permissions:',
        '      contents: read',
        '      packages: write',
        '      security-events: write',
        '      actions: read',
        '      pull-requests: write # only the comment job asks for it, on pull requests',
        '    with:',
        `      services-config: .github/services.yml`,
        `      image-prefix: ${options.imagePrefix.value.startsWith('${{') ? options.imagePrefix.value : yamlScalar(options.imagePrefix.value)}${comment(options.imagePrefix.source)}`,
        '      gitops-repository: ${{ github.repository }} # the overlays live in this repository',
        `      overlays: ${overlays}${options.overlays.value.includes('\n') ? '' : comment(options.overlays.source)}`,
        `      smoke-checks: ${options.smoke ? '.github/smoke.yml # from the readiness probes' : "'' # no HTTP probe to start from"}`,
        `      environments: ${environments.join(', ')}${comment(options.environments.source)}`,
        '      base-urls: |',
        ...environments.map((environment) => `        ${environment}: \${{ vars.${baseUrlVariable(environment)} }}`),
        '      prometheus-url: ${{ vars.PROMETHEUS_URL }}',
        '    secrets: inherit # GITOPS_TOKEN, NOTIFY_WEBHOOK_URL; each environment its own KUBECONFIG',
    ];
    return { content: `${lines.join('\n')}\n`, toAdd };
}
/** Folders of tests and examples: their kustomize trees are not what is deployed. */
const TOOLING = /^(tests?|e2e|examples?|samples?|docs|hack|\.github)$/i;
/** An environment overlay over `resources`, renaming the manifests' images to the pushed ones. */
function overlayFile(folder, resources, renames) {
    const lines = [
        '# Written by `shiprail init`: this environment over the base it found; the deploy workflow sets its images.',
        'apiVersion: kustomize.config.k8s.io/v1beta1',
        'kind: Kustomization',
        'resources:',
        ...resources.map((resource) => `  - ${yamlScalar(external_node_path_.posix.relative(folder, resource) || '.')}`),
    ];
    if (renames.length > 0) {
        lines.push('images:');
        for (const [name, newName] of renames)
            lines.push(`  - name: ${yamlScalar(name)}`, `    newName: ${yamlScalar(newName)}`);
    }
    return { path: joinPath(folder, 'kustomization.yaml'), content: `${lines.join('\n')}\n` };
}
/** A base over plain manifests, each named from the base's folder (which holds them all, at any depth). */
function baseFile(folder, manifests) {
    const lines = [
        '# Written by `shiprail init`: the manifests of this folder as a kustomize base the environment overlays use.',
        'apiVersion: kustomize.config.k8s.io/v1beta1',
        'kind: Kustomization',
        'resources:',
        ...manifests.map((manifest) => `  - ${yamlScalar(external_node_path_.posix.relative(folder, manifest))}`),
    ];
    return { path: joinPath(folder, 'kustomization.yaml'), content: `${lines.join('\n')}\n` };
}
function renderOverlays(workloads, services, prefix) {
    const notes = [];
    const toAdd = [];
    const { overlays, roots } = workloads.kustomize;
    if (overlays.length > 0) {
        const templates = [...new Set(overlays.map((overlay) => joinPath(folderOf(overlay.folder), '{environment}')))];
        const serviceTemplates = [
            ...new Set(templates.map((template) => {
                const owner = services.find((service) => template.split('/').includes(service.name));
                return owner === undefined
                    ? template
                    : template
                        .split('/')
                        .map((part) => (part === owner.name ? '{service}' : part))
                        .join('/');
            })),
        ];
        const named = new Set(overlays.map((overlay) => overlay.environment));
        const environments = environmentsOf(overlays);
        const missing = (environment, why) => `overlays: no ${environment} overlay (found ${[...named].join(', ')}): add ${serviceTemplates[0]?.replace('{environment}', environment) ?? ''}/kustomization.yaml${why}`;
        for (const environment of environments.value) {
            if (!named.has(environment))
                toAdd.push(missing(environment, `, or rename the overlay that deploys ${environment}`));
        }
        if (!named.has(CANARY))
            toAdd.push(missing(CANARY, ' before setting PROMETHEUS_URL (the canary runs beside production)'));
        const shown = overlays.find((overlay) => overlay.environment === environments.value[0]) ?? overlays[0];
        return {
            template: sourced(serviceTemplates.join('\n'), shown?.folder ?? ''),
            environments,
            files: [],
            notes,
            toAdd,
        };
    }
    const renames = prefix.startsWith('${{')
        ? []
        : services.flatMap((service) => service.workload !== undefined &&
            service.workload.via !== 'helm' &&
            service.workload.image !== `${prefix}/${service.pushedAs}`
            ? [[service.workload.image, `${prefix}/${service.pushedAs}`]]
            : []);
    const files = [];
    /** Kustomize bases written under plain manifests: not environments. */
    const bases = [];
    let template;
    if (roots.some((root) => !root.split('/').some((part) => TOOLING.test(part)))) {
        // Overlays beside the base (`deploy/base` -> `deploy/overlays`), never inside it: kustomize refuses a cycle.
        const byOverlayRoot = new Map();
        // The trees that hold the services' workloads; tests and examples of kustomize trees are not deployed.
        const runsServices = (root) => services.filter((service) => service.workload !== undefined && (root === '.' || service.workload.source.startsWith(`${root}/`))).length;
        const deployed = roots.filter((root) => !root.split('/').some((part) => TOOLING.test(part)));
        const ranked = [...deployed].sort((a, b) => runsServices(b) - runsServices(a));
        const chosen = ranked.some((root) => runsServices(root) > 0)
            ? ranked.filter((root) => runsServices(root) > 0)
            : ranked.slice(0, 1);
        for (const base of chosen) {
            const overlayRoot = joinPath(folderOf(base), 'overlays');
            const known = byOverlayRoot.get(overlayRoot);
            // Two trees side by side are alternatives (plain manifests, a kustomize tree of the same): one is enough.
            if (known === undefined)
                byOverlayRoot.set(overlayRoot, [base]);
            else
                notes.push(`${base} is another kustomize tree beside ${known.join(', ')}: the overlays are written over ${known.join(', ')}`);
        }
        const templates = new Set();
        for (const [overlayRoot, overlayBases] of byOverlayRoot) {
            for (const environment of ENVIRONMENTS)
                files.push(overlayFile(joinPath(overlayRoot, environment), overlayBases, renames));
            const owner = services.find((service) => overlayRoot.split('/').includes(service.name));
            const template = owner === undefined
                ? overlayRoot
                : overlayRoot
                    .split('/')
                    .map((part) => (part === owner.name ? '{service}' : part))
                    .join('/');
            templates.add(joinPath(template, '{environment}'));
            notes.push(`no per-environment overlays: wrote ${overlayRoot}/{${ENVIRONMENTS.join(',')}} over ${overlayBases.join(', ')}`);
        }
        // Named as a second run names the overlays it finds: the workflow is the same either way.
        template = sourced([...templates].join('\n'), [...templates][0]?.replace('{environment}', 'dev').replace('{service}', services[0]?.name ?? '') ?? '');
    }
    else if (workloads.plainFiles.length > 0) {
        // kustomize loads files only from in or below an overlay's folder, but any folder as a base: the manifests
        // get a base kustomization of their own, and the overlays name that folder.
        const baseFolder = commonFolder(workloads.plainFiles.map(folderOf));
        bases.push(baseFile(baseFolder, workloads.plainFiles));
        const overlayRoot = 'overlays';
        for (const environment of ENVIRONMENTS)
            files.push(overlayFile(joinPath(overlayRoot, environment), [baseFolder], renames));
        notes.push(`no kustomize tree: wrote ${joinPath(baseFolder, 'kustomization.yaml')} over the manifests there and overlays/{${ENVIRONMENTS.join(',')}} over it`);
        template = sourced('overlays/{environment}', 'overlays/dev');
    }
    else {
        template = sourced('overlays/{environment}', 'default');
        const charts = workloads.helmCharts;
        toAdd.push(charts.length > 0
            ? `overlays: the workloads are deployed by the Helm chart in ${charts.join(', ')}: add kustomize overlays that render it (helmCharts:) per environment under overlays/{environment}`
            : 'overlays: no Kubernetes manifests found: add overlays/{environment}/kustomization.yaml with the workloads of each environment');
    }
    // Named as a second run names the overlays it finds.
    const written = files
        .map((file) => folderOf(file.path))
        .map((folder) => ({ environment: external_node_path_.posix.basename(folder), folder }));
    return { template, environments: environmentsOf(written), files: [...bases, ...files], notes, toAdd };
}

;// CONCATENATED MODULE: ./packages/cli/src/init/plan.ts
// What `shiprail init` decides, from the repository's files alone: the services (skaffold, then compose,
// then Dockerfiles), what they share, the workload and probe of each, the image prefix and overlays, and
// the files to write. Side effects (reading the disk, running kubectl, git) are passed in.








const REGISTRY_HOST = /^(localhost(:\d+)?|[\w-]+(\.[\w-]+)+(:\d+)?)$/;
/** The registry prefix of an image name (`gcr.io/acme/cart` -> `gcr.io/acme`), when it names a registry. */
function registryPrefix(image) {
    const parts = image.split('/');
    if (parts.length < 2 || !REGISTRY_HOST.test(parts[0] ?? ''))
        return undefined;
    return parts.slice(0, -1).join('/');
}
/** One prefix all `images` share, with the source of the first. */
function sharedPrefix(images) {
    const prefixes = images.map((image) => registryPrefix(image.value));
    const first = prefixes[0];
    if (first === undefined || images.length === 0 || prefixes.some((prefix) => prefix !== first))
        return undefined;
    return sourced(first, images[0]?.source ?? '');
}
/** Services from every source in order of trust; a later source adds only what an earlier one lacks. */
async function allServices(files, context) {
    const skaffold = await skaffoldServices(files);
    const compose = await composeServices(files, context.environment);
    const services = skaffold.services.map((service) => ({
        ...service,
        origin: 'skaffold',
    }));
    const has = (service) => services.some((known) => known.name === service.name ||
        (service.dockerfile !== undefined && known.dockerfile?.value === service.dockerfile.value));
    for (const service of compose.services)
        if (!has(service))
            services.push({ ...service, origin: 'compose' });
    const named = new Set(services.flatMap((service) => (service.dockerfile === undefined ? [] : [service.dockerfile.value])));
    const fromDockerfiles = dockerfileServices(files, named, context.repositoryName);
    const declared = services.length > 0;
    const skipped = [...fromDockerfiles.skipped];
    for (const service of fromDockerfiles.services) {
        // A Dockerfile inside a declared service's folder is that service's business (a variant, a tool).
        const inside = services.find((known) => known.origin !== 'Dockerfile' && isWithin(service.path.value, known.path.value) && known.path.value !== '.');
        if (declared && inside !== undefined)
            skipped.push({
                file: service.dockerfile?.value ?? '',
                reason: `inside ${inside.name}'s folder, which ${inside.origin} builds otherwise`,
            });
        else if (!has(service))
            services.push({ ...service, origin: 'Dockerfile' });
    }
    return { services: services.sort((a, b) => a.name.localeCompare(b.name)), skipped };
}
/** The manifests' container that runs a service: its image named like the service's, else a workload of its name. */
function workloadOf(service, workloads) {
    const last = (image) => image.split('/').pop() ?? image;
    const imageLast = last(service.image.value);
    const candidates = workloads.containers;
    return (candidates.find((container) => container.image === service.image.value) ??
        candidates.find((container) => last(container.image) === imageLast) ??
        candidates.find((container) => last(container.image) === service.name) ??
        candidates.find((container) => container.resource.split('/')[1] === service.name && container.container === service.name) ??
        candidates.find((container) => container.resource.split('/')[1] === service.name));
}
function imagePrefixOf(services, workloads, context) {
    const built = sharedPrefix(services.map((service) => service.image));
    if (built !== undefined)
        return built;
    const deployed = workloads.filter((workload) => workload !== undefined);
    const fromManifests = deployed.length === 0
        ? undefined
        : sharedPrefix(deployed.map((workload) => sourced(workload.image, workload.source)));
    if (fromManifests !== undefined)
        return fromManifests;
    if (context.githubRepository !== undefined) {
        return sourced(`ghcr.io/${(context.githubRepository.split('/')[0] ?? '').toLowerCase()}`, 'git remote origin (GitHub Container Registry)');
    }
    return undefined;
}
async function planInit(files, context) {
    const { services: found, skipped } = await allServices(files, context);
    const dependencies = findDependencies(files, found);
    const workloads = await findWorkloads(files, context.render);
    // One image and one workload container: the one runs the other, whatever their names.
    const only = found.length === 1 && workloads.containers.length === 1 ? workloads.containers[0] : undefined;
    const matched = found.map((service) => workloadOf(service, workloads) ?? only);
    const toAdd = [];
    const notes = [];
    const derivedPrefix = imagePrefixOf(found, matched, context);
    const imagePrefix = derivedPrefix ?? sourced('${{ vars.IMAGE_PREFIX }}', 'not derivable');
    if (derivedPrefix === undefined) {
        toAdd.push('gh variable set IMAGE_PREFIX --body <registry>/<namespace>   # where images are pushed, e.g. ghcr.io/acme');
    }
    const services = found.map((service, index) => {
        const prefix = registryPrefix(service.image.value);
        const pushedAs = prefix !== undefined && prefix === derivedPrefix?.value
            ? service.image.value.slice(prefix.length + 1)
            : (service.image.value.split('/').pop() ?? service.name);
        const workload = matched[index];
        const build = derivedBuild(service, files);
        return {
            ...service,
            ...(build === undefined ? {} : { build }),
            dependencies: dependencies.byService.get(service.name) ?? { dependsOn: [], paths: [] },
            ...(workload === undefined ? {} : { workload }),
            pushedAs,
        };
    });
    for (const service of services)
        describeGaps(service, imagePrefix.value, toAdd, notes);
    const overlays = renderOverlays(workloads, services, imagePrefix.value);
    notes.push(...overlays.notes);
    toAdd.push(...overlays.toAdd);
    const smoke = renderSmokeChecks(services);
    toAdd.push(...smoke.toAdd);
    const files_ = [
        { path: '.github/services.yml', content: renderServicesManifest(services, dependencies.libraries) },
        ...(smoke.content === undefined ? [] : [{ path: '.github/smoke.yml', content: smoke.content }]),
    ];
    const workflow = renderCallerWorkflow({
        workflow: context.workflow,
        defaultBranch: context.defaultBranch,
        imagePrefix,
        overlays: overlays.template,
        environments: overlays.environments,
        smoke: smoke.content !== undefined,
    });
    toAdd.push(...workflow.toAdd);
    files_.push({ path: '.github/workflows/deploy.yml', content: workflow.content }, ...overlays.files);
    return {
        services,
        libraries: dependencies.libraries,
        skipped,
        imagePrefix,
        overlays: overlays.template,
        files: files_,
        toAdd,
        notes,
    };
}
/** What a service lacks that the pipeline needs, as lines to add. */
function describeGaps(service, prefix, toAdd, notes) {
    const entry = `.github/services.yml services.${service.name}`;
    if (service.builder.value !== 'docker' && service.build === undefined) {
        const command = builderCommand(service);
        toAdd.push(`${entry}: built with ${service.builder.value} (${service.builder.source}), no Dockerfile: add \`build: ${command}\` (a command that writes the image at $IMAGE_OUTPUT)`);
    }
    if (service.workload === undefined) {
        toAdd.push(`${entry}: no workload in the manifests runs image ${service.image.value}: add \`resource: deployment/<name>\``);
    }
    else if (service.workload.image !== `${prefix}/${service.pushedAs}` && !prefix.startsWith('${{')) {
        notes.push(`${service.name}: the manifests run ${service.workload.image} (${service.workload.source}); the pipeline pushes ${prefix}/${service.pushedAs}`);
    }
}
/**
 * The `build` command of a Jib service, from its Maven or Gradle build file (and wrapper) in its folder:
 * the command runs there and writes the image tarball at $IMAGE_OUTPUT.
 */
function derivedBuild(service, files) {
    if (service.builder.value !== 'jib')
        return undefined;
    const folder = service.path.value;
    const has = (name) => files.read(folder === '.' ? name : `${folder}/${name}`) !== undefined;
    const file = (name) => (folder === '.' ? name : `${folder}/${name}`);
    const output = '-Djib.outputPaths.tar="$IMAGE_OUTPUT"';
    const gradle = ['build.gradle', 'build.gradle.kts'].find(has);
    if (gradle !== undefined) {
        const command = has('gradlew') ? './gradlew' : 'gradle';
        return sourced(`${command} jibBuildTar ${output}`, `${service.builder.source} (jib), ${file(gradle)}`);
    }
    if (has('pom.xml')) {
        const command = has('mvnw') ? './mvnw' : 'mvn';
        return sourced(`${command} compile jib:buildTar ${output}`, `${service.builder.source} (jib), ${file('pom.xml')}`);
    }
    return undefined;
}
/** A command to start from for a builder init cannot derive a command of. */
function builderCommand(service) {
    switch (service.builder.value) {
        case 'jib':
            return './mvnw compile jib:buildTar -Djib.outputPaths.tar="$IMAGE_OUTPUT"';
        case 'ko':
            return 'KO_DOCKER_REPO=ko.local ko build --push=false --oci-layout-path="$IMAGE_OUTPUT" .';
        case 'buildpacks':
            return `pack build ${service.pushedAs} --path . && skopeo copy docker-daemon:${service.pushedAs}:latest "oci:$IMAGE_OUTPUT"`;
        case 'custom':
            return service.buildCommand === undefined
                ? `<the command that builds ${service.name}>`
                : `<${service.buildCommand.value} (${service.buildCommand.source}), writing the image at $IMAGE_OUTPUT>`;
        default:
            return 'bazel build //<target>:<oci_image>.tar && cp bazel-bin/<target>/<oci_image>.tar "$IMAGE_OUTPUT"';
    }
}
const relativeTo = (from, to) => posix.relative(from === '.' ? '' : from, to === '.' ? '' : to) || '.';

;// CONCATENATED MODULE: ./packages/cli/src/init/run.ts
// `shiprail init [DIR]`: plan from the repository, print what was found, then write the files that are
// new, and for those that exist show a diff and write them only with --force (or a yes on a terminal).




/** The table of services: how each is built, from where, what runs it, and where each value was read. */
function servicesTable(plan) {
    const rows = plan.services.map((service) => [
        service.name,
        service.builder.value,
        service.context.value,
        service.dockerfile?.value ?? (service.build === undefined ? '- (add build:)' : '- (build command)'),
        service.workload === undefined
            ? '-'
            : `${service.workload.resource}${service.workload.container === service.workload.resource.split('/')[1] ? '' : ` (${service.workload.container})`}`,
        service.workload?.image ?? '-',
        [
            `${service.origin}: ${service.image.source}`,
            ...(service.build === undefined ? [] : [`build: ${service.build.source}`]),
            ...(service.workload === undefined ? [] : [`workload: ${service.workload.source}`]),
            ...(service.workload?.probe === undefined ? [] : [`probe: ${service.workload.probe.source}`]),
        ].join('; '),
    ]);
    return textTable(['SERVICE', 'BUILT WITH', 'CONTEXT', 'DOCKERFILE', 'WORKLOAD', 'IMAGE IN MANIFESTS', 'SOURCE'], rows);
}
async function runInit(options, system) {
    const { terminal } = system;
    const root = options.directory;
    const files = system.listFiles(root);
    const facts = await system.gitFacts(root);
    const workflow = options.workflow ?? system.suiteWorkflow();
    const plan = await planInit(files, {
        repositoryName: external_node_path_.posix.basename(root.replace(/\\/g, '/').replace(/\/+$/, '')) || 'app',
        ...(facts.githubRepository === undefined ? {} : { githubRepository: facts.githubRepository }),
        defaultBranch: facts.defaultBranch ?? 'main',
        ...(workflow === undefined ? {} : { workflow }),
        environment: new Map(Object.entries(system.env).filter((entry) => entry[1] !== undefined)),
        render: (folder) => system.renderKustomization(root, folder),
    });
    if (plan.services.length === 0) {
        terminal.err('shiprail init: no service found (no skaffold.yaml, compose file with build:, or Dockerfile)');
        return 1;
    }
    terminal.out(`${servicesTable(plan)}\n`);
    if (plan.libraries.length > 0)
        terminal.out(`\nLibraries: ${plan.libraries.map((library) => `${library.name} (${library.path.value}, ${library.path.source})`).join(', ')}\n`);
    if (plan.skipped.length > 0) {
        terminal.out(`\nNot services:\n${plan.skipped.map((skipped) => `  ${skipped.file}: ${skipped.reason}`).join('\n')}\n`);
    }
    terminal.out(`\nImage prefix: ${plan.imagePrefix.value} (${plan.imagePrefix.source})\n`);
    for (const note of plan.notes)
        terminal.out(`Note: ${note}\n`);
    const written = await writePlan(plan, options, system);
    if (plan.toAdd.length > 0)
        terminal.out(`\nTo add by hand (init cannot derive these):\n${plan.toAdd.map((line) => `  ${line}`).join('\n')}\n`);
    return written ? 0 : 1;
}
/** Writes new files; existing ones that differ are shown as a diff and written only when allowed. True when nothing was held back. */
async function writePlan(plan, options, system) {
    const { terminal } = system;
    const writes = [];
    const heldBack = [];
    for (const file of plan.files) {
        const existing = system.readFile(options.directory, file.path);
        if (existing === file.content) {
            terminal.out(`unchanged ${file.path}\n`);
            continue;
        }
        if (existing === undefined) {
            writes.push(file);
            continue;
        }
        terminal.out(`\n${unifiedDiff(file.path, existing, file.content)}`);
        const allowed = options.force ||
            (terminal.interactive &&
                !options.dryRun &&
                /^y(es)?$/i.test((await terminal.ask(`Overwrite ${file.path}? [y/N] `)).trim()));
        if (allowed)
            writes.push(file);
        else
            heldBack.push(file.path);
    }
    if (options.dryRun) {
        for (const file of writes)
            terminal.out(`would write ${file.path}\n`);
        return true;
    }
    system.writeFiles(options.directory, writes);
    for (const file of writes)
        terminal.out(`wrote ${file.path}\n`);
    if (heldBack.length > 0) {
        terminal.err(`shiprail init: ${heldBack.join(', ')} exist${heldBack.length === 1 ? 's' : ''} and differ${heldBack.length === 1 ? 's' : ''} (diff above): left as they are; --force overwrites\n`);
        return false;
    }
    return true;
}

;// CONCATENATED MODULE: ./packages/rehearsal/src/event-names.ts
// The events a rehearsal delivers to a workflow: a push, a pull request, or a pull request in a merge queue.
const EVENT_NAMES = ['push', 'pull_request', 'merge_group'];

;// CONCATENATED MODULE: ./packages/cli/src/rehearse/options.ts
// `shiprail rehearse`'s command line, parsed once into one typed object: what is rehearsed (a repository
// or one of the built-in sample's scenarios), for which event, and where the report goes.


const isEvent = (name) => EVENT_NAMES.includes(name);
/** The options, or what is wrong with the command line (exit status 2). */
function parseRehearseOptions(args, cwd) {
    const report = args.report === undefined ? {} : { report: (0,external_node_path_.resolve)(cwd, args.report) };
    if (args.report === '')
        return { error: '--report needs a file name' };
    if (args.positionals.length > 1)
        return { error: `one directory at most, got ${args.positionals.join(' ')}` };
    if (args.scenario !== undefined) {
        if (args.scenario === '')
            return { error: '--scenario needs a name' };
        const mixed = [
            ...(args.positionals.length > 0 ? ['DIR'] : []),
            ...(args.event === undefined ? [] : ['--event']),
            ...(args.base === undefined ? [] : ['--base']),
        ];
        if (mixed.length > 0)
            return {
                error: `--scenario plays the built-in sample with the events of the scenario: drop ${mixed.join(', ')}`,
            };
        return { target: { kind: 'sample', scenario: args.scenario }, ...report };
    }
    const event = args.event ?? 'push';
    if (!isEvent(event))
        return { error: `--event '${event}' is none of ${EVENT_NAMES.join(', ')}` };
    if (args.base !== undefined && !/^[^\s-][^\s]*$/.test(args.base))
        return { error: `--base '${args.base}' is not a commit or branch name` };
    const directory = (0,external_node_path_.resolve)(cwd, args.positionals[0] ?? '.');
    return {
        target: { kind: 'repository', directory, event, ...(args.base === undefined ? {} : { base: args.base }) },
        ...report,
    };
}

;// CONCATENATED MODULE: ./packages/cli/src/cli.ts
// The `shiprail` command line: parses the arguments once, runs the command, and turns a user mistake
// (ConfigurationError) into one line naming the file and line; anything else is a failure of its own.





const USAGE = `Usage: shiprail <command> [options]

Commands:
  init [DIR]       Write the pipeline's configuration (.github/services.yml, .github/smoke.yml, the
                   deploy workflow, environment overlays) from what the repository in DIR (default .)
                   declares.
  rehearse [DIR]   Run the repository's own caller workflow and the deploy workflow it calls on this
                   machine (a registry, a GitOps remote and a cluster per environment on 127.0.0.1),
                   rehearsing a push of its last commit, and report what each environment runs.

Options of init:
  --force             Overwrite files that exist (init shows their diff and leaves them otherwise).
  --dry-run           Print what would be written; write nothing.
  --workflow <ref>    The reusable workflow to call: owner/repo/.github/workflows/deploy.yml@<commit-sha>.

Options of rehearse:
  --event <name>      push (default), pull_request (HEAD as a pull request into its branch at the base) or
                      merge_group (that pull request in the branch's merge queue).
  --base <ref>        The commit the push starts from, and the pull request's base (default HEAD^).
  --scenario <name>   Play one of the built-in sample's scenarios instead (DIR, --event and --base unused).
  --report <file>     Write the report (JSON: jobs, environments, pushed images, GitOps history) to <file>.

  -h, --help          This help.
`;
/** The options each command takes (the rest are refused). */
const COMMAND_OPTIONS = {
    init: ['force', 'dry-run', 'workflow'],
    rehearse: ['event', 'base', 'scenario', 'report'],
};
/**
 * The rehearsal, loaded when `rehearse` runs: it is the suite's own sources (the workflow, the actions'
 * bundles, the runner), so the bundled command line reaches them through the package, not a copy. Where
 * they cannot load (not a checkout, or a Node without TypeScript's types stripped), it says what to do.
 */
async function loadRehearsal(specifier = '@shiprail/cli/rehearse') {
    try {
        return { module: (await import(/* webpackIgnore: true */ specifier)) };
    }
    catch (error) {
        return {
            unavailable: `it runs the suite's own workflow and actions from a checkout of it, on Node 24 (git clone the suite, npm ci, then run it there): ${(0,src/* errorMessage */.gJ)(error)}`,
        };
    }
}
/** `shiprail rehearse`: exit codes as init's, 2 also when the machine lacks a program the rehearsal runs. */
async function rehearseCommand(positionals, values, system) {
    const options = parseRehearseOptions({ positionals, ...values }, system.cwd);
    if ('error' in options) {
        system.terminal.err(`shiprail rehearse: ${options.error}\n`);
        return 2;
    }
    if (options.target.kind === 'repository' && !system.isDirectory(options.target.directory)) {
        system.terminal.err(`shiprail rehearse: ${options.target.directory} is not a directory\n`);
        return 2;
    }
    try {
        const rehearsal = await loadRehearsal();
        if ('unavailable' in rehearsal) {
            system.terminal.err(`shiprail rehearse: ${(0,src/* neutralizeCommandLines */.km)(rehearsal.unavailable)}\n`);
            return 2;
        }
        return await rehearsal.module.runRehearse(options, system);
    }
    catch (error) {
        if (!(error instanceof src/* ConfigurationError */.j1))
            throw error;
        system.terminal.err(`shiprail rehearse: ${(0,src/* neutralizeCommandLines */.km)(error.describe())}\n`);
        return 1;
    }
}
/** Exit codes: 0 done, 1 a mistake in the repository or a file left as it was, 2 a wrong command line. */
async function runCli(argv, system) {
    const { terminal } = system;
    let parsed;
    try {
        parsed = (0,external_node_util_namespaceObject.parseArgs)({
            args: [...argv],
            allowPositionals: true,
            options: {
                force: { type: 'boolean', default: false },
                'dry-run': { type: 'boolean', default: false },
                workflow: { type: 'string' },
                event: { type: 'string' },
                base: { type: 'string' },
                scenario: { type: 'string' },
                report: { type: 'string' },
                help: { type: 'boolean', short: 'h', default: false },
            },
        });
    }
    catch (error) {
        terminal.err(`shiprail: ${(0,src/* errorMessage */.gJ)(error)}\n\n${USAGE}`);
        return 2;
    }
    const [command, ...rest] = parsed.positionals;
    if (parsed.values.help || command === undefined || command === 'help') {
        terminal.out(USAGE);
        return command === undefined && !parsed.values.help ? 2 : 0;
    }
    // Boolean options default to false: only those given count.
    const foreign = Object.entries(parsed.values)
        .filter(([option, value]) => option !== 'help' && value !== false)
        .map(([option]) => option)
        .filter((option) => !(COMMAND_OPTIONS[command] ?? []).includes(option));
    if (!(command in COMMAND_OPTIONS)) {
        terminal.err(`shiprail: unknown command '${command}'\n\n${USAGE}`);
        return 2;
    }
    if (foreign.length > 0) {
        terminal.err(`shiprail ${command}: ${foreign.map((option) => `--${option}`).join(', ')} is not an option of ${command}\n`);
        return 2;
    }
    if (command === 'rehearse')
        return rehearseCommand(rest, parsed.values, system);
    if (rest.length > 1) {
        terminal.err(`shiprail init: one directory at most, got ${rest.join(' ')}\n`);
        return 2;
    }
    const workflow = parsed.values.workflow;
    if (workflow !== undefined && !/^[\w.-]+\/[\w.-]+\/\.github\/workflows\/[\w.-]+\.ya?ml@[\w./-]+$/.test(workflow)) {
        terminal.err(`shiprail init: --workflow '${workflow}' is not owner/repo/.github/workflows/<file>.yml@<ref>\n`);
        return 2;
    }
    const directory = (0,external_node_path_.resolve)(system.cwd, rest[0] ?? '.');
    if (!system.isDirectory(directory)) {
        terminal.err(`shiprail init: ${directory} is not a directory\n`);
        return 2;
    }
    try {
        return await runInit({
            directory,
            force: parsed.values.force,
            dryRun: parsed.values['dry-run'],
            ...(workflow === undefined ? {} : { workflow }),
        }, system);
    }
    catch (error) {
        if (!(error instanceof src/* ConfigurationError */.j1))
            throw error;
        terminal.err(`shiprail init: ${(0,src/* neutralizeCommandLines */.km)(error.describe())}\nNothing was written.\n`);
        return 1;
    }
}


/***/ }),

/***/ 6968:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  kR: () => (/* binding */ nodeSystem)
});

// UNUSED EXPORTS: githubRepositoryOf, installedWorkflow

;// CONCATENATED MODULE: external "node:child_process"
const external_node_child_process_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:child_process");
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __nccwpck_require__(3024);
;// CONCATENATED MODULE: external "node:readline/promises"
const promises_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:readline/promises");
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __nccwpck_require__(6760);
// EXTERNAL MODULE: ./packages/core/src/index.ts + 16 modules
var src = __nccwpck_require__(1899);
;// CONCATENATED MODULE: ./packages/rehearsal/src/prerequisites.ts
// The programs the demo and the tests run for real, the Debian package of each and what it is for; the
// decision to install the missing ones (as root or with password-less sudo on Debian or Ubuntu) or to
// print the one command that does; and the install itself. `npm test`, `npm run demo`, CI and the
// rehearsal's world share it.



const BOTH = ['demo', 'tests'];
const TESTS = ['tests'];
const PREREQUISITES = [
    { provides: 'git', debianPackage: 'git', why: 'repositories, bare remotes and the GitOps history', neededBy: BOTH },
    { provides: 'jq', debianPackage: 'jq', why: "the reusable workflow's shell steps", neededBy: BOTH },
    {
        provides: 'curl',
        debianPackage: 'curl',
        why: "the workflow's team notification and pull request comment",
        neededBy: BOTH,
    },
    {
        provides: 'kubectl',
        debianPackage: 'kubernetes-client',
        why: 'rendering overlays with `kubectl kustomize` and rollout status',
        neededBy: BOTH,
    },
    { provides: 'buildah', debianPackage: 'buildah', why: 'building, pushing and running images', neededBy: BOTH },
    {
        provides: 'docker-registry',
        debianPackage: 'docker-registry',
        why: 'the registry images are pushed to',
        neededBy: BOTH,
    },
    {
        provides: '/bin/busybox',
        debianPackage: 'busybox-static',
        why: "the base image of the sample's services (the world's busybox), and the kubelet's test images",
        neededBy: BOTH,
    },
    { provides: 'ip', debianPackage: 'iproute2', why: "each pod's network namespace and veth pair", neededBy: BOTH },
    {
        provides: 'nsenter',
        debianPackage: 'util-linux',
        why: "running a pod's containers in its network",
        neededBy: BOTH,
    },
    { provides: 'prometheus', debianPackage: 'prometheus', why: "the canary's metrics", neededBy: BOTH },
    { provides: 'promtool', debianPackage: 'prometheus', why: 'loading the canary metrics', neededBy: BOTH },
    { provides: 'htpasswd', debianPackage: 'apache2-utils', why: "the registry's credentials", neededBy: BOTH },
    { provides: 'openssl', debianPackage: 'openssl', why: 'certificates for the loopback TLS servers', neededBy: BOTH },
    {
        provides: '/etc/ssl/certs/ca-certificates.crt',
        debianPackage: 'ca-certificates',
        why: 'the trust store HTTPS clients read',
        neededBy: BOTH,
    },
    {
        provides: 'go',
        debianPackage: 'golang-go',
        why: "the Go service of the rehearsal's toolchain scenarios, and its image's build",
        neededBy: TESTS,
    },
    {
        provides: 'pytest-3',
        debianPackage: 'python3-pytest',
        why: "test-report's JUnit samples, written by pytest",
        neededBy: TESTS,
    },
    {
        provides: 'python3-coverage',
        debianPackage: 'python3-coverage',
        why: "test-report's Cobertura and lcov samples",
        neededBy: TESTS,
    },
];
/** The Debian packages that provide these prerequisites, each once. */
const packagesOf = (missing) => [
    ...new Set(missing.map((entry) => entry.debianPackage)),
];
/** The one command a person runs for these packages. */
const installCommand = (packages) => `sudo apt-get update && sudo apt-get install -y --no-install-recommends ${packages.join(' ')}`;
/** Decides what to do about the missing prerequisites; no side effects. */
function planPrerequisites(machine) {
    if (machine.missing.length === 0)
        return { kind: 'ready' };
    const packages = packagesOf(machine.missing);
    const list = machine.missing.map((entry) => `  ${entry.provides} (${entry.why}): ${entry.debianPackage}`).join('\n');
    if (!machine.debian) {
        return {
            kind: 'instruct',
            packages,
            message: `Missing programs, with their Debian packages:\n${list}\nInstall them with your system's package manager; on Debian or Ubuntu:\n  ${installCommand(packages)}`,
        };
    }
    if (!machine.root && !machine.passwordlessSudo) {
        return {
            kind: 'instruct',
            packages,
            message: `Missing programs, with their Debian packages:\n${list}\nInstall them with:\n  ${installCommand(packages)}`,
        };
    }
    // sudo resets the environment, so the non-interactive front end is passed through env(1).
    const prefix = machine.root ? ['apt-get'] : ['sudo', '-n', 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get'];
    return {
        kind: 'install',
        packages,
        commands: [
            [...prefix, 'update'],
            [...prefix, 'install', '-y', '--no-install-recommends', ...packages],
        ],
    };
}
/** Finds an executable on a PATH string, as a shell would. */
function findProgram(program, path) {
    for (const directory of path.split(external_node_path_.delimiter)) {
        if (directory === '')
            continue;
        const candidate = (0,external_node_path_.join)(directory, program);
        try {
            (0,external_node_fs_.accessSync)(candidate, external_node_fs_.constants.X_OK);
            return candidate;
        }
        catch {
            // Not in this directory.
        }
    }
    return undefined;
}
/** What `purpose` needs and the machine lacks, with `programs` (entries' `provides`) needed besides. */
function missingPrerequisites(purpose, path, programs = []) {
    return PREREQUISITES.filter((entry) => (entry.neededBy.includes(purpose) || programs.includes(entry.provides)) &&
        (entry.provides.startsWith('/') ? !(0,external_node_fs_.existsSync)(entry.provides) : findProgram(entry.provides, path) === undefined));
}
/** Debian, Ubuntu and their derivatives say so in os-release's ID or ID_LIKE. */
function isDebianLike(osRelease) {
    return /^(?:ID|ID_LIKE)="?[^"\n]*\b(?:debian|ubuntu)\b/m.test(osRelease);
}
function readOsRelease() {
    for (const file of ['/etc/os-release', '/usr/lib/os-release']) {
        if ((0,external_node_fs_.existsSync)(file))
            return (0,external_node_fs_.readFileSync)(file, 'utf8');
    }
    return '';
}
/** Looks at this machine: what is missing, who runs, which system, whether sudo asks for a password. */
function inspectMachine(purpose, env = process.env, programs = []) {
    const path = env['PATH'] ?? '';
    const missing = missingPrerequisites(purpose, path, programs);
    const root = process.getuid?.() === 0;
    const debian = isDebianLike(readOsRelease()) && findProgram('apt-get', path) !== undefined;
    const passwordlessSudo = missing.length > 0 &&
        !root &&
        findProgram('sudo', path) !== undefined &&
        (0,external_node_child_process_namespaceObject.spawnSync)('sudo', ['-n', 'true'], { stdio: 'ignore', env, timeout: 10_000 }).status === 0;
    return { missing, root, debian, passwordlessSudo };
}
const terminalIo = (env = process.env) => ({
    log: (line) => process.stdout.write(`${line}\n`),
    run: ([program, ...args]) => {
        const options = { stdio: 'inherit', env: { ...env, DEBIAN_FRONTEND: 'noninteractive' } };
        return (0,external_node_child_process_namespaceObject.spawnSync)(program ?? '', args, options).status;
    },
});
/**
 * Makes sure the programs for `purpose` (and `programs` besides) are installed: installs the missing
 * Debian packages when it may, otherwise prints the command to run. Returns true when everything is
 * there at the end.
 */
function ensurePrerequisites(purpose, io = terminalIo(), env = process.env, programs = []) {
    const plan = planPrerequisites(inspectMachine(purpose, env, programs));
    if (plan.kind === 'ready')
        return true;
    const subject = purpose === 'demo' ? 'The demo runs' : 'The tests run';
    if (plan.kind === 'instruct') {
        io.log(`${subject} real programs and cannot start without them.\n${plan.message}`);
        return false;
    }
    io.log(`${subject} real programs; installing the missing Debian packages: ${plan.packages.join(' ')}`);
    for (const command of plan.commands) {
        io.log(`$ ${command.join(' ')}`);
        const status = io.run(command);
        if (status !== 0) {
            io.log(`'${command.join(' ')}' failed (exit status ${String(status)}). Run it yourself:\n  ${installCommand(plan.packages)}`);
            return false;
        }
    }
    const still = missingPrerequisites(purpose, env['PATH'] ?? '', programs);
    if (still.length > 0) {
        io.log(`Still missing after the install: ${still.map((entry) => entry.provides).join(', ')}`);
        return false;
    }
    return true;
}

;// CONCATENATED MODULE: ./packages/cli/src/init/disk.ts
// The repository on disk: listed once (skipping what no build reads), symlinks checked to stay inside.



/** Folders no image build or manifest lives in: version control, dependencies, caches. */
const SKIPPED = new Set(['.git', 'node_modules', '.venv', 'venv', '__pycache__', '.gradle', '.idea', '.terraform']);
/** Files larger than this are not read (generated bundles, data): init reads build and deployment files. */
const MAX_READ_BYTES = 4 * 1024 * 1024;
class DiskFiles {
    files;
    root;
    realRoot;
    constructor(root) {
        this.root = root;
        this.realRoot = (0,external_node_fs_.realpathSync)(root);
        const files = [];
        this.walk('', files);
        this.files = files.sort();
    }
    read(path) {
        const absolute = (0,external_node_path_.join)(this.root, path);
        try {
            if ((0,external_node_fs_.statSync)(absolute).size > MAX_READ_BYTES)
                return undefined;
            return (0,external_node_fs_.readFileSync)(absolute, 'utf8');
        }
        catch {
            return undefined;
        }
    }
    walk(folder, files) {
        const entries = (0,external_node_fs_.readdirSync)((0,external_node_path_.join)(this.root, folder), { withFileTypes: true });
        for (const entry of entries) {
            const path = folder === '' ? entry.name : `${folder}/${entry.name}`;
            if (entry.isSymbolicLink()) {
                if (this.insideSymlink(path) === 'file')
                    files.push(path);
            }
            else if (entry.isDirectory()) {
                if (!SKIPPED.has(entry.name))
                    this.walk(path, files);
            }
            else if (entry.isFile()) {
                files.push(path);
            }
        }
    }
    /** A symlink's kind when it stays inside the repository; a ConfigurationError when it leaves it. */
    insideSymlink(path) {
        let target;
        try {
            target = (0,external_node_fs_.realpathSync)((0,external_node_path_.join)(this.root, path));
        }
        catch {
            return 'dangling';
        }
        const inside = (0,external_node_path_.relative)(this.realRoot, target);
        if (inside === '..' || inside.startsWith(`..${external_node_path_.sep}`) || inside.startsWith(external_node_path_.sep)) {
            throw new src/* ConfigurationError */.j1(`symlink points outside the repository (to ${target})`, { file: path });
        }
        // A linked folder is read where it really is, once.
        return (0,external_node_fs_.lstatSync)(target).isDirectory() ? 'folder' : 'file';
    }
}

;// CONCATENATED MODULE: ./packages/cli/src/node-system.ts
// The real side effects of the CLI: the process's terminal, the file system, git and kubectl.







/** Deadline of one `kubectl kustomize` (it may fetch remote bases) and of each git question. */
const KUSTOMIZE_DEADLINE_MS = 120_000;
const GIT_DEADLINE_MS = 10_000;
function run(program, args, cwd, timeout) {
    return new Promise((resolvePromise, reject) => {
        (0,external_node_child_process_namespaceObject.execFile)(program, [...args], { cwd, timeout, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
            if (error === null)
                resolvePromise(stdout);
            else if (error.code === 'ENOENT')
                reject(new Error(`${program} is not installed (it is needed to ${program === 'kubectl' ? 'render kustomize trees' : 'read the repository'})`));
            else
                reject(new Error(stderr.trim() || error.message));
        });
    });
}
/** owner/name of a GitHub remote URL (https or ssh). */
function githubRepositoryOf(url) {
    const match = /github\.com[:/]([\w.-]+)\/([\w.-]+?)(?:\.git)?\/?$/.exec(url.trim());
    return match === null ? undefined : `${match[1] ?? ''}/${match[2] ?? ''}`;
}
/**
 * The reusable workflow at the commit npx installed this CLI from: npm records it in the install's
 * node_modules/.package-lock.json as `resolved: git+ssh://git@github.com/owner/repo.git#<sha>`.
 */
function installedWorkflow(bundle) {
    let folder = (0,external_node_path_.dirname)(bundle);
    for (let depth = 0; depth < 6; depth += 1) {
        const lock = (0,external_node_path_.join)(folder, '..', '.package-lock.json');
        if ((0,external_node_fs_.existsSync)(lock)) {
            try {
                const packages = JSON.parse((0,external_node_fs_.readFileSync)(lock, 'utf8')).packages ??
                    {};
                for (const entry of Object.values(packages)) {
                    const match = /github\.com[/:]([\w.-]+)\/([\w.-]+?)(?:\.git)?#([0-9a-f]{40})$/.exec(entry.resolved ?? '');
                    if (match !== null)
                        return `${match[1] ?? ''}/${match[2] ?? ''}/.github/workflows/deploy.yml@${match[3] ?? ''}`;
                }
            }
            catch {
                return undefined;
            }
        }
        folder = (0,external_node_path_.dirname)(folder);
    }
    return undefined;
}
function nodeSystem(bundle) {
    return {
        terminal: {
            out: (text) => process.stdout.write(text),
            err: (text) => process.stderr.write(text),
            interactive: process.stdin.isTTY,
            ask: async (question) => {
                const readline = (0,promises_namespaceObject.createInterface)({ input: process.stdin, output: process.stdout });
                try {
                    return await readline.question(question);
                }
                finally {
                    readline.close();
                }
            },
        },
        cwd: process.cwd(),
        env: process.env,
        listFiles: (root) => new DiskFiles(root),
        renderKustomization: (root, folder) => run('kubectl', ['kustomize', '--', folder], root, KUSTOMIZE_DEADLINE_MS),
        gitFacts: async (root) => {
            const ask = (args) => run('git', args, root, GIT_DEADLINE_MS).then((out) => out.trim() || undefined, () => undefined);
            const remote = await ask(['remote', 'get-url', 'origin']);
            const head = await ask(['symbolic-ref', '--short', 'refs/remotes/origin/HEAD']);
            const current = await ask(['branch', '--show-current']);
            const githubRepository = remote === undefined ? undefined : githubRepositoryOf(remote);
            const defaultBranch = head?.replace(/^origin\//, '') ?? current;
            return {
                ...(githubRepository === undefined ? {} : { githubRepository }),
                ...(defaultBranch === undefined ? {} : { defaultBranch }),
            };
        },
        suiteWorkflow: () => installedWorkflow(bundle),
        readFile: (root, path) => {
            const absolute = (0,external_node_path_.join)(root, path);
            return (0,external_node_fs_.existsSync)(absolute) ? (0,external_node_fs_.readFileSync)(absolute, 'utf8') : undefined;
        },
        writeFiles: (root, files) => {
            const realRoot = (0,external_node_fs_.realpathSync)(root);
            for (const file of files) {
                const absolute = (0,external_node_path_.join)(root, file.path);
                (0,external_node_fs_.mkdirSync)((0,external_node_path_.dirname)(absolute), { recursive: true });
                // A folder on the way may be a symlink: what init writes stays inside the repository.
                const inside = (0,external_node_path_.relative)(realRoot, (0,external_node_fs_.realpathSync)((0,external_node_path_.dirname)(absolute)));
                if (inside === '..' || inside.startsWith(`..${external_node_path_.sep}`)) {
                    throw new src/* ConfigurationError */.j1('leads outside the repository through a symlink: not written', {
                        file: file.path,
                    });
                }
                const temporary = `${absolute}.shiprail-${process.pid}`;
                (0,external_node_fs_.writeFileSync)(temporary, file.content);
                (0,external_node_fs_.renameSync)(temporary, absolute);
            }
        },
        isDirectory: (path) => (0,external_node_fs_.existsSync)(path) && (0,external_node_fs_.statSync)(path).isDirectory(),
        ensurePrerequisites: (programs) => ensurePrerequisites('demo', terminalIo(), process.env, programs),
    };
}


/***/ }),

/***/ 1899:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  j1: () => (/* reexport */ errors_ConfigurationError),
  gJ: () => (/* reexport */ errors_errorMessage),
  km: () => (/* reexport */ neutralizeCommandLines),
  v: () => (/* reexport */ parseYamlDocuments)
});

// UNUSED EXPORTS: ClassifiedError, DeadlineError, Git, HELM_VALUE_FIELDS, HttpStatusError, InputParser, MAX_TIMER_MS, REDACTED, Redactor, WORKLOAD_KIND_ALIASES, backoffDelay, capSummary, classifyFailure, classifyGitFailure, code, commandData, details, escapeCell, escapeUntrusted, execWithDeadline, failureOf, formatDuration, formatYamlPath, isNamespaceName, isTransient, isTransientStatus, parseDuration, parseHeaderLines, parseList, parseWorkloadReference, parseYamlDocument, raw, readGitHubContext, readImageTarget, retry, safeDecode, serializeOutput, sleep, stripUrlCredentials, table, urlCredentials, urlUserinfo, withDeadline, withPrivateFile, writeFileAtomically, yamlMistake

// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __nccwpck_require__(6760);
;// CONCATENATED MODULE: ./packages/core/src/atomic-file.ts

/** Writes a whole file or nothing: a failed step leaves no half-written file, and no temporary one. */
async function writeFileAtomically(path, content) {
    const { mkdir, rename, rm, writeFile } = process.getBuiltinModule('node:fs/promises');
    await mkdir(dirname(path), { recursive: true });
    const temporary = `${path}.${process.pid}.tmp`;
    try {
        await writeFile(temporary, content);
        await rename(temporary, path);
    }
    catch (error) {
        await rm(temporary, { force: true });
        throw error;
    }
}

// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __nccwpck_require__(3024);
;// CONCATENATED MODULE: ./packages/core/src/context.ts
// What an action knows of the workflow run: GITHUB_* variables and the event payload, read once.

/** Reads the context the runner provides: `GITHUB_*` variables and the event payload file. */
function readGitHubContext(env) {
    const payload = readPayload(env['GITHUB_EVENT_PATH']);
    const repositoryField = payload['repository'];
    const repository = typeof repositoryField === 'object' && repositoryField !== null ? repositoryField : {};
    const defaultBranch = repository['default_branch'];
    return {
        eventName: env['GITHUB_EVENT_NAME'] ?? '',
        payload,
        sha: env['GITHUB_SHA'] ?? '',
        ref: env['GITHUB_REF'] ?? '',
        repository: env['GITHUB_REPOSITORY'] ?? '',
        workspace: env['GITHUB_WORKSPACE'] ?? process.cwd(),
        serverUrl: env['GITHUB_SERVER_URL'] ?? 'https://github.com',
        apiUrl: env['GITHUB_API_URL'] ?? 'https://api.github.com',
        runId: env['GITHUB_RUN_ID'] ?? '',
        runNumber: env['GITHUB_RUN_NUMBER'] ?? '',
        runAttempt: env['GITHUB_RUN_ATTEMPT'] ?? '',
        actor: env['GITHUB_ACTOR'] ?? '',
        workflow: env['GITHUB_WORKFLOW'] ?? '',
        defaultBranch: typeof defaultBranch === 'string' ? defaultBranch : undefined,
    };
}
function readPayload(path) {
    if (path === undefined || path === '')
        return {};
    try {
        const parsed = JSON.parse(readFileSync(path, 'utf8'));
        return typeof parsed === 'object' && parsed !== null ? parsed : {};
    }
    catch {
        // A missing or unreadable payload is the same as none: the runner always writes one.
        return {};
    }
}

;// CONCATENATED MODULE: ./packages/core/src/duration.ts
/** The longest a Node timer can wait (2^31 - 1 ms, about 24.8 days); longer delays fire at once. */
const duration_MAX_TIMER_MS = (/* unused pure expression or super */ null && (2 ** 31 - 1));
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(?:(\d+(?:\.\d+)?)(ms|h|m|s))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
/**
 * Parses `90s`, `10m`, `1h30m`, `500ms` or plain seconds (`45`) into milliseconds.
 * Returns undefined when the text is not a duration, so callers can name the input in their error.
 */
function duration_parseDuration(text) {
    const value = text.trim();
    if (value === '')
        return undefined;
    if (/^\d+(?:\.\d+)?$/.test(value))
        return Math.round(Number(value) * 1000);
    if (!DURATION.test(value))
        return undefined;
    let total = 0;
    for (const match of value.matchAll(PART)) {
        total += Number(match[1]) * (UNIT_MS[match[2] ?? 's'] ?? 0);
    }
    return Math.round(total);
}
/** Formats milliseconds as people read them: `850ms`, `12.3s`, `4m05s`, `1h02m`. */
function formatDuration(ms) {
    if (ms < 1000)
        return `${Math.round(ms)}ms`;
    if (ms < 60_000)
        return `${(ms / 1000).toFixed(1)}s`;
    const totalSeconds = Math.round(ms / 1000);
    const hours = Math.floor(totalSeconds / 3600);
    const minutes = Math.floor((totalSeconds % 3600) / 60);
    const seconds = totalSeconds % 60;
    if (hours > 0)
        return `${hours}h${String(minutes).padStart(2, '0')}m`;
    return `${minutes}m${String(seconds).padStart(2, '0')}s`;
}

;// CONCATENATED MODULE: ./packages/core/src/errors.ts
/**
 * The one error kind for user mistakes (bad input, malformed file). It is caught once, at the top of
 * every action, and turned into a single `::error` annotation and exit code 1. Anything else that is
 * thrown is a failure of the environment or a bug, and is reported as such.
 */
class errors_ConfigurationError extends Error {
    location;
    constructor(message, location = {}) {
        super(message);
        this.name = 'ConfigurationError';
        this.location = location;
    }
    /** The message as the user reads it: prefixed with the input or file:line it is about. */
    describe() {
        const { input, file, line } = this.location;
        if (input !== undefined)
            return `input '${input}': ${this.message}`;
        if (file !== undefined)
            return `${file}${line !== undefined ? `:${line}` : ''}: ${this.message}`;
        return this.message;
    }
}
/** The message of anything thrown, for logs: never a stack for a user mistake. */
function errors_errorMessage(error) {
    if (error instanceof errors_ConfigurationError)
        return error.describe();
    if (error instanceof Error) {
        const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
        return `${error.message}${cause}`;
    }
    return String(error);
}

;// CONCATENATED MODULE: ./packages/core/src/yaml.ts

let library;
/**
 * The YAML library, loaded on first use rather than at start-up: a step may parse no YAML at all, or
 * only when a faster reader declines or a mistake must be located. In a bundle it is a file of its own
 * beside index.js, so that a step that reads no YAML does not even compile it.
 */
const loadYamlLibrary = () => (library ??= __nccwpck_require__.e(/* import() */ 815).then(__nccwpck_require__.t.bind(__nccwpck_require__, 8815, 19)));
/**
 * Parses YAML with positions kept, so that every later complaint about the content can name the file
 * (or input) and line. Syntax errors become ConfigurationError at the offending line.
 */
async function yaml_parseYamlDocument(text, where) {
    const { LineCounter, isMap, isNode, isScalar, parseDocument } = await loadYamlLibrary();
    const lineCounter = new LineCounter();
    const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
    const firstError = document.errors[0];
    if (firstError !== undefined) {
        const line = firstError.linePos?.[0].line ?? lineCounter.linePos(firstError.pos[0]).line;
        const reason = firstError.message.split('\n')[0] ?? 'malformed YAML';
        throw new ConfigurationError(`malformed YAML: ${reason}`, { ...where, line });
    }
    const lineOf = (path) => {
        for (let depth = path.length; depth >= 0; depth -= 1) {
            const node = depth === 0 ? document.contents : document.getIn(path.slice(0, depth), true);
            if (isNode(node) && node.range)
                return lineCounter.linePos(node.range[0]).line;
        }
        return undefined;
    };
    const keyLineOf = (path) => {
        const parent = path.length <= 1 ? document.contents : document.getIn(path.slice(0, -1), true);
        const key = path[path.length - 1];
        const pair = isMap(parent) ? parent.items.find((item) => isScalar(item.key) && item.key.value === key) : undefined;
        const offset = isScalar(pair?.key) ? pair.key.range?.[0] : undefined;
        return offset === undefined ? lineOf(path) : lineCounter.linePos(offset).line;
    };
    return {
        document,
        value: toPlainValue(document, where),
        lineOf,
        keyLineOf,
        mistake: (path, message) => yamlMistake(where, path, message, lineOf(path)),
        keyMistake: (path, message) => yamlMistake(where, path, message, keyLineOf(path)),
    };
}
/** The document as plain values; aliases that would multiply it beyond reason are the author's mistake. */
function toPlainValue(document, where) {
    try {
        return document.toJS({ maxAliasCount: 1000 });
    }
    catch (error) {
        if (error instanceof ReferenceError && /alias/i.test(error.message)) {
            throw new errors_ConfigurationError(`too many YAML alias expansions (${error.message}); write the values out`, where);
        }
        throw error;
    }
}
/** A mistake about the value at `path` of a YAML text: the path leads the message, at the line when it is known. */
function yamlMistake(where, path, message, line) {
    const at = formatYamlPath(path);
    return new ConfigurationError(at === '' ? message : `${at}: ${message}`, {
        ...where,
        ...(line === undefined ? {} : { line }),
    });
}
/** `checks[2].expect.status` */
function formatYamlPath(path) {
    return path.map((part, index) => (typeof part === 'number' ? `[${part}]` : index === 0 ? part : `.${part}`)).join('');
}
/**
 * Parses a YAML text that may hold several documents (Kubernetes manifests, skaffold configs), with
 * positions kept. A syntax error in any document is a ConfigurationError at its line.
 */
async function parseYamlDocuments(text, where) {
    const { LineCounter, isNode, parseAllDocuments } = await loadYamlLibrary();
    const lineCounter = new LineCounter();
    const parsed = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
    const documents = Array.isArray(parsed) ? parsed : [];
    for (const document of documents) {
        const firstError = document.errors[0];
        if (firstError === undefined)
            continue;
        const line = firstError.linePos?.[0].line ?? lineCounter.linePos(firstError.pos[0]).line;
        const reason = firstError.message.split('\n')[0] ?? 'malformed YAML';
        throw new errors_ConfigurationError(`malformed YAML: ${reason}`, { ...where, line });
    }
    return documents.map((document) => ({
        value: toPlainValue(document, where),
        lineOf: (path) => {
            for (let depth = path.length; depth >= 0; depth -= 1) {
                const node = depth === 0 ? document.contents : document.getIn(path.slice(0, depth), true);
                if (isNode(node) && node.range)
                    return lineCounter.linePos(node.range[0]).line;
            }
            return undefined;
        },
    }));
}

;// CONCATENATED MODULE: ./packages/core/src/inputs.ts
// Reading action inputs: one parser with typed getters that name the input in every mistake, and list and header line
// parsing.



/**
 * Parses raw inputs into typed values, once, before any side effect. Every method names the input in
 * its error. Actions read every declared input unconditionally so that the contract test (inputs read
 * == inputs declared, code defaults == action.yml defaults) sees all of them.
 */
class InputParser {
    source;
    mask;
    observe;
    constructor(source, mask, observe) {
        this.source = source;
        this.mask = mask;
        this.observe = observe;
    }
    raw(name, codeDefault) {
        this.observe?.(name, codeDefault);
        const value = this.source(name).trim();
        return value === '' ? (codeDefault ?? '') : value;
    }
    /** A string input; `fallback` is both the code's and action.yml's default. */
    string(name, fallback = '') {
        return this.raw(name, fallback === '' ? undefined : fallback);
    }
    /** An input that must be given. */
    required(name) {
        const value = this.raw(name, undefined);
        if (value === '')
            throw new ConfigurationError('is required but was not given', { input: name });
        return value;
    }
    /** A secret: masked before anything else can print it. Never trimmed beyond a final newline. */
    secret(name) {
        this.observe?.(name, undefined);
        const value = this.source(name).replace(/\r?\n$/, '');
        if (value.trim() === '')
            return '';
        this.mask(value);
        for (const line of value.split(/\r?\n/))
            if (line.trim().length >= 4)
                this.mask(line.trim());
        return value;
    }
    /** Strict `true` / `false`, as the spec asks: no `yes`, `1` or `True`. */
    boolean(name, fallback) {
        const value = this.raw(name, String(fallback));
        if (value === 'true')
            return true;
        if (value === 'false')
            return false;
        throw new ConfigurationError(`expected true or false, got '${value}'`, { input: name });
    }
    /** A duration in milliseconds: `90s`, `10m`, `1h30m`, `500ms` or plain seconds. */
    duration(name, fallback) {
        const value = this.raw(name, fallback);
        const ms = parseDuration(value);
        if (ms === undefined) {
            throw new ConfigurationError(`expected a duration like 90s, 10m, 1h30m or plain seconds, got '${value}'`, {
                input: name,
            });
        }
        if (ms > MAX_TIMER_MS) {
            throw new ConfigurationError(`'${value}' is longer than 24 days, the longest a step can wait`, {
                input: name,
            });
        }
        return ms;
    }
    /** A whole number within bounds. */
    integer(name, fallback, bounds = {}) {
        const value = this.number(name, fallback, bounds);
        if (!Number.isInteger(value)) {
            throw new ConfigurationError(`expected a whole number, got '${value}'`, { input: name });
        }
        return value;
    }
    /** A number within bounds. */
    number(name, fallback, bounds = {}) {
        const value = this.raw(name, String(fallback));
        const parsed = Number(value);
        if (value === '' || !Number.isFinite(parsed)) {
            throw new ConfigurationError(`expected a number, got '${value}'`, { input: name });
        }
        if (bounds.min !== undefined && parsed < bounds.min) {
            throw new ConfigurationError(`must be at least ${bounds.min}, got ${parsed}`, { input: name });
        }
        if (bounds.max !== undefined && parsed > bounds.max) {
            throw new ConfigurationError(`must be at most ${bounds.max}, got ${parsed}`, { input: name });
        }
        return parsed;
    }
    /** One of a fixed set of words. */
    choice(name, choices, fallback) {
        const value = this.raw(name, fallback);
        const found = choices.find((choice) => choice === value);
        if (found === undefined) {
            throw new ConfigurationError(`expected one of ${choices.join(', ')}, got '${value}'`, { input: name });
        }
        return found;
    }
    /** A newline-separated list: blank lines and `#` comments are ignored. */
    list(name, fallback = '') {
        return parseList(this.raw(name, fallback === '' ? undefined : fallback));
    }
    /** JSON text, parsed; undefined when not given. */
    json(name) {
        const value = this.raw(name, undefined);
        if (value === '')
            return undefined;
        try {
            return JSON.parse(value);
        }
        catch (error) {
            const reason = errorMessage(error);
            throw new ConfigurationError(`is not valid JSON: ${reason}`, { input: name });
        }
    }
    /** YAML text, parsed (errors carry the input name and line); undefined when not given. */
    async yaml(name) {
        const value = this.raw(name, undefined);
        if (value === '')
            return undefined;
        return (await parseYamlDocument(value, { input: name })).value;
    }
}
/** Splits a newline list input: trims lines, drops blank lines and `#` comments. */
function parseList(text) {
    return text
        .split(/\r?\n/)
        .map((line) => line.trim())
        .filter((line) => line !== '' && !line.startsWith('#'));
}
/** Parses `Name: value` lines (headers inputs). Names keep their case; values may contain colons. */
function parseHeaderLines(lines, input) {
    return lines.map((line) => {
        const colon = line.indexOf(':');
        const name = colon > 0 ? line.slice(0, colon).trim() : '';
        if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
            throw new ConfigurationError("expected header lines like 'Name: value'", { input });
        }
        return [name, line.slice(colon + 1).trim()];
    });
}

;// CONCATENATED MODULE: ./packages/core/src/retry.ts
// Trying again: exponential backoff with jitter, an abortable sleep of any length, and retry, which asks its caller
// what is worth it.

/** The delay after failed attempt `attempt` (1-based): exponential, capped, with optional jitter. */
function backoffDelay(attempt, options, random = Math.random) {
    const exponential = options.baseMs * (options.factor ?? 2) ** (attempt - 1);
    const capped = Math.min(exponential, options.maxMs ?? Number.POSITIVE_INFINITY);
    const jitter = Math.min(Math.max(options.jitter ?? 0, 0), 1);
    return Math.round(capped * (1 - jitter) + capped * jitter * random());
}
/** Waits `ms`, however long (a wait beyond one Node timer is made of several), or less when `signal` aborts. */
function sleep(ms, signal) {
    return new Promise((resolve) => {
        if (signal?.aborted === true) {
            resolve();
            return;
        }
        const end = Date.now() + ms;
        let timer;
        const done = () => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', done);
            resolve();
        };
        const arm = () => {
            const remaining = end - Date.now();
            if (remaining <= 0)
                done();
            else
                timer = setTimeout(arm, Math.min(remaining, MAX_TIMER_MS));
        };
        signal?.addEventListener('abort', done, { once: true });
        arm();
    });
}
/** Runs `operation` until it succeeds, an error is not retryable, or attempts run out (last error thrown). */
async function retry(operation, options) {
    const wait = options.sleep ?? sleep;
    for (let attempt = 1;; attempt += 1) {
        try {
            return await operation(attempt);
        }
        catch (error) {
            if (attempt >= options.attempts || !(options.retryIf?.(error) ?? true))
                throw error;
            const delay = backoffDelay(attempt, options, options.random);
            options.onRetry?.(error, attempt, delay);
            await wait(delay);
        }
    }
}

;// CONCATENATED MODULE: ./packages/core/src/private-file.ts

/**
 * Writes credentials to a 0600 file in a fresh 0700 directory, hands its path to `use`, and removes
 * the directory afterwards, whatever happens. The way secrets reach programs that read files.
 */
async function withPrivateFile(tempDir, fileName, content, use) {
    const { mkdtemp, rm, writeFile } = process.getBuiltinModule('node:fs/promises');
    const directory = await mkdtemp(join(tempDir, 'shiprail-'));
    try {
        const path = join(directory, fileName);
        await writeFile(path, content, { mode: 0o600 });
        return await use(path);
    }
    finally {
        await rm(directory, { recursive: true, force: true });
    }
}

;// CONCATENATED MODULE: ./packages/core/src/secrets.ts
// Secrets are masked before first use (the runner hides them in the log) and redacted from everything the
// runner does not mask: outputs, summaries, reports, and server answers put into errors.
const REDACTED = '***';
// `scheme://user:password@` or `scheme://user@` at the start of a URL's authority. Not an image named by
// digest (`docker://golang@sha256:\u2026`, as buildah writes a short name): no host's port is a digest.
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^/?#@\s]+)@(?![a-z0-9]+:[0-9a-f]{32,})/gi;
const safeDecode = (text) => {
    try {
        return decodeURIComponent(text);
    }
    catch {
        return text;
    }
};
/** The `user:password@` parts of every URL in a text, as written. */
function urlUserinfo(text) {
    return [...text.matchAll(URL_USERINFO)].map((match) => {
        const [user = '', password = ''] = (match[2] ?? '').split(/:(.*)/s);
        return { user, password };
    });
}
/** The user name and password embedded in a URL, raw and decoded, to be masked before the URL is used. */
function urlCredentials(url) {
    const found = new Set();
    for (const { user, password } of urlUserinfo(url)) {
        for (const part of [user, password]) {
            if (part === '')
                continue;
            found.add(part);
            found.add(safeDecode(part));
        }
    }
    return [...found];
}
/** `https://user:pass@host/x` becomes `https://***@host/x`, anywhere in a text. */
function stripUrlCredentials(text) {
    // Outputs of megabytes hold no URL more often than not: one search spares trying the pattern at every word.
    return text.includes('://') ? text.replace(URL_USERINFO, `$1${REDACTED}@`) : text;
}
/**
 * Holds the secrets of one step and removes them from any text: each secret as given, URL-encoded and
 * JSON-escaped (the forms a server echo or a report takes), and credentials embedded in URLs.
 */
class Redactor {
    secrets = new Set();
    add(secret) {
        // Very short values would redact ordinary words; the runner does not mask them either.
        if (secret.length < 3)
            return;
        for (const form of [secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]) {
            this.secrets.add(form);
        }
    }
    redact(text) {
        let result = stripUrlCredentials(text);
        // Longest first, so that a secret containing another is removed whole.
        for (const secret of [...this.secrets].sort((a, b) => b.length - a.length)) {
            if (result.includes(secret))
                result = result.split(secret).join(REDACTED);
        }
        return result;
    }
}

;// CONCATENATED MODULE: ./packages/core/src/network.ts
// The errors of talking to a server (a status the caller cannot use, no answer in time) and the deadline of
// one attempt, for every action that talks to one (registries, git remotes, Prometheus, the Kubernetes and
// GitHub APIs, downloads). Whether another attempt is worth it is failure.ts's answer.


/** A server answered with a status the caller cannot use. */
class HttpStatusError extends Error {
    status;
    url;
    constructor(status, url, detail = '') {
        const shown = stripUrlCredentials(url);
        super(`${shown} answered ${status}${detail ? `: ${detail}` : ''}`);
        this.name = 'HttpStatusError';
        this.status = status;
        this.url = shown;
    }
}
/** A server (or a program talking to one) did not answer in time. */
class network_DeadlineError extends Error {
    constructor(what, ms) {
        super(`${what} did not answer within ${formatDuration(ms)}`);
        this.name = 'DeadlineError';
    }
}
/**
 * Runs one network operation under a deadline: its signal aborts when `ms` pass, and the promise rejects
 * with a DeadlineError then, even when the operation ignores the signal.
 */
async function withDeadline(operation, ms, what) {
    const controller = new AbortController();
    let timer;
    const expired = new Promise((_resolve, reject) => {
        timer = setTimeout(() => {
            const error = new network_DeadlineError(what, ms);
            controller.abort(error);
            reject(error);
        }, Math.min(ms, MAX_TIMER_MS));
    });
    try {
        return await Promise.race([operation(controller.signal), expired]);
    }
    finally {
        clearTimeout(timer);
    }
}

;// CONCATENATED MODULE: ./packages/core/src/exec-deadline.ts
// Running a program that talks to a server under a deadline: it and what it started are killed when time is up.


/**
 * Runs a program that talks to a server under a deadline: when it passes, the program and everything it
 * started (its process group: git's remote helpers, ssh) are killed, and the promise rejects with a
 * DeadlineError. @actions/exec cannot stop a program, hence node's spawn here. node:child_process is loaded
 * on first use: a step that stops at its inputs runs no program.
 */
function execWithDeadline(program, args, options) {
    const { spawn } = process.getBuiltinModule('node:child_process');
    const { ms, what } = options.deadline;
    const group = process.platform !== 'win32';
    return new Promise((resolve, reject) => {
        const child = spawn(program, [...args], {
            cwd: options.cwd,
            env: { ...process.env, ...options.env },
            stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
            detached: group,
        });
        const stdout = [];
        const stderr = [];
        child.stdout?.on('data', (chunk) => stdout.push(chunk));
        child.stderr?.on('data', (chunk) => stderr.push(chunk));
        let expired = false;
        const kill = () => {
            try {
                if (group && child.pid !== undefined)
                    process.kill(-child.pid, 'SIGKILL');
                else
                    child.kill('SIGKILL');
            }
            catch {
                child.kill('SIGKILL'); // the group is gone already: the program itself may not be
            }
        };
        const timer = setTimeout(() => {
            expired = true;
            kill();
        }, Math.min(ms, MAX_TIMER_MS));
        options.signal?.addEventListener('abort', kill, { once: true });
        if (options.signal?.aborted === true)
            kill();
        child.on('error', (error) => {
            clearTimeout(timer);
            options.signal?.removeEventListener('abort', kill);
            reject(error);
        });
        child.on('close', (code, signal) => {
            clearTimeout(timer);
            options.signal?.removeEventListener('abort', kill);
            if (options.signal?.aborted === true)
                return reject(new Error(`${what}: stopped`));
            if (expired)
                return reject(new DeadlineError(what, ms));
            const result = {
                exitCode: code ?? (signal === null ? 1 : 128),
                stdout: Buffer.concat(stdout).toString('utf8'),
                stderr: Buffer.concat(stderr).toString('utf8'),
            };
            if (result.exitCode !== 0 && options.allowFailure !== true) {
                const detail = result.stderr.trim().split('\n').slice(-5).join('\n');
                return reject(new Error(`${program} exited with code ${result.exitCode}${detail ? `: ${detail}` : ''}`));
            }
            resolve(result);
        });
        if (options.input !== undefined)
            child.stdin?.end(options.input);
    });
}

;// CONCATENATED MODULE: ./packages/core/src/failure.ts
// Whether another attempt is worth it: one table for errors (thrown by Node, undici, a server's status, or
// an action that already knows) and one for git's reports of a failed command. Every retry in the house
// asks one of them, and nothing else decides.

/** An error whose maker decided from what it saw whether another attempt can fix it. */
class ClassifiedError extends Error {
    failure;
    constructor(message, failure) {
        super(message);
        this.name = 'ClassifiedError';
        this.failure = failure;
    }
}
/** `transient` when another attempt can fix it, else `permanent`. */
const failureOf = (transient) => (transient ? 'transient' : 'permanent');
/** Statuses another attempt can change: a timeout, too many requests, or the server's own failure. */
const isTransientStatus = (status) => status === 408 || status === 429 || status >= 500;
// Errors of the connection itself as Node, undici and libuv name them: another attempt may succeed. A
// certificate or a scheme the client does not speak is presented again: another attempt repeats it.
const FAILURE_CODES = {
    ECONNRESET: 'transient',
    ECONNREFUSED: 'transient',
    ECONNABORTED: 'transient',
    ETIMEDOUT: 'transient',
    EPIPE: 'transient',
    EHOSTUNREACH: 'transient',
    ENETUNREACH: 'transient',
    ENETDOWN: 'transient',
    EAI_AGAIN: 'transient',
    UND_ERR_SOCKET: 'transient',
    UND_ERR_CONNECT_TIMEOUT: 'transient',
    UND_ERR_HEADERS_TIMEOUT: 'transient',
    UND_ERR_BODY_TIMEOUT: 'transient',
    UND_ERR_CLOSED: 'transient',
    DEPTH_ZERO_SELF_SIGNED_CERT: 'permanent',
    SELF_SIGNED_CERT_IN_CHAIN: 'permanent',
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'permanent',
    UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'permanent',
    CERT_HAS_EXPIRED: 'permanent',
    CERT_NOT_YET_VALID: 'permanent',
    ERR_TLS_CERT_ALTNAME_INVALID: 'permanent',
    ERR_INVALID_PROTOCOL: 'permanent',
};
// Duck-typed: errors from another realm (a VM context, a worker) fail `instanceof Error`.
const field = (error, name) => typeof error === 'object' && error !== null ? error[name] : undefined;
/** The first code of the error or its causes that the table knows. */
function codeFailure(error) {
    for (let current = error, depth = 0; current !== undefined && depth < 5; depth += 1) {
        const code = field(current, 'code');
        if (typeof code === 'string' && Object.hasOwn(FAILURE_CODES, code))
            return FAILURE_CODES[code];
        current = field(current, 'cause');
    }
    return undefined;
}
/** The table, first answer wins. */
const CLASSIFIERS = [
    (error) => (error instanceof ClassifiedError ? error.failure : undefined),
    (error) => (error instanceof network_DeadlineError ? 'transient' : undefined),
    (error) => (error instanceof HttpStatusError ? failureOf(isTransientStatus(error.status)) : undefined),
    codeFailure,
];
/** What another attempt would do about this error. */
function classifyFailure(error) {
    for (const classify of CLASSIFIERS) {
        const failure = classify(error);
        if (failure !== undefined)
            return failure;
    }
    return 'unknown';
}
/**
 * Whether another attempt can fix this error: network failures, a deadline that expired, 408, 429 and
 * 5xx. Not 4xx answers, bad certificates, refused schemes or anything else the same request repeats.
 */
const isTransient = (error) => classifyFailure(error) === 'transient';
// First match wins. A ref the remote does not have comes first (a clone without an origin remote reads
// like one); refusals before races, since a hook that declines a push also makes git print
// `[remote rejected]`.
const GIT_FAILURES = (/* unused pure expression or super */ null && ([
    [
        'missing',
        /couldn't find remote ref|not our ref|no such remote ref|unadvertised object|invalid refspec|'origin' does not appear to be a git repository/i,
    ],
    [
        'refused',
        /authentication failed|could not read (username|password)|terminal prompts disabled|host key verification failed|permission|denied|forbidden|returned error: (401|403|404)|repository (.* )?not found|does not appear to be a git repository|not a git repository|unable to access .*: ssl|certificate|protocol '.*' is not supported|unsupported protocol|hook declined|protected branch|GH006|GH013/i,
    ],
    [
        'race',
        /\((?:fetch first|non-fast-forward|stale info)\)|cannot lock ref|failed to update ref|failed to lock|incorrect old value/i,
    ],
    [
        'transient',
        /could not resolve host|temporary failure in name resolution|connection (refused|reset|timed out)|timed out|operation too slow|early eof|hung up unexpectedly|rpc failed|returned error: (408|429|5\d\d)|transfer closed|unexpected disconnect|the remote end hung up|network is unreachable|no route to host|broken pipe|gnutls_handshake|ssl_read|recv failure|send failure|HTTP\/2 stream|could not read from remote repository|failed to connect|empty reply from server/i,
    ],
]));
/** Classifies git's output of a failed network command (clone, fetch, ls-remote, push). */
function classifyGitFailure(output) {
    for (const [failure, pattern] of GIT_FAILURES)
        if (pattern.test(output))
            return failure;
    return 'refused';
}

;// CONCATENATED MODULE: ./packages/core/src/untrusted.ts
// Strings from files, repositories and servers reach the log. The runner reads any line that starts
// (after blanks) with `::` or `##[` as a workflow command, so such a string must never start a line.
const LINE_START_COMMAND = /^(\s*)(::|##\[)/;
// C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const visibleControl = (char) => {
    switch (char) {
        case '\n':
            return '\\n';
        case '\r':
            return '\\r';
        case '\t':
            return '\\t';
        default:
            return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
    }
};
/**
 * The one-line, command-safe form of an untrusted string: line breaks and other control characters are
 * shown as escapes (`\n`), and a leading `::` or `##[` gets a backslash, so wherever the result is placed
 * in a log line it can neither end that line nor start a command.
 */
function escapeUntrusted(text) {
    return text.replace(CONTROL, visibleControl).replace(LINE_START_COMMAND, '$1\\$2');
}
/**
 * Defuses every line of a log message that would start a workflow command. The actions' own commands go
 * through workflow-commands.ts, never through plain log lines, so nothing legitimate is changed.
 */
function neutralizeCommandLines(message) {
    return message
        .split('\n')
        .map((line) => line.replace(LINE_START_COMMAND, '$1\\$2'))
        .join('\n');
}

;// CONCATENATED MODULE: external "node:os"
const external_node_os_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:os");
;// CONCATENATED MODULE: ./packages/core/src/workflow-commands.ts
// The runner's side of a step: inputs in INPUT_* variables, workflow commands (`::name props::data`) on
// standard output, outputs and the job summary appended to the files the runner names. The format is
// the one @actions/core writes; that package is not loaded here because its module graph (an HTTP
// client, for OIDC tokens no action asks for) costs each step about a tenth of a second of start-up.


const escapeData = (text) => text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const unescapeData = (text) => text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
/** The data of every `::name \u2026::data` command a step printed, unescaped, in order. */
function commandData(stdout, name) {
    const pattern = new RegExp(`^::${name}(?: [^:]*)?::(.*)$`, 'gm');
    return [...stdout.matchAll(pattern)].map((match) => unescapeData(match[1] ?? ''));
}
const escapeProperty = (text) => escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
/** `::name key=value,key=value::data`, every part escaped so that it cannot end the line or the command. */
function workflowCommand(name, properties, data) {
    // Empty values and 0 are left out, as the runner reads them as absent.
    const present = properties.filter(([, value]) => value !== undefined && value !== '' && value !== 0);
    const shown = present.map(([key, value]) => `${key}=${escapeProperty(String(value))}`).join(',');
    return `::${name}${shown === '' ? '' : ` ${shown}`}::${escapeData(data)}`;
}
const issue = (name, data, properties = []) => {
    process.stdout.write(workflowCommand(name, properties, data) + EOL);
};
const annotationProperties = (annotation) => [
    ['title', annotation.title],
    ['file', annotation.file],
    ['line', annotation.startLine],
    ['col', annotation.startColumn],
];
/** An input as the runner passes it (`INPUT_<NAME>`, spaces as underscores), trimmed; '' when unset. */
const getInput = (name) => (process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();
/** A plain log line: the caller escapes what must not start a command. */
const info = (message) => {
    process.stdout.write(message + EOL);
};
const debug = (message) => issue('debug', message);
const warning = (message, annotation = {}) => issue('warning', message, annotationProperties(annotation));
const error = (message, annotation = {}) => issue('error', message, annotationProperties(annotation));
const notice = (message, annotation = {}) => issue('notice', message, annotationProperties(annotation));
/** Masks the secret in the rest of the job's log. */
const setSecret = (secret) => issue('add-mask', secret);
/** Runs `body` inside a foldable group of the log. */
async function group(name, body) {
    issue('group', name);
    try {
        return await body();
    }
    finally {
        issue('endgroup', '');
    }
}
/**
 * `name<<delimiter`, the value, the delimiter: the form of multi-line values in the runner's files. The
 * delimiter is one the value does not contain, so the value can never end early and write another entry.
 */
function fileCommandEntry(name, value) {
    let delimiter = 'ghadelimiter_';
    while (value.includes(delimiter) || name.includes(delimiter)) {
        delimiter = `ghadelimiter_${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
    }
    return `${name}<<${delimiter}${EOL}${value}${EOL}${delimiter}`;
}
/** Sets a step output: in the runner's GITHUB_OUTPUT file, or as a command where there is none. */
function setOutput(name, value) {
    const file = process.env['GITHUB_OUTPUT'] ?? '';
    if (file === '') {
        process.stdout.write(EOL);
        issue('set-output', value, [['name', name]]);
        return;
    }
    if (!existsSync(file))
        throw new Error(`Missing file at path: ${file}`);
    appendFileSync(file, `${fileCommandEntry(name, value)}${EOL}`, { encoding: 'utf8' });
}
/** Appends Markdown (and a line end) to the job summary file the runner names in GITHUB_STEP_SUMMARY. */
async function appendSummary(markdown) {
    const file = process.env['GITHUB_STEP_SUMMARY'] ?? '';
    if (file === '') {
        throw new Error('Unable to find environment variable for $GITHUB_STEP_SUMMARY. Check if your runtime environment supports job summaries.');
    }
    // node:fs/promises is loaded on first use: a step that stops at its inputs writes no summary.
    const { access, appendFile, constants } = process.getBuiltinModule('node:fs/promises');
    try {
        await access(file, constants.R_OK | constants.W_OK);
    }
    catch {
        throw new Error(`Unable to access summary file: '${file}'. Check if the file has correct read/write permissions.`);
    }
    await appendFile(file, markdown + EOL, { encoding: 'utf8' });
}

;// CONCATENATED MODULE: ./packages/core/src/workload.ts
/** The names kubectl accepts for each kind (singular, plural, short name, `kind.group`). */
const WORKLOAD_KIND_ALIASES = {
    deployment: 'deployment',
    deployments: 'deployment',
    deploy: 'deployment',
    'deployment.apps': 'deployment',
    statefulset: 'statefulset',
    statefulsets: 'statefulset',
    sts: 'statefulset',
    'statefulset.apps': 'statefulset',
    daemonset: 'daemonset',
    daemonsets: 'daemonset',
    ds: 'daemonset',
    'daemonset.apps': 'daemonset',
    rollout: 'rollout',
    rollouts: 'rollout',
    ro: 'rollout',
    'rollout.argoproj.io': 'rollout',
};
// RFC 1123: names of these objects are DNS subdomains, namespaces DNS labels.
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** Whether `text` can name a namespace (an RFC 1123 DNS label). */
const isNamespaceName = (text) => DNS_LABEL.test(text);
/**
 * Reads `[namespace/]kind/name`; returns the reference, or the reason the text is not one (said so that
 * it can follow the text in a message).
 */
function parseWorkloadReference(text) {
    const parts = text.split('/');
    if (parts.length < 2 || parts.length > 3 || parts.some((part) => part === '')) {
        return { problem: 'expected [namespace/]kind/name, e.g. deployment/api or shop/statefulset/db' };
    }
    const [namespace, kindText = '', name = ''] = parts.length === 3 ? parts : [undefined, ...parts];
    const kind = WORKLOAD_KIND_ALIASES[kindText.toLowerCase()];
    if (kind === undefined) {
        return { problem: `unknown kind '${kindText}' (use deployment, statefulset, daemonset or rollout)` };
    }
    if (!DNS_SUBDOMAIN.test(name)) {
        return { problem: `'${name}' is not a valid object name (lower-case letters, digits, '-' and '.')` };
    }
    if (namespace !== undefined && !isNamespaceName(namespace)) {
        return { problem: `'${namespace}' is not a valid namespace name (lower-case letters, digits and '-')` };
    }
    return { kind, name, namespace };
}

;// CONCATENATED MODULE: ./packages/core/src/index.ts





















/***/ }),

/***/ 181:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("buffer");

/***/ }),

/***/ 3024:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs");

/***/ }),

/***/ 6760:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:path");

/***/ }),

/***/ 3136:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:url");

/***/ }),

/***/ 932:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("process");

/***/ })

/******/ });
/************************************************************************/
/******/ // The module cache
/******/ var __webpack_module_cache__ = {};
/******/ 
/******/ // The require function
/******/ function __nccwpck_require__(moduleId) {
/******/ 	// Check if module is in cache
/******/ 	var cachedModule = __webpack_module_cache__[moduleId];
/******/ 	if (cachedModule !== undefined) {
/******/ 		return cachedModule.exports;
/******/ 	}
/******/ 	// Create a new module (and put it into the cache)
/******/ 	var module = __webpack_module_cache__[moduleId] = {
/******/ 		// no module.id needed
/******/ 		// no module.loaded needed
/******/ 		exports: {}
/******/ 	};
/******/ 
/******/ 	// Execute the module function
/******/ 	var threw = true;
/******/ 	try {
/******/ 		__webpack_modules__[moduleId](module, module.exports, __nccwpck_require__);
/******/ 		threw = false;
/******/ 	} finally {
/******/ 		if(threw) delete __webpack_module_cache__[moduleId];
/******/ 	}
/******/ 
/******/ 	// Return the exports of the module
/******/ 	return module.exports;
/******/ }
/******/ 
/******/ // expose the modules object (__webpack_modules__)
/******/ __nccwpck_require__.m = __webpack_modules__;
/******/ 
/************************************************************************/
/******/ /* webpack/runtime/async module */
/******/ (() => {
/******/ 	var webpackQueues = typeof Symbol === "function" ? Symbol("webpack queues") : "__webpack_queues__";
/******/ 	var webpackExports = typeof Symbol === "function" ? Symbol("webpack exports") : "__webpack_exports__";
/******/ 	var webpackError = typeof Symbol === "function" ? Symbol("webpack error") : "__webpack_error__";
/******/ 	var resolveQueue = (queue) => {
/******/ 		if(queue && queue.d < 1) {
/******/ 			queue.d = 1;
/******/ 			queue.forEach((fn) => (fn.r--));
/******/ 			queue.forEach((fn) => (fn.r-- ? fn.r++ : fn()));
/******/ 		}
/******/ 	}
/******/ 	var wrapDeps = (deps) => (deps.map((dep) => {
/******/ 		if(dep !== null && typeof dep === "object") {
/******/ 			if(dep[webpackQueues]) return dep;
/******/ 			if(dep.then) {
/******/ 				var queue = [];
/******/ 				queue.d = 0;
/******/ 				dep.then((r) => {
/******/ 					obj[webpackExports] = r;
/******/ 					resolveQueue(queue);
/******/ 				}, (e) => {
/******/ 					obj[webpackError] = e;
/******/ 					resolveQueue(queue);
/******/ 				});
/******/ 				var obj = {};
/******/ 				obj[webpackQueues] = (fn) => (fn(queue));
/******/ 				return obj;
/******/ 			}
/******/ 		}
/******/ 		var ret = {};
/******/ 		ret[webpackQueues] = x => {};
/******/ 		ret[webpackExports] = dep;
/******/ 		return ret;
/******/ 	}));
/******/ 	__nccwpck_require__.a = (module, body, hasAwait) => {
/******/ 		var queue;
/******/ 		hasAwait && ((queue = []).d = -1);
/******/ 		var depQueues = new Set();
/******/ 		var exports = module.exports;
/******/ 		var currentDeps;
/******/ 		var outerResolve;
/******/ 		var reject;
/******/ 		var promise = new Promise((resolve, rej) => {
/******/ 			reject = rej;
/******/ 			outerResolve = resolve;
/******/ 		});
/******/ 		promise[webpackExports] = exports;
/******/ 		promise[webpackQueues] = (fn) => (queue && fn(queue), depQueues.forEach(fn), promise["catch"](x => {}));
/******/ 		module.exports = promise;
/******/ 		body((deps) => {
/******/ 			currentDeps = wrapDeps(deps);
/******/ 			var fn;
/******/ 			var getResult = () => (currentDeps.map((d) => {
/******/ 				if(d[webpackError]) throw d[webpackError];
/******/ 				return d[webpackExports];
/******/ 			}))
/******/ 			var promise = new Promise((resolve) => {
/******/ 				fn = () => (resolve(getResult));
/******/ 				fn.r = 0;
/******/ 				var fnQueue = (q) => (q !== queue && !depQueues.has(q) && (depQueues.add(q), q && !q.d && (fn.r++, q.push(fn))));
/******/ 				currentDeps.map((dep) => (dep[webpackQueues](fnQueue)));
/******/ 			});
/******/ 			return fn.r ? promise : getResult();
/******/ 		}, (err) => ((err ? reject(promise[webpackError] = err) : outerResolve(exports)), resolveQueue(queue)));
/******/ 		queue && queue.d < 0 && (queue.d = 0);
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/compat get default export */
/******/ (() => {
/******/ 	// getDefaultExport function for compatibility with non-harmony modules
/******/ 	__nccwpck_require__.n = (module) => {
/******/ 		var getter = module && module.__esModule ?
/******/ 			() => (module['default']) :
/******/ 			() => (module);
/******/ 		__nccwpck_require__.d(getter, { a: getter });
/******/ 		return getter;
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/create fake namespace object */
/******/ (() => {
/******/ 	var getProto = Object.getPrototypeOf ? (obj) => (Object.getPrototypeOf(obj)) : (obj) => (obj.__proto__);
/******/ 	var leafPrototypes;
/******/ 	// create a fake namespace object
/******/ 	// mode & 1: value is a module id, require it
/******/ 	// mode & 2: merge all properties of value into the ns
/******/ 	// mode & 4: return value when already ns object
/******/ 	// mode & 16: return value when it's Promise-like
/******/ 	// mode & 8|1: behave like require
/******/ 	__nccwpck_require__.t = function(value, mode) {
/******/ 		if(mode & 1) value = this(value);
/******/ 		if(mode & 8) return value;
/******/ 		if(typeof value === 'object' && value) {
/******/ 			if((mode & 4) && value.__esModule) return value;
/******/ 			if((mode & 16) && typeof value.then === 'function') return value;
/******/ 		}
/******/ 		var ns = Object.create(null);
/******/ 		__nccwpck_require__.r(ns);
/******/ 		var def = {};
/******/ 		leafPrototypes = leafPrototypes || [null, getProto({}), getProto([]), getProto(getProto)];
/******/ 		for(var current = mode & 2 && value; typeof current == 'object' && !~leafPrototypes.indexOf(current); current = getProto(current)) {
/******/ 			Object.getOwnPropertyNames(current).forEach((key) => (def[key] = () => (value[key])));
/******/ 		}
/******/ 		def['default'] = () => (value);
/******/ 		__nccwpck_require__.d(ns, def);
/******/ 		return ns;
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/define property getters */
/******/ (() => {
/******/ 	// define getter functions for harmony exports
/******/ 	__nccwpck_require__.d = (exports, definition) => {
/******/ 		for(var key in definition) {
/******/ 			if(__nccwpck_require__.o(definition, key) && !__nccwpck_require__.o(exports, key)) {
/******/ 				Object.defineProperty(exports, key, { enumerable: true, get: definition[key] });
/******/ 			}
/******/ 		}
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/ensure chunk */
/******/ (() => {
/******/ 	__nccwpck_require__.f = {};
/******/ 	// This file contains only the entry chunk.
/******/ 	// The chunk loading function for additional chunks
/******/ 	__nccwpck_require__.e = (chunkId) => {
/******/ 		return Promise.all(Object.keys(__nccwpck_require__.f).reduce((promises, key) => {
/******/ 			__nccwpck_require__.f[key](chunkId, promises);
/******/ 			return promises;
/******/ 		}, []));
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/get javascript chunk filename */
/******/ (() => {
/******/ 	// This function allow to reference async chunks
/******/ 	__nccwpck_require__.u = (chunkId) => {
/******/ 		// return url for filenames based on template
/******/ 		return "" + chunkId + ".index.js";
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/hasOwnProperty shorthand */
/******/ (() => {
/******/ 	__nccwpck_require__.o = (obj, prop) => (Object.prototype.hasOwnProperty.call(obj, prop))
/******/ })();
/******/ 
/******/ /* webpack/runtime/make namespace object */
/******/ (() => {
/******/ 	// define __esModule on exports
/******/ 	__nccwpck_require__.r = (exports) => {
/******/ 		if(typeof Symbol !== 'undefined' && Symbol.toStringTag) {
/******/ 			Object.defineProperty(exports, Symbol.toStringTag, { value: 'Module' });
/******/ 		}
/******/ 		Object.defineProperty(exports, '__esModule', { value: true });
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/compat */
/******/ 
/******/ if (typeof __nccwpck_require__ !== 'undefined') __nccwpck_require__.ab = new URL('.', import.meta.url).pathname.slice(import.meta.url.match(/^file:\/\/\/\w:/) ? 1 : 0, -1) + "/";
/******/ 
/******/ /* webpack/runtime/import chunk loading */
/******/ (() => {
/******/ 	// no baseURI
/******/ 	
/******/ 	// object to store loaded and loading chunks
/******/ 	// undefined = chunk not loaded, null = chunk preloaded/prefetched
/******/ 	// [resolve, Promise] = chunk loading, 0 = chunk loaded
/******/ 	var installedChunks = {
/******/ 		792: 0
/******/ 	};
/******/ 	
/******/ 	var installChunk = (data) => {
/******/ 		var {ids, modules, runtime} = data;
/******/ 		// add "modules" to the modules object,
/******/ 		// then flag all "ids" as loaded and fire callback
/******/ 		var moduleId, chunkId, i = 0;
/******/ 		for(moduleId in modules) {
/******/ 			if(__nccwpck_require__.o(modules, moduleId)) {
/******/ 				__nccwpck_require__.m[moduleId] = modules[moduleId];
/******/ 			}
/******/ 		}
/******/ 		if(runtime) runtime(__nccwpck_require__);
/******/ 		for(;i < ids.length; i++) {
/******/ 			chunkId = ids[i];
/******/ 			if(__nccwpck_require__.o(installedChunks, chunkId) && installedChunks[chunkId]) {
/******/ 				installedChunks[chunkId][0]();
/******/ 			}
/******/ 			installedChunks[ids[i]] = 0;
/******/ 		}
/******/ 	
/******/ 	}
/******/ 	
/******/ 	__nccwpck_require__.f.j = (chunkId, promises) => {
/******/ 			// import() chunk loading for javascript
/******/ 			var installedChunkData = __nccwpck_require__.o(installedChunks, chunkId) ? installedChunks[chunkId] : undefined;
/******/ 			if(installedChunkData !== 0) { // 0 means "already installed".
/******/ 	
/******/ 				// a Promise means "currently loading".
/******/ 				if(installedChunkData) {
/******/ 					promises.push(installedChunkData[1]);
/******/ 				} else {
/******/ 					if(true) { // all chunks have JS
/******/ 						// setup Promise in chunk cache
/******/ 						var promise = import("./" + __nccwpck_require__.u(chunkId)).then(installChunk, (e) => {
/******/ 							if(installedChunks[chunkId] !== 0) installedChunks[chunkId] = undefined;
/******/ 							throw e;
/******/ 						});
/******/ 						var promise = Promise.race([promise, new Promise((resolve) => (installedChunkData = installedChunks[chunkId] = [resolve]))])
/******/ 						promises.push(installedChunkData[1] = promise);
/******/ 					}
/******/ 				}
/******/ 			}
/******/ 	};
/******/ 	
/******/ 	// no prefetching
/******/ 	
/******/ 	// no preloaded
/******/ 	
/******/ 	// no external install chunk
/******/ 	
/******/ 	// no on chunks loaded
/******/ })();
/******/ 
/************************************************************************/
/******/ 
/******/ // startup
/******/ // Load entry module and return exports
/******/ // This entry module used 'module' so it can't be inlined
/******/ var __webpack_exports__ = __nccwpck_require__(7847);
/******/ __webpack_exports__ = await __webpack_exports__;
/******/ 
