import { sessionPath } from '../server/protocol.js';
import { byId } from './dom.js';
import { LivePage } from './live-page.js';
import { createSession, sessionIdFromPath } from './session-link.js';
import { setUpUpload } from './upload.js';
import { showBanner, showConnection } from './views.js';

/**
 * Opens the session named in the URL, or creates one and starts this tab's camera,
 * because the person who opens the bare page is most likely pointing a webcam at a pet.
 */
async function start(): Promise<void> {
  setUpUpload();

  let sessionId = sessionIdFromPath(window.location.pathname);
  if (sessionId === '') {
    showConnection('offline', 'No session');
    showBanner('This link does not contain a valid session id.', { href: '/', text: 'Start a new session' });
    return;
  }

  const created = sessionId === null;
  if (sessionId === null) {
    try {
      sessionId = await createSession();
    } catch (error) {
      showConnection('offline', 'Offline');
      showBanner(`Could not start a session: ${error instanceof Error ? error.message : String(error)}.`, { href: '/', text: 'Try again' });
      return;
    }
    window.history.replaceState(null, '', sessionPath(sessionId));
  }

  const page = new LivePage(sessionId);
  page.connect();
  if (created) await page.startCamera();
}

void start();
