import { InstallationOverviewSchema } from '@ricochet/schema';
import { retentionFrom } from '../../history/retention.ts';
import { installationOverview } from '../../services/delivery-stats.ts';
import { defineOperation } from '../operation.ts';

export const overview = defineOperation({
  summary:
    'The installation at a glance: queue, throughput, slow targets, history storage per week (administrators only)',
  access: 'admin',
  procedure: 'query',
  output: InstallationOverviewSchema,
  run: ({ prisma, config }) => installationOverview(prisma, retentionFrom(config)),
  rest: (route) => [
    route({
      method: 'GET',
      path: '/v2/admin/overview',
      tags: ['Users'],
      status: 200,
      input: () => undefined,
    }),
  ],
});
