package dev.slacktokens.operator.simulator;

import java.util.Map;

/**
 * Run-time behaviour of the simulator, replaceable as a whole through {@code PUT /_sim/settings}.
 *
 * @param tokenLifetimeSeconds  lifetime of rotating access tokens (Slack: 43200)
 * @param refreshGraceSeconds   how long a used refresh token still works
 * @param codeLifetimeSeconds   how long an authorization code is valid
 * @param reusePolicy           what a reuse of a refresh token inside the grace period returns
 * @param eventsUrl             where signed events are delivered (may be null)
 * @param rateLimitsPerMinute   calls per minute allowed per Web API method before HTTP 429
 */
public record SimulatorSettings(long tokenLifetimeSeconds, long refreshGraceSeconds, long codeLifetimeSeconds,
        ReusePolicy reusePolicy, String eventsUrl, Map<String, Integer> rateLimitsPerMinute) {

    /** Slack's published limits for the methods the simulator serves. */
    public static final Map<String, Integer> SLACK_RATE_LIMITS = Map.of(
            "oauth.v2.access", 600,
            "oauth.v2.exchange", 50,
            "auth.test", 600,
            "auth.revoke", 50,
            "chat.postMessage", 600);

    public SimulatorSettings {
        if (tokenLifetimeSeconds < 2) {
            throw new IllegalArgumentException("tokenLifetimeSeconds must be at least 2");
        }
        if (refreshGraceSeconds < 0 || codeLifetimeSeconds < 1) {
            throw new IllegalArgumentException("refreshGraceSeconds must be >= 0 and codeLifetimeSeconds >= 1");
        }
        if (reusePolicy == null) {
            reusePolicy = ReusePolicy.MINT_NEW;
        }
        rateLimitsPerMinute = rateLimitsPerMinute == null ? SLACK_RATE_LIMITS : Map.copyOf(rateLimitsPerMinute);
    }

    /** What a refresh with an already used refresh token returns while the grace period lasts. */
    public enum ReusePolicy {
        /** Each use mints a new, different pair (what Slack does: node-slack-sdk#2504). */
        MINT_NEW,
        /** The reuse returns the pair the first use minted. */
        RETURN_SAME,
        /** The reuse mints a new pair and revokes the pair the previous use minted (only the newest works). */
        INVALIDATE_EARLIER
    }
}
