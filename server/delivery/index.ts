export { Delivery, type DeliveryOptions } from './delivery.js';
export type { SendEvent, SendInterceptor, SendKind } from './send-interceptor.js';
