// A fake Sigstore on 127.0.0.1 for crabox's keyless-signing tests, built on npm @sigstore/mock:
// Fulcio (POST /api/v2/signingCert), Rekor v1 (POST /api/v1/log/entries), Rekor v2
// (POST /api/v2/log/entries, hashedrekord), an RFC 3161 TSA (POST /api/v1/timestamp, DER in and out) and a
// GitHub Actions OIDC token endpoint (GET /oidc/token). It writes the matching trusted root to
// the file named by argv[2] and prints `listening <port>` when ready.
//
// Fault injection: FAKE_SIGSTORE_FAIL="fulcio=503,503;rekor=429" answers the first requests to a
// service with those statuses, then serves normally.
// Needs SIGSTORE_NODE_MODULES: a node_modules directory holding @sigstore/mock.
'use strict';
const http = require('node:http');
const crypto = require('node:crypto');
const fs = require('node:fs');
const { createRequire } = require('node:module');

const load = createRequire(process.env.SIGSTORE_NODE_MODULES + '/');
const mock = load('@sigstore/mock');
const { ASN1Obj } = load('@sigstore/core');

// The mock TSA writes the request's nonce with `new asn1js.Integer({ value })`, which holds only
// JavaScript numbers; RFC 3161 clients send 64-bit nonces. Teach that constructor BigInts.
const asn1js = createRequire(load.resolve('@sigstore/mock'))('asn1js');
const PlainInteger = asn1js.Integer;
asn1js.Integer = class extends PlainInteger {
  constructor(params = {}) {
    if (typeof params.value !== 'bigint') {
      super(params);
      return;
    }
    let hex = params.value.toString(16);
    if (hex.length % 2) hex = `0${hex}`;
    if (parseInt(hex.slice(0, 2), 16) >= 0x80) hex = `00${hex}`;
    const bytes = Buffer.from(hex, 'hex');
    super({ valueHex: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) });
  }
};

const rootPath = process.argv[2];
const faults = {};
for (const part of (process.env.FAKE_SIGSTORE_FAIL || '').split(';').filter(Boolean)) {
  const [service, statuses] = part.split('=');
  faults[service] = statuses.split(',').map(Number);
}
const seen = { fulcio: 0, rekor: 0, tsa: 0, oidc: 0 };

const b64 = (bytes) => Buffer.from(bytes.buffer ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes).toString('base64');
const base64url = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

// Reads an RFC 3161 TimeStampReq: version, messageImprint {hashAlgorithm, hashedMessage},
// optional reqPolicy, nonce, certReq.
function parseTimestampRequest(der) {
  const req = ASN1Obj.parseBuffer(der);
  const [, imprint, ...rest] = req.subs;
  const algorithm = imprint.subs[0].subs[0].toOID();
  const hashed = imprint.subs[1].value;
  let nonce = 1234567890;
  let certReq = false;
  for (const field of rest) {
    if (field.tag.number === 0x02) nonce = field.toInteger();
    if (field.tag.number === 0x01) certReq = field.toBoolean();
  }
  return { artifactHash: hashed, hashAlgorithmOID: algorithm, nonce, policyOID: '1.3.6.1.4.1.57264.2', certReq };
}

// Rekor stores a proposed entry's PEM keys and certificates re-encoded (LF line ends), and
// verifiers such as sigstore-python rebuild the body that way; the mock keeps them as sent.
function canonicalPem(base64Pem) {
  const pem = Buffer.from(base64Pem, 'base64').toString('utf8').replace(/\r\n/g, '\n');
  return Buffer.from(pem).toString('base64');
}
function canonicalEntry(text) {
  const entry = JSON.parse(text);
  if (entry.kind === 'hashedrekord' && entry.spec?.signature?.publicKey?.content) {
    entry.spec.signature.publicKey.content = canonicalPem(entry.spec.signature.publicKey.content);
  }
  if (entry.kind === 'dsse' && entry.spec?.proposedContent) {
    // Rekor keeps a DSSE entry as hashes and signatures, not as the proposed envelope.
    const { envelope, verifiers } = entry.spec.proposedContent;
    const parsed = JSON.parse(envelope);
    const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');
    entry.spec = {
      envelopeHash: { algorithm: 'sha256', value: sha256(envelope) },
      payloadHash: { algorithm: 'sha256', value: sha256(Buffer.from(parsed.payload, 'base64')) },
      signatures: parsed.signatures.map((sig, i) => ({ signature: sig.sig, verifier: canonicalPem(verifiers[i]) })),
    };
  }
  return JSON.stringify(entry);
}

