import { createRequire as __WEBPACK_EXTERNAL_createRequire } from "module";
/******/ var __webpack_modules__ = ({

/***/ 9379:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const ANY = Symbol('SemVer ANY')
// hoisted class for cyclic dependency
class Comparator {
  static get ANY () {
    return ANY
  }

  constructor (comp, options) {
    options = parseOptions(options)

    if (comp instanceof Comparator) {
      if (comp.loose === !!options.loose) {
        return comp
      } else {
        comp = comp.value
      }
    }

    comp = comp.trim().split(/\s+/).join(' ')
    debug('comparator', comp, options)
    this.options = options
    this.loose = !!options.loose
    this.parse(comp)

    if (this.semver === ANY) {
      this.value = ''
    } else {
      this.value = this.operator + this.semver.version
    }

    debug('comp', this)
  }

  parse (comp) {
    const r = this.options.loose ? re[t.COMPARATORLOOSE] : re[t.COMPARATOR]
    const m = comp.match(r)

    if (!m) {
      throw new TypeError(`Invalid comparator: ${comp}`)
    }

    this.operator = m[1] !== undefined ? m[1] : ''
    if (this.operator === '=') {
      this.operator = ''
    }

    // if it literally is just '>' or '' then allow anything.
    if (!m[2]) {
      this.semver = ANY
    } else {
      this.semver = new SemVer(m[2], this.options.loose)
    }
  }

  toString () {
    return this.value
  }

  test (version) {
    debug('Comparator.test', version, this.options.loose)

    if (this.semver === ANY || version === ANY) {
      return true
    }

    if (typeof version === 'string') {
      try {
        version = new SemVer(version, this.options)
      } catch (er) {
        return false
      }
    }

    return cmp(version, this.operator, this.semver, this.options)
  }

  intersects (comp, options) {
    if (!(comp instanceof Comparator)) {
      throw new TypeError('a Comparator is required')
    }

    if (this.operator === '') {
      if (this.value === '') {
        return true
      }
      return new Range(comp.value, options).test(this.value)
    } else if (comp.operator === '') {
      if (comp.value === '') {
        return true
      }
      return new Range(this.value, options).test(comp.semver)
    }

    options = parseOptions(options)

    // Special cases where nothing can possibly be lower
    if (options.includePrerelease &&
      (this.value === '<0.0.0-0' || comp.value === '<0.0.0-0')) {
      return false
    }
    if (!options.includePrerelease &&
      (this.value.startsWith('<0.0.0') || comp.value.startsWith('<0.0.0'))) {
      return false
    }

    // Same direction increasing (> or >=)
    if (this.operator.startsWith('>') && comp.operator.startsWith('>')) {
      return true
    }
    // Same direction decreasing (< or <=)
    if (this.operator.startsWith('<') && comp.operator.startsWith('<')) {
      return true
    }
    // same SemVer and both sides are inclusive (<= or >=)
    if (
      (this.semver.version === comp.semver.version) &&
      this.operator.includes('=') && comp.operator.includes('=')) {
      return true
    }
    // opposite directions less than
    if (cmp(this.semver, '<', comp.semver, options) &&
      this.operator.startsWith('>') && comp.operator.startsWith('<')) {
      return true
    }
    // opposite directions greater than
    if (cmp(this.semver, '>', comp.semver, options) &&
      this.operator.startsWith('<') && comp.operator.startsWith('>')) {
      return true
    }
    return false
  }
}

module.exports = Comparator

const parseOptions = __nccwpck_require__(356)
const { safeRe: re, t } = __nccwpck_require__(5471)
const cmp = __nccwpck_require__(8646)
const debug = __nccwpck_require__(1159)
const SemVer = __nccwpck_require__(7163)
const Range = __nccwpck_require__(6782)


/***/ }),

/***/ 6782:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const SPACE_CHARACTERS = /\s+/g

// hoisted class for cyclic dependency
class Range {
  constructor (range, options) {
    options = parseOptions(options)

    if (range instanceof Range) {
      if (
        range.loose === !!options.loose &&
        range.includePrerelease === !!options.includePrerelease
      ) {
        return range
      } else {
        return new Range(range.raw, options)
      }
    }

    if (range instanceof Comparator) {
      // just put it in the set and return
      this.raw = range.value
      this.set = [[range]]
      this.formatted = undefined
      return this
    }

    this.options = options
    this.loose = !!options.loose
    this.includePrerelease = !!options.includePrerelease

    // First reduce all whitespace as much as possible so we do not have to rely
    // on potentially slow regexes like \s*. This is then stored and used for
    // future error messages as well.
    this.raw = range.trim().replace(SPACE_CHARACTERS, ' ')

    // First, split on ||
    this.set = this.raw
      .split('||')
      // map the range to a 2d array of comparators
      .map(r => this.parseRange(r.trim()))
      // throw out any comparator lists that are empty
      // this generally means that it was not a valid range, which is allowed
      // in loose mode, but will still throw if the WHOLE range is invalid.
      .filter(c => c.length)

    if (!this.set.length) {
      throw new TypeError(`Invalid SemVer Range: ${this.raw}`)
    }

    // if we have any that are not the null set, throw out null sets.
    if (this.set.length > 1) {
      // keep the first one, in case they're all null sets
      const first = this.set[0]
      this.set = this.set.filter(c => !isNullSet(c[0]))
      if (this.set.length === 0) {
        this.set = [first]
      } else if (this.set.length > 1) {
        // if we have any that are *, then the range is just *
        for (const c of this.set) {
          if (c.length === 1 && isAny(c[0])) {
            this.set = [c]
            break
          }
        }
      }
    }

    this.formatted = undefined
  }

  get range () {
    if (this.formatted === undefined) {
      this.formatted = ''
      for (let i = 0; i < this.set.length; i++) {
        if (i > 0) {
          this.formatted += '||'
        }
        const comps = this.set[i]
        for (let k = 0; k < comps.length; k++) {
          if (k > 0) {
            this.formatted += ' '
          }
          this.formatted += comps[k].toString().trim()
        }
      }
    }
    return this.formatted
  }

  format () {
    return this.range
  }

  toString () {
    return this.range
  }

  parseRange (range) {
    // strip build metadata so it can't bleed into the version
    range = range.replace(BUILDSTRIPRE, '')

    // memoize range parsing for performance.
    // this is a very hot path, and fully deterministic.
    const memoOpts =
      (this.options.includePrerelease && FLAG_INCLUDE_PRERELEASE) |
      (this.options.loose && FLAG_LOOSE)
    const memoKey = memoOpts + ':' + range
    const cached = cache.get(memoKey)
    if (cached) {
      return cached
    }

    const loose = this.options.loose
    // `1.2.3 - 1.2.4` => `>=1.2.3 <=1.2.4`
    const hr = loose ? re[t.HYPHENRANGELOOSE] : re[t.HYPHENRANGE]
    range = range.replace(hr, hyphenReplace(this.options.includePrerelease))
    debug('hyphen replace', range)

    // `> 1.2.3 < 1.2.5` => `>1.2.3 <1.2.5`
    range = trimComparatorWhitespace(range)
    debug('comparator trim', range)

    // `~ 1.2.3` => `~1.2.3`
    range = range.replace(re[t.TILDETRIM], tildeTrimReplace)
    debug('tilde trim', range)

    // `^ 1.2.3` => `^1.2.3`
    range = range.replace(re[t.CARETTRIM], caretTrimReplace)
    debug('caret trim', range)

    // At this point, the range is completely trimmed and
    // ready to be split into comparators.

    let rangeList = range
      .split(' ')
      .map(comp => parseComparator(comp, this.options))
      .join(' ')
      .split(/\s+/)
      // >=0.0.0 is equivalent to *
      .map(comp => replaceGTE0(comp, this.options))

    if (loose) {
      // in loose mode, throw out any that are not valid comparators
      rangeList = rangeList.filter(comp => {
        debug('loose invalid filter', comp, this.options)
        return !!comp.match(re[t.COMPARATORLOOSE])
      })
    }
    debug('range list', rangeList)

    // if any comparators are the null set, then replace with JUST null set
    // if more than one comparator, remove any * comparators
    // also, don't include the same comparator more than once
    const rangeMap = new Map()
    const comparators = rangeList.map(comp => new Comparator(comp, this.options))
    for (const comp of comparators) {
      if (isNullSet(comp)) {
        return [comp]
      }
      rangeMap.set(comp.value, comp)
    }
    if (rangeMap.size > 1 && rangeMap.has('')) {
      rangeMap.delete('')
    }

    const result = [...rangeMap.values()]
    cache.set(memoKey, result)
    return result
  }

  intersects (range, options) {
    if (!(range instanceof Range)) {
      throw new TypeError('a Range is required')
    }

    return this.set.some((thisComparators) => {
      return (
        isSatisfiable(thisComparators, options) &&
        range.set.some((rangeComparators) => {
          return (
            isSatisfiable(rangeComparators, options) &&
            thisComparators.every((thisComparator) => {
              return rangeComparators.every((rangeComparator) => {
                return thisComparator.intersects(rangeComparator, options)
              })
            })
          )
        })
      )
    })
  }

  // if ANY of the sets match ALL of its comparators, then pass
  test (version) {
    if (!version) {
      return false
    }

    if (typeof version === 'string') {
      try {
        version = new SemVer(version, this.options)
      } catch (er) {
        return false
      }
    }

    for (let i = 0; i < this.set.length; i++) {
      if (testSet(this.set[i], version, this.options)) {
        return true
      }
    }
    return false
  }
}

module.exports = Range

const LRU = __nccwpck_require__(1383)
const cache = new LRU()

const parseOptions = __nccwpck_require__(356)
const Comparator = __nccwpck_require__(9379)
const debug = __nccwpck_require__(1159)
const SemVer = __nccwpck_require__(7163)
const trimComparatorWhitespace = __nccwpck_require__(9737)
const {
  safeRe: re,
  src,
  t,
  tildeTrimReplace,
  caretTrimReplace,
} = __nccwpck_require__(5471)
const { FLAG_INCLUDE_PRERELEASE, FLAG_LOOSE } = __nccwpck_require__(5101)

// unbounded global build-metadata stripper used by parseRange
const BUILDSTRIPRE = new RegExp(src[t.BUILD], 'g')

const isNullSet = c => c.value === '<0.0.0-0'
const isAny = c => c.value === ''

// take a set of comparators and determine whether there
// exists a version which can satisfy it
const isSatisfiable = (comparators, options) => {
  let result = true
  const remainingComparators = comparators.slice()
  let testComparator = remainingComparators.pop()

  while (result && remainingComparators.length) {
    result = remainingComparators.every((otherComparator) => {
      return testComparator.intersects(otherComparator, options)
    })

    testComparator = remainingComparators.pop()
  }

  return result
}

// comprised of xranges, tildes, stars, and gtlt's at this point.
// already replaced the hyphen ranges
// turn into a set of JUST comparators.
const parseComparator = (comp, options) => {
  comp = comp.replace(re[t.BUILD], '')
  debug('comp', comp, options)
  comp = replaceCarets(comp, options)
  debug('caret', comp)
  comp = replaceTildes(comp, options)
  debug('tildes', comp)
  comp = replaceXRanges(comp, options)
  debug('xrange', comp)
  comp = replaceStars(comp, options)
  debug('stars', comp)
  return comp
}

const isX = id => !id || id.toLowerCase() === 'x' || id === '*'

const invalidXRangeOrder = (M, m, p) => (
  (isX(M) && !isX(m)) ||
  (isX(m) && p && !isX(p))
)

// ~, ~> --> * (any, kinda silly)
// ~2, ~2.x, ~2.x.x, ~>2, ~>2.x ~>2.x.x --> >=2.0.0 <3.0.0-0
// ~2.0, ~2.0.x, ~>2.0, ~>2.0.x --> >=2.0.0 <2.1.0-0
// ~1.2, ~1.2.x, ~>1.2, ~>1.2.x --> >=1.2.0 <1.3.0-0
// ~1.2.3, ~>1.2.3 --> >=1.2.3 <1.3.0-0
// ~1.2.0, ~>1.2.0 --> >=1.2.0 <1.3.0-0
// ~0.0.1 --> >=0.0.1 <0.1.0-0
const replaceTildes = (comp, options) => {
  return comp
    .trim()
    .split(/\s+/)
    .map((c) => replaceTilde(c, options))
    .join(' ')
}

const replaceTilde = (comp, options) => {
  const r = options.loose ? re[t.TILDELOOSE] : re[t.TILDE]
  // if we're including prereleases in the match, then the lower bound is
  // -0, the lowest possible prerelease value, just like x-ranges and carets.
  // this keeps `~1.2` equivalent to the `1.2.x` x-range it's documented as.
  const z = options.includePrerelease ? '-0' : ''
  return comp.replace(r, (_, M, m, p, pr) => {
    debug('tilde', comp, _, M, m, p, pr)
    let ret

    if (isX(M)) {
      ret = ''
    } else if (isX(m)) {
      ret = `>=${M}.0.0${z} <${+M + 1}.0.0-0`
    } else if (isX(p)) {
      // ~1.2 == >=1.2.0 <1.3.0-0
      ret = `>=${M}.${m}.0${z} <${M}.${+m + 1}.0-0`
    } else if (pr) {
      debug('replaceTilde pr', pr)
      ret = `>=${M}.${m}.${p}-${pr
      } <${M}.${+m + 1}.0-0`
    } else {
      // ~1.2.3 == >=1.2.3 <1.3.0-0
      ret = `>=${M}.${m}.${p
      } <${M}.${+m + 1}.0-0`
    }

    debug('tilde return', ret)
    return ret
  })
}

// ^ --> * (any, kinda silly)
// ^2, ^2.x, ^2.x.x --> >=2.0.0 <3.0.0-0
// ^2.0, ^2.0.x --> >=2.0.0 <3.0.0-0
// ^1.2, ^1.2.x --> >=1.2.0 <2.0.0-0
// ^1.2.3 --> >=1.2.3 <2.0.0-0
// ^1.2.0 --> >=1.2.0 <2.0.0-0
// ^0.0.1 --> >=0.0.1 <0.0.2-0
// ^0.1.0 --> >=0.1.0 <0.2.0-0
const replaceCarets = (comp, options) => {
  return comp
    .trim()
    .split(/\s+/)
    .map((c) => replaceCaret(c, options))
    .join(' ')
}

const replaceCaret = (comp, options) => {
  debug('caret', comp, options)
  const r = options.loose ? re[t.CARETLOOSE] : re[t.CARET]
  const z = options.includePrerelease ? '-0' : ''
  return comp.replace(r, (_, M, m, p, pr) => {
    debug('caret', comp, _, M, m, p, pr)
    let ret

    if (isX(M)) {
      ret = ''
    } else if (isX(m)) {
      ret = `>=${M}.0.0${z} <${+M + 1}.0.0-0`
    } else if (isX(p)) {
      if (M === '0') {
        ret = `>=${M}.${m}.0${z} <${M}.${+m + 1}.0-0`
      } else {
        ret = `>=${M}.${m}.0${z} <${+M + 1}.0.0-0`
      }
    } else if (pr) {
      debug('replaceCaret pr', pr)
      if (M === '0') {
        if (m === '0') {
          ret = `>=${M}.${m}.${p}-${pr
          } <${M}.${m}.${+p + 1}-0`
        } else {
          ret = `>=${M}.${m}.${p}-${pr
          } <${M}.${+m + 1}.0-0`
        }
      } else {
        ret = `>=${M}.${m}.${p}-${pr
        } <${+M + 1}.0.0-0`
      }
    } else {
      debug('no pr')
      if (M === '0') {
        if (m === '0') {
          ret = `>=${M}.${m}.${p
          } <${M}.${m}.${+p + 1}-0`
        } else {
          ret = `>=${M}.${m}.${p
          } <${M}.${+m + 1}.0-0`
        }
      } else {
        ret = `>=${M}.${m}.${p
        } <${+M + 1}.0.0-0`
      }
    }

    debug('caret return', ret)
    return ret
  })
}

const replaceXRanges = (comp, options) => {
  debug('replaceXRanges', comp, options)
  return comp
    .split(/\s+/)
    .map((c) => replaceXRange(c, options))
    .join(' ')
}

const replaceXRange = (comp, options) => {
  comp = comp.trim()
  const r = options.loose ? re[t.XRANGELOOSE] : re[t.XRANGE]
  return comp.replace(r, (ret, gtlt, M, m, p, pr) => {
    debug('xRange', comp, ret, gtlt, M, m, p, pr)
    if (invalidXRangeOrder(M, m, p)) {
      return comp
    }

    const xM = isX(M)
    const xm = xM || isX(m)
    const xp = xm || isX(p)
    const anyX = xp

    if (gtlt === '=' && anyX) {
      gtlt = ''
    }

    // if we're including prereleases in the match, then we need
    // to fix this to -0, the lowest possible prerelease value
    pr = options.includePrerelease ? '-0' : ''

    if (xM) {
      if (gtlt === '>' || gtlt === '<') {
        // nothing is allowed
        ret = '<0.0.0-0'
      } else {
        // nothing is forbidden
        ret = '*'
      }
    } else if (gtlt && anyX) {
      // we know patch is an x, because we have any x at all.
      // replace X with 0
      if (xm) {
        m = 0
      }
      p = 0

      if (gtlt === '>') {
        // >1 => >=2.0.0
        // >1.2 => >=1.3.0
        gtlt = '>='
        if (xm) {
          M = +M + 1
          m = 0
          p = 0
        } else {
          m = +m + 1
          p = 0
        }
      } else if (gtlt === '<=') {
        // <=0.7.x is actually <0.8.0, since any 0.7.x should
        // pass.  Similarly, <=7.x is actually <8.0.0, etc.
        gtlt = '<'
        if (xm) {
          M = +M + 1
        } else {
          m = +m + 1
        }
      }

      if (gtlt === '<') {
        pr = '-0'
      }

      ret = `${gtlt + M}.${m}.${p}${pr}`
    } else if (xm) {
      ret = `>=${M}.0.0${pr} <${+M + 1}.0.0-0`
    } else if (xp) {
      ret = `>=${M}.${m}.0${pr
      } <${M}.${+m + 1}.0-0`
    }

    debug('xRange return', ret)

    return ret
  })
}

// Because * is AND-ed with everything else in the comparator,
// and '' means "any version", just remove the *s entirely.
const replaceStars = (comp, options) => {
  debug('replaceStars', comp, options)
  // Looseness is ignored here.  star is always as loose as it gets!
  return comp
    .trim()
    .replace(re[t.STAR], '')
}

const replaceGTE0 = (comp, options) => {
  debug('replaceGTE0', comp, options)
  return comp
    .trim()
    .replace(re[options.includePrerelease ? t.GTE0PRE : t.GTE0], '')
}

// This function is passed to string.replace(re[t.HYPHENRANGE])
// M, m, patch, prerelease, build
// 1.2 - 3.4.5 => >=1.2.0 <=3.4.5
// 1.2.3 - 3.4 => >=1.2.0 <3.5.0-0 Any 3.4.x will do
// 1.2 - 3.4 => >=1.2.0 <3.5.0-0
// TODO build?
const hyphenReplace = incPr => ($0,
  from, fM, fm, fp, fpr, fb,
  to, tM, tm, tp, tpr) => {
  if (isX(fM)) {
    from = ''
  } else if (isX(fm)) {
    from = `>=${fM}.0.0${incPr ? '-0' : ''}`
  } else if (isX(fp)) {
    from = `>=${fM}.${fm}.0${incPr ? '-0' : ''}`
  } else if (fpr) {
    from = `>=${from}`
  } else {
    from = `>=${from}${incPr ? '-0' : ''}`
  }

  if (isX(tM)) {
    to = ''
  } else if (isX(tm)) {
    to = `<${+tM + 1}.0.0-0`
  } else if (isX(tp)) {
    to = `<${tM}.${+tm + 1}.0-0`
  } else if (tpr) {
    to = `<=${tM}.${tm}.${tp}-${tpr}`
  } else if (incPr) {
    to = `<${tM}.${tm}.${+tp + 1}-0`
  } else {
    to = `<=${to}`
  }

  return `${from} ${to}`.trim()
}

const testSet = (set, version, options) => {
  for (let i = 0; i < set.length; i++) {
    if (!set[i].test(version)) {
      return false
    }
  }

  if (version.prerelease.length && !options.includePrerelease) {
    // Find the set of versions that are allowed to have prereleases
    // For example, ^1.2.3-pr.1 desugars to >=1.2.3-pr.1 <2.0.0
    // That should allow `1.2.3-pr.2` to pass.
    // However, `1.2.4-alpha.notready` should NOT be allowed,
    // even though it's within the range set by the comparators.
    for (let i = 0; i < set.length; i++) {
      debug(set[i].semver)
      if (set[i].semver === Comparator.ANY) {
        continue
      }

      if (set[i].semver.prerelease.length > 0) {
        const allowed = set[i].semver
        if (allowed.major === version.major &&
            allowed.minor === version.minor &&
            allowed.patch === version.patch) {
          return true
        }
      }
    }

    // Version has a -pre, but it's not one of the ones we like.
    return false
  }

  return true
}


/***/ }),

/***/ 7163:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const debug = __nccwpck_require__(1159)
const { MAX_LENGTH, MAX_SAFE_INTEGER } = __nccwpck_require__(5101)
const { safeRe: re, t } = __nccwpck_require__(5471)

const parseOptions = __nccwpck_require__(356)
const { compareIdentifiers } = __nccwpck_require__(3348)

const isPrereleaseIdentifier = (prerelease, identifier) => {
  const identifiers = identifier.split('.')
  if (identifiers.length > prerelease.length) {
    return false
  }

  for (let i = 0; i < identifiers.length; i++) {
    if (compareIdentifiers(prerelease[i], identifiers[i]) !== 0) {
      return false
    }
  }

  return true
}

