// Calls an OpenAI-compatible server (allot's gateway) with the official `openai`
// npm package, used exactly as an agent would use it: unchanged but for the
// base URL and the key.
//
//   node openai_client_test.mjs BASE_URL API_KEY MODEL
//   e.g. node openai_client_test.mjs http://127.0.0.1:8080/v1 allot_... mock-1
//
// Prints one line per check ("ok   name: detail" / "FAIL name: reason") and
// exits 1 when any check failed, 2 on bad usage. OPENAI_CLIENT_TEST_SKIP may
// name checks to skip, comma-separated (for running against a bare upstream
// that has no model list or key check); a skipped check is printed as such.

import OpenAI from 'openai';

const TIMEOUT_MS = 30_000;  // per request
const WATCHDOG_MS = 120_000;  // the whole run

const [baseURL, apiKey, model] = process.argv.slice(2);
if (!baseURL || !apiKey || !model) {
  console.error('usage: node openai_client_test.mjs BASE_URL API_KEY MODEL');
  process.exit(2);
}
const skip = new Set((process.env.OPENAI_CLIENT_TEST_SKIP ?? '').split(',').filter(Boolean));

const watchdog = setTimeout(() => {
  console.error(`FAIL watchdog: the checks did not finish within ${WATCHDOG_MS / 1000}s`);
  process.exit(1);
}, WATCHDOG_MS);
watchdog.unref();

// maxRetries 0: a failure surfaces at once instead of being retried.
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: TIMEOUT_MS });
const badKeyClient = new OpenAI({
  baseURL,
  apiKey: `${apiKey}-wrong`,
  maxRetries: 0,
  timeout: TIMEOUT_MS,
});

const messages = [
  { role: 'system', content: 'You are a terse assistant.' },
  { role: 'user', content: 'Say hello in a few words.' },
];

let failures = 0;
let passed = 0;

async function check(name, fn) {
  if (skip.has(name)) {
    console.log(`skip ${name}`);
    return;
  }
  try {
    const detail = await fn();
    passed += 1;
    console.log(`ok   ${name}${detail ? `: ${detail}` : ''}`);
  } catch (err) {
    failures += 1;
    const reason = err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err);
    console.log(`FAIL ${name}: ${reason}`);
  }
}

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

function expectUsage(usage, what) {
  expect(usage && typeof usage === 'object', `${what}: no usage`);
  expect(Number.isInteger(usage.prompt_tokens) && usage.prompt_tokens > 0,
         `${what}: usage.prompt_tokens ${JSON.stringify(usage.prompt_tokens)}`);
  return usage;
}

// Expects `promise` to reject with an OpenAI.APIError of class `ErrorClass`
// and HTTP `status`, carrying an OpenAI-shaped error body.
async function expectApiError(promise, ErrorClass, status) {
  let result;
  try {
    result = await promise;
  } catch (err) {
    expect(err instanceof OpenAI.APIError,
           `expected OpenAI.APIError, got ${err?.constructor?.name}: ${err?.message}`);
    expect(err instanceof ErrorClass,
           `expected ${ErrorClass.name}, got ${err.constructor.name} (status ${err.status}): ${err.message}`);
    expect(err.status === status, `expected status ${status}, got ${err.status}`);
    expect(typeof err.error?.message === 'string',
           `the error body has no error.message: ${JSON.stringify(err.error)}`);
    return err;
  }
  throw new Error(`expected ${ErrorClass.name}, but the call succeeded: ${JSON.stringify(result).slice(0, 200)}`);
}

// (1) A plain chat completion.
await check('chat', async () => {
  const reply = await client.chat.completions.create({ model, messages });
  expect(reply.object === 'chat.completion', `object ${JSON.stringify(reply.object)}`);
  expect(Array.isArray(reply.choices) && reply.choices.length === 1, 'expected one choice');
  const content = reply.choices[0].message?.content;
  expect(typeof content === 'string' && content.length > 0,
         `choices[0].message.content ${JSON.stringify(content)}`);
  const usage = expectUsage(reply.usage, 'chat');
  expect(Number.isInteger(usage.completion_tokens) && usage.completion_tokens > 0,
         `usage.completion_tokens ${JSON.stringify(usage.completion_tokens)}`);
  return `${JSON.stringify(content.slice(0, 40))}, usage ${usage.prompt_tokens}+${usage.completion_tokens}`;
});

