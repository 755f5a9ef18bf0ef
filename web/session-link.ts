import { SESSION_ID_PATTERN, sessionPath } from '../server/protocol.js';

/** Returns the session id in a `/s/<id>` path, '' for a malformed one, or null when the path has none. */
export function sessionIdFromPath(pathname: string): string | null {
  const match = /^\/s\/([^/]*)\/?$/.exec(pathname);
  if (match === null) return null;

  const id = match[1] ?? '';
  return SESSION_ID_PATTERN.test(id) ? id : '';
}

/** Creates a session on the server and returns its id. */
export async function createSession(): Promise<string> {
  const response = await fetch('/api/sessions', { method: 'POST' });
  if (!response.ok) throw new Error(`the server could not create a session (HTTP ${response.status})`);

  const body = (await response.json()) as { sessionId: string };
  return body.sessionId;
}

export function shareUrl(sessionId: string): string {
  return new URL(sessionPath(sessionId), window.location.origin).toString();
}

/**
 * Copies text to the clipboard. The Clipboard API exists only in secure contexts
 * (HTTPS or localhost), so elsewhere the system share sheet or a prompt takes over.
 */
export async function copyText(text: string): Promise<'copied' | 'shared' | 'shown'> {
  if (navigator.clipboard !== undefined) {
    try {
      await navigator.clipboard.writeText(text);
      return 'copied';
    } catch {
      // Permission denied or document not focused: fall through.
    }
  }

  if (typeof navigator.share === 'function') {
    try {
      await navigator.share({ title: 'catdog live session', url: text });
      return 'shared';
    } catch {
      // The user closed the share sheet: fall through.
    }
  }

  window.prompt('Copy this link to share the session:', text);
  return 'shown';
}