class SemVer {
  constructor (version, options) {
    options = parseOptions(options)

    if (version instanceof SemVer) {
      if (version.loose === !!options.loose &&
        version.includePrerelease === !!options.includePrerelease) {
        return version
      } else {
        version = version.version
      }
    } else if (typeof version !== 'string') {
      throw new TypeError(`Invalid version. Must be a string. Got type "${typeof version}".`)
    }

    if (version.length > MAX_LENGTH) {
      throw new TypeError(
        `version is longer than ${MAX_LENGTH} characters`
      )
    }

    debug('SemVer', version, options)
    this.options = options
    this.loose = !!options.loose
    // this isn't actually relevant for versions, but keep it so that we
    // don't run into trouble passing this.options around.
    this.includePrerelease = !!options.includePrerelease

    const m = version.trim().match(options.loose ? re[t.LOOSE] : re[t.FULL])

    if (!m) {
      throw new TypeError(`Invalid Version: ${version}`)
    }

    this.raw = version

    // these are actually numbers
    this.major = +m[1]
    this.minor = +m[2]
    this.patch = +m[3]

    if (this.major > MAX_SAFE_INTEGER || this.major < 0) {
      throw new TypeError('Invalid major version')
    }

    if (this.minor > MAX_SAFE_INTEGER || this.minor < 0) {
      throw new TypeError('Invalid minor version')
    }

    if (this.patch > MAX_SAFE_INTEGER || this.patch < 0) {
      throw new TypeError('Invalid patch version')
    }

    // numberify any prerelease numeric ids
    if (!m[4]) {
      this.prerelease = []
    } else {
      this.prerelease = m[4].split('.').map((id) => {
        if (/^[0-9]+$/.test(id)) {
          const num = +id
          if (num >= 0 && num < MAX_SAFE_INTEGER) {
            return num
          }
        }
        return id
      })
    }

    this.build = m[5] ? m[5].split('.') : []
    this.format()
  }

  format () {
    this.version = `${this.major}.${this.minor}.${this.patch}`
    if (this.prerelease.length) {
      this.version += `-${this.prerelease.join('.')}`
    }
    return this.version
  }

  toString () {
    return this.version
  }

  compare (other) {
    debug('SemVer.compare', this.version, this.options, other)
    if (!(other instanceof SemVer)) {
      if (typeof other === 'string' && other === this.version) {
        return 0
      }
      other = new SemVer(other, this.options)
    }

    if (other.version === this.version) {
      return 0
    }

    return this.compareMain(other) || this.comparePre(other)
  }

  compareMain (other) {
    if (!(other instanceof SemVer)) {
      other = new SemVer(other, this.options)
    }

    if (this.major < other.major) {
      return -1
    }
    if (this.major > other.major) {
      return 1
    }
    if (this.minor < other.minor) {
      return -1
    }
    if (this.minor > other.minor) {
      return 1
    }
    if (this.patch < other.patch) {
      return -1
    }
    if (this.patch > other.patch) {
      return 1
    }
    return 0
  }

  comparePre (other) {
    if (!(other instanceof SemVer)) {
      other = new SemVer(other, this.options)
    }

    // NOT having a prerelease is > having one
    if (this.prerelease.length && !other.prerelease.length) {
      return -1
    } else if (!this.prerelease.length && other.prerelease.length) {
      return 1
    } else if (!this.prerelease.length && !other.prerelease.length) {
      return 0
    }

    let i = 0
    do {
      const a = this.prerelease[i]
      const b = other.prerelease[i]
      debug('prerelease compare', i, a, b)
      if (a === undefined && b === undefined) {
        return 0
      } else if (b === undefined) {
        return 1
      } else if (a === undefined) {
        return -1
      } else if (a === b) {
        continue
      } else {
        return compareIdentifiers(a, b)
      }
    } while (++i)
  }

  compareBuild (other) {
    if (!(other instanceof SemVer)) {
      other = new SemVer(other, this.options)
    }

    let i = 0
    do {
      const a = this.build[i]
      const b = other.build[i]
      debug('build compare', i, a, b)
      if (a === undefined && b === undefined) {
        return 0
      } else if (b === undefined) {
        return 1
      } else if (a === undefined) {
        return -1
      } else if (a === b) {
        continue
      } else {
        return compareIdentifiers(a, b)
      }
    } while (++i)
  }

  // preminor will bump the version up to the next minor release, and immediately
  // down to pre-release. premajor and prepatch work the same way.
  inc (release, identifier, identifierBase) {
    if (release.startsWith('pre')) {
      if (!identifier && identifierBase === false) {
        throw new Error('invalid increment argument: identifier is empty')
      }
      // Avoid an invalid semver results
      if (identifier) {
        const match = `-${identifier}`.match(this.options.loose ? re[t.PRERELEASELOOSE] : re[t.PRERELEASE])
        if (!match || match[1] !== identifier) {
          throw new Error(`invalid identifier: ${identifier}`)
        }
      }
    }

    switch (release) {
      case 'premajor':
        this.prerelease.length = 0
        this.patch = 0
        this.minor = 0
        this.major++
        this.inc('pre', identifier, identifierBase)
        break
      case 'preminor':
        this.prerelease.length = 0
        this.patch = 0
        this.minor++
        this.inc('pre', identifier, identifierBase)
        break
      case 'prepatch':
        // If this is already a prerelease, it will bump to the next version
        // drop any prereleases that might already exist, since they are not
        // relevant at this point.
        this.prerelease.length = 0
        this.inc('patch', identifier, identifierBase)
        this.inc('pre', identifier, identifierBase)
        break
      // If the input is a non-prerelease version, this acts the same as
      // prepatch.
      case 'prerelease':
        if (this.prerelease.length === 0) {
          this.inc('patch', identifier, identifierBase)
        }
        this.inc('pre', identifier, identifierBase)
        break
      case 'release':
        if (this.prerelease.length === 0) {
          throw new Error(`version ${this.raw} is not a prerelease`)
        }
        this.prerelease.length = 0
        break

      case 'major':
        // If this is a pre-major version, bump up to the same major version.
        // Otherwise increment major.
        // 1.0.0-5 bumps to 1.0.0
        // 1.1.0 bumps to 2.0.0
        if (
          this.minor !== 0 ||
          this.patch !== 0 ||
          this.prerelease.length === 0
        ) {
          this.major++
        }
        this.minor = 0
        this.patch = 0
        this.prerelease = []
        break
      case 'minor':
        // If this is a pre-minor version, bump up to the same minor version.
        // Otherwise increment minor.
        // 1.2.0-5 bumps to 1.2.0
        // 1.2.1 bumps to 1.3.0
        if (this.patch !== 0 || this.prerelease.length === 0) {
          this.minor++
        }
        this.patch = 0
        this.prerelease = []
        break
      case 'patch':
        // If this is not a pre-release version, it will increment the patch.
        // If it is a pre-release it will bump up to the same patch version.
        // 1.2.0-5 patches to 1.2.0
        // 1.2.0 patches to 1.2.1
        if (this.prerelease.length === 0) {
          this.patch++
        }
        this.prerelease = []
        break
      // This probably shouldn't be used publicly.
      // 1.0.0 'pre' would become 1.0.0-0 which is the wrong direction.
      case 'pre': {
        const base = Number(identifierBase) ? 1 : 0

        if (this.prerelease.length === 0) {
          this.prerelease = [base]
        } else {
          let i = this.prerelease.length
          while (--i >= 0) {
            if (typeof this.prerelease[i] === 'number') {
              this.prerelease[i]++
              i = -2
            }
          }
          if (i === -1) {
            // didn't increment anything
            if (identifier === this.prerelease.join('.') && identifierBase === false) {
              throw new Error('invalid increment argument: identifier already exists')
            }
            this.prerelease.push(base)
          }
        }
        if (identifier) {
          // 1.2.0-beta.1 bumps to 1.2.0-beta.2,
          // 1.2.0-beta.fooblz or 1.2.0-beta bumps to 1.2.0-beta.0
          let prerelease = [identifier, base]
          if (identifierBase === false) {
            prerelease = [identifier]
          }
          if (isPrereleaseIdentifier(this.prerelease, identifier)) {
            const prereleaseBase = this.prerelease[identifier.split('.').length]
            if (isNaN(prereleaseBase)) {
              this.prerelease = prerelease
            }
          } else {
            this.prerelease = prerelease
          }
        }
        break
      }
      default:
        throw new Error(`invalid increment argument: ${release}`)
    }
    this.raw = this.format()
    if (this.build.length) {
      this.raw += `+${this.build.join('.')}`
    }
    return this
  }
}

module.exports = SemVer


/***/ }),

/***/ 1799:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const parse = __nccwpck_require__(6353)
const clean = (version, options) => {
  const s = parse(version.trim().replace(/^[=v]+/, ''), options)
  return s ? s.version : null
}
module.exports = clean


/***/ }),

/***/ 8646:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const eq = __nccwpck_require__(5082)
const neq = __nccwpck_require__(4974)
const gt = __nccwpck_require__(6599)
const gte = __nccwpck_require__(1236)
const lt = __nccwpck_require__(3872)
const lte = __nccwpck_require__(6717)

const cmp = (a, op, b, loose) => {
  switch (op) {
    case '===':
      if (typeof a === 'object') {
        a = a.version
      }
      if (typeof b === 'object') {
        b = b.version
      }
      return a === b

    case '!==':
      if (typeof a === 'object') {
        a = a.version
      }
      if (typeof b === 'object') {
        b = b.version
      }
      return a !== b

    case '':
    case '=':
    case '==':
      return eq(a, b, loose)

    case '!=':
      return neq(a, b, loose)

    case '>':
      return gt(a, b, loose)

    case '>=':
      return gte(a, b, loose)

    case '<':
      return lt(a, b, loose)

    case '<=':
      return lte(a, b, loose)

    default:
      throw new TypeError(`Invalid operator: ${op}`)
  }
}
module.exports = cmp


/***/ }),

/***/ 5385:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const SemVer = __nccwpck_require__(7163)
const parse = __nccwpck_require__(6353)
const { safeRe: re, t } = __nccwpck_require__(5471)

const coerce = (version, options) => {
  if (version instanceof SemVer) {
    return version
  }

  if (typeof version === 'number') {
    version = String(version)
  }

  if (typeof version !== 'string') {
    return null
  }

  options = options || {}

  let match = null
  if (!options.rtl) {
    match = version.match(options.includePrerelease ? re[t.COERCEFULL] : re[t.COERCE])
  } else {
    // Find the right-most coercible string that does not share
    // a terminus with a more left-ward coercible string.
    // Eg, '1.2.3.4' wants to coerce '2.3.4', not '3.4' or '4'
    // With includePrerelease option set, '1.2.3.4-rc' wants to coerce '2.3.4-rc', not '2.3.4'
    //
    // Walk through the string checking with a /g regexp
    // Manually set the index so as to pick up overlapping matches.
    // Stop when we get a match that ends at the string end, since no
    // coercible string can be more right-ward without the same terminus.
    const coerceRtlRegex = options.includePrerelease ? re[t.COERCERTLFULL] : re[t.COERCERTL]
    let next
    while ((next = coerceRtlRegex.exec(version)) &&
        (!match || match.index + match[0].length !== version.length)
    ) {
      if (!match ||
            next.index + next[0].length !== match.index + match[0].length) {
        match = next
      }
      coerceRtlRegex.lastIndex = next.index + next[1].length + next[2].length
    }
    // leave it in a clean state
    coerceRtlRegex.lastIndex = -1
  }

  if (match === null) {
    return null
  }

  const major = match[2]
  const minor = match[3] || '0'
  const patch = match[4] || '0'
  const prerelease = options.includePrerelease && match[5] ? `-${match[5]}` : ''
  const build = options.includePrerelease && match[6] ? `+${match[6]}` : ''

  return parse(`${major}.${minor}.${patch}${prerelease}${build}`, options)
}
module.exports = coerce


/***/ }),

/***/ 7648:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const SemVer = __nccwpck_require__(7163)
const compareBuild = (a, b, loose) => {
  const versionA = new SemVer(a, loose)
  const versionB = new SemVer(b, loose)
  return versionA.compare(versionB) || versionA.compareBuild(versionB)
}
module.exports = compareBuild


/***/ }),

/***/ 6874:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const compare = __nccwpck_require__(8469)
const compareLoose = (a, b) => compare(a, b, true)
module.exports = compareLoose


/***/ }),

/***/ 8469:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const SemVer = __nccwpck_require__(7163)
const compare = (a, b, loose) =>
  new SemVer(a, loose).compare(new SemVer(b, loose))

module.exports = compare


/***/ }),

/***/ 711:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const parse = __nccwpck_require__(6353)

const diff = (version1, version2) => {
  const v1 = parse(version1, null, true)
  const v2 = parse(version2, null, true)
  const comparison = v1.compare(v2)

  if (comparison === 0) {
    return null
  }

  const v1Higher = comparison > 0
  const highVersion = v1Higher ? v1 : v2
  const lowVersion = v1Higher ? v2 : v1
  const highHasPre = !!highVersion.prerelease.length
  const lowHasPre = !!lowVersion.prerelease.length

  if (lowHasPre && !highHasPre) {
    // Going from prerelease -> no prerelease requires some special casing

    // If the low version has only a major, then it will always be a major
    // Some examples:
    // 1.0.0-1 -> 1.0.0
    // 1.0.0-1 -> 1.1.1
    // 1.0.0-1 -> 2.0.0
    if (!lowVersion.patch && !lowVersion.minor) {
      return 'major'
    }

    // If the main part has no difference
    if (lowVersion.compareMain(highVersion) === 0) {
      if (lowVersion.minor && !lowVersion.patch) {
        return 'minor'
      }
      return 'patch'
    }
  }

  // add the `pre` prefix if we are going to a prerelease version
  const prefix = highHasPre ? 'pre' : ''

  if (v1.major !== v2.major) {
    return prefix + 'major'
  }

  if (v1.minor !== v2.minor) {
    return prefix + 'minor'
  }

  if (v1.patch !== v2.patch) {
    return prefix + 'patch'
  }

  // high and low are prereleases
  return 'prerelease'
}

module.exports = diff


/***/ }),

/***/ 5082:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const compare = __nccwpck_require__(8469)
const eq = (a, b, loose) => compare(a, b, loose) === 0
module.exports = eq


/***/ }),

/***/ 6599:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const compare = __nccwpck_require__(8469)
const gt = (a, b, loose) => compare(a, b, loose) > 0
module.exports = gt


/***/ }),

/***/ 1236:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const compare = __nccwpck_require__(8469)
const gte = (a, b, loose) => compare(a, b, loose) >= 0
module.exports = gte


/***/ }),

/***/ 2338:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const SemVer = __nccwpck_require__(7163)

const inc = (version, release, options, identifier, identifierBase) => {
  if (typeof (options) === 'string') {
    identifierBase = identifier
    identifier = options
    options = undefined
  }

  try {
    return new SemVer(
      version instanceof SemVer ? version.version : version,
      options
    ).inc(release, identifier, identifierBase).version
  } catch (er) {
    return null
  }
}
module.exports = inc


/***/ }),

/***/ 3872:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const compare = __nccwpck_require__(8469)
const lt = (a, b, loose) => compare(a, b, loose) < 0
module.exports = lt


/***/ }),

/***/ 6717:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const compare = __nccwpck_require__(8469)
const lte = (a, b, loose) => compare(a, b, loose) <= 0
module.exports = lte


/***/ }),

/***/ 8511:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const SemVer = __nccwpck_require__(7163)
const major = (a, loose) => new SemVer(a, loose).major
module.exports = major


/***/ }),

/***/ 2603:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const SemVer = __nccwpck_require__(7163)
const minor = (a, loose) => new SemVer(a, loose).minor
module.exports = minor


/***/ }),

/***/ 4974:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const compare = __nccwpck_require__(8469)
const neq = (a, b, loose) => compare(a, b, loose) !== 0
module.exports = neq


/***/ }),

/***/ 6353:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const SemVer = __nccwpck_require__(7163)
const parse = (version, options, throwErrors = false) => {
  if (version instanceof SemVer) {
    return version
  }
  try {
    return new SemVer(version, options)
  } catch (er) {
    if (!throwErrors) {
      return null
    }
    throw er
  }
}

module.exports = parse


/***/ }),

/***/ 8756:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const SemVer = __nccwpck_require__(7163)
const patch = (a, loose) => new SemVer(a, loose).patch
module.exports = patch


/***/ }),

/***/ 5714:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const parse = __nccwpck_require__(6353)
const prerelease = (version, options) => {
  const parsed = parse(version, options)
  return (parsed && parsed.prerelease.length) ? parsed.prerelease : null
}
module.exports = prerelease


/***/ }),

/***/ 2173:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const compare = __nccwpck_require__(8469)
const rcompare = (a, b, loose) => compare(b, a, loose)
module.exports = rcompare


/***/ }),

/***/ 7192:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const compareBuild = __nccwpck_require__(7648)
const rsort = (list, loose) => list.sort((a, b) => compareBuild(b, a, loose))
module.exports = rsort


/***/ }),

/***/ 8011:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const Range = __nccwpck_require__(6782)
const satisfies = (version, range, options) => {
  try {
    range = new Range(range, options)
  } catch (er) {
    return false
  }
  return range.test(version)
}
module.exports = satisfies


/***/ }),

/***/ 9872:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const compareBuild = __nccwpck_require__(7648)
const sort = (list, loose) => list.sort((a, b) => compareBuild(a, b, loose))
module.exports = sort


/***/ }),

/***/ 6114:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const parse = __nccwpck_require__(6353)
const constants = __nccwpck_require__(5101)
const SemVer = __nccwpck_require__(7163)

const truncate = (version, truncation, options) => {
  if (!constants.RELEASE_TYPES.includes(truncation)) {
    return null
  }

  const clonedVersion = cloneInputVersion(version, options)
  return clonedVersion && doTruncation(clonedVersion, truncation)
}

const cloneInputVersion = (version, options) => {
  const versionStringToParse = (
    version instanceof SemVer ? version.version : version
  )

  return parse(versionStringToParse, options)
}

const doTruncation = (version, truncation) => {
  if (isPrerelease(truncation)) {
    return version.version
  }

  version.prerelease = []

  switch (truncation) {
    case 'major':
      version.minor = 0
      version.patch = 0
      break
    case 'minor':
      version.patch = 0
      break
  }

  return version.format()
}

const isPrerelease = (type) => {
  return type.startsWith('pre')
}

module.exports = truncate


/***/ }),

/***/ 8780:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const parse = __nccwpck_require__(6353)
const valid = (version, options) => {
  const v = parse(version, options)
  return v ? v.version : null
}
module.exports = valid


/***/ }),

/***/ 2088:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



// just pre-load all the stuff that index.js lazily exports
const internalRe = __nccwpck_require__(5471)
const constants = __nccwpck_require__(5101)
const SemVer = __nccwpck_require__(7163)
const identifiers = __nccwpck_require__(3348)
const parse = __nccwpck_require__(6353)
const valid = __nccwpck_require__(8780)
const clean = __nccwpck_require__(1799)
const inc = __nccwpck_require__(2338)
const diff = __nccwpck_require__(711)
const major = __nccwpck_require__(8511)
const minor = __nccwpck_require__(2603)
const patch = __nccwpck_require__(8756)
const prerelease = __nccwpck_require__(5714)
const compare = __nccwpck_require__(8469)
const rcompare = __nccwpck_require__(2173)
const compareLoose = __nccwpck_require__(6874)
const compareBuild = __nccwpck_require__(7648)
const sort = __nccwpck_require__(9872)
const rsort = __nccwpck_require__(7192)
const gt = __nccwpck_require__(6599)
const lt = __nccwpck_require__(3872)
const eq = __nccwpck_require__(5082)
const neq = __nccwpck_require__(4974)
const gte = __nccwpck_require__(1236)
const lte = __nccwpck_require__(6717)
const cmp = __nccwpck_require__(8646)
const coerce = __nccwpck_require__(5385)
const truncate = __nccwpck_require__(6114)
const Comparator = __nccwpck_require__(9379)
const Range = __nccwpck_require__(6782)
const satisfies = __nccwpck_require__(8011)
const toComparators = __nccwpck_require__(4750)
const maxSatisfying = __nccwpck_require__(3193)
const minSatisfying = __nccwpck_require__(8595)
const minVersion = __nccwpck_require__(1866)
const validRange = __nccwpck_require__(4737)
const outside = __nccwpck_require__(280)
const gtr = __nccwpck_require__(2276)
const ltr = __nccwpck_require__(5213)
const intersects = __nccwpck_require__(3465)
const simplifyRange = __nccwpck_require__(2028)
const subset = __nccwpck_require__(1489)
module.exports = {
  parse,
  valid,
  clean,
  inc,
  diff,
  major,
  minor,
  patch,
  prerelease,
  compare,
  rcompare,
  compareLoose,
  compareBuild,
  sort,
  rsort,
  gt,
  lt,
  eq,
  neq,
  gte,
  lte,
  cmp,
  coerce,
  truncate,
  Comparator,
  Range,
  satisfies,
  toComparators,
  maxSatisfying,
  minSatisfying,
  minVersion,
  validRange,
  outside,
  gtr,
  ltr,
  intersects,
  simplifyRange,
  subset,
  SemVer,
  re: internalRe.re,
  src: internalRe.src,
  tokens: internalRe.t,
  SEMVER_SPEC_VERSION: constants.SEMVER_SPEC_VERSION,
  RELEASE_TYPES: constants.RELEASE_TYPES,
  compareIdentifiers: identifiers.compareIdentifiers,
  rcompareIdentifiers: identifiers.rcompareIdentifiers,
}


/***/ }),

