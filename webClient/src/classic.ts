/**
 * Entry of the classic-script build (socketWebClient.js): a page that loads
 * it with a plain <script> gets the original's global `socketWebClient`, and
 * `websock` with the modern API for pages without modules.
 */
import * as websock from './index.js';

declare global {
  interface Window {
    socketWebClient: typeof websock.socketWebClient;
    websock: typeof websock;
  }
}

window.socketWebClient = websock.socketWebClient;
window.websock = websock;
