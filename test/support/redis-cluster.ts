import { describeWithServices } from './services';

/**
 * The Redis Cluster the cluster suites run on: `REDIS_CLUSTER_NODES`, a comma list of `host:port`
 * seeds (`.ci/run` starts three masters on 127.0.0.1:7000-7002 and sets it).
 *
 * `describeWithRedisCluster(name, body)` hands `body` the seeds; like every service suite, it is
 * reported as skipped locally without `REDIS_CLUSTER_NODES` and fails when `CI` is set (services.ts).
 */
export function describeWithRedisCluster(name: string, body: (nodes: string[]) => void): void {
  describeWithServices(name, ['redisCluster'], ({ redisCluster }) => body(splitNodes(redisCluster)));
}

function splitNodes(raw: string): string[] {
  return raw
    .split(',')
    .map((node) => node.trim())
    .filter((node) => node.length > 0);
}