/***/ 5101:
/***/ ((module) => {



// Note: this is the semver.org version of the spec that it implements
// Not necessarily the package version of this code.
const SEMVER_SPEC_VERSION = '2.0.0'

const MAX_LENGTH = 256
const MAX_SAFE_INTEGER = Number.MAX_SAFE_INTEGER ||
/* istanbul ignore next */ 9007199254740991

// Max safe segment length for coercion.
const MAX_SAFE_COMPONENT_LENGTH = 16

// Max safe length for a build identifier. The max length minus 6 characters for
// the shortest version with a build 0.0.0+BUILD.
const MAX_SAFE_BUILD_LENGTH = MAX_LENGTH - 6

// ECMAScript whitespace and line terminators matched by \s.
const WHITESPACE_CHARACTERS = [
  '\t',
  '\n',
  '\v',
  '\f',
  '\r',
  ' ',
  '\u00a0',
  '\u1680',
  '\u2000',
  '\u2001',
  '\u2002',
  '\u2003',
  '\u2004',
  '\u2005',
  '\u2006',
  '\u2007',
  '\u2008',
  '\u2009',
  '\u200a',
  '\u2028',
  '\u2029',
  '\u202f',
  '\u205f',
  '\u3000',
  '\ufeff',
]

const RELEASE_TYPES = [
  'major',
  'premajor',
  'minor',
  'preminor',
  'patch',
  'prepatch',
  'prerelease',
]

module.exports = {
  MAX_LENGTH,
  MAX_SAFE_COMPONENT_LENGTH,
  MAX_SAFE_BUILD_LENGTH,
  MAX_SAFE_INTEGER,
  WHITESPACE_CHARACTERS,
  RELEASE_TYPES,
  SEMVER_SPEC_VERSION,
  FLAG_INCLUDE_PRERELEASE: 0b001,
  FLAG_LOOSE: 0b010,
}


/***/ }),

/***/ 1159:
/***/ ((module) => {



const debug = (
  typeof process === 'object' &&
  process.env &&
  process.env.NODE_DEBUG &&
  /\bsemver\b/i.test(process.env.NODE_DEBUG)
) ? (...args) => console.error('SEMVER', ...args)
  : () => {}

module.exports = debug


/***/ }),

/***/ 3348:
/***/ ((module) => {



const numeric = /^[0-9]+$/
const compareIdentifiers = (a, b) => {
  if (typeof a === 'number' && typeof b === 'number') {
    return a === b ? 0 : a < b ? -1 : 1
  }

  const anum = numeric.test(a)
  const bnum = numeric.test(b)

  if (anum && bnum) {
    a = +a
    b = +b
  }

  return a === b ? 0
    : (anum && !bnum) ? -1
    : (bnum && !anum) ? 1
    : a < b ? -1
    : 1
}

const rcompareIdentifiers = (a, b) => compareIdentifiers(b, a)

module.exports = {
  compareIdentifiers,
  rcompareIdentifiers,
}


/***/ }),

/***/ 1383:
/***/ ((module) => {



class LRUCache {
  constructor () {
    this.max = 1000
    this.map = new Map()
  }

  get (key) {
    const value = this.map.get(key)
    if (value === undefined) {
      return undefined
    } else {
      // Remove the key from the map and add it to the end
      this.map.delete(key)
      this.map.set(key, value)
      return value
    }
  }

  delete (key) {
    return this.map.delete(key)
  }

  set (key, value) {
    const deleted = this.delete(key)

    if (!deleted && value !== undefined) {
      // If cache is full, delete the least recently used item
      if (this.map.size >= this.max) {
        const firstKey = this.map.keys().next().value
        this.delete(firstKey)
      }

      this.map.set(key, value)
    }

    return this
  }
}

module.exports = LRUCache


/***/ }),

/***/ 356:
/***/ ((module) => {



// parse out just the options we care about
const looseOption = Object.freeze({ loose: true })
const emptyOpts = Object.freeze({ })
const parseOptions = options => {
  if (!options) {
    return emptyOpts
  }

  if (typeof options !== 'object') {
    return looseOption
  }

  return options
}
module.exports = parseOptions


/***/ }),

/***/ 5471:
/***/ ((module, exports, __nccwpck_require__) => {



const {
  MAX_SAFE_COMPONENT_LENGTH,
  MAX_SAFE_BUILD_LENGTH,
  MAX_LENGTH,
} = __nccwpck_require__(5101)
const debug = __nccwpck_require__(1159)
exports = module.exports = {}

// The actual regexps go on exports.re
const re = exports.re = []
const safeRe = exports.safeRe = []
const src = exports.src = []
const safeSrc = exports.safeSrc = []
const t = exports.t = {}
let R = 0

const LETTERDASHNUMBER = '[a-zA-Z0-9-]'

// Replace some greedy regex tokens to prevent regex dos issues. These regex are
// used internally via the safeRe object since all inputs in this library get
// normalized first to trim and collapse all extra whitespace. The original
// regexes are exported for userland consumption and lower level usage. A
// future breaking change could export the safer regex only with a note that
// all input should have extra whitespace removed.
const safeRegexReplacements = [
  ['\\s', 1],
  ['\\d', MAX_LENGTH],
  [LETTERDASHNUMBER, MAX_SAFE_BUILD_LENGTH],
]

const makeSafeRegex = (value) => {
  for (const [token, max] of safeRegexReplacements) {
    value = value
      .split(`${token}*`).join(`${token}{0,${max}}`)
      .split(`${token}+`).join(`${token}{1,${max}}`)
  }
  return value
}

const createToken = (name, value, isGlobal) => {
  const safe = makeSafeRegex(value)
  const index = R++
  debug(name, index, value)
  t[name] = index
  src[index] = value
  safeSrc[index] = safe
  re[index] = new RegExp(value, isGlobal ? 'g' : undefined)
  safeRe[index] = new RegExp(safe, isGlobal ? 'g' : undefined)
}

// The following Regular Expressions can be used for tokenizing,
// validating, and parsing SemVer version strings.

// ## Numeric Identifier
// A single `0`, or a non-zero digit followed by zero or more digits.

createToken('NUMERICIDENTIFIER', '0|[1-9]\\d*')
createToken('NUMERICIDENTIFIERLOOSE', '\\d+')

// ## Non-numeric Identifier
// Zero or more digits, followed by a letter or hyphen, and then zero or
// more letters, digits, or hyphens.

createToken('NONNUMERICIDENTIFIER', `\\d*[a-zA-Z-]${LETTERDASHNUMBER}*`)

// ## Main Version
// Three dot-separated numeric identifiers.

createToken('MAINVERSION', `(${src[t.NUMERICIDENTIFIER]})\\.` +
                   `(${src[t.NUMERICIDENTIFIER]})\\.` +
                   `(${src[t.NUMERICIDENTIFIER]})`)

createToken('MAINVERSIONLOOSE', `(${src[t.NUMERICIDENTIFIERLOOSE]})\\.` +
                        `(${src[t.NUMERICIDENTIFIERLOOSE]})\\.` +
                        `(${src[t.NUMERICIDENTIFIERLOOSE]})`)

// ## Pre-release Version Identifier
// A numeric identifier, or a non-numeric identifier.
// Non-numeric identifiers include numeric identifiers but can be longer.
// Therefore non-numeric identifiers must go first.

createToken('PRERELEASEIDENTIFIER', `(?:${src[t.NONNUMERICIDENTIFIER]
}|${src[t.NUMERICIDENTIFIER]})`)

createToken('PRERELEASEIDENTIFIERLOOSE', `(?:${src[t.NONNUMERICIDENTIFIER]
}|${src[t.NUMERICIDENTIFIERLOOSE]})`)

// ## Pre-release Version
// Hyphen, followed by one or more dot-separated pre-release version
// identifiers.

createToken('PRERELEASE', `(?:-(${src[t.PRERELEASEIDENTIFIER]
}(?:\\.${src[t.PRERELEASEIDENTIFIER]})*))`)

createToken('PRERELEASELOOSE', `(?:-?(${src[t.PRERELEASEIDENTIFIERLOOSE]
}(?:\\.${src[t.PRERELEASEIDENTIFIERLOOSE]})*))`)

// ## Build Metadata Identifier
// Any combination of digits, letters, or hyphens.

createToken('BUILDIDENTIFIER', `${LETTERDASHNUMBER}+`)

// ## Build Metadata
// Plus sign, followed by one or more period-separated build metadata
// identifiers.

createToken('BUILD', `(?:\\+(${src[t.BUILDIDENTIFIER]
}(?:\\.${src[t.BUILDIDENTIFIER]})*))`)

// ## Full Version String
// A main version, followed optionally by a pre-release version and
// build metadata.

// Note that the only major, minor, patch, and pre-release sections of
// the version string are capturing groups.  The build metadata is not a
// capturing group, because it should not ever be used in version
// comparison.

createToken('FULLPLAIN', `v?${src[t.MAINVERSION]
}${src[t.PRERELEASE]}?${
  src[t.BUILD]}?`)

createToken('FULL', `^${src[t.FULLPLAIN]}$`)

// like full, but allows v1.2.3 and =1.2.3, which people do sometimes.
// also, 1.0.0alpha1 (prerelease without the hyphen) which is pretty
// common in the npm registry.
createToken('LOOSEPLAIN', `[v=\\s]*${src[t.MAINVERSIONLOOSE]
}${src[t.PRERELEASELOOSE]}?${
  src[t.BUILD]}?`)

createToken('LOOSE', `^${src[t.LOOSEPLAIN]}$`)

createToken('GTLT', '((?:<|>)?=?)')

// Something like "2.*" or "1.2.x".
// Note that "x.x" is a valid xRange identifier, meaning "any version"
// Only the first item is strictly required.
createToken('XRANGEIDENTIFIERLOOSE', `${src[t.NUMERICIDENTIFIERLOOSE]}|x|X|\\*`)
createToken('XRANGEIDENTIFIER', `${src[t.NUMERICIDENTIFIER]}|x|X|\\*`)

createToken('XRANGEPLAIN', `[v=\\s]*(${src[t.XRANGEIDENTIFIER]})` +
                   `(?:\\.(${src[t.XRANGEIDENTIFIER]})` +
                   `(?:\\.(${src[t.XRANGEIDENTIFIER]})` +
                   `(?:${src[t.PRERELEASE]})?${
                     src[t.BUILD]}?` +
                   `)?)?`)

createToken('XRANGEPLAINLOOSE', `[v=\\s]*(${src[t.XRANGEIDENTIFIERLOOSE]})` +
                        `(?:\\.(${src[t.XRANGEIDENTIFIERLOOSE]})` +
                        `(?:\\.(${src[t.XRANGEIDENTIFIERLOOSE]})` +
                        `(?:${src[t.PRERELEASELOOSE]})?${
                          src[t.BUILD]}?` +
                        `)?)?`)

createToken('XRANGE', `^${src[t.GTLT]}\\s*${src[t.XRANGEPLAIN]}$`)
createToken('XRANGELOOSE', `^${src[t.GTLT]}\\s*${src[t.XRANGEPLAINLOOSE]}$`)

// Coercion.
// Extract anything that could conceivably be a part of a valid semver
createToken('COERCEPLAIN', `${'(^|[^\\d])' +
              '(\\d{1,'}${MAX_SAFE_COMPONENT_LENGTH}})` +
              `(?:\\.(\\d{1,${MAX_SAFE_COMPONENT_LENGTH}}))?` +
              `(?:\\.(\\d{1,${MAX_SAFE_COMPONENT_LENGTH}}))?`)
createToken('COERCE', `${src[t.COERCEPLAIN]}(?:$|[^\\d])`)
createToken('COERCEFULL', src[t.COERCEPLAIN] +
              `(?:${src[t.PRERELEASE]})?` +
              `(?:${src[t.BUILD]})?` +
              `(?:$|[^\\d])`)
createToken('COERCERTL', src[t.COERCE], true)
createToken('COERCERTLFULL', src[t.COERCEFULL], true)

// Tilde ranges.
// Meaning is "reasonably at or greater than"
createToken('LONETILDE', '(?:~>?)')

createToken('TILDETRIM', `(\\s*)${src[t.LONETILDE]}\\s+`, true)
exports.tildeTrimReplace = '$1~'

createToken('TILDE', `^${src[t.LONETILDE]}${src[t.XRANGEPLAIN]}$`)
createToken('TILDELOOSE', `^${src[t.LONETILDE]}${src[t.XRANGEPLAINLOOSE]}$`)

// Caret ranges.
// Meaning is "at least and backwards compatible with"
createToken('LONECARET', '(?:\\^)')

createToken('CARETTRIM', `(\\s*)${src[t.LONECARET]}\\s+`, true)
exports.caretTrimReplace = '$1^'

createToken('CARET', `^${src[t.LONECARET]}${src[t.XRANGEPLAIN]}$`)
createToken('CARETLOOSE', `^${src[t.LONECARET]}${src[t.XRANGEPLAINLOOSE]}$`)

// A simple gt/lt/eq thing, or just "" to indicate "any version"
createToken('COMPARATORLOOSE', `^${src[t.GTLT]}\\s*(${src[t.LOOSEPLAIN]})$|^$`)
createToken('COMPARATOR', `^${src[t.GTLT]}\\s*(${src[t.FULLPLAIN]})$|^$`)

// An expression to strip any whitespace between the gtlt and the thing
// it modifies, so that `> 1.2.3` ==> `>1.2.3`
createToken('COMPARATORTRIM', `(\\s*)${src[t.GTLT]
}\\s*(${src[t.LOOSEPLAIN]}|${src[t.XRANGEPLAIN]})`, true)
exports.comparatorTrimReplace = '$1$2$3'

// Something like `1.2.3 - 1.2.4`
// Note that these all use the loose form, because they'll be
// checked against either the strict or loose comparator form
// later.
createToken('HYPHENRANGE', `^\\s*(${src[t.XRANGEPLAIN]})` +
                   `\\s+-\\s+` +
                   `(${src[t.XRANGEPLAIN]})` +
                   `\\s*$`)

createToken('HYPHENRANGELOOSE', `^\\s*(${src[t.XRANGEPLAINLOOSE]})` +
                        `\\s+-\\s+` +
                        `(${src[t.XRANGEPLAINLOOSE]})` +
                        `\\s*$`)

// Star ranges basically just allow anything at all.
createToken('STAR', '(<|>)?=?\\s*\\*')
// >=0.0.0 is like a star
createToken('GTE0', '^\\s*>=\\s*0\\.0\\.0\\s*$')
createToken('GTE0PRE', '^\\s*>=\\s*0\\.0\\.0-0\\s*$')


/***/ }),

