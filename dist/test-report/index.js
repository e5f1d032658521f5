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

/***/ 3963:
/***/ ((module, __unused_webpack___webpack_exports__, __nccwpck_require__) => {

__nccwpck_require__.a(module, async (__webpack_handle_async_dependencies__, __webpack_async_result__) => { try {
/* harmony import */ var _shiprail_test_report_action__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(9828);

await (0,_shiprail_test_report_action__WEBPACK_IMPORTED_MODULE_0__/* .run */ .e)();

__webpack_async_result__();
} catch(e) { __webpack_async_result__(e); } }, 1);

/***/ }),

/***/ 9828:
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




















;// CONCATENATED MODULE: ./packages/test-report/src/xml.ts
// test-report's XML reader: XML 1.0 as test and coverage reports use it, read strictly. Elements,
// attributes, text, CDATA; comments, processing instructions, the XML declaration and a DOCTYPE without
// an internal subset are skipped. Entity declarations are refused outright (the "billion laughs"
// expansion, external entities): reports never declare entities, so only the five predefined entities and
// character references are decoded. One pass over the text with an explicit stack of open elements: time
// linear in the input and no recursion, whatever the nesting.

/** Parses an XML document; malformed XML is a ConfigurationError at its file and line. Returns the root. */
function xml_parseXml(source, file) {
    return new XmlReader(source, file).read();
}
/** The children named `name`, in document order. */
function children(element, name) {
    return element.children.filter((child) => child.name === name);
}
/** The first child named `name`, if any. */
function firstChild(element, name) {
    return element.children.find((child) => child.name === name);
}
// Character codes the reader compares with.
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const EXCLAMATION_MARK = 0x21;
const DOUBLE_QUOTE = 0x22;
const NUMBER_SIGN = 0x23;
const AMPERSAND = 0x26;
const SINGLE_QUOTE = 0x27;
const SLASH = 0x2f;
const SEMICOLON = 0x3b;
const LESS_THAN = 0x3c;
const EQUALS = 0x3d;
const GREATER_THAN = 0x3e;
const QUESTION_MARK = 0x3f;
const OPEN_BRACKET = 0x5b;
const LOWER_X = 0x78;
/** The control characters and non-characters XML excludes (a file read as UTF-8 holds no lone surrogate). */
const ILLEGAL_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
/** The five entities XML predefines; reports declare no others. */
function predefinedEntity(name) {
    switch (name) {
        case 'lt':
            return '<';
        case 'gt':
            return '>';
        case 'amp':
            return '&';
        case 'apos':
            return "'";
        case 'quot':
            return '"';
        default:
            return undefined;
    }
}
const isSpace = (code) => code === SPACE || code === LF || code === TAB || code === CR;
/** XML 1.0 (fifth edition) NameStartChar, by code point. */
function isNameStart(code) {
    if (code < 0x80)
        return (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a) || code === 0x5f || code === 0x3a;
    return ((code >= 0xc0 && code <= 0x2ff && code !== 0xd7 && code !== 0xf7) ||
        (code >= 0x370 && code <= 0x1fff && code !== 0x37e) ||
        code === 0x200c ||
        code === 0x200d ||
        (code >= 0x2070 && code <= 0x218f) ||
        (code >= 0x2c00 && code <= 0x2fef) ||
        (code >= 0x3001 && code <= 0xd7ff) ||
        (code >= 0xf900 && code <= 0xfdcf) ||
        (code >= 0xfdf0 && code <= 0xfffd) ||
        (code >= 0x10000 && code <= 0xeffff));
}
/** XML 1.0 NameChar: a NameStartChar, or `-`, `.`, a digit, `\u00b7`, a combining mark, `\u203f` or `\u2040`. */
function isNameChar(code) {
    return (isNameStart(code) ||
        code === 0x2d ||
        code === 0x2e ||
        (code >= 0x30 && code <= 0x39) ||
        code === 0xb7 ||
        (code >= 0x300 && code <= 0x36f) ||
        code === 0x203f ||
        code === 0x2040);
}
/** XML 1.0 Char, for character references (literal characters are checked once, by ILLEGAL_CHARACTER). */
const isXmlChar = (code) => code === TAB ||
    code === LF ||
    code === CR ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff);
