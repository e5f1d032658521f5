import { createRequire as __WEBPACK_EXTERNAL_createRequire } from "module";
/******/ var __webpack_modules__ = ({

/***/ 4006:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const pico = __nccwpck_require__(8016);
const utils = __nccwpck_require__(4059);

function picomatch(glob, options, returnState = false) {
  // default to os.platform()
  if (options && (options.windows === null || options.windows === undefined)) {
    // don't mutate the original options object
    options = { ...options, windows: utils.isWindows() };
  }

  return pico(glob, options, returnState);
}

Object.assign(picomatch, pico);
module.exports = picomatch;


/***/ }),

/***/ 5595:
/***/ ((module) => {



const WIN_SLASH = '\\\\/';
const WIN_NO_SLASH = `[^${WIN_SLASH}]`;

const DEFAULT_MAX_EXTGLOB_RECURSION = 0;

/**
 * Posix glob regex
 */

const DOT_LITERAL = '\\.';
const PLUS_LITERAL = '\\+';
const QMARK_LITERAL = '\\?';
const SLASH_LITERAL = '\\/';
const ONE_CHAR = '(?=.)';
const QMARK = '[^/]';
const END_ANCHOR = `(?:${SLASH_LITERAL}|$)`;
const START_ANCHOR = `(?:^|${SLASH_LITERAL})`;
const DOTS_SLASH = `${DOT_LITERAL}{1,2}${END_ANCHOR}`;
const NO_DOT = `(?!${DOT_LITERAL})`;
const NO_DOTS = `(?!${START_ANCHOR}${DOTS_SLASH})`;
const NO_DOT_SLASH = `(?!${DOT_LITERAL}{0,1}${END_ANCHOR})`;
const NO_DOTS_SLASH = `(?!${DOTS_SLASH})`;
const QMARK_NO_DOT = `[^.${SLASH_LITERAL}]`;
const STAR = `${QMARK}*?`;
const SEP = '/';

const POSIX_CHARS = {
  DOT_LITERAL,
  PLUS_LITERAL,
  QMARK_LITERAL,
  SLASH_LITERAL,
  ONE_CHAR,
  QMARK,
  END_ANCHOR,
  DOTS_SLASH,
  NO_DOT,
  NO_DOTS,
  NO_DOT_SLASH,
  NO_DOTS_SLASH,
  QMARK_NO_DOT,
  STAR,
  START_ANCHOR,
  SEP
};

/**
 * Windows glob regex
 */

const WINDOWS_CHARS = {
  ...POSIX_CHARS,

  SLASH_LITERAL: `[${WIN_SLASH}]`,
  QMARK: WIN_NO_SLASH,
  STAR: `${WIN_NO_SLASH}*?`,
  DOTS_SLASH: `${DOT_LITERAL}{1,2}(?:[${WIN_SLASH}]|$)`,
  NO_DOT: `(?!${DOT_LITERAL})`,
  NO_DOTS: `(?!(?:^|[${WIN_SLASH}])${DOT_LITERAL}{1,2}(?:[${WIN_SLASH}]|$))`,
  NO_DOT_SLASH: `(?!${DOT_LITERAL}{0,1}(?:[${WIN_SLASH}]|$))`,
  NO_DOTS_SLASH: `(?!${DOT_LITERAL}{1,2}(?:[${WIN_SLASH}]|$))`,
  QMARK_NO_DOT: `[^.${WIN_SLASH}]`,
  START_ANCHOR: `(?:^|[${WIN_SLASH}])`,
  END_ANCHOR: `(?:[${WIN_SLASH}]|$)`,
  SEP: '\\'
};

/**
 * POSIX Bracket Regex
 */

const POSIX_REGEX_SOURCE = {
  __proto__: null,
  alnum: 'a-zA-Z0-9',
  alpha: 'a-zA-Z',
  ascii: '\\x00-\\x7F',
  blank: ' \\t',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '\\x21-\\x7E',
  lower: 'a-z',
  print: '\\x20-\\x7E ',
  punct: '\\-!"#$%&\'()\\*+,./:;<=>?@[\\]^_`{|}~',
  space: ' \\t\\r\\n\\v\\f',
  upper: 'A-Z',
  word: 'A-Za-z0-9_',
  xdigit: 'A-Fa-f0-9'
};

module.exports = {
  DEFAULT_MAX_EXTGLOB_RECURSION,
  MAX_LENGTH: 1024 * 64,
  POSIX_REGEX_SOURCE,

  // regular expressions
  REGEX_BACKSLASH: /\\(?![*+?^${}(|)[\]])/g,
  REGEX_NON_SPECIAL_CHARS: /^[^@![\].,$*+?^{}()|\\/]+/,
  REGEX_SPECIAL_CHARS: /[-*+?.^${}(|)[\]]/,
  REGEX_SPECIAL_CHARS_BACKREF: /(\\?)((\W)(\3*))/g,
  REGEX_SPECIAL_CHARS_GLOBAL: /([-*+?.^${}(|)[\]])/g,
  REGEX_REMOVE_BACKSLASH: /(?:\[.*?[^\\]\]|\\(?=.))/g,

  // Replace globs with equivalent patterns to reduce parsing time.
  REPLACEMENTS: {
    __proto__: null,
    '***': '*',
    '**/**': '**',
    '**/**/**': '**'
  },

  // Digits
  CHAR_0: 48, /* 0 */
  CHAR_9: 57, /* 9 */

  // Alphabet chars.
  CHAR_UPPERCASE_A: 65, /* A */
  CHAR_LOWERCASE_A: 97, /* a */
  CHAR_UPPERCASE_Z: 90, /* Z */
  CHAR_LOWERCASE_Z: 122, /* z */

  CHAR_LEFT_PARENTHESES: 40, /* ( */
  CHAR_RIGHT_PARENTHESES: 41, /* ) */

  CHAR_ASTERISK: 42, /* * */

  // Non-alphabetic chars.
  CHAR_AMPERSAND: 38, /* & */
  CHAR_AT: 64, /* @ */
  CHAR_BACKWARD_SLASH: 92, /* \ */
  CHAR_CARRIAGE_RETURN: 13, /* \r */
  CHAR_CIRCUMFLEX_ACCENT: 94, /* ^ */
  CHAR_COLON: 58, /* : */
  CHAR_COMMA: 44, /* , */
  CHAR_DOT: 46, /* . */
  CHAR_DOUBLE_QUOTE: 34, /* " */
  CHAR_EQUAL: 61, /* = */
  CHAR_EXCLAMATION_MARK: 33, /* ! */
  CHAR_FORM_FEED: 12, /* \f */
  CHAR_FORWARD_SLASH: 47, /* / */
  CHAR_GRAVE_ACCENT: 96, /* ` */
  CHAR_HASH: 35, /* # */
  CHAR_HYPHEN_MINUS: 45, /* - */
  CHAR_LEFT_ANGLE_BRACKET: 60, /* < */
  CHAR_LEFT_CURLY_BRACE: 123, /* { */
  CHAR_LEFT_SQUARE_BRACKET: 91, /* [ */
  CHAR_LINE_FEED: 10, /* \n */
  CHAR_NO_BREAK_SPACE: 160, /* \u00A0 */
  CHAR_PERCENT: 37, /* % */
  CHAR_PLUS: 43, /* + */
  CHAR_QUESTION_MARK: 63, /* ? */
  CHAR_RIGHT_ANGLE_BRACKET: 62, /* > */
  CHAR_RIGHT_CURLY_BRACE: 125, /* } */
  CHAR_RIGHT_SQUARE_BRACKET: 93, /* ] */
  CHAR_SEMICOLON: 59, /* ; */
  CHAR_SINGLE_QUOTE: 39, /* ' */
  CHAR_SPACE: 32, /*   */
  CHAR_TAB: 9, /* \t */
  CHAR_UNDERSCORE: 95, /* _ */
  CHAR_VERTICAL_LINE: 124, /* | */
  CHAR_ZERO_WIDTH_NOBREAK_SPACE: 65279, /* \uFEFF */

  /**
   * Create EXTGLOB_CHARS
   */

  extglobChars(chars) {
    return {
      '!': { type: 'negate', open: '(?:(?!(?:', close: `))${chars.STAR})` },
      '?': { type: 'qmark', open: '(?:', close: ')?' },
      '+': { type: 'plus', open: '(?:', close: ')+' },
      '*': { type: 'star', open: '(?:', close: ')*' },
      '@': { type: 'at', open: '(?:', close: ')' }
    };
  },

  /**
   * Create GLOB_CHARS
   */

  globChars(win32) {
    return win32 === true ? WINDOWS_CHARS : POSIX_CHARS;
  }
};


/***/ }),

/***/ 8265:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const constants = __nccwpck_require__(5595);
const utils = __nccwpck_require__(4059);

/**
 * Constants
 */

const {
  MAX_LENGTH,
  POSIX_REGEX_SOURCE,
  REGEX_NON_SPECIAL_CHARS,
  REGEX_SPECIAL_CHARS_BACKREF,
  REPLACEMENTS
} = constants;

/**
 * Helpers
 */

const expandRange = (args, options) => {
  if (typeof options.expandRange === 'function') {
    return options.expandRange(...args, options);
  }

  args.sort();
  const value = `[${args.join('-')}]`;

  try {
    /* eslint-disable-next-line no-new */
    new RegExp(value);
  } catch (ex) {
    return args.map(v => utils.escapeRegex(v)).join('..');
  }

  return value;
};

/**
 * Create the message for a syntax error
 */

const syntaxError = (type, char) => {
  return `Missing ${type}: "${char}" - use "\\\\${char}" to match literal characters`;
};

const splitTopLevel = input => {
  const parts = [];
  let bracket = 0;
  let paren = 0;
  let quote = 0;
  let value = '';
  let escaped = false;

  for (const ch of input) {
    if (escaped === true) {
      value += ch;
      escaped = false;
      continue;
    }

    if (ch === '\\') {
      value += ch;
      escaped = true;
      continue;
    }

    if (ch === '"') {
      quote = quote === 1 ? 0 : 1;
      value += ch;
      continue;
    }

    if (quote === 0) {
      if (ch === '[') {
        bracket++;
      } else if (ch === ']' && bracket > 0) {
        bracket--;
      } else if (bracket === 0) {
        if (ch === '(') {
          paren++;
        } else if (ch === ')' && paren > 0) {
          paren--;
        } else if (ch === '|' && paren === 0) {
          parts.push(value);
          value = '';
          continue;
        }
      }
    }

    value += ch;
  }

  parts.push(value);
  return parts;
};

const isPlainBranch = branch => {
  let escaped = false;

  for (const ch of branch) {
    if (escaped === true) {
      escaped = false;
      continue;
    }

    if (ch === '\\') {
      escaped = true;
      continue;
    }

    if (/[?*+@!()[\]{}]/.test(ch)) {
      return false;
    }
  }

  return true;
};

const normalizeSimpleBranch = branch => {
  let value = branch.trim();
  let changed = true;

  while (changed === true) {
    changed = false;

    if (/^@\([^\\()[\]{}|]+\)$/.test(value)) {
      value = value.slice(2, -1);
      changed = true;
    }
  }

  if (!isPlainBranch(value)) {
    return;
  }

  return value.replace(/\\(.)/g, '$1');
};

const hasRepeatedCharPrefixOverlap = branches => {
  const values = branches.map(normalizeSimpleBranch).filter(Boolean);

  for (let i = 0; i < values.length; i++) {
    for (let j = i + 1; j < values.length; j++) {
      const a = values[i];
      const b = values[j];
      const char = a[0];

      if (!char || a !== char.repeat(a.length) || b !== char.repeat(b.length)) {
        continue;
      }

      if (a === b || a.startsWith(b) || b.startsWith(a)) {
        return true;
      }
    }
  }

  return false;
};

const parseRepeatedExtglob = (pattern, requireEnd = true) => {
  if ((pattern[0] !== '+' && pattern[0] !== '*') || pattern[1] !== '(') {
    return;
  }

  let bracket = 0;
  let paren = 0;
  let quote = 0;
  let escaped = false;

  for (let i = 1; i < pattern.length; i++) {
    const ch = pattern[i];

    if (escaped === true) {
      escaped = false;
      continue;
    }

    if (ch === '\\') {
      escaped = true;
      continue;
    }

    if (ch === '"') {
      quote = quote === 1 ? 0 : 1;
      continue;
    }

    if (quote === 1) {
      continue;
    }

    if (ch === '[') {
      bracket++;
      continue;
    }

    if (ch === ']' && bracket > 0) {
      bracket--;
      continue;
    }

    if (bracket > 0) {
      continue;
    }

    if (ch === '(') {
      paren++;
      continue;
    }

    if (ch === ')') {
      paren--;

      if (paren === 0) {
        if (requireEnd === true && i !== pattern.length - 1) {
          return;
        }

        return {
          type: pattern[0],
          body: pattern.slice(2, i),
          end: i
        };
      }
    }
  }
};

const buildCharClassStar = chars => {
  const source = chars.length === 1
    ? utils.escapeRegex(chars[0])
    : `[${chars.map(ch => utils.escapeRegex(ch)).join('')}]`;

  return `${source}*`;
};

const getStarExtglobSequenceChars = pattern => {
  let index = 0;
  const chars = [];

  while (index < pattern.length) {
    const match = parseRepeatedExtglob(pattern.slice(index), false);

    if (!match || match.type !== '*') {
      return;
    }

    const branches = splitTopLevel(match.body).map(branch => branch.trim());
    if (branches.length !== 1) {
      return;
    }

    const branch = normalizeSimpleBranch(branches[0]);
    if (!branch || branch.length !== 1) {
      return;
    }

    chars.push(branch);
    index += match.end + 1;
  }

  if (chars.length < 1) {
    return;
  }

  return chars;
};

const repeatedExtglobRecursion = pattern => {
  let depth = 0;
  let value = pattern.trim();
  let match = parseRepeatedExtglob(value);

  while (match) {
    depth++;
    value = match.body.trim();
    match = parseRepeatedExtglob(value);
  }

  return depth;
};

const analyzeRepeatedExtglob = (body, options) => {
  if (options.maxExtglobRecursion === false) {
    return { risky: false };
  }

  const max =
    typeof options.maxExtglobRecursion === 'number'
      ? options.maxExtglobRecursion
      : constants.DEFAULT_MAX_EXTGLOB_RECURSION;

  const branches = splitTopLevel(body).map(branch => branch.trim());

  if (branches.length > 1) {
    if (
      branches.some(branch => branch === '') ||
      branches.some(branch => /^[*?]+$/.test(branch)) ||
      hasRepeatedCharPrefixOverlap(branches)
    ) {
      return { risky: true };
    }
  }

  // A repeated extglob is "risky" (prone to catastrophic backtracking) when a
  // branch is itself a `*(...)` sequence, since that nests an unbounded quantifier
  // inside the outer `+(...)`/`*(...)`. When *every* branch reduces to single
  // characters we can emit one flat, ReDoS-safe character class that preserves the
  // meaning of ALL branches (e.g. `+(*(a)|*(b))` -> `[ab]*`), rather than dropping
  // every branch but the first.
  const safeChars = [];
  let sawStarSequence = false;
  let combinable = true;

  for (const branch of branches) {
    const chars = getStarExtglobSequenceChars(branch);
    if (chars) {
      sawStarSequence = true;
      safeChars.push(...chars);
      continue;
    }

    const literal = normalizeSimpleBranch(branch);
    if (literal && literal.length === 1) {
      safeChars.push(literal);
      continue;
    }

    combinable = false;

    if (repeatedExtglobRecursion(branch) > max) {
      return { risky: true };
    }
  }

  if (sawStarSequence) {
    return combinable
      ? { risky: true, safeOutput: buildCharClassStar([...new Set(safeChars)]) }
      : { risky: true };
  }

  return { risky: false };
};

/**
 * Parse the given input string.
 * @param {String} input
 * @param {Object} options
 * @return {Object}
 */

