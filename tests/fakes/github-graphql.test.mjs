// Tests of the fake GitHub's GraphQL engine itself (github-graphql.mjs), against
// GitHub's documented behaviour and the error shapes its API returns. The same
// cases run against the Rust twin in crates/github/src/fake_graphql.rs.
// Run: `npx node --test tests/fakes/github-graphql.test.mjs`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { executeGraphQL, parseGraphQL, groupThreads } from "./github-graphql.mjs";

function world() {
  const blobs = new Map([["h:a \"q\".rs", Buffer.from("fn a() {}\n")], ["h:bin", Buffer.from([0, 1, 2])], ["h:dir/x.rs", Buffer.from("x")]]);
  const threads = [0, 1, 2].map((i) => ({
    id: `T${i}`, isResolved: false, resolvedBy: null, isOutdated: false, path: "a.rs", line: 3, originalLine: 3, startLine: null, diffSide: "RIGHT",
    comments: [{ databaseId: i, authorLogin: "argusai[bot]", authorIsBot: true, body: "b", createdAt: "2026-01-01T00:00:00Z", path: "a.rs", url: "u" }],
  }));
  return {
    threads,
    repositoryExists: (owner, name) => owner === "o" && name === "r",
    object(_o, _n, expression) {
      const bytes = blobs.get(expression);
      if (bytes) return { type: "Blob", oid: "b".repeat(40), bytes };
      if (expression === "h:dir") return { type: "Tree", oid: "c".repeat(40), bytes: Buffer.alloc(0) };
      return null;
    },
    reviewThreads: (_o, _n, number) => (number === 1 ? threads : null),
    setThreadResolved(id, resolved) {
      const t = threads.find((x) => x.id === id);
      if (!t) return null;
      t.isResolved = resolved;
      return t;
    },
  };
}

const run = (query, variables = {}, data = world(), options) => executeGraphQL(data, { query, variables }, options);

test("blobs by variable expression, hostile paths, binary, trees and nothing", () => {
  const { status, body } = run(
    'query($e: String!, $b: String!) { repository(owner: "o", name: "r") { a0: object(expression: $e) { __typename ... on Blob { text byteSize isBinary } } a1: object(expression: $b) { ... on Blob { text isBinary } } a2: object(expression: "h:none") { oid } a3: object(expression: "h:dir") { __typename ... on Blob { text } } } }',
    { e: 'h:a "q".rs', b: "h:bin" },
  );
  assert.equal(status, 200);
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  assert.deepEqual(body.data.repository, {
    a0: { __typename: "Blob", text: "fn a() {}\n", byteSize: 10, isBinary: false },
    a1: { text: null, isBinary: true },
    a2: null,
    a3: { __typename: "Tree" },
  });
});

