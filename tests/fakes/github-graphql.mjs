// The fake GitHub's GraphQL endpoint: a small real GraphQL parser, validator and
// executor for the part of GitHub's schema ArgusAI uses (blobs by expression,
// pull request review threads, resolveReviewThread), answering mistakes the way
// GitHub does, so a client bug fails here as it would there. Imported by
// github.mjs; the Rust twin is crates/github/src/fake_graphql.rs (keep in step).
//
// What it checks, with GitHub's error shapes (graphql-ruby's codes): syntax
// (`Parse error on "}" (RCURLY) at [1, 5]`, `Unexpected end of document`);
// unknown fields (undefinedField), arguments (argumentNotAccepted), missing
// required arguments (missingRequiredArguments), unknown fragment types
// (undefinedType), fragments that cannot apply (fragmentSpreadTypeMismatch),
// selections on scalars or none on objects (selectionMismatch), undeclared or
// unused variables (variableNotDefined, variableNotUsed), variables of the wrong
// type (variableMismatch), literals of the wrong type
// (argumentLiteralsIncompatible), invalid variable values; connections need
// `first` or `last` within 1-100 and a query may ask for at most 500,000 nodes
// (https://docs.github.com/en/graphql/overview/rate-limits-and-query-limits-for-the-graphql-api#node-limit);
// a query selecting more than `maxFields` fields is refused like GitHub's "other
// resource limits", and an answer over `maxResponseBytes` is GitHub's timeout
// (502). Execution: a missing repository or pull request is null plus a
// NOT_FOUND error at its path; `object(expression:)` naming nothing is null
// without an error; a blob's `text` is null when it is binary. Named fragments
// are not supported (ArgusAI does not use them) and are refused clearly.

export const NODE_LIMIT = 500_000;

// ---------- lexing ----------

const PUNCT_NAMES = { "{": "LCURLY", "}": "RCURLY", "(": "LPAREN", ")": "RPAREN", "[": "LBRACKET", "]": "RBRACKET", ":": "COLON", "!": "BANG", $: "VAR_SIGN", "=": "EQUALS", "@": "DIR_SIGN", "...": "ELLIPSIS" };

class ParseError extends Error {
  constructor(message, line, col) {
    super(message);
    this.line = line;
    this.col = col;
  }
}

function lex(src) {
  const chars = Array.from(src);
  let i = 0, line = 1, col = 1;
  const out = [];
  const err = (text, l, c) => new ParseError(`Parse error on ${JSON.stringify(text)} (error) at [${l}, ${c}]`, l, c);
  const adv = (n) => { i += n; col += n; };
  while (i < chars.length) {
    const c = chars[i];
    const tl = line, tc = col;
    if (c === "\n") { i++; line++; col = 1; continue; }
    if (c === " " || c === "\t" || c === "\r" || c === "," || c === "\ufeff") { adv(1); continue; }
    if (c === "#") { while (i < chars.length && chars[i] !== "\n") adv(1); continue; }
    if ("{}()[]:!$=@".includes(c)) { out.push({ kind: "punct", value: c, text: c, line: tl, col: tc }); adv(1); continue; }
    if (c === ".") {
      if (chars[i + 1] === "." && chars[i + 2] === ".") { out.push({ kind: "punct", value: "...", text: "...", line: tl, col: tc }); adv(3); continue; }
      throw err(".", tl, tc);
    }
    if (c === '"') {
      if (chars[i + 1] === '"' && chars[i + 2] === '"') {
        let s = "";
        adv(3);
        for (;;) {
          if (i >= chars.length) throw err('"""', tl, tc);
          if (chars[i] === '"' && chars[i + 1] === '"' && chars[i + 2] === '"') { adv(3); break; }
          if (chars[i] === "\\" && chars[i + 1] === '"' && chars[i + 2] === '"' && chars[i + 3] === '"') { s += '"""'; adv(4); continue; }
          if (chars[i] === "\n") { s += "\n"; i++; line++; col = 1; continue; }
          s += chars[i];
          adv(1);
        }
        out.push({ kind: "string", value: blockStringValue(s), text: s, line: tl, col: tc });
        continue;
      }
      const start = i;
      let s = "";
      adv(1);
      for (;;) {
        const ch = chars[i];
        if (ch === undefined || ch === "\n") throw err(chars.slice(start, i).join(""), tl, tc);
        if (ch === '"') { adv(1); break; }
        if (ch === "\\") {
          const esc = chars[i + 1];
          const simple = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" }[esc];
          if (simple !== undefined) { s += simple; adv(2); continue; }
          if (esc === "u") {
            const hex = chars.slice(i + 2, i + 6).join("");
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw err(chars.slice(start, i + 2).join(""), tl, tc);
            adv(6);
            const code = parseInt(hex, 16);
            if (code >= 0xd800 && code < 0xdc00 && chars[i] === "\\" && chars[i + 1] === "u") {
              const low = parseInt(chars.slice(i + 2, i + 6).join(""), 16);
              if (low >= 0xdc00 && low < 0xe000) { adv(6); s += String.fromCodePoint(0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00)); continue; }
            }
            s += String.fromCharCode(code);
            continue;
          }
          throw err(chars.slice(start, i + 2).join(""), tl, tc);
        }
        s += ch;
        adv(1);
      }
      out.push({ kind: "string", value: s, text: chars.slice(start, i).join(""), line: tl, col: tc });
      continue;
    }
    if (c === "-" || /[0-9]/.test(c)) {
      const start = i;
      adv(1);
      while (i < chars.length && /[0-9.eE+\-]/.test(chars[i])) adv(1);
      const text = chars.slice(start, i).join("");
      if (/^-?\d+$/.test(text)) out.push({ kind: "int", value: Number(text), text, line: tl, col: tc });
      else if (!Number.isNaN(Number(text))) out.push({ kind: "float", value: Number(text), text, line: tl, col: tc });
      else throw err(text, tl, tc);
      continue;
    }
    if (/[_A-Za-z]/.test(c)) {
      const start = i;
      while (i < chars.length && /[_A-Za-z0-9]/.test(chars[i])) adv(1);
      const text = chars.slice(start, i).join("");
      out.push({ kind: "name", value: text, text, line: tl, col: tc });
      continue;
    }
    throw err(c, tl, tc);
  }
  out.push({ kind: "eof", value: null, text: "", line, col });
  return out;
}