const parse = (input, options) => {
  if (typeof input !== 'string') {
    throw new TypeError('Expected a string');
  }

  input = REPLACEMENTS[input] || input;

  const opts = { ...options };
  const max = typeof opts.maxLength === 'number' ? Math.min(MAX_LENGTH, opts.maxLength) : MAX_LENGTH;

  let len = input.length;
  if (len > max) {
    throw new SyntaxError(`Input length: ${len}, exceeds maximum allowed length: ${max}`);
  }

  const bos = { type: 'bos', value: '', output: opts.prepend || '' };
  const tokens = [bos];

  const capture = opts.capture ? '' : '?:';

  // create constants based on platform, for windows or posix
  const PLATFORM_CHARS = constants.globChars(opts.windows);
  const EXTGLOB_CHARS = constants.extglobChars(PLATFORM_CHARS);

  const {
    DOT_LITERAL,
    PLUS_LITERAL,
    SLASH_LITERAL,
    ONE_CHAR,
    DOTS_SLASH,
    NO_DOT,
    NO_DOT_SLASH,
    NO_DOTS_SLASH,
    QMARK,
    QMARK_NO_DOT,
    STAR,
    START_ANCHOR
  } = PLATFORM_CHARS;

  const globstar = opts => {
    return `(${capture}(?:(?!${START_ANCHOR}${opts.dot ? DOTS_SLASH : DOT_LITERAL}).)*?)`;
  };

  const nodot = opts.dot ? '' : NO_DOT;
  const qmarkNoDot = opts.dot ? QMARK : QMARK_NO_DOT;
  let star = opts.bash === true ? globstar(opts) : STAR;

  if (opts.capture) {
    star = `(${star})`;
  }

  // minimatch options support
  if (typeof opts.noext === 'boolean') {
    opts.noextglob = opts.noext;
  }

  const state = {
    input,
    index: -1,
    start: 0,
    dot: opts.dot === true,
    consumed: '',
    output: '',
    prefix: '',
    backtrack: false,
    negated: false,
    brackets: 0,
    braces: 0,
    parens: 0,
    quotes: 0,
    globstar: false,
    tokens
  };

  input = utils.removePrefix(input, state);
  len = input.length;

  const extglobs = [];
  const braces = [];
  const stack = [];
  let prev = bos;
  let value;

  /**
   * Tokenizing helpers
   */

  const eos = () => state.index === len - 1;
  const peek = state.peek = (n = 1) => input[state.index + n];
  const advance = state.advance = () => input[++state.index] || '';
  const remaining = () => input.slice(state.index + 1);
  const consume = (value = '', num = 0) => {
    state.consumed += value;
    state.index += num;
  };

  const append = token => {
    state.output += token.output != null ? token.output : token.value;
    consume(token.value);
  };

  const negate = () => {
    let count = 1;

    while (peek() === '!' && (peek(2) !== '(' || peek(3) === '?')) {
      advance();
      state.start++;
      count++;
    }

    if (count % 2 === 0) {
      return false;
    }

    state.negated = true;
    state.start++;
    return true;
  };

  const increment = type => {
    state[type]++;
    stack.push(type);
  };

  const decrement = type => {
    state[type]--;
    stack.pop();
  };

  /**
   * Push tokens onto the tokens array. This helper speeds up
   * tokenizing by 1) helping us avoid backtracking as much as possible,
   * and 2) helping us avoid creating extra tokens when consecutive
   * characters are plain text. This improves performance and simplifies
   * lookbehinds.
   */

  const push = tok => {
    if (prev.type === 'globstar') {
      const isBrace = state.braces > 0 && (tok.type === 'comma' || tok.type === 'brace');
      const isExtglob = tok.extglob === true || (extglobs.length && (tok.type === 'pipe' || tok.type === 'paren'));

      if (tok.type !== 'slash' && tok.type !== 'paren' && !isBrace && !isExtglob) {
        state.output = state.output.slice(0, -prev.output.length);
        prev.type = 'star';
        prev.value = '*';
        prev.output = star;
        state.output += prev.output;
      }
    }

    if (extglobs.length && tok.type !== 'paren') {
      extglobs[extglobs.length - 1].inner += tok.value;
    }

    if (tok.value || tok.output) append(tok);
    if (prev && prev.type === 'text' && tok.type === 'text') {
      prev.output = (prev.output || prev.value) + tok.value;
      prev.value += tok.value;
      return;
    }

    tok.prev = prev;
    tokens.push(tok);
    prev = tok;
  };

  const extglobOpen = (type, value) => {
    const token = { ...EXTGLOB_CHARS[value], conditions: 1, inner: '' };

    token.prev = prev;
    token.parens = state.parens;
    token.output = state.output;
    token.startIndex = state.index;
    token.tokensIndex = tokens.length;
    const output = (opts.capture ? '(' : '') + token.open;

    increment('parens');
    push({ type, value, output: state.output ? '' : ONE_CHAR });
    push({ type: 'paren', extglob: true, value: advance(), output });
    extglobs.push(token);
  };

  const extglobClose = token => {
    const literal = input.slice(token.startIndex, state.index + 1);
    const body = input.slice(token.startIndex + 2, state.index);
    const analysis = analyzeRepeatedExtglob(body, opts);

    if ((token.type === 'plus' || token.type === 'star') && analysis.risky) {
      const safeOutput = analysis.safeOutput
        ? (token.output ? '' : ONE_CHAR) + (opts.capture ? `(${analysis.safeOutput})` : analysis.safeOutput)
        : undefined;
      const open = tokens[token.tokensIndex];

      open.type = 'text';
      open.value = literal;
      open.output = safeOutput || utils.escapeRegex(literal);

      for (let i = token.tokensIndex + 1; i < tokens.length; i++) {
        tokens[i].value = '';
        tokens[i].output = '';
        delete tokens[i].suffix;
      }

      state.output = token.output + open.output;
      state.backtrack = true;

      push({ type: 'paren', extglob: true, value, output: '' });
      decrement('parens');
      return;
    }

    let output = token.close + (opts.capture ? ')' : '');
    let rest;

    if (token.type === 'negate') {
      let extglobStar = star;

      if (token.inner && token.inner.length > 1 && token.inner.includes('/')) {
        extglobStar = globstar(opts);
      }

      if (extglobStar !== star || eos() || /^\)+$/.test(remaining())) {
        output = token.close = `)$))${extglobStar}`;
      }

      if (token.inner.includes('*') && (rest = remaining()) && /^\.[^\\/.]+$/.test(rest)) {
        // Any non-magical string (`.ts`) or even nested expression (`.{ts,tsx}`) can follow after the closing parenthesis.
        // In this case, we need to parse the string and use it in the output of the original pattern.
        // Suitable patterns: `/!(*.d).ts`, `/!(*.d).{ts,tsx}`, `**/!(*-dbg).@(js)`.
        //
        // Disabling the `fastpaths` option due to a problem with parsing strings as `.ts` in the pattern like `**/!(*.d).ts`.
        const expression = parse(rest, { ...options, fastpaths: false }).output;

        output = token.close = `)${expression})${extglobStar})`;
      }

      if (token.prev.type === 'bos') {
        state.negatedExtglob = true;
      }
    }

    push({ type: 'paren', extglob: true, value, output });
    decrement('parens');
  };

  /**
   * Fast paths
   */

  if (opts.fastpaths !== false && !/(^[*!]|[/()[\]{}"])/.test(input)) {
    let backslashes = false;

    let output = input.replace(REGEX_SPECIAL_CHARS_BACKREF, (m, esc, chars, first, rest, index) => {
      if (first === '\\') {
        backslashes = true;
        return m;
      }

      if (first === '?') {
        if (esc) {
          return esc + first + (rest ? QMARK.repeat(rest.length) : '');
        }
        if (index === 0) {
          return qmarkNoDot + (rest ? QMARK.repeat(rest.length) : '');
        }
        return QMARK.repeat(chars.length);
      }

      if (first === '.') {
        return DOT_LITERAL.repeat(chars.length);
      }

      if (first === '*') {
        if (esc) {
          return esc + first + (rest ? star : '');
        }
        return star;
      }
      return esc ? m : `\\${m}`;
    });

    if (backslashes === true) {
      if (opts.unescape === true) {
        output = output.replace(/\\/g, '');
      } else {
        output = output.replace(/\\+/g, m => {
          return m.length % 2 === 0 ? '\\\\' : (m ? '\\' : '');
        });
      }
    }

    if (output === input && opts.contains === true) {
      state.output = input;
      return state;
    }

    state.output = utils.wrapOutput(output, state, options);
    return state;
  }

  /**
   * Tokenize input until we reach end-of-string
   */

  while (!eos()) {
    value = advance();

    if (value === '\u0000') {
      continue;
    }

    /**
     * Escaped characters
     */

    if (value === '\\') {
      const next = peek();

      if (next === '/' && opts.bash !== true) {
        continue;
      }

      if (next === '.' || next === ';') {
        continue;
      }

      if (!next) {
        value += '\\';
        push({ type: 'text', value });
        continue;
      }

      // collapse slashes to reduce potential for exploits
      const match = /^\\+/.exec(remaining());
      let slashes = 0;

      if (match && match[0].length > 2) {
        slashes = match[0].length;
        state.index += slashes;
        if (slashes % 2 !== 0) {
          value += '\\';
        }
      }

      if (opts.unescape === true) {
        value = advance();
      } else {
        value += advance();
      }

      if (state.brackets === 0) {
        push({ type: 'text', value });
        continue;
      }
    }

    /**
     * If we're inside a regex character class, continue
     * until we reach the closing bracket.
     */

    if (state.brackets > 0 && (value !== ']' || prev.value === '[' || prev.value === '[^')) {
      if (opts.posix !== false && value === ':') {
        const inner = prev.value.slice(1);
        if (inner.includes('[')) {
          prev.posix = true;

          if (inner.includes(':')) {
            const idx = prev.value.lastIndexOf('[');
            const pre = prev.value.slice(0, idx);
            const rest = prev.value.slice(idx + 2);
            const posix = POSIX_REGEX_SOURCE[rest];
            if (posix) {
              prev.value = pre + posix;
              state.backtrack = true;
              advance();

              if (!bos.output && tokens.indexOf(prev) === 1) {
                bos.output = ONE_CHAR;
              }
              continue;
            }
          }
        }
      }

      if ((value === '[' && peek() !== ':') || (value === '-' && peek() === ']')) {
        value = `\\${value}`;
      }

      if (value === ']' && (prev.value === '[' || prev.value === '[^')) {
        value = `\\${value}`;
      }

      if (opts.posix === true && value === '!' && prev.value === '[') {
        value = '^';
      }

      prev.value += value;
      append({ value });
      continue;
    }

    /**
     * If we're inside a quoted string, continue
     * until we reach the closing double quote.
     */

    if (state.quotes === 1 && value !== '"') {
      value = utils.escapeRegex(value);
      prev.value += value;
      append({ value });
      continue;
    }

    /**
     * Double quotes
     */

    if (value === '"') {
      state.quotes = state.quotes === 1 ? 0 : 1;
      if (opts.keepQuotes === true) {
        push({ type: 'text', value });
      }
      continue;
    }

    /**
     * Parentheses
     */

    if (value === '(') {
      increment('parens');
      push({ type: 'paren', value });
      continue;
    }

    if (value === ')') {
      if (state.parens === 0 && opts.strictBrackets === true) {
        throw new SyntaxError(syntaxError('opening', '('));
      }

      const extglob = extglobs[extglobs.length - 1];
      if (extglob && state.parens === extglob.parens + 1) {
        extglobClose(extglobs.pop());
        continue;
      }

      push({ type: 'paren', value, output: state.parens ? ')' : '\\)' });
      decrement('parens');
      continue;
    }

    /**
     * Square brackets
     */

    if (value === '[') {
      if (opts.nobracket === true || !remaining().includes(']')) {
        if (opts.nobracket !== true && opts.strictBrackets === true) {
          throw new SyntaxError(syntaxError('closing', ']'));
        }

        value = `\\${value}`;
      } else {
        increment('brackets');
      }

      push({ type: 'bracket', value });
      continue;
    }

    if (value === ']') {
      if (opts.nobracket === true || (prev && prev.type === 'bracket' && prev.value.length === 1)) {
        push({ type: 'text', value, output: `\\${value}` });
        continue;
      }

      if (state.brackets === 0) {
        if (opts.strictBrackets === true) {
          throw new SyntaxError(syntaxError('opening', '['));
        }

        push({ type: 'text', value, output: `\\${value}` });
        continue;
      }

      decrement('brackets');

      const prevValue = prev.value.slice(1);
      if (prev.posix !== true && prevValue[0] === '^' && !prevValue.includes('/')) {
        value = `/${value}`;
      }

      prev.value += value;
      append({ value });

      // when literal brackets are explicitly disabled
      // assume we should match with a regex character class
      if (opts.literalBrackets === false || utils.hasRegexChars(prevValue)) {
        continue;
      }

      const escaped = utils.escapeRegex(prev.value);
      state.output = state.output.slice(0, -prev.value.length);

      // when literal brackets are explicitly enabled
      // assume we should escape the brackets to match literal characters
      if (opts.literalBrackets === true) {
        state.output += escaped;
        prev.value = escaped;
        continue;
      }

      // when the user specifies nothing, try to match both
      prev.value = `(${capture}${escaped}|${prev.value})`;
      state.output += prev.value;
      continue;
    }

    /**
     * Braces
     */

    if (value === '{' && opts.nobrace !== true) {
      increment('braces');

      const open = {
        type: 'brace',
        value,
        output: '(',
        outputIndex: state.output.length,
        tokensIndex: state.tokens.length
      };

      braces.push(open);
      push(open);
      continue;
    }

    if (value === '}') {
      const brace = braces[braces.length - 1];

      if (opts.nobrace === true || !brace) {
        push({ type: 'text', value, output: value });
        continue;
      }

      let output = ')';

      if (brace.dots === true) {
        const arr = tokens.slice();
        const range = [];

        for (let i = arr.length - 1; i >= 0; i--) {
          tokens.pop();
          if (arr[i].type === 'brace') {
            break;
          }
          if (arr[i].type !== 'dots') {
            range.unshift(arr[i].value);
          }
        }

        output = expandRange(range, opts);
        state.backtrack = true;
      }

      if (brace.comma !== true && brace.dots !== true) {
        const out = state.output.slice(0, brace.outputIndex);
        const toks = state.tokens.slice(brace.tokensIndex);
        brace.value = brace.output = '\\{';
        value = output = '\\}';
        state.output = out;
        for (const t of toks) {
          state.output += (t.output || t.value);
        }
      }

      push({ type: 'brace', value, output });
      decrement('braces');
      braces.pop();
      continue;
    }

    /**
     * Pipes
     */

    if (value === '|') {
      if (extglobs.length > 0) {
        extglobs[extglobs.length - 1].conditions++;
      }
      push({ type: 'text', value });
      continue;
    }

    /**
     * Commas
     */

    if (value === ',') {
      let output = value;

      const brace = braces[braces.length - 1];
      if (brace && stack[stack.length - 1] === 'braces') {
        brace.comma = true;
        output = '|';
      }

      push({ type: 'comma', value, output });
      continue;
    }

    /**
     * Slashes
     */

    if (value === '/') {
      // if the beginning of the glob is "./", advance the start
      // to the current index, and don't add the "./" characters
      // to the state. This greatly simplifies lookbehinds when
      // checking for BOS characters like "!" and "." (not "./")
      if (prev.type === 'dot' && state.index === state.start + 1) {
        state.start = state.index + 1;
        state.consumed = '';
        state.output = '';
        tokens.pop();
        prev = bos; // reset "prev" to the first token
        continue;
      }

      push({ type: 'slash', value, output: SLASH_LITERAL });
      continue;
    }

    /**
     * Dots
     */

    if (value === '.') {
      if (state.braces > 0 && prev.type === 'dot') {
        if (prev.value === '.') prev.output = DOT_LITERAL;
        const brace = braces[braces.length - 1];
        prev.type = 'dots';
        prev.output += value;
        prev.value += value;
        brace.dots = true;
        continue;
      }

      if ((state.braces + state.parens) === 0 && prev.type !== 'bos' && prev.type !== 'slash') {
        push({ type: 'text', value, output: DOT_LITERAL });
        continue;
      }

      push({ type: 'dot', value, output: DOT_LITERAL });
      continue;
    }

    /**
     * Question marks
     */

    if (value === '?') {
      const isGroup = prev && prev.value === '(';
      if (!isGroup && opts.noextglob !== true && peek() === '(' && peek(2) !== '?') {
        extglobOpen('qmark', value);
        continue;
      }

      if (prev && prev.type === 'paren') {
        const next = peek();
        let output = value;

        if ((prev.value === '(' && !/[!=<:]/.test(next)) || (next === '<' && !/<([!=]|\w+>)/.test(remaining()))) {
          output = `\\${value}`;
        }

        push({ type: 'text', value, output });
        continue;
      }

      if (opts.dot !== true && (prev.type === 'slash' || prev.type === 'bos')) {
        push({ type: 'qmark', value, output: QMARK_NO_DOT });
        continue;
      }

      push({ type: 'qmark', value, output: QMARK });
      continue;
    }

    /**
     * Exclamation
     */

    if (value === '!') {
      if (opts.noextglob !== true && peek() === '(') {
        if (peek(2) !== '?' || !/[!=<:]/.test(peek(3))) {
          extglobOpen('negate', value);
          continue;
        }
      }

      if (opts.nonegate !== true && state.index === 0) {
        negate();
        continue;
      }
    }

    /**
     * Plus
     */

    if (value === '+') {
      if (opts.noextglob !== true && peek() === '(' && peek(2) !== '?') {
        extglobOpen('plus', value);
        continue;
      }

      if ((prev && prev.value === '(') || opts.regex === false) {
        push({ type: 'plus', value, output: PLUS_LITERAL });
        continue;
      }

      if ((prev && (prev.type === 'bracket' || prev.type === 'paren' || prev.type === 'brace')) || state.parens > 0) {
        push({ type: 'plus', value });
        continue;
      }

      push({ type: 'plus', value: PLUS_LITERAL });
      continue;
    }

    /**
     * Plain text
     */

    if (value === '@') {
      if (opts.noextglob !== true && peek() === '(' && peek(2) !== '?') {
        push({ type: 'at', extglob: true, value, output: '' });
        continue;
      }

      push({ type: 'text', value });
      continue;
    }

    /**
     * Plain text
     */

    if (value !== '*') {
      if (value === '$' || value === '^') {
        value = `\\${value}`;
      }

      const match = REGEX_NON_SPECIAL_CHARS.exec(remaining());
      if (match) {
        value += match[0];
        state.index += match[0].length;
      }

      push({ type: 'text', value });
      continue;
    }

    /**
     * Stars
     */

    if (prev && (prev.type === 'globstar' || prev.star === true)) {
      prev.type = 'star';
      prev.star = true;
      prev.value += value;
      prev.output = star;
      state.backtrack = true;
      state.globstar = true;
      consume(value);
      continue;
    }

    let rest = remaining();
    if (opts.noextglob !== true && /^\([^?]/.test(rest)) {
      extglobOpen('star', value);
      continue;
    }

    if (prev.type === 'star') {
      if (opts.noglobstar === true) {
        consume(value);
        continue;
      }

      const prior = prev.prev;
      const before = prior.prev;
      const isStart = prior.type === 'slash' || prior.type === 'bos';
      const afterStar = before && (before.type === 'star' || before.type === 'globstar');

      if (opts.bash === true && (!isStart || (rest[0] && rest[0] !== '/'))) {
        push({ type: 'star', value, output: '' });
        continue;
      }

      const isBrace = state.braces > 0 && (prior.type === 'comma' || prior.type === 'brace');
      const isExtglob = extglobs.length && (prior.type === 'pipe' || prior.type === 'paren');
      if (!isStart && prior.type !== 'paren' && !isBrace && !isExtglob) {
        push({ type: 'star', value, output: '' });
        continue;
      }

      // strip consecutive `/**/`
      while (rest.slice(0, 3) === '/**') {
        const after = input[state.index + 4];
        if (after && after !== '/') {
          break;
        }
        rest = rest.slice(3);
        consume('/**', 3);
      }

      // A globstar followed only by balanced closing parens is at the logical end of patterns like
      // `test(/utils/**)` and `test?(/utils/**)`. Treat it as EOS so the trailing `/**` can match its
      // parent path, except in negated extglobs where that would change the exclusion semantics.
      const isEnd = eos() || (
        state.parens > 0
        && rest === ')'.repeat(state.parens)
        && !extglobs.some(extglob => extglob.type === 'negate')
      );

      if (prior.type === 'bos' && eos()) {
        prev.type = 'globstar';
        prev.value += value;
        prev.output = globstar(opts);
        state.output = prev.output;
        state.globstar = true;
        consume(value);
        continue;
      }

      if (prior.type === 'slash' && prior.prev.type !== 'bos' && !afterStar && isEnd) {
        state.output = state.output.slice(0, -(prior.output + prev.output).length);
        prior.output = `(?:${prior.output}`;

        prev.type = 'globstar';
        prev.output = globstar(opts) + (opts.strictSlashes ? ')' : '|$)');
        prev.value += value;
        state.globstar = true;
        state.output += prior.output + prev.output;
        consume(value);
        continue;
      }

      if (prior.type === 'slash' && prior.prev.type !== 'bos' && rest[0] === '/') {
        const end = rest[1] !== void 0 ? '|$' : '';

        state.output = state.output.slice(0, -(prior.output + prev.output).length);
        prior.output = `(?:${prior.output}`;

        prev.type = 'globstar';
        prev.output = `${globstar(opts)}${SLASH_LITERAL}|${SLASH_LITERAL}${end})`;
        prev.value += value;

        state.output += prior.output + prev.output;
        state.globstar = true;

        consume(value + advance());

        push({ type: 'slash', value: '/', output: '' });
        continue;
      }

      if (prior.type === 'bos' && rest[0] === '/') {
        prev.type = 'globstar';
        prev.value += value;
        prev.output = `(?:^|${SLASH_LITERAL}|${globstar(opts)}${SLASH_LITERAL})`;
        state.output = prev.output;
        state.globstar = true;
        consume(value + advance());
        push({ type: 'slash', value: '/', output: '' });
        continue;
      }

      // remove single star from output
      state.output = state.output.slice(0, -prev.output.length);

      // reset previous token to globstar
      prev.type = 'globstar';
      prev.output = globstar(opts);
      prev.value += value;

      // reset output with globstar
      state.output += prev.output;
      state.globstar = true;
      consume(value);
      continue;
    }

    const token = { type: 'star', value, output: star };

    if (opts.bash === true) {
      token.output = '.*?';
      if (prev.type === 'bos' || prev.type === 'slash') {
        token.output = nodot + token.output;
      }
      push(token);
      continue;
    }

    if (prev && (prev.type === 'bracket' || prev.type === 'paren') && opts.regex === true) {
      token.output = value;
      push(token);
      continue;
    }

    if (state.index === state.start || prev.type === 'slash' || prev.type === 'dot') {
      if (prev.type === 'dot') {
        state.output += NO_DOT_SLASH;
        prev.output += NO_DOT_SLASH;

      } else if (opts.dot === true) {
        state.output += NO_DOTS_SLASH;
        prev.output += NO_DOTS_SLASH;

      } else {
        state.output += nodot;
        prev.output += nodot;
      }

      if (peek() !== '*') {
        state.output += ONE_CHAR;
        prev.output += ONE_CHAR;
      }
    }

    push(token);
  }

  while (state.brackets > 0) {
    if (opts.strictBrackets === true) throw new SyntaxError(syntaxError('closing', ']'));
    state.output = utils.escapeLast(state.output, '[');
    decrement('brackets');
  }

  while (state.parens > 0) {
    if (opts.strictBrackets === true) throw new SyntaxError(syntaxError('closing', ')'));
    state.output = utils.escapeLast(state.output, '(');
    decrement('parens');
  }

  while (state.braces > 0) {
    if (opts.strictBrackets === true) throw new SyntaxError(syntaxError('closing', '}'));
    state.output = utils.escapeLast(state.output, '{');
    decrement('braces');
  }

  if (opts.strictSlashes !== true && (prev.type === 'star' || prev.type === 'bracket')) {
    push({ type: 'maybe_slash', value: '', output: `${SLASH_LITERAL}?` });
  }

  // rebuild the output if we had to backtrack at any point
  if (state.backtrack === true) {
    state.output = '';

    for (const token of state.tokens) {
      state.output += token.output != null ? token.output : token.value;

      if (token.suffix) {
        state.output += token.suffix;
      }
    }
  }

  return state;
};

/**
 * Fast paths for creating regular expressions for common glob patterns.
 * This can significantly speed up processing and has very little downside
 * impact when none of the fast paths match.
 */

parse.fastpaths = (input, options) => {
  const opts = { ...options };
  const max = typeof opts.maxLength === 'number' ? Math.min(MAX_LENGTH, opts.maxLength) : MAX_LENGTH;
  const len = input.length;
  if (len > max) {
    throw new SyntaxError(`Input length: ${len}, exceeds maximum allowed length: ${max}`);
  }

  input = REPLACEMENTS[input] || input;

  // create constants based on platform, for windows or posix
  const {
    DOT_LITERAL,
    SLASH_LITERAL,
    ONE_CHAR,
    DOTS_SLASH,
    NO_DOT,
    NO_DOTS,
    NO_DOTS_SLASH,
    STAR,
    START_ANCHOR
  } = constants.globChars(opts.windows);

  const nodot = opts.dot ? NO_DOTS : NO_DOT;
  const slashDot = opts.dot ? NO_DOTS_SLASH : NO_DOT;
  const capture = opts.capture ? '' : '?:';
  const state = { negated: false, prefix: '' };
  let star = opts.bash === true ? '.*?' : STAR;

  if (opts.capture) {
    star = `(${star})`;
  }

  const globstar = opts => {
    if (opts.noglobstar === true) return star;
    return `(${capture}(?:(?!${START_ANCHOR}${opts.dot ? DOTS_SLASH : DOT_LITERAL}).)*?)`;
  };

  const create = str => {
    switch (str) {
      case '*':
        return `${nodot}${ONE_CHAR}${star}`;

      case '.*':
        return `${DOT_LITERAL}${ONE_CHAR}${star}`;

      case '*.*':
        return `${nodot}${star}${DOT_LITERAL}${ONE_CHAR}${star}`;

      case '*/*':
        return `${nodot}${star}${SLASH_LITERAL}${ONE_CHAR}${slashDot}${star}`;

      case '**':
        return nodot + globstar(opts);

      case '**/*':
        return `(?:${nodot}${globstar(opts)}${SLASH_LITERAL})?${slashDot}${ONE_CHAR}${star}`;

      case '**/*.*':
        return `(?:${nodot}${globstar(opts)}${SLASH_LITERAL})?${slashDot}${star}${DOT_LITERAL}${ONE_CHAR}${star}`;

      case '**/.*':
        return `(?:${nodot}${globstar(opts)}${SLASH_LITERAL})?${DOT_LITERAL}${ONE_CHAR}${star}`;

      default: {
        const match = /^(.*?)\.(\w+)$/.exec(str);
        if (!match) return;

        const source = create(match[1]);
        if (!source) return;

        return source + DOT_LITERAL + match[2];
      }
    }
  };

  const output = utils.removePrefix(input, state);
  let source = create(output);

  if (source && opts.strictSlashes !== true) {
    source += `${SLASH_LITERAL}?`;
  }

  return source;
};

module.exports = parse;


/***/ }),