test("mistakes are answered like GitHub, without data", () => {
  const cases = [
    ['{ repository(owner: "o", name: "r") { nope } }', {}, "Field 'nope' doesn't exist on type 'Repository'"],
    ['{ repository(owner: "o", name: "r", color: "x") { name } }', {}, "Field 'repository' doesn't accept argument 'color'"],
    ['{ repository(owner: "o") { name } }', {}, "Field 'repository' is missing required arguments: name"],
    ['{ repository(owner: "o", name: "r") { object(expression: "x") { ... on Blobby { text } } } }', {}, "No such type Blobby, so it can't be a fragment condition"],
    ['{ repository(owner: "o", name: "r") { ... on Blob { text } } }', {}, "Fragment on Blob can't be spread inside Repository"],
    ['{ repository(owner: "o", name: "r") }', {}, "Field 'repository' returns Repository but has no selections. Did you mean 'repository { ... }'?"],
    ['{ repository(owner: "o", name: "r") { name { x } } }', {}, "Selections can't be made on scalars (field 'name' returns String but has selections [x])"],
    ['{ repository(owner: $o, name: "r") { name } }', {}, "Variable $o is used by anonymous query but not declared"],
    ['query($o: String!, $x: Int) { repository(owner: $o, name: "r") { name } }', { o: "o" }, "Variable $x is declared by anonymous query but not used"],
    ['query($n: String!) { repository(owner: "o", name: "r") { pullRequest(number: $n) { id } } }', { n: "1" }, "Type mismatch on variable $n and argument number (String! / Int!)"],
    ['{ repository(owner: "o", name: "r") { pullRequest(number: "1") { id } } }', {}, "Argument 'number' on Field 'pullRequest' has an invalid value (\"1\"). Expected type 'Int!'."],
    ['query($o: String!) { repository(owner: $o, name: "r") { name } }', {}, "Variable $o of type String! was provided invalid value"],
    ['{ repository(owner: "o", name: "r") { name }', {}, "Unexpected end of document"],
    ['{ repository(owner: "o", name: "r") { } }', {}, 'Parse error on "}" (RCURLY) at [1, 39]'],
    ['{ repository(owner: "o", name: "r") { pullRequest(number: 1) { reviewThreads { totalCount } } } }', {}, "You must provide a `first` or `last` value to properly paginate the `reviewThreads` connection."],
    ['{ repository(owner: "o", name: "r") { pullRequest(number: 1) { reviewThreads(first: 101) { totalCount } } } }', {}, "Requesting 101 records on the `reviewThreads` connection exceeds the `first` limit of 100 records."],
    ["fragment F on Blob { text } { repository(owner: \"o\", name: \"r\") { name } }", {}, "Named fragments are not supported by this fake GitHub; use inline fragments"],
  ];
  for (const [query, vars, want] of cases) {
    const { status, body } = run(query, vars);
    assert.equal(status, 200, query);
    assert.ok(body.data === undefined || body.data === null, `${query}: ${JSON.stringify(body)}`);
    assert.ok(body.errors.map((e) => e.message).includes(want), `${query}: ${JSON.stringify(body.errors)}`);
  }
  const { body } = run('{ repository(owner: "o", name: "r") { nope } }');
  assert.deepEqual(body.errors[0], {
    path: ["query", "repository", "nope"],
    extensions: { code: "undefinedField", typeName: "Repository", fieldName: "nope" },
    locations: [{ line: 1, column: 39 }],
    message: "Field 'nope' doesn't exist on type 'Repository'",
  });
  assert.deepEqual(run("{ x", {}).body.errors[0].message, "Unexpected end of document");
  assert.match(run("{ repository(owner: \"o\u20ac\" }").body.errors[0].message, /^Parse error on/);
  assert.deepEqual(executeGraphQL(world(), {}).body, { errors: [{ message: "A query attribute must be specified and must be a string." }] });
});

test("a missing repository or pull request is null with NOT_FOUND at its path", () => {
  const { body } = run('{ r1: repository(owner: "o", name: "gone") { name } r2: repository(owner: "o", name: "r") { pullRequest(number: 9) { id } } }');
  assert.deepEqual(body.data, { r1: null, r2: { pullRequest: null } });
  assert.deepEqual(body.errors.map((e) => [e.type, e.path, e.message]), [
    ["NOT_FOUND", ["r1"], "Could not resolve to a Repository with the name 'o/gone'."],
    ["NOT_FOUND", ["r2", "pullRequest"], "Could not resolve to a PullRequest with the number of 9."],
  ]);
});

test("node limit: 500,000 nodes per query; and a budget of selected fields", () => {
  const fine = run('{ repository(owner: "o", name: "r") { pullRequest(number: 1) { reviewThreads(first: 100) { nodes { comments(first: 100) { nodes { body } } } } } } }');
  assert.equal(fine.body.errors, undefined, "100 + 100 × 100 = 10,100 nodes");
  // 100 aliases × 100 threads × 100 comments = 1,010,000 nodes.
  const aliases = Array.from({ length: 100 }, (_, i) => `p${i}: pullRequest(number: 1) { reviewThreads(first: 100) { nodes { comments(first: 100) { nodes { body } } } } }`).join(" ");
  const over = run(`{ repository(owner: "o", name: "r") { ${aliases} } }`);
  assert.deepEqual(over.body.errors, [{ type: "MAX_NODE_LIMIT_EXCEEDED", message: "This query requests up to 1,010,000 possible nodes which exceeds the maximum limit of 500,000." }]);
  const many = Array.from({ length: 6000 }, (_, i) => `a${i}: object(expression: "h:x") { oid }`).join(" ");
  const absurd = run(`{ repository(owner: "o", name: "r") { ${many} } }`);
  assert.equal(absurd.body.errors[0].type, "RESOURCE_LIMITS_EXCEEDED");
  assert.equal(absurd.body.data, null);
  // A huge answer is GitHub's timeout.
  const slow = run('{ repository(owner: "o", name: "r") { object(expression: "h:dir/x.rs") { ... on Blob { text } } } }', {}, world(), { maxResponseBytes: 10 });
  assert.equal(slow.status, 502);
});