/***/ 9737:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {

// @ts-check


// Reproduce safeRe[COMPARATORTRIM] replacement boundaries, not version
// validation. Each end-index finder returns an exclusive end, or its start
// on no match.
// Positions count from zero. An end of 3 means characters 0, 1, and 2 were read;
// range.slice(start, end) gives the matched text, not a converted number.
const {
  MAX_LENGTH,
  MAX_SAFE_BUILD_LENGTH,
  WHITESPACE_CHARACTERS,
} = __nccwpck_require__(5101)

/**
 * Remembers the last two rows of digits so their characters need not be reread.
 * Positions start at -1 until a row has been found.
 *
 * @typedef {object} DigitRunCache
 * @property {number} start The first character of the most recently found row.
 * @property {number} end The position after that row's last character.
 * @property {number} previousStart The first character of the previous row.
 * @property {number} previousEnd The position after the previous row.
 */

// One entry per UTF-16 code unit keeps membership checks constant-time.
const whitespace = new Uint8Array(0x10000)
for (const char of WHITESPACE_CHARACTERS) {
  whitespace[char.charCodeAt(0)] = 1
}

/**
 * Checks whether a character is whitespace, like a space, tab, or newline.
 * Looking past the end of the string returns false.
 *
 * @param {string|undefined} char One character, or undefined past the string's end.
 * @returns {boolean} Whether the character is whitespace.
 * @example isWhitespace(' ') // true
 * @example isWhitespace('1') // false
 */
const isWhitespace = char =>
  char !== undefined && whitespace[char.charCodeAt(0)] === 1

/**
 * Checks for v, =, or whitespace before the version number.
 * These are historical version prefixes, not range operators:
 * < and > are handled separately, as are tilde and caret ranges.
 *
 * @param {string|undefined} char One character to check.
 * @returns {boolean} Whether the character can belong to a version prefix.
 * @example isVersionPrefix('=') // true
 * @example isVersionPrefix('>') // false
 */
const isVersionPrefix = char =>
  char === 'v' ||
  char === '=' ||
  isWhitespace(char)

/**
 * Checks whether a character is one of the digits 0 through 9.
 *
 * @param {string|undefined} char One character to check.
 * @returns {boolean} Whether the character is an ASCII digit.
 * @example isDigit('7') // true
 * @example isDigit('.') // false
 */
const isDigit = char => char !== undefined && char >= '0' && char <= '9'

/**
 * Checks whether a character is an English letter, uppercase or lowercase.
 *
 * @param {string|undefined} char One character to check.
 * @returns {boolean} Whether the character is an ASCII letter.
 * @example isLetter('b') // true
 * @example isLetter('7') // false
 */
const isLetter = char =>
  char !== undefined && (
    (char >= 'a' && char <= 'z') ||
    (char >= 'A' && char <= 'Z')
  )

/**
 * Checks for a letter, digit, or hyphen: the characters allowed inside
 * prerelease and build names such as beta-1.
 *
 * @param {string|undefined} char One character to check.
 * @returns {boolean} Whether the character can be part of an identifier.
 * @example isIdentifierCharacter('-') // true
 * @example isIdentifierCharacter('.') // false; dots separate identifiers
 */
const isIdentifierCharacter = char => isDigit(char) || isLetter(char) || char === '-'

/**
 * Checks whether a version component can begin here: with a digit or
 * a wildcard such as x, X, or *.
 *
 * @param {string|undefined} char One character to check.
 * @returns {boolean} Whether a number or wildcard can start with this character.
 * @example isVersionStart('x') // true
 * @example isVersionStart('v') // false; v belongs to the prefix
 */
const isVersionStart = char =>
  isDigit(char) ||
  char === 'x' ||
  char === 'X' ||
  char === '*'

/**
 * Finds the end of a row of digits, but returns no more than limit digits.
 * Remembers the last two rows so looking at them again does not reread them.
 *
 * @param {string} range The text to read; it is not changed.
 * @param {number} start The position of the first character to check.
 * @param {number} limit The most digit characters the returned match can include.
 * @param {DigitRunCache} digitRuns Shared cache of digit-run positions, updated in place.
 * @returns {number} The position after the matched digits, or start if none match.
 * @example findDigitsEndIndex('123abc', 0, 10, digitRuns) // 3, pointing at a
 * @example findDigitsEndIndex('123abc', 0, 2, digitRuns) // 2, pointing at the unread 3
 */
const findDigitsEndIndex = (range, start, limit, digitRuns) => {
  if (!isDigit(range[start])) {
    return start
  }
  if (start >= digitRuns.start && start < digitRuns.end) {
    return Math.min(start + limit, digitRuns.end)
  }
  if (start >= digitRuns.previousStart && start < digitRuns.previousEnd) {
    return Math.min(start + limit, digitRuns.previousEnd)
  }
  let end = start + 1
  while (isDigit(range[end])) {
    end++
  }
  // A failed full version can rewind from its second run to its first.
  digitRuns.previousStart = digitRuns.start
  digitRuns.previousEnd = digitRuns.end
  digitRuns.start = start
  digitRuns.end = end
  return Math.min(start + limit, end)
}

/**
 * Reads a number using the old regex's length and leading-zero rules.
 * Strict mode reads just the first zero in 012; loose mode can read all three.
 *
 * @param {string} range The text to read; it is not changed.
 * @param {number} start The position where the number should begin.
 * @param {boolean} loose Whether to allow leading zeros.
 * @param {DigitRunCache} digitRuns Shared digit-run cache, updated as needed.
 * @returns {number} The position after the matched digits, not their numeric value.
 * @example findVersionNumberEndIndex('012', 0, false, digitRuns) // 1
 * @example findVersionNumberEndIndex('012', 0, true, digitRuns) // 3
 */
const findVersionNumberEndIndex = (range, start, loose, digitRuns) => {
  if (!loose && range[start] === '0') {
    return start + 1
  }
  // Strict syntax allows an initial nonzero digit plus MAX_LENGTH digits.
  return findDigitsEndIndex(range, start, loose ? MAX_LENGTH : MAX_LENGTH + 1, digitRuns)
}

/**
 * Reads one piece of a prerelease name, such as beta or 1 in beta.1.
 * Tries the letter-or-hyphen form first, then the number-only form.
 *
 * @param {string} range The text to read; it is not changed.
 * @param {number} start The position where the identifier should begin.
 * @param {boolean} loose Whether numeric identifiers may have leading zeros.
 * @param {DigitRunCache} digitRuns Shared digit-run cache, updated as needed.
 * @returns {number} The position after the identifier, or start if none matches.
 * @example findPrereleaseIdentifierEndIndex('beta.1', 0, false, digitRuns) // 4, at the dot
 * @example findPrereleaseIdentifierEndIndex('001beta', 0, false, digitRuns) // 7
 */
const findPrereleaseIdentifierEndIndex = (range, start, loose, digitRuns) => {
  const digitsEnd = findDigitsEndIndex(range, start, MAX_LENGTH, digitRuns)
  // The legacy regex tries a nonnumeric identifier before a numeric one.
  if (isLetter(range[digitsEnd]) || range[digitsEnd] === '-') {
    let end = digitsEnd + 1
    const limit = end + MAX_SAFE_BUILD_LENGTH
    while (end < limit && isIdentifierCharacter(range[end])) {
      end++
    }
    return end
  }
  return findVersionNumberEndIndex(range, start, loose, digitRuns)
}

/**
 * Reads a prerelease suffix such as -beta.1, one dot-separated piece at a time.
 * Loose mode also allows the name without its opening hyphen.
 *
 * @param {string} range The text to read; it is not changed.
 * @param {number} start The position where the suffix should begin, including -.
 * @param {boolean} loose Whether the opening hyphen is optional and zeros allowed.
 * @param {DigitRunCache} digitRuns Shared digit-run cache, updated as needed.
 * @returns {number} The position after the matched suffix, or start if absent.
 * @example findPrereleaseEndIndex('-beta.1+sha', 0, false, digitRuns) // 7, at the plus
 * @example findPrereleaseEndIndex('beta', 0, false, digitRuns) // 0; no opening hyphen
 */
const findPrereleaseEndIndex = (range, start, loose, digitRuns) => {
  const hyphen = range[start] === '-'
  if (!loose && !hyphen) {
    return start
  }
  const identifierStart = start + (hyphen ? 1 : 0)
  let end = findPrereleaseIdentifierEndIndex(range, identifierStart, loose, digitRuns)
  if (end === identifierStart) {
    if (!loose || !hyphen) {
      return start
    }
    // In loose syntax, a lone hyphen can itself be the identifier.
    end = findPrereleaseIdentifierEndIndex(range, start, loose, digitRuns)
  }
  while (range[end] === '.') {
    const next = findPrereleaseIdentifierEndIndex(range, end + 1, loose, digitRuns)
    if (next === end + 1) {
      break
    }
    end = next
  }
  return end
}

/**
 * Reads one build-name piece, such as sha or 123 in +sha.123.
 * Stops at a disallowed character or the old regex's length limit.
 *
 * @param {string} range The text to read; it is not changed.
 * @param {number} start The position where the identifier should begin.
 * @returns {number} The position after the identifier, or start if none matches.
 * @example findBuildIdentifierEndIndex('sha.123', 0) // 3, at the dot
 * @example findBuildIdentifierEndIndex('001', 0) // 3; leading zeros are allowed
 */
const findBuildIdentifierEndIndex = (range, start) => {
  let end = start
  while (end - start < MAX_SAFE_BUILD_LENGTH && isIdentifierCharacter(range[end])) {
    end++
  }
  return end
}

/**
 * Reads optional build metadata such as +sha.123.
 * Leaves the position unchanged if there is no plus sign followed by a name.
 *
 * @param {string} range The text to read; it is not changed.
 * @param {number} start The position where the opening + should be.
 * @returns {number} The position after the matched metadata, or start if absent.
 * @example findBuildEndIndex('+sha.123 <2', 0) // 8, at the space
 * @example findBuildEndIndex('+', 0) // 0; a plus sign alone is not a match
 */
const findBuildEndIndex = (range, start) => {
  if (range[start] !== '+') {
    return start
  }
  let end = findBuildIdentifierEndIndex(range, start + 1)
  if (end === start + 1) {
    return start
  }
  while (range[end] === '.') {
    const next = findBuildIdentifierEndIndex(range, end + 1)
    if (next === end + 1) {
      break
    }
    end = next
  }
  return end
}

/**
 * Reads three numbers separated by dots, then any prerelease and build suffixes.
 * Uses loose rules, so forms such as 01.02.03beta can match here.
 *
 * @param {string} range The text to read; it is not changed.
 * @param {number} start The position of the first number, after any prefix.
 * @param {DigitRunCache} digitRuns Shared digit-run cache, updated as needed.
 * @returns {number} The position after the version match, or start if none matches.
 * @example findLooseFullVersionEndIndex('1.2.3-beta+sha <2', 0, digitRuns) // 14
 * @example findLooseFullVersionEndIndex('1.2', 0, digitRuns) // 0; needs three numbers
 */
const findLooseFullVersionEndIndex = (range, start, digitRuns) => {
  let end = start
  for (let component = 0; component < 3; component++) {
    const next = findVersionNumberEndIndex(range, end, true, digitRuns)
    if (next === end) {
      return start
    }
    end = next
    if (component < 2) {
      if (range[end] !== '.') {
        return start
      }
      end++
    }
  }
  const prereleaseEnd = findPrereleaseEndIndex(range, end, true, digitRuns)
  return findBuildEndIndex(range, prereleaseEnd)
}

/**
 * Reads one component of a partial or wildcard version, such as 2 or x in 2.x.
 * Numbers use strict leading-zero rules; wildcards take up one character.
 *
 * @param {string} range The text to read; it is not changed.
 * @param {number} start The position where the component should begin.
 * @param {DigitRunCache} digitRuns Shared digit-run cache, updated as needed.
 * @returns {number} The position after the component, or start if none matches.
 * @example findPartialVersionComponentEndIndex('2.x', 0, digitRuns) // 1, at the dot
 * @example findPartialVersionComponentEndIndex('2.x', 2, digitRuns) // 3, after x
 */
const findPartialVersionComponentEndIndex = (range, start, digitRuns) => {
  if (isDigit(range[start])) {
    return findVersionNumberEndIndex(range, start, false, digitRuns)
  }
  return isVersionStart(range[start]) ? start + 1 : start
}

/**
 * Reads up to three components, allowing forms such as 1, 1.2, or 1.x.
 * After the third component, also reads any strict prerelease and build suffixes.
 *
 * @param {string} range The text to read; it is not changed.
 * @param {number} start The position of a number or wildcard, after any prefix.
 * @param {DigitRunCache} digitRuns Shared digit-run cache, updated as needed.
 * @returns {number} The position after the matched version text.
 * @example findPartialVersionEndIndex('1.x <2', 0, digitRuns) // 3, at the space
 * @example findPartialVersionEndIndex('1.', 0, digitRuns) // 1; the trailing dot is unread
 */
const findPartialVersionEndIndex = (range, start, digitRuns) => {
  let end = findPartialVersionComponentEndIndex(range, start, digitRuns)
  for (let component = 0; component < 2; component++) {
    if (range[end] !== '.') {
      return end
    }
    const next = findPartialVersionComponentEndIndex(range, end + 1, digitRuns)
    if (next === end + 1) {
      return end
    }
    end = next
  }
  const prereleaseEnd = findPrereleaseEndIndex(range, end, false, digitRuns)
  return findBuildEndIndex(range, prereleaseEnd)
}

/**
 * Finds where a version match ends, without deciding whether the range is valid.
 * Tries a loose full version first, then a partial or wildcard version, just
 * like the old regex's LOOSEPLAIN and XRANGEPLAIN alternatives.
 *
 * @param {string} range The text to read; it is not changed.
 * @param {number} start The position of a number or wildcard, after any prefix.
 * @param {DigitRunCache} digitRuns Shared digit-run cache, updated as needed.
 * @returns {number} The position where scanning the next candidate can resume.
 * @example findVersionEndIndex('1.2.3 <2', 0, digitRuns) // 5, at the space
 * @example findVersionEndIndex('1.x <2', 0, digitRuns) // 3, at the space
 */
const findVersionEndIndex = (range, start, digitRuns) => {
  const fullVersionEnd = findLooseFullVersionEndIndex(range, start, digitRuns)
  return fullVersionEnd !== start
    ? fullVersionEnd
    : findPartialVersionEndIndex(range, start, digitRuns)
}

/**
 * Finds the one whitespace character the old replacement would remove.
 * Keeps leading whitespace, skips an optional operator, and checks immediately
 * after it. Returns -1 if there is nothing to remove.
 *
 * @param {string} range The text containing a candidate already found by the caller.
 * @param {number} matchStart The candidate's position, including leading whitespace.
 * @returns {number} The position of the removable whitespace, or -1 if absent.
 * @example findRemovableWhitespaceIndex(' > 1', 0) // 2; keep the space at position 0
 * @example findRemovableWhitespaceIndex('>1', 0) // -1
 */
const findRemovableWhitespaceIndex = (range, matchStart) => {
  let position = matchStart
  if (isWhitespace(range[position])) {
    position++
  }
  if (range[position] === '<' || range[position] === '>') {
    position++
  }
  if (range[position] === '=') {
    position++
  }
  return isWhitespace(range[position]) ? position : -1
}

/**
 * Joins an operator to its version, turning > 1.2.3 into >1.2.3.
 * Copies everything else according to the old regex's matching rules.
 * Moves forward through prefixes and whole versions to avoid repeatedly
 * searching the same characters on long inputs.
 *
 * @param {string} range The range text to process; the original string is unchanged.
 * @returns {string} The range with matched operator whitespace removed.
 * @example trimComparatorWhitespace('> 1.2.3 < 2') // '>1.2.3 <2'
 * @example trimComparatorWhitespace('> invalid') // '> invalid'
 */
const trimComparatorWhitespace = range => {
  let result = ''
  let copyFrom = 0
  let cursor = 0
  const digitRuns = { start: -1, end: -1, previousStart: -1, previousEnd: -1 }

  while (cursor < range.length) {
    const matchStart = cursor
    if (range[cursor] === '<' || range[cursor] === '>') {
      cursor++
    } else if (!isVersionPrefix(range[cursor]) && !isVersionStart(range[cursor])) {
      cursor++
      continue
    }

    // Consume a v/=/whitespace run once, even when no version follows it.
    while (cursor < range.length && isVersionPrefix(range[cursor])) {
      cursor++
    }
    if (!isVersionStart(range[cursor])) {
      continue
    }

    const whitespacePosition = findRemovableWhitespaceIndex(range, matchStart)
    if (whitespacePosition !== -1) {
      result += range.slice(copyFrom, whitespacePosition)
      copyFrom = whitespacePosition + 1
    }

    // Skip the entire match, so a prerelease's trailing v cannot be
    // reconsidered as the prefix of another version.
    cursor = findVersionEndIndex(range, cursor, digitRuns)
  }

  return result + range.slice(copyFrom)
}

module.exports = trimComparatorWhitespace


/***/ }),

/***/ 2276:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



// Determine if version is greater than all the versions possible in the range.
const outside = __nccwpck_require__(280)
const gtr = (version, range, options) => outside(version, range, '>', options)
module.exports = gtr


/***/ }),

/***/ 3465:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const Range = __nccwpck_require__(6782)
const intersects = (r1, r2, options) => {
  r1 = new Range(r1, options)
  r2 = new Range(r2, options)
  return r1.intersects(r2, options)
}
module.exports = intersects


/***/ }),

/***/ 5213:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const outside = __nccwpck_require__(280)
// Determine if version is less than all the versions possible in the range
const ltr = (version, range, options) => outside(version, range, '<', options)
module.exports = ltr


/***/ }),

/***/ 3193:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const SemVer = __nccwpck_require__(7163)
const Range = __nccwpck_require__(6782)

const maxSatisfying = (versions, range, options) => {
  let max = null
  let maxSV = null
  let rangeObj = null
  try {
    rangeObj = new Range(range, options)
  } catch (er) {
    return null
  }
  versions.forEach((v) => {
    if (rangeObj.test(v)) {
      // satisfies(v, range, options)
      if (!max || maxSV.compare(v) === -1) {
        // compare(max, v, true)
        max = v
        maxSV = new SemVer(max, options)
      }
    }
  })
  return max
}
module.exports = maxSatisfying


/***/ }),

/***/ 8595:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const SemVer = __nccwpck_require__(7163)
const Range = __nccwpck_require__(6782)
const minSatisfying = (versions, range, options) => {
  let min = null
  let minSV = null
  let rangeObj = null
  try {
    rangeObj = new Range(range, options)
  } catch (er) {
    return null
  }
  versions.forEach((v) => {
    if (rangeObj.test(v)) {
      // satisfies(v, range, options)
      if (!min || minSV.compare(v) === 1) {
        // compare(min, v, true)
        min = v
        minSV = new SemVer(min, options)
      }
    }
  })
  return min
}
module.exports = minSatisfying


/***/ }),

/***/ 1866:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const SemVer = __nccwpck_require__(7163)
const Range = __nccwpck_require__(6782)
const gt = __nccwpck_require__(6599)

const minVersion = (range, loose) => {
  range = new Range(range, loose)

  let minver = new SemVer('0.0.0')
  if (range.test(minver)) {
    return minver
  }

  minver = new SemVer('0.0.0-0')
  if (range.test(minver)) {
    return minver
  }

  minver = null
  for (let i = 0; i < range.set.length; ++i) {
    const comparators = range.set[i]

    let setMin = null
    comparators.forEach((comparator) => {
      // Clone to avoid manipulating the comparator's semver object.
      const compver = new SemVer(comparator.semver.version)
      switch (comparator.operator) {
        case '>':
          if (compver.prerelease.length === 0) {
            compver.patch++
          } else {
            compver.prerelease.push(0)
          }
          compver.raw = compver.format()
          /* fallthrough */
        case '':
        case '>=':
          if (!setMin || gt(compver, setMin)) {
            setMin = compver
          }
          break
        case '<':
        case '<=':
          /* Ignore maximum versions */
          break
        /* istanbul ignore next */
        default:
          throw new Error(`Unexpected operation: ${comparator.operator}`)
      }
    })
    if (setMin && (!minver || gt(minver, setMin))) {
      minver = setMin
    }
  }

  if (minver && range.test(minver)) {
    return minver
  }

  return null
}
module.exports = minVersion


/***/ }),

/***/ 280:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const SemVer = __nccwpck_require__(7163)
const Comparator = __nccwpck_require__(9379)
const { ANY } = Comparator
const Range = __nccwpck_require__(6782)
const satisfies = __nccwpck_require__(8011)
const gt = __nccwpck_require__(6599)
const lt = __nccwpck_require__(3872)
const lte = __nccwpck_require__(6717)
const gte = __nccwpck_require__(1236)

const outside = (version, range, hilo, options) => {
  version = new SemVer(version, options)
  range = new Range(range, options)

  let gtfn, ltefn, ltfn, comp, ecomp
  switch (hilo) {
    case '>':
      gtfn = gt
      ltefn = lte
      ltfn = lt
      comp = '>'
      ecomp = '>='
      break
    case '<':
      gtfn = lt
      ltefn = gte
      ltfn = gt
      comp = '<'
      ecomp = '<='
      break
    default:
      throw new TypeError('Must provide a hilo val of "<" or ">"')
  }

  // If it satisfies the range it is not outside
  if (satisfies(version, range, options)) {
    return false
  }

  // From now on, variable terms are as if we're in "gtr" mode.
  // but note that everything is flipped for the "ltr" function.

  for (let i = 0; i < range.set.length; ++i) {
    const comparators = range.set[i]

    let high = null
    let low = null

    comparators.forEach((comparator) => {
      if (comparator.semver === ANY) {
        comparator = new Comparator('>=0.0.0')
      }
      high = high || comparator
      low = low || comparator
      if (gtfn(comparator.semver, high.semver, options)) {
        high = comparator
      } else if (ltfn(comparator.semver, low.semver, options)) {
        low = comparator
      }
    })

    // If the edge version comparator has a operator then our version
    // isn't outside it
    if (high.operator === comp || high.operator === ecomp) {
      return false
    }

    // If the lowest version comparator has an operator and our version
    // is less than it then it isn't higher than the range
    if ((!low.operator || low.operator === comp) &&
        ltefn(version, low.semver)) {
      return false
    } else if (low.operator === ecomp && ltfn(version, low.semver)) {
      return false
    }
  }
  return true
}

module.exports = outside


/***/ }),

/***/ 2028:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



// given a set of versions and a range, create a "simplified" range
// that includes the same versions that the original range does
// If the original range is shorter than the simplified one, return that.
const satisfies = __nccwpck_require__(8011)
const compare = __nccwpck_require__(8469)
module.exports = (versions, range, options) => {
  const set = []
  let first = null
  let prev = null
  const v = versions.sort((a, b) => compare(a, b, options))
  for (const version of v) {
    const included = satisfies(version, range, options)
    if (included) {
      prev = version
      if (!first) {
        first = version
      }
    } else {
      if (prev) {
        set.push([first, prev])
      }
      prev = null
      first = null
    }
  }
  if (first) {
    set.push([first, null])
  }

  const ranges = []
  for (const [min, max] of set) {
    if (min === max) {
      ranges.push(min)
    } else if (!max && min === v[0]) {
      ranges.push('*')
    } else if (!max) {
      ranges.push(`>=${min}`)
    } else if (min === v[0]) {
      ranges.push(`<=${max}`)
    } else {
      ranges.push(`${min} - ${max}`)
    }
  }
  const simplified = ranges.join(' || ')
  const original = typeof range.raw === 'string' ? range.raw : String(range)
  return simplified.length < original.length ? simplified : range
}


/***/ }),

/***/ 1489:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const Range = __nccwpck_require__(6782)
const Comparator = __nccwpck_require__(9379)
const { ANY } = Comparator
const satisfies = __nccwpck_require__(8011)
const compare = __nccwpck_require__(8469)

// Complex range `r1 || r2 || ...` is a subset of `R1 || R2 || ...` iff:
// - Every simple range `r1, r2, ...` is a null set, OR
// - Every simple range `r1, r2, ...` which is not a null set is a subset of
//   some `R1, R2, ...`
//
// Simple range `c1 c2 ...` is a subset of simple range `C1 C2 ...` iff:
// - If c is only the ANY comparator
//   - If C is only the ANY comparator, return true
//   - Else if in prerelease mode, return false
//   - else replace c with `[>=0.0.0]`
// - If C is only the ANY comparator
//   - if in prerelease mode, return true
//   - else replace C with `[>=0.0.0]`
// - Let EQ be the set of = comparators in c
// - If EQ is more than one, return true (null set)
// - Let GT be the highest > or >= comparator in c
// - Let LT be the lowest < or <= comparator in c
// - If GT and LT, and GT.semver > LT.semver, return true (null set)
// - If any C is a = range, and GT or LT are set, return false
// - If EQ
//   - If GT, and EQ does not satisfy GT, return true (null set)
//   - If LT, and EQ does not satisfy LT, return true (null set)
//   - If EQ satisfies every C, return true
//   - Else return false
// - If GT
//   - If GT.semver is lower than any > or >= comp in C, return false
//   - If GT is >=, and GT.semver does not satisfy every C, return false
//   - If GT.semver has a prerelease, and not in prerelease mode
//     - If no C has a prerelease and the GT.semver tuple, return false
// - If LT
//   - If LT.semver is greater than any < or <= comp in C, return false
//   - If LT is <=, and LT.semver does not satisfy every C, return false
//   - If LT.semver has a prerelease, and not in prerelease mode
//     - If no C has a prerelease and the LT.semver tuple, return false
// - Else return true

const subset = (sub, dom, options = {}) => {
  if (sub === dom) {
    return true
  }

  sub = new Range(sub, options)
  dom = new Range(dom, options)
  let sawNonNull = false

  OUTER: for (const simpleSub of sub.set) {
    for (const simpleDom of dom.set) {
      const isSub = simpleSubset(simpleSub, simpleDom, options)
      sawNonNull = sawNonNull || isSub !== null
      if (isSub) {
        continue OUTER
      }
    }
    // the null set is a subset of everything, but null simple ranges in
    // a complex range should be ignored.  so if we saw a non-null range,
    // then we know this isn't a subset, but if EVERY simple range was null,
    // then it is a subset.
    if (sawNonNull) {
      return false
    }
  }
  return true
}

const minimumVersionWithPreRelease = [new Comparator('>=0.0.0-0')]
const minimumVersion = [new Comparator('>=0.0.0')]

const simpleSubset = (sub, dom, options) => {
  if (sub === dom) {
    return true
  }

  if (sub.length === 1 && sub[0].semver === ANY) {
    if (dom.length === 1 && dom[0].semver === ANY) {
      return true
    } else if (options.includePrerelease) {
      sub = minimumVersionWithPreRelease
    } else {
      sub = minimumVersion
    }
  }

  if (dom.length === 1 && dom[0].semver === ANY) {
    if (options.includePrerelease) {
      return true
    } else {
      dom = minimumVersion
    }
  }

  const eqSet = new Set()
  let gt, lt
  for (const c of sub) {
    if (c.operator === '>' || c.operator === '>=') {
      gt = higherGT(gt, c, options)
    } else if (c.operator === '<' || c.operator === '<=') {
      lt = lowerLT(lt, c, options)
    } else {
      eqSet.add(c.semver)
    }
  }

  if (eqSet.size > 1) {
    return null
  }

  let gtltComp
  if (gt && lt) {
    gtltComp = compare(gt.semver, lt.semver, options)
    if (gtltComp > 0) {
      return null
    } else if (gtltComp === 0 && (gt.operator !== '>=' || lt.operator !== '<=')) {
      return null
    }
  }

  // will iterate one or zero times
  for (const eq of eqSet) {
    if (gt && !satisfies(eq, String(gt), options)) {
      return null
    }

    if (lt && !satisfies(eq, String(lt), options)) {
      return null
    }

    for (const c of dom) {
      if (!satisfies(eq, String(c), options)) {
        return false
      }
    }

    return true
  }

  let higher, lower
  let hasDomLT, hasDomGT
  // if the subset has a prerelease, we need a comparator in the superset
  // with the same tuple and a prerelease, or it's not a subset
  let needDomLTPre = lt &&
    !options.includePrerelease &&
    lt.semver.prerelease.length ? lt.semver : false
  let needDomGTPre = gt &&
    !options.includePrerelease &&
    gt.semver.prerelease.length ? gt.semver : false
  // exception: <1.2.3-0 is the same as <1.2.3
  if (needDomLTPre && needDomLTPre.prerelease.length === 1 &&
      lt.operator === '<' && needDomLTPre.prerelease[0] === 0) {
    needDomLTPre = false
  }

  for (const c of dom) {
    hasDomGT = hasDomGT || c.operator === '>' || c.operator === '>='
    hasDomLT = hasDomLT || c.operator === '<' || c.operator === '<='
    if (gt) {
      if (needDomGTPre) {
        if (c.semver.prerelease && c.semver.prerelease.length &&
            c.semver.major === needDomGTPre.major &&
            c.semver.minor === needDomGTPre.minor &&
            c.semver.patch === needDomGTPre.patch) {
          needDomGTPre = false
        }
      }
      if (c.operator === '>' || c.operator === '>=') {
        higher = higherGT(gt, c, options)
        if (higher === c && higher !== gt) {
          return false
        }
      } else if (gt.operator === '>=' && !c.test(gt.semver)) {
        return false
      }
    }
    if (lt) {
      if (needDomLTPre) {
        if (c.semver.prerelease && c.semver.prerelease.length &&
            c.semver.major === needDomLTPre.major &&
            c.semver.minor === needDomLTPre.minor &&
            c.semver.patch === needDomLTPre.patch) {
          needDomLTPre = false
        }
      }
      if (c.operator === '<' || c.operator === '<=') {
        lower = lowerLT(lt, c, options)
        if (lower === c && lower !== lt) {
          return false
        }
      } else if (lt.operator === '<=' && !c.test(lt.semver)) {
        return false
      }
    }
    if (!c.operator && (lt || gt) && gtltComp !== 0) {
      return false
    }
  }

  // if there was a < or >, and nothing in the dom, then must be false
  // UNLESS it was limited by another range in the other direction.
  // Eg, >1.0.0 <1.0.1 is still a subset of <2.0.0
  if (gt && hasDomLT && !lt && gtltComp !== 0) {
    return false
  }

  if (lt && hasDomGT && !gt && gtltComp !== 0) {
    return false
  }

  // we needed a prerelease range in a specific tuple, but didn't get one
  // then this isn't a subset.  eg >=1.2.3-pre is not a subset of >=1.0.0,
  // because it includes prereleases in the 1.2.3 tuple
  if (needDomGTPre || needDomLTPre) {
    return false
  }

  return true
}

