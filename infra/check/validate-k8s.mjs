// Validates Kubernetes manifests against the API schemas (kubernetes-models: the Kubernetes
// OpenAPI definitions compiled to JSON-schema validators). Every document of every file must be
// an object of a known apiVersion and kind, valid for its schema; a kustomization.yaml must list
// files that exist (they are validated as files of the directory).
//   node infra/check/validate-k8s.mjs infra/k8s [more files or directories]
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

const files = process.argv.slice(2).flatMap((arg) =>
  statSync(arg).isDirectory()
    ? readdirSync(arg, { recursive: true }).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => path.join(arg, f))
    : [arg],
);
if (files.length === 0) {
  console.error('usage: validate-k8s.mjs <file or directory>…');
  process.exit(2);
}

let problems = 0;
let objects = 0;
const fail = (where, message) => {
  problems++;
  console.error(`${where}: ${message}`);
};

/** `apps/v1` + `Deployment` → the model class, or undefined for an unknown pair. */
async function modelOf(apiVersion, kind) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (!/^[a-z0-9.-]*$/.test(group) || !/^v[0-9a-z]+$/.test(version) || !/^[A-Z][A-Za-z0-9]*$/.test(kind)) return undefined;
  try {
    const mod = await import(`kubernetes-models/${group ? `${group}/` : ''}${version}/${kind}`);
    return mod[kind];
  } catch {
    return undefined;
  }
}

for (const file of files) {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  for (const [i, doc] of docs.entries()) {
    const where = `${file}#${i + 1}`;
    if (doc.errors.length) {
      fail(where, `YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
      continue;
    }
    const obj = doc.toJS();
    if (obj === null) continue;
    if (typeof obj !== 'object' || typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string') {
      fail(where, 'not a Kubernetes object (apiVersion and kind)');
      continue;
    }
    if (obj.kind === 'Kustomization' && obj.apiVersion.startsWith('kustomize.config.k8s.io/')) {
      for (const r of [...(obj.resources ?? []), ...(obj.components ?? [])]) {
        if (!existsSync(path.join(path.dirname(file), r))) fail(where, `kustomization lists ${r}, which does not exist`);
      }
      continue;
    }
    const Model = await modelOf(obj.apiVersion, obj.kind);
    if (!Model) {
      fail(where, `unknown apiVersion/kind ${obj.apiVersion} ${obj.kind}`);
      continue;
    }
    const name = `${obj.kind} ${obj.metadata?.name ?? '(no name)'}`;
    if (!obj.metadata?.name) fail(`${where} ${name}`, 'metadata.name is required');
    try {
      new Model(obj).validate();
      objects++;
    } catch (err) {
      const details = (err.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
      fail(`${where} ${name}`, details || err.message);
    }
  }
}

console.log(`${objects} Kubernetes object(s) valid in ${files.length} file(s), ${problems} problem(s)`);
process.exit(problems ? 1 : 0);
