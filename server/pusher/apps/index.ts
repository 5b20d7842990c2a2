export { PUSHER_DEFAULT_LIMITS, WEBHOOK_EVENTS, pusherApp } from './pusher-app.js';
export type { PusherApp, PusherLimits, PusherWebhookTarget, WebhookEventName } from './pusher-app.js';
export { PusherApps } from './pusher-apps.js';
export { DEFAULT_APP_NAME, PUSHER_SECTION_KEYS, PUSHER_SECTION_PREFIX, isPusherSection, readPusherApps } from './read-pusher-apps.js';
export type { ReadPusherAppsInput, TopLevelCredentials } from './read-pusher-apps.js';