/** A block string's value: common indentation of later lines and blank first/last lines removed. */
function blockStringValue(raw) {
  const lines = raw.split("\n");
  const indents = lines.slice(1).filter((l) => l.trim() !== "").map((l) => l.length - l.replace(/^[ \t]+/, "").length);
  const indent = indents.length ? Math.min(...indents) : 0;
  const out = lines.map((l, i) => (i === 0 ? l : l.slice(indent)));
  while (out.length && out[0].trim() === "") out.shift();
  while (out.length && out[out.length - 1].trim() === "") out.pop();
  return out.join("\n");
}

// ---------- parsing ----------

class Parser {
  constructor(toks) { this.toks = toks; this.pos = 0; }
  peek() { return this.toks[this.pos]; }
  next() { const t = this.toks[this.pos]; if (this.pos + 1 < this.toks.length) this.pos++; return t; }
  is(p) { const t = this.peek(); return t.kind === "punct" && t.value === p; }
  unexpected() {
    const t = this.peek();
    const name = { punct: PUNCT_NAMES[t.value] ?? "PUNCT", name: "IDENTIFIER", int: "INT", float: "FLOAT" }[t.kind];
    if (t.kind === "eof") return new ParseError("Unexpected end of document", t.line, t.col);
    if (t.kind === "string") return new ParseError(`Parse error on ${t.text} (STRING) at [${t.line}, ${t.col}]`, t.line, t.col);
    return new ParseError(`Parse error on ${JSON.stringify(t.text)} (${name}) at [${t.line}, ${t.col}]`, t.line, t.col);
  }
  expect(p) { if (this.is(p)) return this.next(); throw this.unexpected(); }
  name() { if (this.peek().kind === "name") return this.next(); throw this.unexpected(); }

  document() {
    const ops = [];
    for (;;) {
      const t = this.peek();
      if (t.kind === "eof" && ops.length) return ops;
      if (this.is("{")) { ops.push({ mutation: false, name: null, vars: [], selections: this.selectionSet() }); continue; }
      if (t.kind === "name" && (t.value === "query" || t.value === "mutation")) {
        this.next();
        const name = this.peek().kind === "name" ? this.next().value : null;
        const vars = this.is("(") ? this.varDefs() : [];
        this.directives();
        ops.push({ mutation: t.value === "mutation", name, vars, selections: this.selectionSet() });
        continue;
      }
      if (t.kind === "name" && t.value === "fragment") throw new ParseError("Named fragments are not supported by this fake GitHub; use inline fragments", t.line, t.col);
      throw this.unexpected();
    }
  }
  varDefs() {
    this.expect("(");
    if (this.is(")")) throw this.unexpected();
    const out = [];
    while (!this.is(")")) {
      const dollar = this.expect("$");
      const name = this.name().value;
      this.expect(":");
      const type = this.typeRef();
      let def = undefined;
      if (this.is("=")) { this.next(); def = this.value(true); }
      out.push({ name, type, default: def, line: dollar.line, col: dollar.col });
    }
    this.expect(")");
    return out;
  }
  typeRef() {
    let base;
    if (this.is("[")) { this.next(); const inner = this.typeRef(); this.expect("]"); base = { list: inner }; }
    else base = { named: this.name().value };
    if (this.is("!")) { this.next(); return { nonNull: base }; }
    return base;
  }
  directives() {
    const out = [];
    while (this.is("@")) {
      const at = this.next();
      const name = this.name().value;
      out.push({ name, args: this.is("(") ? this.args() : [], line: at.line, col: at.col });
    }
    return out;
  }
  selectionSet() {
    this.expect("{");
    if (this.is("}")) throw this.unexpected();
    const out = [];
    while (!this.is("}")) {
      if (this.is("...")) {
        const dots = this.next();
        const t = this.peek();
        if (t.kind === "name" && t.value === "on") {
          this.next();
          const on = this.name().value;
          const directives = this.directives();
          out.push({ kind: "inline", on, directives, selections: this.selectionSet(), line: dots.line, col: dots.col });
        } else if (t.kind === "name") {
          const name = this.next().value;
          this.directives();
          out.push({ kind: "spread", name, line: dots.line, col: dots.col });
        } else {
          const directives = this.directives();
          out.push({ kind: "inline", on: null, directives, selections: this.selectionSet(), line: dots.line, col: dots.col });
        }
        continue;
      }
      const first = this.name();
      let alias = null, name = first.value;
      if (this.is(":")) { this.next(); alias = first.value; name = this.name().value; }
      const args = this.is("(") ? this.args() : [];
      const directives = this.directives();
      const selections = this.is("{") ? this.selectionSet() : null;
      out.push({ kind: "field", alias, name, args, directives, selections, line: first.line, col: first.col });
    }
    this.expect("}");
    return out;
  }
  args() {
    this.expect("(");
    if (this.is(")")) throw this.unexpected();
    const out = [];
    while (!this.is(")")) {
      const n = this.name();
      this.expect(":");
      out.push({ name: n.value, value: this.value(false), line: n.line, col: n.col });
    }
    this.expect(")");
    return out;
  }
  value(constant) {
    const t = this.peek();
    if (t.kind === "punct" && t.value === "$" && !constant) { this.next(); return { var: this.name().value }; }
    if (t.kind === "int") { this.next(); return { int: t.value }; }
    if (t.kind === "float") { this.next(); return { float: t.value }; }
    if (t.kind === "string") { this.next(); return { string: t.value }; }
    if (t.kind === "name") {
      this.next();
      if (t.value === "true" || t.value === "false") return { bool: t.value === "true" };
      if (t.value === "null") return { null: true };
      return { enum: t.value };
    }
    if (this.is("[")) { this.next(); const items = []; while (!this.is("]")) items.push(this.value(constant)); this.next(); return { list: items }; }
    if (this.is("{")) {
      this.next();
      const fields = [];
      while (!this.is("}")) { const n = this.name().value; this.expect(":"); fields.push([n, this.value(constant)]); }
      this.next();
      return { object: fields };
    }
    throw this.unexpected();
  }
}