/** A name from the document as an error message quotes it: never longer than a line's worth. */
const quoted = (name) => (name.length > 60 ? `${name.slice(0, 60)}\u2026` : name);
class XmlReader {
    source;
    file;
    /** The offset of the next character to read. */
    position = 0;
    /** The elements open at `position`, outermost first, and the offsets of their `<`. */
    open = [];
    openedAt = [];
    root;
    doctypeSeen = false;
    constructor(source, file) {
        this.source = source;
        this.file = file;
    }
    read() {
        const illegal = ILLEGAL_CHARACTER.exec(this.source);
        if (illegal) {
            const code = illegal[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
            this.fail(`U+${code} is not a character XML allows`, illegal.index);
        }
        if (this.source.charCodeAt(0) === 0xfeff)
            this.position = 1;
        if (this.source.startsWith('<?xml', this.position) && isSpace(this.source.charCodeAt(this.position + 5))) {
            this.skipPast('?>', this.position, 'the XML declaration');
        }
        while (this.position < this.source.length)
            this.step();
        const unclosed = this.open.at(-1);
        if (unclosed)
            this.fail(`<${quoted(unclosed.name)}> is never closed`, this.openedAt.at(-1) ?? 0);
        if (!this.root)
            this.fail('no root element', this.source.length);
        return this.root;
    }
    /** Reads one piece: character data, or markup starting with `<`. */
    step() {
        const { source, position } = this;
        const parent = this.open.at(-1);
        if (source.charCodeAt(position) !== LESS_THAN) {
            if (parent)
                this.characterData(parent);
            else
                this.spaceOutsideRoot();
            return;
        }
        const next = source.charCodeAt(position + 1);
        if (next === SLASH)
            this.endTag();
        else if (next === QUESTION_MARK)
            this.processingInstruction();
        else if (source.startsWith('<!--', position))
            this.comment();
        else if (source.startsWith('<![CDATA[', position))
            this.cdata(parent);
        else if (source.startsWith('<!DOCTYPE', position))
            this.doctype();
        else if (source.startsWith('<!ENTITY', position))
            this.refuseEntities(position);
        else if (next === EXCLAMATION_MARK)
            this.fail(`'<!' starts no comment, CDATA section or DOCTYPE`, position);
        else
            this.startTag(parent);
    }
    /** Text up to the next `<`, references decoded, line breaks normalized to `\n`. */
    characterData(parent) {
        const { source } = this;
        let text = '';
        let start = this.position;
        let index = start;
        while (index < source.length) {
            const code = source.charCodeAt(index);
            if (code === LESS_THAN)
                break;
            if (code === AMPERSAND) {
                text += lineBreaksAsLf(source.slice(start, index));
                this.position = index;
                text += this.reference();
                start = index = this.position;
            }
            else
                index += 1;
        }
        parent.text += text + lineBreaksAsLf(source.slice(start, index));
        this.position = index;
    }
    /** Outside the root element only white space may stand between the markup. */
    spaceOutsideRoot() {
        this.skipSpace();
        if (this.position < this.source.length && this.source.charCodeAt(this.position) !== LESS_THAN) {
            this.fail(this.root ? 'text after the root element' : 'text before the root element', this.position);
        }
    }
    startTag(parent) {
        const start = this.position;
        this.position += 1;
        const name = this.name('an element name');
        const attributes = new Map();
        for (;;) {
            const spaced = this.skipSpace();
            const code = this.source.charCodeAt(this.position);
            const empty = code === SLASH && this.source.charCodeAt(this.position + 1) === GREATER_THAN;
            if (code === GREATER_THAN || empty) {
                this.position += empty ? 2 : 1;
                this.place({ name, attributes, children: [], text: '' }, parent, start, empty);
                return;
            }
            if (this.position >= this.source.length)
                this.fail(`the start tag of <${quoted(name)}> is never closed`, start);
            if (!spaced && isNameStart(code)) {
                this.fail(`attributes of <${quoted(name)}> must be separated by white space`, this.position);
            }
            this.attribute(name, attributes);
        }
    }
    /** Reads `name = "value"` into `attributes`. */
    attribute(element, attributes) {
        const start = this.position;
        const name = this.name(`an attribute name in <${quoted(element)}>`);
        if (attributes.has(name))
            this.fail(`attribute ${quoted(name)} is repeated`, start);
        this.skipSpace();
        if (this.source.charCodeAt(this.position) !== EQUALS) {
            this.fail(`attribute ${quoted(name)} has no '=' and value`, this.position);
        }
        this.position += 1;
        this.skipSpace();
        const quote = this.source.charCodeAt(this.position);
        if (quote !== DOUBLE_QUOTE && quote !== SINGLE_QUOTE) {
            this.fail(`the value of attribute ${quoted(name)} is not quoted`, this.position);
        }
        this.position += 1;
        attributes.set(name, this.attributeValue(quote, name));
    }
    /** An attribute value up to its closing quote: references decoded, literal white space as spaces. */
    attributeValue(quote, name) {
        const { source } = this;
        const opened = this.position - 1;
        let value = '';
        let start = this.position;
        // Tabs and line breaks are the only characters below a space once ILLEGAL_CHARACTER found none.
        let whiteSpace = false;
        let index = start;
        while (index < source.length) {
            const code = source.charCodeAt(index);
            if (code === quote || code === AMPERSAND) {
                const literal = source.slice(start, index);
                value += whiteSpace ? whiteSpaceAsSpaces(literal) : literal;
                this.position = index;
                if (code === quote)
                    break;
                value += this.reference();
                start = index = this.position;
            }
            else {
                if (code < SPACE)
                    whiteSpace = true;
                else if (code === LESS_THAN)
                    this.fail(`'<' in the value of attribute ${quoted(name)}`, index);
                index += 1;
            }
        }
        if (index >= source.length)
            this.fail(`the value of attribute ${quoted(name)} is never closed`, opened);
        this.position += 1;
        return value;
    }
    /** Places a new element: the root, or its parent's last child; an open element until its end tag. */
    place(element, parent, start, empty) {
        if (parent)
            parent.children.push(element);
        else if (this.root)
            this.fail(`a second root element <${quoted(element.name)}>`, start);
        else
            this.root = element;
        if (empty)
            return;
        this.open.push(element);
        this.openedAt.push(start);
    }
    endTag() {
        const start = this.position;
        this.position += 2;
        const name = this.name('an element name');
        this.skipSpace();
        if (this.source.charCodeAt(this.position) !== GREATER_THAN) {
            this.fail(`the end tag </${quoted(name)}> is not closed by '>'`, this.position);
        }
        const element = this.open.pop();
        const openedAt = this.openedAt.pop() ?? 0;
        if (!element)
            this.fail(`</${quoted(name)}> closes no open element`, start);
        if (element.name !== name) {
            const opened = this.lineOf(openedAt);
            this.fail(`</${quoted(name)}> closes <${quoted(element.name)}>, opened on line ${opened}`, start);
        }
        this.position += 1;
    }
    processingInstruction() {
        const start = this.position;
        this.position += 2;
        const target = this.name('a processing instruction target');
        if (target.toLowerCase() === 'xml')
            this.fail('an XML declaration not at the start of the document', start);
        if (!this.source.startsWith('?>', this.position) && !isSpace(this.source.charCodeAt(this.position))) {
            this.fail(`the processing instruction <?${quoted(target)} is malformed`, this.position);
        }
        this.skipPast('?>', start, 'a processing instruction');
    }
    comment() {
        const start = this.position;
        const dashes = this.source.indexOf('--', start + 4);
        if (dashes === -1)
            this.fail('a comment is never closed', start);
        if (this.source.charCodeAt(dashes + 2) !== GREATER_THAN)
            this.fail("'--' inside a comment", dashes);
        this.position = dashes + 3;
    }
    cdata(parent) {
        const start = this.position;
        if (!parent)
            this.fail('a CDATA section outside the root element', start);
        this.position += 9;
        const end = this.skipPast(']]>', start, 'a CDATA section');
        parent.text += lineBreaksAsLf(this.source.slice(start + 9, end));
    }
    /** `<!DOCTYPE name ...>` is skipped; an internal subset `[...]` is refused, as it may declare entities. */
    doctype() {
        const start = this.position;
        if (this.root)
            this.fail('a DOCTYPE after the root element', start);
        if (this.doctypeSeen)
            this.fail('a second DOCTYPE', start);
        this.doctypeSeen = true;
        this.position += 9;
        if (!this.skipSpace())
            this.fail('a DOCTYPE without a name', start);
        this.name('the DOCTYPE name');
        const { source } = this;
        for (let index = this.position; index < source.length; index += 1) {
            const code = source.charCodeAt(index);
            if (code === GREATER_THAN) {
                this.position = index + 1;
                return;
            }
            if (code === DOUBLE_QUOTE || code === SINGLE_QUOTE) {
                index = source.indexOf(code === DOUBLE_QUOTE ? '"' : "'", index + 1);
                if (index === -1)
                    break;
            }
            else if (code === OPEN_BRACKET) {
                const entity = source.indexOf('<!ENTITY', index);
                this.refuseEntities(entity === -1 ? index : entity);
            }
        }
        this.fail('the DOCTYPE is never closed', start);
    }
    refuseEntities(offset) {
        throw new errors_ConfigurationError('declares XML entities (<!ENTITY>), which reports never do; refusing to expand them', {
            file: this.file,
            line: this.lineOf(offset),
        });
    }
    /** `&name;` or `&#...;`: one of the five predefined entities, or a character reference. */
    reference() {
        const start = this.position;
        if (this.source.charCodeAt(start + 1) === NUMBER_SIGN)
            return this.characterReference();
        this.position += 1;
        const name = this.name("an entity name after '&'");
        if (this.source.charCodeAt(this.position) !== SEMICOLON)
            this.fail(`'&${quoted(name)}' is not ended by ';'`, start);
        const value = predefinedEntity(name);
        if (value === undefined) {
            this.fail(`&${quoted(name)}; is not an XML entity (only &lt; &gt; &amp; &apos; &quot; and &#...;)`, start);
        }
        this.position += 1;
        return value;
    }
    /** `&#65;` or `&#x41;`: a character XML allows, however many digits are written. */
    characterReference() {
        const { source } = this;
        const start = this.position;
        const hex = source.charCodeAt(start + 2) === LOWER_X;
        const digits = start + (hex ? 3 : 2);
        let code = 0;
        let index = digits;
        for (; index < source.length; index += 1) {
            const digit = digitValue(source.charCodeAt(index), hex);
            if (digit === -1)
                break;
            code = Math.min(code * (hex ? 16 : 10) + digit, 0x110000);
        }
        if (index === digits || source.charCodeAt(index) !== SEMICOLON) {
            this.fail('a character reference is not &#digits; or &#xhex;', start);
        }
        if (!isXmlChar(code))
            this.fail(`${quoted(source.slice(start, index + 1))} is not a character XML allows`, start);
        this.position = index + 1;
        return String.fromCodePoint(code);
    }
    /** Reads an XML name; a malformed one is an error naming `what` was expected. */
    name(what) {
        const { source } = this;
        const start = this.position;
        let index = start;
        while (index < source.length) {
            const code = source.codePointAt(index) ?? 0;
            if (!(index === start ? isNameStart(code) : isNameChar(code)))
                break;
            index += code > 0xffff ? 2 : 1;
        }
        if (index === start)
            this.fail(`${what} is expected here`, start);
        this.position = index;
        return source.slice(start, index);
    }
    /** Skips white space; tells whether there was any. */
    skipSpace() {
        const start = this.position;
        while (this.position < this.source.length && isSpace(this.source.charCodeAt(this.position)))
            this.position += 1;
        return this.position > start;
    }
    /** Moves past the next `terminator` and returns its offset; an error at `start` when there is none. */
    skipPast(terminator, start, what) {
        const index = this.source.indexOf(terminator, this.position);
        if (index === -1)
            this.fail(`${what} is never closed`, start);
        this.position = index + terminator.length;
        return index;
    }
    lineOf(offset) {
        let line = 1;
        for (let index = 0; index < offset; index += 1)
            if (this.source.charCodeAt(index) === LF)
                line += 1;
        return line;
    }
    fail(reason, offset) {
        throw new errors_ConfigurationError(`malformed XML: ${reason}`, { file: this.file, line: this.lineOf(offset) });
    }
}
function digitValue(code, hex) {
    if (code >= 0x30 && code <= 0x39)
        return code - 0x30;
    if (!hex)
        return -1;
    const lower = code | 0x20;
    return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}
/** XML's end-of-line handling: `\r\n` and a lone `\r` are `\n`. */
const lineBreaksAsLf = (text) => (text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text);
/** XML's attribute-value normalization of literal white space: a tab, `\n`, `\r` or `\r\n` is one space. */
const whiteSpaceAsSpaces = (text) => text.replace(/\r\n?|[\t\n]/g, ' ');

;// CONCATENATED MODULE: ./packages/test-report/src/coverage.ts
// Line coverage from an lcov tracefile (`LF`/`LH` per source file) or a Cobertura XML report
// (`lines-covered`/`lines-valid`, else `line-rate`): the two formats every coverage tool can write.


/** Reads a coverage file, recognised by its content. */
function parseCoverage(content, file) {
    const start = content.replace(/^\uFEFF/, '').trimStart();
    if (start.startsWith('<'))
        return parseCobertura(content, file);
    if (/^(TN|SF|DA|LF|LH|FN|FNDA|FNF|FNH|BRDA|BRF|BRH|VER):/m.test(start))
        return parseLcov(content, file);
    throw new errors_ConfigurationError('is neither an lcov tracefile nor Cobertura XML: give lcov.info (e.g. `coverage lcov`, Jest `--coverageReporters=lcov`) or coverage.xml (e.g. `coverage xml`)', { file });
}
function parseLcov(content, file) {
    let found = 0;
    let hit = 0;
    let records = 0;
    // Per record: LF/LH when present, else counted from DA lines (some writers omit the totals).
    let record = { lf: undefined, lh: undefined, da: 0, daHit: 0 };
    const lines = content.split(/\r?\n/);
    lines.forEach((raw, index) => {
        const line = raw.trim();
        const colon = line.indexOf(':');
        const key = colon === -1 ? line : line.slice(0, colon);
        const value = line.slice(colon + 1);
        if (key === 'LF' || key === 'LH') {
            const count = Number(value);
            if (!Number.isInteger(count) || count < 0) {
                throw new errors_ConfigurationError(`${key} expects a whole number, got '${value}'`, { file, line: index + 1 });
            }
            if (key === 'LF')
                record.lf = count;
            else
                record.lh = count;
        }
        else if (key === 'DA') {
            const hits = Number(value.split(',')[1]);
            record.da += 1;
            if (hits > 0)
                record.daHit += 1;
        }
        else if (key === 'end_of_record') {
            const recordFound = record.lf ?? record.da;
            found += recordFound;
            // coverage.py 6 writes `LF:0` / `LH:1` for an empty file: a record never covers more than it has.
            hit += Math.min(record.lh ?? record.daHit, recordFound);
            records += 1;
            record = { lf: undefined, lh: undefined, da: 0, daHit: 0 };
        }
    });
    if (records === 0)
        throw new errors_ConfigurationError('holds no lcov record (no end_of_record line)', { file });
    return { format: 'lcov', file, linesValid: found, linesCovered: hit, percent: share(hit, found) };
}
function parseCobertura(content, file) {
    const root = xml_parseXml(content, file);
    if (root.name !== 'coverage') {
        throw new errors_ConfigurationError(`is not Cobertura XML: its root element is <${root.name}>, expected <coverage>`, {
            file,
        });
    }
    const valid = wholeNumber(root.attributes.get('lines-valid'));
    const covered = wholeNumber(root.attributes.get('lines-covered'));
    if (valid !== undefined && covered !== undefined) {
        return { format: 'cobertura', file, linesValid: valid, linesCovered: covered, percent: share(covered, valid) };
    }
    const rate = Number(root.attributes.get('line-rate'));
    if (root.attributes.get('line-rate') === undefined || !Number.isFinite(rate) || rate < 0 || rate > 1) {
        const clover = root.attributes.get('clover') !== undefined;
        throw new errors_ConfigurationError(clover
            ? 'is Clover XML, not Cobertura: give lcov.info or a Cobertura coverage.xml'
            : '<coverage> has neither lines-valid/lines-covered nor a line-rate between 0 and 1', { file });
    }
    return { format: 'cobertura', file, linesValid: undefined, linesCovered: undefined, percent: rate * 100 };
}
/** No line to cover is no evidence of coverage: 0 %, so a minimum cannot pass on an empty report. */
const share = (covered, valid) => (valid === 0 ? 0 : Math.min(covered / valid, 1) * 100);
function wholeNumber(value) {
    const parsed = Number(value);
    return value !== undefined && value !== '' && Number.isInteger(parsed) && parsed >= 0 ? parsed : undefined;
}
/** The percentage as the output and summary show it: two decimals, truncated, so 79.996 never reads as 80. */
function formatPercent(percent) {
    return String(Math.floor(percent * 100 + 1e-9) / 100);
}

// EXTERNAL MODULE: ./node_modules/picomatch/index.js
var picomatch = __nccwpck_require__(4006);
var picomatch_default = /*#__PURE__*/__nccwpck_require__.n(picomatch);
;// CONCATENATED MODULE: ./packages/test-report/src/files.ts
// Finding and reading the user's report files, never outside the workspace: globs with `..` or an
// absolute path elsewhere are refused, symbolic links to directories are not followed, and a matched
// file that is a link out of the workspace is an error. Sizes are bounded before anything is read.




/** One report file may hold this much; a 20,000-case JUnit report is about 6 MiB. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;
/** All report files together. */
const MAX_TOTAL_BYTES = 256 * 1024 * 1024;
const MAX_FILES = 10_000;
/** Directories no report glob walks into unless it names them. */
const SKIPPED_DIRECTORIES = new Set(['.git', 'node_modules']);
/** Checks one line of a globs input; relative to the workspace, never leaving it. */
function parseGlob(line, workspace, input) {
    const negated = line.startsWith('!');
    let pattern = (negated ? line.slice(1) : line).trim().replace(/\\/g, '/');
    if ((0,external_node_path_namespaceObject.isAbsolute)(pattern)) {
        const inside = (0,external_node_path_namespaceObject.relative)(workspace, pattern).split(external_node_path_namespaceObject.sep).join('/');
        if (inside === '' || inside.startsWith('../') || inside === '..' || (0,external_node_path_namespaceObject.isAbsolute)(inside)) {
            throw new errors_ConfigurationError(`'${line}' is outside the workspace; give paths relative to it`, { input });
        }
        pattern = inside;
    }
    pattern = pattern.replace(/^(\.\/)+/, '');
    if (pattern.split('/').includes('..')) {
        throw new errors_ConfigurationError(`'${line}' leaves the workspace ('..'); give paths relative to it`, { input });
    }
    if (pattern === '')
        throw new errors_ConfigurationError(`'${line}' names no file`, { input });
    const scan = picomatch_default().scan(pattern);
    if (!scan.isGlob)
        return { pattern, negated, base: pattern, matches: undefined };
    const matcher = picomatch_default()(pattern, { dot: false });
    return { pattern, negated, base: scan.base, matches: (path) => matcher(path) };
}
/** The workspace's view for the location resolver: existing regular files that stay inside it. */
function workspaceFiles(workspace) {
    const root = realRoot(workspace);
    const cache = new Map();
    return {
        root: workspace,
        exists: (path) => {
            const known = cache.get(path);
            if (known !== undefined)
                return known;
            const found = insideWorkspace(root, (0,external_node_path_namespaceObject.join)(workspace, path)) === 'file';
            cache.set(path, found);
            return found;
        },
    };
}
function realRoot(workspace) {
    try {
        return (0,external_node_fs_namespaceObject.realpathSync)(workspace);
    }
    catch {
        throw new errors_ConfigurationError(`the workspace ${workspace} does not exist`);
    }
}
/** 'file' for a regular file whose real path is inside the workspace, 'outside' for a link out, else 'none'. */
function insideWorkspace(root, path) {
    // Most candidates the location resolver asks about do not exist: answer those without an exception.
    if ((0,external_node_fs_namespaceObject.lstatSync)(path, { throwIfNoEntry: false }) === undefined)
        return 'none';
    try {
        const real = (0,external_node_fs_namespaceObject.realpathSync)(path);
        if (real !== root && !real.startsWith(root + external_node_path_namespaceObject.sep))
            return 'outside';
        return (0,external_node_fs_namespaceObject.statSync)(real).isFile() ? 'file' : 'none';
    }
    catch {
        return 'none';
    }
}
/**
 * The workspace-relative files the globs match, sorted: every positive glob must match a file, `!globs`
 * take files away.
 */
function expandGlobs(lines, workspace, input) {
    const root = realRoot(workspace);
    const globs = lines.map((line) => parseGlob(line, workspace, input));
    const selected = new Set();
    for (const glob of globs.filter((entry) => !entry.negated)) {
        const found = matchGlob(glob, workspace);
        if (found.length === 0)
            throw new errors_ConfigurationError(`no file matches '${glob.pattern}'`, { input });
        for (const file of found)
            selected.add(file);
    }
    for (const glob of globs.filter((entry) => entry.negated)) {
        const excluded = glob.matches ?? ((file) => file === glob.pattern);
        for (const file of [...selected])
            if (excluded(file))
                selected.delete(file);
    }
    for (const file of selected) {
        if (insideWorkspace(root, (0,external_node_path_namespaceObject.join)(workspace, file)) === 'outside') {
            throw new errors_ConfigurationError(`'${file}' is a symbolic link out of the workspace`, { input });
        }
    }
    if (selected.size > MAX_FILES) {
        throw new errors_ConfigurationError(`match ${selected.size} files; test-report reads at most ${MAX_FILES}`, { input });
    }
    return [...selected].sort();
}
function matchGlob(glob, workspace) {
    if (glob.matches === undefined) {
        const stat = lstatSafe((0,external_node_path_namespaceObject.join)(workspace, glob.pattern));
        return stat && (stat.isFile() || stat.isSymbolicLink()) ? [glob.pattern] : [];
    }
    const matches = glob.matches;
    const walkInto = (name) => !SKIPPED_DIRECTORIES.has(name) || glob.pattern.includes(name);
    const found = [];
    const walk = (directory) => {
        let entries;
        try {
            entries = (0,external_node_fs_namespaceObject.readdirSync)((0,external_node_path_namespaceObject.join)(workspace, directory), { withFileTypes: true });
        }
        catch {
            return;
        }
        for (const entry of entries) {
            const path = directory === '' ? entry.name : `${directory}/${entry.name}`;
            if (entry.isDirectory()) {
                if (walkInto(entry.name))
                    walk(path);
            }
            else if ((entry.isFile() || entry.isSymbolicLink()) && matches(path)) {
                found.push(path);
            }
        }
    };
    walk(glob.base);
    return found;
}
function lstatSafe(path) {
    try {
        return (0,external_node_fs_namespaceObject.lstatSync)(path);
    }
    catch {
        return undefined;
    }
}
const mebibytes = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
/** Reads report files within the size bounds; each error names the file. */
class BoundedReader {
    total = 0;
    workspace;
    constructor(workspace) {
        this.workspace = workspace;
    }
    read(file) {
        const path = (0,external_node_path_namespaceObject.join)(this.workspace, file);
        const size = (0,external_node_fs_namespaceObject.statSync)(path).size;
        if (size > MAX_FILE_BYTES) {
            throw new errors_ConfigurationError(`is ${mebibytes(size)}; test-report reads files up to ${mebibytes(MAX_FILE_BYTES)}`, {
                file,
            });
        }
        this.total += size;
        if (this.total > MAX_TOTAL_BYTES) {
            throw new errors_ConfigurationError(`brings the reports to over ${mebibytes(MAX_TOTAL_BYTES)}, the most test-report reads in one step`, { file });
        }
        return (0,external_node_fs_namespaceObject.readFileSync)(path, 'utf8');
    }
}

;// CONCATENATED MODULE: ./packages/test-report/src/inputs.ts

function parseInputs(parser) {
    const inputs = {
        reports: parser.list('reports'),
        coverage: parser.string('coverage'),
        'min-coverage': parser.number('min-coverage', 0, { min: 0, max: 100 }),
        name: parser.string('name', 'Tests'),
    };
    if (inputs.reports.length === 0 && inputs.coverage === '') {
        throw new errors_ConfigurationError('give JUnit XML globs here, a coverage file, or both', { input: 'reports' });
    }
    if (inputs['min-coverage'] > 0 && inputs.coverage === '') {
        throw new errors_ConfigurationError(`is ${inputs['min-coverage']} but no coverage file is given`, {
            input: 'min-coverage',
        });
    }
    return inputs;
}

;// CONCATENATED MODULE: ./packages/test-report/src/locations.ts
// Where a failed test failed, as a workspace-relative file and line: from the failure text (V8 stack
// frames, pytest's `path:line:` lines, Python tracebacks, Java and .NET frames, Go's `file_test.go:12:`
// lines and panic frames) or
// from the report's `file`/`line` attributes. A location is only ever a file that exists inside the
// workspace: anything else (a dependency, a path from another machine that matches nothing) is dropped.

const V8_FRAME = /^\s*at (?:.*?\()?((?:file:\/\/)?[^\s()]+?):(\d+):\d+\)?\s*$/gm;
const PYTHON_TRACEBACK = /^\s*File "([^"\n]+)", line (\d+)/gm;
const PATH_LINE = /^\s*([^\s:"'()<>]+\.[A-Za-z0-9]+):(\d+):/gm;
/** .NET: `   at Shop.Tests.CalcTests.Divides() in /home/runner/work/shop/shop/tests/CalcTests.cs:line 21`. */
const DOTNET_FRAME = /^\s*at .+? in (.+?):line (\d+)\s*$/gm;
/** A Go panic's frame: a tab, the absolute file, the line, the program counter offset. */
const GO_FRAME = /^\t(\S+\.go):(\d+)(?: \+0x[0-9a-f]+)?$/gm;
const JAVA_FRAME = /^\s*at (?:[\w.$-]+(?:@[\w.-]+)?\/+)?([\w$.]+)\.[\w$<>-]+\(([\w$-]+\.(?:java|kt|groovy|scala)):(\d+)\)/gm;
/**
 * Every location in a failure text, innermost (nearest the failure) first: stack frames are innermost
 * first, Python prints the innermost last.
 */
function textLocations(details) {
    const found = (pattern, build) => [...details.matchAll(pattern)].map(build);
    const python = [
        ...found(PYTHON_TRACEBACK, (m) => ({ path: m[1] ?? '', line: Number(m[2]) })),
        ...found(PATH_LINE, (m) => ({ path: m[1] ?? '', line: Number(m[2]) })).filter((l) => l.path.endsWith('.py')),
    ];
    const plain = found(PATH_LINE, (m) => ({ path: m[1] ?? '', line: Number(m[2]) })).filter((l) => !l.path.endsWith('.py'));
    return [
        ...found(V8_FRAME, (m) => ({ path: (m[1] ?? '').replace(/^file:\/\//, ''), line: Number(m[2]) })),
        ...found(JAVA_FRAME, (m) => ({ path: m[2] ?? '', line: Number(m[3]), className: m[1] ?? '' })),
        ...found(DOTNET_FRAME, (m) => ({ path: m[1] ?? '', line: Number(m[2]) })),
        ...found(GO_FRAME, (m) => ({ path: m[1] ?? '', line: Number(m[2]) })),
        ...plain,
        ...python.reverse(),
    ].filter((location) => location.line > 0);
}
/** Third-party code: never where a user's test failed. */
const DEPENDENCY_DIRECTORY = /(^|\/)(node_modules|site-packages|dist-packages|\.venv|venv|\.tox|vendor)\//;
/**
 * Finds the workspace file a path from a report means. `bases` are the directories the tool may have run
 * in (the report's directory and its parents, deepest first); `packageDirectories` are directories the
 * test's class or package suggests (Go import paths, Java packages).
 */
function resolvePath(path, files, bases, packageDirectories = []) {
    // Windows paths (`C:\agent\_work\1\s\...`) are absolute paths from another machine.
    const normalised = path.replace(/\\/g, '/').replace(/^[A-Za-z]:(?=\/)/, '');
    const candidates = [];
    if (external_node_path_namespaceObject.posix.isAbsolute(normalised)) {
        const root = files.root.replace(/\\/g, '/').replace(/\/$/, '');
        if (normalised.startsWith(`${root}/`))
            candidates.push(normalised.slice(root.length + 1));
        // A path from another machine or a container: the longest tail that names a workspace file.
        const parts = normalised.split('/').filter((part) => part !== '');
        for (let start = 1; start < parts.length; start += 1)
            candidates.push(parts.slice(start).join('/'));
    }
    else {
        for (const base of bases)
            candidates.push(external_node_path_namespaceObject.posix.join(base, normalised));
        if (!normalised.includes('/')) {
            for (const directory of packageDirectories)
                candidates.push(external_node_path_namespaceObject.posix.join(directory, normalised));
        }
    }
    return candidates
        .map((candidate) => external_node_path_namespaceObject.posix.normalize(candidate))
        .find((candidate) => candidate !== '.' &&
        !candidate.startsWith('../') &&
        candidate !== '..' &&
        !external_node_path_namespaceObject.posix.isAbsolute(candidate) &&
        !DEPENDENCY_DIRECTORY.test(candidate) &&
        files.exists(candidate));
}
/** The report's directory and every parent up to the workspace root, deepest first. */
function baseDirectories(reportFile) {
    const bases = [];
    for (let directory = external_node_path_namespaceObject.posix.dirname(reportFile);; directory = external_node_path_namespaceObject.posix.dirname(directory)) {
        bases.push(directory);
        if (directory === '.' || directory === '/' || directory === '')
            break;
    }
    return bases;
}
/** Java and Kotlin sources under a module directory (Maven and Gradle layouts). */
const JVM_SOURCE_ROOTS = ['src/test/java', 'src/test/kotlin', 'src/main/java', 'src/main/kotlin', 'src/test/groovy'];
/**
 * Directories a Go test's package suggests, for the bare file names Go prints (`calc_test.go:12:`): the
 * tails of its import path (`github.com/acme/shop/pkg/calc` \u2192 `shop/pkg/calc`, `pkg/calc`, \u2026) under
 * each base directory. Java packages are found by `classFiles`.
 */
function packageDirectories(testCase, bases) {
    const classname = testCase.classname || testCase.suite;
    if (!classname.includes('/') || /\s/.test(classname))
        return [];
    const parts = classname.split('/').filter((part) => part !== '' && part !== '..' && part !== '.');
    const tails = parts.map((_, start) => parts.slice(start).join('/'));
    return bases.flatMap((base) => tails.map((tail) => external_node_path_namespaceObject.posix.join(base, tail)));
}
/** Test files by the names test runners look for: preferred over the code under test they call. */
const TEST_FILE = /(^|\/)(tests?|__tests__|spec)\/|[._-](test|spec)\.[^/]+$|(^|\/)test_[^/]+$|_test\.[^/]+$|Tests?\.(cs|fs|vb)$/;
/** Source files a dotted class name may live in: `tests.test_calc.TestMean` \u2192 `tests/test_calc.py`, \u2026 */
function classFiles(classname, bases) {
    if (!/^[\w$]+(\.[\w$]+)*$/.test(classname))
        return [];
    const parts = classname.replace(/\$.*$/, '').split('.');
    const files = [];
    for (let length = parts.length; length >= 1; length -= 1) {
        files.push(`${parts.slice(0, length).join('/')}.py`);
    }
    const javaPath = parts.join('/');
    for (const base of bases) {
        for (const root of JVM_SOURCE_ROOTS) {
            for (const extension of ['java', 'kt'])
                files.push(external_node_path_namespaceObject.posix.join(base, root, `${javaPath}.${extension}`));
        }
    }
    return files;
}
/**
 * The file and line an annotation for a failed test points at. Preference: a frame in the test's own
 * file (nearest the failure), then the nearest frame in any workspace file, then the report's
 * `file`/`line` attributes, then the test's own file without a line.
 */
function locateFailure(testCase, reportFile, files) {
    const bases = baseDirectories(reportFile);
    const packages = packageDirectories(testCase, bases);
    const own = ownFile(testCase, bases, files);
    const frames = textLocations(testCase.details)
        .map((location) => ({ location, file: resolveFrame(location, files, bases, packages) }))
        .filter((frame) => frame.file !== undefined);
    const chosen = (own === undefined ? undefined : frames.find((frame) => frame.file === own)) ??
        frames.find((frame) => TEST_FILE.test(frame.file)) ??
        frames[0];
    if (chosen)
        return { file: chosen.file, line: chosen.location.line };
    if (testCase.file !== undefined) {
        const file = resolvePath(testCase.file, files, bases);
        if (file !== undefined)
            return { file, line: testCase.line };
    }
    return own === undefined ? undefined : { file: own, line: undefined };
}
function resolveFrame(location, files, bases, packages) {
    if (location.className === undefined)
        return resolvePath(location.path, files, bases, packages);
    const directory = location.className.replace(/\$.*$/, '').split('.').slice(0, -1).join('/');
    const candidates = classFiles(location.className.replace(/\$.*$/, ''), bases).filter((file) => external_node_path_namespaceObject.posix.basename(file) === location.path && file.includes(directory));
    return candidates.map((file) => resolvePath(file, files, ['.'])).find((file) => file !== undefined);
}
/** The test's own source file: its `file` attribute, its suite's, or what its class name says. */
function ownFile(testCase, bases, files) {
    if (testCase.file !== undefined)
        return resolvePath(testCase.file, files, bases);
    for (const file of classFiles(testCase.classname, bases)) {
        const resolved = resolvePath(file, files, file.endsWith('.py') ? bases : ['.']);
        if (resolved !== undefined)
            return resolved;
    }
    return undefined;
}

;// CONCATENATED MODULE: ./packages/test-report/src/go-test-json.ts
// `go test -json` output (cmd/test2json events, one JSON object a line), read in one pass: a suite per
// package, a case per test and subtest (`TestAbs/negative`), the test's own output as its failure text
// (Go's `file_test.go:12: message` lines and panic traces, which the locator reads). A test run again in
// the same stream (gotestsum --rerun-fails appends reruns to its file) that passes after failing is
// flaky. A package that fails with no failing test (a build failure, a panic outside a test, a crash) gets
// a case of its own, so that no failure goes unreported. Lines that are not events are what Go wrote
// to stderr when it is captured too (`2>&1`): Go before 1.24 writes build failures there
// (`# pkg`, the compiler's `file.go:7:3: message` lines, then `FAIL\tpkg [build failed]`); Go 1.24 and
// later write them as `build-output` / `build-fail` events and a `FailedBuild` field.

/** Lines test2json passes through that say nothing about the failure: framing and verdict lines. */
const FRAMING = /^\s*(=== (RUN|PAUSE|CONT|NAME)\s|--- (PASS|FAIL|SKIP):\s)|^(PASS|FAIL|ok\s.*|FAIL\s.*|\?\s.*)$/;
/** `# example.com/shop/broken [example.com/shop/broken.test]`: the header of a package's compiler output. */
const BUILD_HEADER = /^# (\S+)(?: \[[^\]]*\])?$/;
/** `FAIL\texample.com/shop/broken [build failed]` (or `[setup failed]`). */
const BUILD_FAILED = /^FAIL\s+(\S+) \[(build|setup) failed\]$/;
/** `    calc_test.go:14: message`: where t.Error, t.Fatal, t.Log and t.Skip were called. */
const GO_LOCATION_LINE = /^\s*[^\s:]+\.go:\d+: ?(.*)$/;
/** Reads one `go test -json` stream. Throws ConfigurationError when it holds no event at all. */
function parseGoTestJson(text, file) {
    const reader = new GoTestReader();
    let events = 0;
    let lineNumber = 0;
    for (let start = 0; start < text.length;) {
        const newline = text.indexOf('\n', start);
        const end = newline === -1 ? text.length : newline;
        const line = text.charCodeAt(end - 1) === 0x0d ? text.slice(start, end - 1) : text.slice(start, end);
        lineNumber += 1;
        start = end + 1;
        const event = line.startsWith('{') ? parseEvent(line) : undefined;
        if (event) {
            events += 1;
            reader.event(event);
        }
        else if (line.trim() !== '' && reader.plainLine(line)) {
            events += 1;
        }
    }
    if (events === 0) {
        throw new errors_ConfigurationError(`is not a JUnit XML or TRX report, nor \`go test -json\` output: no test event in its ${lineNumber} line${lineNumber === 1 ? '' : 's'}`, { file });
    }
    return reader.suites(file);
}
function parseEvent(line) {
    try {
        const value = JSON.parse(line);
        return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
    }
    catch {
        return undefined;
    }
}
const importPath = (value) => value.replace(/ \[[^\]]*\]$/, '');
class GoTestReader {
    packages = new Map();
    /** The package whose compiler output the plain lines now belong to. */
    buildBlock;
    event(event) {
        const action = event.Action ?? '';
        if (action === 'build-output' || action === 'build-fail') {
            const target = this.package(importPath(event.ImportPath ?? ''));
            if (action === 'build-fail')
                target.buildFailed = true;
            else if (event.Output !== undefined)
                target.buildOutput.push(event.Output.replace(/\n$/, ''));
            return;
        }
        if (event.Package === undefined)
            return;
        const target = this.package(event.Package);
        if (event.FailedBuild !== undefined)
            this.package(importPath(event.FailedBuild)).buildFailed = true;
        if (event.Test === undefined)
            this.packageEvent(target, action, event);
        else
            this.testEvent(target, event.Test, action, event);
    }
    /** A line that is not an event; true when it is one Go writes (a build failure's header or verdict). */
    plainLine(line) {
        const failed = BUILD_FAILED.exec(line);
        if (failed) {
            this.package(failed[1] ?? '').buildFailed = true;
            this.buildBlock = undefined;
            return true;
        }
        const header = BUILD_HEADER.exec(line);
        if (header) {
            this.buildBlock = this.package(header[1] ?? '');
            return true;
        }
        this.buildBlock?.buildOutput.push(line);
        return false;
    }
    package(name) {
        let found = this.packages.get(name);
        if (!found) {
            found = {
                name,
                tests: new Map(),
                output: [],
                status: undefined,
                elapsed: 0,
                buildOutput: [],
                buildFailed: false,
            };
            this.packages.set(name, found);
        }
        return found;
    }
    packageEvent(target, action, event) {
        if (action === 'output' && event.Output !== undefined)
            keepOutput(target.output, event.Output);
        const status = finalStatus(action);
        if (status !== undefined) {
            target.status = status;
            target.elapsed = event.Elapsed ?? 0;
        }
    }
    testEvent(target, name, action, event) {
        let test = target.tests.get(name);
        if (!test) {
            test = { name, attempts: [] };
            target.tests.set(name, test);
        }
        let attempt = test.attempts[test.attempts.length - 1];
        // A `run` of a test that already finished is a rerun: a new attempt.
        if (!attempt || (action === 'run' && attempt.status !== undefined)) {
            attempt = { status: undefined, elapsed: 0, output: [] };
            test.attempts.push(attempt);
        }
        if (action === 'output' && event.Output !== undefined)
            keepOutput(attempt.output, event.Output);
        const status = finalStatus(action);
        if (status !== undefined) {
            attempt.status = status;
            attempt.elapsed = event.Elapsed ?? 0;
        }
    }
    /** A suite per package that ran a test or failed; packages without test files are left out. */
    suites(file) {
        const suites = [...this.packages.values()].map((goPackage) => {
            const cases = [...goPackage.tests.values()].map((test) => testCase(goPackage.name, test));
            for (const parent of cases)
                explainParent(parent, cases);
            const packageFailure = packageCase(goPackage, cases);
            if (packageFailure)
                cases.push(packageFailure);
            const count = (status) => cases.filter((entry) => entry.status === status).length;
            return {
                name: goPackage.name,
                report: file,
                tests: cases.length,
                failures: count('failed'),
                errors: count('error'),
                skipped: count('skipped'),
                time: goPackage.elapsed,
                file: undefined,
                cases,
            };
        });
        return suites.filter((suite) => suite.cases.length > 0);
    }
}
function finalStatus(action) {
    if (action === 'pass')
        return 'passed';
    if (action === 'fail')
        return 'failed';
    if (action === 'skip')
        return 'skipped';
    return undefined;
}
/** Keeps an output line unless it is test2json's framing: most lines of a passing run are, so they are never stored. */
function keepOutput(lines, output) {
    const line = output.endsWith('\n') ? output.slice(0, -1) : output;
    if (!FRAMING.test(line))
        lines.push(line);
}
/** The output kept, as one text. */
function meaningfulOutput(lines) {
    return lines.join('\n').replace(/^\n+|\s+$/g, '');
}
/** What a reader sees first: the first `file.go:N:` message, else the first line. */
function firstMessage(text) {
    const lines = text.split('\n');
    for (const line of lines) {
        const located = GO_LOCATION_LINE.exec(line);
        if (located)
            return (located[1] ?? '').trim();
    }
    return lines.find((line) => line.trim() !== '')?.trim() ?? '';
}
function testCase(packageName, test) {
    const last = test.attempts[test.attempts.length - 1];
    // A test that started but never finished: the test binary exited under it (os.Exit, a crash, a timeout).
    const status = last.status ?? 'error';
    const text = meaningfulOutput(last.output);
    const failing = status === 'failed' || status === 'error';
    const shown = status === 'skipped' || failing;
    return {
        suite: packageName,
        classname: packageName,
        name: test.name,
        status,
        time: last.elapsed,
        message: last.status === undefined
            ? 'did not finish: the test binary exited while it ran'
            : shown
                ? firstMessage(text)
                : '',
        details: shown ? text : '',
        type: last.status === undefined ? 'unfinished' : '',
        file: undefined,
        line: undefined,
        output: shown ? '' : text,
        flaky: status === 'passed' && test.attempts.some((attempt) => attempt.status === 'failed'),
    };
}
/** A test that failed without a word of its own failed through its subtests: say which. */
function explainParent(parent, cases) {
    if (parent.status !== 'failed' || parent.details !== '')
        return;
    const failed = cases.filter((entry) => entry.status === 'failed' && entry.name.startsWith(`${parent.name}/`));
    if (failed.length > 0)
        parent.message = `subtest ${failed.map((entry) => entry.name).join(', ')} failed`;
}
/** The package's own failure when none of its tests accounts for it: a build failure, a crash, TestMain. */
function packageCase(goPackage, cases) {
    const base = {
        suite: goPackage.name,
        classname: goPackage.name,
        time: goPackage.elapsed,
        type: '',
        file: undefined,
        line: undefined,
        output: '',
        flaky: false,
    };
    if (goPackage.buildFailed) {
        const details = goPackage.buildOutput.join('\n').trim();
        return {
            ...base,
            name: '[build failed]',
            status: 'error',
            message: details === '' ? 'the package did not build (its compiler output went to stderr)' : firstLine(details),
            details,
            type: 'build failed',
        };
    }
    if (goPackage.status !== 'failed' || cases.some((entry) => entry.status === 'failed' || entry.status === 'error')) {
        return undefined;
    }
    const details = meaningfulOutput(goPackage.output);
    return {
        ...base,
        name: '[package]',
        status: 'error',
        message: details === '' ? 'the package failed outside any test' : firstLine(details),
        details,
    };
}
const firstLine = (text) => text.split('\n', 1)[0]?.trim() ?? '';

;// CONCATENATED MODULE: ./packages/test-report/src/junit.ts
// JUnit XML as the common tools write it: pytest (xunit1 and xunit2), Jest's jest-junit, Maven Surefire,
// Gradle / JUnit 5, go-junit-report, Node's test runner. A `<testsuites>` root or a bare `<testsuite>`, suites
// nested or not; Node puts top-level tests straight under `<testsuites>`.


/** Reads one JUnit XML report. Throws ConfigurationError (file and line) when it is not one. */
function parseJUnit(xml, file) {
    return readJUnit(parseXml(xml, file), file);
}
/** Reads a parsed JUnit XML document. */
function readJUnit(root, file) {
    if (root.name !== 'testsuites' && root.name !== 'testsuite') {
        throw new errors_ConfigurationError(`is not a test report: its root element is <${root.name}>, expected <testsuites> or <testsuite> (JUnit XML) or <TestRun> (TRX)`, { file });
    }
    const suites = [];
    if (root.name === 'testsuites' && firstChild(root, 'testcase')) {
        suites.push(readSuite(root, file, undefined));
    }
    // Each suite, then those nested in it, in document order; a stack of its own rather than recursion, as a
    // report may nest suites as deep as it likes.
    const outermost = root.name === 'testsuite' ? [root] : children(root, 'testsuite');
    const pending = outermost.reverse().map((element) => ({ element, inheritedFile: undefined }));
    for (let next = pending.pop(); next; next = pending.pop()) {
        const suite = readSuite(next.element, file, next.inheritedFile);
        const nested = children(next.element, 'testsuite');
        if (suite.cases.length > 0 || nested.length === 0)
            suites.push(suite);
        for (const element of nested.reverse())
            pending.push({ element, inheritedFile: suite.file });
    }
    return suites;
}
function readSuite(element, report, inheritedFile) {
    const name = element.attributes.get('name') ?? '';
    const file = element.attributes.get('file') ?? element.attributes.get('filepath') ?? inheritedFile;
    // pytest names its suite "pytest" and writes 0-based `line` attributes.
    const zeroBasedLines = name === 'pytest';
    const cases = children(element, 'testcase').map((testcase) => readCase(testcase, name, file, zeroBasedLines));
    const count = (status) => cases.filter((testCase) => testCase.status === status).length;
    const declared = (key) => toCount(element.attributes.get(key));
    // A suite without test cases (an aggregate written by some tools) still carries its counts.
    const fromCases = cases.length > 0;
    return {
        name,
        report,
        tests: fromCases ? cases.length : declared('tests'),
        failures: fromCases ? count('failed') : declared('failures'),
        errors: fromCases ? count('error') : declared('errors'),
        skipped: fromCases ? count('skipped') : declared('skipped') + declared('disabled'),
        time: toSeconds(element.attributes.get('time')),
        file,
        cases,
    };
}
function readCase(element, suite, suiteFile, zeroBasedLines) {
    const failure = firstChild(element, 'failure');
    const error = firstChild(element, 'error');
    const skipped = firstChild(element, 'skipped');
    const outcome = failure ?? error ?? skipped;
    const status = failure ? 'failed' : error ? 'error' : skipped ? 'skipped' : 'passed';
    const details = outcome ? outcome.text.trim() : '';
    const line = toLine(element.attributes.get('line'));
    return {
        suite,
        classname: element.attributes.get('classname') ?? element.attributes.get('class') ?? '',
        name: element.attributes.get('name') ?? '',
        status,
        time: toSeconds(element.attributes.get('time')),
        message: outcome ? (outcome.attributes.get('message') ?? junit_firstLine(details)) : '',
        details,
        type: outcome ? (outcome.attributes.get('type') ?? '') : '',
        file: element.attributes.get('file') ?? element.attributes.get('filepath') ?? suiteFile,
        line: line === undefined ? undefined : zeroBasedLines ? line + 1 : line,
        output: ['system-out', 'system-err']
            .flatMap((tag) => children(element, tag).map((child) => child.text.trim()))
            .filter((part) => part !== '')
            .join('\n'),
        flaky: status === 'passed' &&
            (firstChild(element, 'flakyFailure') !== undefined || firstChild(element, 'flakyError') !== undefined),
    };
}
const junit_firstLine = (value) => value.split(/\r?\n/, 1)[0]?.trim() ?? '';
function toCount(value) {
    const parsed = Number(value);
    return value !== undefined && Number.isInteger(parsed) && parsed >= 0 ? parsed : 0;
}
function toLine(value) {
    const parsed = Number(value);
    return value !== undefined && value !== '' && Number.isInteger(parsed) && parsed >= 0 ? parsed : undefined;
}
/** Seconds as tools write them: `0.012`, `1,234.5` (Surefire in some locales), or nothing. */
function toSeconds(value) {
    const parsed = Number((value ?? '').replace(/,/g, ''));
    return Number.isFinite(parsed) && parsed > 0 ? parsed : 0;
}

;// CONCATENATED MODULE: ./packages/test-report/src/trx.ts

/** TRX outcomes (vstst.xsd's TestOutcome) as test-report counts them. */
const OUTCOMES = {
    Passed: 'passed',
    PassedButRunAborted: 'passed',
    Completed: 'passed',
    Warning: 'passed',
    Failed: 'failed',
    Error: 'error',
    Timeout: 'error',
    Aborted: 'error',
    Disconnected: 'error',
    NotRunnable: 'error',
    InProgress: 'error',
    Pending: 'error',
    // NotExecuted: [Ignore] / Skip; Inconclusive: MSTest's Assert.Inconclusive, neither a pass nor a failure.
    NotExecuted: 'skipped',
    Inconclusive: 'skipped',
};
/** Reads a parsed TRX document (its root is `<TestRun>`). */
function readTrx(root, file) {
    const definitions = new Map();
    for (const definitionList of children(root, 'TestDefinitions')) {
        for (const test of definitionList.children) {
            const method = firstChild(test, 'TestMethod');
            const id = test.attributes.get('id');
            if (id === undefined)
                continue;
            definitions.set(id, {
                className: method?.attributes.get('className') ?? '',
                name: method?.attributes.get('name') ?? test.attributes.get('name') ?? '',
            });
        }
    }
    // Results by test (a data row by its own test name), in order of their first result.
    const byTest = new Map();
    const collect = (result) => {
        const inner = firstChild(result, 'InnerResults');
        if (inner && inner.children.length > 0) {
            for (const row of inner.children)
                collect(row);
            return;
        }
        const key = `${result.attributes.get('testId') ?? ''}\u0000${result.attributes.get('testName') ?? ''}`;
        const list = byTest.get(key);
        if (list)
            list.push(result);
        else
            byTest.set(key, [result]);
    };
    for (const results of children(root, 'Results'))
        for (const result of results.children)
            collect(result);
    const suites = new Map();
    for (const results of byTest.values()) {
        const testCase = readResult(results, definitions);
        let suite = suites.get(testCase.suite);
        if (!suite) {
            suite = {
                name: testCase.suite,
                report: file,
                tests: 0,
                failures: 0,
                errors: 0,
                skipped: 0,
                time: 0,
                file: undefined,
                cases: [],
            };
            suites.set(testCase.suite, suite);
        }
        suite.cases.push(testCase);
        suite.tests += 1;
        suite.time += testCase.time;
        if (testCase.status === 'failed')
            suite.failures += 1;
        if (testCase.status === 'error')
            suite.errors += 1;
        if (testCase.status === 'skipped')
            suite.skipped += 1;
    }
    return [...suites.values()];
}
function readResult(results, definitions) {
    const last = results[results.length - 1];
    const definition = definitions.get(last.attributes.get('testId') ?? '');
    const outcome = last.attributes.get('outcome') ?? '';
    // A result without an outcome is one the run never finished.
    const status = OUTCOMES[outcome] ?? 'error';
    const output = firstChild(last, 'Output');
    const errorInfo = output ? firstChild(output, 'ErrorInfo') : undefined;
    const text = (element, name) => (element ? firstChild(element, name)?.text : undefined)?.replace(/\r\n?/g, '\n').trim() ?? '';
    const message = text(errorInfo, 'Message');
    const stackTrace = text(errorInfo, 'StackTrace');
    const testName = last.attributes.get('testName') ?? definition?.name ?? '';
    const className = definition?.className ?? '';
    // vstest names a result by the fully qualified method; the class is the suite, the rest the test.
    const name = className !== '' && testName.startsWith(`${className}.`) ? testName.slice(className.length + 1) : testName;
    return {
        suite: className || '(no class)',
        classname: className,
        name,
        status,
        time: trx_parseDuration(last.attributes.get('duration')),
        // xUnit writes a skipped test's reason to its StdOut.
        message: (message || (status === 'skipped' ? text(output, 'StdOut') : '')).split(/\r?\n/, 1)[0]?.trim() ||
            (status === 'passed' ? '' : outcome || 'no outcome'),
        details: [message, stackTrace].filter((part) => part !== '').join('\n'),
        type: status === 'passed' || status === 'failed' ? '' : outcome,
        file: undefined,
        line: undefined,
        output: [text(output, 'StdOut'), text(output, 'StdErr')].filter((part) => part !== '').join('\n'),
        flaky: status === 'passed' &&
            results.slice(0, -1).some((earlier) => {
                const earlierStatus = OUTCOMES[earlier.attributes.get('outcome') ?? ''];
                return earlierStatus === 'failed' || earlierStatus === 'error';
            }),
    };
}
/** A .NET TimeSpan as XML serialization writes it: `[d.]hh:mm:ss[.fffffff]`; 0 when absent or unreadable. */
function trx_parseDuration(value) {
    const match = /^(?:(\d+)\.)?(\d+):(\d+):(\d+(?:\.\d+)?)$/.exec(value?.trim() ?? '');
    if (!match)
        return 0;
    const [, days = '0', hours = '0', minutes = '0', seconds = '0'] = match;
    return Number(days) * 86_400 + Number(hours) * 3600 + Number(minutes) * 60 + Number(seconds);
}

;// CONCATENATED MODULE: ./packages/test-report/src/reports.ts
// A report file, whatever wrote it: the format is told by the content, not the name, so that any
// `reports` glob keeps working. XML whose root is `<TestRun>` is TRX, other XML is JUnit; anything else
// is read as `go test -json` output (which may open with what Go wrote to stderr).




/** XML opens with `<` (after a byte order mark and white space); go test -json never does. */
const looksLikeXml = (text) => /^\uFEFF?\s*</.test(text.slice(0, 1024));
function parseReport(text, file) {
    if (!looksLikeXml(text) && text.trim() !== '')
        return { format: 'go-test-json', suites: parseGoTestJson(text, file) };
    const root = xml_parseXml(text, file);
    if (root.name === 'TestRun')
        return { format: 'trx', suites: readTrx(root, file) };
    return { format: 'junit', suites: readJUnit(root, file) };
}

;// CONCATENATED MODULE: ./packages/test-report/src/verdict.ts
// The verdict over parsed reports: totals, failures in report order and whether the step fails.

function totalsOf(suites) {
    const sum = (pick) => suites.reduce((total, suite) => total + pick(suite), 0);
    const failures = sum((suite) => suite.failures);
    const errors = sum((suite) => suite.errors);
    const skipped = sum((suite) => suite.skipped);
    const tests = sum((suite) => suite.tests);
    return {
        tests,
        passed: Math.max(tests - failures - errors - skipped, 0),
        failures,
        errors,
        skipped,
        flaky: sum((suite) => suite.cases.filter((testCase) => testCase.flaky).length),
        time: sum((suite) => suite.time || suite.cases.reduce((total, testCase) => total + testCase.time, 0)),
    };
}
/**
 * Passed when no test failed or errored, reports that were asked for hold at least one test, and
 * coverage meets the minimum.
 */
function decide(totals, readReports, coverage, minCoverage) {
    const reasons = [];
    if (totals.failures > 0)
        reasons.push(`${plural(totals.failures, 'test')} of ${totals.tests} failed`);
    if (totals.errors > 0)
        reasons.push(`${plural(totals.errors, 'test')} of ${totals.tests} errored`);
    if (readReports && totals.tests === 0)
        reasons.push('the reports hold no test case');
    if (coverage !== undefined && minCoverage > 0 && coverage.percent < minCoverage) {
        reasons.push(`line coverage ${formatPercent(coverage.percent)} % is below the minimum of ${minCoverage} %`);
    }
    return { passed: reasons.length === 0, reasons };
}
const plural = (count, noun) => `${count} ${noun}${count === 1 ? '' : 's'}`;
/** Failed and errored tests, in report order. */
function failuresOf(suites) {
    return suites.flatMap((suite) => suite.cases
        .filter((testCase) => testCase.status === 'failed' || testCase.status === 'error')
        .map((testCase) => ({ testCase, report: suite.report })));
}
/** A test's name as a person reads it: `class \u203a name`, without repeating a class the name already holds. */
function testTitle(testCase) {
    const { classname, name } = testCase;
    if (classname === '' || name.startsWith(classname) || classname === name)
        return name || classname;
    return `${classname} \u203a ${name}`;
}

;// CONCATENATED MODULE: ./packages/test-report/src/summary.ts
// The job summary: the verdict line, failures first (where, why), then suites, then coverage.



/** Rows per table and folded tracebacks: enough to act on, few enough that the page stays fast. */
const FAILURE_ROWS = 100;
const FAILURE_DETAILS = 20;
const DETAIL_LINES = 60;
const SUITE_ROWS = 200;
const truncate = (text, length) => text.length > length ? `${text.slice(0, length - 1)}\u2026` : text;
/** A file name as inline code in a table cell: GitHub reads `\|` inside a cell's code as a pipe. */
const codeCell = (text) => raw(code(text).replace(/\|/g, '\\|'));
const seconds = (value) => (value < 10 ? `${value.toFixed(2)}s` : `${value.toFixed(1)}s`);
/** The job summary: the verdict line, failures first (where, why), then suites, then coverage. */
function renderSummary(result, context) {
    const parts = [`### ${context.name}: ${headline(result)}`];
    if (result.failures.length > 0)
        parts.push(failuresSection(result.failures, context));
    if (result.readReports)
        parts.push(suitesSection(result.suites, result.totals));
    if (result.coverage)
        parts.push(coverageSection(result.coverage, context.minCoverage));
    return `${parts.join('\n\n')}\n`;
}
function headline(result) {
    const { totals, coverage } = result;
    const counts = [
        totals.failures > 0 ? `${totals.failures} failed` : '',
        totals.errors > 0 ? `${totals.errors} errored` : '',
        `${totals.passed} passed`,
        totals.skipped > 0 ? `${totals.skipped} skipped` : '',
        totals.flaky > 0 ? `${totals.flaky} flaky` : '',
    ].filter((part) => part !== '');
    const tests = result.readReports ? `${counts.join(', ')} of ${plural(totals.tests, 'test')}` : '';
    const lines = coverage ? `line coverage ${formatPercent(coverage.percent)} %` : '';
    const mark = result.verdict.passed ? '\u2705' : '\u274c';
    return `${mark} ${[tests, lines].filter((part) => part !== '').join(' \u00b7 ')}`;
}
function where(failure, blobUrl) {
    const { location } = failure;
    if (location === undefined)
        return '\u2014';
    const label = location.line === undefined ? location.file : `${location.file}:${location.line}`;
    if (blobUrl === '')
        return codeCell(label);
    const path = location.file.split('/').map(encodeURIComponent).join('/');
    const anchor = location.line === undefined ? '' : `#L${location.line}`;
    return raw(`[${escapeCell(label)}](${blobUrl}/${path}${anchor})`);
}
function failuresSection(failures, context) {
    const rows = failures
        .slice(0, FAILURE_ROWS)
        .map((failure) => [
        truncate(testTitle(failure.testCase), 120),
        failure.testCase.status === 'error' ? 'error' : 'failed',
        where(failure, context.blobUrl),
        truncate(failure.testCase.message.replace(/\s+/g, ' ').trim() || failure.testCase.type || '\u2014', 200),
    ]);
    const more = failures.length > FAILURE_ROWS ? `\n\n_\u2026and ${failures.length - FAILURE_ROWS} more failed tests._` : '';
    const folded = failures
        .filter((failure) => failure.testCase.details !== '' || failure.testCase.output !== '')
        .slice(0, FAILURE_DETAILS)
        .map((failure) => details(truncate(testTitle(failure.testCase), 120), failureText(failure)));
    return [`#### Failures`, `${table(['Test', 'Outcome', 'Where', 'Message'], rows)}${more}`, ...folded].join('\n\n');
}
/** The traceback, then what the test printed. */
function failureText(failure) {
    const { details: trace, output } = failure.testCase;
    const parts = trace === '' ? [] : [fence(trace)];
    if (output !== '')
        parts.push(`Output:\n\n${fence(output)}`);
    return parts.join('\n\n');
}
/** Failure text in a code block that no line of the text can close. */
function fence(text) {
    const lines = text.split(/\r?\n/);
    const shown = lines.length > DETAIL_LINES
        ? [...lines.slice(0, DETAIL_LINES), `\u2026 ${lines.length - DETAIL_LINES} more lines`]
        : lines;
    const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((match) => match[0].length));
    const marker = '`'.repeat(longest + 1);
    return `${marker}text\n${shown.join('\n')}\n${marker}`;
}
function suitesSection(suites, totals) {
    // Suites with failures first; the rest keep the reports' order.
    const ordered = [...suites].sort((a, b) => Number(b.failures + b.errors > 0) - Number(a.failures + a.errors > 0));
    const rows = ordered
        .slice(0, SUITE_ROWS)
        .map((suite) => [
        truncate(suite.name || '(unnamed)', 100),
        codeCell(suite.report),
        suite.tests,
        Math.max(suite.tests - suite.failures - suite.errors - suite.skipped, 0),
        suite.failures,
        suite.errors,
        suite.skipped,
        seconds(suite.time),
    ]);
    rows.push([
        raw('**Total**'),
        '',
        totals.tests,
        totals.passed,
        totals.failures,
        totals.errors,
        totals.skipped,
        seconds(totals.time),
    ]);
    const more = suites.length > SUITE_ROWS ? `\n\n_\u2026and ${suites.length - SUITE_ROWS} more suites._` : '';
    return `#### Suites\n\n${table(['Suite', 'Report', 'Tests', 'Passed', 'Failed', 'Errors', 'Skipped', 'Time'], rows)}${more}`;
}
function coverageSection(coverage, minCoverage) {
    const row = [
        codeCell(coverage.file),
        coverage.format === 'lcov' ? 'lcov' : 'Cobertura',
        coverage.linesCovered ?? '\u2014',
        coverage.linesValid ?? '\u2014',
        `${formatPercent(coverage.percent)} %`,
        minCoverage > 0 ? `${minCoverage} %` : '\u2014',
    ];
    return `#### Coverage\n\n${table(['File', 'Format', 'Lines covered', 'Lines', 'Line coverage', 'Minimum'], [row])}`;
}

;// CONCATENATED MODULE: ./packages/test-report/src/run.ts
// The step: every report file read and parsed first, then the verdict, annotations, outputs and summary.








/** GitHub shows at most 10 error annotations per step; the step's own error is one of them. */
const MAX_ANNOTATIONS = 9;
const ANNOTATION_LINES = 30;
async function runTestReport(runtime) {
    const inputs = parseInputs(runtime.inputs);
    const workspace = runtime.github.workspace;
    const result = readResults(inputs, workspace);
    const { totals, coverage, verdict } = result;
    runtime.setOutput('passed', verdict.passed);
    runtime.setOutput('tests', totals.tests);
    runtime.setOutput('failures', totals.failures);
    runtime.setOutput('errors', totals.errors);
    runtime.setOutput('skipped', totals.skipped);
    runtime.setOutput('coverage', coverage ? formatPercent(coverage.percent) : '');
    logResults(runtime, inputs.name, result);
    const { serverUrl, repository, sha } = runtime.github;
    const blobUrl = repository !== '' && sha !== '' ? `${serverUrl}/${repository}/blob/${sha}` : '';
    await runtime.appendSummary(renderSummary(result, { name: inputs.name, blobUrl, minCoverage: inputs['min-coverage'] }));
    if (!verdict.passed)
        throw new Error(`${inputs.name}: ${verdict.reasons.join('; ')}`);
}
/** Everything the step decides, from the files alone: no output is set before all of them parsed. */
function readResults(inputs, workspace) {
    const reader = new BoundedReader(workspace);
    const suites = [];
    for (const file of inputs.reports.length > 0 ? expandGlobs(inputs.reports, workspace, 'reports') : []) {
        suites.push(...parseReport(reader.read(file), file).suites);
    }
    const coverage = inputs.coverage === '' ? undefined : readCoverage(inputs.coverage, workspace, reader);
    const existing = workspaceFiles(workspace);
    const failures = failuresOf(suites).map(({ testCase, report }) => ({
        testCase,
        report,
        location: locateFailure(testCase, report, existing),
    }));
    const totals = totalsOf(suites);
    const readReports = inputs.reports.length > 0;
    return {
        suites,
        totals,
        failures,
        coverage,
        readReports,
        verdict: decide(totals, readReports, coverage, inputs['min-coverage']),
    };
}
function readCoverage(pattern, workspace, reader) {
    const matched = expandGlobs([pattern], workspace, 'coverage');
    const [file] = matched;
    if (file === undefined || matched.length > 1) {
        throw new errors_ConfigurationError(`'${pattern}' matches ${matched.length} files; give one coverage file`, {
            input: 'coverage',
        });
    }
    return parseCoverage(reader.read(file), file);
}
/** A line per failure in the log, and an annotation at the failing line for the first few. */
function logResults(runtime, name, result) {
    const { totals, coverage } = result;
    if (result.readReports) {
        runtime.log.info(`${name}: ${plural(totals.tests, 'test')} in ${plural(result.suites.length, 'suite')}: ${totals.passed} passed, ` +
            `${totals.failures} failed, ${totals.errors} errored, ${totals.skipped} skipped`);
    }
    if (coverage)
        runtime.log.info(`line coverage ${formatPercent(coverage.percent)} % (${escapeUntrusted(coverage.file)})`);
    result.failures.forEach((failure, index) => {
        const title = testTitle(failure.testCase);
        const at = failure.location
            ? ` at ${failure.location.file}${failure.location.line ? `:${failure.location.line}` : ''}`
            : '';
        runtime.log.info(escapeUntrusted(`\u2717 ${title}${at}: ${failure.testCase.message}`));
        if (index < MAX_ANNOTATIONS)
            runtime.log.error(annotationText(failure), run_annotationProperties(name, title, failure));
    });
    if (result.failures.length > MAX_ANNOTATIONS) {
        runtime.log.info(`${result.failures.length - MAX_ANNOTATIONS} more failed tests are listed above and in the job summary (GitHub shows ${MAX_ANNOTATIONS + 1} error annotations per step)`);
    }
}
function annotationText(failure) {
    const { message, details } = failure.testCase;
    const lines = details.split(/\r?\n/);
    const shown = lines.slice(0, ANNOTATION_LINES).join('\n') + (lines.length > ANNOTATION_LINES ? '\n\u2026' : '');
    if (details === '')
        return message || failure.testCase.status;
    return details.startsWith(message) || message === '' ? shown : `${message}\n\n${shown}`;
}
function run_annotationProperties(name, title, failure) {
    const { location } = failure;
    return {
        title: `${name}: ${title}`.slice(0, 200),
        ...(location ? { file: location.file } : {}),
        ...(location?.line !== undefined ? { startLine: location.line } : {}),
    };
}

;// CONCATENATED MODULE: ./packages/test-report/src/action.ts
// The step itself: what dist/test-report runs.


const run = () => runAction(runTestReport);


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
/******/ var __webpack_exports__ = __nccwpck_require__(3963);
/******/ __webpack_exports__ = await __webpack_exports__;
/******/ 
