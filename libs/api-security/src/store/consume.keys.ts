/**
 * Suffix of the key that marks a rate-limit counter as blocked. It keeps the counter's hash tag,
 * so on Redis Cluster the pair lives in one slot and one script can touch both.
 */
export const BLOCK_SUFFIX = '|blocked';
