// Verifies a Sigstore bundle with the independent npm verifier (@sigstore/verify), offline.
//   node sigstore-verify.mjs ARTIFACT BUNDLE --key PUB.pem
//   node sigstore-verify.mjs ARTIFACT BUNDLE --trusted-root ROOT.json --identity SAN --issuer URL
// Exit 0 when it verifies, 1 with the verifier's reason when it does not.
import fs from 'node:fs';
import crypto from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(process.env.SIGSTORE_NODE_MODULES + '/');
const { Verifier, toTrustMaterial, toSignedEntity } = require('@sigstore/verify');
const { bundleFromJSON } = require('@sigstore/bundle');
const { TrustedRoot } = require('@sigstore/protobuf-specs');

const [artifactPath, bundlePath, ...rest] = process.argv.slice(2);
const opt = (name) => {
  const at = rest.indexOf(name);
  return at >= 0 ? rest[at + 1] : undefined;
};
const keyPath = opt('--key');
const rootPath = opt('--trusted-root');

const emptyRoot = {
  mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [],
};
const root = TrustedRoot.fromJSON(rootPath ? JSON.parse(fs.readFileSync(rootPath, 'utf8')) : emptyRoot);
const keyFinder = keyPath
  ? () => ({ publicKey: crypto.createPublicKey(fs.readFileSync(keyPath, 'utf8')), validFor: () => true })
  : undefined;
const thresholds = keyPath
  ? { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 }
  : { tlogThreshold: 1, ctlogThreshold: 1, timestampThreshold: 1 };
try {
  const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(bundlePath, 'utf8')));
  const verifier = new Verifier(toTrustMaterial(root, keyFinder), thresholds);
  const policy = keyPath ? {} : { subjectAlternativeName: opt('--identity'), extensions: { issuer: opt('--issuer') } };
  verifier.verify(toSignedEntity(bundle, fs.readFileSync(artifactPath)), policy);
  console.log(`@sigstore/verify: ${bundlePath} verifies ${artifactPath}`);
} catch (err) {
  console.error(`@sigstore/verify: ${bundlePath} does not verify ${artifactPath}: ${err.message}`);
  process.exit(1);
}
