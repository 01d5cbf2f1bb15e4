package dev.slacktokens.operator.config;

/** Fired (asynchronously) when this replica takes the Lease and starts reconciling. */
public record LeadershipAcquired(String identity) {
}
