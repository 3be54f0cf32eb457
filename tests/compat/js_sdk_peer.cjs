// The AWS SDK for JavaScript v3 side of the client benchmark: the same gets or sets of 100-byte
// values as cachelib_peer.py's bench, through @aws-sdk/client-dynamodb, so that
// docs/PERFORMANCE.md can compare the client CPU per operation. The table must already exist.
//
//   NODE_PATH=$HOME/.cache/ddbcache/js-sdk/node_modules \
//     node tests/compat/js_sdk_peer.cjs bench ENDPOINT TABLE get|set N [CONCURRENCY]
//
// CONCURRENCY (default 1) loops run at once, over as many sockets.
//
// Credentials come from the usual environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), the region
// from AWS_REGION (default us-east-1). Prints one JSON object on stdout.
"use strict";

const { DynamoDBClient, GetItemCommand, PutItemCommand } = require("@aws-sdk/client-dynamodb");

const KEY_FIELD = "cache_key";
const EXPIRATION_FIELD = "expiration_time";
const TIMEOUT_S = 300;

// The item layout of cachelib_peer.py's put_like_cachelib. It pickles the value behind a '!';
// here the raw bytes are stored instead, as only the client CPU is measured and the size is close.
function putLikeCachelib(client, table, key, value) {
  const now = new Date();
  return client.send(new PutItemCommand({
    TableName: table,
    Item: {
      [KEY_FIELD]: { S: key },
      created_at: { S: now.toISOString() },
      response: { B: value },
      [EXPIRATION_FIELD]: { N: String(Math.floor(now.getTime() / 1000) + TIMEOUT_S) },
    },
  }));
}

// get_like_cachelib's read: an eventually consistent GetItem, then the client-side expiry check.
async function getLikeCachelib(client, table, key) {
  const { Item } = await client.send(new GetItemCommand({
    TableName: table,
    Key: { [KEY_FIELD]: { S: key } },
    ConsistentRead: false,
  }));
  if (Item === undefined || Number(Item[EXPIRATION_FIELD].N) <= Math.floor(Date.now() / 1000)) {
    return undefined;
  }
  return Item.response.B;
}

async function bench(endpoint, table, op, n, concurrency) {
  const client = new DynamoDBClient({
    endpoint,
    region: process.env.AWS_REGION || "us-east-1",
    // Keep-alive is the SDK's default; one socket per loop, each reused for every request, as
    // boto3's pool does.
    requestHandler: { httpAgent: { keepAlive: true, maxSockets: concurrency } },
  });
  const value = Buffer.alloc(100, "x");
  const keys = Array.from({ length: 1000 }, (_, i) => `bench-js-${i}`);
  for (const key of keys) {
    await putLikeCachelib(client, table, key, value);
  }
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  let claimed = 0;
  const loop = async () => {
    for (let i = claimed++; i < n; i = claimed++) {
      const key = keys[i % keys.length];
      if (op === "set") {
        await putLikeCachelib(client, table, key, value);
      } else {
        const got = await getLikeCachelib(client, table, key);
        if (got === undefined || !value.equals(got)) {
          throw new Error("js_sdk_peer: wrong value read");
        }
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  client.destroy();
  console.log(JSON.stringify({
    op,
    ops: n,
    cpu_us_per_op: Number(((cpu.user + cpu.system) / n).toFixed(2)),
    ops_per_s: Number((n / elapsedS).toFixed(1)),
  }));
}

const [command, endpoint, table, op, count, inFlight = "1"] = process.argv.slice(2);
const n = Number(count);
const concurrency = Number(inFlight);
if (![7, 8].includes(process.argv.length) || command !== "bench" || !["get", "set"].includes(op) ||
    !Number.isInteger(n) || n <= 0 || !Number.isInteger(concurrency) || concurrency <= 0) {
  console.error("usage: node js_sdk_peer.cjs bench ENDPOINT TABLE get|set N [CONCURRENCY]");
  process.exit(2);
}
bench(endpoint, table, op, n, concurrency).catch((err) => {
  console.error(err.stack || String(err));
  process.exit(1);
});