// JSON with sorted keys and no spaces (RFC 8785 for the strings and objects used here).
function canonicalJson(value) {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

// Rekor v2 (the mock's v2 log keeps the request, not the entry): a hashedrekord v0.0.2 entry as
// the only leaf of the log, its inclusion proof and a checkpoint signed with the log's key.
function rekorV2Entry(tlog, base, text) {
  const request = JSON.parse(text).hashedRekordRequestV002;
  if (!request) return { statusCode: 400, response: 'only hashedRekordRequestV002 is served' };
  const entry = {
    apiVersion: '0.0.2',
    kind: 'hashedrekord',
    spec: {
      hashedRekordV002: {
        data: { algorithm: 'SHA2_256', digest: request.digest },
        signature: { content: request.signature.content, verifier: request.signature.verifier },
      },
    },
  };
  const body = Buffer.from(canonicalJson(entry));
  const root = crypto.createHash('sha256').update(Buffer.from([0])).update(body).digest();
  const logId = crypto.createHash('sha256').update(tlog.publicKey).digest();
  // Verifiers find the log by the checkpoint's origin within its URL.
  const origin = new URL(base).host;
  const note = `${origin}\n1\n${root.toString('base64')}\n`;
  const signature = crypto.sign('sha256', Buffer.from(note), tlog.privateKey);
  const envelope = `${note}\n\u2014 ${origin} ${Buffer.concat([logId.subarray(0, 4), signature]).toString('base64')}\n`;
  const response = {
    logIndex: '0',
    logId: { keyId: logId.toString('base64') },
    kindVersion: { kind: 'hashedrekord', version: '0.0.2' },
    integratedTime: '0',
    inclusionProof: {
      logIndex: '0', rootHash: root.toString('base64'), treeSize: '1', hashes: [],
      checkpoint: { envelope },
    },
    canonicalizedBody: body.toString('base64'),
  };
  return { statusCode: 201, response: JSON.stringify(response), contentType: 'application/json' };
}

async function main() {
  const keyPair = () => crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const server = http.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;

  // One clock for every service, in whole seconds (the TSA writes its GeneralizedTime from it,
  // and DER readers such as Rust's `der` reject fractional seconds), moved to the current second
  // on each request: never before the certificates made at start-up.
  const clock = new Date(Math.floor(Date.now() / 1000) * 1000);
  const tick = () => clock.setTime(Math.floor(Date.now() / 1000) * 1000);
  const ctlog = await mock.initializeCTLog(keyPair(), clock);
  const ca = await mock.initializeCA(keyPair(), ctlog, clock);
  const tlog = await mock.initializeTLog(base, keyPair(), clock);
  const tsa = await mock.initializeTSA(keyPair(), clock);
  const fulcio = mock.fulcioHandler(ca);
  const rekor = mock.rekorHandler(tlog);

  const start = new Date(Date.now() - 24 * 3600 * 1000).toISOString();
  const spki = (key) => Buffer.from(key).toString('base64');
  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [{
      baseUrl: base,
      hashAlgorithm: 'SHA2_256',
      publicKey: { rawBytes: spki(tlog.publicKey), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } },
      logId: { keyId: crypto.createHash('sha256').update(tlog.publicKey).digest('base64') },
    }],
    certificateAuthorities: [{
      subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
      uri: base,
      certChain: { certificates: [{ rawBytes: b64(ca.rootCertificate) }] },
      validFor: { start },
    }],
    ctlogs: [{
      baseUrl: base,
      hashAlgorithm: 'SHA2_256',
      publicKey: { rawBytes: spki(ctlog.publicKey), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } },
      logId: { keyId: b64(ctlog.logID) },
    }],
    timestampAuthorities: [{
      subject: { organization: 'sigstore.mock', commonName: 'sigstore-tsa' },
      uri: base,
      certChain: { certificates: [{ rawBytes: b64(tsa.intCertificate) }, { rawBytes: b64(tsa.rootCertificate) }] },
      validFor: { start },
    }],
  };
  fs.writeFileSync(rootPath, JSON.stringify(trustedRoot, null, 2));

  const routes = {
    'POST /api/v2/signingCert': ['fulcio', (body) => fulcio.fn(body.toString())],
    'POST /api/v1/log/entries': ['rekor', (body) => rekor.fn(canonicalEntry(body.toString()))],
    'POST /api/v2/log/entries': ['rekor', async (body) => rekorV2Entry(tlog, base, body.toString())],
    'POST /api/v1/timestamp': ['tsa', async (body) => ({
      statusCode: 201,
      response: await tsa.timestamp(parseTimestampRequest(body)),
      contentType: 'application/timestamp-reply',
    })],
    'GET /oidc/token': ['oidc', async (_body, url, headers) => {
      if ((headers.authorization || '').toLowerCase() !== 'bearer fake-request-token' || url.searchParams.get('audience') !== 'sigstore') {
        return { statusCode: 401, response: 'bad request token or audience' };
      }
      const now = Math.floor(Date.now() / 1000);
      const claims = {
        iss: 'https://token.actions.githubusercontent.com',
        sub: 'https://github.com/acme/gateway/.github/workflows/release.yml@refs/heads/main',
        aud: 'sigstore', iat: now, nbf: now, exp: now + 600,
      };
      const jwt = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.c2lnbmF0dXJl`;
      return { statusCode: 200, response: JSON.stringify({ value: jwt }), contentType: 'application/json' };
    }],
  };
  server.on('request', (req, res) => {
    tick();
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const url = new URL(req.url, base);
      const route = routes[`${req.method} ${url.pathname}`];
      if (!route) {
        res.writeHead(404).end('not found');
        return;
      }
      const [service, handle] = route;
      const n = seen[service]++;
      const fault = (faults[service] || [])[n];
      if (fault) {
        res.writeHead(fault, { 'Content-Type': 'text/plain' }).end(`injected ${fault}`);
        return;
      }
      try {
        const { statusCode, response, contentType } = await handle(Buffer.concat(chunks), url, req.headers);
        const payload = typeof response === 'string' ? response : Buffer.from(response.buffer, response.byteOffset, response.byteLength);
        res.writeHead(statusCode, { 'Content-Type': contentType || 'text/plain' }).end(payload);
      } catch (err) {
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end(String(err && err.stack || err));
      }
    });
  });
  console.log(`listening ${server.address().port}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