/** Parses a GraphQL document into its operations; throws a ParseError with GitHub's message. */
export function parseGraphQL(text) {
  return new Parser(lex(text)).document();
}

// ---------- schema ----------

const SCALARS = new Set(["String", "Int", "Boolean", "ID", "Float", "DateTime", "URI", "GitObjectID"]);
const INPUTS = { ResolveReviewThreadInput: { threadId: "ID!", clientMutationId: "String" }, UnresolveReviewThreadInput: { threadId: "ID!", clientMutationId: "String" } };
const ABSTRACT = { GitObject: ["Blob", "Commit", "Tree"], Actor: ["Bot", "User"] };
const CONN_ARGS = { first: "Int", last: "Int", after: "String", before: "String" };
const f = (ty, args = {}) => ({ ty, args, connection: false });
const conn = (ty) => ({ ty, args: CONN_ARGS, connection: true });
const gitObject = { oid: f("String!"), abbreviatedOid: f("String!"), id: f("String!") };
const actor = { login: f("String!"), url: f("String!") };
const connection = (node) => ({ nodes: f(`[${node}]`), pageInfo: f("PageInfo!"), totalCount: f("Int!") });
const payload = { thread: f("PullRequestReviewThread"), clientMutationId: f("String") };
const SCHEMA = {
  Query: { repository: f("Repository", { owner: "String!", name: "String!", followRenames: "Boolean" }), rateLimit: f("RateLimit", { dryRun: "Boolean" }) },
  Mutation: {
    resolveReviewThread: f("ResolveReviewThreadPayload", { input: "ResolveReviewThreadInput!" }),
    unresolveReviewThread: f("UnresolveReviewThreadPayload", { input: "UnresolveReviewThreadInput!" }),
  },
  Repository: { object: f("GitObject", { expression: "String", oid: "GitObjectID" }), pullRequest: f("PullRequest", { number: "Int!" }), id: f("String!"), name: f("String!"), nameWithOwner: f("String!") },
  GitObject: gitObject,
  Blob: { ...gitObject, text: f("String"), byteSize: f("Int!"), isBinary: f("Boolean"), isTruncated: f("Boolean!") },
  Tree: gitObject,
  Commit: gitObject,
  PullRequest: { number: f("Int!"), id: f("ID!"), reviewThreads: conn("PullRequestReviewThreadConnection!") },
  PullRequestReviewThreadConnection: connection("PullRequestReviewThread"),
  PullRequestReviewCommentConnection: connection("PullRequestReviewComment"),
  PullRequestReviewThread: {
    id: f("ID!"), isResolved: f("Boolean!"), isOutdated: f("Boolean!"), isCollapsed: f("Boolean!"), viewerCanResolve: f("Boolean!"),
    path: f("String!"), diffSide: f("String!"), line: f("Int"), originalLine: f("Int"), startLine: f("Int"), originalStartLine: f("Int"),
    resolvedBy: f("User"), comments: conn("PullRequestReviewCommentConnection!"),
  },
  PullRequestReviewComment: {
    id: f("ID!"), databaseId: f("Int"), author: f("Actor"), body: f("String!"), path: f("String!"), url: f("String!"),
    createdAt: f("DateTime!"), outdated: f("Boolean!"), replyTo: f("PullRequestReviewComment"),
  },
  PageInfo: { hasNextPage: f("Boolean!"), hasPreviousPage: f("Boolean!"), endCursor: f("String"), startCursor: f("String") },
  Actor: actor,
  User: actor,
  Bot: actor,
  RateLimit: { cost: f("Int!"), limit: f("Int!"), remaining: f("Int!"), used: f("Int!"), nodeCount: f("Int!"), resetAt: f("DateTime!") },
  ResolveReviewThreadPayload: payload,
  UnresolveReviewThreadPayload: payload,
};