/***/ 8016:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const scan = __nccwpck_require__(1781);
const parse = __nccwpck_require__(8265);
const utils = __nccwpck_require__(4059);
const constants = __nccwpck_require__(5595);
const isObject = val => val && typeof val === 'object' && !Array.isArray(val);

/**
 * Creates a matcher function from one or more glob patterns. The
 * returned function takes a string to match as its first argument,
 * and returns true if the string is a match. The returned matcher
 * function also takes a boolean as the second argument that, when true,
 * returns an object with additional information.
 *
 * ```js
 * const picomatch = require('picomatch');
 * // picomatch(glob[, options]);
 *
 * const isMatch = picomatch('*.!(*a)');
 * console.log(isMatch('a.a')); //=> false
 * console.log(isMatch('a.b')); //=> true
 *
 * // For environments without `node.js`, `picomatch/posix` provides you a dependency-free matcher, without automatic OS detection.
 * const picomatch = require('picomatch/posix');
 * // the same API, defaulting to posix paths
 * const isMatch = picomatch('a/*');
 * console.log(isMatch('a\\b')); //=> false
 * console.log(isMatch('a/b')); //=> true
 *
 * // you can still configure the matcher function to accept windows paths
 * const isMatch = picomatch('a/*', { options: windows });
 * console.log(isMatch('a\\b')); //=> true
 * console.log(isMatch('a/b')); //=> true
 * ```
 * @name picomatch
 * @param {String|Array} `globs` One or more glob patterns.
 * @param {Object=} `options`
 * @return {Function=} Returns a matcher function.
 * @api public
 */

const picomatch = (glob, options, returnState = false) => {
  if (Array.isArray(glob)) {
    const fns = glob.map(input => picomatch(input, options, returnState));
    const arrayMatcher = str => {
      for (const isMatch of fns) {
        const state = isMatch(str);
        if (state) return state;
      }
      return false;
    };
    return arrayMatcher;
  }

  const isState = isObject(glob) && glob.tokens && glob.input;

  if (glob === '' || (typeof glob !== 'string' && !isState)) {
    throw new TypeError('Expected pattern to be a non-empty string');
  }

  const opts = options || {};
  const posix = opts.windows;
  const regex = isState
    ? picomatch.compileRe(glob, options)
    : picomatch.makeRe(glob, options, false, true);

  const state = regex.state;
  delete regex.state;

  let isIgnored = () => false;
  if (opts.ignore) {
    const ignoreOpts = { ...options, ignore: null, onMatch: null, onResult: null };
    isIgnored = picomatch(opts.ignore, ignoreOpts, returnState);
  }

  const matcher = (input, returnObject = false) => {
    const { isMatch, match, output } = picomatch.test(input, regex, options, { glob, posix });
    const result = { glob, state, regex, posix, input, output, match, isMatch };

    if (typeof opts.onResult === 'function') {
      opts.onResult(result);
    }

    if (isMatch === false) {
      result.isMatch = false;
      return returnObject ? result : false;
    }

    if (isIgnored(input)) {
      if (typeof opts.onIgnore === 'function') {
        opts.onIgnore(result);
      }
      result.isMatch = false;
      return returnObject ? result : false;
    }

    if (typeof opts.onMatch === 'function') {
      opts.onMatch(result);
    }
    return returnObject ? result : true;
  };

  if (returnState) {
    matcher.state = state;
  }

  return matcher;
};

/**
 * Test `input` with the given `regex`. This is used by the main
 * `picomatch()` function to test the input string.
 *
 * ```js
 * const picomatch = require('picomatch');
 * // picomatch.test(input, regex[, options]);
 *
 * console.log(picomatch.test('foo/bar', /^(?:([^/]*?)\/([^/]*?))$/));
 * // { isMatch: true, match: [ 'foo/', 'foo', 'bar' ], output: 'foo/bar' }
 * ```
 * @param {String} `input` String to test.
 * @param {RegExp} `regex`
 * @return {Object} Returns an object with matching info.
 * @api public
 */

picomatch.test = (input, regex, options, { glob, posix } = {}) => {
  if (typeof input !== 'string') {
    throw new TypeError('Expected input to be a string');
  }

  if (input === '') {
    return { isMatch: false, output: '' };
  }

  const opts = options || {};
  const format = opts.format || (posix ? utils.toPosixSlashes : null);
  let match = input === glob;
  let output = (match && format) ? format(input) : input;

  if (match === false) {
    output = format ? format(input) : input;
    match = output === glob;
  }

  if (match === false || opts.capture === true) {
    if (opts.matchBase === true || opts.basename === true) {
      match = picomatch.matchBase(input, regex, options, posix);
    } else {
      match = regex.exec(output);
    }
  }

  return { isMatch: Boolean(match), match, output };
};

/**
 * Match the basename of a filepath.
 *
 * ```js
 * const picomatch = require('picomatch');
 * // picomatch.matchBase(input, glob[, options]);
 * console.log(picomatch.matchBase('foo/bar.js', '*.js'); // true
 * ```
 * @param {String} `input` String to test.
 * @param {RegExp|String} `glob` Glob pattern or regex created by [.makeRe](#makeRe).
 * @return {Boolean}
 * @api public
 */

picomatch.matchBase = (input, glob, options, posix = options && options.windows) => {
  const regex = glob instanceof RegExp ? glob : picomatch.makeRe(glob, options);
  return regex.test(utils.basename(input, { windows: posix }));
};

/**
 * Returns true if **any** of the given glob `patterns` match the specified `string`.
 *
 * ```js
 * const picomatch = require('picomatch');
 * // picomatch.isMatch(string, patterns[, options]);
 *
 * console.log(picomatch.isMatch('a.a', ['b.*', '*.a'])); //=> true
 * console.log(picomatch.isMatch('a.a', 'b.*')); //=> false
 * ```
 * @param {String|Array} str The string to test.
 * @param {String|Array} patterns One or more glob patterns to use for matching.
 * @param {Object} [options] See available [options](#options).
 * @return {Boolean} Returns true if any patterns match `str`
 * @api public
 */

picomatch.isMatch = (str, patterns, options) => picomatch(patterns, options)(str);

/**
 * Parse a glob pattern to create the source string for a regular
 * expression.
 *
 * ```js
 * const picomatch = require('picomatch');
 * const result = picomatch.parse(pattern[, options]);
 * ```
 * @param {String} `pattern`
 * @param {Object} `options`
 * @return {Object} Returns an object with useful properties and output to be used as a regex source string.
 * @api public
 */

picomatch.parse = (pattern, options) => {
  if (Array.isArray(pattern)) return pattern.map(p => picomatch.parse(p, options));
  return parse(pattern, { ...options, fastpaths: false });
};

/**
 * Scan a glob pattern to separate the pattern into segments.
 *
 * ```js
 * const picomatch = require('picomatch');
 * // picomatch.scan(input[, options]);
 *
 * const result = picomatch.scan('!./foo/*.js');
 * console.log(result);
 * { prefix: '!./',
 *   input: '!./foo/*.js',
 *   start: 3,
 *   base: 'foo',
 *   glob: '*.js',
 *   isBrace: false,
 *   isBracket: false,
 *   isGlob: true,
 *   isExtglob: false,
 *   isGlobstar: false,
 *   negated: true }
 * ```
 * @param {String} `input` Glob pattern to scan.
 * @param {Object} `options`
 * @return {Object} Returns an object with
 * @api public
 */

picomatch.scan = (input, options) => scan(input, options);

/**
 * Compile a regular expression from the `state` object returned by the
 * [parse()](#parse) method.
 *
 * ```js
 * const picomatch = require('picomatch');
 * const state = picomatch.parse('*.js');
 * // picomatch.compileRe(state[, options]);
 *
 * console.log(picomatch.compileRe(state));
 * //=> /^(?:(?!\.)(?=.)[^/]*?\.js)$/
 * ```
 * @param {Object} `state`
 * @param {Object} `options`
 * @param {Boolean} `returnOutput` Intended for implementors, this argument allows you to return the raw output from the parser.
 * @param {Boolean} `returnState` Adds the state to a `state` property on the returned regex. Useful for implementors and debugging.
 * @return {RegExp}
 * @api public
 */

picomatch.compileRe = (state, options, returnOutput = false, returnState = false) => {
  if (returnOutput === true) {
    return state.output;
  }

  const opts = options || {};
  const prepend = opts.contains ? '' : '^';
  const append = opts.contains ? '' : '$';

  let source = `${prepend}(?:${state.output})${append}`;
  if (state && state.negated === true) {
    source = `^(?!${source}).*$`;
  }

  const regex = picomatch.toRegex(source, options);
  if (returnState === true) {
    regex.state = state;
  }

  return regex;
};

/**
 * Create a regular expression from a parsed glob pattern.
 *
 * ```js
 * const picomatch = require('picomatch');
 * // picomatch.makeRe(state[, options]);
 *
 * const result = picomatch.makeRe('*.js');
 * console.log(result);
 * //=> /^(?:(?!\.)(?=.)[^/]*?\.js)$/
 * ```
 * @param {String} `state` The object returned from the `.parse` method.
 * @param {Object} `options`
 * @param {Boolean} `returnOutput` Implementors may use this argument to return the compiled output, instead of a regular expression. This is not exposed on the options to prevent end-users from mutating the result.
 * @param {Boolean} `returnState` Implementors may use this argument to return the state from the parsed glob with the returned regular expression.
 * @return {RegExp} Returns a regex created from the given pattern.
 * @api public
 */

picomatch.makeRe = (input, options = {}, returnOutput = false, returnState = false) => {
  if (!input || typeof input !== 'string') {
    throw new TypeError('Expected a non-empty string');
  }

  let parsed = { negated: false, fastpaths: true };

  if (options.fastpaths !== false && (input[0] === '.' || input[0] === '*')) {
    parsed.output = parse.fastpaths(input, options);
  }

  if (!parsed.output) {
    parsed = parse(input, options);
  }

  return picomatch.compileRe(parsed, options, returnOutput, returnState);
};

/**
 * Create a regular expression from the given regex source string.
 *
 * ```js
 * const picomatch = require('picomatch');
 * // picomatch.toRegex(source[, options]);
 *
 * const { output } = picomatch.parse('*.js');
 * console.log(picomatch.toRegex(output));
 * //=> /^(?:(?!\.)(?=.)[^/]*?\.js)$/
 * ```
 * @param {String} `source` Regular expression source string.
 * @param {Object} `options`
 * @return {RegExp}
 * @api public
 */

picomatch.toRegex = (source, options) => {
  try {
    const opts = options || {};
    return new RegExp(source, opts.flags || (opts.nocase ? 'i' : ''));
  } catch (err) {
    if (options && options.debug === true) throw err;
    return /$^/;
  }
};

/**
 * Picomatch constants.
 * @return {Object}
 */

picomatch.constants = constants;

/**
 * Expose "picomatch"
 */

module.exports = picomatch;


/***/ }),

/***/ 1781:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const utils = __nccwpck_require__(4059);
const {
  CHAR_ASTERISK,             /* * */
  CHAR_AT,                   /* @ */
  CHAR_BACKWARD_SLASH,       /* \ */
  CHAR_COMMA,                /* , */
  CHAR_DOT,                  /* . */
  CHAR_EXCLAMATION_MARK,     /* ! */
  CHAR_FORWARD_SLASH,        /* / */
  CHAR_LEFT_CURLY_BRACE,     /* { */
  CHAR_LEFT_PARENTHESES,     /* ( */
  CHAR_LEFT_SQUARE_BRACKET,  /* [ */
  CHAR_PLUS,                 /* + */
  CHAR_QUESTION_MARK,        /* ? */
  CHAR_RIGHT_CURLY_BRACE,    /* } */
  CHAR_RIGHT_PARENTHESES,    /* ) */
  CHAR_RIGHT_SQUARE_BRACKET  /* ] */
} = __nccwpck_require__(5595);

const isPathSeparator = code => {
  return code === CHAR_FORWARD_SLASH || code === CHAR_BACKWARD_SLASH;
};

const depth = token => {
  if (token.isPrefix !== true) {
    token.depth = token.isGlobstar ? Infinity : 1;
  }
};

/**
 * Quickly scans a glob pattern and returns an object with a handful of
 * useful properties, like `isGlob`, `path` (the leading non-glob, if it exists),
 * `glob` (the actual pattern), `negated` (true if the path starts with `!` but not
 * with `!(`) and `negatedExtglob` (true if the path starts with `!(`).
 *
 * ```js
 * const pm = require('picomatch');
 * console.log(pm.scan('foo/bar/*.js'));
 * { isGlob: true, input: 'foo/bar/*.js', base: 'foo/bar', glob: '*.js' }
 * ```
 * @param {String} `str`
 * @param {Object} `options`
 * @return {Object} Returns an object with tokens and regex source string.
 * @api public
 */

const scan = (input, options) => {
  const opts = options || {};

  const length = input.length - 1;
  const scanToEnd = opts.parts === true || opts.tokens === true || opts.scanToEnd === true;
  const slashes = [];
  const tokens = [];
  const parts = [];

  let str = input;
  let index = -1;
  let start = 0;
  let lastIndex = 0;
  let isBrace = false;
  let isBracket = false;
  let isGlob = false;
  let isExtglob = false;
  let isGlobstar = false;
  let braceEscaped = false;
  let backslashes = false;
  let negated = false;
  let negatedExtglob = false;
  let finished = false;
  let braces = 0;
  let prev;
  let code;
  let token = { value: '', depth: 0, isGlob: false };

  const eos = () => index >= length;
  const peek = () => str.charCodeAt(index + 1);
  const advance = () => {
    prev = code;
    return str.charCodeAt(++index);
  };

  while (index < length) {
    code = advance();
    let next;

    if (code === CHAR_BACKWARD_SLASH) {
      backslashes = token.backslashes = true;
      code = advance();

      if (code === CHAR_LEFT_CURLY_BRACE) {
        braceEscaped = true;
      }
      continue;
    }

    if (braceEscaped === true || code === CHAR_LEFT_CURLY_BRACE) {
      braces++;

      while (eos() !== true && (code = advance())) {
        if (code === CHAR_BACKWARD_SLASH) {
          backslashes = token.backslashes = true;
          advance();
          continue;
        }

        if (code === CHAR_LEFT_CURLY_BRACE) {
          braces++;
          continue;
        }

        if (braceEscaped !== true && code === CHAR_DOT && (code = advance()) === CHAR_DOT) {
          isBrace = token.isBrace = true;
          isGlob = token.isGlob = true;
          finished = true;

          if (scanToEnd === true) {
            continue;
          }

          break;
        }

        if (braceEscaped !== true && code === CHAR_COMMA) {
          isBrace = token.isBrace = true;
          isGlob = token.isGlob = true;
          finished = true;

          if (scanToEnd === true) {
            continue;
          }

          break;
        }

        if (code === CHAR_RIGHT_CURLY_BRACE) {
          braces--;

          if (braces === 0) {
            braceEscaped = false;
            isBrace = token.isBrace = true;
            finished = true;
            break;
          }
        }
      }

      if (scanToEnd === true) {
        continue;
      }

      break;
    }

    if (code === CHAR_FORWARD_SLASH) {
      slashes.push(index);
      tokens.push(token);
      token = { value: '', depth: 0, isGlob: false };

      if (finished === true) continue;
      if (prev === CHAR_DOT && index === (start + 1)) {
        start += 2;
        continue;
      }

      lastIndex = index + 1;
      continue;
    }

    if (opts.noext !== true) {
      const isExtglobChar = code === CHAR_PLUS
        || code === CHAR_AT
        || code === CHAR_ASTERISK
        || code === CHAR_QUESTION_MARK
        || code === CHAR_EXCLAMATION_MARK;

      if (isExtglobChar === true && peek() === CHAR_LEFT_PARENTHESES) {
        isGlob = token.isGlob = true;
        isExtglob = token.isExtglob = true;
        finished = true;
        if (code === CHAR_EXCLAMATION_MARK && index === start) {
          negatedExtglob = true;
        }

        if (scanToEnd === true) {
          let parens = 0;

          while (eos() !== true && (code = advance())) {
            if (code === CHAR_BACKWARD_SLASH) {
              backslashes = token.backslashes = true;
              advance();
              continue;
            }

            if (code === CHAR_LEFT_PARENTHESES) {
              parens++;
              continue;
            }

            if (code === CHAR_RIGHT_PARENTHESES && --parens === 0) {
              finished = true;
              break;
            }
          }
          continue;
        }
        break;
      }
    }

    if (code === CHAR_ASTERISK) {
      if (prev === CHAR_ASTERISK) isGlobstar = token.isGlobstar = true;
      isGlob = token.isGlob = true;
      finished = true;

      if (scanToEnd === true) {
        continue;
      }
      break;
    }

    if (code === CHAR_QUESTION_MARK) {
      isGlob = token.isGlob = true;
      finished = true;

      if (scanToEnd === true) {
        continue;
      }
      break;
    }

    if (code === CHAR_LEFT_SQUARE_BRACKET) {
      while (eos() !== true && (next = advance())) {
        if (next === CHAR_BACKWARD_SLASH) {
          backslashes = token.backslashes = true;
          advance();
          continue;
        }

        if (next === CHAR_RIGHT_SQUARE_BRACKET) {
          isBracket = token.isBracket = true;
          isGlob = token.isGlob = true;
          finished = true;
          break;
        }
      }

      if (scanToEnd === true) {
        continue;
      }

      break;
    }

    if (opts.nonegate !== true && code === CHAR_EXCLAMATION_MARK && index === start) {
      negated = token.negated = true;
      start++;
      continue;
    }

    if (opts.noparen !== true && code === CHAR_LEFT_PARENTHESES) {
      isGlob = token.isGlob = true;

      if (scanToEnd === true) {
        let parens = 1;

        while (eos() !== true && (code = advance())) {
          if (code === CHAR_BACKWARD_SLASH) {
            backslashes = token.backslashes = true;
            advance();
            continue;
          }

          if (code === CHAR_LEFT_PARENTHESES) {
            parens++;
            continue;
          }

          if (code === CHAR_RIGHT_PARENTHESES && --parens === 0) {
            finished = true;
            break;
          }
        }
        continue;
      }
      break;
    }

    if (isGlob === true) {
      finished = true;

      if (scanToEnd === true) {
        continue;
      }

      break;
    }
  }

  if (opts.noext === true) {
    isExtglob = false;
    isGlob = false;
  }

  let base = str;
  let prefix = '';
  let glob = '';

  if (start > 0) {
    prefix = str.slice(0, start);
    str = str.slice(start);
    lastIndex -= start;
  }

  if (base && isGlob === true && lastIndex > 0) {
    base = str.slice(0, lastIndex);
    glob = str.slice(lastIndex);
  } else if (isGlob === true) {
    base = '';
    glob = str;
  } else {
    base = str;
  }

  if (base && base !== '' && base !== '/' && base !== str) {
    if (isPathSeparator(base.charCodeAt(base.length - 1))) {
      base = base.slice(0, -1);
    }
  }

  if (opts.unescape === true) {
    if (glob) glob = utils.removeBackslashes(glob);

    if (base && backslashes === true) {
      base = utils.removeBackslashes(base);
    }
  }

  const state = {
    prefix,
    input,
    start,
    base,
    glob,
    isBrace,
    isBracket,
    isGlob,
    isExtglob,
    isGlobstar,
    negated,
    negatedExtglob
  };

  if (opts.tokens === true) {
    state.maxDepth = 0;
    if (!isPathSeparator(code)) {
      tokens.push(token);
    }
    state.tokens = tokens;
  }

  if (opts.parts === true || opts.tokens === true) {
    let prevIndex;

    for (let idx = 0; idx < slashes.length; idx++) {
      const n = prevIndex !== undefined ? prevIndex + 1 : start;
      const i = slashes[idx];
      const value = input.slice(n, i);
      if (opts.tokens) {
        if (idx === 0 && start !== 0) {
          tokens[idx].isPrefix = true;
          tokens[idx].value = prefix;
        } else {
          tokens[idx].value = value;
        }
        depth(tokens[idx]);
        state.maxDepth += tokens[idx].depth;
      }
      if (i >= start) {
        parts.push(value);
        prevIndex = i;
      }
    }

    const n = prevIndex !== undefined ? prevIndex + 1 : start;
    const value = input.slice(n);
    parts.push(value);

    if (opts.tokens && prevIndex && prevIndex + 1 < input.length) {
      tokens[tokens.length - 1].value = value;
      depth(tokens[tokens.length - 1]);
      state.maxDepth += tokens[tokens.length - 1].depth;
    }

    state.slashes = slashes;
    state.parts = parts;
  }

  return state;
};