// (2) A streamed chat completion, iterated as agents do.
await check('chat-stream', async () => {
  const stream = await client.chat.completions.create({ model, messages, stream: true });
  let contentChunks = 0;
  let text = '';
  let finishReason = null;
  let usageOnly = 0;
  for await (const chunk of stream) {
    expect(chunk.object === 'chat.completion.chunk', `chunk object ${JSON.stringify(chunk.object)}`);
    if (chunk.choices.length === 0) {
      usageOnly += 1;  // OpenAI sends it only when stream_options.include_usage is set
      continue;
    }
    const choice = chunk.choices[0];
    if (typeof choice.delta?.content === 'string' && choice.delta.content.length > 0) {
      contentChunks += 1;
      text += choice.delta.content;
    }
    if (choice.finish_reason) finishReason = choice.finish_reason;
  }
  // The loop ending without an error means the stream ended ([DONE] or a clean close).
  expect(contentChunks > 1, `content arrived in ${contentChunks} chunk(s), expected more than 1`);
  expect(finishReason !== null, 'no chunk carried a finish_reason');
  expect(usageOnly === 0,
         `${usageOnly} usage chunk(s) with empty choices, which the client did not ask for`);
  return `${contentChunks} content chunks, ${JSON.stringify(text.slice(0, 40))}, finish ${finishReason}`;
});

// (2b) A stream that asks for usage: the last chunk carries it.
await check('chat-stream-usage', async () => {
  const stream = await client.chat.completions.create({
    model,
    messages,
    stream: true,
    stream_options: { include_usage: true },
  });
  let usage = null;
  let chunks = 0;
  for await (const chunk of stream) {
    chunks += 1;
    if (chunk.usage) usage = chunk.usage;
  }
  expectUsage(usage, 'stream');
  return `${chunks} chunks, usage ${usage.prompt_tokens}+${usage.completion_tokens}`;
});

// (2c) The legacy completions API.
await check('completions', async () => {
  const reply = await client.completions.create({ model, prompt: 'Once upon a time', max_tokens: 16 });
  expect(typeof reply.choices?.[0]?.text === 'string' && reply.choices[0].text.length > 0,
         `choices[0].text ${JSON.stringify(reply.choices?.[0]?.text)}`);
  expectUsage(reply.usage, 'completions');
  return JSON.stringify(reply.choices[0].text.slice(0, 40));
});

// (3) Embeddings: the package asks for base64 by default and decodes it; the
// vector must match the one asked for as floats.
await check('embeddings', async () => {
  const input = ['The quick brown fox', 'jumps over the lazy dog'];
  const floats = await client.embeddings.create({ model, input, encoding_format: 'float' });
  expect(floats.data?.length === 2, `data has ${floats.data?.length} entries, expected 2`);
  const dims = floats.data[0].embedding?.length;
  expect(dims > 0, 'empty embedding');
  expect(floats.data.every((d) => d.embedding.every(Number.isFinite)), 'non-finite values');
  expectUsage(floats.usage, 'embeddings');
  const base64 = await client.embeddings.create({ model, input });
  expect(base64.data?.length === 2, `base64: data has ${base64.data?.length} entries`);
  expect(base64.data[0].embedding.length === dims,
         `base64: decoded ${base64.data[0].embedding.length} dimensions, floats had ${dims}`);
  expect(base64.data.every((d) => d.embedding.every(Number.isFinite)), 'base64: non-finite values');
  return `${dims} dimensions, usage ${floats.usage.prompt_tokens}`;
});

// (4) The model list names MODEL.
await check('models', async () => {
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  expect(ids.includes(model), `${JSON.stringify(model)} not in ${JSON.stringify(ids)}`);
  return `${ids.length} model(s)`;
});

// (5) Errors as OpenAI gives them.
await check('unknown-model', async () => {
  const err = await expectApiError(
      client.chat.completions.create({ model: `${model}-no-such-model`, messages }),
      OpenAI.NotFoundError, 404);
  return JSON.stringify(err.error.message);
});

await check('bad-key', async () => {
  const err = await expectApiError(
      badKeyClient.chat.completions.create({ model, messages }), OpenAI.AuthenticationError, 401);
  return JSON.stringify(err.error.message);
});

await check('bad-request', async () => {
  const err = await expectApiError(
      client.chat.completions.create({ model, messages, max_tokens: 0 }),
      OpenAI.BadRequestError, 400);
  expect(err.param === 'max_tokens', `param ${JSON.stringify(err.param)}, expected "max_tokens"`);
  return JSON.stringify(err.error.message);
});

console.log(`${passed} passed, ${failures} failed`);
process.exit(failures > 0 ? 1 : 0);
