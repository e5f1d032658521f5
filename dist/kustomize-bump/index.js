import { createRequire as __WEBPACK_EXTERNAL_createRequire } from "module";
/******/ var __webpack_modules__ = ({

/***/ 156:
/***/ ((module, __unused_webpack___webpack_exports__, __nccwpck_require__) => {

__nccwpck_require__.a(module, async (__webpack_handle_async_dependencies__, __webpack_async_result__) => { try {
/* harmony import */ var _shiprail_kustomize_bump_action__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(5229);

await (0,_shiprail_kustomize_bump_action__WEBPACK_IMPORTED_MODULE_0__/* .run */ .e)();

__webpack_async_result__();
} catch(e) { __webpack_async_result__(e); } }, 1);

/***/ }),

/***/ 5229:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  e: () => (/* binding */ run)
});

;// CONCATENATED MODULE: external "node:os"
const external_node_os_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:os");
;// CONCATENATED MODULE: external "node:fs"
const external_node_fs_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs");
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
        const parsed = JSON.parse((0,external_node_fs_namespaceObject.readFileSync)(path, 'utf8'));
        return typeof parsed === 'object' && parsed !== null ? parsed : {};
    }
    catch {
        // A missing or unreadable payload is the same as none: the runner always writes one.
        return {};
    }
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
function errorMessage(error) {
    if (error instanceof errors_ConfigurationError)
        return error.describe();
    if (error instanceof Error) {
        const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
        return `${error.message}${cause}`;
    }
    return String(error);
}

;// CONCATENATED MODULE: ./packages/core/src/duration.ts
/** The longest a Node timer can wait (2^31 - 1 ms, about 24.8 days); longer delays fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(?:(\d+(?:\.\d+)?)(ms|h|m|s))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
/**
 * Parses `90s`, `10m`, `1h30m`, `500ms` or plain seconds (`45`) into milliseconds.
 * Returns undefined when the text is not a duration, so callers can name the input in their error.
 */
function parseDuration(text) {
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
class DeadlineError extends Error {
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
            const error = new DeadlineError(what, ms);
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

;// CONCATENATED MODULE: ./packages/core/src/yaml.ts

let library;
/**
 * The YAML library, loaded on first use rather than at start-up: a step may parse no YAML at all, or
 * only when a faster reader declines or a mistake must be located. In a bundle it is a file of its own
 * beside index.js, so that a step that reads no YAML does not even compile it.
 */
const loadYamlLibrary = () => (library ??= Promise.resolve(/* import() */).then(__nccwpck_require__.t.bind(__nccwpck_require__, 8815, 19)));
/**
 * Parses YAML with positions kept, so that every later complaint about the content can name the file
 * (or input) and line. Syntax errors become ConfigurationError at the offending line.
 */
async function parseYamlDocument(text, where) {
    const { LineCounter, isMap, isNode, isScalar, parseDocument } = await loadYamlLibrary();
    const lineCounter = new LineCounter();
    const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
    const firstError = document.errors[0];
    if (firstError !== undefined) {
        const line = firstError.linePos?.[0].line ?? lineCounter.linePos(firstError.pos[0]).line;
        const reason = firstError.message.split('\n')[0] ?? 'malformed YAML';
        throw new errors_ConfigurationError(`malformed YAML: ${reason}`, { ...where, line });
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
    return new errors_ConfigurationError(at === '' ? message : `${at}: ${message}`, {
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
        throw new ConfigurationError(`malformed YAML: ${reason}`, { ...where, line });
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
            throw new errors_ConfigurationError('is required but was not given', { input: name });
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
        throw new errors_ConfigurationError(`expected true or false, got '${value}'`, { input: name });
    }
    /** A duration in milliseconds: `90s`, `10m`, `1h30m`, `500ms` or plain seconds. */
    duration(name, fallback) {
        const value = this.raw(name, fallback);
        const ms = parseDuration(value);
        if (ms === undefined) {
            throw new errors_ConfigurationError(`expected a duration like 90s, 10m, 1h30m or plain seconds, got '${value}'`, {
                input: name,
            });
        }
        if (ms > MAX_TIMER_MS) {
            throw new errors_ConfigurationError(`'${value}' is longer than 24 days, the longest a step can wait`, {
                input: name,
            });
        }
        return ms;
    }
    /** A whole number within bounds. */
    integer(name, fallback, bounds = {}) {
        const value = this.number(name, fallback, bounds);
        if (!Number.isInteger(value)) {
            throw new errors_ConfigurationError(`expected a whole number, got '${value}'`, { input: name });
        }
        return value;
    }
    /** A number within bounds. */
    number(name, fallback, bounds = {}) {
        const value = this.raw(name, String(fallback));
        const parsed = Number(value);
        if (value === '' || !Number.isFinite(parsed)) {
            throw new errors_ConfigurationError(`expected a number, got '${value}'`, { input: name });
        }
        if (bounds.min !== undefined && parsed < bounds.min) {
            throw new errors_ConfigurationError(`must be at least ${bounds.min}, got ${parsed}`, { input: name });
        }
        if (bounds.max !== undefined && parsed > bounds.max) {
            throw new errors_ConfigurationError(`must be at most ${bounds.max}, got ${parsed}`, { input: name });
        }
        return parsed;
    }
    /** One of a fixed set of words. */
    choice(name, choices, fallback) {
        const value = this.raw(name, fallback);
        const found = choices.find((choice) => choice === value);
        if (found === undefined) {
            throw new errors_ConfigurationError(`expected one of ${choices.join(', ')}, got '${value}'`, { input: name });
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
            throw new errors_ConfigurationError(`is not valid JSON: ${reason}`, { input: name });
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

;// CONCATENATED MODULE: ./packages/core/src/markdown.ts
// Markdown for job summaries: escaped table cells, inline code, folded sections and the size GitHub accepts.
const CELL_SPECIAL = /[&<>|\n]/;
/** Escapes text for a Markdown table cell: pipes, newlines and HTML-significant characters. */
function escapeCell(value) {
    const text = String(value);
    // Most cells hold nothing to escape: one test instead of five replacements (summaries have thousands).
    if (!CELL_SPECIAL.test(text))
        return text;
    return text
        .replace(/&/g, '&amp;')
        .replace(/</g, '&lt;')
        .replace(/>/g, '&gt;')
        .replace(/\|/g, '\\|')
        .replace(/\r?\n/g, '<br>');
}
/** A Markdown table. Cells are escaped unless they are marked as already-Markdown with `raw()`. */
function table(header, rows) {
    const line = (cells) => `| ${cells.map(renderCell).join(' | ')} |`;
    return [line(header), `| ${header.map(() => '---').join(' | ')} |`, ...rows.map(line)].join('\n');
}
/** A cell that is Markdown already (a link, code): inserted as it is. */
const raw = (markdown) => ({ markdown });
function renderCell(cell) {
    return typeof cell === 'object' ? cell.markdown : escapeCell(cell);
}
/** Inline code that survives backticks in the value. */
function code(value) {
    const fence = value.includes('`') ? '``' : '`';
    return `${fence}${value.replace(/\r?\n/g, ' ')}${fence}`;
}
/** A folded section. */
function details(summary, body) {
    return `<details><summary>${escapeCell(summary)}</summary>\n\n${body}\n\n</details>`;
}
/** GitHub caps a step summary at 1 MiB; keep well below and say what was cut. */
const SUMMARY_LIMIT_BYTES = 900 * 1024;
function capSummary(markdown, limit = SUMMARY_LIMIT_BYTES) {
    if (Buffer.byteLength(markdown) <= limit)
        return markdown;
    const note = '\n\n_The summary was cut here to stay within GitHub\u2019s size limit; the full data is in the report file._\n';
    let cut = markdown.slice(0, limit - note.length);
    while (Buffer.byteLength(cut) > limit - note.length)
        cut = cut.slice(0, Math.floor(cut.length * 0.95));
    return `${cut.slice(0, cut.lastIndexOf('\n'))}${note}`;
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

;// CONCATENATED MODULE: ./packages/core/src/runtime.ts
/** Outputs are strings on the wire: JSON for structures, as the spec's conventions say. */
function serializeOutput(value) {
    return typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
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
    process.stdout.write(workflowCommand(name, properties, data) + external_node_os_namespaceObject.EOL);
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
    process.stdout.write(message + external_node_os_namespaceObject.EOL);
};
const debug = (message) => issue('debug', message);
const warning = (message, annotation = {}) => issue('warning', message, annotationProperties(annotation));
const workflow_commands_error = (message, annotation = {}) => issue('error', message, annotationProperties(annotation));
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
    return `${name}<<${delimiter}${external_node_os_namespaceObject.EOL}${value}${external_node_os_namespaceObject.EOL}${delimiter}`;
}
/** Sets a step output: in the runner's GITHUB_OUTPUT file, or as a command where there is none. */
function setOutput(name, value) {
    const file = process.env['GITHUB_OUTPUT'] ?? '';
    if (file === '') {
        process.stdout.write(external_node_os_namespaceObject.EOL);
        issue('set-output', value, [['name', name]]);
        return;
    }
    if (!(0,external_node_fs_namespaceObject.existsSync)(file))
        throw new Error(`Missing file at path: ${file}`);
    (0,external_node_fs_namespaceObject.appendFileSync)(file, `${fileCommandEntry(name, value)}${external_node_os_namespaceObject.EOL}`, { encoding: 'utf8' });
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
    await appendFile(file, markdown + external_node_os_namespaceObject.EOL, { encoding: 'utf8' });
}

;// CONCATENATED MODULE: ./packages/core/src/action.ts
// The runtime of a real step on a runner (@actions/* behind the Runtime interface) and runAction, the one top of every
// action.











/** Runs programs through @actions/exec: an argument vector, output captured, secrets never in argv. */
const actionsExec = async (program, args, options = {}) => {
    if (options.deadline !== undefined)
        return execWithDeadline(program, args, { ...options, deadline: options.deadline });
    // Loaded when first used, in the bundle too ("eager": no separate file): some steps never run a program
    // without a deadline, and need not pay for loading it.
    const { getExecOutput } = await Promise.resolve(/* import() eager */).then(__nccwpck_require__.bind(__nccwpck_require__, 9014));
    const result = await getExecOutput(program, [...args], {
        cwd: options.cwd,
        env: options.env ? mergeEnv(options.env) : undefined,
        input: options.input === undefined ? undefined : Buffer.from(options.input),
        silent: options.silent ?? false,
        ignoreReturnCode: true,
    });
    if (result.exitCode !== 0 && options.allowFailure !== true) {
        const detail = result.stderr.trim().split('\n').slice(-5).join('\n');
        throw new Error(`${program} exited with code ${result.exitCode}${detail ? `: ${detail}` : ''}`);
    }
    return result;
};
function mergeEnv(extra) {
    const merged = {};
    for (const [key, value] of Object.entries(process.env))
        if (value !== undefined)
            merged[key] = value;
    return { ...merged, ...extra };
}
const actionsLog = {
    // Warnings, notices and debug lines are commands whose data is escaped; plain lines are not.
    info: (message) => info(neutralizeCommandLines(message)),
    debug: (message) => debug(message),
    warning: (message, properties) => warning(message, properties),
    error: (message, properties) => workflow_commands_error(message, properties),
    notice: (message, properties) => notice(message, properties),
    group: (name, body) => group(name, body),
};
/** The runtime of a real step: the runner's files and workflow commands. */
function createActionsRuntime(env = process.env) {
    const redactor = new Redactor();
    const mask = (secret) => {
        setSecret(secret);
        redactor.add(secret);
    };
    const redact = (text) => redactor.redact(text);
    return {
        inputs: new InputParser((name) => getInput(name), mask),
        log: actionsLog,
        setOutput: (name, value) => setOutput(name, redact(serializeOutput(value))),
        appendSummary: async (markdown) => {
            if (!env['GITHUB_STEP_SUMMARY'])
                return;
            await appendSummary(capSummary(redact(markdown)));
        },
        mask,
        redact,
        env,
        github: readGitHubContext(env),
        exec: actionsExec,
        fetch: (input, init) => fetch(input, init),
        clock: { now: () => Date.now(), sleep: sleep },
        tempDir: env['RUNNER_TEMP'] || (0,external_node_os_namespaceObject.tmpdir)(),
        cwd: process.cwd(),
    };
}
/**
 * The top of every action: builds the runtime, runs `main`, and turns a thrown error into one `::error`
 * line and exit code 1. User mistakes carry their input or file and line into the annotation.
 */
async function runAction(main) {
    try {
        await main(createActionsRuntime());
    }
    catch (error) {
        if (error instanceof errors_ConfigurationError) {
            const { file, line, column } = error.location;
            workflow_commands_error(error.describe(), {
                title: 'Configuration error',
                ...(file === undefined ? {} : { file }),
                ...(line === undefined ? {} : { startLine: line }),
                ...(column === undefined ? {} : { startColumn: column }),
            });
        }
        else {
            if (error instanceof Error && error.stack)
                debug(error.stack);
            workflow_commands_error(errorMessage(error));
        }
        process.exitCode = 1;
    }
}

;// CONCATENATED MODULE: external "node:path"
const external_node_path_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:path");
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

;// CONCATENATED MODULE: ./packages/core/src/git.ts
/**
 * git with an argument vector in one working directory: its output kept out of the log, never waiting
 * for a password prompt (a command that needs credentials nobody gave fails), and under a deadline when
 * one is set.
 */
class Git {
    cwd;
    options;
    env;
    prefix;
    constructor(options) {
        this.options = options;
        this.cwd = options.cwd;
        this.env = { GIT_TERMINAL_PROMPT: '0', ...options.env };
        this.prefix = (options.config ?? []).flatMap((setting) => ['-c', setting]);
    }
    /** The same git in another working directory. */
    in(cwd) {
        return new Git({ ...this.options, cwd });
    }
    run(args, options = {}) {
        const { deadlineMs } = this.options;
        const deadline = options.deadline ?? (deadlineMs === undefined ? undefined : { ms: deadlineMs, what: `git ${args[0] ?? ''}` });
        return this.options.exec('git', [...this.prefix, ...args], {
            cwd: this.cwd,
            env: this.env,
            silent: true,
            ...(options.input === undefined ? {} : { input: options.input }),
            ...(options.allowFailure === undefined ? {} : { allowFailure: options.allowFailure }),
            ...(deadline === undefined ? {} : { deadline }),
        });
    }
    /** The command's standard output, trimmed; a failure throws. */
    async output(args) {
        return (await this.run(args)).stdout.trim();
    }
}

;// CONCATENATED MODULE: ./packages/core/src/image-targets.ts
// Where a service's image goes beyond kustomize's own matching: the container of its workload that runs
// it, and the keys of Helm values that hold it. Written in the services manifest, carried by
// detect-changed-services' matrix and read by kustomize-bump: one reading of that shape for both.
/** The keys a chart reads an image from, each a dotted path into the values (`frontend.image.tag`). */
const HELM_VALUE_FIELDS = ['registry', 'repository', 'tag', 'digest', 'reference'];
const KEY_PATH = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;
/** A container name is a DNS label (RFC 1123), as Kubernetes requires. */
const CONTAINER_NAME = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const isMapping = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);
/**
 * Reads `container` and `helm-values` as written for one service (absent, null or '' means not given:
 * the matrix carries empty values for services that say nothing).
 */
function readImageTarget(container, helmValues) {
    const target = {};
    if (container !== undefined && container !== null && container !== '') {
        if (typeof container !== 'string' || !CONTAINER_NAME.test(container)) {
            return {
                at: ['container'],
                problem: 'expected the name of a container (lower-case letters, digits and -, as Kubernetes names them)',
            };
        }
        target.container = container;
    }
    if (helmValues === undefined ||
        helmValues === null ||
        (isMapping(helmValues) && Object.keys(helmValues).length === 0)) {
        return target;
    }
    const keys = readHelmValueKeys(helmValues);
    if ('problem' in keys)
        return { at: ['helm-values', ...keys.at], problem: keys.problem };
    target.helmValues = keys;
    return target;
}
function readHelmValueKeys(value) {
    const fields = HELM_VALUE_FIELDS.join(', ');
    if (!isMapping(value))
        return { at: [], problem: `expected a mapping of ${fields} to dotted key paths` };
    const keys = {};
    for (const [field, path] of Object.entries(value)) {
        if (!HELM_VALUE_FIELDS.includes(field)) {
            return { at: [field], problem: `unknown key '${field}' (expected ${fields})` };
        }
        if (typeof path !== 'string' || !KEY_PATH.test(path)) {
            return {
                at: [field],
                problem: 'expected a dotted key path into the values, such as frontend.image.tag (letters, digits, _ and -)',
            };
        }
        keys[field] = path;
    }
    if (keys.reference !== undefined) {
        const other = HELM_VALUE_FIELDS.find((field) => field !== 'reference' && keys[field] !== undefined);
        if (other !== undefined) {
            return {
                at: [other],
                problem: 'reference holds the whole image reference: give it alone, or repository and tag',
            };
        }
    }
    else if (keys.repository === undefined) {
        return { at: [], problem: 'needs repository (with tag, digest, registry as the chart reads them) or reference' };
    }
    return keys;
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
    (error) => (error instanceof DeadlineError ? 'transient' : undefined),
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
const GIT_FAILURES = [
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
];
/** Classifies git's output of a failed network command (clone, fetch, ls-remote, push). */
function classifyGitFailure(output) {
    for (const [failure, pattern] of GIT_FAILURES)
        if (pattern.test(output))
            return failure;
    return 'refused';
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




















;// CONCATENATED MODULE: external "node:fs/promises"
const promises_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs/promises");
;// CONCATENATED MODULE: ./packages/core/src/image-reference.ts
// Container image references (`[host[:port]/]path[:tag][@digest]`): one reading for every action that
// builds, bumps or waits for images. Callers add their own strictness and their own defaults.
// Imported as `@shiprail/core/image-reference`: actions that read no images do not bundle it.
/** The registry a reference without a host names, and the host its HTTP API answers on. */
const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
/**
 * The lower-case reference grammar of the Distribution project: an optional host (with port), path
 * components joined by `.`, `_`, `__` or dashes, a tag of at most 128 word characters, dots and dashes,
 * and a digest `algorithm:hex`.
 */
const REFERENCE_GRAMMAR = /^((?:[a-z0-9]+(?:[._-][a-z0-9]+)*)(?:\.[a-z0-9-]+)*(?::\d+)?\/)?([a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)(?::([\w][\w.-]{0,127}))?(?:@([a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-fA-F]{32,}))?$/;
/** Whether `text` is a whole reference in the lower-case grammar container runtimes accept. */
const isImageReference = (text) => REFERENCE_GRAMMAR.test(text);
/**
 * Splits `[host[:port]/]path[:tag][@digest]` as kustomize and container runtimes do: a colon before the
 * first slash belongs to the host (a port); after it, the first `:` starts the tag and the first `@`
 * the digest. Nothing is validated: every string splits.
 */
function splitImageReference(reference) {
    const firstSlash = reference.indexOf('/');
    const offset = firstSlash > 0 ? firstSlash : 0;
    const searched = reference.slice(offset);
    const at = searched.indexOf('@');
    const colon = searched.indexOf(':');
    if (at < 0 && colon < 0)
        return { name: reference, tag: '', digest: '' };
    if (at >= 0 && (colon < 0 || at < colon)) {
        return { name: reference.slice(0, offset + at), tag: '', digest: reference.slice(offset + at + 1) };
    }
    if (at >= 0) {
        return {
            name: reference.slice(0, offset + colon),
            tag: reference.slice(offset + colon + 1, offset + at),
            digest: reference.slice(offset + at + 1),
        };
    }
    return { name: reference.slice(0, offset + colon), tag: reference.slice(offset + colon + 1), digest: '' };
}
/** Whether a name's first component is a registry host: it has a dot or a port, is `localhost`, or is `[IPv6]`. */
const looksLikeRegistryHost = (component) => component.includes('.') || component.includes(':') || component === 'localhost' || component.startsWith('[');
/** Splits an image name (no tag or digest) into host and path; a name without a slash has no host. */
function splitImageName(name) {
    const slash = name.indexOf('/');
    const first = slash === -1 ? '' : name.slice(0, slash);
    return looksLikeRegistryHost(first) ? { host: first, path: name.slice(slash + 1) } : { host: '', path: name };
}
/** Docker Hub, under either name references use for it. */
const isDockerHub = (registry) => registry === DOCKER_HUB || registry === 'index.docker.io';
/** A path as Docker Hub stores it: official images (one component, `nginx`) live under `library/`. */
const dockerHubRepository = (path) => (path.includes('/') ? path : `library/${path}`);
/** `localhost`, `127.0.0.0/8` and `[::1]`, with or without a port. */
function isLoopbackHost(registry) {
    const host = registry.startsWith('[') ? registry.slice(0, registry.indexOf(']') + 1) : registry.split(':')[0];
    return host === 'localhost' || host === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(host ?? '');
}
/** Reads a reference already checked by its caller (a stricter rule of its own, or the grammar). */
function readImageReference(text) {
    const { name, tag, digest } = splitImageReference(text);
    const { host, path } = splitImageName(name);
    const registry = host === '' ? DOCKER_HUB : host;
    const dockerHub = isDockerHub(registry);
    return {
        text,
        name,
        registry,
        apiHost: dockerHub ? DOCKER_HUB_API_HOST : registry,
        repository: dockerHub ? dockerHubRepository(path) : path,
        tag: tag === '' ? undefined : tag,
        digest: digest === '' ? undefined : digest,
        loopback: isLoopbackHost(registry),
    };
}
/** Parses `[registry/]path[:tag][@digest]` (surrounding blanks ignored); undefined when it is not a reference. */
function parseImageReference(text) {
    const trimmed = text.trim();
    return isImageReference(trimmed) ? readImageReference(trimmed) : undefined;
}

;// CONCATENATED MODULE: ./packages/kustomize-bump/src/image-args.ts
// The `images` input: each argument in kustomize's forms, parsed into the images entry it asks for.


/** The fields kustomize writes for an entry, in the order its writer emits them (sorted keys). */
const IMAGE_FIELDS = ['digest', 'name', 'newName', 'newTag'];
/** `*` in an argument keeps the value the kustomization already has for that field. */
const KEEP = '*';
const ACCEPTED_FORMS = [
    '<image>=<newimage>:<newtag>@<digest>',
    '<image>=<newimage>:<newtag>',
    '<image>=<newimage>@<digest>',
    '<image>=<newimage>',
    '<image>:<newtag>@<digest>',
    '<image>:<newtag>',
    '<image>@<digest>',
];
/**
 * Parses one `kustomize edit set image` argument into the entry it asks for (fields may still be `*`).
 * Accepts what kustomize accepts; stricter only where kustomize would write an entry that can never
 * match a container: an empty name, or whitespace.
 */
function parseImageArgument(argument, input = 'images') {
    const reject = (why) => new errors_ConfigurationError(`'${argument}' ${why}; use one of: ${ACCEPTED_FORMS.join(', ')}`, { input });
    if (/\s/.test(argument))
        throw reject('contains whitespace');
    const separator = argument.indexOf('=');
    const key = separator >= 0 ? argument.slice(0, separator) : '';
    const value = separator >= 0 ? argument.slice(separator + 1) : argument;
    if (separator === 0)
        throw reject('has no image name before =');
    const { name, tag, digest } = splitImageReference(value);
    // Without `=`, a tag or a digest is what is being set: a bare name sets nothing (kustomize's rule).
    if (name === argument)
        throw reject('sets neither a new name, a tag nor a digest');
    const entry = key === '' ? { name } : { name: key, newName: name };
    if (entry.name === '')
        throw reject('has no image name');
    if (entry.newName === '')
        delete entry.newName;
    if (tag !== '')
        entry.newTag = tag;
    if (digest !== '')
        entry.digest = digest;
    return entry;
}
/** Parses the `images` input: later arguments for the same name win, as in kustomize. */
function parseImageArguments(lines, input = 'images') {
    const byName = new Map();
    for (const line of lines) {
        const entry = parseImageArgument(line, input);
        byName.delete(entry.name);
        byName.set(entry.name, { ...entry, argument: line });
    }
    return [...byName.values()];
}
/**
 * The entry kustomize writes for `argument` when the file holds `existing` for the same name: the
 * argument replaces the entry; a `*` field takes the existing value (or is left out when there is none).
 */
function resolveImageEntry(argument, existing) {
    const resolved = { name: argument.name };
    for (const field of ['newName', 'newTag', 'digest']) {
        const value = argument[field] === KEEP ? existing?.[field] : argument[field];
        if (value !== undefined && value !== '')
            resolved[field] = value;
    }
    return resolved;
}
function sameImageEntry(left, right) {
    if (left === undefined)
        return false;
    return IMAGE_FIELDS.every((field) => (left[field] ?? '') === (right[field] ?? ''));
}
/** What the entry makes of a container image: `newName:newTag@digest`, with `name` where no new name. */
function describeImageEntry(entry) {
    const tag = entry.newTag === undefined ? '' : `:${entry.newTag}`;
    const digest = entry.digest === undefined ? '' : `@${entry.digest}`;
    return `${entry.newName ?? entry.name}${tag}${digest}`;
}

;// CONCATENATED MODULE: ./packages/kustomize-bump/src/git.ts
// git in the GitOps repository: its environment, reads from the remote retried when another attempt can fix them, and
// pushes that tell a lost race from a refusal.

/** The identity of bump commits unless the environment sets git's own author variables. */
const BOT_NAME = 'github-actions[bot]';
const BOT_EMAIL = '41898282+github-actions[bot]@users.noreply.github.com';
/** Bytes per second below which an HTTP transfer counts as stalled, and for how many seconds. */
const LOW_SPEED_LIMIT = '1000';
const LOW_SPEED_TIME = '30';
/**
 * The environment every git command runs with. The token travels as an `http.<origin>.extraHeader`
 * given through GIT_CONFIG_COUNT/KEY/VALUE: git reads it for this process only, so it is in no argv,
 * no `.git/config` and no log. The empty first value clears headers a checkout may have persisted.
 */
function gitEnvironment(remoteUrl, token, env, mask) {
    const environment = {
        GIT_TERMINAL_PROMPT: '0',
        GCM_INTERACTIVE: 'never',
        GIT_AUTHOR_NAME: env['GIT_AUTHOR_NAME'] || BOT_NAME,
        GIT_AUTHOR_EMAIL: env['GIT_AUTHOR_EMAIL'] || BOT_EMAIL,
        GIT_COMMITTER_NAME: env['GIT_COMMITTER_NAME'] || BOT_NAME,
        GIT_COMMITTER_EMAIL: env['GIT_COMMITTER_EMAIL'] || BOT_EMAIL,
        // A remote that accepts and then stalls ends the command instead of holding the step for ever.
        GIT_HTTP_LOW_SPEED_LIMIT: env['GIT_HTTP_LOW_SPEED_LIMIT'] || LOW_SPEED_LIMIT,
        GIT_HTTP_LOW_SPEED_TIME: env['GIT_HTTP_LOW_SPEED_TIME'] || LOW_SPEED_TIME,
        GIT_CONFIG_COUNT: '0',
    };
    const origin = httpOrigin(remoteUrl);
    if (token === '' || origin === undefined)
        return environment;
    const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
    mask(basic);
    const key = `http.${origin}/.extraheader`;
    return {
        ...environment,
        GIT_CONFIG_COUNT: '2',
        GIT_CONFIG_KEY_0: key,
        GIT_CONFIG_VALUE_0: '',
        GIT_CONFIG_KEY_1: key,
        GIT_CONFIG_VALUE_1: `AUTHORIZATION: basic ${basic}`,
    };
}
/** `https://host[:port]` of an http(s) remote; undefined for file, ssh and local paths. */
function httpOrigin(remoteUrl) {
    if (!/^https?:\/\//i.test(remoteUrl))
        return undefined;
    try {
        return new URL(remoteUrl).origin;
    }
    catch {
        return undefined;
    }
}
/** A failed git command that talked to the remote, with what it means for another attempt. */
class GitRemoteError extends ClassifiedError {
    gitFailure;
    constructor(message, gitFailure) {
        super(message, failureOf(gitFailure === 'transient'));
        this.name = 'GitRemoteError';
        this.gitFailure = gitFailure;
    }
}
/** A push that lost a race: worth fetching the new head and trying again. */
const isLostRace = (error) => error instanceof GitRemoteError && error.gitFailure === 'race';
/** git's report of a failure: its output without the `hint:` advice and blank lines. */
function gitFailureText(result) {
    return `${result.stdout}\n${result.stderr}`
        .split('\n')
        .map((line) => line.trimEnd())
        .filter((line) => line !== '' && !line.startsWith('hint:'));
}
/** The last lines of git's report on one line, escaped: the remote's own words (hooks print there). */
const lastLines = (lines, count) => escapeUntrusted(lines.slice(-count).join(' | '));
/** Network commands that fail for a reason another attempt may fix are tried this often, in all. */
const NETWORK_ATTEMPTS = 3;
const NETWORK_BACKOFF = { baseMs: 1000, factor: 2, maxMs: 4000, jitter: 0.5 };
/** git in the GitOps repository, with the environment above: it also fetches from and pushes to the remote. */
class GitopsGit extends Git {
    runtime;
    constructor(runtime, cwd, env) {
        super({ exec: (program, args, options) => runtime.exec(program, args, options), cwd, env });
        this.runtime = runtime;
    }
    in(cwd) {
        return new GitopsGit(this.runtime, cwd, this.options.env ?? {});
    }
    /**
     * A command that reads from the remote (ls-remote, clone, fetch). A stalled transfer ends through the
     * low-speed limit of gitEnvironment; network and server failures are tried again a few times, and
     * anything else (authentication, a missing repository) fails at once with git's reason.
     */
    async fetchFromRemote(args, what) {
        return retry(async () => {
            const result = await this.run(args, { allowFailure: true });
            if (result.exitCode === 0)
                return result;
            const lines = gitFailureText(result);
            throw new GitRemoteError(`${what}: ${lastLines(lines, 2)}`, classifyGitFailure(lines.join('\n')));
        }, {
            ...NETWORK_BACKOFF,
            attempts: NETWORK_ATTEMPTS,
            retryIf: isTransient,
            onRetry: (error, attempt, delay) => this.runtime.log.info(`${errorMessage(error)} (attempt ${attempt}); trying again in ${delay} ms`),
            sleep: (ms) => this.runtime.clock.sleep(ms),
        });
    }
    /** Pushes HEAD; the failure says whether it lost a race, met a network fault, or was refused. */
    async push(target, force) {
        const args = ['push', '--porcelain', '--no-verify', ...(force ? ['--force'] : []), 'origin', `HEAD:${target}`];
        const result = await this.run(args, { allowFailure: true });
        if (result.exitCode === 0)
            return;
        const lines = gitFailureText(result);
        const gitFailure = classifyGitFailure(lines.join('\n'));
        // The refused refs (`!` lines of --porcelain) and what the remote said: the rest is git's boilerplate.
        const telling = lines.filter((line) => line.startsWith('!') || line.startsWith('remote:'));
        const detail = lastLines(telling.length > 0 ? telling : lines, 6);
        throw new GitRemoteError(gitFailure === 'race' ? `push rejected: ${detail}` : `the remote refused the push to ${target}: ${detail}`, gitFailure);
    }
}

// EXTERNAL MODULE: ./node_modules/yaml/dist/index.js
var dist = __nccwpck_require__(8815);
;// CONCATENATED MODULE: ./packages/kustomize-bump/src/image-targets.ts
// The `image-targets` input: per image name, the container that runs it and the Helm values keys that hold
// it, as the services manifest declares them (deploy.yml passes them on from detect-changed-services).


const INPUT = 'image-targets';
/** `{"ghcr.io/acme/frontend": {"container": "server", "helm-values": {...}}}`, as YAML or JSON; '' for none. */
function parseImageTargets(text) {
    const targets = new Map();
    if (text.trim() === '')
        return targets;
    let value;
    try {
        value = (0,dist.parse)(text, { maxAliasCount: 100, uniqueKeys: true });
    }
    catch (error) {
        const reason = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
        throw new errors_ConfigurationError(`malformed YAML: ${escapeUntrusted(reason)}`, { input: INPUT });
    }
    if (value === null || value === undefined)
        return targets;
    if (typeof value !== 'object' || Array.isArray(value)) {
        throw new errors_ConfigurationError('expected a mapping of image names to {container, helm-values}', { input: INPUT });
    }
    for (const [image, body] of Object.entries(value)) {
        const fields = body ?? {};
        if (typeof fields !== 'object' || Array.isArray(fields)) {
            throw new errors_ConfigurationError(`${escapeUntrusted(image)}: expected a mapping with container, helm-values`, {
                input: INPUT,
            });
        }
        const record = fields;
        const unknown = Object.keys(record).find((key) => key !== 'container' && key !== 'helm-values');
        if (unknown !== undefined) {
            throw new errors_ConfigurationError(`${escapeUntrusted(image)}: unknown key '${escapeUntrusted(unknown)}' (expected container, helm-values)`, { input: INPUT });
        }
        const target = readImageTarget(record['container'], record['helm-values']);
        if ('problem' in target) {
            const at = formatYamlPath([image, ...target.at]);
            throw new errors_ConfigurationError(`${escapeUntrusted(at)}: ${target.problem}`, { input: INPUT });
        }
        targets.set(image, target);
    }
    return targets;
}
/** The target of an `images` argument: by the name it is given under, or the new name it sets. */
function targetOf(targets, argument) {
    return (targets.get(argument.name) ?? (argument.newName === undefined ? undefined : targets.get(argument.newName)) ?? {});
}

;// CONCATENATED MODULE: ./packages/kustomize-bump/src/message.ts

const DEFAULT_COMMIT_MESSAGE = 'Deploy {{images}} to {{overlays}}\n\n{{changes}}\n\nSource: {{source-url}}\nRun: {{run-url}}';
const PLACEHOLDERS = [
    'images',
    'overlays',
    'changes',
    'branch',
    'source-repository',
    'source-sha',
    'source-short-sha',
    'source-url',
    'run-url',
];
const PLACEHOLDER = /\{\{\s*([a-z-]+)\s*\}\}/g;
function checkCommitMessageTemplate(template, input) {
    for (const match of template.matchAll(PLACEHOLDER)) {
        const name = match[1] ?? '';
        if (!PLACEHOLDERS.some((known) => known === name)) {
            throw new errors_ConfigurationError(`unknown placeholder {{${name}}}; known: ${PLACEHOLDERS.join(', ')}`, { input });
        }
    }
}
/** Fills `{{placeholder}}`s. A line that is only a label once its empty value is filled in is dropped. */
function renderCommitMessage(template, values) {
    const lines = template.split('\n').flatMap((line) => {
        let emptied = false;
        const filled = line
            .replace(PLACEHOLDER, (_, name) => {
            if (values[name] === '')
                emptied = true;
            return values[name];
        })
            .trimEnd();
        return emptied && /^[\p{L}\s-]*:?$/u.test(filled) ? [] : [filled];
    });
    return lines
        .join('\n')
        .replace(/\n{3,}/g, '\n\n')
        .trim();
}

;// CONCATENATED MODULE: ./packages/kustomize-bump/src/schema/catalog.ts
// The Kubernetes schemas the gate validates against: kubernetes-models' precompiled validators, one
// per built-in apiVersion/kind, loaded on first use (a chunk of the bundle, read only when rendering).

/** The Kubernetes versions whose schemas ship with the action (kubernetes-models 5.1 carries 1.36). */
const KUBERNETES_VERSIONS = ['1.36'];
const DEFAULT_KUBERNETES_VERSION = '1.36';
/** `1.36` or `v1.36.2` -> `1.36`; any version whose schemas are not shipped is refused, naming those that are. */
function parseKubernetesVersion(value, input) {
    const match = /^v?(\d+)\.(\d+)(?:\.\d+)?$/.exec(value.trim());
    const minor = match === null ? undefined : `${match[1]}.${match[2]}`;
    const known = KUBERNETES_VERSIONS.find((version) => version === minor);
    if (known !== undefined)
        return known;
    const why = match === null ? `'${value}' is not a Kubernetes version` : `schemas of Kubernetes ${minor} are not shipped`;
    throw new errors_ConfigurationError(`${why}: use one of ${KUBERNETES_VERSIONS.join(', ')} (e.g. 1.36 or v1.36.2)`, {
        input,
    });
}
const catalogKey = (apiVersion, kind) => `${apiVersion} ${kind}`;
const groupOf = (apiVersion) => apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
function isModelClass(value) {
    if (typeof value !== 'function')
        return false;
    const model = value;
    return typeof model.apiVersion === 'string' && typeof model.kind === 'string';
}
/** Every class with a static apiVersion and kind, wherever the package's namespaces nest it. */
function collectModels(namespace, checks, groups, depth = 0) {
    if (typeof namespace !== 'object' || namespace === null || depth > 3)
        return;
    for (const value of Object.values(namespace)) {
        if (isModelClass(value)) {
            checks.set(catalogKey(value.apiVersion, value.kind), value.prototype.validate);
            groups.add(groupOf(value.apiVersion));
        }
        else {
            collectModels(value, checks, groups, depth + 1);
        }
    }
}
const catalogs = new Map();
/** The catalog of a version, loaded once per process. */
function loadSchemaCatalog(version) {
    let catalog = catalogs.get(version);
    if (catalog === undefined) {
        catalog = __nccwpck_require__.e(/* import() */ 843).then(__nccwpck_require__.bind(__nccwpck_require__, 4843)).then((models) => {
            const checks = new Map();
            const groups = new Set();
            collectModels(models, checks, groups);
            return { version, checks, groups };
        });
        catalogs.set(version, catalog);
    }
    return catalog;
}

;// CONCATENATED MODULE: ./packages/kustomize-bump/src/inputs.ts
// kustomize-bump's inputs, read and checked before anything is cloned, edited or pushed.






/** `check` renders and validates the overlays of `repository-path` (a pull request's checkout) and writes nothing. */
const MODES = ['push', 'pull-request', 'check'];
const VERIFY_CHOICES = ['auto', 'true', 'false'];
/** Reads and checks every input before anything is cloned, edited or pushed. */
function parseInputs(parser) {
    const token = parser.secret('token');
    const repository = parser.string('repository');
    const repositoryPath = parser.string('repository-path');
    const branch = parser.string('branch');
    const overlays = parser.list('overlays');
    const imageLines = parser.list('images');
    const imageTargets = parseImageTargets(parser.string('image-targets'));
    const mode = parser.choice('mode', MODES, 'push');
    const commitMessage = parser.string('commit-message', DEFAULT_COMMIT_MESSAGE);
    const maxAttempts = parser.integer('max-attempts', 5, { min: 1, max: 100 });
    const verify = parser.choice('verify', VERIFY_CHOICES, 'auto');
    const dryRun = parser.boolean('dry-run', false);
    const kubernetesVersion = parseKubernetesVersion(parser.string('kubernetes-version', DEFAULT_KUBERNETES_VERSION), 'kubernetes-version');
    if (overlays.length === 0) {
        throw new errors_ConfigurationError('is required: list the overlay directories, one per line', { input: 'overlays' });
    }
    if (imageLines.length === 0 && mode !== 'check') {
        throw new errors_ConfigurationError('is required: list images as `kustomize edit set image` takes them, one per line', {
            input: 'images',
        });
    }
    if (branch !== '' && !isBranchName(branch)) {
        throw new errors_ConfigurationError(`'${branch}' is not a valid branch name`, { input: 'branch' });
    }
    if (mode === 'pull-request' && token === '') {
        throw new errors_ConfigurationError('is required with mode pull-request: the pull request is opened through the API', {
            input: 'token',
        });
    }
    checkCommitMessageTemplate(commitMessage, 'commit-message');
    return {
        repository,
        'repository-path': repositoryPath,
        token,
        branch,
        overlays: [...new Set(overlays.map(normalizeOverlay))],
        images: parseImageArguments(imageLines, 'images'),
        'image-targets': imageTargets,
        mode,
        'commit-message': commitMessage,
        'max-attempts': maxAttempts,
        verify,
        'dry-run': dryRun,
        'kubernetes-version': kubernetesVersion,
    };
}
/** `./overlays/dev/` -> `overlays/dev`; paths outside the repository are refused. */
function normalizeOverlay(overlay) {
    const normalized = external_node_path_namespaceObject.posix.normalize(overlay.replace(/\\/g, '/')).replace(/\/+$/, '');
    if (external_node_path_namespaceObject.posix.isAbsolute(normalized) || normalized === '..' || normalized.startsWith('../')) {
        throw new errors_ConfigurationError(`'${overlay}' must be a directory inside the repository, relative to its root`, {
            input: 'overlays',
        });
    }
    // kubectl would read `-h` or `--enable-helm` as a flag; no overlay directory is named like one.
    if (normalized.startsWith('-') || /[\x00-\x1f\x7f]/.test(normalized)) {
        throw new errors_ConfigurationError(`'${escapeUntrusted(overlay)}' is not a directory name: it starts with '-' or holds control characters`, { input: 'overlays' });
    }
    return normalized === '' ? '.' : normalized;
}
/** The rules of `git check-ref-format --branch`, enough to refuse what git would. */
function isBranchName(name) {
    if (name.startsWith('-') || name.startsWith('/') || name.endsWith('/') || name.endsWith('.'))
        return false;
    if (name.endsWith('.lock') || name.includes('..') || name.includes('//') || name.includes('@{'))
        return false;
    if (name.split('/').some((part) => part.startsWith('.')))
        return false;
    return !/[\x00-\x20\x7f~^:?*[\\]/.test(name) && name !== '@';
}
/** The URL git talks to: an `owner/name` is looked up on the server the workflow runs on. */
function remoteUrlFor(repository, serverUrl) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(repository) || repository.startsWith('/') || /^[^/:]+@[^:]+:/.test(repository)) {
        return repository;
    }
    if (/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repository)) {
        return `${serverUrl.replace(/\/+$/, '')}/${repository.replace(/\.git$/, '')}.git`;
    }
    throw new errors_ConfigurationError(`'${repository}' is neither owner/name nor a git URL`, { input: 'repository' });
}
/** `owner/name` of a repository given as owner/name or as a URL (for the pull request API). */
function ownerAndName(repository) {
    const match = /([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+?)(?:\.git)?\/?$/.exec(repository);
    return match?.[1] !== undefined && match[2] !== undefined ? { owner: match[1], repo: match[2] } : undefined;
}

;// CONCATENATED MODULE: ./packages/kustomize-bump/src/helm-values.ts
// Writing a new image into Helm values, as argocd-image-updater's helm write-back and Flux's image setters
// do: a values file, an Argo CD Application's spec.source(s).helm.valuesObject or values, a Flux
// HelmRelease's spec.values. Keys are found where the services manifest says (helm-values), or as the one
// image-shaped key whose repository ends in the image's name. Only the changed scalars are spliced: every
// other byte of the file (comments, quoting, order, spacing) is kept.





const splitPath = (path) => path.split('.');
const lastSegment = (name) => name.slice(name.lastIndexOf('/') + 1);
/**
 * Writes each image into every holder of `text` that holds it. An image a holder does not hold is left
 * alone there (a values file per service); the caller refuses a file that holds none of the images.
 */
function setHelmValuesImages(text, file, images, targets) {
    const lineCounter = new dist.LineCounter();
    const documents = (0,dist.parseAllDocuments)(text, { lineCounter, uniqueKeys: true });
    if (!Array.isArray(documents))
        return { text, changes: [], held: 0 };
    for (const document of documents) {
        const error = document.errors[0];
        if (error !== undefined) {
            const line = lineCounter.linePos(error.pos[0]).line;
            throw new errors_ConfigurationError(`malformed YAML: ${error.message.split('\n')[0] ?? ''}`, { file, line });
        }
    }
    const holders = documents.flatMap((document) => valuesHolders(document, documents.length === 1, file));
    const splices = [];
    const changes = [];
    let held = 0;
    for (const holder of holders) {
        const writes = [];
        for (const argument of images) {
            const keys = targetOf(targets, argument).helmValues;
            const spot = keys === undefined ? discoverSpot(holder, argument, file) : declaredSpot(holder, keys, file);
            if (spot === undefined)
                continue;
            held += 1;
            const planned = planImage(holder, spot, argument, file);
            if (planned.writes.length === 0)
                continue;
            refuseOverriddenKeys(holder, planned.writes, file);
            writes.push(...planned.writes);
            changes.push(planned.change);
        }
        if (writes.length === 0)
            continue;
        if (holder.embedded === undefined) {
            splices.push(...writes.map((write) => directSplice(text, holder.map, write, file)));
        }
        else {
            splices.push(embeddedSplice(text, holder.map, holder.embedded, writes, file));
        }
    }
    return { text: applySplices(text, splices), changes, held };
}
/** The values of one document: a plain values file (a lone document), or those of an Argo CD or Flux object. */
function valuesHolders(document, alone, file) {
    const root = document.contents;
    if (!(0,dist.isMap)(root))
        return [];
    const apiVersion = asText(root.get('apiVersion')) ?? '';
    const kind = asText(root.get('kind')) ?? '';
    const name = asText(document.getIn(['metadata', 'name'])) ?? '';
    if (kind === 'Application' && apiVersion.startsWith('argoproj.io/')) {
        const sources = [['spec.source', document.getIn(['spec', 'source'], true)]];
        const list = document.getIn(['spec', 'sources'], true);
        if ((0,dist.isSeq)(list))
            list.items.forEach((item, index) => sources.push([`spec.sources[${index}]`, item]));
        return sources.flatMap(([at, source]) => argoValues(`Application/${name} ${at}`, source, file));
    }
    if (kind === 'HelmRelease' && apiVersion.startsWith('helm.toolkit.fluxcd.io/')) {
        const values = document.getIn(['spec', 'values'], true);
        return (0,dist.isMap)(values)
            ? [{ label: `HelmRelease/${name} spec.values`, controller: 'Flux', map: values, parameters: [] }]
            : [];
    }
    // A values file holds no apiVersion/kind; a Kubernetes object that is not Argo CD's or Flux's holds no values.
    if (!alone || (root.has('apiVersion') && root.has('kind')))
        return [];
    return [{ label: 'values', controller: '', map: root, parameters: [] }];
}
function argoValues(at, source, file) {
    if (!(0,dist.isMap)(source))
        return [];
    const helm = source.get('helm', true);
    if (!(0,dist.isMap)(helm))
        return [];
    const parameters = helm.get('parameters', true);
    const names = (0,dist.isSeq)(parameters)
        ? parameters.items.flatMap((item) => ((0,dist.isMap)(item) ? [asText(item.get('name')) ?? ''] : []))
        : [];
    const holders = [];
    const object = helm.get('valuesObject', true);
    if ((0,dist.isMap)(object)) {
        holders.push({ label: `${at}.helm.valuesObject`, controller: 'Argo CD', map: object, parameters: names });
    }
    const values = helm.get('values', true);
    if ((0,dist.isScalar)(values) && typeof values.value === 'string' && values.value.trim() !== '') {
        const label = `${at}.helm.values`;
        const inner = (0,dist.parseAllDocuments)(values.value);
        const root = Array.isArray(inner) && inner.length === 1 ? inner[0]?.contents : undefined;
        if (!(0,dist.isMap)(root) || (Array.isArray(inner) && inner.some((document) => document.errors.length > 0))) {
            throw new errors_ConfigurationError(`${label} is not a YAML mapping of values`, { file });
        }
        holders.push({
            label,
            controller: 'Argo CD',
            map: root,
            parameters: names,
            embedded: { scalar: values, text: values.value },
        });
    }
    return holders;
}
const scalarAt = (map, path) => {
    const node = map.getIn(path, true);
    return (0,dist.isScalar)(node) ? node.value : node;
};
const asText = (value) => typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
/** The declared keys in this holder: undefined when its repository (or reference) key is absent here. */
function declaredSpot(holder, keys, file) {
    const main = keys.reference ?? keys.repository ?? '';
    const held = scalarAt(holder.map, splitPath(main));
    if (held === undefined)
        return undefined;
    const old = {};
    for (const [field, path] of Object.entries(keys)) {
        const value = scalarAt(holder.map, splitPath(path));
        if (value === undefined || value === null) {
            if (field === 'digest' || field === 'tag')
                continue;
            throw new errors_ConfigurationError(`${holder.label}: ${path} is not set, though helm-values names it for ${field}`, {
                file,
            });
        }
        const shown = asText(value);
        if (shown === undefined) {
            throw new errors_ConfigurationError(`${holder.label}: ${path} holds a ${typeof value === 'object' ? 'mapping or list' : typeof value}, not an image ${field}`, { file });
        }
        old[field] = shown;
    }
    if ((old.repository ?? old.reference ?? '') === '') {
        throw new errors_ConfigurationError(`${holder.label}: ${main} is empty: it held no image before, so nothing says it is the chart's image`, { file });
    }
    return { keys, old };
}
/**
 * Without declared keys: the one place holding an image whose name ends in the argument's image name, a
 * map with `repository` (and `tag`, `digest`, `registry` beside it) or a string at a key `image`.
 */
function discoverSpot(holder, argument, file) {
    const suffix = lastSegment(argument.newName !== undefined && argument.newName !== KEEP ? argument.newName : argument.name);
    const found = [];
    const visit = (node, path) => {
        if (!(0,dist.isMap)(node))
            return;
        const repository = asText(scalarAt(node, ['repository']));
        if (repository !== undefined && lastSegment(splitImageReference(repository).name) === suffix) {
            const keys = { repository: [...path, 'repository'].join('.') };
            for (const field of ['registry', 'tag', 'digest']) {
                if (node.has(field))
                    keys[field] = [...path, field].join('.');
            }
            found.push({ keys, old: {} });
        }
        for (const pair of node.items) {
            const key = (0,dist.isScalar)(pair.key) ? String(pair.key.value) : undefined;
            if (key === undefined)
                continue;
            const value = asText((0,dist.isScalar)(pair.value) ? pair.value.value : undefined);
            if (key === 'image' && value !== undefined && lastSegment(splitImageReference(value).name) === suffix) {
                found.push({ keys: { reference: [...path, key].join('.') }, old: {} });
            }
            visit(pair.value, [...path, key]);
        }
    };
    visit(holder.map, []);
    if (found.length === 0)
        return undefined;
    if (found.length > 1) {
        const listing = found.map((spot) => spot.keys.reference ?? spot.keys.repository).join(', ');
        throw new errors_ConfigurationError(`${holder.label}: several keys hold an image ending in /${suffix} (${escapeUntrusted(listing)}): ` +
            'say which in the service manifest (helm-values: {repository: \u2026, tag: \u2026})', { file });
    }
    const [spot] = found;
    return declaredSpot(holder, spot.keys, file);
}
const compose = (values) => {
    if (values.reference !== undefined)
        return values.reference;
    const registry = values.registry ? `${values.registry}/` : '';
    const tag = values.tag ? `:${values.tag}` : '';
    const digest = values.digest ? `@${values.digest}` : '';
    return `${registry}${values.repository ?? ''}${tag}${digest}`;
};
/** The values to write for one image, and the change as the summary and previous-images tell it. */
function planImage(holder, spot, argument, file) {
    const { keys, old } = spot;
    const next = nextValues(holder, spot, argument, file);
    const writes = [];
    for (const [field, path] of Object.entries(keys)) {
        const value = next[field] ?? '';
        if (value !== (old[field] ?? '') && !(value === '' && old[field] === undefined)) {
            writes.push({ path: splitPath(path), value });
        }
    }
    const before = compose(old);
    const after = compose(next);
    const renderer = holder.controller === '' ? 'Helm' : holder.controller;
    const note = `${holder.label}: ${Object.values(keys).join(', ')} held ${before} (checked); ${renderer} renders the chart ` +
        `with ${after} where its templates read these keys (not rendered here: no Helm binary)`;
    return { writes, change: { name: argument.name, before: { name: before }, after: { name: after }, note } };
}
/** What the keys hold after the edit: the argument's name, tag and digest, as the keys the chart reads can carry them. */
function nextValues(holder, { keys, old }, argument, file) {
    const given = (value) => (value === KEEP ? undefined : value);
    const name = given(argument.newName) ?? argument.name;
    const tag = given(argument.newTag);
    const digest = given(argument.digest);
    if (keys.reference !== undefined) {
        const keptTag = tag ?? (digest === undefined ? splitImageReference(old.reference ?? '').tag : '');
        return { reference: `${name}${keptTag ? `:${keptTag}` : ''}${digest ? `@${digest}` : ''}` };
    }
    const next = { ...old, repository: name };
    if (keys.registry !== undefined) {
        const { host, path } = splitImageName(name);
        next.registry = host === '' ? 'docker.io' : host;
        next.repository = path;
    }
    if (keys.digest !== undefined) {
        if (digest !== undefined)
            next.digest = digest;
        else if (tag !== undefined)
            next.digest = ''; // an old digest would pin the old image over the new tag
        if (tag !== undefined)
            next.tag = tag;
    }
    else if (digest !== undefined) {
        // No digest key: the tag carries it (`v1.2@sha256:\u2026`), which the chart renders as repository:tag@digest.
        const base = tag ?? splitImageReference(`x:${old.tag ?? ''}`).tag;
        if (keys.tag === undefined || base === '') {
            throw new errors_ConfigurationError(`${holder.label}: the chart reads no digest key and ${keys.tag ?? 'no tag key'} holds no tag to pin it to: ` +
                'declare helm-values digest (the key the chart reads), or deploy by tag', { file });
        }
        next.tag = `${base}@${digest}`;
    }
    else if (tag !== undefined) {
        if (keys.tag === undefined) {
            throw new errors_ConfigurationError(`${holder.label}: no tag key to write ${tag} to: declare helm-values tag`, { file });
        }
        next.tag = tag;
    }
    return next;
}
/** An Argo CD parameter of the same name overrides the values: the edit would change nothing that renders. */
function refuseOverriddenKeys(holder, writes, file) {
    const overridden = writes.map((write) => write.path.join('.')).find((key) => holder.parameters.includes(key));
    if (overridden !== undefined) {
        throw new errors_ConfigurationError(`${holder.label}: helm.parameters sets ${overridden}, which overrides the values: remove the parameter ` +
            'or write the image there', { file });
    }
}
/** The splice that writes one value: over the old scalar, or a new key in its parent mapping. */
function directSplice(text, map, write, file) {
    const node = map.getIn(write.path, true);
    if ((0,dist.isScalar)(node) && node.range) {
        return { start: node.range[0], end: node.range[1], text: scalarText(write.value, node.type) };
    }
    const key = write.path[write.path.length - 1] ?? '';
    const parentPath = write.path.slice(0, -1);
    const parent = parentPath.length === 0 ? map : map.getIn(parentPath, true);
    if (!(0,dist.isMap)(parent) || !parent.range) {
        throw new errors_ConfigurationError(`${formatYamlPath(write.path)} cannot be added: its parent is not a mapping`, {
            file,
        });
    }
    const entry = `${key}: ${scalarText(write.value, 'PLAIN')}`;
    if (parent.flow) {
        const close = text.lastIndexOf('}', parent.range[1]);
        return { start: close, end: close, text: `, ${entry}` };
    }
    // After the line of the last scalar of the mapping (the tag, usually), at its indentation.
    const last = [...parent.items].reverse().find((pair) => (0,dist.isScalar)(pair.value) && pair.value.range);
    const anchor = last ?? parent.items[0];
    const keyStart = (0,dist.isScalar)(anchor?.key) ? anchor.key.range?.[0] : undefined;
    if (keyStart === undefined)
        throw new errors_ConfigurationError(`${formatYamlPath(write.path)} cannot be added here`, { file });
    const indent = keyStart - (text.lastIndexOf('\n', keyStart - 1) + 1);
    const valueEnd = last !== undefined && (0,dist.isScalar)(last.value) && last.value.range ? last.value.range[1] : keyStart;
    const lineEnd = text.indexOf('\n', valueEnd);
    const at = lineEnd === -1 ? text.length : lineEnd + 1;
    return { start: at, end: at, text: `${lineEnd === -1 ? '\n' : ''}${' '.repeat(indent)}${entry}\n` };
}
/** Writes inside Argo CD's `values` string: the inner text is edited, then the string is written back as it was written. */
function embeddedSplice(text, map, embedded, writes, file) {
    const inner = applySplices(embedded.text, writes.map((write) => directSplice(embedded.text, map, write, file)));
    const range = embedded.scalar.range ?? [0, 0, 0];
    const source = text.slice(range[0], range[1]);
    if (embedded.scalar.type !== 'BLOCK_LITERAL' && embedded.scalar.type !== 'BLOCK_FOLDED') {
        return { start: range[0], end: range[1], text: JSON.stringify(inner) };
    }
    // A folded block would join the lines of YAML written back into it: it is written back literal.
    const header = source.slice(0, source.indexOf('\n')).replace('>', '|');
    const indent = /\n( +)\S/.exec(source)?.[1] ?? '  ';
    const lines = inner.split('\n');
    if (inner.endsWith('\n'))
        lines.pop();
    const body = lines.map((line) => (line === '' ? '' : `${indent}${line}`)).join('\n');
    return { start: range[0], end: range[1], text: `${header}\n${body}${source.endsWith('\n') ? '\n' : ''}` };
}
/** A scalar written in the style the old one had; plain only when YAML reads it back as the same string. */
function scalarText(value, type) {
    if (type === 'QUOTE_SINGLE')
        return `'${value.replace(/'/g, "''")}'`;
    if (type === 'PLAIN' &&
        /^[A-Za-z_/][\w./@:+-]*$/.test(value) &&
        !/^(?:true|false|null|yes|no|on|off|~)$/i.test(value)) {
        return value;
    }
    return JSON.stringify(value);
}
function applySplices(text, splices) {
    const ordered = [...splices].sort((left, right) => right.start - left.start);
    let result = text;
    for (const splice of ordered)
        result = result.slice(0, splice.start) + splice.text + result.slice(splice.end);
    return result;
}

;// CONCATENATED MODULE: ./packages/kustomize-bump/src/kustomization-edit.ts
// `kustomize edit set image` applied to a kustomization's text: the images entries kustomize would write,
// everything else in the file kept byte for byte.



/**
 * Applies `kustomize edit set image` arguments to the text of a kustomization. The resulting `images:`
 * entries are those kustomize writes; everything else in the file is kept byte for byte: the document
 * is parsed with positions and only the affected scalars, lines and entries are spliced.
 */
async function setKustomizationImages(text, file, imageArguments) {
    const parsed = await parseYamlDocument(text, { file });
    const root = parsed.document.contents;
    if (root !== null && !((0,dist.isMap)(root) && !root.flow)) {
        throw parsed.mistake([], 'a kustomization must be a block mapping of fields (apiVersion, kind, resources, \u2026)');
    }
    const imagesPair = root?.items.find((pair) => (0,dist.isScalar)(pair.key) && pair.key.value === 'images');
    const imagesValue = imagesPair?.value ?? null;
    // `images: []` is as empty as `images:`: entries are written as a block list, as kustomize does.
    const sequence = (0,dist.isSeq)(imagesValue) && imagesValue.items.length > 0 ? imagesValue : undefined;
    const emptyValue = imagesValue === null || ((0,dist.isScalar)(imagesValue) && imagesValue.value === null) || (0,dist.isSeq)(imagesValue);
    if (sequence === undefined && !emptyValue) {
        throw parsed.mistake(['images'], 'must be a list of entries with name, newName, newTag and digest');
    }
    const existing = readEntries(parsed, sequence);
    const editor = new SpliceList(text);
    const changes = [];
    const added = [];
    const replaced = new Map();
    const dropped = new Set();
    for (const argument of imageArguments) {
        const matches = existing.filter((candidate) => candidate.entry.name === argument.name);
        const [first, ...duplicates] = matches;
        const after = resolveImageEntry(argument, first?.entry);
        if (first === undefined) {
            added.push(after);
            changes.push({ name: after.name, after });
            continue;
        }
        // kustomize keeps one entry per name: later duplicates are folded into the first.
        for (const duplicate of duplicates)
            dropped.add(duplicate.node);
        if (sameImageEntry(first.entry, after) && duplicates.length === 0)
            continue;
        replaced.set(first.node, after);
        changes.push({ name: after.name, before: first.entry, after });
    }
    if (changes.length === 0)
        return { text, changes };
    if (sequence !== undefined && sequence.flow) {
        editor.replace(sequence.range, renderFlowSequence(text, existing, replaced, dropped, added));
    }
    else {
        for (const [node, after] of replaced)
            editEntry(editor, node, after);
        for (const node of dropped)
            editor.remove(lineStart(text, node.range?.[0] ?? 0), lineEndAfter(text, node));
        if (added.length > 0)
            insertEntries(editor, root, imagesPair, sequence, existing, added);
    }
    return { text: editor.apply(), changes };
}
/** The `images:` entries of a kustomization, in file order (the order kustomize applies them in). */
async function readKustomizationImages(text, file) {
    const parsed = await parseYamlDocument(text, { file });
    const root = parsed.document.contents;
    const images = (0,dist.isMap)(root) ? root.items.find((pair) => (0,dist.isScalar)(pair.key) && pair.key.value === 'images') : undefined;
    const value = images?.value;
    return (0,dist.isSeq)(value) ? readEntries(parsed, value).map(({ entry }) => entry) : [];
}
function readEntries(parsed, sequence) {
    return (sequence?.items ?? []).map((item, index) => {
        if (!(0,dist.isMap)(item))
            throw parsed.mistake(['images', index], 'an images entry must be a mapping with a name');
        const entry = {};
        for (const pair of item.items) {
            const field = fieldOf(pair);
            if (field === undefined)
                continue;
            if (!(0,dist.isScalar)(pair.value))
                throw parsed.mistake(['images', index, field], 'must be a plain value');
            const value = kustomization_edit_scalarText(pair.value);
            if (value !== '')
                entry[field] = value;
        }
        if (entry.name === undefined)
            throw parsed.mistake(['images', index], 'an images entry needs a name');
        return { node: item, entry: { ...entry, name: entry.name } };
    });
}
function fieldOf(pair) {
    if (!(0,dist.isScalar)(pair.key))
        return undefined;
    const key = pair.key.value;
    return IMAGE_FIELDS.find((field) => field === key);
}
/** The value as written: `1.10` stays `1.10` (kustomize reads every field as a string). */
function kustomization_edit_scalarText(node) {
    if (node.value === null)
        return '';
    if (typeof node.source === 'string')
        return node.source;
    const value = node.value;
    return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
}
/** A scalar in the style the file used for it; new values are quoted only when YAML needs it. */
function renderScalar(value, style, flow = false) {
    if (style === 'QUOTE_SINGLE')
        return `'${value.replace(/'/g, "''")}'`;
    if (style === 'QUOTE_DOUBLE')
        return JSON.stringify(value);
    const plain = (0,dist.stringify)(value, { lineWidth: 0 }).trimEnd();
    return flow && /[,[\]{}]/.test(plain) ? JSON.stringify(value) : plain;
}
function entryFields(entry) {
    return IMAGE_FIELDS.flatMap((field) => {
        const value = entry[field];
        return value === undefined ? [] : [[field, value]];
    });
}
/** Updates an existing entry in place: changed values, removed fields, new fields at its end. */
function editEntry(editor, node, after) {
    if (node.flow) {
        editor.replace(node.range, renderFlowEntry(node, after));
        return;
    }
    const { text } = editor;
    const present = new Set();
    let lastKept;
    node.items.forEach((pair, index) => {
        const field = fieldOf(pair);
        if (field === undefined) {
            lastKept = pair;
            return;
        }
        const value = after[field];
        const scalar = pair.value;
        if (value === undefined) {
            removePair(editor, node.items, index);
            return;
        }
        present.add(field);
        lastKept = pair;
        if (kustomization_edit_scalarText(scalar) !== value)
            editor.replace(scalar.range, renderScalar(value, scalar.type));
    });
    const missing = entryFields(after).filter(([field]) => !present.has(field));
    if (missing.length === 0 || lastKept === undefined)
        return;
    const firstKey = node.items[0]?.key;
    const indent = ' '.repeat(column(text, firstKey.range?.[0] ?? 0));
    const at = lineEnd(text, contentEnd(lastKept));
    editor.insert(at, missing.map(([field, value]) => `\n${indent}${field}: ${renderScalar(value, undefined)}`).join(''));
}
function removePair(editor, pairs, index) {
    const { text } = editor;
    const pair = pairs[index];
    const key = pair?.key;
    if (pair === undefined || !key?.range)
        return;
    const start = lineStart(text, key.range[0]);
    if (text.slice(start, key.range[0]).trim() === '') {
        const end = nextLineStart(text, contentEnd(pair));
        // On a last line without a newline, the line break before it goes instead.
        const from = end === text.length && !text.endsWith('\n') && start > 0 ? start - (text[start - 2] === '\r' ? 2 : 1) : start;
        editor.remove(from, end);
        return;
    }
    // The pair shares its line with the entry's dash: the next key moves up onto that line.
    const nextKey = pairs[index + 1]?.key;
    if (nextKey?.range)
        editor.remove(key.range[0], nextKey.range[0]);
}
function insertEntries(editor, root, imagesPair, sequence, existing, added) {
    const { text } = editor;
    const sorted = [...added].sort((left, right) => compareNames(left.name, right.name));
    const firstItem = existing[0]?.node;
    if (sequence !== undefined && firstItem?.range) {
        const itemStart = firstItem.range[0];
        const dashPrefix = text.slice(lineStart(text, itemStart), itemStart);
        const prefix = /^ *- +$/.test(dashPrefix) ? dashPrefix : '- ';
        const render = (entry) => renderBlockEntry(entry, prefix);
        // New entries go where kustomize's name order puts them; existing entries keep their places.
        const pending = [...sorted];
        for (const { node, entry } of existing) {
            const before = takeBefore(pending, entry.name);
            if (before.length > 0)
                editor.insert(entryInsertionPoint(text, node), before.map(render).join('\n') + '\n');
        }
        if (pending.length > 0) {
            const last = existing[existing.length - 1]?.node ?? firstItem;
            // At the start of the line after the last entry: clear of edits to that entry's own lines.
            const at = nextLineStart(text, contentEnd(last));
            const block = pending.map(render).join('\n');
            editor.insert(at, at === text.length && !text.endsWith('\n') ? `\n${block}` : `${block}\n`);
        }
        return;
    }
    const prefix = `${' '.repeat(sequenceIndent(text, root))}- `;
    const lines = sorted.map((entry) => renderBlockEntry(entry, prefix)).join('\n');
    if (imagesPair === undefined) {
        const keyIndent = ' '.repeat(column(text, root?.items[0]?.key?.range?.[0] ?? 0));
        const separator = text === '' || text.endsWith('\n') ? '' : '\n';
        editor.insert(text.length, `${separator}${keyIndent}images:\n${lines}\n`);
        return;
    }
    // `images:` with no value (or `[]`): the entries go below the key, a comment on its line stays.
    const key = imagesPair.key;
    const colon = text.indexOf(':', key.range?.[1] ?? 0);
    const value = imagesPair.value;
    const written = value?.range && value.range[1] > value.range[0] ? value.range : undefined;
    const end = lineEnd(text, colon + 1);
    if (written !== undefined) {
        // `images: []` or `images: ~` lose the value (and the space before it when nothing follows).
        if (text.slice(written[1], end).trim() === '')
            editor.remove(colon + 1, end);
        else
            editor.remove(written[0], written[1]);
    }
    editor.insert(end, `\n${lines}`);
}
function renderBlockEntry(entry, prefix) {
    const continuation = ' '.repeat(prefix.length);
    return entryFields(entry)
        .map(([field, value], index) => `${index === 0 ? prefix : continuation}${field}: ${renderScalar(value, undefined)}`)
        .join('\n');
}
/** A flow entry keeps its key order and quoting; new fields follow in kustomize's order. */
function renderFlowEntry(node, after) {
    const parts = [];
    const written = new Set();
    for (const pair of node?.items ?? []) {
        const field = fieldOf(pair);
        const keyText = (0,dist.isScalar)(pair.key) ? String(pair.key.value) : '';
        if (field === undefined) {
            parts.push(`${keyText}: ${(0,dist.isScalar)(pair.value) ? renderScalar(kustomization_edit_scalarText(pair.value), pair.value.type, true) : String(pair.value)}`);
            continue;
        }
        const value = after[field];
        if (value === undefined)
            continue;
        written.add(field);
        parts.push(`${field}: ${renderScalar(value, pair.value.type, true)}`);
    }
    for (const [field, value] of entryFields(after)) {
        if (!written.has(field))
            parts.push(`${field}: ${renderScalar(value, undefined, true)}`);
    }
    return `{${parts.join(', ')}}`;
}
function renderFlowSequence(text, existing, replaced, dropped, added) {
    const pending = [...added].sort((left, right) => compareNames(left.name, right.name));
    const parts = [];
    for (const { node, entry } of existing) {
        for (const newEntry of takeBefore(pending, entry.name))
            parts.push(renderFlowEntry(undefined, newEntry));
        if (dropped.has(node))
            continue;
        const after = replaced.get(node);
        parts.push(after === undefined ? text.slice(node.range?.[0], node.range?.[1]) : renderFlowEntry(node, after));
    }
    for (const entry of pending)
        parts.push(renderFlowEntry(undefined, entry));
    return `[${parts.join(', ')}]`;
}
/** Removes and returns the leading entries of a sorted list that sort before `name`. */
function takeBefore(sorted, name) {
    let count = 0;
    while (count < sorted.length && compareNames(sorted[count]?.name ?? '', name) < 0)
        count += 1;
    return sorted.splice(0, count);
}
/** kustomize sorts entries by name, byte-wise (Go string order). */
function compareNames(left, right) {
    return Buffer.compare(Buffer.from(left), Buffer.from(right));
}
/** The indentation of `- ` under a key that other block lists of the file use (0 when none). */
function sequenceIndent(text, root) {
    for (const pair of root?.items ?? []) {
        const value = pair.value;
        const key = pair.key;
        if (!(0,dist.isSeq)(value) || value.flow || !value.range || !key.range)
            continue;
        return Math.max(0, column(text, value.range[0]) - column(text, key.range[0]));
    }
    return 0;
}
/** Above an entry and the comment lines directly over it (they describe it). */
function entryInsertionPoint(text, node) {
    let start = lineStart(text, node.range?.[0] ?? 0);
    while (start > 0) {
        const previous = lineStart(text, start - 1);
        if (!text.slice(previous, start).trim().startsWith('#'))
            break;
        start = previous;
    }
    return start;
}
/** Where a node's own text ends (block collections end at their last value, not the next line). */
function contentEnd(node) {
    if (node === null || node === undefined)
        return 0;
    if ((0,dist.isPair)(node))
        return Math.max(contentEnd(node.value), contentEnd(node.key));
    const asNode = node;
    if (((0,dist.isMap)(asNode) || (0,dist.isSeq)(asNode)) && !asNode.flow) {
        const items = asNode.items;
        const last = items[items.length - 1];
        if (last !== undefined)
            return contentEnd(last);
    }
    return asNode.range?.[1] ?? 0;
}
function lineEndAfter(text, node) {
    return nextLineStart(text, contentEnd(node));
}
function nextLineStart(text, offset) {
    const end = text.indexOf('\n', offset);
    return end < 0 ? text.length : end + 1;
}
function lineStart(text, offset) {
    return text.lastIndexOf('\n', offset - 1) + 1;
}
/** The end of the line's content: before its `\n` (or `\r\n`). */
function lineEnd(text, offset) {
    const end = text.indexOf('\n', offset);
    if (end < 0)
        return text.length;
    return end > offset && text[end - 1] === '\r' ? end - 1 : end;
}
function column(text, offset) {
    return offset - lineStart(text, offset);
}
class SpliceList {
    text;
    splices = [];
    constructor(text) {
        this.text = text;
    }
    replace(range, replacement) {
        if (range?.[0] === undefined || range[1] === undefined)
            throw new Error('YAML node without a position');
        this.add(range[0], range[1], replacement);
    }
    remove(start, end) {
        this.add(start, end, '');
    }
    insert(at, addition) {
        this.add(at, at, addition);
    }
    /** New lines follow the file's line endings. */
    add(start, end, text) {
        const eol = this.text.includes('\r\n') ? '\r\n' : '\n';
        this.splices.push({ start, end, text: text.replace(/\n/g, eol), order: this.splices.length });
    }
    apply() {
        // At one position, insertions come before a removal that starts there.
        const ordered = [...this.splices].sort((left, right) => left.start - right.start || left.end - right.end || left.order - right.order);
        let result = '';
        let cursor = 0;
        let previousRemoved = false;
        for (const splice of ordered) {
            const removal = splice.text === '' && splice.end > splice.start;
            if (splice.start < cursor) {
                // Two removals may share a line break (the last line of a file without one): remove both.
                if (!(removal && previousRemoved))
                    throw new Error('overlapping edits of one kustomization');
                cursor = Math.max(cursor, splice.end);
                continue;
            }
            result += this.text.slice(cursor, splice.start) + splice.text;
            cursor = splice.end;
            previousRemoved = removal;
        }
        return result + this.text.slice(cursor);
    }
}

;// CONCATENATED MODULE: ./packages/kustomize-bump/src/overlays.ts
// The overlays' kustomization files: found inside the repository, edited in memory, then written all or none.






/** The names kustomize looks for in a directory, in its order. */
const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
/** Without rendering: the arguments are the entries, matched by name as `kustomize edit set image` does. */
const asWritten = (images) => () => Promise.resolve({ entries: images, targets: [] });
/** `path` (absolute) relative to `root` with `/` separators, or undefined when it lies outside. */
function pathInside(root, path) {
    const inside = (0,external_node_path_namespaceObject.relative)(root, path);
    if (inside === '')
        return '.';
    if (inside === '..' || inside.startsWith(`..${external_node_path_namespaceObject.sep}`) || (0,external_node_path_namespaceObject.isAbsolute)(inside))
        return undefined;
    return inside.split(external_node_path_namespaceObject.sep).join('/');
}
const exists = (path) => {
    try {
        (0,external_node_fs_namespaceObject.lstatSync)(path);
        return true;
    }
    catch {
        return false;
    }
};
/**
 * Where `path` (relative to the root) really is, following links, relative to the root's real path.
 * A link that leads out of the repository is refused, naming the path: the repository's content is
 * written by others, and nothing outside the clone may be read or written through it.
 */
function confined(realRoot, path) {
    let real;
    try {
        real = (0,external_node_fs_namespaceObject.realpathSync)((0,external_node_path_namespaceObject.join)(realRoot, path));
    }
    catch {
        throw new errors_ConfigurationError(`'${escapeUntrusted(path)}' is a symbolic link to nothing`, { input: 'overlays' });
    }
    const target = pathInside(realRoot, real);
    if (target === undefined) {
        throw new errors_ConfigurationError(`'${escapeUntrusted(path)}' is a symbolic link (or lies under one) that leads out of the repository: ` +
            'only files inside the repository are read or written', { input: 'overlays' });
    }
    return target;
}
/** The kustomization file of an overlay, as a path inside the repository with every link resolved. */
function kustomizationOf(realRoot, overlay) {
    const directory = (0,external_node_path_namespaceObject.join)(realRoot, overlay);
    if (!exists(directory) || !(0,external_node_fs_namespaceObject.statSync)(directory).isDirectory()) {
        throw new errors_ConfigurationError(`'${overlay}' is not a directory of the repository`, { input: 'overlays' });
    }
    confined(realRoot, overlay);
    const name = KUSTOMIZATION_FILES.find((candidate) => exists((0,external_node_path_namespaceObject.join)(directory, candidate)));
    if (name === undefined) {
        throw new errors_ConfigurationError(`'${overlay}' has no kustomization.yaml (nor kustomization.yml, Kustomization)`, {
            input: 'overlays',
        });
    }
    return confined(realRoot, overlay === '.' ? name : `${overlay}/${name}`);
}
/** Reads and edits every overlay in memory first, then writes: one bad file means nothing is written. */
async function editOverlays(root, overlays, images, resolve = asWritten(images), imageTargets = new Map()) {
    const realRoot = (0,external_node_fs_namespaceObject.realpathSync)(root);
    const edits = [];
    for (const overlay of overlays) {
        if (isHelmValuesFile(realRoot, overlay)) {
            const edit = await editHelmValues(realRoot, overlay, images, imageTargets);
            if (edit !== undefined)
                edits.push(edit);
            continue;
        }
        const file = kustomizationOf(realRoot, overlay);
        const text = await (0,promises_namespaceObject.readFile)((0,external_node_path_namespaceObject.join)(realRoot, file), 'utf8');
        const { entries, targets } = await resolve(overlay, file, text);
        const edit = await setKustomizationImages(text, file, entries);
        if (edit.changes.length > 0)
            edits.push({ overlay, file, changes: edit.changes, text: edit.text, targets });
    }
    for (const edit of edits)
        await (0,promises_namespaceObject.writeFile)((0,external_node_path_namespaceObject.join)(realRoot, edit.file), edit.text);
    return edits;
}
/** A YAML file named where an overlay directory is expected: Helm values (a values file, Application, HelmRelease). */
function isHelmValuesFile(realRoot, overlay) {
    const path = (0,external_node_path_namespaceObject.join)(realRoot, overlay);
    return /\.ya?ml$/.test(overlay) && exists(path) && (0,external_node_fs_namespaceObject.statSync)(path).isFile();
}
async function editHelmValues(realRoot, overlay, images, imageTargets) {
    const file = confined(realRoot, overlay);
    const text = await (0,promises_namespaceObject.readFile)((0,external_node_path_namespaceObject.join)(realRoot, file), 'utf8');
    const edit = setHelmValuesImages(text, file, images, imageTargets);
    if (edit.held === 0) {
        throw new errors_ConfigurationError(`holds none of the images (${images.map((image) => image.name).join(', ')}) in Helm values: no key ` +
            'the service manifest declares (helm-values), nor a repository or image key ending in the image name', { file });
    }
    if (edit.changes.length === 0)
        return undefined;
    const helm = edit.changes.map((change) => change.note);
    return { overlay, file, changes: edit.changes, text: edit.text, targets: [], helm };
}

;// CONCATENATED MODULE: ./packages/kustomize-bump/src/plan.ts
// Everything kustomize-bump decides before a side effect: where the repository is, the branch pushed to, the commit
// message.






/** Validates what the inputs say about the repository and fixes what the commit message says of its source. */
function planKustomizeBump(inputs, github, tempDir) {
    return { inputs, source: repositorySource(inputs, github, tempDir), sourceValues: sourceValues(inputs, github) };
}
/** An existing clone must lie in the workspace or in RUNNER_TEMP, where earlier steps put their clones. */
function repositorySource(inputs, github, tempDir) {
    const clone = inputs['repository-path'];
    if (clone === '')
        return { kind: 'remote', remoteUrl: remoteUrlFor(inputs.repository || github.repository, github.serverUrl) };
    const path = (0,external_node_path_namespaceObject.resolve)(github.workspace, clone);
    const roots = [github.workspace, tempDir].map((root) => (0,external_node_path_namespaceObject.resolve)(root));
    if (roots.every((root) => pathInside(root, path) === undefined)) {
        throw new errors_ConfigurationError(`'${clone}' is outside the workspace and RUNNER_TEMP`, { input: 'repository-path' });
    }
    return { kind: 'clone', path };
}
function sourceValues(inputs, github) {
    const { repository, sha, serverUrl, runId } = github;
    const server = serverUrl.replace(/\/+$/, '');
    return {
        images: inputs.images.map((image) => image.argument).join(', '),
        'source-repository': repository,
        'source-sha': sha,
        'source-short-sha': sha.slice(0, 7),
        'source-url': repository && sha ? `${server}/${repository}/commit/${sha}` : '',
        'run-url': repository && runId ? `${server}/${repository}/actions/runs/${runId}` : '',
    };
}
/** The branch pushed to: the bumped branch itself, or the pull request's head branch. */
function targetBranch(inputs, branch) {
    return inputs.mode === 'pull-request' ? pullRequestBranch(branch, inputs) : branch;
}
/** One head branch per base, overlays and image names: a later bump of the same images updates its PR. */
function pullRequestBranch(branch, inputs) {
    const names = inputs.images.map((image) => image.name).sort();
    const key = `${[...inputs.overlays].sort().join('\n')}\n--\n${names.join('\n')}`;
    // node:crypto is loaded here, on first use: only pull requests need a hash.
    const { createHash } = process.getBuiltinModule('node:crypto');
    const hash = createHash('sha256').update(key).digest('hex').slice(0, 8);
    const label = names
        .map((name) => name.split('/').pop() ?? name)
        .join('-')
        .replace(/[^A-Za-z0-9._-]+/g, '-')
        .slice(0, 40);
    return `kustomize-bump/${branch}/${label}-${hash}`;
}
/** `before \u2192 after` of one image in one overlay. */
function describeChange(change) {
    const before = change.before === undefined ? `new entry ${change.name}` : describeImageEntry(change.before);
    return `${before} \u2192 ${describeImageEntry(change.after)}`;
}
/** The commit message (and pull request title and body) for these edits of `branch`. */
function commitMessage(plan, branch, edits) {
    return renderCommitMessage(plan.inputs['commit-message'], {
        ...plan.sourceValues,
        overlays: edits.map((edit) => edit.overlay).join(', '),
        changes: edits
            .flatMap((edit) => edit.changes.map((change) => `- ${edit.overlay}: ${describeChange(change)}`))
            .join('\n'),
        branch,
    });
}

;// CONCATENATED MODULE: ./packages/kustomize-bump/src/pull-request.ts

/** Each API request has this long to answer. */
const REQUEST_DEADLINE_MS = 30_000;
/** Network errors, 429 and 5xx are tried again, this often in all; 401, 403, 404, 422 fail at once. */
const API_RETRY = { attempts: 3, baseMs: 1000, factor: 2, maxMs: 4000, jitter: 0.5 };
/**
 * Octokit reports every failure as a RequestError (a network error as status 500, without a response);
 * this turns it into what core classifies: the network error itself, or the HTTP status the API answered.
 */
function classified(error) {
    if (!(error instanceof Error) || !('status' in error) || typeof error.status !== 'number')
        throw error;
    const answered = 'response' in error && error.response !== undefined;
    if (!answered)
        throw error.cause instanceof Error ? error.cause : error;
    const url = 'request' in error && isRecord(error.request) ? error.request['url'] : undefined;
    throw new HttpStatusError(error.status, typeof url === 'string' ? url : '');
}
const isRecord = (value) => typeof value === 'object' && value !== null;
/** Opens a pull request from `head` into `base`, or updates the open one for that head branch. */
async function openOrUpdatePullRequest(runtime, makeOctokit, request) {
    const octokit = await makeOctokit(request.token, { baseUrl: request.apiUrl.replace(/\/+$/, '') });
    const call = async (what, send) => {
        try {
            return await retry(() => withDeadline(send, REQUEST_DEADLINE_MS, `the pull request API (${what})`).catch(classified), {
                ...API_RETRY,
                retryIf: isTransient,
                onRetry: (error, attempt, delay) => runtime.log.info(`${what}: ${errorMessage(error)} (attempt ${attempt}); trying again in ${delay} ms`),
                sleep: (ms) => runtime.clock.sleep(ms),
            });
        }
        catch (error) {
            throw new Error(`${what} failed: ${escapeUntrusted(runtime.redact(errorMessage(error)))}`, { cause: error });
        }
    };
    const { owner, repo, head, base, title, body } = request;
    const { data: open } = await call('listing the open pull requests', (signal) => octokit.rest.pulls.list({ owner, repo, head: `${owner}:${head}`, base, state: 'open', request: { signal } }));
    const existing = open[0];
    if (existing !== undefined) {
        await call(`updating pull request #${existing.number}`, (signal) => octokit.rest.pulls.update({ owner, repo, pull_number: existing.number, title, body, request: { signal } }));
        return { url: existing.html_url, number: existing.number, created: false };
    }
    const { data: created } = await call('opening the pull request', (signal) => octokit.rest.pulls.create({ owner, repo, head, base, title, body, request: { signal } }));
    return { url: created.html_url, number: created.number, created: true };
}

;// CONCATENATED MODULE: ./packages/kustomize-bump/src/rendered.ts
// What an overlay renders: the containers and their images, read from `kubectl kustomize` before the edit
// (to write the entry kustomize will apply, whatever names the manifests use) and after it (to check it).






/** Renders an overlay with `kubectl kustomize`; a failure names the overlay's kustomization file. */
async function renderOverlay(runtime, root, overlay, file) {
    // After `--` and as `./\u2026`: an overlay is a path, never a flag (`-h`, `--enable-helm`).
    const result = await runtime.exec('kubectl', ['kustomize', '--', `./${overlay}`], {
        cwd: root,
        silent: true,
        allowFailure: true,
    });
    if (result.exitCode !== 0) {
        const reason = escapeUntrusted(result.stderr.trim().split('\n').slice(-3).join(' '));
        throw new errors_ConfigurationError(`kubectl kustomize ${overlay} failed: ${reason}`, { file });
    }
    return result.stdout;
}
const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'];
/** Every container of every rendered object, wherever its pod template sits (Pod, Deployment, CronJob, CRDs). */
function renderedContainers(manifests) {
    const found = [];
    for (const document of (0,dist.parseAllDocuments)(manifests)) {
        if (!('contents' in document))
            continue;
        const object = document.toJS();
        if (!rendered_isRecord(object))
            continue;
        const metadata = rendered_isRecord(object['metadata']) ? object['metadata'] : {};
        const namespace = typeof metadata['namespace'] === 'string' ? `${metadata['namespace']}/` : '';
        const id = `${namespace}${String(object['kind'])}/${String(metadata['name'])}`;
        collectContainers(object, id, found);
    }
    return found;
}
function collectContainers(value, object, found) {
    if (Array.isArray(value)) {
        for (const item of value)
            collectContainers(item, object, found);
        return;
    }
    if (!rendered_isRecord(value))
        return;
    for (const [key, child] of Object.entries(value)) {
        if (CONTAINER_LISTS.includes(key) && Array.isArray(child)) {
            for (const container of child) {
                if (rendered_isRecord(container) && typeof container['image'] === 'string') {
                    found.push({ object, container: String(container['name']), image: container['image'] });
                }
            }
        }
        else {
            collectContainers(child, object, found);
        }
    }
}
function rendered_isRecord(value) {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}
const nameOf = (image) => splitImageReference(image).name;
const rendered_lastSegment = (name) => name.slice(name.lastIndexOf('/') + 1);
/**
 * The containers an argument is for. With `container` (the service manifest's `container:`), the
 * containers of that name; else those rendering its name (or its new name), else those whose image ends
 * in the same image name (`\u2026/frontend`). Several different image names are refused, naming them: which
 * one is meant must be said.
 */
function containersFor(argument, containers, overlay, file, container) {
    const describe = (list) => escapeUntrusted(list.map((candidate) => `${candidate.object} ${candidate.container}: ${candidate.image}`).join('; '));
    if (container !== undefined) {
        const named = containers.filter((candidate) => candidate.container === container);
        if (named.length === 0) {
            throw new errors_ConfigurationError(`${overlay} renders no container named ${container} for ${argument.name}; ` +
                `it renders ${containers.length > 0 ? describe(containers) : 'no containers'}`, { file });
        }
        if (distinctNames(named).length === 1)
            return named;
        // Several workloads name a container alike (`app`): the image name tells them apart, when it can.
        const narrowed = byImageName(argument, named);
        if (distinctNames(narrowed).length === 1)
            return narrowed;
        throw new errors_ConfigurationError(`${overlay}: containers named ${container} run several images (${describe(named)}). ` +
            'Write the image as the manifests name it (name=newName@digest)', { file });
    }
    const matched = byImageName(argument, containers);
    const distinct = distinctNames(matched);
    if (distinct.length === 1 || matched.some((candidate) => sameName(argument, candidate)))
        return matched;
    const suffix = rendered_lastSegment(argument.newName ?? argument.name);
    const why = distinct.length === 0
        ? `no container image is ${argument.name} or ends in /${suffix}`
        : `several container images end in /${suffix} (${distinct.join(', ')})`;
    throw new errors_ConfigurationError(`${overlay}: ${why}; it renders ${containers.length > 0 ? describe(containers) : 'no containers'}. ` +
        'Name the container in the service manifest (container:), or the image as the manifests write it (name=newName@digest)', { file });
}
const sameName = (argument, candidate) => [argument.name, argument.newName ?? argument.name].includes(nameOf(candidate.image));
const distinctNames = (list) => [
    ...new Set(list.map((candidate) => nameOf(candidate.image))),
];
/** Those rendering the argument's name (or new name), else those whose image ends in the same image name. */
function byImageName(argument, containers) {
    const exact = containers.filter((candidate) => sameName(argument, candidate));
    if (exact.length > 0)
        return exact;
    const suffix = rendered_lastSegment(argument.newName ?? argument.name);
    return containers.filter((candidate) => rendered_lastSegment(nameOf(candidate.image)) === suffix);
}
/**
 * The entry to write so that the rendered image becomes the argument's reference, given the overlay's
 * existing entries (in file order; kustomize applies them one after another) and the name the
 * containers render now. The last entry that yields that name decides it and is edited; with none, a
 * new entry named as rendered is added (no later entry can yield that name, so none undoes it).
 */
function entryForRendered(argument, renderedName, existing) {
    const target = argument.newName ?? argument.name;
    const deciding = [...existing].reverse().find((entry) => (entry.newName ?? entry.name) === renderedName);
    const name = deciding?.name ?? renderedName;
    const entry = { name };
    if (target !== name)
        entry.newName = target;
    if (argument.newTag !== undefined)
        entry.newTag = argument.newTag;
    if (argument.digest !== undefined)
        entry.digest = argument.digest;
    const decidedBy = deciding === undefined
        ? `new entry name: ${name}`
        : `entry name: ${deciding.name}${deciding.newName === undefined ? '' : ` (newName: ${deciding.newName})`}`;
    return { entry, decidedBy };
}
/** Whether an argument keeps a field (`*`): then the file's entry is edited by name, as kustomize does. */
const keepsAField = (argument) => [argument.newName, argument.newTag, argument.digest].includes(KEEP);
/** The containers that do not render what their target's entry sets, after the edit (what verify fails on). */
function unappliedTargets(targets, after) {
    const failures = [];
    for (const target of targets) {
        const expected = describeImageEntry({ ...target.entry, name: target.entry.newName ?? target.entry.name });
        for (const before of target.containers) {
            const now = after.find((item) => item.object === before.object && item.container === before.container);
            if (now === undefined || !sameReference(now.image, before.image, target.entry, expected)) {
                failures.push({ target, container: now });
            }
        }
    }
    return failures;
}
/** kustomize keeps the tag when only a name is set: compare what the entry sets, as kustomize applies it. */
function sameReference(now, before, entry, expected) {
    if (entry.newTag !== undefined || entry.digest !== undefined)
        return now === expected;
    const old = splitImageReference(before);
    const tag = old.tag === '' ? '' : `:${old.tag}`;
    const digest = old.digest === '' ? '' : `@${old.digest}`;
    return now === `${entry.newName ?? entry.name}${tag}${digest}`;
}
/**
 * Decides each overlay's entries from what it renders before the edit: arguments that keep a field
 * (`*`) are written by name as given; every other one edits or adds the entry that decides its containers.
 */
function renderedResolver(runtime, root, images, imageTargets = new Map()) {
    return async (overlay, file, text) => {
        // The file is read first: a YAML mistake is named by its line, not by kubectl's message.
        const existing = await readKustomizationImages(text, file);
        const rendered = renderedContainers(await renderOverlay(runtime, root, overlay, file));
        const entries = new Map();
        const targets = [];
        for (const argument of images) {
            if (keepsAField(argument)) {
                entries.set(argument.name, argument);
                continue;
            }
            const containers = containersFor(argument, rendered, overlay, file, targetOf(imageTargets, argument).container);
            for (const renderedName of new Set(containers.map((container) => nameOf(container.image)))) {
                const { entry, decidedBy } = entryForRendered(argument, renderedName, existing);
                entries.set(entry.name, entry);
                const mine = containers.filter((container) => nameOf(container.image) === renderedName);
                targets.push({ argument: argument.name, containers: mine, entry, decidedBy });
            }
        }
        return { entries: [...entries.values()], targets };
    };
}
/**
 * Renders the edited overlay and fails, naming the file and the entry that decides, when a container the
 * edit was for does not render the new reference (kustomize silently ignores an entry matching nothing).
 * Returns the rendered manifests, for the schema gate.
 */
async function verifyRendered(runtime, root, edit) {
    const manifests = await renderOverlay(runtime, root, edit.overlay, edit.file);
    const after = renderedContainers(manifests);
    const failures = unappliedTargets(edit.targets, after).map(({ target, container }) => {
        const expected = describeImageEntry({ ...target.entry, name: target.entry.newName ?? target.entry.name });
        const what = container === undefined ? 'is gone' : `renders ${container.image}`;
        const which = target.containers.map((item) => `${item.object} ${item.container}`).join(', ');
        return `${which} ${what}, not ${expected} (decided by the ${target.decidedBy})`;
    });
    if (failures.length > 0) {
        throw new errors_ConfigurationError(`after the edit, ${edit.overlay}: ${escapeUntrusted(failures.join('; '))}: ` +
            'an entry later in images:, or one in a component, renames the image again', { file: edit.file });
    }
    return manifests;
}

;// CONCATENATED MODULE: ./packages/kustomize-bump/src/schema/validate.ts
// Validates rendered objects against the catalog's schemas: types, required fields, enums and formats by
// kubernetes-models' validators, and fields the schema does not declare (what `kubectl apply
// --validate=strict` refuses), found by which fields those validators read.


function validate_isRecord(value) {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}
/** `/spec/template/spec/containers/0/name` -> `spec.template.spec.containers[0].name`. */
function fieldPath(pointer) {
    let path = '';
    for (const raw of pointer.split('/').slice(1)) {
        const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
        path += /^\d+$/.test(segment) ? `[${segment}]` : path === '' ? segment : `.${segment}`;
    }
    return path;
}
const childPath = (parent, key) => typeof key === 'number' ? `${parent}[${key}]` : parent === '' ? key : `${parent}.${key}`;
/**
 * Runs a validator on a view of `object` that records reads. A field of an object whose declared
 * fields the validator read, but which it neither read nor listed, is one the schema does not have.
 * Objects whose fields it never read (free-form: RawExtension, preserve-unknown-fields) are not judged.
 */
function checkWithReads(check, object) {
    const reads = new WeakMap();
    const views = new WeakMap();
    const view = (target) => {
        let proxy = views.get(target);
        if (proxy !== undefined)
            return proxy;
        const seen = { fields: new Set(), listed: false };
        reads.set(target, seen);
        proxy = new Proxy(target, {
            get(inner, key, receiver) {
                if (typeof key === 'string')
                    seen.fields.add(key);
                const value = Reflect.get(inner, key, receiver);
                return typeof value === 'object' && value !== null ? view(value) : value;
            },
            has(inner, key) {
                if (typeof key === 'string')
                    seen.fields.add(key);
                return Reflect.has(inner, key);
            },
            ownKeys(inner) {
                seen.listed = true;
                return Reflect.ownKeys(inner);
            },
        });
        views.set(target, proxy);
        return proxy;
    };
    let errors = [];
    try {
        check.call(view(object));
    }
    catch (error) {
        const found = error.errors;
        if (!Array.isArray(found))
            throw error;
        errors = found;
    }
    const unknown = [];
    const walk = (value, path) => {
        if (Array.isArray(value)) {
            value.forEach((item, index) => walk(item, childPath(path, index)));
            return;
        }
        if (!validate_isRecord(value))
            return;
        const seen = reads.get(value);
        if (seen === undefined)
            return;
        const judged = !seen.listed && seen.fields.size > 0;
        for (const [key, child] of Object.entries(value)) {
            if (judged && !seen.fields.has(key))
                unknown.push(childPath(path, key));
            else
                walk(child, childPath(path, key));
        }
    };
    walk(object, '');
    return { errors, unknown };
}
function describeError(error) {
    const path = fieldPath(error.instancePath);
    const { params } = error;
    if (error.keyword === 'required' && typeof params['missingProperty'] === 'string') {
        return { path: childPath(path, params['missingProperty']), message: 'is required' };
    }
    if (error.keyword === 'enum' && Array.isArray(params['allowedValues'])) {
        return { path, message: `must be one of ${params['allowedValues'].map(String).join(', ')}` };
    }
    return { path, message: error.message ?? `fails ${error.keyword}` };
}
/** The issues of one object under a validator: schema errors first, then undeclared fields. */
function validateObject(check, object) {
    const { errors, unknown } = checkWithReads(check, object);
    const issues = errors.map(describeError);
    for (const path of unknown)
        issues.push({ path, message: 'is not a field of this kind' });
    // ajv reports a failed `oneOf`/`anyOf` branch beside the branch that held: the same path once.
    const unique = new Map(issues.map((issue) => [`${issue.path}\0${issue.message}`, issue]));
    return [...unique.values()];
}
function objectName(object) {
    const metadata = validate_isRecord(object['metadata']) ? object['metadata'] : {};
    const namespace = typeof metadata['namespace'] === 'string' ? `${metadata['namespace']}/` : '';
    return `${namespace}${String(object['kind'])}/${String(metadata['name'])}`;
}
/** Validates every object `kubectl kustomize` rendered. */
function validateRendered(catalog, manifests) {
    const report = { validated: 0, invalid: [], notValidated: [] };
    for (const document of (0,dist.parseAllDocuments)(manifests)) {
        if (!('contents' in document))
            continue;
        const object = document.toJS();
        if (!validate_isRecord(object))
            continue;
        const apiVersion = typeof object['apiVersion'] === 'string' ? object['apiVersion'] : '';
        const kind = typeof object['kind'] === 'string' ? object['kind'] : '';
        const name = objectName(object);
        const check = catalog.checks.get(catalogKey(apiVersion, kind));
        if (check !== undefined) {
            report.validated += 1;
            const issues = validateObject(check, object);
            if (issues.length > 0)
                report.invalid.push({ object: name, apiVersion, issues });
        }
        else if (apiVersion !== '' && !catalog.groups.has(groupOf(apiVersion))) {
            report.notValidated.push(`${apiVersion} ${name}`);
        }
        else {
            report.validated += 1;
            // A kind unknown to a built-in group is a typo or a removed version, not a custom resource.
            const issue = apiVersion === ''
                ? { path: 'apiVersion', message: 'is required' }
                : {
                    path: 'kind',
                    message: `${kind} is not a ${apiVersion} kind in the Kubernetes ${catalog.version} schemas`,
                };
            report.invalid.push({ object: name, apiVersion, issues: [issue] });
        }
    }
    return report;
}

;// CONCATENATED MODULE: ./packages/kustomize-bump/src/schema/gate.ts
// The schema gate: each rendered overlay's objects checked against the Kubernetes schemas before anything
// is committed, and the check of `mode: check`, which renders a checkout's overlays and commits nothing.






/** Invalid objects named in a refusal; the summary and the log list them all. */
const NAMED_IN_ERROR = 5;
function describeInvalid(invalid) {
    const issues = invalid.issues.map((issue) => `${issue.path} ${issue.message}`).join(', ');
    return escapeUntrusted(`${invalid.object} (${invalid.apiVersion}): ${issues}`);
}
/** The gate's refusal: a user mistake in the manifests, carrying every overlay's finding for the summary. */
class SchemaGateRefusal extends errors_ConfigurationError {
    reports;
    constructor(message, file, reports) {
        super(message, { file });
        this.reports = reports;
    }
}
/** Refuses the first overlay with an invalid object, naming its file, the objects and their fields. */
function assertSchemaValid(reports, version) {
    const broken = reports.find((report) => report.invalid.length > 0);
    if (broken === undefined)
        return;
    const shown = broken.invalid.slice(0, NAMED_IN_ERROR).map(describeInvalid);
    const more = broken.invalid.length - shown.length;
    throw new SchemaGateRefusal(`${broken.overlay} renders ${broken.invalid.length === 1 ? 'an object' : `${broken.invalid.length} objects`} ` +
        `that Kubernetes ${version} would refuse: ${shown.join('; ')}${more > 0 ? `; and ${more} more` : ''}`, broken.file, reports);
}
/** Validates one overlay's rendered output (rendered once, for the edit's verification too). */
async function gateRendered(version, overlay, file, manifests) {
    const catalog = await loadSchemaCatalog(version);
    return { overlay, file, ...validateRendered(catalog, manifests) };
}
/** Log lines: what was validated, and the custom resources that were not. */
function schemaLines(reports, version) {
    return reports.flatMap((report) => {
        const lines = [`${report.overlay}: ${report.validated} objects valid against the Kubernetes ${version} schemas`];
        if (report.invalid.length > 0) {
            lines[0] = `${report.overlay}: ${report.invalid.length} of ${report.validated} objects invalid for Kubernetes ${version}`;
            lines.push(...report.invalid.map((invalid) => `  ${describeInvalid(invalid)}`));
        }
        if (report.notValidated.length > 0) {
            lines.push(`${report.overlay}: not validated (no schema known): ${escapeUntrusted(report.notValidated.join(', '))}`);
        }
        return lines;
    });
}
/** The custom resources not validated, `overlay: apiVersion kind/name` once each: the `not-validated` output. */
const notValidatedList = (reports) => reports.flatMap((report) => report.notValidated.map((resource) => `${report.overlay}: ${resource}`));
/** `mode: check`: renders each overlay of the checkout at `root` and validates it; nothing is written. */
async function checkOverlays(runtime, root, overlays, version) {
    const realRoot = (0,external_node_fs_namespaceObject.realpathSync)(root);
    const reports = [];
    for (const overlay of overlays) {
        const file = kustomizationOf(realRoot, overlay);
        const manifests = await renderOverlay(runtime, realRoot, overlay, file);
        reports.push(await gateRendered(version, overlay, file, manifests));
    }
    return reports;
}

;// CONCATENATED MODULE: ./packages/kustomize-bump/src/summary.ts
// The job summary: what changed in which overlay, where it was pushed, and the diff.




/**
 * The log lines that say what happened. Image references come from the repository, which others write:
 * each line is escaped so that no value can start a workflow command.
 */
function outcomeLines(inputs, result) {
    const lines = result.edits.flatMap((edit) => edit.changes.map((change) => escapeUntrusted(`${edit.overlay}: ${describeChange(change)}`)));
    if (!result.changed)
        lines.push('Every overlay already has these images: nothing to commit');
    else if (result.dryRun)
        lines.push('Dry run: nothing committed or pushed');
    else
        lines.push(`Pushed ${result.commit} to ${result.target} on attempt ${result.attempts} of ${inputs['max-attempts']}`);
    return lines;
}
/** The step summary: what changed where, and the diff. */
function renderSummary(inputs, result) {
    const lines = ['### kustomize-bump', ''];
    if (!result.changed) {
        lines.push(`Every overlay on ${code(result.branch)} already has these images: nothing committed.`);
    }
    else if (result.dryRun) {
        lines.push(`Dry run: these edits of ${code(result.branch)} were computed, nothing was committed or pushed.`);
    }
    else {
        const where = result.pullRequest ? `pull request ${result.pullRequest}` : code(result.target);
        lines.push(`Committed ${code(result.commit.slice(0, 12))} to ${where} on attempt ${result.attempts} of ${inputs['max-attempts']}` +
            `${verificationNote(inputs, result)}.`);
    }
    const rows = result.edits.flatMap((edit) => edit.changes.map((change) => [
        edit.overlay,
        change.name,
        change.before === undefined ? '(new entry)' : describeImageEntry(change.before),
        describeImageEntry(change.after),
    ]));
    if (rows.length > 0)
        lines.push('', table(['Overlay', 'Image', 'Before', 'After'], rows));
    const helm = result.edits.flatMap((edit) => (edit.helm ?? []).map((note) => `- ${code(edit.file)}: ${escapeUntrusted(note)}`));
    if (helm.length > 0)
        lines.push('', 'Helm values, checked as written (no chart is rendered here):', '', ...helm);
    if (result.schema.length > 0)
        lines.push('', ...schemaSection(inputs['kubernetes-version'], result.schema));
    if (result.diff)
        lines.push('', details('Diff', `\`\`\`diff\n${result.diff.replace(/```/g, '` ` `')}\n\`\`\``));
    return `${lines.join('\n')}\n`;
}
function verificationNote(inputs, result) {
    if (result.verified)
        return ', after `kubectl kustomize` rendered every new reference';
    // Helm values alone: what was checked is listed below the table.
    if (result.edits.every((edit) => edit.helm !== undefined))
        return '';
    return inputs.verify === 'false' ? '' : ' (not verified: kubectl is not on PATH)';
}
/** Per overlay: objects validated, invalid ones with their fields, custom resources not validated. */
function schemaSection(version, reports) {
    const rows = reports.map((report) => [
        report.overlay,
        String(report.validated - report.invalid.length),
        report.invalid.length === 0 ? '' : report.invalid.map(describeInvalid).join('<br>'),
        report.notValidated.length === 0 ? '' : escapeUntrusted(report.notValidated.join(', ')),
    ]);
    return [
        `Schema gate (Kubernetes ${version}):`,
        '',
        table(['Overlay', 'Valid objects', 'Invalid', 'Not validated (no schema known)'], rows),
    ];
}
/** The summary of `mode: check`, and of a bump the gate refused (`refused`: nothing was committed). */
function renderCheckSummary(version, reports, refused = false) {
    const invalid = reports.reduce((sum, report) => sum + report.invalid.length, 0);
    const verdict = invalid === 0
        ? `Every rendered object of ${reports.length} overlays is valid for Kubernetes ${version}.`
        : `${invalid} rendered objects would be refused by Kubernetes ${version}${refused ? ': nothing was committed or pushed' : ''}.`;
    const title = refused ? '### kustomize-bump: refused by the schema gate' : '### kustomize-bump check';
    return `${[title, '', verdict, '', ...schemaSection(version, reports)].join('\n')}\n`;
}

;// CONCATENATED MODULE: ./packages/kustomize-bump/src/verify.ts
// Verification: the overlay rendered with kubectl kustomize or kustomize, and every new reference found in what it
// renders.







/** The `image:` values of rendered manifests (containers, initContainers, ephemeral containers). */
function renderedImages(manifests) {
    const images = [];
    for (const match of manifests.matchAll(/^[ \t]*(?:-[ \t]+)?image:[ \t]*(["']?)([^"'\s#]+)\1/gm)) {
        if (match[2] !== undefined)
            images.push(match[2]);
    }
    return images;
}
/**
 * Whether a rendered image carries what the entry sets. kustomize keeps the container's tag when only
 * a new name is set and drops it when only a digest is set, so only the fields set are compared.
 */
function entryApplied(entry, images) {
    const expectedName = entry.newName ?? entry.name;
    return images.some((image) => {
        const { name, tag, digest } = splitImageReference(image);
        if (name !== expectedName)
            return false;
        if (entry.newTag !== undefined && tag !== entry.newTag)
            return false;
        return entry.digest === undefined || digest === entry.digest;
    });
}
/** The entries whose reference does not appear in the rendered output (what verify fails on). */
function missingReferences(entries, manifests) {
    const images = renderedImages(manifests);
    return entries.filter((entry) => !entryApplied(entry, images)).map(describeImageEntry);
}
async function findOnPath(program, env) {
    for (const directory of (env['PATH'] ?? process.env['PATH'] ?? '').split(external_node_path_namespaceObject.delimiter)) {
        if (directory === '')
            continue;
        try {
            await (0,promises_namespaceObject.access)((0,external_node_path_namespaceObject.join)(directory, program), external_node_fs_namespaceObject.constants.X_OK);
            return true;
        }
        catch {
            // Not in this directory: try the next one.
        }
    }
    return false;
}
/**
 * Renders an overlay with `kubectl kustomize` and fails, naming the overlay's file, when a new image
 * reference is absent: kustomize silently ignores an entry whose name matches no container.
 */
async function verifyOverlay(runtime, root, overlay, file, entries) {
    const missing = missingReferences(entries, await renderOverlay(runtime, root, overlay, file));
    if (missing.length > 0) {
        throw new errors_ConfigurationError(`after the edit, ${overlay} renders no container with ${missing.join(', ')}: ` +
            'an images entry only applies when its name matches a container image of the overlay; check the name', { file });
    }
}

;// CONCATENATED MODULE: ./packages/kustomize-bump/src/workspace.ts
// The checkout kustomize-bump edits: a shallow clone of the branch, or a worktree borrowed from a clone.



/** A remote URL for logs: no user info, no control characters. */
const displayUrl = (url) => escapeUntrusted(stripUrlCredentials(url));
/** The URL of the remote: given, or the `origin` of the clone to borrow. */
async function remoteUrlOf(runtime, source) {
    if (source.kind === 'remote')
        return source.remoteUrl;
    if (!(0,external_node_fs_namespaceObject.existsSync)(source.path) || !(0,external_node_fs_namespaceObject.statSync)(source.path).isDirectory()) {
        throw new errors_ConfigurationError(`'${source.path}' is not a directory`, { input: 'repository-path' });
    }
    const clone = new Git({ exec: (program, args, options) => runtime.exec(program, args, options), cwd: source.path });
    const origin = await clone.run(['remote', 'get-url', 'origin'], { allowFailure: true });
    if (origin.exitCode !== 0) {
        throw new errors_ConfigurationError(`'${source.path}' is not a git clone with an origin remote`, {
            input: 'repository-path',
        });
    }
    return origin.stdout.trim();
}
/** The branch to bump: checked to exist (`ls-remote`), the remote's default one when none is named. */
async function resolveBranch(git, remoteUrl, requested) {
    const refs = ['HEAD', ...(requested ? [`refs/heads/${requested}`] : [])];
    const listed = await git.fetchFromRemote(['ls-remote', '--symref', '--', remoteUrl, ...refs], `cannot read ${displayUrl(remoteUrl)}`);
    const lines = listed.stdout.split('\n');
    const defaultBranch = lines
        .map((line) => /^ref: refs\/heads\/(\S+)\tHEAD$/.exec(line)?.[1])
        .find((name) => name !== undefined);
    const branch = requested || defaultBranch;
    if (branch === undefined)
        throw new Error(`${displayUrl(remoteUrl)} has no default branch (is it empty?)`);
    if (requested && !lines.some((line) => line.endsWith(`\trefs/heads/${requested}`))) {
        throw new errors_ConfigurationError(`branch '${requested}' does not exist in ${displayUrl(remoteUrl)}`, {
            input: 'branch',
        });
    }
    if (!requested && !lines.some((line) => /^[0-9a-f]+\tHEAD$/.test(line))) {
        throw new Error(`the default branch ${escapeUntrusted(branch)} of ${displayUrl(remoteUrl)} has no commit`);
    }
    return branch;
}
/** A shallow clone of one branch into the scratch directory. */
async function cloneShallow(git, remoteUrl, scratch, branch) {
    const directory = (0,external_node_path_namespaceObject.join)(scratch, 'clone');
    const args = ['clone', '--quiet', '--depth=1', '--no-tags', '--single-branch', `--branch=${branch}`];
    await git.fetchFromRemote([...args, '--', remoteUrl, directory], `cannot clone ${displayUrl(remoteUrl)}`);
    return { git: git.in(directory), remoteUrl, shallow: true, cleanup: () => Promise.resolve() };
}
/** A temporary worktree of an existing clone: its objects are reused, its checkout is left alone. */
async function borrowWorktree(clone, remoteUrl, scratch, branch) {
    await fetchBranch(clone, branch, false);
    const head = await clone.output(['rev-parse', 'FETCH_HEAD']);
    const directory = (0,external_node_path_namespaceObject.join)(scratch, 'worktree');
    await clone.run(['worktree', 'add', '--quiet', '--detach', directory, head]);
    return {
        git: clone.in(directory),
        remoteUrl,
        shallow: false,
        cleanup: async () => {
            await clone.run(['worktree', 'remove', '--force', directory], { allowFailure: true });
        },
    };
}
/** Fetches the branch's current head into FETCH_HEAD. */
async function fetchBranch(git, branch, shallow) {
    const depth = shallow ? ['--depth=1'] : [];
    await git.fetchFromRemote(['fetch', '--quiet', '--no-tags', ...depth, 'origin', `refs/heads/${branch}`], `cannot fetch ${branch}`);
}

;// CONCATENATED MODULE: ./packages/kustomize-bump/src/run.ts
// The step's top function: edit the overlays in a checkout of the GitOps branch, commit, push (again after
// a lost race) or open a pull request, and report what changed.














/** Backoff between push attempts: full jitter spreads racing bumps apart. */
const PUSH_BACKOFF = { baseMs: 500, factor: 2, maxMs: 8000, jitter: 1 };
/** @actions/github (Octokit and its HTTP stack) is loaded when a pull request is opened: most steps push. */
const runnerServices = {
    getOctokit: async (...args) => (await __nccwpck_require__.e(/* import() */ 413).then(__nccwpck_require__.bind(__nccwpck_require__, 2413))).getOctokit(...args),
};
/** The kustomize-bump action: edit the overlays, commit, push (or open a pull request), report. */
async function runKustomizeBump(runtime, services = runnerServices) {
    const inputs = parseInputs(runtime.inputs);
    if (inputs.mode === 'check') {
        await checkManifests(runtime, inputs);
        return;
    }
    const result = await bumpImages(runtime, inputs, services).catch(async (error) => {
        // The refusal's objects and fields, in the summary too: the log is not where reviewers look.
        if (error instanceof SchemaGateRefusal) {
            await runtime.appendSummary(renderCheckSummary(inputs['kubernetes-version'], error.reports, true));
        }
        throw error;
    });
    runtime.setOutput('changed', result.changed);
    runtime.setOutput('commit', result.commit);
    runtime.setOutput('pull-request', result.pullRequest);
    runtime.setOutput('diff', result.diff);
    runtime.setOutput('previous-images', previousImages(result.edits).join('\n'));
    runtime.setOutput('not-validated', notValidatedList(result.schema).join('\n'));
    await runtime.appendSummary(renderSummary(inputs, result));
}
/**
 * `mode: check`: renders the overlays of the checkout (`repository-path`, else the workspace) and validates
 * every object; the summary and outputs are written before an invalid object fails the step.
 */
async function checkManifests(runtime, inputs) {
    if (!(await findOnPath('kubectl', runtime.env))) {
        throw new errors_ConfigurationError('check renders the overlays with kubectl kustomize: install kubectl', {
            input: 'mode',
        });
    }
    // `repository` is not read: a check reads the checkout it is given, never a remote.
    const source = inputs['repository-path'] === '' ? undefined : planKustomizeBump(inputs, runtime.github, runtime.tempDir).source;
    const root = source?.kind === 'clone' ? source.path : runtime.github.workspace;
    const version = inputs['kubernetes-version'];
    const reports = await checkOverlays(runtime, root, inputs.overlays, version);
    for (const line of schemaLines(reports, version))
        runtime.log.info(line);
    runtime.setOutput('changed', false);
    runtime.setOutput('not-validated', notValidatedList(reports).join('\n'));
    await runtime.appendSummary(renderCheckSummary(version, reports));
    assertSchemaValid(reports, version);
}
/**
 * What the changed containers rendered before the edit, once each: what a revert of the commit brings
 * back (also on a first entry). Unrendered overlays fall back to the replaced entries.
 */
function previousImages(edits) {
    const before = edits.flatMap((edit) => edit.changes.flatMap((change) => {
        const target = edit.targets.find((candidate) => candidate.entry.name === change.after.name);
        if (target !== undefined)
            return target.containers.map((container) => container.image);
        return change.before ? [describeImageEntry(change.before)] : [];
    }));
    return [...new Set(before)];
}
/** Clones (or borrows a worktree of `repository-path`), edits, verifies, commits and pushes. */
async function bumpImages(runtime, inputs, services = runnerServices) {
    const plan = planKustomizeBump(inputs, runtime.github, runtime.tempDir);
    const remoteUrl = await remoteUrlOf(runtime, plan.source);
    const env = gitEnvironment(remoteUrl, inputs.token, runtime.env, (secret) => runtime.mask(secret));
    const scratch = await (0,promises_namespaceObject.mkdtemp)((0,external_node_path_namespaceObject.join)(runtime.tempDir, 'kustomize-bump-'));
    const git = new GitopsGit(runtime, scratch, env);
    try {
        const branch = await resolveBranch(git, remoteUrl, inputs.branch);
        const images = inputs.images.map((image) => image.argument).join(', ');
        runtime.log.info(`Bumping ${images} on ${displayUrl(remoteUrl)} ${escapeUntrusted(branch)}`);
        const workspace = plan.source.kind === 'clone'
            ? await borrowWorktree(git.in(plan.source.path), remoteUrl, scratch, branch)
            : await cloneShallow(git, remoteUrl, scratch, branch);
        try {
            const verify = await decideVerify(runtime, inputs);
            const session = { runtime, plan, workspace, branch, target: targetBranch(inputs, branch), verify };
            return await bumpAndPublish(session, services);
        }
        finally {
            await workspace.cleanup();
        }
    }
    finally {
        await (0,promises_namespaceObject.rm)(scratch, { recursive: true, force: true });
    }
}
async function bumpAndPublish(session, services) {
    const { runtime, plan, branch, target, verify } = session;
    const { inputs } = plan;
    const outcome = await attemptUntilPushed(session);
    const pushed = {
        changed: outcome.edits.length > 0,
        dryRun: inputs['dry-run'],
        commit: outcome.commit,
        target,
        attempts: outcome.attempt,
        edits: outcome.edits,
        schema: outcome.schema,
    };
    for (const line of outcomeLines(inputs, pushed))
        runtime.log.info(line);
    const publish = inputs.mode === 'pull-request' && pushed.changed && !pushed.dryRun;
    const pullRequest = publish ? await publishPullRequest(session, services, outcome) : undefined;
    if (pullRequest !== undefined) {
        runtime.log.info(`${pullRequest.created ? 'Opened' : 'Updated'} pull request ${escapeUntrusted(pullRequest.url)}`);
    }
    return {
        ...pushed,
        pullRequest: pullRequest?.url ?? '',
        diff: outcome.diff,
        branch,
        // Helm values are checked as written, not rendered: verified speaks of kustomize overlays alone.
        verified: verify && pushed.edits.some((edit) => edit.helm === undefined),
    };
}
/** Attempts until a push lands; only a push that lost a race to another writer is tried again. */
async function attemptUntilPushed(session) {
    const { runtime, plan, target } = session;
    const attempts = plan.inputs['max-attempts'];
    try {
        return await retry((attempt) => attemptBump(session, attempt), {
            ...PUSH_BACKOFF,
            attempts,
            retryIf: isLostRace,
            onRetry: (error, attempt, delay) => runtime.log.info(`Attempt ${attempt} lost a race (${errorMessage(error)}); fetching and re-applying in ${delay} ms`),
            sleep: (ms) => runtime.clock.sleep(ms),
        });
    }
    catch (error) {
        if (!isLostRace(error) || !(error instanceof Error))
            throw error;
        throw new Error(`${target} kept moving: the push was rejected ${attempts} times (${error.message}). ` +
            'Raise max-attempts, or serialise bumps with a workflow concurrency group.');
    }
}
async function decideVerify(runtime, inputs) {
    const verify = inputs.verify !== 'false' && (await findOnPath('kubectl', runtime.env));
    if (inputs.verify === 'true' && !verify) {
        throw new errors_ConfigurationError('is true but kubectl is not on PATH: install kubectl or use auto', {
            input: 'verify',
        });
    }
    if (inputs.verify === 'auto' && !verify) {
        runtime.log.info('kubectl is not on PATH: the overlays are not rendered to verify the edit');
    }
    return verify;
}
const DIFF = ['diff', '--no-color', '--no-ext-diff'];
/** One attempt: (after the first, move to the remote's new head,) edit, verify, commit, push. */
async function attemptBump(session, attempt) {
    const { runtime, plan, workspace, branch, target, verify } = session;
    const { inputs } = plan;
    const { git } = workspace;
    if (attempt > 1) {
        await fetchBranch(git, branch, workspace.shallow);
        await git.run(['reset', '--quiet', '--hard', 'FETCH_HEAD']);
    }
    const resolve = verify ? renderedResolver(runtime, git.cwd, inputs.images, inputs['image-targets']) : undefined;
    const edits = await editOverlays(git.cwd, inputs.overlays, inputs.images, resolve, inputs['image-targets']);
    if (edits.length === 0)
        return { attempt, edits, commit: '', message: '', diff: '', schema: [] };
    const schema = [];
    if (verify) {
        // Helm values are checked as they are written (no Helm binary renders them here).
        for (const edit of edits.filter((candidate) => candidate.helm === undefined)) {
            const manifests = await verifyRendered(runtime, git.cwd, edit);
            schema.push(await gateRendered(inputs['kubernetes-version'], edit.overlay, edit.file, manifests));
            // Entries written by name (`*` fields) are checked by reference, as kustomize edit set image leaves them.
            const byName = edit.changes.filter((change) => !edit.targets.some((t) => t.entry.name === change.after.name));
            if (byName.length > 0) {
                await verifyOverlay(runtime, git.cwd, edit.overlay, edit.file, byName.map((change) => change.after));
            }
        }
    }
    for (const line of schemaLines(schema, inputs['kubernetes-version']))
        runtime.log.info(line);
    // Before any commit: an object the cluster would refuse never reaches the GitOps repository.
    assertSchemaValid(schema, inputs['kubernetes-version']);
    const files = edits.map((edit) => edit.file);
    if (inputs['dry-run']) {
        const diff = (await git.run([...DIFF, '--', ...files])).stdout;
        return { attempt, edits, commit: '', message: '', diff, schema };
    }
    const message = commitMessage(plan, branch, edits);
    await git.run(['add', '--', ...files]);
    await git.run(['-c', 'commit.gpgsign=false', 'commit', '--quiet', '--no-verify', '--file=-'], { input: message });
    const commit = await git.output(['rev-parse', 'HEAD']);
    await git.push(`refs/heads/${target}`, inputs.mode === 'pull-request');
    // Read once the push has landed: the window in which a concurrent push can win stays short.
    const diff = (await git.run([...DIFF, 'HEAD^', 'HEAD', '--', ...files])).stdout;
    return { attempt, edits, commit, message, diff, schema };
}
/** Opens the pull request for the pushed head branch, or updates the open one. */
async function publishPullRequest({ runtime, workspace, branch, target, plan }, services, outcome) {
    // The repository pushed to is the one the pull request is for (also with repository-path).
    const repository = ownerAndName(workspace.remoteUrl);
    if (repository === undefined) {
        throw new Error(`cannot tell the owner/name of ${displayUrl(workspace.remoteUrl)} for the pull request API`);
    }
    const [title = '', ...body] = outcome.message.split('\n');
    return openOrUpdatePullRequest(runtime, services.getOctokit, {
        token: plan.inputs.token,
        apiUrl: runtime.github.apiUrl,
        ...repository,
        head: target,
        base: branch,
        title,
        body: body.join('\n').trim(),
    });
}

;// CONCATENATED MODULE: ./packages/kustomize-bump/src/action.ts
// The step itself: what dist/kustomize-bump runs, and the entry @github/local-action calls.


const run = () => runAction(runKustomizeBump);


/***/ }),

/***/ 2613:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("assert");

/***/ }),

/***/ 181:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("buffer");

/***/ }),

/***/ 4434:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("events");

/***/ }),

/***/ 9896:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("fs");

/***/ }),

/***/ 8611:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("http");

/***/ }),

/***/ 5692:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("https");

/***/ }),

/***/ 9278:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("net");

/***/ }),

/***/ 4589:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:assert");

/***/ }),

/***/ 6698:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:async_hooks");

/***/ }),

/***/ 4573:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:buffer");

/***/ }),

/***/ 7540:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:console");

/***/ }),

/***/ 7598:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:crypto");

/***/ }),

/***/ 3053:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:diagnostics_channel");

/***/ }),

/***/ 610:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:dns");

/***/ }),

/***/ 8474:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:events");

/***/ }),

/***/ 7067:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:http");

/***/ }),

/***/ 2467:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:http2");

/***/ }),

/***/ 7030:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:net");

/***/ }),

/***/ 643:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:perf_hooks");

/***/ }),

/***/ 1792:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:querystring");

/***/ }),

/***/ 7075:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:stream");

/***/ }),

/***/ 1692:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:tls");

/***/ }),

/***/ 3136:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:url");

/***/ }),

/***/ 7975:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:util");

/***/ }),

/***/ 3429:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:util/types");

/***/ }),

/***/ 5919:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:worker_threads");

/***/ }),

/***/ 8522:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:zlib");

/***/ }),

/***/ 857:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("os");

/***/ }),

/***/ 932:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("process");

/***/ }),

/***/ 4876:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("punycode");

/***/ }),

/***/ 3193:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("string_decoder");

/***/ }),

/***/ 4756:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("tls");

/***/ }),

/***/ 9023:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("util");

/***/ }),

/***/ 7349:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var Scalar = __nccwpck_require__(3301);
var YAMLMap = __nccwpck_require__(4454);
var YAMLSeq = __nccwpck_require__(2223);
var resolveBlockMap = __nccwpck_require__(7103);
var resolveBlockSeq = __nccwpck_require__(334);
var resolveFlowCollection = __nccwpck_require__(3142);

function resolveCollection(CN, ctx, token, onError, tagName, tag) {
    const coll = token.type === 'block-map'
        ? resolveBlockMap.resolveBlockMap(CN, ctx, token, onError, tag)
        : token.type === 'block-seq'
            ? resolveBlockSeq.resolveBlockSeq(CN, ctx, token, onError, tag)
            : resolveFlowCollection.resolveFlowCollection(CN, ctx, token, onError, tag);
    const Coll = coll.constructor;
    // If we got a tagName matching the class, or the tag name is '!',
    // then use the tagName from the node class used to create it.
    if (tagName === '!' || tagName === Coll.tagName) {
        coll.tag = Coll.tagName;
        return coll;
    }
    if (tagName)
        coll.tag = tagName;
    return coll;
}
function composeCollection(CN, ctx, token, props, onError) {
    const tagToken = props.tag;
    const tagName = !tagToken
        ? null
        : ctx.directives.tagName(tagToken.source, msg => onError(tagToken, 'TAG_RESOLVE_FAILED', msg));
    if (token.type === 'block-seq') {
        const { anchor, newlineAfterProp: nl } = props;
        const lastProp = anchor && tagToken
            ? anchor.offset > tagToken.offset
                ? anchor
                : tagToken
            : (anchor ?? tagToken);
        if (lastProp && (!nl || nl.offset < lastProp.offset)) {
            const message = 'Missing newline after block sequence props';
            onError(lastProp, 'MISSING_CHAR', message);
        }
    }
    const expType = token.type === 'block-map'
        ? 'map'
        : token.type === 'block-seq'
            ? 'seq'
            : token.start.source === '{'
                ? 'map'
                : 'seq';
    // shortcut: check if it's a generic YAMLMap or YAMLSeq
    // before jumping into the custom tag logic.
    if (!tagToken ||
        !tagName ||
        tagName === '!' ||
        (tagName === YAMLMap.YAMLMap.tagName && expType === 'map') ||
        (tagName === YAMLSeq.YAMLSeq.tagName && expType === 'seq')) {
        return resolveCollection(CN, ctx, token, onError, tagName);
    }
    let tag = ctx.schema.tags.find(t => t.tag === tagName && t.collection === expType);
    if (!tag) {
        const kt = ctx.schema.knownTags[tagName];
        if (kt?.collection === expType) {
            ctx.schema.tags.push(Object.assign({}, kt, { default: false }));
            tag = kt;
        }
        else {
            if (kt) {
                onError(tagToken, 'BAD_COLLECTION_TYPE', `${kt.tag} used for ${expType} collection, but expects ${kt.collection ?? 'scalar'}`, true);
            }
            else {
                onError(tagToken, 'TAG_RESOLVE_FAILED', `Unresolved tag: ${tagName}`, true);
            }
            return resolveCollection(CN, ctx, token, onError, tagName);
        }
    }
    const coll = resolveCollection(CN, ctx, token, onError, tagName, tag);
    const res = tag.resolve?.(coll, msg => onError(tagToken, 'TAG_RESOLVE_FAILED', msg), ctx.options) ?? coll;
    const node = identity.isNode(res)
        ? res
        : new Scalar.Scalar(res);
    node.range = coll.range;
    node.tag = tagName;
    if (tag?.format)
        node.format = tag.format;
    return node;
}

exports.composeCollection = composeCollection;


/***/ }),

/***/ 3683:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var Document = __nccwpck_require__(3021);
var composeNode = __nccwpck_require__(5937);
var resolveEnd = __nccwpck_require__(7788);
var resolveProps = __nccwpck_require__(4631);

function composeDoc(options, directives, { offset, start, value, end }, onError) {
    const opts = Object.assign({ _directives: directives }, options);
    const doc = new Document.Document(undefined, opts);
    const ctx = {
        atKey: false,
        atRoot: true,
        directives: doc.directives,
        options: doc.options,
        schema: doc.schema
    };
    const props = resolveProps.resolveProps(start, {
        indicator: 'doc-start',
        next: value ?? end?.[0],
        offset,
        onError,
        parentIndent: 0,
        startOnNewline: true
    });
    if (props.found) {
        doc.directives.docStart = true;
        if (value &&
            (value.type === 'block-map' || value.type === 'block-seq') &&
            !props.hasNewline)
            onError(props.end, 'MISSING_CHAR', 'Block collection cannot start on same line with directives-end marker');
    }
    // @ts-expect-error If Contents is set, let's trust the user
    doc.contents = value
        ? composeNode.composeNode(ctx, value, props, onError)
        : composeNode.composeEmptyNode(ctx, props.end, start, null, props, onError);
    const contentEnd = doc.contents.range[2];
    const re = resolveEnd.resolveEnd(end, contentEnd, false, onError);
    if (re.comment)
        doc.comment = re.comment;
    doc.range = [offset, contentEnd, re.offset];
    return doc;
}

exports.composeDoc = composeDoc;


/***/ }),

/***/ 5937:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var Alias = __nccwpck_require__(4065);
var identity = __nccwpck_require__(1127);
var composeCollection = __nccwpck_require__(7349);
var composeScalar = __nccwpck_require__(5413);
var resolveEnd = __nccwpck_require__(7788);
var utilEmptyScalarPosition = __nccwpck_require__(2599);

const CN = { composeNode, composeEmptyNode };
function composeNode(ctx, token, props, onError) {
    const atKey = ctx.atKey;
    const { spaceBefore, comment, anchor, tag } = props;
    let node;
    let isSrcToken = true;
    switch (token.type) {
        case 'alias':
            node = composeAlias(ctx, token, onError);
            if (anchor || tag)
                onError(token, 'ALIAS_PROPS', 'An alias node must not specify any properties');
            break;
        case 'scalar':
        case 'single-quoted-scalar':
        case 'double-quoted-scalar':
        case 'block-scalar':
            node = composeScalar.composeScalar(ctx, token, tag, onError);
            if (anchor)
                node.anchor = anchor.source.substring(1);
            break;
        case 'block-map':
        case 'block-seq':
        case 'flow-collection':
            try {
                node = composeCollection.composeCollection(CN, ctx, token, props, onError);
                if (anchor)
                    node.anchor = anchor.source.substring(1);
            }
            catch (error) {
                // Almost certainly here due to a stack overflow
                const message = error instanceof Error ? error.message : String(error);
                onError(token, 'RESOURCE_EXHAUSTION', message);
            }
            break;
        default: {
            const message = token.type === 'error'
                ? token.message
                : `Unsupported token (type: ${token.type})`;
            onError(token, 'UNEXPECTED_TOKEN', message);
            isSrcToken = false;
        }
    }
    node ?? (node = composeEmptyNode(ctx, token.offset, undefined, null, props, onError));
    if (anchor && node.anchor === '')
        onError(anchor, 'BAD_ALIAS', 'Anchor cannot be an empty string');
    if (atKey &&
        ctx.options.stringKeys &&
        (!identity.isScalar(node) ||
            typeof node.value !== 'string' ||
            (node.tag && node.tag !== 'tag:yaml.org,2002:str'))) {
        const msg = 'With stringKeys, all keys must be strings';
        onError(tag ?? token, 'NON_STRING_KEY', msg);
    }
    if (spaceBefore)
        node.spaceBefore = true;
    if (comment) {
        if (token.type === 'scalar' && token.source === '')
            node.comment = comment;
        else
            node.commentBefore = comment;
    }
    // @ts-expect-error Type checking misses meaning of isSrcToken
    if (ctx.options.keepSourceTokens && isSrcToken)
        node.srcToken = token;
    return node;
}
function composeEmptyNode(ctx, offset, before, pos, { spaceBefore, comment, anchor, tag, end }, onError) {
    const token = {
        type: 'scalar',
        offset: utilEmptyScalarPosition.emptyScalarPosition(offset, before, pos),
        indent: -1,
        source: ''
    };
    const node = composeScalar.composeScalar(ctx, token, tag, onError);
    if (anchor) {
        node.anchor = anchor.source.substring(1);
        if (node.anchor === '')
            onError(anchor, 'BAD_ALIAS', 'Anchor cannot be an empty string');
    }
    if (spaceBefore)
        node.spaceBefore = true;
    if (comment) {
        node.comment = comment;
        node.range[2] = end;
    }
    return node;
}
function composeAlias({ options }, { offset, source, end }, onError) {
    const alias = new Alias.Alias(source.substring(1));
    if (alias.source === '')
        onError(offset, 'BAD_ALIAS', 'Alias cannot be an empty string');
    if (alias.source.endsWith(':'))
        onError(offset + source.length - 1, 'BAD_ALIAS', 'Alias ending in : is ambiguous', true);
    const valueEnd = offset + source.length;
    const re = resolveEnd.resolveEnd(end, valueEnd, options.strict, onError);
    alias.range = [offset, valueEnd, re.offset];
    if (re.comment)
        alias.comment = re.comment;
    return alias;
}

exports.composeEmptyNode = composeEmptyNode;
exports.composeNode = composeNode;


/***/ }),

/***/ 5413:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var Scalar = __nccwpck_require__(3301);
var resolveBlockScalar = __nccwpck_require__(8913);
var resolveFlowScalar = __nccwpck_require__(6842);

function composeScalar(ctx, token, tagToken, onError) {
    const { value, type, comment, range } = token.type === 'block-scalar'
        ? resolveBlockScalar.resolveBlockScalar(ctx, token, onError)
        : resolveFlowScalar.resolveFlowScalar(token, ctx.options.strict, onError);
    const tagName = tagToken
        ? ctx.directives.tagName(tagToken.source, msg => onError(tagToken, 'TAG_RESOLVE_FAILED', msg))
        : null;
    let tag;
    if (ctx.options.stringKeys && ctx.atKey) {
        tag = ctx.schema[identity.SCALAR];
    }
    else if (tagName)
        tag = findScalarTagByName(ctx.schema, value, tagName, tagToken, onError);
    else if (token.type === 'scalar')
        tag = findScalarTagByTest(ctx, value, token, onError);
    else
        tag = ctx.schema[identity.SCALAR];
    let scalar;
    try {
        const res = tag.resolve(value, msg => onError(tagToken ?? token, 'TAG_RESOLVE_FAILED', msg), ctx.options);
        scalar = identity.isScalar(res) ? res : new Scalar.Scalar(res);
    }
    catch (error) {
        const msg = error instanceof Error ? error.message : String(error);
        onError(tagToken ?? token, 'TAG_RESOLVE_FAILED', msg);
        scalar = new Scalar.Scalar(value);
    }
    scalar.range = range;
    scalar.source = value;
    if (type)
        scalar.type = type;
    if (tagName)
        scalar.tag = tagName;
    if (tag.format)
        scalar.format = tag.format;
    if (comment)
        scalar.comment = comment;
    return scalar;
}
function findScalarTagByName(schema, value, tagName, tagToken, onError) {
    if (tagName === '!')
        return schema[identity.SCALAR]; // non-specific tag
    const matchWithTest = [];
    for (const tag of schema.tags) {
        if (!tag.collection && tag.tag === tagName) {
            if (tag.default && tag.test)
                matchWithTest.push(tag);
            else
                return tag;
        }
    }
    for (const tag of matchWithTest)
        if (tag.test?.test(value))
            return tag;
    const kt = schema.knownTags[tagName];
    if (kt && !kt.collection) {
        // Ensure that the known tag is available for stringifying,
        // but does not get used by default.
        schema.tags.push(Object.assign({}, kt, { default: false, test: undefined }));
        return kt;
    }
    onError(tagToken, 'TAG_RESOLVE_FAILED', `Unresolved tag: ${tagName}`, tagName !== 'tag:yaml.org,2002:str');
    return schema[identity.SCALAR];
}
function findScalarTagByTest({ atKey, directives, schema }, value, token, onError) {
    const tag = schema.tags.find(tag => (tag.default === true || (atKey && tag.default === 'key')) &&
        tag.test?.test(value)) || schema[identity.SCALAR];
    if (schema.compat) {
        const compat = schema.compat.find(tag => tag.default && tag.test?.test(value)) ??
            schema[identity.SCALAR];
        if (tag.tag !== compat.tag) {
            const ts = directives.tagString(tag.tag);
            const cs = directives.tagString(compat.tag);
            const msg = `Value may be parsed as either ${ts} or ${cs}`;
            onError(token, 'TAG_RESOLVE_FAILED', msg, true);
        }
    }
    return tag;
}

exports.composeScalar = composeScalar;


/***/ }),

/***/ 9984:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var node_process = __nccwpck_require__(932);
var directives = __nccwpck_require__(1342);
var Document = __nccwpck_require__(3021);
var errors = __nccwpck_require__(1464);
var identity = __nccwpck_require__(1127);
var composeDoc = __nccwpck_require__(3683);
var resolveEnd = __nccwpck_require__(7788);

function getErrorPos(src) {
    if (typeof src === 'number')
        return [src, src + 1];
    if (Array.isArray(src))
        return src.length === 2 ? src : [src[0], src[1]];
    const { offset, source } = src;
    return [offset, offset + (typeof source === 'string' ? source.length : 1)];
}
function parsePrelude(prelude) {
    let comment = '';
    let atComment = false;
    let afterEmptyLine = false;
    for (let i = 0; i < prelude.length; ++i) {
        const source = prelude[i];
        switch (source[0]) {
            case '#':
                comment +=
                    (comment === '' ? '' : afterEmptyLine ? '\n\n' : '\n') +
                        (source.substring(1) || ' ');
                atComment = true;
                afterEmptyLine = false;
                break;
            case '%':
                if (prelude[i + 1]?.[0] !== '#')
                    i += 1;
                atComment = false;
                break;
            default:
                // This may be wrong after doc-end, but in that case it doesn't matter
                if (!atComment)
                    afterEmptyLine = true;
                atComment = false;
        }
    }
    return { comment, afterEmptyLine };
}
/**
 * Compose a stream of CST nodes into a stream of YAML Documents.
 *
 * ```ts
 * import { Composer, Parser } from 'yaml'
 *
 * const src: string = ...
 * const tokens = new Parser().parse(src)
 * const docs = new Composer().compose(tokens)
 * ```
 */
class Composer {
    constructor(options = {}) {
        this.doc = null;
        this.atDirectives = false;
        this.prelude = [];
        this.errors = [];
        this.warnings = [];
        this.onError = (source, code, message, warning) => {
            const pos = getErrorPos(source);
            if (warning)
                this.warnings.push(new errors.YAMLWarning(pos, code, message));
            else
                this.errors.push(new errors.YAMLParseError(pos, code, message));
        };
        // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing
        this.directives = new directives.Directives({ version: options.version || '1.2' });
        this.options = options;
    }
    decorate(doc, afterDoc) {
        const { comment, afterEmptyLine } = parsePrelude(this.prelude);
        //console.log({ dc: doc.comment, prelude, comment })
        if (comment) {
            const dc = doc.contents;
            if (afterDoc) {
                doc.comment = doc.comment ? `${doc.comment}\n${comment}` : comment;
            }
            else if (afterEmptyLine || doc.directives.docStart || !dc) {
                doc.commentBefore = comment;
            }
            else if (identity.isCollection(dc) && !dc.flow && dc.items.length > 0) {
                let it = dc.items[0];
                if (identity.isPair(it))
                    it = it.key;
                const cb = it.commentBefore;
                it.commentBefore = cb ? `${comment}\n${cb}` : comment;
            }
            else {
                const cb = dc.commentBefore;
                dc.commentBefore = cb ? `${comment}\n${cb}` : comment;
            }
        }
        if (afterDoc) {
            for (let i = 0; i < this.errors.length; ++i)
                doc.errors.push(this.errors[i]);
            for (let i = 0; i < this.warnings.length; ++i)
                doc.warnings.push(this.warnings[i]);
        }
        else {
            doc.errors = this.errors;
            doc.warnings = this.warnings;
        }
        this.prelude = [];
        this.errors = [];
        this.warnings = [];
    }
    /**
     * Current stream status information.
     *
     * Mostly useful at the end of input for an empty stream.
     */
    streamInfo() {
        return {
            comment: parsePrelude(this.prelude).comment,
            directives: this.directives,
            errors: this.errors,
            warnings: this.warnings
        };
    }
    /**
     * Compose tokens into documents.
     *
     * @param forceDoc - If the stream contains no document, still emit a final document including any comments and directives that would be applied to a subsequent document.
     * @param endOffset - Should be set if `forceDoc` is also set, to set the document range end and to indicate errors correctly.
     */
    *compose(tokens, forceDoc = false, endOffset = -1) {
        for (const token of tokens)
            yield* this.next(token);
        yield* this.end(forceDoc, endOffset);
    }
    /** Advance the composer by one CST token. */
    *next(token) {
        if (node_process.env.LOG_STREAM)
            console.dir(token, { depth: null });
        switch (token.type) {
            case 'directive':
                this.directives.add(token.source, (offset, message, warning) => {
                    const pos = getErrorPos(token);
                    pos[0] += offset;
                    this.onError(pos, 'BAD_DIRECTIVE', message, warning);
                });
                this.prelude.push(token.source);
                this.atDirectives = true;
                break;
            case 'document': {
                const doc = composeDoc.composeDoc(this.options, this.directives, token, this.onError);
                if (this.atDirectives && !doc.directives.docStart)
                    this.onError(token, 'MISSING_CHAR', 'Missing directives-end/doc-start indicator line');
                this.decorate(doc, false);
                if (this.doc)
                    yield this.doc;
                this.doc = doc;
                this.atDirectives = false;
                break;
            }
            case 'byte-order-mark':
            case 'space':
                break;
            case 'comment':
            case 'newline':
                this.prelude.push(token.source);
                break;
            case 'error': {
                const msg = token.source
                    ? `${token.message}: ${JSON.stringify(token.source)}`
                    : token.message;
                const error = new errors.YAMLParseError(getErrorPos(token), 'UNEXPECTED_TOKEN', msg);
                if (this.atDirectives || !this.doc)
                    this.errors.push(error);
                else
                    this.doc.errors.push(error);
                break;
            }
            case 'doc-end': {
                if (!this.doc) {
                    const msg = 'Unexpected doc-end without preceding document';
                    this.errors.push(new errors.YAMLParseError(getErrorPos(token), 'UNEXPECTED_TOKEN', msg));
                    break;
                }
                this.doc.directives.docEnd = true;
                const end = resolveEnd.resolveEnd(token.end, token.offset + token.source.length, this.doc.options.strict, this.onError);
                this.decorate(this.doc, true);
                if (end.comment) {
                    const dc = this.doc.comment;
                    this.doc.comment = dc ? `${dc}\n${end.comment}` : end.comment;
                }
                this.doc.range[2] = end.offset;
                break;
            }
            default:
                this.errors.push(new errors.YAMLParseError(getErrorPos(token), 'UNEXPECTED_TOKEN', `Unsupported token ${token.type}`));
        }
    }
    /**
     * Call at end of input to yield any remaining document.
     *
     * @param forceDoc - If the stream contains no document, still emit a final document including any comments and directives that would be applied to a subsequent document.
     * @param endOffset - Should be set if `forceDoc` is also set, to set the document range end and to indicate errors correctly.
     */
    *end(forceDoc = false, endOffset = -1) {
        if (this.doc) {
            this.decorate(this.doc, true);
            yield this.doc;
            this.doc = null;
        }
        else if (forceDoc) {
            const opts = Object.assign({ _directives: this.directives }, this.options);
            const doc = new Document.Document(undefined, opts);
            if (this.atDirectives)
                this.onError(endOffset, 'MISSING_CHAR', 'Missing directives-end indicator line');
            doc.range = [0, endOffset, endOffset];
            this.decorate(doc, false);
            yield doc;
        }
    }
}

exports.Composer = Composer;


/***/ }),

/***/ 7103:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var Pair = __nccwpck_require__(7165);
var YAMLMap = __nccwpck_require__(4454);
var resolveProps = __nccwpck_require__(4631);
var utilContainsNewline = __nccwpck_require__(9499);
var utilFlowIndentCheck = __nccwpck_require__(4051);
var utilMapIncludes = __nccwpck_require__(1187);

const startColMsg = 'All mapping items must start at the same column';
function resolveBlockMap({ composeNode, composeEmptyNode }, ctx, bm, onError, tag) {
    const NodeClass = tag?.nodeClass ?? YAMLMap.YAMLMap;
    const map = new NodeClass(ctx.schema);
    if (ctx.atRoot)
        ctx.atRoot = false;
    let offset = bm.offset;
    let commentEnd = null;
    for (const collItem of bm.items) {
        const { start, key, sep, value } = collItem;
        // key properties
        const keyProps = resolveProps.resolveProps(start, {
            indicator: 'explicit-key-ind',
            next: key ?? sep?.[0],
            offset,
            onError,
            parentIndent: bm.indent,
            startOnNewline: true
        });
        const implicitKey = !keyProps.found;
        if (implicitKey) {
            if (key) {
                if (key.type === 'block-seq')
                    onError(offset, 'BLOCK_AS_IMPLICIT_KEY', 'A block sequence may not be used as an implicit map key');
                else if ('indent' in key && key.indent !== bm.indent)
                    onError(offset, 'BAD_INDENT', startColMsg);
            }
            if (!keyProps.anchor && !keyProps.tag && !sep) {
                commentEnd = keyProps.end;
                if (keyProps.comment) {
                    if (map.comment)
                        map.comment += '\n' + keyProps.comment;
                    else
                        map.comment = keyProps.comment;
                }
                continue;
            }
            if (keyProps.newlineAfterProp || utilContainsNewline.containsNewline(key)) {
                onError(key ?? start[start.length - 1], 'MULTILINE_IMPLICIT_KEY', 'Implicit keys need to be on a single line');
            }
        }
        else if (keyProps.found?.indent !== bm.indent) {
            onError(offset, 'BAD_INDENT', startColMsg);
        }
        // key value
        ctx.atKey = true;
        const keyStart = keyProps.end;
        const keyNode = key
            ? composeNode(ctx, key, keyProps, onError)
            : composeEmptyNode(ctx, keyStart, start, null, keyProps, onError);
        if (ctx.schema.compat)
            utilFlowIndentCheck.flowIndentCheck(bm.indent, key, onError);
        ctx.atKey = false;
        if (utilMapIncludes.mapIncludes(ctx, map.items, keyNode))
            onError(keyStart, 'DUPLICATE_KEY', 'Map keys must be unique');
        // value properties
        const valueProps = resolveProps.resolveProps(sep ?? [], {
            indicator: 'map-value-ind',
            next: value,
            offset: keyNode.range[2],
            onError,
            parentIndent: bm.indent,
            startOnNewline: !key || key.type === 'block-scalar'
        });
        offset = valueProps.end;
        if (valueProps.found) {
            if (implicitKey) {
                if (value?.type === 'block-map' && !valueProps.hasNewline)
                    onError(offset, 'BLOCK_AS_IMPLICIT_KEY', 'Nested mappings are not allowed in compact mappings');
                if (ctx.options.strict &&
                    keyProps.start < valueProps.found.offset - 1024)
                    onError(keyNode.range, 'KEY_OVER_1024_CHARS', 'The : indicator must be at most 1024 chars after the start of an implicit block mapping key');
            }
            // value value
            const valueNode = value
                ? composeNode(ctx, value, valueProps, onError)
                : composeEmptyNode(ctx, offset, sep, null, valueProps, onError);
            if (ctx.schema.compat)
                utilFlowIndentCheck.flowIndentCheck(bm.indent, value, onError);
            offset = valueNode.range[2];
            const pair = new Pair.Pair(keyNode, valueNode);
            if (ctx.options.keepSourceTokens)
                pair.srcToken = collItem;
            map.items.push(pair);
        }
        else {
            // key with no value
            if (implicitKey)
                onError(keyNode.range, 'MISSING_CHAR', 'Implicit map keys need to be followed by map values');
            if (valueProps.comment) {
                if (keyNode.comment)
                    keyNode.comment += '\n' + valueProps.comment;
                else
                    keyNode.comment = valueProps.comment;
            }
            const pair = new Pair.Pair(keyNode);
            if (ctx.options.keepSourceTokens)
                pair.srcToken = collItem;
            map.items.push(pair);
        }
    }
    if (commentEnd && commentEnd < offset)
        onError(commentEnd, 'IMPOSSIBLE', 'Map comment with trailing content');
    map.range = [bm.offset, offset, commentEnd ?? offset];
    return map;
}

exports.resolveBlockMap = resolveBlockMap;


/***/ }),

/***/ 8913:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var Scalar = __nccwpck_require__(3301);

function resolveBlockScalar(ctx, scalar, onError) {
    const start = scalar.offset;
    const header = parseBlockScalarHeader(scalar, ctx.options.strict, onError);
    if (!header)
        return { value: '', type: null, comment: '', range: [start, start, start] };
    const type = header.mode === '>' ? Scalar.Scalar.BLOCK_FOLDED : Scalar.Scalar.BLOCK_LITERAL;
    const lines = scalar.source ? splitLines(scalar.source) : [];
    // determine the end of content & start of chomping
    let chompStart = lines.length;
    for (let i = lines.length - 1; i >= 0; --i) {
        const content = lines[i][1];
        if (content === '' || content === '\r')
            chompStart = i;
        else
            break;
    }
    // shortcut for empty contents
    if (chompStart === 0) {
        const value = header.chomp === '+' && lines.length > 0
            ? '\n'.repeat(Math.max(1, lines.length - 1))
            : '';
        let end = start + header.length;
        if (scalar.source)
            end += scalar.source.length;
        return { value, type, comment: header.comment, range: [start, end, end] };
    }
    // find the indentation level to trim from start
    let trimIndent = scalar.indent + header.indent;
    let offset = scalar.offset + header.length;
    let contentStart = 0;
    for (let i = 0; i < chompStart; ++i) {
        const [indent, content] = lines[i];
        if (content === '' || content === '\r') {
            if (header.indent === 0 && indent.length > trimIndent)
                trimIndent = indent.length;
        }
        else {
            if (indent.length < trimIndent) {
                const message = 'Block scalars with more-indented leading empty lines must use an explicit indentation indicator';
                onError(offset + indent.length, 'MISSING_CHAR', message);
            }
            if (header.indent === 0)
                trimIndent = indent.length;
            contentStart = i;
            if (trimIndent === 0 && !ctx.atRoot) {
                const message = 'Block scalar values in collections must be indented';
                onError(offset, 'BAD_INDENT', message);
            }
            break;
        }
        offset += indent.length + content.length + 1;
    }
    // include trailing more-indented empty lines in content
    for (let i = lines.length - 1; i >= chompStart; --i) {
        if (lines[i][0].length > trimIndent)
            chompStart = i + 1;
    }
    let value = '';
    let sep = '';
    let prevMoreIndented = false;
    // leading whitespace is kept intact
    for (let i = 0; i < contentStart; ++i)
        value += lines[i][0].slice(trimIndent) + '\n';
    for (let i = contentStart; i < chompStart; ++i) {
        let [indent, content] = lines[i];
        offset += indent.length + content.length + 1;
        const crlf = content[content.length - 1] === '\r';
        if (crlf)
            content = content.slice(0, -1);
        /* istanbul ignore if already caught in lexer */
        if (content && indent.length < trimIndent) {
            const src = header.indent
                ? 'explicit indentation indicator'
                : 'first line';
            const message = `Block scalar lines must not be less indented than their ${src}`;
            onError(offset - content.length - (crlf ? 2 : 1), 'BAD_INDENT', message);
            indent = '';
        }
        if (type === Scalar.Scalar.BLOCK_LITERAL) {
            value += sep + indent.slice(trimIndent) + content;
            sep = '\n';
        }
        else if (indent.length > trimIndent || content[0] === '\t') {
            // more-indented content within a folded block
            if (sep === ' ')
                sep = '\n';
            else if (!prevMoreIndented && sep === '\n')
                sep = '\n\n';
            value += sep + indent.slice(trimIndent) + content;
            sep = '\n';
            prevMoreIndented = true;
        }
        else if (content === '') {
            // empty line
            if (sep === '\n')
                value += '\n';
            else
                sep = '\n';
        }
        else {
            value += sep + content;
            sep = ' ';
            prevMoreIndented = false;
        }
    }
    switch (header.chomp) {
        case '-':
            break;
        case '+':
            for (let i = chompStart; i < lines.length; ++i)
                value += '\n' + lines[i][0].slice(trimIndent);
            if (value[value.length - 1] !== '\n')
                value += '\n';
            break;
        default:
            value += '\n';
    }
    const end = start + header.length + scalar.source.length;
    return { value, type, comment: header.comment, range: [start, end, end] };
}
function parseBlockScalarHeader({ offset, props }, strict, onError) {
    /* istanbul ignore if should not happen */
    if (props[0].type !== 'block-scalar-header') {
        onError(props[0], 'IMPOSSIBLE', 'Block scalar header not found');
        return null;
    }
    const { source } = props[0];
    const mode = source[0];
    let indent = 0;
    let chomp = '';
    let error = -1;
    for (let i = 1; i < source.length; ++i) {
        const ch = source[i];
        if (!chomp && (ch === '-' || ch === '+'))
            chomp = ch;
        else {
            const n = Number(ch);
            if (!indent && n)
                indent = n;
            else if (error === -1)
                error = offset + i;
        }
    }
    if (error !== -1)
        onError(error, 'UNEXPECTED_TOKEN', `Block scalar header includes extra characters: ${source}`);
    let hasSpace = false;
    let comment = '';
    let length = source.length;
    for (let i = 1; i < props.length; ++i) {
        const token = props[i];
        switch (token.type) {
            case 'space':
                hasSpace = true;
            // fallthrough
            case 'newline':
                length += token.source.length;
                break;
            case 'comment':
                if (strict && !hasSpace) {
                    const message = 'Comments must be separated from other tokens by white space characters';
                    onError(token, 'MISSING_CHAR', message);
                }
                length += token.source.length;
                comment = token.source.substring(1);
                break;
            case 'error':
                onError(token, 'UNEXPECTED_TOKEN', token.message);
                length += token.source.length;
                break;
            /* istanbul ignore next should not happen */
            default: {
                const message = `Unexpected token in block scalar header: ${token.type}`;
                onError(token, 'UNEXPECTED_TOKEN', message);
                const ts = token.source;
                if (ts && typeof ts === 'string')
                    length += ts.length;
            }
        }
    }
    return { mode, indent, chomp, comment, length };
}
/** @returns Array of lines split up as `[indent, content]` */
function splitLines(source) {
    const split = source.split(/\n( *)/);
    const first = split[0];
    const m = first.match(/^( *)/);
    const line0 = m?.[1]
        ? [m[1], first.slice(m[1].length)]
        : ['', first];
    const lines = [line0];
    for (let i = 1; i < split.length; i += 2)
        lines.push([split[i], split[i + 1]]);
    return lines;
}

exports.resolveBlockScalar = resolveBlockScalar;


/***/ }),

/***/ 334:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var YAMLSeq = __nccwpck_require__(2223);
var resolveProps = __nccwpck_require__(4631);
var utilFlowIndentCheck = __nccwpck_require__(4051);

function resolveBlockSeq({ composeNode, composeEmptyNode }, ctx, bs, onError, tag) {
    const NodeClass = tag?.nodeClass ?? YAMLSeq.YAMLSeq;
    const seq = new NodeClass(ctx.schema);
    if (ctx.atRoot)
        ctx.atRoot = false;
    if (ctx.atKey)
        ctx.atKey = false;
    let offset = bs.offset;
    let commentEnd = null;
    for (const { start, value } of bs.items) {
        const props = resolveProps.resolveProps(start, {
            indicator: 'seq-item-ind',
            next: value,
            offset,
            onError,
            parentIndent: bs.indent,
            startOnNewline: true
        });
        if (!props.found) {
            if (props.anchor || props.tag || value) {
                if (value?.type === 'block-seq')
                    onError(props.end, 'BAD_INDENT', 'All sequence items must start at the same column');
                else
                    onError(offset, 'MISSING_CHAR', 'Sequence item without - indicator');
            }
            else {
                commentEnd = props.end;
                if (props.comment)
                    seq.comment = props.comment;
                continue;
            }
        }
        const node = value
            ? composeNode(ctx, value, props, onError)
            : composeEmptyNode(ctx, props.end, start, null, props, onError);
        if (ctx.schema.compat)
            utilFlowIndentCheck.flowIndentCheck(bs.indent, value, onError);
        offset = node.range[2];
        seq.items.push(node);
    }
    seq.range = [bs.offset, offset, commentEnd ?? offset];
    return seq;
}

exports.resolveBlockSeq = resolveBlockSeq;


/***/ }),

/***/ 7788:
/***/ ((__unused_webpack_module, exports) => {



function resolveEnd(end, offset, reqSpace, onError) {
    let comment = '';
    if (end) {
        let hasSpace = false;
        let sep = '';
        for (const token of end) {
            const { source, type } = token;
            switch (type) {
                case 'space':
                    hasSpace = true;
                    break;
                case 'comment': {
                    if (reqSpace && !hasSpace)
                        onError(token, 'MISSING_CHAR', 'Comments must be separated from other tokens by white space characters');
                    const cb = source.substring(1) || ' ';
                    if (!comment)
                        comment = cb;
                    else
                        comment += sep + cb;
                    sep = '';
                    break;
                }
                case 'newline':
                    if (comment)
                        sep += source;
                    hasSpace = true;
                    break;
                default:
                    onError(token, 'UNEXPECTED_TOKEN', `Unexpected ${type} at node end`);
            }
            offset += source.length;
        }
    }
    return { comment, offset };
}

exports.resolveEnd = resolveEnd;


/***/ }),

/***/ 3142:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var Pair = __nccwpck_require__(7165);
var YAMLMap = __nccwpck_require__(4454);
var YAMLSeq = __nccwpck_require__(2223);
var resolveEnd = __nccwpck_require__(7788);
var resolveProps = __nccwpck_require__(4631);
var utilContainsNewline = __nccwpck_require__(9499);
var utilMapIncludes = __nccwpck_require__(1187);

const blockMsg = 'Block collections are not allowed within flow collections';
const isBlock = (token) => token && (token.type === 'block-map' || token.type === 'block-seq');
function resolveFlowCollection({ composeNode, composeEmptyNode }, ctx, fc, onError, tag) {
    const isMap = fc.start.source === '{';
    const fcName = isMap ? 'flow map' : 'flow sequence';
    const NodeClass = (tag?.nodeClass ?? (isMap ? YAMLMap.YAMLMap : YAMLSeq.YAMLSeq));
    const coll = new NodeClass(ctx.schema);
    coll.flow = true;
    const atRoot = ctx.atRoot;
    if (atRoot)
        ctx.atRoot = false;
    if (ctx.atKey)
        ctx.atKey = false;
    let offset = fc.offset + fc.start.source.length;
    for (let i = 0; i < fc.items.length; ++i) {
        const collItem = fc.items[i];
        const { start, key, sep, value } = collItem;
        const props = resolveProps.resolveProps(start, {
            flow: fcName,
            indicator: 'explicit-key-ind',
            next: key ?? sep?.[0],
            offset,
            onError,
            parentIndent: fc.indent,
            startOnNewline: false
        });
        if (!props.found) {
            if (!props.anchor && !props.tag && !sep && !value) {
                if (i === 0 && props.comma)
                    onError(props.comma, 'UNEXPECTED_TOKEN', `Unexpected , in ${fcName}`);
                else if (i < fc.items.length - 1)
                    onError(props.start, 'UNEXPECTED_TOKEN', `Unexpected empty item in ${fcName}`);
                if (props.comment) {
                    if (coll.comment)
                        coll.comment += '\n' + props.comment;
                    else
                        coll.comment = props.comment;
                }
                offset = props.end;
                continue;
            }
            if (!isMap && ctx.options.strict && utilContainsNewline.containsNewline(key))
                onError(key, // checked by containsNewline()
                'MULTILINE_IMPLICIT_KEY', 'Implicit keys of flow sequence pairs need to be on a single line');
        }
        if (i === 0) {
            if (props.comma)
                onError(props.comma, 'UNEXPECTED_TOKEN', `Unexpected , in ${fcName}`);
        }
        else {
            if (!props.comma)
                onError(props.start, 'MISSING_CHAR', `Missing , between ${fcName} items`);
            if (props.comment) {
                let prevItemComment = '';
                loop: for (const st of start) {
                    switch (st.type) {
                        case 'comma':
                        case 'space':
                            break;
                        case 'comment':
                            prevItemComment = st.source.substring(1);
                            break loop;
                        default:
                            break loop;
                    }
                }
                if (prevItemComment) {
                    let prev = coll.items[coll.items.length - 1];
                    if (identity.isPair(prev))
                        prev = prev.value ?? prev.key;
                    if (prev.comment)
                        prev.comment += '\n' + prevItemComment;
                    else
                        prev.comment = prevItemComment;
                    props.comment = props.comment.substring(prevItemComment.length + 1);
                }
            }
        }
        if (!isMap && !sep && !props.found) {
            // item is a value in a seq
            // \u2192 key & sep are empty, start does not include ? or :
            const valueNode = value
                ? composeNode(ctx, value, props, onError)
                : composeEmptyNode(ctx, props.end, sep, null, props, onError);
            coll.items.push(valueNode);
            offset = valueNode.range[2];
            if (isBlock(value))
                onError(valueNode.range, 'BLOCK_IN_FLOW', blockMsg);
        }
        else {
            // item is a key+value pair
            // key value
            ctx.atKey = true;
            const keyStart = props.end;
            const keyNode = key
                ? composeNode(ctx, key, props, onError)
                : composeEmptyNode(ctx, keyStart, start, null, props, onError);
            if (isBlock(key))
                onError(keyNode.range, 'BLOCK_IN_FLOW', blockMsg);
            ctx.atKey = false;
            // value properties
            const valueProps = resolveProps.resolveProps(sep ?? [], {
                flow: fcName,
                indicator: 'map-value-ind',
                next: value,
                offset: keyNode.range[2],
                onError,
                parentIndent: fc.indent,
                startOnNewline: false
            });
            if (valueProps.found) {
                if (!isMap && !props.found && ctx.options.strict) {
                    if (sep)
                        for (const st of sep) {
                            if (st === valueProps.found)
                                break;
                            if (st.type === 'newline') {
                                onError(st, 'MULTILINE_IMPLICIT_KEY', 'Implicit keys of flow sequence pairs need to be on a single line');
                                break;
                            }
                        }
                    if (props.start < valueProps.found.offset - 1024)
                        onError(valueProps.found, 'KEY_OVER_1024_CHARS', 'The : indicator must be at most 1024 chars after the start of an implicit flow sequence key');
                }
            }
            else if (value) {
                if ('source' in value && value.source?.[0] === ':')
                    onError(value, 'MISSING_CHAR', `Missing space after : in ${fcName}`);
                else
                    onError(valueProps.start, 'MISSING_CHAR', `Missing , or : between ${fcName} items`);
            }
            // value value
            const valueNode = value
                ? composeNode(ctx, value, valueProps, onError)
                : valueProps.found
                    ? composeEmptyNode(ctx, valueProps.end, sep, null, valueProps, onError)
                    : null;
            if (valueNode) {
                if (isBlock(value))
                    onError(valueNode.range, 'BLOCK_IN_FLOW', blockMsg);
            }
            else if (valueProps.comment) {
                if (keyNode.comment)
                    keyNode.comment += '\n' + valueProps.comment;
                else
                    keyNode.comment = valueProps.comment;
            }
            const pair = new Pair.Pair(keyNode, valueNode);
            if (ctx.options.keepSourceTokens)
                pair.srcToken = collItem;
            if (isMap) {
                const map = coll;
                if (utilMapIncludes.mapIncludes(ctx, map.items, keyNode))
                    onError(keyStart, 'DUPLICATE_KEY', 'Map keys must be unique');
                map.items.push(pair);
            }
            else {
                const map = new YAMLMap.YAMLMap(ctx.schema);
                map.flow = true;
                map.items.push(pair);
                const endRange = (valueNode ?? keyNode).range;
                map.range = [keyNode.range[0], endRange[1], endRange[2]];
                coll.items.push(map);
            }
            offset = valueNode ? valueNode.range[2] : valueProps.end;
        }
    }
    const expectedEnd = isMap ? '}' : ']';
    const [ce, ...ee] = fc.end;
    let cePos = offset;
    if (ce?.source === expectedEnd)
        cePos = ce.offset + ce.source.length;
    else {
        const name = fcName[0].toUpperCase() + fcName.substring(1);
        const msg = atRoot
            ? `${name} must end with a ${expectedEnd}`
            : `${name} in block collection must be sufficiently indented and end with a ${expectedEnd}`;
        onError(offset, atRoot ? 'MISSING_CHAR' : 'BAD_INDENT', msg);
        if (ce && ce.source.length !== 1)
            ee.unshift(ce);
    }
    if (ee.length > 0) {
        const end = resolveEnd.resolveEnd(ee, cePos, ctx.options.strict, onError);
        if (end.comment) {
            if (coll.comment)
                coll.comment += '\n' + end.comment;
            else
                coll.comment = end.comment;
        }
        coll.range = [fc.offset, cePos, end.offset];
    }
    else {
        coll.range = [fc.offset, cePos, cePos];
    }
    return coll;
}

exports.resolveFlowCollection = resolveFlowCollection;


/***/ }),

/***/ 6842:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var Scalar = __nccwpck_require__(3301);
var resolveEnd = __nccwpck_require__(7788);

function resolveFlowScalar(scalar, strict, onError) {
    const { offset, type, source, end } = scalar;
    let _type;
    let value;
    const _onError = (rel, code, msg) => onError(offset + rel, code, msg);
    switch (type) {
        case 'scalar':
            _type = Scalar.Scalar.PLAIN;
            value = plainValue(source, _onError);
            break;
        case 'single-quoted-scalar':
            _type = Scalar.Scalar.QUOTE_SINGLE;
            value = singleQuotedValue(source, _onError);
            break;
        case 'double-quoted-scalar':
            _type = Scalar.Scalar.QUOTE_DOUBLE;
            value = doubleQuotedValue(source, _onError);
            break;
        /* istanbul ignore next should not happen */
        default:
            onError(scalar, 'UNEXPECTED_TOKEN', `Expected a flow scalar value, but found: ${type}`);
            return {
                value: '',
                type: null,
                comment: '',
                range: [offset, offset + source.length, offset + source.length]
            };
    }
    const valueEnd = offset + source.length;
    const re = resolveEnd.resolveEnd(end, valueEnd, strict, onError);
    return {
        value,
        type: _type,
        comment: re.comment,
        range: [offset, valueEnd, re.offset]
    };
}
function plainValue(source, onError) {
    let badChar = '';
    switch (source[0]) {
        /* istanbul ignore next should not happen */
        case '\t':
            badChar = 'a tab character';
            break;
        case ',':
            badChar = 'flow indicator character ,';
            break;
        case '%':
            badChar = 'directive indicator character %';
            break;
        case '|':
        case '>': {
            badChar = `block scalar indicator ${source[0]}`;
            break;
        }
        case '@':
        case '`': {
            badChar = `reserved character ${source[0]}`;
            break;
        }
    }
    if (badChar)
        onError(0, 'BAD_SCALAR_START', `Plain value cannot start with ${badChar}`);
    return unfoldLines(source);
}
function singleQuotedValue(source, onError) {
    if (source[source.length - 1] !== "'" || source.length === 1)
        onError(source.length, 'MISSING_CHAR', "Missing closing 'quote");
    return unfoldLines(source.slice(1, -1)).replace(/''/g, "'");
}
function unfoldLines(source) {
    const line = /(.*?)\r?\n/sy;
    let match = line.exec(source);
    if (!match)
        return source;
    /**
     * The negative lookbehinds in these RegExps are to
     * prevent causing a polynomial search time in certain cases.
     *
     * The try-catch is for Safari < 16.4 and other old browsers:
     * https://caniuse.com/js-regexp-lookbehind
     */
    let trimEnd, trimBoth;
    try {
        trimEnd = new RegExp('(?<![ \t])[ \t]+$');
        trimBoth = new RegExp('^[ \t]+|(?<![ \t])[ \t]+$', 'g');
    }
    catch {
        trimEnd = /[ \t]+$/;
        trimBoth = /^[ \t]+|[ \t]+$/g;
    }
    let res = match[1].replace(trimEnd, '');
    let sep = ' ';
    let pos = line.lastIndex;
    while ((match = line.exec(source))) {
        const lm = match[1].replace(trimBoth, '');
        if (lm === '') {
            if (sep === '\n')
                res += sep;
            else
                sep = '\n';
        }
        else {
            res += sep + lm;
            sep = ' ';
        }
        pos = line.lastIndex;
    }
    const last = /[ \t]*(.*)/sy;
    last.lastIndex = pos;
    match = last.exec(source);
    return res + sep + (match?.[1] ?? '');
}
function doubleQuotedValue(source, onError) {
    let res = '';
    for (let i = 1; i < source.length - 1; ++i) {
        const ch = source[i];
        if (ch === '\r' && source[i + 1] === '\n')
            continue;
        if (ch === '\n') {
            const { fold, offset } = foldNewline(source, i);
            res += fold;
            i = offset;
        }
        else if (ch === '\\') {
            let next = source[++i];
            const cc = escapeCodes[next];
            if (cc)
                res += cc;
            else if (next === '\n') {
                // skip escaped newlines, but still trim the following line
                next = source[i + 1];
                while (next === ' ' || next === '\t')
                    next = source[++i + 1];
            }
            else if (next === '\r' && source[i + 1] === '\n') {
                // skip escaped CRLF newlines, but still trim the following line
                next = source[++i + 1];
                while (next === ' ' || next === '\t')
                    next = source[++i + 1];
            }
            else if (next === 'x' || next === 'u' || next === 'U') {
                const length = next === 'x' ? 2 : next === 'u' ? 4 : 8;
                res += parseCharCode(source, i + 1, length, onError);
                i += length;
            }
            else {
                const raw = source.substr(i - 1, 2);
                onError(i - 1, 'BAD_DQ_ESCAPE', `Invalid escape sequence ${raw}`);
                res += raw;
            }
        }
        else if (ch === ' ' || ch === '\t') {
            // trim trailing whitespace
            const wsStart = i;
            let next = source[i + 1];
            while (next === ' ' || next === '\t')
                next = source[++i + 1];
            if (next !== '\n' && !(next === '\r' && source[i + 2] === '\n'))
                res += i > wsStart ? source.slice(wsStart, i + 1) : ch;
        }
        else {
            res += ch;
        }
    }
    if (source[source.length - 1] !== '"' || source.length === 1)
        onError(source.length, 'MISSING_CHAR', 'Missing closing "quote');
    return res;
}
/**
 * Fold a single newline into a space, multiple newlines to N - 1 newlines.
 * Presumes `source[offset] === '\n'`
 */
function foldNewline(source, offset) {
    let fold = '';
    let ch = source[offset + 1];
    while (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
        if (ch === '\r' && source[offset + 2] !== '\n')
            break;
        if (ch === '\n')
            fold += '\n';
        offset += 1;
        ch = source[offset + 1];
    }
    if (!fold)
        fold = ' ';
    return { fold, offset };
}
const escapeCodes = {
    '0': '\0', // null character
    a: '\x07', // bell character
    b: '\b', // backspace
    e: '\x1b', // escape character
    f: '\f', // form feed
    n: '\n', // line feed
    r: '\r', // carriage return
    t: '\t', // horizontal tab
    v: '\v', // vertical tab
    N: '\u0085', // Unicode next line
    _: '\u00a0', // Unicode non-breaking space
    L: '\u2028', // Unicode line separator
    P: '\u2029', // Unicode paragraph separator
    ' ': ' ',
    '"': '"',
    '/': '/',
    '\\': '\\',
    '\t': '\t'
};
function parseCharCode(source, offset, length, onError) {
    const cc = source.substr(offset, length);
    const ok = cc.length === length && /^[0-9a-fA-F]+$/.test(cc);
    const code = ok ? parseInt(cc, 16) : NaN;
    try {
        return String.fromCodePoint(code);
    }
    catch {
        const raw = source.substr(offset - 2, length + 2);
        onError(offset - 2, 'BAD_DQ_ESCAPE', `Invalid escape sequence ${raw}`);
        return raw;
    }
}

exports.resolveFlowScalar = resolveFlowScalar;


/***/ }),

/***/ 4631:
/***/ ((__unused_webpack_module, exports) => {



function resolveProps(tokens, { flow, indicator, next, offset, onError, parentIndent, startOnNewline }) {
    let spaceBefore = false;
    let atNewline = startOnNewline;
    let hasSpace = startOnNewline;
    let comment = '';
    let commentSep = '';
    let hasNewline = false;
    let reqSpace = false;
    let tab = null;
    let anchor = null;
    let tag = null;
    let newlineAfterProp = null;
    let comma = null;
    let found = null;
    let start = null;
    for (const token of tokens) {
        if (reqSpace) {
            if (token.type !== 'space' &&
                token.type !== 'newline' &&
                token.type !== 'comma')
                onError(token.offset, 'MISSING_CHAR', 'Tags and anchors must be separated from the next token by white space');
            reqSpace = false;
        }
        if (tab) {
            if (atNewline && token.type !== 'comment' && token.type !== 'newline') {
                onError(tab, 'TAB_AS_INDENT', 'Tabs are not allowed as indentation');
            }
            tab = null;
        }
        switch (token.type) {
            case 'space':
                // At the doc level, tabs at line start may be parsed
                // as leading white space rather than indentation.
                // In a flow collection, only the parser handles indent.
                if (!flow &&
                    (indicator !== 'doc-start' || next?.type !== 'flow-collection') &&
                    token.source.includes('\t')) {
                    tab = token;
                }
                hasSpace = true;
                break;
            case 'comment': {
                if (!hasSpace)
                    onError(token, 'MISSING_CHAR', 'Comments must be separated from other tokens by white space characters');
                const cb = token.source.substring(1) || ' ';
                if (!comment)
                    comment = cb;
                else
                    comment += commentSep + cb;
                commentSep = '';
                atNewline = false;
                break;
            }
            case 'newline':
                if (atNewline) {
                    if (comment)
                        comment += token.source;
                    else if (!found || indicator !== 'seq-item-ind')
                        spaceBefore = true;
                }
                else
                    commentSep += token.source;
                atNewline = true;
                hasNewline = true;
                if (anchor || tag)
                    newlineAfterProp = token;
                hasSpace = true;
                break;
            case 'anchor':
                if (anchor)
                    onError(token, 'MULTIPLE_ANCHORS', 'A node can have at most one anchor');
                if (token.source.endsWith(':'))
                    onError(token.offset + token.source.length - 1, 'BAD_ALIAS', 'Anchor ending in : is ambiguous', true);
                anchor = token;
                start ?? (start = token.offset);
                atNewline = false;
                hasSpace = false;
                reqSpace = true;
                break;
            case 'tag': {
                if (tag)
                    onError(token, 'MULTIPLE_TAGS', 'A node can have at most one tag');
                tag = token;
                start ?? (start = token.offset);
                atNewline = false;
                hasSpace = false;
                reqSpace = true;
                break;
            }
            case indicator:
                // Could here handle preceding comments differently
                if (anchor || tag)
                    onError(token, 'BAD_PROP_ORDER', `Anchors and tags must be after the ${token.source} indicator`);
                if (found)
                    onError(token, 'UNEXPECTED_TOKEN', `Unexpected ${token.source} in ${flow ?? 'collection'}`);
                found = token;
                atNewline =
                    indicator === 'seq-item-ind' || indicator === 'explicit-key-ind';
                hasSpace = false;
                break;
            case 'comma':
                if (flow) {
                    if (comma)
                        onError(token, 'UNEXPECTED_TOKEN', `Unexpected , in ${flow}`);
                    comma = token;
                    atNewline = false;
                    hasSpace = false;
                    break;
                }
            // else fallthrough
            default:
                onError(token, 'UNEXPECTED_TOKEN', `Unexpected ${token.type} token`);
                atNewline = false;
                hasSpace = false;
        }
    }
    const last = tokens[tokens.length - 1];
    const end = last ? last.offset + last.source.length : offset;
    if (reqSpace &&
        next &&
        next.type !== 'space' &&
        next.type !== 'newline' &&
        next.type !== 'comma' &&
        (next.type !== 'scalar' || next.source !== '')) {
        onError(next.offset, 'MISSING_CHAR', 'Tags and anchors must be separated from the next token by white space');
    }
    if (tab &&
        ((atNewline && tab.indent <= parentIndent) ||
            next?.type === 'block-map' ||
            next?.type === 'block-seq'))
        onError(tab, 'TAB_AS_INDENT', 'Tabs are not allowed as indentation');
    return {
        comma,
        found,
        spaceBefore,
        comment,
        hasNewline,
        anchor,
        tag,
        newlineAfterProp,
        end,
        start: start ?? end
    };
}

exports.resolveProps = resolveProps;


/***/ }),

/***/ 9499:
/***/ ((__unused_webpack_module, exports) => {



function containsNewline(key) {
    if (!key)
        return null;
    switch (key.type) {
        case 'alias':
        case 'scalar':
        case 'double-quoted-scalar':
        case 'single-quoted-scalar':
            if (key.source.includes('\n'))
                return true;
            if (key.end)
                for (const st of key.end)
                    if (st.type === 'newline')
                        return true;
            return false;
        case 'flow-collection':
            for (const it of key.items) {
                for (const st of it.start)
                    if (st.type === 'newline')
                        return true;
                if (it.sep)
                    for (const st of it.sep)
                        if (st.type === 'newline')
                            return true;
                if (containsNewline(it.key) || containsNewline(it.value))
                    return true;
            }
            return false;
        default:
            return true;
    }
}

exports.containsNewline = containsNewline;


/***/ }),

/***/ 2599:
/***/ ((__unused_webpack_module, exports) => {



function emptyScalarPosition(offset, before, pos) {
    if (before) {
        pos ?? (pos = before.length);
        for (let i = pos - 1; i >= 0; --i) {
            let st = before[i];
            switch (st.type) {
                case 'space':
                case 'comment':
                case 'newline':
                    offset -= st.source.length;
                    continue;
            }
            // Technically, an empty scalar is immediately after the last non-empty
            // node, but it's more useful to place it after any whitespace.
            st = before[++i];
            while (st?.type === 'space') {
                offset += st.source.length;
                st = before[++i];
            }
            break;
        }
    }
    return offset;
}

exports.emptyScalarPosition = emptyScalarPosition;


/***/ }),

/***/ 4051:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var utilContainsNewline = __nccwpck_require__(9499);

function flowIndentCheck(indent, fc, onError) {
    if (fc?.type === 'flow-collection') {
        const end = fc.end[0];
        if (end.indent === indent &&
            (end.source === ']' || end.source === '}') &&
            utilContainsNewline.containsNewline(fc)) {
            const msg = 'Flow end indicator should be more indented than parent';
            onError(end, 'BAD_INDENT', msg, true);
        }
    }
}

exports.flowIndentCheck = flowIndentCheck;


/***/ }),

/***/ 1187:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);

function mapIncludes(ctx, items, search) {
    const { uniqueKeys } = ctx.options;
    if (uniqueKeys === false)
        return false;
    const isEqual = typeof uniqueKeys === 'function'
        ? uniqueKeys
        : (a, b) => a === b || (identity.isScalar(a) && identity.isScalar(b) && a.value === b.value);
    return items.some(pair => isEqual(pair.key, search));
}

exports.mapIncludes = mapIncludes;


/***/ }),

/***/ 3021:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var Alias = __nccwpck_require__(4065);
var Collection = __nccwpck_require__(101);
var identity = __nccwpck_require__(1127);
var Pair = __nccwpck_require__(7165);
var toJS = __nccwpck_require__(4043);
var Schema = __nccwpck_require__(5840);
var stringifyDocument = __nccwpck_require__(6829);
var anchors = __nccwpck_require__(1596);
var applyReviver = __nccwpck_require__(3661);
var createNode = __nccwpck_require__(2404);
var directives = __nccwpck_require__(1342);

class Document {
    constructor(value, replacer, options) {
        /** A comment before this Document */
        this.commentBefore = null;
        /** A comment immediately after this Document */
        this.comment = null;
        /** Errors encountered during parsing. */
        this.errors = [];
        /** Warnings encountered during parsing. */
        this.warnings = [];
        Object.defineProperty(this, identity.NODE_TYPE, { value: identity.DOC });
        let _replacer = null;
        if (typeof replacer === 'function' || Array.isArray(replacer)) {
            _replacer = replacer;
        }
        else if (options === undefined && replacer) {
            options = replacer;
            replacer = undefined;
        }
        const opt = Object.assign({
            intAsBigInt: false,
            keepSourceTokens: false,
            logLevel: 'warn',
            prettyErrors: true,
            strict: true,
            stringKeys: false,
            uniqueKeys: true,
            version: '1.2'
        }, options);
        this.options = opt;
        let { version } = opt;
        if (options?._directives) {
            this.directives = options._directives.atDocument();
            if (this.directives.yaml.explicit)
                version = this.directives.yaml.version;
        }
        else
            this.directives = new directives.Directives({ version });
        this.setSchema(version, options);
        // @ts-expect-error We can't really know that this matches Contents.
        this.contents =
            value === undefined ? null : this.createNode(value, _replacer, options);
    }
    /**
     * Create a deep copy of this Document and its contents.
     *
     * Custom Node values that inherit from `Object` still refer to their original instances.
     */
    clone() {
        const copy = Object.create(Document.prototype, {
            [identity.NODE_TYPE]: { value: identity.DOC }
        });
        copy.commentBefore = this.commentBefore;
        copy.comment = this.comment;
        copy.errors = this.errors.slice();
        copy.warnings = this.warnings.slice();
        copy.options = Object.assign({}, this.options);
        if (this.directives)
            copy.directives = this.directives.clone();
        copy.schema = this.schema.clone();
        // @ts-expect-error We can't really know that this matches Contents.
        copy.contents = identity.isNode(this.contents)
            ? this.contents.clone(copy.schema)
            : this.contents;
        if (this.range)
            copy.range = this.range.slice();
        return copy;
    }
    /** Adds a value to the document. */
    add(value) {
        if (assertCollection(this.contents))
            this.contents.add(value);
    }
    /** Adds a value to the document. */
    addIn(path, value) {
        if (assertCollection(this.contents))
            this.contents.addIn(path, value);
    }
    /**
     * Create a new `Alias` node, ensuring that the target `node` has the required anchor.
     *
     * If `node` already has an anchor, `name` is ignored.
     * Otherwise, the `node.anchor` value will be set to `name`,
     * or if an anchor with that name is already present in the document,
     * `name` will be used as a prefix for a new unique anchor.
     * If `name` is undefined, the generated anchor will use 'a' as a prefix.
     */
    createAlias(node, name) {
        if (!node.anchor) {
            const prev = anchors.anchorNames(this);
            node.anchor =
                // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing
                !name || prev.has(name) ? anchors.findNewAnchor(name || 'a', prev) : name;
        }
        return new Alias.Alias(node.anchor);
    }
    createNode(value, replacer, options) {
        let _replacer = undefined;
        if (typeof replacer === 'function') {
            value = replacer.call({ '': value }, '', value);
            _replacer = replacer;
        }
        else if (Array.isArray(replacer)) {
            const keyToStr = (v) => typeof v === 'number' || v instanceof String || v instanceof Number;
            const asStr = replacer.filter(keyToStr).map(String);
            if (asStr.length > 0)
                replacer = replacer.concat(asStr);
            _replacer = replacer;
        }
        else if (options === undefined && replacer) {
            options = replacer;
            replacer = undefined;
        }
        const { aliasDuplicateObjects, anchorPrefix, flow, keepUndefined, onTagObj, tag } = options ?? {};
        const { onAnchor, setAnchors, sourceObjects } = anchors.createNodeAnchors(this, 
        // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing
        anchorPrefix || 'a');
        const ctx = {
            aliasDuplicateObjects: aliasDuplicateObjects ?? true,
            keepUndefined: keepUndefined ?? false,
            onAnchor,
            onTagObj,
            replacer: _replacer,
            schema: this.schema,
            sourceObjects
        };
        const node = createNode.createNode(value, tag, ctx);
        if (flow && identity.isCollection(node))
            node.flow = true;
        setAnchors();
        return node;
    }
    /**
     * Convert a key and a value into a `Pair` using the current schema,
     * recursively wrapping all values as `Scalar` or `Collection` nodes.
     */
    createPair(key, value, options = {}) {
        const k = this.createNode(key, null, options);
        const v = this.createNode(value, null, options);
        return new Pair.Pair(k, v);
    }
    /**
     * Removes a value from the document.
     * @returns `true` if the item was found and removed.
     */
    delete(key) {
        return assertCollection(this.contents) ? this.contents.delete(key) : false;
    }
    /**
     * Removes a value from the document.
     * @returns `true` if the item was found and removed.
     */
    deleteIn(path) {
        if (Collection.isEmptyPath(path)) {
            if (this.contents == null)
                return false;
            // @ts-expect-error Presumed impossible if Strict extends false
            this.contents = null;
            return true;
        }
        return assertCollection(this.contents)
            ? this.contents.deleteIn(path)
            : false;
    }
    /**
     * Returns item at `key`, or `undefined` if not found. By default unwraps
     * scalar values from their surrounding node; to disable set `keepScalar` to
     * `true` (collections are always returned intact).
     */
    get(key, keepScalar) {
        return identity.isCollection(this.contents)
            ? this.contents.get(key, keepScalar)
            : undefined;
    }
    /**
     * Returns item at `path`, or `undefined` if not found. By default unwraps
     * scalar values from their surrounding node; to disable set `keepScalar` to
     * `true` (collections are always returned intact).
     */
    getIn(path, keepScalar) {
        if (Collection.isEmptyPath(path))
            return !keepScalar && identity.isScalar(this.contents)
                ? this.contents.value
                : this.contents;
        return identity.isCollection(this.contents)
            ? this.contents.getIn(path, keepScalar)
            : undefined;
    }
    /**
     * Checks if the document includes a value with the key `key`.
     */
    has(key) {
        return identity.isCollection(this.contents) ? this.contents.has(key) : false;
    }
    /**
     * Checks if the document includes a value at `path`.
     */
    hasIn(path) {
        if (Collection.isEmptyPath(path))
            return this.contents !== undefined;
        return identity.isCollection(this.contents) ? this.contents.hasIn(path) : false;
    }
    /**
     * Sets a value in this document. For `!!set`, `value` needs to be a
     * boolean to add/remove the item from the set.
     */
    set(key, value) {
        if (this.contents == null) {
            // @ts-expect-error We can't really know that this matches Contents.
            this.contents = Collection.collectionFromPath(this.schema, [key], value);
        }
        else if (assertCollection(this.contents)) {
            this.contents.set(key, value);
        }
    }
    /**
     * Sets a value in this document. For `!!set`, `value` needs to be a
     * boolean to add/remove the item from the set.
     */
    setIn(path, value) {
        if (Collection.isEmptyPath(path)) {
            // @ts-expect-error We can't really know that this matches Contents.
            this.contents = value;
        }
        else if (this.contents == null) {
            // @ts-expect-error We can't really know that this matches Contents.
            this.contents = Collection.collectionFromPath(this.schema, Array.from(path), value);
        }
        else if (assertCollection(this.contents)) {
            this.contents.setIn(path, value);
        }
    }
    /**
     * Change the YAML version and schema used by the document.
     * A `null` version disables support for directives, explicit tags, anchors, and aliases.
     * It also requires the `schema` option to be given as a `Schema` instance value.
     *
     * Overrides all previously set schema options.
     */
    setSchema(version, options = {}) {
        if (typeof version === 'number')
            version = String(version);
        let opt;
        switch (version) {
            case '1.1':
                if (this.directives)
                    this.directives.yaml.version = '1.1';
                else
                    this.directives = new directives.Directives({ version: '1.1' });
                opt = { resolveKnownTags: false, schema: 'yaml-1.1' };
                break;
            case '1.2':
            case 'next':
                if (this.directives)
                    this.directives.yaml.version = version;
                else
                    this.directives = new directives.Directives({ version });
                opt = { resolveKnownTags: true, schema: 'core' };
                break;
            case null:
                if (this.directives)
                    delete this.directives;
                opt = null;
                break;
            default: {
                const sv = JSON.stringify(version);
                throw new Error(`Expected '1.1', '1.2' or null as first argument, but found: ${sv}`);
            }
        }
        // Not using `instanceof Schema` to allow for duck typing
        if (options.schema instanceof Object)
            this.schema = options.schema;
        else if (opt)
            this.schema = new Schema.Schema(Object.assign(opt, options));
        else
            throw new Error(`With a null YAML version, the { schema: Schema } option is required`);
    }
    // json & jsonArg are only used from toJSON()
    toJS({ json, jsonArg, mapAsMap, maxAliasCount, onAnchor, reviver } = {}) {
        const ctx = {
            anchors: new Map(),
            doc: this,
            keep: !json,
            mapAsMap: mapAsMap === true,
            mapKeyWarned: false,
            maxAliasCount: typeof maxAliasCount === 'number' ? maxAliasCount : 100
        };
        const res = toJS.toJS(this.contents, jsonArg ?? '', ctx);
        if (typeof onAnchor === 'function')
            for (const { count, res } of ctx.anchors.values())
                onAnchor(res, count);
        return typeof reviver === 'function'
            ? applyReviver.applyReviver(reviver, { '': res }, '', res)
            : res;
    }
    /**
     * A JSON representation of the document `contents`.
     *
     * @param jsonArg Used by `JSON.stringify` to indicate the array index or
     *   property name.
     */
    toJSON(jsonArg, onAnchor) {
        return this.toJS({ json: true, jsonArg, mapAsMap: false, onAnchor });
    }
    /** A YAML representation of the document. */
    toString(options = {}) {
        if (this.errors.length > 0)
            throw new Error('Document with errors cannot be stringified');
        if ('indent' in options &&
            (!Number.isInteger(options.indent) || Number(options.indent) <= 0)) {
            const s = JSON.stringify(options.indent);
            throw new Error(`"indent" option must be a positive integer, not ${s}`);
        }
        return stringifyDocument.stringifyDocument(this, options);
    }
}
function assertCollection(contents) {
    if (identity.isCollection(contents))
        return true;
    throw new Error('Expected a YAML collection as document contents');
}

exports.Document = Document;


/***/ }),

/***/ 1596:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var visit = __nccwpck_require__(204);

/**
 * Verify that the input string is a valid anchor.
 *
 * Will throw on errors.
 */
function anchorIsValid(anchor) {
    if (/[\x00-\x19\s,[\]{}]/.test(anchor)) {
        const sa = JSON.stringify(anchor);
        const msg = `Anchor must not contain whitespace or control characters: ${sa}`;
        throw new Error(msg);
    }
    return true;
}
function anchorNames(root) {
    const anchors = new Set();
    visit.visit(root, {
        Value(_key, node) {
            if (node.anchor)
                anchors.add(node.anchor);
        }
    });
    return anchors;
}
/** Find a new anchor name with the given `prefix` and a one-indexed suffix. */
function findNewAnchor(prefix, exclude) {
    for (let i = 1; true; ++i) {
        const name = `${prefix}${i}`;
        if (!exclude.has(name))
            return name;
    }
}
function createNodeAnchors(doc, prefix) {
    const aliasObjects = [];
    const sourceObjects = new Map();
    let prevAnchors = null;
    return {
        onAnchor: (source) => {
            aliasObjects.push(source);
            prevAnchors ?? (prevAnchors = anchorNames(doc));
            const anchor = findNewAnchor(prefix, prevAnchors);
            prevAnchors.add(anchor);
            return anchor;
        },
        /**
         * With circular references, the source node is only resolved after all
         * of its child nodes are. This is why anchors are set only after all of
         * the nodes have been created.
         */
        setAnchors: () => {
            for (const source of aliasObjects) {
                const ref = sourceObjects.get(source);
                if (typeof ref === 'object' &&
                    ref.anchor &&
                    (identity.isScalar(ref.node) || identity.isCollection(ref.node))) {
                    ref.node.anchor = ref.anchor;
                }
                else {
                    const error = new Error('Failed to resolve repeated object (this should not happen)');
                    error.source = source;
                    throw error;
                }
            }
        },
        sourceObjects
    };
}

exports.anchorIsValid = anchorIsValid;
exports.anchorNames = anchorNames;
exports.createNodeAnchors = createNodeAnchors;
exports.findNewAnchor = findNewAnchor;


/***/ }),

/***/ 3661:
/***/ ((__unused_webpack_module, exports) => {



/**
 * Applies the JSON.parse reviver algorithm as defined in the ECMA-262 spec,
 * in section 24.5.1.1 "Runtime Semantics: InternalizeJSONProperty" of the
 * 2021 edition: https://tc39.es/ecma262/#sec-json.parse
 *
 * Includes extensions for handling Map and Set objects.
 */
function applyReviver(reviver, obj, key, val) {
    if (val && typeof val === 'object') {
        if (Array.isArray(val)) {
            for (let i = 0, len = val.length; i < len; ++i) {
                const v0 = val[i];
                const v1 = applyReviver(reviver, val, String(i), v0);
                // eslint-disable-next-line @typescript-eslint/no-array-delete
                if (v1 === undefined)
                    delete val[i];
                else if (v1 !== v0)
                    val[i] = v1;
            }
        }
        else if (val instanceof Map) {
            for (const k of Array.from(val.keys())) {
                const v0 = val.get(k);
                const v1 = applyReviver(reviver, val, k, v0);
                if (v1 === undefined)
                    val.delete(k);
                else if (v1 !== v0)
                    val.set(k, v1);
            }
        }
        else if (val instanceof Set) {
            for (const v0 of Array.from(val)) {
                const v1 = applyReviver(reviver, val, v0, v0);
                if (v1 === undefined)
                    val.delete(v0);
                else if (v1 !== v0) {
                    val.delete(v0);
                    val.add(v1);
                }
            }
        }
        else {
            for (const [k, v0] of Object.entries(val)) {
                const v1 = applyReviver(reviver, val, k, v0);
                if (v1 === undefined)
                    delete val[k];
                else if (v1 !== v0)
                    val[k] = v1;
            }
        }
    }
    return reviver.call(obj, key, val);
}

exports.applyReviver = applyReviver;


/***/ }),

/***/ 2404:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var Alias = __nccwpck_require__(4065);
var identity = __nccwpck_require__(1127);
var Scalar = __nccwpck_require__(3301);

const defaultTagPrefix = 'tag:yaml.org,2002:';
function findTagObject(value, tagName, tags) {
    if (tagName) {
        const match = tags.filter(t => t.tag === tagName);
        const tagObj = match.find(t => !t.format) ?? match[0];
        if (!tagObj)
            throw new Error(`Tag ${tagName} not found`);
        return tagObj;
    }
    return tags.find(t => t.identify?.(value) && !t.format);
}
function createNode(value, tagName, ctx) {
    if (identity.isDocument(value))
        value = value.contents;
    if (identity.isNode(value))
        return value;
    if (identity.isPair(value)) {
        const map = ctx.schema[identity.MAP].createNode?.(ctx.schema, null, ctx);
        map.items.push(value);
        return map;
    }
    if (value instanceof String ||
        value instanceof Number ||
        value instanceof Boolean ||
        (typeof BigInt !== 'undefined' && value instanceof BigInt) // not supported everywhere
    ) {
        // https://tc39.es/ecma262/#sec-serializejsonproperty
        value = value.valueOf();
    }
    const { aliasDuplicateObjects, onAnchor, onTagObj, schema, sourceObjects } = ctx;
    // Detect duplicate references to the same object & use Alias nodes for all
    // after first. The `ref` wrapper allows for circular references to resolve.
    let ref = undefined;
    if (aliasDuplicateObjects && value && typeof value === 'object') {
        ref = sourceObjects.get(value);
        if (ref) {
            ref.anchor ?? (ref.anchor = onAnchor(value));
            return new Alias.Alias(ref.anchor);
        }
        else {
            ref = { anchor: null, node: null };
            sourceObjects.set(value, ref);
        }
    }
    if (tagName?.startsWith('!!'))
        tagName = defaultTagPrefix + tagName.slice(2);
    let tagObj = findTagObject(value, tagName, schema.tags);
    if (!tagObj) {
        if (value && typeof value.toJSON === 'function') {
            // eslint-disable-next-line @typescript-eslint/no-unsafe-call
            value = value.toJSON();
        }
        if (!value || typeof value !== 'object') {
            const node = new Scalar.Scalar(value);
            if (ref)
                ref.node = node;
            return node;
        }
        tagObj =
            value instanceof Map
                ? schema[identity.MAP]
                : Symbol.iterator in Object(value)
                    ? schema[identity.SEQ]
                    : schema[identity.MAP];
    }
    if (onTagObj) {
        onTagObj(tagObj);
        delete ctx.onTagObj;
    }
    const node = tagObj?.createNode
        ? tagObj.createNode(ctx.schema, value, ctx)
        : typeof tagObj?.nodeClass?.from === 'function'
            ? tagObj.nodeClass.from(ctx.schema, value, ctx)
            : new Scalar.Scalar(value);
    if (tagName)
        node.tag = tagName;
    else if (!tagObj.default)
        node.tag = tagObj.tag;
    if (ref)
        ref.node = node;
    return node;
}

exports.createNode = createNode;


/***/ }),

/***/ 1342:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var visit = __nccwpck_require__(204);

const escapeChars = {
    '!': '%21',
    ',': '%2C',
    '[': '%5B',
    ']': '%5D',
    '{': '%7B',
    '}': '%7D'
};
const escapeTagName = (tn) => tn.replace(/[!,[\]{}]/g, ch => escapeChars[ch]);
class Directives {
    constructor(yaml, tags) {
        /**
         * The directives-end/doc-start marker `---`. If `null`, a marker may still be
         * included in the document's stringified representation.
         */
        this.docStart = null;
        /** The doc-end marker `...`.  */
        this.docEnd = false;
        this.yaml = Object.assign({}, Directives.defaultYaml, yaml);
        this.tags = Object.assign({}, Directives.defaultTags, tags);
    }
    clone() {
        const copy = new Directives(this.yaml, this.tags);
        copy.docStart = this.docStart;
        return copy;
    }
    /**
     * During parsing, get a Directives instance for the current document and
     * update the stream state according to the current version's spec.
     */
    atDocument() {
        const res = new Directives(this.yaml, this.tags);
        switch (this.yaml.version) {
            case '1.1':
                this.atNextDocument = true;
                break;
            case '1.2':
                this.atNextDocument = false;
                this.yaml = {
                    explicit: Directives.defaultYaml.explicit,
                    version: '1.2'
                };
                this.tags = Object.assign({}, Directives.defaultTags);
                break;
        }
        return res;
    }
    /**
     * @param onError - May be called even if the action was successful
     * @returns `true` on success
     */
    add(line, onError) {
        if (this.atNextDocument) {
            this.yaml = { explicit: Directives.defaultYaml.explicit, version: '1.1' };
            this.tags = Object.assign({}, Directives.defaultTags);
            this.atNextDocument = false;
        }
        const parts = line.trim().split(/[ \t]+/);
        const name = parts.shift();
        switch (name) {
            case '%TAG': {
                if (parts.length !== 2) {
                    onError(0, '%TAG directive should contain exactly two parts');
                    if (parts.length < 2)
                        return false;
                }
                const [handle, prefix] = parts;
                this.tags[handle] = prefix;
                return true;
            }
            case '%YAML': {
                this.yaml.explicit = true;
                if (parts.length !== 1) {
                    onError(0, '%YAML directive should contain exactly one part');
                    return false;
                }
                const [version] = parts;
                if (version === '1.1' || version === '1.2') {
                    this.yaml.version = version;
                    return true;
                }
                else {
                    const isValid = /^\d+\.\d+$/.test(version);
                    onError(6, `Unsupported YAML version ${version}`, isValid);
                    return false;
                }
            }
            default:
                onError(0, `Unknown directive ${name}`, true);
                return false;
        }
    }
    /**
     * Resolves a tag, matching handles to those defined in %TAG directives.
     *
     * @returns Resolved tag, which may also be the non-specific tag `'!'` or a
     *   `'!local'` tag, or `null` if unresolvable.
     */
    tagName(source, onError) {
        if (source === '!')
            return '!'; // non-specific tag
        if (source[0] !== '!') {
            onError(`Not a valid tag: ${source}`);
            return null;
        }
        if (source[1] === '<') {
            const verbatim = source.slice(2, -1);
            if (verbatim === '!' || verbatim === '!!') {
                onError(`Verbatim tags aren't resolved, so ${source} is invalid.`);
                return null;
            }
            if (source[source.length - 1] !== '>')
                onError('Verbatim tags must end with a >');
            return verbatim;
        }
        const [, handle, suffix] = source.match(/^(.*!)([^!]*)$/s);
        if (!suffix)
            onError(`The ${source} tag has no suffix`);
        const prefix = this.tags[handle];
        if (prefix) {
            try {
                return prefix + decodeURIComponent(suffix);
            }
            catch (error) {
                onError(String(error));
                return null;
            }
        }
        if (handle === '!')
            return source; // local tag
        onError(`Could not resolve tag: ${source}`);
        return null;
    }
    /**
     * Given a fully resolved tag, returns its printable string form,
     * taking into account current tag prefixes and defaults.
     */
    tagString(tag) {
        for (const [handle, prefix] of Object.entries(this.tags)) {
            if (tag.startsWith(prefix))
                return handle + escapeTagName(tag.substring(prefix.length));
        }
        return tag[0] === '!' ? tag : `!<${tag}>`;
    }
    toString(doc) {
        const lines = this.yaml.explicit
            ? [`%YAML ${this.yaml.version || '1.2'}`]
            : [];
        const tagEntries = Object.entries(this.tags);
        let tagNames;
        if (doc && tagEntries.length > 0 && identity.isNode(doc.contents)) {
            const tags = {};
            visit.visit(doc.contents, (_key, node) => {
                if (identity.isNode(node) && node.tag)
                    tags[node.tag] = true;
            });
            tagNames = Object.keys(tags);
        }
        else
            tagNames = [];
        for (const [handle, prefix] of tagEntries) {
            if (handle === '!!' && prefix === 'tag:yaml.org,2002:')
                continue;
            if (!doc || tagNames.some(tn => tn.startsWith(prefix)))
                lines.push(`%TAG ${handle} ${prefix}`);
        }
        return lines.join('\n');
    }
}
Directives.defaultYaml = { explicit: false, version: '1.2' };
Directives.defaultTags = { '!!': 'tag:yaml.org,2002:' };

exports.Directives = Directives;


/***/ }),

/***/ 1464:
/***/ ((__unused_webpack_module, exports) => {



class YAMLError extends Error {
    constructor(name, pos, code, message) {
        super();
        this.name = name;
        this.code = code;
        this.message = message;
        this.pos = pos;
    }
}
class YAMLParseError extends YAMLError {
    constructor(pos, code, message) {
        super('YAMLParseError', pos, code, message);
    }
}
class YAMLWarning extends YAMLError {
    constructor(pos, code, message) {
        super('YAMLWarning', pos, code, message);
    }
}
const prettifyError = (src, lc) => (error) => {
    if (error.pos[0] === -1)
        return;
    error.linePos = error.pos.map(pos => lc.linePos(pos));
    const { line, col } = error.linePos[0];
    error.message += ` at line ${line}, column ${col}`;
    let ci = col - 1;
    let lineStr = src
        .substring(lc.lineStarts[line - 1], lc.lineStarts[line])
        .replace(/[\n\r]+$/, '');
    // Trim to max 80 chars, keeping col position near the middle
    if (ci >= 60 && lineStr.length > 80) {
        const trimStart = Math.min(ci - 39, lineStr.length - 79);
        lineStr = '\u2026' + lineStr.substring(trimStart);
        ci -= trimStart - 1;
    }
    if (lineStr.length > 80)
        lineStr = lineStr.substring(0, 79) + '\u2026';
    // Include previous line in context if pointing at line start
    if (line > 1 && /^ *$/.test(lineStr.substring(0, ci))) {
        // Regexp won't match if start is trimmed
        let prev = src.substring(lc.lineStarts[line - 2], lc.lineStarts[line - 1]);
        if (prev.length > 80)
            prev = prev.substring(0, 79) + '\u2026\n';
        lineStr = prev + lineStr;
    }
    if (/[^ ]/.test(lineStr)) {
        let count = 1;
        const end = error.linePos[1];
        if (end?.line === line && end.col > col) {
            count = Math.max(1, Math.min(end.col - col, 80 - ci));
        }
        const pointer = ' '.repeat(ci) + '^'.repeat(count);
        error.message += `:\n\n${lineStr}\n${pointer}\n`;
    }
};

exports.YAMLError = YAMLError;
exports.YAMLParseError = YAMLParseError;
exports.YAMLWarning = YAMLWarning;
exports.prettifyError = prettifyError;


/***/ }),

/***/ 8815:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var composer = __nccwpck_require__(9984);
var Document = __nccwpck_require__(3021);
var Schema = __nccwpck_require__(5840);
var errors = __nccwpck_require__(1464);
var Alias = __nccwpck_require__(4065);
var identity = __nccwpck_require__(1127);
var Pair = __nccwpck_require__(7165);
var Scalar = __nccwpck_require__(3301);
var YAMLMap = __nccwpck_require__(4454);
var YAMLSeq = __nccwpck_require__(2223);
var cst = __nccwpck_require__(3461);
var lexer = __nccwpck_require__(361);
var lineCounter = __nccwpck_require__(6628);
var parser = __nccwpck_require__(3456);
var publicApi = __nccwpck_require__(4047);
var visit = __nccwpck_require__(204);



exports.Composer = composer.Composer;
exports.Document = Document.Document;
exports.Schema = Schema.Schema;
exports.YAMLError = errors.YAMLError;
exports.YAMLParseError = errors.YAMLParseError;
exports.YAMLWarning = errors.YAMLWarning;
exports.Alias = Alias.Alias;
exports.isAlias = identity.isAlias;
exports.isCollection = identity.isCollection;
exports.isDocument = identity.isDocument;
exports.isMap = identity.isMap;
exports.isNode = identity.isNode;
exports.isPair = identity.isPair;
exports.isScalar = identity.isScalar;
exports.isSeq = identity.isSeq;
exports.Pair = Pair.Pair;
exports.Scalar = Scalar.Scalar;
exports.YAMLMap = YAMLMap.YAMLMap;
exports.YAMLSeq = YAMLSeq.YAMLSeq;
exports.CST = cst;
exports.Lexer = lexer.Lexer;
exports.LineCounter = lineCounter.LineCounter;
exports.Parser = parser.Parser;
exports.parse = publicApi.parse;
exports.parseAllDocuments = publicApi.parseAllDocuments;
exports.parseDocument = publicApi.parseDocument;
exports.stringify = publicApi.stringify;
exports.visit = visit.visit;
exports.visitAsync = visit.visitAsync;


/***/ }),

/***/ 7249:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var node_process = __nccwpck_require__(932);

function debug(logLevel, ...messages) {
    if (logLevel === 'debug')
        console.log(...messages);
}
function warn(logLevel, warning) {
    if (logLevel === 'debug' || logLevel === 'warn') {
        if (typeof node_process.emitWarning === 'function')
            node_process.emitWarning(warning);
        else
            console.warn(warning);
    }
}

exports.debug = debug;
exports.warn = warn;


/***/ }),

/***/ 4065:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var anchors = __nccwpck_require__(1596);
var visit = __nccwpck_require__(204);
var identity = __nccwpck_require__(1127);
var Node = __nccwpck_require__(6673);
var toJS = __nccwpck_require__(4043);

class Alias extends Node.NodeBase {
    constructor(source) {
        super(identity.ALIAS);
        this.source = source;
        Object.defineProperty(this, 'tag', {
            set() {
                throw new Error('Alias nodes cannot have tags');
            }
        });
    }
    /**
     * Resolve the value of this alias within `doc`, finding the last
     * instance of the `source` anchor before this node.
     */
    resolve(doc, ctx) {
        if (ctx?.maxAliasCount === 0)
            throw new ReferenceError('Alias resolution is disabled');
        let nodes;
        if (ctx?.aliasResolveCache) {
            nodes = ctx.aliasResolveCache;
        }
        else {
            nodes = [];
            visit.visit(doc, {
                Node: (_key, node) => {
                    if (identity.isAlias(node) || identity.hasAnchor(node))
                        nodes.push(node);
                }
            });
            if (ctx)
                ctx.aliasResolveCache = nodes;
        }
        let found = undefined;
        for (const node of nodes) {
            if (node === this)
                break;
            if (node.anchor === this.source)
                found = node;
        }
        if (found && ctx) {
            const { anchors, doc, maxAliasCount } = ctx;
            let data = anchors.get(found);
            if (!data) {
                // Resolve anchors for Node.prototype.toJS()
                toJS.toJS(found, null, ctx);
                data = anchors.get(found);
            }
            /* istanbul ignore if */
            if (data?.res === undefined) {
                const msg = 'This should not happen: Alias anchor was not resolved?';
                throw new ReferenceError(msg);
            }
            if (maxAliasCount >= 0) {
                data.count += 1;
                if (data.aliasCount === 0)
                    data.aliasCount = getAliasCount(doc, found, anchors);
                if (data.count * data.aliasCount > maxAliasCount) {
                    const msg = 'Excessive alias count indicates a resource exhaustion attack';
                    throw new ReferenceError(msg);
                }
            }
        }
        return found;
    }
    toJSON(_arg, ctx) {
        if (!ctx)
            return { source: this.source };
        const source = this.resolve(ctx.doc, ctx);
        if (!source) {
            const msg = `Unresolved alias (the anchor must be set before the alias): ${this.source}`;
            throw new ReferenceError(msg);
        }
        return ctx.anchors.get(source).res;
    }
    toString(ctx, _onComment, _onChompKeep) {
        const src = `*${this.source}`;
        if (ctx) {
            anchors.anchorIsValid(this.source);
            if (ctx.options.verifyAliasOrder && !ctx.anchors.has(this.source)) {
                const msg = `Unresolved alias (the anchor must be set before the alias): ${this.source}`;
                throw new Error(msg);
            }
            if (ctx.implicitKey)
                return `${src} `;
        }
        return src;
    }
}
function getAliasCount(doc, node, anchors) {
    if (identity.isAlias(node)) {
        const source = node.resolve(doc);
        const anchor = anchors && source && anchors.get(source);
        return anchor ? anchor.count * anchor.aliasCount : 0;
    }
    else if (identity.isCollection(node)) {
        let count = 0;
        for (const item of node.items) {
            const c = getAliasCount(doc, item, anchors);
            if (c > count)
                count = c;
        }
        return count;
    }
    else if (identity.isPair(node)) {
        const kc = getAliasCount(doc, node.key, anchors);
        const vc = getAliasCount(doc, node.value, anchors);
        return Math.max(kc, vc);
    }
    return 1;
}

exports.Alias = Alias;


/***/ }),

/***/ 101:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var createNode = __nccwpck_require__(2404);
var identity = __nccwpck_require__(1127);
var Node = __nccwpck_require__(6673);

function collectionFromPath(schema, path, value) {
    let v = value;
    for (let i = path.length - 1; i >= 0; --i) {
        const k = path[i];
        if (typeof k === 'number' && Number.isInteger(k) && k >= 0) {
            const a = [];
            a[k] = v;
            v = a;
        }
        else {
            v = new Map([[k, v]]);
        }
    }
    return createNode.createNode(v, undefined, {
        aliasDuplicateObjects: false,
        keepUndefined: false,
        onAnchor: () => {
            throw new Error('This should not happen, please report a bug.');
        },
        schema,
        sourceObjects: new Map()
    });
}
// Type guard is intentionally a little wrong so as to be more useful,
// as it does not cover untypable empty non-string iterables (e.g. []).
const isEmptyPath = (path) => path == null ||
    (typeof path === 'object' && !!path[Symbol.iterator]().next().done);
class Collection extends Node.NodeBase {
    constructor(type, schema) {
        super(type);
        Object.defineProperty(this, 'schema', {
            value: schema,
            configurable: true,
            enumerable: false,
            writable: true
        });
    }
    /**
     * Create a copy of this collection.
     *
     * @param schema - If defined, overwrites the original's schema
     */
    clone(schema) {
        const copy = Object.create(Object.getPrototypeOf(this), Object.getOwnPropertyDescriptors(this));
        if (schema)
            copy.schema = schema;
        copy.items = copy.items.map(it => identity.isNode(it) || identity.isPair(it) ? it.clone(schema) : it);
        if (this.range)
            copy.range = this.range.slice();
        return copy;
    }
    /**
     * Adds a value to the collection. For `!!map` and `!!omap` the value must
     * be a Pair instance or a `{ key, value }` object, which may not have a key
     * that already exists in the map.
     */
    addIn(path, value) {
        if (isEmptyPath(path))
            this.add(value);
        else {
            const [key, ...rest] = path;
            const node = this.get(key, true);
            if (identity.isCollection(node))
                node.addIn(rest, value);
            else if (node === undefined && this.schema)
                this.set(key, collectionFromPath(this.schema, rest, value));
            else
                throw new Error(`Expected YAML collection at ${key}. Remaining path: ${rest}`);
        }
    }
    /**
     * Removes a value from the collection.
     * @returns `true` if the item was found and removed.
     */
    deleteIn(path) {
        const [key, ...rest] = path;
        if (rest.length === 0)
            return this.delete(key);
        const node = this.get(key, true);
        if (identity.isCollection(node))
            return node.deleteIn(rest);
        else
            throw new Error(`Expected YAML collection at ${key}. Remaining path: ${rest}`);
    }
    /**
     * Returns item at `key`, or `undefined` if not found. By default unwraps
     * scalar values from their surrounding node; to disable set `keepScalar` to
     * `true` (collections are always returned intact).
     */
    getIn(path, keepScalar) {
        const [key, ...rest] = path;
        const node = this.get(key, true);
        if (rest.length === 0)
            return !keepScalar && identity.isScalar(node) ? node.value : node;
        else
            return identity.isCollection(node) ? node.getIn(rest, keepScalar) : undefined;
    }
    hasAllNullValues(allowScalar) {
        return this.items.every(node => {
            if (!identity.isPair(node))
                return false;
            const n = node.value;
            return (n == null ||
                (allowScalar &&
                    identity.isScalar(n) &&
                    n.value == null &&
                    !n.commentBefore &&
                    !n.comment &&
                    !n.tag));
        });
    }
    /**
     * Checks if the collection includes a value with the key `key`.
     */
    hasIn(path) {
        const [key, ...rest] = path;
        if (rest.length === 0)
            return this.has(key);
        const node = this.get(key, true);
        return identity.isCollection(node) ? node.hasIn(rest) : false;
    }
    /**
     * Sets a value in this collection. For `!!set`, `value` needs to be a
     * boolean to add/remove the item from the set.
     */
    setIn(path, value) {
        const [key, ...rest] = path;
        if (rest.length === 0) {
            this.set(key, value);
        }
        else {
            const node = this.get(key, true);
            if (identity.isCollection(node))
                node.setIn(rest, value);
            else if (node === undefined && this.schema)
                this.set(key, collectionFromPath(this.schema, rest, value));
            else
                throw new Error(`Expected YAML collection at ${key}. Remaining path: ${rest}`);
        }
    }
}

exports.Collection = Collection;
exports.collectionFromPath = collectionFromPath;
exports.isEmptyPath = isEmptyPath;


/***/ }),

/***/ 6673:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var applyReviver = __nccwpck_require__(3661);
var identity = __nccwpck_require__(1127);
var toJS = __nccwpck_require__(4043);

class NodeBase {
    constructor(type) {
        Object.defineProperty(this, identity.NODE_TYPE, { value: type });
    }
    /** Create a copy of this node.  */
    clone() {
        const copy = Object.create(Object.getPrototypeOf(this), Object.getOwnPropertyDescriptors(this));
        if (this.range)
            copy.range = this.range.slice();
        return copy;
    }
    /** A plain JavaScript representation of this node. */
    toJS(doc, { mapAsMap, maxAliasCount, onAnchor, reviver } = {}) {
        if (!identity.isDocument(doc))
            throw new TypeError('A document argument is required');
        const ctx = {
            anchors: new Map(),
            doc,
            keep: true,
            mapAsMap: mapAsMap === true,
            mapKeyWarned: false,
            maxAliasCount: typeof maxAliasCount === 'number' ? maxAliasCount : 100
        };
        const res = toJS.toJS(this, '', ctx);
        if (typeof onAnchor === 'function')
            for (const { count, res } of ctx.anchors.values())
                onAnchor(res, count);
        return typeof reviver === 'function'
            ? applyReviver.applyReviver(reviver, { '': res }, '', res)
            : res;
    }
}

exports.NodeBase = NodeBase;


/***/ }),

/***/ 7165:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var createNode = __nccwpck_require__(2404);
var stringifyPair = __nccwpck_require__(9748);
var addPairToJSMap = __nccwpck_require__(7104);
var identity = __nccwpck_require__(1127);

function createPair(key, value, ctx) {
    const k = createNode.createNode(key, undefined, ctx);
    const v = createNode.createNode(value, undefined, ctx);
    return new Pair(k, v);
}
class Pair {
    constructor(key, value = null) {
        Object.defineProperty(this, identity.NODE_TYPE, { value: identity.PAIR });
        this.key = key;
        this.value = value;
    }
    clone(schema) {
        let { key, value } = this;
        if (identity.isNode(key))
            key = key.clone(schema);
        if (identity.isNode(value))
            value = value.clone(schema);
        return new Pair(key, value);
    }
    toJSON(_, ctx) {
        const pair = ctx?.mapAsMap ? new Map() : {};
        return addPairToJSMap.addPairToJSMap(ctx, pair, this);
    }
    toString(ctx, onComment, onChompKeep) {
        return ctx?.doc
            ? stringifyPair.stringifyPair(this, ctx, onComment, onChompKeep)
            : JSON.stringify(this);
    }
}

exports.Pair = Pair;
exports.createPair = createPair;


/***/ }),

/***/ 3301:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var Node = __nccwpck_require__(6673);
var toJS = __nccwpck_require__(4043);

const isScalarValue = (value) => !value || (typeof value !== 'function' && typeof value !== 'object');
class Scalar extends Node.NodeBase {
    constructor(value) {
        super(identity.SCALAR);
        this.value = value;
    }
    toJSON(arg, ctx) {
        return ctx?.keep ? this.value : toJS.toJS(this.value, arg, ctx);
    }
    toString() {
        return String(this.value);
    }
}
Scalar.BLOCK_FOLDED = 'BLOCK_FOLDED';
Scalar.BLOCK_LITERAL = 'BLOCK_LITERAL';
Scalar.PLAIN = 'PLAIN';
Scalar.QUOTE_DOUBLE = 'QUOTE_DOUBLE';
Scalar.QUOTE_SINGLE = 'QUOTE_SINGLE';

exports.Scalar = Scalar;
exports.isScalarValue = isScalarValue;


/***/ }),

/***/ 4454:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var stringifyCollection = __nccwpck_require__(1212);
var addPairToJSMap = __nccwpck_require__(7104);
var Collection = __nccwpck_require__(101);
var identity = __nccwpck_require__(1127);
var Pair = __nccwpck_require__(7165);
var Scalar = __nccwpck_require__(3301);

function findPair(items, key) {
    const k = identity.isScalar(key) ? key.value : key;
    for (const it of items) {
        if (identity.isPair(it)) {
            if (it.key === key || it.key === k)
                return it;
            if (identity.isScalar(it.key) && it.key.value === k)
                return it;
        }
    }
    return undefined;
}
class YAMLMap extends Collection.Collection {
    static get tagName() {
        return 'tag:yaml.org,2002:map';
    }
    constructor(schema) {
        super(identity.MAP, schema);
        this.items = [];
    }
    /**
     * A generic collection parsing method that can be extended
     * to other node classes that inherit from YAMLMap
     */
    static from(schema, obj, ctx) {
        const { keepUndefined, replacer } = ctx;
        const map = new this(schema);
        const add = (key, value) => {
            if (typeof replacer === 'function')
                value = replacer.call(obj, key, value);
            else if (Array.isArray(replacer) && !replacer.includes(key))
                return;
            if (value !== undefined || keepUndefined)
                map.items.push(Pair.createPair(key, value, ctx));
        };
        if (obj instanceof Map) {
            for (const [key, value] of obj)
                add(key, value);
        }
        else if (obj && typeof obj === 'object') {
            for (const key of Object.keys(obj))
                add(key, obj[key]);
        }
        if (typeof schema.sortMapEntries === 'function') {
            map.items.sort(schema.sortMapEntries);
        }
        return map;
    }
    /**
     * Adds a value to the collection.
     *
     * @param overwrite - If not set `true`, using a key that is already in the
     *   collection will throw. Otherwise, overwrites the previous value.
     */
    add(pair, overwrite) {
        let _pair;
        if (identity.isPair(pair))
            _pair = pair;
        else if (!pair || typeof pair !== 'object' || !('key' in pair)) {
            // In TypeScript, this never happens.
            _pair = new Pair.Pair(pair, pair?.value);
        }
        else
            _pair = new Pair.Pair(pair.key, pair.value);
        const prev = findPair(this.items, _pair.key);
        const sortEntries = this.schema?.sortMapEntries;
        if (prev) {
            if (!overwrite)
                throw new Error(`Key ${_pair.key} already set`);
            // For scalars, keep the old node & its comments and anchors
            if (identity.isScalar(prev.value) && Scalar.isScalarValue(_pair.value))
                prev.value.value = _pair.value;
            else
                prev.value = _pair.value;
        }
        else if (sortEntries) {
            const i = this.items.findIndex(item => sortEntries(_pair, item) < 0);
            if (i === -1)
                this.items.push(_pair);
            else
                this.items.splice(i, 0, _pair);
        }
        else {
            this.items.push(_pair);
        }
    }
    delete(key) {
        const it = findPair(this.items, key);
        if (!it)
            return false;
        const del = this.items.splice(this.items.indexOf(it), 1);
        return del.length > 0;
    }
    get(key, keepScalar) {
        const it = findPair(this.items, key);
        const node = it?.value;
        return (!keepScalar && identity.isScalar(node) ? node.value : node) ?? undefined;
    }
    has(key) {
        return !!findPair(this.items, key);
    }
    set(key, value) {
        this.add(new Pair.Pair(key, value), true);
    }
    /**
     * @param ctx - Conversion context, originally set in Document#toJS()
     * @param {Class} Type - If set, forces the returned collection type
     * @returns Instance of Type, Map, or Object
     */
    toJSON(_, ctx, Type) {
        const map = Type ? new Type() : ctx?.mapAsMap ? new Map() : {};
        if (ctx?.onCreate)
            ctx.onCreate(map);
        for (const item of this.items)
            addPairToJSMap.addPairToJSMap(ctx, map, item);
        return map;
    }
    toString(ctx, onComment, onChompKeep) {
        if (!ctx)
            return JSON.stringify(this);
        for (const item of this.items) {
            if (!identity.isPair(item))
                throw new Error(`Map items must all be pairs; found ${JSON.stringify(item)} instead`);
        }
        if (!ctx.allNullValues && this.hasAllNullValues(false))
            ctx = Object.assign({}, ctx, { allNullValues: true });
        return stringifyCollection.stringifyCollection(this, ctx, {
            blockItemPrefix: '',
            flowChars: { start: '{', end: '}' },
            itemIndent: ctx.indent || '',
            onChompKeep,
            onComment
        });
    }
}

exports.YAMLMap = YAMLMap;
exports.findPair = findPair;


/***/ }),

/***/ 2223:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var createNode = __nccwpck_require__(2404);
var stringifyCollection = __nccwpck_require__(1212);
var Collection = __nccwpck_require__(101);
var identity = __nccwpck_require__(1127);
var Scalar = __nccwpck_require__(3301);
var toJS = __nccwpck_require__(4043);

class YAMLSeq extends Collection.Collection {
    static get tagName() {
        return 'tag:yaml.org,2002:seq';
    }
    constructor(schema) {
        super(identity.SEQ, schema);
        this.items = [];
    }
    add(value) {
        this.items.push(value);
    }
    /**
     * Removes a value from the collection.
     *
     * `key` must contain a representation of an integer for this to succeed.
     * It may be wrapped in a `Scalar`.
     *
     * @returns `true` if the item was found and removed.
     */
    delete(key) {
        const idx = asItemIndex(key);
        if (typeof idx !== 'number')
            return false;
        const del = this.items.splice(idx, 1);
        return del.length > 0;
    }
    get(key, keepScalar) {
        const idx = asItemIndex(key);
        if (typeof idx !== 'number')
            return undefined;
        const it = this.items[idx];
        return !keepScalar && identity.isScalar(it) ? it.value : it;
    }
    /**
     * Checks if the collection includes a value with the key `key`.
     *
     * `key` must contain a representation of an integer for this to succeed.
     * It may be wrapped in a `Scalar`.
     */
    has(key) {
        const idx = asItemIndex(key);
        return typeof idx === 'number' && idx < this.items.length;
    }
    /**
     * Sets a value in this collection. For `!!set`, `value` needs to be a
     * boolean to add/remove the item from the set.
     *
     * If `key` does not contain a representation of an integer, this will throw.
     * It may be wrapped in a `Scalar`.
     */
    set(key, value) {
        const idx = asItemIndex(key);
        if (typeof idx !== 'number')
            throw new Error(`Expected a valid index, not ${key}.`);
        const prev = this.items[idx];
        if (identity.isScalar(prev) && Scalar.isScalarValue(value))
            prev.value = value;
        else
            this.items[idx] = value;
    }
    toJSON(_, ctx) {
        const seq = [];
        if (ctx?.onCreate)
            ctx.onCreate(seq);
        let i = 0;
        for (const item of this.items)
            seq.push(toJS.toJS(item, String(i++), ctx));
        return seq;
    }
    toString(ctx, onComment, onChompKeep) {
        if (!ctx)
            return JSON.stringify(this);
        return stringifyCollection.stringifyCollection(this, ctx, {
            blockItemPrefix: '- ',
            flowChars: { start: '[', end: ']' },
            itemIndent: (ctx.indent || '') + '  ',
            onChompKeep,
            onComment
        });
    }
    static from(schema, obj, ctx) {
        const { replacer } = ctx;
        const seq = new this(schema);
        if (obj && Symbol.iterator in Object(obj)) {
            let i = 0;
            for (let it of obj) {
                if (typeof replacer === 'function') {
                    const key = obj instanceof Set ? it : String(i++);
                    it = replacer.call(obj, key, it);
                }
                seq.items.push(createNode.createNode(it, undefined, ctx));
            }
        }
        return seq;
    }
}
function asItemIndex(key) {
    let idx = identity.isScalar(key) ? key.value : key;
    if (idx && typeof idx === 'string')
        idx = Number(idx);
    return typeof idx === 'number' && Number.isInteger(idx) && idx >= 0
        ? idx
        : null;
}

exports.YAMLSeq = YAMLSeq;


/***/ }),

/***/ 7104:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var log = __nccwpck_require__(7249);
var merge = __nccwpck_require__(452);
var stringify = __nccwpck_require__(2148);
var identity = __nccwpck_require__(1127);
var toJS = __nccwpck_require__(4043);

function addPairToJSMap(ctx, map, { key, value }) {
    if (identity.isNode(key) && key.addToJSMap)
        key.addToJSMap(ctx, map, value);
    // TODO: Should drop this special case for bare << handling
    else if (merge.isMergeKey(ctx, key))
        merge.addMergeToJSMap(ctx, map, value);
    else {
        const jsKey = toJS.toJS(key, '', ctx);
        if (map instanceof Map) {
            map.set(jsKey, toJS.toJS(value, jsKey, ctx));
        }
        else if (map instanceof Set) {
            map.add(jsKey);
        }
        else {
            const stringKey = stringifyKey(key, jsKey, ctx);
            const jsValue = toJS.toJS(value, stringKey, ctx);
            if (stringKey in map)
                Object.defineProperty(map, stringKey, {
                    value: jsValue,
                    writable: true,
                    enumerable: true,
                    configurable: true
                });
            else
                map[stringKey] = jsValue;
        }
    }
    return map;
}
function stringifyKey(key, jsKey, ctx) {
    if (jsKey === null)
        return '';
    // eslint-disable-next-line @typescript-eslint/no-base-to-string
    if (typeof jsKey !== 'object')
        return String(jsKey);
    if (identity.isNode(key) && ctx?.doc) {
        const strCtx = stringify.createStringifyContext(ctx.doc, {});
        strCtx.anchors = new Set();
        for (const node of ctx.anchors.keys())
            strCtx.anchors.add(node.anchor);
        strCtx.inFlow = true;
        strCtx.inStringifyKey = true;
        const strKey = key.toString(strCtx);
        if (!ctx.mapKeyWarned) {
            let jsonStr = JSON.stringify(strKey);
            if (jsonStr.length > 40)
                jsonStr = jsonStr.substring(0, 36) + '..."';
            log.warn(ctx.doc.options.logLevel, `Keys with collection values will be stringified due to JS Object restrictions: ${jsonStr}. Set mapAsMap: true to use object keys.`);
            ctx.mapKeyWarned = true;
        }
        return strKey;
    }
    return JSON.stringify(jsKey);
}

exports.addPairToJSMap = addPairToJSMap;


/***/ }),

/***/ 1127:
/***/ ((__unused_webpack_module, exports) => {



const ALIAS = Symbol.for('yaml.alias');
const DOC = Symbol.for('yaml.document');
const MAP = Symbol.for('yaml.map');
const PAIR = Symbol.for('yaml.pair');
const SCALAR = Symbol.for('yaml.scalar');
const SEQ = Symbol.for('yaml.seq');
const NODE_TYPE = Symbol.for('yaml.node.type');
const isAlias = (node) => !!node && typeof node === 'object' && node[NODE_TYPE] === ALIAS;
const isDocument = (node) => !!node && typeof node === 'object' && node[NODE_TYPE] === DOC;
const isMap = (node) => !!node && typeof node === 'object' && node[NODE_TYPE] === MAP;
const isPair = (node) => !!node && typeof node === 'object' && node[NODE_TYPE] === PAIR;
const isScalar = (node) => !!node && typeof node === 'object' && node[NODE_TYPE] === SCALAR;
const isSeq = (node) => !!node && typeof node === 'object' && node[NODE_TYPE] === SEQ;
function isCollection(node) {
    if (node && typeof node === 'object')
        switch (node[NODE_TYPE]) {
            case MAP:
            case SEQ:
                return true;
        }
    return false;
}
function isNode(node) {
    if (node && typeof node === 'object')
        switch (node[NODE_TYPE]) {
            case ALIAS:
            case MAP:
            case SCALAR:
            case SEQ:
                return true;
        }
    return false;
}
const hasAnchor = (node) => (isScalar(node) || isCollection(node)) && !!node.anchor;

exports.ALIAS = ALIAS;
exports.DOC = DOC;
exports.MAP = MAP;
exports.NODE_TYPE = NODE_TYPE;
exports.PAIR = PAIR;
exports.SCALAR = SCALAR;
exports.SEQ = SEQ;
exports.hasAnchor = hasAnchor;
exports.isAlias = isAlias;
exports.isCollection = isCollection;
exports.isDocument = isDocument;
exports.isMap = isMap;
exports.isNode = isNode;
exports.isPair = isPair;
exports.isScalar = isScalar;
exports.isSeq = isSeq;


/***/ }),

/***/ 4043:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);

/**
 * Recursively convert any node or its contents to native JavaScript
 *
 * @param value - The input value
 * @param arg - If `value` defines a `toJSON()` method, use this
 *   as its first argument
 * @param ctx - Conversion context, originally set in Document#toJS(). If
 *   `{ keep: true }` is not set, output should be suitable for JSON
 *   stringification.
 */
function toJS(value, arg, ctx) {
    // eslint-disable-next-line @typescript-eslint/no-unsafe-return
    if (Array.isArray(value))
        return value.map((v, i) => toJS(v, String(i), ctx));
    if (value && typeof value.toJSON === 'function') {
        // eslint-disable-next-line @typescript-eslint/no-unsafe-call
        if (!ctx || !identity.hasAnchor(value))
            return value.toJSON(arg, ctx);
        const data = { aliasCount: 0, count: 1, res: undefined };
        ctx.anchors.set(value, data);
        ctx.onCreate = res => {
            data.res = res;
            delete ctx.onCreate;
        };
        const res = value.toJSON(arg, ctx);
        if (ctx.onCreate)
            ctx.onCreate(res);
        return res;
    }
    if (typeof value === 'bigint' && !ctx?.keep)
        return Number(value);
    return value;
}

exports.toJS = toJS;


/***/ }),

/***/ 110:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var resolveBlockScalar = __nccwpck_require__(8913);
var resolveFlowScalar = __nccwpck_require__(6842);
var errors = __nccwpck_require__(1464);
var stringifyString = __nccwpck_require__(3069);

function resolveAsScalar(token, strict = true, onError) {
    if (token) {
        const _onError = (pos, code, message) => {
            const offset = typeof pos === 'number' ? pos : Array.isArray(pos) ? pos[0] : pos.offset;
            if (onError)
                onError(offset, code, message);
            else
                throw new errors.YAMLParseError([offset, offset + 1], code, message);
        };
        switch (token.type) {
            case 'scalar':
            case 'single-quoted-scalar':
            case 'double-quoted-scalar':
                return resolveFlowScalar.resolveFlowScalar(token, strict, _onError);
            case 'block-scalar':
                return resolveBlockScalar.resolveBlockScalar({ options: { strict } }, token, _onError);
        }
    }
    return null;
}
/**
 * Create a new scalar token with `value`
 *
 * Values that represent an actual string but may be parsed as a different type should use a `type` other than `'PLAIN'`,
 * as this function does not support any schema operations and won't check for such conflicts.
 *
 * @param value The string representation of the value, which will have its content properly indented.
 * @param context.end Comments and whitespace after the end of the value, or after the block scalar header. If undefined, a newline will be added.
 * @param context.implicitKey Being within an implicit key may affect the resolved type of the token's value.
 * @param context.indent The indent level of the token.
 * @param context.inFlow Is this scalar within a flow collection? This may affect the resolved type of the token's value.
 * @param context.offset The offset position of the token.
 * @param context.type The preferred type of the scalar token. If undefined, the previous type of the `token` will be used, defaulting to `'PLAIN'`.
 */
function createScalarToken(value, context) {
    const { implicitKey = false, indent, inFlow = false, offset = -1, type = 'PLAIN' } = context;
    const source = stringifyString.stringifyString({ type, value }, {
        implicitKey,
        indent: indent > 0 ? ' '.repeat(indent) : '',
        inFlow,
        options: { blockQuote: true, lineWidth: -1 }
    });
    const end = context.end ?? [
        { type: 'newline', offset: -1, indent, source: '\n' }
    ];
    switch (source[0]) {
        case '|':
        case '>': {
            const he = source.indexOf('\n');
            const head = source.substring(0, he);
            const body = source.substring(he + 1) + '\n';
            const props = [
                { type: 'block-scalar-header', offset, indent, source: head }
            ];
            if (!addEndtoBlockProps(props, end))
                props.push({ type: 'newline', offset: -1, indent, source: '\n' });
            return { type: 'block-scalar', offset, indent, props, source: body };
        }
        case '"':
            return { type: 'double-quoted-scalar', offset, indent, source, end };
        case "'":
            return { type: 'single-quoted-scalar', offset, indent, source, end };
        default:
            return { type: 'scalar', offset, indent, source, end };
    }
}
/**
 * Set the value of `token` to the given string `value`, overwriting any previous contents and type that it may have.
 *
 * Best efforts are made to retain any comments previously associated with the `token`,
 * though all contents within a collection's `items` will be overwritten.
 *
 * Values that represent an actual string but may be parsed as a different type should use a `type` other than `'PLAIN'`,
 * as this function does not support any schema operations and won't check for such conflicts.
 *
 * @param token Any token. If it does not include an `indent` value, the value will be stringified as if it were an implicit key.
 * @param value The string representation of the value, which will have its content properly indented.
 * @param context.afterKey In most cases, values after a key should have an additional level of indentation.
 * @param context.implicitKey Being within an implicit key may affect the resolved type of the token's value.
 * @param context.inFlow Being within a flow collection may affect the resolved type of the token's value.
 * @param context.type The preferred type of the scalar token. If undefined, the previous type of the `token` will be used, defaulting to `'PLAIN'`.
 */
function setScalarValue(token, value, context = {}) {
    let { afterKey = false, implicitKey = false, inFlow = false, type } = context;
    let indent = 'indent' in token ? token.indent : null;
    if (afterKey && typeof indent === 'number')
        indent += 2;
    if (!type)
        switch (token.type) {
            case 'single-quoted-scalar':
                type = 'QUOTE_SINGLE';
                break;
            case 'double-quoted-scalar':
                type = 'QUOTE_DOUBLE';
                break;
            case 'block-scalar': {
                const header = token.props[0];
                if (header.type !== 'block-scalar-header')
                    throw new Error('Invalid block scalar header');
                type = header.source[0] === '>' ? 'BLOCK_FOLDED' : 'BLOCK_LITERAL';
                break;
            }
            default:
                type = 'PLAIN';
        }
    const source = stringifyString.stringifyString({ type, value }, {
        implicitKey: implicitKey || indent === null,
        indent: indent !== null && indent > 0 ? ' '.repeat(indent) : '',
        inFlow,
        options: { blockQuote: true, lineWidth: -1 }
    });
    switch (source[0]) {
        case '|':
        case '>':
            setBlockScalarValue(token, source);
            break;
        case '"':
            setFlowScalarValue(token, source, 'double-quoted-scalar');
            break;
        case "'":
            setFlowScalarValue(token, source, 'single-quoted-scalar');
            break;
        default:
            setFlowScalarValue(token, source, 'scalar');
    }
}
function setBlockScalarValue(token, source) {
    const he = source.indexOf('\n');
    const head = source.substring(0, he);
    const body = source.substring(he + 1) + '\n';
    if (token.type === 'block-scalar') {
        const header = token.props[0];
        if (header.type !== 'block-scalar-header')
            throw new Error('Invalid block scalar header');
        header.source = head;
        token.source = body;
    }
    else {
        const { offset } = token;
        const indent = 'indent' in token ? token.indent : -1;
        const props = [
            { type: 'block-scalar-header', offset, indent, source: head }
        ];
        if (!addEndtoBlockProps(props, 'end' in token ? token.end : undefined))
            props.push({ type: 'newline', offset: -1, indent, source: '\n' });
        for (const key of Object.keys(token))
            if (key !== 'type' && key !== 'offset')
                delete token[key];
        Object.assign(token, { type: 'block-scalar', indent, props, source: body });
    }
}
/** @returns `true` if last token is a newline */
function addEndtoBlockProps(props, end) {
    if (end)
        for (const st of end)
            switch (st.type) {
                case 'space':
                case 'comment':
                    props.push(st);
                    break;
                case 'newline':
                    props.push(st);
                    return true;
            }
    return false;
}
function setFlowScalarValue(token, source, type) {
    switch (token.type) {
        case 'scalar':
        case 'double-quoted-scalar':
        case 'single-quoted-scalar':
            token.type = type;
            token.source = source;
            break;
        case 'block-scalar': {
            const end = token.props.slice(1);
            let oa = source.length;
            if (token.props[0].type === 'block-scalar-header')
                oa -= token.props[0].source.length;
            for (const tok of end)
                tok.offset += oa;
            delete token.props;
            Object.assign(token, { type, source, end });
            break;
        }
        case 'block-map':
        case 'block-seq': {
            const offset = token.offset + source.length;
            const nl = { type: 'newline', offset, indent: token.indent, source: '\n' };
            delete token.items;
            Object.assign(token, { type, source, end: [nl] });
            break;
        }
        default: {
            const indent = 'indent' in token ? token.indent : -1;
            const end = 'end' in token && Array.isArray(token.end)
                ? token.end.filter(st => st.type === 'space' ||
                    st.type === 'comment' ||
                    st.type === 'newline')
                : [];
            for (const key of Object.keys(token))
                if (key !== 'type' && key !== 'offset')
                    delete token[key];
            Object.assign(token, { type, indent, source, end });
        }
    }
}

exports.createScalarToken = createScalarToken;
exports.resolveAsScalar = resolveAsScalar;
exports.setScalarValue = setScalarValue;


/***/ }),

/***/ 1733:
/***/ ((__unused_webpack_module, exports) => {



/**
 * Stringify a CST document, token, or collection item
 *
 * Fair warning: This applies no validation whatsoever, and
 * simply concatenates the sources in their logical order.
 */
const stringify = (cst) => 'type' in cst ? stringifyToken(cst) : stringifyItem(cst);
function stringifyToken(token) {
    switch (token.type) {
        case 'block-scalar': {
            let res = '';
            for (const tok of token.props)
                res += stringifyToken(tok);
            return res + token.source;
        }
        case 'block-map':
        case 'block-seq': {
            let res = '';
            for (const item of token.items)
                res += stringifyItem(item);
            return res;
        }
        case 'flow-collection': {
            let res = token.start.source;
            for (const item of token.items)
                res += stringifyItem(item);
            for (const st of token.end)
                res += st.source;
            return res;
        }
        case 'document': {
            let res = stringifyItem(token);
            if (token.end)
                for (const st of token.end)
                    res += st.source;
            return res;
        }
        default: {
            let res = token.source;
            if ('end' in token && token.end)
                for (const st of token.end)
                    res += st.source;
            return res;
        }
    }
}
function stringifyItem({ start, key, sep, value }) {
    let res = '';
    for (const st of start)
        res += st.source;
    if (key)
        res += stringifyToken(key);
    if (sep)
        for (const st of sep)
            res += st.source;
    if (value)
        res += stringifyToken(value);
    return res;
}

exports.stringify = stringify;


/***/ }),

/***/ 7715:
/***/ ((__unused_webpack_module, exports) => {



const BREAK = Symbol('break visit');
const SKIP = Symbol('skip children');
const REMOVE = Symbol('remove item');
/**
 * Apply a visitor to a CST document or item.
 *
 * Walks through the tree (depth-first) starting from the root, calling a
 * `visitor` function with two arguments when entering each item:
 *   - `item`: The current item, which included the following members:
 *     - `start: SourceToken[]` \u2013 Source tokens before the key or value,
 *       possibly including its anchor or tag.
 *     - `key?: Token | null` \u2013 Set for pair values. May then be `null`, if
 *       the key before the `:` separator is empty.
 *     - `sep?: SourceToken[]` \u2013 Source tokens between the key and the value,
 *       which should include the `:` map value indicator if `value` is set.
 *     - `value?: Token` \u2013 The value of a sequence item, or of a map pair.
 *   - `path`: The steps from the root to the current node, as an array of
 *     `['key' | 'value', number]` tuples.
 *
 * The return value of the visitor may be used to control the traversal:
 *   - `undefined` (default): Do nothing and continue
 *   - `visit.SKIP`: Do not visit the children of this token, continue with
 *      next sibling
 *   - `visit.BREAK`: Terminate traversal completely
 *   - `visit.REMOVE`: Remove the current item, then continue with the next one
 *   - `number`: Set the index of the next step. This is useful especially if
 *     the index of the current token has changed.
 *   - `function`: Define the next visitor for this item. After the original
 *     visitor is called on item entry, next visitors are called after handling
 *     a non-empty `key` and when exiting the item.
 */
function visit(cst, visitor) {
    if ('type' in cst && cst.type === 'document')
        cst = { start: cst.start, value: cst.value };
    _visit(Object.freeze([]), cst, visitor);
}
// Without the `as symbol` casts, TS declares these in the `visit`
// namespace using `var`, but then complains about that because
// `unique symbol` must be `const`.
/** Terminate visit traversal completely */
visit.BREAK = BREAK;
/** Do not visit the children of the current item */
visit.SKIP = SKIP;
/** Remove the current item */
visit.REMOVE = REMOVE;
/** Find the item at `path` from `cst` as the root */
visit.itemAtPath = (cst, path) => {
    let item = cst;
    for (const [field, index] of path) {
        const tok = item?.[field];
        if (tok && 'items' in tok) {
            item = tok.items[index];
        }
        else
            return undefined;
    }
    return item;
};
/**
 * Get the immediate parent collection of the item at `path` from `cst` as the root.
 *
 * Throws an error if the collection is not found, which should never happen if the item itself exists.
 */
visit.parentCollection = (cst, path) => {
    const parent = visit.itemAtPath(cst, path.slice(0, -1));
    const field = path[path.length - 1][0];
    const coll = parent?.[field];
    if (coll && 'items' in coll)
        return coll;
    throw new Error('Parent collection not found');
};
function _visit(path, item, visitor) {
    let ctrl = visitor(item, path);
    if (typeof ctrl === 'symbol')
        return ctrl;
    for (const field of ['key', 'value']) {
        const token = item[field];
        if (token && 'items' in token) {
            for (let i = 0; i < token.items.length; ++i) {
                const ci = _visit(Object.freeze(path.concat([[field, i]])), token.items[i], visitor);
                if (typeof ci === 'number')
                    i = ci - 1;
                else if (ci === BREAK)
                    return BREAK;
                else if (ci === REMOVE) {
                    token.items.splice(i, 1);
                    i -= 1;
                }
            }
            if (typeof ctrl === 'function' && field === 'key')
                ctrl = ctrl(item, path);
        }
    }
    return typeof ctrl === 'function' ? ctrl(item, path) : ctrl;
}

exports.visit = visit;


/***/ }),

/***/ 3461:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var cstScalar = __nccwpck_require__(110);
var cstStringify = __nccwpck_require__(1733);
var cstVisit = __nccwpck_require__(7715);

/** The byte order mark */
const BOM = '\u{FEFF}';
/** Start of doc-mode */
const DOCUMENT = '\x02'; // C0: Start of Text
/** Unexpected end of flow-mode */
const FLOW_END = '\x18'; // C0: Cancel
/** Next token is a scalar value */
const SCALAR = '\x1f'; // C0: Unit Separator
/** @returns `true` if `token` is a flow or block collection */
const isCollection = (token) => !!token && 'items' in token;
/** @returns `true` if `token` is a flow or block scalar; not an alias */
const isScalar = (token) => !!token &&
    (token.type === 'scalar' ||
        token.type === 'single-quoted-scalar' ||
        token.type === 'double-quoted-scalar' ||
        token.type === 'block-scalar');
/* istanbul ignore next */
/** Get a printable representation of a lexer token */
function prettyToken(token) {
    switch (token) {
        case BOM:
            return '<BOM>';
        case DOCUMENT:
            return '<DOC>';
        case FLOW_END:
            return '<FLOW_END>';
        case SCALAR:
            return '<SCALAR>';
        default:
            return JSON.stringify(token);
    }
}
/** Identify the type of a lexer token. May return `null` for unknown tokens. */
function tokenType(source) {
    switch (source) {
        case BOM:
            return 'byte-order-mark';
        case DOCUMENT:
            return 'doc-mode';
        case FLOW_END:
            return 'flow-error-end';
        case SCALAR:
            return 'scalar';
        case '---':
            return 'doc-start';
        case '...':
            return 'doc-end';
        case '':
        case '\n':
        case '\r\n':
            return 'newline';
        case '-':
            return 'seq-item-ind';
        case '?':
            return 'explicit-key-ind';
        case ':':
            return 'map-value-ind';
        case '{':
            return 'flow-map-start';
        case '}':
            return 'flow-map-end';
        case '[':
            return 'flow-seq-start';
        case ']':
            return 'flow-seq-end';
        case ',':
            return 'comma';
    }
    switch (source[0]) {
        case ' ':
        case '\t':
            return 'space';
        case '#':
            return 'comment';
        case '%':
            return 'directive-line';
        case '*':
            return 'alias';
        case '&':
            return 'anchor';
        case '!':
            return 'tag';
        case "'":
            return 'single-quoted-scalar';
        case '"':
            return 'double-quoted-scalar';
        case '|':
        case '>':
            return 'block-scalar-header';
    }
    return null;
}

exports.createScalarToken = cstScalar.createScalarToken;
exports.resolveAsScalar = cstScalar.resolveAsScalar;
exports.setScalarValue = cstScalar.setScalarValue;
exports.stringify = cstStringify.stringify;
exports.visit = cstVisit.visit;
exports.BOM = BOM;
exports.DOCUMENT = DOCUMENT;
exports.FLOW_END = FLOW_END;
exports.SCALAR = SCALAR;
exports.isCollection = isCollection;
exports.isScalar = isScalar;
exports.prettyToken = prettyToken;
exports.tokenType = tokenType;


/***/ }),

/***/ 361:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var cst = __nccwpck_require__(3461);

/*
START -> stream

stream
  directive -> line-end -> stream
  indent + line-end -> stream
  [else] -> line-start

line-end
  comment -> line-end
  newline -> .
  input-end -> END

line-start
  doc-start -> doc
  doc-end -> stream
  [else] -> indent -> block-start

block-start
  seq-item-start -> block-start
  explicit-key-start -> block-start
  map-value-start -> block-start
  [else] -> doc

doc
  line-end -> line-start
  spaces -> doc
  anchor -> doc
  tag -> doc
  flow-start -> flow -> doc
  flow-end -> error -> doc
  seq-item-start -> error -> doc
  explicit-key-start -> error -> doc
  map-value-start -> doc
  alias -> doc
  quote-start -> quoted-scalar -> doc
  block-scalar-header -> line-end -> block-scalar(min) -> line-start
  [else] -> plain-scalar(false, min) -> doc

flow
  line-end -> flow
  spaces -> flow
  anchor -> flow
  tag -> flow
  flow-start -> flow -> flow
  flow-end -> .
  seq-item-start -> error -> flow
  explicit-key-start -> flow
  map-value-start -> flow
  alias -> flow
  quote-start -> quoted-scalar -> flow
  comma -> flow
  [else] -> plain-scalar(true, 0) -> flow

quoted-scalar
  quote-end -> .
  [else] -> quoted-scalar

block-scalar(min)
  newline + peek(indent < min) -> .
  [else] -> block-scalar(min)

plain-scalar(is-flow, min)
  scalar-end(is-flow) -> .
  peek(newline + (indent < min)) -> .
  [else] -> plain-scalar(min)
*/
function isEmpty(ch) {
    switch (ch) {
        case undefined:
        case ' ':
        case '\n':
        case '\r':
        case '\t':
            return true;
        default:
            return false;
    }
}
const hexDigits = new Set('0123456789ABCDEFabcdef');
const tagChars = new Set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-#;/?:@&=+$_.!~*'()");
const flowIndicatorChars = new Set(',[]{}');
const invalidAnchorChars = new Set(' ,[]{}\n\r\t');
const isNotAnchorChar = (ch) => !ch || invalidAnchorChars.has(ch);
/**
 * Splits an input string into lexical tokens, i.e. smaller strings that are
 * easily identifiable by `tokens.tokenType()`.
 *
 * Lexing starts always in a "stream" context. Incomplete input may be buffered
 * until a complete token can be emitted.
 *
 * In addition to slices of the original input, the following control characters
 * may also be emitted:
 *
 * - `\x02` (Start of Text): A document starts with the next token
 * - `\x18` (Cancel): Unexpected end of flow-mode (indicates an error)
 * - `\x1f` (Unit Separator): Next token is a scalar value
 * - `\u{FEFF}` (Byte order mark): Emitted separately outside documents
 */
class Lexer {
    constructor() {
        /**
         * Flag indicating whether the end of the current buffer marks the end of
         * all input
         */
        this.atEnd = false;
        /**
         * Explicit indent set in block scalar header, as an offset from the current
         * minimum indent, so e.g. set to 1 from a header `|2+`. Set to -1 if not
         * explicitly set.
         */
        this.blockScalarIndent = -1;
        /**
         * Block scalars that include a + (keep) chomping indicator in their header
         * include trailing empty lines, which are otherwise excluded from the
         * scalar's contents.
         */
        this.blockScalarKeep = false;
        /** Current input */
        this.buffer = '';
        /**
         * Flag noting whether the map value indicator : can immediately follow this
         * node within a flow context.
         */
        this.flowKey = false;
        /** Count of surrounding flow collection levels. */
        this.flowLevel = 0;
        /**
         * Minimum level of indentation required for next lines to be parsed as a
         * part of the current scalar value.
         */
        this.indentNext = 0;
        /** Indentation level of the current line. */
        this.indentValue = 0;
        /** Position of the next \n character. */
        this.lineEndPos = null;
        /** Stores the state of the lexer if reaching the end of incpomplete input */
        this.next = null;
        /** A pointer to `buffer`; the current position of the lexer. */
        this.pos = 0;
    }
    /**
     * Generate YAML tokens from the `source` string. If `incomplete`,
     * a part of the last line may be left as a buffer for the next call.
     *
     * @returns A generator of lexical tokens
     */
    *lex(source, incomplete = false) {
        if (source) {
            if (typeof source !== 'string')
                throw TypeError('source is not a string');
            this.buffer = this.buffer ? this.buffer + source : source;
            this.lineEndPos = null;
        }
        this.atEnd = !incomplete;
        let next = this.next ?? 'stream';
        while (next && (incomplete || this.hasChars(1)))
            next = yield* this.parseNext(next);
    }
    atLineEnd() {
        let i = this.pos;
        let ch = this.buffer[i];
        while (ch === ' ' || ch === '\t')
            ch = this.buffer[++i];
        if (!ch || ch === '#' || ch === '\n')
            return true;
        if (ch === '\r')
            return this.buffer[i + 1] === '\n';
        return false;
    }
    charAt(n) {
        return this.buffer[this.pos + n];
    }
    continueScalar(offset) {
        let ch = this.buffer[offset];
        if (this.indentNext > 0) {
            let indent = 0;
            while (ch === ' ')
                ch = this.buffer[++indent + offset];
            if (ch === '\r') {
                const next = this.buffer[indent + offset + 1];
                if (next === '\n' || (!next && !this.atEnd))
                    return offset + indent + 1;
            }
            return ch === '\n' || indent >= this.indentNext || (!ch && !this.atEnd)
                ? offset + indent
                : -1;
        }
        if (ch === '-' || ch === '.') {
            const dt = this.buffer.substr(offset, 3);
            if ((dt === '---' || dt === '...') && isEmpty(this.buffer[offset + 3]))
                return -1;
        }
        return offset;
    }
    getLine() {
        let end = this.lineEndPos;
        if (typeof end !== 'number' || (end !== -1 && end < this.pos)) {
            end = this.buffer.indexOf('\n', this.pos);
            this.lineEndPos = end;
        }
        if (end === -1)
            return this.atEnd ? this.buffer.substring(this.pos) : null;
        if (this.buffer[end - 1] === '\r')
            end -= 1;
        return this.buffer.substring(this.pos, end);
    }
    hasChars(n) {
        return this.pos + n <= this.buffer.length;
    }
    setNext(state) {
        this.buffer = this.buffer.substring(this.pos);
        this.pos = 0;
        this.lineEndPos = null;
        this.next = state;
        return null;
    }
    peek(n) {
        return this.buffer.substr(this.pos, n);
    }
    *parseNext(next) {
        switch (next) {
            case 'stream':
                return yield* this.parseStream();
            case 'line-start':
                return yield* this.parseLineStart();
            case 'block-start':
                return yield* this.parseBlockStart();
            case 'doc':
                return yield* this.parseDocument();
            case 'flow':
                return yield* this.parseFlowCollection();
            case 'quoted-scalar':
                return yield* this.parseQuotedScalar();
            case 'block-scalar':
                return yield* this.parseBlockScalar();
            case 'plain-scalar':
                return yield* this.parsePlainScalar();
        }
    }
    *parseStream() {
        let line = this.getLine();
        if (line === null)
            return this.setNext('stream');
        if (line[0] === cst.BOM) {
            yield* this.pushCount(1);
            line = line.substring(1);
        }
        if (line[0] === '%') {
            let dirEnd = line.length;
            let cs = line.indexOf('#');
            while (cs !== -1) {
                const ch = line[cs - 1];
                if (ch === ' ' || ch === '\t') {
                    dirEnd = cs - 1;
                    break;
                }
                else {
                    cs = line.indexOf('#', cs + 1);
                }
            }
            while (true) {
                const ch = line[dirEnd - 1];
                if (ch === ' ' || ch === '\t')
                    dirEnd -= 1;
                else
                    break;
            }
            const n = (yield* this.pushCount(dirEnd)) + (yield* this.pushSpaces(true));
            yield* this.pushCount(line.length - n); // possible comment
            this.pushNewline();
            return 'stream';
        }
        if (this.atLineEnd()) {
            const sp = yield* this.pushSpaces(true);
            yield* this.pushCount(line.length - sp);
            yield* this.pushNewline();
            return 'stream';
        }
        yield cst.DOCUMENT;
        return yield* this.parseLineStart();
    }
    *parseLineStart() {
        const ch = this.charAt(0);
        if (!ch && !this.atEnd)
            return this.setNext('line-start');
        if (ch === '-' || ch === '.') {
            if (!this.atEnd && !this.hasChars(4))
                return this.setNext('line-start');
            const s = this.peek(3);
            if ((s === '---' || s === '...') && isEmpty(this.charAt(3))) {
                yield* this.pushCount(3);
                this.indentValue = 0;
                this.indentNext = 0;
                return s === '---' ? 'doc' : 'stream';
            }
        }
        this.indentValue = yield* this.pushSpaces(false);
        if (this.indentNext > this.indentValue && !isEmpty(this.charAt(1)))
            this.indentNext = this.indentValue;
        return yield* this.parseBlockStart();
    }
    *parseBlockStart() {
        const [ch0, ch1] = this.peek(2);
        if (!ch1 && !this.atEnd)
            return this.setNext('block-start');
        if ((ch0 === '-' || ch0 === '?' || ch0 === ':') && isEmpty(ch1)) {
            const n = (yield* this.pushCount(1)) + (yield* this.pushSpaces(true));
            this.indentNext = this.indentValue + 1;
            this.indentValue += n;
            return 'block-start';
        }
        return 'doc';
    }
    *parseDocument() {
        yield* this.pushSpaces(true);
        const line = this.getLine();
        if (line === null)
            return this.setNext('doc');
        let n = yield* this.pushIndicators();
        switch (line[n]) {
            case '#':
                yield* this.pushCount(line.length - n);
            // fallthrough
            case undefined:
                yield* this.pushNewline();
                return yield* this.parseLineStart();
            case '{':
            case '[':
                yield* this.pushCount(1);
                this.flowKey = false;
                this.flowLevel = 1;
                return 'flow';
            case '}':
            case ']':
                // this is an error
                yield* this.pushCount(1);
                return 'doc';
            case '*':
                yield* this.pushUntil(isNotAnchorChar);
                return 'doc';
            case '"':
            case "'":
                return yield* this.parseQuotedScalar();
            case '|':
            case '>':
                n += yield* this.parseBlockScalarHeader();
                n += yield* this.pushSpaces(true);
                yield* this.pushCount(line.length - n);
                yield* this.pushNewline();
                return yield* this.parseBlockScalar();
            default:
                return yield* this.parsePlainScalar();
        }
    }
    *parseFlowCollection() {
        let nl, sp;
        let indent = -1;
        do {
            nl = yield* this.pushNewline();
            if (nl > 0) {
                sp = yield* this.pushSpaces(false);
                this.indentValue = indent = sp;
            }
            else {
                sp = 0;
            }
            sp += yield* this.pushSpaces(true);
        } while (nl + sp > 0);
        const line = this.getLine();
        if (line === null)
            return this.setNext('flow');
        if ((indent !== -1 && indent < this.indentNext && line[0] !== '#') ||
            (indent === 0 &&
                (line.startsWith('---') || line.startsWith('...')) &&
                isEmpty(line[3]))) {
            // Allowing for the terminal ] or } at the same (rather than greater)
            // indent level as the initial [ or { is technically invalid, but
            // failing here would be surprising to users.
            const atFlowEndMarker = indent === this.indentNext - 1 &&
                this.flowLevel === 1 &&
                (line[0] === ']' || line[0] === '}');
            if (!atFlowEndMarker) {
                // this is an error
                this.flowLevel = 0;
                yield cst.FLOW_END;
                return yield* this.parseLineStart();
            }
        }
        let n = 0;
        while (line[n] === ',') {
            n += yield* this.pushCount(1);
            n += yield* this.pushSpaces(true);
            this.flowKey = false;
        }
        n += yield* this.pushIndicators();
        switch (line[n]) {
            case undefined:
                return 'flow';
            case '#':
                yield* this.pushCount(line.length - n);
                return 'flow';
            case '{':
            case '[':
                yield* this.pushCount(1);
                this.flowKey = false;
                this.flowLevel += 1;
                return 'flow';
            case '}':
            case ']':
                yield* this.pushCount(1);
                this.flowKey = true;
                this.flowLevel -= 1;
                return this.flowLevel ? 'flow' : 'doc';
            case '*':
                yield* this.pushUntil(isNotAnchorChar);
                return 'flow';
            case '"':
            case "'":
                this.flowKey = true;
                return yield* this.parseQuotedScalar();
            case ':': {
                const next = this.charAt(1);
                if (this.flowKey || isEmpty(next) || next === ',') {
                    this.flowKey = false;
                    yield* this.pushCount(1);
                    yield* this.pushSpaces(true);
                    return 'flow';
                }
            }
            // fallthrough
            default:
                this.flowKey = false;
                return yield* this.parsePlainScalar();
        }
    }
    *parseQuotedScalar() {
        const quote = this.charAt(0);
        let end = this.buffer.indexOf(quote, this.pos + 1);
        if (quote === "'") {
            while (end !== -1 && this.buffer[end + 1] === "'")
                end = this.buffer.indexOf("'", end + 2);
        }
        else {
            // double-quote
            while (end !== -1) {
                let n = 0;
                while (this.buffer[end - 1 - n] === '\\')
                    n += 1;
                if (n % 2 === 0)
                    break;
                end = this.buffer.indexOf('"', end + 1);
            }
        }
        // Only looking for newlines within the quotes
        const qb = this.buffer.substring(0, end);
        let nl = qb.indexOf('\n', this.pos);
        if (nl !== -1) {
            while (nl !== -1) {
                const cs = this.continueScalar(nl + 1);
                if (cs === -1)
                    break;
                nl = qb.indexOf('\n', cs);
            }
            if (nl !== -1) {
                // this is an error caused by an unexpected unindent
                end = nl - (qb[nl - 1] === '\r' ? 2 : 1);
            }
        }
        if (end === -1) {
            if (!this.atEnd)
                return this.setNext('quoted-scalar');
            end = this.buffer.length;
        }
        yield* this.pushToIndex(end + 1, false);
        return this.flowLevel ? 'flow' : 'doc';
    }
    *parseBlockScalarHeader() {
        this.blockScalarIndent = -1;
        this.blockScalarKeep = false;
        let i = this.pos;
        while (true) {
            const ch = this.buffer[++i];
            if (ch === '+')
                this.blockScalarKeep = true;
            else if (ch > '0' && ch <= '9')
                this.blockScalarIndent = Number(ch) - 1;
            else if (ch !== '-')
                break;
        }
        return yield* this.pushUntil(ch => isEmpty(ch) || ch === '#');
    }
    *parseBlockScalar() {
        let nl = this.pos - 1; // may be -1 if this.pos === 0
        let indent = 0;
        let ch;
        loop: for (let i = this.pos; (ch = this.buffer[i]); ++i) {
            switch (ch) {
                case ' ':
                    indent += 1;
                    break;
                case '\n':
                    nl = i;
                    indent = 0;
                    break;
                case '\r': {
                    const next = this.buffer[i + 1];
                    if (!next && !this.atEnd)
                        return this.setNext('block-scalar');
                    if (next === '\n')
                        break;
                } // fallthrough
                default:
                    break loop;
            }
        }
        if (!ch && !this.atEnd)
            return this.setNext('block-scalar');
        if (indent >= this.indentNext) {
            if (this.blockScalarIndent === -1)
                this.indentNext = indent;
            else {
                this.indentNext =
                    this.blockScalarIndent + (this.indentNext === 0 ? 1 : this.indentNext);
            }
            do {
                const cs = this.continueScalar(nl + 1);
                if (cs === -1)
                    break;
                nl = this.buffer.indexOf('\n', cs);
            } while (nl !== -1);
            if (nl === -1) {
                if (!this.atEnd)
                    return this.setNext('block-scalar');
                nl = this.buffer.length;
            }
        }
        // Trailing insufficiently indented tabs are invalid.
        // To catch that during parsing, we include them in the block scalar value.
        let i = nl + 1;
        ch = this.buffer[i];
        while (ch === ' ')
            ch = this.buffer[++i];
        if (ch === '\t') {
            while (ch === '\t' || ch === ' ' || ch === '\r' || ch === '\n')
                ch = this.buffer[++i];
            nl = i - 1;
        }
        else if (!this.blockScalarKeep) {
            do {
                let i = nl - 1;
                let ch = this.buffer[i];
                if (ch === '\r')
                    ch = this.buffer[--i];
                const lastChar = i; // Drop the line if last char not more indented
                while (ch === ' ')
                    ch = this.buffer[--i];
                if (ch === '\n' && i >= this.pos && i + 1 + indent > lastChar)
                    nl = i;
                else
                    break;
            } while (true);
        }
        yield cst.SCALAR;
        yield* this.pushToIndex(nl + 1, true);
        return yield* this.parseLineStart();
    }
    *parsePlainScalar() {
        const inFlow = this.flowLevel > 0;
        let end = this.pos - 1;
        let i = this.pos - 1;
        let ch;
        while ((ch = this.buffer[++i])) {
            if (ch === ':') {
                const next = this.buffer[i + 1];
                if (isEmpty(next) || (inFlow && flowIndicatorChars.has(next)))
                    break;
                end = i;
            }
            else if (isEmpty(ch)) {
                let next = this.buffer[i + 1];
                if (ch === '\r') {
                    if (next === '\n') {
                        i += 1;
                        ch = '\n';
                        next = this.buffer[i + 1];
                    }
                    else
                        end = i;
                }
                if (next === '#' || (inFlow && flowIndicatorChars.has(next)))
                    break;
                if (ch === '\n') {
                    const cs = this.continueScalar(i + 1);
                    if (cs === -1)
                        break;
                    i = Math.max(i, cs - 2); // to advance, but still account for ' #'
                }
            }
            else {
                if (inFlow && flowIndicatorChars.has(ch))
                    break;
                end = i;
            }
        }
        if (!ch && !this.atEnd)
            return this.setNext('plain-scalar');
        yield cst.SCALAR;
        yield* this.pushToIndex(end + 1, true);
        return inFlow ? 'flow' : 'doc';
    }
    *pushCount(n) {
        if (n > 0) {
            yield this.buffer.substr(this.pos, n);
            this.pos += n;
            return n;
        }
        return 0;
    }
    *pushToIndex(i, allowEmpty) {
        const s = this.buffer.slice(this.pos, i);
        if (s) {
            yield s;
            this.pos += s.length;
            return s.length;
        }
        else if (allowEmpty)
            yield '';
        return 0;
    }
    *pushIndicators() {
        let n = 0;
        loop: while (true) {
            switch (this.charAt(0)) {
                case '!':
                    n += yield* this.pushTag();
                    n += yield* this.pushSpaces(true);
                    continue loop;
                case '&':
                    n += yield* this.pushUntil(isNotAnchorChar);
                    n += yield* this.pushSpaces(true);
                    continue loop;
                case '-': // this is an error
                case '?': // this is an error outside flow collections
                case ':': {
                    const inFlow = this.flowLevel > 0;
                    const ch1 = this.charAt(1);
                    if (isEmpty(ch1) || (inFlow && flowIndicatorChars.has(ch1))) {
                        if (!inFlow)
                            this.indentNext = this.indentValue + 1;
                        else if (this.flowKey)
                            this.flowKey = false;
                        n += yield* this.pushCount(1);
                        n += yield* this.pushSpaces(true);
                        continue loop;
                    }
                }
            }
            break loop;
        }
        return n;
    }
    *pushTag() {
        if (this.charAt(1) === '<') {
            let i = this.pos + 2;
            let ch = this.buffer[i];
            while (!isEmpty(ch) && ch !== '>')
                ch = this.buffer[++i];
            return yield* this.pushToIndex(ch === '>' ? i + 1 : i, false);
        }
        else {
            let i = this.pos + 1;
            let ch = this.buffer[i];
            while (ch) {
                if (tagChars.has(ch))
                    ch = this.buffer[++i];
                else if (ch === '%' &&
                    hexDigits.has(this.buffer[i + 1]) &&
                    hexDigits.has(this.buffer[i + 2])) {
                    ch = this.buffer[(i += 3)];
                }
                else
                    break;
            }
            return yield* this.pushToIndex(i, false);
        }
    }
    *pushNewline() {
        const ch = this.buffer[this.pos];
        if (ch === '\n')
            return yield* this.pushCount(1);
        else if (ch === '\r' && this.charAt(1) === '\n')
            return yield* this.pushCount(2);
        else
            return 0;
    }
    *pushSpaces(allowTabs) {
        let i = this.pos - 1;
        let ch;
        do {
            ch = this.buffer[++i];
        } while (ch === ' ' || (allowTabs && ch === '\t'));
        const n = i - this.pos;
        if (n > 0) {
            yield this.buffer.substr(this.pos, n);
            this.pos = i;
        }
        return n;
    }
    *pushUntil(test) {
        let i = this.pos;
        let ch = this.buffer[i];
        while (!test(ch))
            ch = this.buffer[++i];
        return yield* this.pushToIndex(i, false);
    }
}

exports.Lexer = Lexer;


/***/ }),

/***/ 6628:
/***/ ((__unused_webpack_module, exports) => {



/**
 * Tracks newlines during parsing in order to provide an efficient API for
 * determining the one-indexed `{ line, col }` position for any offset
 * within the input.
 */
class LineCounter {
    constructor() {
        this.lineStarts = [];
        /**
         * Should be called in ascending order. Otherwise, call
         * `lineCounter.lineStarts.sort()` before calling `linePos()`.
         */
        this.addNewLine = (offset) => this.lineStarts.push(offset);
        /**
         * Performs a binary search and returns the 1-indexed { line, col }
         * position of `offset`. If `line === 0`, `addNewLine` has never been
         * called or `offset` is before the first known newline.
         */
        this.linePos = (offset) => {
            let low = 0;
            let high = this.lineStarts.length;
            while (low < high) {
                const mid = (low + high) >> 1; // Math.floor((low + high) / 2)
                if (this.lineStarts[mid] < offset)
                    low = mid + 1;
                else
                    high = mid;
            }
            if (this.lineStarts[low] === offset)
                return { line: low + 1, col: 1 };
            if (low === 0)
                return { line: 0, col: offset };
            const start = this.lineStarts[low - 1];
            return { line: low, col: offset - start + 1 };
        };
    }
}

exports.LineCounter = LineCounter;


/***/ }),

/***/ 3456:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var node_process = __nccwpck_require__(932);
var cst = __nccwpck_require__(3461);
var lexer = __nccwpck_require__(361);

function includesToken(list, type) {
    for (let i = 0; i < list.length; ++i)
        if (list[i].type === type)
            return true;
    return false;
}
function findNonEmptyIndex(list) {
    for (let i = 0; i < list.length; ++i) {
        switch (list[i].type) {
            case 'space':
            case 'comment':
            case 'newline':
                break;
            default:
                return i;
        }
    }
    return -1;
}
function isFlowToken(token) {
    switch (token?.type) {
        case 'alias':
        case 'scalar':
        case 'single-quoted-scalar':
        case 'double-quoted-scalar':
        case 'flow-collection':
            return true;
        default:
            return false;
    }
}
function getPrevProps(parent) {
    switch (parent.type) {
        case 'document':
            return parent.start;
        case 'block-map': {
            const it = parent.items[parent.items.length - 1];
            return it.sep ?? it.start;
        }
        case 'block-seq':
            return parent.items[parent.items.length - 1].start;
        /* istanbul ignore next should not happen */
        default:
            return [];
    }
}
/** Note: May modify input array */
function getFirstKeyStartProps(prev) {
    if (prev.length === 0)
        return [];
    let i = prev.length;
    loop: while (--i >= 0) {
        switch (prev[i].type) {
            case 'doc-start':
            case 'explicit-key-ind':
            case 'map-value-ind':
            case 'seq-item-ind':
            case 'newline':
                break loop;
        }
    }
    while (prev[++i]?.type === 'space') {
        /* loop */
    }
    return prev.splice(i, prev.length);
}
function arrayPushArray(target, source) {
    // May exhaust call stack with large `source` array
    if (source.length < 1e5)
        Array.prototype.push.apply(target, source);
    else
        for (let i = 0; i < source.length; ++i)
            target.push(source[i]);
}
function fixFlowSeqItems(fc) {
    if (fc.start.type === 'flow-seq-start') {
        for (const it of fc.items) {
            if (it.sep &&
                !it.value &&
                !includesToken(it.start, 'explicit-key-ind') &&
                !includesToken(it.sep, 'map-value-ind')) {
                if (it.key)
                    it.value = it.key;
                delete it.key;
                if (isFlowToken(it.value)) {
                    if (it.value.end)
                        arrayPushArray(it.value.end, it.sep);
                    else
                        it.value.end = it.sep;
                }
                else
                    arrayPushArray(it.start, it.sep);
                delete it.sep;
            }
        }
    }
}
/**
 * A YAML concrete syntax tree (CST) parser
 *
 * ```ts
 * const src: string = ...
 * for (const token of new Parser().parse(src)) {
 *   // token: Token
 * }
 * ```
 *
 * To use the parser with a user-provided lexer:
 *
 * ```ts
 * function* parse(source: string, lexer: Lexer) {
 *   const parser = new Parser()
 *   for (const lexeme of lexer.lex(source))
 *     yield* parser.next(lexeme)
 *   yield* parser.end()
 * }
 *
 * const src: string = ...
 * const lexer = new Lexer()
 * for (const token of parse(src, lexer)) {
 *   // token: Token
 * }
 * ```
 */
class Parser {
    /**
     * @param onNewLine - If defined, called separately with the start position of
     *   each new line (in `parse()`, including the start of input).
     */
    constructor(onNewLine) {
        /** If true, space and sequence indicators count as indentation */
        this.atNewLine = true;
        /** If true, next token is a scalar value */
        this.atScalar = false;
        /** Current indentation level */
        this.indent = 0;
        /** Current offset since the start of parsing */
        this.offset = 0;
        /** On the same line with a block map key */
        this.onKeyLine = false;
        /** Top indicates the node that's currently being built */
        this.stack = [];
        /** The source of the current token, set in parse() */
        this.source = '';
        /** The type of the current token, set in parse() */
        this.type = '';
        // Must be defined after `next()`
        this.lexer = new lexer.Lexer();
        this.onNewLine = onNewLine;
    }
    /**
     * Parse `source` as a YAML stream.
     * If `incomplete`, a part of the last line may be left as a buffer for the next call.
     *
     * Errors are not thrown, but yielded as `{ type: 'error', message }` tokens.
     *
     * @returns A generator of tokens representing each directive, document, and other structure.
     */
    *parse(source, incomplete = false) {
        if (this.onNewLine && this.offset === 0)
            this.onNewLine(0);
        for (const lexeme of this.lexer.lex(source, incomplete))
            yield* this.next(lexeme);
        if (!incomplete)
            yield* this.end();
    }
    /**
     * Advance the parser by the `source` of one lexical token.
     */
    *next(source) {
        this.source = source;
        if (node_process.env.LOG_TOKENS)
            console.log('|', cst.prettyToken(source));
        if (this.atScalar) {
            this.atScalar = false;
            yield* this.step();
            this.offset += source.length;
            return;
        }
        const type = cst.tokenType(source);
        if (!type) {
            const message = `Not a YAML token: ${source}`;
            yield* this.pop({ type: 'error', offset: this.offset, message, source });
            this.offset += source.length;
        }
        else if (type === 'scalar') {
            this.atNewLine = false;
            this.atScalar = true;
            this.type = 'scalar';
        }
        else {
            this.type = type;
            yield* this.step();
            switch (type) {
                case 'newline':
                    this.atNewLine = true;
                    this.indent = 0;
                    if (this.onNewLine)
                        this.onNewLine(this.offset + source.length);
                    break;
                case 'space':
                    if (this.atNewLine && source[0] === ' ')
                        this.indent += source.length;
                    break;
                case 'explicit-key-ind':
                case 'map-value-ind':
                case 'seq-item-ind':
                    if (this.atNewLine)
                        this.indent += source.length;
                    break;
                case 'doc-mode':
                case 'flow-error-end':
                    return;
                default:
                    this.atNewLine = false;
            }
            this.offset += source.length;
        }
    }
    /** Call at end of input to push out any remaining constructions */
    *end() {
        while (this.stack.length > 0)
            yield* this.pop();
    }
    get sourceToken() {
        const st = {
            type: this.type,
            offset: this.offset,
            indent: this.indent,
            source: this.source
        };
        return st;
    }
    *step() {
        const top = this.peek(1);
        if (this.type === 'doc-end' && top?.type !== 'doc-end') {
            while (this.stack.length > 0)
                yield* this.pop();
            this.stack.push({
                type: 'doc-end',
                offset: this.offset,
                source: this.source
            });
            return;
        }
        if (!top)
            return yield* this.stream();
        switch (top.type) {
            case 'document':
                return yield* this.document(top);
            case 'alias':
            case 'scalar':
            case 'single-quoted-scalar':
            case 'double-quoted-scalar':
                return yield* this.scalar(top);
            case 'block-scalar':
                return yield* this.blockScalar(top);
            case 'block-map':
                return yield* this.blockMap(top);
            case 'block-seq':
                return yield* this.blockSequence(top);
            case 'flow-collection':
                return yield* this.flowCollection(top);
            case 'doc-end':
                return yield* this.documentEnd(top);
        }
        /* istanbul ignore next should not happen */
        yield* this.pop();
    }
    peek(n) {
        return this.stack[this.stack.length - n];
    }
    *pop(error) {
        const token = error ?? this.stack.pop();
        /* istanbul ignore if should not happen */
        if (!token) {
            const message = 'Tried to pop an empty stack';
            yield { type: 'error', offset: this.offset, source: '', message };
        }
        else if (this.stack.length === 0) {
            yield token;
        }
        else {
            const top = this.peek(1);
            if (token.type === 'block-scalar') {
                // Block scalars use their parent rather than header indent
                token.indent = 'indent' in top ? top.indent : 0;
            }
            else if (token.type === 'flow-collection' && top.type === 'document') {
                // Ignore all indent for top-level flow collections
                token.indent = 0;
            }
            if (token.type === 'flow-collection')
                fixFlowSeqItems(token);
            switch (top.type) {
                case 'document':
                    top.value = token;
                    break;
                case 'block-scalar':
                    top.props.push(token); // error
                    break;
                case 'block-map': {
                    const it = top.items[top.items.length - 1];
                    if (it.value) {
                        top.items.push({ start: [], key: token, sep: [] });
                        this.onKeyLine = true;
                        return;
                    }
                    else if (it.sep) {
                        it.value = token;
                    }
                    else {
                        Object.assign(it, { key: token, sep: [] });
                        this.onKeyLine = !it.explicitKey;
                        return;
                    }
                    break;
                }
                case 'block-seq': {
                    const it = top.items[top.items.length - 1];
                    if (it.value)
                        top.items.push({ start: [], value: token });
                    else
                        it.value = token;
                    break;
                }
                case 'flow-collection': {
                    const it = top.items[top.items.length - 1];
                    if (!it || it.value)
                        top.items.push({ start: [], key: token, sep: [] });
                    else if (it.sep)
                        it.value = token;
                    else
                        Object.assign(it, { key: token, sep: [] });
                    return;
                }
                /* istanbul ignore next should not happen */
                default:
                    yield* this.pop();
                    yield* this.pop(token);
            }
            if ((top.type === 'document' ||
                top.type === 'block-map' ||
                top.type === 'block-seq') &&
                (token.type === 'block-map' || token.type === 'block-seq')) {
                const last = token.items[token.items.length - 1];
                if (last &&
                    !last.sep &&
                    !last.value &&
                    last.start.length > 0 &&
                    findNonEmptyIndex(last.start) === -1 &&
                    (token.indent === 0 ||
                        last.start.every(st => st.type !== 'comment' || st.indent < token.indent))) {
                    if (top.type === 'document')
                        top.end = last.start;
                    else
                        top.items.push({ start: last.start });
                    token.items.splice(-1, 1);
                }
            }
        }
    }
    *stream() {
        switch (this.type) {
            case 'directive-line':
                yield { type: 'directive', offset: this.offset, source: this.source };
                return;
            case 'byte-order-mark':
            case 'space':
            case 'comment':
            case 'newline':
                yield this.sourceToken;
                return;
            case 'doc-mode':
            case 'doc-start': {
                const doc = {
                    type: 'document',
                    offset: this.offset,
                    start: []
                };
                if (this.type === 'doc-start')
                    doc.start.push(this.sourceToken);
                this.stack.push(doc);
                return;
            }
        }
        yield {
            type: 'error',
            offset: this.offset,
            message: `Unexpected ${this.type} token in YAML stream`,
            source: this.source
        };
    }
    *document(doc) {
        if (doc.value)
            return yield* this.lineEnd(doc);
        switch (this.type) {
            case 'doc-start': {
                if (findNonEmptyIndex(doc.start) !== -1) {
                    yield* this.pop();
                    yield* this.step();
                }
                else
                    doc.start.push(this.sourceToken);
                return;
            }
            case 'anchor':
            case 'tag':
            case 'space':
            case 'comment':
            case 'newline':
                doc.start.push(this.sourceToken);
                return;
        }
        const bv = this.startBlockValue(doc);
        if (bv)
            this.stack.push(bv);
        else {
            yield {
                type: 'error',
                offset: this.offset,
                message: `Unexpected ${this.type} token in YAML document`,
                source: this.source
            };
        }
    }
    *scalar(scalar) {
        if (this.type === 'map-value-ind') {
            const prev = getPrevProps(this.peek(2));
            const start = getFirstKeyStartProps(prev);
            let sep;
            if (scalar.end) {
                sep = scalar.end;
                sep.push(this.sourceToken);
                delete scalar.end;
            }
            else
                sep = [this.sourceToken];
            const map = {
                type: 'block-map',
                offset: scalar.offset,
                indent: scalar.indent,
                items: [{ start, key: scalar, sep }]
            };
            this.onKeyLine = true;
            this.stack[this.stack.length - 1] = map;
        }
        else
            yield* this.lineEnd(scalar);
    }
    *blockScalar(scalar) {
        switch (this.type) {
            case 'space':
            case 'comment':
            case 'newline':
                scalar.props.push(this.sourceToken);
                return;
            case 'scalar':
                scalar.source = this.source;
                // block-scalar source includes trailing newline
                this.atNewLine = true;
                this.indent = 0;
                if (this.onNewLine) {
                    let nl = this.source.indexOf('\n') + 1;
                    while (nl !== 0) {
                        this.onNewLine(this.offset + nl);
                        nl = this.source.indexOf('\n', nl) + 1;
                    }
                }
                yield* this.pop();
                break;
            /* istanbul ignore next should not happen */
            default:
                yield* this.pop();
                yield* this.step();
        }
    }
    *blockMap(map) {
        const it = map.items[map.items.length - 1];
        // it.sep is true-ish if pair already has key or : separator
        switch (this.type) {
            case 'newline':
                this.onKeyLine = false;
                if (it.value) {
                    const end = 'end' in it.value ? it.value.end : undefined;
                    const last = Array.isArray(end) ? end[end.length - 1] : undefined;
                    if (last?.type === 'comment')
                        end?.push(this.sourceToken);
                    else
                        map.items.push({ start: [this.sourceToken] });
                }
                else if (it.sep) {
                    it.sep.push(this.sourceToken);
                }
                else {
                    it.start.push(this.sourceToken);
                }
                return;
            case 'space':
            case 'comment':
                if (it.value) {
                    map.items.push({ start: [this.sourceToken] });
                }
                else if (it.sep) {
                    it.sep.push(this.sourceToken);
                }
                else {
                    if (this.atIndentedComment(it.start, map.indent)) {
                        const prev = map.items[map.items.length - 2];
                        const end = prev?.value?.end;
                        if (Array.isArray(end)) {
                            arrayPushArray(end, it.start);
                            end.push(this.sourceToken);
                            map.items.pop();
                            return;
                        }
                    }
                    it.start.push(this.sourceToken);
                }
                return;
        }
        if (this.indent >= map.indent) {
            const atMapIndent = !this.onKeyLine && this.indent === map.indent;
            const atNextItem = atMapIndent &&
                (it.sep || it.explicitKey) &&
                this.type !== 'seq-item-ind';
            // For empty nodes, assign newline-separated not indented empty tokens to following node
            let start = [];
            if (atNextItem && it.sep && !it.value) {
                const nl = [];
                for (let i = 0; i < it.sep.length; ++i) {
                    const st = it.sep[i];
                    switch (st.type) {
                        case 'newline':
                            nl.push(i);
                            break;
                        case 'space':
                            break;
                        case 'comment':
                            if (st.indent > map.indent)
                                nl.length = 0;
                            break;
                        default:
                            nl.length = 0;
                    }
                }
                if (nl.length >= 2)
                    start = it.sep.splice(nl[1]);
            }
            switch (this.type) {
                case 'anchor':
                case 'tag':
                    if (atNextItem || it.value) {
                        start.push(this.sourceToken);
                        map.items.push({ start });
                        this.onKeyLine = true;
                    }
                    else if (it.sep) {
                        it.sep.push(this.sourceToken);
                    }
                    else {
                        it.start.push(this.sourceToken);
                    }
                    return;
                case 'explicit-key-ind':
                    if (!it.sep && !it.explicitKey) {
                        it.start.push(this.sourceToken);
                        it.explicitKey = true;
                    }
                    else if (atNextItem || it.value) {
                        start.push(this.sourceToken);
                        map.items.push({ start, explicitKey: true });
                    }
                    else {
                        this.stack.push({
                            type: 'block-map',
                            offset: this.offset,
                            indent: this.indent,
                            items: [{ start: [this.sourceToken], explicitKey: true }]
                        });
                    }
                    this.onKeyLine = true;
                    return;
                case 'map-value-ind':
                    if (it.explicitKey) {
                        if (!it.sep) {
                            if (includesToken(it.start, 'newline')) {
                                Object.assign(it, { key: null, sep: [this.sourceToken] });
                            }
                            else {
                                const start = getFirstKeyStartProps(it.start);
                                this.stack.push({
                                    type: 'block-map',
                                    offset: this.offset,
                                    indent: this.indent,
                                    items: [{ start, key: null, sep: [this.sourceToken] }]
                                });
                            }
                        }
                        else if (it.value) {
                            map.items.push({ start: [], key: null, sep: [this.sourceToken] });
                        }
                        else if (includesToken(it.sep, 'map-value-ind')) {
                            this.stack.push({
                                type: 'block-map',
                                offset: this.offset,
                                indent: this.indent,
                                items: [{ start, key: null, sep: [this.sourceToken] }]
                            });
                        }
                        else if (isFlowToken(it.key) &&
                            !includesToken(it.sep, 'newline')) {
                            const start = getFirstKeyStartProps(it.start);
                            const key = it.key;
                            const sep = it.sep;
                            sep.push(this.sourceToken);
                            // @ts-expect-error type guard is wrong here
                            delete it.key;
                            // @ts-expect-error type guard is wrong here
                            delete it.sep;
                            this.stack.push({
                                type: 'block-map',
                                offset: this.offset,
                                indent: this.indent,
                                items: [{ start, key, sep }]
                            });
                        }
                        else if (start.length > 0) {
                            // Not actually at next item
                            it.sep = it.sep.concat(start, this.sourceToken);
                        }
                        else {
                            it.sep.push(this.sourceToken);
                        }
                    }
                    else {
                        if (!it.sep) {
                            Object.assign(it, { key: null, sep: [this.sourceToken] });
                        }
                        else if (it.value || atNextItem) {
                            map.items.push({ start, key: null, sep: [this.sourceToken] });
                        }
                        else if (includesToken(it.sep, 'map-value-ind')) {
                            this.stack.push({
                                type: 'block-map',
                                offset: this.offset,
                                indent: this.indent,
                                items: [{ start: [], key: null, sep: [this.sourceToken] }]
                            });
                        }
                        else {
                            it.sep.push(this.sourceToken);
                        }
                    }
                    this.onKeyLine = true;
                    return;
                case 'alias':
                case 'scalar':
                case 'single-quoted-scalar':
                case 'double-quoted-scalar': {
                    const fs = this.flowScalar(this.type);
                    if (atNextItem || it.value) {
                        map.items.push({ start, key: fs, sep: [] });
                        this.onKeyLine = true;
                    }
                    else if (it.sep) {
                        this.stack.push(fs);
                    }
                    else {
                        Object.assign(it, { key: fs, sep: [] });
                        this.onKeyLine = true;
                    }
                    return;
                }
                default: {
                    const bv = this.startBlockValue(map);
                    if (bv) {
                        if (bv.type === 'block-seq') {
                            if (!it.explicitKey &&
                                it.sep &&
                                !includesToken(it.sep, 'newline')) {
                                yield* this.pop({
                                    type: 'error',
                                    offset: this.offset,
                                    message: 'Unexpected block-seq-ind on same line with key',
                                    source: this.source
                                });
                                return;
                            }
                        }
                        else if (atMapIndent) {
                            map.items.push({ start });
                        }
                        this.stack.push(bv);
                        return;
                    }
                }
            }
        }
        yield* this.pop();
        yield* this.step();
    }
    *blockSequence(seq) {
        const it = seq.items[seq.items.length - 1];
        switch (this.type) {
            case 'newline':
                if (it.value) {
                    const end = 'end' in it.value ? it.value.end : undefined;
                    const last = Array.isArray(end) ? end[end.length - 1] : undefined;
                    if (last?.type === 'comment')
                        end?.push(this.sourceToken);
                    else
                        seq.items.push({ start: [this.sourceToken] });
                }
                else
                    it.start.push(this.sourceToken);
                return;
            case 'space':
            case 'comment':
                if (it.value)
                    seq.items.push({ start: [this.sourceToken] });
                else {
                    if (this.atIndentedComment(it.start, seq.indent)) {
                        const prev = seq.items[seq.items.length - 2];
                        const end = prev?.value?.end;
                        if (Array.isArray(end)) {
                            arrayPushArray(end, it.start);
                            end.push(this.sourceToken);
                            seq.items.pop();
                            return;
                        }
                    }
                    it.start.push(this.sourceToken);
                }
                return;
            case 'anchor':
            case 'tag':
                if (it.value || this.indent <= seq.indent)
                    break;
                it.start.push(this.sourceToken);
                return;
            case 'seq-item-ind':
                if (this.indent !== seq.indent)
                    break;
                if (it.value || includesToken(it.start, 'seq-item-ind'))
                    seq.items.push({ start: [this.sourceToken] });
                else
                    it.start.push(this.sourceToken);
                return;
        }
        if (this.indent > seq.indent) {
            const bv = this.startBlockValue(seq);
            if (bv) {
                this.stack.push(bv);
                return;
            }
        }
        yield* this.pop();
        yield* this.step();
    }
    *flowCollection(fc) {
        const it = fc.items[fc.items.length - 1];
        if (this.type === 'flow-error-end') {
            let top;
            do {
                yield* this.pop();
                top = this.peek(1);
            } while (top?.type === 'flow-collection');
        }
        else if (fc.end.length === 0) {
            switch (this.type) {
                case 'comma':
                case 'explicit-key-ind':
                    if (!it || it.sep)
                        fc.items.push({ start: [this.sourceToken] });
                    else
                        it.start.push(this.sourceToken);
                    return;
                case 'map-value-ind':
                    if (!it || it.value)
                        fc.items.push({ start: [], key: null, sep: [this.sourceToken] });
                    else if (it.sep)
                        it.sep.push(this.sourceToken);
                    else
                        Object.assign(it, { key: null, sep: [this.sourceToken] });
                    return;
                case 'space':
                case 'comment':
                case 'newline':
                case 'anchor':
                case 'tag':
                    if (!it || it.value)
                        fc.items.push({ start: [this.sourceToken] });
                    else if (it.sep)
                        it.sep.push(this.sourceToken);
                    else
                        it.start.push(this.sourceToken);
                    return;
                case 'alias':
                case 'scalar':
                case 'single-quoted-scalar':
                case 'double-quoted-scalar': {
                    const fs = this.flowScalar(this.type);
                    if (!it || it.value)
                        fc.items.push({ start: [], key: fs, sep: [] });
                    else if (it.sep)
                        this.stack.push(fs);
                    else
                        Object.assign(it, { key: fs, sep: [] });
                    return;
                }
                case 'flow-map-end':
                case 'flow-seq-end':
                    fc.end.push(this.sourceToken);
                    return;
            }
            const bv = this.startBlockValue(fc);
            /* istanbul ignore else should not happen */
            if (bv)
                this.stack.push(bv);
            else {
                yield* this.pop();
                yield* this.step();
            }
        }
        else {
            const parent = this.peek(2);
            if (parent.type === 'block-map' &&
                ((this.type === 'map-value-ind' && parent.indent === fc.indent) ||
                    (this.type === 'newline' &&
                        !parent.items[parent.items.length - 1].sep))) {
                yield* this.pop();
                yield* this.step();
            }
            else if (this.type === 'map-value-ind' &&
                parent.type !== 'flow-collection') {
                const prev = getPrevProps(parent);
                const start = getFirstKeyStartProps(prev);
                fixFlowSeqItems(fc);
                const sep = fc.end.splice(1, fc.end.length);
                sep.push(this.sourceToken);
                const map = {
                    type: 'block-map',
                    offset: fc.offset,
                    indent: fc.indent,
                    items: [{ start, key: fc, sep }]
                };
                this.onKeyLine = true;
                this.stack[this.stack.length - 1] = map;
            }
            else {
                yield* this.lineEnd(fc);
            }
        }
    }
    flowScalar(type) {
        if (this.onNewLine) {
            let nl = this.source.indexOf('\n') + 1;
            while (nl !== 0) {
                this.onNewLine(this.offset + nl);
                nl = this.source.indexOf('\n', nl) + 1;
            }
        }
        return {
            type,
            offset: this.offset,
            indent: this.indent,
            source: this.source
        };
    }
    startBlockValue(parent) {
        switch (this.type) {
            case 'alias':
            case 'scalar':
            case 'single-quoted-scalar':
            case 'double-quoted-scalar':
                return this.flowScalar(this.type);
            case 'block-scalar-header':
                return {
                    type: 'block-scalar',
                    offset: this.offset,
                    indent: this.indent,
                    props: [this.sourceToken],
                    source: ''
                };
            case 'flow-map-start':
            case 'flow-seq-start':
                return {
                    type: 'flow-collection',
                    offset: this.offset,
                    indent: this.indent,
                    start: this.sourceToken,
                    items: [],
                    end: []
                };
            case 'seq-item-ind':
                return {
                    type: 'block-seq',
                    offset: this.offset,
                    indent: this.indent,
                    items: [{ start: [this.sourceToken] }]
                };
            case 'explicit-key-ind': {
                this.onKeyLine = true;
                const prev = getPrevProps(parent);
                const start = getFirstKeyStartProps(prev);
                start.push(this.sourceToken);
                return {
                    type: 'block-map',
                    offset: this.offset,
                    indent: this.indent,
                    items: [{ start, explicitKey: true }]
                };
            }
            case 'map-value-ind': {
                this.onKeyLine = true;
                const prev = getPrevProps(parent);
                const start = getFirstKeyStartProps(prev);
                return {
                    type: 'block-map',
                    offset: this.offset,
                    indent: this.indent,
                    items: [{ start, key: null, sep: [this.sourceToken] }]
                };
            }
        }
        return null;
    }
    atIndentedComment(start, indent) {
        if (this.type !== 'comment')
            return false;
        if (this.indent <= indent)
            return false;
        return start.every(st => st.type === 'newline' || st.type === 'space');
    }
    *documentEnd(docEnd) {
        if (this.type !== 'doc-mode') {
            if (docEnd.end)
                docEnd.end.push(this.sourceToken);
            else
                docEnd.end = [this.sourceToken];
            if (this.type === 'newline')
                yield* this.pop();
        }
    }
    *lineEnd(token) {
        switch (this.type) {
            case 'comma':
            case 'doc-start':
            case 'doc-end':
            case 'flow-seq-end':
            case 'flow-map-end':
            case 'map-value-ind':
                yield* this.pop();
                yield* this.step();
                break;
            case 'newline':
                this.onKeyLine = false;
            // fallthrough
            case 'space':
            case 'comment':
            default:
                // all other values are errors
                if (token.end)
                    token.end.push(this.sourceToken);
                else
                    token.end = [this.sourceToken];
                if (this.type === 'newline')
                    yield* this.pop();
        }
    }
}

exports.Parser = Parser;


/***/ }),

/***/ 4047:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var composer = __nccwpck_require__(9984);
var Document = __nccwpck_require__(3021);
var errors = __nccwpck_require__(1464);
var log = __nccwpck_require__(7249);
var identity = __nccwpck_require__(1127);
var lineCounter = __nccwpck_require__(6628);
var parser = __nccwpck_require__(3456);

function parseOptions(options) {
    const prettyErrors = options.prettyErrors !== false;
    const lineCounter$1 = options.lineCounter || (prettyErrors && new lineCounter.LineCounter()) || null;
    return { lineCounter: lineCounter$1, prettyErrors };
}
/**
 * Parse the input as a stream of YAML documents.
 *
 * Documents should be separated from each other by `...` or `---` marker lines.
 *
 * @returns If an empty `docs` array is returned, it will be of type
 *   EmptyStream and contain additional stream information. In
 *   TypeScript, you should use `'empty' in docs` as a type guard for it.
 */
function parseAllDocuments(source, options = {}) {
    const { lineCounter, prettyErrors } = parseOptions(options);
    const parser$1 = new parser.Parser(lineCounter?.addNewLine);
    const composer$1 = new composer.Composer(options);
    const docs = Array.from(composer$1.compose(parser$1.parse(source)));
    if (prettyErrors && lineCounter)
        for (const doc of docs) {
            doc.errors.forEach(errors.prettifyError(source, lineCounter));
            doc.warnings.forEach(errors.prettifyError(source, lineCounter));
        }
    if (docs.length > 0)
        return docs;
    return Object.assign([], { empty: true }, composer$1.streamInfo());
}
/** Parse an input string into a single YAML.Document */
function parseDocument(source, options = {}) {
    const { lineCounter, prettyErrors } = parseOptions(options);
    const parser$1 = new parser.Parser(lineCounter?.addNewLine);
    const composer$1 = new composer.Composer(options);
    // `doc` is always set by compose.end(true) at the very latest
    let doc = null;
    for (const _doc of composer$1.compose(parser$1.parse(source), true, source.length)) {
        if (!doc)
            doc = _doc;
        else if (doc.options.logLevel !== 'silent') {
            doc.errors.push(new errors.YAMLParseError(_doc.range.slice(0, 2), 'MULTIPLE_DOCS', 'Source contains multiple documents; please use YAML.parseAllDocuments()'));
            break;
        }
    }
    if (prettyErrors && lineCounter) {
        doc.errors.forEach(errors.prettifyError(source, lineCounter));
        doc.warnings.forEach(errors.prettifyError(source, lineCounter));
    }
    return doc;
}
function parse(src, reviver, options) {
    let _reviver = undefined;
    if (typeof reviver === 'function') {
        _reviver = reviver;
    }
    else if (options === undefined && reviver && typeof reviver === 'object') {
        options = reviver;
    }
    const doc = parseDocument(src, options);
    if (!doc)
        return null;
    doc.warnings.forEach(warning => log.warn(doc.options.logLevel, warning));
    if (doc.errors.length > 0) {
        if (doc.options.logLevel !== 'silent')
            throw doc.errors[0];
        else
            doc.errors = [];
    }
    return doc.toJS(Object.assign({ reviver: _reviver }, options));
}
function stringify(value, replacer, options) {
    let _replacer = null;
    if (typeof replacer === 'function' || Array.isArray(replacer)) {
        _replacer = replacer;
    }
    else if (options === undefined && replacer) {
        options = replacer;
    }
    if (typeof options === 'string')
        options = options.length;
    if (typeof options === 'number') {
        const indent = Math.round(options);
        options = indent < 1 ? undefined : indent > 8 ? { indent: 8 } : { indent };
    }
    if (value === undefined) {
        const { keepUndefined } = options ?? replacer ?? {};
        if (!keepUndefined)
            return undefined;
    }
    if (identity.isDocument(value) && !_replacer)
        return value.toString(options);
    return new Document.Document(value, _replacer, options).toString(options);
}

exports.parse = parse;
exports.parseAllDocuments = parseAllDocuments;
exports.parseDocument = parseDocument;
exports.stringify = stringify;


/***/ }),

/***/ 5840:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var map = __nccwpck_require__(7451);
var seq = __nccwpck_require__(1706);
var string = __nccwpck_require__(6464);
var tags = __nccwpck_require__(18);

const sortMapEntriesByKey = (a, b) => a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
class Schema {
    constructor({ compat, customTags, merge, resolveKnownTags, schema, sortMapEntries, toStringDefaults }) {
        this.compat = Array.isArray(compat)
            ? tags.getTags(compat, 'compat')
            : compat
                ? tags.getTags(null, compat)
                : null;
        this.name = (typeof schema === 'string' && schema) || 'core';
        this.knownTags = resolveKnownTags ? tags.coreKnownTags : {};
        this.tags = tags.getTags(customTags, this.name, merge);
        this.toStringOptions = toStringDefaults ?? null;
        Object.defineProperty(this, identity.MAP, { value: map.map });
        Object.defineProperty(this, identity.SCALAR, { value: string.string });
        Object.defineProperty(this, identity.SEQ, { value: seq.seq });
        // Used by createMap()
        this.sortMapEntries =
            typeof sortMapEntries === 'function'
                ? sortMapEntries
                : sortMapEntries === true
                    ? sortMapEntriesByKey
                    : null;
    }
    clone() {
        const copy = Object.create(Schema.prototype, Object.getOwnPropertyDescriptors(this));
        copy.tags = this.tags.slice();
        return copy;
    }
}

exports.Schema = Schema;


/***/ }),

/***/ 7451:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var YAMLMap = __nccwpck_require__(4454);

const map = {
    collection: 'map',
    default: true,
    nodeClass: YAMLMap.YAMLMap,
    tag: 'tag:yaml.org,2002:map',
    resolve(map, onError) {
        if (!identity.isMap(map))
            onError('Expected a mapping for this tag');
        return map;
    },
    createNode: (schema, obj, ctx) => YAMLMap.YAMLMap.from(schema, obj, ctx)
};

exports.map = map;


/***/ }),

/***/ 3632:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var Scalar = __nccwpck_require__(3301);

const nullTag = {
    identify: value => value == null,
    createNode: () => new Scalar.Scalar(null),
    default: true,
    tag: 'tag:yaml.org,2002:null',
    test: /^(?:~|[Nn]ull|NULL)?$/,
    resolve: () => new Scalar.Scalar(null),
    stringify: ({ source }, ctx) => typeof source === 'string' && nullTag.test.test(source)
        ? source
        : ctx.options.nullStr
};

exports.nullTag = nullTag;


/***/ }),

/***/ 1706:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var YAMLSeq = __nccwpck_require__(2223);

const seq = {
    collection: 'seq',
    default: true,
    nodeClass: YAMLSeq.YAMLSeq,
    tag: 'tag:yaml.org,2002:seq',
    resolve(seq, onError) {
        if (!identity.isSeq(seq))
            onError('Expected a sequence for this tag');
        return seq;
    },
    createNode: (schema, obj, ctx) => YAMLSeq.YAMLSeq.from(schema, obj, ctx)
};

exports.seq = seq;


/***/ }),

/***/ 6464:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var stringifyString = __nccwpck_require__(3069);

const string = {
    identify: value => typeof value === 'string',
    default: true,
    tag: 'tag:yaml.org,2002:str',
    resolve: str => str,
    stringify(item, ctx, onComment, onChompKeep) {
        ctx = Object.assign({ actualString: true }, ctx);
        return stringifyString.stringifyString(item, ctx, onComment, onChompKeep);
    }
};

exports.string = string;


/***/ }),

/***/ 3959:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var Scalar = __nccwpck_require__(3301);

const boolTag = {
    identify: value => typeof value === 'boolean',
    default: true,
    tag: 'tag:yaml.org,2002:bool',
    test: /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/,
    resolve: str => new Scalar.Scalar(str[0] === 't' || str[0] === 'T'),
    stringify({ source, value }, ctx) {
        if (source && boolTag.test.test(source)) {
            const sv = source[0] === 't' || source[0] === 'T';
            if (value === sv)
                return source;
        }
        return value ? ctx.options.trueStr : ctx.options.falseStr;
    }
};

exports.boolTag = boolTag;


/***/ }),

/***/ 8405:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var Scalar = __nccwpck_require__(3301);
var stringifyNumber = __nccwpck_require__(8689);

const floatNaN = {
    identify: value => typeof value === 'number',
    default: true,
    tag: 'tag:yaml.org,2002:float',
    test: /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
    resolve: str => str.slice(-3).toLowerCase() === 'nan'
        ? NaN
        : str[0] === '-'
            ? Number.NEGATIVE_INFINITY
            : Number.POSITIVE_INFINITY,
    stringify: stringifyNumber.stringifyNumber
};
const floatExp = {
    identify: value => typeof value === 'number',
    default: true,
    tag: 'tag:yaml.org,2002:float',
    format: 'EXP',
    test: /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/,
    resolve: str => parseFloat(str),
    stringify(node) {
        const num = Number(node.value);
        return isFinite(num) ? num.toExponential() : stringifyNumber.stringifyNumber(node);
    }
};
const float = {
    identify: value => typeof value === 'number',
    default: true,
    tag: 'tag:yaml.org,2002:float',
    test: /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/,
    resolve(str) {
        const node = new Scalar.Scalar(parseFloat(str));
        const dot = str.indexOf('.');
        if (dot !== -1 && str[str.length - 1] === '0')
            node.minFractionDigits = str.length - dot - 1;
        return node;
    },
    stringify: stringifyNumber.stringifyNumber
};

exports.float = float;
exports.floatExp = floatExp;
exports.floatNaN = floatNaN;


/***/ }),

/***/ 9874:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var stringifyNumber = __nccwpck_require__(8689);

const intIdentify = (value) => typeof value === 'bigint' || Number.isInteger(value);
const intResolve = (str, offset, radix, { intAsBigInt }) => (intAsBigInt ? BigInt(str) : parseInt(str.substring(offset), radix));
function intStringify(node, radix, prefix) {
    const { value } = node;
    if (intIdentify(value) && value >= 0)
        return prefix + value.toString(radix);
    return stringifyNumber.stringifyNumber(node);
}
const intOct = {
    identify: value => intIdentify(value) && value >= 0,
    default: true,
    tag: 'tag:yaml.org,2002:int',
    format: 'OCT',
    test: /^0o[0-7]+$/,
    resolve: (str, _onError, opt) => intResolve(str, 2, 8, opt),
    stringify: node => intStringify(node, 8, '0o')
};
const int = {
    identify: intIdentify,
    default: true,
    tag: 'tag:yaml.org,2002:int',
    test: /^[-+]?[0-9]+$/,
    resolve: (str, _onError, opt) => intResolve(str, 0, 10, opt),
    stringify: stringifyNumber.stringifyNumber
};
const intHex = {
    identify: value => intIdentify(value) && value >= 0,
    default: true,
    tag: 'tag:yaml.org,2002:int',
    format: 'HEX',
    test: /^0x[0-9a-fA-F]+$/,
    resolve: (str, _onError, opt) => intResolve(str, 2, 16, opt),
    stringify: node => intStringify(node, 16, '0x')
};

exports.int = int;
exports.intHex = intHex;
exports.intOct = intOct;


/***/ }),

/***/ 896:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var map = __nccwpck_require__(7451);
var _null = __nccwpck_require__(3632);
var seq = __nccwpck_require__(1706);
var string = __nccwpck_require__(6464);
var bool = __nccwpck_require__(3959);
var float = __nccwpck_require__(8405);
var int = __nccwpck_require__(9874);

const schema = [
    map.map,
    seq.seq,
    string.string,
    _null.nullTag,
    bool.boolTag,
    int.intOct,
    int.int,
    int.intHex,
    float.floatNaN,
    float.floatExp,
    float.float
];

exports.schema = schema;


/***/ }),

/***/ 3559:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var Scalar = __nccwpck_require__(3301);
var map = __nccwpck_require__(7451);
var seq = __nccwpck_require__(1706);

function intIdentify(value) {
    return typeof value === 'bigint' || Number.isInteger(value);
}
const stringifyJSON = ({ value }) => JSON.stringify(value);
const jsonScalars = [
    {
        identify: value => typeof value === 'string',
        default: true,
        tag: 'tag:yaml.org,2002:str',
        resolve: str => str,
        stringify: stringifyJSON
    },
    {
        identify: value => value == null,
        createNode: () => new Scalar.Scalar(null),
        default: true,
        tag: 'tag:yaml.org,2002:null',
        test: /^null$/,
        resolve: () => null,
        stringify: stringifyJSON
    },
    {
        identify: value => typeof value === 'boolean',
        default: true,
        tag: 'tag:yaml.org,2002:bool',
        test: /^true$|^false$/,
        resolve: str => str === 'true',
        stringify: stringifyJSON
    },
    {
        identify: intIdentify,
        default: true,
        tag: 'tag:yaml.org,2002:int',
        test: /^-?(?:0|[1-9][0-9]*)$/,
        resolve: (str, _onError, { intAsBigInt }) => intAsBigInt ? BigInt(str) : parseInt(str, 10),
        stringify: ({ value }) => intIdentify(value) ? value.toString() : JSON.stringify(value)
    },
    {
        identify: value => typeof value === 'number',
        default: true,
        tag: 'tag:yaml.org,2002:float',
        test: /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?$/,
        resolve: str => parseFloat(str),
        stringify: stringifyJSON
    }
];
const jsonError = {
    default: true,
    tag: '',
    test: /^/,
    resolve(str, onError) {
        onError(`Unresolved plain scalar ${JSON.stringify(str)}`);
        return str;
    }
};
const schema = [map.map, seq.seq].concat(jsonScalars, jsonError);

exports.schema = schema;


/***/ }),

/***/ 18:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var map = __nccwpck_require__(7451);
var _null = __nccwpck_require__(3632);
var seq = __nccwpck_require__(1706);
var string = __nccwpck_require__(6464);
var bool = __nccwpck_require__(3959);
var float = __nccwpck_require__(8405);
var int = __nccwpck_require__(9874);
var schema = __nccwpck_require__(896);
var schema$1 = __nccwpck_require__(3559);
var binary = __nccwpck_require__(6083);
var merge = __nccwpck_require__(452);
var omap = __nccwpck_require__(303);
var pairs = __nccwpck_require__(8385);
var schema$2 = __nccwpck_require__(5913);
var set = __nccwpck_require__(1528);
var timestamp = __nccwpck_require__(6752);

const schemas = new Map([
    ['core', schema.schema],
    ['failsafe', [map.map, seq.seq, string.string]],
    ['json', schema$1.schema],
    ['yaml11', schema$2.schema],
    ['yaml-1.1', schema$2.schema]
]);
const tagsByName = {
    binary: binary.binary,
    bool: bool.boolTag,
    float: float.float,
    floatExp: float.floatExp,
    floatNaN: float.floatNaN,
    floatTime: timestamp.floatTime,
    int: int.int,
    intHex: int.intHex,
    intOct: int.intOct,
    intTime: timestamp.intTime,
    map: map.map,
    merge: merge.merge,
    null: _null.nullTag,
    omap: omap.omap,
    pairs: pairs.pairs,
    seq: seq.seq,
    set: set.set,
    timestamp: timestamp.timestamp
};
const coreKnownTags = {
    'tag:yaml.org,2002:binary': binary.binary,
    'tag:yaml.org,2002:merge': merge.merge,
    'tag:yaml.org,2002:omap': omap.omap,
    'tag:yaml.org,2002:pairs': pairs.pairs,
    'tag:yaml.org,2002:set': set.set,
    'tag:yaml.org,2002:timestamp': timestamp.timestamp
};
function getTags(customTags, schemaName, addMergeTag) {
    const schemaTags = schemas.get(schemaName);
    if (schemaTags && !customTags) {
        return addMergeTag && !schemaTags.includes(merge.merge)
            ? schemaTags.concat(merge.merge)
            : schemaTags.slice();
    }
    let tags = schemaTags;
    if (!tags) {
        if (Array.isArray(customTags))
            tags = [];
        else {
            const keys = Array.from(schemas.keys())
                .filter(key => key !== 'yaml11')
                .map(key => JSON.stringify(key))
                .join(', ');
            throw new Error(`Unknown schema "${schemaName}"; use one of ${keys} or define customTags array`);
        }
    }
    if (Array.isArray(customTags)) {
        for (const tag of customTags)
            tags = tags.concat(tag);
    }
    else if (typeof customTags === 'function') {
        tags = customTags(tags.slice());
    }
    if (addMergeTag)
        tags = tags.concat(merge.merge);
    return tags.reduce((tags, tag) => {
        const tagObj = typeof tag === 'string' ? tagsByName[tag] : tag;
        if (!tagObj) {
            const tagName = JSON.stringify(tag);
            const keys = Object.keys(tagsByName)
                .map(key => JSON.stringify(key))
                .join(', ');
            throw new Error(`Unknown custom tag ${tagName}; use one of ${keys}`);
        }
        if (!tags.includes(tagObj))
            tags.push(tagObj);
        return tags;
    }, []);
}

exports.coreKnownTags = coreKnownTags;
exports.getTags = getTags;


/***/ }),

/***/ 6083:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var node_buffer = __nccwpck_require__(181);
var Scalar = __nccwpck_require__(3301);
var stringifyString = __nccwpck_require__(3069);

const binary = {
    identify: value => value instanceof Uint8Array, // Buffer inherits from Uint8Array
    default: false,
    tag: 'tag:yaml.org,2002:binary',
    /**
     * Returns a Buffer in node and an Uint8Array in browsers
     *
     * To use the resulting buffer as an image, you'll want to do something like:
     *
     *   const blob = new Blob([buffer], { type: 'image/jpeg' })
     *   document.querySelector('#photo').src = URL.createObjectURL(blob)
     */
    resolve(src, onError) {
        if (typeof node_buffer.Buffer === 'function') {
            return node_buffer.Buffer.from(src, 'base64');
        }
        else if (typeof atob === 'function') {
            // On IE 11, atob() can't handle newlines
            const str = atob(src.replace(/[\n\r]/g, ''));
            const buffer = new Uint8Array(str.length);
            for (let i = 0; i < str.length; ++i)
                buffer[i] = str.charCodeAt(i);
            return buffer;
        }
        else {
            onError('This environment does not support reading binary tags; either Buffer or atob is required');
            return src;
        }
    },
    stringify({ comment, type, value }, ctx, onComment, onChompKeep) {
        if (!value)
            return '';
        const buf = value; // checked earlier by binary.identify()
        let str;
        if (typeof node_buffer.Buffer === 'function') {
            str =
                buf instanceof node_buffer.Buffer
                    ? buf.toString('base64')
                    : node_buffer.Buffer.from(buf.buffer).toString('base64');
        }
        else if (typeof btoa === 'function') {
            let s = '';
            for (let i = 0; i < buf.length; ++i)
                s += String.fromCharCode(buf[i]);
            str = btoa(s);
        }
        else {
            throw new Error('This environment does not support writing binary tags; either Buffer or btoa is required');
        }
        type ?? (type = Scalar.Scalar.BLOCK_LITERAL);
        if (type !== Scalar.Scalar.QUOTE_DOUBLE) {
            const lineWidth = Math.max(ctx.options.lineWidth - ctx.indent.length, ctx.options.minContentWidth);
            const n = Math.ceil(str.length / lineWidth);
            const lines = new Array(n);
            for (let i = 0, o = 0; i < n; ++i, o += lineWidth) {
                lines[i] = str.substr(o, lineWidth);
            }
            str = lines.join(type === Scalar.Scalar.BLOCK_LITERAL ? '\n' : ' ');
        }
        return stringifyString.stringifyString({ comment, type, value: str }, ctx, onComment, onChompKeep);
    }
};

exports.binary = binary;


/***/ }),

/***/ 8398:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var Scalar = __nccwpck_require__(3301);

function boolStringify({ value, source }, ctx) {
    const boolObj = value ? trueTag : falseTag;
    if (source && boolObj.test.test(source))
        return source;
    return value ? ctx.options.trueStr : ctx.options.falseStr;
}
const trueTag = {
    identify: value => value === true,
    default: true,
    tag: 'tag:yaml.org,2002:bool',
    test: /^(?:Y|y|[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/,
    resolve: () => new Scalar.Scalar(true),
    stringify: boolStringify
};
const falseTag = {
    identify: value => value === false,
    default: true,
    tag: 'tag:yaml.org,2002:bool',
    test: /^(?:N|n|[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/,
    resolve: () => new Scalar.Scalar(false),
    stringify: boolStringify
};

exports.falseTag = falseTag;
exports.trueTag = trueTag;


/***/ }),

/***/ 5782:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var Scalar = __nccwpck_require__(3301);
var stringifyNumber = __nccwpck_require__(8689);

const floatNaN = {
    identify: value => typeof value === 'number',
    default: true,
    tag: 'tag:yaml.org,2002:float',
    test: /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
    resolve: (str) => str.slice(-3).toLowerCase() === 'nan'
        ? NaN
        : str[0] === '-'
            ? Number.NEGATIVE_INFINITY
            : Number.POSITIVE_INFINITY,
    stringify: stringifyNumber.stringifyNumber
};
const floatExp = {
    identify: value => typeof value === 'number',
    default: true,
    tag: 'tag:yaml.org,2002:float',
    format: 'EXP',
    test: /^[-+]?(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?[eE][-+]?[0-9]+$/,
    resolve: (str) => parseFloat(str.replace(/_/g, '')),
    stringify(node) {
        const num = Number(node.value);
        return isFinite(num) ? num.toExponential() : stringifyNumber.stringifyNumber(node);
    }
};
const float = {
    identify: value => typeof value === 'number',
    default: true,
    tag: 'tag:yaml.org,2002:float',
    test: /^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*$/,
    resolve(str) {
        const node = new Scalar.Scalar(parseFloat(str.replace(/_/g, '')));
        const dot = str.indexOf('.');
        if (dot !== -1) {
            const f = str.substring(dot + 1).replace(/_/g, '');
            if (f[f.length - 1] === '0')
                node.minFractionDigits = f.length;
        }
        return node;
    },
    stringify: stringifyNumber.stringifyNumber
};

exports.float = float;
exports.floatExp = floatExp;
exports.floatNaN = floatNaN;


/***/ }),

/***/ 873:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var stringifyNumber = __nccwpck_require__(8689);

const intIdentify = (value) => typeof value === 'bigint' || Number.isInteger(value);
function intResolve(str, offset, radix, { intAsBigInt }) {
    const sign = str[0];
    if (sign === '-' || sign === '+')
        offset += 1;
    str = str.substring(offset).replace(/_/g, '');
    if (intAsBigInt) {
        switch (radix) {
            case 2:
                str = `0b${str}`;
                break;
            case 8:
                str = `0o${str}`;
                break;
            case 16:
                str = `0x${str}`;
                break;
        }
        const n = BigInt(str);
        return sign === '-' ? BigInt(-1) * n : n;
    }
    const n = parseInt(str, radix);
    return sign === '-' ? -1 * n : n;
}
function intStringify(node, radix, prefix) {
    const { value } = node;
    if (intIdentify(value)) {
        const str = value.toString(radix);
        return value < 0 ? '-' + prefix + str.substr(1) : prefix + str;
    }
    return stringifyNumber.stringifyNumber(node);
}
const intBin = {
    identify: intIdentify,
    default: true,
    tag: 'tag:yaml.org,2002:int',
    format: 'BIN',
    test: /^[-+]?0b[0-1_]+$/,
    resolve: (str, _onError, opt) => intResolve(str, 2, 2, opt),
    stringify: node => intStringify(node, 2, '0b')
};
const intOct = {
    identify: intIdentify,
    default: true,
    tag: 'tag:yaml.org,2002:int',
    format: 'OCT',
    test: /^[-+]?0[0-7_]+$/,
    resolve: (str, _onError, opt) => intResolve(str, 1, 8, opt),
    stringify: node => intStringify(node, 8, '0')
};
const int = {
    identify: intIdentify,
    default: true,
    tag: 'tag:yaml.org,2002:int',
    test: /^[-+]?[0-9][0-9_]*$/,
    resolve: (str, _onError, opt) => intResolve(str, 0, 10, opt),
    stringify: stringifyNumber.stringifyNumber
};
const intHex = {
    identify: intIdentify,
    default: true,
    tag: 'tag:yaml.org,2002:int',
    format: 'HEX',
    test: /^[-+]?0x[0-9a-fA-F_]+$/,
    resolve: (str, _onError, opt) => intResolve(str, 2, 16, opt),
    stringify: node => intStringify(node, 16, '0x')
};

exports.int = int;
exports.intBin = intBin;
exports.intHex = intHex;
exports.intOct = intOct;


/***/ }),

/***/ 452:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var Scalar = __nccwpck_require__(3301);

// If the value associated with a merge key is a single mapping node, each of
// its key/value pairs is inserted into the current mapping, unless the key
// already exists in it. If the value associated with the merge key is a
// sequence, then this sequence is expected to contain mapping nodes and each
// of these nodes is merged in turn according to its order in the sequence.
// Keys in mapping nodes earlier in the sequence override keys specified in
// later mapping nodes. -- http://yaml.org/type/merge.html
const MERGE_KEY = '<<';
const merge = {
    identify: value => value === MERGE_KEY ||
        (typeof value === 'symbol' && value.description === MERGE_KEY),
    default: 'key',
    tag: 'tag:yaml.org,2002:merge',
    test: /^<<$/,
    resolve: () => Object.assign(new Scalar.Scalar(Symbol(MERGE_KEY)), {
        addToJSMap: addMergeToJSMap
    }),
    stringify: () => MERGE_KEY
};
const isMergeKey = (ctx, key) => (merge.identify(key) ||
    (identity.isScalar(key) &&
        (!key.type || key.type === Scalar.Scalar.PLAIN) &&
        merge.identify(key.value))) &&
    ctx?.doc.schema.tags.some(tag => tag.tag === merge.tag && tag.default);
function addMergeToJSMap(ctx, map, value) {
    const source = resolveAliasValue(ctx, value);
    if (identity.isSeq(source))
        for (const it of source.items)
            mergeValue(ctx, map, it);
    else if (Array.isArray(source))
        for (const it of source)
            mergeValue(ctx, map, it);
    else
        mergeValue(ctx, map, source);
}
function mergeValue(ctx, map, value) {
    const source = resolveAliasValue(ctx, value);
    if (!identity.isMap(source))
        throw new Error('Merge sources must be maps or map aliases');
    const srcMap = source.toJSON(null, ctx, Map);
    for (const [key, value] of srcMap) {
        if (map instanceof Map) {
            if (!map.has(key))
                map.set(key, value);
        }
        else if (map instanceof Set) {
            map.add(key);
        }
        else if (!Object.prototype.hasOwnProperty.call(map, key)) {
            Object.defineProperty(map, key, {
                value,
                writable: true,
                enumerable: true,
                configurable: true
            });
        }
    }
    return map;
}
function resolveAliasValue(ctx, value) {
    return ctx && identity.isAlias(value) ? value.resolve(ctx.doc, ctx) : value;
}

exports.addMergeToJSMap = addMergeToJSMap;
exports.isMergeKey = isMergeKey;
exports.merge = merge;


/***/ }),

/***/ 303:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var toJS = __nccwpck_require__(4043);
var YAMLMap = __nccwpck_require__(4454);
var YAMLSeq = __nccwpck_require__(2223);
var pairs = __nccwpck_require__(8385);

class YAMLOMap extends YAMLSeq.YAMLSeq {
    constructor() {
        super();
        this.add = YAMLMap.YAMLMap.prototype.add.bind(this);
        this.delete = YAMLMap.YAMLMap.prototype.delete.bind(this);
        this.get = YAMLMap.YAMLMap.prototype.get.bind(this);
        this.has = YAMLMap.YAMLMap.prototype.has.bind(this);
        this.set = YAMLMap.YAMLMap.prototype.set.bind(this);
        this.tag = YAMLOMap.tag;
    }
    /**
     * If `ctx` is given, the return type is actually `Map<unknown, unknown>`,
     * but TypeScript won't allow widening the signature of a child method.
     */
    toJSON(_, ctx) {
        if (!ctx)
            return super.toJSON(_);
        const map = new Map();
        if (ctx?.onCreate)
            ctx.onCreate(map);
        for (const pair of this.items) {
            let key, value;
            if (identity.isPair(pair)) {
                key = toJS.toJS(pair.key, '', ctx);
                value = toJS.toJS(pair.value, key, ctx);
            }
            else {
                key = toJS.toJS(pair, '', ctx);
            }
            if (map.has(key))
                throw new Error('Ordered maps must not include duplicate keys');
            map.set(key, value);
        }
        return map;
    }
    static from(schema, iterable, ctx) {
        const pairs$1 = pairs.createPairs(schema, iterable, ctx);
        const omap = new this();
        omap.items = pairs$1.items;
        return omap;
    }
}
YAMLOMap.tag = 'tag:yaml.org,2002:omap';
const omap = {
    collection: 'seq',
    identify: value => value instanceof Map,
    nodeClass: YAMLOMap,
    default: false,
    tag: 'tag:yaml.org,2002:omap',
    resolve(seq, onError) {
        const pairs$1 = pairs.resolvePairs(seq, onError);
        const seenKeys = [];
        for (const { key } of pairs$1.items) {
            if (identity.isScalar(key)) {
                if (seenKeys.includes(key.value)) {
                    onError(`Ordered maps must not include duplicate keys: ${key.value}`);
                }
                else {
                    seenKeys.push(key.value);
                }
            }
        }
        return Object.assign(new YAMLOMap(), pairs$1);
    },
    createNode: (schema, iterable, ctx) => YAMLOMap.from(schema, iterable, ctx)
};

exports.YAMLOMap = YAMLOMap;
exports.omap = omap;


/***/ }),

/***/ 8385:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var Pair = __nccwpck_require__(7165);
var Scalar = __nccwpck_require__(3301);
var YAMLSeq = __nccwpck_require__(2223);

function resolvePairs(seq, onError) {
    if (identity.isSeq(seq)) {
        for (let i = 0; i < seq.items.length; ++i) {
            let item = seq.items[i];
            if (identity.isPair(item))
                continue;
            else if (identity.isMap(item)) {
                if (item.items.length > 1)
                    onError('Each pair must have its own sequence indicator');
                const pair = item.items[0] || new Pair.Pair(new Scalar.Scalar(null));
                if (item.commentBefore)
                    pair.key.commentBefore = pair.key.commentBefore
                        ? `${item.commentBefore}\n${pair.key.commentBefore}`
                        : item.commentBefore;
                if (item.comment) {
                    const cn = pair.value ?? pair.key;
                    cn.comment = cn.comment
                        ? `${item.comment}\n${cn.comment}`
                        : item.comment;
                }
                item = pair;
            }
            seq.items[i] = identity.isPair(item) ? item : new Pair.Pair(item);
        }
    }
    else
        onError('Expected a sequence for this tag');
    return seq;
}
function createPairs(schema, iterable, ctx) {
    const { replacer } = ctx;
    const pairs = new YAMLSeq.YAMLSeq(schema);
    pairs.tag = 'tag:yaml.org,2002:pairs';
    let i = 0;
    if (iterable && Symbol.iterator in Object(iterable))
        for (let it of iterable) {
            if (typeof replacer === 'function')
                it = replacer.call(iterable, String(i++), it);
            let key, value;
            if (Array.isArray(it)) {
                if (it.length === 2) {
                    key = it[0];
                    value = it[1];
                }
                else
                    throw new TypeError(`Expected [key, value] tuple: ${it}`);
            }
            else if (it && it instanceof Object) {
                const keys = Object.keys(it);
                if (keys.length === 1) {
                    key = keys[0];
                    value = it[key];
                }
                else {
                    throw new TypeError(`Expected tuple with one key, not ${keys.length} keys`);
                }
            }
            else {
                key = it;
            }
            pairs.items.push(Pair.createPair(key, value, ctx));
        }
    return pairs;
}
const pairs = {
    collection: 'seq',
    default: false,
    tag: 'tag:yaml.org,2002:pairs',
    resolve: resolvePairs,
    createNode: createPairs
};

exports.createPairs = createPairs;
exports.pairs = pairs;
exports.resolvePairs = resolvePairs;


/***/ }),

/***/ 5913:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var map = __nccwpck_require__(7451);
var _null = __nccwpck_require__(3632);
var seq = __nccwpck_require__(1706);
var string = __nccwpck_require__(6464);
var binary = __nccwpck_require__(6083);
var bool = __nccwpck_require__(8398);
var float = __nccwpck_require__(5782);
var int = __nccwpck_require__(873);
var merge = __nccwpck_require__(452);
var omap = __nccwpck_require__(303);
var pairs = __nccwpck_require__(8385);
var set = __nccwpck_require__(1528);
var timestamp = __nccwpck_require__(6752);

const schema = [
    map.map,
    seq.seq,
    string.string,
    _null.nullTag,
    bool.trueTag,
    bool.falseTag,
    int.intBin,
    int.intOct,
    int.int,
    int.intHex,
    float.floatNaN,
    float.floatExp,
    float.float,
    binary.binary,
    merge.merge,
    omap.omap,
    pairs.pairs,
    set.set,
    timestamp.intTime,
    timestamp.floatTime,
    timestamp.timestamp
];

exports.schema = schema;


/***/ }),

/***/ 1528:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var Pair = __nccwpck_require__(7165);
var YAMLMap = __nccwpck_require__(4454);

class YAMLSet extends YAMLMap.YAMLMap {
    constructor(schema) {
        super(schema);
        this.tag = YAMLSet.tag;
    }
    add(key) {
        let pair;
        if (identity.isPair(key))
            pair = key;
        else if (key &&
            typeof key === 'object' &&
            'key' in key &&
            'value' in key &&
            key.value === null)
            pair = new Pair.Pair(key.key, null);
        else
            pair = new Pair.Pair(key, null);
        const prev = YAMLMap.findPair(this.items, pair.key);
        if (!prev)
            this.items.push(pair);
    }
    /**
     * If `keepPair` is `true`, returns the Pair matching `key`.
     * Otherwise, returns the value of that Pair's key.
     */
    get(key, keepPair) {
        const pair = YAMLMap.findPair(this.items, key);
        return !keepPair && identity.isPair(pair)
            ? identity.isScalar(pair.key)
                ? pair.key.value
                : pair.key
            : pair;
    }
    set(key, value) {
        if (typeof value !== 'boolean')
            throw new Error(`Expected boolean value for set(key, value) in a YAML set, not ${typeof value}`);
        const prev = YAMLMap.findPair(this.items, key);
        if (prev && !value) {
            this.items.splice(this.items.indexOf(prev), 1);
        }
        else if (!prev && value) {
            this.items.push(new Pair.Pair(key));
        }
    }
    toJSON(_, ctx) {
        return super.toJSON(_, ctx, Set);
    }
    toString(ctx, onComment, onChompKeep) {
        if (!ctx)
            return JSON.stringify(this);
        if (this.hasAllNullValues(true))
            return super.toString(Object.assign({}, ctx, { allNullValues: true }), onComment, onChompKeep);
        else
            throw new Error('Set items must all have null values');
    }
    static from(schema, iterable, ctx) {
        const { replacer } = ctx;
        const set = new this(schema);
        if (iterable && Symbol.iterator in Object(iterable))
            for (let value of iterable) {
                if (typeof replacer === 'function')
                    value = replacer.call(iterable, value, value);
                set.items.push(Pair.createPair(value, null, ctx));
            }
        return set;
    }
}
YAMLSet.tag = 'tag:yaml.org,2002:set';
const set = {
    collection: 'map',
    identify: value => value instanceof Set,
    nodeClass: YAMLSet,
    default: false,
    tag: 'tag:yaml.org,2002:set',
    createNode: (schema, iterable, ctx) => YAMLSet.from(schema, iterable, ctx),
    resolve(map, onError) {
        if (identity.isMap(map)) {
            if (map.hasAllNullValues(true))
                return Object.assign(new YAMLSet(), map);
            else
                onError('Set items must all have null values');
        }
        else
            onError('Expected a mapping for this tag');
        return map;
    }
};

exports.YAMLSet = YAMLSet;
exports.set = set;


/***/ }),

/***/ 6752:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var stringifyNumber = __nccwpck_require__(8689);

/** Internal types handle bigint as number, because TS can't figure it out. */
function parseSexagesimal(str, asBigInt) {
    const sign = str[0];
    const parts = sign === '-' || sign === '+' ? str.substring(1) : str;
    const num = (n) => asBigInt ? BigInt(n) : Number(n);
    const res = parts
        .replace(/_/g, '')
        .split(':')
        .reduce((res, p) => res * num(60) + num(p), num(0));
    return (sign === '-' ? num(-1) * res : res);
}
/**
 * hhhh:mm:ss.sss
 *
 * Internal types handle bigint as number, because TS can't figure it out.
 */
function stringifySexagesimal(node) {
    let { value } = node;
    let num = (n) => n;
    if (typeof value === 'bigint')
        num = n => BigInt(n);
    else if (isNaN(value) || !isFinite(value))
        return stringifyNumber.stringifyNumber(node);
    let sign = '';
    if (value < 0) {
        sign = '-';
        value *= num(-1);
    }
    const _60 = num(60);
    const parts = [value % _60]; // seconds, including ms
    if (value < 60) {
        parts.unshift(0); // at least one : is required
    }
    else {
        value = (value - parts[0]) / _60;
        parts.unshift(value % _60); // minutes
        if (value >= 60) {
            value = (value - parts[0]) / _60;
            parts.unshift(value); // hours
        }
    }
    return (sign +
        parts
            .map(n => String(n).padStart(2, '0'))
            .join(':')
            .replace(/000000\d*$/, '') // % 60 may introduce error
    );
}
const intTime = {
    identify: value => typeof value === 'bigint' || Number.isInteger(value),
    default: true,
    tag: 'tag:yaml.org,2002:int',
    format: 'TIME',
    test: /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+$/,
    resolve: (str, _onError, { intAsBigInt }) => parseSexagesimal(str, intAsBigInt),
    stringify: stringifySexagesimal
};
const floatTime = {
    identify: value => typeof value === 'number',
    default: true,
    tag: 'tag:yaml.org,2002:float',
    format: 'TIME',
    test: /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*$/,
    resolve: str => parseSexagesimal(str, false),
    stringify: stringifySexagesimal
};
const timestamp = {
    identify: value => value instanceof Date,
    default: true,
    tag: 'tag:yaml.org,2002:timestamp',
    // If the time zone is omitted, the timestamp is assumed to be specified in UTC. The time part
    // may be omitted altogether, resulting in a date format. In such a case, the time part is
    // assumed to be 00:00:00Z (start of day, UTC).
    test: RegExp('^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})' + // YYYY-Mm-Dd
        '(?:' + // time is optional
        '(?:t|T|[ \\t]+)' + // t | T | whitespace
        '([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2}(\\.[0-9]+)?)' + // Hh:Mm:Ss(.ss)?
        '(?:[ \\t]*(Z|[-+][012]?[0-9](?::[0-9]{2})?))?' + // Z | +5 | -03:30
        ')?$'),
    resolve(str) {
        const match = str.match(timestamp.test);
        if (!match)
            throw new Error('!!timestamp expects a date, starting with yyyy-mm-dd');
        const [, year, month, day, hour, minute, second] = match.map(Number);
        const millisec = match[7] ? Number((match[7] + '00').substr(1, 3)) : 0;
        let date = Date.UTC(year, month - 1, day, hour || 0, minute || 0, second || 0, millisec);
        const tz = match[8];
        if (tz && tz !== 'Z') {
            let d = parseSexagesimal(tz, false);
            if (Math.abs(d) < 30)
                d *= 60;
            date -= 60000 * d;
        }
        return new Date(date);
    },
    stringify: ({ value }) => value?.toISOString().replace(/(T00:00:00)?\.000Z$/, '') ?? ''
};

exports.floatTime = floatTime;
exports.intTime = intTime;
exports.timestamp = timestamp;


/***/ }),

/***/ 4475:
/***/ ((__unused_webpack_module, exports) => {



const FOLD_FLOW = 'flow';
const FOLD_BLOCK = 'block';
const FOLD_QUOTED = 'quoted';
/**
 * Tries to keep input at up to `lineWidth` characters, splitting only on spaces
 * not followed by newlines or spaces unless `mode` is `'quoted'`. Lines are
 * terminated with `\n` and started with `indent`.
 */
function foldFlowLines(text, indent, mode = 'flow', { indentAtStart, lineWidth = 80, minContentWidth = 20, onFold, onOverflow } = {}) {
    if (!lineWidth || lineWidth < 0)
        return text;
    if (lineWidth < minContentWidth)
        minContentWidth = 0;
    const endStep = Math.max(1 + minContentWidth, 1 + lineWidth - indent.length);
    if (text.length <= endStep)
        return text;
    const folds = [];
    const escapedFolds = {};
    let end = lineWidth - indent.length;
    if (typeof indentAtStart === 'number') {
        if (indentAtStart > lineWidth - Math.max(2, minContentWidth))
            folds.push(0);
        else
            end = lineWidth - indentAtStart;
    }
    let split = undefined;
    let prev = undefined;
    let overflow = false;
    let i = -1;
    let escStart = -1;
    let escEnd = -1;
    if (mode === FOLD_BLOCK) {
        i = consumeMoreIndentedLines(text, i, indent.length);
        if (i !== -1)
            end = i + endStep;
    }
    for (let ch; (ch = text[(i += 1)]);) {
        if (mode === FOLD_QUOTED && ch === '\\') {
            escStart = i;
            switch (text[i + 1]) {
                case 'x':
                    i += 3;
                    break;
                case 'u':
                    i += 5;
                    break;
                case 'U':
                    i += 9;
                    break;
                default:
                    i += 1;
            }
            escEnd = i;
        }
        if (ch === '\n') {
            if (mode === FOLD_BLOCK)
                i = consumeMoreIndentedLines(text, i, indent.length);
            end = i + indent.length + endStep;
            split = undefined;
        }
        else {
            if (ch === ' ' &&
                prev &&
                prev !== ' ' &&
                prev !== '\n' &&
                prev !== '\t') {
                // space surrounded by non-space can be replaced with newline + indent
                const next = text[i + 1];
                if (next && next !== ' ' && next !== '\n' && next !== '\t')
                    split = i;
            }
            if (i >= end) {
                if (split) {
                    folds.push(split);
                    end = split + endStep;
                    split = undefined;
                }
                else if (mode === FOLD_QUOTED) {
                    // white-space collected at end may stretch past lineWidth
                    while (prev === ' ' || prev === '\t') {
                        prev = ch;
                        ch = text[(i += 1)];
                        overflow = true;
                    }
                    // Account for newline escape, but don't break preceding escape
                    const j = i > escEnd + 1 ? i - 2 : escStart - 1;
                    // Bail out if lineWidth & minContentWidth are shorter than an escape string
                    if (escapedFolds[j])
                        return text;
                    folds.push(j);
                    escapedFolds[j] = true;
                    end = j + endStep;
                    split = undefined;
                }
                else {
                    overflow = true;
                }
            }
        }
        prev = ch;
    }
    if (overflow && onOverflow)
        onOverflow();
    if (folds.length === 0)
        return text;
    if (onFold)
        onFold();
    let res = text.slice(0, folds[0]);
    for (let i = 0; i < folds.length; ++i) {
        const fold = folds[i];
        const end = folds[i + 1] || text.length;
        if (fold === 0)
            res = `\n${indent}${text.slice(0, end)}`;
        else {
            if (mode === FOLD_QUOTED && escapedFolds[fold])
                res += `${text[fold]}\\`;
            res += `\n${indent}${text.slice(fold + 1, end)}`;
        }
    }
    return res;
}
/**
 * Presumes `i + 1` is at the start of a line
 * @returns index of last newline in more-indented block
 */
function consumeMoreIndentedLines(text, i, indent) {
    let end = i;
    let start = i + 1;
    let ch = text[start];
    while (ch === ' ' || ch === '\t') {
        if (i < start + indent) {
            ch = text[++i];
        }
        else {
            do {
                ch = text[++i];
            } while (ch && ch !== '\n');
            end = i;
            start = i + 1;
            ch = text[start];
        }
    }
    return end;
}

exports.FOLD_BLOCK = FOLD_BLOCK;
exports.FOLD_FLOW = FOLD_FLOW;
exports.FOLD_QUOTED = FOLD_QUOTED;
exports.foldFlowLines = foldFlowLines;


/***/ }),

/***/ 2148:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var anchors = __nccwpck_require__(1596);
var identity = __nccwpck_require__(1127);
var stringifyComment = __nccwpck_require__(9799);
var stringifyString = __nccwpck_require__(3069);

function createStringifyContext(doc, options) {
    const opt = Object.assign({
        blockQuote: true,
        commentString: stringifyComment.stringifyComment,
        defaultKeyType: null,
        defaultStringType: 'PLAIN',
        directives: null,
        doubleQuotedAsJSON: false,
        doubleQuotedMinMultiLineLength: 40,
        falseStr: 'false',
        flowCollectionPadding: true,
        indentSeq: true,
        lineWidth: 80,
        minContentWidth: 20,
        nullStr: 'null',
        simpleKeys: false,
        singleQuote: null,
        trailingComma: false,
        trueStr: 'true',
        verifyAliasOrder: true
    }, doc.schema.toStringOptions, options);
    let inFlow;
    switch (opt.collectionStyle) {
        case 'block':
            inFlow = false;
            break;
        case 'flow':
            inFlow = true;
            break;
        default:
            inFlow = null;
    }
    return {
        anchors: new Set(),
        doc,
        flowCollectionPadding: opt.flowCollectionPadding ? ' ' : '',
        indent: '',
        indentStep: typeof opt.indent === 'number' ? ' '.repeat(opt.indent) : '  ',
        inFlow,
        options: opt
    };
}
function getTagObject(tags, item) {
    if (item.tag) {
        const match = tags.filter(t => t.tag === item.tag);
        if (match.length > 0)
            return match.find(t => t.format === item.format) ?? match[0];
    }
    let tagObj = undefined;
    let obj;
    if (identity.isScalar(item)) {
        obj = item.value;
        let match = tags.filter(t => t.identify?.(obj));
        if (match.length > 1) {
            const testMatch = match.filter(t => t.test);
            if (testMatch.length > 0)
                match = testMatch;
        }
        tagObj =
            match.find(t => t.format === item.format) ?? match.find(t => !t.format);
    }
    else {
        obj = item;
        tagObj = tags.find(t => t.nodeClass && obj instanceof t.nodeClass);
    }
    if (!tagObj) {
        const name = obj?.constructor?.name ?? (obj === null ? 'null' : typeof obj);
        throw new Error(`Tag not resolved for ${name} value`);
    }
    return tagObj;
}
// needs to be called before value stringifier to allow for circular anchor refs
function stringifyProps(node, tagObj, { anchors: anchors$1, doc }) {
    if (!doc.directives)
        return '';
    const props = [];
    const anchor = (identity.isScalar(node) || identity.isCollection(node)) && node.anchor;
    if (anchor && anchors.anchorIsValid(anchor)) {
        anchors$1.add(anchor);
        props.push(`&${anchor}`);
    }
    const tag = node.tag ?? (tagObj.default ? null : tagObj.tag);
    if (tag)
        props.push(doc.directives.tagString(tag));
    return props.join(' ');
}
function stringify(item, ctx, onComment, onChompKeep) {
    if (identity.isPair(item))
        return item.toString(ctx, onComment, onChompKeep);
    if (identity.isAlias(item)) {
        if (ctx.doc.directives)
            return item.toString(ctx);
        if (ctx.resolvedAliases?.has(item)) {
            throw new TypeError(`Cannot stringify circular structure without alias nodes`);
        }
        else {
            if (ctx.resolvedAliases)
                ctx.resolvedAliases.add(item);
            else
                ctx.resolvedAliases = new Set([item]);
            item = item.resolve(ctx.doc);
        }
    }
    let tagObj = undefined;
    const node = identity.isNode(item)
        ? item
        : ctx.doc.createNode(item, { onTagObj: o => (tagObj = o) });
    tagObj ?? (tagObj = getTagObject(ctx.doc.schema.tags, node));
    const props = stringifyProps(node, tagObj, ctx);
    if (props.length > 0)
        ctx.indentAtStart = (ctx.indentAtStart ?? 0) + props.length + 1;
    const str = typeof tagObj.stringify === 'function'
        ? tagObj.stringify(node, ctx, onComment, onChompKeep)
        : identity.isScalar(node)
            ? stringifyString.stringifyString(node, ctx, onComment, onChompKeep)
            : node.toString(ctx, onComment, onChompKeep);
    if (!props)
        return str;
    return identity.isScalar(node) || str[0] === '{' || str[0] === '['
        ? `${props} ${str}`
        : `${props}\n${ctx.indent}${str}`;
}

exports.createStringifyContext = createStringifyContext;
exports.stringify = stringify;


/***/ }),

/***/ 1212:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var stringify = __nccwpck_require__(2148);
var stringifyComment = __nccwpck_require__(9799);

function stringifyCollection(collection, ctx, options) {
    const flow = ctx.inFlow ?? collection.flow;
    const stringify = flow ? stringifyFlowCollection : stringifyBlockCollection;
    return stringify(collection, ctx, options);
}
function stringifyBlockCollection({ comment, items }, ctx, { blockItemPrefix, flowChars, itemIndent, onChompKeep, onComment }) {
    const { indent, options: { commentString } } = ctx;
    const itemCtx = Object.assign({}, ctx, { indent: itemIndent, type: null });
    let chompKeep = false; // flag for the preceding node's status
    const lines = [];
    for (let i = 0; i < items.length; ++i) {
        const item = items[i];
        let comment = null;
        if (identity.isNode(item)) {
            if (!chompKeep && item.spaceBefore)
                lines.push('');
            addCommentBefore(ctx, lines, item.commentBefore, chompKeep);
            if (item.comment)
                comment = item.comment;
        }
        else if (identity.isPair(item)) {
            const ik = identity.isNode(item.key) ? item.key : null;
            if (ik) {
                if (!chompKeep && ik.spaceBefore)
                    lines.push('');
                addCommentBefore(ctx, lines, ik.commentBefore, chompKeep);
            }
        }
        chompKeep = false;
        let str = stringify.stringify(item, itemCtx, () => (comment = null), () => (chompKeep = true));
        if (comment)
            str += stringifyComment.lineComment(str, itemIndent, commentString(comment));
        if (chompKeep && comment)
            chompKeep = false;
        lines.push(blockItemPrefix + str);
    }
    let str;
    if (lines.length === 0) {
        str = flowChars.start + flowChars.end;
    }
    else {
        str = lines[0];
        for (let i = 1; i < lines.length; ++i) {
            const line = lines[i];
            str += line ? `\n${indent}${line}` : '\n';
        }
    }
    if (comment) {
        str += '\n' + stringifyComment.indentComment(commentString(comment), indent);
        if (onComment)
            onComment();
    }
    else if (chompKeep && onChompKeep)
        onChompKeep();
    return str;
}
function stringifyFlowCollection({ items }, ctx, { flowChars, itemIndent }) {
    const { indent, indentStep, flowCollectionPadding: fcPadding, options: { commentString } } = ctx;
    itemIndent += indentStep;
    const itemCtx = Object.assign({}, ctx, {
        indent: itemIndent,
        inFlow: true,
        type: null
    });
    let reqNewline = false;
    let linesAtValue = 0;
    const lines = [];
    for (let i = 0; i < items.length; ++i) {
        const item = items[i];
        let comment = null;
        if (identity.isNode(item)) {
            if (item.spaceBefore)
                lines.push('');
            addCommentBefore(ctx, lines, item.commentBefore, false);
            if (item.comment)
                comment = item.comment;
        }
        else if (identity.isPair(item)) {
            const ik = identity.isNode(item.key) ? item.key : null;
            if (ik) {
                if (ik.spaceBefore)
                    lines.push('');
                addCommentBefore(ctx, lines, ik.commentBefore, false);
                if (ik.comment)
                    reqNewline = true;
            }
            const iv = identity.isNode(item.value) ? item.value : null;
            if (iv) {
                if (iv.comment)
                    comment = iv.comment;
                if (iv.commentBefore)
                    reqNewline = true;
            }
            else if (item.value == null && ik?.comment) {
                comment = ik.comment;
            }
        }
        if (comment)
            reqNewline = true;
        let str = stringify.stringify(item, itemCtx, () => (comment = null));
        reqNewline || (reqNewline = lines.length > linesAtValue || str.includes('\n'));
        if (i < items.length - 1) {
            str += ',';
        }
        else if (ctx.options.trailingComma) {
            if (ctx.options.lineWidth > 0) {
                reqNewline || (reqNewline = lines.reduce((sum, line) => sum + line.length + 2, 2) +
                    (str.length + 2) >
                    ctx.options.lineWidth);
            }
            if (reqNewline) {
                str += ',';
            }
        }
        if (comment)
            str += stringifyComment.lineComment(str, itemIndent, commentString(comment));
        lines.push(str);
        linesAtValue = lines.length;
    }
    const { start, end } = flowChars;
    if (lines.length === 0) {
        return start + end;
    }
    else {
        if (!reqNewline) {
            const len = lines.reduce((sum, line) => sum + line.length + 2, 2);
            reqNewline = ctx.options.lineWidth > 0 && len > ctx.options.lineWidth;
        }
        if (reqNewline) {
            let str = start;
            for (const line of lines)
                str += line ? `\n${indentStep}${indent}${line}` : '\n';
            return `${str}\n${indent}${end}`;
        }
        else {
            return `${start}${fcPadding}${lines.join(' ')}${fcPadding}${end}`;
        }
    }
}
function addCommentBefore({ indent, options: { commentString } }, lines, comment, chompKeep) {
    if (comment && chompKeep)
        comment = comment.replace(/^\n+/, '');
    if (comment) {
        const ic = stringifyComment.indentComment(commentString(comment), indent);
        lines.push(ic.trimStart()); // Avoid double indent on first line
    }
}

exports.stringifyCollection = stringifyCollection;


/***/ }),

/***/ 9799:
/***/ ((__unused_webpack_module, exports) => {



/**
 * Stringifies a comment.
 *
 * Empty comment lines are left empty,
 * lines consisting of a single space are replaced by `#`,
 * and all other lines are prefixed with a `#`.
 */
const stringifyComment = (str) => str.replace(/^(?!$)(?: $)?/gm, '#');
function indentComment(comment, indent) {
    if (/^\n+$/.test(comment))
        return comment.substring(1);
    return indent ? comment.replace(/^(?! *$)/gm, indent) : comment;
}
const lineComment = (str, indent, comment) => str.endsWith('\n')
    ? indentComment(comment, indent)
    : comment.includes('\n')
        ? '\n' + indentComment(comment, indent)
        : (str.endsWith(' ') ? '' : ' ') + comment;

exports.indentComment = indentComment;
exports.lineComment = lineComment;
exports.stringifyComment = stringifyComment;


/***/ }),

/***/ 6829:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var stringify = __nccwpck_require__(2148);
var stringifyComment = __nccwpck_require__(9799);

function stringifyDocument(doc, options) {
    const lines = [];
    let hasDirectives = options.directives === true;
    if (options.directives !== false && doc.directives) {
        const dir = doc.directives.toString(doc);
        if (dir) {
            lines.push(dir);
            hasDirectives = true;
        }
        else if (doc.directives.docStart)
            hasDirectives = true;
    }
    if (hasDirectives)
        lines.push('---');
    const ctx = stringify.createStringifyContext(doc, options);
    const { commentString } = ctx.options;
    if (doc.commentBefore) {
        if (lines.length !== 1)
            lines.unshift('');
        const cs = commentString(doc.commentBefore);
        lines.unshift(stringifyComment.indentComment(cs, ''));
    }
    let chompKeep = false;
    let contentComment = null;
    if (doc.contents) {
        if (identity.isNode(doc.contents)) {
            if (doc.contents.spaceBefore && hasDirectives)
                lines.push('');
            if (doc.contents.commentBefore) {
                const cs = commentString(doc.contents.commentBefore);
                lines.push(stringifyComment.indentComment(cs, ''));
            }
            // top-level block scalars need to be indented if followed by a comment
            ctx.forceBlockIndent = !!doc.comment;
            contentComment = doc.contents.comment;
        }
        const onChompKeep = contentComment ? undefined : () => (chompKeep = true);
        let body = stringify.stringify(doc.contents, ctx, () => (contentComment = null), onChompKeep);
        if (contentComment)
            body += stringifyComment.lineComment(body, '', commentString(contentComment));
        if ((body[0] === '|' || body[0] === '>') &&
            lines[lines.length - 1] === '---') {
            // Top-level block scalars with a preceding doc marker ought to use the
            // same line for their header.
            lines[lines.length - 1] = `--- ${body}`;
        }
        else
            lines.push(body);
    }
    else {
        lines.push(stringify.stringify(doc.contents, ctx));
    }
    if (doc.directives?.docEnd) {
        if (doc.comment) {
            const cs = commentString(doc.comment);
            if (cs.includes('\n')) {
                lines.push('...');
                lines.push(stringifyComment.indentComment(cs, ''));
            }
            else {
                lines.push(`... ${cs}`);
            }
        }
        else {
            lines.push('...');
        }
    }
    else {
        let dc = doc.comment;
        if (dc && chompKeep)
            dc = dc.replace(/^\n+/, '');
        if (dc) {
            if ((!chompKeep || contentComment) && lines[lines.length - 1] !== '')
                lines.push('');
            lines.push(stringifyComment.indentComment(commentString(dc), ''));
        }
    }
    return lines.join('\n') + '\n';
}

exports.stringifyDocument = stringifyDocument;


/***/ }),

/***/ 8689:
/***/ ((__unused_webpack_module, exports) => {



function stringifyNumber({ format, minFractionDigits, tag, value }) {
    if (typeof value === 'bigint')
        return String(value);
    const num = typeof value === 'number' ? value : Number(value);
    if (!isFinite(num))
        return isNaN(num) ? '.nan' : num < 0 ? '-.inf' : '.inf';
    let n = Object.is(value, -0) ? '-0' : JSON.stringify(value);
    if (!format &&
        minFractionDigits &&
        (!tag || tag === 'tag:yaml.org,2002:float') &&
        /^-?\d/.test(n) &&
        !n.includes('e')) {
        let i = n.indexOf('.');
        if (i < 0) {
            i = n.length;
            n += '.';
        }
        let d = minFractionDigits - (n.length - i - 1);
        while (d-- > 0)
            n += '0';
    }
    return n;
}

exports.stringifyNumber = stringifyNumber;


/***/ }),

/***/ 9748:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);
var Scalar = __nccwpck_require__(3301);
var stringify = __nccwpck_require__(2148);
var stringifyComment = __nccwpck_require__(9799);

function stringifyPair({ key, value }, ctx, onComment, onChompKeep) {
    const { allNullValues, doc, indent, indentStep, options: { commentString, indentSeq, simpleKeys } } = ctx;
    let keyComment = (identity.isNode(key) && key.comment) || null;
    if (simpleKeys) {
        if (keyComment) {
            throw new Error('With simple keys, key nodes cannot have comments');
        }
        if (identity.isCollection(key) || (!identity.isNode(key) && typeof key === 'object')) {
            const msg = 'With simple keys, collection cannot be used as a key value';
            throw new Error(msg);
        }
    }
    let explicitKey = !simpleKeys &&
        (!key ||
            (keyComment && value == null && !ctx.inFlow) ||
            identity.isCollection(key) ||
            (identity.isScalar(key)
                ? key.type === Scalar.Scalar.BLOCK_FOLDED || key.type === Scalar.Scalar.BLOCK_LITERAL
                : typeof key === 'object'));
    ctx = Object.assign({}, ctx, {
        allNullValues: false,
        implicitKey: !explicitKey && (simpleKeys || !allNullValues),
        indent: indent + indentStep
    });
    let keyCommentDone = false;
    let chompKeep = false;
    let str = stringify.stringify(key, ctx, () => (keyCommentDone = true), () => (chompKeep = true));
    if (!explicitKey && !ctx.inFlow && str.length > 1024) {
        if (simpleKeys)
            throw new Error('With simple keys, single line scalar must not span more than 1024 characters');
        explicitKey = true;
    }
    if (ctx.inFlow) {
        if (allNullValues || value == null) {
            if (keyCommentDone && onComment)
                onComment();
            return str === '' ? '?' : explicitKey ? `? ${str}` : str;
        }
    }
    else if ((allNullValues && !simpleKeys) || (value == null && explicitKey)) {
        str = `? ${str}`;
        if (keyComment && !keyCommentDone) {
            str += stringifyComment.lineComment(str, ctx.indent, commentString(keyComment));
        }
        else if (chompKeep && onChompKeep)
            onChompKeep();
        return str;
    }
    if (keyCommentDone)
        keyComment = null;
    if (explicitKey) {
        if (keyComment)
            str += stringifyComment.lineComment(str, ctx.indent, commentString(keyComment));
        str = `? ${str}\n${indent}:`;
    }
    else {
        str = `${str}:`;
        if (keyComment)
            str += stringifyComment.lineComment(str, ctx.indent, commentString(keyComment));
    }
    let vsb, vcb, valueComment;
    if (identity.isNode(value)) {
        vsb = !!value.spaceBefore;
        vcb = value.commentBefore;
        valueComment = value.comment;
    }
    else {
        vsb = false;
        vcb = null;
        valueComment = null;
        if (value && typeof value === 'object')
            value = doc.createNode(value);
    }
    ctx.implicitKey = false;
    if (!explicitKey && !keyComment && identity.isScalar(value))
        ctx.indentAtStart = str.length + 1;
    chompKeep = false;
    if (!indentSeq &&
        indentStep.length >= 2 &&
        !ctx.inFlow &&
        !explicitKey &&
        identity.isSeq(value) &&
        !value.flow &&
        !value.tag &&
        !value.anchor) {
        // If indentSeq === false, consider '- ' as part of indentation where possible
        ctx.indent = ctx.indent.substring(2);
    }
    let valueCommentDone = false;
    const valueStr = stringify.stringify(value, ctx, () => (valueCommentDone = true), () => (chompKeep = true));
    let ws = ' ';
    if (keyComment || vsb || vcb) {
        ws = vsb ? '\n' : '';
        if (vcb) {
            const cs = commentString(vcb);
            ws += `\n${stringifyComment.indentComment(cs, ctx.indent)}`;
        }
        if (valueStr === '' && !ctx.inFlow) {
            if (ws === '\n' && valueComment)
                ws = '\n\n';
        }
        else {
            ws += `\n${ctx.indent}`;
        }
    }
    else if (!explicitKey && identity.isCollection(value)) {
        const vs0 = valueStr[0];
        const nl0 = valueStr.indexOf('\n');
        const hasNewline = nl0 !== -1;
        const flow = ctx.inFlow ?? value.flow ?? value.items.length === 0;
        if (hasNewline || !flow) {
            let hasPropsLine = false;
            if (hasNewline && (vs0 === '&' || vs0 === '!')) {
                let sp0 = valueStr.indexOf(' ');
                if (vs0 === '&' &&
                    sp0 !== -1 &&
                    sp0 < nl0 &&
                    valueStr[sp0 + 1] === '!') {
                    sp0 = valueStr.indexOf(' ', sp0 + 1);
                }
                if (sp0 === -1 || nl0 < sp0)
                    hasPropsLine = true;
            }
            if (!hasPropsLine)
                ws = `\n${ctx.indent}`;
        }
    }
    else if (valueStr === '' || valueStr[0] === '\n') {
        ws = '';
    }
    str += ws + valueStr;
    if (ctx.inFlow) {
        if (valueCommentDone && onComment)
            onComment();
    }
    else if (valueComment && !valueCommentDone) {
        str += stringifyComment.lineComment(str, ctx.indent, commentString(valueComment));
    }
    else if (chompKeep && onChompKeep) {
        onChompKeep();
    }
    return str;
}

exports.stringifyPair = stringifyPair;


/***/ }),

/***/ 3069:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var Scalar = __nccwpck_require__(3301);
var foldFlowLines = __nccwpck_require__(4475);

const getFoldOptions = (ctx, isBlock) => ({
    indentAtStart: isBlock ? ctx.indent.length : ctx.indentAtStart,
    lineWidth: ctx.options.lineWidth,
    minContentWidth: ctx.options.minContentWidth
});
// Also checks for lines starting with %, as parsing the output as YAML 1.1 will
// presume that's starting a new document.
const containsDocumentMarker = (str) => /^(%|---|\.\.\.)/m.test(str);
function lineLengthOverLimit(str, lineWidth, indentLength) {
    if (!lineWidth || lineWidth < 0)
        return false;
    const limit = lineWidth - indentLength;
    const strLen = str.length;
    if (strLen <= limit)
        return false;
    for (let i = 0, start = 0; i < strLen; ++i) {
        if (str[i] === '\n') {
            if (i - start > limit)
                return true;
            start = i + 1;
            if (strLen - start <= limit)
                return false;
        }
    }
    return true;
}
function doubleQuotedString(value, ctx) {
    const json = JSON.stringify(value);
    if (ctx.options.doubleQuotedAsJSON)
        return json;
    const { implicitKey } = ctx;
    const minMultiLineLength = ctx.options.doubleQuotedMinMultiLineLength;
    const indent = ctx.indent || (containsDocumentMarker(value) ? '  ' : '');
    let str = '';
    let start = 0;
    for (let i = 0, ch = json[i]; ch; ch = json[++i]) {
        if (ch === ' ' && json[i + 1] === '\\' && json[i + 2] === 'n') {
            // space before newline needs to be escaped to not be folded
            str += json.slice(start, i) + '\\ ';
            i += 1;
            start = i;
            ch = '\\';
        }
        if (ch === '\\')
            switch (json[i + 1]) {
                case 'u':
                    {
                        str += json.slice(start, i);
                        const code = json.substr(i + 2, 4);
                        switch (code) {
                            case '0000':
                                str += '\\0';
                                break;
                            case '0007':
                                str += '\\a';
                                break;
                            case '000b':
                                str += '\\v';
                                break;
                            case '001b':
                                str += '\\e';
                                break;
                            case '0085':
                                str += '\\N';
                                break;
                            case '00a0':
                                str += '\\_';
                                break;
                            case '2028':
                                str += '\\L';
                                break;
                            case '2029':
                                str += '\\P';
                                break;
                            default:
                                if (code.substr(0, 2) === '00')
                                    str += '\\x' + code.substr(2);
                                else
                                    str += json.substr(i, 6);
                        }
                        i += 5;
                        start = i + 1;
                    }
                    break;
                case 'n':
                    if (implicitKey ||
                        json[i + 2] === '"' ||
                        json.length < minMultiLineLength) {
                        i += 1;
                    }
                    else {
                        // folding will eat first newline
                        str += json.slice(start, i) + '\n\n';
                        while (json[i + 2] === '\\' &&
                            json[i + 3] === 'n' &&
                            json[i + 4] !== '"') {
                            str += '\n';
                            i += 2;
                        }
                        str += indent;
                        // space after newline needs to be escaped to not be folded
                        if (json[i + 2] === ' ')
                            str += '\\';
                        i += 1;
                        start = i + 1;
                    }
                    break;
                default:
                    i += 1;
            }
    }
    str = start ? str + json.slice(start) : json;
    return implicitKey
        ? str
        : foldFlowLines.foldFlowLines(str, indent, foldFlowLines.FOLD_QUOTED, getFoldOptions(ctx, false));
}
function singleQuotedString(value, ctx) {
    if (ctx.options.singleQuote === false ||
        (ctx.implicitKey && value.includes('\n')) ||
        /[ \t]\n|\n[ \t]/.test(value) // single quoted string can't have leading or trailing whitespace around newline
    )
        return doubleQuotedString(value, ctx);
    const indent = ctx.indent || (containsDocumentMarker(value) ? '  ' : '');
    const res = "'" + value.replace(/'/g, "''").replace(/\n+/g, `$&\n${indent}`) + "'";
    return ctx.implicitKey
        ? res
        : foldFlowLines.foldFlowLines(res, indent, foldFlowLines.FOLD_FLOW, getFoldOptions(ctx, false));
}
function quotedString(value, ctx) {
    const { singleQuote } = ctx.options;
    let qs;
    if (singleQuote === false)
        qs = doubleQuotedString;
    else {
        const hasDouble = value.includes('"');
        const hasSingle = value.includes("'");
        if (hasDouble && !hasSingle)
            qs = singleQuotedString;
        else if (hasSingle && !hasDouble)
            qs = doubleQuotedString;
        else
            qs = singleQuote ? singleQuotedString : doubleQuotedString;
    }
    return qs(value, ctx);
}
// The negative lookbehind avoids a polynomial search,
// but isn't supported yet on Safari: https://caniuse.com/js-regexp-lookbehind
let blockEndNewlines;
try {
    blockEndNewlines = new RegExp('(^|(?<!\n))\n+(?!\n|$)', 'g');
}
catch {
    blockEndNewlines = /\n+(?!\n|$)/g;
}
function blockString({ comment, type, value }, ctx, onComment, onChompKeep) {
    const { blockQuote, commentString, lineWidth } = ctx.options;
    // 1. Block can't end in whitespace unless the last line is non-empty.
    // 2. Strings consisting of only whitespace are best rendered explicitly.
    if (!blockQuote || /\n[\t ]+$/.test(value)) {
        return quotedString(value, ctx);
    }
    const indent = ctx.indent ||
        (ctx.forceBlockIndent || containsDocumentMarker(value) ? '  ' : '');
    const literal = blockQuote === 'literal'
        ? true
        : blockQuote === 'folded' || type === Scalar.Scalar.BLOCK_FOLDED
            ? false
            : type === Scalar.Scalar.BLOCK_LITERAL
                ? true
                : !lineLengthOverLimit(value, lineWidth, indent.length);
    if (!value)
        return literal ? '|\n' : '>\n';
    // determine chomping from whitespace at value end
    let chomp;
    let endStart;
    for (endStart = value.length; endStart > 0; --endStart) {
        const ch = value[endStart - 1];
        if (ch !== '\n' && ch !== '\t' && ch !== ' ')
            break;
    }
    let end = value.substring(endStart);
    const endNlPos = end.indexOf('\n');
    if (endNlPos === -1) {
        chomp = '-'; // strip
    }
    else if (value === end || endNlPos !== end.length - 1) {
        chomp = '+'; // keep
        if (onChompKeep)
            onChompKeep();
    }
    else {
        chomp = ''; // clip
    }
    if (end) {
        value = value.slice(0, -end.length);
        if (end[end.length - 1] === '\n')
            end = end.slice(0, -1);
        end = end.replace(blockEndNewlines, `$&${indent}`);
    }
    // determine indent indicator from whitespace at value start
    let startWithSpace = false;
    let startEnd;
    let startNlPos = -1;
    for (startEnd = 0; startEnd < value.length; ++startEnd) {
        const ch = value[startEnd];
        if (ch === ' ')
            startWithSpace = true;
        else if (ch === '\n')
            startNlPos = startEnd;
        else
            break;
    }
    let start = value.substring(0, startNlPos < startEnd ? startNlPos + 1 : startEnd);
    if (start) {
        value = value.substring(start.length);
        start = start.replace(/\n+/g, `$&${indent}`);
    }
    const indentSize = indent ? '2' : '1'; // root is at -1
    // Leading | or > is added later
    let header = (startWithSpace ? indentSize : '') + chomp;
    if (comment) {
        header += ' ' + commentString(comment.replace(/ ?[\r\n]+/g, ' '));
        if (onComment)
            onComment();
    }
    if (!literal) {
        const foldedValue = value
            .replace(/\n+/g, '\n$&')
            .replace(/(?:^|\n)([\t ].*)(?:([\n\t ]*)\n(?![\n\t ]))?/g, '$1$2') // more-indented lines aren't folded
            //                ^ more-ind. ^ empty     ^ capture next empty lines only at end of indent
            .replace(/\n+/g, `$&${indent}`);
        let literalFallback = false;
        const foldOptions = getFoldOptions(ctx, true);
        if (blockQuote !== 'folded' && type !== Scalar.Scalar.BLOCK_FOLDED) {
            foldOptions.onOverflow = () => {
                literalFallback = true;
            };
        }
        const body = foldFlowLines.foldFlowLines(`${start}${foldedValue}${end}`, indent, foldFlowLines.FOLD_BLOCK, foldOptions);
        if (!literalFallback)
            return `>${header}\n${indent}${body}`;
    }
    value = value.replace(/\n+/g, `$&${indent}`);
    return `|${header}\n${indent}${start}${value}${end}`;
}
function plainString(item, ctx, onComment, onChompKeep) {
    const { type, value } = item;
    const { actualString, implicitKey, indent, indentStep, inFlow } = ctx;
    if ((implicitKey && value.includes('\n')) ||
        (inFlow && /[[\]{},]/.test(value))) {
        return quotedString(value, ctx);
    }
    if (/^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/.test(value)) {
        // not allowed:
        // - '-' or '?'
        // - start with an indicator character (except [?:-]) or /[?-] /
        // - '\n ', ': ' or ' \n' anywhere
        // - '#' not preceded by a non-space char
        // - end with ' ' or ':'
        return implicitKey || inFlow || !value.includes('\n')
            ? quotedString(value, ctx)
            : blockString(item, ctx, onComment, onChompKeep);
    }
    if (!implicitKey &&
        !inFlow &&
        type !== Scalar.Scalar.PLAIN &&
        value.includes('\n')) {
        // Where allowed & type not set explicitly, prefer block style for multiline strings
        return blockString(item, ctx, onComment, onChompKeep);
    }
    if (containsDocumentMarker(value)) {
        if (indent === '') {
            ctx.forceBlockIndent = true;
            return blockString(item, ctx, onComment, onChompKeep);
        }
        else if (implicitKey && indent === indentStep) {
            return quotedString(value, ctx);
        }
    }
    const str = value.replace(/\n+/g, `$&\n${indent}`);
    // Verify that output will be parsed as a string, as e.g. plain numbers and
    // booleans get parsed with those types in v1.2 (e.g. '42', 'true' & '0.9e-3'),
    // and others in v1.1.
    if (actualString) {
        const test = (tag) => tag.default && tag.tag !== 'tag:yaml.org,2002:str' && tag.test?.test(str);
        const { compat, tags } = ctx.doc.schema;
        if (tags.some(test) || compat?.some(test))
            return quotedString(value, ctx);
    }
    return implicitKey
        ? str
        : foldFlowLines.foldFlowLines(str, indent, foldFlowLines.FOLD_FLOW, getFoldOptions(ctx, false));
}
function stringifyString(item, ctx, onComment, onChompKeep) {
    const { implicitKey, inFlow } = ctx;
    const ss = typeof item.value === 'string'
        ? item
        : Object.assign({}, item, { value: String(item.value) });
    let { type } = item;
    if (type !== Scalar.Scalar.QUOTE_DOUBLE) {
        // force double quotes on control characters & unpaired surrogates
        if (/[\x00-\x08\x0b-\x1f\x7f-\x9f\u{D800}-\u{DFFF}]/u.test(ss.value))
            type = Scalar.Scalar.QUOTE_DOUBLE;
    }
    const _stringify = (_type) => {
        switch (_type) {
            case Scalar.Scalar.BLOCK_FOLDED:
            case Scalar.Scalar.BLOCK_LITERAL:
                return implicitKey || inFlow
                    ? quotedString(ss.value, ctx) // blocks are not valid inside flow containers
                    : blockString(ss, ctx, onComment, onChompKeep);
            case Scalar.Scalar.QUOTE_DOUBLE:
                return doubleQuotedString(ss.value, ctx);
            case Scalar.Scalar.QUOTE_SINGLE:
                return singleQuotedString(ss.value, ctx);
            case Scalar.Scalar.PLAIN:
                return plainString(ss, ctx, onComment, onChompKeep);
            default:
                return null;
        }
    };
    let res = _stringify(type);
    if (res === null) {
        const { defaultKeyType, defaultStringType } = ctx.options;
        const t = (implicitKey && defaultKeyType) || defaultStringType;
        res = _stringify(t);
        if (res === null)
            throw new Error(`Unsupported default string type ${t}`);
    }
    return res;
}

exports.stringifyString = stringifyString;


/***/ }),

/***/ 204:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {



var identity = __nccwpck_require__(1127);

const BREAK = Symbol('break visit');
const SKIP = Symbol('skip children');
const REMOVE = Symbol('remove node');
/**
 * Apply a visitor to an AST node or document.
 *
 * Walks through the tree (depth-first) starting from `node`, calling a
 * `visitor` function with three arguments:
 *   - `key`: For sequence values and map `Pair`, the node's index in the
 *     collection. Within a `Pair`, `'key'` or `'value'`, correspondingly.
 *     `null` for the root node.
 *   - `node`: The current node.
 *   - `path`: The ancestry of the current node.
 *
 * The return value of the visitor may be used to control the traversal:
 *   - `undefined` (default): Do nothing and continue
 *   - `visit.SKIP`: Do not visit the children of this node, continue with next
 *     sibling
 *   - `visit.BREAK`: Terminate traversal completely
 *   - `visit.REMOVE`: Remove the current node, then continue with the next one
 *   - `Node`: Replace the current node, then continue by visiting it
 *   - `number`: While iterating the items of a sequence or map, set the index
 *     of the next step. This is useful especially if the index of the current
 *     node has changed.
 *
 * If `visitor` is a single function, it will be called with all values
 * encountered in the tree, including e.g. `null` values. Alternatively,
 * separate visitor functions may be defined for each `Map`, `Pair`, `Seq`,
 * `Alias` and `Scalar` node. To define the same visitor function for more than
 * one node type, use the `Collection` (map and seq), `Value` (map, seq & scalar)
 * and `Node` (alias, map, seq & scalar) targets. Of all these, only the most
 * specific defined one will be used for each node.
 */
function visit(node, visitor) {
    const visitor_ = initVisitor(visitor);
    if (identity.isDocument(node)) {
        const cd = visit_(null, node.contents, visitor_, Object.freeze([node]));
        if (cd === REMOVE)
            node.contents = null;
    }
    else
        visit_(null, node, visitor_, Object.freeze([]));
}
// Without the `as symbol` casts, TS declares these in the `visit`
// namespace using `var`, but then complains about that because
// `unique symbol` must be `const`.
/** Terminate visit traversal completely */
visit.BREAK = BREAK;
/** Do not visit the children of the current node */
visit.SKIP = SKIP;
/** Remove the current node */
visit.REMOVE = REMOVE;
function visit_(key, node, visitor, path) {
    const ctrl = callVisitor(key, node, visitor, path);
    if (identity.isNode(ctrl) || identity.isPair(ctrl)) {
        replaceNode(key, path, ctrl);
        return visit_(key, ctrl, visitor, path);
    }
    if (typeof ctrl !== 'symbol') {
        if (identity.isCollection(node)) {
            path = Object.freeze(path.concat(node));
            for (let i = 0; i < node.items.length; ++i) {
                const ci = visit_(i, node.items[i], visitor, path);
                if (typeof ci === 'number')
                    i = ci - 1;
                else if (ci === BREAK)
                    return BREAK;
                else if (ci === REMOVE) {
                    node.items.splice(i, 1);
                    i -= 1;
                }
            }
        }
        else if (identity.isPair(node)) {
            path = Object.freeze(path.concat(node));
            const ck = visit_('key', node.key, visitor, path);
            if (ck === BREAK)
                return BREAK;
            else if (ck === REMOVE)
                node.key = null;
            const cv = visit_('value', node.value, visitor, path);
            if (cv === BREAK)
                return BREAK;
            else if (cv === REMOVE)
                node.value = null;
        }
    }
    return ctrl;
}
/**
 * Apply an async visitor to an AST node or document.
 *
 * Walks through the tree (depth-first) starting from `node`, calling a
 * `visitor` function with three arguments:
 *   - `key`: For sequence values and map `Pair`, the node's index in the
 *     collection. Within a `Pair`, `'key'` or `'value'`, correspondingly.
 *     `null` for the root node.
 *   - `node`: The current node.
 *   - `path`: The ancestry of the current node.
 *
 * The return value of the visitor may be used to control the traversal:
 *   - `Promise`: Must resolve to one of the following values
 *   - `undefined` (default): Do nothing and continue
 *   - `visit.SKIP`: Do not visit the children of this node, continue with next
 *     sibling
 *   - `visit.BREAK`: Terminate traversal completely
 *   - `visit.REMOVE`: Remove the current node, then continue with the next one
 *   - `Node`: Replace the current node, then continue by visiting it
 *   - `number`: While iterating the items of a sequence or map, set the index
 *     of the next step. This is useful especially if the index of the current
 *     node has changed.
 *
 * If `visitor` is a single function, it will be called with all values
 * encountered in the tree, including e.g. `null` values. Alternatively,
 * separate visitor functions may be defined for each `Map`, `Pair`, `Seq`,
 * `Alias` and `Scalar` node. To define the same visitor function for more than
 * one node type, use the `Collection` (map and seq), `Value` (map, seq & scalar)
 * and `Node` (alias, map, seq & scalar) targets. Of all these, only the most
 * specific defined one will be used for each node.
 */
async function visitAsync(node, visitor) {
    const visitor_ = initVisitor(visitor);
    if (identity.isDocument(node)) {
        const cd = await visitAsync_(null, node.contents, visitor_, Object.freeze([node]));
        if (cd === REMOVE)
            node.contents = null;
    }
    else
        await visitAsync_(null, node, visitor_, Object.freeze([]));
}
// Without the `as symbol` casts, TS declares these in the `visit`
// namespace using `var`, but then complains about that because
// `unique symbol` must be `const`.
/** Terminate visit traversal completely */
visitAsync.BREAK = BREAK;
/** Do not visit the children of the current node */
visitAsync.SKIP = SKIP;
/** Remove the current node */
visitAsync.REMOVE = REMOVE;
async function visitAsync_(key, node, visitor, path) {
    const ctrl = await callVisitor(key, node, visitor, path);
    if (identity.isNode(ctrl) || identity.isPair(ctrl)) {
        replaceNode(key, path, ctrl);
        return visitAsync_(key, ctrl, visitor, path);
    }
    if (typeof ctrl !== 'symbol') {
        if (identity.isCollection(node)) {
            path = Object.freeze(path.concat(node));
            for (let i = 0; i < node.items.length; ++i) {
                const ci = await visitAsync_(i, node.items[i], visitor, path);
                if (typeof ci === 'number')
                    i = ci - 1;
                else if (ci === BREAK)
                    return BREAK;
                else if (ci === REMOVE) {
                    node.items.splice(i, 1);
                    i -= 1;
                }
            }
        }
        else if (identity.isPair(node)) {
            path = Object.freeze(path.concat(node));
            const ck = await visitAsync_('key', node.key, visitor, path);
            if (ck === BREAK)
                return BREAK;
            else if (ck === REMOVE)
                node.key = null;
            const cv = await visitAsync_('value', node.value, visitor, path);
            if (cv === BREAK)
                return BREAK;
            else if (cv === REMOVE)
                node.value = null;
        }
    }
    return ctrl;
}
function initVisitor(visitor) {
    if (typeof visitor === 'object' &&
        (visitor.Collection || visitor.Node || visitor.Value)) {
        return Object.assign({
            Alias: visitor.Node,
            Map: visitor.Node,
            Scalar: visitor.Node,
            Seq: visitor.Node
        }, visitor.Value && {
            Map: visitor.Value,
            Scalar: visitor.Value,
            Seq: visitor.Value
        }, visitor.Collection && {
            Map: visitor.Collection,
            Seq: visitor.Collection
        }, visitor);
    }
    return visitor;
}
function callVisitor(key, node, visitor, path) {
    if (typeof visitor === 'function')
        return visitor(key, node, path);
    if (identity.isMap(node))
        return visitor.Map?.(key, node, path);
    if (identity.isSeq(node))
        return visitor.Seq?.(key, node, path);
    if (identity.isPair(node))
        return visitor.Pair?.(key, node, path);
    if (identity.isScalar(node))
        return visitor.Scalar?.(key, node, path);
    if (identity.isAlias(node))
        return visitor.Alias?.(key, node, path);
    return undefined;
}
function replaceNode(key, path, node) {
    const parent = path[path.length - 1];
    if (identity.isCollection(parent)) {
        parent.items[key] = node;
    }
    else if (identity.isPair(parent)) {
        if (key === 'key')
            parent.key = node;
        else
            parent.value = node;
    }
    else if (identity.isDocument(parent)) {
        parent.contents = node;
    }
    else {
        const pt = identity.isAlias(parent) ? 'alias' : 'scalar';
        throw new Error(`Cannot replace node with ${pt} parent`);
    }
}

exports.visit = visit;
exports.visitAsync = visitAsync;


/***/ }),

/***/ 9014:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  getExecOutput: () => (/* binding */ getExecOutput)
});

// UNUSED EXPORTS: exec

// EXTERNAL MODULE: external "string_decoder"
var external_string_decoder_ = __nccwpck_require__(3193);
// EXTERNAL MODULE: external "os"
var external_os_ = __nccwpck_require__(857);
// EXTERNAL MODULE: external "events"
var external_events_ = __nccwpck_require__(4434);
;// CONCATENATED MODULE: external "child_process"
const external_child_process_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("child_process");
;// CONCATENATED MODULE: external "path"
const external_path_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("path");
// EXTERNAL MODULE: external "assert"
var external_assert_ = __nccwpck_require__(2613);
// EXTERNAL MODULE: external "fs"
var external_fs_ = __nccwpck_require__(9896);
;// CONCATENATED MODULE: ./node_modules/@actions/io/lib/io-util.js
var __awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};


const { chmod, copyFile, lstat, mkdir, open: io_util_open, readdir, rename, rm, rmdir, stat, symlink, unlink } = external_fs_.promises;
// export const {open} = 'fs'
const IS_WINDOWS = process.platform === 'win32';
/**
 * Custom implementation of readlink to ensure Windows junctions
 * maintain trailing backslash for backward compatibility with Node.js < 24
 *
 * In Node.js 20, Windows junctions (directory symlinks) always returned paths
 * with trailing backslashes. Node.js 24 removed this behavior, which breaks
 * code that relied on this format for path operations.
 *
 * This implementation restores the Node 20 behavior by adding a trailing
 * backslash to all junction results on Windows.
 */
function readlink(fsPath) {
    return __awaiter(this, void 0, void 0, function* () {
        const result = yield fs.promises.readlink(fsPath);
        // On Windows, restore Node 20 behavior: add trailing backslash to all results
        // since junctions on Windows are always directory links
        if (IS_WINDOWS && !result.endsWith('\\')) {
            return `${result}\\`;
        }
        return result;
    });
}
// See https://github.com/nodejs/node/blob/d0153aee367422d0858105abec186da4dff0a0c5/deps/uv/include/uv/win.h#L691
const UV_FS_O_EXLOCK = 0x10000000;
const READONLY = external_fs_.constants.O_RDONLY;
function exists(fsPath) {
    return __awaiter(this, void 0, void 0, function* () {
        try {
            yield stat(fsPath);
        }
        catch (err) {
            if (err.code === 'ENOENT') {
                return false;
            }
            throw err;
        }
        return true;
    });
}
function isDirectory(fsPath_1) {
    return __awaiter(this, arguments, void 0, function* (fsPath, useStat = false) {
        const stats = useStat ? yield stat(fsPath) : yield lstat(fsPath);
        return stats.isDirectory();
    });
}
/**
 * On OSX/Linux, true if path starts with '/'. On Windows, true for paths like:
 * \, \hello, \\hello\share, C:, and C:\hello (and corresponding alternate separator cases).
 */
function isRooted(p) {
    p = normalizeSeparators(p);
    if (!p) {
        throw new Error('isRooted() parameter "p" cannot be empty');
    }
    if (IS_WINDOWS) {
        return (p.startsWith('\\') || /^[A-Z]:/i.test(p) // e.g. \ or \hello or \\hello
        ); // e.g. C: or C:\hello
    }
    return p.startsWith('/');
}
/**
 * Best effort attempt to determine whether a file exists and is executable.
 * @param filePath    file path to check
 * @param extensions  additional file extensions to try
 * @return if file exists and is executable, returns the file path. otherwise empty string.
 */
function tryGetExecutablePath(filePath, extensions) {
    return __awaiter(this, void 0, void 0, function* () {
        let stats = undefined;
        try {
            // test file exists
            stats = yield stat(filePath);
        }
        catch (err) {
            if (err.code !== 'ENOENT') {
                // eslint-disable-next-line no-console
                console.log(`Unexpected error attempting to determine if executable file exists '${filePath}': ${err}`);
            }
        }
        if (stats && stats.isFile()) {
            if (IS_WINDOWS) {
                // on Windows, test for valid extension
                const upperExt = external_path_namespaceObject.extname(filePath).toUpperCase();
                if (extensions.some(validExt => validExt.toUpperCase() === upperExt)) {
                    return filePath;
                }
            }
            else {
                if (isUnixExecutable(stats)) {
                    return filePath;
                }
            }
        }
        // try each extension
        const originalFilePath = filePath;
        for (const extension of extensions) {
            filePath = originalFilePath + extension;
            stats = undefined;
            try {
                stats = yield stat(filePath);
            }
            catch (err) {
                if (err.code !== 'ENOENT') {
                    // eslint-disable-next-line no-console
                    console.log(`Unexpected error attempting to determine if executable file exists '${filePath}': ${err}`);
                }
            }
            if (stats && stats.isFile()) {
                if (IS_WINDOWS) {
                    // preserve the case of the actual file (since an extension was appended)
                    try {
                        const directory = external_path_namespaceObject.dirname(filePath);
                        const upperName = external_path_namespaceObject.basename(filePath).toUpperCase();
                        for (const actualName of yield readdir(directory)) {
                            if (upperName === actualName.toUpperCase()) {
                                filePath = external_path_namespaceObject.join(directory, actualName);
                                break;
                            }
                        }
                    }
                    catch (err) {
                        // eslint-disable-next-line no-console
                        console.log(`Unexpected error attempting to determine the actual case of the file '${filePath}': ${err}`);
                    }
                    return filePath;
                }
                else {
                    if (isUnixExecutable(stats)) {
                        return filePath;
                    }
                }
            }
        }
        return '';
    });
}
function normalizeSeparators(p) {
    p = p || '';
    if (IS_WINDOWS) {
        // convert slashes on Windows
        p = p.replace(/\//g, '\\');
        // remove redundant slashes
        return p.replace(/\\\\+/g, '\\');
    }
    // remove redundant slashes
    return p.replace(/\/\/+/g, '/');
}
// on Mac/Linux, test the execute bit
//     R   W  X  R  W X R W X
//   256 128 64 32 16 8 4 2 1
function isUnixExecutable(stats) {
    return ((stats.mode & 1) > 0 ||
        ((stats.mode & 8) > 0 &&
            process.getgid !== undefined &&
            stats.gid === process.getgid()) ||
        ((stats.mode & 64) > 0 &&
            process.getuid !== undefined &&
            stats.uid === process.getuid()));
}
// Get the path of cmd.exe in windows
function getCmdPath() {
    var _a;
    return (_a = process.env['COMSPEC']) !== null && _a !== void 0 ? _a : `cmd.exe`;
}
//# sourceMappingURL=io-util.js.map
;// CONCATENATED MODULE: ./node_modules/@actions/io/lib/io.js
var io_awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};



/**
 * Copies a file or folder.
 * Based off of shelljs - https://github.com/shelljs/shelljs/blob/9237f66c52e5daa40458f94f9565e18e8132f5a6/src/cp.js
 *
 * @param     source    source path
 * @param     dest      destination path
 * @param     options   optional. See CopyOptions.
 */
function cp(source_1, dest_1) {
    return io_awaiter(this, arguments, void 0, function* (source, dest, options = {}) {
        const { force, recursive, copySourceDirectory } = readCopyOptions(options);
        const destStat = (yield ioUtil.exists(dest)) ? yield ioUtil.stat(dest) : null;
        // Dest is an existing file, but not forcing
        if (destStat && destStat.isFile() && !force) {
            return;
        }
        // If dest is an existing directory, should copy inside.
        const newDest = destStat && destStat.isDirectory() && copySourceDirectory
            ? path.join(dest, path.basename(source))
            : dest;
        if (!(yield ioUtil.exists(source))) {
            throw new Error(`no such file or directory: ${source}`);
        }
        const sourceStat = yield ioUtil.stat(source);
        if (sourceStat.isDirectory()) {
            if (!recursive) {
                throw new Error(`Failed to copy. ${source} is a directory, but tried to copy without recursive flag.`);
            }
            else {
                yield cpDirRecursive(source, newDest, 0, force);
            }
        }
        else {
            if (path.relative(source, newDest) === '') {
                // a file cannot be copied to itself
                throw new Error(`'${newDest}' and '${source}' are the same file`);
            }
            yield io_copyFile(source, newDest, force);
        }
    });
}
/**
 * Moves a path.
 *
 * @param     source    source path
 * @param     dest      destination path
 * @param     options   optional. See MoveOptions.
 */
function mv(source_1, dest_1) {
    return io_awaiter(this, arguments, void 0, function* (source, dest, options = {}) {
        if (yield ioUtil.exists(dest)) {
            let destExists = true;
            if (yield ioUtil.isDirectory(dest)) {
                // If dest is directory copy src into dest
                dest = path.join(dest, path.basename(source));
                destExists = yield ioUtil.exists(dest);
            }
            if (destExists) {
                if (options.force == null || options.force) {
                    yield rmRF(dest);
                }
                else {
                    throw new Error('Destination already exists');
                }
            }
        }
        yield mkdirP(path.dirname(dest));
        yield ioUtil.rename(source, dest);
    });
}
/**
 * Remove a path recursively with force
 *
 * @param inputPath path to remove
 */
function rmRF(inputPath) {
    return io_awaiter(this, void 0, void 0, function* () {
        if (ioUtil.IS_WINDOWS) {
            // Check for invalid characters
            // https://docs.microsoft.com/en-us/windows/win32/fileio/naming-a-file
            if (/[*"<>|]/.test(inputPath)) {
                throw new Error('File path must not contain `*`, `"`, `<`, `>` or `|` on Windows');
            }
        }
        try {
            // note if path does not exist, error is silent
            yield ioUtil.rm(inputPath, {
                force: true,
                maxRetries: 3,
                recursive: true,
                retryDelay: 300
            });
        }
        catch (err) {
            throw new Error(`File was unable to be removed ${err}`);
        }
    });
}
/**
 * Make a directory.  Creates the full path with folders in between
 * Will throw if it fails
 *
 * @param   fsPath        path to create
 * @returns Promise<void>
 */
function mkdirP(fsPath) {
    return io_awaiter(this, void 0, void 0, function* () {
        ok(fsPath, 'a path argument must be provided');
        yield ioUtil.mkdir(fsPath, { recursive: true });
    });
}
/**
 * Returns path of a tool had the tool actually been invoked.  Resolves via paths.
 * If you check and the tool does not exist, it will throw.
 *
 * @param     tool              name of the tool
 * @param     check             whether to check if tool exists
 * @returns   Promise<string>   path to tool
 */
function which(tool, check) {
    return io_awaiter(this, void 0, void 0, function* () {
        if (!tool) {
            throw new Error("parameter 'tool' is required");
        }
        // recursive when check=true
        if (check) {
            const result = yield which(tool, false);
            if (!result) {
                if (IS_WINDOWS) {
                    throw new Error(`Unable to locate executable file: ${tool}. Please verify either the file path exists or the file can be found within a directory specified by the PATH environment variable. Also verify the file has a valid extension for an executable file.`);
                }
                else {
                    throw new Error(`Unable to locate executable file: ${tool}. Please verify either the file path exists or the file can be found within a directory specified by the PATH environment variable. Also check the file mode to verify the file is executable.`);
                }
            }
            return result;
        }
        const matches = yield findInPath(tool);
        if (matches && matches.length > 0) {
            return matches[0];
        }
        return '';
    });
}
/**
 * Returns a list of all occurrences of the given tool on the system path.
 *
 * @returns   Promise<string[]>  the paths of the tool
 */
function findInPath(tool) {
    return io_awaiter(this, void 0, void 0, function* () {
        if (!tool) {
            throw new Error("parameter 'tool' is required");
        }
        // build the list of extensions to try
        const extensions = [];
        if (IS_WINDOWS && process.env['PATHEXT']) {
            for (const extension of process.env['PATHEXT'].split(external_path_namespaceObject.delimiter)) {
                if (extension) {
                    extensions.push(extension);
                }
            }
        }
        // if it's rooted, return it if exists. otherwise return empty.
        if (isRooted(tool)) {
            const filePath = yield tryGetExecutablePath(tool, extensions);
            if (filePath) {
                return [filePath];
            }
            return [];
        }
        // if any path separators, return empty
        if (tool.includes(external_path_namespaceObject.sep)) {
            return [];
        }
        // build the list of directories
        //
        // Note, technically "where" checks the current directory on Windows. From a toolkit perspective,
        // it feels like we should not do this. Checking the current directory seems like more of a use
        // case of a shell, and the which() function exposed by the toolkit should strive for consistency
        // across platforms.
        const directories = [];
        if (process.env.PATH) {
            for (const p of process.env.PATH.split(external_path_namespaceObject.delimiter)) {
                if (p) {
                    directories.push(p);
                }
            }
        }
        // find all matches
        const matches = [];
        for (const directory of directories) {
            const filePath = yield tryGetExecutablePath(external_path_namespaceObject.join(directory, tool), extensions);
            if (filePath) {
                matches.push(filePath);
            }
        }
        return matches;
    });
}
function readCopyOptions(options) {
    const force = options.force == null ? true : options.force;
    const recursive = Boolean(options.recursive);
    const copySourceDirectory = options.copySourceDirectory == null
        ? true
        : Boolean(options.copySourceDirectory);
    return { force, recursive, copySourceDirectory };
}
function cpDirRecursive(sourceDir, destDir, currentDepth, force) {
    return io_awaiter(this, void 0, void 0, function* () {
        // Ensure there is not a run away recursive copy
        if (currentDepth >= 255)
            return;
        currentDepth++;
        yield mkdirP(destDir);
        const files = yield ioUtil.readdir(sourceDir);
        for (const fileName of files) {
            const srcFile = `${sourceDir}/${fileName}`;
            const destFile = `${destDir}/${fileName}`;
            const srcFileStat = yield ioUtil.lstat(srcFile);
            if (srcFileStat.isDirectory()) {
                // Recurse
                yield cpDirRecursive(srcFile, destFile, currentDepth, force);
            }
            else {
                yield io_copyFile(srcFile, destFile, force);
            }
        }
        // Change the mode for the newly created directory
        yield ioUtil.chmod(destDir, (yield ioUtil.stat(sourceDir)).mode);
    });
}
// Buffered file copy
function io_copyFile(srcFile, destFile, force) {
    return io_awaiter(this, void 0, void 0, function* () {
        if ((yield ioUtil.lstat(srcFile)).isSymbolicLink()) {
            // unlink/re-link it
            try {
                yield ioUtil.lstat(destFile);
                yield ioUtil.unlink(destFile);
            }
            catch (e) {
                // Try to override file permission
                if (e.code === 'EPERM') {
                    yield ioUtil.chmod(destFile, '0666');
                    yield ioUtil.unlink(destFile);
                }
                // other errors = it doesn't exist, no work to do
            }
            // Copy over symlink
            const symlinkFull = yield ioUtil.readlink(srcFile);
            yield ioUtil.symlink(symlinkFull, destFile, ioUtil.IS_WINDOWS ? 'junction' : null);
        }
        else if (!(yield ioUtil.exists(destFile)) || force) {
            yield ioUtil.copyFile(srcFile, destFile);
        }
    });
}
//# sourceMappingURL=io.js.map
;// CONCATENATED MODULE: external "timers"
const external_timers_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("timers");
;// CONCATENATED MODULE: ./node_modules/@actions/exec/lib/toolrunner.js
var toolrunner_awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};







/* eslint-disable @typescript-eslint/unbound-method */
const toolrunner_IS_WINDOWS = process.platform === 'win32';
/*
 * Class for running command line tools. Handles quoting and arg parsing in a platform agnostic way.
 */
class ToolRunner extends external_events_.EventEmitter {
    constructor(toolPath, args, options) {
        super();
        if (!toolPath) {
            throw new Error("Parameter 'toolPath' cannot be null or empty.");
        }
        this.toolPath = toolPath;
        this.args = args || [];
        this.options = options || {};
    }
    _debug(message) {
        if (this.options.listeners && this.options.listeners.debug) {
            this.options.listeners.debug(message);
        }
    }
    _getCommandString(options, noPrefix) {
        const toolPath = this._getSpawnFileName();
        const args = this._getSpawnArgs(options);
        let cmd = noPrefix ? '' : '[command]'; // omit prefix when piped to a second tool
        if (toolrunner_IS_WINDOWS) {
            // Windows + cmd file
            if (this._isCmdFile()) {
                cmd += toolPath;
                for (const a of args) {
                    cmd += ` ${a}`;
                }
            }
            // Windows + verbatim
            else if (options.windowsVerbatimArguments) {
                cmd += `"${toolPath}"`;
                for (const a of args) {
                    cmd += ` ${a}`;
                }
            }
            // Windows (regular)
            else {
                cmd += this._windowsQuoteCmdArg(toolPath);
                for (const a of args) {
                    cmd += ` ${this._windowsQuoteCmdArg(a)}`;
                }
            }
        }
        else {
            // OSX/Linux - this can likely be improved with some form of quoting.
            // creating processes on Unix is fundamentally different than Windows.
            // on Unix, execvp() takes an arg array.
            cmd += toolPath;
            for (const a of args) {
                cmd += ` ${a}`;
            }
        }
        return cmd;
    }
    _processLineBuffer(data, strBuffer, onLine) {
        try {
            let s = strBuffer + data.toString();
            let n = s.indexOf(external_os_.EOL);
            while (n > -1) {
                const line = s.substring(0, n);
                onLine(line);
                // the rest of the string ...
                s = s.substring(n + external_os_.EOL.length);
                n = s.indexOf(external_os_.EOL);
            }
            return s;
        }
        catch (err) {
            // streaming lines to console is best effort.  Don't fail a build.
            this._debug(`error processing line. Failed with error ${err}`);
            return '';
        }
    }
    _getSpawnFileName() {
        if (toolrunner_IS_WINDOWS) {
            if (this._isCmdFile()) {
                return process.env['COMSPEC'] || 'cmd.exe';
            }
        }
        return this.toolPath;
    }
    _getSpawnArgs(options) {
        if (toolrunner_IS_WINDOWS) {
            if (this._isCmdFile()) {
                let argline = `/D /S /C "${this._windowsQuoteCmdArg(this.toolPath)}`;
                for (const a of this.args) {
                    argline += ' ';
                    argline += options.windowsVerbatimArguments
                        ? a
                        : this._windowsQuoteCmdArg(a);
                }
                argline += '"';
                return [argline];
            }
        }
        return this.args;
    }
    _endsWith(str, end) {
        return str.endsWith(end);
    }
    _isCmdFile() {
        const upperToolPath = this.toolPath.toUpperCase();
        return (this._endsWith(upperToolPath, '.CMD') ||
            this._endsWith(upperToolPath, '.BAT'));
    }
    _windowsQuoteCmdArg(arg) {
        // for .exe, apply the normal quoting rules that libuv applies
        if (!this._isCmdFile()) {
            return this._uvQuoteCmdArg(arg);
        }
        // otherwise apply quoting rules specific to the cmd.exe command line parser.
        // the libuv rules are generic and are not designed specifically for cmd.exe
        // command line parser.
        //
        // for a detailed description of the cmd.exe command line parser, refer to
        // http://stackoverflow.com/questions/4094699/how-does-the-windows-command-interpreter-cmd-exe-parse-scripts/7970912#7970912
        // need quotes for empty arg
        if (!arg) {
            return '""';
        }
        // determine whether the arg needs to be quoted
        const cmdSpecialChars = [
            ' ',
            '\t',
            '&',
            '(',
            ')',
            '[',
            ']',
            '{',
            '}',
            '^',
            '=',
            ';',
            '!',
            "'",
            '+',
            ',',
            '`',
            '~',
            '|',
            '<',
            '>',
            '"'
        ];
        let needsQuotes = false;
        for (const char of arg) {
            if (cmdSpecialChars.some(x => x === char)) {
                needsQuotes = true;
                break;
            }
        }
        // short-circuit if quotes not needed
        if (!needsQuotes) {
            return arg;
        }
        // the following quoting rules are very similar to the rules that by libuv applies.
        //
        // 1) wrap the string in quotes
        //
        // 2) double-up quotes - i.e. " => ""
        //
        //    this is different from the libuv quoting rules. libuv replaces " with \", which unfortunately
        //    doesn't work well with a cmd.exe command line.
        //
        //    note, replacing " with "" also works well if the arg is passed to a downstream .NET console app.
        //    for example, the command line:
        //          foo.exe "myarg:""my val"""
        //    is parsed by a .NET console app into an arg array:
        //          [ "myarg:\"my val\"" ]
        //    which is the same end result when applying libuv quoting rules. although the actual
        //    command line from libuv quoting rules would look like:
        //          foo.exe "myarg:\"my val\""
        //
        // 3) double-up slashes that precede a quote,
        //    e.g.  hello \world    => "hello \world"
        //          hello\"world    => "hello\\""world"
        //          hello\\"world   => "hello\\\\""world"
        //          hello world\    => "hello world\\"
        //
        //    technically this is not required for a cmd.exe command line, or the batch argument parser.
        //    the reasons for including this as a .cmd quoting rule are:
        //
        //    a) this is optimized for the scenario where the argument is passed from the .cmd file to an
        //       external program. many programs (e.g. .NET console apps) rely on the slash-doubling rule.
        //
        //    b) it's what we've been doing previously (by deferring to node default behavior) and we
        //       haven't heard any complaints about that aspect.
        //
        // note, a weakness of the quoting rules chosen here, is that % is not escaped. in fact, % cannot be
        // escaped when used on the command line directly - even though within a .cmd file % can be escaped
        // by using %%.
        //
        // the saving grace is, on the command line, %var% is left as-is if var is not defined. this contrasts
        // the line parsing rules within a .cmd file, where if var is not defined it is replaced with nothing.
        //
        // one option that was explored was replacing % with ^% - i.e. %var% => ^%var^%. this hack would
        // often work, since it is unlikely that var^ would exist, and the ^ character is removed when the
        // variable is used. the problem, however, is that ^ is not removed when %* is used to pass the args
        // to an external program.
        //
        // an unexplored potential solution for the % escaping problem, is to create a wrapper .cmd file.
        // % can be escaped within a .cmd file.
        let reverse = '"';
        let quoteHit = true;
        for (let i = arg.length; i > 0; i--) {
            // walk the string in reverse
            reverse += arg[i - 1];
            if (quoteHit && arg[i - 1] === '\\') {
                reverse += '\\'; // double the slash
            }
            else if (arg[i - 1] === '"') {
                quoteHit = true;
                reverse += '"'; // double the quote
            }
            else {
                quoteHit = false;
            }
        }
        reverse += '"';
        return reverse.split('').reverse().join('');
    }
    _uvQuoteCmdArg(arg) {
        // Tool runner wraps child_process.spawn() and needs to apply the same quoting as
        // Node in certain cases where the undocumented spawn option windowsVerbatimArguments
        // is used.
        //
        // Since this function is a port of quote_cmd_arg from Node 4.x (technically, lib UV,
        // see https://github.com/nodejs/node/blob/v4.x/deps/uv/src/win/process.c for details),
        // pasting copyright notice from Node within this function:
        //
        //      Copyright Joyent, Inc. and other Node contributors. All rights reserved.
        //
        //      Permission is hereby granted, free of charge, to any person obtaining a copy
        //      of this software and associated documentation files (the "Software"), to
        //      deal in the Software without restriction, including without limitation the
        //      rights to use, copy, modify, merge, publish, distribute, sublicense, and/or
        //      sell copies of the Software, and to permit persons to whom the Software is
        //      furnished to do so, subject to the following conditions:
        //
        //      The above copyright notice and this permission notice shall be included in
        //      all copies or substantial portions of the Software.
        //
        //      THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
        //      IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
        //      FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
        //      AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
        //      LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING
        //      FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS
        //      IN THE SOFTWARE.
        if (!arg) {
            // Need double quotation for empty argument
            return '""';
        }
        if (!arg.includes(' ') && !arg.includes('\t') && !arg.includes('"')) {
            // No quotation needed
            return arg;
        }
        if (!arg.includes('"') && !arg.includes('\\')) {
            // No embedded double quotes or backslashes, so I can just wrap
            // quote marks around the whole thing.
            return `"${arg}"`;
        }
        // Expected input/output:
        //   input : hello"world
        //   output: "hello\"world"
        //   input : hello""world
        //   output: "hello\"\"world"
        //   input : hello\world
        //   output: hello\world
        //   input : hello\\world
        //   output: hello\\world
        //   input : hello\"world
        //   output: "hello\\\"world"
        //   input : hello\\"world
        //   output: "hello\\\\\"world"
        //   input : hello world\
        //   output: "hello world\\" - note the comment in libuv actually reads "hello world\"
        //                             but it appears the comment is wrong, it should be "hello world\\"
        let reverse = '"';
        let quoteHit = true;
        for (let i = arg.length; i > 0; i--) {
            // walk the string in reverse
            reverse += arg[i - 1];
            if (quoteHit && arg[i - 1] === '\\') {
                reverse += '\\';
            }
            else if (arg[i - 1] === '"') {
                quoteHit = true;
                reverse += '\\';
            }
            else {
                quoteHit = false;
            }
        }
        reverse += '"';
        return reverse.split('').reverse().join('');
    }
    _cloneExecOptions(options) {
        options = options || {};
        const result = {
            cwd: options.cwd || process.cwd(),
            env: options.env || process.env,
            silent: options.silent || false,
            windowsVerbatimArguments: options.windowsVerbatimArguments || false,
            failOnStdErr: options.failOnStdErr || false,
            ignoreReturnCode: options.ignoreReturnCode || false,
            delay: options.delay || 10000
        };
        result.outStream = options.outStream || process.stdout;
        result.errStream = options.errStream || process.stderr;
        return result;
    }
    _getSpawnOptions(options, toolPath) {
        options = options || {};
        const result = {};
        result.cwd = options.cwd;
        result.env = options.env;
        result['windowsVerbatimArguments'] =
            options.windowsVerbatimArguments || this._isCmdFile();
        if (options.windowsVerbatimArguments) {
            result.argv0 = `"${toolPath}"`;
        }
        return result;
    }
    /**
     * Exec a tool.
     * Output will be streamed to the live console.
     * Returns promise with return code
     *
     * @param     tool     path to tool to exec
     * @param     options  optional exec options.  See ExecOptions
     * @returns   number
     */
    exec() {
        return toolrunner_awaiter(this, void 0, void 0, function* () {
            // root the tool path if it is unrooted and contains relative pathing
            if (!isRooted(this.toolPath) &&
                (this.toolPath.includes('/') ||
                    (toolrunner_IS_WINDOWS && this.toolPath.includes('\\')))) {
                // prefer options.cwd if it is specified, however options.cwd may also need to be rooted
                this.toolPath = external_path_namespaceObject.resolve(process.cwd(), this.options.cwd || process.cwd(), this.toolPath);
            }
            // if the tool is only a file name, then resolve it from the PATH
            // otherwise verify it exists (add extension on Windows if necessary)
            this.toolPath = yield which(this.toolPath, true);
            return new Promise((resolve, reject) => toolrunner_awaiter(this, void 0, void 0, function* () {
                this._debug(`exec tool: ${this.toolPath}`);
                this._debug('arguments:');
                for (const arg of this.args) {
                    this._debug(`   ${arg}`);
                }
                const optionsNonNull = this._cloneExecOptions(this.options);
                if (!optionsNonNull.silent && optionsNonNull.outStream) {
                    optionsNonNull.outStream.write(this._getCommandString(optionsNonNull) + external_os_.EOL);
                }
                const state = new ExecState(optionsNonNull, this.toolPath);
                state.on('debug', (message) => {
                    this._debug(message);
                });
                if (this.options.cwd && !(yield exists(this.options.cwd))) {
                    return reject(new Error(`The cwd: ${this.options.cwd} does not exist!`));
                }
                const fileName = this._getSpawnFileName();
                const cp = external_child_process_namespaceObject.spawn(fileName, this._getSpawnArgs(optionsNonNull), this._getSpawnOptions(this.options, fileName));
                let stdbuffer = '';
                if (cp.stdout) {
                    cp.stdout.on('data', (data) => {
                        if (this.options.listeners && this.options.listeners.stdout) {
                            this.options.listeners.stdout(data);
                        }
                        if (!optionsNonNull.silent && optionsNonNull.outStream) {
                            optionsNonNull.outStream.write(data);
                        }
                        stdbuffer = this._processLineBuffer(data, stdbuffer, (line) => {
                            if (this.options.listeners && this.options.listeners.stdline) {
                                this.options.listeners.stdline(line);
                            }
                        });
                    });
                }
                let errbuffer = '';
                if (cp.stderr) {
                    cp.stderr.on('data', (data) => {
                        state.processStderr = true;
                        if (this.options.listeners && this.options.listeners.stderr) {
                            this.options.listeners.stderr(data);
                        }
                        if (!optionsNonNull.silent &&
                            optionsNonNull.errStream &&
                            optionsNonNull.outStream) {
                            const s = optionsNonNull.failOnStdErr
                                ? optionsNonNull.errStream
                                : optionsNonNull.outStream;
                            s.write(data);
                        }
                        errbuffer = this._processLineBuffer(data, errbuffer, (line) => {
                            if (this.options.listeners && this.options.listeners.errline) {
                                this.options.listeners.errline(line);
                            }
                        });
                    });
                }
                cp.on('error', (err) => {
                    state.processError = err.message;
                    state.processExited = true;
                    state.processClosed = true;
                    state.CheckComplete();
                });
                cp.on('exit', (code) => {
                    state.processExitCode = code;
                    state.processExited = true;
                    this._debug(`Exit code ${code} received from tool '${this.toolPath}'`);
                    state.CheckComplete();
                });
                cp.on('close', (code) => {
                    state.processExitCode = code;
                    state.processExited = true;
                    state.processClosed = true;
                    this._debug(`STDIO streams have closed for tool '${this.toolPath}'`);
                    state.CheckComplete();
                });
                state.on('done', (error, exitCode) => {
                    if (stdbuffer.length > 0) {
                        this.emit('stdline', stdbuffer);
                    }
                    if (errbuffer.length > 0) {
                        this.emit('errline', errbuffer);
                    }
                    cp.removeAllListeners();
                    if (error) {
                        reject(error);
                    }
                    else {
                        resolve(exitCode);
                    }
                });
                if (this.options.input) {
                    if (!cp.stdin) {
                        throw new Error('child process missing stdin');
                    }
                    cp.stdin.end(this.options.input);
                }
            }));
        });
    }
}
/**
 * Convert an arg string to an array of args. Handles escaping
 *
 * @param    argString   string of arguments
 * @returns  string[]    array of arguments
 */
function argStringToArray(argString) {
    const args = [];
    let inQuotes = false;
    let escaped = false;
    let arg = '';
    function append(c) {
        // we only escape double quotes.
        if (escaped && c !== '"') {
            arg += '\\';
        }
        arg += c;
        escaped = false;
    }
    for (let i = 0; i < argString.length; i++) {
        const c = argString.charAt(i);
        if (c === '"') {
            if (!escaped) {
                inQuotes = !inQuotes;
            }
            else {
                append(c);
            }
            continue;
        }
        if (c === '\\' && escaped) {
            append(c);
            continue;
        }
        if (c === '\\' && inQuotes) {
            escaped = true;
            continue;
        }
        if (c === ' ' && !inQuotes) {
            if (arg.length > 0) {
                args.push(arg);
                arg = '';
            }
            continue;
        }
        append(c);
    }
    if (arg.length > 0) {
        args.push(arg.trim());
    }
    return args;
}
class ExecState extends external_events_.EventEmitter {
    constructor(options, toolPath) {
        super();
        this.processClosed = false; // tracks whether the process has exited and stdio is closed
        this.processError = '';
        this.processExitCode = 0;
        this.processExited = false; // tracks whether the process has exited
        this.processStderr = false; // tracks whether stderr was written to
        this.delay = 10000; // 10 seconds
        this.done = false;
        this.timeout = null;
        if (!toolPath) {
            throw new Error('toolPath must not be empty');
        }
        this.options = options;
        this.toolPath = toolPath;
        if (options.delay) {
            this.delay = options.delay;
        }
    }
    CheckComplete() {
        if (this.done) {
            return;
        }
        if (this.processClosed) {
            this._setResult();
        }
        else if (this.processExited) {
            this.timeout = (0,external_timers_namespaceObject.setTimeout)(ExecState.HandleTimeout, this.delay, this);
        }
    }
    _debug(message) {
        this.emit('debug', message);
    }
    _setResult() {
        // determine whether there is an error
        let error;
        if (this.processExited) {
            if (this.processError) {
                error = new Error(`There was an error when attempting to execute the process '${this.toolPath}'. This may indicate the process failed to start. Error: ${this.processError}`);
            }
            else if (this.processExitCode !== 0 && !this.options.ignoreReturnCode) {
                error = new Error(`The process '${this.toolPath}' failed with exit code ${this.processExitCode}`);
            }
            else if (this.processStderr && this.options.failOnStdErr) {
                error = new Error(`The process '${this.toolPath}' failed because one or more lines were written to the STDERR stream`);
            }
        }
        // clear the timeout
        if (this.timeout) {
            clearTimeout(this.timeout);
            this.timeout = null;
        }
        this.done = true;
        this.emit('done', error, this.processExitCode);
    }
    static HandleTimeout(state) {
        if (state.done) {
            return;
        }
        if (!state.processClosed && state.processExited) {
            const message = `The STDIO streams did not close within ${state.delay / 1000} seconds of the exit event from process '${state.toolPath}'. This may indicate a child process inherited the STDIO streams and has not yet exited.`;
            state._debug(message);
        }
        state._setResult();
    }
}
//# sourceMappingURL=toolrunner.js.map
;// CONCATENATED MODULE: ./node_modules/@actions/exec/lib/exec.js
var exec_awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};


/**
 * Exec a command.
 * Output will be streamed to the live console.
 * Returns promise with return code
 *
 * @param     commandLine        command to execute (can include additional args). Must be correctly escaped.
 * @param     args               optional arguments for tool. Escaping is handled by the lib.
 * @param     options            optional exec options.  See ExecOptions
 * @returns   Promise<number>    exit code
 */
function exec(commandLine, args, options) {
    return exec_awaiter(this, void 0, void 0, function* () {
        const commandArgs = argStringToArray(commandLine);
        if (commandArgs.length === 0) {
            throw new Error(`Parameter 'commandLine' cannot be null or empty.`);
        }
        // Path to tool to execute should be first arg
        const toolPath = commandArgs[0];
        args = commandArgs.slice(1).concat(args || []);
        const runner = new ToolRunner(toolPath, args, options);
        return runner.exec();
    });
}
/**
 * Exec a command and get the output.
 * Output will be streamed to the live console.
 * Returns promise with the exit code and collected stdout and stderr
 *
 * @param     commandLine           command to execute (can include additional args). Must be correctly escaped.
 * @param     args                  optional arguments for tool. Escaping is handled by the lib.
 * @param     options               optional exec options.  See ExecOptions
 * @returns   Promise<ExecOutput>   exit code, stdout, and stderr
 */
function getExecOutput(commandLine, args, options) {
    return exec_awaiter(this, void 0, void 0, function* () {
        var _a, _b;
        let stdout = '';
        let stderr = '';
        //Using string decoder covers the case where a mult-byte character is split
        const stdoutDecoder = new external_string_decoder_.StringDecoder('utf8');
        const stderrDecoder = new external_string_decoder_.StringDecoder('utf8');
        const originalStdoutListener = (_a = options === null || options === void 0 ? void 0 : options.listeners) === null || _a === void 0 ? void 0 : _a.stdout;
        const originalStdErrListener = (_b = options === null || options === void 0 ? void 0 : options.listeners) === null || _b === void 0 ? void 0 : _b.stderr;
        const stdErrListener = (data) => {
            stderr += stderrDecoder.write(data);
            if (originalStdErrListener) {
                originalStdErrListener(data);
            }
        };
        const stdOutListener = (data) => {
            stdout += stdoutDecoder.write(data);
            if (originalStdoutListener) {
                originalStdoutListener(data);
            }
        };
        const listeners = Object.assign(Object.assign({}, options === null || options === void 0 ? void 0 : options.listeners), { stdout: stdOutListener, stderr: stdErrListener });
        const exitCode = yield exec(commandLine, args, Object.assign(Object.assign({}, options), { listeners }));
        //flush any remaining characters
        stdout += stdoutDecoder.end();
        stderr += stderrDecoder.end();
        return {
            exitCode,
            stdout,
            stderr
        };
    });
}
//# sourceMappingURL=exec.js.map

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
/******/ 		__webpack_modules__[moduleId].call(module.exports, module, module.exports, __nccwpck_require__);
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
/******/ var __webpack_exports__ = __nccwpck_require__(156);
/******/ __webpack_exports__ = await __webpack_exports__;
/******/ 