// >=1.2.3 is lower than >1.2.3
const higherGT = (a, b, options) => {
  if (!a) {
    return b
  }
  const comp = compare(a.semver, b.semver, options)
  return comp > 0 ? a
    : comp < 0 ? b
    : b.operator === '>' && a.operator === '>=' ? b
    : a
}

// <=1.2.3 is higher than <1.2.3
const lowerLT = (a, b, options) => {
  if (!a) {
    return b
  }
  const comp = compare(a.semver, b.semver, options)
  return comp < 0 ? a
    : comp > 0 ? b
    : b.operator === '<' && a.operator === '<=' ? b
    : a
}

module.exports = subset


/***/ }),

/***/ 4750:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const Range = __nccwpck_require__(6782)

// Mostly just for testing and legacy API reasons
const toComparators = (range, options) =>
  new Range(range, options).set
    .map(comp => comp.map(c => c.value).join(' ').trim().split(' '))

module.exports = toComparators


/***/ }),

/***/ 4737:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {



const Range = __nccwpck_require__(6782)
const validRange = (range, options) => {
  try {
    // Return '*' instead of '' so that truthiness works.
    // This will throw if it's invalid anyway
    return new Range(range, options).range || '*'
  } catch (er) {
    return null
  }
}
module.exports = validRange


/***/ }),

/***/ 9707:
/***/ ((module, __unused_webpack___webpack_exports__, __nccwpck_require__) => {

__nccwpck_require__.a(module, async (__webpack_handle_async_dependencies__, __webpack_async_result__) => { try {
/* harmony import */ var _shiprail_build_push_action__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(3679);

await (0,_shiprail_build_push_action__WEBPACK_IMPORTED_MODULE_0__/* .run */ .e)();

__webpack_async_result__();
} catch(e) { __webpack_async_result__(e); } }, 1);

/***/ }),

/***/ 3679:
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

;// CONCATENATED MODULE: external "node:fs/promises"
const promises_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs/promises");
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
    const directory = await mkdtemp((0,external_node_path_namespaceObject.join)(tempDir, 'shiprail-'));
    try {
        const path = (0,external_node_path_namespaceObject.join)(directory, fileName);
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




















;// CONCATENATED MODULE: ./packages/build-push/src/builders.ts
// The two builders, buildx and buildah: the command lines each is given for a build request (cache,
// platforms, secrets, labels, OCI layouts), run with credentials in a private file, and the digest each reports.



/** The GitHub cache scope of an image: one per image (and target), so services never evict each other. */
const cacheScope = (request) => request.target === '' ? request.image.name : `${request.image.name}-${request.target}`;
/** Where `type=registry` caches live: a tag of the image (buildx) or a sibling repository (buildah). */
const registryCacheRef = (request) => `${request.image.name}:buildcache`;
const buildahCacheRepository = (request) => `${request.image.name}-buildcache`;
/**
 * Which cache `auto` means: for buildx the GitHub cache on a runner, else the registry when pushing;
 * for buildah none (it has no GitHub cache, and pushing cache layers costs more than it saves on a
 * fresh runner).
 */
function effectiveCache(request, builder) {
    if (request.cache === 'none')
        return 'none';
    if (request.cache === 'registry')
        return 'registry';
    if (builder === 'buildah')
        return 'none';
    if (request.githubCache)
        return 'gha';
    return request.push ? 'registry' : 'none';
}
const labelArgs = (labels) => Object.entries(labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]);
/** The `docker buildx build` argument vector. */
function buildxArguments(request, metadataFile) {
    const args = ['buildx', 'build', '--file', request.dockerfile];
    for (const tag of request.tags)
        args.push('--tag', tag);
    args.push(...labelArgs(request.labels));
    for (const buildArg of request.buildArgs)
        args.push('--build-arg', buildArg);
    if (request.target !== '')
        args.push('--target', request.target);
    if (request.platforms.length > 0)
        args.push('--platform', request.platforms.join(','));
    const cache = effectiveCache(request, 'buildx');
    if (cache === 'gha') {
        const scope = cacheScope(request);
        args.push('--cache-from', `type=gha,scope=${scope}`, '--cache-to', `type=gha,mode=max,scope=${scope}`);
    }
    else if (cache === 'registry') {
        const ref = registryCacheRef(request);
        args.push('--cache-from', `type=registry,ref=${ref}`);
        if (request.push)
            args.push('--cache-to', `type=registry,ref=${ref},mode=max`);
    }
    args.push('--metadata-file', metadataFile);
    if (request.push)
        args.push('--push');
    else if (request.ociLayout !== '')
        args.push('--output', `type=oci,dest=${request.ociLayout},tar=false`);
    args.push(request.contextDir);
    return args;
}
/** Reads the digest buildx reports in its metadata file (`containerimage.digest`). */
function digestFromMetadata(text) {
    const parsed = JSON.parse(text);
    const digest = parsed['containerimage.digest'];
    return typeof digest === 'string' ? digest : '';
}
/** `docker buildx build`: the GitHub-hosted runner's builder. Credentials reach docker on stdin. */
function buildxBuilder(runtime) {
    return {
        name: 'buildx',
        async build(request, credentials) {
            const directory = await (0,promises_namespaceObject.mkdtemp)((0,external_node_path_namespaceObject.join)(runtime.tempDir, 'buildx-'));
            let loggedIn = false;
            try {
                if (credentials !== undefined && request.push) {
                    await runtime.exec('docker', ['login', request.image.registry, '--username', credentials.username, '--password-stdin'], { input: credentials.password, silent: true });
                    loggedIn = true;
                }
                const metadataFile = (0,external_node_path_namespaceObject.join)(directory, 'metadata.json');
                await runtime.exec('docker', buildxArguments(request, metadataFile));
                const digest = request.push ? digestFromMetadata(await (0,promises_namespaceObject.readFile)(metadataFile, 'utf8')) : '';
                return { digest, pushedTags: request.push ? request.tags : [] };
            }
            finally {
                // The login was this step's own: leave no credentials behind in the runner's docker config.
                if (loggedIn)
                    await runtime.exec('docker', ['logout', request.image.registry], { silent: true, allowFailure: true });
                await (0,promises_namespaceObject.rm)(directory, { recursive: true, force: true });
            }
        },
    };
}
/**
 * Options before buildah's subcommand: the vfs storage driver works in every container and without
 * kernel overlay support; a `STORAGE_DRIVER` in the environment (containers/storage's own) wins.
 */
function buildahGlobalArguments(env) {
    return env['STORAGE_DRIVER'] ? [] : ['--storage-driver', 'vfs'];
}
/** The `buildah bud` argument vector (after the global options). */
function buildahBuildArguments(request, authFile) {
    const args = ['bud', '--isolation', 'chroot', '--file', request.dockerfile];
    const [first, ...others] = request.tags;
    if (request.platforms.length > 1) {
        args.push('--manifest', first ?? `${request.image.name}:build`, '--platform', request.platforms.join(','));
    }
    else {
        for (const tag of [first, ...others])
            if (tag !== undefined)
                args.push('--tag', tag);
        if (request.platforms.length === 1)
            args.push('--platform', request.platforms[0] ?? '');
    }
    args.push(...labelArgs(request.labels));
    for (const buildArg of request.buildArgs)
        args.push('--build-arg', buildArg);
    if (request.target !== '')
        args.push('--target', request.target);
    if (effectiveCache(request, 'buildah') === 'registry') {
        const repository = buildahCacheRepository(request);
        args.push('--layers', '--cache-from', repository);
        if (request.push)
            args.push('--cache-to', repository);
    }
    if (authFile !== undefined)
        args.push('--authfile', authFile);
    if (request.image.loopback)
        args.push('--tls-verify=false');
    args.push(request.contextDir);
    return args;
}
/** The `buildah push` (or `manifest push --all`) argument vector for the first tag. */
function buildahPushArguments(request, digestFile, authFile) {
    const tag = request.tags[0] ?? '';
    const args = request.platforms.length > 1 ? ['manifest', 'push', '--all'] : ['push'];
    if (authFile !== undefined)
        args.push('--authfile', authFile);
    if (request.image.loopback)
        args.push('--tls-verify=false');
    args.push('--digestfile', digestFile, tag, `docker://${tag}`);
    return args;
}
/**
 * The `buildah push` (or `manifest push --all`) argument vector that writes the first tag as an OCI
 * image layout: OCI manifests, gzip layers, no signatures, as a registry push would send them.
 */
function buildahLayoutArguments(request) {
    const tag = request.tags[0] ?? '';
    return request.platforms.length > 1
        ? ['manifest', 'push', '--all', '--format', 'oci', '--remove-signatures', tag, `oci:${request.ociLayout}`]
        : [
            'push',
            '--format',
            'oci',
            '--compression-format',
            'gzip',
            '--remove-signatures',
            tag,
            `oci:${request.ociLayout}`,
        ];
}
/** A containers-auth.json for one registry: how buildah gets the password without argv. */
function authFileContent(registry, credentials) {
    const auth = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64');
    return JSON.stringify({ auths: { [registry]: { auth } } });
}
/**
 * buildah: builds without a Docker daemon (chroot isolation), pushes the first tag and reads the
 * digest from `--digestfile`. Credentials reach it in a 0600 auth file that is removed afterwards.
 */
function buildahBuilder(runtime) {
    const global = buildahGlobalArguments(runtime.env);
    const env = { BUILDAH_ISOLATION: 'chroot' };
    const run = async (request, authFile) => {
        await runtime.exec('buildah', [...global, ...buildahBuildArguments(request, authFile)], { env });
        if (!request.push) {
            if (request.ociLayout !== '')
                await runtime.exec('buildah', [...global, ...buildahLayoutArguments(request)], { env });
            return { digest: '', pushedTags: [] };
        }
        const directory = await (0,promises_namespaceObject.mkdtemp)((0,external_node_path_namespaceObject.join)(runtime.tempDir, 'buildah-'));
        try {
            const digestFile = (0,external_node_path_namespaceObject.join)(directory, 'digest');
            await runtime.exec('buildah', [...global, ...buildahPushArguments(request, digestFile, authFile)], { env });
            const digest = (await (0,promises_namespaceObject.readFile)(digestFile, 'utf8')).trim();
            return { digest, pushedTags: request.tags.slice(0, 1) };
        }
        finally {
            await (0,promises_namespaceObject.rm)(directory, { recursive: true, force: true });
        }
    };
    return {
        name: 'buildah',
        build: (request, credentials) => credentials === undefined
            ? run(request, undefined)
            : withPrivateFile(runtime.tempDir, 'auth.json', authFileContent(request.image.registry, credentials), (path) => run(request, path)),
    };
}
/** `auto`: buildx when a Docker engine answers, else buildah. */
async function dockerEngineAnswers(runtime) {
    try {
        const result = await runtime.exec('docker', ['version', '--format', '{{.Server.Version}}'], {
            silent: true,
            allowFailure: true,
        });
        return result.exitCode === 0 && result.stdout.trim() !== '';
    }
    catch {
        // No docker program at all.
        return false;
    }
}

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

;// CONCATENATED MODULE: ./packages/build-push/src/credentials.ts



/** The auth files a earlier login step leaves: containers' auth.json, then Docker's config.json. */
function authFiles(env) {
    const files = [];
    if (env['REGISTRY_AUTH_FILE'])
        files.push(env['REGISTRY_AUTH_FILE']);
    if (env['XDG_RUNTIME_DIR'])
        files.push((0,external_node_path_namespaceObject.join)(env['XDG_RUNTIME_DIR'], 'containers', 'auth.json'));
    const dockerConfig = env['DOCKER_CONFIG'] ?? (env['HOME'] ? (0,external_node_path_namespaceObject.join)(env['HOME'], '.docker') : undefined);
    if (dockerConfig)
        files.push((0,external_node_path_namespaceObject.join)(dockerConfig, 'config.json'));
    return files;
}
function keysFor(registry) {
    if (isDockerHub(registry)) {
        return ['https://index.docker.io/v1/', 'docker.io', 'index.docker.io', 'registry-1.docker.io'];
    }
    return [registry, `https://${registry}`, `http://${registry}`];
}
/**
 * Credentials an earlier login step (docker/login-action, `docker login`, `buildah login`) stored
 * for the registry, so that the registry API works without repeating them as inputs. Credential
 * helpers are not consulted.
 */
function storedCredentials(registry, env) {
    for (const file of authFiles(env)) {
        let auths;
        try {
            const parsed = JSON.parse((0,external_node_fs_namespaceObject.readFileSync)(file, 'utf8'));
            auths = parsed.auths ?? {};
        }
        catch {
            // No such file, or not one we can read: the next candidate may have it.
            continue;
        }
        for (const key of keysFor(registry)) {
            const auth = auths[key]?.auth;
            if (typeof auth !== 'string' || auth === '')
                continue;
            const decoded = Buffer.from(auth, 'base64').toString('utf8');
            const colon = decoded.indexOf(':');
            if (colon > 0)
                return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
        }
    }
    return undefined;
}

;// CONCATENATED MODULE: ./packages/build-push/src/inputs.ts
/** The default `tags` rules (also action.yml's default). */
const DEFAULT_TAG_RULES = 'type=sha\ntype=ref,event=branch\ntype=ref,event=pr\ntype=semver,pattern={{version}}';
/** Reads every input once, the password first so that it is masked before anything else runs. */
function parseInputs(parser) {
    const password = parser.secret('registry-password');
    return {
        'registry-password': password,
        'registry-username': parser.string('registry-username'),
        image: parser.required('image'),
        context: parser.string('context', '.'),
        dockerfile: parser.string('dockerfile'),
        tags: parser.list('tags', DEFAULT_TAG_RULES),
        flavor: parser.list('flavor'),
        labels: parser.list('labels'),
        'build-args': parser.list('build-args'),
        target: parser.string('target'),
        platforms: parser
            .list('platforms')
            .flatMap((line) => line.split(','))
            .map((platform) => platform.trim())
            .filter((platform) => platform !== ''),
        push: parser.boolean('push', true),
        builder: parser.choice('builder', ['auto', 'buildx', 'buildah'], 'auto'),
        cache: parser.choice('cache', ['auto', 'registry', 'none'], 'auto'),
        'reuse-existing': parser.boolean('reuse-existing', true),
        'dry-run': parser.boolean('dry-run', false),
        'oci-layout': parser.string('oci-layout'),
    };
}

;// CONCATENATED MODULE: ./packages/build-push/src/layout.ts
// An OCI image layout a build command wrote, read and verified blob by blob before anything of it is pushed.



const INDEX_TYPES = new Set([
    'application/vnd.oci.image.index.v1+json',
    'application/vnd.docker.distribution.manifest.list.v2+json',
]);
const IMAGE_TYPES = new Set([
    'application/vnd.oci.image.manifest.v1+json',
    'application/vnd.docker.distribution.manifest.v2+json',
]);
const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
/** Indexes inside indexes: deeper than this is not an image a builder wrote. */
const MAX_DEPTH = 4;
const mistake = (message) => new errors_ConfigurationError(message, { input: 'oci-layout' });
const record = (value) => typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {};
/** A descriptor from JSON, or a mistake that says where it was read. */
function descriptorOf(value, where) {
    const { mediaType, digest, size } = record(value);
    if (typeof digest !== 'string' || !DIGEST.test(digest)) {
        throw mistake(`${where} has no valid digest (sha256:<64 hex>)`);
    }
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
        throw mistake(`${where} has no valid size`);
    return { mediaType: typeof mediaType === 'string' ? mediaType : '', digest, size };
}
/** node:crypto is loaded by the first digest: a step that stops at its inputs reads no layout. */
const digestOf = (algorithm, bytes) => `${algorithm}:${process.getBuiltinModule('node:crypto').createHash(algorithm).update(bytes).digest('hex')}`;
/** The blob a descriptor names, verified: a regular file (no link out) of that size and digest. */
async function readBlob(directory, descriptor) {
    const [algorithm = '', hex = ''] = descriptor.digest.split(':');
    const path = (0,external_node_path_namespaceObject.join)(directory, 'blobs', algorithm, hex);
    const shown = `blobs/${algorithm}/${hex}`;
    const stats = await (0,promises_namespaceObject.lstat)(path).catch(() => undefined);
    if (stats === undefined)
        throw mistake(`${directory} lacks ${shown}: the layout is incomplete`);
    if (!stats.isFile())
        throw mistake(`${directory}: ${shown} is not a regular file`);
    if (stats.size !== descriptor.size) {
        throw mistake(`${directory}: ${shown} has ${stats.size} bytes where ${descriptor.size} are named`);
    }
    const bytes = await (0,promises_namespaceObject.readFile)(path);
    const actual = digestOf(algorithm, bytes);
    if (actual !== descriptor.digest)
        throw mistake(`${directory}: ${shown} has digest ${actual}: it was altered`);
    return bytes;
}
async function readJson(path, what) {
    let text;
    try {
        text = await (0,promises_namespaceObject.readFile)(path, 'utf8');
    }
    catch {
        throw mistake(`${path} does not exist: ${what}`);
    }
    try {
        return JSON.parse(text);
    }
    catch {
        throw mistake(`${path} is not JSON`);
    }
}
/** Walks a manifest and everything below it, collecting child manifests and blobs in push order. */
async function collect(layout, manifest, depth, seen) {
    let parsed;
    try {
        parsed = record(JSON.parse(Buffer.from(manifest.body).toString('utf8')));
    }
    catch {
        throw mistake(`${layout.directory}: manifest ${manifest.digest} is not JSON`);
    }
    const where = `${layout.directory}: manifest ${manifest.digest}`;
    if (INDEX_TYPES.has(manifest.mediaType)) {
        if (depth >= MAX_DEPTH)
            throw mistake(`${where} nests indexes deeper than ${MAX_DEPTH}`);
        const entries = Array.isArray(parsed['manifests']) ? parsed['manifests'] : [];
        for (const [position, entry] of entries.entries()) {
            const descriptor = descriptorOf(entry, `${where}, manifests[${position}],`);
            if (seen.has(descriptor.digest))
                continue;
            seen.add(descriptor.digest);
            const child = { ...descriptor, body: await readBlob(layout.directory, descriptor) };
            await collect(layout, child, depth + 1, seen);
            layout.children.push(child);
        }
        return;
    }
    if (!IMAGE_TYPES.has(manifest.mediaType)) {
        throw mistake(`${where} has media type '${escapeUntrusted(manifest.mediaType)}', which is no image manifest`);
    }
    const layers = Array.isArray(parsed['layers']) ? parsed['layers'] : [];
    const blobs = [parsed['config'], ...layers].map((entry, position) => descriptorOf(entry, position === 0 ? `${where}, config,` : `${where}, layers[${position - 1}],`));
    for (const blob of blobs) {
        if (seen.has(blob.digest))
            continue;
        seen.add(blob.digest);
        await readBlob(layout.directory, blob);
        layout.blobs.push(blob);
    }
}
/**
 * Reads and verifies the OCI image layout in `directory`: `oci-layout`, an `index.json` naming one
 * image, and every blob below it present with the digest and size its descriptor names.
 */
async function readLayout(directory) {
    const marker = record(await readJson((0,external_node_path_namespaceObject.join)(directory, 'oci-layout'), 'it is not an OCI image layout'));
    if (typeof marker['imageLayoutVersion'] !== 'string') {
        throw mistake(`${(0,external_node_path_namespaceObject.join)(directory, 'oci-layout')} has no imageLayoutVersion`);
    }
    const index = record(await readJson((0,external_node_path_namespaceObject.join)(directory, 'index.json'), 'the layout has no index'));
    const entries = Array.isArray(index['manifests']) ? index['manifests'] : [];
    if (entries.length !== 1) {
        throw mistake(`${(0,external_node_path_namespaceObject.join)(directory, 'index.json')} names ${entries.length} images where one is expected`);
    }
    const descriptor = descriptorOf(entries[0], `${(0,external_node_path_namespaceObject.join)(directory, 'index.json')}, manifests[0],`);
    const top = { ...descriptor, body: await readBlob(directory, descriptor) };
    const layout = { directory, top, children: [], blobs: [] };
    await collect(layout, top, 0, new Set([top.digest]));
    return layout;
}
/**
 * Pushes a layout byte for byte: blobs the registry lacks (asked first), then every child manifest
 * by digest, then the top manifest under each tag. The registry must report the layout's digest.
 */