test("threads paginate with cursors; resolveReviewThread takes an ID! and records the resolution", () => {
  const data = world();
  const q = 'query($after: String) { repository(owner: "o", name: "r") { pullRequest(number: 1) { reviewThreads(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id isResolved comments(first: 50) { nodes { databaseId author { __typename login } } } } } } } }';
  const page1 = run(q, {}, data).body.data.repository.pullRequest.reviewThreads;
  assert.equal(page1.totalCount, 3);
  assert.equal(page1.pageInfo.hasNextPage, true);
  assert.deepEqual(page1.nodes[0].comments.nodes[0].author, { __typename: "Bot", login: "argusai" }, "GraphQL drops the [bot] suffix");
  const page2 = run(q, { after: page1.pageInfo.endCursor }, data).body.data.repository.pullRequest.reviewThreads;
  assert.deepEqual(page2.nodes.map((t) => t.id), ["T2"]);
  assert.equal(page2.pageInfo.hasNextPage, false);
  assert.equal(run(q, { after: "garbage" }, data).body.errors[0].type, "INVALID_CURSOR_ARGUMENTS");

  const m = "mutation($id: ID!) { resolveReviewThread(input: {threadId: $id}) { thread { id isResolved } } }";
  assert.deepEqual(run(m, { id: "T1" }, data).body.data, { resolveReviewThread: { thread: { id: "T1", isResolved: true } } });
  assert.equal(data.threads[1].isResolved, true);
  const missing = run(m, { id: "nope" }, data).body;
  assert.deepEqual([missing.data.resolveReviewThread, missing.errors[0].type], [null, "NOT_FOUND"]);
  const wrong = run("mutation($id: String!) { resolveReviewThread(input: {threadId: $id}) { thread { id } } }", { id: "T1" }, data).body;
  assert.equal(wrong.errors[0].extensions.code, "variableMismatch");
  const noInput = run('mutation { resolveReviewThread(input: {}) { thread { id } } }', {}, data).body;
  assert.equal(noInput.errors[0].extensions.code, "argumentLiteralsIncompatible");
});

test("strings: escapes, surrogate pairs, block strings", () => {
  const [op] = parseGraphQL('{ repository(owner: "a\\"b\\\\c\\u00e9\\ud83d\\ude00", name: """ block "x" """) { name } }');
  const args = op.selections[0].args;
  assert.equal(args[0].value.string, 'a"b\\cé😀');
  assert.equal(args[1].value.string, ' block "x" ', "a one-line block string keeps its spaces");
  assert.throws(() => parseGraphQL('{ a(b: "open) }'), /Parse error/);
});

test("groupThreads: replies join their root; outdated when the line is gone", () => {
  const c = (id, replyTo, line) => ({ id, in_reply_to_id: replyTo, user: { login: id === 2 ? "mona" : "argusai[bot]", type: id === 2 ? "User" : "Bot" }, body: `c${id}`, created_at: "t", path: "a.rs", line, original_line: 5, side: "RIGHT" });
  const threads = groupThreads([c(1, null, 5), c(2, 1, 5), c(3, null, null)], new Map([["T3", "mona"]]), (root) => `T${root}`);
  assert.deepEqual(threads.map((t) => [t.id, t.comments.map((x) => x.databaseId), t.isOutdated, t.isResolved]), [["T1", [1, 2], false, false], ["T3", [3], true, true]]);
  assert.equal(threads[0].comments[1].authorIsBot, false);
});