module.exports = scan;


/***/ }),

/***/ 4059:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {

/*global navigator*/


const {
  REGEX_BACKSLASH,
  REGEX_REMOVE_BACKSLASH,
  REGEX_SPECIAL_CHARS,
  REGEX_SPECIAL_CHARS_GLOBAL
} = __nccwpck_require__(5595);

exports.isObject = val => val !== null && typeof val === 'object' && !Array.isArray(val);
exports.hasRegexChars = str => REGEX_SPECIAL_CHARS.test(str);
exports.isRegexChar = str => str.length === 1 && exports.hasRegexChars(str);
exports.escapeRegex = str => str.replace(REGEX_SPECIAL_CHARS_GLOBAL, '\\$1');
exports.toPosixSlashes = str => str.replace(REGEX_BACKSLASH, '/');

exports.isWindows = () => {
  if (typeof navigator !== 'undefined' && navigator.platform) {
    const platform = navigator.platform.toLowerCase();
    return platform === 'win32' || platform === 'windows';
  }

  if (typeof process !== 'undefined' && process.platform) {
    return process.platform === 'win32';
  }

  return false;
};

exports.removeBackslashes = str => {
  return str.replace(REGEX_REMOVE_BACKSLASH, match => {
    return match === '\\' ? '' : match;
  });
};

exports.escapeLast = (input, char, lastIdx) => {
  const idx = input.lastIndexOf(char, lastIdx);
  if (idx === -1) return input;
  if (input[idx - 1] === '\\') return exports.escapeLast(input, char, idx - 1);
  return `${input.slice(0, idx)}\\${input.slice(idx)}`;
};

exports.removePrefix = (input, state = {}) => {
  let output = input;
  if (output.startsWith('./')) {
    output = output.slice(2);
    state.prefix = './';
  }
  return output;
};

exports.wrapOutput = (input, state = {}, options = {}) => {
  const prepend = options.contains ? '' : '^';
  const append = options.contains ? '' : '$';

  let output = `${prepend}(?:${input})${append}`;
  if (state.negated === true) {
    output = `(?:^(?!${output}).*$)`;
  }
  return output;
};

exports.basename = (path, { windows } = {}) => {
  const segs = path.split(windows ? /[\\/]/ : '/');
  const last = segs[segs.length - 1];

  if (last === '') {
    return segs[segs.length - 2];
  }

  return last;
};


/***/ }),

/***/ 5927:
/***/ ((module, __unused_webpack___webpack_exports__, __nccwpck_require__) => {

__nccwpck_require__.a(module, async (__webpack_handle_async_dependencies__, __webpack_async_result__) => { try {
/* harmony import */ var _shiprail_detect_changed_services_action__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(27);

await (0,_shiprail_detect_changed_services_action__WEBPACK_IMPORTED_MODULE_0__/* .run */ .e)();

__webpack_async_result__();
} catch(e) { __webpack_async_result__(e); } }, 1);

/***/ }),

