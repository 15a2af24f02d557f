// Builds the job service from its settings: the queue backend the settings call for (create-queue.ts),
// handed to the JobCoordinator that runs the jobs through it.
import { JobCoordinator } from './job-coordinator.ts';
import { createQueue } from './queue/create-queue.ts';
import type { JobServiceConfig } from './service-config.ts';

export function createJobService(config: JobServiceConfig): JobCoordinator {
  return new JobCoordinator(config, createQueue(config));
}