async function pushLayout(registry, layout, tags) {
    const counts = { uploaded: 0, present: 0 };
    for (const blob of layout.blobs) {
        if (await registry.hasBlob(blob.digest)) {
            counts.present += 1;
            continue;
        }
        await registry.uploadBlob(blob.digest, await readBlob(layout.directory, blob));
        counts.uploaded += 1;
    }
    const puts = [
        ...layout.children.map((child) => [child.digest, child]),
        ...tags.map((tag) => [tag, layout.top]),
    ];
    for (const [reference, manifest] of puts) {
        const reported = await registry.putManifest(reference, manifest);
        if (reported !== manifest.digest) {
            throw new Error(`the registry reports ${escapeUntrusted(reported)} for ${reference}, not the layout's ${manifest.digest}`);
        }
    }
    return counts;
}

;// CONCATENATED MODULE: ./packages/build-push/src/tags/payload.ts
/** Reads of the untyped event payload. */
const payload_record = (value) => typeof value === 'object' && value !== null ? value : {};
const payload_text = (value) => (typeof value === 'string' ? value : undefined);

;// CONCATENATED MODULE: ./packages/build-push/src/tags/template.ts
const HTML_ESCAPES = {
    '&': '&amp;',
    '<': '&lt;',
    '>': '&gt;',
    '"': '&quot;',
    "'": '&#x27;',
    '`': '&#x60;',
    '=': '&#x3D;',
};
const escapeHtml = (text) => text.replace(/[&<>"'`=]/g, (char) => HTML_ESCAPES[char] ?? char);
/** A template that cannot be rendered: the caller names the rule it came from. */
class TemplateError extends Error {
}
function tokenize(expression) {
    const tokens = [];
    const pattern = /\s*([A-Za-z_][\w.-]*=)?('[^']*'|"[^"]*"|[^\s'"]+)/gy;
    let match;
    let end = 0;
    while ((match = pattern.exec(expression)) !== null) {
        tokens.push(`${match[1] ?? ''}${match[2] ?? ''}`);
        end = pattern.lastIndex;
    }
    if (expression.slice(end).trim() !== '') {
        throw new TemplateError(`cannot read the expression {{${expression}}}`);
    }
    return tokens;
}
const isQuoted = (token) => /^(['"]).*\1$/s.test(token) && token.length >= 2;
/**
 * A helper's argument as Handlebars reads it: a quoted string or a number is itself; a bare word
 * (`{{date YYYYMMDD}}`) is a lookup of that name, which is a value or nothing.
 */
function argument(token, values) {
    if (isQuoted(token))
        return token.slice(1, -1);
    if (/^-?\d+(?:\.\d+)?$/.test(token) || token === 'true' || token === 'false')
        return token;
    const value = Object.hasOwn(values, token) ? values[token] : undefined;
    return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}
function evaluate(expression, values) {
    const [name = '', ...rest] = tokenize(expression);
    if (/^[#/^>!]/.test(name) || name === 'else') {
        throw new TemplateError(`{{${expression}}} is not supported: only values like {{version}} or {{date 'YYYY'}}`);
    }
    const args = [];
    const hash = {};
    for (const token of rest) {
        const pair = /^([A-Za-z_][\w.-]*)=(.*)$/s.exec(token);
        if (pair)
            hash[pair[1] ?? ''] = argument(pair[2] ?? '', values) ?? '';
        else
            args.push(argument(token, values));
    }
    const value = Object.hasOwn(values, name) ? values[name] : undefined;
    if (typeof value === 'function')
        return value(args, hash);
    if (value === null || value === undefined)
        return '';
    return Array.isArray(value) ? value.join(',') : String(value);
}
function renderTemplate(template, values) {
    let output = '';
    let position = 0;
    const pattern = /\{\{\{([^}]*)\}\}\}|\{\{([^}]*)\}\}/g;
    let match;
    while ((match = pattern.exec(template)) !== null) {
        output += template.slice(position, match.index);
        output += match[1] !== undefined ? evaluate(match[1], values) : escapeHtml(evaluate(match[2] ?? '', values));
        position = match.index + match[0].length;
    }
    const tail = template.slice(position);
    if (tail.includes('{{'))
        throw new TemplateError(`has an unclosed {{ in '${template}'`);
    return output + tail;
}
/**
 * Formats a date with moment.js tokens (the format language docker/metadata-action's `{{date}}`
 * takes). Without a format, moment's ISO 8601 form: `2020-01-10T00:30:00Z` in UTC, else with the
 * zone's offset (`2020-01-10T09:30:00+09:00`).
 */
function formatDate(epochMs, format, timeZone = 'UTC') {
    let parts;
    try {
        const formatter = new Intl.DateTimeFormat('en-US', {
            timeZone,
            hourCycle: 'h23',
            year: 'numeric',
            month: '2-digit',
            day: '2-digit',
            hour: '2-digit',
            minute: '2-digit',
            second: '2-digit',
        });
        parts = Object.fromEntries(formatter.formatToParts(new Date(epochMs)).map((part) => [part.type, part.value]));
    }
    catch {
        throw new TemplateError(`unknown time zone '${timeZone}'`);
    }
    const year = parts['year'] ?? '';
    const hour = Number(parts['hour'] ?? '0');
    const pad = (value, length = 2) => String(value).padStart(length, '0');
    const wallClock = Date.UTC(Number(year), Number(parts['month']) - 1, Number(parts['day']), hour, Number(parts['minute']), Number(parts['second']));
    const offsetMinutes = Math.round((wallClock - Math.floor(epochMs / 1000) * 1000) / 60_000);
    const offset = (separator) => `${offsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offsetMinutes) / 60))}${separator}${pad(Math.abs(offsetMinutes) % 60)}`;
    const tokens = {
        YYYY: () => year,
        YY: () => year.slice(-2),
        MM: () => parts['month'] ?? '',
        M: () => String(Number(parts['month'])),
        DD: () => parts['day'] ?? '',
        D: () => String(Number(parts['day'])),
        HH: () => pad(hour),
        H: () => String(hour),
        hh: () => pad(hour % 12 === 0 ? 12 : hour % 12),
        h: () => String(hour % 12 === 0 ? 12 : hour % 12),
        mm: () => parts['minute'] ?? '',
        m: () => String(Number(parts['minute'])),
        ss: () => parts['second'] ?? '',
        s: () => String(Number(parts['second'])),
        SSS: () => pad(epochMs % 1000, 3),
        A: () => (hour < 12 ? 'AM' : 'PM'),
        a: () => (hour < 12 ? 'am' : 'pm'),
        X: () => String(Math.floor(epochMs / 1000)),
        x: () => String(epochMs),
        ZZ: () => offset(''),
        Z: () => offset(':'),
    };
    const pattern = format || (offsetMinutes === 0 ? 'YYYY-MM-DD[T]HH:mm:ss[Z]' : 'YYYY-MM-DD[T]HH:mm:ssZ');
    return pattern.replace(/\[([^\]]*)]|YYYY|YY|MM|M|DD|D|HH|H|hh|h|mm|m|ss|s|SSS|A|a|X|x|ZZ|Z/g, (token, literal) => (literal !== undefined ? literal : (tokens[token]?.() ?? token)));
}

;// CONCATENATED MODULE: ./packages/build-push/src/tags/expressions.ts
// The values tag templates may use: branch, tag, sha, base ref, dates, and whether this is the default branch.


const shortSha = (sha, length) => sha.slice(0, length);
const stripHeads = (ref) => ref.replace(/^refs\/heads\//, '');
/** `{{date 'format' tz='Zone'}}` and `{{commit_date ...}}`: moment.js formats, UTC unless `tz=` says otherwise. */
function dateHelper(epochMs) {
    return (args, hash) => {
        for (const key of Object.keys(hash))
            if (key !== 'tz')
                throw new TemplateError(`unknown ${key} attribute`);
        return formatDate(epochMs, args[0], hash['tz'] ?? 'UTC');
    };
}
/**
 * Whether the run is on the default branch, as docker/metadata-action decides it: the ref minus
 * `refs/heads/` names the default branch, or the event always runs on the default branch's last
 * commit (create, discussion, issues, schedule).
 */
function isDefaultBranch(context) {
    const candidate = stripHeads(context.ref);
    if (candidate === '')
        return false;
    if (context.defaultBranch !== undefined && context.defaultBranch === candidate)
        return true;
    return /create|discussion|issues|schedule/.test(context.eventName);
}
/** The base branch: a tag push's `base_ref`, or a pull request's base. */
function baseRef(context) {
    const { ref, payload } = context;
    if (/^refs\/tags\//.test(ref) && typeof payload['base_ref'] === 'string')
        return stripHeads(payload['base_ref']);
    if (/^refs\/pull\//.test(ref))
        return payload_text(payload_record(payload_record(payload['pull_request'])['base'])['ref']) ?? '';
    return '';
}
/** The dates `type=schedule` patterns may use (and nothing else, as in docker/metadata-action). */
function dateValues(context) {
    return { date: dateHelper(context.now), commit_date: dateHelper(context.commitDate) };
}
/** The values every other expression may use: `{{branch}}`, `{{tag}}`, `{{sha}}`, `{{is_default_branch}}`, ... */
function expressionValues(context) {
    const { ref } = context;
    const onDefault = isDefaultBranch(context);
    return {
        branch: /^refs\/heads\//.test(ref) ? stripHeads(ref) : '',
        tag: /^refs\/tags\//.test(ref) ? ref.replace(/^refs\/tags\//, '') : '',
        sha: shortSha(context.sha, context.shortShaLength),
        base_ref: baseRef(context),
        is_default_branch: String(onDefault),
        is_not_default_branch: String(!onDefault),
        ...dateValues(context),
    };
}

;// CONCATENATED MODULE: ./packages/build-push/src/labels.ts
// The image's labels: the OCI annotations from the repository and the run, and the user's own label lines.



const labels_text = (value) => payload_text(value) ?? '';
/**
 * Parses `labels` lines (`key=value`); the value may contain `=`. Expressions are expanded first
 * (`org.opencontainers.image.ref.name={{branch}}`), as docker/metadata-action does.
 */
function parseLabelLines(lines, values = {}) {
    return lines.map((written) => {
        let line;
        try {
            line = renderTemplate(written, values);
        }
        catch (error) {
            if (!(error instanceof TemplateError))
                throw error;
            throw new errors_ConfigurationError(`'${written}' ${error.message}`, { input: 'labels' });
        }
        const equals = line.indexOf('=');
        const key = equals > 0 ? line.slice(0, equals).trim() : '';
        if (key === '' || /\s/.test(key)) {
            throw new errors_ConfigurationError(`'${written}' is not a label: write key=value`, { input: 'labels' });
        }
        return [key, line.slice(equals + 1).trim()];
    });
}
/**
 * The OCI labels docker/metadata-action writes, from the run and the event's repository, then the
 * user's own (which win), sorted by key. Labels whose value is empty are left out.
 */
function ociLabels(source, extra) {
    const repository = payload_record(source.payload['repository']);
    const url = labels_text(repository['html_url']) || (source.repository ? `${source.serverUrl}/${source.repository}` : '');
    const labels = new Map([
        ['org.opencontainers.image.title', labels_text(repository['name']) || (source.repository.split('/')[1] ?? '')],
        ['org.opencontainers.image.description', labels_text(repository['description'])],
        ['org.opencontainers.image.url', url],
        ['org.opencontainers.image.source', url],
        ['org.opencontainers.image.version', source.version],
        ['org.opencontainers.image.created', new Date(source.now).toISOString()],
        ['org.opencontainers.image.revision', source.sha],
        ['org.opencontainers.image.licenses', labels_text(payload_record(repository['license'])['spdx_id'])],
    ]);
    for (const [key, value] of extra)
        labels.set(key, value);
    return Object.fromEntries([...labels].filter(([, value]) => value !== '').sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

;// CONCATENATED MODULE: ./packages/build-push/src/image-input.ts
// The image input: the repository build-push tags and pushes, checked with a reason for every mistake.


const DOMAIN = /^(?:\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*)(?::[0-9]+)?$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
/** The registry host of an image that names nothing more (`ghcr.io`, `ghcr.io/`, `localhost:5000`), else ''. */
function hostAlone(image, host, path) {
    if (!image.includes('/'))
        return looksLikeRegistryHost(image) ? image : '';
    return path === '' ? host : '';
}
/**
 * Parses the `image` input: a repository without tag or digest, registry host first
 * (`ghcr.io/acme/api`); without a host it is on Docker Hub (`acme/api`). Stricter than a reference:
 * every mistake is named.
 */
function parseImageInput(image) {
    const fail = (reason) => {
        throw new errors_ConfigurationError(`'${image}' ${reason}`, { input: 'image' });
    };
    if (image.includes('@'))
        fail('carries a digest: give the repository alone, e.g. ghcr.io/acme/api');
    const { host, path } = splitImageName(image);
    const lone = hostAlone(image, host, path);
    if (lone !== '')
        fail(`names the registry ${lone} but no repository: write e.g. ${lone}/acme/api`);
    if (host === '' && !path.includes('/')) {
        fail('has no registry or namespace: write e.g. ghcr.io/acme/api, or docker.io/acme/api for Docker Hub');
    }
    const registry = host === '' ? DOCKER_HUB : host;
    if (!DOMAIN.test(registry))
        fail(`has an invalid registry host '${registry}'`);
    const components = path.split('/');
    const last = components[components.length - 1] ?? '';
    if (last.includes(':'))
        fail('carries a tag: give the repository alone and the tags in the tags input');
    for (const component of components) {
        if (component === '')
            fail('has an empty path component (//, or a trailing /)');
        if (/[A-Z]/.test(component))
            fail(`must be lower case ('${component}' is not)`);
        if (!PATH_COMPONENT.test(component)) {
            fail(`has an invalid path component '${component}' (lower-case letters, digits and . _ - between them)`);
        }
    }
    if (path.length > 255)
        fail('is longer than 255 characters');
    return readImageReference(image);
}

;// CONCATENATED MODULE: ./packages/build-push/src/tags/rules.ts
// The tag rules and flavor of docker/metadata-action as users write them: lines split into fields, each
// field checked, parsed into typed rules with their priorities.

/** The rule types of docker/metadata-action this action understands. */
const RULE_TYPES = ['schedule', 'semver', 'match', 'edge', 'ref', 'raw', 'sha'];
/** Highest first: the first tag produced becomes the version, as in docker/metadata-action. */
const DEFAULT_PRIORITIES = {
    schedule: 1000,
    semver: 900,
    match: 800,
    edge: 700,
    ref: 600,
    raw: 200,
    sha: 100,
};
/**
 * Splits one rule line into its comma-separated fields; double quotes protect commas
 * (`"value=a,b"`), and a doubled quote inside quotes is a literal quote, as in CSV.
 */
function splitFields(line) {
    const fields = [];
    let current = '';
    let quoted = false;
    for (let index = 0; index < line.length; index += 1) {
        const char = line.charAt(index);
        if (quoted) {
            if (char === '"' && line[index + 1] === '"') {
                current += '"';
                index += 1;
            }
            else if (char === '"')
                quoted = false;
            else
                current += char;
        }
        else if (char === '"')
            quoted = true;
        else if (char === ',') {
            fields.push(current);
            current = '';
        }
        else
            current += char;
    }
    if (quoted)
        throw new Error('has an unclosed double quote');
    fields.push(current);
    return fields.filter((field) => field.trim() !== '');
}
/**
 * `key=value` of one rule field: the value is everything after the first `=`
 * (`pattern={{date 'YYYY' tz='Asia/Tokyo'}}`), as docker/metadata-action reads rules.
 */
function ruleKeyValue(field) {
    const equals = field.indexOf('=');
    if (equals <= 0)
        return [field.trim()];
    return [field.slice(0, equals).trim().toLowerCase(), field.slice(equals + 1).trim()];
}
/**
 * `key=value` of one flavor field. Like docker/metadata-action, the value ends at the next `=`
 * (`prefix=a=b` reads as `a`), so that the same flavor gives the same tags.
 */
function flavorKeyValue(field) {
    const parts = field.split('=').map((part) => part.trim());
    if (parts.length === 1)
        return [parts[0] ?? ''];
    return [(parts[0] ?? '').toLowerCase(), parts[1] ?? ''];
}
const has = (attrs, key) => Object.hasOwn(attrs, key);
/** Parses one `tags` line; throws a ConfigurationError on input `tags` that quotes the rule. */
function parseTagRule(line) {
    const fail = (reason) => {
        throw new errors_ConfigurationError(`rule '${line}' ${reason}`, { input: 'tags' });
    };
    let fields;
    try {
        fields = splitFields(line);
    }
    catch (error) {
        return fail(errorMessage(error));
    }
    const attrs = {};
    let type;
    for (const field of fields) {
        const pair = ruleKeyValue(field);
        if (pair.length === 1) {
            attrs['value'] = pair[0];
            continue;
        }
        const [key, value] = pair;
        if (key === 'type') {
            const known = RULE_TYPES.find((candidate) => candidate === value);
            if (known === undefined) {
                fail(`has an unknown type '${value}' (expected one of ${RULE_TYPES.join(', ')})`);
            }
            type = known;
        }
        else
            attrs[key] = value;
    }
    const ruleType = type ?? 'raw';
    switch (ruleType) {
        case 'schedule':
            if (!has(attrs, 'pattern'))
                attrs['pattern'] = 'nightly';
            break;
        case 'semver':
            if (!has(attrs, 'pattern'))
                fail('needs a pattern, e.g. pattern={{version}}');
            if (!has(attrs, 'value'))
                attrs['value'] = '';
            if (!has(attrs, 'match'))
                attrs['match'] = '';
            break;
        case 'match':
            if (!has(attrs, 'pattern'))
                fail('needs a pattern, e.g. pattern=\\d+.\\d+');
            if (!has(attrs, 'group'))
                attrs['group'] = '0';
            if (Number.isNaN(Number(attrs['group'])))
                fail('has a group that is not a number');
            if (!has(attrs, 'value'))
                attrs['value'] = '';
            break;
        case 'edge':
            if (!has(attrs, 'branch'))
                attrs['branch'] = '';
            break;
        case 'ref':
            if (!has(attrs, 'event'))
                fail('needs an event: event=branch, event=tag or event=pr');
            if (!['branch', 'tag', 'pr'].includes(attrs['event'] ?? '')) {
                fail(`has an unknown event '${attrs['event'] ?? ''}' (expected branch, tag or pr)`);
            }
            if (attrs['event'] === 'pr' && !has(attrs, 'prefix'))
                attrs['prefix'] = 'pr-';
            break;
        case 'raw':
            if (!has(attrs, 'value'))
                fail('needs a value, e.g. type=raw,value=stable');
            break;
        case 'sha':
            if (!has(attrs, 'prefix'))
                attrs['prefix'] = 'sha-';
            if (!has(attrs, 'format'))
                attrs['format'] = 'short';
            if (!['short', 'long'].includes(attrs['format'] ?? ''))
                fail('has a format other than short or long');
            break;
    }
    if (!has(attrs, 'enable'))
        attrs['enable'] = 'true';
    let priority = DEFAULT_PRIORITIES[ruleType];
    if (has(attrs, 'priority')) {
        priority = Number(attrs['priority']);
        if (attrs['priority'] === '' || !Number.isFinite(priority))
            fail('has a priority that is not a number');
    }
    return { type: ruleType, attrs, priority, source: line };
}
/** Parses every rule and orders them by priority, highest first; equal priorities keep their order. */
function parseTagRules(lines) {
    return lines.map(parseTagRule).sort((a, b) => b.priority - a.priority);
}
/** Parses `flavor` lines (`latest=auto`, `prefix=x,onlatest=true`, `suffix=...`). */
function parseFlavor(lines) {
    const flavor = { latest: 'auto', prefix: '', prefixLatest: false, suffix: '', suffixLatest: false };
    for (const line of lines) {
        const fail = (reason) => {
            throw new errors_ConfigurationError(`entry '${line}' ${reason}`, { input: 'flavor' });
        };
        let fields = [];
        try {
            fields = splitFields(line);
        }
        catch (error) {
            fail(errorMessage(error));
        }
        let onLatestFor;
        for (const field of fields) {
            const pair = flavorKeyValue(field);
            if (pair.length === 1)
                return fail('is not key=value (expected latest=, prefix=, suffix=, onlatest=)');
            const [key, value] = pair;
            switch (key) {
                case 'latest':
                    if (value !== 'auto' && value !== 'true' && value !== 'false')
                        fail('needs latest=auto, true or false');
                    else
                        flavor.latest = value;
                    break;
                case 'prefix':
                    flavor.prefix = value;
                    onLatestFor = 'prefix';
                    break;
                case 'suffix':
                    flavor.suffix = value;
                    onLatestFor = 'suffix';
                    break;
                case 'onlatest':
                    if (value !== 'true' && value !== 'false')
                        fail('needs onlatest=true or false');
                    if (onLatestFor === 'prefix')
                        flavor.prefixLatest = value === 'true';
                    if (onLatestFor === 'suffix')
                        flavor.suffixLatest = value === 'true';
                    break;
                default:
                    fail(`has an unknown key '${key}' (expected latest, prefix, suffix, onlatest)`);
            }
        }
    }
    return flavor;
}

// EXTERNAL MODULE: ./node_modules/semver/index.js
var semver = __nccwpck_require__(2088);
var semver_default = /*#__PURE__*/__nccwpck_require__.n(semver);
;// CONCATENATED MODULE: ./packages/build-push/src/tags/tag-rules.ts
// What each tag rule type gives for a run (sha, ref, semver, match, schedule, raw, edge), and what all rules share.




function ruleError(rule, reason) {
    return new errors_ConfigurationError(`rule '${rule.source}' ${reason}`, { input: 'tags' });
}
const attr = (rule, name) => rule.attrs[name] ?? '';
const isTagRef = (ref) => /^refs\/tags\//.test(ref);
/** Renders one template of the rule; a template that cannot be rendered is the rule's mistake. */
function render(rule, template, values) {
    try {
        return renderTemplate(template, values);
    }
    catch (error) {
        if (error instanceof TemplateError)
            throw ruleError(rule, error.message);
        throw error;
    }
}
/** The rule's `prefix=`/`suffix=` when written (even empty), else the flavor's. */
function withAffixes(value, rule, scope) {
    const prefix = Object.hasOwn(rule.attrs, 'prefix') ? attr(rule, 'prefix') : scope.flavor.prefix;
    const suffix = Object.hasOwn(rule.attrs, 'suffix') ? attr(rule, 'suffix') : scope.flavor.suffix;
    return `${render(rule, prefix, scope.values)}${value}${render(rule, suffix, scope.values)}`;
}
const tagged = (value, rule, scope, latest) => ({
    tag: { value: withAffixes(value, rule, scope), latest },
});
/** `enable=` after expansion: true or false, anything else is a mistake in the rule. */
function isEnabled(rule, scope) {
    const enabled = render(rule, attr(rule, 'enable'), scope.values);
    if (enabled !== 'true' && enabled !== 'false') {
        throw ruleError(rule, `has enable='${enabled}' (expected true or false)`);
    }
    return enabled === 'true';
}
function pattern(rule, name, source, flags) {
    try {
        return new RegExp(source, flags);
    }
    catch (error) {
        throw ruleError(rule, `has a ${name} that is not a regular expression: ${errorMessage(error)}`);
    }
}
/** What `type=semver` and `type=match` look at: `value=` when given, else the pushed tag (undefined: none). */
function versionSubject(rule, scope) {
    if (attr(rule, 'value') !== '')
        return render(rule, attr(rule, 'value'), scope.values);
    if (!isTagRef(scope.context.ref))
        return undefined;
    return scope.context.ref.replace(/^refs\/tags\//, '');
}
/** `type=schedule`: the pattern (dates only) on scheduled runs. */
const scheduleTag = (rule, scope) => {
    if (!/schedule/.test(scope.context.eventName))
        return {};
    return tagged(render(rule, attr(rule, 'pattern'), dateValues(scope.context)), rule, scope, false);
};
/**
 * `type=semver`: the version's parts through the pattern; `match=` picks the version out of a tag
 * like `api/v1.2.3` (its first group). A pre-release only ever gets its full version (or `{{raw}}`),
 * so that a beta never moves `1.2`, `1` or `latest`.
 */
const semverTag = (rule, scope) => {
    const subject = versionSubject(rule, scope);
    if (subject === undefined)
        return {};
    // A match= that finds nothing is a warning, and the whole subject is tried, as docker/metadata-action does.
    const match = attr(rule, 'match');
    const picked = match === '' ? subject : pattern(rule, 'match', match).exec(subject)?.[1];
    const matchWarning = picked === undefined ? `${match} does not match ${subject}` : undefined;
    const raw = (picked ?? subject).replace(/\//g, '-');
    const parsed = semver_default().valid(raw) === null ? null : semver_default().parse(raw, { loose: true });
    if (parsed === null) {
        const reason = `${raw} is not a valid semver, so rule '${rule.source}' gives no tag`;
        return { warning: matchWarning === undefined ? reason : `${matchWarning}; ${reason}` };
    }
    const fields = {
        raw: parsed.raw,
        version: parsed.version,
        major: parsed.major,
        minor: parsed.minor,
        patch: parsed.patch,
        prerelease: parsed.prerelease,
        build: parsed.build,
    };
    const release = parsed.prerelease.length === 0;
    const keepsPattern = release || /^\{\{\s*raw\s*\}\}$/.test(attr(rule, 'pattern'));
    const outcome = tagged(render(rule, keepsPattern ? attr(rule, 'pattern') : '{{version}}', fields), rule, scope, release);
    return matchWarning === undefined ? outcome : { ...outcome, warning: matchWarning };
};
/** `type=match`: a group of a regular expression (`/.../flags` or plain) over the tag or `value=`. */
const matchTag = (rule, scope) => {
    const subject = versionSubject(rule, scope);
    if (subject === undefined)
        return {};
    const source = attr(rule, 'pattern');
    const literal = /^\/(.+)\/(.*)$/.exec(source);
    const expression = literal
        ? pattern(rule, 'pattern', literal[1] ?? '', literal[2])
        : pattern(rule, 'pattern', source);
    const found = subject.match(expression);
    if (found === null)
        return { warning: `${source} does not match ${subject}, so rule '${rule.source}' gives no tag` };
    const group = found[Number(attr(rule, 'group'))];
    if (group === undefined) {
        return {
            warning: `group ${attr(rule, 'group')} does not exist in ${source}, so rule '${rule.source}' gives no tag`,
        };
    }
    return tagged(group, rule, scope, true);
};
/** `type=ref,event=branch|tag|pr`: the branch, the tag (which moves `latest`), or the PR number. */
const refTag = (rule, scope) => {
    const { ref } = scope.context;
    switch (attr(rule, 'event')) {
        case 'branch':
            return /^refs\/heads\//.test(ref) ? tagged(stripHeads(ref), rule, scope, false) : {};
        case 'tag':
            return isTagRef(ref) ? tagged(ref.replace(/^refs\/tags\//, ''), rule, scope, true) : {};
        case 'pr':
            return /^refs\/pull\//.test(ref)
                ? tagged(ref.replace(/^refs\/pull\//, '').replace(/\/merge$/, ''), rule, scope, false)
                : {};
        default:
            return {};
    }
};
/** `type=edge`: `edge` on pushes to the default branch (or `branch=`). */
const edgeTag = (rule, scope) => {
    const { ref, defaultBranch } = scope.context;
    if (!/^refs\/heads\//.test(ref))
        return {};
    const branch = attr(rule, 'branch') !== '' ? attr(rule, 'branch') : defaultBranch;
    if (branch === undefined) {
        return {
            warning: `rule '${rule.source}' gives no tag: the event payload does not name the default branch (add branch=<name>)`,
        };
    }
    return branch === stripHeads(ref) ? tagged('edge', rule, scope, false) : {};
};
/** `type=raw`: the value, expressions expanded. */
const rawTag = (rule, scope) => tagged(render(rule, attr(rule, 'value'), scope.values), rule, scope, false);
/** `type=sha`: the commit, short (`DOCKER_METADATA_SHORT_SHA_LENGTH`) or long. */
const shaTag = (rule, scope) => {
    const { sha, shortShaLength } = scope.context;
    if (sha === '')
        return {};
    return tagged(attr(rule, 'format') === 'short' ? shortSha(sha, shortShaLength) : sha, rule, scope, false);
};
/** One function per rule type. */
const RULE_FUNCTIONS = {
    schedule: scheduleTag,
    semver: semverTag,
    match: matchTag,
    ref: refTag,
    edge: edgeTag,
    raw: rawTag,
    sha: shaTag,
};

;// CONCATENATED MODULE: ./packages/build-push/src/tags/tags.ts
// The tags of an image: the run as docker/metadata-action sees it, every rule applied, tags sanitized, checked and
// `latest` added.




const DEFAULT_SHORT_SHA_LENGTH = 7;
function commitDateOf(payload, sha) {
    const commits = Array.isArray(payload['commits']) ? payload['commits'] : [];
    const candidates = [...commits.map(payload_record), payload_record(payload['head_commit'])];
    const found = candidates.find((commit) => commit['id'] === sha && typeof commit['timestamp'] === 'string');
    const parsed = found ? Date.parse(String(found['timestamp'])) : Number.NaN;
    return Number.isNaN(parsed) ? undefined : parsed;
}
/**
 * The context docker/metadata-action derives from the run: `pull_request_target` gets the PR merge
 * ref; `DOCKER_METADATA_PR_HEAD_SHA=true` makes pull requests use their head commit instead of
 * GITHUB_SHA (the merge commit); `DOCKER_METADATA_SHORT_SHA_LENGTH` changes the short SHA's length.
 */
function tagContext(github, env, now) {
    let { ref, sha } = github;
    if (/pull_request_target/.test(github.eventName))
        ref = `refs/pull/${String(github.payload['number'])}/merge`;
    if (/true/i.test(env['DOCKER_METADATA_PR_HEAD_SHA'] ?? '') && /pull_request/.test(github.eventName)) {
        const headSha = payload_text(payload_record(payload_record(github.payload['pull_request'])['head'])['sha']);
        if (headSha !== undefined)
            sha = headSha;
    }
    const lengthSetting = env['DOCKER_METADATA_SHORT_SHA_LENGTH'];
    let shortShaLength = DEFAULT_SHORT_SHA_LENGTH;
    if (lengthSetting !== undefined && lengthSetting !== '') {
        shortShaLength = Number(lengthSetting);
        if (!Number.isInteger(shortShaLength) || shortShaLength < 1) {
            throw new errors_ConfigurationError(`DOCKER_METADATA_SHORT_SHA_LENGTH must be a whole number, got '${lengthSetting}'`);
        }
    }
    return {
        eventName: github.eventName,
        ref,
        sha,
        payload: github.payload,
        defaultBranch: github.defaultBranch,
        now,
        commitDate: commitDateOf(github.payload, sha) ?? now,
        shortShaLength,
    };
}
/** Characters other than letters, digits, `.`, `_`, `-` become `-` (docker/metadata-action's rule). */
const sanitizeTag = (tag) => tag.replace(/[^a-zA-Z0-9._-]+/g, '-');
/** A tag as registries accept it: 1-128 characters, the first a letter, digit or `_`. */
function tagProblem(tag) {
    if (tag.length > 128)
        return `is ${tag.length} characters long (at most 128)`;
    if (!/^[A-Za-z0-9_]/.test(tag))
        return `starts with '${tag[0] ?? ''}' (a tag starts with a letter, digit or _)`;
    if (!/^[A-Za-z0-9_.-]+$/.test(tag))
        return 'has characters other than letters, digits, ., _ and -';
    return undefined;
}
/** The tag a rule gave, sanitized and checked: an invalid one is the rule's mistake. */
function checkedTag(value, rule) {
    const tag = sanitizeTag(value);
    const problem = tagProblem(tag);
    if (problem !== undefined)
        throw ruleError(rule, `produced the tag '${tag}', which ${problem}`);
    return tag;
}
/** `latest`, with the flavor's prefix and suffix when `onlatest=true` asks for them. */
function latestTag(flavor) {
    const tag = sanitizeTag(`${flavor.prefixLatest ? flavor.prefix : ''}latest${flavor.suffixLatest ? flavor.suffix : ''}`);
    const problem = tagProblem(tag);
    if (problem !== undefined) {
        throw new errors_ConfigurationError(`gives the latest tag '${tag}', which ${problem}`, { input: 'flavor' });
    }
    return { tag, rule: `flavor latest=${flavor.latest}` };
}
/**
 * Computes the tags docker/metadata-action computes for the same rules, flavor and context: each
 * enabled rule through its own function, by priority; the first tag is the version, duplicates are
 * dropped, `latest` follows the first rule that gave a tag (or the flavor), every value sanitized.
 * Invalid results are errors that name the rule.
 */
function computeTags(rules, flavor, context) {
    const scope = { context, flavor, values: expressionValues(context) };
    const outcomes = rules.flatMap((rule) => isEnabled(rule, scope) ? [{ rule, outcome: RULE_FUNCTIONS[rule.type](rule, scope) }] : []);
    const warnings = outcomes.flatMap(({ outcome }) => (outcome.warning === undefined ? [] : [outcome.warning]));
    const given = outcomes.flatMap(({ rule, outcome }) => outcome.tag === undefined || outcome.tag.value === ''
        ? []
        : [{ tag: checkedTag(outcome.tag.value, rule), rule: rule.source, type: rule.type, latest: outcome.tag.latest }]);
    const shaTag = given.find(({ type }) => type === 'sha')?.tag;
    const first = given[0];
    if (first === undefined)
        return { version: '', tags: [], shaTag, warnings };
    const tags = given
        .filter(({ tag }, index) => given.findIndex((other) => other.tag === tag) === index)
        .map(({ tag, rule }) => ({ tag, rule }));
    const latest = flavor.latest === 'auto' ? first.latest : flavor.latest === 'true';
    return { version: first.tag, tags: latest ? [...tags, latestTag(flavor)] : tags, shaTag, warnings };
}

;// CONCATENATED MODULE: ./packages/build-push/src/plan.ts
// The build plan: every input checked and every path confined before any side effect, with the tags and
// labels computed, so that a mistake fails the step before minutes of building.








const kindOf = (path) => {
    try {
        return (0,external_node_fs_namespaceObject.statSync)(path).isDirectory() ? 'directory' : 'file';
    }
    catch {
        return 'missing';
    }
};
/** The path with every link followed; for a path that does not exist yet, its nearest existing parent's. */
const realOrSelf = (path) => {
    try {
        return (0,external_node_fs_namespaceObject.realpathSync)(path);
    }
    catch {
        const parent = (0,external_node_path_namespaceObject.dirname)((0,external_node_path_namespaceObject.resolve)(path));
        return parent === (0,external_node_path_namespaceObject.resolve)(path) ? parent : (0,external_node_path_namespaceObject.join)(realOrSelf(parent), (0,external_node_path_namespaceObject.basename)(path));
    }
};
const isWithin = (path, root) => {
    const inside = (0,external_node_path_namespaceObject.relative)(root, path);
    return inside === '' || (!inside.startsWith('..') && !(0,external_node_path_namespaceObject.isAbsolute)(inside));
};
/**
 * A path the build reads: inside the workspace (or RUNNER_TEMP), links followed, or a mistake in
 * `input`. The build context is sent to the builder whole, so one outside would ship the runner's
 * files into an image.
 */
function confinedPath(path, roots, input, written) {
    const real = realOrSelf(path);
    if (roots.some((root) => isWithin(real, realOrSelf(root))))
        return path;
    const via = real === (0,external_node_path_namespaceObject.resolve)(path) ? '' : ` (through a link to ${real})`;
    throw new errors_ConfigurationError(`'${written}' is outside the workspace${via}: give a path inside the repository`, {
        input,
    });
}
/** buildah reads `oci:PATH[:name]` and buildx a CSV `dest=PATH`: these characters would change the meaning. */
const LAYOUT_PATH_UNSAFE = /[,:"]/;
/** Validates `oci-layout`: confined, and for writing missing or empty (an image already there would be mixed in). */
function planLayout(inputs, workspace, roots) {
    const written = inputs['oci-layout'];
    if (written === '')
        return undefined;
    const directory = confinedPath((0,external_node_path_namespaceObject.resolve)(workspace, written), roots, 'oci-layout', written);
    const kind = kindOf(directory);
    if (kind === 'file')
        throw new errors_ConfigurationError(`${directory} is a file, not a directory`, { input: 'oci-layout' });
    if (inputs.push)
        return { directory, mode: 'push' };
    if (LAYOUT_PATH_UNSAFE.test(directory)) {
        throw new errors_ConfigurationError(`${directory} contains one of , : " which builders cannot take in a path`, {
            input: 'oci-layout',
        });
    }
    if (kind === 'directory' && (0,external_node_fs_namespaceObject.readdirSync)(directory).length > 0) {
        throw new errors_ConfigurationError(`${directory} is not empty: give a new or empty directory to write the image to`, {
            input: 'oci-layout',
        });
    }
    return { directory, mode: 'write' };
}
/** The build context and Dockerfile: confined, existing, of the right kind. */
function planSources(inputs, workspace, roots) {
    const contextDir = confinedPath((0,external_node_path_namespaceObject.resolve)(workspace, inputs.context), roots, 'context', inputs.context);
    const contextKind = kindOf(contextDir);
    if (contextKind !== 'directory') {
        throw new errors_ConfigurationError(`${contextDir} ${contextKind === 'missing' ? 'does not exist' : 'is a file, not a directory'}`, { input: 'context' });
    }
    const dockerfile = confinedPath(inputs.dockerfile === '' ? (0,external_node_path_namespaceObject.join)(contextDir, 'Dockerfile') : (0,external_node_path_namespaceObject.resolve)(workspace, inputs.dockerfile), roots, inputs.dockerfile === '' ? 'context' : 'dockerfile', inputs.dockerfile === '' ? `${inputs.context}/Dockerfile` : inputs.dockerfile);
    if (kindOf(dockerfile) !== 'file') {
        throw inputs.dockerfile === ''
            ? new errors_ConfigurationError(`${contextDir} has no Dockerfile: set dockerfile when it is elsewhere`, {
                input: 'context',
            })
            : new errors_ConfigurationError(`${dockerfile} does not exist`, { input: 'dockerfile' });
    }
    return { contextDir, dockerfile };
}
const PLATFORM = /^[a-z0-9]+\/[a-z0-9_]+(?:\/[a-z0-9]+)?$/;
const BUILD_ARG = /^[A-Za-z_][A-Za-z0-9_]*=/s;
const TARGET = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** Validates every input and computes tags and labels; touches nothing but `stat` of the paths. */
function planBuild(inputs, github, env, now) {
    const image = parseImageInput(inputs.image);
    const username = inputs['registry-username'];
    const password = inputs['registry-password'];
    if (password !== '' && username === '') {
        throw new errors_ConfigurationError('is empty while registry-password is set: give both', { input: 'registry-username' });
    }
    if (username !== '' && password === '') {
        throw new errors_ConfigurationError('is empty while registry-username is set: give both', { input: 'registry-password' });
    }
    const roots = [github.workspace, ...(env['RUNNER_TEMP'] ? [env['RUNNER_TEMP']] : [])];
    const layout = planLayout(inputs, github.workspace, roots);
    const { contextDir, dockerfile } = layout?.mode === 'push' ? { contextDir: '', dockerfile: '' } : planSources(inputs, github.workspace, roots);
    for (const buildArg of inputs['build-args']) {
        if (!BUILD_ARG.test(buildArg)) {
            throw new errors_ConfigurationError(`'${buildArg}' is not NAME=value`, { input: 'build-args' });
        }
    }
    for (const platform of inputs.platforms) {
        if (!PLATFORM.test(platform)) {
            throw new errors_ConfigurationError(`'${platform}' is not a platform like linux/amd64 or linux/arm/v7`, {
                input: 'platforms',
            });
        }
    }
    if (inputs.target !== '' && !TARGET.test(inputs.target)) {
        throw new errors_ConfigurationError(`'${inputs.target}' is not a build stage name`, { input: 'target' });
    }
    const rules = parseTagRules(inputs.tags);
    const flavor = parseFlavor(inputs.flavor);
    const context = tagContext(github, env, now);
    const tags = computeTags(rules, flavor, context);
    if ((inputs.push || layout !== undefined) && tags.tags.length === 0) {
        throw new errors_ConfigurationError(`no rule gives a tag for this event (${github.eventName} on ${context.ref}): add one that does, e.g. type=sha`, { input: 'tags' });
    }
    const labels = ociLabels({
        repository: github.repository,
        serverUrl: github.serverUrl,
        sha: context.sha,
        payload: github.payload,
        version: tags.version,
        now,
    }, parseLabelLines(inputs.labels, expressionValues(context)));
    return {
        image,
        contextDir,
        dockerfile,
        layout,
        tags,
        context,
        references: tags.tags.map(({ tag }) => `${image.name}:${tag}`),
        labels,
        credentials: username === '' ? undefined : { username, password },
    };
}

;// CONCATENATED MODULE: ./packages/build-push/src/registry.ts
// A client of the registry HTTP API (the Distribution spec): token and Basic challenges, manifests read
// and put by digest, blobs pushed, every request under a deadline and retried only when it may help.


const DEFAULT_ATTEMPTS = 3;
const DEFAULT_DEADLINE_MS = 10_000;
/** The Distribution spec's limit for a manifest; error bodies and tokens are far smaller. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** Every manifest kind a tag can point at: without them a registry may answer 404 for OCI images. */
const MANIFEST_MEDIA_TYPES = [
    'application/vnd.oci.image.index.v1+json',
    'application/vnd.oci.image.manifest.v1+json',
    'application/vnd.docker.distribution.manifest.list.v2+json',
    'application/vnd.docker.distribution.manifest.v2+json',
];
/** The registry answered with an error, or did not answer at all. */
class RegistryError extends Error {
    status;
    constructor(message, status) {
        super(message);
        this.name = 'RegistryError';
        this.status = status;
    }
}
async function readBody(response) {
    if (response.body === null)
        return new Uint8Array();
    const reader = response.body.getReader();
    const chunks = [];
    let size = 0;
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
        size += read.value.byteLength;
        if (size > MAX_BODY_BYTES) {
            await reader.cancel();
            throw new Error(`the answer is larger than ${MAX_BODY_BYTES} bytes`);
        }
        chunks.push(read.value);
    }
    return Buffer.concat(chunks);
}
/** fetch's own error says only "fetch failed": the network's reason is its cause (read duck-typed, across realms). */
function causeOf(error) {
    const cause = typeof error === 'object' && error !== null ? Reflect.get(error, 'cause') : undefined;
    const message = typeof cause === 'object' && cause !== null ? Reflect.get(cause, 'message') : undefined;
    return typeof message === 'string' && message !== '' ? message : errorMessage(error);
}
const mediaTypeOf = (answer) => (answer.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
/** Parses `WWW-Authenticate: Bearer realm="...",service="...",scope="..."` (or `Basic realm=...`). */
function parseChallenge(header) {
    const scheme = /^\s*(\S+)/.exec(header)?.[1]?.toLowerCase() ?? '';
    const params = {};
    for (const match of header.matchAll(/([A-Za-z_]+)=(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g)) {
        params[(match[1] ?? '').toLowerCase()] = match[2] ?? match[3] ?? '';
    }
    return { scheme, params };
}
/** The registry's own words for an error (its JSON `errors`), else the status text. */
function errorDetail(answer) {
    try {
        const parsed = JSON.parse(Buffer.from(answer.body).toString('utf8'));
        const first = parsed.errors?.[0];
        if (first)
            return `${first.code ?? ''}${first.message ? `: ${first.message}` : ''}`;
    }
    catch {
        // Not the registry's JSON error shape: the status line says enough.
    }
    return answer.statusText;
}
/**
 * A client of the Distribution (OCI) HTTP API for one repository: reads and writes manifests,
 * authenticates anonymously, with Basic auth or with a Bearer token from the registry's
 * WWW-Authenticate challenge. Every request has a deadline; network errors, deadlines, 5xx and 429
 * are tried again, anything else fails at once with its cause. Loopback registries are reached over
 * plain HTTP, every other registry over HTTPS.
 */
class RegistryClient {
    reference;
    options;
    base;
    authorizations = new Map();
    constructor(reference, options) {
        this.reference = reference;
        this.options = options;
        this.base = `${reference.loopback ? 'http' : 'https'}://${reference.apiHost}/v2/`;
        const basic = this.basic();
        if (basic !== undefined)
            options.mask?.(basic.slice('Basic '.length));
    }
    /** The digest and kind of the manifest a tag or digest points at; undefined when there is none. */
    async headManifest(reference) {
        const answer = await this.request('HEAD', `manifests/${reference}`, 'pull', {
            Accept: MANIFEST_MEDIA_TYPES.join(', '),
        });
        if (answer.status === 404)
            return undefined;
        this.expectOk(answer, `check ${this.reference.name}:${reference}`);
        return { digest: answer.headers.get('docker-content-digest') ?? '', mediaType: mediaTypeOf(answer) };
    }
    /** The manifest's exact bytes; undefined when there is none. */
    async getManifest(reference) {
        const answer = await this.request('GET', `manifests/${reference}`, 'pull', {
            Accept: MANIFEST_MEDIA_TYPES.join(', '),
        });
        if (answer.status === 404)
            return undefined;
        this.expectOk(answer, `read ${this.reference.name}:${reference}`);
        return {
            digest: answer.headers.get('docker-content-digest') ?? '',
            mediaType: mediaTypeOf(answer),
            body: answer.body,
        };
    }
    /** Puts a manifest under a tag; returns the digest the registry reports. */
    async putManifest(tag, manifest) {
        const answer = await this.request('PUT', `manifests/${tag}`, 'pull,push', { 'Content-Type': manifest.mediaType }, manifest.body);
        this.expectOk(answer, `tag ${this.reference.name}:${tag}`);
        return answer.headers.get('docker-content-digest') ?? manifest.digest;
    }
    /** Whether the repository holds a blob (asked before uploading it). */
    async hasBlob(digest) {
        const answer = await this.request('HEAD', `blobs/${digest}`, 'pull,push', {});
        if (answer.status === 404)
            return false;
        this.expectOk(answer, `check blob ${digest}`);
        return true;
    }
    /**
     * Uploads a blob in one request (a monolithic upload: POST for a session, PUT with the digest). The
     * PUT's deadline grows with the size, at 1 MiB/s at worst.
     */
    async uploadBlob(digest, bytes) {
        const started = await this.request('POST', 'blobs/uploads/', 'pull,push', {});
        this.expectOk(started, `start the upload of ${digest}`);
        const location = started.headers.get('location') ?? '';
        let url;
        try {
            url = new URL(location, this.base);
        }
        catch {
            throw new RegistryError(`registry ${this.reference.registry} gave an invalid upload location '${this.shown(location)}'`, 502);
        }
        url.searchParams.set('digest', digest);
        const deadlineMs = (this.options.deadlineMs ?? DEFAULT_DEADLINE_MS) + Math.ceil(bytes.byteLength / 1048.576);
        const answer = await this.requestUrl(url, 'PUT', 'pull,push', { 'Content-Type': 'application/octet-stream' }, bytes, deadlineMs);
        this.expectOk(answer, `upload ${digest}`);
    }
    /**
     * Fails now, before anything is built, when the registry refuses the credentials: reads the
     * repository's tag list with the scope a push needs.
     */
    async checkAccess(scope) {
        const answer = await this.request('GET', 'tags/list?n=1', scope, {});
        // A repository that does not exist yet answers 404 once access is granted.
        if (answer.status !== 404)
            this.expectOk(answer, `reach ${this.reference.repository}`);
    }
    /** A server's words, fit for an error message: secrets removed, on one line. */
    shown(text) {
        return escapeUntrusted((this.options.redact ?? ((plain) => plain))(text));
    }
    expectOk(answer, what) {
        if (answer.status >= 200 && answer.status < 300)
            return;
        const detail = this.shown(errorDetail(answer));
        throw new RegistryError(`registry ${this.reference.registry} could not ${what}: HTTP ${answer.status}${detail ? ` ${detail}` : ''}`, answer.status);
    }
    request(method, path, scope, headers, body) {
        return this.requestUrl(new URL(`${this.base}${this.reference.repository}/${path}`), method, scope, headers, body);
    }
    /** A request to any URL the registry named; credentials go only to the registry's own origin. */
    async requestUrl(target, method, scope, headers, body, deadlineMs) {
        const url = target.toString();
        const ownOrigin = target.origin === new URL(this.base).origin;
        const authorization = ownOrigin ? this.authorizations.get(scope) : undefined;
        let answer = await this.send(url, method, authorization ? { ...headers, Authorization: authorization } : headers, body, deadlineMs);
        if (answer.status !== 401 || !ownOrigin)
            return this.checkDenied(answer, scope);
        const challenge = parseChallenge(answer.headers.get('www-authenticate') ?? '');
        const fresh = await this.authorize(challenge, scope);
        answer = await this.send(url, method, { ...headers, Authorization: fresh }, body, deadlineMs);
        if (answer.status === 401)
            throw this.refused(answer.status);
        return this.checkDenied(answer, scope);
    }
    checkDenied(answer, scope) {
        if (answer.status !== 403)
            return answer;
        const detail = this.shown(errorDetail(answer));
        const who = this.options.credentials ? `user '${this.options.credentials.username}'` : 'anonymous access';
        throw new errors_ConfigurationError(`registry ${this.reference.registry} denied ${scope === 'pull' ? 'reading' : 'pushing to'} ${this.reference.repository} for ${who} (HTTP 403${detail ? ` ${detail}` : ''})`, { input: 'registry-username' });
    }
    refused(status) {
        const credentials = this.options.credentials;
        if (credentials === undefined) {
            return new errors_ConfigurationError(`registry ${this.reference.registry} requires credentials for ${this.reference.repository} (HTTP ${status}): set registry-username and registry-password`, { input: 'registry-username' });
        }
        return new errors_ConfigurationError(`registry ${this.reference.registry} refused the credentials of user '${credentials.username}' (HTTP ${status}): check registry-username and registry-password`, { input: 'registry-password' });
    }
    basic() {
        const credentials = this.options.credentials;
        if (credentials === undefined)
            return undefined;
        return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
    }
    /** Answers a challenge: Basic with the credentials, or a Bearer token from the challenge's realm. */
    async authorize(challenge, scope) {
        let authorization;
        if (challenge.scheme === 'basic') {
            authorization = this.basic();
            if (authorization === undefined)
                throw this.refused(401);
        }
        else if (challenge.scheme === 'bearer' && challenge.params['realm']) {
            authorization = `Bearer ${await this.token(challenge.params, scope)}`;
        }
        else {
            throw new RegistryError(`registry ${this.reference.registry} asked for an authentication scheme this action does not speak ('${this.shown(challenge.scheme)}')`, 401);
        }
        this.authorizations.set(scope, authorization);
        return authorization;
    }
    tokenUrl(params, scope) {
        let url;
        try {
            url = new URL(params['realm'] ?? '');
        }
        catch {
            url = new URL('invalid:');
        }
        if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.host))) {
            throw new RegistryError(`registry ${this.reference.registry} sent its clients for tokens to '${this.shown(stripUrlCredentials(params['realm'] ?? ''))}', which is not an HTTPS URL`, 401);
        }
        if (params['service'])
            url.searchParams.set('service', params['service']);
        url.searchParams.set('scope', `repository:${this.reference.repository}:${scope}`);
        return url;
    }
    async token(params, scope) {
        const basic = this.basic();
        const answer = await this.send(this.tokenUrl(params, scope).toString(), 'GET', basic ? { Authorization: basic } : {});
        if (answer.status === 401 || answer.status === 403)
            throw this.refused(answer.status);
        if (answer.status < 200 || answer.status >= 300) {
            throw new RegistryError(`the token service of registry ${this.reference.registry} answered HTTP ${answer.status} ${this.shown(errorDetail(answer))}`, answer.status);
        }
        let token;
        try {
            const parsed = JSON.parse(Buffer.from(answer.body).toString('utf8'));
            token = typeof parsed.token === 'string' ? parsed.token : parsed.access_token;
        }
        catch {
            token = undefined;
        }
        if (typeof token !== 'string' || token === '') {
            throw new RegistryError(`the token service of registry ${this.reference.registry} gave no token`, 502);
        }
        this.options.mask?.(token);
        return token;
    }
    /** One HTTP exchange under the deadline; network errors, deadlines, 5xx and 429 are tried again. */
    async send(url, method, headers, body, deadlineMs) {
        const attempts = this.options.attempts ?? DEFAULT_ATTEMPTS;
        try {
            return await retry(() => this.exchange(url, method, headers, body, deadlineMs), {
                attempts,
                baseMs: this.options.retryBaseMs ?? 500,
                maxMs: 8000,
                jitter: 0.2,
                retryIf: isTransient,
                ...(this.options.sleep ? { sleep: this.options.sleep } : {}),
                onRetry: (error, attempt, delayMs) => this.options.onRetry?.(`${this.failure(error, method, url)}; attempt ${attempt + 1} of ${attempts} in ${delayMs} ms`),
            });
        }
        catch (error) {
            if (error instanceof errors_ConfigurationError || error instanceof RegistryError)
                throw error;
            const tries = isTransient(error) ? ` (${attempts} attempt${attempts === 1 ? '' : 's'})` : '';
            throw new RegistryError(`registry ${this.reference.registry}: ${this.failure(error, method, url)}${tries}`, 503);
        }
    }
    async exchange(url, method, headers, body, deadlineMs = this.options.deadlineMs ?? DEFAULT_DEADLINE_MS) {
        return withDeadline(async (signal) => {
            const response = await this.options.fetch(url, {
                method,
                headers,
                body: body === undefined ? undefined : Buffer.from(body),
                redirect: 'follow',
                signal,
            });
            if (isTransientStatus(response.status)) {
                await response.body?.cancel().catch(() => undefined);
                throw new HttpStatusError(response.status, url);
            }
            return {
                status: response.status,
                statusText: response.statusText,
                headers: response.headers,
                body: await readBody(response),
            };
        }, deadlineMs, `${method} ${url}`);
    }
    /** What went wrong with one exchange, in words: the deadline, the status, or the network's cause. */
    failure(error, method, url) {
        if (error instanceof DeadlineError || error instanceof HttpStatusError)
            return this.shown(error.message);
        return `${method} ${stripUrlCredentials(url)} failed: ${this.shown(causeOf(error))}`;
    }
}

;// CONCATENATED MODULE: ./packages/build-push/src/summary.ts
// The job summary: the image, how it came to be (built, reused or pushed), its digest, tags and labels.

/** The summary of a dry run (no outcome) or of the image built, reused or pushed. */
function renderSummary(plan, outcome) {
    const lines = [
        `## build-push: ${code(plan.image.name)}`,
        '',
        `${escapeCell(plan.context.eventName || 'run')} of ${code(plan.context.ref)} at ${code(plan.context.sha.slice(0, 12))}`,
        '',
    ];
    if (outcome === undefined)
        lines.push('**Dry run**: tags and labels computed; nothing was built or pushed.');
    else
        lines.push(`**${outcome.verdict}**: ${escapeCell(outcome.decision)}.`);
    if (outcome !== undefined && outcome.digest !== '')
        lines.push('', `Digest: ${code(outcome.digest)}`);
    lines.push('', table(['Tag', 'From rule'], plan.tags.tags.map(({ tag, rule }) => [raw(code(`${plan.image.name}:${tag}`)), raw(code(rule))])));
    if (plan.tags.tags.length === 0)
        lines.push('', '_No rule gave a tag for this event._');
    for (const warning of plan.tags.warnings)
        lines.push('', `> ${escapeCell(warning)}`);
    lines.push('', table(['Label', 'Value'], Object.entries(plan.labels).map(([key, value]) => [raw(code(key)), value])));
    return `${lines.join('\n')}\n`;
}

;// CONCATENATED MODULE: ./packages/build-push/src/run.ts
// The step's top function: plan, then reuse this commit's image, push an OCI layout an earlier step built,
// or build and push, and report tags, digest and labels.









/** Credentials from the inputs, else those an earlier login step stored (masked all the same). */
function registryCredentials(plan, runtime) {
    if (plan.credentials !== undefined)
        return plan.credentials;
    const stored = storedCredentials(plan.image.registry, runtime.env);
    if (stored !== undefined)
        runtime.mask(stored.password);
    return stored;
}
async function chooseBuilder(inputs, runtime) {
    const name = inputs.builder === 'auto' ? ((await dockerEngineAnswers(runtime)) ? 'buildx' : 'buildah') : inputs.builder;
    return name === 'buildx' ? buildxBuilder(runtime) : buildahBuilder(runtime);
}
/** Puts the manifest `digest` points at under every tag in `tags` (no pull, no rebuild). */
async function addTags(registry, digest, tags) {
    if (tags.length === 0)
        return;
    const manifest = await registry.getManifest(digest);
    if (manifest === undefined)
        throw new Error(`the registry has no manifest ${digest} to tag`);
    for (const tag of tags)
        await registry.putManifest(tag, { ...manifest, digest });
}
/** Looks for this commit's image (its `sha-<short>` tag) when reuse is asked for and possible. */
async function findReusable(plan, inputs, registry) {
    const shaTag = plan.tags.shaTag;
    if (!inputs.push)
        return { why: 'push is false' };
    if (!inputs['reuse-existing'])
        return { why: 'reuse-existing is false' };
    if (shaTag === undefined)
        return { why: 'no type=sha rule gives a tag to look for' };
    if (registry === undefined)
        return { why: 'the registry API could not be used without credentials' };
    const existing = await registry.headManifest(shaTag);
    return existing === undefined
        ? { why: `${shaTag} is not in the registry yet` }
        : { digest: existing.digest, why: `${shaTag} already exists` };
}
/**
 * Whether this step can speak to the registry: wrong credentials fail here, before minutes of
 * building. Without any credentials, buildx may still push through a Docker credential helper this
 * step cannot read: then the registry API is skipped (no reuse) and buildx's own digest is trusted.
 */
async function registryAccess(inputs, registry, credentials, builder, runtime) {
    if (!inputs.push)
        return false;
    try {
        await registry.checkAccess('pull,push');
        return true;
    }
    catch (error) {
        if (!(error instanceof errors_ConfigurationError) || credentials !== undefined || builder.name !== 'buildx')
            throw error;
        runtime.log.warning(`${error.message}; building without reuse-existing and trusting docker's own login`);
        return false;
    }
}
async function buildAndPush(plan, inputs, builder, registry, credentials, runtime) {
    const request = {
        image: plan.image,
        contextDir: plan.contextDir,
        dockerfile: plan.dockerfile,
        tags: plan.references,
        labels: plan.labels,
        buildArgs: inputs['build-args'],
        target: inputs.target,
        platforms: inputs.platforms,
        push: inputs.push,
        ociLayout: plan.layout?.mode === 'write' ? plan.layout.directory : '',
        cache: inputs.cache,
        githubCache: Boolean(runtime.env['ACTIONS_RUNTIME_TOKEN']) &&
            Boolean(runtime.env['ACTIONS_CACHE_URL'] ?? runtime.env['ACTIONS_RESULTS_URL']),
    };
    // Builders write into the directory but do not create its parents.
    if (request.ociLayout !== '')
        await (0,promises_namespaceObject.mkdir)(request.ociLayout, { recursive: true });
    const result = await runtime.log.group(`Build with ${builder.name}`, () => builder.build(request, credentials));
    const how = `built with ${builder.name} (cache: ${effectiveCache(request, builder.name)})`;
    if (!inputs.push && request.ociLayout !== '') {
        // The digest of what was written is the digest any registry will report for it, byte for byte.
        const layout = await readLayout(request.ociLayout);
        return {
            digest: layout.top.digest,
            verdict: 'Built',
            decision: `${how}, written as an OCI image layout to ${request.ociLayout}, not pushed (push: false)`,
        };
    }
    if (!inputs.push)
        return { digest: '', verdict: 'Built', decision: `${how}, not pushed (push: false)` };
    if (registry === undefined)
        return { digest: result.digest, verdict: 'Built', decision: `${how} and pushed` };
    // The digest output is what the registry serves for the pushed tag.
    const first = plan.tags.tags[0]?.tag ?? '';
    let digest = result.digest;
    const served = await registry.headManifest(first);
    if (served !== undefined && served.digest !== '') {
        if (digest !== '' && served.digest !== digest) {
            runtime.log.warning(`${builder.name} reported ${digest} but the registry serves ${escapeUntrusted(served.digest)} for ${first}`);
        }
        digest = served.digest;
    }
    const pushed = new Set(result.pushedTags);
    await addTags(registry, digest, plan.tags.tags.map(({ tag }) => tag).filter((tag) => !pushed.has(`${plan.image.name}:${tag}`)));
    return { digest, verdict: 'Built', decision: `${how} and pushed` };
}
/** Pushes the image an earlier build-push step wrote as an OCI image layout: nothing is built. */
async function pushFromLayout(plan, directory, registry, runtime) {
    const layout = await readLayout(directory);
    await registry.checkAccess('pull,push');
    const counts = await runtime.log.group(`Push ${layout.top.digest} from ${escapeUntrusted(directory)}`, () => pushLayout(registry, layout, plan.tags.tags.map(({ tag }) => tag)));
    runtime.log.info(`blobs: ${counts.uploaded} uploaded, ${counts.present} already in the registry`);
    return {
        digest: layout.top.digest,
        verdict: 'Pushed',
        decision: `pushed from the OCI image layout ${directory} (${counts.uploaded} blobs uploaded, ${counts.present} already there), nothing was built`,
    };
}
function setPlanOutputs(plan, runtime) {
    runtime.setOutput('tags', plan.references.join('\n'));
    runtime.setOutput('version', plan.tags.version);
    runtime.setOutput('labels', plan.labels);
}
/** The build-push action: validate and plan, then reuse the commit's image or build and push it. */
async function runBuildPush(runtime) {
    const inputs = parseInputs(runtime.inputs);
    const plan = planBuild(inputs, runtime.github, runtime.env, runtime.clock.now());
    for (const warning of plan.tags.warnings)
        runtime.log.warning(warning);
    runtime.log.info(`Tags:\n${plan.references.join('\n')}`);
    if (inputs['dry-run']) {
        setPlanOutputs(plan, runtime);
        runtime.setOutput('built', false);
        await runtime.appendSummary(renderSummary(plan, undefined));
        return;
    }
    const credentials = registryCredentials(plan, runtime);
    const registry = new RegistryClient(plan.image, {
        fetch: runtime.fetch,
        credentials,
        sleep: (ms) => runtime.clock.sleep(ms),
        mask: (secret) => runtime.mask(secret),
        redact: (text) => runtime.redact(text),
        onRetry: (message) => runtime.log.warning(`registry ${plan.image.registry}: ${message}`),
    });
    if (plan.layout?.mode === 'push') {
        await finish(plan, await pushFromLayout(plan, plan.layout.directory, registry, runtime), runtime);
        return;
    }
    const builder = await chooseBuilder(inputs, runtime);
    const reachable = await registryAccess(inputs, registry, credentials, builder, runtime);
    let outcome;
    const reuse = await findReusable(plan, inputs, reachable ? registry : undefined);
    runtime.log.info(`reuse-existing: ${reuse.why}`);
    const existing = reuse.digest;
    if (existing !== undefined) {
        const shaTag = plan.tags.shaTag ?? '';
        await addTags(registry, existing, plan.tags.tags.map(({ tag }) => tag).filter((tag) => tag !== shaTag));
        outcome = {
            digest: existing,
            verdict: 'Reused',
            decision: `${reuse.why}: the other tags were added to its digest, nothing was built`,
        };
    }
    else {
        outcome = await buildAndPush(plan, inputs, builder, reachable ? registry : undefined, credentials, runtime);
        outcome.decision = `${outcome.decision} (${reuse.why})`;
    }
    await finish(plan, outcome, runtime);
}
async function finish(plan, outcome, runtime) {
    setPlanOutputs(plan, runtime);
    runtime.setOutput('digest', outcome.digest);
    runtime.setOutput('ref', outcome.digest === '' ? '' : `${plan.image.name}@${outcome.digest}`);
    runtime.setOutput('built', outcome.verdict === 'Built');
    if (plan.layout !== undefined)
        runtime.setOutput('oci-layout', plan.layout.directory);
    await runtime.appendSummary(renderSummary(plan, outcome));
}

;// CONCATENATED MODULE: ./packages/build-push/src/action.ts
// The step itself: what dist/build-push runs, and the entry @github/local-action calls.


const run = () => runAction(runBuildPush);


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
/******/ var __webpack_exports__ = __nccwpck_require__(9707);
/******/ __webpack_exports__ = await __webpack_exports__;
/******/ 