const parseType = (s) => (s.endsWith("!") ? { nonNull: parseType(s.slice(0, -1)) } : s.startsWith("[") ? { list: parseType(s.slice(1, -1)) } : { named: s });
const namedOf = (t) => t.named ?? namedOf(t.nonNull ?? t.list);
const showType = (t) => (t.named ? t.named : t.list ? `[${showType(t.list)}]` : `${showType(t.nonNull)}!`);
const isType = (n) => SCALARS.has(n) || n in INPUTS || n in SCHEMA;
const fieldDef = (ty, field) => (SCHEMA[ty] && Object.hasOwn(SCHEMA[ty], field) ? SCHEMA[ty][field] : null);
function overlaps(parent, cond) {
  if (parent === cond) return true;
  const p = ABSTRACT[parent] ?? [], c = ABSTRACT[cond] ?? [];
  return p.includes(cond) || c.includes(parent) || p.some((t) => c.includes(t));
}

// ---------- validation ----------

const gqlError = (message, line, col, path, extensions) => ({ path, extensions, locations: [{ line, column: col }], message });

function showVal(v) {
  if ("var" in v) return `$${v.var}`;
  if ("int" in v) return String(v.int);
  if ("float" in v) return String(v.float);
  if ("string" in v) return JSON.stringify(v.string);
  if ("bool" in v) return String(v.bool);
  if ("null" in v) return "null";
  if ("enum" in v) return v.enum;
  if ("list" in v) return `[${v.list.map(showVal).join(", ")}]`;
  return `{${v.object.map(([k, x]) => `${k}: ${showVal(x)}`).join(", ")}}`;
}

function literalFits(v, ty, ctx, line, col, path, arg) {
  if ("var" in v) {
    ctx.used.add(v.var);
    const def = ctx.vars.find((d) => d.name === v.var);
    if (!def) {
      ctx.errors.push(gqlError(`Variable $${v.var} is used by ${ctx.opName} but not declared`, line, col, path, { code: "variableNotDefined", variableName: v.var }));
    } else {
      const namedOk = namedOf(def.type) === namedOf(ty);
      const nullOk = !ty.nonNull || !!def.type.nonNull || def.default !== undefined;
      if (!namedOk || !nullOk) {
        const what = namedOk ? "Nullability mismatch" : "Type mismatch";
        ctx.errors.push(gqlError(`${what} on variable $${v.var} and argument ${arg} (${showType(def.type)} / ${showType(ty)})`, line, col, path, { code: "variableMismatch", variableName: v.var, typeName: showType(def.type), argumentName: arg, errorMessage: "Type mismatch" }));
      }
    }
    return true;
  }
  if ("null" in v) return !ty.nonNull;
  if (ty.nonNull) return literalFits(v, ty.nonNull, ctx, line, col, path, arg);
  if (ty.list) return "list" in v ? v.list.every((i) => literalFits(i, ty.list, ctx, line, col, path, arg)) : literalFits(v, ty.list, ctx, line, col, path, arg);
  const n = ty.named;
  if ("string" in v) return ["String", "ID", "DateTime", "URI", "GitObjectID"].includes(n);
  if ("int" in v) return ["Int", "Float", "ID"].includes(n);
  if ("float" in v) return n === "Float";
  if ("bool" in v) return n === "Boolean";
  if ("object" in v && n in INPUTS) {
    const defs = INPUTS[n];
    let ok = true;
    for (const [k, x] of v.object) ok = Object.hasOwn(defs, k) ? literalFits(x, parseType(defs[k]), ctx, line, col, path, arg) && ok : false;
    for (const [k, t] of Object.entries(defs)) if (t.endsWith("!") && !v.object.some(([key]) => key === k)) ok = false;
    return ok;
  }
  return false;
}

function selectionOnScalar(field, ty, path) {
  const names = field.selections.map((s) => (s.kind === "field" ? s.name : s.kind === "inline" ? `... on ${s.on ?? ""}` : `...${s.name}`));
  const named = namedOf(parseType(ty));
  return gqlError(`Selections can't be made on scalars (field '${field.name}' returns ${named} but has selections [${names.join(", ")}])`, field.line, field.col, path, { code: "selectionMismatch", nodeName: `field '${field.name}'`, typeName: named });
}

function validateDirectives(directives, path, ctx) {
  for (const d of directives) {
    if (d.name !== "include" && d.name !== "skip") {
      ctx.errors.push(gqlError(`Directive @${d.name} is not defined`, d.line, d.col, path, { code: "undefinedDirective", directiveName: d.name }));
      continue;
    }
    if (d.args.length !== 1 || d.args[0].name !== "if") {
      ctx.errors.push(gqlError(`Directive '${d.name}' is missing required arguments: if`, d.line, d.col, path, { code: "missingRequiredArguments", className: "Directive", name: d.name, arguments: "if" }));
      continue;
    }
    const a = d.args[0];
    if (!literalFits(a.value, parseType("Boolean!"), ctx, a.line, a.col, path, "if")) {
      ctx.errors.push(gqlError(`Argument 'if' on Directive '${d.name}' has an invalid value (${showVal(a.value)}). Expected type 'Boolean!'.`, a.line, a.col, path, { code: "argumentLiteralsIncompatible", typeName: "Directive", argumentName: "if" }));
    }
  }
}

