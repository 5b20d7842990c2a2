import { describe } from 'vitest';
import { channelsContract, RecordingDelivery } from './channels-contract.js';
import { silentLogger } from '../../server/logger/logger.js';
import { MemoryChannels } from '../../server/engine/memory/memory-channels.js';

describe('memory engine channels (the shared contract)', () => {
  channelsContract(() => {
    const channels = new MemoryChannels(silentLogger);
    const delivery = new RecordingDelivery();
    channels.attach(delivery);
    return Promise.resolve([{ channels, delivery }]);
  });
});
