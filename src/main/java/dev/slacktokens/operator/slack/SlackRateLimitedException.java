package dev.slacktokens.operator.slack;

import java.time.Duration;

/**
 * Rate-limited: HTTP 429 from Slack, or a call this operator did not send because it is over its own client-side
 * limit ({@link #local()}). Retry no sooner than {@link #retryAfter()}.
 */
public final class SlackRateLimitedException extends SlackApiException {

    private final Duration retryAfter;
    private final boolean local;

    public SlackRateLimitedException(String method, Duration retryAfter) {
        this(method, retryAfter, false);
    }

    SlackRateLimitedException(String method, Duration retryAfter, boolean local) {
        super(method, "ratelimited", "retry after " + retryAfter.toSeconds() + "s", null);
        this.retryAfter = retryAfter;
        this.local = local;
    }

    public Duration retryAfter() {
        return retryAfter;
    }

    /** True when Slack was not called: the operator's own limit ({@code SlackClient}'s) refused the call. */
    public boolean local() {
        return local;
    }
}