function validateSelections(parent, sels, path, ctx) {
  for (const sel of sels) {
    if (sel.kind === "spread") {
      ctx.errors.push(gqlError(`Fragment ${sel.name} was used, but not defined`, sel.line, sel.col, path, { code: "useAndDefineFragment", fragmentName: sel.name }));
      continue;
    }
    if (sel.kind === "inline") {
      validateDirectives(sel.directives, path, ctx);
      const cond = sel.on ?? parent;
      const p = [...path, `... on ${cond}`];
      if (!isType(cond) || SCALARS.has(cond)) {
        ctx.errors.push(gqlError(`No such type ${cond}, so it can't be a fragment condition`, sel.line, sel.col, p, { code: "undefinedType", typeName: cond }));
        continue;
      }
      if (!overlaps(parent, cond)) {
        ctx.errors.push(gqlError(`Fragment on ${cond} can't be spread inside ${parent}`, sel.line, sel.col, p, { code: "fragmentSpreadTypeMismatch", typeName: cond, fragmentName: `... on ${cond}`, parentName: parent }));
        continue;
      }
      validateSelections(cond, sel.selections, p, ctx);
      continue;
    }
    ctx.fields++;
    const field = sel;
    const p = [...path, field.name];
    validateDirectives(field.directives, p, ctx);
    if (field.name === "__typename") {
      if (field.selections) ctx.errors.push(selectionOnScalar(field, "String!", p));
      continue;
    }
    const def = fieldDef(parent, field.name);
    if (!def) {
      ctx.errors.push(gqlError(`Field '${field.name}' doesn't exist on type '${parent}'`, field.line, field.col, p, { code: "undefinedField", typeName: parent, fieldName: field.name }));
      continue;
    }
    for (const a of field.args) {
      const ap = [...p, a.name];
      if (!Object.hasOwn(def.args, a.name)) {
        ctx.errors.push(gqlError(`Field '${field.name}' doesn't accept argument '${a.name}'`, a.line, a.col, ap, { code: "argumentNotAccepted", name: field.name, typeName: "Field", argumentName: a.name }));
        continue;
      }
      const ty = parseType(def.args[a.name]);
      if (!literalFits(a.value, ty, ctx, a.line, a.col, ap, a.name)) {
        ctx.errors.push(gqlError(`Argument '${a.name}' on Field '${field.name}' has an invalid value (${showVal(a.value)}). Expected type '${showType(ty)}'.`, a.line, a.col, ap, { code: "argumentLiteralsIncompatible", typeName: "Field", argumentName: a.name }));
      }
    }
    const missing = Object.entries(def.args).filter(([n, t]) => t.endsWith("!") && !field.args.some((a) => a.name === n)).map(([n]) => n);
    if (missing.length) {
      ctx.errors.push(gqlError(`Field '${field.name}' is missing required arguments: ${missing.join(", ")}`, field.line, field.col, p, { code: "missingRequiredArguments", className: "Field", name: field.name, arguments: missing.join(", ") }));
    }
    const named = namedOf(parseType(def.ty));
    if (SCALARS.has(named)) {
      if (field.selections) ctx.errors.push(selectionOnScalar(field, def.ty, p));
    } else if (!field.selections) {
      ctx.errors.push(gqlError(`Field '${field.name}' returns ${named} but has no selections. Did you mean '${field.name} { ... }'?`, field.line, field.col, p, { code: "selectionMismatch", nodeName: field.name, typeName: named }));
    } else {
      validateSelections(named, field.selections, p, ctx);
    }
  }
}

// ---------- variables ----------

function coerce(v, ty) {
  if (v === null || v === undefined) {
    if (ty.nonNull) throw new Error("Expected value to not be null");
    return;
  }
  if (ty.nonNull) return coerce(v, ty.nonNull);
  if (ty.list) { if (Array.isArray(v)) v.forEach((i) => coerce(i, ty.list)); else coerce(v, ty.list); return; }
  const n = ty.named;
  let ok;
  if (["String", "DateTime", "URI", "GitObjectID"].includes(n)) ok = typeof v === "string";
  else if (n === "ID") ok = typeof v === "string" || Number.isInteger(v);
  else if (n === "Int") ok = Number.isInteger(v) && Math.abs(v) < 2 ** 31;
  else if (n === "Float") ok = typeof v === "number";
  else if (n === "Boolean") ok = typeof v === "boolean";
  else if (n in INPUTS) {
    if (typeof v !== "object" || Array.isArray(v)) throw new Error(`Expected ${JSON.stringify(v)} to be a key-value object.`);
    for (const [k, x] of Object.entries(v)) {
      if (!Object.hasOwn(INPUTS[n], k)) throw new Error(`Field is not defined on ${n}: ${k}`);
      coerce(x, parseType(INPUTS[n][k]));
    }
    for (const [k, t] of Object.entries(INPUTS[n])) if (t.endsWith("!") && !(k in v)) throw new Error(`Expected value to not be null: ${k}`);
    ok = true;
  } else ok = false;
  if (!ok) throw new Error(`Could not coerce value ${JSON.stringify(v)} to ${n}`);
}

function literalToJson(v, vars) {
  if ("var" in v) return vars[v.var] ?? null;
  if ("int" in v) return v.int;
  if ("float" in v) return v.float;
  if ("string" in v) return v.string;
  if ("bool" in v) return v.bool;
  if ("null" in v) return null;
  if ("enum" in v) return v.enum;
  if ("list" in v) return v.list.map((i) => literalToJson(i, vars));
  return Object.fromEntries(v.object.map(([k, x]) => [k, literalToJson(x, vars)]));
}

// ---------- pagination and node count ----------

