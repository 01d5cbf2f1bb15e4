package dev.slacktokens.operator.slack;

import java.time.Duration;

/** HTTP 429 from Slack: retry no sooner than {@link #retryAfter()}. */
public final class SlackRateLimitedException extends SlackApiException {

    private final Duration retryAfter;

    public SlackRateLimitedException(String method, Duration retryAfter) {
        super(method, "ratelimited", "retry after " + retryAfter.toSeconds() + "s", null);
        this.retryAfter = retryAfter;
    }

    public Duration retryAfter() {
        return retryAfter;
    }
}
