import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Policy for the page: scripts and styles only from this origin, frames and thumbnails
 * from blob: URLs, and Socket.IO over same-origin WebSocket or polling.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "img-src 'self' blob: data:",
  "media-src 'self' blob: mediastream:",
  "connect-src 'self' ws: wss:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Paths that render the single-page client: the start page and one page per session. */
function isPagePath(pathname: string): boolean {
  return pathname === '/' || pathname === '/index.html' || /^\/s\/[^/]*$/.test(pathname);
}

/**
 * Serves the built web client from `root`. Returns false when no file matches, so the
 * caller can send its 404.
 */
export async function serveStatic(request: IncomingMessage, response: ServerResponse, root: string, pathname: string): Promise<boolean> {
  let relative = 'index.html';
  if (!isPagePath(pathname)) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      return false;
    }
    relative = normalize(decoded).replace(/^[/\\]+/, '');
  }

  // normalize() resolves '..', so a path that still leaves root is a traversal attempt.
  const file = join(root, relative);
  if (!file.startsWith(root.endsWith(sep) ? root : root + sep) || relative.includes('\0')) return false;

  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) return false;
    size = info.size;
  } catch {
    return false;
  }

  const extension = extname(file).toLowerCase();
  response.statusCode = 200;
  response.setHeader('Content-Type', CONTENT_TYPES[extension] ?? 'application/octet-stream');
  response.setHeader('Content-Length', size);
  response.setHeader('X-Content-Type-Options', 'nosniff');
  // Page URLs contain the session id, which must not leak to other sites through Referer.
  response.setHeader('Referrer-Policy', 'no-referrer');

  if (extension === '.html') {
    response.setHeader('Cache-Control', 'no-cache');
    response.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  } else if (relative.startsWith(`assets${sep}`)) {
    // Vite puts a content hash in every file name under assets/.
    response.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
  } else {
    response.setHeader('Cache-Control', 'public, max-age=3600');
  }

  if (request.method === 'HEAD') {
    response.end();
    return true;
  }
  await pipeline(createReadStream(file), response);
  return true;
}