function countNodes(parent, sels, vars, multiplier, path, errors) {
  let total = 0;
  for (const sel of sels) {
    if (sel.kind === "inline") { total += countNodes(sel.on ?? parent, sel.selections, vars, multiplier, path, errors); continue; }
    if (sel.kind !== "field") continue;
    const def = fieldDef(parent, sel.name);
    if (!def) continue;
    const p = [...path, sel.alias ?? sel.name];
    let m = multiplier;
    if (def.connection) {
      const arg = (n) => { const a = sel.args.find((x) => x.name === n); const v = a ? literalToJson(a.value, vars) : null; return v ?? null; };
      const first = arg("first"), last = arg("last");
      const loc = [{ line: sel.line, column: sel.col }];
      if (first === null && last === null) {
        errors.push({ type: "MISSING_PAGINATION_BOUNDARIES", path: p, locations: loc, message: `You must provide a \`first\` or \`last\` value to properly paginate the \`${sel.name}\` connection.` });
        continue;
      }
      const which = first !== null ? "first" : "last";
      const n = first ?? last;
      if (n < 0 || n > 100) {
        const message = n < 0
          ? `\`${which}\` on the \`${sel.name}\` connection cannot be less than zero.`
          : `Requesting ${n} records on the \`${sel.name}\` connection exceeds the \`${which}\` limit of 100 records.`;
        errors.push({ type: "EXCESSIVE_PAGINATION", path: p, locations: loc, message });
        continue;
      }
      m = multiplier * n;
      total += m;
    }
    if (sel.selections) total += countNodes(namedOf(parseType(def.ty)), sel.selections, vars, m, p, errors);
  }
  return total;
}

// ---------- execution ----------

const cursor = (i) => Buffer.from(`cursor:v2:${i}`).toString("base64");
function decodeCursor(c) {
  const m = /^cursor:v2:(\d+)$/.exec(Buffer.from(String(c), "base64").toString("utf8"));
  return m ? Number(m[1]) : null;
}

/** A GitHub-looking global node id (`PRRT_kwDO…`). */
export const nodeId = (prefix, key) => `${prefix}_kwDO${Buffer.from(key).toString("base64url")}`;

class ExecError extends Error {
  constructor(kind, message) { super(message); this.kind = kind; }
}

/** Slices `total` items by first/last/after/before, as GitHub's connections do. */
function paginate(total, args) {
  const bad = (c) => new ExecError("INVALID_CURSOR_ARGUMENTS", `\`${c}\` does not appear to be a valid cursor.`);
  let lo = 0, hi = total;
  if (args.after != null) { const a = decodeCursor(args.after); if (a === null) throw bad(args.after); lo = a + 1; }
  if (args.before != null) { const b = decodeCursor(args.before); if (b === null) throw bad(args.before); hi = Math.min(b, total); }
  lo = Math.min(lo, hi);
  let start = lo, end = hi;
  if (args.first != null) end = Math.min(start + args.first, end);
  if (args.last != null) start = Math.max(end - args.last, start);
  return { start, len: end - start, total, hasNext: args.first != null && end < hi, hasPrev: args.last != null && start > lo };
}

function isBinary(bytes) {
  if (bytes.subarray(0, 8000).includes(0)) return true;
  try { new TextDecoder("utf-8", { fatal: true }).decode(bytes); return false; } catch { return true; }
}

function typeName(node) {
  if (node.t === "object") return node.obj.type;
  if (node.t === "actor") return node.bot ? "Bot" : "User";
  return node.t;
}

