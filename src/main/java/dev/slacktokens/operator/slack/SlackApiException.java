package dev.slacktokens.operator.slack;

import java.util.Set;

/**
 * A failed Slack call, in one of three kinds: {@link SlackPermanentException} (retrying will not help),
 * {@link SlackTransientException} (retry with backoff) and {@link SlackRateLimitedException} (retry after the
 * server's delay). The message names the Slack method and the error string, never a token.
 */
public abstract sealed class SlackApiException extends RuntimeException
        permits SlackPermanentException, SlackTransientException, SlackRateLimitedException {

    /** Error strings meaning the refresh token or authorization code is no longer usable. */
    private static final Set<String> INVALID_GRANT = Set.of("invalid_refresh_token", "invalid_code", "invalid_grant",
            "refresh_token_expired");
    /** Error strings meaning the app's credentials are wrong. */
    private static final Set<String> INVALID_CLIENT = Set.of("invalid_client_id", "bad_client_secret",
            "invalid_client");
    /** Error strings meaning the token itself is dead (revoked, user gone, expired). */
    private static final Set<String> TOKEN_DEAD = Set.of("token_revoked", "invalid_auth", "account_inactive",
            "token_expired", "not_authed", "invalid_token");

    private final String method;
    private final String error;

    SlackApiException(String method, String error, String detail, Throwable cause) {
        super(method + " failed: " + error + (detail == null || detail.isBlank() ? "" : " (" + detail + ")"), cause);
        this.method = method;
        this.error = error;
    }

    /** The Slack Web API method, e.g. {@code oauth.v2.access}. */
    public String method() {
        return method;
    }

    /** Slack's error string, or one of ours for transport problems ({@code http_503}, {@code timeout}, ...). */
    public String error() {
        return error;
    }

    /** The refresh token or code was rejected: a new consent (or another writer's token) is needed. */
    public boolean isInvalidGrant() {
        return INVALID_GRANT.contains(error);
    }

    /** The Slack app's client id or secret was rejected. */
    public boolean isInvalidClient() {
        return INVALID_CLIENT.contains(error);
    }

    /** The token was revoked or its user deactivated. */
    public boolean isTokenDead() {
        return TOKEN_DEAD.contains(error);
    }
}