/***/ 27:
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
const duration_MAX_TIMER_MS = 2 ** 31 - 1;
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
        }, Math.min(ms, duration_MAX_TIMER_MS));
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
const loadYamlLibrary = () => (library ??= __nccwpck_require__.e(/* import() */ 815).then(__nccwpck_require__.t.bind(__nccwpck_require__, 8815, 19)));
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
        if (ms > duration_MAX_TIMER_MS) {
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
                timer = setTimeout(arm, Math.min(remaining, duration_MAX_TIMER_MS));
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
    const { getExecOutput } = await Promise.resolve(/* import() eager */).then(__nccwpck_require__.bind(__nccwpck_require__, 7428));
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




















;// CONCATENATED MODULE: ./packages/detect-changed-services/src/git.ts
// The repository's history as detection reads it: changed paths between two commits, merge bases, and
// fetches from origin (deepening shallow clones) only as far as needed, each under a deadline.

const ZERO_SHA = '0000000000000000000000000000000000000000';
const SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;
/**
 * How far a shallow clone is deepened while looking for a merge base: one `git fetch --deepen` per step,
 * then the search gives up (and every service is selected). 3,150 commits in all by default.
 */
const DEFAULT_DEEPEN_STEPS = [50, 100, 200, 400, 800, 1600];
const DEFAULT_FETCH_TIMEOUT_MS = 120_000;
/** Local git commands only read the repository; this bounds them all the same. */
const LOCAL_DEADLINE_MS = 600_000;
/** A fetch from origin that failed for a reason other than a missing ref: the step cannot decide. */
class GitFetchError extends ClassifiedError {
    reason;
    constructor(what, reason, failure, attempts) {
        const tries = attempts > 1 ? ` after ${attempts} attempts` : failure === 'permanent' ? ' (not retried)' : '';
        super(`git fetch of ${what} from origin failed${tries}: ${reason}`, failure);
        this.name = 'GitFetchError';
        this.reason = reason;
    }
}
/** The last lines of git's error output, safe to log: one line, no credentials, no commands. */
function fetchFailureReason(stderr) {
    const lines = stderr
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '');
    return escapeUntrusted(stripUrlCredentials(lines.slice(-2).join(' ') || 'no output'));
}
const DIFF = ['diff', '--no-ext-diff', '--no-textconv', '--name-status', '-z', '-M'];
/** The merge bases in the output of `rev-parse ... a...b` (`b`, `a`, then `^<merge base>` lines), if it is that. */
function mergeBasesOf(probed, a, b) {
    if (probed?.exitCode !== 0)
        return undefined;
    const [, , tip, start, ...bases] = probed.stdout.trim().split('\n');
    if (tip !== b || start !== a || !bases.every((line) => line.startsWith('^') && SHA.test(line.slice(1)))) {
        return undefined;
    }
    return bases.map((line) => line.slice(1));
}
/** `true|false` and the top level, the first two lines `rev-parse --is-shallow-repository --show-toplevel` prints. */
function repositoryOf(stdout) {
    const [shallow, top] = stdout.split('\n');
    if ((shallow !== 'true' && shallow !== 'false') || top === undefined || top === '')
        return undefined;
    return { shallow: shallow === 'true', top };
}
const shortSha = (sha) => (SHA.test(sha) ? sha.slice(0, 7) : sha);
/** The repository's history as detection reads it, fetching (and deepening shallow clones) only as far as needed. */
class GitHistory {
    cwd;
    git;
    deepenSteps;
    log;
    fetchTimeoutMs;
    fetchAttempts;
    sleep;
    shallow;
    prefetched;
    constructor(options) {
        this.cwd = options.cwd;
        this.git = new Git({
            exec: options.exec,
            cwd: options.cwd,
            config: ['core.quotePath=false'],
            deadlineMs: LOCAL_DEADLINE_MS,
        });
        this.deepenSteps = options.deepenSteps ?? DEFAULT_DEEPEN_STEPS;
        this.log = options.log ?? (() => undefined);
        this.fetchTimeoutMs = options.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
        this.fetchAttempts = options.fetchAttempts ?? 3;
        this.sleep = options.sleep;
    }
    run(args, deadline) {
        return this.git.run(args, { allowFailure: true, ...(deadline === undefined ? {} : { deadline }) });
    }
    /**
     * Starts, side by side, the two git calls a comparison of the commits `a` and `b` (full SHAs) most
     * likely needs: one `rev-parse` that answers `topLevel` and their merge base, and the diff from that
     * merge base to `b`. git then works while the action reads its manifest, instead of after; answers
     * the comparison turns out not to need are left unread.
     */
    prefetch(a, b) {
        if (this.prefetched !== undefined || !SHA.test(a) || !SHA.test(b))
            return;
        // A call that cannot start (or overruns its deadline) is made again, in order, when it is needed.
        const settle = (call) => call.catch(() => undefined);
        const probe = settle(this.run(['rev-parse', '--is-shallow-repository', '--show-toplevel', `${a}...${b}`]));
        this.prefetched = {
            a,
            b,
            probe,
            mergeBases: probe.then((probed) => mergeBasesOf(probed, a, b)),
            diff: settle(this.run([...DIFF, `${a}...${b}`])),
        };
    }
    /** The repository's top directory, or undefined when `cwd` is not in a git work tree. */
    async topLevel() {
        // One call answers both questions: whether this is a work tree, and whether the clone is shallow. A
        // prefetched probe that failed on its commits has printed them all the same.
        const probed = await this.prefetched?.probe;
        const found = (probed && repositoryOf(probed.stdout)) ??
            repositoryOf((await this.run(['rev-parse', '--is-shallow-repository', '--show-toplevel'])).stdout);
        if (found === undefined)
            return undefined;
        this.shallow = found.shallow;
        return found.top;
    }
    /** The merge bases the prefetched probe found for `a` and `b`, or undefined when it answered nothing for them. */
    async prefetchedMergeBases(a, b) {
        const prefetched = this.prefetched;
        return prefetched?.a === a && prefetched.b === b ? prefetched.mergeBases : undefined;
    }
    /** The commit a revision names locally (tags peeled), or undefined. */
    async resolve(revision) {
        if (revision === '' || revision.startsWith('-'))
            return undefined;
        const result = await this.run(['rev-parse', '--verify', '--quiet', '--end-of-options', `${revision}^{commit}`]);
        const sha = result.stdout.trim();
        return result.exitCode === 0 && SHA.test(sha) ? sha : undefined;
    }
    async isShallow() {
        if (this.shallow === undefined) {
            const result = await this.run(['rev-parse', '--is-shallow-repository']);
            this.shallow = result.stdout.trim() === 'true';
        }
        return this.shallow;
    }
    /**
     * `git fetch` from origin under a deadline, retried while the failure is one another attempt can fix
     * (the network, the server, the deadline). True when it fetched, false when origin has no such ref or
     * commit; any other failure (authentication, a repository that is not there, retries spent) throws.
     */
    async fetch(what, args) {
        let attempts = 0;
        try {
            return await retry(async () => {
                attempts += 1;
                const result = await this.run(['fetch', '--no-tags', '--quiet', ...args], {
                    ms: this.fetchTimeoutMs,
                    what: 'origin',
                });
                this.shallow = undefined;
                if (result.exitCode === 0)
                    return true;
                const gitFailure = classifyGitFailure(result.stderr);
                if (gitFailure === 'missing')
                    return false;
                throw new GitFetchError(what, fetchFailureReason(result.stderr), failureOf(gitFailure === 'transient'), 1);
            }, {
                attempts: this.fetchAttempts,
                baseMs: 1000,
                maxMs: 8000,
                jitter: 0.3,
                retryIf: isTransient,
                onRetry: (error, attempt, delayMs) => this.log(`Fetch attempt ${attempt} failed (${errorMessage(error)}); trying again in ${delayMs} ms`),
                ...(this.sleep === undefined ? {} : { sleep: this.sleep }),
            });
        }
        catch (error) {
            if (error instanceof GitFetchError && attempts <= 1)
                throw error;
            const reason = error instanceof GitFetchError ? error.reason : escapeUntrusted(errorMessage(error));
            throw new GitFetchError(what, reason, error instanceof GitFetchError ? error.failure : 'transient', attempts);
        }
    }
    /**
     * The commit a revision names, fetching it from `origin` when the clone lacks it (checkouts usually
     * hold only the commit they built): a SHA by itself, a name as `origin/<name>` or as a tag.
     */
    async ensureCommit(revision) {
        const local = (await this.resolve(revision)) ?? (await this.resolve(`refs/remotes/origin/${revision}`));
        if (local !== undefined || revision === '' || revision.startsWith('-'))
            return local;
        const depth = (await this.isShallow()) ? [`--depth=${this.deepenSteps[0] ?? 50}`] : [];
        if (SHA.test(revision)) {
            this.log(`Fetching ${shortSha(revision)} from origin`);
            const fetched = await this.fetch(shortSha(revision), [...depth, 'origin', revision]);
            return fetched ? this.resolve(revision) : undefined;
        }
        const name = revision.replace(/^origin\//, '').replace(/^refs\/heads\//, '');
        this.log(`Fetching ${escapeUntrusted(name)} from origin`);
        const shown = `'${escapeUntrusted(name)}'`;
        const branch = await this.fetch(shown, [...depth, 'origin', `+refs/heads/${name}:refs/remotes/origin/${name}`]);
        if (branch)
            return this.resolve(`refs/remotes/origin/${name}`);
        const tag = await this.fetch(shown, [...depth, 'origin', `+refs/tags/${name}:refs/tags/${name}`]);
        return tag ? this.resolve(`refs/tags/${name}`) : undefined;
    }
    /** The tip of a branch as origin has it (fetched when missing), else the local branch. */
    async ensureBranch(name) {
        const remote = `refs/remotes/origin/${name}`;
        const known = await this.resolve(remote);
        if (known !== undefined)
            return known;
        const depth = (await this.isShallow()) ? [`--depth=${this.deepenSteps[0] ?? 50}`] : [];
        this.log(`Fetching ${escapeUntrusted(name)} from origin`);
        const fetched = await this.fetch(`'${escapeUntrusted(name)}'`, [
            ...depth,
            'origin',
            `+refs/heads/${name}:${remote}`,
        ]);
        return (fetched ? await this.resolve(remote) : undefined) ?? this.resolve(`refs/heads/${name}`);
    }
    /** Fetches `count` more commits of history behind the shallow boundary of the given commits. */
    async deepen(count, commits, withTags = false) {
        this.log(`Deepening the shallow clone by ${count} commits`);
        const tags = withTags ? ['+refs/tags/*:refs/tags/*'] : [];
        return this.fetch(`${count} more commits`, [`--deepen=${count}`, 'origin', ...commits, ...tags]);
    }
    /**
     * The merge base of two commits named by full SHAs, when the clone holds both and it is found without
     * fetching: one git call where resolving each commit first would take three. Undefined otherwise.
     */
    async localMergeBase(a, b) {
        if (!SHA.test(a) || !SHA.test(b))
            return undefined;
        // With several merge bases, `git merge-base` picks the one it reports.
        const prefetched = await this.prefetchedMergeBases(a, b);
        if (prefetched !== undefined && prefetched.length <= 1)
            return prefetched[0];
        const result = await this.run(['merge-base', a, b]);
        const sha = result.stdout.trim();
        return result.exitCode === 0 && SHA.test(sha) ? sha : undefined;
    }
    /** `git merge-base a b`, deepening a shallow clone a bounded number of times until it is found. */
    async mergeBase(a, b) {
        let fetched = 0;
        for (let attempt = 0;; attempt += 1) {
            const result = await this.run(['merge-base', a, b]);
            const sha = result.stdout.trim();
            if (result.exitCode === 0 && SHA.test(sha))
                return { sha };
            if (!(await this.isShallow())) {
                return { reason: `${shortSha(a)} and ${shortSha(b)} have no common ancestor` };
            }
            const step = this.deepenSteps[attempt];
            if (step === undefined) {
                return {
                    reason: `no merge base of ${shortSha(a)} and ${shortSha(b)} in the shallow clone after deepening it ` +
                        `${attempt} times (${fetched} commits); fetch more history (actions/checkout fetch-depth: 0)`,
                };
            }
            if (!(await this.deepen(step, [a, b]))) {
                return {
                    reason: `the shallow clone could not be deepened: origin does not serve ${shortSha(a)} and ${shortSha(b)}`,
                };
            }
            fetched += step;
        }
    }
    /** Files that differ between two commits; renames are detected (`-M`) and keep both paths. */
    async changedFiles(base, head) {
        const prefetched = await this.prefetchedDiff(base, head);
        if (prefetched !== undefined)
            return parseNameStatus(prefetched.stdout);
        const result = await this.run([...DIFF, base, head]);
        if (result.exitCode !== 0) {
            throw new Error(`git diff ${base} ${head} failed: ${escapeUntrusted(lastLine(result.stderr))}`);
        }
        return parseNameStatus(result.stdout);
    }
    /** A file's text at a commit (`path` from the top level); undefined when the commit has no such file. */
    async fileAt(commit, path) {
        const result = await this.run(['cat-file', 'blob', `${commit}:${path}`]);
        return result.exitCode === 0 ? result.stdout : undefined;
    }
    /** The prefetched diff, when it is the diff from `base` to `head`: `base` is the one merge base of the pair. */
    async prefetchedDiff(base, head) {
        const prefetched = this.prefetched;
        if (prefetched?.b !== head)
            return undefined;
        const bases = await prefetched.mergeBases;
        if (bases?.length !== 1 || bases[0] !== base)
            return undefined;
        const result = await prefetched.diff;
        return result?.exitCode === 0 ? result : undefined;
    }
    /**
     * The nearest tag before `commit` (from its parents back) that `skip` does not reject, deepening a
     * shallow clone (and fetching tags) while none is found. Undefined when there is none.
     */
    async previousTag(commit, skip) {
        for (let attempt = 0;; attempt += 1) {
            const parent = await this.resolve(`${commit}^`);
            const excluded = [];
            // Skipped tags are excluded one by one; a bounded number, as a release line has few of them per step.
            for (let round = 0; parent !== undefined && round < 100; round += 1) {
                const result = await this.run([
                    'describe',
                    '--tags',
                    '--abbrev=0',
                    ...excluded.flatMap((tag) => ['--exclude', tag]),
                    parent,
                ]);
                const tag = result.stdout.trim();
                if (result.exitCode !== 0 || tag === '')
                    break;
                if (!skip(tag))
                    return tag;
                excluded.push(tag);
            }
            const step = this.deepenSteps[attempt];
            if (step === undefined || !(await this.isShallow()))
                return undefined;
            if (!(await this.deepen(step, [commit], true)))
                return undefined;
        }
    }
}
/** Parses `git diff --name-status -z` output: `M\0path\0`, `R100\0old\0new\0`. */
function parseNameStatus(output) {
    const files = [];
    // Walks the text field by field: no array of every field (tens of thousands of strings) in between.
    let start = 0;
    const field = () => {
        const end = output.indexOf('\0', start);
        const value = output.slice(start, end === -1 ? output.length : end);
        start = end === -1 ? output.length + 1 : end + 1;
        return value;
    };
    while (start < output.length) {
        const status = field();
        if (status === '')
            continue;
        if (status.startsWith('R') || status.startsWith('C')) {
            const from = field();
            files.push({ status: status.charAt(0), path: field(), from });
        }
        else {
            files.push({ status: status.charAt(0), path: field() });
        }
    }
    return files;
}
/** Every path a change touches: a renamed file counts at its old and its new path. */
function changedPaths(files) {
    const paths = [];
    for (const file of files) {
        if (file.from !== undefined && file.status === 'R')
            paths.push(file.from);
        paths.push(file.path);
    }
    return paths;
}
function lastLine(text) {
    return text.trim().split('\n').pop() ?? '';
}

;// CONCATENATED MODULE: ./packages/detect-changed-services/src/comparison.ts
// Which commits to compare: decided from the inputs and the event alone, then resolved with git (merge
// bases, forced pushes, new branches, tags), or every service when nothing can be compared.


const comparison_field = (value, ...path) => {
    let current = value;
    for (const key of path) {
        if (typeof current !== 'object' || current === null)
            return undefined;
        current = current[key];
    }
    return typeof current === 'string' && current !== '' ? current : undefined;
};
/** The service a tag is for: `<service>/v*` or `<service>@*`, when such a service exists. */
function serviceOfTag(tag, services) {
    const slash = /^([^/]+)\/v/.exec(tag);
    if (slash?.[1] !== undefined && services.has(slash[1]))
        return slash[1];
    const at = /^([^@]+)@/.exec(tag);
    if (at?.[1] !== undefined && services.has(at[1]))
        return at[1];
    return undefined;
}
/**
 * Decides which commits to compare, from the table in docs/actions/detect-changed-services.md:
 * `force-all`, an explicit `base`, then the event (pull requests three-dot, merge queues base..head,
 * pushes before..after, tags, manual and scheduled runs). Events that name no commits select every
 * service, with a warning. It needs neither git nor the manifest, so that git can start on the comparison
 * while the manifest is read.
 */
function planComparison(inputs, event) {
    const headOr = (eventHead) => inputs.head !== 'HEAD' ? inputs.head : (eventHead ?? 'HEAD');
    const everything = (reason, warn = false, eventHead) => ({
        kind: 'all',
        head: headOr(eventHead),
        reason,
        warn,
    });
    const payload = event.payload;
    if (inputs.forceAll)
        return everything('force-all: true');
    if (inputs.base !== '') {
        return {
            kind: 'merge-base',
            base: inputs.base,
            head: headOr(undefined),
            explicit: true,
            label: `base ${shortSha(inputs.base)}`,
        };
    }
    switch (event.eventName) {
        case 'pull_request':
        case 'pull_request_target': {
            const base = comparison_field(payload, 'pull_request', 'base', 'sha');
            const head = comparison_field(payload, 'pull_request', 'head', 'sha');
            if (base === undefined || head === undefined) {
                return everything(`the ${event.eventName} event carries no pull_request.base.sha/head.sha`, true);
            }
            const number = payload['number'] ?? comparison_field(payload, 'pull_request', 'number');
            const into = comparison_field(payload, 'pull_request', 'base', 'ref');
            const label = `pull request${typeof number === 'number' ? ` #${number}` : ''}${into ? ` into ${into}` : ''}`;
            return { kind: 'merge-base', base, head: headOr(head), explicit: false, label };
        }
        case 'merge_group': {
            const base = comparison_field(payload, 'merge_group', 'base_sha');
            const head = comparison_field(payload, 'merge_group', 'head_sha');
            if (base === undefined || head === undefined) {
                return everything('the merge_group event carries no merge_group.base_sha/head_sha', true);
            }
            const into = comparison_field(payload, 'merge_group', 'base_ref')?.replace(/^refs\/heads\//, '');
            return { kind: 'range', base, head: headOr(head), label: `merge queue${into ? ` into ${into}` : ''}` };
        }
        case 'push': {
            const ref = comparison_field(payload, 'ref') ?? event.ref;
            const after = comparison_field(payload, 'after');
            const head = after === undefined || after === ZERO_SHA ? event.sha || undefined : after;
            if (ref.startsWith('refs/tags/')) {
                return { kind: 'tag', tag: ref.slice('refs/tags/'.length), head: headOr(head ?? ref) };
            }
            const before = comparison_field(payload, 'before');
            if (before === undefined || head === undefined) {
                return everything('the push event carries no before/after commits', true, head);
            }
            const branch = ref.replace(/^refs\/heads\//, '');
            return { kind: 'push', before, after: headOr(head), branch, defaultBranch: event.defaultBranch };
        }
        case 'workflow_dispatch':
            return everything('manual run (workflow_dispatch)', false, event.sha || undefined);
        case 'schedule':
            return everything('scheduled run', false, event.sha || undefined);
        default:
            return everything(`the ${event.eventName || 'unknown'} event names no commits to compare (give the base input to compare)`, true, event.sha || undefined);
    }
}
/**
 * The two commits whose merge base and three-dot diff the plan most likely compares, when the event names
 * both: git can work on them before the comparison is resolved (`GitHistory.prefetch`).
 */
function likelyComparison(plan) {
    if (plan.kind === 'push' && plan.before !== ZERO_SHA)
        return [plan.before, plan.after];
    if (plan.kind === 'merge-base')
        return [plan.base, plan.head];
    return undefined;
}
/**
 * Carries a plan out with git: resolves commits, finds merge bases, and falls open when it cannot. A tag
 * named after one of `services` (`<service>/v*`, `<service>@*`) selects that service alone.
 */
async function resolveComparison(plan, git, services) {
    const failOpen = async (head, warning) => ({
        kind: 'all',
        head: (await git.resolve(head)) ?? head,
        reason: `every service: ${warning}`,
        warning: `Selected every service: ${warning}`,
    });
    switch (plan.kind) {
        case 'all':
            return plan.warn
                ? failOpen(plan.head, plan.reason)
                : { kind: 'all', head: (await git.resolve(plan.head)) ?? plan.head, reason: plan.reason, warning: undefined };
        case 'merge-base': {
            const quick = await git.localMergeBase(plan.base, plan.head);
            if (quick !== undefined)
                return { kind: 'diff', base: quick, head: plan.head, label: `${plan.label} (merge base)` };
            const head = await git.ensureCommit(plan.head);
            if (head === undefined)
                return failOpen(plan.head, `the head commit ${shortSha(plan.head)} cannot be found`);
            const base = await git.ensureCommit(plan.base);
            if (base === undefined) {
                if (plan.explicit) {
                    throw new errors_ConfigurationError(`'${plan.base}' is not a commit, branch or tag of the repository (locally or on origin)`, { input: 'base' });
                }
                return failOpen(head, `the base commit ${shortSha(plan.base)} cannot be fetched`);
            }
            const mergeBase = await git.mergeBase(base, head);
            if (mergeBase.sha === undefined)
                return failOpen(head, mergeBase.reason);
            return { kind: 'diff', base: mergeBase.sha, head, label: `${plan.label} (merge base)` };
        }
        case 'range': {
            const head = await git.ensureCommit(plan.head);
            const base = await git.ensureCommit(plan.base);
            if (head === undefined || base === undefined) {
                const missing = head === undefined ? plan.head : plan.base;
                return failOpen(plan.head, `the commit ${shortSha(missing)} cannot be fetched`);
            }
            return { kind: 'diff', base, head, label: plan.label };
        }
        case 'push':
            return resolvePush(plan, git, failOpen);
        case 'tag': {
            const service = serviceOfTag(plan.tag, services);
            if (service !== undefined) {
                return {
                    kind: 'service',
                    service,
                    head: (await git.ensureCommit(plan.head)) ?? plan.head,
                    reason: `tag ${plan.tag}`,
                };
            }
            const head = await git.ensureCommit(plan.head);
            if (head === undefined)
                return failOpen(plan.head, `the tag ${plan.tag} cannot be found`);
            const previous = await git.previousTag(head, (tag) => tag === plan.tag || serviceOfTag(tag, services) !== undefined);
            if (previous === undefined) {
                return { kind: 'all', head, reason: `tag ${plan.tag}: no earlier tag to compare with`, warning: undefined };
            }
            const base = await git.resolve(previous);
            const mergeBase = base === undefined ? undefined : await git.mergeBase(base, head);
            if (mergeBase?.sha === undefined)
                return failOpen(head, `no merge base of ${previous} and ${plan.tag}`);
            return { kind: 'diff', base: mergeBase.sha, head, label: `tag ${plan.tag} since ${previous}` };
        }
    }
}
async function resolvePush(plan, git, failOpen) {
    if (plan.before !== ZERO_SHA && (await git.localMergeBase(plan.before, plan.after)) === plan.before) {
        return { kind: 'diff', base: plan.before, head: plan.after, label: `push to ${plan.branch}` };
    }
    const head = await git.ensureCommit(plan.after);
    if (head === undefined)
        return failOpen(plan.after, `the pushed commit ${shortSha(plan.after)} cannot be found`);
    let why;
    if (plan.before === ZERO_SHA) {
        why = `${plan.branch} is a new branch`;
    }
    else {
        const before = await git.ensureCommit(plan.before);
        const mergeBase = before === undefined ? undefined : await git.mergeBase(before, head);
        if (before !== undefined && mergeBase?.sha === before) {
            return { kind: 'diff', base: before, head, label: `push to ${plan.branch}` };
        }
        why =
            before === undefined
                ? `the previous tip ${shortSha(plan.before)} of ${plan.branch} is not on origin (a force push removed it)`
                : `the push to ${plan.branch} was forced (${shortSha(plan.before)} is not an ancestor of ${shortSha(head)})`;
    }
    // A new or rewritten branch is compared with where it left the default branch.
    if (plan.defaultBranch === undefined) {
        return failOpen(head, `${why} and the event names no default branch to compare with`);
    }
    if (plan.defaultBranch === plan.branch) {
        return failOpen(head, `${why}, and it is the default branch itself`);
    }
    const defaultHead = await git.ensureBranch(plan.defaultBranch);
    if (defaultHead === undefined) {
        return failOpen(head, `${why} and the default branch ${plan.defaultBranch} cannot be fetched`);
    }
    const mergeBase = await git.mergeBase(defaultHead, head);
    if (mergeBase.sha === undefined)
        return failOpen(head, `${why}: ${mergeBase.reason}`);
    return {
        kind: 'diff',
        base: mergeBase.sha,
        head,
        label: `push to ${plan.branch}: ${why}, compared with ${plan.defaultBranch} (merge base)`,
    };
}

;// CONCATENATED MODULE: ./packages/detect-changed-services/src/deploy-commits.ts
// Deploy commits: what the pipeline's deploys commit into this repository when it is its own GitOps
// repository (overlays under deploy/overlays/<env>, say). They carry a `Shiprail-Deploy:` trailer. They
// change what runs, never a service: their files select nothing, and a push of nothing but deploy commits
// (the deploy's own push) selects no service, so a deploy never starts another deploy.

const DEPLOY_TRAILER = 'Shiprail-Deploy';
const NONE = { count: 0, all: false, onlyTheirs: new Set() };
/** The deploy commits of `base..head` (merges aside: they carry their branch's commits). */
async function readDeployCommits(git, base, head) {
    const format = `--format=%H%x09%(trailers:key=${DEPLOY_TRAILER},valueonly,separator=%x2C)`;
    const listed = await git.run(['log', '--no-merges', format, `${base}..${head}`]);
    // Commits git cannot list (a shallow clone without them) are not told apart: nothing is ignored.
    if (listed.exitCode !== 0)
        return NONE;
    const commits = listed.stdout
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => {
        const [sha = '', trailer = ''] = line.split('\t');
        return { sha, deploy: trailer.trim() !== '' };
    });
    const deploys = commits.filter((commit) => commit.deploy);
    if (deploys.length === 0)
        return NONE;
    const all = deploys.length === commits.length;
    if (all)
        return { count: deploys.length, all, onlyTheirs: new Set() };
    // Which files each commit changed: a file a deploy commit changed counts when another commit changed it too.
    const changed = await git.run([
        'log',
        '--no-merges',
        '--no-renames',
        '--format=%x00%H',
        '--name-only',
        `${base}..${head}`,
    ]);
    if (changed.exitCode !== 0)
        return NONE;
    const isDeploy = new Set(deploys.map((commit) => commit.sha));
    const theirs = new Set();
    const others = new Set();
    for (const block of changed.stdout.split('\0').slice(1)) {
        const [sha = '', ...files] = block.split('\n').filter((line) => line !== '');
        for (const file of files)
            (isDeploy.has(sha) ? theirs : others).add(file);
    }
    return { count: deploys.length, all, onlyTheirs: new Set([...theirs].filter((file) => !others.has(file))) };
}
/** The commits a push event brought (`before..after`), when it names them and `before` is not a new branch's. */
function pushedRange(eventName, payload) {
    if (eventName !== 'push')
        return undefined;
    const { before, after } = payload;
    if (typeof before !== 'string' || typeof after !== 'string')
        return undefined;
    if (before === ZERO_SHA || after === ZERO_SHA || before === '' || after === '')
        return undefined;
    return [before, after];
}

// EXTERNAL MODULE: ./node_modules/picomatch/index.js
var picomatch = __nccwpck_require__(4006);
var picomatch_default = /*#__PURE__*/__nccwpck_require__.n(picomatch);
;// CONCATENATED MODULE: ./packages/detect-changed-services/src/rules.ts
// Path rules (globs and `!` exclusions) compiled once into fast tests anchored at literal directories,
// and the matcher that says which services and libraries a changed path selects.


/** Options every glob is compiled with: dotfiles match (`.github/**`), as in dorny/paths-filter. */
const GLOB_OPTIONS = { dot: true };
class GlobError extends Error {
    rule;
    constructor(rule, reason) {
        super(`the glob '${rule.pattern}' cannot be compiled: ${reason}`);
        this.name = 'GlobError';
        this.rule = rule;
    }
}
/** Splits `!glob` into its sense and glob; a leading `./` means the repository root. */
function splitRule(pattern) {
    const include = !pattern.startsWith('!');
    const glob = include ? pattern : pattern.slice(1);
    return { include, glob: glob.startsWith('./') ? glob.replace(/^(\.\/)+/, '') : glob };
}
/** Characters that make picomatch read a pattern as more than a literal path. */
const SPECIAL = /[\\*?[\]{}()!+@|]/;
/** `<literal dir>/**`, or `<literal dir>/**\/*<literal ending>`. */
const COMMON_FORM = /^([^\\*?[\]{}()!+@|]+)\/\*\*(?:\/\*([^\\*?[\]{}()!+@|/]+))?$/;
function compileGlob(rule, glob, cache) {
    const known = cache.get(glob);
    if (known !== undefined)
        return known;
    let regex;
    try {
        regex = picomatch_default().makeRe(glob, { ...GLOB_OPTIONS, debug: true });
    }
    catch (error) {
        throw new GlobError(rule, errorMessage(error));
    }
    cache.set(glob, regex);
    return regex;
}
/** Compiles one rule, or throws GlobError saying why it cannot be. */
function compileRule(rule, cache = new Map()) {
    const { include, glob } = splitRule(rule.pattern);
    if (glob.trim() === '')
        throw new GlobError(rule, 'it is empty');
    if (glob.startsWith('/'))
        throw new GlobError(rule, 'paths are relative to the repository root; drop the leading /');
    if (glob.endsWith('/'))
        throw new GlobError(rule, `a pattern ending in / matches no file; write '${glob}**'`);
    if (!SPECIAL.test(glob)) {
        return {
            include,
            anchor: glob.includes('/') ? glob.slice(0, glob.lastIndexOf('/')) : '',
            test: { kind: 'equals', path: glob },
        };
    }
    // The commonest forms, `<dir>/**` and `<dir>/**/*<ending>`, read with one test.
    const common = COMMON_FORM.exec(glob);
    const [, directory, commonEnding] = common ?? [];
    if (directory !== undefined && (commonEnding === undefined || /[^.]/.test(commonEnding))) {
        if (commonEnding === undefined)
            return { include, anchor: directory, test: { kind: 'everything' } };
        let compiledFull;
        const full = () => (compiledFull ??= compileGlob(rule, glob, cache));
        return { include, anchor: directory, test: { kind: 'endsWith', literal: commonEnding, full } };
    }
    // The literal directory in front of the first segment with a special character, and the glob after it.
    const segments = glob.split('/');
    const literal = segments.findIndex((segment) => SPECIAL.test(segment));
    const base = segments.slice(0, literal).join('/');
    const rest = segments.slice(literal).join('/');
    if (base === '')
        return { include, anchor: '', test: { kind: 'glob', full: compileGlob(rule, glob, cache) } };
    // The whole glob is only needed for a path equal to the anchor: compiled then, once.
    let compiled;
    const full = () => (compiled ??= compileGlob(rule, glob, cache));
    if (rest === '**')
        return { include, anchor: base, test: { kind: 'everything' } };
    const ending = /^\*\*\/\*([^/]+)$/.exec(rest)?.[1];
    if (ending !== undefined && !SPECIAL.test(ending) && /[^.]/.test(ending)) {
        return { include, anchor: base, test: { kind: 'endsWith', literal: ending, full } };
    }
    const suffix = compileGlob(rule, rest, cache);
    return { include, anchor: base, test: { kind: 'suffix', suffix, full } };
}
/**
 * Decides, for each changed path, which owners it belongs to: an owner's rules are read in order and the
 * last one that matches the path decides (an include selects, an exclude deselects).
 *
 * Rules are compiled once and indexed by their literal directory, so a path is only tested against the
 * rules anchored at one of its ancestor directories (or at the path itself), not against all of them.
 * The candidate list of each anchor directory is merged once, at construction.
 */
class PathMatcher {
    owners;
    includes;
    anchorLengths;
    tests = [];
    /** The two commonest tests, kept in flat arrays for the hot loop: 1 = everything, 2 = ends with. */
    quickKinds;
    endings = [];
    /** Rules by anchor directory; '' holds rules without one (tested against every path). */
    byAnchor = new Map();
    /** For each anchor: the rules anchored there or at any ancestor directory (and the root), highest id first. */
    lists = new Map();
    /** Anchors with another anchor below them. */
    anchorsWithDeeper = new Set();
    rootList;
    /** Which lengths anchors have (1 = some anchor is that long). */
    anchorLengthSeen;
    lastAnchor = '';
    lastList = new Int32Array(0);
    /**
     * Filled by `match`: the owners the last path selected, in its first `match(...)` entries. Reused from
     * path to path: an array emptied for each of 20,000 paths would get a new backing store each time.
     */
    found;
    /** Throws GlobError for a rule that cannot be compiled. */
    constructor(owners) {
        const total = owners.reduce((sum, owner) => sum + owner.rules.length, 0);
        this.owners = new Int32Array(total);
        this.includes = new Uint8Array(total);
        this.anchorLengths = new Int32Array(total);
        this.quickKinds = new Uint8Array(total);
        const cache = new Map();
        // Rule ids grow with the owner and the rule's position: visiting candidates by descending id reads
        // each owner's rules together, last rule first.
        let id = 0;
        let maxAnchorLength = 0;
        owners.forEach((owner, ownerIndex) => {
            for (const rule of owner.rules) {
                const compiled = compileRule(rule, cache);
                this.owners[id] = ownerIndex;
                this.includes[id] = compiled.include ? 1 : 0;
                this.anchorLengths[id] = compiled.anchor.length;
                this.tests.push(compiled.test);
                this.quickKinds[id] = compiled.test.kind === 'everything' ? 1 : compiled.test.kind === 'endsWith' ? 2 : 0;
                this.endings.push(compiled.test.kind === 'endsWith' ? compiled.test.literal : '');
                maxAnchorLength = Math.max(maxAnchorLength, compiled.anchor.length);
                const bucket = this.byAnchor.get(compiled.anchor);
                if (bucket === undefined)
                    this.byAnchor.set(compiled.anchor, [id]);
                else
                    bucket.push(id);
                id += 1;
            }
        });
        this.found = new Int32Array(owners.length);
        this.anchorLengthSeen = new Uint8Array(maxAnchorLength + 1);
        for (const anchor of this.byAnchor.keys())
            this.anchorLengthSeen[anchor.length] = 1;
        const descending = (ids) => Int32Array.from(ids).sort().reverse();
        this.rootList = descending(this.byAnchor.get('') ?? []);
        for (const [anchor, ids] of this.byAnchor) {
            if (anchor === '')
                continue;
            const all = [...(this.byAnchor.get('') ?? []), ...ids];
            for (let slash = anchor.indexOf('/'); slash !== -1; slash = anchor.indexOf('/', slash + 1)) {
                const above = anchor.slice(0, slash);
                const bucket = this.byAnchor.get(above);
                if (bucket === undefined)
                    continue;
                all.push(...bucket);
                this.anchorsWithDeeper.add(above);
            }
            this.lists.set(anchor, descending(all));
        }
        this.lastList = this.rootList;
    }
    /**
     * The rules that can match a path in the directory ending at `end`: those of its deepest anchored
     * ancestor. git lists paths sorted, so the previous path's anchor usually applies again.
     */
    candidatesFor(path, end) {
        const last = this.lastAnchor;
        if (last !== '' &&
            end >= last.length &&
            path.charCodeAt(last.length) === 47 &&
            path.startsWith(last) &&
            !this.anchorsWithDeeper.has(last)) {
            return this.lastList;
        }
        // Only prefixes as long as some anchor can be one: most are skipped without hashing.
        for (let slash = end; slash > 0; slash = path.lastIndexOf('/', slash - 1)) {
            if (this.anchorLengthSeen[slash] !== 1)
                continue;
            const prefix = path.slice(0, slash);
            const list = this.lists.get(prefix);
            if (list !== undefined) {
                this.lastAnchor = prefix;
                this.lastList = list;
                return list;
            }
        }
        this.lastAnchor = '';
        this.lastList = this.rootList;
        return this.rootList;
    }
    ruleMatches(id, path) {
        const test = this.tests[id];
        if (test === undefined)
            return false;
        switch (test.kind) {
            case 'everything':
                return true;
            case 'equals':
                return path === test.path;
            case 'glob':
                return test.full.test(path);
            case 'endsWith': {
                const start = (this.anchorLengths[id] ?? 0) + 1;
                return path.length > start ? path.endsWith(test.literal) : test.full().test(path);
            }
            case 'suffix': {
                const start = (this.anchorLengths[id] ?? 0) + 1;
                // A path equal to the anchor itself has no rest: the whole glob decides.
                return path.length > start ? test.suffix.test(path.slice(start)) : test.full().test(path);
            }
        }
    }
    /** How many owners' rules select `path`; they are the first entries of `this.found` (until the next call). */
    match(path) {
        const found = this.found;
        let count = 0;
        const inDirectory = this.candidatesFor(path, path.lastIndexOf('/'));
        // Rules anchored at the path itself (`<dir>/**` selects `<dir>` too): only looked up when some anchor
        // has the path's length.
        const atPath = this.anchorLengthSeen[path.length] === 1 ? this.byAnchor.get(path) : undefined;
        let decided = -1;
        let next = 0;
        let own = atPath === undefined ? 0 : atPath.length;
        // Merge the two descending lists (atPath ascending, read from its end).
        while (next < inDirectory.length || own > 0) {
            const fromDirectory = next < inDirectory.length ? (inDirectory[next] ?? -1) : -1;
            const fromPath = own > 0 ? (atPath?.[own - 1] ?? -1) : -1;
            let id;
            if (fromDirectory > fromPath) {
                id = fromDirectory;
                next += 1;
            }
            else {
                id = fromPath;
                own -= 1;
            }
            const owner = this.owners[id] ?? -1;
            if (owner === decided)
                continue;
            const quick = this.quickKinds[id];
            const matches = quick === 1
                ? true
                : quick === 2 && path.length > (this.anchorLengths[id] ?? 0) + 1
                    ? path.endsWith(this.endings[id] ?? '')
                    : this.ruleMatches(id, path);
            if (matches) {
                decided = owner;
                if (this.includes[id] === 1)
                    found[count++] = owner;
            }
        }
        return count;
    }
}

;// CONCATENATED MODULE: ./packages/detect-changed-services/src/inputs.ts



const DEFAULT_CONFIG = '.github/services.yml';
function parseInputs(parser) {
    const inputs = {
        config: parser.string('config', DEFAULT_CONFIG),
        discover: parser.string('discover', 'services/*'),
        base: parser.string('base'),
        head: parser.string('head', 'HEAD'),
        'include-dependents': parser.boolean('include-dependents', true),
        'force-all': parser.boolean('force-all', false),
        'working-directory': parser.string('working-directory', '.'),
        'fetch-timeout': parser.duration('fetch-timeout', '2m'),
    };
    try {
        picomatch_default().makeRe(inputs.discover, { ...GLOB_OPTIONS, debug: true });
    }
    catch (error) {
        const reason = errorMessage(error);
        throw new errors_ConfigurationError(`the glob '${inputs.discover}' cannot be compiled: ${reason}`, { input: 'discover' });
    }
    if (inputs['fetch-timeout'] <= 0) {
        throw new errors_ConfigurationError('a fetch needs some time: give a duration above zero', { input: 'fetch-timeout' });
    }
    for (const name of ['base', 'head']) {
        if (inputs[name].startsWith('-')) {
            throw new errors_ConfigurationError(`'${inputs[name]}' is not a commit, branch or tag`, { input: name });
        }
    }
    return inputs;
}

;// CONCATENATED MODULE: ./packages/detect-changed-services/src/manifest-yaml.ts
// Reading the manifest's YAML fast. Manifests of thousands of services are written in a small part of
// YAML (block mappings and sequences, one-line flow sequences, plain and quoted scalars); that part is read
// here in one pass. Any text outside it (anchors, tags, block scalars, flow mappings, duplicate keys,
// malformed YAML, ...) is read by the full YAML parser instead, which also reports syntax errors with
// their line. Lines of values are only looked up, with the full parser, when a mistake must be located.

/**
 * Finds lines in a manifest. A manifest the fast reader read has no positions: then a mistake carries
 * the file only, and the manifest is read again with the full parser to report it at its line.
 */
class ManifestLocator {
    file;
    parsed;
    constructor(file, parsed) {
        this.file = file;
        this.parsed = parsed;
    }
    /** The line of the value at `path` (or of its nearest existing parent). */
    line(path) {
        return this.parsed?.lineOf(path);
    }
    /** A mistake about the value at `path`, at its line. */
    mistake(path, message) {
        return yamlMistake({ file: this.file }, path, message, this.line(path));
    }
    /** A mistake about the key at the end of `path` (a misspelt key, a bad name), at the key's line. */
    keyMistake(path, message) {
        return yamlMistake({ file: this.file }, path, message, this.parsed?.keyLineOf(path));
    }
}
const OUTSIDE = { ok: false };
/** Plain mapping keys the fast reader takes (no key YAML would read as a null, boolean or number). */
const ENTRY = /^([A-Za-z_][A-Za-z0-9_./-]*) *:(?: +(.*))?$/;
const RESERVED_KEYS = new Set(['__proto__', 'true', 'false', 'null', 'True', 'False', 'Null', 'TRUE', 'FALSE', 'NULL']);
/** Characters a plain scalar may not start with (indicators), in block and flow context. */
const INDICATOR = /^(?:[?:,[\]{}#&*!|>'"%@`]|-(?: |$))/;
const NULL = /^(?:~|null|Null|NULL)$/;
/** Plain scalars that can only be strings, unless they are one of KEYWORDS. */
const WORD = /^[A-Za-z_/][\w./-]*$/;
const KEYWORDS = new Set(['null', 'Null', 'NULL', 'true', 'True', 'TRUE', 'false', 'False', 'FALSE']);
const BOOLEAN = /^(?:true|True|TRUE|false|False|FALSE)$/;
const DECIMAL = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
/** Core-schema forms left to the full parser (octal, hexadecimal, infinities, not-a-number). */
const SPECIAL_NUMBER = /^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|0o[0-7]+|0x[0-9a-fA-F]+)$/;
/**
 * Reads YAML written as manifests usually are, with the value the full parser (YAML 1.2 core schema)
 * gives; `{ ok: false }` for any text outside that part of YAML.
 */
function readBlockYaml(text) {
    if (/[\u0000-\u0009\u000b-\u001f\u007f\u0085\u2028\u2029\uFEFF]/.test(text))
        return OUTSIDE;
    const stack = [];
    let root;
    let pending;
    let start = 0;
    while (start <= text.length) {
        let end = text.indexOf('\n', start);
        if (end === -1)
            end = text.length;
        let indent = start;
        while (indent < end && text.charCodeAt(indent) === 32)
            indent += 1;
        const content = text.slice(indent, end);
        indent -= start;
        start = end + 1;
        if (content === '' || content.startsWith('#'))
            continue;
        const item = content === '-' || content.startsWith('- ');
        if (pending !== undefined) {
            const child = item && indent >= pending.indent ? [] : !item && indent > pending.indent ? {} : undefined;
            pending.map[pending.key] = child ?? null;
            if (child !== undefined)
                stack.push({ indent, node: child });
            pending = undefined;
        }
        while (stack.length > 0) {
            const top = stack[stack.length - 1];
            // A sequence may sit at its key's indentation: it ends at the next line that is not an item.
            if (top.indent > indent || (top.indent === indent && Array.isArray(top.node) && !item))
                stack.pop();
            else
                break;
        }
        let level = stack[stack.length - 1];
        if (level === undefined) {
            if (root !== undefined || indent !== 0)
                return OUTSIDE;
            root = item ? [] : {};
            level = { indent, node: root };
            stack.push(level);
        }
        if (level.indent !== indent)
            return OUTSIDE;
        if (Array.isArray(level.node)) {
            if (!item)
                return OUTSIDE;
            const value = flowOrScalar(content.slice(1).trim());
            if (value === undefined || content.trim() === '-')
                return OUTSIDE;
            level.node.push(value.value);
            continue;
        }
        const entry = item ? null : ENTRY.exec(content);
        const key = entry?.[1];
        if (entry === null || key === undefined || RESERVED_KEYS.has(key) || Object.hasOwn(level.node, key)) {
            return OUTSIDE;
        }
        const rest = entry[2] ?? '';
        if (rest === '' || rest.startsWith('#')) {
            level.node[key] = null;
            pending = { map: level.node, key, indent };
            continue;
        }
        const value = flowOrScalar(rest);
        if (value === undefined)
            return OUTSIDE;
        level.node[key] = value.value;
    }
    return { ok: true, value: root ?? null };
}
/** A one-line flow sequence of scalars, or a scalar; either may be followed by a comment. */
function flowOrScalar(text) {
    if (!text.startsWith('['))
        return blockScalar(text);
    const close = text.indexOf(']');
    if (close === -1 || !isCommentOrEnd(text.slice(close + 1)))
        return undefined;
    const inner = text.slice(1, close);
    if (inner.trim() === '')
        return { value: [] };
    const items = [];
    for (const part of splitFlowItems(inner)) {
        const item = part.trim();
        if (item === '')
            return undefined;
        const read = item.startsWith("'") || item.startsWith('"') ? quoted(item) : plain(item, /[,[\]{}#]|: /);
        if (read === undefined)
            return undefined;
        items.push(read.value);
    }
    return { value: items };
}
/**
 * The items of a flow sequence's inside, split at commas outside quotes. Searches rather than walks the
 * characters: this runs once per line, before the engine has compiled anything.
 */
function splitFlowItems(inner) {
    const parts = [];
    let from = 0;
    let index = 0;
    for (;;) {
        const comma = inner.indexOf(',', index);
        const quote = firstQuote(inner, index, comma === -1 ? inner.length : comma);
        if (quote !== -1) {
            const close = inner.indexOf(inner.charAt(quote), quote + 1);
            // An unclosed quote takes the rest of the text into the last item.
            if (close === -1)
                break;
            index = close + 1;
            continue;
        }
        if (comma === -1)
            break;
        parts.push(inner.slice(from, comma));
        from = comma + 1;
        index = from;
    }
    parts.push(inner.slice(from));
    return parts;
}
/** The position of the first quote character in `text` from `start` to before `end`, or -1. */
function firstQuote(text, start, end) {
    const single = text.indexOf("'", start);
    const double = text.indexOf('"', start);
    const first = single === -1 ? double : double === -1 ? single : Math.min(single, double);
    return first < end ? first : -1;
}
function blockScalar(text) {
    if (text.startsWith("'") || text.startsWith('"'))
        return quoted(text);
    const comment = text.indexOf(' #');
    return plain((comment === -1 ? text : text.slice(0, comment)).trimEnd(), /: |:$/);
}
function isCommentOrEnd(rest) {
    const trimmed = rest.trimStart();
    return trimmed === '' || (trimmed.startsWith('#') && trimmed.length < rest.length);
}
/** A quoted scalar that ends on its line: '' escapes in single quotes; no escapes in double quotes. */
function quoted(text) {
    const quote = text.charAt(0);
    let value = '';
    let from = 1;
    for (;;) {
        const close = text.indexOf(quote, from);
        if (close === -1)
            return undefined;
        const part = text.slice(from, close);
        if (quote === '"' && part.includes('\\'))
            return undefined;
        value += part;
        if (quote === "'" && text.charAt(close + 1) === "'") {
            value += "'";
            from = close + 2;
            continue;
        }
        return isCommentOrEnd(text.slice(close + 1)) ? { value } : undefined;
    }
}
/** A plain scalar, typed as the core schema types it. */
function plain(text, forbidden) {
    // Most values are words and paths: strings, told apart from null and booleans with one test.
    if (WORD.test(text) && !KEYWORDS.has(text))
        return { value: text };
    if (text === '' || INDICATOR.test(text) || forbidden.test(text) || SPECIAL_NUMBER.test(text))
        return undefined;
    if (NULL.test(text))
        return { value: null };
    if (BOOLEAN.test(text))
        return { value: text.toLowerCase() === 'true' };
    if (DECIMAL.test(text))
        return { value: Number(text) };
    return { value: text };
}

;// CONCATENATED MODULE: ./packages/detect-changed-services/src/toolchain.ts
// The toolchain a service's tests need, from what the service already declares: go.mod's `toolchain`
// or `go` line, .nvmrc / .node-version / package.json `engines.node`, global.json's SDK, .python-version
// / pyproject.toml `requires-python`, .java-version / Maven's release level / Gradle's toolchain or
// source compatibility, rust-toolchain(.toml)'s channel. The manifest's `toolchain` key wins per tool.
const TOOLS = ['go', 'node', 'dotnet', 'python', 'java', 'rust'];
const NO_TOOLCHAIN = { go: '', node: '', dotnet: '', python: '', java: '', rust: '' };
// A version or range as setup actions take it (`1.26`, `22.x`, `>=20 <23`, `stable`): no quotes, no `$`,
// no line breaks.
const VERSION = /^[A-Za-z0-9<>=^~][A-Za-z0-9.+*^~<>=,_ -]{0,63}$/;
const versionProblem = (version) => VERSION.test(version) ? undefined : 'is not a version (e.g. 1.26, 22.x, 3.13, 21, stable)';
const firstLine = (text) => (text ?? '').split('\n')[0]?.trim() ?? '';
const matchOf = (text, pattern) => pattern.exec(text ?? '')?.[1]?.trim() ?? '';
function jsonField(text, read) {
    if (text === undefined)
        return '';
    try {
        const value = read(JSON.parse(text));
        return typeof value === 'string' ? value.trim() : '';
    }
    catch {
        return ''; // a file the tool itself would reject declares nothing we can set up
    }
}
const toolchain_field = (value, key) => typeof value === 'object' && value !== null ? value[key] : undefined;
/** Detectors per tool, first declaration found wins. */
const DETECTORS = {
    go: (read) => {
        const mod = read('go.mod');
        // `toolchain go1.26.1` names the exact release; `go 1.26` the least language version.
        return matchOf(mod, /^toolchain\s+go(\S+)\s*$/m) || matchOf(mod, /^go\s+(\S+)\s*$/m);
    },
    node: (read) => firstLine(read('.nvmrc')).replace(/^v/, '') ||
        firstLine(read('.node-version')).replace(/^v/, '') ||
        jsonField(read('package.json'), (json) => toolchain_field(json['engines'], 'node')),
    dotnet: (read) => jsonField(read('global.json'), (json) => toolchain_field(json['sdk'], 'version')),
    python: (read) => firstLine(read('.python-version')) ||
        matchOf(read('pyproject.toml'), /^\s*requires-python\s*=\s*["']([^"']+)["']/m).replace(/\s+/g, ''),
    java: (read) => firstLine(read('.java-version')) ||
        matchOf(read('pom.xml'), /<maven\.compiler\.release>\s*(\d+)\s*</) ||
        matchOf(read('pom.xml'), /<release>\s*(\d+)\s*<\/release>/) ||
        matchOf(read('build.gradle.kts') ?? read('build.gradle'), /languageVersion(?:\.set\(|\s*=\s*)\s*JavaLanguageVersion\.of\((\d+)\)/) ||
        matchOf(read('build.gradle.kts') ?? read('build.gradle'), /sourceCompatibility\s*=\s*(?:JavaVersion\.VERSION_)?['"]?(\d+)/),
    rust: (read) => matchOf(read('rust-toolchain.toml'), /^\s*channel\s*=\s*["']([^"']+)["']/m) || firstLine(read('rust-toolchain')),
};
/**
 * The service's toolchain: what the manifest declares, else what its files declare. A detected value that
 * is not a version (a file with something unexpected in it) is left out rather than passed to a setup action.
 */
function detectToolchain(declared, read) {
    const toolchain = { ...NO_TOOLCHAIN };
    for (const tool of TOOLS) {
        const given = declared[tool];
        if (given !== undefined) {
            toolchain[tool] = given;
            continue;
        }
        const detected = DETECTORS[tool](read);
        toolchain[tool] = versionProblem(detected) === undefined ? detected : '';
    }
    return toolchain;
}

;// CONCATENATED MODULE: ./packages/detect-changed-services/src/values.ts
// Checks of the values a manifest hands on to other steps (directories, files, globs, resources, images):
// the manifest comes from the repository, which pull requests change, so nothing in it may point
// outside the repository or smuggle options into a command line.




const values_CONTROL = /[\u0000-\u001f\u007f]/;
/** Why `path` is not a path inside the repository (relative to its root), or undefined when it is. */
function repositoryPathProblem(path) {
    if (values_CONTROL.test(path))
        return 'contains a control character';
    if (path.includes('\\'))
        return "contains '\\' (separate directories with '/')";
    if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) {
        return 'is absolute; write it relative to the repository root';
    }
    if (path.startsWith('-'))
        return "starts with '-' (write ./" + path + ')';
    // Only a '..' segment can lead outside: the rest need not be normalized.
    if (!path.includes('..'))
        return undefined;
    const normal = external_node_path_namespaceObject.posix.normalize(path);
    if (normal === '..' || normal.startsWith('../'))
        return 'leads outside the repository';
    return undefined;
}
/** Why `glob` cannot select files inside the repository, or undefined when it can. */
function repositoryGlobProblem(glob) {
    const problem = repositoryPathProblem(glob);
    if (problem !== undefined)
        return problem;
    if (glob.split('/').includes('..'))
        return "contains '..'; write it relative to the repository root";
    try {
        picomatch_default().makeRe(glob, { ...GLOB_OPTIONS, debug: true });
    }
    catch (error) {
        return `cannot be compiled: ${errorMessage(error)}`;
    }
    return undefined;
}
/** Why `text` is not a `[namespace/]kind/name` rollout-wait can watch, or undefined. */
function resourceProblem(text) {
    const reference = parseWorkloadReference(text);
    return 'problem' in reference ? reference.problem : undefined;
}
// Registry host (with port), repository path, tag or digest: no spaces, options or control characters.
const IMAGE = /^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/;
/** Why `image` is not an image name, or undefined. */
function imageProblem(image) {
    return IMAGE.test(image) ? undefined : 'is not an image name (letters, digits and . _ - / : @)';
}
/** The percentage `value` gives (a number or numeric string from 0 to 100), or the reason it is none. */
function percentOf(value) {
    const number = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : Number.NaN;
    if (typeof value === 'string' && value.trim() === '')
        return { problem: 'expected a percentage from 0 to 100' };
    if (!Number.isFinite(number) || number < 0 || number > 100) {
        return { problem: 'expected a percentage from 0 to 100' };
    }
    return { percent: number };
}

;// CONCATENATED MODULE: ./packages/detect-changed-services/src/manifest.ts
// The services manifest: its types, the defaults a service that names only its directory gets, and the
// parser that checks shape, names, paths, globs and dependencies, each mistake at its line.








const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const TOP_KEYS = ['global', 'libraries', 'services'];
const LIBRARY_KEYS = ['path', 'paths', 'dependsOn'];
const SERVICE_KEYS = [
    'path',
    'paths',
    'dependsOn',
    'context',
    'dockerfile',
    'image',
    'resource',
    'test',
    'test-reports',
    'coverage',
    'min-coverage',
    'toolchain',
    'test-image',
    'build',
    'integration-test',
    'container',
    'helm-values',
];
const manifest_isMapping = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);
/** A directory as written (`./services/api/`) in the form paths have in git (`services/api`). */
function normalizeDirectory(path) {
    const trimmed = path
        .trim()
        .replace(/^(\.\/)+/, '')
        .replace(/\/+$/, '');
    return trimmed === '' ? '.' : trimmed;
}
const under = (directory, file) => (directory === '.' ? file : `${directory}/${file}`);
/** Default rules of a directory: everything below it. */
const directoryRules = (directory) => [{ pattern: directory === '.' ? '**' : `${directory}/**` }];
/** The defaults a service that only names its directory gets (docs/manifest.md). */
function serviceWithDefaults(name, fields) {
    const context = fields.context ?? fields.path;
    return {
        name,
        path: fields.path,
        context,
        dockerfile: fields.dockerfile ?? under(context, 'Dockerfile'),
        image: fields.image ?? name,
        resource: fields.resource ?? `deployment/${name}`,
        test: fields.test ?? '',
        testReports: fields.testReports ?? '',
        coverage: fields.coverage ?? '',
        minCoverage: fields.minCoverage ?? '',
        toolchain: fields.toolchain ?? {},
        testImage: fields.testImage ?? '',
        build: fields.build ?? '',
        integrationTest: fields.integrationTest ?? '',
        container: fields.container ?? '',
        helmValues: fields.helmValues ?? {},
        rules: fields.rules ?? directoryRules(fields.path),
        dependsOn: fields.dependsOn ?? [],
    };
}
/**
 * Parses and checks a manifest: shape, names, paths (inside the repository), resources, globs,
 * `dependsOn` targets and cycles, each error at its line. The fast reader reads what it can; the full
 * parser reads the rest, and reads again a manifest with a mistake, whose line only it can find.
 */
async function parseManifest(text, file) {
    const fast = readBlockYaml(text);
    if (fast.ok) {
        try {
            return checkManifest(fast.value, new ManifestLocator(file));
        }
        catch (error) {
            // A mistake: the full parser's reading below throws it again, at its line.
            if (!(error instanceof errors_ConfigurationError))
                throw error;
        }
    }
    const parsed = await parseYamlDocument(text, { file });
    return checkManifest(parsed.value, new ManifestLocator(file, parsed));
}
function checkManifest(value, locator) {
    const file = locator.file;
    const reader = new ManifestReader(locator);
    const root = value ?? {};
    if (!manifest_isMapping(root))
        throw locator.mistake([], 'expected a mapping with global, libraries and services');
    reader.rejectUnknownKeys([], root, TOP_KEYS);
    const global = reader.ruleList(['global'], root['global'] ?? []);
    const libraries = reader.section(root, 'libraries').map(([name, body]) => {
        const path = ['libraries', name];
        reader.rejectUnknownKeys(path, body, LIBRARY_KEYS);
        return { name, rules: reader.rules(path, body), dependsOn: reader.dependencies(path, body['dependsOn']) };
    });
    const services = reader.section(root, 'services').map(([name, body]) => reader.service(name, body));
    const libraryNames = new Set(libraries.map((library) => library.name));
    const clash = services.find((service) => libraryNames.has(service.name));
    if (clash)
        throw locator.keyMistake(['services', clash.name], `'${clash.name}' names both a library and a service`);
    const manifest = { file, discovered: false, global, libraries, services, locator };
    checkDependencies(manifest);
    // Compiling now reports a bad glob at its line before anything else happens.
    buildMatcher(manifest);
    return manifest;
}
/** Reads the parts of a manifest's value, throwing each mistake at the line of what is wrong. */
class ManifestReader {
    locator;
    constructor(locator) {
        this.locator = locator;
    }
    rejectUnknownKeys(path, body, allowed) {
        for (const key of Object.keys(body)) {
            if (!allowed.includes(key)) {
                throw this.locator.keyMistake([...path, key], `unknown key '${key}' (expected ${allowed.join(', ')})`);
            }
        }
    }
    section(root, section) {
        const value = root[section] ?? {};
        if (!manifest_isMapping(value))
            throw this.locator.mistake([section], `expected a mapping of names to definitions`);
        return Object.entries(value).map(([name, body]) => {
            if (!NAME.test(name)) {
                throw this.locator.keyMistake([section, name], `'${name}' is not a valid name (letters, digits, '.', '_', '-')`);
            }
            if (!manifest_isMapping(body)) {
                throw this.locator.mistake([section, name], 'expected a mapping (path, paths, dependsOn, ...)');
            }
            return [name, body];
        });
    }
    service(name, body) {
        const path = ['services', name];
        this.rejectUnknownKeys(path, body, SERVICE_KEYS);
        // Most keys are absent: their YAML path is only built for a value that is there.
        const string = (key) => body[key] === undefined ? undefined : this.string([...path, key], body[key]);
        const inRepository = (key) => {
            const value = string(key);
            const problem = value === undefined ? undefined : repositoryPathProblem(value);
            if (problem !== undefined)
                throw this.locator.mistake([...path, key], `'${value}' ${problem}`);
            return value;
        };
        const directory = inRepository('path') ?? inRepository('context');
        if (directory === undefined) {
            throw this.locator.mistake(path, `needs 'path': the service's directory (e.g. services/${name})`);
        }
        const context = inRepository('context');
        const checked = (key, problemOf) => {
            const value = string(key);
            const problem = value === undefined ? undefined : problemOf(value);
            if (problem !== undefined)
                throw this.locator.mistake([...path, key], `'${value}' ${problem}`);
            return value;
        };
        const minCoverage = body['min-coverage'] === undefined
            ? undefined
            : this.minCoverage([...path, 'min-coverage'], body['min-coverage']);
        const target = readImageTarget(body['container'], body['helm-values']);
        if ('problem' in target)
            throw this.locator.mistake([...path, ...target.at], target.problem);
        // Absent values are undefined here, and serviceWithDefaults fills them in.
        return serviceWithDefaults(name, {
            container: target.container,
            helmValues: target.helmValues,
            path: normalizeDirectory(directory),
            context: context === undefined ? undefined : normalizeDirectory(context),
            dockerfile: inRepository('dockerfile'),
            image: checked('image', imageProblem),
            resource: checked('resource', resourceProblem),
            test: body['test'] === undefined ? undefined : this.command([...path, 'test'], body['test']),
            testReports: checked('test-reports', repositoryGlobProblem),
            coverage: inRepository('coverage'),
            minCoverage,
            toolchain: this.toolchain([...path, 'toolchain'], body['toolchain']),
            testImage: checked('test-image', imageProblem),
            build: body['build'] === undefined ? undefined : this.command([...path, 'build'], body['build']),
            integrationTest: body['integration-test'] === undefined
                ? undefined
                : this.command([...path, 'integration-test'], body['integration-test']),
            rules: this.rules(path, body, normalizeDirectory(directory)),
            dependsOn: this.dependencies(path, body['dependsOn']),
        });
    }
    string(path, value) {
        if (value === undefined || value === null)
            return undefined;
        if (typeof value !== 'string' || value.trim() === '')
            throw this.locator.mistake(path, 'expected a non-empty string');
        return value.trim();
    }
    /** A shell command: kept as written (multi-line scripts included). */
    command(path, value) {
        if (value === undefined || value === null)
            return undefined;
        if (typeof value !== 'string' || value.trim() === '') {
            throw this.locator.mistake(path, 'expected a command (a non-empty string run with bash)');
        }
        return value;
    }
    /** `toolchain: {go: '1.26', node: '22'}`: versions per known tool. */
    toolchain(path, value) {
        if (value === undefined || value === null)
            return undefined;
        if (!manifest_isMapping(value))
            throw this.locator.mistake(path, `expected a map of tool to version (${TOOLS.join(', ')})`);
        this.rejectUnknownKeys(path, value, TOOLS);
        const toolchain = {};
        for (const tool of TOOLS) {
            const raw = value[tool];
            if (raw === undefined || raw === null)
                continue;
            const version = typeof raw === 'number' ? String(raw) : this.string([...path, tool], raw);
            if (version === undefined)
                continue;
            const problem = versionProblem(version);
            if (problem !== undefined)
                throw this.locator.mistake([...path, tool], `'${version}' ${problem}`);
            toolchain[tool] = version;
        }
        return toolchain;
    }
    minCoverage(path, value) {
        if (value === undefined || value === null)
            return undefined;
        const percent = percentOf(value);
        if ('problem' in percent) {
            const shown = typeof value === 'string' || typeof value === 'number' ? `'${value}': ` : '';
            throw this.locator.mistake(path, `${shown}${percent.problem}`);
        }
        return String(percent.percent);
    }
    rules(path, body, directory) {
        if (body['paths'] !== undefined)
            return this.ruleList([...path, 'paths'], body['paths']);
        const own = directory ?? this.string([...path, 'path'], body['path']) ?? '';
        if (own === '')
            throw this.locator.mistake(path, "needs 'paths' (globs) or 'path' (a directory)");
        const problem = repositoryPathProblem(own);
        if (problem !== undefined)
            throw this.locator.mistake([...path, 'path'], `'${own}' ${problem}`);
        return directoryRules(normalizeDirectory(own));
    }
    ruleList(path, value) {
        const items = typeof value === 'string' ? [value] : value;
        if (!Array.isArray(items))
            throw this.locator.mistake(path, 'expected a list of globs');
        return items.map((item, index) => {
            const at = typeof value === 'string' ? path : [...path, index];
            if (typeof item !== 'string' || item.trim() === '')
                throw this.locator.mistake(at, 'expected a glob string');
            return { pattern: item.trim(), at };
        });
    }
    dependencies(path, value) {
        if (value === undefined || value === null)
            return [];
        const items = typeof value === 'string' ? [value] : value;
        if (!Array.isArray(items)) {
            throw this.locator.mistake([...path, 'dependsOn'], 'expected a list of library or service names');
        }
        return items.map((item, index) => {
            const at = typeof value === 'string' ? [...path, 'dependsOn'] : [...path, 'dependsOn', index];
            if (typeof item !== 'string' || item.trim() === '') {
                throw this.locator.mistake(at, 'expected a library or service name');
            }
            return { name: item.trim(), at };
        });
    }
}
/** Every name a `dependsOn` can point at, with its dependencies. */
function dependencyGraph(manifest) {
    const graph = new Map();
    for (const library of manifest.libraries)
        graph.set(library.name, library.dependsOn);
    for (const service of manifest.services)
        graph.set(service.name, service.dependsOn);
    return graph;
}
/** Unknown names in `dependsOn` and dependency cycles, as errors at the line of the offending entry. */
function checkDependencies(manifest) {
    const graph = dependencyGraph(manifest);
    const at = (dependency) => where(manifest, dependency.at);
    for (const [name, dependencies] of graph) {
        for (const dependency of dependencies) {
            if (!graph.has(dependency.name)) {
                throw new errors_ConfigurationError(`${name}: dependsOn names '${dependency.name}', which is neither a library nor a service`, at(dependency));
            }
        }
    }
    // Iterative depth-first search (manifests may hold thousands of entries): grey = on the current path.
    const state = new Map();
    for (const start of graph.keys()) {
        if (state.has(start))
            continue;
        const path = [start];
        const positions = [0];
        state.set(start, 'grey');
        while (path.length > 0) {
            const name = path[path.length - 1] ?? '';
            const position = positions[positions.length - 1] ?? 0;
            const dependency = graph.get(name)?.[position];
            if (dependency === undefined) {
                state.set(name, 'black');
                path.pop();
                positions.pop();
                continue;
            }
            positions[positions.length - 1] = position + 1;
            const seen = state.get(dependency.name);
            if (seen === 'grey') {
                const cycle = [...path.slice(path.indexOf(dependency.name)), dependency.name].join(' -> ');
                throw new errors_ConfigurationError(`dependency cycle: ${cycle}`, at(dependency));
            }
            if (seen === undefined) {
                state.set(dependency.name, 'grey');
                path.push(dependency.name);
                positions.push(0);
            }
        }
    }
}
/** The file, and the line of what it wrote at `at` when that is known. */
function where(manifest, at) {
    const line = at === undefined ? undefined : manifest.locator?.line(at);
    return line === undefined ? { file: manifest.file } : { file: manifest.file, line };
}
/** Owners of rules in a fixed order: the global list, then libraries, then services. */
function ruleOwners(manifest) {
    return [{ rules: manifest.global }, ...manifest.libraries, ...manifest.services];
}
const matchers = new WeakMap();
/** Compiles the manifest's rules (once per manifest); a glob that cannot be compiled is an error at its line. */
function buildMatcher(manifest) {
    const known = matchers.get(manifest);
    if (known !== undefined)
        return known;
    try {
        const matcher = new PathMatcher(ruleOwners(manifest));
        matchers.set(manifest, matcher);
        return matcher;
    }
    catch (error) {
        if (error instanceof GlobError)
            throw new errors_ConfigurationError(error.message, where(manifest, error.rule.at));
        throw error;
    }
}
const SKIPPED_DIRECTORIES = new Set(['.git', 'node_modules']);
/** How deep below the glob's literal base a Dockerfile is looked for. */
const MAX_DISCOVERY_DEPTH = 12;
const DOCKERFILE = /^(Dockerfile|Containerfile)$/;
/**
 * Services without a manifest. Each folder (relative to `root`) the glob matches is a service, named after
 * that folder, when a Dockerfile (or Containerfile) lies in it or at any depth below it (`src/cart/src/
 * Dockerfile` makes the service `cart` of `src/*`); the shallowest one is its Dockerfile, and its folder the
 * build context. With `**`, the folder is the shallowest matching one below the glob's base, never the
 * base itself. The folders the glob matched that hold no Dockerfile are listed in `unmatched`.
 * Defaults as docs/manifest.md gives them.
 */
function discoverServices(root, pattern) {
    const glob = normalizeDirectory(pattern);
    let matches;
    try {
        matches = picomatch_default()(glob, { ...GLOB_OPTIONS, debug: true });
    }
    catch (error) {
        const reason = errorMessage(error);
        throw new errors_ConfigurationError(`the glob '${pattern}' cannot be compiled: ${reason}`, { input: 'discover' });
    }
    const scan = picomatch_default().scan(glob);
    const base = scan.isGlob ? scan.base : glob;
    const start = base === '' ? '.' : base;
    const startDepth = base === '' ? 0 : base.split('/').length;
    const anyDepth = glob.includes('**');
    const matchedDepth = glob.split('/').length;
    const dockerfiles = [];
    const matchedFolders = [];
    const walk = (relative, depth) => {
        let entries;
        try {
            entries = (0,external_node_fs_namespaceObject.readdirSync)((0,external_node_path_namespaceObject.join)(root, relative), { withFileTypes: true });
        }
        catch {
            return; // the base of the glob need not exist: then there is nothing to discover
        }
        if (!anyDepth && depth === matchedDepth && matches(relative))
            matchedFolders.push(relative);
        for (const entry of entries) {
            if (entry.isFile() && DOCKERFILE.test(entry.name))
                dockerfiles.push(under(relative, entry.name));
        }
        if (depth - startDepth >= MAX_DISCOVERY_DEPTH)
            return;
        for (const entry of entries) {
            if (entry.isDirectory() && !SKIPPED_DIRECTORIES.has(entry.name))
                walk(under(relative, entry.name), depth + 1);
        }
    };
    walk(start, startDepth);
    // Each Dockerfile belongs to the shallowest matched folder above it; that folder's shallowest one wins.
    const byFolder = new Map();
    for (const dockerfile of dockerfiles) {
        const parts = dockerfile.split('/').slice(0, -1);
        for (let length = Math.max(startDepth + (scan.isGlob ? 1 : 0), 1); length <= parts.length; length += 1) {
            const folder = parts.slice(0, length).join('/');
            if (!matches(folder))
                continue;
            const known = byFolder.get(folder);
            if (known === undefined || dockerfileRank(dockerfile) < dockerfileRank(known))
                byFolder.set(folder, dockerfile);
            break;
        }
    }
    const services = new Map();
    for (const [directory, dockerfile] of [...byFolder].sort(([a], [b]) => a.localeCompare(b))) {
        const name = directory.split('/').pop() ?? directory;
        const previous = services.get(name);
        if (previous) {
            throw new errors_ConfigurationError(`${previous.path} and ${directory} would both be service '${name}': write a manifest that names them`, { input: 'discover' });
        }
        const context = dockerfile.split('/').slice(0, -1).join('/') || '.';
        services.set(name, serviceWithDefaults(name, { path: directory, context, dockerfile }));
    }
    const unmatched = matchedFolders.filter((folder) => !byFolder.has(folder)).sort();
    return { file: glob, discovered: true, global: [], libraries: [], services: [...services.values()], unmatched };
}
/** Shallower first, then Dockerfile before Containerfile. */
const dockerfileRank = (path) => path.split('/').length * 2 + (path.endsWith('/Containerfile') ? 1 : 0);

;// CONCATENATED MODULE: ./packages/detect-changed-services/src/manifest-changes.ts
/** An entry as it behaves: where the manifest wrote it (positions) is left out, since moving lines changes nothing. */
function behaviourOf(entry) {
    return JSON.stringify(entry, (key, value) => (key === 'at' ? undefined : value));
}
/**
 * The libraries and services whose entries differ between the manifest at the compared base and now, each
 * with the reason to give (entry name \u2192 reason). `before` undefined: the base had no manifest, so every
 * entry is new.
 */
function changedEntries(before, after) {
    const previous = new Map();
    for (const entry of [...(before?.libraries ?? []), ...(before?.services ?? [])]) {
        previous.set(entry.name, behaviourOf(entry));
    }
    const changed = new Map();
    for (const entry of [...after.libraries, ...after.services]) {
        const was = previous.get(entry.name);
        if (was === undefined)
            changed.set(entry.name, `${after.file}: entry added`);
        else if (was !== behaviourOf(entry))
            changed.set(entry.name, `${after.file}: entry changed`);
    }
    return changed;
}

;// CONCATENATED MODULE: ./packages/detect-changed-services/src/selection.ts

const DEFAULT_MAX_PATH_REASONS = 10;
const byName = (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
/**
 * The services a set of changed paths selects, each with the reasons: its own changed files, the global
 * files that changed, and (with `includeDependents`) the libraries and services it depends on,
 * directly or transitively, that changed.
 */
function selectServices(manifest, matcher, paths, options) {
    const maxPaths = options.maxPathReasons ?? DEFAULT_MAX_PATH_REASONS;
    // Owner 0 is the global list, then libraries, then services: the order of ruleOwners().
    const names = ['', ...manifest.libraries.map((library) => library.name), ...manifest.services.map((s) => s.name)];
    const firstServiceOwner = 1 + manifest.libraries.length;
    const counts = new Uint32Array(names.length);
    const quoted = new Array(names.length);
    // Indexed loops, not iterators: this runs once per changed path, mostly before the engine compiles it.
    for (let index = 0; index < paths.length; index += 1) {
        const path = paths[index] ?? '';
        const count = matcher.match(path);
        for (let found = 0; found < count; found += 1) {
            const owner = matcher.found[found] ?? 0;
            counts[owner] = (counts[owner] ?? 0) + 1;
            const list = quoted[owner];
            if (list === undefined)
                quoted[owner] = [path];
            else if (list.length < maxPaths)
                list.push(path);
        }
    }
    const reasons = new Map();
    const add = (service, reason) => {
        const list = reasons.get(service);
        if (list === undefined)
            reasons.set(service, [reason]);
        else
            list.push(reason);
    };
    const quote = (owner, prefix) => {
        const list = (quoted[owner] ?? []).map((path) => `${prefix}${path}`);
        const rest = (counts[owner] ?? 0) - list.length;
        return rest > 0 ? [...list, `${prefix}and ${rest} more changed ${rest === 1 ? 'file' : 'files'}`] : list;
    };
    const edited = options.changedEntries ?? new Map();
    manifest.services.forEach((service, index) => {
        const entry = edited.get(service.name);
        if (entry !== undefined)
            add(service.name, entry);
        for (const reason of quote(firstServiceOwner + index, ''))
            add(service.name, reason);
    });
    if (options.includeDependents) {
        const dependents = reverseDependencies(manifest);
        const serviceNames = new Set(manifest.services.map((service) => service.name));
        for (let owner = 1; owner < names.length; owner += 1) {
            const changed = names[owner] ?? '';
            const evidence = quoted[owner]?.[0] ?? edited.get(changed);
            if (evidence === undefined)
                continue;
            // Breadth-first over "is depended on by": each dependent is reached once, through its nearest path.
            const reached = new Set([changed]);
            const queue = [changed];
            for (let head = 0; head < queue.length; head += 1) {
                const current = queue[head] ?? '';
                for (const dependent of dependents.get(current) ?? []) {
                    if (reached.has(dependent))
                        continue;
                    reached.add(dependent);
                    queue.push(dependent);
                    if (!serviceNames.has(dependent))
                        continue;
                    const through = current === changed ? '' : ` via ${current}`;
                    add(dependent, `depends on ${changed}${through} (${evidence})`);
                }
            }
        }
    }
    const globalPaths = quoted[0] ?? [];
    const globalReasons = quote(0, 'global: ');
    const selected = [];
    for (const service of [...manifest.services].sort(byName)) {
        const own = reasons.get(service.name) ?? [];
        const all = globalPaths.length > 0 ? [...globalReasons, ...own] : own;
        if (all.length > 0)
            selected.push({ service, reasons: all });
    }
    return {
        selected,
        all: manifest.services.length > 0 && selected.length === manifest.services.length,
        globalPaths,
    };
}
/** Every service, with one reason: why everything was selected. */
function selectAll(manifest, reason) {
    return {
        selected: [...manifest.services].sort(byName).map((service) => ({ service, reasons: [reason] })),
        all: manifest.services.length > 0,
        globalPaths: [],
    };
}
/** One service alone (a service tag such as `api/v1.2.0`). */
function selectOne(manifest, name, reason) {
    const service = manifest.services.find((candidate) => candidate.name === name);
    const selected = service === undefined ? [] : [{ service, reasons: [reason] }];
    return { selected, all: manifest.services.length === selected.length && selected.length > 0, globalPaths: [] };
}
/** name -> the names whose dependsOn lists it. */
function reverseDependencies(manifest) {
    const reverse = new Map();
    for (const entry of [...manifest.libraries, ...manifest.services]) {
        for (const dependency of entry.dependsOn) {
            const list = reverse.get(dependency.name);
            if (list === undefined)
                reverse.set(dependency.name, [entry.name]);
            else
                list.push(entry.name);
        }
    }
    return reverse;
}
/** The matrix entry of a selected service, as the `matrix` output carries it, with its toolchain resolved. */
function matrixEntry(selected) {
    const { service, reasons, toolchain = NO_TOOLCHAIN } = selected;
    return {
        service: service.name,
        path: service.path,
        context: service.context,
        dockerfile: service.dockerfile,
        image: service.image,
        resource: service.resource,
        test: service.test,
        'test-reports': service.testReports,
        coverage: service.coverage,
        'min-coverage': service.minCoverage,
        toolchain,
        'test-image': service.testImage,
        build: service.build,
        'integration-test': service.integrationTest,
        container: service.container,
        'helm-values': service.helmValues,
        reasons,
    };
}

;// CONCATENATED MODULE: ./packages/detect-changed-services/src/summary.ts
// The job summary: what was compared, each selected service with its reasons, and the rest.


/** What was compared, as a sentence. */
function describeComparison(comparison, changedFiles) {
    switch (comparison.kind) {
        case 'diff': {
            const range = `${code(shortSha(comparison.base))}..${code(shortSha(comparison.head))}`;
            const files = `${changedFiles} changed ${changedFiles === 1 ? 'file' : 'files'}`;
            return `Compared ${range} (${escapeCell(comparison.label)}): ${files}.`;
        }
        case 'service':
            return `No comparison: ${escapeCell(comparison.reason)} selects ${code(comparison.service)} alone.`;
        case 'all':
            return `No comparison: ${escapeCell(comparison.reason)}.`;
    }
}
/** The job summary: what was compared, each selected service with its reasons, and the rest. */
function renderSummary(report) {
    const { manifest, comparison, selection } = report;
    const total = manifest.services.length;
    const source = manifest.discovered
        ? `${total} services discovered by ${code(manifest.file)} (no manifest)`
        : `${total} services in ${code(manifest.file)}`;
    const lines = [
        '### Changed services',
        '',
        `${describeComparison(comparison, report.changedFiles)} ${source}: **${selection.selected.length} selected**.`,
    ];
    if (comparison.kind === 'all' && comparison.warning !== undefined) {
        lines.push('', `> [!WARNING]`, `> ${escapeCell(comparison.warning)}`);
    }
    if (selection.selected.length > 0) {
        const rows = selection.selected.map(({ service, reasons }) => [
            raw(code(service.name)),
            service.image,
            service.resource,
            raw(reasons.map((reason) => escapeCell(reason)).join('<br>')),
        ]);
        lines.push('', table(['Service', 'Image', 'Resource', 'Why'], rows));
    }
    const chosen = new Set(selection.selected.map(({ service }) => service.name));
    const rest = manifest.services.filter((service) => !chosen.has(service.name)).map((service) => service.name);
    if (rest.length > 0) {
        lines.push('', details(`Not selected (${rest.length})`, rest
            .sort()
            .map((name) => code(name))
            .join(', ')));
    }
    return `${lines.join('\n')}\n`;
}

;// CONCATENATED MODULE: ./packages/detect-changed-services/src/run.ts
// The step: inputs, the manifest, the comparison, the selection, then the matrix, the outputs and the summary.












/**
 * The manifest file, or the services discovered when there is none. The file must lie in the repository
 * (`top`), links included: the repository's content decides what it points at.
 */
async function loadManifest(inputs, root, workspace, top) {
    const configPath = (0,external_node_path_namespaceObject.resolve)(root, inputs.config);
    if ((0,external_node_fs_namespaceObject.existsSync)(configPath)) {
        // Named relative to the workspace, so that the error annotation points at the file in the repository.
        const shown = (0,external_node_path_namespaceObject.isAbsolute)(inputs.config) ? inputs.config : (0,external_node_path_namespaceObject.relative)(workspace, configPath) || inputs.config;
        if (!isInside((0,external_node_fs_namespaceObject.realpathSync)(top), (0,external_node_fs_namespaceObject.realpathSync)(configPath))) {
            throw new errors_ConfigurationError(`${escapeUntrusted(shown)} lies outside the repository (${top})`, {
                input: 'config',
            });
        }
        return parseManifest((0,external_node_fs_namespaceObject.readFileSync)(configPath, 'utf8'), shown);
    }
    if (inputs.config !== DEFAULT_CONFIG) {
        throw new errors_ConfigurationError(`${inputs.config} does not exist (relative to ${root})`, { input: 'config' });
    }
    return discoverServices(root, inputs.discover);
}
/** Reads the files a service declares its toolchain in; a file that is a link out of the repository is not read. */
function serviceFileReader(top, directory) {
    return (name) => {
        const file = (0,external_node_path_namespaceObject.resolve)(directory, name);
        if (!(0,external_node_fs_namespaceObject.existsSync)(file))
            return undefined;
        const real = (0,external_node_fs_namespaceObject.realpathSync)(file);
        if (!isInside(top, real) || !(0,external_node_fs_namespaceObject.statSync)(real).isFile())
            return undefined;
        return (0,external_node_fs_namespaceObject.readFileSync)(real, 'utf8');
    };
}
const isInside = (directory, path) => {
    const rest = (0,external_node_path_namespaceObject.relative)(directory, path);
    return rest !== '' && !rest.startsWith('..') && !(0,external_node_path_namespaceObject.isAbsolute)(rest);
};
async function runDetectChangedServices(runtime) {
    const inputs = parseInputs(runtime.inputs);
    const workspace = runtime.github.workspace;
    const root = (0,external_node_path_namespaceObject.resolve)(workspace, inputs['working-directory']);
    if (!(0,external_node_fs_namespaceObject.existsSync)(root) || !(0,external_node_fs_namespaceObject.statSync)(root).isDirectory()) {
        throw new errors_ConfigurationError(`${root} is not a directory`, { input: 'working-directory' });
    }
    const git = new GitHistory({
        cwd: root,
        exec: runtime.exec,
        log: (message) => runtime.log.info(message),
        fetchTimeoutMs: inputs['fetch-timeout'],
        sleep: (ms) => runtime.clock.sleep(ms),
    });
    const plan = planComparison({ base: inputs.base, head: inputs.head, forceAll: inputs['force-all'] }, {
        eventName: runtime.github.eventName,
        payload: runtime.github.payload,
        ref: runtime.github.ref,
        sha: runtime.github.sha,
        defaultBranch: runtime.github.defaultBranch,
    });
    // git works on the likely comparison while the manifest is read below.
    const likely = likelyComparison(plan);
    if (likely !== undefined)
        git.prefetch(...likely);
    const top = await git.topLevel();
    if (top === undefined) {
        throw new errors_ConfigurationError(`${root} is not inside a git repository (check out the repository first)`, {
            input: 'working-directory',
        });
    }
    const manifest = await loadManifest(inputs, root, workspace, top);
    if (manifest.discovered)
        logDiscovery(runtime, manifest);
    const matcher = buildMatcher(manifest);
    if (inputs.head !== 'HEAD' && (await git.ensureCommit(inputs.head)) === undefined) {
        throw new errors_ConfigurationError(`'${inputs.head}' is not a commit, branch or tag of the repository`, {
            input: 'head',
        });
    }
    const serviceNames = new Set(manifest.services.map((service) => service.name));
    const comparison = await resolveComparison(plan, git, serviceNames);
    if (comparison.kind === 'all' && comparison.warning !== undefined) {
        runtime.log.warning(escapeUntrusted(comparison.warning));
    }
    let selection;
    let changedFiles = 0;
    const pushed = inputs['force-all'] ? undefined : pushedRange(runtime.github.eventName, runtime.github.payload);
    if (pushed !== undefined && (await readDeployCommits(git, ...pushed)).all) {
        runtime.log.info(`The push holds only deploy commits (${DEPLOY_TRAILER} trailer): no service is selected`);
        selection = { selected: [], all: false, globalPaths: [] };
    }
    else if (comparison.kind === 'diff') {
        const files = await withoutDeployCommits(runtime, git, comparison, await git.changedFiles(comparison.base, comparison.head));
        changedFiles = files.length;
        runtime.log.info(`Comparing ${shortSha(comparison.base)}..${shortSha(comparison.head)} (${escapeUntrusted(comparison.label)}): ` +
            `${files.length} changed file(s)`);
        const paths = changedPaths(files);
        const edits = await manifestEdits(runtime, git, manifest, { base: comparison.base, paths, top, root, inputs });
        selection =
            typeof edits === 'string'
                ? selectAll(manifest, edits)
                : selectServices(manifest, matcher, paths, {
                    includeDependents: inputs['include-dependents'],
                    changedEntries: edits,
                });
    }
    else if (comparison.kind === 'service') {
        selection = selectOne(manifest, comparison.service, comparison.reason);
    }
    else {
        selection = selectAll(manifest, comparison.reason);
    }
    logSelection(runtime, selection, manifest);
    const names = selection.selected.map(({ service }) => service.name);
    runtime.setOutput('services', names);
    const realTop = (0,external_node_fs_namespaceObject.realpathSync)(top);
    const matrix = selection.selected.map((selected) => matrixEntry({
        ...selected,
        toolchain: detectToolchain(selected.service.toolchain, serviceFileReader(realTop, (0,external_node_path_namespaceObject.resolve)(root, selected.service.path))),
    }));
    runtime.setOutput('matrix', { include: matrix });
    runtime.setOutput('any-changed', names.length > 0);
    runtime.setOutput('all', selection.all);
    runtime.setOutput('base', comparison.kind === 'diff' ? comparison.base : '');
    runtime.setOutput('head', comparison.head);
    await runtime.appendSummary(renderSummary({ manifest, comparison, selection, changedFiles }));
}
/**
 * The manifest entries a change edited, when the manifest file is among the changed paths: its text at the
 * compared base against now. A base manifest that does not parse selects every service: the reason why.
 */
async function manifestEdits(runtime, git, manifest, at) {
    if (manifest.discovered)
        return new Map();
    const path = (0,external_node_path_namespaceObject.relative)((0,external_node_fs_namespaceObject.realpathSync)(at.top), (0,external_node_fs_namespaceObject.realpathSync)((0,external_node_path_namespaceObject.resolve)(at.root, at.inputs.config)));
    if (!at.paths.includes(path))
        return new Map();
    const text = await git.fileAt(at.base, path);
    try {
        return changedEntries(text === undefined ? undefined : await parseManifest(text, manifest.file), manifest);
    }
    catch (error) {
        if (!(error instanceof errors_ConfigurationError))
            throw error;
        runtime.log.warning(`${escapeUntrusted(manifest.file)} at ${shortSha(at.base)} does not parse, so every service is selected: ${escapeUntrusted(error.message)}`);
        return `${manifest.file} did not parse at ${shortSha(at.base)}`;
    }
}
/** The changed files less those only deploy commits changed: a deploy's overlays select no service. */
async function withoutDeployCommits(runtime, git, comparison, files) {
    const deploys = await readDeployCommits(git, comparison.base, comparison.head);
    if (deploys.onlyTheirs.size === 0)
        return files;
    const kept = files.filter((file) => !deploys.onlyTheirs.has(file.path));
    runtime.log.info(`${deploys.count} deploy commit(s) (${DEPLOY_TRAILER} trailer) changed ${files.length - kept.length} file(s) ` +
        'no other commit changed: those select no service');
    return kept;
}
/** What discovery found, and which folders it matched that hold no Dockerfile: nothing is dropped silently. */
function logDiscovery(runtime, manifest) {
    const found = manifest.services.map((service) => `${service.name} (${service.dockerfile})`);
    runtime.log.info(`Discovered ${manifest.services.length} service(s) with ${escapeUntrusted(manifest.file)}: ${escapeUntrusted(found.join(', ')) || 'none'}`);
    const unmatched = manifest.unmatched ?? [];
    if (unmatched.length > 0) {
        runtime.log.warning(`discover '${escapeUntrusted(manifest.file)}' matched ${unmatched.length} folder(s) with no Dockerfile at any depth, not services: ${escapeUntrusted(unmatched.join(', '))}`);
    }
}
function logSelection(runtime, selection, manifest) {
    runtime.log.info(`Selected ${selection.selected.length} of ${manifest.services.length} services`);
    if (selection.selected.length === 0)
        return;
    const lines = selection.selected.map(({ service, reasons }) => {
        // Reasons quote changed files, whose names the repository's authors choose.
        const shown = reasons.slice(0, 3).map(escapeUntrusted).join('; ');
        return `  ${service.name}: ${shown}${reasons.length > 3 ? '; ...' : ''}`;
    });
    // One write for thousands of lines, not one each.
    runtime.log.info(lines.join('\n'));
}

;// CONCATENATED MODULE: ./packages/detect-changed-services/src/action.ts
// The step itself: what dist/detect-changed-services runs, and the entry @github/local-action calls.


const run = () => runAction(runDetectChangedServices);


/***/ }),

/***/ 181:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("buffer");

/***/ }),

/***/ 932:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("process");

/***/ }),

/***/ 7428:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  getExecOutput: () => (/* binding */ getExecOutput)
});