function resolve(node, field, args, data, opts) {
  const t = node.t;
  if (t === "Query" && field === "repository") {
    if (!data.repositoryExists(args.owner, args.name)) throw new ExecError("NOT_FOUND", `Could not resolve to a Repository with the name '${args.owner}/${args.name}'.`);
    return { one: { t: "Repository", owner: args.owner, name: args.name } };
  }
  if (t === "Query" && field === "rateLimit") return { one: { t: "RateLimit" } };
  if (t === "Mutation") {
    const id = String(args.input?.threadId);
    const thread = data.setThreadResolved(id, field === "resolveReviewThread");
    if (!thread) throw new ExecError("NOT_FOUND", `Could not resolve to a node with the global id of '${id}'`);
    return { one: { t: "ResolveReviewThreadPayload", thread } };
  }
  if (t === "Repository") {
    if (field === "object") {
      const o = data.object(node.owner, node.name, args.expression ?? args.oid ?? "");
      return o ? { one: { t: "object", obj: o } } : { value: null };
    }
    if (field === "pullRequest") {
      if (!data.reviewThreads(node.owner, node.name, args.number)) throw new ExecError("NOT_FOUND", `Could not resolve to a PullRequest with the number of ${args.number}.`);
      return { one: { t: "PullRequest", owner: node.owner, name: node.name, number: args.number } };
    }
    if (field === "nameWithOwner") return { value: `${node.owner}/${node.name}` };
    if (field === "name") return { value: node.name };
    if (field === "id") return { value: nodeId("R", `${node.owner}/${node.name}`) };
  }
  if (t === "object") {
    const o = node.obj;
    if (field === "oid") return { value: o.oid };
    if (field === "abbreviatedOid") return { value: o.oid.slice(0, 7) };
    if (field === "id") return { value: nodeId("O", o.oid) };
    const bin = isBinary(o.bytes);
    const limit = opts.blobTextLimit ?? Infinity;
    if (field === "byteSize") return { value: o.bytes.length };
    if (field === "isBinary") return { value: bin };
    if (field === "isTruncated") return { value: !bin && o.bytes.length > limit };
    if (field === "text") {
      if (bin) return { value: null };
      let cut = Math.min(o.bytes.length, limit);
      while (cut > 0 && cut < o.bytes.length && (o.bytes[cut] & 0xc0) === 0x80) cut--;
      return { value: o.bytes.subarray(0, cut).toString("utf8") };
    }
  }
  if (t === "PullRequest") {
    if (field === "number") return { value: node.number };
    if (field === "id") return { value: nodeId("PR", `${node.owner}/${node.name}#${node.number}`) };
    if (field === "reviewThreads") {
      const items = data.reviewThreads(node.owner, node.name, node.number) ?? [];
      return { one: { t: "PullRequestReviewThreadConnection", items, page: paginate(items.length, args) } };
    }
  }
  if (t === "PullRequestReviewThreadConnection" || t === "PullRequestReviewCommentConnection") {
    const { items, page } = node;
    if (field === "nodes") {
      const nodeType = t === "PullRequestReviewThreadConnection" ? "PullRequestReviewThread" : "PullRequestReviewComment";
      return { many: items.slice(page.start, page.start + page.len).map((x) => ({ t: nodeType, x })) };
    }
    if (field === "pageInfo") return { one: { t: "PageInfo", page } };
    if (field === "totalCount") return { value: page.total };
  }
  if (t === "PageInfo") {
    const p = node.page;
    if (field === "hasNextPage") return { value: p.hasNext };
    if (field === "hasPreviousPage") return { value: p.hasPrev };
    if (field === "startCursor") return { value: p.len ? cursor(p.start) : null };
    if (field === "endCursor") return { value: p.len ? cursor(p.start + p.len - 1) : null };
  }
  if (t === "PullRequestReviewThread") {
    const x = node.x;
    const map = { id: x.id, isResolved: x.isResolved, isOutdated: x.isOutdated, isCollapsed: x.isResolved, viewerCanResolve: true, path: x.path, diffSide: x.diffSide, line: x.line ?? null, originalLine: x.originalLine ?? null, startLine: x.startLine ?? null, originalStartLine: x.startLine ?? null };
    if (field in map) return { value: map[field] };
    if (field === "resolvedBy") return x.resolvedBy ? { one: { t: "actor", login: x.resolvedBy, bot: false } } : { value: null };
    if (field === "comments") return { one: { t: "PullRequestReviewCommentConnection", items: x.comments, page: paginate(x.comments.length, args) } };
  }
  if (t === "PullRequestReviewComment") {
    const c = node.x;
    // GraphQL names a bot by its slug, without REST's `[bot]` suffix.
    if (field === "author") return { one: { t: "actor", login: c.authorIsBot ? c.authorLogin.replace(/\[bot\]$/, "") : c.authorLogin, bot: c.authorIsBot } };
    const map = { id: nodeId("PRRC", String(c.databaseId)), databaseId: c.databaseId, body: c.body, path: c.path, url: c.url, createdAt: c.createdAt, outdated: false, replyTo: null };
    if (field in map) return { value: map[field] };
  }
  if (t === "actor") {
    if (field === "login") return { value: node.login };
    if (field === "url") return { value: node.bot ? `https://github.com/apps/${node.login}` : `https://github.com/${node.login}` };
  }
  if (t === "RateLimit") return { value: { cost: 1, limit: 5000, remaining: 4999, used: 1, nodeCount: 0, resetAt: "2030-01-01T00:00:00Z" }[field] ?? null };
  if (t === "ResolveReviewThreadPayload") {
    if (field === "thread") return node.thread ? { one: { t: "PullRequestReviewThread", x: node.thread } } : { value: null };
    return { value: null };
  }
  return { value: null };
}

function included(directives, vars) {
  return directives.every((d) => {
    const v = d.args[0] ? literalToJson(d.args[0].value, vars) : true;
    return d.name === "skip" ? !v : !!v;
  });
}

function select(node, sels, path, out, ctx) {
  for (const sel of sels) {
    if (sel.kind === "spread") continue;
    if (!included(sel.directives, ctx.vars)) continue;
    if (sel.kind === "inline") {
      const ty = typeName(node);
      if (!sel.on || sel.on === ty || (ABSTRACT[sel.on] ?? []).includes(ty)) select(node, sel.selections, path, out, ctx);
      continue;
    }
    const key = sel.alias ?? sel.name;
    const p = [...path, key];
    if (sel.name === "__typename") { out[key] = typeName(node); continue; }
    const args = Object.fromEntries(sel.args.map((a) => [a.name, literalToJson(a.value, ctx.vars)]));
    let r;
    try {
      r = resolve(node, sel.name, args, ctx.data, ctx.opts);
    } catch (e) {
      if (!(e instanceof ExecError)) throw e;
      ctx.errors.push({ type: e.kind, path: p, locations: [{ line: sel.line, column: sel.col }], message: e.message });
      out[key] = null;
      continue;
    }
    if ("one" in r) {
      const m = out[key] && typeof out[key] === "object" ? out[key] : {};
      select(r.one, sel.selections ?? [], p, m, ctx);
      out[key] = m;
    } else if ("many" in r) {
      out[key] = r.many.map((child, i) => { const m = {}; select(child, sel.selections ?? [], [...p, i], m, ctx); return m; });
    } else out[key] = r.value ?? null;
  }
}

const groupThousands = (n) => n.toLocaleString("en-US");

/**
 * Runs one `POST /graphql` body against `data` ({repositoryExists(owner, name),
 * object(owner, name, expression) -> {type, oid, bytes}|null, reviewThreads(owner,
 * name, number) -> [thread]|null, setThreadResolved(id, resolved) -> thread|null}).
 * Returns {status, body}.
 */
