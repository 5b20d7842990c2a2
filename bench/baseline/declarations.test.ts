import { describe, expect, it } from 'vitest';
import { answeredRequests, declaredFields, declaredStringConstant, declaresConstant } from './declarations.js';

// The shape tsc gives a .d.ts: four spaces per level, JSDoc above fields, nested types indented further.
const serveBenchTypes = `/** The bearer secret. */
export declare const BENCH_PUBLISH_SECRET = "bench-publish-secret";
export declare const BENCH_PUSHER_APP: {
    readonly appId: "1000";
};
/** The config the runner passes to a relay process. */
export interface ServerProcessConfig {
    maxRunMs: number;
    /** Largest message the relay must accept, bytes (large scenario). */
    maxMessageBytes?: number;
    settings?: Record<string, number | string | boolean>;
    limits?: {
        clientEventRate: number;
    };
    readonly preSendHook?: boolean;
}
export declare function serveBench(start: () => Promise<void>): Promise<void>;
`;

describe('declaredFields', () => {
  it("lists an interface's top-level fields, optional and readonly ones too, not those of nested types", () => {
    expect(declaredFields(serveBenchTypes, 'ServerProcessConfig')).toEqual([
      'maxRunMs',
      'maxMessageBytes',
      'settings',
      'limits',
      'preSendHook',
    ]);
  });

  it('is null for an interface the file does not declare, or one cut short', () => {
    expect(declaredFields(serveBenchTypes, 'ServerProcess')).toBeNull();
    expect(declaredFields('export interface RelayConfig {\n    port: number;\n', 'RelayConfig')).toBeNull();
  });
});

describe('declared constants', () => {
  it("reads a string constant's value from its literal type", () => {
    expect(declaredStringConstant(serveBenchTypes, 'BENCH_PUBLISH_SECRET')).toBe('bench-publish-secret');
    expect(declaredStringConstant('export declare const S = "a\\"b";\n', 'S')).toBe('a"b');
    expect(declaredStringConstant(serveBenchTypes, 'BENCH_PUSHER_APP')).toBeNull();
  });

  it('sees whether a constant is exported at all', () => {
    expect(declaresConstant(serveBenchTypes, 'BENCH_PUSHER_APP')).toBe(true);
    expect(declaresConstant(serveBenchTypes, 'BENCH_PUSHER')).toBe(false);
  });
});

describe('answeredRequests', () => {
  it("takes the message types a compiled server's switch answers, once each", () => {
    const js = `switch (message.type) {\n  case 'stats':\n    break;\n  case 'gc': {\n  }\n  case "reset-peak":\n  case 'stats':\n}`;
    expect(answeredRequests(js)).toEqual(['stats', 'gc', 'reset-peak']);
  });
});