// UNUSED EXPORTS: exec

;// CONCATENATED MODULE: external "string_decoder"
const external_string_decoder_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("string_decoder");
;// CONCATENATED MODULE: external "os"
const external_os_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("os");
;// CONCATENATED MODULE: external "events"
const external_events_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("events");
;// CONCATENATED MODULE: external "child_process"
const external_child_process_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("child_process");
;// CONCATENATED MODULE: external "path"
const external_path_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("path");
;// CONCATENATED MODULE: external "assert"
const external_assert_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("assert");
;// CONCATENATED MODULE: external "fs"
const external_fs_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("fs");
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


const { chmod, copyFile, lstat, mkdir, open: io_util_open, readdir, rename, rm, rmdir, stat, symlink, unlink } = external_fs_namespaceObject.promises;
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
const READONLY = external_fs_namespaceObject.constants.O_RDONLY;
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
class ToolRunner extends external_events_namespaceObject.EventEmitter {
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
            let n = s.indexOf(external_os_namespaceObject.EOL);
            while (n > -1) {
                const line = s.substring(0, n);
                onLine(line);
                // the rest of the string ...
                s = s.substring(n + external_os_namespaceObject.EOL.length);
                n = s.indexOf(external_os_namespaceObject.EOL);
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
                    optionsNonNull.outStream.write(this._getCommandString(optionsNonNull) + external_os_namespaceObject.EOL);
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
class ExecState extends external_events_namespaceObject.EventEmitter {
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
        const stdoutDecoder = new external_string_decoder_namespaceObject.StringDecoder('utf8');
        const stderrDecoder = new external_string_decoder_namespaceObject.StringDecoder('utf8');
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
/******/ var __webpack_exports__ = __nccwpck_require__(5927);
/******/ __webpack_exports__ = await __webpack_exports__;
/******/ 