export function executeGraphQL(data, body, options = {}) {
  const opts = { maxFields: 5000, maxResponseBytes: 10 * 1024 * 1024, blobTextLimit: null, ...options };
  if (!body || typeof body.query !== "string") return { status: 200, body: { errors: [{ message: "A query attribute must be specified and must be a string." }] } };
  const given = body.variables ?? {};
  if (typeof given !== "object" || Array.isArray(given)) return { status: 200, body: { errors: [{ message: `Variables are invalid JSON: ${JSON.stringify(given)} is not an object.` }] } };
  let ops;
  try {
    ops = parseGraphQL(body.query);
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
    return { status: 200, body: { errors: [{ message: e.message, locations: [{ line: e.line, column: e.col }] }] } };
  }
  let op;
  if (body.operationName) {
    op = ops.find((o) => o.name === body.operationName);
    if (!op) return { status: 200, body: { errors: [{ message: `No operation named "${body.operationName}"` }] } };
  } else if (ops.length === 1) op = ops[0];
  else return { status: 200, body: { errors: [{ message: "An operation name is required" }] } };
  const kind = op.mutation ? "mutation" : "query";
  const root = op.mutation ? "Mutation" : "Query";
  const opName = op.name ? `${kind} '${op.name}'` : `anonymous ${kind}`;
  const rootPath = [op.name ? `${kind} ${op.name}` : kind];
  const ctx = { errors: [], opName, vars: op.vars, used: new Set(), fields: 0 };
  for (const d of op.vars) {
    if (!isType(namedOf(d.type))) ctx.errors.push(gqlError(`${namedOf(d.type)} isn't a defined input type (on $${d.name})`, d.line, d.col, rootPath, { code: "variableRequiresValidType", typeName: namedOf(d.type), variableName: d.name }));
  }
  validateSelections(root, op.selections, rootPath, ctx);
  for (const d of op.vars) {
    if (!ctx.used.has(d.name)) ctx.errors.push(gqlError(`Variable $${d.name} is declared by ${opName} but not used`, d.line, d.col, rootPath, { code: "variableNotUsed", variableName: d.name }));
  }
  if (ctx.errors.length) return { status: 200, body: { errors: ctx.errors } };
  const values = {};
  const varErrors = [];
  for (const d of op.vars) {
    const v = Object.hasOwn(given, d.name) ? given[d.name] : d.default !== undefined ? literalToJson(d.default, {}) : null;
    try { coerce(v, d.type); } catch (e) {
      varErrors.push({ extensions: { value: v, problems: [{ path: [], explanation: e.message }] }, locations: [{ line: d.line, column: d.col }], message: `Variable $${d.name} of type ${showType(d.type)} was provided invalid value` });
    }
    values[d.name] = v;
  }
  if (varErrors.length) return { status: 200, body: { errors: varErrors } };
  const limitErrors = [];
  const nodes = countNodes(root, op.selections, values, 1, [], limitErrors);
  if (limitErrors.length) return { status: 200, body: { errors: limitErrors } };
  if (nodes > NODE_LIMIT) {
    return { status: 200, body: { errors: [{ type: "MAX_NODE_LIMIT_EXCEEDED", message: `This query requests up to ${groupThousands(nodes)} possible nodes which exceeds the maximum limit of ${groupThousands(NODE_LIMIT)}.` }] } };
  }
  if (ctx.fields > opts.maxFields) {
    return { status: 200, body: { data: null, errors: [{ type: "RESOURCE_LIMITS_EXCEEDED", message: `Resource limits for this query exceeded: it selects ${ctx.fields} fields.` }] } };
  }
  const exec = { data, opts, vars: values, errors: [] };
  const out = {};
  select({ t: root }, op.selections, [], out, exec);
  const answer = { data: out };
  if (exec.errors.length) answer.errors = exec.errors;
  if (JSON.stringify(answer).length > opts.maxResponseBytes) {
    // GitHub ends requests it cannot answer within 10 s with a 502.
    return { status: 502, body: { message: "We couldn't respond to your request in time. Sorry about that. Please try resubmitting your request and contact us if the problem persists." } };
  }
  return { status: 200, body: answer };
}

/**
 * Review threads from REST review comments (oldest first): a thread starts with a
 * comment that replies to nothing; replies join it. `resolved` maps thread ids to
 * who resolved them; `idOf(rootCommentId)` names a thread.
 */
export function groupThreads(comments, resolved, idOf) {
  const threads = [];
  const byRoot = new Map();
  for (const c of comments) {
    const comment = { databaseId: c.id, authorLogin: c.user.login, authorIsBot: c.user.type === "Bot", body: c.body, createdAt: c.created_at, path: c.path, url: c.html_url ?? "" };
    const t = c.in_reply_to_id != null ? byRoot.get(c.in_reply_to_id) : undefined;
    if (t !== undefined) { byRoot.set(c.id, t); threads[t].comments.push(comment); continue; }
    const id = idOf(c.id);
    byRoot.set(c.id, threads.length);
    threads.push({
      id, isResolved: resolved.has(id), resolvedBy: resolved.get(id) ?? null, isOutdated: c.line == null, path: c.path,
      line: c.line ?? null, originalLine: c.original_line ?? null, startLine: c.start_line ?? null, diffSide: c.side ?? "RIGHT", comments: [comment],
    });
  }
  return threads;
}
